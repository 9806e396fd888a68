"""What a user gets from the built wheel works: build it from a copy of the checkout,
install it with its dependencies into a fresh venv (no editable install, no system site
packages), then run the installed `nlscope` console script: `read` prints what the
checkout prints, `export` gives JSONL, and the TUI opens in a real terminal and quits.

The rest of the suite runs from the editable install, which sees every file in the tree
whether or not the wheel ships it: the wheel once had no nlscope/tui and `nlscope tui`
failed after `pip install .` with nobody noticing. This test is the one that would.

It needs the network (PyPI, through pip's own cache) and tmux; both come with
`scripts/setup.sh --test`, so a missing one fails the test instead of skipping it.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

SAMPLE = SAMPLES / "mixed.pcapng"
# Generous for a slow, busy machine; a deadline that passes fails the test loudly.
DEADLINE = 120.0
PIP_TIMEOUT = 1800

# Not copied into the build: local state of this checkout, never part of a fresh clone.
_SKIP_TOP = {".git", ".venv", "build", "dist"}
_SKIP_ANY = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache",
                                   ".hypothesis")


def _run(argv: list[str], *, timeout: float, what: str, **kw) -> subprocess.CompletedProcess:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, **kw)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{what}: no answer in {timeout:.0f} s: {shlex.join(argv)}\n"
                    f"stdout:\n{e.stdout}\nstderr:\n{e.stderr}")
    if r.returncode != 0:
        pytest.fail(f"{what} failed (exit {r.returncode}): {shlex.join(argv)}\n"
                    f"stdout:\n{r.stdout[-4000:]}\nstderr:\n{r.stderr[-4000:]}")
    return r


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment for the programs under test: nothing that points Python at the
    checkout or at the test venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV",
                        "PYTHONUSERBASE", "PYTHONSAFEPATH")}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


def _copy_checkout(dst: Path) -> None:
    """The checkout as a fresh clone would have it (the working tree's own files, not
    its build/ or egg-info): setuptools reuses a stale build/lib, and building in place
    would write into a tree others are editing. Symlinks stay symlinks, as in git."""
    dst.mkdir()
    dst = dst.resolve()

    def ignore(dirpath: str, names: list[str]) -> set[str]:
        skipped = set(_SKIP_ANY(dirpath, names))
        # Never copy the copy into itself (a --basetemp inside the checkout).
        skipped.update(n for n in names if dst.is_relative_to(Path(dirpath, n).resolve()))
        return skipped

    for entry in sorted(ROOT.iterdir()):
        if entry.name in _SKIP_TOP or entry.name.endswith(".egg-info") or entry.name in ignore(
                str(ROOT), [entry.name]):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, dst / entry.name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(entry, dst / entry.name, follow_symlinks=False)


class Installed:
    def __init__(self, wheel: Path, venv: Path, workdir: Path):
        self.wheel = wheel
        self.venv = venv
        self.workdir = workdir  # cwd for the programs: neither the checkout nor the venv
        self.python = venv / "bin" / "python"
        self.nlscope = venv / "bin" / "nlscope"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    src, dist, venv, work = base / "src", base / "dist", base / "venv", base / "work"
    work.mkdir()
    _copy_checkout(src)
    pip_env = _clean_env()
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(src)],
         timeout=PIP_TIMEOUT, what="building the wheel", env=pip_env, cwd=work)
    wheels = sorted(dist.glob("nlscope-*.whl"))
    assert len(wheels) == 1, f"expected one nlscope wheel in {dist}: {os.listdir(dist)}"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=PIP_TIMEOUT,
         what="creating a fresh venv", env=pip_env, cwd=work)
    cfg = (venv / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in cfg, cfg
    # Dependencies come from the index, as for a user; pip's cache keeps reruns quick.
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
          str(wheels[0])], timeout=PIP_TIMEOUT, what="installing the wheel with its "
          "dependencies (needs PyPI)", env=pip_env, cwd=work)
    return Installed(wheels[0], venv, work)


def _source_packages() -> set[str]:
    """Every package directory under nlscope/ in the checkout (dissectors/ through its
    symlink), as wheel paths: {"nlscope", "nlscope/tui", ...}."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(ROOT / "nlscope", followlinks=True):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        if "__init__.py" in filenames:
            found.add(Path(dirpath).relative_to(ROOT).as_posix())
    return found


