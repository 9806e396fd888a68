#!/usr/bin/env python3
"""Capture a big router's netlink traffic in the VM lab: 200k routes, 2,000 interfaces.

    .venv/bin/python bench/make_router_capture.py                  # -> bench/out/router.pcapng
    .venv/bin/python bench/make_router_capture.py --routes 50000 --ifaces 500 -o /tmp/r.pcapng
    .venv/bin/python bench/make_router_capture.py --tool nlscope    # capture with nlscope
    .venv/bin/python bench/make_router_capture.py --dry-run         # write the batch files only

One VM boot (tests/vm/lab.py: Debian's kernel under virtme-ng/TCG, as samples/generate.py
does) runs, in a fresh network namespace `router` with its own nlmon0, captured by
tcpdump (`-B`, default 512 MiB, so the route burst is not dropped; or `nlscope capture`):
  1. `ip -force -batch links.batch`: 8 uplinks (dummy, IPv4+IPv6 addresses) and --ifaces
     interfaces (default 2,000: 1,500 dummies with mixed MTUs, aliases and a /30 each,
     250 veth pairs), all set up;
  2. `ip -force -batch routes.batch`: --routes distinct routes (default 200,000: 90% IPv4
     of /16../24 all over the unicast space, 10% IPv6 /32../48), as a full BGP table
     looks: gateways on the uplinks, metrics, 6% multipath, 4% blackhole, 4% in table
     100, 3% with metrics (mtu lock, initcwnd), 3% device routes on customer interfaces;
  3. dumps: `ip -s -d link show` (the heavy ~1.4 kB RTM_NEWLINK with stats64, linkinfo and
     AF_SPEC, one per interface), `ip -d addr show`, `ip -4 route show`, `ip -6 route show`
     (the 200k-route dump, packed many messages a frame), `ip -s -d link show` again.
The batch files are made here, deterministically (seeded), so every run installs the
same routes; the capture itself differs between runs only by what the kernel and ip
choose (timestamps, sequence numbers, port ids, ifindexes).

Before stopping the capture the script waits until the file stops growing (tcpdump
discards what is still queued when interrupted). Drops reported by the capture tool,
the counts of routes and links really installed (counted after the capture stopped),
the time of each phase and the tool versions go to bench/out/router.meta.json (and
into the capture's section comment); the pcap is rewritten as pcapng with nlscope's
writer (nlscope.capture.pcapio.PcapngWriter) into bench/out/router.pcapng.

bench/out/ is git-ignored: the capture is tens of MB; regenerate it with this script.
Under TCG expect several minutes: measured on a loaded 2-core host, 16 s for the links,
249 s for the 200k-route burst, 22 s of dumps, 408 s for the whole VM run; tcpdump with
-B 512 MiB dropped nothing (431,832 frames, 637,348 messages, 75 MB).
Needs the VM lab: bash scripts/setup-vm.sh (qemu, a Debian kernel, vng in .venv).
Env: NLSCOPE_VM_MEMORY (default here 3G), NLSCOPE_VM_CPUS, NLSCOPE_VM_KERNEL (lab.py).
"""
from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT_DIR = HERE / "out"
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import make_real_capture as mrc  # noqa: E402

from nlscope.capture.pcapio import CaptureReader, PcapngWriter  # noqa: E402

UPLINKS = 8
SEED = 20240610


# --------------------------------------------------------------------------- batch files


