"""`export -j N`: worker processes decode parts of the file; the output must be the
same, byte for byte, as one process's, whatever the cut (chunks of a few messages
cut dumps, multi-part replies, open transactions and genl family learning in two)."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, SAMPLES

from nlscope.analysis.filter import compile_filter
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry
from nlscope.output.sinks import SinkOptions, get_sink
from nlscope.pipeline import Pipeline
from nlscope.workers import FirstPass, run_parallel

CAPTURES = sorted([*SAMPLES.glob("*.pcapng"), *SAMPLES.glob("kmod/*.pcapng"),
                   FIXTURES / "golden-be-section.pcapng", FIXTURES / "golden-le-us.pcap",
                   FIXTURES / "sll2.pcap", FIXTURES / "txn-hard.pcap", FIXTURES / "truncated.pcap"])


@pytest.fixture(scope="module")
def registry():
    return default_registry()


def _serial(path, registry, fmt, flt=None, count=None) -> str:
    out = io.StringIO()
    reader = CaptureReader(str(path))
    pipe = Pipeline(Decoder(registry), flt=flt, sinks=[get_sink(fmt)(out, SinkOptions())], count=count)
    with CaptureReader(str(path)) as first:
        pipe.look_ahead(first)
    pipe.run(reader)
    return out.getvalue()


def _parallel(path, registry, fmt, chunk, flt=None, count=None, jobs=2) -> tuple[str, int]:
    out = io.StringIO()
    seen, _ = run_parallel(str(path), registry, fmt=fmt, out=out, flt=flt, count=count, jobs=jobs,
                           chunk_messages=chunk,
                           make_sink=lambda o: get_sink(fmt)(o, SinkOptions()))
    return out.getvalue(), seen


def test_every_capture_is_cut_in_several_parts(registry):
    for path in CAPTURES:
        assert path.exists(), path  # committed: a missing one is a failure
        fp = FirstPass(str(path), registry, 1)
        for _ in fp.run():
            pass
        chunks = fp.chunks
        assert len(chunks) > 1, path
        # each part starts where a frame starts, numbered on from the previous part
        for a, b in zip(chunks, chunks[1:]):
            assert b.first_message == a.first_message + a.messages
            assert b.checkpoint["_pos"] == a.end_offset


def _record(store, tid: int) -> tuple:
    """Everything the store says of transaction `tid`."""
    from array import array
    k = tid - 1
    arrays = tuple(a[k] for name, a in sorted(vars(store).items())
                   if isinstance(a, array) and name != "txn")
    return arrays, store.text.get(tid), store.events.get(tid), store.notes.get(tid)


def test_a_chunk_is_handed_out_once_its_transactions_are_final(registry):
    """Workers start while the first pass goes on: a chunk is ready once every
    transaction its messages belong to has closed, and what the store says of those
    then is what it says at the end of the pass."""
    early = 0
    for path in CAPTURES:
        fp = FirstPass(str(path), registry, 3)
        seen: dict[int, list] = {}
        for _ in fp.run(step=1):
            for k in range(len(fp.chunks)):
                if k not in seen and fp.ready(k):
                    early += not fp.done
                    ch = fp.chunks[k]
                    ids = fp.store.txn[ch.first_message - 1:ch.first_message - 1 + ch.messages]
                    assert len(ids) == ch.messages
                    seen[k] = [(t, _record(fp.store, t)) for t in ids if t]
        assert sorted(seen) == list(range(len(fp.chunks))), path
        for k, recs in seen.items():
            assert recs and all(r == _record(fp.store, t) for t, r in recs), (path, k)
    assert early > 10  # many were ready before the pass ended


@pytest.mark.parametrize("fmt", ["jsonl", "json", "text", "verbose", "transactions"])
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_parts_join_into_the_serial_output(path, fmt, registry):
    want = _serial(path, registry, fmt)
    for chunk in (1, 3, 17) if fmt == "jsonl" else (3,):
        got, seen = _parallel(path, registry, fmt, chunk)
        assert got == want, (path, chunk)
    assert seen == want.count("\n") or fmt != "jsonl"


def test_filter_and_count_as_one_process(registry):
    path = SAMPLES / "mixed.pcapng"
    for text in ('txn.status == "error"', "type == NLMSG_ERROR", "family == route"):
        flt = compile_filter(text, registry)
        for fmt in ("jsonl", "json"):
            want = _serial(path, registry, fmt, flt=flt)
            assert want.strip() not in ("", "[\n]"), text
            assert _parallel(path, registry, fmt, 7, flt=flt)[0] == want
    nothing = compile_filter("seq == 4000000000", registry)
    assert _parallel(path, registry, "json", 7, flt=nothing)[0] == _serial(path, registry, "json", flt=nothing) == "[\n]\n"
    want = _serial(path, registry, "jsonl", count=50)
    got, seen = _parallel(path, registry, "jsonl", 7, count=50)
    assert got == want and seen == 50 and want.count("\n") == 50


def test_workers_are_other_processes(registry):
    """The parts are decoded by forked workers, not by the parent."""
    out = io.StringIO()
    parent = os.getpid()
    run_parallel(str(SAMPLES / "genl.pcapng"), registry, fmt="jsonl", out=out, jobs=2,
                 chunk_messages=50, make_sink=lambda o: _PidSink(o))
    worker_pids = {int(line) for line in out.getvalue().split()}
    assert worker_pids and parent not in worker_pids


class _PidSink:
    """Writes the pid of the process that writes (one line per message)."""
    first_ns = None
    needs_txn = per_txn = needs_members = binary = False

    def __init__(self, out):
        self.out = out

    def write(self, msg, txn):
        self.out.write(f"{os.getpid()}\n")

    def close(self):
        pass


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "nlscope", *args], capture_output=True, text=True)


def test_cli_read_jobs():
    path = str(SAMPLES / "mixed.pcapng")
    for opts in ([], ["-V"], ["-x", "-t", "a"], ["-Y", "attr.IFLA_IFNAME"], ["--transactions"]):
        one, two = _cli("read", path, "-j", "1", *opts), _cli("read", path, "-j", "2", *opts)
        assert one.returncode == two.returncode == 0 and one.stdout == two.stdout
        assert one.stdout.count("\n") > 20


def test_cli_jobs(tmp_path):
    path = str(SAMPLES / "genl.pcapng")
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    r1 = _cli("export", path, "--format", "json", "-j", "1", "-o", str(one))
    r2 = _cli("export", path, "--format", "json", "-j", "2", "-o", str(two))
    assert r1.returncode == r2.returncode == 0, r1.stderr + r2.stderr
    assert one.read_bytes() == two.read_bytes() and one.stat().st_size > 100_000
    r = _cli("export", path, "-j", "0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "-j" in r.stderr
    r = _cli("export", str(FIXTURES / "not-a-capture.txt"), "-j", "2")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    # -j on a pipe: read in order by one process (a stream cannot be cut), as -j 1
    outs = []
    for j in ("1", "2"):
        with open(path, "rb") as f:
            r = subprocess.run([sys.executable, "-m", "nlscope", "export", "-", "--format", "json",
                                "-j", j], stdin=f, capture_output=True)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 100_000
