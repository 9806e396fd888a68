"""`nlscope stats FILE`: capture statistics, as text or JSON (nlscope.analysis.stats)."""
from __future__ import annotations

import json
import sys


def add_parser(subparsers, common) -> None:
    p = subparsers.add_parser("stats", help="counts, bytes, errors, latency, unanswered requests, talkers")
    common(p)
    p.add_argument("-Y", dest="filter", metavar="FILTER",
                   help="count only messages (and transactions) matching this display filter")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--top", type=int, default=10, metavar="N", help="talkers and processes shown (default 10)")
    p.add_argument("-o", dest="output", metavar="OUT", help="output file (default stdout)")
    p.set_defaults(func=cmd_stats)


def cmd_stats(args) -> int:
    from . import main as cli
    from .main import _decoder, _filter, _finish, _messages, _warn
    from ..capture.pcapio import CaptureReader
    from ..analysis.stats import Stats
    from ..analysis.transactions import correlate

    flt = _filter(args)
    decoder = _decoder(args)
    open_source = getattr(cli, "_open_source", None)  # FILE, or whatever sources read/export take
    reader = open_source(args) if open_source else CaptureReader(args.file, on_warning=_warn)
    st = Stats(top=args.top)
    seen = 0

    def counted(it):
        nonlocal seen
        for m in it:
            seen += 1
            yield m

    try:
        for m, t in correlate(counted(_messages(reader, decoder, args.count)), registry=decoder.registry):
            if t is not None and m is t.messages[0]:
                if flt is None or any(flt(x, t) for x in t.messages):
                    st.add_transaction(t)
            if flt is None or flt(m, t):
                st.add_message(m, t)
    finally:
        close = getattr(cli, "_close_source", None)
        if close:
            close(reader)
    _finish(reader, seen)
    text = json.dumps(st.to_json(), indent=2, ensure_ascii=False) + "\n" if args.format == "json" else st.text()
    if args.quiet:
        return 0
    if args.output not in (None, "-"):
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
