"""Filter fields known by name: which attribute and struct member names a registry's
families can produce, so that the filter language (and the `fields` output) can reject
a name no family knows, with a suggestion, as Wireshark does.

The core fields (number, type, flags, seq, txn.*, ...) are registered once in
nlscope.analysis.filter.FIELDS. Attribute fields (`attr.NAME`, `attr.A.B`, and a bare
kernel name like `IFLA_IFNAME`) name the decoded tree's nodes; `known_attribute_names`
lists every such name a registry can produce, found by walking what the families
registered:
  * every protocol's message types: fixed headers (struct members, nested structs, the
    struct's own name), attribute tables (AttrSet), nested tables recursively, tables
    chosen at run time (a callable: the tables it can return are reached through its
    closure and the module globals it reads);
  * generic netlink families (the registry's extras: GenlFamily attrs, cmd_attrs,
    header), YNL specs loaded into the registry, plugins loaded from files or entry
    points: all of them are in the registry by the time a filter is compiled;
  * index tables (an AttrSet whose attributes are made per type, e.g. nl80211's band or
    interface-type nests): the names their maker gives for the types it knows;
  * decoders written as code (a message type's `decode`, an attribute of kind custom,
    a family's fix-ups): the tables and name lists they close over, and the identifier
    strings in their code (the names of the Fields they build).
The walk is cached per registry and redone when the registry changes (a plugin or spec
loaded later).
"""
from __future__ import annotations

import difflib
import functools
import re
import sys
import types
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from ..decode.nla import Attr, AttrSet, FixedHeader
from ..decode.registry import MessageType, Protocol, Registry

__all__ = ["known_attribute_names", "type_names", "message_names", "attribute_field_names", "is_known_component", "spellings",
           "suggest", "CORE_NODE_NAMES"]

# Nodes the core decoder itself builds (nlscope.decode.decoder): the payload's
# containers, NLMSG_ERROR/DONE's parts, the embedded request's header.
CORE_NODE_NAMES = frozenset({
    "attributes", "data", "padding", "error", "value", "original", "extack", "trailing",
    "nlmsghdr", "nlmsg_len", "nlmsg_type", "nlmsg_flags", "nlmsg_seq", "nlmsg_pid",
    "TRAILING", "MALFORMED", "selector",  # walk_attrs: bytes it could not walk; bitfield32
})

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INDEX_PROBE = range(0, 512)  # types tried on an index table's maker


# Wireshark spells some struct members differently (rt_dst_len for rtm_dst_len).
_WS_STRUCT_PREFIXES = {"rt_": "rtm_", "nd_": "ndm_"}


def spellings(part: str) -> frozenset[str]:
    """The names one path component matches in the decoded tree: as written, upper
    case (kernel attribute names), lower case (struct members), Wireshark's spelling."""
    out = {part, part.upper(), part.lower()}
    low = part.lower()
    for ws, ours in _WS_STRUCT_PREFIXES.items():
        if low.startswith(ws):
            out.add(ours + low[len(ws):])
    return frozenset(out)


# id(table) -> (table, its size, every name reachable from it); tables being walked
_SET_NAMES: dict[int, tuple[AttrSet, int, frozenset[str]]] = {}
_WALKING: set[int] = set()


