#!/usr/bin/env python3
"""TUI benchmark: time to first screen, index time, peak RSS and filter time on a
large capture (default 1,000,000 messages), generated deterministically.

    .venv/bin/python bench/tui_bench.py [--messages N] [--capture PATH] [--keep]

Key latencies (issue 13 part 3): for each `j`/`k`, the time from the key to the list's
cursor moving and to the detail tree showing the message now selected (decoded on the
loader's thread), while the index is still being built and once it is complete:
median, p95 and max. `--big` (default samples/iproute2.pcapng) times moving onto each
1.3-1.5 kB RTM_NEWLINK of a real capture: by `:`-style jump (cold, nothing cached)
and by `j` from the row above (its neighbours prefetched).

`--filter` (default `type == NLMSG_ERROR`) is timed once the index is complete; a
header-only filter (filter_header_only: True) runs on the index without decoding,
one that reads attributes, the Info text or transactions decodes every message.

The capture comes from bench/make_capture.py when present, else from `make_capture`
below: a repeating, realistic mix of rtnetlink and generic netlink transactions (a
link dump, route adds answered by an error with extack or an ACK, an address delete
refused, a genl family lookup, an unanswered request), sequence numbers counting up.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlscope.capture.frame import Frame  # noqa: E402
from nlscope.capture.pcapio import PcapngWriter  # noqa: E402

T0 = 1_700_000_000 * 1_000_000_000


def nla(t: int, data: bytes, nested: bool = False) -> bytes:
    t |= 0x8000 if nested else 0
    return struct.pack("<HH", 4 + len(data), t) + data + b"\0" * (-len(data) % 4)


def nlmsg(mtype: int, flags: int, seq: int, pid: int, payload: bytes = b"") -> bytes:
    ln = 16 + len(payload)
    return struct.pack("<IHHII", ln, mtype, flags, seq, pid) + payload + b"\0" * (-ln % 4)


def cooked(proto: int) -> bytes:
    return struct.pack(">HHH8sH", 4, 824, 0, b"", proto)


def ifinfomsg(index: int, flags: int = 0x1003) -> bytes:
    return struct.pack("<BxHiII", 0, 1, index, flags, 0)


def rtmsg(dst_len: int) -> bytes:
    return struct.pack("<BBBBBBBBI", 2, dst_len, 0, 0, 254, 3, 0, 1, 0)


def _transactions(seq: int, pid: int) -> list[tuple[int, list[bytes]]]:
    """One round of traffic: (protocol, [frame payloads]) with their own seqs."""
    s = seq
    link = [nlmsg(18, 0x301, s, 0, ifinfomsg(0)),
            b"".join(nlmsg(16, 0x2, s, pid, ifinfomsg(k) + nla(3, f"eth{k}\0".encode())
                           + nla(4, struct.pack("<I", 1500))) for k in range(1, 4)),
            nlmsg(3, 0x2, s, pid, struct.pack("<i", 0))]
    route_attrs = lambda k: (nla(1, bytes([10, k & 255, 0, 0])) + nla(5, bytes([10, 9, 0, 254]))
                             + nla(4, struct.pack("<I", 3)))
    req = nlmsg(24, 0x605, s + 1, 0, rtmsg(16) + route_attrs(s))
    err = nlmsg(2, 0x200, s + 1, pid, struct.pack("<i", -101) + req
                + nla(1, b"Nexthop has invalid gateway\0") + nla(2, struct.pack("<I", 36)))
    req2 = nlmsg(24, 0x605, s + 2, 0, rtmsg(24) + route_attrs(s + 2))
    ack = nlmsg(2, 0x100, s + 2, pid, struct.pack("<i", 0) + req2[:16])
    dela = nlmsg(21, 0x105, s + 3, 0, struct.pack("<BBBBI", 2, 24, 0, 0, 2))
    eexist = nlmsg(2, 0x300, s + 3, pid, struct.pack("<i", -17) + dela[:16] + nla(1, b"exists\0"))
    getfam = nlmsg(0x10, 0x5, s + 4, 0, bytes([3, 1, 0, 0]) + nla(2, b"nl80211\0"))
    newfam = nlmsg(0x10, 0x0, s + 4, pid, bytes([1, 2, 0, 0]) + nla(2, b"nl80211\0")
                   + nla(1, struct.pack("<H", 0x21)) + nla(3, struct.pack("<I", 1)))
    genl_ack = nlmsg(2, 0x100, s + 4, pid, struct.pack("<i", 0) + getfam[:16])
    lost = nlmsg(18, 0x5, s + 5, 0, ifinfomsg(7))  # never answered
    return [(0, link), (0, [req, err]), (0, [req2, ack]), (0, [dela, eexist]),
            (16, [getfam, newfam + genl_ack]), (0, [lost])]


MESSAGES_PER_ROUND = 15


def make_capture(path: str, messages: int = 1_000_000) -> int:
    """Write a deterministic capture of about `messages` messages; returns the count."""
    n = 0
    ts = T0
    seq = 1
    pid = 4242
    fno = 0
    with open(path, "wb") as f:
        w = PcapngWriter(f)
        while n < messages:
            for proto, frames in _transactions(seq, pid):
                for payload in frames:
                    raw = cooked(proto) + payload
                    fno += 1
                    w.write(Frame(number=fno, ts_ns=ts, protocol=proto, raw=raw, orig_len=len(raw)))
                    ts += 37_000 + (fno * 7919) % 50_000
            n += MESSAGES_PER_ROUND
            seq += 6
    return n


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _run_tui(path: str, filter_text: str) -> dict[str, float]:
    from nlscope.tui.app import make_app

    out: dict[str, float] = {}
    rss0 = current_rss_mb()
    t0 = time.perf_counter()
    app = make_app(path, deterministic=True)
    async with app.run_test(size=(160, 50)) as pilot:
        lst = app.message_list
        while lst.first_row_painted_at is None or lst.row_count < 48:
            await asyncio.sleep(0.002)
        out["first_screen_s"] = lst.first_row_painted_at - t0
        out["app_mounted_s"] = app.mounted_at - t0
        during = []
        while not app.index.complete:
            await asyncio.sleep(0.05)
            if len(during) < KEYS:  # issue 13 part 3: keys while the index is built
                during.append(await _key_latencies(app, lst))
        _summary(out, "key_while_indexing", during)
        out["index_s"] = time.perf_counter() - t0
        out["messages"] = app.index.count
        out["index_arrays_mb"] = app.index.memory_bytes() / 2**20
        out["rss_after_index_mb"] = current_rss_mb()
        out["rss_growth_mb"] = current_rss_mb() - rss0
        _summary(out, "key_indexed", [await _key_latencies(app, lst) for _ in range(KEYS)])
        app.query_one("#filter-input").value = filter_text
        t3 = time.perf_counter()
        app.apply_filter(filter_text)
        lat = []
        while app.view.filtering:
            await asyncio.sleep(0.1)
            lat.append(await _key_latency(app, lst))
        out["filter_s"] = time.perf_counter() - t3
        out["filter_matches"] = len(app.view)
        out["filter_header_only"] = getattr(app.view, "fast_filter", False)  # no decode
        lat.sort()
        if lat:
            out["key_latency_during_filter_p50_s"] = lat[len(lat) // 2]
            out["key_latency_during_filter_max_s"] = lat[-1]
        out["peak_rss_mb"] = peak_rss_mb()
    return out


KEYS = 40  # cursor moves timed while indexing and once indexed


def _summary(out: dict, name: str, lat: list[tuple[float, float]]) -> None:
    """p50, p95 and max of the list's and the tree's latencies."""
    for k, label in ((0, "list"), (1, "tree")):
        xs = sorted(x[k] for x in lat)
        if xs:
            out[f"{name}_{label}_n"] = len(xs)
            out[f"{name}_{label}_p50_s"] = xs[len(xs) // 2]
            out[f"{name}_{label}_p95_s"] = xs[min(len(xs) - 1, int(len(xs) * 0.95))]
            out[f"{name}_{label}_max_s"] = xs[-1]


async def _tree_shows(app, i: int, t: float) -> float:
    tree = app.query_one("#detail")
    while tree.message_number != i + 1 and time.perf_counter() - t < 10:
        await asyncio.sleep(0.0005)
    return time.perf_counter() - t


async def _run_big(path: str) -> dict[str, float]:
    """Moving onto the large RTM_NEWLINKs of a real capture (issue 11's < 30 ms)."""
    from nlscope.tui.app import make_app

    out: dict[str, float] = {}
    app = make_app(path, deterministic=True)
    async with app.run_test(size=(160, 50)):
        while not app.index.complete:
            await asyncio.sleep(0.05)
        ix = app.index
        big = [i for i in range(1, ix.count) if ix.fr_proto[ix.m_frame[i]] == 0
               and ix.m_type[i] == 16 and 1300 <= ix.m_len[i] <= 1500]
        cold, warm = [], []
        lst = app.message_list
        for i in big:
            app.loader._cache.clear()  # cold: nothing decoded before the jump
            t = time.perf_counter()
            app.goto_message(i)
            cold.append((0.0, await _tree_shows(app, i, t)))
            app.goto_message(i - 1)  # then j onto it from the row above, prefetched
            await _tree_shows(app, i - 1, time.perf_counter())
            while i not in app.loader._cache:
                await asyncio.sleep(0.001)
            lst.focus()
            t = time.perf_counter()
            app.simulate_key("j")
            warm.append((0.0, await _tree_shows(app, i, t)))
        out["big_newlinks"] = len(big)
        _summary(out, "big_jump_cold", cold)
        _summary(out, "big_j_prefetched", warm)
    return {k: v for k, v in out.items() if "_list_" not in k}


async def _key_latencies(app, lst) -> tuple[float, float]:
    """One cursor move: (time until the list's cursor moved, time until the detail
    tree shows the message now selected)."""
    t = time.perf_counter()
    list_s = await _key_latency(app, lst)
    tree = app.query_one("#detail")
    want = lst.selected_message
    while (want is not None and tree.message_number != want + 1
           and time.perf_counter() - t < 10):
        await asyncio.sleep(0.0005)
    return list_s, time.perf_counter() - t


async def _key_latency(app, lst) -> float:
    """Post a key press as the terminal would and time until the cursor moved."""
    lst.focus()
    before = lst.cursor
    key = "j" if before < lst.row_count - 1 else "k"
    t = time.perf_counter()
    app.simulate_key(key)
    while lst.cursor == before and time.perf_counter() - t < 10:
        await asyncio.sleep(0.0005)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--capture", help="use (or create) this capture file")
    ap.add_argument("--filter", default="type == NLMSG_ERROR")
    ap.add_argument("--keep", action="store_true", help="keep the generated capture")
    ap.add_argument("--big", default=str(ROOT / "samples" / "iproute2.pcapng"),
                    help="a real capture with ~1.4 kB RTM_NEWLINKs ('' to skip)")
    args = ap.parse_args()
    tmp = None
    path = args.capture
    if path is None:
        tmp = tempfile.NamedTemporaryFile(suffix=".pcapng", delete=False)
        path = tmp.name
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        t = time.perf_counter()
        maker = ROOT / "bench" / "make_capture.py"
        if maker.exists():  # the project's generator, when there is one
            import subprocess
            subprocess.run([sys.executable, str(maker), "--messages", str(args.messages), "-o", path],
                           check=True)
        else:
            n = make_capture(path, args.messages)
            print(f"generated {n} messages")
        print(f"capture: {os.path.getsize(path) / 2**20:.1f} MB in {time.perf_counter() - t:.1f}s -> {path}")
    try:
        res = asyncio.run(_run_tui(path, args.filter))
        if args.big:
            res.update(asyncio.run(_run_big(args.big)))
    finally:
        if tmp is not None and not args.keep:
            os.unlink(path)
    for k, v in res.items():
        print(f"{k:>36}: {v:.3f}" if isinstance(v, float) else f"{k:>36}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
