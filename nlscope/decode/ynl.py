"""Load a YNL spec (the kernel's YAML netlink family description format,
Documentation/userspace-api/netlink/specs.rst) and register a dissector built from it:
a generic netlink family (protocol genetlink, genetlink-c, genetlink-legacy) or a raw
netlink protocol (netlink-raw, with `protonum`).

What is read:
  * definitions: const; enum and flags (entries as names or {name, value}, value-start;
    flags count bits); struct (members u8..u64, s8..s64, pad, binary/string with len,
    binary with `struct:` (a struct inside a struct), byte-order, display-hint, enum)
    -> FixedHeader;
  * attribute-sets (subset-of included): attribute numbering per the spec rules (an
    explicit value, else the previous + 1, the first being 1); types u8..u64, s8..s64,
    uint, sint, string, binary (struct:, sub-type: an integer array), flag, nest,
    indexed-array (nest or scalar sub-type), nest-type-value (type-value levels),
    sub-message (its format, a fixed header and/or an attribute set, chosen by the
    value of the `selector` attribute: a sibling or one of an outer level), bitfield32,
    pad; byte-order; enum / enum-as-flags; display hints hex, mac, ipv4, ipv6,
    ipv4-or-v6, uuid;
  * operations: enum-model unified (one numbering: value, else previous + 1 from 1;
    a reply the spec numbers apart, like devlink's, is named too) or directional
    (request and reply numbered apart, notifications/events take reply ids),
    attribute-set per operation (a notification uses its `notify` target's),
    fixed-header (family default and per operation), name-prefix;
  * sub-messages; mcast-groups (listed in the load report).

Names follow the C rendering (c-code-gen.rst): attributes `$pfx-$attr` upper-cased with
dashes as underscores, $pfx the set's name-prefix or `$family-a[-$set]` (netlink-raw
specs name attributes in full: `ifa-address`); operations shown by their own name
(CREATE) after the family name, like the built-in dissectors. Unknown attribute types
decode as named raw bytes, with a warning in the report.

A spec only fills in what the registered dissectors lack (register_spec). Specs are
found by name in a search path (spec_dirs); families with command names only take
theirs automatically when it is installed (SpecFiller).
"""
from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import re
import shutil
import struct
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import construct as cs

from .model import Field, Message
from .nla import Attr, AttrSet, FixedHeader, walk_attrs
from .registry import DecodeCtx, MessageType, PluginError, Protocol

GENL_PROTOCOLS = ("genetlink", "genetlink-c", "genetlink-legacy")
RAW_PROTOCOL = "netlink-raw"
_INTS = {"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"}
_CS_INT = {
    ("u8", False): cs.Int8un, ("u16", False): cs.Int16un, ("u32", False): cs.Int32un,
    ("u64", False): cs.Int64un, ("s8", False): cs.Int8sn, ("s16", False): cs.Int16sn,
    ("s32", False): cs.Int32sn, ("s64", False): cs.Int64sn,
    ("u8", True): cs.Int8ub, ("u16", True): cs.Int16ub, ("u32", True): cs.Int32ub,
    ("u64", True): cs.Int64ub, ("s8", True): cs.Int8sb, ("s16", True): cs.Int16sb,
    ("s32", True): cs.Int32sb, ("s64", True): cs.Int64sb,
}


MAX_STRUCT_DEPTH = 32  # structs inside structs: real specs use 2


class YnlError(PluginError):
    """A spec that cannot be loaded (one clear line for the user)."""


def c_name(*parts: str) -> str:
    """The C rendering of a spec name: parts joined by dashes, upper case, '_' for '-'."""
    return "-".join(str(p).strip("-") for p in parts if p).upper().replace("-", "_")


@dataclass
class SpecInfo:
    """What a load registered, for the CLI and tests."""

    name: str
    protocol: str
    path: str
    protonum: int | None = None
    operations: dict[int, str] = field(default_factory=dict)
    replies: dict[int, str] = field(default_factory=dict)
    attribute_sets: list[str] = field(default_factory=list)
    mcast_groups: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    family: Any = None  # the GenlFamily (genetlink) or Protocol (netlink-raw)


