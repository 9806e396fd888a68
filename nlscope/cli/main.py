"""The nlscope command line: a thin layer over the library (tshark habits)."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from .. import __version__
from ..capture.pcapio import CaptureError, CaptureReader

# The decoding stack (filter, decoder, registry, sinks: construct, importlib.metadata)
# is imported by the functions that use it: `capture`/`trace -w` never need it, and
# under the lab's TCG each second of imports on a host is a minute (issue 15).



# Modules named here add a subcommand: add_parser(subparsers, common) (e.g. "stats").
EXTRA_COMMANDS: list[str] = ["tui", "stats", "capture", "trace"]


class UsageError(Exception):
    pass


def _warn(text: str) -> None:
    print(f"nlscope: warning: {text}", file=sys.stderr)


def _registry(args):
    """Built-in dissectors, then what the options add: --dissector files, --spec YNL
    specs, --kmod-proto numbers for the project's kernel modules."""
    from ..decode.registry import default_registry
    from ..decode.ynl import load_spec, set_spec_dirs
    reg = default_registry(files=getattr(args, "dissector", None) or [])
    set_spec_dirs(reg, getattr(args, "spec_dir", None) or [])
    for path in getattr(args, "spec", None) or []:
        for w in load_spec(reg, path).warnings:  # a bad spec raises YnlError (a PluginError)
            _warn(f"{path}: {w}")
    for number in getattr(args, "kmod_proto", None) or []:
        from ..dissectors.kmod import add_protocol
        add_protocol(reg, number)
    return reg


def _protocol_number(text: str) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        n = -1
    if not 0 <= n <= 31:
        raise argparse.ArgumentTypeError(f"{text!r} is not a netlink protocol number (0..31)")
    return n


def _filter(args, registry) -> Filter | None:
    """The compiled -Y display filter (attribute names checked against what `registry`
    decodes); a bad one is a usage error pointing at its column."""
    from ..analysis.filter import FilterError, compile_filter
    text = getattr(args, "filter", None)
    if not text:
        return None
    try:
        return compile_filter(text, registry)
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


def _is_live(args) -> bool:
    """A source that may block waiting for frames: nothing may wait for look-ahead."""
    return bool(getattr(args, "iface", None)) or args.file == "-"


def _sink_class(name: str) -> type[Sink]:
    from ..output.sinks import SinkError, get_sink
    try:
        return get_sink(name)
    except SinkError as e:
        raise UsageError(str(e)) from None


def _sink(name: str, out, **kw) -> Sink:
    from ..output.sinks import SinkError, SinkOptions
    try:
        return _sink_class(name)(out, SinkOptions(**kw))
    except SinkError as e:
        raise UsageError(str(e)) from None


def _run(args, registry, sinks: list[Sink], flt: Filter | None, final: bool | None = None,
         progress_to: str | None = None) -> int:
    """source -> pipeline -> sinks, with the CLI's error handling."""
    from ..decode.decoder import Decoder
    from ..pipeline import Pipeline
    decoder = Decoder(registry)
    reader = _open_source(args)
    pipe = Pipeline(decoder, flt=flt, sinks=sinks, count=args.count, final=final,
                    live=_is_live(args))
    if pipe.wants_lookahead and not _is_live(args) and reader.seekable:
        with CaptureReader(args.file) as first:  # its warnings are the second pass's too
            pipe.look_ahead(first)
    try:
        with _progress(reader, progress_to is not None) as prog:
            frames = reader if prog is None else _tracked(reader, prog)
            pipe.run(frames)
    finally:
        _close_source(reader)
    return _finish(reader, pipe.seen)


def _tracked(reader: CaptureReader, prog):
    task = prog.add_task("exporting", total=reader.size)
    for i, fr in enumerate(reader):
        if i % 2000 == 0:
            prog.update(task, completed=reader.tell())
        yield fr


