#!/usr/bin/env python3
"""Build a large, deterministic netlink capture for benchmarks.

    python bench/make_capture.py [--messages 500000] [-o bench/out/large.pcapng]

The traffic is shaped like a busy `ip` session: link dumps (several NEWLINK replies per
frame, as the kernel packs them), route adds with ACKs and errors with extack, address
and neighbour notifications, generic-netlink-sized blobs. Same arguments, same bytes.
"""
from __future__ import annotations

import argparse
import random
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.make_fixtures import ifinfomsg, nla, nlmsg, rtmsg  # noqa: E402

from nlscope.capture.frame import Frame  # noqa: E402
from nlscope.capture.pcapio import PcapngWriter, cooked_header  # noqa: E402


def link(index: int, seq: int) -> bytes:
    name = f"veth{index}".encode() + b"\0"
    attrs = (nla(3, name) + nla(4, struct.pack("<I", 1500)) + nla(1, bytes([0x52, 0x54, 0, 0, index >> 8 & 255, index & 255]))
             + nla(16, bytes([6])) + nla(13, struct.pack("<I", 1000)) + nla(7, b"\0" * 64))
    return nlmsg(16, 0x2, seq, 4242, ifinfomsg(index, 0x11043) + attrs)


def route(i: int, seq: int, flags: int) -> bytes:
    dst = bytes([10, (i >> 8) & 255, i & 255, 0])
    return nlmsg(24, flags, seq, 0, rtmsg(24) + nla(15, struct.pack("<I", 254)) + nla(1, dst)
                 + nla(5, bytes([10, 9, 0, 254])) + nla(4, struct.pack("<I", 3)) + nla(6, struct.pack("<I", 50)))


def error(err: int, req: bytes, seq: int) -> bytes:
    tlv = nla(1, b"Nexthop has invalid gateway\0") + nla(2, struct.pack("<I", 36)) if err else b""
    flags = 0x100 | (0x200 if tlv else 0)
    return nlmsg(2, flags, seq, 4242, struct.pack("<i", err) + req[:16] + tlv)


def frames(n_messages: int):
    rnd = random.Random(1234)
    seq = 1
    made = 0
    while made < n_messages:
        pick = rnd.random()
        if pick < 0.25:  # link dump: request, 3 frames of 4 links, DONE
            yield nlmsg(18, 0x301, seq, 0, ifinfomsg(0))
            for f in range(3):
                yield b"".join(link(f * 4 + k + 1, seq) for k in range(4))
            yield nlmsg(3, 0x2, seq, 4242, struct.pack("<i", 0))
            made += 1 + 12 + 1
        elif pick < 0.85:  # route add + ACK (or an error, one in ten)
            req = route(seq, seq, 0x605)
            yield req
            yield error(-101 if rnd.random() < 0.1 else 0, req, seq)
            made += 2
        else:  # a notification
            yield route(seq, 0, 0x600)
            made += 1
        seq += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=500_000)
    ap.add_argument("-o", "--output", default=str(ROOT / "bench" / "out" / "large.pcapng"))
    a = ap.parse_args()
    out = Path(a.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    hdr = cooked_header(0)
    n = 0
    with open(out, "wb") as f:
        w = PcapngWriter(f)
        for n, data in enumerate(frames(a.messages), 1):
            w.write(Frame(n, 1_700_000_000_000_000_000 + n * 20_000, 0, hdr + data))
    print(f"{out}: {n} frames, >= {a.messages} messages, {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
