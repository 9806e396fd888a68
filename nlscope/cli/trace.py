"""`nlscope trace -- CMD ARGS...`: the netlink traffic of one command, via eBPF where
the machine allows it (root, BTF, libbpf: nlscope/capture/ebpf.py), else via strace
(nlscope/capture/trace.py); `--via` chooses.

Every message CMD (and its children and threads) sends or receives on any netlink
protocol, with the process and the direction exact.
Output as `nlscope capture`: decoded lines (with a direction and process column),
--format jsonl, or -w FILE / -w - (pcapng; each frame keeps direction in the EPB flags
and the process as an EPB comment `pid=123 comm=ip`). Exits with CMD's exit status.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter

from .capture import (CaptureUsageError, PcapngSink, Sink, StopSignals, _note, _quiet_stdout,
                      _warn, check_sink_args, make_sink, pump, pump_batches)


def _source(via: str, argv: list[str], stdout: int | None, on_idle):
    """eBPF when asked or when it can run here; strace otherwise."""
    if via in ("auto", "ebpf"):
        from ..capture.ebpf import EbpfTrace, EbpfUnavailable, unavailable_reason
        reason = unavailable_reason()
        if reason is None:
            try:
                return EbpfTrace(argv, on_warning=_warn, stdout=stdout, on_idle=on_idle)
            except EbpfUnavailable as e:
                reason = str(e)
        if via == "ebpf":
            raise EbpfUnavailable(reason)
        _note(f"tracing with strace ({reason})")
    from ..capture.trace import TraceSource
    return TraceSource(argv, on_warning=_warn, stdout=stdout, on_idle=on_idle)


def cmd_trace(args) -> int:
    argv = list(args.command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise CaptureUsageError("nothing to trace: nlscope trace [options] -- CMD ARGS...")
    if args.format is None:
        args.format = "pcapng" if args.write else "text"
    check_sink_args(args)
    # Our stdout carries the capture unless -w FILE: the command's own output goes to
    # stderr then, so `trace -w - ... | reader` and `--format jsonl | jq` stay clean.
    to_file = bool(args.write) and args.write != "-"
    sink: Sink | None = None

    def on_idle() -> None:
        if sink is not None:
            try:
                sink.flush()
            except BrokenPipeError:
                _quiet_stdout()
                src.stop()

    src = _source(args.via, argv, stdout=None if to_file else sys.stderr.fileno(),
                  on_idle=on_idle)
    sink = make_sink(args, src.section_comments, "trace", process_column=True)
    seen: Counter[str] = Counter()
    procs: set[int] = set()

    def counted():
        for fr in src:
            seen[fr.direction or "?"] += 1
            procs.add(fr.pid or 0)
            yield fr

    bulk = isinstance(sink, PcapngSink) and hasattr(src, "batches") and not args.count
    with StopSignals(src.stop) as sigs:
        try:
            if bulk:  # eBPF to pcapng: records in bulk, no Frame per message
                pump_batches(src.batches(), sink, stop=src.stop)
                for (pid, direction), n in src.tally.items():
                    seen[direction or "?"] += n
                    procs.add(pid or 0)
            else:
                pump(counted(), sink, args.count, stop=src.stop)
        finally:
            try:
                sink.close()
            except BrokenPipeError:
                _quiet_stdout()
            src.close()
    extra = []
    parser = getattr(src, "parser", None)
    if parser is not None:  # strace
        st = parser.stats
        if st.lines == 0 and src.returncode not in (None, 0):
            _warn("strace traced nothing (its own message is above: no ptrace permission, "
                  "or no such command?)")
        if st.peeks:
            extra.append(f"{st.peeks} MSG_PEEK receives not repeated")
        if st.truncated:
            extra.append(f"{st.truncated} receives cut by a short buffer")
    else:
        est = src.stats
        if est.dropped:
            _warn(f"{est.dropped} messages were lost (the BPF ring buffer was full)")
        if est.truncated:
            extra.append(f"{est.truncated} cut to the snapshot length")
    if not args.quiet or args.write:
        _note(f"trace of {argv[0]}: {seen['out'] + seen['in']} frames ({seen['out']} sent, "
              f"{seen['in']} received) from {len(procs)} process{'es' if len(procs) != 1 else ''}"
              + (f"; {', '.join(extra)}" if extra else "")
              + (f" (stopped by signal {sigs.received})" if sigs.received else ""))
    rc = src.returncode
    if rc is None:
        return 130 if sigs.received else 1
    return rc if rc >= 0 else 128 - rc


def add_parser(subparsers, common) -> None:
    p = subparsers.add_parser(
        "trace", help="run a command and capture its netlink traffic (any protocol)",
        description="Run CMD and capture every netlink message it and its children send "
                    "and receive, on any protocol, with pid, command name, socket and "
                    "direction: with eBPF where it can (root, a kernel with BTF), else "
                    "under strace. Exits with CMD's status.")
    p.add_argument("--via", choices=["auto", "ebpf", "strace"], default="auto",
                   help="how to trace: eBPF (fast, needs root and BTF), strace (anywhere, "
                        "slow), auto (eBPF when it can run; the default)")
    p.add_argument("-w", dest="write", metavar="FILE",
                   help="write pcapng to FILE ('-' for stdout) instead of printing messages")
    p.add_argument("-c", dest="count", type=int, metavar="COUNT",
                   help="stop after COUNT frames (the command is ended)")
    p.add_argument("--format", choices=["text", "jsonl", "pcapng"], default=None,
                   help="without -w: text lines (default) or jsonl; with -w: pcapng")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-message output")
    p.add_argument("--dissector", action="append", metavar="FILE",
                   help="load a dissector plugin from a Python file (repeatable)")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS",
                   help="the command to run")
    p.set_defaults(func=cmd_trace)
