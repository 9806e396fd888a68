"""`nlscope capture`: live capture from nlmon, dumpcap habits.

    nlscope capture [-i nlmon0] [-w FILE.pcapng | -w -] [-c COUNT] [-a duration:SECS]
                    [-b filesize:KB,files:N] [--netns NAME] [--format text|jsonl]

Without -w it prints one decoded line per message (or one JSON object per message with
--format jsonl). `-w -` streams pcapng to stdout, which is how an unprivileged reader
(the TUI, `nlscope read -`) consumes a capture run as root:
    sudo nlscope capture -w - | nlscope read /dev/stdin
Streams are flushed whenever no more frames are waiting, and at least every 0.1 s.

Also here: the output sinks shared with `nlscope trace` (pcapng file or ring of files,
pcapng stream, text lines, JSONL).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import BinaryIO, TextIO

from ..capture.frame import Frame
from ..capture.pcapio import CaptureError, PcapngWriter

FLUSH_EVERY = 0.1  # seconds: the longest a streamed frame waits in a buffer


class CaptureUsageError(CaptureError):
    pass


def _warn(text: str) -> None:
    print(f"nlscope: warning: {text}", file=sys.stderr, flush=True)


def _note(text: str) -> None:
    print(f"nlscope: {text}", file=sys.stderr, flush=True)


# -- dumpcap-style conditions -----------------------------------------------------------

def parse_conditions(specs: list[str] | None, opt: str, allowed: set[str]) -> dict[str, float]:
    """-a/-b values: "duration:10", "filesize:1000,files:5" (also repeated options)."""
    out: dict[str, float] = {}
    for spec in specs or []:
        for part in spec.split(","):
            key, sep, val = part.strip().partition(":")
            if not sep or key not in allowed:
                raise CaptureUsageError(f"{opt} {spec!r}: expected "
                                        f"{' or '.join(k + ':N' for k in sorted(allowed))}")
            try:
                num = float(val)
            except ValueError:
                raise CaptureUsageError(f"{opt} {part!r}: {val!r} is not a number") from None
            if num <= 0:
                raise CaptureUsageError(f"{opt} {part!r}: must be positive")
            out[key] = num
    return out


# -- sinks -------------------------------------------------------------------------------

class Sink:
    """Where frames go. write() each, flush() when idle, close() at the end."""

    frames = 0

    def write(self, frame: Frame) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class PcapngSink(Sink):
    """One pcapng file, a ring of files (-b), or a stream (-w -)."""

    def __init__(self, target: str, comments: list[str], ifname: str,
                 ring: dict[str, float] | None = None, stream: BinaryIO | None = None):
        self.target = target
        self.comments = comments
        self.ifname = ifname
        self.ring = ring or {}
        self.stream = stream
        self.frames = 0
        self.files: list[str] = []
        self._f: BinaryIO | None = None
        self._w: PcapngWriter | None = None
        self._file_started = 0.0
        self._file_no = 0
        self._last_flush = time.monotonic()
        self._open_next()

    def _name(self) -> str:
        if not self.ring:
            return self.target
        base, ext = os.path.splitext(self.target)
        stamp = _dt.datetime.now().strftime("%Y%m%d%H%M%S")
        return f"{base}_{self._file_no:05d}_{stamp}{ext or '.pcapng'}"

    def _open_next(self) -> None:
        if self.stream is not None:
            self._f = self.stream
        else:
            if self._f is not None:
                self._f.close()
            self._file_no += 1
            name = self._name()
            self._f = open(name, "wb")
            self.files.append(name)
            keep = int(self.ring.get("files", 0))
            while keep and len(self.files) > keep:
                old = self.files.pop(0)
                try:
                    os.unlink(old)
                except OSError:
                    pass
        self._w = PcapngWriter(self._f, comments=self.comments, ifname=self.ifname)
        self._file_started = time.monotonic()

    def _rotate_if_due(self) -> None:
        assert self._f is not None
        if self.ring and self.frames:
            size_kb = self.ring.get("filesize")
            secs = self.ring.get("duration")
            if ((size_kb and self._f.tell() >= size_kb * 1000)
                    or (secs and time.monotonic() - self._file_started >= secs)):
                self._open_next()

    def write(self, frame: Frame) -> None:
        self._rotate_if_due()
        assert self._w is not None
        self._w.write(frame)
        self.frames += 1
        if self.stream is not None:
            now = time.monotonic()
            if now - self._last_flush >= FLUSH_EVERY:
                self.flush()

    def write_records(self, records: list[tuple[int, int, bytes, int]]) -> None:
        """A block of a live capture at once (NlmonCapture.batches); a new ring file
        starts between blocks."""
        self._rotate_if_due()
        assert self._w is not None
        self._w.write_records(records)
        self.frames += len(records)
        if self.stream is not None and time.monotonic() - self._last_flush >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._f is not None:
            self._f.flush()
            self._last_flush = time.monotonic()

    def size(self) -> int:
        return self._f.tell() if self._f is not None and self.stream is None else 0

    @property
    def file_no(self) -> int:
        return self._file_no

    def close(self) -> None:
        if self._f is None:
            return
        if self.stream is not None:
            self._f.flush()
        else:
            self._f.close()
        self._f = None


class DecodedSink(Sink):
    """Decoded messages through the pipeline: tshark-like lines, or JSONL (one object
    per message), each paired with what came before it (a live source has no
    look-ahead)."""

    def __init__(self, out: TextIO, fmt: str, comments: list[str], dissectors: list[str],
                 process_column: bool = False, quiet: bool = False):
        from ..decode.decoder import Decoder
        from ..decode.registry import default_registry
        from ..output.sinks import SinkOptions, get_sink
        from ..pipeline import Pipeline
        self.out = out
        decoder = Decoder(default_registry(files=dissectors))
        for c in comments:
            decoder.note_comment(c)
        sinks = [] if quiet else [get_sink(fmt)(out, SinkOptions(process=process_column))]
        self.pipe = Pipeline(decoder, sinks=sinks, live=True)
        self._last_flush = time.monotonic()

    @property
    def frames(self) -> int:
        return self.pipe._frames

    @property
    def messages(self) -> int:
        return self.pipe.seen

    def write(self, frame: Frame) -> None:
        self.pipe.push(frame)
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        self.out.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        try:
            self.pipe.finish()
            self.out.flush()
        except BrokenPipeError:
            pass


def check_sink_args(args) -> dict[str, float]:
    """Validate -w/-b/--format before anything starts; the -b conditions."""
    ring = parse_conditions(getattr(args, "ring", None), "-b", {"filesize", "files", "duration"})
    if ring and (not args.write or args.write == "-"):
        raise CaptureUsageError("-b needs -w FILE (a ring of files)")
    if ring and not ({"filesize", "duration"} & ring.keys()):
        raise CaptureUsageError("-b files:N needs filesize:KB or duration:SECS too")
    if args.write is None and args.format == "pcapng":
        raise CaptureUsageError("--format pcapng needs -w FILE or -w -")
    if args.write and args.format == "jsonl":
        raise CaptureUsageError("--format jsonl writes decoded messages to stdout; drop -w")
    return ring


def make_sink(args, comments: list[str], ifname: str, process_column: bool = False) -> Sink:
    ring = check_sink_args(args)
    if args.write == "-":
        return PcapngSink("-", comments, ifname, stream=sys.stdout.buffer)
    if args.write:
        return PcapngSink(args.write, comments, ifname, ring=ring)
    return DecodedSink(sys.stdout, args.format, comments, args.dissector or [],
                       process_column=process_column, quiet=args.quiet)


class StopSignals:
    """SIGINT/SIGTERM/SIGHUP call `stop` instead of killing us mid-write."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, stop: Callable[[], None]):
        self.stop = stop
        self.received: int | None = None
        self._old: dict[int, object] = {}

    def _handler(self, signum, _frame) -> None:
        self.received = signum
        self.stop()

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                self._old[s] = signal.signal(s, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for s, h in self._old.items():
            signal.signal(s, h)


def pump(frames: Iterable[Frame], sink: Sink, limit: int | None,
         done: Callable[[], bool] | None = None, stop: Callable[[], None] | None = None) -> int:
    """Move frames to the sink until the source ends, `limit` frames, or done()."""
    n = 0
    for fr in frames:
        try:
            sink.write(fr)
        except BrokenPipeError:  # the reader of our output went away: end quietly
            _quiet_stdout()
            if stop:
                stop()
            break
        n += 1
        if limit and n >= limit:
            break
        if done and done():
            break
    return n


def pump_batches(batches: Iterable[list], sink: PcapngSink,
                 done: Callable[[], bool] | None = None,
                 stop: Callable[[], None] | None = None) -> int:
    """pump() for a pcapng sink fed block by block: nothing per frame but its bytes."""
    n = 0
    for batch in batches:
        if not batch:
            continue
        try:
            sink.write_records(batch)
        except BrokenPipeError:
            _quiet_stdout()
            if stop:
                stop()
            break
        n += len(batch)
        if done and done():
            break
    return n


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def autostop_check(autostop: dict[str, float], sink: Sink) -> Callable[[], bool] | None:
    """-a filesize:KB (current file) and files:N (ring files written) as a predicate."""
    size_kb, files = autostop.get("filesize"), autostop.get("files")
    if not (size_kb or files) or not isinstance(sink, PcapngSink) or sink.stream is not None:
        return None

    def done() -> bool:
        if size_kb and sink.size() >= size_kb * 1000:
            return not sink.ring or (files is not None and sink.file_no >= files)
        if files and sink.ring and sink.file_no > files:
            return True
        return False
    return done


# -- the command -------------------------------------------------------------------------

def _source(args, on_drops, on_idle):
    """The capture source the options ask for: nlmon (default) or eBPF (--ebpf)."""
    buffer_size = int(args.buffer_mib * (1 << 20)) if args.buffer_mib else None
    if not args.ebpf:
        from ..capture.nlmon import DEFAULT_BUFFER, NLMON_LIMITS, NlmonCapture
        if args.proto or args.pid or args.comm:
            raise CaptureUsageError("--proto, --pid and --comm filter the eBPF source: "
                                    "add --ebpf")
        cap = NlmonCapture(args.iface, netns=args.netns,
                           buffer_size=buffer_size or DEFAULT_BUFFER,
                           mode=args.capture_mode, on_warning=_warn, on_drops=on_drops,
                           on_idle=on_idle)
        where = f"capturing on '{args.iface}'" + (f" in netns {args.netns}" if args.netns else "")
        return cap, where, NLMON_LIMITS
    from ..capture.ebpf import DEFAULT_BUFFER, EbpfCapture, netns_inode, protocol_number
    protocols = {protocol_number(p) for spec in args.proto or [] for p in spec.split(",")}
    netns = netns_inode(args.netns) if args.netns else None
    cap = EbpfCapture(protocols=protocols or None, netns=netns, pid=args.pid, comm=args.comm,
                      buffer_size=buffer_size or DEFAULT_BUFFER, on_warning=_warn,
                      on_drops=on_drops, on_idle=on_idle)
    what = [f"protocols {','.join(map(str, sorted(protocols)))}" if protocols else "every protocol",
            f"netns {args.netns}" if args.netns else "every netns"]
    if args.pid:
        what.append(f"pid {args.pid}")
    if args.comm:
        what.append(f"comm {args.comm}")
    return cap, f"capturing with eBPF ({', '.join(what)})", None


def cmd_capture(args) -> int:
    autostop = parse_conditions(args.autostop, "-a", {"duration", "filesize", "files", "packets"})
    check_sink_args(args)

    def on_drops(new: int, total: int) -> None:
        _warn(f"the kernel dropped {new} frames on {cap.iface} (capture buffer full), "
              f"{total} so far")

    sink: Sink | None = None

    def on_idle() -> None:
        if sink is not None:
            try:
                sink.flush()
            except BrokenPipeError:
                cap.stop()

    cap, where, limits = _source(args, on_drops, on_idle)
    timer: threading.Timer | None = None
    with StopSignals(cap.stop) as sigs:
        cap.open()
        try:
            sink = make_sink(args, cap.section_comments, cap.iface)
            _note(where + (f", writing {args.write}" if args.write and args.write != "-" else ""))
            if limits:
                _note(limits)
            if "duration" in autostop:
                timer = threading.Timer(autostop["duration"], cap.stop)
                timer.daemon = True
                timer.start()
            limit = args.count or (int(autostop["packets"]) if "packets" in autostop else None)
            done = autostop_check(autostop, sink)
            try:
                if isinstance(sink, PcapngSink) and hasattr(cap, "batches") and done is None:
                    # Straight to the file, block by block (keeps up under load).
                    pump_batches(cap.batches(limit), sink, stop=cap.stop)
                else:
                    pump(cap, sink, limit, done, stop=cap.stop)
            finally:
                try:
                    sink.close()
                except BrokenPipeError:
                    _quiet_stdout()
        finally:
            if timer:
                timer.cancel()
            cap.close()
    _note(stats_line(cap, sigs.received))
    if cap.stats.dropped:
        _warn(f"{cap.stats.dropped} frames were lost: rerun with a bigger buffer (-B MiB) or "
              f"write to a file (-w) instead of decoding live")
    return 0


def stats_line(cap, signum: int | None = None) -> str:
    st = cap.stats
    return (f"{st.captured} frames captured on {cap.iface}; the kernel dropped {st.dropped}"
            + (f", {st.truncated} cut to the snapshot length" if st.truncated else "")
            + (f"; {st.unread} arrived after the stop" if st.unread else "")
            + (f" (stopped by {signal.Signals(signum).name})" if signum else ""))


def add_parser(subparsers, common) -> None:
    p = subparsers.add_parser(
        "capture", help="capture live netlink traffic from nlmon (like dumpcap)",
        description="Capture netlink traffic from an nlmon interface (created, and removed "
                    "afterwards, when missing). Needs CAP_NET_RAW, and CAP_NET_ADMIN to "
                    "create the interface.")
    p.add_argument("-i", dest="iface", default="nlmon0", metavar="IFACE",
                   help="nlmon interface (default nlmon0; created if missing)")
    p.add_argument("-w", dest="write", metavar="FILE",
                   help="write pcapng to FILE ('-' for stdout) instead of printing messages")
    p.add_argument("-c", dest="count", type=int, metavar="COUNT",
                   help="stop after COUNT frames")
    p.add_argument("-a", dest="autostop", action="append", metavar="COND",
                   help="stop when: duration:SECS, filesize:KB, files:N, packets:N")
    p.add_argument("-b", dest="ring", action="append", metavar="COND",
                   help="ring buffer (with -w FILE): filesize:KB, duration:SECS, files:N "
                        "(keep the last N files)")
    p.add_argument("--netns", metavar="NAME",
                   help="capture inside the named network namespace (/run/netns/NAME); "
                        "with --ebpf: only that namespace's messages")
    p.add_argument("--format", choices=["text", "jsonl", "pcapng"], default=None,
                   help="without -w: text lines (default) or jsonl; with -w: pcapng")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-message output")
    p.add_argument("--dissector", action="append", metavar="FILE",
                   help="load a dissector plugin from a Python file (repeatable)")
    p.add_argument("-B", dest="buffer_mib", type=float, default=None, metavar="MiB",
                   help="kernel capture buffer in MiB (default 128)")
    p.add_argument("--ebpf", action="store_true",
                   help="capture with eBPF instead of nlmon: every protocol of every "
                        "network namespace, with pid, comm, socket and direction")
    p.add_argument("--proto", action="append", metavar="P[,P...]",
                   help="with --ebpf: only these netlink protocols (number or name: "
                        "route, audit, kobject_uevent, 31...)")
    p.add_argument("--pid", type=int, metavar="PID",
                   help="with --ebpf: only the messages PID sends or receives")
    p.add_argument("--comm", metavar="NAME",
                   help="with --ebpf: only the messages of processes named NAME")
    # Hidden: "recv" reads with recvmsg instead of the TPACKET_V3 ring (for the benchmark).
    p.add_argument("--capture-mode", choices=["ring", "recv"], default="ring",
                   help=argparse.SUPPRESS)
    p.set_defaults(func=_run)


def _run(args) -> int:
    if args.format is None:
        args.format = "pcapng" if args.write else "text"
    return cmd_capture(args)


# -- `read -i IFACE` / `export -i IFACE` ----------------------------------------------------

def open_live(iface: str):
    """An opened nlmon capture for the read/export commands: iterate it like a
    CaptureReader; SIGINT/SIGTERM end it cleanly; finish_live() closes it and prints
    its statistics."""
    from ..capture.nlmon import NLMON_LIMITS, NlmonCapture

    class LiveCapture(NlmonCapture):
        def finish_live(self) -> None:
            self.close()
            sigs.__exit__(None, None, None)
            _note(stats_line(self))

    cap = LiveCapture(iface, on_warning=_warn,
                      on_drops=lambda new, total: _warn(
                          f"the kernel dropped {new} frames on {iface} (socket buffer full), "
                          f"{total} so far"),
                      on_idle=lambda: sys.stdout.flush())
    sigs = StopSignals(cap.stop).__enter__()
    try:
        cap.open()
    except BaseException:
        sigs.__exit__(None, None, None)
        raise
    _note(f"capturing on '{iface}'")
    _note(NLMON_LIMITS)
    return cap
