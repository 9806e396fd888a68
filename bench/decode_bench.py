#!/usr/bin/env python3
"""The decode itself, in one process: CPU time to decode every message of a capture and
build its export record (tree + summary + JSON + encoding), apart from reading, pairing
and writing. Several rounds, the fastest reported: on a shared machine the minimum of
process time is the stable figure. Runs the nlscope found on sys.path (PYTHONPATH to
compare another tree).

    .venv/bin/python bench/decode_bench.py CAPTURE [--rounds 3] [--what json|tree|both]
"""
from __future__ import annotations

import argparse
import time

from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("capture")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--what", choices=["json", "tree", "encode"], default="encode",
                    help="json: to_json records; tree: the full tree (as -V); "
                         "encode: to_json and the export's encoder (default)")
    args = ap.parse_args()
    reg = default_registry()
    if args.what == "encode":
        from nlscope.output.export import dumps
    best = None
    n = 0
    for _ in range(args.rounds):
        dec = Decoder(reg)
        with CaptureReader(args.capture) as reader:
            msgs = list(dec.messages(reader))
        n = len(msgs)
        t0 = time.process_time()
        if args.what == "tree":
            for m in msgs:
                for f in m.tree:
                    for _d, _f in f.walk():
                        pass
        elif args.what == "json":
            for m in msgs:
                m.to_json(None)
        else:
            for m in msgs:
                dumps(m.to_json(None))
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
    print(f"{args.what}: {n} messages, best of {args.rounds}: {best:.3f} s CPU, "
          f"{n / best:,.0f} messages/s, {best / n * 1e6:.1f} us/message")


if __name__ == "__main__":
    main()
