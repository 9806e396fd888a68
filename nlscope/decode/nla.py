"""Declarative attribute tables and fixed headers, and the one engine that walks them.

A family describes its payload as data:
  * FixedHeader: a construct Struct (e.g. ifinfomsg) plus display hints per field;
  * AttrSet: {nla_type: Attr(name, kind, ...)} for its netlink attributes.
walk_attrs() turns bytes into Field trees for every family alike.

Byte order: construct fields declared native (Int32un, ...) follow the frame's byte
order (the capturing host's); fields declared big-endian (Int16ub) stay network order.
"""
from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import construct as cs

from .model import Field

NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = 0x3FFF

_INT_FMT = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q",
            "s8": "b", "s16": "h", "s32": "i", "s64": "q"}
_INT_SIZE = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "s8": 1, "s16": 2, "s32": 4, "s64": 8}
_UNPACK: dict[str, struct.Struct] = {}
for _k, _c in _INT_FMT.items():
    for _o in "<>":
        _UNPACK[_o + _k] = struct.Struct(_o + _c)

KINDS = frozenset([*_INT_FMT, "be16", "be32", "be64", "uint", "sint", "string", "binary",
                   "flag", "ipaddr", "ipv4", "ipv6", "mac", "nested", "nested-array",
                   "bitfield32", "struct", "u32-array", "hex", "custom"])

# A nested table may depend on what came before it (IFLA_INFO_DATA depends on
# IFLA_INFO_KIND): then `nested` is a callable (siblings decoded so far) -> AttrSet.
Nested = Union["AttrSet", Callable[[list[Field]], Union["AttrSet", None]], None]


@dataclass(frozen=True, slots=True)
class Attr:
    name: str
    kind: str = "binary"
    enum: Mapping[int, str] | None = None
    flags: Mapping[int, str] | None = None  # bit value -> name
    nested: Nested = None
    struct: FixedHeader | None = None
    fmt: Callable[[Any], str] | None = None  # custom display, e.g. a time in ms
    # kind "custom": decode(name, buf, start, end, order, problems, path, siblings) -> Field
    # for layouts no other kind covers (arrays of structs, a struct then attributes, a
    # payload whose layout a sibling decides, ...); [start, end) spans the whole
    # attribute, its payload starts at start + 4; siblings are those decoded before it.
    decode: Callable[..., Field] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown attribute kind {self.kind!r}")


@dataclass(slots=True)
class AttrSet:
    name: str
    attrs: dict[int, Attr] = field(default_factory=dict)

    def get(self, t: int) -> Attr | None:
        return self.attrs.get(t)


def flag_names(value: int, names: Mapping[int, str] | None) -> list[str]:
    """Names of the set bits; bits without a name as hex."""
    out: list[str] = []
    rest = value
    for bit, name in (names or {}).items():
        if bit and value & bit == bit:
            out.append(name)
            rest &= ~bit
    if rest:
        out.append(f"0x{rest:x}")
    return out


def int_field(name: str, value: int, start: int, end: int, enum: Mapping[int, str] | None,
              flags: Mapping[int, str] | None) -> Field:
    if enum is not None:
        return Field(name, "enum", value, start, end, enum.get(value))
    if flags is not None:
        return Field(name, "flags", value, start, end, flag_names(value, flags))
    return Field(name, "int", value, start, end)


def ip_text(b: bytes) -> str:
    if len(b) == 4:
        return str(ipaddress.IPv4Address(b))
    if len(b) == 16:
        return str(ipaddress.IPv6Address(b))
    return b.hex()


