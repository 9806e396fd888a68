#!/usr/bin/env python3
"""nlscope beside tshark on the same capture, in one run: CPU time, messages/s, peak RSS.

Issue 10's targets, measured. Usage (from the repository root):

    .venv/bin/python bench/core_bench.py --messages 250k          # real samples, 250k msgs
    .venv/bin/python bench/core_bench.py                          # 1M messages (slow today)
    .venv/bin/python bench/core_bench.py --capture bench/out/router.pcapng
    .venv/bin/python bench/core_bench.py --only read stats read-c # some rows (names below)
    .venv/bin/python bench/core_bench.py --skip-tshark --timeout 600
    .venv/bin/python bench/core_bench.py --flatness               # RSS on 250k vs 1M
    .venv/bin/python bench/core_bench.py --messages 1M --only read-c stats filter-error transactions
    .venv/bin/python bench/core_bench.py --list                   # rows and their commands

Without --capture, bench/out/real-<N>.pcapng is used, built first by
bench/make_real_capture.py when missing (the bundled real samples repeated to N
messages). The router capture comes from bench/make_router_capture.py (VM lab).

Each command runs alone, output to /dev/null, stdin closed; its nlscope side and its
tshark side run one after the other (never at the same time). What is measured, per
child process, from os.wait4's rusage:
  * CPU seconds = user + sys of the child and of every process it waited for (workers);
  * peak RSS = ru_maxrss: the largest single process of that tree, not their sum. The
    summed RSS of the whole process tree is also sampled every 50 ms ("tree RSS" in the
    JSON; the table flags it when more than one process ran);
  * messages/s = messages the command had to go through / CPU seconds. The count is the
    capture's top-level nlmsghdrs (walked once, cached in <capture>.meta.json); for
    `read -c N` it is N, and tshark gets `-c <frames holding the first N messages>`.
Wall time is recorded too, but the machine is shared: compare CPU time.

nlscope/ is copied once at the start (other engineers edit it during a run) and every
row runs that copy (PYTHONPATH, cwd), after a smoke test (read -V, export, stats on a
sample; a copy caught mid-edit is taken again). --no-snapshot runs the live tree. The
JSON records the commit, whether nlscope/ differed from it, and a hash of the copy.

Columns: "x tshark" = nlscope CPU / tshark CPU on that row (above 1: nlscope slower);
"vs tshark -r" = nlscope msgs/s / `tshark -r` msgs/s (issue 10's targets: >= 1 for
`read`, >= 2 for the header-only rows: read -c, stats, -Y on headers, --transactions).
A command that fails, times out (--timeout, per command) or passes --max-rss is killed,
recorded with its reason, and the run goes on.

Memory flatness (--flatness): nlscope alone runs read, export-jsonl and stats (--only
to change) on real-<size> captures for each of --flat-sizes (default 250k,1M; built when
missing) and the table gives each peak RSS, largest/smallest ("flat" when <= 1.25x) and
whether the largest stays <= 100 MB (issue 10's target). Output:
bench/out/core_bench-flatness.json and .md.

Time it takes: a full run costs about (nlscope + tshark) CPU of the table, plus the wait
on a loaded machine; with nlscope as it was when this was written, about 2 min of CPU on
250k messages, 4 min on the router capture, and more than 5 min on 1M.

The command lines are the COMMANDS list below; the CLI is being rewritten, so edit the
list, or override a row from the command line:
    --nl 'stats=stats --format json {capture}'   --ts 'stats=-r {capture} -q -z io,stat,0'
Placeholders: {capture}, {count} (read -c's N, --count), {count_frames}.
The nlscope command itself is `<this python> -m nlscope` (--nlscope 'CMD' to change).

Output: a markdown table on stdout, and JSON (every run's argv, status, CPU, RSS, wall,
stderr tail, environment) in bench/out/core_bench.json plus
bench/out/core_bench-<capture>.json and .md (--json PATH to change).
"""
from __future__ import annotations

import argparse
import atexit
import datetime as _dt
import hashlib
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT_DIR = HERE / "out"
sys.path.insert(0, str(HERE))