def links_batch(n_ifaces: int, veth_pairs: int) -> list[str]:
    lines = []
    for u in range(UPLINKS):
        lines += [f"link add up{u} mtu 9000 type dummy", f"link set up{u} up",
                  f"addr add 10.{u}.0.1/16 dev up{u}", f"addr add 2001:db8:{u:x}::1/64 dev up{u}"]
    veth_pairs = min(veth_pairs, n_ifaces // 2)
    n_dummy = n_ifaces - 2 * veth_pairs
    for i in range(n_dummy):
        mtu = (1500, 9000, 1400, 4470)[i % 4]
        lines.append(f"link add dum{i} mtu {mtu} type dummy")
        if i % 3 == 0:
            lines.append(f"link set dum{i} alias cust-{i:05d}-port{i % 48}")
        lines.append(f"link set dum{i} up")
        lines.append(f"addr add 100.{64 + (i >> 14)}.{(i >> 6) & 255}.{((i & 63) << 2) | 1}/30 "
                     f"dev dum{i}")
    for j in range(veth_pairs):
        lines += [f"link add va{j} type veth peer name vb{j}", f"link set va{j} up",
                  f"link set vb{j} up",
                  f"addr add 198.{18 + (j >> 14)}.{(j >> 6) & 255}.{((j & 63) << 2) | 1}/30 dev va{j}"]
    return lines


_V4_AVOID = {0, 10, 100, 127, 169, 172, 192, 198}


def routes_batch(n_routes: int, n_dummy: int, seed: int = SEED) -> list[str]:
    rnd = random.Random(seed)
    n6 = n_routes // 10
    n4 = n_routes - n6
    seen: set[tuple[int, int]] = set()
    lines = []

    def gw4() -> tuple[str, str]:
        u = rnd.randrange(UPLINKS)
        return f"10.{u}.{rnd.randrange(256)}.{rnd.randrange(2, 255)}", f"up{u}"

    v4_plens = [24, 23, 22, 21, 20, 19, 18, 17, 16]
    v4_weights = [60, 8, 10, 5, 5, 3, 3, 2, 4]
    while len(lines) < n4:
        plen = rnd.choices(v4_plens, v4_weights)[0]
        addr = rnd.randrange(1 << 32) & ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF)
        if (addr >> 24) in _V4_AVOID or (addr >> 24) >= 224 or (addr, plen) in seen:
            continue
        seen.add((addr, plen))
        pfx = f"{ipaddress.IPv4Address(addr)}/{plen}"
        metric = rnd.choice((0, 10, 20, 100, 200, 1024))
        pick = rnd.random()
        if pick < 0.06:
            (a, da), (b, db) = gw4(), gw4()
            lines.append(f"route add {pfx} proto bgp nexthop via {a} dev {da} weight "
                         f"{rnd.randrange(1, 5)} nexthop via {b} dev {db} weight {rnd.randrange(1, 5)}")
        elif pick < 0.10:
            lines.append(f"route add blackhole {pfx} proto static")
        elif pick < 0.14:
            g, d = gw4()
            lines.append(f"route add {pfx} via {g} dev {d} table 100 proto static metric {metric}")
        elif pick < 0.17:
            g, d = gw4()
            lines.append(f"route add {pfx} via {g} dev {d} proto bgp mtu lock 1400 initcwnd 10")
        elif pick < 0.20 and n_dummy:
            lines.append(f"route add {pfx} dev dum{rnd.randrange(n_dummy)} proto static "
                         f"scope link")
        else:
            g, d = gw4()
            lines.append(f"route add {pfx} via {g} dev {d} proto bgp metric {metric}")
    seen6: set[tuple[int, int]] = set()
    v6_plens = [48, 44, 40, 36, 32]
    v6_weights = [70, 8, 8, 6, 8]
    while len(seen6) < n6:
        plen = rnd.choices(v6_plens, v6_weights)[0]
        top = (0x2400 + rnd.randrange(0x0C00)) << 112  # 2400::/6 .. 2fff::
        addr = (top | (rnd.randrange(1 << 36) << 76)) & (((1 << plen) - 1) << (128 - plen))
        if (addr, plen) in seen6:
            continue
        seen6.add((addr, plen))
        u = rnd.randrange(UPLINKS)
        pfx = f"{ipaddress.IPv6Address(addr)}/{plen}"
        metric = rnd.choice((1024, 100, 200))
        if rnd.random() < 0.05:
            lines.append(f"route add blackhole {pfx} proto static")
        else:
            lines.append(f"route add {pfx} via 2001:db8:{u:x}::{rnd.randrange(2, 0xfff):x} "
                         f"dev up{u} proto bgp metric {metric}")
    return lines


# --------------------------------------------------------------------------- VM script

