"""The trace source: the strace output parser on recorded output (no VM, no strace
needed), the pcapng round trip of pid/comm/direction, a pcapng stream read from a pipe,
and `nlscope trace` run for real on this host (strace + the host kernel's netlink)."""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nlscope.capture.ebpf import parse_socket_comment
from nlscope.capture.frame import Frame
from nlscope.capture.pcapio import CaptureReader, PcapngWriter, cooked_header, parse_process_comment
from nlscope.capture.trace import StraceParser, split_args, unescape

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "tests" / "fixtures" / "trace"
NLSCOPE = [sys.executable, "-m", "nlscope"]


def _client():
    truth = json.loads((TRACE / "client.json").read_text())
    frames = list(StraceParser().parse((TRACE / "client.strace").read_text().splitlines()))
    return truth, frames


def _seq(raw: bytes) -> int:
    return struct.unpack_from("=I", raw, 16 + 8)[0]


# -- the parser on a recorded trace ------------------------------------------------------

def test_recorded_client_every_message_exactly_once():
    """sendmsg with 2 iovecs, recvmsg into 2 buffers, MSG_PEEK (skipped), MSG_TRUNC,
    read/write, readv/writev, sendmmsg/recvmmsg, an unbound genl socket: the frames
    are exactly what the client itself recorded having sent and received."""
    truth, frames = _client()
    got = sorted((f.direction, f.protocol, f.raw[16:].hex(), f.orig_len - 16) for f in frames)
    want = sorted(tuple(t[:4]) for t in truth["truth"])
    assert got == want
    assert len(frames) == len(truth["truth"]) == 25


def test_recorded_client_order_per_direction():
    truth, frames = _client()
    for d in ("out", "in"):
        assert [f.raw[16:].hex() for f in frames if f.direction == d] == \
               [t[2] for t in truth["truth"] if t[0] == d]


def test_replies_never_precede_their_request():
    _, frames = _client()
    sent: set[int] = set()
    for f in frames:
        if f.direction == "out":
            sent.add(_seq(f.raw))
        else:
            assert _seq(f.raw) in sent, f"reply seq {_seq(f.raw)} before its request"
    assert [f.ts_ns for f in frames] == sorted(f.ts_ns for f in frames)


def test_threads_map_to_their_process_and_comm():
    truth, frames = _client()
    tids = {t[4] for t in truth["truth"]}
    assert len(tids) == 2  # the client really used a second thread
    assert {f.pid for f in frames} == {truth["pid"]}
    assert {f.comm for f in frames} == {"python3"}


def test_truncated_receive_keeps_buffer_and_true_length():
    _, frames = _client()
    cut = [f for f in frames if f.truncated]
    assert len(cut) == 1
    assert len(cut[0].raw) - 16 == 64 and cut[0].orig_len - 16 > 64


def test_protocols_from_annotation_and_from_socket_inode():
    """The genl socket is used unbound first (-yy shows only its inode)."""
    text = (TRACE / "client.strace").read_text()
    assert "sendto(4<NETLINK:[1" in text  # inode form, not GENERIC:...
    _, frames = _client()
    assert {f.protocol for f in frames} == {0, 16}
    genl = [f for f in frames if f.protocol == 16]
    assert genl[0].direction == "out" and len(genl) == 3


# -- the parser on crafted lines ---------------------------------------------------------

def _dump(data: bytes) -> list[str]:
    out = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        hx = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hx += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f" | {off:05x}  {hx:<49} {asc:<16} |")
    return out


def _msg(mtype: int, flags: int, seq: int, body: bytes = b"") -> bytes:
    return struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body


C = r"<\x72\x74\x6d\x67\x72\x63\x74\x6c>"  # -Y comm "rtmgrctl", escaped by -xx


def test_send_still_in_kernel_holds_back_the_reply():
    """Thread 11 is inside sendmsg when thread 12's recvmsg returns the reply: the
    reply comes out after the request, whatever the line order."""
    req, rep = _msg(20, 5, 7, b"hi\0\0"), _msg(20, 0, 7, b"Hello\0\0\0")
    lines = [
        f"10{C} 100.000000001 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, 31) = 3<NETLINK:[555]>",
        f"10{C} 100.000000002 clone3({{flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
        f"CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0}} => {{parent_tid=[11{C}]}}, 88) = 11{C}",
        f"10{C} 100.000000003 clone3({{flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
        f"CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0}} <unfinished ...>",
        f"11{C} 100.000000004 sendmsg(3<NETLINK:[31]>, 0x7ffd0000, 0 <unfinished ...>",
        f"10{C} 100.000000005 <... clone3 resumed> => {{parent_tid=[12{C}]}}, 88) = 12{C}",
        f"12{C} 100.000000006 recvmsg(3<NETLINK:[31]>, 0x7ffe0000, 0) = {len(rep)}",
        f" * {len(rep)} bytes in buffer 0", *_dump(rep),
        f"11{C} 100.000000007 <... sendmsg resumed>) = {len(req)}",
        f" * {len(req)} bytes in buffer 0", *_dump(req),
        f"10{C} 100.000000008 +++ exited with 0 +++",
    ]
    p = StraceParser()
    frames = list(p.parse(lines))
    assert [(f.direction, f.raw[16:]) for f in frames] == [("out", req), ("in", rep)]
    assert {f.pid for f in frames} == {10} and {f.comm for f in frames} == {"rtmgrctl"}
    assert {f.protocol for f in frames} == {31}
    assert frames[0].raw[:16] == cooked_header(31)
    assert not p.warnings


