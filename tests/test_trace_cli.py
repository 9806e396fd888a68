"""The capture/trace command pieces that need no nlmon: dumpcap-style conditions, the
output sinks (ring of files, stream, decoded lines), and the one-line errors. The live
paths themselves run in the VM (tests/vm/test_capture.py)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nlscope.cli.capture import (CaptureUsageError, DecodedSink, PcapngSink,
                                 autostop_check, parse_conditions, pump)
from nlscope.capture.frame import Frame
from nlscope.capture.pcapio import CaptureReader, cooked_header

ROOT = Path(__file__).resolve().parent.parent
NLSCOPE = [sys.executable, "-m", "nlscope"]


def _frame(i: int, direction: str | None = None, pid: int | None = None) -> Frame:
    # RTM_GETLINK request, then an NLMSG_ERROR ACK: route protocol
    if i % 2 == 0:
        msg = (32).to_bytes(4, "little") + (18).to_bytes(2, "little") + (1).to_bytes(2, "little") \
            + i.to_bytes(4, "little") + bytes(4) + bytes(16)
    else:
        msg = (36).to_bytes(4, "little") + (2).to_bytes(2, "little") + (0x100).to_bytes(2, "little") \
            + (i - 1).to_bytes(4, "little") + (77).to_bytes(4, "little") + bytes(4) \
            + (32).to_bytes(4, "little") + (18).to_bytes(2, "little") + (1).to_bytes(2, "little") \
            + (i - 1).to_bytes(4, "little") + bytes(4)
    raw = cooked_header(0) + msg
    return Frame(number=0, ts_ns=1_700_000_000_000_000_000 + i * 1000, protocol=0, raw=raw,
                 orig_len=len(raw), direction=direction, pid=pid, comm="ip" if pid else None)


def test_conditions_parse_like_dumpcap():
    assert parse_conditions(["duration:10"], "-a", {"duration", "filesize"}) == {"duration": 10}
    assert parse_conditions(["filesize:100,files:3", "duration:2"], "-b",
                            {"filesize", "files", "duration"}) == \
        {"filesize": 100, "files": 3, "duration": 2}
    for bad in (["duration"], ["size:3"], ["duration:x"], ["files:0"]):
        with pytest.raises(CaptureUsageError):
            parse_conditions(bad, "-a", {"duration", "files"})


def test_ring_of_files_keeps_the_last_n(tmp_path):
    sink = PcapngSink(str(tmp_path / "cap.pcapng"), ["nlscope-genl-families: {}"], "nlmon0",
                      ring={"filesize": 1, "files": 2})  # 1 kB per file (dumpcap's unit)
    frames = [_frame(i) for i in range(200)]
    for fr in frames:
        sink.write(fr)
    sink.close()
    files = sorted(tmp_path.glob("cap_*.pcapng"))
    assert len(files) == 2 and sink.file_no > 2
    assert [f.name for f in files] == sorted(Path(f).name for f in sink.files)
    assert all(f.name.startswith("cap_0") and f.suffix == ".pcapng" for f in files)
    got = []
    for f in files:
        reader = CaptureReader(f)
        got += list(reader)
        assert reader.section_comments == ["nlscope-genl-families: {}"]  # in every file
        assert not reader.warnings
    assert [g.raw for g in got] == [f.raw for f in frames[-len(got):]]


def test_autostop_filesize_and_files(tmp_path):
    sink = PcapngSink(str(tmp_path / "one.pcapng"), [], "nlmon0")
    done = autostop_check({"filesize": 2}, sink)
    n = pump((_frame(i) for i in range(10_000)), sink, None, done)
    sink.close()
    assert 2000 <= (tmp_path / "one.pcapng").stat().st_size < 2200 and n < 10_000
    sink = PcapngSink(str(tmp_path / "r.pcapng"), [], "nlmon0", ring={"filesize": 1})
    done = autostop_check({"files": 3}, sink)
    pump((_frame(i) for i in range(10_000)), sink, None, done)
    sink.close()
    assert len(list(tmp_path.glob("r_*.pcapng"))) == 4  # stops as the 4th file starts


def test_stream_sink_flushes_at_idle():
    class Spy(io.BytesIO):
        flushes = 0

        def flush(self):
            Spy.flushes += 1

    out = Spy()
    sink = PcapngSink("-", [], "nlmon0", stream=out)
    sink.write(_frame(0))
    before = Spy.flushes
    sink.flush()  # what the capture calls when no frame is waiting
    assert Spy.flushes == before + 1
    out.seek(0)
    assert len(list(CaptureReader(out))) == 1


def test_decoded_sink_lines_and_jsonl():
    out = io.StringIO()
    sink = DecodedSink(out, "text", [], [], process_column=True)
    sink.write(_frame(0, "out", 42))
    sink.write(_frame(1, "in", 42))
    sink.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Dir Process")
    assert lines[1].startswith("->  ip[42]") and "RTM_GETLINK" in lines[1]
    assert lines[2].startswith("<-  ip[42]") and "NLMSG_ERROR" in lines[2]
    out = io.StringIO()
    sink = DecodedSink(out, "jsonl", [], [])
    sink.write(_frame(0, "out", 42))
    sink.close()
    (obj,) = [json.loads(ln) for ln in out.getvalue().splitlines()]
    assert obj["pid"] == 42 and obj["comm"] == "ip" and obj["direction"] == "out"
    assert obj["header"]["type"]["name"] == "RTM_GETLINK"


def _run(*args: str, user: bool = False) -> subprocess.CompletedProcess:
    cmd = [*NLSCOPE, *args]
    if user:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("args, text", [
    (("capture", "-b", "files:2", "-w", "x.pcapng"), "needs filesize"),
    (("capture", "-b", "filesize:10", "-w", "-"), "-b needs -w FILE"),
    (("capture", "-a", "bogus:1"), "-a"),
    (("capture", "-w", "x.pcapng", "--format", "jsonl"), "drop -w"),
    (("read",), "no capture FILE"),
    (("read", "x.pcap", "-i", "nlmon0"), "not both"),
])
def test_usage_errors_are_one_line(args, text, tmp_path):
    r = _run(*args)
    assert r.returncode == 2
    assert r.stderr.startswith("nlscope: error:") and text in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert not (ROOT / "x.pcapng").exists()


def test_capture_without_nlmon_or_privileges_is_one_line():
    """This host: a kernel without nlmon (as root), or no capabilities (as nobody)."""
    r = _run("capture", "-c", "1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("nlscope: error:")
    if os.geteuid() == 0 and subprocess.run(["which", "setpriv"], capture_output=True).returncode == 0:
        r = _run("capture", "-c", "1", user=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "CAP_NET_ADMIN" in r.stderr and "sudo" in r.stderr


def test_missing_netns_is_one_line():
    r = _run("capture", "--netns", "no-such-ns-here")
    assert r.returncode == 2 and "no network namespace" in r.stderr
    assert r.stderr.count("\n") == 1


def test_help_lists_capture_and_trace():
    r = _run("--help")
    assert "capture" in r.stdout and "trace" in r.stdout
    r = _run("capture", "--help")
    assert "-w FILE" in r.stdout and "--netns" in r.stdout and "--capture-mode" not in r.stdout


def test_stream_command_for_an_unprivileged_reader():
    from nlscope.capture.nlmon import stream_command
    argv = stream_command("nlmon1", netns="lab", sudo=True, python="/venv/bin/python")
    assert argv == ["sudo", "--", "/venv/bin/python", "-m", "nlscope", "capture", "-i",
                    "nlmon1", "-w", "-", "--netns", "lab"]
    assert stream_command(sudo=False)[0] == sys.executable