class _Walker:
    def __init__(self) -> None:
        self.names: set[str] = set(CORE_NODE_NAMES)
        self.seen: set[int] = set()
        self.keep: list[Any] = []  # objects made while walking (kept so ids stay unique)

    def add(self, name: Any) -> None:
        if isinstance(name, str) and name:
            self.names.add(name)

    def strings(self, obj: Any) -> None:
        if isinstance(obj, str) and len(obj) > 1 and _IDENT.match(obj):
            self.names.add(obj)

    def visit(self, obj: Any, code: bool = False) -> None:
        """Everything reachable from `obj` that can name a node of a decoded tree.
        `code`: obj was reached from a decoder's code, where plain strings and name
        tables are names of the Fields it builds."""
        if obj is None or isinstance(obj, (int, float, bool, bytes)):
            return
        if isinstance(obj, str):
            if code:
                self.strings(obj)
            return
        if id(obj) in self.seen:
            return
        self.seen.add(id(obj))
        self.keep.append(obj)
        if isinstance(obj, AttrSet):
            self.attr_set(obj)
        elif isinstance(obj, Attr):
            self.attr(obj)
        elif isinstance(obj, FixedHeader):
            self.header(obj)
        elif isinstance(obj, MessageType):
            self.visit(obj.header)
            self.visit(obj.attrs)
            self.visit(obj.decode)
            self.visit(obj.summary)
        elif isinstance(obj, Protocol):
            self.protocol(obj)
        elif isinstance(obj, functools.partial):
            self.visit(obj.func)
            for a in obj.args:
                self.visit(a, True)
            for a in (obj.keywords or {}).values():
                self.visit(a, True)
        elif isinstance(obj, types.MethodType):
            self.visit(obj.__func__)
            self.visit(obj.__self__)
        elif isinstance(obj, types.FunctionType):
            self.function(obj)
        elif isinstance(obj, Mapping):
            for v in list(obj.values()):
                self.visit(v, code)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for v in list(obj):
                self.visit(v, code)
        elif isinstance(obj, (type, types.ModuleType, types.BuiltinFunctionType)):
            return
        elif hasattr(obj, "__dict__") or hasattr(type(obj), "__slots__"):
            self.instance(obj)

    def attr_set(self, s: AttrSet) -> None:
        """An attribute table's names, walked once per table (and size) for every walk:
        families share big tables between their message types (nl80211's commands)."""
        key = id(s)
        hit = _SET_NAMES.get(key)
        if hit is None or hit[0] is not s or hit[1] != len(s.attrs):
            if key in _WALKING:  # a table inside itself, further up: walked here directly
                self._attr_set(s)
                return
            _WALKING.add(key)
            try:
                w = _Walker()
                w.seen.add(key)
                w.keep.append(s)
                w._attr_set(s)
            finally:
                _WALKING.discard(key)
            if len(_SET_NAMES) >= 4096:
                _SET_NAMES.clear()
            hit = _SET_NAMES[key] = (s, len(s.attrs), frozenset(w.names))
        self.names |= hit[2]

    def _attr_set(self, s: AttrSet) -> None:
        for a in list(s.attrs.values()):
            self.visit(a)
        self.methods(s, AttrSet)
        make = getattr(s, "make", None)
        if callable(make):  # an index table: attributes made per type
            for t in _INDEX_PROBE:
                try:
                    a = make(t)
                except Exception:
                    continue
                if isinstance(a, Attr):
                    self.visit(a)
            self.visit(make)

    def attr(self, a: Attr) -> None:
        self.add(a.name)
        self.visit(a.nested)
        self.visit(a.struct)
        self.visit(a.decode)
        # enum/flags tables name values, not nodes: not walked

    def header(self, h: FixedHeader) -> None:
        self.add(h.name)
        for sl in h.slots:
            self.add(sl.name)
            if sl.sub is not None:
                self.visit(sl.sub)
        self.methods(h, FixedHeader)  # a subclass that parses its own way (sockaddr)

    def protocol(self, p: Protocol) -> None:
        self.instance(p)
        self.methods(p, Protocol)

    def methods(self, obj: Any, base: type) -> None:
        """The code of a family's subclass of a core class (Protocol.message_type
        building types on demand, FixedHeader.parse choosing a struct)."""
        for klass in type(obj).__mro__:
            if klass is base or klass is object:
                break
            for v in vars(klass).values():
                if isinstance(v, (types.FunctionType, staticmethod, classmethod, property)):
                    fn = getattr(v, "fget", None) or getattr(v, "__func__", v)
                    if isinstance(fn, types.FunctionType):
                        self.visit(fn)

    def instance(self, obj: Any) -> None:
        d = getattr(obj, "__dict__", None)
        if d is not None:
            for v in list(d.values()):
                self.visit(v)
        for klass in type(obj).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if isinstance(slot, str) and not slot.startswith("__"):
                    self.visit(getattr(obj, slot, None))

    def function(self, fn: types.FunctionType) -> None:
        for cell in fn.__closure__ or ():
            try:
                self.visit(cell.cell_contents, True)
            except ValueError:  # an empty cell
                pass
        for v in fn.__defaults__ or ():
            self.visit(v, True)
        for v in (fn.__kwdefaults__ or {}).values():
            self.visit(v, True)
        self.code(fn.__code__, fn.__globals__)

    def code(self, co: types.CodeType, glob: Mapping[str, Any]) -> None:
        """The names a function's code uses: its string constants (the names of the
        Fields it builds) and the globals it reads, module attributes included
        (`S.tcp_info_fields`, `X.TMPL`)."""
        used: list[str] = []
        stack = [co]
        while stack:
            c = stack.pop()
            used.extend(c.co_names)
            for k in c.co_consts:
                if isinstance(k, str):
                    self.strings(k)
                elif isinstance(k, types.CodeType):
                    stack.append(k)
                elif isinstance(k, (tuple, frozenset)):
                    for x in k:
                        self.strings(x)
        mods = []
        for n in used:
            v = glob.get(n)
            if isinstance(v, types.ModuleType):
                if _ours(v):
                    mods.append(v)
            elif v is not None and not isinstance(v, type):
                self.visit(v, True)
        for m in mods:
            for n in used:
                v = getattr(m, n, None)
                if v is not None and not isinstance(v, (type, types.ModuleType)):
                    self.visit(v, True)


