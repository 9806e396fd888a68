"""Run a fuzzer: `python -m tests.fuzz.run TARGET [--iterations N | --seconds T] ...`

Targets: frames (netlink frames through scan, decode, summary, JSON and text output),
containers (pcap/pcapng files through the reader and decoder), filters (display
filters compiled and run), ynl (YNL specs loaded and used), all (each in turn).

Inputs come from structure-aware mutators (tests/fuzz/frames.py, containers.py,
text.py) seeded from the repository's captures, README filters and YNL specs. With
--atheris (PyPI: atheris) the frames and containers targets are coverage-guided:
libFuzzer picks inputs by the coverage they reach and our mutators make new ones.

Findings (an exception escaping a target, a broken property) are counted by kind and
place; a reproducer of each new one is written to --out. The report ends with the
counts, the peak RSS and the RSS at the first and last tenth of the run: flat figures
mean memory does not grow with input. Exit status 1 when anything was found.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

TARGETS = ("frames", "containers", "filters", "ynl")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Run:
    """Counts and findings of one target's run."""

    def __init__(self, name: str, out: Path | None):
        from .targets import Stats
        self.name = name
        self.out = out
        self.stats = Stats()
        self.findings: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.rss: list[float] = []

    def record(self, e: BaseException, data: bytes) -> None:
        from .targets import Finding
        if isinstance(e, Finding):
            key = f"{e.kind}: {str(e)[:160]}"
        else:
            tb = traceback.extract_tb(e.__traceback__)
            where = next((f for f in reversed(tb) if "/nlscope/" in f.filename or "/dissectors/" in f.filename),
                         tb[-1] if tb else None)
            place = f"{Path(where.filename).name}:{where.lineno}" if where else "?"
            key = f"traceback: {type(e).__name__} at {place}"
        self.findings[key] += 1
        if key not in self.examples:
            self.examples[key] = "".join(traceback.format_exception(e))[-3000:]
            if self.out is not None:
                self.out.mkdir(parents=True, exist_ok=True)
                n = len(self.examples)
                (self.out / f"{self.name}-{n}.bin").write_bytes(data)
                (self.out / f"{self.name}-{n}.txt").write_text(key + "\n\n" + self.examples[key])

    def report(self) -> dict:
        r = self.rss or [rss_mb()]
        tenth = max(1, len(r) // 10)
        return {"target": self.name, "counts": dict(self.stats),
                "findings": dict(self.findings),
                "tracebacks": sum(v for k, v in self.findings.items() if k.startswith("traceback")),
                "span_violations": sum(v for k, v in self.findings.items() if k.startswith("span")),
                "rss_mb": {"first_tenth": round(max(r[:tenth]), 1), "last_tenth": round(max(r[-tenth:]), 1),
                           "peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}}


def _fuzzer(name: str, rng: random.Random, registry, kernel_specs: bool):
    """(make an input, run it) for a target: make(rng) -> bytes, run(bytes, stats)."""
    from . import containers, corpus, text
    from .frames import mutate_frame
    from .targets import container_target, filter_target, frame_target, ynl_target

    if name == "frames":
        corpora = [c for c in corpus.frame_corpora(registry) if c.seeds]

        def make() -> bytes:
            c = rng.choice(corpora)
            s = rng.choice(c.seeds)
            return bytes([corpora.index(c), s.protocol]) + mutate_frame(s, rng, c.donors.get(s.protocol, []))

        def run(data: bytes, stats: Stats) -> None:
            if len(data) < 2:
                return
            c = corpora[data[0] % len(corpora)]
            frame_target(c.decoder, data[1], data[2:], stats)
            if len(c.decoder.state.get("genl", {}) if isinstance(c.decoder.state, dict) else ()) > 4096:
                c.decoder.state = {}  # what mutants taught: bounded by the family id space anyway
        return make, run, corpora
    if name == "containers":
        seeds = corpus.container_seeds()
        frames = corpus.frame_corpora(registry)

        def make() -> bytes:
            return containers.mutate(rng.choice(seeds)[1], rng, frames)

        def run(data: bytes, stats: Stats) -> None:
            container_target(data, registry, stats)
        return make, run, None
    if name == "filters":
        seeds = corpus.filter_seeds()
        msgs = [m for c in corpus.frame_corpora(registry, limit_per_file=20) for s in c.seeds[:20]
                for m in _decoded(c, s)]

        def make() -> bytes:
            return text.mutate_filter(rng.choice(seeds), rng).encode("utf-8", "surrogatepass")

        def run(data: bytes, stats: Stats) -> None:
            filter_target(data.decode("utf-8", "replace"), msgs, stats)
        return make, run, None
    if name == "ynl":
        seeds = corpus.ynl_seeds(kernel_specs)
        genl = [(s.protocol, s.link + b"".join(m.pack() for m in s.msgs))
                for c in corpus.frame_corpora(registry, limit_per_file=40) for s in c.seeds if s.protocol == 16][:40]

        def make() -> bytes:
            return text.mutate_spec(rng.choice(seeds)[1], rng)

        def run(data: bytes, stats: Stats) -> None:
            ynl_target(data, stats, genl)
        return make, run, None
    raise SystemExit(f"unknown target {name!r}: one of {', '.join(TARGETS)}, all")


def _decoded(c, s):
    from nlscope.capture.frame import Frame
    from nlscope.decode.decoder import scan_frame
    raw = s.link + b"".join(m.pack() for m in s.msgs)
    fr = Frame(0, 0, s.protocol, raw, 16, len(raw))
    out = scan_frame(fr, c.decoder)
    for m in out:
        c.decoder.note(m)
    return out


def fuzz(name: str, iterations: int | None, seconds: float | None, seed: int, out: Path | None,
         kernel_specs: bool = False, progress: bool = False) -> dict:
    """Pure-Python loop: our mutators, a fixed seed (the same inputs every run)."""
    from nlscope.decode.registry import default_registry
    rng = random.Random(seed)
    registry = default_registry(entry_points=False)
    make, run, _ = _fuzzer(name, rng, registry, kernel_specs)
    r = Run(name, out)
    start = time.monotonic()
    i = 0
    step = max(1, (iterations or 10_000) // 50)
    while (iterations is None or i < iterations) and (seconds is None or time.monotonic() - start < seconds):
        data = make()
        try:
            run(data, r.stats)
        except (Exception, SystemExit) as e:  # noqa: BLE001 (every escape is a finding)
            r.record(e, data)
        i += 1
        if i % step == 0:
            r.rss.append(rss_mb())
            if progress:
                print(f"{name}: {i} inputs, {dict(r.stats)}, {sum(r.findings.values())} findings, "
                      f"rss {r.rss[-1]:.0f} MB", file=sys.stderr, flush=True)
    r.stats["inputs"] = i
    r.rss.append(rss_mb())
    rep = r.report()
    rep["seconds"] = round(time.monotonic() - start, 1)
    rep["examples"] = r.examples
    return rep


def fuzz_atheris(name: str, argv: list[str]) -> None:
    """Coverage-guided (libFuzzer through atheris): never returns. Our mutators make
    most new inputs from the one libFuzzer picked; the rest are its own byte mutations."""
    import atheris

    # Coverage of nlscope's own code (the dissectors are nlscope.dissectors); its
    # dependencies are not instrumented: cheaper, and their coverage is not ours to find.
    with atheris.instrument_imports(include=["nlscope"]):
        import nlscope.capture.pcapio  # noqa: F401
        import nlscope.decode.decoder  # noqa: F401
        import nlscope.dissectors  # noqa: F401
        import nlscope.output.text  # noqa: F401
        from nlscope.decode.registry import default_registry
        registry = default_registry(entry_points=False)  # imports every family module
    from nlscope.capture.frame import Frame
    from nlscope.decode.decoder import scan_frame

    from . import containers, corpus
    from .frames import mutate_frame
    from .targets import Finding, Stats
    rng = random.Random(0)
    make, run, corpora = _fuzzer(name, rng, registry, False)
    stats = Stats()

    def remutate_frame(data: bytes) -> bytes:
        """The input libFuzzer picked, taken apart along its decode and mutated."""
        if len(data) < 18:
            return make()
        c = corpora[data[0] % len(corpora)]
        fr = Frame(0, 0, data[1], data[2:], 16, len(data) - 2)
        seed = corpus.seed_of(fr, scan_frame(fr, c.decoder))
        if seed is None:
            return make()
        seed.types = sorted({m.mtype for d in c.donors.get(seed.protocol, []) for m in (d,)})
        return data[:2] + mutate_frame(seed, rng, c.donors.get(seed.protocol, []))

    def one(data: bytes) -> None:
        try:
            run(data, stats)
        except Finding:
            raise
        except SystemExit as e:  # libFuzzer must see it as a crash, not an exit
            raise RuntimeError(f"SystemExit({e.code!r}) escaped") from e

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng.seed(seed)
        if rng.random() < 0.3 or not data:
            return make()[:max_size]
        if rng.random() < 0.3:
            return atheris.Mutate(data, max_size)
        if name == "containers":
            return containers.mutate(data, rng, None)[:max_size]
        return remutate_frame(data)[:max_size]

    if not any(a.startswith("-artifact_prefix=") for a in argv):  # not into the working directory
        import tempfile
        argv = [*argv, f"-artifact_prefix={tempfile.gettempdir()}/nlscope-fuzz-"]
    atheris.Setup(argv, one, custom_mutator=mutator)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("target", choices=(*TARGETS, "all"))
    ap.add_argument("--iterations", "-n", type=int, help="inputs per target")
    ap.add_argument("--seconds", "-t", type=float, help="time per target")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write a reproducer of each finding here")
    ap.add_argument("--max-mb", type=int, default=3072, help="address-space limit (MemoryError is a finding)")
    ap.add_argument("--kernel-specs", action="store_true", help="seed ynl with the kernel's specs (/usr/src)")
    ap.add_argument("--atheris", action="store_true", help="coverage-guided (frames, containers)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--progress", action="store_true")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []  # for libFuzzer: -runs=N ...
    a = ap.parse_args(argv[:len(argv) - len(extra) - (1 if "--" in argv else 0)])
    if a.max_mb:
        lim = a.max_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    if a.atheris:
        fuzz_atheris(a.target, [sys.argv[0], *extra])
        return 0
    if a.iterations is None and a.seconds is None:
        ap.error("give --iterations or --seconds")
    reports = [fuzz(t, a.iterations, a.seconds, a.seed, a.out, a.kernel_specs, a.progress)
               for t in (TARGETS if a.target == "all" else (a.target,))]
    for rep in reports:
        if a.json:
            continue
        print(f"{rep['target']}: {rep['counts'].get('inputs', 0)} inputs in {rep['seconds']} s; "
              f"counts {json.dumps({k: v for k, v in rep['counts'].items() if k != 'inputs'})}")
        print(f"  tracebacks {rep['tracebacks']}, span violations {rep['span_violations']}, "
              f"findings {sum(rep['findings'].values())}; RSS MB first tenth {rep['rss_mb']['first_tenth']}, "
              f"last tenth {rep['rss_mb']['last_tenth']}, peak {rep['rss_mb']['peak']}")
        for k, v in sorted(rep["findings"].items(), key=lambda kv: -kv[1]):
            print(f"  {v:7d}  {k}")
    if a.json:
        print(json.dumps([{k: v for k, v in r.items() if k != "examples"} for r in reports], indent=1))
    return 1 if any(r["findings"] for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