def test_unnamed_protocol_bound_socket_and_fd_reuse():
    """strace prints a bound socket of a protocol it has no name for as NETLINK:[31];
    a later socket() on the same fd number with another protocol wins."""
    m = _msg(20, 1, 1)
    lines = [
        f"5 1.000000000 socket(AF_NETLINK, SOCK_RAW, 31) = 3<NETLINK:[90001]>",
        f"5 1.000000001 sendto(3<NETLINK:[31]>, \"\"..., {len(m)}, 0, NULL, 0) = {len(m)}",
        *_dump(m),
        f"5 1.000000002 socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC) = 3<NETLINK:[90002]>",
        f"5 1.000000003 sendto(3<NETLINK:[90002]>, \"\"..., {len(m)}, 0, NULL, 0) = {len(m)}",
        *_dump(m),
    ]
    frames = list(StraceParser().parse(lines))
    assert [f.protocol for f in frames] == [31, 16]


def test_failed_killed_and_foreign_calls_make_no_frames():
    m = _msg(16, 1, 1)
    lines = [
        "5 1.000000000 recvmsg(3<NETLINK:[ROUTE:5]>, 0x1, MSG_DONTWAIT) = -1 EAGAIN "
        "(Resource temporarily unavailable)",
        "5 1.000000001 recvmsg(3<NETLINK:[ROUTE:5]>, 0x1, 0 <unfinished ...>",
        "5 1.000000002 <... recvmsg resumed> <unfinished ...>) = ?",
        "5 1.000000003 +++ killed by SIGKILL +++",
        f"6 1.000000004 sendto(4<TCP:[1.2.3.4:5->6.7.8.9:10]>, \"\"..., {len(m)}, 0, NULL, 0) = {len(m)}",
        *_dump(m),
        f"6 1.000000005 write(1<\\x2f\\x64\\x65\\x76\\x2f\\x6e\\x75\\x6c\\x6c>, \"\"..., 3) = 3",
        " | 00000  61 62 63                                          abc              |",
        "6 1.000000006 recvfrom(3<NETLINK:[ROUTE:6]>, NULL, 0, MSG_PEEK|MSG_TRUNC, NULL, NULL) = 900",
    ]
    p = StraceParser()
    assert list(p.parse(lines)) == []
    assert p.stats.peeks == 1
    assert not p.warnings


def test_short_buffer_dump_is_cut_to_the_buffer():
    """strace dumps `ret` bytes of a recvfrom even past a shorter buffer."""
    m = _msg(16, 2, 3, bytes(range(48)))
    lines = [f"7 2.0 recvfrom(3<NETLINK:[ROUTE:7]>, \"\"..., 20, MSG_TRUNC, NULL, NULL) = {len(m)}",
             *_dump(m)]
    (f,) = StraceParser().parse(lines)
    assert f.raw[16:] == m[:20] and f.orig_len == 16 + len(m)


def test_garbage_is_a_warning_not_an_exception():
    p = StraceParser()
    out = list(p.parse(["what is this", " | zz", "5 1.0 sendto(3<NETLINK:[ROUTE:5]>, \"\"..., 4, 0, "
                        "NULL, 0) = 4", " | 00000  zz zz"]))
    assert out == [] or all(isinstance(f, Frame) for f in out)
    assert p.warnings


def test_helpers():
    assert unescape(r"\x69\x70") == "ip"
    assert unescape("plain") == "plain"
    assert split_args('3<NETLINK:[ROUTE:1]>, {a=1, b=[2, 3]}, "x,\\"y", 0') == \
        ["3<NETLINK:[ROUTE:1]>", "{a=1, b=[2, 3]}", '"x,\\"y"', "0"]


# -- pcapng: pid/comm/direction survive a file -------------------------------------------

def test_pcapng_keeps_process_and_direction(tmp_path):
    _, frames = _client()
    path = tmp_path / "t.pcapng"
    with open(path, "wb") as f:
        w = PcapngWriter(f, ifname="trace")
        for fr in frames:
            w.write(fr)
    back = list(CaptureReader(path))
    assert [(b.pid, b.comm, b.direction, b.protocol, b.raw, b.comment) for b in back] == \
           [(f.pid, f.comm, f.direction, f.protocol, f.raw, f.comment) for f in frames]
    # the socket (strace -yy's port id of a bound socket; no netns) for the pairing
    socks = {parse_socket_comment(b.comment) for b in back if b.direction == "in"}
    assert len(socks) == 1 and next(iter(socks))[0] == 0 and next(iter(socks))[1] > 0
    assert parse_process_comment("pid=12 comm=a b") == (12, "a b")
    assert parse_process_comment("pid=12") == (12, None)
    assert parse_process_comment("hello") is None


