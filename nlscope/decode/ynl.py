"""Load a YNL spec (the kernel's YAML netlink family description format,
Documentation/userspace-api/netlink/specs.rst) and register a dissector built from it:
a generic netlink family (protocol genetlink, genetlink-c, genetlink-legacy) or a raw
netlink protocol (netlink-raw, with `protonum`).

What is read:
  * definitions: const; enum and flags (entries as names or {name, value}, value-start;
    flags count bits); struct (members u8..u64, s8..s64, pad, binary/string with len,
    byte-order, display-hint, enum) -> FixedHeader;
  * attribute-sets (subset-of included): attribute numbering per the spec rules (an
    explicit value, else the previous + 1, the first being 1); types u8..u64, s8..s64,
    uint, sint, string, binary (struct:, sub-type:, display-hint ipv4/ipv6/mac),
    flag, nest, indexed-array (nest or scalar sub-type), nest-type-value
    (type-value levels), bitfield32, pad; byte-order; enum / enum-as-flags;
  * operations: enum-model unified (one numbering: value, else previous + 1 from 1)
    or directional (request and reply numbered apart, notifications/events take reply
    ids), attribute-set per operation (a notification uses its `notify` target's),
    fixed-header (family default and per operation), name-prefix;
  * mcast-groups (listed in the load report).

Names follow the C rendering (c-code-gen.rst): attributes `$pfx-$attr` upper-cased with
dashes as underscores, $pfx the set's name-prefix or `$family-a[-$set]`; operations
shown by their own name (CREATE) after the family name, like the built-in dissectors.
Unknown attribute types decode as named raw bytes, with a warning in the report.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import construct as cs

from .model import Field, Message
from .nla import Attr, AttrSet, FixedHeader
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
        self._read_attribute_sets(doc.get("attribute-sets") or [])
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
        for d in defs:
            if d.get("type") == "struct":
                self.structs[d["name"]] = self._struct(d)

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
                elif hint == "hex":
                    fmts[mname] = _hex
                self._enum_for(m, mname, enums, flags, f"struct {d['name']}.{mname}")
            elif mtype == "pad":
                fields.append(cs.Padding(int(m.get("len", 0))))
            elif mtype in ("binary", "string"):
                n = m.get("len")
                if isinstance(n, str):
                    n = self.consts.get(n)
                if not isinstance(n, int):
                    raise YnlError(f"{self.source}: struct {d['name']}.{mname}: {mtype} needs a len")
                fields.append(mname / cs.Bytes(n))
                kinds[mname] = "string" if mtype == "string" else {
                    "ipv4": "ipv4", "ipv6": "ipv6", "mac": "mac"}.get(hint, "binary")
            else:
                raise YnlError(f"{self.source}: struct {d['name']}.{mname}: member type {mtype!r} not understood")
        return FixedHeader(d["name"], cs.Struct(*fields), enums=enums, flags=flags, kinds=kinds, fmts=fmts)

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
            if hint == "hex" and not opts:
                opts["fmt"] = _hex
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
            if a.get("sub-type") == "u32":
                return Attr(aname, "u32-array")
            if hint in ("ipv4", "ipv6"):
                return Attr(aname, "ipaddr")
            if hint == "mac":
                return Attr(aname, "mac")
            return Attr(aname, "binary")
        if t == "nest":
            return Attr(aname, "nested", nested=self._set(a.get("nested-attributes"), where))
        if t in ("indexed-array", "array-nest"):
            sub = a.get("sub-type", "nest")
            if sub == "nest":
                return Attr(aname, "nested-array", nested=self._set(a.get("nested-attributes"), where))
            kind = sub if sub in _INTS or sub in ("uint", "sint", "string", "binary", "flag") else "binary"
            if kind == "binary" and sub != "binary":
                self.warnings.append(f"{where}: indexed-array sub-type {sub!r} shown as bytes")
            return Attr(aname, "nested", nested=_Indexed(lambda i, k=kind: Attr(str(i), k)))
        if t in ("nest-type-value", "type-value"):
            inner: AttrSet | None = self._set(a.get("nested-attributes"), where)
            levels = a.get("type-value") or ["index"]
            for _ in levels:
                inner = _Indexed(lambda i, s=inner: Attr(str(i), "nested", nested=s))
            return Attr(aname, "nested", nested=inner)
        if t == "bitfield32":
            return Attr(aname, "bitfield32", flags=opts.get("flags") or opts.get("enum"))
        if t in ("pad", "unused"):
            return Attr(aname, "binary")
        self.warnings.append(f"{where}: attribute type {t!r} not understood; shown as bytes")
        return Attr(aname, "binary")

    # -- operations ----------------------------------------------------------------------
    def _read_operations(self, ops: dict) -> None:
        if not isinstance(ops, dict):
            raise YnlError(f"{self.source}: 'operations' must be a mapping with a 'list'")
        self.enum_model = ops.get("enum-model", "unified")
        self.op_prefix = ops.get("name-prefix")
        default_hdr = ops.get("fixed-header")
        default_set = None
        self.requests: dict[int, str] = {}
        self.replies: dict[int, str] = {}
        self.op_sets: dict[str, AttrSet] = {}
        self.op_headers: dict[str, FixedHeader | None] = {}
        oplist = ops.get("list") or []
        by_name = {o.get("name"): o for o in oplist if isinstance(o, dict)}
        req = rep = 1
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
            self.replies = dict(self.requests)

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
    """A netlink-raw protocol from a spec, in front of what was registered for the
    number before (its other message types keep their dissector)."""

    def __init__(self, number: int, name: str, requests: dict[int, MessageType],
                 replies: dict[int, MessageType], under: Protocol | None):
        super().__init__(number, name, {**replies, **requests})
        self.requests, self.replies, self.under = requests, replies, under

    def message_type(self, ctx: DecodeCtx) -> MessageType | None:
        first, second = (self.requests, self.replies) if ctx.flags & 1 else (self.replies, self.requests)
        mt = first.get(ctx.mtype) or second.get(ctx.mtype)
        if mt is None and self.under is not None:
            return self.under.message_type(ctx)
        return mt

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


def read_spec(path: str | os.PathLike) -> Spec:
    import yaml
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader subclass)
    except OSError as e:
        raise YnlError(f"{path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise YnlError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    return Spec(doc, path)


def register_spec(registry, spec: Spec) -> SpecInfo:
    """Register what `spec` describes; a family (or message types) of the same name or
    number registered before is replaced (the spec is what the user asked for)."""
    from nlscope.dissectors.genl import GenlFamily, add_family, cmd_kind

    short = _short_names(spec)
    info = SpecInfo(spec.name, spec.protocol, spec.source, spec.protonum,
                    dict(spec.requests), dict(spec.replies), list(spec.sets),
                    [g for g in spec.mcast_groups if g], list(spec.warnings))

    def detail(cmd: str, fields: list[Field]) -> str:
        return _attr_summary(fields, short)

    if spec.protocol in GENL_PROTOCOLS:
        headers = {h for h in spec.op_headers.values() if h is not None}
        if len(headers) > 1:
            info.warnings.append("operations use different fixed headers; the first is used for all")
        fam = GenlFamily(spec.name, dict(spec.requests),
                         replies=dict(spec.replies) if spec.enum_model == "directional" else None,
                         cmd_attrs=dict(spec.op_sets), summary=detail,
                         header=next(iter(headers), None))
        add_family(registry, fam)
        info.family = fam
        return info

    def types(table: dict[int, str]) -> dict[int, MessageType]:
        out = {}
        for v, oname in table.items():
            def summary(msg: Message, fields: list[Field], n=oname) -> str:
                text = _attr_summary(fields, short)
                return f"{n} {text}" if text else n
            out[v] = MessageType(oname, cmd_kind(oname), header=spec.op_headers.get(oname),
                                 attrs=spec.op_sets.get(oname) or AttrSet("none"), summary=summary)
        return out

    proto = SpecProtocol(spec.protonum, spec.name, types(spec.requests), types(spec.replies),
                         registry.get(spec.protonum))
    registry.add(proto)
    info.family = proto
    return info


def load_spec(registry, path: str | os.PathLike) -> SpecInfo:
    """Read the YNL spec at `path` and register its family. Raises YnlError."""
    return register_spec(registry, read_spec(path))
