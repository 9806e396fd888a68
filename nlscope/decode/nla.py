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
import threading
from itertools import chain
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import construct as cs

from .model import Field, _Repeated, fields_to_json

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
    # (len(attrs) when compiled, plan, needs siblings): see _plan_of
    plan: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def get(self, t: int) -> Attr | None:
        return self.attrs.get(t)

    def __getstate__(self) -> tuple:  # the plan is made again where it is used
        return self.name, self.attrs

    def __setstate__(self, state: tuple) -> None:
        self.name, self.attrs = state
        self.plan = None


class _Caches:
    """Caches of decoded values, kept in a class: analysis.fields walks what the
    decoders' code reaches for the names a tree can hold, and must not find these."""

    flags: dict[tuple[int, int], tuple[Mapping[int, str], tuple[str, ...]]] = {}
    reach: dict[int, tuple[AttrSet, int, frozenset[str] | None]] = {}
    check: dict[int, tuple[AttrSet, int, dict[int, tuple] | None]] = {}


def flag_names(value: int, names: Mapping[int, str] | None) -> list[str]:
    """Names of the set bits; bits without a name as hex. The same few values of the
    same tables come again and again: remembered (bounded) per table and value."""
    key = (id(names), value)
    cache = _Caches.flags
    hit = cache.get(key)
    if hit is not None and hit[0] is names:
        return list(hit[1])
    out: list[str] = []
    rest = value
    for bit, name in (names or {}).items():
        if bit and value & bit == bit:
            out.append(name)
            rest &= ~bit
    if rest:
        out.append(f"0x{rest:x}")
    if len(cache) >= 8192:
        cache.clear()
    cache[key] = (names, tuple(out))
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
    return b.hex(":")


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
        self._emit: list[tuple[int, _Slot, Any]] | None = None
        self._plain = False  # json(): every member an integer, names distinct (_emitted)

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

    def _emitters(self) -> list[tuple[int, _Slot, Any]]:
        """How each member becomes a Field, decided once from the display hints."""
        em = []
        for sl in self.slots:
            kind = self.kinds.get(sl.name)
            if sl.sub is not None:
                em.append((_H_SUB, sl, sl.sub))
            elif sl.fmt is None:
                em.append((_H_BYTES, sl, kind or "binary"))
            elif kind in ("ipaddr", "ipv4"):
                em.append((_H_ADDR, sl, None))
            elif sl.name in self.fmts:
                em.append((_H_FMT, sl, self.fmts[sl.name]))
            elif self.enums.get(sl.name) is not None:
                em.append((_H_ENUM, sl, self.enums[sl.name]))
            elif self.flags.get(sl.name) is not None:
                em.append((_H_FLAGS, sl, self.flags[sl.name]))
            else:
                em.append((_H_INT, sl, None))
        return em

    def _emitted(self) -> list[tuple[int, _Slot, Any]]:
        """The emitters, made once (and whether json() can build from the values alone)."""
        em = self._emit
        if em is None:
            em = self._emitters()
            self._plain = len({sl.name for _c, sl, _x in em}) == len(em) and all(
                c <= _H_FMT for c, _sl, _x in em)
            self._emit = em
        return em

    def _values(self, n: int, buf: bytes, start: int, order: str) -> list[Any]:
        """The n members' integer values (None for the others), a few unpacks in all."""
        vals: list[Any] = [None] * n
        for st, base, idxs in self._plans.get(order) or self._plan(order):
            for i, v in zip(idxs, st.unpack_from(buf, start + base)):
                vals[i] = v
        return vals

    def parse(self, buf: bytes, start: int, order: str) -> list[Field]:
        """Fields of the struct at buf[start:]; the caller checks there are self.size bytes."""
        em = self._emitted()
        vals = self._values(len(em), buf, start, order)
        out: list[Field] = []
        for (code, sl, x), v in zip(em, vals):
            a = start + sl.offset
            b = a + sl.size
            if code == _H_INT:
                out.append(Field(sl.name, "int", v, a, b))
            elif code == _H_ENUM:
                out.append(Field(sl.name, "enum", v, a, b, x.get(v)))
            elif code == _H_FLAGS:
                out.append(Field(sl.name, "flags", v, a, b, flag_names(v, x)))
            elif code == _H_FMT:
                out.append(Field(sl.name, "enum", v, a, b, x(v)))
            elif code == _H_SUB:
                out.append(Field(sl.name, "struct", None, a, b, children=x.parse(buf, a, order)))
            elif code == _H_BYTES:
                out.append(_bytes_field(sl.name, x, bytes(buf[a:b]), a, b))
            else:
                out.append(Field(sl.name, "addr", ip_text(buf[a:b]), a, b))
        return out

    def json(self, buf: bytes, start: int, order: str) -> dict[str, Any]:
        """What fields_to_json(parse(...)) gives, built from the same unpacked values
        without a Field per member (an export's IFLA_STATS64: 25 counters)."""
        em = self._emitted()
        if not self._plain:  # a member that is no integer, or a name given twice
            return fields_to_json(self.parse(buf, start, order))
        vals = self._values(len(em), buf, start, order)
        out: dict[str, Any] = {}
        for (code, sl, x), v in zip(em, vals):
            if code == _H_INT:
                out[sl.name] = v
            elif code == _H_ENUM:
                out[sl.name] = {"name": x.get(v), "value": v}
            elif code == _H_FLAGS:
                out[sl.name] = {"value": v, "names": flag_names(v, x)}
            else:
                out[sl.name] = {"name": x(v), "value": v}
        return out