def cmd_read(args) -> int:
    from ..output.fields import apply_option
    from ..output.sinks import SinkError, SinkOptions
    registry = _registry(args)
    flt = _filter(args, registry)
    if args.transactions and args.write:
        raise UsageError("-w writes messages; it does not go with --transactions")
    if bool(args.fields_format) != bool(args.fields):
        raise UsageError("-T fields and -e FIELD go together")
    if args.fields and (args.verbose or args.transactions):
        raise UsageError("-T fields prints fields; it does not go with -V or --transactions")
    out = sys.stdout
    common = dict(time=args.time, hex=args.hex, quiet=args.quiet, flush=_is_live(args))
    if not (args.write or args.transactions or args.fields or args.quiet):
        name = "verbose" if args.verbose else "text"
        # The machine's cores where decoding is most of the work (-V, a filter on
        # decoded fields); summary lines alone: one process, the least CPU in all.
        heavy = args.verbose or bool(flt is not None and flt.needs_decode)
        jobs = 1 if args.resolve else _jobs(args, name, default=None if heavy else 1)
        if jobs > 1:
            return _run_parallel(args, registry, flt, name, out, jobs, False, **common)
    elif args.transactions and flt is None and not (args.verbose or args.write or args.resolve):
        # a line per transaction at its first message, as it ends up: the first pass
        # knows; a filter or -V would need every member of a transaction
        jobs = _jobs(args, "transactions", default=1)
        if jobs > 1:
            return _run_parallel(args, registry, None, "transactions", out, jobs, False,
                                 **common, extra={"members": False})
    sinks: list[Sink] = []
    wfile = None
    try:
        if args.write:
            wfile = open(args.write, "wb")
            sinks.append(_sink(args.write_format, wfile, flush=_is_live(args)))
        if args.transactions:
            common["extra"] = {"members": args.verbose}
            sinks.append(_sink("transactions", out, **common))
        elif args.fields:
            opts = SinkOptions(fields=args.fields, flush=_is_live(args), extra={"registry": registry})
            try:
                for e in args.field_opts or []:
                    apply_option(opts, e)
                sinks.append(_sink_class("fields")(out, opts))
            except SinkError as e:
                raise UsageError(str(e)) from None
        elif args.verbose:
            sinks.append(_sink("verbose", out, **common))
        elif not args.quiet and not args.write:
            if args.resolve:
                from ..analysis.names import IfNames
                common["extra"] = {"names": IfNames()}
            sinks.append(_sink("text", out, **common))
        if args.quiet:
            sinks = [s for s in sinks if s.binary]
        return _run(args, registry, sinks, flt,
                    final=True if args.transactions and not _is_live(args) else None)
    finally:
        if wfile:
            wfile.close()


def _progress(reader: CaptureReader, enabled: bool):
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
    return Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                    TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True)