class Spec:
    """A parsed spec: definitions, attribute sets and operations as nlscope tables."""

    def __init__(self, doc: Any, source: str = "<spec>"):
        if not isinstance(doc, dict):
            raise YnlError(f"{source}: not a YNL spec (the top level is not a mapping)")
        self.source = source
        self.doc = doc
        self.name = doc.get("name")
        if not isinstance(self.name, str) or not self.name:
            raise YnlError(f"{source}: the spec has no family name ('name:')")
        self.protocol = doc.get("protocol", "genetlink")
        if self.protocol not in (*GENL_PROTOCOLS, RAW_PROTOCOL):
            raise YnlError(f"{source}: protocol {self.protocol!r} is not one of "
                           f"{', '.join((*GENL_PROTOCOLS, RAW_PROTOCOL))}")
        self.protonum = doc.get("protonum")
        if self.protocol == RAW_PROTOCOL and not isinstance(self.protonum, int):
            raise YnlError(f"{source}: a netlink-raw spec needs 'protonum' (the netlink protocol number)")
        self.warnings: list[str] = []
        self.consts: dict[str, Any] = {}
        self.enums: dict[str, dict[int, str]] = {}
        self.enum_is_flags: dict[str, bool] = {}
        self.structs: dict[str, FixedHeader] = {}
        self._read_definitions(doc.get("definitions") or [])
        self.sets: dict[str, AttrSet] = {}
        self._raw_submsgs = {m.get("name"): m for m in doc.get("sub-messages") or [] if isinstance(m, dict)}
        self.sub_messages: dict[str, _SubMessage] = {}
        self._read_attribute_sets(doc.get("attribute-sets") or [])
        self._read_sub_messages()
        self._read_operations(doc.get("operations") or {})
        self.mcast_groups = [g.get("name") for g in (doc.get("mcast-groups") or {}).get("list", [])
                             if isinstance(g, dict)]

    # -- definitions ---------------------------------------------------------------------
    def _read_definitions(self, defs: list) -> None:
        for d in defs:
            if not isinstance(d, dict) or "name" not in d:
                raise YnlError(f"{self.source}: a definition without a name: {d!r}")
            name, typ = d["name"], d.get("type")
            if typ == "const":
                self.consts[name] = d.get("value")
            elif typ in ("enum", "flags"):
                self.enums[name] = self._entries(d, flags=typ == "flags")
                self.enum_is_flags[name] = typ == "flags"
            elif typ == "struct":
                pass  # after all enums are known (members may name one)
            else:
                self.warnings.append(f"definition {name}: type {typ!r} not understood; ignored")
        self._struct_defs = {d["name"]: d for d in defs if d.get("type") == "struct"}
        self._building: set[str] = set()
        for name in self._struct_defs:
            self._struct_named(name, "definitions")

    def _entries(self, d: dict, flags: bool) -> dict[int, str]:
        out: dict[int, str] = {}
        v = d.get("value-start", 0)
        for e in d.get("entries") or []:
            if isinstance(e, dict):
                ename = e.get("name")
                if "value" in e:
                    v = e["value"]
            else:
                ename = e
            out[(1 << v) if flags else v] = c_name(str(ename))
            v += 1
        return out

    def _struct(self, d: dict) -> FixedHeader:
        fields = []
        enums: dict[str, Mapping[int, str]] = {}
        flags: dict[str, Mapping[int, str]] = {}
        kinds: dict[str, str] = {}
        fmts: dict[str, Callable[[Any], str]] = {}
        subs: dict[str, FixedHeader] = {}
        for i, m in enumerate(d.get("members") or []):
            mname = str(m.get("name", f"member{i}")).replace("-", "_")
            mtype = m.get("type")
            be = m.get("byte-order") == "big-endian"
            hint = m.get("display-hint")
            if mtype in _INTS:
                fields.append(mname / _CS_INT[(mtype, be)])
                if mtype == "u32" and be and hint == "ipv4":
                    fields[-1] = mname / cs.Bytes(4)
                    kinds[mname] = "ipv4"
                elif hint in _INT_HINTS:
                    fmts[mname] = _INT_HINTS[hint]
                self._enum_for(m, mname, enums, flags, f"struct {d['name']}.{mname}")
            elif mtype == "pad":
                fields.append(cs.Padding(int(m.get("len", 0))))
            elif mtype == "binary" and "struct" in m:
                inner = self._struct_named(m["struct"], f"struct {d['name']}.{mname}")
                fields.append(mname / inner.construct)
                subs[mname] = inner
            elif mtype in ("binary", "string"):
                n = m.get("len")
                if isinstance(n, str):
                    n = self.consts.get(n)
                if not isinstance(n, int):
                    raise YnlError(f"{self.source}: struct {d['name']}.{mname}: {mtype} needs a len")
                fields.append(mname / cs.Bytes(n))
                kinds[mname] = "string" if mtype == "string" else {
                    "ipv4": "ipv4", "ipv6": "ipv6", "ipv4-or-v6": "ipaddr", "mac": "mac"}.get(hint, "binary")
            else:
                raise YnlError(f"{self.source}: struct {d['name']}.{mname}: member type {mtype!r} not understood")
        return _StructHeader(d["name"], cs.Struct(*fields), subs, enums=enums, flags=flags, kinds=kinds,
                             fmts=fmts)

    def _struct_named(self, name: str, where: str) -> FixedHeader:
        """A struct by name, built on first use (a member may be a struct defined later);
        a struct that contains itself is refused."""
        st = self.structs.get(name)
        if st is not None:
            return st
        d = self._struct_defs.get(name)
        if d is None:
            raise YnlError(f"{self.source}: {where}: struct {name!r} is not defined")
        if name in self._building:
            raise YnlError(f"{self.source}: {where}: struct {name!r} contains itself")
        if len(self._building) >= MAX_STRUCT_DEPTH:
            raise YnlError(f"{self.source}: {where}: structs nest deeper than {MAX_STRUCT_DEPTH}")
        self._building.add(name)
        try:
            st = self.structs[name] = self._struct(d)
        finally:
            self._building.discard(name)
        return st

    def _enum_for(self, a: dict, key: str, enums: dict, flags: dict, where: str) -> None:
        ename = a.get("enum")
        if not ename:
            return
        if ename not in self.enums:
            self.warnings.append(f"{where}: enum {ename!r} is not defined; shown as a number")
            return
        table = self.enums[ename]
        if a.get("enum-as-flags") and not self.enum_is_flags[ename]:
            flags[key] = {1 << v: n for v, n in table.items()}
        elif self.enum_is_flags[ename]:
            flags[key] = table
        else:
            enums[key] = table

    # -- attribute sets ------------------------------------------------------------------
    def _prefix(self, s: dict) -> str:
        if "name-prefix" in s:
            return s["name-prefix"]
        if self.protocol == RAW_PROTOCOL:  # raw specs name attributes in full (ifa-address)
            return ""
        if s["name"] == self.name:
            return f"{self.name}-a-"
        return f"{self.name}-a-{s['name']}-"

    def _read_attribute_sets(self, sets: list) -> None:
        raw = {}
        for s in sets:
            if not isinstance(s, dict) or "name" not in s:
                raise YnlError(f"{self.source}: an attribute set without a name")
            raw[s["name"]] = s
            self.sets[s["name"]] = AttrSet(s["name"])
        self._raw_sets = raw
        for name, s in raw.items():
            parent = s.get("subset-of")
            if parent is not None:
                if parent not in raw:
                    raise YnlError(f"{self.source}: set {name}: subset-of unknown set {parent!r}")
                pset = raw[parent]
                numbers = self._numbers(pset)
                by_name = {a["name"]: a for a in pset.get("attributes") or []}
                prefix = self._prefix(pset)
                for a in s.get("attributes") or []:
                    if a.get("name") not in numbers:
                        raise YnlError(f"{self.source}: set {name}: {a.get('name')!r} is not in {parent}")
                    merged = {**by_name[a["name"]], **a}
                    self.sets[name].attrs[numbers[a["name"]]] = self._attr(merged, prefix, name)
            else:
                prefix = self._prefix(s)
                numbers = self._numbers(s)
                for a in s.get("attributes") or []:
                    self.sets[name].attrs[numbers[a["name"]]] = self._attr(a, prefix, name)

    @staticmethod
    def _numbers(s: dict) -> dict[str, int]:
        out = {}
        v = 1
        for a in s.get("attributes") or []:
            if "value" in a:
                v = a["value"]
            out[a["name"]] = v
            v += 1
        return out

    def _set(self, name: str | None, where: str) -> AttrSet | None:
        if name is None:
            self.warnings.append(f"{where}: nest without nested-attributes; its content is not walked")
            return None
        if name not in self.sets:
            raise YnlError(f"{self.source}: {where}: nested-attributes {name!r} is not an attribute set")
        return self.sets[name]

    def _attr(self, a: dict, prefix: str, set_name: str) -> Attr:
        aname = c_name(prefix, a["name"])
        where = f"{set_name}.{a['name']}"
        t = a.get("type")
        be = a.get("byte-order") == "big-endian"
        hint = a.get("display-hint")
        enums: dict = {}
        flags: dict = {}
        self._enum_for(a, "v", enums, flags, where)
        opts: dict[str, Any] = {}
        if enums:
            opts["enum"] = enums["v"]
        if flags:
            opts["flags"] = flags["v"]
        if t in _INTS:
            if t == "u32" and be and hint == "ipv4":
                return Attr(aname, "ipv4")
            kind = t
            if be and t in ("u16", "u32", "u64"):
                kind = "be" + t[1:]
            if hint in _INT_HINTS and not opts:
                opts["fmt"] = _INT_HINTS[hint]
            return Attr(aname, kind, **opts)
        if t in ("uint", "sint"):
            return Attr(aname, t, **opts)
        if t == "flag":
            return Attr(aname, "flag")
        if t == "string":
            return Attr(aname, "string")
        if t == "binary":
            if "struct" in a:
                st = self.structs.get(a["struct"])
                if st is None:
                    raise YnlError(f"{self.source}: {where}: struct {a['struct']!r} is not defined")
                return Attr(aname, "struct", struct=st)
            if a.get("sub-type") in _INTS:
                return self._binary_array(aname, a["sub-type"], be)
            return _hinted_binary(aname, hint)
        if t == "nest":
            return self._nest(aname, self._set(a.get("nested-attributes"), where))
        if t in ("indexed-array", "array-nest"):
            sub = a.get("sub-type", "nest")
            if sub == "nest":
                return Attr(aname, "nested-array", nested=self._set(a.get("nested-attributes"), where))
            if sub in _INTS and be and sub != "u8":
                sub = "be" + sub[1:]
            kind = sub if sub in _INTS or sub in ("uint", "sint", "string", "binary", "flag", "be16", "be32",
                                                   "be64") else "binary"
            if kind == "binary" and sub != "binary":
                self.warnings.append(f"{where}: indexed-array sub-type {sub!r} shown as bytes")
            if hint in ("ipv4", "ipv6", "ipv4-or-v6", "mac", "uuid") and kind in ("binary", "u32", "be32"):
                return Attr(aname, "nested", nested=_Indexed(lambda i, h=hint: _hinted_binary(str(i), h)))
            return Attr(aname, "nested", nested=_Indexed(lambda i, k=kind: Attr(str(i), k)))
        if t in ("nest-type-value", "type-value"):
            inner: AttrSet | None = self._set(a.get("nested-attributes"), where)
            levels = a.get("type-value") or ["index"]
            for _ in levels:
                inner = _Indexed(lambda i, s=inner: Attr(str(i), "nested", nested=s))
            return Attr(aname, "nested", nested=inner)
        if t == "sub-message":
            return self._sub_message_attr(aname, a, set_name, where)
        if t == "bitfield32":
            return Attr(aname, "bitfield32", flags=opts.get("flags") or opts.get("enum"))
        if t in ("pad", "unused"):
            return Attr(aname, "binary")
        self.warnings.append(f"{where}: attribute type {t!r} not understood; shown as bytes")
        return Attr(aname, "binary")


    # -- nests and sub-messages ----------------------------------------------------------
    def _binary_array(self, aname: str, sub: str, be: bool) -> Attr:
        """binary with a scalar sub-type: an array of that integer."""
        if sub == "u32" and not be:
            return Attr(aname, "u32-array")
        size = int(sub[1:]) // 8
        fmt = {1: "B", 2: "H", 4: "I", 8: "Q"}[size]
        fmt = fmt.lower() if sub[0] == "s" else fmt

        def decode(name, buf, start, end, order, problems, path, siblings):
            p0 = start + 4
            unpack = struct.Struct((">" if be else order) + fmt).unpack_from
            kids = [Field(str(i), "int", unpack(buf, p)[0], p, p + size)
                    for i, p in enumerate(range(p0, end - size + 1, size))]
            if (end - p0) % size:
                problems.append(f"{path}: {end - p0} bytes is not a whole number of {sub}")
            return Field(name, "list", None, start, end, children=kids)
        return Attr(aname, "custom", decode=decode)

    def _nest(self, aname: str, sub: AttrSet | None) -> Attr:
        if not self._raw_submsgs:
            return Attr(aname, "nested", nested=sub)

        def decode(name, buf, start, end, order, problems, path, siblings):
            # a sub-message below may select on an attribute of this level
            with _outer(siblings):
                kids = walk_attrs(buf, start + 4, end, sub, order, problems, path + ".")
            return Field(name, "nest", None, start, end, children=kids)
        return Attr(aname, "custom", decode=decode)

    def _sub_message_attr(self, aname: str, a: dict, set_name: str, where: str) -> Attr:
        mname, selector = a.get("sub-message"), a.get("selector")
        if mname not in self._raw_submsgs:
            raise YnlError(f"{self.source}: {where}: sub-message {mname!r} is not defined")
        if not isinstance(selector, str):
            raise YnlError(f"{self.source}: {where}: a sub-message needs a selector")
        subs = self.sub_messages

        def decode(name, buf, start, end, order, problems, path, siblings):
            sm = subs[mname]
            value = _selector_value(selector_names(sm, selector), siblings)
            fmt = sm.formats.get(_norm(value)) if value is not None else None
            if fmt is None:
                if value is None:
                    problems.append(f"{path}: selector {selector!r} of sub-message {mname} not found")
                return Field(name, "bytes", bytes(buf[start + 4:end]), start, end)
            return _decode_format(name, fmt, buf, start, end, order, problems, path)
        return Attr(aname, "custom", decode=decode)

    def _read_sub_messages(self) -> None:
        for mname, m in self._raw_submsgs.items():
            formats: dict[str, tuple[FixedHeader | None, AttrSet | None]] = {}
            for f in m.get("formats") or []:
                if not isinstance(f, dict) or "value" not in f:
                    raise YnlError(f"{self.source}: sub-message {mname}: a format without a value")
                hdr = f.get("fixed-header")
                if hdr is not None and hdr not in self.structs:
                    raise YnlError(f"{self.source}: sub-message {mname}: fixed-header {hdr!r} is not a struct")
                aset = f.get("attribute-set")
                if aset is not None and aset not in self.sets:
                    raise YnlError(f"{self.source}: sub-message {mname}: attribute-set {aset!r} is unknown")
                formats[_norm(f["value"])] = (self.structs.get(hdr) if hdr else None,
                                              self.sets.get(aset) if aset else None)
            # attribute names a selector may carry, in any set (sibling or outer level)
            self.sub_messages[mname] = _SubMessage(mname, formats, self._c_names_of)

    def _c_names_of(self, attr: str) -> frozenset[str]:
        out = set()
        for s in self._raw_sets.values():
            pset = self._raw_sets.get(s.get("subset-of")) or s
            if any(x.get("name") == attr for x in s.get("attributes") or []):
                out.add(c_name(self._prefix(pset), attr))
        return frozenset(out)

    # -- operations ----------------------------------------------------------------------
    def _read_operations(self, ops: dict) -> None:
        if not isinstance(ops, dict):
            raise YnlError(f"{self.source}: 'operations' must be a mapping with a 'list'")
        self.enum_model = ops.get("enum-model", "unified")
        self.op_prefix = ops.get("name-prefix")
        default_hdr = ops.get("fixed-header")
        if default_hdr is not None and default_hdr not in self.structs:
            raise YnlError(f"{self.source}: operations: fixed-header {default_hdr!r} is not a struct")
        self.default_header = self.structs.get(default_hdr) if default_hdr else None
        default_set = None
        self.requests: dict[int, str] = {}
        self.replies: dict[int, str] = {}
        self.op_sets: dict[str, AttrSet] = {}
        self.op_headers: dict[str, FixedHeader | None] = {}
        oplist = ops.get("list") or []
        by_name = {o.get("name"): o for o in oplist if isinstance(o, dict)}
        req = rep = 1
        extra_replies: dict[int, str] = {}
        for o in oplist:
            if not isinstance(o, dict) or "name" not in o:
                raise YnlError(f"{self.source}: an operation without a name")
            oname = self._op_name(o["name"])
            target = by_name.get(o.get("notify")) if "notify" in o else o
            sname = o.get("attribute-set") or (target or {}).get("attribute-set") or default_set
            if sname is not None:
                if sname not in self.sets:
                    raise YnlError(f"{self.source}: operation {o['name']}: attribute-set {sname!r} is unknown")
                self.op_sets[oname] = self.sets[sname]
            hdr = o.get("fixed-header") or (target or {}).get("fixed-header") or default_hdr
            if hdr is not None and hdr not in self.structs:
                raise YnlError(f"{self.source}: operation {o['name']}: fixed-header {hdr!r} is not a struct")
            self.op_headers[oname] = self.structs.get(hdr) if hdr else None
            if self.enum_model != "directional":
                if "value" in o:
                    req = o["value"]
                self.requests[req] = oname
                req += 1
                # a reply the spec numbers apart (devlink: trap-get answered as 63)
                for m in ("do", "dump"):
                    v = ((o.get(m) or {}).get("reply") or {}).get("value")
                    if isinstance(v, int) and v != req - 1:
                        extra_replies.setdefault(v, oname)
                continue
            # directional: requests and replies numbered apart
            if "notify" in o or "event" in o:
                if "value" in o:
                    rep = o["value"]
                self.replies[rep] = oname
                rep += 1
                continue
            mode = o.get("do") or o.get("dump") or {}
            r_req, r_rep = mode.get("request") or {}, mode.get("reply") or {}
            if "value" in r_req:
                req = r_req["value"]
            if "value" in r_rep:
                rep = r_rep["value"]
            self.requests[req] = oname
            req += 1
            has_reply = any("reply" in (o.get(m) or {}) for m in ("do", "dump"))
            if has_reply:
                self.replies[rep] = oname
                rep += 1
        if self.enum_model == "unified":
            self.replies = {**{v: n for v, n in extra_replies.items() if v not in self.requests},
                            **self.requests}
            self.apart = len(self.replies) != len(self.requests)
        else:
            self.apart = True

    def _op_name(self, name: str) -> str:
        if self.protocol == RAW_PROTOCOL and self.op_prefix:
            return c_name(self.op_prefix, name)
        return c_name(name)