_H_INT, _H_ENUM, _H_FLAGS, _H_FMT, _H_SUB, _H_BYTES, _H_ADDR = range(7)


def _bytes_field(name: str, kind: str, raw: bytes, a: int, b: int) -> Field:
    if kind in ("ipaddr", "ipv4", "ipv6"):
        return Field(name, "addr", ip_text(raw), a, b)
    if kind == "mac":
        return Field(name, "mac", mac_text(raw), a, b)
    if kind == "string":
        return Field(name, "str", raw.split(b"\0", 1)[0].decode("utf-8", "replace"), a, b)
    return Field(name, "bytes", raw, a, b)


# -- how much to build ---------------------------------------------------------------
# One decode, two products. TREE builds every Field (-V, the TUI, filters). JSON (the
# export) builds Fields for the top level only, which summaries read; everything below
# a nest goes from the bytes straight to plain dicts/lists, and that nest's Fields are
# made only if someone reads its children (then its JSON comes from them: they may
# have been changed in place). LAZY is for those late expansions: their problems were
# already reported, so nothing below is decoded until read (a summary line's decode
# and a filter's use it too: Message._settle checks what they left unread).
TREE, JSON, LAZY = 0, 1, 2


class _Mode(threading.local):
    """The mode per thread: the TUI decodes its detail panes on a thread of their own
    while its rows decode on the UI thread, each in the mode it asked for."""
    mode = TREE


_MODE = _Mode()

# Nests deeper than this are kept as bytes with a problem (real families nest < 10):
# Python's recursion must never turn a hostile message into a dissector error.
MAX_DEPTH = 32


class decoding:
    """`with decoding(JSON): ...`: the mode for one decode, restored after."""

    __slots__ = ("mode", "saved")

    def __init__(self, mode: int):
        self.mode = mode

    def __enter__(self) -> None:
        self.saved, _MODE.mode = _MODE.mode, self.mode

    def __exit__(self, *exc) -> None:
        _MODE.mode = self.saved


_NOJSON: Any = object()
NOJSON = _NOJSON  # for custom decoders that make Lazy fields


def decode_mode() -> int:
    return _MODE.mode


class Lazy(Field):
    """A nest, list or struct whose children are made from the bytes when first read
    (expand = (fn, args[, names it makes]): fn(*args, problems)); its JSON, when given, was built from the same bytes
    by the same tables. Reading the children drops that JSON: whoever reads them may
    change them (family fixups do)."""

    __slots__ = ("_kids", "_json", "_expand", "_bad")

    def __init__(self, name: str, kind: str, start: int, end: int, expand: tuple, json: Any = _NOJSON):
        self.name, self.kind, self.value, self.meta = name, kind, None, None
        self.start, self.end = start, end
        self._kids: list[Field] | None = None
        self._json = json
        self._expand = expand
        self._bad = False  # its expansion found a problem (fields_clean need not walk it again)

    @property
    def children(self) -> list[Field]:
        kids = self._kids
        if kids is None:
            fn, args = self._expand[:2]
            # problems: not the message's (a full decode reports them in its order);
            # only whether there were any is kept. Made for an export (it had its
            # JSON), its nests keep theirs; else nothing below is decoded until read.
            probs: list[str] = []
            with decoding(JSON if self._json is not _NOJSON else LAZY):
                kids = self._kids = fn(*args, probs)
            self._bad = bool(probs)
            self._json = _NOJSON
        return kids

    @children.setter
    def children(self, kids: list[Field]) -> None:
        self._kids, self._json = kids, _NOJSON

    def to_json(self) -> Any:
        if self._json is not _NOJSON:
            return self._json
        kids = self.children
        return [c.to_json() for c in kids] if self.kind == "list" else fields_to_json(kids)


def _too_deep(path: str, here: str, problems: list[str]) -> bool:
    if path.count(".") < MAX_DEPTH:
        return False
    if len(here) > 160:  # the path of a hostile nest is long: its two ends say where
        here = f"{here[:70]} ... {here[-70:]}"
    problems.append(f"{here}: nested more than {MAX_DEPTH} levels deep, kept as bytes")
    return True


