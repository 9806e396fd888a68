"""The command line as a user drives it: real processes, real files."""
from __future__ import annotations

import json
import os
import pty
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from fixtures.make_fixtures import cooked, nla, nlmsg, pcap

NLSCOPE = [sys.executable, "-m", "nlscope"]


def run(*args, **kw):
    return subprocess.run([*NLSCOPE, *map(str, args)], capture_output=True, text=True, cwd=ROOT, **kw)


def test_read_prints_one_line_per_message():
    r = run("read", FIXTURES / "golden.pcapng")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["No.", "Time", "Family", "Type"]
    assert len(lines) == 1 + 13
    first = lines[1].split()
    assert first[:7] == ["1", "0.000000000", "route", "RTM_GETLINK", "REQUEST,DUMP", "1001", "0"]
    assert first[7] == "32"
    assert "error -101 ENETUNREACH" in lines[6]
    assert "EN10MB" in r.stderr  # the skipped foreign frame is reported


def test_count_verbose_and_hex():
    r = run("read", FIXTURES / "golden.pcapng", "-c", "2", "-V", "-x")
    assert r.returncode == 0
    assert r.stdout.count("Message ") == 2
    assert "nlmsg_flags: 0x301 REQUEST,DUMP" in r.stdout
    assert "0010  20 00 00 00 12 00 01 03 e9 03 00 00 00 00 00 00" in r.stdout  # frame offsets


def test_time_formats():
    r = run("read", FIXTURES / "golden.pcapng", "-c", "1", "-t", "e")
    assert "1700000000.000000000" in r.stdout
    r = run("read", FIXTURES / "golden.pcapng", "-c", "1", "-t", "a")
    assert "22:13:20.000000" in r.stdout


@pytest.mark.parametrize("args,needle", [
    (["read", "nope.pcap"], "nope.pcap: No such file or directory"),
    (["read", FIXTURES / "not-a-capture.txt"], "not a pcap or pcapng file"),
    (["export", FIXTURES / "ethernet.pcap"], "link type EN10MB is not netlink"),
    (["read", FIXTURES / "golden.pcapng", "--dissector", "missing.py"], "no such dissector file"),
])
def test_errors_are_one_line_and_nonzero(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and needle in r.stderr
    assert "Traceback" not in r.stderr


def test_pcapng_of_only_foreign_frames_is_an_error(tmp_path):
    from fixtures.make_fixtures import _blk, _epb  # noqa: PLC2701
    e = "<"
    data = _blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1), e)
    data += _blk(1, struct.pack("<HHI", 1, 0, 0), e) + _epb(0, 0, b"\xff" * 60, e)
    p = tmp_path / "eth.pcapng"
    p.write_bytes(data)
    r = run("read", p)
    assert r.returncode == 2 and "no netlink frames" in r.stderr


def test_truncated_capture_warns_and_keeps_every_whole_record():
    r = run("read", FIXTURES / "truncated.pcap")
    assert r.returncode == 0 and "truncated" in r.stderr
    assert len(r.stdout.splitlines()) == 1 + 12


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_export_formats(tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    r = run("export", FIXTURES / "malformed.pcap", "--format", fmt, "-o", out)
    assert r.returncode == 0 and r.stdout == ""
    text = out.read_text()
    objs = [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else json.loads(text)
    assert len(objs) == 10 and [o["number"] for o in objs] == list(range(1, 11))
    assert objs[0]["header"]["type"] == {"name": "RTM_NEWLINK", "value": 16}
    assert all(isinstance(o["raw"], str) for o in objs)


def test_export_to_stdout_and_pipe_has_no_progress_bar():
    r = run("export", FIXTURES / "golden.pcapng")
    assert len(r.stdout.splitlines()) == 13
    assert "exporting" not in r.stderr


def test_progress_bar_only_on_a_terminal(tmp_path):
    """With stderr on a pseudo-terminal and output to a file, a progress bar is drawn."""
    out = tmp_path / "o.jsonl"
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execv(sys.executable, [*NLSCOPE, "export", str(FIXTURES / "golden.pcapng"), "-o", str(out)])
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"exporting" in seen
    assert len(out.read_text().splitlines()) == 13


def test_write_pcap_then_read_back(tmp_path):
    out = tmp_path / "w.pcap"
    r = run("read", FIXTURES / "sll2.pcap", "-w", out, "-F", "pcap")
    assert r.returncode == 0
    again = run("read", out)
    assert [line.split()[2:] for line in again.stdout.splitlines()[1:]] == \
           [line.split()[2:] for line in run("read", FIXTURES / "sll2.pcap").stdout.splitlines()[1:]]


def test_broken_pipe_is_quiet():
    p = subprocess.Popen(f"{sys.executable} -m nlscope read {FIXTURES / 'golden.pcapng'} | head -2",
                         shell=True, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    assert len(out.splitlines()) == 2 and "Traceback" not in err


def test_dissector_plugin_from_file(tmp_path):
    """The README's worked example, loaded with --dissector, decodes its family."""
    body = struct.pack("<BxHI", 1, 2, 77) + nla(1, b"widget\0") + nla(2, bytes([192, 0, 2, 1])) + \
        nla(3, nla(1, b"") + nla(2, struct.pack("<I", 500)), nested=True)
    cap = tmp_path / "demo.pcap"
    cap.write_bytes(pcap([cooked(25) + nlmsg(16, 0x405, 9, 0, body)]))
    plain = run("read", cap)
    assert "UNKNOWN(16)" in plain.stdout
    r = run("export", cap, "--dissector", ROOT / "examples" / "demo_dissector.py")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["family"] == {"name": "demo", "value": 25}
    assert j["header"]["type"]["name"] == "DEMO_SET"
    assert j["header"]["flags"]["names"] == ["REQUEST", "ACK", "CREATE"]
    assert j["payload"]["demo_hdr"] == {"version": 1, "color": {"name": "BLUE", "value": 2}, "id": 77}
    assert j["payload"]["attributes"] == {"DEMO_A_NAME": "widget", "DEMO_A_ADDR": "192.0.2.1",
                                          "DEMO_A_OPTS": {"DEMO_OPT_VERBOSE": True, "DEMO_OPT_LIMIT": 500}}
    assert j["summary"] == "DEMO_SET widget color BLUE"


def test_dissector_plugin_from_entry_point(tmp_path, monkeypatch):
    """A plugin installed as a package with an nlscope.dissectors entry point is loaded."""
    site = tmp_path / "site"
    dist = site / "demo_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "demo_dissector.py", site / "demo_plugin.py")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[nlscope.dissectors]\ndemo = demo_plugin:register\n")
    cap = tmp_path / "demo.pcap"
    cap.write_bytes(pcap([cooked(25) + nlmsg(16, 0x5, 9, 0, struct.pack("<BxHI", 1, 0, 1) + nla(1, b"x\0"))]))
    env = dict(os.environ, PYTHONPATH=str(site))
    r = subprocess.run([*NLSCOPE, "read", str(cap)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert "DEMO_SET x color RED" in r.stdout, r.stderr


def test_console_script_installed():
    exe = Path(sys.executable).parent / "nlscope"
    assert exe.exists()
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert r.stdout.startswith("nlscope ")
