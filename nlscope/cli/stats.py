"""`nlscope stats FILE`: capture statistics, as text or JSON (nlscope.analysis.stats)."""
from __future__ import annotations

import sys


def add_parser(subparsers, common) -> None:
    p = subparsers.add_parser("stats", help="counts, bytes, errors, latency, unanswered requests, talkers")
    common(p)
    p.add_argument("-Y", dest="filter", metavar="FILTER",
                   help="count only messages (and transactions) matching this display filter")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--top", type=int, default=10, metavar="N", help="talkers and processes shown (default 10)")
    p.add_argument("--coverage", action="store_true",
                   help="per family: messages, %% types and attributes named, values left as hex, problems")
    p.add_argument("-o", dest="output", metavar="OUT", help="output file (default stdout)")
    p.set_defaults(func=cmd_stats)


def cmd_stats(args) -> int:
    from ..pipeline import Pipeline
    from .main import _filter, _registry, _run, _sink
    registry = _registry(args)
    flt = _filter(args, registry)
    fmt = args.format
    to_file = args.output not in (None, "-")
    out = open(args.output, "w", encoding="utf-8") if to_file else sys.stdout
    try:
        # The sink filters: a transaction counts when any of its messages passes.
        sinks = [] if args.quiet else [_sink("coverage" if args.coverage else "stats", out, top=args.top, extra={
            "format": fmt, "filter": Pipeline._matcher(flt),
            "txn_filter": flt is not None and flt.needs_txn})]
        return _run(args, registry, sinks, None)
    finally:
        if to_file:
            out.close()
