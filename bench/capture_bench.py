#!/usr/bin/env python3
"""Live capture benchmark: nlscope capture vs tcpdump on the same netlink burst, in the
VM lab (a Debian kernel under qemu/TCG: absolute figures are those of an emulated CPU;
compare the columns, not with a real machine).

    .venv/bin/python bench/capture_bench.py [--routes N] [--modes ring,recv] [--buffer MiB]

One boot. For each capturer in turn (alone, so none steals the other's CPU): start it
on nlmon0, wait until it is ready, run the burst (`ip -batch` adding N routes, then
deleting them: 4N frames, each request and its ACK), give it 3 s to catch up, stop it
with SIGINT. Printed per capturer: frames written, kernel drops, the burst's own rate
(frames/s the kernel produced), the capturer's CPU seconds during the burst, and its
capacity = frames per CPU second (the rate one CPU sustains without drops).
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SCRIPT = r"""
exec 2>&1
set -u
NL="$REPO/.venv/bin/nlscope"
modprobe nlmon
ip link add nlmon0 type nlmon && ip link set nlmon0 up
ip link add dummy1 type dummy && ip link set dummy1 up
python3 - <<'PY'
import os
n = int(os.environ["ROUTES"])
with open(os.environ["OUT"] + "/add.batch", "w") as f, open(os.environ["OUT"] + "/del.batch", "w") as g:
    for i in range(n):
        f.write(f"route add 10.{i >> 8 & 255}.{i & 255}.0/24 dev dummy1 table {100 + (i >> 16)}\n")
        g.write(f"route del 10.{i >> 8 & 255}.{i & 255}.0/24 dev dummy1 table {100 + (i >> 16)}\n")
PY
cpu() { awk '{print $14 + $15}' /proc/$1/stat 2>/dev/null || echo 0; }
now() { echo ${EPOCHREALTIME/./}; }
run() {   # run NAME READY-REGEX CMD...
    local name=$1 ready=$2; shift 2
    "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" &
    local P=$!
    for _ in $(seq 1 1200); do grep -Eq "$ready" "$OUT/$name.err" && break; sleep 0.1; done
    sleep 0.5
    local c0=$(cpu $P) t0=$(now)
    ip -batch "$OUT/add.batch"; ip -batch "$OUT/del.batch"
    local t1=$(now)
    sleep 3
    local c1=$(cpu $P)
    kill -INT $P; wait $P
    echo "RESULT $name burst_us=$((t1 - t0)) cpu_ticks=$((c1 - c0)) hz=$(getconf CLK_TCK)"
    cat "$OUT/$name.err"
}
for mode in $MODES; do
    run "nlscope-$mode" "capturing on" "$NL" capture -i nlmon0 -B "$BUFFER" --capture-mode "$mode" -w "$OUT/nlscope-$mode.pcapng"
done
run tcpdump "listening on" tcpdump -n -i nlmon0 -B $((BUFFER * 1024)) -w "$OUT/tcpdump.pcap"
"""


def parse(stdout: str) -> list[dict]:
    rows = []
    cur = None
    for line in stdout.splitlines():
        m = re.match(r"RESULT (\S+) burst_us=(\d+) cpu_ticks=(\d+) hz=(\d+)", line)
        if m:
            cur = {"name": m.group(1), "burst_s": int(m.group(2)) / 1e6,
                   "cpu_s": int(m.group(3)) / int(m.group(4)), "frames": None, "drops": None}
            rows.append(cur)
            continue
        if cur is None:
            continue
        m = re.search(r"(\d+) frames captured on \S+; the kernel dropped (\d+)", line)
        if m:
            cur["frames"], cur["drops"] = int(m.group(1)), int(m.group(2))
        m = re.match(r"(\d+) packets captured", line)
        if m:
            cur["frames"] = int(m.group(1))
        m = re.match(r"(\d+) packets dropped by kernel", line)
        if m:
            cur["drops"] = int(m.group(1))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--routes", type=int, default=20000, help="routes per burst (frames: 4x)")
    ap.add_argument("--modes", default="ring,recv", help="nlscope capture modes to run")
    ap.add_argument("--buffer", type=int, default=64, help="capture buffer, MiB (both tools)")
    args = ap.parse_args()
    from vm.lab import run_in_vm, vm_unavailable_reason
    reason = vm_unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    out = Path(tempfile.mkdtemp(prefix="nlscope-capbench-"))
    res = run_in_vm(SCRIPT, outdir=out, timeout=3000,
                    env={"ROUTES": str(args.routes), "MODES": args.modes.replace(",", " "),
                         "BUFFER": str(args.buffer)})
    rows = parse(res.stdout)
    if res.rc != 0 or not rows:
        print(res.stdout[-4000:], res.stderr[-2000:], file=sys.stderr)
        return 1
    expect = 4 * args.routes
    print(f"burst: {args.routes} routes added then deleted = {expect} frames; "
          f"buffer {args.buffer} MiB; VM under TCG ({out})")
    print(f"{'capturer':<16} {'frames':>8} {'drops':>6} {'burst s':>8} {'burst fr/s':>11} "
          f"{'CPU s':>7} {'fr/CPU-s':>9}")
    for r in rows:
        fps = r["frames"] / r["burst_s"] if r["frames"] and r["burst_s"] else 0
        cap = r["frames"] / r["cpu_s"] if r["frames"] and r["cpu_s"] else float("inf")
        print(f"{r['name']:<16} {r['frames'] if r['frames'] is not None else '?':>8} "
              f"{r['drops'] if r['drops'] is not None else '?':>6} {r['burst_s']:>8.1f} "
              f"{fps:>11.0f} {r['cpu_s']:>7.2f} {cap:>9.0f}")
    bad = [r["name"] for r in rows if r["frames"] is not None and r["frames"] < expect]
    if bad:
        print(f"note: fewer than {expect} frames for {', '.join(bad)}: "
              f"other netlink traffic or drops; see the drops column")
    return 0


if __name__ == "__main__":
    sys.exit(main())