import make_real_capture as mrc  # noqa: E402  (bench/make_real_capture.py)


@dataclass
class Row:
    name: str                 # short name for --only / --nl / --ts
    nlscope: list[str]        # arguments after the nlscope command
    tshark: list[str] | None  # tshark arguments (None: compare with `tshark -r` only)
    kind: str                 # "summary" | "header" | "decode": which target applies
    messages: str = "all"     # "all" or "count" (read -c)


# Edit here when the CLI changes (or use --nl / --ts). Placeholders: {capture}, {count},
# {count_frames}. tshark 4.0 names the header type `netlink.hdr_type` (`netlink.type`
# is not a field there and tshark refuses the filter).
COMMANDS: list[Row] = [
    Row("read", ["read", "{capture}"], ["-r", "{capture}"], "summary"),
    Row("read-c", ["read", "-c", "{count}", "{capture}"],
        ["-r", "{capture}", "-c", "{count_frames}"], "header", messages="count"),
    Row("stats", ["stats", "{capture}"], ["-r", "{capture}", "-q", "-z", "io,stat,0"], "header"),
    Row("filter-error", ["read", "-Y", "type == NLMSG_ERROR", "{capture}"],
        ["-r", "{capture}", "-Y", "netlink.hdr_type == 2"], "header"),
    Row("transactions", ["read", "--transactions", "{capture}"], ["-r", "{capture}"], "header"),
    Row("export-jsonl", ["export", "--format", "jsonl", "-j", "1", "{capture}"],
        ["-T", "json", "-r", "{capture}"], "decode"),
    # all cores: compare its wall time with export-jsonl's (CPU adds up over workers)
    Row("export-jsonl-j2", ["export", "--format", "jsonl", "-j", "2", "{capture}"],
        ["-T", "json", "-r", "{capture}"], "decode"),
    Row("read-V", ["read", "-V", "{capture}"], ["-V", "-r", "{capture}"], "decode"),
    # a decoding filter on one route attribute, one core (issue 11: < 30 s on 1M messages);
    # tshark 4.0 has no RTA_GATEWAY field: its filter on the attribute's type is the
    # nearest (RTA_GATEWAY = 5)
    Row("filter-attr", ["read", "-j", "1", "-Y", "attr.RTA_GATEWAY == 10.9.0.254", "{capture}"],
        ["-r", "{capture}", "-Y", "netlink-route.rta_attr_type == 5"], "decode"),
]
REFERENCE = ["-r", "{capture}"]  # tshark's summary speed, the targets' yardstick
TARGETS = {"summary": ">= 1x", "header": ">= 2x", "decode": "(next issue)"}
TARGET_MIN = {"summary": 1.0, "header": 2.0}
FLATNESS_ROWS = ["read", "export-jsonl", "stats"]
RSS_TARGET_MB = 100


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    argv: list[str]
    status: str = "ok"        # ok | exit N | signal N | timeout | rss-cap | cannot start
    rc: int | None = None
    cpu_user: float = 0.0
    cpu_sys: float = 0.0
    wall: float = 0.0
    maxrss_mb: float = 0.0    # ru_maxrss of the tree's largest process
    tree_rss_mb: float = 0.0  # sampled peak of the summed RSS of the process tree
    procs: int = 1            # most processes seen at once in the tree
    messages: int = 0
    stderr_tail: str = ""

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def msgs_per_s(self) -> float | None:
        return self.messages / self.cpu if self.ok and self.cpu > 0 else None

    def to_json(self) -> dict:
        d = asdict(self)
        d["cpu"] = round(self.cpu, 3)
        d["msgs_per_s"] = round(self.msgs_per_s) if self.msgs_per_s else None
        for k in ("cpu_user", "cpu_sys", "wall", "maxrss_mb", "tree_rss_mb"):
            d[k] = round(d[k], 3)
        return d


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> list[int]:
    """pid and its descendants, through /proc/<pid>/task/<tid>/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return out


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total * _PAGE / 2**20


def _kill_wait(pid: int):
    """SIGKILL the child's process group (it runs in its own session); reap the child."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return os.wait4(pid, 0)