def mac_text(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


# -- fixed headers (construct) ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    offset: int
    size: int
    fmt: str | None  # struct format incl. order marker; None for bytes / nested
    native: bool
    sub: FixedHeader | None = None


class FixedHeader:
    """A construct Struct describing a fixed C struct, plus how to show its fields.

    The construct definition is the single source of the layout (offsets come from
    sizeof()); parsing uses precompiled struct.unpack_from runs, far faster than
    construct's own parser on the per-message hot path.
    """

    def __init__(self, name: str, sc: cs.Construct, *, enums: Mapping[str, Mapping[int, str]] = {},
                 flags: Mapping[str, Mapping[int, str]] = {}, kinds: Mapping[str, str] = {},
                 fmts: Mapping[str, Callable[[Any], str]] = {}):
        self.name = name
        self.construct = sc
        self.size = sc.sizeof()
        self.enums, self.flags, self.kinds, self.fmts = enums, flags, kinds, fmts
        self.slots: list[_Slot] = []
        off = 0
        for sub in sc.subcons:
            size = sub.sizeof()
            inner = sub.subcon if isinstance(sub, cs.Renamed) else sub
            if sub.name:
                if isinstance(inner, cs.FormatField):
                    fmt = inner.fmtstr
                    if fmt[0] not in "=@<>!":
                        raise ValueError(f"{name}.{sub.name}: format {fmt!r} needs an order")
                    self.slots.append(_Slot(sub.name, off, size, fmt, fmt[0] in "=@"))
                elif isinstance(inner, cs.Struct):
                    self.slots.append(_Slot(sub.name, off, size, None, False,
                                            FixedHeader(sub.name, inner, enums=enums, flags=flags,
                                                        kinds=kinds, fmts=fmts)))
                else:  # Bytes(n), arrays of bytes: shown by kind hint (ipaddr, mac) or hex
                    self.slots.append(_Slot(sub.name, off, size, None, False))
            off += size
        self._plans: dict[str, list[tuple[struct.Struct, int, list[int]]]] = {}

    def _plan(self, order: str) -> list[tuple[struct.Struct, int, list[int]]]:
        """Runs of integer fields of one byte order, each unpacked by one struct.Struct
        (gaps become pad bytes): a few unpack calls per header instead of one per field."""
        plan = self._plans.get(order)
        if plan is not None:
            return plan
        plan = []
        cur: str | None = None
        fmt, base, pos, idxs = "", 0, 0, []
        for i, sl in enumerate(self.slots):
            if sl.fmt is None:
                continue
            o = order if sl.native else ("<" if sl.fmt[0] == "<" else ">")
            if o != cur:
                if idxs:
                    plan.append((struct.Struct(cur + fmt), base, idxs))
                cur, fmt, base, pos, idxs = o, "", sl.offset, sl.offset, []
            if sl.offset > pos:
                fmt += f"{sl.offset - pos}x"
            fmt += sl.fmt[1:]
            pos = sl.offset + sl.size
            idxs.append(i)
        if idxs:
            plan.append((struct.Struct(cur + fmt), base, idxs))
        self._plans[order] = plan
        return plan

    def parse(self, buf: bytes, start: int, order: str) -> list[Field]:
        """Fields of the struct at buf[start:]; the caller checks there are self.size bytes."""
        out: list[Field] = []
        vals: list[Any] = [None] * len(self.slots)
        for st, base, idxs in self._plan(order):
            for i, v in zip(idxs, st.unpack_from(buf, start + base)):
                vals[i] = v
        for sl, v in zip(self.slots, vals):
            a, b = start + sl.offset, start + sl.offset + sl.size
            if sl.sub is not None:
                out.append(Field(sl.name, "struct", None, a, b, children=sl.sub.parse(buf, a, order)))
                continue
            kind = self.kinds.get(sl.name)
            if sl.fmt is None:
                raw = bytes(buf[a:b])
                out.append(_bytes_field(sl.name, kind or "binary", raw, a, b))
                continue
            if kind in ("ipaddr", "ipv4"):
                out.append(Field(sl.name, "addr", ip_text(buf[a:b]), a, b))
            elif sl.name in self.fmts:
                out.append(Field(sl.name, "enum", v, a, b, self.fmts[sl.name](v)))
            else:
                out.append(int_field(sl.name, v, a, b, self.enums.get(sl.name), self.flags.get(sl.name)))
        return out


def _bytes_field(name: str, kind: str, raw: bytes, a: int, b: int) -> Field:
    if kind in ("ipaddr", "ipv4", "ipv6"):
        return Field(name, "addr", ip_text(raw), a, b)
    if kind == "mac":
        return Field(name, "mac", mac_text(raw), a, b)
    if kind == "string":
        return Field(name, "str", raw.split(b"\0", 1)[0].decode("utf-8", "replace"), a, b)
    return Field(name, "bytes", raw, a, b)


# -- attributes ------------------------------------------------------------------------

def walk_attrs(buf: bytes, start: int, end: int, aset: AttrSet | None, order: str,
               problems: list[str], path: str = "") -> list[Field]:
    """Decode the NLAs in buf[start:end]. Never raises on bad bytes: problems are
    appended (with the attribute path) and the bytes that could not be walked become
    a 'bytes' field so nothing vanishes."""
    out: list[Field] = []
    hdr = _UNPACK[order + "u16"]
    pos = start
    while pos < end:
        if end - pos < 4:
            problems.append(f"{path or 'attributes'}: {end - pos} trailing bytes, too short "
                            f"for an attribute header at offset {pos}")
            out.append(Field("TRAILING", "bytes", bytes(buf[pos:end]), pos, end))
            break
        nla_len = hdr.unpack_from(buf, pos)[0]
        raw_type = hdr.unpack_from(buf, pos + 2)[0]
        if nla_len < 4:
            problems.append(f"{path or 'attributes'}: attribute type {raw_type & NLA_TYPE_MASK} "
                            f"at offset {pos} has nla_len {nla_len} < 4")
            out.append(Field("MALFORMED", "bytes", bytes(buf[pos:end]), pos, end))
            break
        a_end = pos + nla_len
        cut = a_end > end
        if cut:
            problems.append(f"{path or 'attributes'}: attribute type {raw_type & NLA_TYPE_MASK} "
                            f"at offset {pos} has nla_len {nla_len}, past its parent by {a_end - end} bytes")
            a_end = end
        out.append(decode_attr(buf, pos, a_end, raw_type, aset, order, problems, path, out))
        if cut:
            break
        pos += (nla_len + 3) & ~3
    return out


def decode_attr(buf: bytes, pos: int, a_end: int, raw_type: int, aset: AttrSet | None,
                order: str, problems: list[str], path: str, siblings: list[Field]) -> Field:
    t = raw_type & NLA_TYPE_MASK
    spec = aset.get(t) if aset is not None else None
    p0 = pos + 4
    if spec is not None:  # fast paths: most attributes are integers or strings
        kind = spec.kind
        size = _INT_SIZE.get(kind)
        if size is not None and a_end - p0 >= size:
            o = ">" if raw_type & NLA_F_NET_BYTEORDER else order
            return _int_attr(spec, _UNPACK[o + kind].unpack_from(buf, p0)[0], pos, a_end)
        if kind == "string":
            return Field(spec.name, "str", bytes(buf[p0:a_end]).split(b"\0", 1)[0].decode("utf-8", "replace"),
                         pos, a_end)
    data = buf[p0:a_end]
    n = len(data)
    if spec is None:
        name = f"UNKNOWN({t})"
        if raw_type & NLA_F_NESTED and n:
            sub_problems: list[str] = []
            kids = walk_attrs(buf, p0, a_end, None, order, sub_problems, f"{path}{name}.")
            if not sub_problems:
                return Field(name, "nest", None, pos, a_end, children=kids)
        return Field(name, "bytes", bytes(data), pos, a_end)
    name = spec.name
    kind = spec.kind
    here = f"{path}{name}"
    try:
        if kind in _INT_SIZE or kind in ("be16", "be32", "be64"):
            if kind.startswith("be"):
                size, fmt, o = int(kind[2:]) // 8, "u" + kind[2:], ">"
            else:
                size, fmt = _INT_SIZE[kind], kind
                o = ">" if raw_type & NLA_F_NET_BYTEORDER else order
            if n < size:
                problems.append(f"{here}: expected {size} bytes, got {n}")
                return Field(name, "bytes", bytes(data), pos, a_end)
            v = _UNPACK[o + fmt].unpack_from(buf, p0)[0]
            return _int_attr(spec, v, pos, a_end)
        if kind in ("uint", "sint"):
            if n not in (1, 2, 4, 8):
                problems.append(f"{here}: variable-width integer of {n} bytes")
                return Field(name, "bytes", bytes(data), pos, a_end)
            fmt = ("u" if kind == "uint" else "s") + str(n * 8)
            o = ">" if raw_type & NLA_F_NET_BYTEORDER else order
            return _int_attr(spec, _UNPACK[o + fmt].unpack_from(buf, p0)[0], pos, a_end)
        if kind == "string":
            return Field(name, "str", bytes(data).split(b"\0", 1)[0].decode("utf-8", "replace"), pos, a_end)
        if kind == "flag":
            if n:
                problems.append(f"{here}: flag attribute carries {n} bytes")
            return Field(name, "bool", True, pos, a_end)
        if kind in ("ipaddr", "ipv4", "ipv6"):
            want = {"ipv4": (4,), "ipv6": (16,), "ipaddr": (4, 16)}[kind]
            if n not in want:
                problems.append(f"{here}: address of {n} bytes")
                return Field(name, "bytes", bytes(data), pos, a_end)
            return Field(name, "addr", ip_text(bytes(data)), pos, a_end)
        if kind == "mac":
            return Field(name, "mac", mac_text(bytes(data)), pos, a_end)
        if kind == "nested":
            sub = spec.nested(siblings) if callable(spec.nested) else spec.nested
            kids = walk_attrs(buf, p0, a_end, sub, order, problems, here + ".")
            return Field(name, "nest", None, pos, a_end, children=kids)
        if kind == "nested-array":
            sub = spec.nested(siblings) if callable(spec.nested) else spec.nested
            items = walk_attrs(buf, p0, a_end, None, order, problems, here + ".")
            kids = []
            for it in items:  # each element is an attribute whose type is its index
                if it.name.startswith("UNKNOWN("):
                    idx = it.name[8:-1]
                    inner = walk_attrs(buf, it.start + 4, it.end, sub, order, problems, f"{here}[{idx}].")
                    it = Field(idx, "nest", None, it.start, it.end, children=inner)
                kids.append(it)
            return Field(name, "list", None, pos, a_end, children=kids)
        if kind == "bitfield32":
            if n < 8:
                problems.append(f"{here}: bitfield32 of {n} bytes")
                return Field(name, "bytes", bytes(data), pos, a_end)
            value, selector = struct.unpack_from(order + "II", buf, p0)
            return Field(name, "struct", None, pos, a_end, children=[
                int_field("value", value, p0, p0 + 4, None, spec.flags or {}),
                int_field("selector", selector, p0 + 4, p0 + 8, None, spec.flags or {})])
        if kind == "struct":
            st = spec.struct
            if n < st.size:
                problems.append(f"{here}: {st.name} needs {st.size} bytes, got {n}")
                return Field(name, "bytes", bytes(data), pos, a_end)
            return Field(name, "struct", None, pos, a_end, children=st.parse(buf, p0, order))
        if kind == "custom":
            return spec.decode(name, buf, pos, a_end, order, problems, here, siblings)
        if kind == "u32-array":
            kids = [Field(str(i), "int", _UNPACK[order + "u32"].unpack_from(buf, p0 + 4 * i)[0],
                          p0 + 4 * i, p0 + 4 * i + 4) for i in range(n // 4)]
            return Field(name, "list", None, pos, a_end, children=kids)
        return Field(name, "bytes", bytes(data), pos, a_end)  # binary, hex
    except Exception as e:  # a table bug must not stop the capture
        problems.append(f"{here}: cannot decode ({type(e).__name__}: {e})")
        return Field(name, "bytes", bytes(data), pos, a_end)


def _int_attr(spec: Attr, v: int, a: int, b: int) -> Field:
    if spec.fmt is not None:
        return Field(spec.name, "enum", v, a, b, spec.fmt(v))
    if spec.enum is None and spec.flags is None:
        return Field(spec.name, "int", v, a, b)
    return int_field(spec.name, v, a, b, spec.enum, spec.flags)
