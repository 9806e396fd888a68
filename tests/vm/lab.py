"""The VM lab: run a root shell script inside a real Debian kernel.

This machine's own kernel has no nlmon and cannot load modules, so real netlink
traffic comes from a throw-away VM: a Debian kernel from /boot booted with
virtme-ng (``vng``) under qemu/TCG, sharing this machine's root filesystem
read-only, with one writable directory shared in both directions.

Public API (other modules code against it; keep it stable)::

    vm_unavailable_reason() -> str | None
    kernel_release() -> str
    VMResult(rc, stdout, stderr, outdir)
    run_in_vm(script, *, outdir=None, timeout=900, env=None) -> VMResult
    vm_fixture(script, *, scope="module", timeout=900, env=None)   # pytest helper

Inside the VM the script runs under bash as root (``set -e`` is *not* implied),
with ``$OUT`` = the shared writable directory (``outdir``), ``$REPO`` = this
repository's root, the caller's ``env`` exported, and the repository's venv
``bin/`` first on ``PATH``. Files the script writes under ``$OUT`` are on the
host when ``run_in_vm`` returns.

``run_in_vm`` returns a VMResult whatever the script's exit status; it raises
``VMError`` when the VM itself could not run the script (vng missing or failing
to boot, ...) and ``VMTimeout`` (a VMError) when the whole run exceeded
``timeout``. Both carry the captured output in their message.

Environment knobs (all optional):
    NLSCOPE_VM_KERNEL   kernel release to boot instead of the newest installed
    NLSCOPE_VM_VNG      path of the vng executable
    NLSCOPE_VM_MEMORY   guest memory (default 2G)
    NLSCOPE_VM_CPUS     guest CPUs (default: vng's default, the host's count)
    NLSCOPE_VM_KVM=1    allow KVM (default: --disable-kvm, TCG only)
    NLSCOPE_VM_VERBOSE=1  pass --verbose to vng (kernel console on stdout)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "REPO",
    "VMError",
    "VMResult",
    "VMTimeout",
    "kernel_release",
    "run_in_vm",
    "vm_fixture",
    "vm_unavailable_reason",
]

#: Repository root, computed from this file's place (tests/vm/lab.py).
REPO: Path = Path(__file__).resolve().parents[2]

_LAB_DIRNAME = ".nlscope-lab"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_ENV = {"OUT", "REPO"}


class VMError(RuntimeError):
    """The VM could not run the script (as opposed to the script failing)."""


class VMTimeout(VMError):
    """The VM run took longer than its timeout and was killed."""


@dataclass
class VMResult:
    rc: int
    stdout: str
    stderr: str
    outdir: Path  # the writable directory shared with the VM ($OUT inside)

    def check(self) -> "VMResult":
        """Raise VMError unless rc == 0; return self for chaining."""
        if self.rc != 0:
            raise VMError(
                f"VM script exited {self.rc}\n--- stdout (tail) ---\n"
                f"{_tail(self.stdout)}\n--- stderr (tail) ---\n{_tail(self.stderr)}"
            )
        return self


# --------------------------------------------------------------------------- discovery


def _version_key(release: str) -> tuple:
    """Natural sort key: '6.12.117+deb12-amd64' > '6.1.0-41-amd64'."""
    key = []
    for part in re.findall(r"\d+|[^\d]+", release):
        key.append((1, int(part), "") if part.isdigit() else (0, 0, part))
    return tuple(key)


def _installed_kernels() -> list[str]:
    """Kernel releases with a /boot/vmlinuz-<rel>, newest first; those with
    their modules installed (/lib/modules/<rel>) come before those without."""
    rels = []
    for p in Path("/boot").glob("vmlinuz-*"):
        rel = p.name[len("vmlinuz-"):]
        if rel and p.is_file():
            rels.append(rel)
    rels.sort(key=_version_key, reverse=True)
    with_mods = [r for r in rels if Path("/lib/modules", r, "kernel").is_dir()]
    return with_mods + [r for r in rels if r not in with_mods]


def kernel_release() -> str:
    """Newest installed Debian kernel release, e.g. '6.1.0-41-amd64'.

    NLSCOPE_VM_KERNEL overrides the choice. Raises VMError when there is none.
    """
    forced = os.environ.get("NLSCOPE_VM_KERNEL")
    if forced:
        if not Path("/boot", f"vmlinuz-{forced}").is_file():
            raise VMError(f"NLSCOPE_VM_KERNEL={forced}: /boot/vmlinuz-{forced} does not exist")
        return forced
    rels = _installed_kernels()
    if not rels:
        raise VMError(
            "no /boot/vmlinuz-* kernel installed (run: bash scripts/setup-vm.sh)"
        )
    return rels[0]


def _venv_bins() -> list[Path]:
    """Candidate bin/ directories holding vng and its helpers."""
    cands = []
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        cands.append(Path(venv) / "bin")
    cands.append(REPO / ".venv" / "bin")
    cands.append(Path(sys.prefix) / "bin")
    cands.append(Path(sys.executable).parent)
    seen, out = set(), []
    for c in cands:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def _find_vng() -> Path | None:
    forced = os.environ.get("NLSCOPE_VM_VNG")
    if forced:
        p = Path(forced)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    for b in _venv_bins():
        p = b / "vng"
        if p.is_file() and os.access(p, os.X_OK):
            return p
    found = shutil.which("vng")
    return Path(found) if found else None


def _find_qemu() -> str | None:
    return shutil.which("qemu-system-x86_64")


def lab_missing(reason: str):
    """A test the lab cannot run here is skipped, with the reason; in CI (CI=true),
    which installs the lab, the same reason is a failure: a skip would hide a broken
    install."""
    import pytest
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"the VM lab cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def vm_unavailable_reason() -> str | None:
    """None if qemu, a /boot/vmlinuz-* kernel and vng are present; else why not."""
    missing = []
    if _find_qemu() is None:
        missing.append("qemu-system-x86_64 not found (apt: qemu-system-x86)")
    if not _installed_kernels() and not os.environ.get("NLSCOPE_VM_KERNEL"):
        missing.append("no /boot/vmlinuz-* kernel image (apt: linux-image-amd64)")
    if _find_vng() is None:
        missing.append(
            f"vng not found (pip install virtme-ng into {REPO / '.venv'})"
        )
    if missing:
        return "VM lab unavailable: " + "; ".join(missing) + " -- run: bash scripts/setup-vm.sh"
    try:
        kernel_release()
    except VMError as e:
        return f"VM lab unavailable: {e}"
    return None


# --------------------------------------------------------------------------- running


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _guest_path(vng_bin: Path) -> str:
    parts = []
    repo_venv = REPO / ".venv" / "bin"
    if repo_venv.is_dir():
        parts.append(str(repo_venv))
    if str(vng_bin.parent) not in parts:
        parts.append(str(vng_bin.parent))
    parts += ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    return ":".join(parts)


def _write_wrapper(labdir: Path, outdir: Path, script: str, env: dict[str, str],
                   vng_bin: Path) -> Path:
    labdir.mkdir(parents=True, exist_ok=True)
    (labdir / "script.sh").write_text(script)
    lines = [
        "#!/bin/bash",
        "# generated by tests/vm/lab.py: runs the caller's script inside the VM",
        f"export OUT={shlex.quote(str(outdir))}",
        f"export REPO={shlex.quote(str(REPO))}",
        f"export PATH={shlex.quote(_guest_path(vng_bin))}",
        "export HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8",
        "export PYTHONDONTWRITEBYTECODE=1",
    ]
    for k, v in env.items():
        lines.append(f"export {k}={shlex.quote(v)}")
    lab = shlex.quote(str(labdir))
    lines += [
        f"touch {lab}/started",
        'cd "$OUT" || exit 97',
        f"rm -f {lab}/rc",
        f"bash {lab}/script.sh </dev/null",
        "rc=$?",
        f"echo $rc > {lab}/rc",
        "sync",
        "exit $rc",
    ]
    wrapper = labdir / "run.sh"
    wrapper.write_text("\n".join(lines) + "\n")
    wrapper.chmod(0o755)
    return wrapper


def _kill_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


#: The repository's Python packages byte-compiled on the host before a boot (precompile).
_COMPILED_DIRS = ("nlscope", "dissectors", "tests", "bench")


def precompile() -> None:
    """Byte-compile the repository's own Python into its __pycache__/ dirs, on the host.

    The VM sees this tree read-only (9p) and the lab runs it with
    PYTHONDONTWRITEBYTECODE (so does this machine's environment): without .pyc files
    every nlscope start in the VM compiled each module it imports from source, under
    TCG. Measured in the VM: `nlscope read -c 1` 26.6 s, of which 9.1 s importing
    nlscope's own modules. Ordinary timestamp .pyc, as Python writes them itself: a
    file edited later is seen as stale and compiled again in memory, never misread.
    Quick when nothing changed (a stat per file). A file that does not compile (being
    edited) is skipped; a read-only tree is left as it is."""
    import compileall
    for d in _COMPILED_DIRS:
        p = REPO / d
        if p.is_dir():
            try:
                compileall.compile_dir(str(p), quiet=2)
            except OSError:
                pass


def run_in_vm(
    script: str,
    *,
    outdir: Path | None = None,
    timeout: float = 900,
    env: dict[str, str] | None = None,
) -> VMResult:
    """Boot the VM once, run ``script`` (bash, as root) in it, return its result.

    ``outdir`` is shared read-write with the VM as ``$OUT`` (a fresh temporary
    directory when None; it is left in place for the caller).
    """
    reason = vm_unavailable_reason()
    if reason:
        raise VMError(reason)
    env = dict(env or {})
    for k in env:
        if not _ENV_NAME.match(k):
            raise ValueError(f"bad environment variable name for the VM: {k!r}")
        if k in _RESERVED_ENV:
            raise ValueError(f"{k} is set by the lab itself")

    if outdir is None:
        outdir = Path(tempfile.mkdtemp(prefix="nlscope-vm-"))
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    if any(c in str(outdir) for c in " ,=\"'\\"):
        raise ValueError(f"outdir path not usable by vng (spaces/commas/quotes): {outdir}")

    vng = _find_vng()
    assert vng is not None
    rel = kernel_release()
    precompile()
    labdir = outdir / _LAB_DIRNAME
    if labdir.exists():
        shutil.rmtree(labdir)
    wrapper = _write_wrapper(labdir, outdir, script, env, vng)

    cmd = [
        str(vng),
        "--run", f"/boot/vmlinuz-{rel}",
        "--user", "root",
        "--memory", os.environ.get("NLSCOPE_VM_MEMORY", "2G"),
        f"--rwdir={outdir}",
        "--cwd", str(outdir),
        "--exec", f"bash {shlex.quote(str(wrapper))}",
    ]
    if os.environ.get("NLSCOPE_VM_KVM") != "1":
        cmd.insert(1, "--disable-kvm")
    if os.environ.get("NLSCOPE_VM_CPUS"):
        cmd[1:1] = ["--cpus", os.environ["NLSCOPE_VM_CPUS"]]
    if os.environ.get("NLSCOPE_VM_VERBOSE") == "1":
        cmd.insert(1, "--verbose")

    host_env = dict(os.environ)
    host_env["PATH"] = f"{vng.parent}:{host_env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"

    first = ""  # what the first boot did, when it had to be repeated
    for attempt in (1, 2):
        start = time.monotonic()
        proc, stdout, stderr = _boot(cmd, outdir, host_env, timeout, rel)
        elapsed = time.monotonic() - start
        if (labdir / "started").exists() or attempt == 2:
            break
        # The guest never reached the script: qemu/vng failed before (a CI run had
        # vng exit 255 after 12 s with no output, once, on a test that passes). Boot
        # once more, with the console, so a second failure says why.
        first = f"a first boot: vng exit {proc.returncode}, {elapsed:.0f}s, no script run\n"
        if "--verbose" not in cmd:
            cmd.insert(1, "--verbose")

    rc_file = labdir / "rc"
    try:
        rc = int(rc_file.read_text().strip())
    except (OSError, ValueError):
        raise VMError(
            f"the VM did not run the script (vng exit {proc.returncode}, "
            f"{elapsed:.0f}s, kernel {rel}).\ncommand: {shlex.join(cmd)}\n"
            f"Hints: vng needs qemu-system-x86 and its helpers on PATH; "
            f"try NLSCOPE_VM_VERBOSE=1 for the kernel console.\n"
            f"{first}--- stdout (tail) ---\n{_tail(stdout)}\n--- stderr (tail) ---\n{_tail(stderr)}"
        ) from None
    shutil.rmtree(labdir, ignore_errors=True)
    return VMResult(rc=rc, stdout=stdout, stderr=stderr, outdir=outdir)


def _boot(cmd: list[str], outdir: Path, host_env: dict[str, str], timeout: float,
          rel: str) -> tuple[subprocess.Popen, str, str]:
    """Run vng once: (the process, its stdout, its stderr)."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(outdir),
        env=host_env,
        start_new_session=True,  # so a timeout kills vng *and* its qemu
    )
    try:
        out_b, err_b = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out_b, err_b = proc.communicate()
        raise VMTimeout(
            f"VM run exceeded {timeout:.0f}s and was killed (kernel {rel})\n"
            f"command: {shlex.join(cmd)}\n--- stdout (tail) ---\n"
            f"{_tail(out_b.decode(errors='replace'))}\n--- stderr (tail) ---\n"
            f"{_tail(err_b.decode(errors='replace'))}"
        ) from None
    except BaseException:
        _kill_group(proc)
        raise
    return proc, out_b.decode(errors="replace"), err_b.decode(errors="replace")