def _watch(pid: int, r: Run, t0: float, timeout: float, max_rss_mb: float):
    """Wait for the child, sampling its process tree's RSS every 50 ms; kill it on
    timeout or RSS cap. Returns (why killed or None, wait status, rusage)."""
    last_sample = 0.0
    while True:
        done, status, ru = os.wait4(pid, os.WNOHANG)
        if done:
            return None, status, ru
        now = time.monotonic()
        if now - last_sample >= 0.05:
            last_sample = now
            pids = _tree(pid)
            r.procs = max(r.procs, len(pids))
            r.tree_rss_mb = max(r.tree_rss_mb, _rss_mb(pids))
            killed = None
            if max_rss_mb and r.tree_rss_mb > max_rss_mb:
                killed = "rss-cap"
            elif timeout and now - t0 > timeout:
                killed = "timeout"
            if killed:
                _, status, ru = _kill_wait(pid)
                return killed, status, ru
        time.sleep(0.01)


def run_one(argv: list[str], timeout: float, max_rss_mb: float, messages: int,
            env: dict[str, str] | None = None, cwd: Path = ROOT) -> Run:
    """Run argv with stdout to /dev/null; CPU and RSS of the child from wait4."""
    r = Run(argv=argv, messages=messages)
    with tempfile.TemporaryFile() as err, open(os.devnull, "wb") as null:
        t0 = time.monotonic()
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=null, stderr=err,
                                 start_new_session=True, env=env, cwd=cwd)
        except OSError as e:
            r.status, r.stderr_tail = "cannot start", str(e)
            return r
        try:
            killed, status, ru = _watch(p.pid, r, t0, timeout, max_rss_mb)
        except BaseException:  # Ctrl-C, or SIGTERM made SystemExit: take the child along
            _kill_wait(p.pid)
            p.returncode = -signal.SIGKILL
            raise
        p.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        r.wall = time.monotonic() - t0
        r.rc = p.returncode
        r.cpu_user, r.cpu_sys = ru.ru_utime, ru.ru_stime
        r.maxrss_mb = ru.ru_maxrss / 1024
        r.tree_rss_mb = max(r.tree_rss_mb, r.maxrss_mb)
        if killed:
            r.status = killed
        elif r.rc < 0:
            r.status = f"signal {-r.rc}"
        elif r.rc != 0:
            r.status = f"exit {r.rc}"
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        lines = [ln for ln in text.splitlines()
                 if "Running as user \"root\"" not in ln]  # tshark's root warning
        r.stderr_tail = "\n".join(lines[-8:])[-1500:]
    return r


# --------------------------------------------------------------------------- bench


def fill(args: list[str], values: dict[str, str]) -> list[str]:
    return [a.format(**values) for a in args]


def apply_overrides(rows: list[Row], nl: list[str], ts: list[str]) -> None:
    by_name = {r.name: r for r in rows}
    for spec, side in [(s, "nlscope") for s in nl] + [(s, "tshark") for s in ts]:
        name, sep, args = spec.partition("=")
        if not sep or name not in by_name:
            raise SystemExit(f"--{'nl' if side == 'nlscope' else 'ts'} {spec!r}: want NAME=ARGS "
                             f"with NAME one of {', '.join(by_name)}")
        setattr(by_name[name], side, shlex.split(args) if args.strip() else None)


def env_info(tshark: str | None, nl: "NlscopeSetup") -> dict:
    def out(cmd: list[str], **kw) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                  **({"cwd": ROOT} | kw)).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": out(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty_nlscope": bool(out(["git", "status", "--porcelain", "--", "nlscope",
                                       "dissectors"])),
        "nlscope_version": out(nl.cmd + ["--version"], env=nl.env, cwd=nl.cwd),
        "nlscope_tree": nl.describe(),
        "tshark_version": out([tshark, "--version"]).splitlines()[0] if tshark else None,
        "python": platform.python_version(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
    }


# --------------------------------------------------------------------------- nlscope tree

