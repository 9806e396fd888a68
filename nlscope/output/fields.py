r"""The `fields` sink: tshark's `-T fields -e FIELD [-e ...]`, one line per message with
the values of the named filter fields, for scripts.

    nlscope read FILE -T fields -e number -e type -e attr.IFLA_IFNAME -E header=y

Fields are the display filter's (nlscope.analysis.filter.resolve_field): the same
names, aliases (`netlink.hdr_seq`), attribute paths (`attr.IFLA_LINKINFO.IFLA_INFO_KIND`)
and the same getters, so a value printed here is the value a filter compares. An
unknown field is a SinkError (a usage error) with the nearest known name.

Values, one column per -e, in the order given:
  numbers          decimal (seq, len, portid, attribute integers)
  names            a message type, errno, family, genl command, enum attribute: its
                   name as the Info column shows it (the number when it has none); a
                   number the family displays its own way as the tree shows it
                   (2412 MHz, a tc handle 1:0)
  flags            hex, as tshark shows netlink.hdr_flags (0x0301); flags.ack etc. 1/0
  yes/no           1 or 0
  times            latency, txn.latency...: seconds with 9 decimals (0.000250000)
  addresses        text (10.0.0.1, fe80::1, 52:54:00:12:34:56)
  bytes            hex
  nests, structs   their name (present), as tshark prints a protocol field
  text             escaped: a backslash as \\, newline, tab and CR as \n \t \r, other
                   control and format characters as \xNN / \uNNNN, so a capture's bytes
                   never reach the terminal raw and a value never breaks a line
                   (nlscope.escape, shared by every text output)
A field with several occurrences (an attribute repeated or found at several depths;
`family` of a generic netlink message: the protocol and the genl family) prints all
of them joined by the aggregator (-E occurrence=f|l|a picks first, last or all); a
field the message does not have prints nothing. Unlike tshark (one line per frame),
a line is one netlink message; `-e frame` gives its frame number.

Options (SinkOptions, filled from -E by `apply_option`): header=y|n, separator=/t|/s|C,
occurrence=f|l|a, aggregator=,|/s|C, quote=d|s|n. The pipeline's registry (for
attribute names of plugins and YNL specs) comes in `opts.extra["registry"]`.
"""
from __future__ import annotations

import ipaddress
from typing import IO, Any

from ..analysis.filter import FieldDef, FilterError, Flags, Named, _Node, resolve_field
from ..escape import escape
from .sinks import Sink, SinkError, SinkOptions, sink

__all__ = ["FieldsSink", "apply_option", "escape", "render"]


