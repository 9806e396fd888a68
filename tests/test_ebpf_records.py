"""The eBPF source's userspace half, without a kernel: ring records (as the BPF program
lays them out) joined into Frames, the socket comment, filters by name, and a frame's
identity through a pcapng file. The kernel half runs in the lab (tests/vm/test_ebpf.py)."""
from __future__ import annotations

import ctypes
import io
import struct

import pytest

from nlscope.capture import ebpf
from nlscope.capture.pcapio import CaptureError, CaptureReader, PcapngWriter

NLMSG = struct.Struct("=IHHII")


def _record(ev: int, data: bytes, length: int, off: int, *, pid=4242, netns=4026531840,
            portid=777, proto=31, direction=2, comm=b"rtmgrctl") -> bytes:
    hdr = ebpf._EVENT.pack(123_000, ev, length, off, pid, netns, portid, proto, direction, 0,
                           comm.ljust(16, b"\0"))
    return hdr + data


def _feed(cap: ebpf.EbpfCapture, rec: bytes) -> None:
    buf = ctypes.create_string_buffer(rec, len(rec))
    assert cap._record(None, ctypes.addressof(buf), len(rec)) == 0


def _message(n: int) -> bytes:
    body = bytes(i & 0xFF for i in range(n - 16))
    return NLMSG.pack(n, 20, 0x5, 9, 0) + body


def test_one_record_is_one_frame_with_identity():
    cap = ebpf.EbpfCapture(genl_map=False)
    msg = _message(48)
    _feed(cap, _record(1, msg, len(msg), 0))
    [fr] = cap._ready
    assert fr.protocol == 31 and fr.raw[16:] == msg and fr.orig_len == 16 + 48
    assert struct.unpack_from(">H", fr.raw, 14)[0] == 31  # LINKTYPE_NETLINK protocol field
    assert (fr.direction, fr.pid, fr.comm) == ("out", 4242, "rtmgrctl")
    assert ebpf.parse_socket_comment(fr.comment) == (4026531840, 777)


def test_chunks_join_in_order_with_other_messages_between():
    cap = ebpf.EbpfCapture(genl_map=False)
    big = _message(3 * ebpf.CHUNK + 100)
    small = _message(20)
    parts = [big[i:i + ebpf.CHUNK] for i in range(0, len(big), ebpf.CHUNK)]
    _feed(cap, _record(7, parts[0], len(big), 0))
    _feed(cap, _record(8, small, len(small), 0, direction=1, pid=0, comm=b""))
    for i, p in enumerate(parts[1:], 1):
        assert not any(f.raw[16:] == big for f in cap._ready)
        _feed(cap, _record(7, p, len(big), i * ebpf.CHUNK))
    small_fr, big_fr = cap._ready
    assert big_fr.raw[16:] == big and not big_fr.truncated
    # an "in" message whose socket owner is unknown: no process, the socket still known
    assert small_fr.direction == "in" and small_fr.pid is None and small_fr.comm is None
    assert ebpf.parse_socket_comment(small_fr.comment) == (4026531840, 777)


def test_message_past_the_snapshot_length_is_cut_and_counted():
    cap = ebpf.EbpfCapture(genl_map=False)
    length = ebpf.CHUNK * ebpf.MAX_CHUNKS + 5000
    chunk = b"\xab" * ebpf.CHUNK
    for i in range(ebpf.MAX_CHUNKS):
        _feed(cap, _record(3, chunk, length, i * ebpf.CHUNK))
    [fr] = cap._ready
    assert len(fr.raw) == 16 + ebpf.CHUNK * ebpf.MAX_CHUNKS and fr.truncated
    assert cap.stats.truncated == 1


def test_a_chunk_without_its_start_is_not_a_frame():
    """The program counts a record the ring had no room for (and sends nothing more
    of that message): later chunks alone never make a partial frame."""
    cap = ebpf.EbpfCapture(genl_map=False)
    _feed(cap, _record(5, b"\0" * 100, ebpf.CHUNK + 100, ebpf.CHUNK))
    assert cap._ready == [] and cap._parts == {}


def test_comm_filter():
    cap = ebpf.EbpfCapture(genl_map=False, comm="ip")
    msg = _message(20)
    _feed(cap, _record(1, msg, 20, 0, comm=b"ip"))
    _feed(cap, _record(2, msg, 20, 0, comm=b"ipx"))
    assert [f.comm for f in cap._ready] == ["ip"] and cap.stats.filtered == 1


