"""Text output, tshark habits: one line per message, -V tree, -x hex.

Every line that can hold text from the capture (summary, tree, transaction, process
columns) is escaped here, once (nlscope.escape): no control character reaches
the terminal."""
from __future__ import annotations

import datetime as _dt

from typing import Any

from ..decode.model import Field, Message
from ..escape import escape, escape_lines
from .sinks import Sink, SinkOptions, sink

HEADER = f"{'No.':>6} {'Time':>12} {'Family':<9} {'Type':<20} {'Flags':<24} {'Seq':>10} {'PortID':>10} {'Len':>5}  Info"


def format_time(ts_ns: int, first_ns: int, mode: str, prev_ns: int | None = None) -> str:
    if mode == "d":  # tshark -t d: from the message before (analysis.timefmt, the TUI's T)
        from ..analysis.timefmt import format_time as fmt
        return fmt(ts_ns, "d", prev_ns=prev_ns, digits=9)
    if mode == "a":
        t = _dt.datetime.fromtimestamp(ts_ns // 1_000_000_000, _dt.timezone.utc)
        return t.strftime("%H:%M:%S.") + f"{(ts_ns % 1_000_000_000) // 1000:06d}"
    if mode == "e":
        return f"{ts_ns // 1_000_000_000}.{ts_ns % 1_000_000_000:09d}"
    d = ts_ns - first_ns
    return f"{d // 1_000_000_000}.{d % 1_000_000_000:09d}"


def summary_line(msg: Message, time_text: str, names: Any = None) -> str:
    """One message's line, escaped; `names` (analysis.names.IfNames): ifindexes in
    Info named, as far as the capture has told so far."""
    if msg.is_fragment:
        return escape(f"{msg.number:>6} {time_text:>12} {msg.family:<9} {'FRAGMENT':<20} {'':<24} "
                      f"{'':>10} {'':>10} {msg.end - msg.start:>5}  {msg.summary}")
    flags = ",".join(msg.flag_names) or "0"
    info = msg.summary if names is None else names.annotate(msg.summary, msg.number - 1)
    if msg.problems and "malformed" not in info:
        info += f"  [malformed: {msg.problems[0]}]"
    return escape(f"{msg.number:>6} {time_text:>12} {msg.family:<9} {msg.type_name:<20} {flags:<24} "
                  f"{msg.seq:>10} {msg.pid:>10} {msg.nlmsg_len:>5}  {info}")


def tree_lines(msg: Message) -> list[str]:
    """The -V tree of one message, each line escaped."""
    fr = msg.frame
    lines = [f"Message {msg.number}: frame {fr.number} message {msg.index + 1}, "
             f"bytes {msg.start}-{msg.end}, family {msg.family} ({fr.protocol}), "
             f"{'little' if msg.order == '<' else 'big'}-endian, direction {msg.direction}"]
    if fr.pid is not None:
        lines.append(f"    Process: {fr.pid} ({fr.comm})")
    for f in msg.tree:
        _node_lines(f, "    ", lines)
    for p in msg.problems:
        lines.append(f"    [Malformed: {p}]")
    lines.append(f"    Info: {msg.summary}")
    return escape_lines(lines)


def _node_lines(f: Field, indent: str, out: list[str]) -> None:
    """A node's line and its children's, depth first (plain recursion: Field.walk's
    nested generators cost a frame per level for every node: ~1M nodes a second matter)."""
    kids = f.children
    if kids is not None and f.value is None:
        out.append(indent + f.name)
    else:
        out.append(f"{indent}{f.name}: {f.display()}")
    if kids:
        indent += "    "
        for c in kids:
            _node_lines(c, indent, out)


def hex_lines(data: bytes, base: int = 0) -> list[str]:
    out = []
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        hx = " ".join(f"{b:02x}" for b in chunk)
        asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{base + i:04x}  {hx:<48}  {asc}")
    return out


def process_columns(msg: Message) -> str:
    """Dir and Process, for captures that know them (trace)."""
    fr = msg.frame
    arrow = {"out": "->", "in": "<-"}.get(fr.direction or "", "  ")
    who = f"{fr.comm or '?'}[{fr.pid}]" if fr.pid is not None else ""
    return escape(f"{arrow:<3} {who:<22} ")


@sink("text")
class TextSink(Sink):
    """One line per message (tshark -r); -x adds a hex dump."""

    def __init__(self, out, opts: SinkOptions):
        super().__init__(out, opts)
        if not opts.quiet:
            head = HEADER
            if opts.process:
                head = f"{'Dir':<3} {'Process':<22} " + head
            out.write(head + "\n")

    def write(self, msg: Message, txn: Any) -> None:
        o = self.opts
        names = o.extra.get("names")
        if names is not None:
            names.learn(msg)  # streaming: a name is known once a link message said it
        line = summary_line(msg, format_time(msg.frame.ts_ns, self.first_ns or 0, o.time,
                                             getattr(self, "_prev_ns", None)), names)
        self._prev_ns = msg.frame.ts_ns
        if o.process:
            line = process_columns(msg) + line
        self.out.write(line + "\n")
        if o.hex:
            self.out.write("\n".join(hex_lines(msg.raw, msg.start)) + "\n\n")
        if o.flush:
            self.out.flush()


@sink("verbose")
class VerboseSink(Sink):
    """The full tree of each message (tshark -V)."""

    def write(self, msg: Message, txn: Any) -> None:
        out = self.out
        out.write("\n".join(tree_lines(msg)) + "\n")
        if self.opts.hex:
            out.write("\n".join(hex_lines(msg.raw, msg.start)) + "\n")
        out.write("\n")
        if self.opts.flush:
            out.flush()


@sink("transactions")
class TransactionSink(Sink):
    """One line per transaction (`read --transactions`), at its first message; with
    -V (opts.extra["members"]) each of its messages' lines under it."""

    per_txn = True

    def __init__(self, out, opts: SinkOptions):
        super().__init__(out, opts)
        self.needs_members = bool(opts.extra.get("members"))
        from ..analysis.transactions import TXN_HEADER
        if not opts.quiet:
            out.write(TXN_HEADER + "\n")

    def write(self, msg: Message, txn: Any) -> None:
        from ..analysis.transactions import txn_line
        out = self.out
        out.write(escape(txn_line(txn, msg)) + "\n")
        if self.opts.extra.get("members"):
            for m in (txn.messages if txn is not None else (msg,)):
                out.write("      " + summary_line(m, format_time(m.frame.ts_ns, self.first_ns or 0,
                                                                 self.opts.time)) + "\n")
        if self.opts.flush:
            out.flush()
