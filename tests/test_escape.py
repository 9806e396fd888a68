"""Terminal escape injection (issue 12, item 4): strings from a capture never reach a
terminal raw. A crafted capture puts ESC sequences, CR/LF, C1, a bidi override and Rich
markup into an interface name, an extended ACK message, an EPB comment and a process
name; every text output prints them escaped, as tshark does."""
from __future__ import annotations

import asyncio
import json
import re
import struct
import subprocess
import sys

import pytest
from conftest import ROOT
from fixtures.make_fixtures import cooked, ifinfomsg, nla, nlmsg

from nlscope.capture.frame import Frame
from nlscope.capture.pcapio import PcapngWriter
from nlscope.escape import escape

NLSCOPE = [sys.executable, "-m", "nlscope"]

IFNAME = "ev\x1b[2J\x1b]0;pwned\x07il\r\nFORGED LINE\t[bold]x[/bold]\u202eRTL\x9b31m"
EXTACK = "bad\x1b[31mred\x1b[0m\nsecond line"
COMMENT = "note\x1b[2Jcleared"
COMM = "ip\x1b[1mX[/i]"  # a closing tag: Rich markup would raise on it


def _capture(path) -> None:
    getlink = nlmsg(18, 0x5, 77, 0, ifinfomsg(0))  # REQUEST|ACK
    newlink = nlmsg(16, 0x0, 77, 4242, ifinfomsg(3) + nla(3, IFNAME.encode() + b"\0"))
    error = nlmsg(2, 0x300, 77, 4242, struct.pack("<i", -22) + getlink[:16]  # CAPPED|ACK_TLVS
                  + nla(1, EXTACK.encode() + b"\0"))
    # A request nobody answers: its process name goes to the stats' unanswered list.
    lone = nlmsg(18, 0x5, 78, 0, ifinfomsg(0))
    frames = [(getlink, COMMENT), (newlink, None), (error, None), (lone, None)]
    with open(path, "wb") as f:
        w = PcapngWriter(f)
        for i, (body, comment) in enumerate(frames):
            raw = cooked(0) + body
            w.write(Frame(number=i + 1, ts_ns=1_700_000_000_000_000_000 + i * 1000, protocol=0,
                          raw=raw, orig_len=len(raw), comment=comment, pid=1234, comm=COMM,
                          direction="out" if i in (0, 3) else "in"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    p = tmp_path_factory.mktemp("esc") / "hostile.pcapng"
    _capture(p)
    return p


def _run(*args) -> bytes:
    r = subprocess.run([*NLSCOPE, *map(str, args)], capture_output=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def _assert_clean(out: bytes) -> str:
    for b in out:
        assert b >= 0x20 or b in (0x0A, 0x09), f"raw control byte {b:#04x} in {out!r}"
        assert b != 0x7F
    text = out.decode()
    for c in text:
        assert not (0x80 <= ord(c) <= 0x9F), f"raw C1 {ord(c):#x}"
        assert c != "\u202e"
    # No forged line: a line never starts with the attacker's text.
    assert not any(line.startswith("FORGED") for line in text.splitlines())
    return text


ESC_IFNAME = r"ev\x1b[2J\x1b]0;pwned\x07il\r\nFORGED LINE\t[bold]x[/bold]\u202eRTL\x9b31m"
ESC_EXTACK = r"bad\x1b[31mred\x1b[0m\nsecond line"


def test_escape_helper():
    assert escape("plain text, ünïcödé ✓") == "plain text, ünïcödé ✓"
    assert escape("a\\b") == "a\\\\b"
    assert escape("\x1b[2J\r\n\t\x00\x7f\x9b") == r"\x1b[2J\r\n\t\x00\x7f\x9b"
    assert escape("x\u202ey\u2028") == r"x\u202ey\u2028"
    assert escape(IFNAME) == ESC_IFNAME


@pytest.mark.parametrize("args", [
    ("read",), ("read", "-V"), ("read", "--transactions"), ("read", "--transactions", "-V"),
    ("read", "-t", "a", "-x"), ("stats",),
])
def test_text_outputs_escape_capture_strings(hostile, args):
    text = _assert_clean(_run(*args, hostile))
    if args[0] == "stats":
        assert ESC_EXTACK in text
        assert r"ip\x1b[1mX" in text
    elif "-V" in args and "--transactions" not in args:
        assert ESC_IFNAME in text
        assert ESC_EXTACK in text
    else:
        assert r"\x1b" in text


def test_fields_escapes_with_the_same_helper(hostile):
    text = _assert_clean(_run("read", hostile, "-T", "fields", "-e", "attr.IFLA_IFNAME", "-E", "quote=n"))
    assert ESC_IFNAME in text.splitlines()


def test_json_stays_exact(hostile):
    out = _run("read", hostile, "-T", "fields", "-e", "number")  # sanity: the capture reads
    assert out.split() == [b"1", b"2", b"3", b"4"]
    r = subprocess.run([*NLSCOPE, "export", str(hostile)], capture_output=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert b"\x1b" not in r.stdout  # JSON escapes it itself, and keeps the exact value
    strings = []

    def walk(v):
        if isinstance(v, str):
            strings.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    for line in r.stdout.decode().splitlines():
        walk(json.loads(line))
    assert IFNAME in strings and EXTACK in strings


def test_tui_shows_capture_text_escaped_and_never_as_markup(hostile):
    from nlscope.tui.app import make_app

    async def go():
        app = make_app(str(hostile), deterministic=True)
        async with app.run_test(size=(220, 50)) as pilot:
            for _ in range(500):
                if app.index.complete and app.source.finished:
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("the capture was not indexed")
            app.tick()
            await pilot.pause()
            await pilot.press("down")  # message 2: the NEWLINK with the hostile name
            await pilot.pause()
            screens = [app.export_screenshot()]
            await pilot.press("t")  # one row per transaction
            await pilot.pause()
            screens.append(app.export_screenshot())
            await pilot.press("S")  # the statistics screen
            await pilot.pause()
            screens.append(app.export_screenshot())
            return screens

    screens = asyncio.run(go())
    for svg in screens:
        text = re.sub(r"<[^>]+>", "", svg).replace("&#160;", " ")
        for c in text:
            assert ord(c) >= 0x20 or c == "\n", f"raw control {ord(c):#x} on screen"
            assert not 0x7F <= ord(c) <= 0x9F and c != "\u202e"
    first = re.sub(r"<[^>]+>", "", screens[0]).replace("&#160;", " ")
    assert "[bold]x[/bold]" in first  # shown literally: not bold, not swallowed
    assert r"\x1b[2J" in first and r"bad\x1b[31mred" in first
    assert "Process: 1234 (ip" in first
