"""The one pipeline as users meet it: the public API, streaming through a pipe, and
the same messages whatever the sink."""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import pytest
from conftest import FIXTURES, SAMPLES

import nlscope
from nlscope.capture.pcapio import CaptureReader, PcapngWriter

GOLDEN = FIXTURES / "golden.pcapng"


def _cli(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "nlscope", *args], capture_output=True, text=True,
                          check=True).stdout


def _only_pairing_decoded(msgs) -> bool:
    """Pairing decodes an error that carries an extended ACK (its text and offset) and,
    for an offset into a capped echo, the request it points into; a family that learns
    from its messages as they come (the usersock heuristic) decodes them in order;
    nothing else."""
    def needed(m):
        if m.decoder.registry.get(m.protocol).learns_anything():
            return True
        if m.type in (2, 3) and m.flags & 0x200:
            return True
        t = m.transaction
        return t is not None and m is t.request and t.end is not None and bool(
            by_number[t.end].flags & 0x200)
    by_number = {m.number: m for m in msgs}
    return all(needed(m) for m in msgs if m.decoded)


def test_open_yields_lazy_messages_with_final_transactions():
    msgs = list(nlscope.open(str(GOLDEN)))
    assert msgs and _only_pairing_decoded(msgs)  # nothing else decoded until asked
    assert sum(not m.decoded for m in msgs) > len(msgs) // 2
    exported = [json.loads(line) for line in _cli("export", str(GOLDEN)).splitlines()]
    assert [m.to_json() for m in msgs] == exported  # the same records as the CLI export
    assert all(m.decoded for m in msgs)
    err = next(m for m in msgs if m.type_name == "NLMSG_ERROR" and m.error_code)
    assert err.transaction.status == "error" and err.transaction.request is not None


def test_open_with_a_header_only_filter_decodes_nothing():
    msgs = list(nlscope.open(str(GOLDEN), filter="type == NLMSG_ERROR"))
    assert msgs and all(m.type == 2 for m in msgs)
    assert _only_pairing_decoded(msgs) and any(not m.decoded for m in msgs)
    # the text lines of the same filter name the same messages
    lines = _cli("read", "-Y", "type == NLMSG_ERROR", str(GOLDEN)).splitlines()[1:]
    assert [int(line.split()[0]) for line in lines] == [m.number for m in msgs]


def test_open_takes_a_binary_stream():
    with open(SAMPLES / "mixed.pcapng", "rb") as f:
        a = [(m.number, m.summary) for m in nlscope.open(f)]
    b = [(m.number, m.summary) for m in nlscope.open(str(SAMPLES / "mixed.pcapng"))]
    assert a == b and len(a) == 249


def _read_line(proc, deadline: float) -> str:
    """One line of the child's stdout; fails the test when none comes by the deadline."""
    buf = b""
    fd = proc.stdout.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no complete line from `nlscope read -` (got {buf!r})")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            ch = os.read(fd, 1)
            if not ch:
                pytest.fail(f"nlscope read - ended early (got {buf!r})")
            buf += ch
    return buf.decode()


