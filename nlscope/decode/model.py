"""The decoded data model: Field (a node of the tree) and Message (one nlmsghdr)."""
from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from ..capture.frame import Frame, protocol_name


_I32 = {o: struct.Struct(o + "i") for o in "<>"}
_UNSET: Any = object()


class Field:
    """A decoded value with its byte span [start, end) in the frame's raw bytes.

    kind decides how the value is shown and exported:
      int, str, bytes (hex), addr, mac, bool    plain values
      enum      value is the number, meta the name (or None if unknown)
      flags     value is the number, meta the list of names
      nest, struct  children keyed by name; list  children in order (arrays)
    """

    __slots__ = ("name", "kind", "value", "start", "end", "meta", "children")

    def __init__(self, name: str, kind: str, value: Any, start: int, end: int,
                 meta: Any = None, children: list[Field] | None = None):
        self.name = name
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end
        self.meta = meta
        self.children = children

    def __repr__(self) -> str:
        return f"Field({self.name!r}, {self.kind}, {self.display()!r}, {self.start}:{self.end})"

    def display(self) -> str:
        k, v = self.kind, self.value
        if k == "int":  # most nodes of a -V tree
            return str(v)
        if k == "enum":
            return f"{self.meta} ({v})" if self.meta is not None else str(v)
        if k == "flags":
            return f"0x{v:x} {','.join(self.meta)}" if self.meta else f"0x{v:x}"
        if k == "bytes":
            return v.hex(" ") if len(v) <= 64 else v[:64].hex(" ") + f" ... ({len(v)} bytes)"
        if k == "str":
            return f'"{v}"'
        if k in ("nest", "struct", "list"):
            return f"({len(self.children or ())} items)" if v is None else str(v)
        return str(v)

    def short(self) -> str:
        """The value alone, as a summary line wants it."""
        if self.kind == "enum":
            return str(self.meta if self.meta is not None else self.value)
        if self.kind == "flags":
            return ",".join(self.meta) if self.meta else f"0x{self.value:x}"
        if self.kind == "bytes":
            return self.value.hex()
        return str(self.value)

    def to_json(self) -> Any:
        k = self.kind
        if k == "enum":
            return {"name": self.meta, "value": self.value}
        if k == "flags":
            return {"value": self.value, "names": list(self.meta or ())}
        if k == "bytes":
            return self.value.hex()
        if k == "list":
            return [c.to_json() for c in self.children or ()]
        if k in ("nest", "struct"):
            return fields_to_json(self.children or ())
        return self.value

    def get(self, name: str) -> Field | None:
        for c in self.children or ():
            if c.name == name:
                return c
        return None

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Field]]:
        yield depth, self
        for c in self.children or ():
            yield from c.walk(depth + 1)


def fields_to_json(fields) -> dict[str, Any]:
    """Children keyed by name, in order; a name seen twice becomes a list of values."""
    out: dict[str, Any] = {}
    for f in fields:
        v = f.to_json()
        if f.name in out:
            prev = out[f.name]
            if isinstance(prev, _Repeated):
                prev.append(v)
            else:
                out[f.name] = _Repeated([prev, v])
        else:
            out[f.name] = v
    return out


def find(fields, name: str) -> Field | None:
    """The first field called `name`, depth first (summaries use this)."""
    for f in fields:
        if f.name == name:
            return f
        if f.children:
            hit = find(f.children, name)
            if hit is not None:
                return hit
    return None


def _name_flags():
    """decoder.name_flags (decoder imports this module: looked up once, when first used)."""
    global _NAME_FLAGS
    if _NAME_FLAGS is None:
        from .decoder import name_flags
        _NAME_FLAGS = name_flags
    return _NAME_FLAGS


_NAME_FLAGS = None
_FIELDS_CLEAN = None
SUMMARY = "summary"  # Decoder.decode(partial=SUMMARY): partial, with the summary made


def _fields_clean():
    global _FIELDS_CLEAN
    if _FIELDS_CLEAN is None:
        from .nla import fields_clean
        _FIELDS_CLEAN = fields_clean
    return _FIELDS_CLEAN