def _source_modules() -> set[str]:
    mods = set()
    for pkg in _source_packages():
        mods.update(f"{pkg}/{p.name}" for p in (ROOT / pkg).glob("*.py"))
    return mods


def test_wheel_ships_every_package_and_module(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    packages = _source_packages()
    # The checkout itself: the walk must see the subpackages and the symlinked families.
    assert {"nlscope", "nlscope/tui", "nlscope/cli", "nlscope/dissectors"} <= packages, packages
    missing_pkgs = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing_pkgs, f"packages left out of the wheel: {missing_pkgs}"
    missing_mods = sorted(_source_modules() - names)
    assert not missing_mods, f"modules left out of the wheel: {missing_mods}"
    assert "nlscope/dissectors/rtnl_link.py" in names
    # Only nlscope and its metadata land in site-packages (no top-level "dissectors",
    # "tests" or "bench" package that would clash with other projects).
    tops = {n.split("/", 1)[0] for n in names}
    dist_info = {t for t in tops if t.startswith("nlscope-") and t.endswith(".dist-info")}
    assert len(dist_info) == 1 and tops == {"nlscope", *dist_info}, tops
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    eps = zipfile.ZipFile(installed.wheel).read(entry_points).decode()
    assert "nlscope = nlscope.cli.main:main" in eps, eps


def test_installed_package_is_the_wheel_not_the_checkout(installed):
    r = _run([str(installed.python), "-c",
              "import nlscope, nlscope.tui.app, nlscope.dissectors as d; "
              "print(nlscope.__file__); print(d.__file__)"],
             timeout=DEADLINE, what="importing the installed nlscope",
             env=_clean_env(), cwd=installed.workdir)
    site = (installed.venv / "lib").resolve()
    for line in r.stdout.split():
        assert Path(line).resolve().is_relative_to(site), (line, site)
    assert installed.nlscope.is_file(), "the wheel installed no `nlscope` console script"


def test_installed_read_prints_what_the_checkout_prints(installed):
    argv = ["read", str(SAMPLE)]
    got = _run([str(installed.nlscope), *argv], timeout=DEADLINE * 3,
               what="installed `nlscope read`", env=_clean_env(), cwd=installed.workdir)
    want = _run([sys.executable, "-m", "nlscope", *argv], timeout=DEADLINE * 3,
                what="checkout `nlscope read`", cwd=installed.workdir)
    lines = got.stdout.splitlines()
    assert len(lines) > 200 and lines[0].split()[:2] == ["No.", "Time"], got.stdout[:2000]
    assert got.stdout == want.stdout


def test_installed_export_gives_jsonl(installed):
    out = installed.workdir / "mixed.jsonl"
    _run([str(installed.nlscope), "export", "--format", "jsonl", "-o", str(out), str(SAMPLE)],
         timeout=DEADLINE * 3, what="installed `nlscope export`", env=_clean_env(),
         cwd=installed.workdir)
    lines = out.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line one JSON object
    assert records and all(isinstance(r, dict) for r in records)
    assert [r["number"] for r in records] == list(range(1, len(records) + 1))
    assert {r["family"]["name"] for r in records} >= {"route", "generic"}
    assert all(r["summary"] and r["header"]["type"]["name"] for r in records)
    want = _run([sys.executable, "-m", "nlscope", "export", "--format", "jsonl", str(SAMPLE)],
                timeout=DEADLINE * 3, what="checkout `nlscope export`", cwd=installed.workdir)
    assert [json.loads(line) for line in want.stdout.splitlines()] == records


class _Tmux:
    """A private tmux server (its own socket), so nothing else's sessions are touched."""

    def __init__(self):
        self.socket = f"nlscope-wheel-{uuid.uuid4().hex[:10]}"
        self.target = "wheel"

    def tmux(self, *args: str) -> str:
        r = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                           capture_output=True, text=True, timeout=DEADLINE,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"tmux {shlex.join(args)}: {r.stderr}"
        return r.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.target)

    def flags(self) -> dict[str, str]:
        names = ["alternate_on", "cursor_flag", "mouse_any_flag", "mouse_button_flag",
                 "mouse_standard_flag", "mouse_sgr_flag"]
        out = self.tmux("display-message", "-p", "-t", self.target,
                        " ".join(f"#{{{n}}}" for n in names)).split()
        return dict(zip(names, out))

    def kill(self) -> None:
        path = subprocess.run(["tmux", "-L", self.socket, "display-message", "-p",
                               "#{socket_path}"], capture_output=True, text=True,
                              timeout=DEADLINE, stdin=subprocess.DEVNULL).stdout.strip()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=DEADLINE, stdin=subprocess.DEVNULL)
        if path.endswith(self.socket):  # tmux leaves its socket file behind
            Path(path).unlink(missing_ok=True)