# -- attributes ------------------------------------------------------------------------

def nla_spans(buf: bytes, start: int, end: int, order: str, problems: list[str], path: str):
    """(start, end, raw type) of each NLA in buf[start:end], the one walk of their
    framing. Bytes that are not a whole attribute come last with raw type TRAILING or
    MALFORMED (< 0), their problem noted; an attribute running past its parent is cut
    there, noted just before it is handed out (so problems keep the walk's order)."""
    hdr = _UNPACK[order + "u16"].unpack_from
    pos = start
    while pos < end:
        if end - pos < 4:
            problems.append(f"{path or 'attributes'}: {end - pos} trailing bytes, too short "
                            f"for an attribute header at offset {pos}")
            yield pos, end, TRAILING
            return
        nla_len = hdr(buf, pos)[0]
        raw_type = hdr(buf, pos + 2)[0]
        if nla_len < 4:
            problems.append(f"{path or 'attributes'}: attribute type {raw_type & NLA_TYPE_MASK} "
                            f"at offset {pos} has nla_len {nla_len} < 4")
            yield pos, end, MALFORMED
            return
        a_end = pos + nla_len
        if a_end > end:
            problems.append(f"{path or 'attributes'}: attribute type {raw_type & NLA_TYPE_MASK} "
                            f"at offset {pos} has nla_len {nla_len}, past its parent by {a_end - end} bytes")
            yield pos, end, raw_type
            return
        yield pos, a_end, raw_type
        pos += (nla_len + 3) & ~3


_NLA_HDR = {o: struct.Struct(o + "HH").unpack_from for o in "<>"}  # nla_len, nla_type


def attr_spans(buf: bytes, start: int, end: int, order: str, problems: list[str], path: str):
    """nla_spans, the well-framed attributes cut in one loop (no generator step each):
    from the first that is not, nla_spans itself, so its problems come in its order."""
    hdr = _NLA_HDR[order]
    out = []
    pos = start
    while end - pos >= 4:
        nla_len, raw_type = hdr(buf, pos)
        a_end = pos + nla_len
        if nla_len < 4 or a_end > end:
            break
        out.append((pos, a_end, raw_type))
        pos += (nla_len + 3) & ~3
    if pos < end:
        return chain(out, nla_spans(buf, pos, end, order, problems, path))
    return out


TRAILING, MALFORMED = -1, -2
_RAW_NAMES = {TRAILING: "TRAILING", MALFORMED: "MALFORMED"}


def walk_attrs(buf: bytes, start: int, end: int, aset: AttrSet | None, order: str,
               problems: list[str], path: str = "") -> list[Field]:
    """Decode the NLAs in buf[start:end]. Never raises on bad bytes: problems are
    appended (with the attribute path) and the bytes that could not be walked become
    a 'bytes' field so nothing vanishes."""
    out: list[Field] = []
    get = _plan_of(aset)[0].get if aset is not None else _NO_PLAN.get
    for at, a_end, raw_type in attr_spans(buf, start, end, order, problems, path):
        if raw_type < 0:
            out.append(Field(_RAW_NAMES[raw_type], "bytes", bytes(buf[at:a_end]), at, a_end))
            continue
        p = get(raw_type & NLA_TYPE_MASK)
        if p is not None:  # the compiled plan's kinds, as decode_attr makes them
            code = p[0]
            if code <= _P_FMT and a_end - at - 4 >= p[2]:
                v = p[3][">" if raw_type & NLA_F_NET_BYTEORDER else order](buf, at + 4)[0]
                if code == _P_INT:
                    out.append(Field(p[1], "int", v, at, a_end))
                elif code == _P_ENUM:
                    out.append(Field(p[1], "enum", v, at, a_end, p[4].get(v)))
                elif code == _P_FLAGS:
                    out.append(Field(p[1], "flags", v, at, a_end, flag_names(v, p[4])))
                else:
                    out.append(Field(p[1], "enum", v, at, a_end, p[4](v)))
                continue
            if code == _P_STR:
                out.append(Field(p[1], "str", bytes(buf[at + 4:a_end]).split(b"\0", 1)[0]
                                 .decode("utf-8", "replace"), at, a_end))
                continue
            if code == _P_NEST and path.count(".") < MAX_DEPTH:  # else decode_attr says why not
                out.append(_nest(p[1], buf, at + 4, at, a_end, p[4], order, problems, path + p[1]))
                continue
        out.append(decode_attr(buf, at, a_end, raw_type, aset, order, problems, path, out))
    return out


_NO_PLAN: dict[int, tuple] = {}