def test_identity_survives_a_pcapng_file():
    cap = ebpf.EbpfCapture(genl_map=False)
    msg = _message(36)
    _feed(cap, _record(1, msg, 36, 0, comm=b"a b\x1b"))
    _feed(cap, _record(2, msg, 36, 0, direction=1, portid=0xFFFFFFF0))
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    for fr in cap._ready:
        w.write(fr)
    out = list(CaptureReader(io.BytesIO(buf.getvalue())))
    assert [(f.direction, f.pid, f.comm) for f in out] == [("out", 4242, "a b\x1b"),
                                                          ("in", 4242, "rtmgrctl")]
    assert [ebpf.parse_socket_comment(f.comment) for f in out] == [
        (4026531840, 777), (4026531840, 0xFFFFFFF0)]


@pytest.mark.parametrize("text", [None, "", "pid=1 comm=x", "nlsock netns=1", "nlsock netns=a portid=2"])
def test_parse_socket_comment_rejects_others(text):
    assert ebpf.parse_socket_comment(text) is None


def test_protocol_names():
    assert ebpf.protocol_number("route") == 0
    assert ebpf.protocol_number("NETLINK_KOBJECT_UEVENT") == 15
    assert ebpf.protocol_number("31") == 31
    with pytest.raises(CaptureError, match="unknown netlink protocol"):
        ebpf.protocol_number("32")
    with pytest.raises(CaptureError):
        ebpf.protocol_number("nosuch")


def test_program_builds_and_has_every_probe(tmp_path):
    """The build step works and the object names the kernel functions we attach to."""
    import shutil
    if shutil.which("clang") is None:
        pytest.skip("clang missing (bash scripts/setup.sh)")
    obj = ebpf.build(tmp_path / "t.bpf.o")
    data = obj.read_bytes()
    for fn in (b"kprobe/netlink_unicast", b"kprobe/netlink_broadcast",
               b"kprobe/__netlink_sendskb", b"kprobe/netlink_sendmsg",
               b"kprobe/netlink_recvmsg", b"kprobe/netlink_release",
               b"tp_btf/sched_process_fork"):
        assert fn in data, fn


def test_messages_cut_by_a_full_ring_do_not_pile_up():
    cap = ebpf.EbpfCapture(genl_map=False)
    for ev in range(ebpf.MAX_PARTIAL * 3):  # first chunks whose rest never comes
        _feed(cap, _record(ev, b"\0" * ebpf.CHUNK, 2 * ebpf.CHUNK, 0))
    assert len(cap._parts) == ebpf.MAX_PARTIAL and cap._ready == []


def test_trace_runs_the_command_after_its_pid_is_traced(monkeypatch):
    """The command waits on a pipe until its pid is in the traced set; the pipe's fd is
    past 9 in a real run (BPF maps and links), which dash cannot redirect (exit 2)."""
    import os
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(12)]
    order: list[str] = []
    monkeypatch.setattr(ebpf.EbpfCapture, "open", lambda self: self)
    monkeypatch.setattr(ebpf.EbpfCapture, "close", lambda self: None)
    monkeypatch.setattr(ebpf.EbpfCapture, "_read_drops", lambda self: None)
    monkeypatch.setattr(ebpf.EbpfCapture, "drain", lambda self: [])
    monkeypatch.setattr(ebpf.EbpfCapture, "poll", lambda self, ms: [])
    monkeypatch.setattr(ebpf.EbpfCapture, "trace_pid", lambda self, pid: order.append("traced"))
    try:
        tr = ebpf.EbpfTrace(["sh", "-c", "exit 3"])
        assert list(tr) == [] and tr.returncode == 3
        assert order == ["traced"]
    finally:
        for fd in held:
            os.close(fd)


def test_capture_family_comment_is_the_genl_dissectors():
    """A capture writes the genl family map without importing the dissector (the
    decoding stack costs seconds of start-up in the lab): the same text as its own."""
    from nlscope.capture.nlmon import family_map_comment
    from nlscope.dissectors.genl import genl_family_map_comment, parse_family_map_comment
    ids = {"nl80211": 35, "ethtool": 20, "devlink": 23, "wireguard": 41}
    assert family_map_comment(ids) == genl_family_map_comment(ids)
    assert parse_family_map_comment(family_map_comment(ids)) == ids