SMOKE = [["read", "-c", "200", "-V", "{sample}"], ["export", "-c", "200", "{sample}"],
         ["read", "--transactions", "-c", "200", "{sample}"], ["stats", "{sample}"]]


def bytecode_env(env) -> dict[str, str]:
    """The environment for measured runs, with bytecode cached as an installed package
    has it: PYTHONDONTWRITEBYTECODE (set in some shells) made every run compile every
    module from source again (~0.1 s of CPU per command)."""
    out = dict(env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


class NlscopeSetup:
    """How nlscope is run: the command, its environment and working directory.

    Other engineers edit nlscope/ while a run goes on; by default the package is copied
    once (a snapshot) into a temporary directory put first on PYTHONPATH, so every row
    of a run measures the same code. A short smoke run (read -V, export, stats on a
    sample) checks the copy and compiles its bytecode; a copy taken in the middle of
    someone's edit fails it and is taken again (3 tries, 20 s apart)."""

    def __init__(self, a):
        self.cmd = shlex.split(a.nlscope) if a.nlscope else [sys.executable, "-m", "nlscope"]
        self.env = bytecode_env(os.environ)
        self.cwd = ROOT
        self.snapshot: Path | None = None
        self.digest = tree_digest(ROOT / "nlscope")
        self.smoke = "not run"
        atexit.register(self.cleanup)
        if a.no_snapshot or a.nlscope:
            return
        for attempt in range(3):
            if attempt:
                time.sleep(20)
            self.cleanup()
            self.snapshot = Path(tempfile.mkdtemp(prefix="nlscope-bench-snap-"))
            shutil.copytree(ROOT / "nlscope", self.snapshot / "nlscope", symlinks=False,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            self.digest = tree_digest(self.snapshot / "nlscope")
            self.env = bytecode_env(os.environ)
            self.env["PYTHONPATH"] = os.pathsep.join(
                [str(self.snapshot)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
            self.cwd = self.snapshot  # `python -m` puts the cwd first on sys.path
            self.smoke = self.smoke_test()
            if self.smoke == "ok":
                break
            print(f"snapshot of nlscope/ fails its smoke test ({self.smoke}); "
                  f"{'taking it again in 20 s' if attempt < 2 else 'going on with it'}",
                  file=sys.stderr, flush=True)

    def smoke_test(self) -> str:
        sample = ROOT / "samples" / "mixed.pcapng"
        if not sample.exists():
            return "no samples/mixed.pcapng"
        where = subprocess.run(self.cmd[:1] + ["-c", "import nlscope; print(nlscope.__file__)"],
                               capture_output=True, text=True, env=self.env, cwd=self.cwd)
        if self.snapshot and str(self.snapshot) not in where.stdout:
            return f"nlscope imported from {where.stdout.strip() or where.stderr[-200:]}"
        for args in SMOKE:
            r = run_one(self.cmd + fill(args, {"sample": str(sample)}), 120, 0, 0,
                        self.env, self.cwd)
            if not r.ok:
                tail = r.stderr_tail.strip().splitlines()[-1:] or [""]
                return f"{shlex.join(args[:2])}: {r.status}: {tail[0][:160]}"
        return "ok"

    def describe(self) -> dict:
        return {"snapshot": str(self.snapshot) if self.snapshot else None,
                "sha256_of_py_files": self.digest, "smoke": self.smoke}

    def cleanup(self) -> None:
        if self.snapshot:
            shutil.rmtree(self.snapshot, ignore_errors=True)
            self.snapshot = None


def tree_digest(pkg: Path) -> str:
    """sha256 over the .py files of a package directory (symlinks followed)."""
    h = hashlib.sha256()
    for f in sorted(pkg.rglob("*.py")):
        if "__pycache__" in f.parts:
            continue
        try:
            h.update(str(f.relative_to(pkg)).encode() + b"\0" + f.read_bytes())
        except OSError:
            pass
    return h.hexdigest()[:16]


def resolve_capture(a) -> Path:
    if a.capture:
        cap = Path(a.capture).resolve()  # nlscope runs in its snapshot's directory
        if not cap.exists():
            raise SystemExit(f"{cap}: no such capture")
        return cap
    n = mrc.parse_count(a.messages)
    cap = OUT_DIR / f"real-{mrc.label(n)}.pcapng"
    side = mrc.meta_path(cap)
    fresh = False
    if cap.exists() and side.exists():
        try:
            old = json.loads(side.read_text())
            fresh = (old.get("requested_messages") == n and old.get("samples_fingerprint")
                     == mrc.fingerprint(mrc.sample_paths()))
        except ValueError:
            fresh = False
    if not fresh:
        print(f"building {cap} ({n} messages) with bench/make_real_capture.py ...",
              file=sys.stderr, flush=True)
        mrc.build(n, cap, quiet=True)
    return cap


def fmt_s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def fmt_rate(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def fmt_mb(run: Run | None) -> str:
    if run is None:
        return "-"
    s = f"{run.maxrss_mb:.0f}"
    if run.procs > 1:
        s += f" (tree {run.tree_rss_mb:.0f}, {run.procs} procs)"
    return s


def cell_cpu(run: Run | None) -> str:
    if run is None:
        return "-"
    if run.ok:
        return fmt_s(run.cpu)
    return f"{run.status} after {run.cpu:.1f}"


def markdown(rows: list[dict], info: dict) -> str:
    head = ("| command | nlscope CPU s | tshark CPU s | x tshark | nlscope msgs/s | "
            "tshark msgs/s | vs tshark -r (target) | nlscope RSS MB | tshark RSS MB |")
    lines = [
        f"Capture `{info['capture']}`: {info['messages']:,} messages in {info['frames']:,} "
        f"frames ({info['bytes'] / 1e6:.1f} MB). `tshark -r` reference: "
        f"{cell_cpu(info['ref_run'])} s CPU, {fmt_rate(info['ref_rate'])} msgs/s.",
        "",
        head,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        nl, ts = r["nl_run"], r["ts_run"]
        ratio = (f"{nl.cpu / ts.cpu:.1f}x" if nl and ts and nl.ok and ts.ok and ts.cpu > 0
                 else "-")
        vs = "-"
        if nl and nl.ok and info["ref_rate"]:
            vs = f"{nl.msgs_per_s / info['ref_rate']:.2f}x"
            need = TARGET_MIN.get(r["row"].kind)
            if need is not None:
                vs += f" ({TARGETS[r['row'].kind]}: {'met' if nl.msgs_per_s / info['ref_rate'] >= need else 'not met'})"
        elif r["row"].kind in TARGET_MIN:
            vs = f"- ({TARGETS[r['row'].kind]})"
        lines.append(
            f"| `{r['nl_cmd']}` vs `{r['ts_cmd']}` | {cell_cpu(nl)} | {cell_cpu(ts)} | {ratio} | "
            f"{fmt_rate(nl.msgs_per_s if nl else None)} | {fmt_rate(ts.msgs_per_s if ts else None)} | "
            f"{vs} | {fmt_mb(nl)} | {fmt_mb(ts)} |")
    fails = [(r["row"].name, side, run) for r in rows
             for side, run in (("nlscope", r["nl_run"]), ("tshark", r["ts_run"]))
             if run is not None and not run.ok]
    if fails:
        lines += ["", "Failures:"]
        for name, side, run in fails:
            tail = run.stderr_tail.strip().splitlines()[-1:] or [""]
            lines.append(f"- {name} ({side}): {run.status}, wall {run.wall:.0f} s; "
                         f"`{shlex.join(run.argv)}`; stderr: {tail[0][:200]}")
    return "\n".join(lines)


def show(argv: list[str], capture: str) -> str:
    """argv for a human: the capture path as FILE, quoted where needed."""
    return " ".join("FILE" if x == capture else shlex.quote(x) for x in argv)


def bench(a) -> int:
    cap = resolve_capture(a)
    meta = mrc.capture_info(cap, cuts=tuple(sorted({a.count, *mrc.CUT_POINTS})))
    total = meta["messages"]
    count = min(a.count, total)
    values = {"capture": str(cap), "count": str(a.count),
              "count_frames": str(meta["frames_for_messages"][str(a.count)])}
    tshark = None if a.skip_tshark else shutil.which(a.tshark)
    if not a.skip_tshark and tshark is None:
        print(f"warning: {a.tshark} not found; nlscope only", file=sys.stderr)
    rows = [Row(**asdict(r)) for r in COMMANDS]
    apply_overrides(rows, a.nl, a.ts)
    if a.only:
        unknown = set(a.only) - {r.name for r in rows}
        if unknown:
            raise SystemExit(f"--only: unknown {sorted(unknown)}; rows: "
                             f"{', '.join(r.name for r in rows)}")
        rows = [r for r in rows if r.name in a.only]
    nl = NlscopeSetup(a)
    nlscope_cmd, env = nl.cmd, nl.env
    info = env_info(tshark, nl)
    print(f"capture {cap}: {total:,} messages, {meta['frames']:,} frames; "
          f"{info['nlscope_version']}; {info['tshark_version'] or 'no tshark'}; "
          f"commit {info['git_commit']}{' (nlscope/ dirty)' if info['git_dirty_nlscope'] else ''}; "
          f"nlscope tree {nl.digest}{' (snapshot)' if nl.snapshot else ''}, smoke {nl.smoke}",
          flush=True)

    ts_cache: dict[tuple, Run] = {}

    def best(argv: list[str], messages: int, nlscope: bool = False) -> Run:
        runs = []
        for _ in range(max(1, a.repeat)):
            runs.append(run_one(argv, a.timeout, a.max_rss, messages, env,
                                nl.cwd if nlscope else ROOT))
            if not runs[-1].ok:
                return runs[-1]
        return min(runs, key=lambda r: r.cpu)

    def tshark_run(args: list[str], messages: int) -> Run:
        argv = [tshark] + fill(args, values)
        key = (tuple(argv), messages)
        if key not in ts_cache:
            ts_cache[key] = best(argv, messages)
            report("tshark", argv, ts_cache[key])
        return ts_cache[key]

    def report(side: str, argv: list[str], run: Run) -> None:
        print(f"  {side:<7} {run.status:<8} cpu {run.cpu:7.2f} s  wall {run.wall:7.2f} s  "
              f"rss {run.maxrss_mb:6.0f} MB  {fmt_rate(run.msgs_per_s):>10} msgs/s  "
              f"{show(argv, str(cap))}", flush=True)
        if not run.ok and run.stderr_tail:
            print("    " + run.stderr_tail.replace("\n", "\n    "), flush=True)

    ref_run = tshark_run(REFERENCE, total) if tshark else None
    results = []
    for row in rows:
        msgs = count if row.messages == "count" else total
        print(f"[{row.name}]", flush=True)
        nl_argv = nlscope_cmd + fill(row.nlscope, values)
        nl_run = best(nl_argv, msgs, nlscope=True)
        report("nlscope", nl_argv, nl_run)
        ts_run = tshark_run(row.tshark, msgs) if tshark and row.tshark else None
        ts_args = fill(row.tshark or REFERENCE, values)
        results.append({
            "row": row, "nl_run": nl_run, "ts_run": ts_run,
            "nl_cmd": "nlscope " + show(fill(row.nlscope, values), str(cap)),
            "ts_cmd": "tshark " + show(ts_args, str(cap)),
        })
    ref_rate = ref_run.msgs_per_s if ref_run else None
    tinfo = {"capture": os.path.relpath(cap, ROOT) if str(cap.resolve()).startswith(str(ROOT))
             else str(cap), "messages": total, "frames": meta["frames"],
             "bytes": cap.stat().st_size, "ref_run": ref_run, "ref_rate": ref_rate}
    table = markdown(results, tinfo)
    print()
    print(table)
    info["loadavg_end"] = os.getloadavg()
    doc = {
        "capture": {"path": tinfo["capture"], "messages": total, "frames": meta["frames"],
                    "bytes": tinfo["bytes"], "meta": {k: v for k, v in meta.items()
                                                      if k not in ("stamp",)}},
        "environment": info,
        "settings": {"timeout": a.timeout, "max_rss_mb": a.max_rss, "repeat": a.repeat,
                     "count": a.count, "nlscope_cmd": nlscope_cmd},
        "reference": {"argv": ref_run.argv if ref_run else None,
                      "run": ref_run.to_json() if ref_run else None},
        "rows": [{
            "name": r["row"].name, "kind": r["row"].kind,
            "target": TARGETS[r["row"].kind],
            "nlscope": r["nl_run"].to_json(),
            "tshark": r["ts_run"].to_json() if r["ts_run"] else None,
            "cpu_ratio_nlscope_over_tshark": (round(r["nl_run"].cpu / r["ts_run"].cpu, 3)
                                              if r["ts_run"] and r["ts_run"].ok and r["nl_run"].ok
                                              and r["ts_run"].cpu else None),
            "speed_vs_tshark_r": (round(r["nl_run"].msgs_per_s / ref_rate, 3)
                                  if ref_rate and r["nl_run"].ok and r["nl_run"].msgs_per_s
                                  else None),
            "rss_target_met": (r["nl_run"].maxrss_mb <= RSS_TARGET_MB
                               if r["row"].name in FLATNESS_ROWS and r["nl_run"].ok else None),
        } for r in results],
        "markdown": table,
    }
    write_outputs(doc, table, a.json, cap.stem)
    nl.cleanup()
    return 0


def write_outputs(doc: dict, table: str, json_path: str | None, stem: str) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    targets = [Path(json_path)] if json_path else [OUT_DIR / "core_bench.json",
                                                    OUT_DIR / f"core_bench-{stem}.json"]
    for t in targets:
        t.parent.mkdir(parents=True, exist_ok=True)
        t.write_text(json.dumps(doc, indent=2) + "\n")
        t.with_suffix(".md").write_text(table + "\n")
    print(f"\nwritten: {', '.join(str(t) for t in targets)} (+ .md)")


# --------------------------------------------------------------------------- flatness


def flatness(a) -> int:
    """Peak RSS of read / export / stats on captures of growing size (same samples)."""
    sizes = [mrc.parse_count(s) for s in a.flat_sizes.split(",")]
    rows = [Row(**asdict(r)) for r in COMMANDS]
    apply_overrides(rows, a.nl, a.ts)
    names = a.only or FLATNESS_ROWS
    rows = [r for r in rows if r.name in names]
    caps = []
    for n in sizes:
        ns = argparse.Namespace(capture=None, messages=str(n))
        cap = resolve_capture(ns)
        caps.append((n, cap, mrc.capture_info(cap, cuts=(a.count, *mrc.CUT_POINTS))))
    nl = NlscopeSetup(a)
    nlscope_cmd, env = nl.cmd, nl.env
    info = env_info(None, nl)
    results: dict[str, dict[str, dict]] = {}
    for row in rows:
        results[row.name] = {}
        for n, cap, meta in caps:
            values = {"capture": str(cap), "count": str(a.count),
                      "count_frames": str(meta["frames_for_messages"][str(a.count)])}
            argv = nlscope_cmd + fill(row.nlscope, values)
            msgs = min(a.count, meta["messages"]) if row.messages == "count" else meta["messages"]
            run = run_one(argv, a.timeout, a.max_rss, msgs, env, nl.cwd)
            print(f"  {row.name:<14} {mrc.label(n):>6}: {run.status:<8} rss {run.maxrss_mb:6.0f} MB "
                  f"(tree {run.tree_rss_mb:.0f})  cpu {run.cpu:7.2f} s", flush=True)
            results[row.name][mrc.label(n)] = run.to_json()
    labels = [mrc.label(n) for n in sizes]
    lines = ["| command | " + " | ".join(f"peak RSS MB, {lb} msgs" for lb in labels)
             + " | largest / smallest | flat (<= 1.25x) | <= 100 MB at largest |",
             "|---|" + "---:|" * len(labels) + "---:|---|---|"]
    for row in rows:
        runs = [results[row.name][lb] for lb in labels]
        cells = [(f"{r['maxrss_mb']:.0f}" if r["status"] == "ok"
                  else f"{r['status']} ({r['tree_rss_mb']:.0f})") for r in runs]
        okr = [r for r in runs if r["status"] == "ok"]
        if len(okr) == len(runs) and runs[0]["maxrss_mb"]:
            growth = runs[-1]["maxrss_mb"] / runs[0]["maxrss_mb"]
            g, flat = f"{growth:.2f}x", "yes" if growth <= 1.25 else "no"
        else:
            g, flat = "-", "-"
        last = runs[-1]
        under = ("yes" if last["status"] == "ok" and last["maxrss_mb"] <= RSS_TARGET_MB
                 else "no")
        shown = show(fill(row.nlscope, {"capture": "FILE", "count": str(a.count),
                                        "count_frames": "?"}), "FILE")
        lines.append(f"| `nlscope {shown}` "
                     f"| " + " | ".join(cells) + f" | {g} | {flat} | {under} |")
    table = "\n".join(lines)
    print()
    print(table)
    info["loadavg_end"] = os.getloadavg()
    doc = {"flatness": results, "captures": {mrc.label(n): {"path": str(c), "messages": m["messages"],
                                                            "frames": m["frames"]}
                                             for n, c, m in caps},
           "environment": info, "markdown": table,
           "settings": {"timeout": a.timeout, "max_rss_mb": a.max_rss}}
    path = a.json or str(OUT_DIR / "core_bench-flatness.json")
    write_outputs(doc, table, path, "flatness")
    nl.cleanup()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--capture", help="capture to run on (default: bench/out/real-<N>.pcapng)")
    ap.add_argument("--messages", default="1M",
                    help="size of the real-samples capture when no --capture: 250k, 500k, 1M")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="rows to run (see --list)")
    ap.add_argument("--skip-tshark", action="store_true", help="nlscope only")
    ap.add_argument("--timeout", type=float, default=1800,
                    help="per command, seconds (default 1800); 0 = none")
    ap.add_argument("--max-rss", type=float, default=4096,
                    help="kill a command whose process tree passes this RSS, MB (default "
                         "4096; 0 = no limit)")
    ap.add_argument("--count", type=int, default=100_000, help="N of `read -c N` (default 100000)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per command, keep the least CPU")
    ap.add_argument("--nlscope", metavar="CMD",
                    help="the nlscope command (default: '<this python> -m nlscope')")
    ap.add_argument("--no-snapshot", action="store_true",
                    help="run nlscope from the working tree as it is at each moment (default: "
                         "from a copy of nlscope/ taken at the start, see NlscopeSetup)")
    ap.add_argument("--tshark", default="tshark", help="tshark executable")
    ap.add_argument("--nl", action="append", default=[], metavar="NAME=ARGS",
                    help="replace row NAME's nlscope arguments (repeatable)")
    ap.add_argument("--ts", action="append", default=[], metavar="NAME=ARGS",
                    help="replace row NAME's tshark arguments; empty: no tshark side")
    ap.add_argument("--json", metavar="PATH", help="write JSON (and .md) here only")
    ap.add_argument("--flatness", action="store_true",
                    help="memory check: peak RSS of read/export/stats per capture size")
    ap.add_argument("--flat-sizes", default="250k,1M",
                    help="capture sizes for --flatness (default 250k,1M)")
    ap.add_argument("--list", action="store_true", help="print the rows and exit")
    a = ap.parse_args(argv)
    # SIGTERM as an exception, so the running child is killed too (it has its own session).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if a.list:
        rows = [Row(**asdict(r)) for r in COMMANDS]
        apply_overrides(rows, a.nl, a.ts)
        for r in rows:
            print(f"{r.name:<14} {r.kind:<8} nlscope {shlex.join(r.nlscope)}\n{'':<24}tshark  "
                  f"{shlex.join(r.tshark) if r.tshark else '(tshark -r reference)'}")
        return 0
    return flatness(a) if a.flatness else bench(a)


if __name__ == "__main__":
    sys.exit(main())