# --------------------------------------------------------------------------- pytest


def vm_fixture(
    script: str,
    *,
    scope: str = "module",
    timeout: float = 900,
    env: dict[str, str] | None = None,
):
    """Make a pytest fixture that boots the VM once per ``scope`` and runs ``script``.

    The fixture skips (with vm_unavailable_reason()) when the lab is missing and
    returns the VMResult; the many tests of one module then check its files::

        from tests.vm.lab import vm_fixture   # or: from .lab import vm_fixture
        scenario = vm_fixture(r'''
            modprobe nlmon && ip link add nlmon0 type nlmon && ip link set nlmon0 up
            tcpdump -i nlmon0 -w "$OUT/x.pcap" & sleep 2; ip link show; kill %1; wait
        ''')

        @pytest.mark.vm
        def test_something(scenario):
            assert (scenario.outdir / "x.pcap").exists()
    """
    import pytest

    @pytest.fixture(scope=scope)
    def _fixture(tmp_path_factory):
        reason = vm_unavailable_reason()
        if reason:
            lab_missing(reason)
        outdir = tmp_path_factory.mktemp("vm")
        return run_in_vm(script, outdir=outdir, timeout=timeout, env=env)

    return _fixture


def make_fixture(here: Path, keep, *, timeout: int, with_stderr: bool = False) -> None:
    """A fixture directory's make.py: run its scenario.sh in one lab boot, keep its log
    and the output files for which `keep(path)` is true, print the log's end and exit
    with the scenario's status. NLSCOPE_LAB_TIMEOUT (s) overrides `timeout` (a busy
    host makes a TCG boot slow)."""
    timeout = int(os.environ.get("NLSCOPE_LAB_TIMEOUT", timeout))
    with tempfile.TemporaryDirectory(prefix=f"{here.name}-") as td:
        try:
            res = run_in_vm((here / "scenario.sh").read_text(), outdir=Path(td), timeout=timeout)
        except VMTimeout as e:
            sys.exit(f"the lab run did not finish: {e}")
        (here / "scenario.log").write_text(res.stdout + (res.stderr if with_stderr else ""))
        for src in sorted(Path(td).iterdir()):
            if src.is_file() and keep(src):
                shutil.copy(src, here / src.name)
        print(res.stdout[-3000:])
        sys.exit(res.rc)


def build_kmod(dest: Path, kdir: Path) -> None:
    """Our kernel modules (kmod/), copied to `dest` and built against `kdir`."""
    import pytest
    shutil.copytree(REPO / "kmod", dest, ignore=shutil.ignore_patterns(
        "*.o", "*.ko", "*.mod", "*.mod.c", ".*.cmd", "*.symvers", "*.order", "rtmgrctl"))
    r = subprocess.run(["make", "-C", str(dest), f"KDIR={kdir}"], capture_output=True,
                       text=True, timeout=900)
    if r.returncode != 0:
        pytest.fail(f"kmod build failed:\n{(r.stdout + r.stderr)[-3000:]}")


def pcap_records(path: Path) -> list[bytes]:
    """Records of a classic pcap (tcpdump's), read with plain struct: the reference."""
    import struct
    data = path.read_bytes()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from(e + "I", data, off + 8)[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def is_subsequence(ours: list, theirs: list) -> bool:
    """Every item of `ours` is in `theirs`, in the same order."""
    it = iter(theirs)
    return all(any(o == t for t in it) for o in ours)