def lazy_attrs(buf: bytes, start: int, end: int, aset: AttrSet | None, order: str) -> Field | None:
    """A message's top-level attributes for a LAZY decode (a summary line): a Lazy nest
    when no attribute of the set is chosen by its siblings, so that a summary reading
    a few of them by name (attr_index) decodes those few; None otherwise (the caller
    walks them)."""
    if _MODE.mode == LAZY and aset is not None and not _plan_of(aset)[1]:
        return Lazy("attributes", "nest", start, end, (_walk_later, (buf, start, end, aset, order, "")))
    return None


class AttrIndex:
    """The attributes of a Lazy nest not read yet, by name: the first of that name not
    left as bytes (as a summary's View takes them), each decoded when first asked, the
    rest never. Whether the nest holds problems is still checked (fields_clean)."""

    __slots__ = ("_args", "_spans", "_hits")

    def __init__(self, args: tuple):
        self._args = args
        buf, start, end, aset, order, path = args
        spans: dict[str, list[tuple[int, int, int]]] = {}
        get = aset.get
        for at, a_end, raw_type in attr_spans(buf, start, end, order, [], path):
            if raw_type < 0:  # bytes that are no attribute: never offered
                continue
            t = raw_type & NLA_TYPE_MASK
            spec = get(t)
            name = spec.name if spec is not None else f"UNKNOWN({t})"
            hit = spans.get(name)
            if hit is None:
                spans[name] = [(at, a_end, raw_type)]
            else:
                hit.append((at, a_end, raw_type))
        self._spans = spans
        self._hits: dict[str, Field | None] = {}

    def get(self, name: str, default: Any = None) -> Any:
        hits = self._hits
        if name in hits:
            f = hits[name]
        else:
            f = None
            buf, _s, _e, aset, order, path = self._args
            for at, a_end, raw_type in self._spans.get(name, ()):
                c = decode_attr(buf, at, a_end, raw_type, aset, order, [], path, [])
                if c.kind != "bytes":  # raw, or a typed attribute of the wrong size
                    f = c
                    break
            hits[name] = f
        return default if f is None else f

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __getitem__(self, name: str) -> Field:
        f = self.get(name)
        if f is None:
            raise KeyError(name)
        return f


def attr_index(f: Field) -> AttrIndex | None:
    """An AttrIndex over a Lazy nest of attributes not read yet; None for any other."""
    if isinstance(f, Lazy) and f._kids is None and f._expand[0] is _walk_later \
            and f._expand[1][3] is not None:
        return AttrIndex(f._expand[1])
    return None


def _walk_later(buf, start, end, aset, order, path, problems):
    return walk_attrs(buf, start, end, aset, order, problems, path)


def child_count(f: Field) -> int:
    """len(f.children), without making them when not read yet: a summary counting a
    nest's or a list's entries (bands, rules, groups) must not decode them all, nor,
    in an export, make Fields of what went straight to JSON. One child per attribute
    span, as walk_attrs and _array_later make them (bytes that are no attribute too)."""
    if isinstance(f, Lazy) and f._kids is None and f._expand[0] in (_walk_later, _array_later):
        buf, start, end, _sub, order = f._expand[1][:5]
        return len(list(attr_spans(buf, start, end, order, [], "")))
    return len(f.children or ())