VM_SCRIPT = r'''
# Runs inside the VM (bench/make_router_capture.py through tests/vm/lab.py).
exec 2>&1
set -u
NS=router
CAP_DIR=/tmp/nlscope-bench
mkdir -p "$CAP_DIR" 2>/dev/null && touch "$CAP_DIR/.w" 2>/dev/null || CAP_DIR="$OUT"
phase() { echo "phase $1 $(date +%s.%N)" >> "$OUT/phases.txt"; echo "== $1 $(date +%T)"; }
: > "$OUT/phases.txt"
{
    echo "kernel: $(uname -r)"
    echo "iproute2: $(ip -V 2>&1)"
    echo "tcpdump: $(tcpdump --version 2>&1 | head -n1)"
    echo "cpus: $(nproc)"
    echo "memory: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
} > "$OUT/versions.txt"
cat "$OUT/versions.txt"

modprobe nlmon || { echo "FATAL: modprobe nlmon"; exit 2; }
modprobe dummy numdummies=0 2>/dev/null; modprobe veth 2>/dev/null
ip netns add $NS
ip -n $NS link set lo up
ip netns exec $NS sysctl -qw net.ipv6.route.max_size=2147483647 2>/dev/null || true
ip netns exec $NS sysctl -qw net.ipv6.conf.default.accept_dad=0 2>/dev/null || true
ip -n $NS link add nlmon0 type nlmon && ip -n $NS link set nlmon0 up || { echo "FATAL: nlmon0"; exit 2; }

if [ "$TOOL" = nlscope ]; then
    CAP="$CAP_DIR/router.pcapng"
    ip netns exec $NS nlscope capture -i nlmon0 -w "$CAP" -B "$BUFFER_MIB" -q \
        > "$OUT/capture.txt" 2>&1 &
    cpid=$!
    for i in $(seq 1 200); do [ -s "$CAP" ] && break; sleep 0.1; done
    sleep 1
else
    CAP="$CAP_DIR/router.pcap"
    ip netns exec $NS tcpdump -U -n -Z root -B $((BUFFER_MIB * 1024)) -s 0 \
        --time-stamp-precision=nano -i nlmon0 -w "$CAP" > "$OUT/capture.txt" 2>&1 &
    cpid=$!
    for i in $(seq 1 200); do grep -q "listening on" "$OUT/capture.txt" 2>/dev/null && break; sleep 0.05; done
    sleep 0.3
fi

phase links
ip -n $NS -force -batch "$OUT/links.batch" > "$OUT/links.log" 2>&1
echo "links batch: rc=$?, $(grep -c . "$OUT/links.log") lines of errors"
phase routes
ip -n $NS -force -batch "$OUT/routes.batch" > "$OUT/routes.log" 2>&1
echo "routes batch: rc=$?, $(grep -c . "$OUT/routes.log") lines of errors"
phase dump-links
ip -n $NS -s -d link show > /dev/null
phase dump-addrs
ip -n $NS -d addr show > /dev/null
phase dump-routes4
ip -n $NS -4 route show > /dev/null
phase dump-routes6
ip -n $NS -6 route show > /dev/null
phase dump-links-again
ip -n $NS -s -d link show > /dev/null
phase drain
# Let the capture tool empty the kernel buffer: wait until the file stops growing.
prev=-1; stable=0; t=0
while [ $stable -lt 4 ] && [ $t -lt 600 ]; do
    sz=$(stat -c %s "$CAP" 2>/dev/null || echo 0)
    if [ "$sz" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
    prev=$sz; sleep 1; t=$((t + 1))
done
phase stop
kill -INT $cpid; wait $cpid
echo "capture: $(tr '\n' ' ' < "$OUT/capture.txt")"
# Counted after the capture stopped, so these dumps are not in it.
{
    echo "routes4_main: $(ip -n $NS -4 route show | wc -l)"
    echo "routes4_table100: $(ip -n $NS -4 route show table 100 | wc -l)"
    echo "routes6: $(ip -n $NS -6 route show | wc -l)"
    echo "links: $(ip -n $NS -o link show | wc -l)"
    echo "addrs4: $(ip -n $NS -4 -o addr show | wc -l)"
} > "$OUT/counts.txt"
cat "$OUT/counts.txt"
if [ "$CAP_DIR" != "$OUT" ]; then cp "$CAP" "$OUT/" || exit 3; fi
ls -l "$OUT"
'''


# --------------------------------------------------------------------------- host side