def render(a: Any, fd: FieldDef | None = None) -> str:
    """One occurrence of a field's value as the fields output prints it."""
    t = type(a)
    if t is bool:
        return "1" if a else "0"
    if t is int:
        if fd is not None and fd.type == "duration":
            sign = "-" if a < 0 else ""
            a = abs(a)
            return f"{sign}{a // 1_000_000_000}.{a % 1_000_000_000:09d}"
        return str(a)
    if t is str:
        return escape(a)
    if t is Named:
        return escape(a.names[0]) if a.names else str(a.value)
    if t is Flags:
        return f"0x{a.value:04x}"
    if t is bytes:
        return a.hex()
    if t is _Node:
        return escape(a.name)
    if isinstance(a, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(a)
    if a is None:
        return ""
    return escape(str(a))


def _char(value: str, what: str, allowed: str) -> str:
    if value == "/t":
        return "\t"
    if value == "/s":
        return " "
    if len(value) != 1 or value in "\n\r":
        raise SinkError(f"-E {what}={value!r}: one character, or /t (tab), /s (space) ({allowed})")
    return value


def apply_option(opts: SinkOptions, text: str) -> None:
    """One `-E key=value` of tshark's into `opts` (header=y|n, separator=/t|/s|C,
    occurrence=f|l|a, aggregator=,|/s|C, quote=d|s|n); SinkError when it makes no sense."""
    key, eq, value = text.partition("=")
    key = key.strip().lower()
    if not eq:
        raise SinkError(f"-E {text!r}: expected KEY=VALUE (header=y, separator=/t, occurrence=f|l|a, "
                        "aggregator=,, quote=d|s|n)")
    if key == "header":
        if value.lower() not in ("y", "n", "yes", "no"):
            raise SinkError(f"-E header={value!r}: y or n")
        opts.header = value.lower().startswith("y")
    elif key == "separator":
        opts.separator = _char(value, key, "default: tab")
    elif key == "aggregator":
        opts.aggregator = _char(value, key, "default: ,")
    elif key == "occurrence":
        if value not in ("f", "l", "a"):
            raise SinkError(f"-E occurrence={value!r}: f (first), l (last) or a (all)")
        opts.occurrence = value
    elif key == "quote":
        if value not in ("d", "s", "n"):
            raise SinkError(f"-E quote={value!r}: d (double), s (single) or n (none)")
        opts.quote = value
    else:
        raise SinkError(f"-E {key}: unknown option (header, separator, occurrence, aggregator, quote)")


@sink("fields")
class FieldsSink(Sink):
    """One line per message: the values of opts.fields, separated by opts.separator."""

    def __init__(self, out: IO, opts: SinkOptions):
        super().__init__(out, opts)
        if not opts.fields:
            raise SinkError("-T fields needs at least one -e FIELD (e.g. -e number -e type)")
        if opts.occurrence not in ("f", "l", "a"):
            raise SinkError(f"occurrence {opts.occurrence!r}: f (first), l (last) or a (all)")
        if opts.quote not in ("d", "s", "n"):
            raise SinkError(f"quote {opts.quote!r}: d (double), s (single) or n (none)")
        if not opts.separator or not opts.aggregator:
            raise SinkError("the separator and the aggregator cannot be empty")
        registry = opts.extra.get("registry")
        self.defs: list[FieldDef] = []
        for name in opts.fields:
            try:
                self.defs.append(resolve_field(name, registry))
            except FilterError as e:
                raise SinkError(f"-e {name}: {e.msg}") from None
        # The getters the filter uses; on the header alone where the field allows it,
        # so that fields of the header never decode a payload.
        self._getters = [(fd.header or fd.get, fd) for fd in self.defs]
        self.needs_txn = any(fd.txn for fd in self.defs)
        self.needs_decode = any(fd.header is None for fd in self.defs)
        q = {"d": '"', "s": "'", "n": ""}[opts.quote]
        self._quote = q
        self._qesc = "\\" + q
        self._pick = {"f": slice(0, 1), "l": slice(-1, None), "a": slice(None)}[opts.occurrence]
        self._header_done = not opts.header

    def _header(self) -> None:
        self._header_done = True
        self.out.write(self.opts.separator.join(self._cell(escape(n)) for n in self.opts.fields) + "\n")

    def _cell(self, text: str) -> str:
        q = self._quote
        if not q or not text:
            return text
        return q + text.replace(q, self._qesc) + q

    def row(self, msg: Any, txn: Any) -> list[str]:
        """The values of one message, one string per field (not yet quoted)."""
        agg = self.opts.aggregator
        pick = self._pick
        out = []
        for get, fd in self._getters:
            vals = get(msg, txn)
            if not vals:
                out.append("")
            elif len(vals) == 1:
                out.append(render(vals[0], fd))
            else:
                out.append(agg.join(render(a, fd) for a in vals[pick]))
        return out

    def write(self, msg: Any, txn: Any) -> None:
        if not self._header_done:
            self._header()
        cell = self._cell
        self.out.write(self.opts.separator.join([cell(v) for v in self.row(msg, txn)]) + "\n")
        if self.opts.flush:
            self.out.flush()

    def close(self) -> None:
        if not self._header_done:  # no message: the header alone, as tshark does
            self._header()