def test_ebpf_capture_start_imports_no_decoder():
    """`capture --ebpf -w` / `trace -w` import no dissector, registry or construct."""
    import subprocess
    import sys
    code = ("import sys; import nlscope.cli.main, nlscope.cli.capture, nlscope.cli.trace, "
            "nlscope.capture.ebpf, nlscope.capture.trace; "
            "from nlscope.capture.nlmon import family_map_comment; family_map_comment({'a': 1}); "
            "print(sorted(m for m in sys.modules if m.startswith(('nlscope.dissectors', "
            "'nlscope.decode', 'construct', 'dissectors'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def _ring_of(records: list[bytes | None], size: int = 1 << 14, start: int = 0,
             busy_last: bool = False):
    """A _Ring over anonymous memory laid out as the kernel's (kernel/bpf/ringbuf.c):
    consumer page, producer page, the data twice. None is a discarded record."""
    import mmap
    ring = ebpf._Ring.__new__(ebpf._Ring)
    page = mmap.PAGESIZE
    ring.page, ring.mask = page, size - 1
    ring.cons = mmap.mmap(-1, page)
    ring.data = mmap.mmap(-1, page + 2 * size)
    ring.view = memoryview(ring.data)
    pos = start
    struct.pack_into("Q", ring.cons, 0, start)
    for i, rec in enumerate(records):
        body = rec if rec is not None else b"\xee" * 24
        ln = len(body) | (ebpf._RB_DISCARD if rec is None else 0)
        if busy_last and i == len(records) - 1:
            ln |= ebpf._RB_BUSY
        blob = struct.pack("II", ln, 0) + body
        blob += b"\0" * (-len(blob) % 8)
        for base in (page, page + size):  # the data pages are mapped twice in a row
            at = base + (pos & ring.mask)
            n = min(len(blob), page + 2 * size - at)
            ring.data[at:at + n] = blob[:n]
        pos += len(blob)
    struct.pack_into("Q", ring.data, 0, pos)
    return ring, pos


def test_ring_read_in_place_skips_discarded_stops_at_busy_and_frees_room():
    msgs = [_message(40 + i) for i in range(5)]
    recs = [_record(i, m, len(m), 0) for i, m in enumerate(msgs)]
    ring, end = _ring_of([recs[0], None, recs[1], recs[2]], start=(1 << 14) - 64)  # wraps
    cap = ebpf.EbpfCapture(genl_map=False)
    assert ring.consume(cap._sample) == 3
    assert [f.raw[16:] for f in cap._ready] == msgs[:3]
    assert struct.unpack_from("Q", ring.cons, 0)[0] == end
    # a record not committed yet (BUSY) stops the read there, its room kept
    ring, end = _ring_of([recs[3], recs[4]], busy_last=True)
    cap = ebpf.EbpfCapture(genl_map=False)
    assert ring.consume(cap._sample) == 1 and [f.raw[16:] for f in cap._ready] == msgs[3:4]
    first = (8 + len(recs[3]) + 7) & ~7
    assert struct.unpack_from("Q", ring.cons, 0)[0] == first < end


def test_bulk_records_write_the_same_pcapng_as_frames():
    """batches() hands the writer (ts, proto, raw, orig, options) records: the file is
    byte for byte what writing the Frames of the same ring records makes."""
    big = _message(2 * ebpf.CHUNK + 7)
    recs = [_record(1, _message(40), 40, 0),
            _record(2, _message(60), 60, 0, direction=1, pid=0, comm=b""),
            _record(3, big[:ebpf.CHUNK], len(big), 0, proto=0, comm=b"ip"),
            _record(4, _message(20), 20, 0, portid=9, comm=b"x" * 16),
            _record(3, big[ebpf.CHUNK:2 * ebpf.CHUNK], len(big), ebpf.CHUNK, proto=0, comm=b"ip"),
            _record(3, big[2 * ebpf.CHUNK:], len(big), 2 * ebpf.CHUNK, proto=0, comm=b"ip")]
    outs = []
    for bulk in (False, True):
        cap = ebpf.EbpfCapture(genl_map=False)
        cap._start_owners = {(4026531840, 777): (99, "owner")}
        cap._bulk = bulk
        for r in recs:
            _feed(cap, r)
        f = io.BytesIO()
        w = PcapngWriter(f, ifname="ebpf")
        if bulk:
            assert all(len(r) == 5 for r in cap._ready)
            w.write_records(cap._ready)
        else:
            for fr in cap._ready:
                w.write(fr)
        outs.append(f.getvalue())
        assert cap.tally == {(4242, "out"): 3, (99, "in"): 1}
    assert outs[0] == outs[1]
    frames = list(CaptureReader(io.BytesIO(outs[1])))
    assert [(f.pid, f.comm, f.direction) for f in frames] == [
        (4242, "rtmgrctl", "out"), (99, "owner", "in"), (4242, "x" * 16, "out"),
        (4242, "ip", "out")]
    assert bytes(frames[-1].payload) == big