def _nest(name: str, buf: bytes, p0: int, pos: int, a_end: int, sub: AttrSet | None, order: str,
          problems: list[str], here: str) -> Field:
    path = here + "."
    mode = _MODE.mode
    if mode == TREE:
        return Field(name, "nest", None, pos, a_end, children=walk_attrs(buf, p0, a_end, sub, order, problems, path))
    js = attrs_json(buf, p0, a_end, sub, order, problems, path) if mode == JSON else _NOJSON
    return Lazy(name, "nest", pos, a_end, (_walk_later, (buf, p0, a_end, sub, order, path)), js)


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
    n = a_end - p0  # the payload's bytes, sliced only where a field keeps them
    if spec is None:
        name = f"UNKNOWN({t})"
        if raw_type & NLA_F_NESTED and n and path.count(".") < MAX_DEPTH:
            sub_problems: list[str] = []
            kids = walk_attrs(buf, p0, a_end, None, order, sub_problems, f"{path}{name}.")
            if not sub_problems:
                return Field(name, "nest", None, pos, a_end, children=kids)
        return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)
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
                return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)
            v = _UNPACK[o + fmt].unpack_from(buf, p0)[0]
            return _int_attr(spec, v, pos, a_end)
        if kind in ("uint", "sint"):
            if n not in (1, 2, 4, 8):
                problems.append(f"{here}: variable-width integer of {n} bytes")
                return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)
            fmt = ("u" if kind == "uint" else "s") + str(n * 8)
            o = ">" if raw_type & NLA_F_NET_BYTEORDER else order
            return _int_attr(spec, _UNPACK[o + fmt].unpack_from(buf, p0)[0], pos, a_end)
        if kind == "string":
            return Field(name, "str", bytes(buf[p0:a_end]).split(b"\0", 1)[0].decode("utf-8", "replace"), pos, a_end)
        if kind == "flag":
            if n:
                problems.append(f"{here}: flag attribute carries {n} bytes")
            return Field(name, "bool", True, pos, a_end)
        if kind in ("ipaddr", "ipv4", "ipv6"):
            want = {"ipv4": (4,), "ipv6": (16,), "ipaddr": (4, 16)}[kind]
            if n not in want:
                problems.append(f"{here}: address of {n} bytes")
                return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)
            return Field(name, "addr", ip_text(bytes(buf[p0:a_end])), pos, a_end)
        if kind == "mac":
            return Field(name, "mac", mac_text(bytes(buf[p0:a_end])), pos, a_end)
        if kind in _CONTAINERS and _too_deep(path, here, problems):
            return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)
        if kind == "nested":
            sub = spec.nested(siblings) if callable(spec.nested) else spec.nested
            return _nest(name, buf, p0, pos, a_end, sub, order, problems, here)
        if kind == "nested-array":
            sub = spec.nested(siblings) if callable(spec.nested) else spec.nested
            mode = _MODE.mode
            if mode == LAZY:  # a summary reads an array seldom (nlctrl's 50 ops)
                return Lazy(name, "list", pos, a_end, (_array_later, (buf, p0, a_end, sub, order, here)))
            if mode == JSON:  # the elements straight to JSON, no Lazy nest per element
                return Lazy(name, "list", pos, a_end, (_array_later, (buf, p0, a_end, sub, order, here)),
                            _array_json(buf, p0, a_end, sub, order, here, problems))
            return Field(name, "list", None, pos, a_end,
                         children=_array_later(buf, p0, a_end, sub, order, here, problems))
        if kind == "bitfield32":
            if n < 8:
                problems.append(f"{here}: bitfield32 of {n} bytes")
                return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)
            value, selector = struct.unpack_from(order + "II", buf, p0)
            return Field(name, "struct", None, pos, a_end, children=[
                int_field("value", value, p0, p0 + 4, None, spec.flags or {}),
                int_field("selector", selector, p0 + 4, p0 + 8, None, spec.flags or {})])
        if kind == "struct":
            st = spec.struct
            if n < st.size:
                problems.append(f"{here}: {st.name} needs {st.size} bytes, got {n}")
                return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)
            mode = _MODE.mode
            if mode == LAZY:  # a summary reads a struct's members seldom: made when read
                return Lazy(name, "struct", pos, a_end, (_parse_later, (st, buf, p0, order)))
            if mode == JSON:
                return Lazy(name, "struct", pos, a_end, (_parse_later, (st, buf, p0, order)),
                            st.json(buf, p0, order))
            return Field(name, "struct", None, pos, a_end, children=st.parse(buf, p0, order))
        if kind == "custom":
            return spec.decode(name, buf, pos, a_end, order, problems, here, siblings)
        if kind == "u32-array":
            kids = [Field(str(i), "int", _UNPACK[order + "u32"].unpack_from(buf, p0 + 4 * i)[0],
                          p0 + 4 * i, p0 + 4 * i + 4) for i in range(n // 4)]
            return Field(name, "list", None, pos, a_end, children=kids)
        return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)  # binary, hex
    except Exception as e:  # a table bug must not stop the capture
        problems.append(f"{here}: cannot decode ({type(e).__name__}: {e})")
        return Field(name, "bytes", bytes(buf[p0:a_end]), pos, a_end)


_CONTAINERS = frozenset(["nested", "nested-array", "custom"])


def _array_later(buf: bytes, p0: int, a_end: int, sub: AttrSet | None, order: str, here: str,
                 problems: list[str]) -> list[Field]:
    """A nested array's elements: each an attribute whose type is its index."""
    kids = []
    for a, b, it in attr_spans(buf, p0, a_end, order, problems, here + "."):
        if it < 0:
            kids.append(Field(_RAW_NAMES[it], "bytes", bytes(buf[a:b]), a, b))
        else:
            idx = str(it & NLA_TYPE_MASK)
            kids.append(_nest(idx, buf, a + 4, a, b, sub, order, problems, f"{here}[{idx}]"))
    return kids


def _array_json(buf: bytes, p0: int, a_end: int, sub: AttrSet | None, order: str, here: str,
                problems: list[str]) -> list[Any]:
    """What _array_later's elements give as JSON, with the same problems in the same order."""
    out: list[Any] = []
    for a, b, it in attr_spans(buf, p0, a_end, order, problems, here + "."):
        if it < 0:
            out.append(bytes(buf[a:b]).hex())
        else:
            out.append(attrs_json(buf, a + 4, b, sub, order, problems, f"{here}[{it & NLA_TYPE_MASK}]."))
    return out


def _parse_later(st: FixedHeader, buf: bytes, p0: int, order: str, problems: list[str]) -> list[Field]:
    return st.parse(buf, p0, order)


_parse_later.clean = True  # fields_clean: a struct of its size reports no problem


def _int_attr(spec: Attr, v: int, a: int, b: int) -> Field:
    if spec.fmt is not None:
        return Field(spec.name, "enum", v, a, b, spec.fmt(v))
    if spec.enum is None and spec.flags is None:
        return Field(spec.name, "int", v, a, b)
    return int_field(spec.name, v, a, b, spec.enum, spec.flags)


# -- the JSON product: compiled plans ----------------------------------------------------
# What decode_attr does per attribute, decided once per AttrSet: the common kinds
# (integers, named integers, strings, static nests) go from the bytes to their JSON
# value with one struct call and no Field; every other kind goes through decode_attr
# and its Field's to_json, so there is one meaning of each kind.
_P_INT, _P_ENUM, _P_FLAGS, _P_FMT, _P_STR, _P_NEST, _P_FIELD = range(7)


def _compile(aset: AttrSet) -> tuple[dict[int, tuple], bool]:
    plan: dict[int, tuple] = {}
    siblings = False
    for t, a in aset.attrs.items():
        k = a.kind
        if k in _INT_SIZE:
            unpack = {o: _UNPACK[o + k].unpack_from for o in "<>"}
            if a.fmt is not None:
                plan[t] = (_P_FMT, a.name, _INT_SIZE[k], unpack, a.fmt)
            elif a.enum is not None:
                plan[t] = (_P_ENUM, a.name, _INT_SIZE[k], unpack, a.enum)
            elif a.flags is not None:
                plan[t] = (_P_FLAGS, a.name, _INT_SIZE[k], unpack, a.flags)
            else:
                plan[t] = (_P_INT, a.name, _INT_SIZE[k], unpack, None)
        elif k == "string":
            plan[t] = (_P_STR, a.name, 0, None, None)
        elif k == "nested" and not callable(a.nested):
            plan[t] = (_P_NEST, a.name, 0, None, a.nested)
        else:
            # a table chosen by a sibling, or a custom decoder that may read them
            siblings |= (k in ("nested", "nested-array") and callable(a.nested)) or (
                k == "custom" and getattr(a.decode, "siblings", True))
            plan[t] = (_P_FIELD, a.name, 0, None, None)
    return plan, siblings


def _plan_of(aset: AttrSet) -> tuple[dict[int, tuple], bool]:
    """The set's compiled plan, made again when attributes were added since."""
    hit = aset.plan
    if hit is None or hit[0] != len(aset.attrs):
        hit = aset.plan = (len(aset.attrs), *_compile(aset))
    return hit[1], hit[2]


def attrs_json(buf: bytes, start: int, end: int, aset: AttrSet | None, order: str,
               problems: list[str], path: str = "") -> dict[str, Any]:
    """The NLAs in buf[start:end] as the export writes them (fields_to_json of what
    walk_attrs gives), with the same problems in the same order, built directly."""
    if aset is None:
        return fields_to_json(walk_attrs(buf, start, end, None, order, problems, path))
    plan, siblings = _plan_of(aset)
    if siblings:  # walk this level as Fields (its nests still go straight to JSON)
        return fields_to_json(walk_attrs(buf, start, end, aset, order, problems, path))
    out: dict[str, Any] = {}
    get = plan.get
    for at, a_end, raw_type in attr_spans(buf, start, end, order, problems, path):
        if raw_type < 0:
            name, v = _RAW_NAMES[raw_type], bytes(buf[at:a_end]).hex()
        else:
            p = get(raw_type & NLA_TYPE_MASK)
            code = p[0] if p is not None else _P_FIELD
            if code <= _P_FMT and a_end - at - 4 >= p[2]:
                v = p[3][">" if raw_type & NLA_F_NET_BYTEORDER else order](buf, at + 4)[0]
                if code == _P_ENUM:
                    v = {"name": p[4].get(v), "value": v}
                elif code == _P_FLAGS:
                    v = {"value": v, "names": flag_names(v, p[4])}
                elif code == _P_FMT:
                    v = {"name": p[4](v), "value": v}
                name = p[1]
            elif code == _P_STR:
                name, v = p[1], bytes(buf[at + 4:a_end]).split(b"\0", 1)[0].decode("utf-8", "replace")
            elif code == _P_NEST:
                name = p[1]
                here = path + name
                try:
                    if _too_deep(path, here, problems):
                        v = bytes(buf[at + 4:a_end]).hex()
                    else:
                        v = attrs_json(buf, at + 4, a_end, p[4], order, problems, here + ".")
                except Exception as e:  # as decode_attr: a table bug costs this attribute
                    problems.append(f"{here}: cannot decode ({type(e).__name__}: {e})")
                    v = bytes(buf[at + 4:a_end]).hex()
            else:
                f = decode_attr(buf, at, a_end, raw_type, aset, order, problems, path, [])
                name, v = f.name, f.to_json()
        prev = out.get(name, _NOJSON)
        if prev is _NOJSON:
            out[name] = v
        elif type(prev) is _Repeated:
            prev.append(v)
        else:
            out[name] = _Repeated([prev, v])
    return out


# -- whether a lazy tree hides problems ---------------------------------------------------
# A message decoded LAZY (a summary line, a filter) has the problems of its top level;
# those of the nests it has not walked are found here from the bytes, without building
# their Fields: the same rules as walk_attrs/decode_attr, answered yes or no. Anything a
# table does not describe (a custom decoder, a table chosen by a sibling) is decoded for
# real, so the answer is that of a full decode by construction.
_C_OK, _C_MIN, _C_IN, _C_EMPTY, _C_NEST, _C_ARRAY, _C_DECODE, _C_WHOLE = range(8)
_ADDR_SIZES = {"ipv4": (4,), "ipv6": (16,), "ipaddr": (4, 16)}


def _check_plan(aset: AttrSet) -> dict[int, tuple] | None:
    """type -> (check, arg) for the set; None when its level must be walked as Fields
    (a table or decoder there depends on the siblings decoded before it, or the set
    chooses attributes its own way: AttrSet subclasses with their own get())."""
    hit = _Caches.check.get(id(aset))
    if hit is not None and hit[0] is aset and hit[1] == len(aset.attrs):
        return hit[2]
    if _plan_of(aset)[1] or type(aset).get is not AttrSet.get:
        plan = None
    else:
        plan = {t: _check_code(a) for t, a in aset.attrs.items()}
    if len(_Caches.check) >= 4096:
        _Caches.check.clear()
    _Caches.check[id(aset)] = (aset, len(aset.attrs), plan)
    return plan


def _check_code(a: Attr) -> tuple:
    k = a.kind
    if k in _INT_SIZE:
        return _C_MIN, _INT_SIZE[k]
    if k in ("be16", "be32", "be64"):
        return _C_MIN, int(k[2:]) // 8
    if k in ("uint", "sint"):
        return _C_IN, (1, 2, 4, 8)
    if k in _ADDR_SIZES:
        return _C_IN, _ADDR_SIZES[k]
    if k == "flag":
        return _C_EMPTY, None
    if k == "bitfield32":
        return _C_MIN, 8
    if k == "struct":
        return _C_MIN, a.struct.size
    if k == "nested":
        return _C_NEST, a.nested
    if k == "nested-array":
        return _C_ARRAY, a.nested
    if k == "custom":
        # a decoder whose only problem is a length that is not a whole number of its
        # items (counter blocks: IFLA_STATS64, DEVCONF arrays) says so: checked, not decoded
        whole = getattr(a.decode, "whole", None)
        return (_C_WHOLE, whole) if isinstance(whole, int) and whole > 0 else (_C_DECODE, None)
    return _C_OK, None  # string, mac, binary, hex, u32-array: any length is theirs


def attrs_clean(buf: bytes, start: int, end: int, aset: AttrSet | None, order: str,
                path: str = "", plan: Any = False) -> bool:
    """Whether walk_attrs(buf, start, end, aset, ...) in full would report no problem
    (`plan`: the set's _check_plan, when the caller has it)."""
    if plan is False:
        plan = _check_plan(aset) if aset is not None else _NO_PLAN
    if plan is None:
        probs: list[str] = []
        with decoding(LAZY):
            kids = walk_attrs(buf, start, end, aset, order, probs, path)
        return not probs and fields_clean(kids)
    hdr = _NLA_HDR[order]
    deep = path.count(".") >= MAX_DEPTH
    pos = start
    while pos < end:
        if end - pos < 4:
            return False
        nla_len, raw_type = hdr(buf, pos)
        if nla_len < 4 or pos + nla_len > end:
            return False
        c = plan.get(raw_type & NLA_TYPE_MASK)
        if c is not None:
            code, arg = c
            n = nla_len - 4
            if code == _C_MIN:
                if n < arg:
                    return False
            elif code == _C_IN:
                if n not in arg:
                    return False
            elif code == _C_EMPTY:
                if n:
                    return False
            elif code == _C_WHOLE:
                if deep or n % arg:  # too deep: decode_attr keeps it as bytes, a problem
                    return False
            elif code != _C_OK:
                if deep:
                    return False
                a_end = pos + nla_len
                if code == _C_NEST:
                    if not attrs_clean(buf, pos + 4, a_end, arg, order, f"{path}{raw_type}."):
                        return False
                elif code == _C_ARRAY:
                    if not _array_clean(buf, pos + 4, a_end, arg, order, f"{path}{raw_type}"):
                        return False
                else:
                    probs = []
                    with decoding(LAZY):
                        f = decode_attr(buf, pos, a_end, raw_type, aset, order, probs, path, [])
                    if probs or not fields_clean((f,)):
                        return False
        pos += (nla_len + 3) & ~3
    return True


def _array_clean(buf: bytes, start: int, end: int, sub: AttrSet | None, order: str, here: str) -> bool:
    probs: list[str] = []  # the elements' framing, as _array_later walks it
    plan = _check_plan(sub) if sub is not None else _NO_PLAN  # looked up once for them all
    path = here + "[]."
    for pos, a_end, it in attr_spans(buf, start, end, order, probs, here + "."):
        if probs or it < 0 or not attrs_clean(buf, pos + 4, a_end, sub, order, path, plan):
            return False
    return True


def fields_clean(fields) -> bool:
    """Whether the nests of a LAZY-decoded tree hold no problem: each Lazy nest is
    checked from its bytes (attrs_clean), a Lazy whose expansion never reports one
    (`expand` function marked .clean) is skipped, other fields are looked into."""
    stack = list(fields)
    while stack:
        f = stack.pop()
        if isinstance(f, Lazy):
            if f._kids is not None:  # read already (by the summary): its own level is known
                if f._bad:
                    return False
                stack.extend(f._kids)
                continue
            fn, args = f._expand[:2]
            if fn is _walk_later:
                buf, start, end, sub, order, path = args
                if not attrs_clean(buf, start, end, sub, order, path):
                    return False
            elif fn is _array_later:
                buf, start, end, sub, order, here = args
                if not _array_clean(buf, start, end, sub, order, here):
                    return False
            elif not getattr(fn, "clean", False):
                probs: list[str] = []
                with decoding(LAZY):
                    kids = fn(*args, probs)
                if probs:
                    return False
                stack.extend(kids)
        elif f.children:
            stack.extend(f.children)
    return True


# -- what a nest can hold: decoding filters skip nests that cannot match ----------------
def reach_of(aset: AttrSet | None) -> frozenset[str] | None:
    """Every field name that can appear at any depth below a nest of this set, from
    the tables; None when something chosen at decode time (a sibling's choice, a
    custom decoder) could put any name there."""
    if aset is None:
        return frozenset()
    cache = _Caches.reach
    hit = cache.get(id(aset))
    if hit is None or hit[0] is not aset or hit[1] != len(aset.attrs):
        if len(cache) >= 4096:
            cache.clear()
        names: set[str] = set()
        hit = cache[id(aset)] = (aset, len(aset.attrs),
                                  frozenset(names) if _reach(aset, names, set()) else None)
    return hit[2]


def _reach(aset: AttrSet, names: set[str], seen: set[int]) -> bool:
    if id(aset) in seen:  # a set inside itself adds no name
        return True
    if type(aset).get is not AttrSet.get:
        return False  # it makes its attributes as they come (genl.IndexSet): any name
    seen.add(id(aset))
    for a in aset.attrs.values():
        names.add(a.name)
        if a.kind == "custom" and isinstance(getattr(a.decode, "names", None), frozenset):
            names.update(a.decode.names)  # a custom decoder that says what it names
        elif a.kind == "custom" or callable(a.nested):
            return False
        if a.kind in ("nested", "nested-array") and a.nested is not None:
            if not _reach(a.nested, names, seen):
                return False
        elif a.kind == "struct" and a.struct is not None:
            _struct_names(a.struct, names)
        elif a.kind == "bitfield32":
            names.update(("value", "selector"))
    return True


def _struct_names(st: FixedHeader, names: set[str]) -> None:
    for sl in st.slots:
        names.add(sl.name)
        if sl.sub is not None:
            _struct_names(sl.sub, names)


def may_hold(f: Field, names) -> bool:
    """Whether a field not decoded yet (a Lazy nest) may have one of `names` below it;
    True for every other field (its children are there to look at)."""
    if not isinstance(f, Lazy) or f._kids is not None:
        return True
    fn, args, *known = f._expand
    if any(n.isdigit() for n in names):  # an array's element: tables do not name them
        return True
    if known:  # (expand, args, the names it makes)
        return not known[0].isdisjoint(names)
    if fn is _walk_later or fn is _array_later:
        reach = reach_of(args[3])
        return reach is None or not reach.isdisjoint(names)
    return True