class _Indexed(AttrSet):
    """Attributes whose type is an index: all known, made by `make(type)`."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[int], Attr]):
        super().__init__("indexed", {})
        self.make = make

    def get(self, t: int) -> Attr | None:
        a = self.attrs.get(t)
        if a is None:
            a = self.attrs[t] = self.make(t)
        return a


def _hex(v: int) -> str:
    return f"0x{v:x}"


def _ipv4_int(v: int) -> str:
    return str(ipaddress.IPv4Address(v & 0xFFFFFFFF))


# display hints of integers (a big-endian u32 ipv4 is read as its 4 bytes instead)
_INT_HINTS: dict[str, Callable[[int], str]] = {"hex": _hex, "ipv4": _ipv4_int}


class _StructHeader(FixedHeader):
    """A spec struct: members that are structs shown with their own names and hints."""

    def __init__(self, name: str, sc: cs.Construct, subs: Mapping[str, FixedHeader], **kw: Any):
        super().__init__(name, sc, **kw)
        self.slots = [dataclasses.replace(sl, sub=subs[sl.name]) if sl.name in subs else sl
                      for sl in self.slots]


# -- sub-messages ----------------------------------------------------------------------

@dataclass
class _SubMessage:
    name: str
    formats: dict[str, tuple[FixedHeader | None, AttrSet | None]]
    c_names_of: Callable[[str], frozenset[str]]
    selectors: dict[str, frozenset[str]] = field(default_factory=dict)


def selector_names(sm: _SubMessage, selector: str) -> frozenset[str]:
    names = sm.selectors.get(selector)
    if names is None:
        names = sm.selectors[selector] = sm.c_names_of(selector)
    return names


_levels = threading.local()


@contextlib.contextmanager
def _outer(siblings: list[Field]):
    stack = getattr(_levels, "stack", None)
    if stack is None:
        stack = _levels.stack = []
    stack.append(siblings)
    try:
        yield
    finally:
        stack.pop()


def _norm(v: Any) -> str:
    return str(v).lower().replace("_", "-")


def _selector_value(names: frozenset[str], siblings: list[Field]) -> Any:
    """The selector's value: a sibling attribute, else one of an outer level (innermost
    first). An enum selects by its name."""
    for level in [siblings, *reversed(getattr(_levels, "stack", None) or [])]:
        for f in level:
            if f.name in names:
                return f.meta if f.kind == "enum" and isinstance(f.meta, str) else f.value
    return None


def _decode_format(name: str, fmt: tuple[FixedHeader | None, AttrSet | None], buf, start: int, end: int,
                   order: str, problems: list[str], path: str) -> Field:
    hdr, aset = fmt
    pos = start + 4
    kids: list[Field] = []
    if hdr is not None:
        if end - pos < hdr.size:
            problems.append(f"{path}: {hdr.name} needs {hdr.size} bytes, got {end - pos}")
            return Field(name, "bytes", bytes(buf[pos:end]), start, end)
        kids.append(Field(hdr.name, "struct", None, pos, pos + hdr.size, children=hdr.parse(buf, pos, order)))
        pos += (hdr.size + 3) & ~3
    if pos < end:
        if aset is None:
            kids.append(Field("data", "bytes", bytes(buf[pos:end]), pos, end))
        else:
            kids.extend(walk_attrs(buf, pos, end, aset, order, problems, path + "."))
    return Field(name, "nest", None, start, end, children=kids)


def _uuid(name, buf, start, end, order, problems, path, siblings) -> Field:
    raw = bytes(buf[start + 4:end])
    if len(raw) != 16:
        problems.append(f"{path}: uuid of {len(raw)} bytes")
        return Field(name, "bytes", raw, start, end)
    return Field(name, "str", str(uuid.UUID(bytes=raw)), start, end)


def _hinted_binary(aname: str, hint: str | None) -> Attr:
    if hint in ("ipv4", "ipv6", "ipv4-or-v6"):  # specs say ipv4 for IFA_ADDRESS, v4 or v6
        return Attr(aname, "ipaddr")
    if hint == "mac":
        return Attr(aname, "mac")
    if hint == "uuid":
        return Attr(aname, "custom", decode=_uuid)
    return Attr(aname, "binary")  # hex: bytes are shown in hex


_SCALAR = frozenset({"int", "enum", "str", "addr", "mac", "bool", "flags"})


def _attr_summary(fields: list[Field], prefix_cut: dict[str, str]) -> str:
    """'dest 10.1.0.0 mask 24 oif eth0': the scalar top-level attributes of a message,
    named by their spec names."""
    out = []
    for f in fields:
        if f.name != "attributes":
            continue
        for a in f.children or ():
            if a.kind not in _SCALAR:
                continue
            short = prefix_cut.get(a.name, a.name).lower().replace("_", "-")
            out.append(short if a.kind == "bool" else f"{short} {a.short()}")
            if len(out) == 6:
                return " ".join(out)
    return " ".join(out)


def _short_names(spec: Spec) -> dict[str, str]:
    out = {}
    for sname, s in spec._raw_sets.items():
        pset = spec._raw_sets.get(s.get("subset-of")) or s
        pfx = c_name(spec._prefix(pset)) + "_"
        for a in s.get("attributes") or []:
            full = c_name(spec._prefix(pset), a["name"])
            out[full] = full[len(pfx):] if full.startswith(pfx) else full
    return out


class SpecProtocol(Protocol):
    """A netlink-raw protocol from a spec, over what was registered for the number
    before: a message type the dissector knows keeps its decoding and gains only the
    attributes its table lacks; the other types are the spec's."""

    MERGED = 512  # merged message types kept (the protocol's types are few)

    def __init__(self, number: int, name: str, requests: dict[int, MessageType],
                 replies: dict[int, MessageType], under: Protocol | None):
        super().__init__(number, name, {**replies, **requests})
        self.requests, self.replies, self.under = requests, replies, under
        self._merged: dict[tuple[int, int], MessageType] = {}

    def message_type(self, ctx: DecodeCtx) -> MessageType | None:
        first, second = (self.requests, self.replies) if ctx.flags & 1 else (self.replies, self.requests)
        mt = first.get(ctx.mtype) or second.get(ctx.mtype)
        below = self.under.message_type(ctx) if self.under is not None else None
        if below is None or mt is None:
            return below or mt
        key = (id(below), id(mt))
        hit = self._merged.get(key)
        if hit is None or hit.name != below.name:
            if len(self._merged) >= self.MERGED:
                self._merged.clear()
            hit = self._merged[key] = _fill_type(below, mt)
        return hit

    def default_kind(self, mtype: int) -> str:
        return self.under.default_kind(mtype) if self.under is not None else "other"

    def learns_anything(self) -> bool:
        return self.under is not None and self.under.learns_anything()

    def learns_from(self, msg: Message) -> bool:
        return self.under is not None and self.under.learns_from(msg)

    def learned(self, msg: Message, state: dict[str, Any]) -> dict[str, Any] | None:
        return self.under.learned(msg, state) if self.under is not None else None

    def learn(self, msg: Message, state: dict[str, Any]) -> None:
        if self.under is not None:
            self.under.learn(msg, state)

    def capture_comment(self, text: str, state: dict[str, Any]) -> None:
        if self.under is not None:
            self.under.capture_comment(text, state)


