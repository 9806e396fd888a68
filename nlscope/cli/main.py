"""The nlscope command line: a thin layer over the library (tshark habits)."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import os
import sys
from collections.abc import Iterator

from .. import __version__
from ..decode.decoder import Decoder
from ..output.export import write_json, write_jsonl
from ..analysis.filter import Filter, FilterError, compile_filter
from ..decode.model import Message
from ..capture.pcapio import CaptureError, CaptureReader, open_writer
from ..decode.registry import PluginError, default_registry
from ..output.text import HEADER, format_time, hex_lines, summary_line, tree_lines
from ..analysis.transactions import TXN_HEADER, correlate, txn_line


# Modules named here add a subcommand: add_parser(subparsers, common) (e.g. "stats").
EXTRA_COMMANDS: list[str] = ["tui", "stats", "capture", "trace"]


class UsageError(Exception):
    pass


def _warn(text: str) -> None:
    print(f"nlscope: warning: {text}", file=sys.stderr)


def _registry(args):
    """Built-in dissectors, then what the options add: --dissector files, --spec YNL
    specs, --kmod-proto numbers for the project's kernel modules."""
    reg = default_registry(files=getattr(args, "dissector", None) or [])
    for path in getattr(args, "spec", None) or []:
        from ..decode.ynl import load_spec
        for w in load_spec(reg, path).warnings:  # a bad spec raises YnlError (a PluginError)
            _warn(f"{path}: {w}")
    for number in getattr(args, "kmod_proto", None) or []:
        from ..dissectors.kmod import add_protocol
        add_protocol(reg, number)
    return reg


def _decoder(args) -> Decoder:
    return Decoder(_registry(args))


def _protocol_number(text: str) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        n = -1
    if not 0 <= n <= 31:
        raise argparse.ArgumentTypeError(f"{text!r} is not a netlink protocol number (0..31)")
    return n


def _messages(reader: CaptureReader, decoder: Decoder, count: int | None) -> Iterator[Message]:
    it = decoder.messages(reader)
    return itertools.islice(it, count) if count else it


def _filter(args) -> Filter | None:
    """The compiled -Y display filter; a bad one is a usage error pointing at its column."""
    text = getattr(args, "filter", None)
    if not text:
        return None
    try:
        return compile_filter(text)
    except FilterError as e:
        raise UsageError(f"{e}\n{e.caret(text)}") from None


def _open_source(args):
    """The frames to read: a capture FILE, or (-i IFACE) a live nlmon capture."""
    if getattr(args, "iface", None):
        if args.file:
            raise UsageError("give a capture FILE or -i IFACE, not both")
        from .capture import open_live
        return open_live(args.iface)
    if not args.file:
        raise UsageError("no capture FILE given (or -i IFACE to capture live)")
    if args.file == "-":  # a pcapng stream, e.g. from `sudo nlscope capture -w -`
        return CaptureReader(sys.stdin.buffer, on_warning=_warn)
    return CaptureReader(args.file, on_warning=_warn)


def _close_source(reader) -> None:
    finish = getattr(reader, "finish_live", None)
    if finish is not None:
        finish()  # stop the live capture, print its statistics


def _finish(reader: CaptureReader, seen: int) -> int:
    if seen == 0 and reader.skipped:
        raise CaptureError(f"{reader.path}: no netlink frames ({reader.skipped} frames of "
                           f"other link types skipped)")
    return 0


def cmd_read(args) -> int:
    flt = _filter(args)
    if args.transactions and args.write:
        raise UsageError("-w writes messages; it does not go with --transactions")
    decoder = _decoder(args)
    reader = _open_source(args)
    writer = None
    wfile = None
    if args.write:
        wfile = open(args.write, "wb")
        writer = open_writer(wfile, args.write_format)
    out = sys.stdout
    first_ns = None
    seen = 0
    last_frame = None
    try:
        if args.transactions:
            return _read_transactions(args, flt, reader, decoder, out)
        if not args.quiet and not args.verbose and not writer:
            out.write(HEADER + "\n")
        # Every message with its transaction (pairing also names the attribute a capped
        # error's extack offset points at), in capture order; -Y keeps the matching ones.
        for msg, txn in correlate(_messages(reader, decoder, args.count), registry=decoder.registry):
            seen += 1
            if first_ns is None:
                first_ns = msg.frame.ts_ns
            if flt is not None and not flt(msg, txn):
                continue
            if writer and msg.frame is not last_frame:
                writer.write(msg.frame)
            last_frame = msg.frame
            if args.quiet or (writer and not args.verbose):
                continue
            if args.verbose:
                out.write("\n".join(tree_lines(msg)) + "\n")
            else:
                out.write(summary_line(msg, format_time(msg.frame.ts_ns, first_ns, args.time)) + "\n")
            if args.hex:
                out.write("\n".join(hex_lines(msg.raw, msg.start)) + "\n\n")
            elif args.verbose:
                out.write("\n")
    finally:
        if wfile:
            wfile.close()
        _close_source(reader)
    return _finish(reader, seen)


