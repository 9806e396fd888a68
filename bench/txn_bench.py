#!/usr/bin/env python3
"""Transaction pairing throughput on a large capture.

    python bench/txn_bench.py [--messages 500000] [--capture bench/out/large.pcapng]

Builds the capture with bench/make_capture.py if it is missing (deterministic: same
arguments, same bytes), decodes every message once, then times, over the decoded
messages: pairing alone (Tracker via correlate), pairing + a display filter, and
pairing + statistics. Prints transactions/s and messages/s. Numbers, not assertions.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlscope.decode.decoder import Decoder  # noqa: E402
from nlscope.analysis.filter import compile_filter  # noqa: E402
from nlscope.capture.pcapio import CaptureReader  # noqa: E402
from nlscope.decode.registry import default_registry  # noqa: E402
from nlscope.analysis.stats import Stats  # noqa: E402
from nlscope.analysis.transactions import Tracker, correlate  # noqa: E402


def ensure_capture(path: Path, messages: int) -> None:
    if path.is_file():
        return
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_capture.py"), "--messages", str(messages),
                    "-o", str(path)], check=True)


def timed(label: str, fn, n_msgs: int) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"{label:<34} {dt:8.2f} s  {n_msgs / dt:>10,.0f} messages/s")
    return dt, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=500_000)
    ap.add_argument("--capture", default=str(ROOT / "bench" / "out" / "large.pcapng"))
    ap.add_argument("--filter", default="txn.status == error or latency > 1ms")
    a = ap.parse_args()
    path = Path(a.capture)
    path.parent.mkdir(parents=True, exist_ok=True)
    ensure_capture(path, a.messages)

    dec = Decoder(default_registry())
    t0 = time.perf_counter()
    msgs = list(dec.messages(CaptureReader(path)))
    dt = time.perf_counter() - t0
    n = len(msgs)
    print(f"capture: {path} ({path.stat().st_size / 1e6:.1f} MB), {n:,} messages")
    print(f"{'decode (for reference)':<34} {dt:8.2f} s  {n / dt:>10,.0f} messages/s")

    tracker = Tracker()

    def pair():
        k = 0
        for _ in correlate(msgs, tracker):
            k += 1
        return k
    dt, _ = timed("pairing (correlate)", pair, n)
    txns = tracker.count
    print(f"{'':<34} {txns:,} transactions: {txns / dt:,.0f} transactions/s")

    flt = compile_filter(a.filter)

    def pair_filter():
        return sum(1 for m, t in correlate(msgs) if flt(m, t))
    _, hits = timed(f"pairing + -Y '{a.filter}'", pair_filter, n)
    print(f"{'':<34} {hits:,} messages match")

    def pair_stats():
        st = Stats()
        for m, t in correlate(msgs):
            if t is not None and m is t.messages[0]:
                st.add_transaction(t)
            st.add_message(m, t)
        return st.to_json()
    _, js = timed("pairing + stats", pair_stats, n)
    print(f"{'':<34} statuses: {js['transactions']}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB "
          f"(the decoded messages held in a list for timing; the CLI streams)")


if __name__ == "__main__":
    main()