def _yaml_loader():
    """A safe loader with YAML 1.2 booleans: only true/false. (YAML 1.1 also reads
    yes/no/on/off as booleans, and specs name things "on" or "no".)"""
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        pass
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                                 re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return Loader


# -- loading: bounded, and one line for whatever is wrong ------------------------------
MAX_SPEC_BYTES = 4 << 20  # the kernel's largest spec (rt-link) is ~60 kB
MAX_SPEC_VALUES = 200_000  # YAML values once aliases are expanded (an alias bomb stops here)
MAX_SPEC_DEPTH = 64


def read_spec(path: str | os.PathLike) -> Spec:
    """The spec at `path`, read and checked: a file that is not a YNL spec raises
    YnlError with one line naming the file and what is wrong, never a traceback, and
    a hostile file (binary, huge, deeply nested, an alias bomb) is refused early."""
    import yaml
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        raise YnlError(f"{path}: {e.strerror or e}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise YnlError(f"{path}: not a YNL spec (larger than {MAX_SPEC_BYTES >> 20} MiB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise YnlError(f"{path}: not a YNL spec (not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start})") from None
    if "\0" in text:
        raise YnlError(f"{path}: not a YNL spec (binary data: a NUL byte at offset {text.index(chr(0))})")
    try:
        doc = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as e:
        raise YnlError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    except RecursionError:
        raise YnlError(f"{path}: not a YNL spec (YAML nested too deeply)") from None
    _check_size(doc, path)
    check_spec_doc(doc, path)
    try:
        return Spec(doc, path)
    except YnlError:
        raise
    except (Exception, RecursionError) as e:  # a shape the checks above do not know: still one line
        from .registry import plugin_failure
        raise YnlError(f"{path}: not a valid YNL spec ({plugin_failure(e)})") from None


def _check_size(doc: Any, path: str) -> None:
    """Count values as if aliases were copies, up to a bound: PyYAML shares an aliased
    node, but reading the spec walks each use (a billion laughs would never end)."""
    n = 0
    stack = [(doc, 0)]
    while stack:
        v, depth = stack.pop()
        n += 1
        if n > MAX_SPEC_VALUES:
            raise YnlError(f"{path}: not a YNL spec (more than {MAX_SPEC_VALUES} values once "
                           "aliases are expanded)")
        if depth > MAX_SPEC_DEPTH:
            raise YnlError(f"{path}: not a YNL spec (nested more than {MAX_SPEC_DEPTH} levels)")
        if isinstance(v, dict):
            stack.extend((x, depth + 1) for kv in v.items() for x in kv)
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)


# What the loader reads, by where it is: the type each key must have. A list of
# mappings names its items' schema; `_NAME` marks a required string name.
_INT, _STR, _NAME = int, str, "name"
_ENTRY = {"name": _NAME, "value": _INT}
_MEMBER = {"name": _NAME, "type": _STR, "len": (int, str), "byte-order": _STR, "display-hint": _STR,
           "enum": _STR, "struct": _STR}
_DEFINITION = {"name": _NAME, "type": _STR, "value-start": _INT, "entries": [(str, _ENTRY)],
               "members": [_MEMBER], "name-prefix": _STR}
_ATTRIBUTE = {"name": _NAME, "type": _STR, "value": _INT, "nested-attributes": _STR, "enum": _STR,
              "byte-order": _STR, "display-hint": _STR, "struct": _STR, "sub-type": _STR,
              "sub-message": _STR, "selector": _STR, "type-value": [str]}
_ATTR_SET = {"name": _NAME, "name-prefix": _STR, "subset-of": _STR, "attributes": [_ATTRIBUTE]}
_MODE = {"request": {"value": _INT, "attributes": [str]}, "reply": {"value": _INT, "attributes": [str]}}
_OPERATION = {"name": _NAME, "value": _INT, "attribute-set": _STR, "fixed-header": _STR, "notify": _STR,
              "do": _MODE, "dump": _MODE}
_SPEC = {"name": _STR, "protocol": _STR, "protonum": _INT, "definitions": [_DEFINITION],
         "attribute-sets": [_ATTR_SET],
         "operations": {"list": [_OPERATION], "enum-model": _STR, "name-prefix": _STR, "fixed-header": _STR},
         "mcast-groups": {"list": [{"name": _NAME}]}}
_TYPE_WORD = {int: "an integer", str: "a string", dict: "a mapping", list: "a list"}


def check_spec_doc(doc: Any, path: str) -> None:
    """Check the shapes the loader reads (types of the keys in _SPEC; others are left
    alone, as the kernel's own tools do) and the ranges of numbers: a flag's bit is
    0..63, an enum value fits 64 bits."""
    def fail(where: str, what: str) -> None:
        raise YnlError(f"{path}: {where}: {what}")

    def kind(v: Any) -> str:
        return _TYPE_WORD.get(type(v), type(v).__name__) if v is not None else "empty"

    def check(v: Any, schema: Any, where: str) -> None:
        if schema == _NAME:
            if not isinstance(v, str) or not v:
                fail(where, f"must be a non-empty string, not {kind(v)}")
        elif isinstance(schema, dict):
            if not isinstance(v, dict):
                fail(where, f"must be a mapping, not {kind(v)}")
            for key, sub in schema.items():
                if key in v and not (v[key] is None and sub is not _NAME):
                    check(v[key], sub, f"{where}.{key}")
                elif sub == _NAME and key not in v:
                    fail(where, "has no name")
        elif isinstance(schema, list):
            if not isinstance(v, list):
                fail(where, f"must be a list, not {kind(v)}")
            options = schema[0] if isinstance(schema[0], tuple) else (schema[0],)
            for i, item in enumerate(v):
                for opt in options:
                    if isinstance(opt, type) and isinstance(item, opt) or isinstance(opt, dict) and isinstance(item, dict):
                        break
                else:
                    fail(f"{where}[{i}]", f"must be {' or '.join(_TYPE_WORD[o if isinstance(o, type) else dict] for o in options)}, not {kind(item)}")
                if not isinstance(opt, type):
                    check(item, opt, _item_where(where, i, item))
        else:
            types = schema if isinstance(schema, tuple) else (schema,)
            if not isinstance(v, types) or isinstance(v, bool):
                fail(where, f"must be {' or '.join(_TYPE_WORD[t] for t in types)}, not {kind(v)} {v!r:.40}")
            if isinstance(v, int) and not -(1 << 63) <= v < 1 << 64:
                fail(where, f"{v} does not fit 64 bits")

    if not isinstance(doc, dict):
        raise YnlError(f"{path}: not a YNL spec (the top level is not a mapping)")
    check(doc, _SPEC, "spec")
    for d in doc.get("definitions") or []:
        if d.get("type") == "flags":
            v = d.get("value-start", 0)
            for e in d.get("entries") or []:
                v = e.get("value", v) if isinstance(e, dict) else v
                if not 0 <= v < 64:
                    fail(f"definition {d['name']}", f"flag bit {v} is not 0..63")
                v += 1


def _item_where(where: str, i: int, item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return f"{where}[{i}]" + (f" ({name})" if isinstance(name, str) else "")


def register_spec(registry, spec: Spec) -> SpecInfo:
    """Register what `spec` describes. A spec only fills in what the dissectors already
    registered do not decode: a family or protocol known before keeps its names, tables,
    headers and summaries, and gains the spec's commands and attributes it lacks."""
    from nlscope.dissectors.genl import add_family, family_map

    info = SpecInfo(spec.name, spec.protocol, spec.source, spec.protonum,
                    dict(spec.requests), dict(spec.replies), list(spec.sets),
                    [g for g in spec.mcast_groups if g], list(spec.warnings))
    if spec.protocol in GENL_PROTOCOLS:
        fam = spec_family(spec)
        before = family_map(registry).get(spec.name)
        if before is not None:
            fam = fill_family(before, fam)
        add_family(registry, fam)
        info.family = fam
        return info
    under = registry.get(spec.protonum)
    proto = SpecProtocol(spec.protonum, under.name if under is not None else spec.name,
                         _spec_types(spec, spec.requests), _spec_types(spec, spec.replies), under)
    registry.add(proto)
    info.family = proto
    return info


def spec_family(spec: Spec):
    """The GenlFamily a genetlink spec describes on its own."""
    from nlscope.dissectors.genl import GenlFamily

    short = _short_names(spec)

    def detail(cmd: str, fields: list[Field]) -> str:
        return _attr_summary(fields, short)
    headers = {n: h for n, h in spec.op_headers.items() if h is not None}
    # commands the spec does not list (devlink's PARAM_NEW replies) use the family's one
    # attribute set, when all its operations share one
    shared = {id(s): s for s in spec.op_sets.values()}
    return GenlFamily(spec.name, dict(spec.requests),
                      replies=dict(spec.replies) if spec.apart else None,
                      attrs=next(iter(shared.values())) if len(shared) == 1 else None,
                      cmd_attrs=dict(spec.op_sets), summary=detail,
                      header=spec.default_header, cmd_headers=headers)


def fill_family(hand, spec_fam):
    """`hand` (a registered GenlFamily) completed from `spec_fam`: commands it does not
    name, attributes its tables lack (nests merged level by level). A family with
    attribute tables keeps its headers; one with command names only takes the spec's."""
    rich = hand.attrs is not None or bool(hand.cmd_attrs)
    commands = {**spec_fam.commands, **hand.commands}
    replies = None
    if hand.replies is not None:
        replies = {**(spec_fam.replies or spec_fam.commands), **hand.replies}
    elif spec_fam.replies is not None and not hand.commands:
        replies = dict(spec_fam.replies)
    merge = _Merger()
    cmd_attrs: dict[str, AttrSet] = {}
    for table, spec_table in ((commands, spec_fam.commands),
                              (replies or {}, spec_fam.replies or spec_fam.commands)):
        for num, cname in table.items():
            sname = spec_table.get(num)
            mine = hand.cmd_attrs.get(cname, hand.attrs)
            theirs = spec_fam.cmd_attrs.get(sname, spec_fam.attrs) if sname else None
            merged = merge(mine, theirs)
            if merged is not None:
                cmd_attrs.setdefault(cname, merged)
    out = dataclasses.replace(hand, commands=commands, replies=replies, cmd_attrs=cmd_attrs,
                              attrs=merge(hand.attrs, spec_fam.attrs))
    if not rich:
        if hand.header is None and not hand.cmd_headers:
            out.header, out.cmd_headers = spec_fam.header, dict(spec_fam.cmd_headers)
        out.summary = hand.summary or spec_fam.summary
    return out


class _Merger:
    """Attribute sets merged: the first's attributes win, the second adds the numbers
    the first does not know; nests both describe are merged too. Sets that compute
    their entries (index tables) or depend on siblings are kept as they are."""

    def __init__(self) -> None:
        self.done: dict[tuple[int, int], AttrSet] = {}

    def __call__(self, mine: Any, theirs: Any) -> Any:
        if mine is None:
            return theirs
        if theirs is None or type(mine) is not AttrSet or not isinstance(theirs, AttrSet):
            return mine
        key = (id(mine), id(theirs))
        hit = self.done.get(key)
        if hit is not None:
            return hit
        out = self.done[key] = AttrSet(mine.name, {})
        for t, a in theirs.attrs.items():
            out.attrs.setdefault(t, a)
        for t, a in mine.attrs.items():
            b = theirs.attrs.get(t)
            if (b is not None and a.kind == "nested" and b.kind == "nested"
                    and isinstance(a.nested, AttrSet) and isinstance(b.nested, AttrSet)):
                a = dataclasses.replace(a, nested=self(a.nested, b.nested))
            out.attrs[t] = a
        return out


def _fill_type(hand: MessageType, spec_mt: MessageType) -> MessageType:
    """A hand-written message type with the spec's attributes it lacks (a custom
    decoder or sibling-chosen table is kept whole)."""
    if hand.decode is not None or not isinstance(hand.attrs, AttrSet):
        return hand
    merged = _Merger()(hand.attrs, spec_mt.attrs)
    return hand if merged is hand.attrs else dataclasses.replace(hand, attrs=merged)


def _spec_types(spec: Spec, table: dict[int, str]) -> dict[int, MessageType]:
    from nlscope.dissectors.genl import cmd_kind

    short = _short_names(spec)
    out = {}
    for v, oname in table.items():
        def summary(msg: Message, fields: list[Field], n=oname) -> str:
            text = _attr_summary(fields, short)
            return f"{n} {text}" if text else n
        out[v] = MessageType(oname, cmd_kind(oname), header=spec.op_headers.get(oname),
                             attrs=spec.op_sets.get(oname) or AttrSet("none"), summary=summary)
    return out


def load_spec(registry, path: str | os.PathLike) -> SpecInfo:
    """Read the YNL spec at `path` (a file, or a family name looked up in the spec search
    path, e.g. "rt-link") and register its family. Raises YnlError."""
    path = os.fspath(path)
    if not os.path.exists(path) and os.sep not in path and not path.endswith(".yaml"):
        found = find_spec(path, spec_dirs(registry.extras.get(SPEC_DIRS_KEY, ())))
        if found is None:
            raise YnlError(f"{path}: no such spec file, and no {path}.yaml in the spec search path "
                           f"(--spec-dir, ${SPEC_PATH_ENV}, kernel sources under /usr/src)")
        path = str(found)
    return register_spec(registry, read_spec(path))


# -- where specs are found ---------------------------------------------------------------
# --spec-dir DIR (repeatable) first; then $NLSCOPE_SPEC_PATH (os.pathsep-separated), which
# when set replaces the default: the kernel source trees and Debian linux-source tarballs
# under /usr/src, newest first. An entry may be a specs directory, a kernel tree (its
# Documentation/netlink/specs) or a source tarball (its specs unpacked once into the cache).
SPEC_PATH_ENV = "NLSCOPE_SPEC_PATH"
SPEC_DIRS_KEY = "spec_dirs"  # registry.extras: the --spec-dir directories
SPECS_IN_TREE = os.path.join("Documentation", "netlink", "specs")
SRC_ROOT = "/usr/src"
_TARBALL = re.compile(r"^linux-source-(\d[\w.+~-]*)\.tar\.(xz|bz2|gz)$")
_TREE = re.compile(r"^linux(?:-source)?-(\d[\w.+~-]*)$")


def set_spec_dirs(registry, dirs) -> None:
    registry.extras[SPEC_DIRS_KEY] = tuple(os.fspath(d) for d in dirs)


def _version_key(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else -1 for x in re.split(r"[.+~-]", v))


def default_spec_entries(root: str = SRC_ROOT) -> list[str]:
    """Kernel trees and source tarballs under `root`, newest version first (a tree
    before a tarball of the same version)."""
    try:
        names = os.listdir(root)
    except OSError:
        return []
    found = []
    for n in names:
        m = _TREE.match(n)
        if m and os.path.isdir(os.path.join(root, n, SPECS_IN_TREE)):
            found.append((_version_key(m.group(1)), 1, os.path.join(root, n)))
            continue
        m = _TARBALL.match(n)
        if m:
            found.append((_version_key(m.group(1)), 0, os.path.join(root, n)))
    return [p for _, _, p in sorted(found, reverse=True)]


def spec_dirs(extra=()) -> list[str]:
    """The directories searched for specs, in order."""
    env = os.environ.get(SPEC_PATH_ENV)
    entries = [*extra, *(env.split(os.pathsep) if env is not None else default_spec_entries())]
    out: list[str] = []
    for e in entries:
        if not e:
            continue
        d = _specs_of(e)
        if d is not None and d not in out:
            out.append(d)
    return out


def _specs_of(entry: str) -> str | None:
    if os.path.isdir(os.path.join(entry, SPECS_IN_TREE)):
        return os.path.join(entry, SPECS_IN_TREE)
    if os.path.isdir(entry):
        return entry
    if os.path.isfile(entry) and ".tar" in os.path.basename(entry):
        return unpack_specs(entry)
    return None


def _cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nlscope", "specs")


def unpack_specs(tarball: str) -> str | None:
    """The specs of a kernel source tarball, unpacked once into the user's cache (keyed
    by the tarball's name, size and time); None when it holds none or cannot be read.
    Only Documentation/netlink/specs/*.yaml is read: the stream stops past it."""
    import tarfile
    import tempfile

    try:
        st = os.stat(tarball)
    except OSError:
        return None
    key = f"{os.path.basename(tarball)}-{st.st_size}-{st.st_mtime_ns}"
    dest = os.path.join(_cache_root(), key)
    if os.path.isdir(dest):
        return dest
    try:
        os.makedirs(_cache_root(), exist_ok=True)
        work = tempfile.mkdtemp(prefix=".unpack-", dir=_cache_root())
    except OSError:
        work = tempfile.mkdtemp(prefix="nlscope-specs-")
        dest = work
    marker = "/" + SPECS_IN_TREE.replace(os.sep, "/") + "/"
    count = 0
    try:
        with tarfile.open(tarball, "r|*") as tf:
            inside = False
            for m in tf:
                if marker in "/" + m.name:
                    inside = True
                    base = os.path.basename(m.name)
                    if m.isfile() and base.endswith(".yaml") and not base.startswith("."):
                        src = tf.extractfile(m)
                        if src is not None:
                            with open(os.path.join(work, base), "wb") as f:
                                f.write(src.read(1 << 22))  # a spec is tens of kB
                            count += 1
                elif inside:
                    break
    except (OSError, tarfile.TarError, EOFError):
        count = 0
    if not count:
        shutil.rmtree(work, ignore_errors=True)
        return None
    if work != dest:
        try:
            os.rename(work, dest)
        except OSError:  # another process unpacked it first
            shutil.rmtree(work, ignore_errors=True)
    return dest


def _key(name: str) -> str:
    return name.replace("-", "_").lower()


def find_spec(name: str, dirs) -> str | None:
    """The first `name`.yaml (dashes and underscores alike) in `dirs`."""
    want = _key(name)
    for d in dirs:
        try:
            files = sorted(os.listdir(d))
        except OSError:
            continue
        for f in files:
            if f.endswith(".yaml") and _key(f[:-5]) == want:
                return os.path.join(d, f)
    return None


class SpecFiller:
    """registry.extras["genl_fill"]: completes a generic netlink family that has no
    attribute tables from the kernel's spec of that name in the search path, read once
    when its first message is decoded. Only names a spec file has are remembered."""

    def __init__(self, registry):
        self.registry = registry
        self._dirs: tuple | None = None
        self._index: dict[str, str] = {}
        self._done: dict[str, Any] = {}

    def _spec_index(self) -> dict[str, str]:
        dirs = tuple(self.registry.extras.get(SPEC_DIRS_KEY, ()))
        if dirs != self._dirs:
            self._dirs, self._index, self._done = dirs, {}, {}
            for d in reversed(spec_dirs(dirs)):  # the first directory wins
                try:
                    files = os.listdir(d)
                except OSError:
                    continue
                for f in files:
                    if f.endswith(".yaml"):
                        self._index[_key(f[:-5])] = os.path.join(d, f)
        return self._index

    def __call__(self, name: str, fam):
        key = _key(name)
        if key in self._done:
            return self._done[key]
        path = self._spec_index().get(key)
        if path is None:
            return None
        out = None
        try:
            spec = read_spec(path)
            if spec.protocol in GENL_PROTOCOLS and _key(spec.name) == key:
                own = spec_family(spec)
                out = fill_family(fam, own) if fam is not None else own
        except YnlError:
            out = None
        self._done[key] = out
        return out