def _ours(mod: types.ModuleType) -> bool:
    """A module whose attributes a decoder's code may read tables from: not the
    standard library, not construct (a family's or a plugin's own modules)."""
    top = mod.__name__.split(".", 1)[0]
    return top not in sys.stdlib_module_names and top not in ("construct", "builtins")


def _signature(reg: Registry) -> tuple:
    """What, when it changes, makes the walk stale: the protocols (and how many message
    types each has), the plugins and specs loaded, the generic netlink families."""
    extras = tuple(sorted((k, id(v), len(v) if isinstance(v, (Mapping, list, tuple, set)) else -1)
                          for k, v in reg.extras.items()))
    genl = reg.extras.get("genl")
    fams = tuple(sorted((n, id(f)) for n, f in genl.items())) if isinstance(genl, Mapping) else ()
    protos = tuple(sorted((n, id(p), len(getattr(p, "messages", ()) or ())) for n, p in reg.protocols.items()))
    return protos, tuple(reg.loaded), extras, fams


_CACHE: dict[int, tuple[weakref.ref, tuple, frozenset[str]]] = {}


def _walk(reg: Registry) -> frozenset[str]:
    w = _Walker()
    for p in list(reg.protocols.values()):
        w.visit(p)
    for v in list(reg.extras.values()):
        w.visit(v)
    # the core decoder's own tables (extended ACK attributes, ...)
    from ..decode import decoder as _dec
    for v in list(vars(_dec).values()):
        if isinstance(v, (AttrSet, FixedHeader)):
            w.visit(v)
    return frozenset(w.names)


_TYPE_CACHE: dict[int, tuple[Any, frozenset[str]]] = {}
# What the core decoder builds around any type's payload (decoder._payload): the
# CORE_NODE_NAMES, and the note on bytes past a type's struct.
_PAYLOAD_CORE = CORE_NODE_NAMES | {"note"}