def cmd_export(args) -> int:
    registry = _registry(args)
    flt = _filter(args, registry)
    fmt = args.format
    to_file = args.output not in (None, "-")
    binary = _sink_class(fmt).binary
    if binary and not to_file:
        if sys.stdout.isatty():
            raise UsageError(f"--format {fmt} writes binary: give -o FILE (or pipe stdout)")
    show_bar = to_file and sys.stderr.isatty() and not args.quiet
    if to_file:
        out = open(args.output, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"}))
    else:
        out = sys.stdout.buffer if binary else sys.stdout
    try:
        jobs = _jobs(args, fmt, default=None)
        if jobs > 1:
            return _run_parallel(args, registry, flt, fmt, out, jobs, show_bar)
        # flushed per record only from a live source (as read, and tshark without -l)
        sinks = [] if args.quiet else [_sink(fmt, out, flush=_is_live(args))]
        return _run(args, registry, sinks, flt, progress_to=args.output if show_bar else None)
    finally:
        if to_file:
            out.close()


# Below this size a file is exported by one process: forking workers would cost more.
PARALLEL_MIN_BYTES = 8 << 20


def _jobs(args, fmt: str, default: int | None) -> int:
    """How many worker processes decode: -j, else `default` (None: the machine's cores
    for a file big enough); one for a stream, a live source or a format that is not
    written in parts."""
    from ..workers import JOINABLE, jobs_default
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("-j needs at least 1 worker")
    if _is_live(args) or args.quiet or fmt not in JOINABLE or not args.file:
        return 1
    if args.jobs is not None:
        return args.jobs
    if default is not None:
        return default
    try:
        big = os.path.getsize(args.file) >= PARALLEL_MIN_BYTES and os.path.isfile(args.file)
    except OSError:
        return 1  # the reader will say why
    return jobs_default() if big else 1


def _run_parallel(args, registry, flt, fmt: str, out, jobs: int, show_bar: bool, **opts) -> int:
    from ..workers import run_parallel
    with CaptureReader(args.file) as probe:  # unusable input: one line, before any work
        if not probe.seekable:
            return _run(args, registry, [_sink(fmt, out, **opts)], flt)
        size = probe.size
    with _progress(None, show_bar) as prog:
        task = prog.add_task("exporting", total=size) if prog is not None else None
        seen, reader = run_parallel(
            args.file, registry, fmt=fmt, make_sink=lambda o: _sink(fmt, o, **opts), out=out, flt=flt,
            count=args.count, jobs=jobs, on_warning=_warn,
            on_progress=(lambda at: prog.update(task, completed=at)) if prog is not None else None)
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
        sp.add_argument("--spec", action="append", metavar="FILE.yaml|NAME",
                        help="decode a family from its YNL spec (kernel YAML format), a file or a "
                             "name in the spec search path; it fills in what no dissector decodes "
                             "(repeatable)")
        sp.add_argument("--spec-dir", action="append", metavar="DIR",
                        help="search DIR for YNL specs first (a specs directory, a kernel source "
                             "tree or tarball; repeatable; then $NLSCOPE_SPEC_PATH, else the "
                             "kernel sources under /usr/src)")
        sp.add_argument("--kmod-proto", action="append", type=_protocol_number, metavar="N",
                        help="decode protocol N as the nlgreet/rtmgr modules' raw protocol "
                             "(their proto= parameter; 31 is always on; repeatable)")
        sp.add_argument("-q", "--quiet", action="store_true", help="no per-message output")

    r = sub.add_parser("read", help="print one line per message (like tshark -r)")
    common(r, live=True)
    r.add_argument("-V", dest="verbose", action="store_true", help="full decoded tree")
    r.add_argument("-x", dest="hex", action="store_true", help="hex dump of each message")
    r.add_argument("-t", dest="time", choices=["r", "a", "d", "e"], default="r",
                   help="time: r relative to first (default), a absolute UTC, d delta from "
                        "the message before, e epoch")
    r.add_argument("-N", "--resolve", action="store_true",
                   help="name ifindexes in Info from the capture's link messages: 'dev 3 (eth0)'")
    r.add_argument("-w", dest="write", metavar="OUT", help="write the frames read to OUT")
    r.add_argument("-F", dest="write_format", choices=["pcapng", "pcap"], default="pcapng",
                   help="format for -w (default pcapng)")
    r.add_argument("-Y", dest="filter", metavar="FILTER", help="display filter (README: Display filters)")
    r.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="decode with N worker processes (a file; default: the machine's cores for -V "
                        "or a filter on decoded fields on files of 8 MB and more, else 1); the "
                        "output is the same as with one")
    r.add_argument("-T", dest="fields_format", choices=["fields"],
                   help="-T fields: tab-separated values of the -e fields, one line per message")
    r.add_argument("-e", dest="fields", action="append", metavar="FIELD",
                   help="a filter field to print with -T fields (repeatable)")
    r.add_argument("-E", dest="field_opts", action="append", metavar="OPT=VAL",
                   help="-T fields options: header=y, separator=/t|/s|C, occurrence=f|l|a, "
                        "aggregator=C, quote=d|s|n")
    r.add_argument("--transactions", action="store_true",
                   help="one line per transaction: request, replies, DONE/ACK/error, latency")
    r.set_defaults(func=cmd_read)

    e = sub.add_parser("export", help="export decoded messages as JSON or JSONL")
    common(e, live=True)
    e.add_argument("-o", dest="output", metavar="OUT", help="output file (default stdout)")
    e.add_argument("--format", choices=["jsonl", "json", "parquet", "pcapng", "pcap"], default="jsonl",
                   help="jsonl (default), json (an array), parquet (typed columns; needs pyarrow), "
                        "pcapng/pcap (the frames)")
    e.add_argument("-Y", dest="filter", metavar="FILTER", help="export only messages matching this display filter")
    e.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="decode with N worker processes (json/jsonl of a file; default: the "
                        "machine's cores for files of 8 MB and more, else 1); the output is the "
                        "same as with one")
    e.set_defaults(func=cmd_export)
    # Further commands live in their own modules, each with add_parser(subparsers, common).
    for mod in EXTRA_COMMANDS:
        importlib.import_module(f"nlscope.cli.{mod}").add_parser(sub, common)
    return p


def _plugin_error() -> type[Exception]:
    from ..decode.registry import PluginError
    return PluginError


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
    except (CaptureError, UsageError, _plugin_error()) as e:  # evaluated on an exception
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