def test_read_from_a_pipe_prints_each_message_before_the_next_frame_comes(tmp_path):
    frames = list(CaptureReader(str(SAMPLES / "mixed.pcapng")))[:40]
    comments = CaptureReader(str(SAMPLES / "mixed.pcapng")).section_comments
    proc = subprocess.Popen([sys.executable, "-m", "nlscope", "read", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        class W:
            def write(self, b):
                proc.stdin.write(b)
        w = PcapngWriter(W(), comments=comments)
        proc.stdin.flush()
        deadline = time.monotonic() + 120
        assert "Info" in _read_line(proc, deadline)  # the column header
        from nlscope.decode.decoder import scan_frame
        n = 0
        for fr in frames:
            w.write(fr)
            proc.stdin.flush()
            # every message of this frame is printed while the pipe stays open and
            # before the next frame is written
            for _ in scan_frame(fr):
                n += 1
                line = _read_line(proc, time.monotonic() + 120)
                assert int(line.split()[0]) == n
        proc.stdin.close()
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert n > 40  # frames with several messages were part of it


# What a sink or filter can read of a transaction, beside its JSON
_TXN_FIELDS = ("id", "kind", "protocol", "family", "seq", "portid", "pid", "comm", "dump", "want_ack",
               "want_echo", "want_reply", "multipart", "replies", "first_answer", "first_ts",
               "last_answer", "last_ts", "end", "end_type", "status", "errno", "errno_name", "extack",
               "error_attr", "events", "caused_by", "cause_id", "closed_by", "notifying", "size",
               "zero_portid", "note", "said_note", "expects", "type_name", "number", "latency_ns")


def _txn_view(m, t):
    if t is None:
        return None
    return ({k: getattr(t, k) for k in _TXN_FIELDS}, list(t.numbers), t.role_of(m),
            t.describe(), None if t.request is None else t.request.number,
            None if m.request is None else m.request.number)


def _pipe_pairs(path, lookahead: bool, sink_members: bool = False):
    """(message JSON, read frames when it came out, frame number, what its transaction
    says) through a final pipeline."""
    from nlscope.decode.decoder import Decoder
    from nlscope.decode.registry import default_registry
    from nlscope.pipeline import Pipeline
    pipe = Pipeline(Decoder(default_registry()), final=True)
    if lookahead:
        pipe.look_ahead(CaptureReader(str(path)))
    read = 0

    def frames():
        nonlocal read
        for fr in CaptureReader(str(path)):
            read += 1
            yield fr
    return [(m.to_json(t), read, m.frame.number, _txn_view(m, t)) for m, t in pipe.pairs(frames())]


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.pcapng")) + sorted(SAMPLES.glob("kmod/*.pcapng"))
                         + [FIXTURES / n for n in ("golden.pcapng", "txn-hard.pcap", "txn-expire.pcap",
                                                   "txn-tc.pcap")], ids=lambda p: p.name)
def test_a_first_pass_gives_the_same_transactions_without_holding_messages_back(path):
    """Look-ahead for files (as tshark -2): the same records as waiting for each
    transaction's end, but every message goes out as soon as its frame is read."""
    waited = _pipe_pairs(path, lookahead=False)
    ahead = _pipe_pairs(path, lookahead=True)
    assert [j for j, _, _, _ in ahead] == [j for j, _, _, _ in waited]
    assert all(read == frame for _, read, frame, _ in ahead)  # nothing held back
    assert any(read > frame for _, read, frame, _ in waited) or len(waited) < 3
    # the transaction each message goes with, as far as anyone can look: the same,
    # but for the members it has so far (all of them, once it waited for its end)
    for (_, _, _, a), (_, _, _, w) in zip(ahead, waited):
        assert (a is None) == (w is None)
        if a is not None:
            assert a[0] == w[0] and a[2:] == w[2:]
            assert a[1] == w[1][:len(a[1])] and a[1][-1] <= max(w[1])


def test_the_second_pass_pairs_nothing_again(monkeypatch):
    """The first pass keeps each message's transaction: the second, which writes,
    gives it by the message's number, with no Tracker."""
    from nlscope.analysis.transactions import Tracker
    from nlscope.decode.decoder import Decoder
    from nlscope.decode.registry import default_registry
    from nlscope.pipeline import Pipeline
    path = str(FIXTURES / "txn-hard.pcap")
    waited = _pipe_pairs(path, lookahead=False)
    pipe = Pipeline(Decoder(default_registry()), final=True)
    pipe.look_ahead(CaptureReader(path))

    def no_pairing(self, msg):
        raise AssertionError("paired again")
    monkeypatch.setattr(Tracker, "feed", no_pairing)
    ahead = [(m.to_json(t), _txn_view(m, t)) for m, t in pipe.pairs(CaptureReader(path))]
    assert [j for j, _ in ahead] == [j for j, _, _, _ in waited]
    assert any(v is not None and v[0]["kind"] == "event" for _, v in ahead)
    assert any(v is not None and v[0]["status"] == "error" for _, v in ahead)


@pytest.mark.parametrize("argv", [
    ["read"], ["read", "-V"], ["read", "--transactions"], ["export", "--format", "jsonl", "-j", "1"],
    ["read", "-Y", "attr.IFLA_IFNAME"], ["stats"],
])
def test_messages_are_freed_by_their_reference_count(argv, capsys):
    """Every command lets go of each message as soon as it is written: no message, tree
    or transaction is left in a reference cycle for the garbage collector (which
    then ran every few hundred messages and cost ~11% of `read`)."""
    import gc

    from nlscope.cli.main import main
    from nlscope.decode.model import Field, Message
    from nlscope.analysis.transactions import Transaction
    sample = str(SAMPLES / "iproute2.pcapng")
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        main([*argv, sample])
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, (Message, Field, Transaction))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    out = capsys.readouterr().out
    assert len(out.splitlines()) > 10  # it did write the capture's messages
    assert left == []
