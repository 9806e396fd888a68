"""Text output, tshark habits: one line per message, -V tree, -x hex."""
from __future__ import annotations

import datetime as _dt

from ..decode.model import Field, Message

HEADER = f"{'No.':>6} {'Time':>12} {'Family':<9} {'Type':<20} {'Flags':<24} {'Seq':>10} {'PortID':>10} {'Len':>5}  Info"


def format_time(ts_ns: int, first_ns: int, mode: str) -> str:
    if mode == "a":
        t = _dt.datetime.fromtimestamp(ts_ns // 1_000_000_000, _dt.timezone.utc)
        return t.strftime("%H:%M:%S.") + f"{(ts_ns % 1_000_000_000) // 1000:06d}"
    if mode == "e":
        return f"{ts_ns // 1_000_000_000}.{ts_ns % 1_000_000_000:09d}"
    d = ts_ns - first_ns
    return f"{d // 1_000_000_000}.{d % 1_000_000_000:09d}"


def summary_line(msg: Message, time_text: str) -> str:
    if msg.is_fragment:
        return (f"{msg.number:>6} {time_text:>12} {msg.family:<9} {'FRAGMENT':<20} {'':<24} "
                f"{'':>10} {'':>10} {msg.end - msg.start:>5}  {msg.summary}")
    flags = ",".join(msg.flag_names) or "0"
    info = msg.summary
    if msg.problems and "malformed" not in info:
        info += f"  [malformed: {msg.problems[0]}]"
    return (f"{msg.number:>6} {time_text:>12} {msg.family:<9} {msg.type_name:<20} {flags:<24} "
            f"{msg.seq:>10} {msg.pid:>10} {msg.nlmsg_len:>5}  {info}")


def tree_lines(msg: Message) -> list[str]:
    fr = msg.frame
    lines = [f"Message {msg.number}: frame {fr.number} message {msg.index + 1}, "
             f"bytes {msg.start}-{msg.end}, family {msg.family} ({fr.protocol}), "
             f"{'little' if msg.order == '<' else 'big'}-endian, direction {msg.direction}"]
    if fr.pid is not None:
        lines.append(f"    Process: {fr.pid} ({fr.comm})")
    for f in msg.tree:
        for depth, node in f.walk():
            lines.append("    " * (depth + 1) + _node_text(node))
    for p in msg.problems:
        lines.append(f"    [Malformed: {p}]")
    lines.append(f"    Info: {msg.summary}")
    return lines


def _node_text(f: Field) -> str:
    if f.children is not None and f.value is None:
        return f"{f.name}"
    return f"{f.name}: {f.display()}"


def hex_lines(data: bytes, base: int = 0) -> list[str]:
    out = []
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        hx = " ".join(f"{b:02x}" for b in chunk)
        asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{base + i:04x}  {hx:<48}  {asc}")
    return out