@pytest.mark.tshark
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_reads_trace_pcapng(tmp_path):
    _, frames = _client()
    path = tmp_path / "t.pcapng"
    with open(path, "wb") as f:
        w = PcapngWriter(f, ifname="trace")
        for fr in frames:
            w.write(fr)
    r = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.comment",
                        "-e", "frame.p2p_dir", "-e", "netlink.hdr_type"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [ln.split("\t") for ln in r.stdout.splitlines()]
    assert len(rows) == len(frames)
    assert all(row[0].split(",")[-1] == f"pid={fr.pid} comm=python3"
               for row, fr in zip(rows, frames))
    # EPB direction flags: tshark's p2p_dir 0 = sent (outbound), 1 = received
    assert [row[1] for row in rows] == [{"out": "0", "in": "1"}[f.direction] for f in frames]


# -- a pcapng stream from a pipe (the TUI reading a root capture) ------------------------

def test_capture_reader_reads_a_growing_pipe():
    _, frames = _client()
    rfd, wfd = os.pipe()
    got: list[tuple[float, Frame]] = []

    def reader():
        with os.fdopen(rfd, "rb") as f:
            for fr in CaptureReader(f):
                got.append((time.monotonic(), fr))

    t = threading.Thread(target=reader)
    t.start()
    with os.fdopen(wfd, "wb") as w:
        pw = PcapngWriter(w, comments=["hello"], ifname="nlmon0")
        pw.write(frames[0])
        w.flush()
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(got) == 1, "first frame not delivered while the stream stays open"
        sent_rest = time.monotonic()
        for fr in frames[1:]:
            pw.write(fr)
    t.join(10)
    assert [g[1].raw for g in got] == [f.raw for f in frames]
    assert got[1][0] >= sent_rest


def test_capture_reader_stream_errors_are_clean():
    from nlscope.capture.pcapio import CaptureError
    with pytest.raises(CaptureError, match="not a pcap"):
        CaptureReader(io.BytesIO(b"hello world"))
    with pytest.raises(CaptureError, match="only 2 bytes"):
        CaptureReader(io.BytesIO(b"\n\r"))


# -- the real thing on this host ---------------------------------------------------------

needs_strace = pytest.mark.skipif(shutil.which("strace") is None or shutil.which("ip") is None,
                                  reason="strace or ip not installed")


def _ptrace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    r = subprocess.run(["strace", "-o", "/dev/null", "true"], capture_output=True)
    return r.returncode == 0


@needs_strace
def test_trace_ip_link_show_on_this_host(tmp_path):
    if not _ptrace_works():
        pytest.skip("ptrace is not permitted here")
    out = tmp_path / "ip.pcapng"
    r = subprocess.run([*NLSCOPE, "trace", "-w", str(out), "--", "ip", "-d", "link", "show"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "lo:" in r.stdout  # with -w FILE the command keeps its stdout
    assert "frames (" in r.stderr
    frames = list(CaptureReader(out))
    assert frames and {f.comm for f in frames} == {"ip"}
    assert len({f.pid for f in frames}) == 1
    assert {f.direction for f in frames} == {"out", "in"}
    assert {f.protocol for f in frames} == {0}
    # decoded: the dump request out, link messages in, NLMSG_DONE
    r = subprocess.run([*NLSCOPE, "export", str(out)], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    msgs = [json.loads(ln) for ln in r.stdout.splitlines()]
    types = [(m["direction"], m["header"]["type"]["name"]) for m in msgs]
    assert ("out", "RTM_GETLINK") in types
    assert ("in", "RTM_NEWLINK") in types and ("in", "NLMSG_DONE") in types
    assert all(m["comm"] == "ip" and m["pid"] == frames[0].pid for m in msgs)
    lo = [m for m in msgs if m["header"]["type"]["name"] == "RTM_NEWLINK"
          and m["payload"].get("attributes", {}).get("IFLA_IFNAME") == "lo"]
    assert lo


@needs_strace
def test_trace_jsonl_streams_and_exit_status(tmp_path):
    if not _ptrace_works():
        pytest.skip("ptrace is not permitted here")
    r = subprocess.run([*NLSCOPE, "trace", "--format", "jsonl", "--", "sh", "-c",
                        "ip link show dev lo >/dev/null; exit 3"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 3, r.stderr
    msgs = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert msgs and all(m["comm"] == "ip" for m in msgs)
    assert msgs[0]["direction"] == "out"


def test_trace_usage_errors():
    r = subprocess.run([*NLSCOPE, "trace"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "nothing to trace" in r.stderr
