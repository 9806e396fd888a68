"""The TUI in a real terminal: tmux runs `nlscope tui`, send-keys drives it,
capture-pane reads the screen."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest
from conftest import FIXTURES, ROOT
from keyburst import EEXIST_NO, ENODEV_NO, write_capture

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
NLSCOPE = [sys.executable, "-m", "nlscope"]


class Tmux:
    def __init__(self, argv: list[str], width: int = 160, height: int = 45):
        self.name = f"nlscope-test-{uuid.uuid4().hex[:8]}"
        # A server of its own (-L): no race with another test's server shutting down as
        # its last session ends, and no user configuration (-f /dev/null).
        self.tmux = ["tmux", "-L", self.name, "-f", "/dev/null"]
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        cmd = " ".join(f"'{a}'" for a in argv)
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", str(width),
                        "-y", str(height), f"cd '{ROOT}' && {cmd}; sleep 30"], check=True,
                       env=env)
        self.socket = subprocess.run([*self.tmux, "display-message", "-p", "#{socket_path}"],
                                     capture_output=True, text=True).stdout.strip()

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.name], check=True,
                              capture_output=True, text=True).stdout

    def keys(self, *keys: str) -> None:
        """Send the keys in one send-keys: one write to the terminal, no pause between."""
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        return self.wait_until(lambda screen: text in screen, f"{text!r} on screen", timeout)

    def wait_until(self, cond, what: str, timeout: float = 30) -> str:
        """Poll the screen until cond(screen) holds; fail when the deadline passes."""
        end = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if cond(screen):
                return screen
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what}:\n{screen}")
            time.sleep(0.05)

    def kill(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        if self.socket and os.path.exists(self.socket):
            os.unlink(self.socket)  # kill-server leaves it behind


@pytest.fixture
def tui():
    sessions: list[Tmux] = []

    def start(*args: str) -> Tmux:
        t = Tmux([*NLSCOPE, *args])
        sessions.append(t)
        return t
    yield start
    for t in sessions:
        t.kill()


def _row(screen: str, number: int) -> str:
    for line in screen.splitlines():
        parts = line.split()
        if parts and parts[0] == str(number):
            return line
    raise AssertionError(f"no row {number}:\n{screen}")


def test_real_terminal_shows_rows_and_answers_keys(tui):
    t = tui("tui", str(FIXTURES / "golden.pcapng"))
    t.wait_for("13 msgs / 11 frames")
    # the detail pane is decoded on the loader's thread: it may come a frame after the rows
    screen = t.wait_for("Message 1: frame 1")
    assert "No." in screen and "Info" in screen and "13 msgs / 11 frames" in screen
    assert "ENETUNREACH" in _row(screen, 6) and "NLMSG_DONE" in _row(screen, 4)
    t.keys("j", "j", "j", "j", "j")
    screen = t.wait_for("Message 6: frame")
    assert "Nexthop has invalid gateway" in screen
    t.keys("e", "/", "errno == EEXIST", "Enter")  # one burst, as a typist's
    screen = t.wait_for("shown 1")
    assert "EEXIST" in _row(screen, 10)
    with pytest.raises(AssertionError):
        _row(screen, 6)
    t.keys("?")
    t.wait_for("Go to message number")
    t.keys("Escape")  # alone: Esc and q in one write is Alt+q to a terminal
    t.wait_until(lambda s: "Go to message number" not in s, "the help to close")
    t.keys("q")
    t.wait_until(lambda s: "msgs / 11 frames" not in s, "q to quit")  # terminal restored


def test_nlscope_file_alone_opens_the_tui(tui):
    t = tui(str(FIXTURES / "golden.pcapng"))
    screen = t.wait_for("13 msgs / 11 frames")
    assert "RTM_GETLINK" in _row(screen, 1)
    t.keys("t")
    t.wait_for("transactions")


def _status(screen: str) -> str:
    for line in screen.splitlines():
        if "msgs / " in line:
            return line
    return ""


def _filtered(screen: str) -> bool:
    """The filter `errno == EEXIST` is in the bar and applied: its one row, alone."""
    bar = screen.splitlines()[0]
    if "errno == EEXIST" not in bar or "shown 1 " not in _status(screen) + " ":
        return False
    return _list_rows(screen) == [EEXIST_NO] and "EEXIST" in _row(screen, EEXIST_NO)


def _list_rows(screen: str) -> list[int]:
    """The message numbers of the list's rows (a number, then a time; not hex lines)."""
    out = []
    for line in screen.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[0].isdigit() and "." in parts[1]:
            out.append(int(parts[0]))
    return out


def _unfiltered(screen: str) -> bool:
    return "shown" not in _status(screen) and "160 msgs / 160 frames" in screen


def _on(no: int):
    return lambda screen: f"Message {no}: frame {no} message" in screen


def test_typing_bursts_land_whole_in_every_dialog_20_times(tui, tmp_path):
    """Each burst is one send-keys (every key in one write, no pause). Between bursts the
    test waits for the state the burst must produce, then the next starts from it."""
    t = tui("tui", str(write_capture(tmp_path / "keys.pcap")))
    t.wait_until(lambda s: _unfiltered(s) and _on(1)(s), "the capture")
    for i in range(20):
        target = 100 + i % 2  # alternate, so a stale screen never passes for a new one
        it = f"iteration {i}: "
        t.keys(":", str(target), "Enter")
        screen = t.wait_until(_on(target), it + f"go to {target}")
        assert "Go to message number" not in screen
        t.keys("/", "C-u", "errno == EEXIST", "Enter")
        t.wait_until(_filtered, it + "the filter")
        t.keys("/", "C-u", "Enter", "g")  # clear it; 'g' after Enter belongs to the list
        t.wait_until(lambda s: _unfiltered(s) and _on(1)(s), it + "the cleared filter")
        t.keys("s", "C-u", "ENODEV", "Enter")  # the dialog offers the last search: cleared
        screen = t.wait_until(_on(ENODEV_NO), it + "the search")
        assert "ENODEV" in _row(screen, ENODEV_NO)
        t.keys("/", "C-u", "== EEXIST", "Home", "errno ", "Enter")
        t.wait_until(_filtered, it + "the filter typed end first, then Home and its start")
        t.keys("/", "C-u", "Enter", "g")
        t.wait_until(lambda s: _unfiltered(s) and _on(1)(s), it + "the reset")
