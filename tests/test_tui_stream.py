"""The live TUI over a capture child (`nlscope tui -i IFACE` runs `nlscope capture -w -`):
a stand-in child plays the capture's part here (the real one runs in the VM test,
tests/vm/test_tui_live.py). Its stderr is read all along: the footer says the capture
is starting until it says it captures, shows the drops it reports, and its error when
it fails; a chatty stderr never blocks it."""
from __future__ import annotations

import asyncio
import sys
import time
from types import SimpleNamespace

from conftest import FIXTURES
from waiting import aio

from nlscope.cli.capture import stats_line
from nlscope.tui.app import NlscopeApp, make_app, new_decoder
from nlscope.tui.source import StreamSource

GOLDEN = FIXTURES / "golden.pcapng"
SIZE = (160, 45)

CHILD = r'''
import os, sys, time
data = open(sys.argv[1], "rb").read()
flag, stderr_bytes = sys.argv[2], int(sys.argv[3])
err = sys.stderr
err.write("x" * stderr_bytes + "\n")  # a chatty child: more than a pipe holds
err.flush()
while not os.path.exists(flag):
    time.sleep(0.01)
err.write("nlscope: capturing on 'fake0'\n")
err.flush()
half = len(data) // 2
sys.stdout.buffer.write(data[:half])
sys.stdout.buffer.flush()
err.write("nlscope: warning: the kernel dropped 7 frames on fake0 (socket buffer full), 7 so far\n")
err.flush()
time.sleep(0.2)
sys.stdout.buffer.write(data[half:])
sys.stdout.buffer.flush()
while not os.path.exists(flag + ".end"):
    time.sleep(0.01)
err.write(sys.argv[4] + "\n")
'''


def footer(app) -> str:
    app.update_status()
    r = app._panes["status"].render()
    return getattr(r, "plain", str(r))


async def until(app, cond, timeout=20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.tick()
        if cond():
            return True
        await asyncio.sleep(0.02)
    return False


def child_argv(tmp_path, stderr_bytes: int = 10) -> tuple[list[str], object]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    flag = tmp_path / "go"
    final = stats_line(SimpleNamespace(iface="fake0", stats=SimpleNamespace(
        captured=11, dropped=9, truncated=0, unread=0)))
    return [sys.executable, str(script), str(GOLDEN), str(flag), str(stderr_bytes), final], flag


@aio
async def test_capture_child_starting_rows_and_drops(tmp_path):
    argv, flag = child_argv(tmp_path, stderr_bytes=200_000)
    src = StreamSource(None, new_decoder(), argv=argv, label="fake0")
    app = NlscopeApp(src, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.sleep(0.3)
        assert src.starting and "starting the capture" in footer(app)
        assert app.index.count == 0
        flag.touch()
        assert await until(app, lambda: app.index.count == 13)
        assert src.capturing.is_set() and not src.starting
        assert await until(app, lambda: src.drops == 7)
        text = footer(app)
        assert "fake0  13 msgs / 11 frames" in text and "drops 7" in text
        assert "starting" not in text
        (tmp_path / "go.end").touch()  # the child ends: its totals come last
        assert await until(app, lambda: src.finished)
        assert src.drops == 9 and "drops 9" in footer(app)
        assert src.error is None
        await pilot.pause()
    assert src.proc.returncode == 0


@aio
async def test_capture_child_failing_says_why(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("import sys\nsys.stderr.write('nlscope: error: cannot create nlmon0: "
                      "needs CAP_NET_ADMIN\\n')\nsys.exit(2)\n")
    src = StreamSource(None, new_decoder(), argv=[sys.executable, str(script)], label="nlmon0")
    app = NlscopeApp(src, deterministic=True)
    async with app.run_test(size=SIZE):
        assert await until(app, lambda: src.finished)
        assert src.error == "nlscope: error: cannot create nlmon0: needs CAP_NET_ADMIN"
        text = footer(app)
        assert "source: nlscope: error: cannot create nlmon0" in text and "starting" not in text


@aio
async def test_quitting_with_a_selection_queued():
    """A cursor move posted just before the app closes (a live row arriving, a filter
    applied) must not crash the exit: the panes are gone by then."""
    app = make_app(str(GOLDEN), deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        assert await until(app, lambda: app.index.complete)
        await pilot.pause()
        app.apply_filter("seq > 0")
        await asyncio.sleep(0.2)
        app.apply_filter("")  # posts a selection; the context exits at once