class _Repeated(list):
    """A list made of repeated attributes (json serialises it as a plain list)."""


class Message:
    """One netlink message (or a fragment too short to be one) inside a frame.

    Lazy: the nlmsghdr fields come from the frame's scan; the type's name and kind are
    resolved from the header (and, for families that choose by payload, a peek at it)
    when first asked; the payload tree, the summary and the problems found in the
    payload are decoded by the message's decoder when first asked, then kept. A
    message without a decoder (made by scan_frame alone) has only its header.
    """

    __slots__ = ("frame", "index", "start", "end", "nlmsg_len", "type", "flags", "seq",
                 "pid", "order", "number", "decoder", "state", "transaction", "request", "_problems", "_nscan", "_names", "_tree",
                 "_summary", "_decoding", "_partial")

    def __init__(self, frame: Frame, index: int, start: int, end: int, nlmsg_len: int | None,
                 mtype: int | None, flags: int | None, seq: int | None, pid: int | None,
                 order: str, problems: list[str], decoder: Any = None):
        self.frame = frame
        self.index = index
        self.start = start
        self.end = end
        self.nlmsg_len = nlmsg_len
        self.type = mtype
        self.flags = flags
        self.seq = seq
        self.pid = pid
        self.order = order
        self._problems = problems
        self._nscan = len(problems)  # the first ones: framing, found by the scan
        self.number = 0
        self.decoder = decoder
        self.state: dict[str, Any] | None = None  # the decoder's state when it was scanned
        self.transaction: Any = None  # set by the pipeline (nlscope.analysis.transactions)
        # the request an answer was paired with, set before its Info is made (by the
        # Tracker, or the TUI's index): names what a capped or wiped echo cannot
        self.request: Message | None = None
        self._names: tuple | None = None  # (type name, kind, MessageType): Decoder.names
        self._tree: list[Field] | None = None
        self._summary = ""
        self._decoding = False
        # decoded partly: nests' problems not gathered yet; True for a filter (no
        # summary made), SUMMARY for a summary line
        self._partial: bool | str = False

    # -- from the header ---------------------------------------------------------
    @property
    def protocol(self) -> int:
        return self.frame.protocol

    @property
    def family(self) -> str:
        """The registered family's name, else the protocol's."""
        d = self.decoder
        return d.family_name(self.frame.protocol) if d is not None else protocol_name(self.frame.protocol)

    @property
    def raw(self) -> bytes:
        return self.frame.raw[self.start:self.end]

    @property
    def is_fragment(self) -> bool:
        """Too short to hold an nlmsghdr: only raw bytes and problems."""
        return self.type is None

    @property
    def direction(self) -> str:
        if self.frame.direction:
            return self.frame.direction
        if self.flags is None:
            return "?"
        return "out" if self.flags & 1 else "in"

    @property
    def error_code(self) -> int | None:
        """NLMSG_ERROR's error (negative errno, 0 for an ACK), NLMSG_DONE's value; None
        for other types and when nlmsg_len leaves no room for it."""
        if self.type not in (2, 3) or self.nlmsg_len < 20 or self.start + 20 > len(self.frame.raw):
            return None
        return _I32[self.order].unpack_from(self.frame.raw, self.start + 16)[0]

    @property
    def type_name(self) -> str | None:
        if self._names is None:
            if self.type is None:
                return "FRAGMENT"
            if self.decoder is None:
                return None
            self._names = self.decoder.names(self)
        return self._names[0]

    @property
    def kind(self) -> str:
        if self._names is None:
            if self.type is None or self.decoder is None:
                return "other"
            self._names = self.decoder.names(self)
        return self._names[1]

    @property
    def flag_names(self) -> list[str]:
        if self.flags is None:
            return []
        return _name_flags()(self.flags, self.kind)

    # -- from the payload (decoded on demand) ---------------------------------------
    def _decode(self) -> None:
        if self._tree is None and not self._decoding and self.decoder is not None:
            self.decoder.decode(self)

    @property
    def decoded(self) -> bool:
        return self._tree is not None

    @property
    def tree(self) -> list[Field]:
        self._decode()
        return self._tree if self._tree is not None else []

    @property
    def summary(self) -> str:
        """The Info line. Decoded LAZY when nothing was decoded yet (nests walked only as
        the family's summary reads them); `problems` then checks the rest."""
        if self._tree is None and not self._decoding and self.decoder is not None:
            self.decoder.decode(self, partial=SUMMARY)
        if self._partial:
            # a filter's decode has no summary; and what a family chose on a partial
            # walk (which header a legacy request has) may differ where nests hide
            # problems: then the full decode's summary is the one
            self._settle()
        return self._summary

    @summary.setter
    def summary(self, text: str) -> None:
        self._decode()
        if self._partial:
            self._complete()
        self._summary = text

    @property
    def problems(self) -> list[str]:
        """Every problem: the header's, and (decoding first) the payload's."""
        self._decode()
        if self._partial:
            self._settle()
        return self._problems

    def _settle(self) -> None:
        """A partly decoded message whose nests hold no problem is whole as it is (its
        nests decode when read); one that has problems decodes again in full, so they
        come exactly as a full decode gives them, in its order."""
        # a filter's decode (True) has no summary: it decodes again whatever the check says
        if self._partial is not True and len(self._problems) == self._nscan \
                and _fields_clean()(self._tree):
            self._partial = False
        else:
            self._complete()

    def _complete(self, json: bool = False) -> None:
        """Decode again in full a message a filter decoded partly (Decoder.decode's
        `partial`): its summary, or the problems inside nests not walked, are wanted."""
        self._partial = False
        self._tree = None
        self._summary = ""
        del self._problems[self._nscan:]
        self.decoder.decode(self, json=json)

    def pair(self, request: Message) -> None:
        """This answer was paired with `request`. An error's Info made before names the
        echo alone: it is made again, naming the request (decoder._echo_desc)."""
        self.request = request
        if self._tree is not None and self.type == 2 and self.decoder is not None:
            self._complete()

    @property
    def scan_problems(self) -> list[str]:
        """Problems known without decoding (framing: lengths, truncation)."""
        return self._problems[:self._nscan]

    @property
    def scan_count(self) -> int:
        """How many scan problems it has (scan_problems, without making the list)."""
        return self._nscan

    def add_scan_problem(self, text: str) -> None:
        self._problems.insert(self._nscan, text)
        self._nscan += 1

    @property
    def malformed(self) -> bool:
        return bool(self.problems)

    def to_json(self, txn: Any = _UNSET) -> dict[str, Any]:
        """The message as the JSON export writes it (README, JSON schema); "txn" is its
        transaction's (or that of `txn`, when given), null for none."""
        if self._partial:
            self._complete(json=True)
        elif self._tree is None and self.decoder is not None and not self._decoding:
            self.decoder.decode(self, json=True)  # nests straight to JSON, no Field tree below
        fr = self.frame
        out: dict[str, Any] = {
            "number": self.number,
            "frame": fr.number,
            "index": self.index,
            "ts_ns": fr.ts_ns,
            "timestamp": f"{fr.ts_ns // 1_000_000_000}.{fr.ts_ns % 1_000_000_000:09d}",
            "family": {"name": self.family, "value": fr.protocol},
            "direction": self.direction,
            "byteorder": "little" if self.order == "<" else "big",
            "offset": self.start,
        }
        if fr.pid is not None:
            out["pid"] = fr.pid
        if fr.comm is not None:
            out["comm"] = fr.comm
        if self.is_fragment:
            out["header"] = None
        else:
            out["header"] = {
                "len": self.nlmsg_len,
                "type": {"name": self.type_name, "value": self.type},
                "flags": {"value": self.flags, "names": self.flag_names},
                "seq": self.seq,
                "pid": self.pid,
            }
        out["summary"] = self.summary
        if txn is _UNSET:
            txn = self.transaction
        out["txn"] = txn.link_json(self) if txn is not None else None
        out["payload"] = fields_to_json(self.tree[1:])
        out["problems"] = list(self.problems)
        out["raw"] = self.raw.hex()
        return out

    def __repr__(self) -> str:
        return (f"Message(#{self.number} {self.family} {self.type_name or self.type} "
                f"seq={self.seq} {self.start}:{self.end})")