def _read_transactions(args, flt: Filter | None, reader: CaptureReader, decoder: Decoder, out) -> int:
    """`read --transactions`: one line per transaction (a request and all it caused, or
    a notification), in the order of their first message; -Y keeps a transaction when
    any of its messages matches; -V adds its messages' lines."""
    seen = 0
    first_ns = None
    if not args.quiet:
        out.write(TXN_HEADER + "\n")
    for msg, txn in correlate(_messages(reader, decoder, args.count), registry=decoder.registry):
        seen += 1
        if first_ns is None:
            first_ns = msg.frame.ts_ns
        if txn is not None and msg is not txn.messages[0]:
            continue
        members = txn.messages if txn is not None else [msg]
        if flt is not None and not any(flt(m, txn) for m in members):
            continue
        if args.quiet:
            continue
        out.write(txn_line(txn, msg) + "\n")
        if args.verbose:
            for m in members:
                out.write("      " + summary_line(m, format_time(m.frame.ts_ns, first_ns, args.time)) + "\n")
    return _finish(reader, seen)


def _progress(reader: CaptureReader, enabled: bool):
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from rich.console import Console
    prog = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                    TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True)
    return prog


def cmd_export(args) -> int:
    flt = _filter(args)
    decoder = _decoder(args)
    reader = _open_source(args)
    to_file = args.output not in (None, "-")
    show_bar = to_file and sys.stderr.isatty() and not args.quiet
    out = open(args.output, "w", encoding="utf-8") if to_file else sys.stdout
    seen = 0
    try:
        with _progress(reader, show_bar) as prog:
            msgs = _messages(reader, decoder, args.count)
            if prog is not None:
                task = prog.add_task("exporting", total=reader.size)

                def tracked(it=msgs):
                    for i, m in enumerate(it):
                        if i % 2000 == 0:
                            prog.update(task, completed=reader.tell())
                        yield m
                msgs = tracked()

            def counted(it=msgs):
                nonlocal seen
                for m in it:
                    seen += 1
                    yield m

            # (message, transaction) pairs: the export carries each message's "txn".
            pairs = correlate(counted(), registry=decoder.registry)
            if flt is not None:
                pairs = ((m, t) for m, t in pairs if flt(m, t))
            if args.format == "jsonl":
                write_jsonl(pairs, out, flush=not to_file)
            else:
                write_json(pairs, out)
    finally:
        if to_file:
            out.close()
        _close_source(reader)
    return _finish(reader, seen)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlscope", description="Netlink traffic inspector.")
    p.add_argument("--version", action="version", version=f"nlscope {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp, live=False):
        if live:  # read/export: a file, or -i IFACE to capture live from nlmon
            sp.add_argument("file", metavar="FILE", nargs="?", help="pcap or pcapng capture")
            sp.add_argument("-i", dest="iface", metavar="IFACE",
                            help="read live from this nlmon interface instead (needs root; "
                                 "created if missing; Ctrl-C ends)")
        else:
            sp.add_argument("file", metavar="FILE", help="pcap or pcapng capture")
        sp.add_argument("-c", dest="count", type=int, metavar="N", help="stop after N messages")
        sp.add_argument("--dissector", action="append", metavar="FILE",
                        help="load a dissector plugin from a Python file (repeatable)")
        sp.add_argument("--spec", action="append", metavar="FILE.yaml",
                        help="decode a family from its YNL spec (kernel YAML format; repeatable)")
        sp.add_argument("--kmod-proto", action="append", type=_protocol_number, metavar="N",
                        help="decode protocol N as the nlgreet/rtmgr modules' raw protocol "
                             "(their proto= parameter; 31 is always on; repeatable)")
        sp.add_argument("-q", "--quiet", action="store_true", help="no per-message output")

    r = sub.add_parser("read", help="print one line per message (like tshark -r)")
    common(r, live=True)
    r.add_argument("-V", dest="verbose", action="store_true", help="full decoded tree")
    r.add_argument("-x", dest="hex", action="store_true", help="hex dump of each message")
    r.add_argument("-t", dest="time", choices=["r", "a", "e"], default="r",
                   help="time: r relative to first (default), a absolute UTC, e epoch")
    r.add_argument("-w", dest="write", metavar="OUT", help="write the frames read to OUT")
    r.add_argument("-F", dest="write_format", choices=["pcapng", "pcap"], default="pcapng",
                   help="format for -w (default pcapng)")
    r.add_argument("-Y", dest="filter", metavar="FILTER", help="display filter (README: Display filters)")
    r.add_argument("--transactions", action="store_true",
                   help="one line per transaction: request, replies, DONE/ACK/error, latency")
    r.set_defaults(func=cmd_read)

    e = sub.add_parser("export", help="export decoded messages as JSON or JSONL")
    common(e, live=True)
    e.add_argument("-o", dest="output", metavar="OUT", help="output file (default stdout)")
    e.add_argument("--format", choices=["json", "jsonl"], default="jsonl")
    e.add_argument("-Y", dest="filter", metavar="FILTER", help="export only messages matching this display filter")
    e.set_defaults(func=cmd_export)
    # Further commands live in their own modules, each with add_parser(subparsers, common).
    for mod in EXTRA_COMMANDS:
        importlib.import_module(f"nlscope.cli.{mod}").add_parser(sub, common)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and not argv[0].startswith("-") and os.path.isfile(argv[0]) \
            and argv[0] not in parser._subparsers._group_actions[0].choices:
        argv = ["tui", *argv]  # `nlscope FILE` opens the TUI on it
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except (CaptureError, PluginError, UsageError) as e:
        print(f"nlscope: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        if isinstance(e, BrokenPipeError):
            # The reader of our output went away (e.g. `| head`): not an error.
            with contextlib.suppress(Exception):
                sys.stdout = open(os.devnull, "w")
            return 0
        print(f"nlscope: error: {e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