def type_names(spec: MessageType | None) -> frozenset[str]:
    """Every name a node of the payload of one message type can have: the same walk as
    known_attribute_names, from that type alone (its header, tables, decoder and
    summary code). A superset: a decoding filter skips a message whose type cannot
    hold the attribute it looks for, without decoding it. Cached per type."""
    hit = _TYPE_CACHE.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    w = _Walker()
    w.visit(spec)
    names = frozenset(w.names | _PAYLOAD_CORE)
    if len(_TYPE_CACHE) >= 4096:  # types made on demand (generic netlink): stay bounded
        _TYPE_CACHE.clear()
    _TYPE_CACHE[id(spec)] = (spec, names)
    return names


_CONTROL: frozenset[str] | None = None


def _control_names() -> frozenset[str]:
    """What an ACK with a capped echo, or a DONE, can hold: the core's nodes and the
    extended ACK's attributes."""
    global _CONTROL
    if _CONTROL is None:
        from ..decode.decoder import EXTACK_ATTRS
        w = _Walker()
        w.visit(EXTACK_ATTRS)
        _CONTROL = frozenset(w.names | _PAYLOAD_CORE)
    return _CONTROL


def message_names(msg: Any) -> frozenset[str] | None:
    """Every name a node of this message's payload can have, known without decoding
    it (type_names for a family's type); None when only a decode tells: an error that
    echoes a whole request, a DONE its family decodes its own way."""
    t = msg.type
    if t is None:
        return _PAYLOAD_CORE
    if t >= 16:
        return type_names(msg.decoder.spec(msg))
    if t == 2:  # the echoed request's payload comes along unless capped (or absent)
        from ..decode.decoder import NLM_F_CAPPED
        # (an nlmsg_len under 16 leaves the payload to the frame's end: any echo)
        if msg.flags & NLM_F_CAPPED or 16 <= msg.nlmsg_len <= 36:
            return _control_names()
        return None
    if t == 3:
        proto = msg.decoder.registry.get(msg.protocol)
        return None if getattr(proto, "decode_done", None) is not None else _control_names()
    return _PAYLOAD_CORE  # NOOP, OVERRUN, reserved types: their bytes


def known_attribute_names(registry: Registry | None = None) -> frozenset[str]:
    """Every name a node of a decoded payload tree can have with `registry` (None: the
    built-in registry): attribute names, struct names and members, the core's nodes.
    Cached per registry; walked again when the registry has changed since."""
    reg = registry if registry is not None else builtin_registry()
    sig = _signature(reg)
    hit = _CACHE.get(id(reg))
    if hit is not None and hit[0]() is reg and hit[1] == sig:
        return hit[2]
    names = _walk(reg)
    for k in [k for k, (ref, _, _) in _CACHE.items() if ref() is None]:
        del _CACHE[k]
    _CACHE[id(reg)] = (weakref.ref(reg), sig, names)
    return names


@functools.lru_cache(maxsize=1)
def builtin_registry() -> Registry:
    """The registry `compile_filter` uses when given none: the built-in families and
    the installed entry points (what `default_registry()` gives)."""
    from ..decode.registry import default_registry
    return default_registry()


def is_known_component(part: str, names: frozenset[str]) -> bool:
    """Whether one component of an attribute path names a node `names` knows (a number
    names an element of an array or an index table)."""
    if part.isdigit():
        return True
    return not spellings(part).isdisjoint(names)


def suggest(word: str, candidates: Iterable[str], n: int = 1, cutoff: float = 0.75) -> list[str]:
    """The closest names to `word` (difflib), case-insensitively; [] when none is close."""
    cands = list(candidates)
    by_low: dict[str, str] = {}
    for c in cands:
        by_low.setdefault(c.lower(), c)
    hits = difflib.get_close_matches(word.lower(), list(by_low), n=n, cutoff=cutoff)
    return [by_low[h] for h in hits]


def attribute_field_names(registry: Registry | None = None) -> list[str]:
    """`attr.NAME` for every known node name, sorted (for completion)."""
    return sorted(f"attr.{n}" for n in known_attribute_names(registry) if _IDENT.match(n))