def _message_row(screen: str, number: int) -> str | None:
    for line in screen.splitlines():
        parts = line.replace("│", " ").split()
        if parts and parts[0] == str(number):
            return line
    return None


def test_installed_tui_opens_in_a_terminal_and_quits(installed, tmp_path):
    assert shutil.which("tmux"), "tmux is missing: run scripts/setup.sh --test"
    n_msgs = len(_run([str(installed.nlscope), "read", str(SAMPLE)], timeout=DEADLINE * 3,
                      what="installed `nlscope read`", env=_clean_env(),
                      cwd=installed.workdir).stdout.splitlines()) - 1
    rc_file = tmp_path / "tui.rc"
    # The shell keeps the pane open after the TUI exits, so the screen and the terminal
    # modes can be read afterwards; it records the exit status and whether the tty
    # settings (echo, canonical mode, ...) are what they were before the TUI ran.
    script = (f"saved=$(stty -g); {shlex.quote(str(installed.nlscope))} tui "
              f"{shlex.quote(str(SAMPLE))}; rc=$?; "
              f'if [ "$(stty -g)" = "$saved" ]; then tty=restored; else tty=changed; fi; '
              f'echo "$rc $tty" > {shlex.quote(str(rc_file))}.part && '
              f"mv {shlex.quote(str(rc_file))}.part {shlex.quote(str(rc_file))}; "
              f'echo "nlscope exited $rc, tty $tty"; exec sleep 3600')
    t = _Tmux()
    env = _clean_env(TERM="xterm-256color", COLORTERM="truecolor", SHELL="/bin/sh")
    env.pop("TMUX", None)
    try:
        r = subprocess.run(["tmux", "-L", t.socket, "-f", "/dev/null", "new-session", "-d",
                            "-s", t.target, "-x", "120", "-y", "40", "-c",
                            str(installed.workdir), script],
                           env=env, capture_output=True, text=True, timeout=DEADLINE,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"tmux new-session: {r.stderr}"

        status = f"{n_msgs:,} msgs /"
        end = time.monotonic() + DEADLINE
        screen = ""
        while True:
            screen = t.screen()
            row = _message_row(screen, 1)
            if status in screen and row and "RTM_NEWLINK" in row and "No." in screen:
                break
            if rc_file.exists():
                pytest.fail(f"the installed TUI exited before showing rows "
                            f"({rc_file.read_text().strip()}):\n{screen}")
            if time.monotonic() > end:
                pytest.fail(f"the installed TUI showed no message rows and {status!r} in "
                            f"{DEADLINE:.0f} s; the screen:\n{screen}")
            time.sleep(0.25)
        assert t.flags()["alternate_on"] == "1", "the TUI should run on the alternate screen"

        t.tmux("send-keys", "-t", t.target, "q")
        end = time.monotonic() + DEADLINE
        while not rc_file.exists():
            if time.monotonic() > end:
                pytest.fail(f"the installed TUI did not quit on 'q' in {DEADLINE:.0f} s; "
                            f"the screen:\n{t.screen()}")
            time.sleep(0.25)
        rc, tty = rc_file.read_text().split()
        screen = t.screen()
        assert rc == "0", f"`nlscope tui` exited {rc}:\n{screen}"
        assert tty == "restored", f"the tty settings were not restored:\n{screen}"
        # The terminal is back: the normal screen, the cursor shown, no mouse reporting,
        # and none of the TUI left on it.
        assert t.flags() == {"alternate_on": "0", "cursor_flag": "1", "mouse_any_flag": "0",
                             "mouse_button_flag": "0", "mouse_standard_flag": "0",
                             "mouse_sgr_flag": "0"}, (t.flags(), screen)
        assert "nlscope exited 0, tty restored" in screen, screen
        assert status not in screen and "RTM_NEWLINK" not in screen, screen
    finally:
        t.kill()
