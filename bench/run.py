#!/usr/bin/env python3
"""Decode throughput: nlscope read / export beside tshark on the same capture.

    python bench/run.py [--messages 500000] [--skip-tshark]

Builds bench/out/large.pcapng with bench/make_capture.py if it is missing (or has a
different size), then runs each command once, output to /dev/null, and prints
messages/s, frames/s, wall time and peak RSS. Numbers, not assertions.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlscope.decode.decoder import scan_frame  # noqa: E402
from nlscope.capture.pcapio import CaptureReader  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MB, exit status of one run."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, ru.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=500_000)
    ap.add_argument("--capture", default=str(ROOT / "bench" / "out" / "large.pcapng"))
    ap.add_argument("--skip-tshark", action="store_true")
    a = ap.parse_args()
    cap = Path(a.capture)
    stamp = cap.with_suffix(".messages")
    if not cap.exists() or not stamp.exists() or stamp.read_text() != str(a.messages):
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_capture.py"), "--messages",
                        str(a.messages), "-o", str(cap)], check=True)
        stamp.write_text(str(a.messages))
    frames = messages = 0
    for fr in CaptureReader(cap):
        frames += 1
        messages += len(scan_frame(fr))
    print(f"capture: {cap} ({cap.stat().st_size / 1e6:.1f} MB), {frames} frames, {messages} messages")
    nl = [sys.executable, "-m", "nlscope"]
    runs = [("nlscope read", nl + ["read", str(cap)]),
            ("nlscope read -V", nl + ["read", "-V", str(cap)]),
            ("nlscope export jsonl", nl + ["export", "--format", "jsonl", str(cap)])]
    tshark = shutil.which("tshark")
    if tshark and not a.skip_tshark:
        runs += [("tshark (summary)", [tshark, "-r", str(cap)]),
                 ("tshark -T json", [tshark, "-r", str(cap), "-T", "json"])]
    print(f"{'command':<22} {'wall s':>8} {'msgs/s':>10} {'frames/s':>10} {'peak RSS MB':>12}")
    for name, cmd in runs:
        secs, rss, rc = timed(cmd)
        flag = "" if rc == 0 else f"  (exit {rc})"
        print(f"{name:<22} {secs:>8.2f} {messages / secs:>10.0f} {frames / secs:>10.0f} {rss:>12}{flag}")


if __name__ == "__main__":
    main()