def load_lab():
    path = ROOT / "tests" / "vm" / "lab.py"
    spec = importlib.util.spec_from_file_location("nlscope_vm_lab", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up
    spec.loader.exec_module(mod)
    return mod


def read_kv(path: Path) -> dict[str, str]:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            k, sep, v = line.partition(": ")
            if sep:
                out[k.strip()] = v.strip()
    return out


def parse_drops(text: str, tool: str) -> dict:
    d: dict = {"text": " ".join(text.split())[-600:]}
    if tool == "tcpdump":
        for key, pat in (("captured", r"(\d+) packets captured"),
                         ("received_by_filter", r"(\d+) packets received by filter"),
                         ("dropped_by_kernel", r"(\d+) packets dropped by kernel")):
            m = re.search(pat, text)
            d[key] = int(m.group(1)) if m else None
    else:
        m = re.search(r"(\d+) frames captured on \S+; the kernel dropped (\d+)", text)
        d["captured"] = int(m.group(1)) if m else None
        d["dropped_by_kernel"] = int(m.group(2)) if m else None
    return d


def to_pcapng(src: Path, dst: Path, comment: str) -> int:
    """Rewrite src (pcap or pcapng) as pcapng with nlscope's writer, our comment first and
    src's own section comments (a genl family map, say) kept."""
    reader = CaptureReader(src)
    it = iter(reader)
    first = next(it, None)
    tmp = dst.with_name(dst.name + ".tmp")
    n = 0
    with open(tmp, "wb", buffering=1 << 20) as f:
        w = PcapngWriter(f, comments=[comment, *reader.section_comments])
        if first is not None:
            w.write(first)
            n = 1
            for fr in it:
                w.write(fr)
                n += 1
    os.replace(tmp, dst)
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", type=Path, default=OUT_DIR / "router.pcapng")
    ap.add_argument("--routes", type=int, default=200_000)
    ap.add_argument("--ifaces", type=int, default=2_000)
    ap.add_argument("--veth-pairs", type=int, default=250,
                    help="of --ifaces, this many veth pairs (2 interfaces each); dummies the rest")
    ap.add_argument("--tool", choices=("tcpdump", "nlscope"), default="tcpdump")
    ap.add_argument("-B", "--buffer-mib", type=int, default=512,
                    help="capture buffer in MiB (default 512)")
    ap.add_argument("--timeout", type=float, default=3600, help="VM run timeout, seconds")
    ap.add_argument("--keep-work", action="store_true",
                    help="keep the VM's work directory (raw capture, batch files, logs)")
    ap.add_argument("--dry-run", action="store_true",
                    help="write the batch files to a work directory and stop")
    a = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="nlscope-router-"))
    links = links_batch(a.ifaces, a.veth_pairs)
    n_dummy = a.ifaces - 2 * min(a.veth_pairs, a.ifaces // 2)
    routes = routes_batch(a.routes, n_dummy)
    (work / "links.batch").write_text("\n".join(links) + "\n")
    (work / "routes.batch").write_text("\n".join(routes) + "\n")
    print(f"work dir {work}: {len(links)} link/addr commands, {len(routes)} routes", flush=True)
    if a.dry_run:
        return 0

    lab = load_lab()
    reason = lab.vm_unavailable_reason()
    if reason:
        raise SystemExit(reason)
    os.environ.setdefault("NLSCOPE_VM_MEMORY", "3G")
    print(f"booting kernel {lab.kernel_release()} (TCG; several minutes) ...", flush=True)
    t0 = time.monotonic()
    res = lab.run_in_vm(VM_SCRIPT, outdir=work, timeout=a.timeout,
                        env={"TOOL": a.tool, "BUFFER_MIB": str(a.buffer_mib)})
    vm_seconds = time.monotonic() - t0
    print(res.stdout, end="")
    if res.stderr.strip():
        print(res.stderr[-3000:], file=sys.stderr, end="")
    raw = work / ("router.pcapng" if a.tool == "nlscope" else "router.pcap")
    if res.rc != 0 or not raw.exists():
        raise SystemExit(f"VM script exited {res.rc}; work dir kept: {work}")

    versions = read_kv(work / "versions.txt")
    counts = {k: int(v) for k, v in read_kv(work / "counts.txt").items() if v.isdigit()}
    drops = parse_drops((work / "capture.txt").read_text(errors="replace"), a.tool)
    phases = []
    for line in (work / "phases.txt").read_text().splitlines():
        _, name, ts = line.split()
        phases.append((name, float(ts)))
    phase_s = {name: round(phases[i + 1][1] - ts, 2) for i, (name, ts) in enumerate(phases[:-1])}
    errors = {name: sum(1 for ln in (work / f"{name}.log").read_text(errors="replace").splitlines()
                        if ln.strip())
              for name in ("links", "routes") if (work / f"{name}.log").exists()}
    comment = (f"nlscope bench 'router': {a.routes} distinct routes (ip -batch) and "
               f"{a.ifaces} interfaces created and dumped (ip -s -d link show), route and "
               f"address dumps; captured by {a.tool} -B {a.buffer_mib} MiB on nlmon0 in its "
               f"own network namespace, kernel {versions.get('kernel', '?')}; kernel drops: "
               f"{drops.get('dropped_by_kernel')}; made by bench/make_router_capture.py")
    a.output.parent.mkdir(parents=True, exist_ok=True)
    frames = to_pcapng(raw, a.output, comment)
    info = mrc.capture_info(a.output)
    meta = json.loads(mrc.meta_path(a.output).read_text())
    meta.update({
        "kind": "router-lab",
        "made_by": "bench/make_router_capture.py",
        "routes_requested": a.routes, "ifaces_requested": a.ifaces,
        "veth_pairs": min(a.veth_pairs, a.ifaces // 2),
        "batch_commands": {"links": len(links), "routes": len(routes)},
        "batch_error_lines": errors,
        "installed": counts, "tool": a.tool, "buffer_mib": a.buffer_mib,
        "drops": drops, "phase_seconds": phase_s, "vm_seconds": round(vm_seconds, 1),
        "versions": versions, "bytes": a.output.stat().st_size,
    })
    mrc.meta_path(a.output).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    if a.keep_work:
        print(f"work dir kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{a.output}: {info['messages']} messages in {frames} frames, "
          f"{a.output.stat().st_size / 1e6:.1f} MB; kernel drops {drops.get('dropped_by_kernel')}; "
          f"installed {counts}; batch error lines {errors}; phases {phase_s}; VM {vm_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
