"""Every table callable is called the way the engine calls it.

The NLA engine (nlscope/decode/nla.py) calls a callable `Attr.nested` as
`nested(siblings)` (the attributes decoded before it in the same nest), a custom
decoder as `decode(name, buf, start, end, order, problems, path, siblings)` and a
`fmt` as `fmt(value)`; the decoder calls a callable `MessageType.attrs` as
`attrs(header_fields)`. A table callable with another signature is not seen until
a capture holds that attribute, and then every such attribute is "cannot decode
(TypeError ...)" (devlink's `_attrs()` and nl80211's `_main_attrs()` were). So
this test walks every table reachable from the full registry (built-in families,
entry points, genl families, YNL specs) and from the dissector modules, and calls
each callable exactly as the engine would, then drives every attribute through the
engine itself with a few synthetic payloads.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import struct
import textwrap
import types
from pathlib import Path

import pytest

import nlscope.dissectors as dissectors_pkg
from nlscope.decode import ynl
from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, decode_attr
from nlscope.decode.registry import MessageType, Protocol, default_registry
from nlscope.dissectors.genl import GenlFamily, family_map

ROOT = Path(__file__).resolve().parent.parent
RTMGR_YAML = ROOT / "kmod" / "rtmgr" / "rtmgr.yaml"
ORDER = "<"

# A made-up YNL family with every nesting the spec loader builds: a nest, a subset,
# indexed arrays of nests and of scalars, a type-value nest, a struct.
NESTFAM = textwrap.dedent("""\
    name: nestfam
    protocol: genetlink-legacy
    definitions:
      - name: hdr
        type: struct
        members:
          - {name: ifindex, type: u32}
    attribute-sets:
      - name: main
        attributes:
          - {name: id, type: u32, value: 1}
          - {name: child, type: nest, nested-attributes: item}
          - {name: items, type: indexed-array, sub-type: nest, nested-attributes: item}
          - {name: ids, type: indexed-array, sub-type: u32}
          - {name: table, type: nest-type-value, type-value: [row], nested-attributes: item}
          - {name: lite, type: nest, nested-attributes: item-lite}
          - {name: raw, type: binary, struct: hdr}
      - name: item
        attributes:
          - {name: key, type: string, value: 1}
          - {name: val, type: s32}
          - {name: inner, type: nest, nested-attributes: main}
      - name: item-lite
        subset-of: item
        attributes:
          - {name: val}
    operations:
      list:
        - name: get
          value: 1
          attribute-set: main
          do: {request: {attributes: [id]}, reply: {attributes: [id, child, items]}}
""")


def _binds(fn, nargs: int) -> str | None:
    """None when fn accepts nargs positional arguments, else why not."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature (hex, str, ...)
        return None
    try:
        sig.bind(*([None] * nargs))
    except TypeError as e:
        return f"signature {sig}: {e}"
    return None


def _label(fn) -> str:
    fn = getattr(fn, "func", fn)
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _payloads() -> list[bytes]:
    """Synthetic attribute payloads: empty, zeros, and one nested u32 attribute."""
    return [b"", bytes(1), bytes(4), bytes(8), bytes(64),
            struct.pack(ORDER + "HH", 8, 1) + bytes(4)]


def _attr(t: int, payload: bytes) -> bytes:
    return struct.pack(ORDER + "HH", 4 + len(payload), t) + payload


def _sample_siblings(aset: AttrSet) -> list[Field]:
    """What a nest might hold before an attribute: each of its set's plain attributes
    decoded from 8 zero bytes (a kind that looks at a sibling by name finds one)."""
    out: list[Field] = []
    for t, a in list(aset.attrs.items()):
        if a.kind in ("nested", "nested-array", "custom"):
            continue
        buf = _attr(t, bytes(8))
        out.append(decode_attr(buf, 0, len(buf), t, aset, ORDER, [], "", out))
    return out


class Walker:
    """Visits every object reachable from the roots that can hold a table: AttrSets,
    Attrs, FixedHeaders, MessageTypes, Protocols, GenlFamilies, containers, and the
    closures and defaults of functions (tables behind `_by_kind(TABLE, ...)`)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.keep: list[object] = []  # keep results alive: ids must not be reused
        self.sets: list[AttrSet] = []
        self.attrs: list[tuple[str, AttrSet, Attr]] = []
        self.failures: list[str] = []
        self.calls = {"nested": 0, "attrs": 0, "decode": 0, "fmt": 0, "summary": 0}
        self.genl: set[str] = set()

    def fail(self, where: str, what: str) -> None:
        self.failures.append(f"{where}: {what}")

    def visit(self, o: object, where: str) -> None:
        if o is None or isinstance(o, (str, bytes, int, float, bool, type, types.ModuleType)):
            return
        if id(o) in self.seen:
            return
        self.seen.add(id(o))
        self.keep.append(o)
        if isinstance(o, AttrSet):
            self._set(o)
        elif isinstance(o, FixedHeader):
            for name, fmt in o.fmts.items():
                self._check_sig(fmt, 1, f"{where}: {o.name}.{name} fmt", "fmt")
            for sl in o.slots:
                self.visit(sl.sub, where)
        elif isinstance(o, MessageType):
            self._message_type(o, where)
        elif isinstance(o, GenlFamily):
            self.genl.add(o.name)
            self.visit(o.attrs, f"genl {o.name}")
            for cmd, aset in o.cmd_attrs.items():
                self.visit(aset, f"genl {o.name} {cmd}")
            self.visit(o.header, f"genl {o.name}")
            if o.summary is not None:
                self._check_sig(o.summary, 2, f"genl {o.name} summary", "summary")
        elif isinstance(o, Protocol):
            for t, mt in o.messages.items():
                self.visit(mt, f"{o.name} type {t}")
            for k, v in vars(o).items():
                self.visit(v, f"{o.name}.{k}")
        elif isinstance(o, dict):
            for k, v in list(o.items()):
                self.visit(v, f"{where}[{k!r}]")
        elif isinstance(o, (list, tuple, set, frozenset)):
            for v in list(o):
                self.visit(v, where)
        elif callable(o):
            self._closure(o, where)

    def _closure(self, fn, where: str) -> None:
        if isinstance(fn, functools.partial):
            self.visit(fn.func, where)
            self.visit(fn.args, where)
            self.visit(fn.keywords, where)
            return
        fn = getattr(fn, "__func__", fn)
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                self.visit(cell.cell_contents, where)
            except ValueError:  # an empty cell
                pass
        self.visit(getattr(fn, "__defaults__", None), where)
        self.visit(getattr(fn, "__kwdefaults__", None), where)

    def _check_sig(self, fn, nargs: int, where: str, kind: str) -> None:
        self.calls[kind] += 1
        why = _binds(fn, nargs)
        if why:
            self.fail(where, f"{_label(fn)} is called with {nargs} argument(s); {why}")

    def _set(self, aset: AttrSet) -> None:
        self.sets.append(aset)
        if type(aset).get is not AttrSet.get:  # index sets make their attributes on demand
            for t in range(4):
                try:
                    self.visit(aset.get(t), aset.name)
                except Exception as e:
                    self.fail(aset.name, f"get({t}) raised {type(e).__name__}: {e}")
            self._closure(getattr(aset, "make", None), aset.name)
        for t, a in list(aset.attrs.items()):
            self._attr(aset, t, a)

    def _attr(self, aset: AttrSet, t: int, a: Attr) -> None:
        where = f"{aset.name}[{t}] {a.name}"
        if id(a) in self.seen:
            return
        self.seen.add(id(a))
        self.attrs.append((where, aset, a))
        nested = a.nested
        if nested is not None and callable(nested) and not isinstance(nested, AttrSet):
            for siblings in ([], _sample_siblings(aset)):
                self.calls["nested"] += 1
                try:  # exactly as nla.decode_attr: spec.nested(siblings)
                    sub = nested(siblings)
                except Exception as e:
                    self.fail(where, f"nested(siblings) with {_label(nested)} raised "
                                     f"{type(e).__name__}: {e}")
                    continue
                if sub is not None and not isinstance(sub, AttrSet):
                    self.fail(where, f"nested(siblings) returned {type(sub).__name__}, not an AttrSet")
                self.visit(sub, where)
            self._closure(nested, where)
        else:
            self.visit(nested, where)
        self.visit(a.struct, where)
        if a.decode is not None:
            self._check_sig(a.decode, 8, f"{where} decode", "decode")
            self._closure(a.decode, where)
        if a.fmt is not None:
            self._check_sig(a.fmt, 1, f"{where} fmt", "fmt")

    def _message_type(self, mt: MessageType, where: str) -> None:
        where = f"{where} {mt.name}"
        self.visit(mt.header, where)
        if mt.attrs is not None and callable(mt.attrs) and not isinstance(mt.attrs, AttrSet):
            hdr: list[Field] = []
            if mt.header is not None:  # as the decoder: attrs(fields decoded so far)
                hdr = [Field(mt.header.name, "struct", None, 0, mt.header.size,
                             children=mt.header.parse(bytes(mt.header.size), 0, ORDER))]
            for fields in ([], hdr):
                self.calls["attrs"] += 1
                try:
                    sub = mt.attrs(fields)
                except Exception as e:
                    self.fail(where, f"attrs(fields) with {_label(mt.attrs)} raised "
                                     f"{type(e).__name__}: {e}")
                    continue
                if sub is not None and not isinstance(sub, AttrSet):
                    self.fail(where, f"attrs(fields) returned {type(sub).__name__}, not an AttrSet")
                self.visit(sub, where)
            self._closure(mt.attrs, where)
        else:
            self.visit(mt.attrs, where)
        if mt.summary is not None:
            self._check_sig(mt.summary, 2, f"{where} summary", "summary")
        if mt.decode is not None:
            self._check_sig(mt.decode, 1, f"{where} decode", "decode")
            self._closure(mt.decode, where)

    def walk_registry(self, reg) -> None:
        for number, proto in sorted(reg.protocols.items()):
            self.visit(proto, f"protocol {number}")
        self.visit(reg.extras, "registry.extras")

    def walk_modules(self, package) -> None:
        """Tables a family defines but reaches only through a callable's globals."""
        for info in pkgutil.iter_modules(package.__path__):
            mod = importlib.import_module(f"{package.__name__}.{info.name}")
            self.walk_module(mod)

    def walk_module(self, mod) -> None:
        for k, v in vars(mod).items():
            if not k.startswith("__") and not inspect.isclass(v):
                self.visit(v, f"{mod.__name__}.{k}")


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    reg = default_registry()  # built-in families and entry points: what users run
    spec = tmp_path_factory.mktemp("ynl") / "nestfam.yaml"
    spec.write_text(NESTFAM)
    for path in (RTMGR_YAML, spec):
        ynl.load_spec(reg, path)
    w = Walker()
    w.walk_registry(reg)
    from_registry = len(w.sets)
    w.walk_modules(dissectors_pkg)
    w.walk_module(ynl)
    return w, reg, from_registry


def test_the_walk_reaches_every_protocol_and_genl_family(walked):
    w, reg, from_registry = walked
    assert set(family_map(reg)) <= w.genl
    assert {"devlink", "nl80211", "ethtool", "wireguard", "nlctrl", "nestfam"} <= w.genl
    print(f"\n{len(w.sets)} attribute sets ({from_registry} from the registry), "
          f"{len(w.attrs)} attributes; calls: {w.calls}")
    assert from_registry > 300 and len(w.attrs) > 3000
    assert w.calls["nested"] >= 40 and w.calls["attrs"] >= 10 and w.calls["decode"] >= 30


def test_every_table_callable_takes_what_the_engine_passes(walked):
    w, _, _ = walked
    assert not w.failures, "\n".join(w.failures)


def test_every_attribute_decodes_through_the_engine_without_a_table_error(walked):
    """decode_attr catches a table's exception as 'cannot decode (...)': on these
    payloads (too short, zeros, one nested attribute) a table must report what is
    wrong with the bytes, not raise."""
    w, _, _ = walked
    bad: list[str] = []
    for where, aset, a in w.attrs:
        t = next((k for k, v in aset.attrs.items() if v is a), None)
        if t is None:
            continue
        siblings = _sample_siblings(aset)
        for payload in _payloads():
            buf = _attr(t, payload)
            problems: list[str] = []
            decode_attr(buf, 0, len(buf), t, aset, ORDER, problems, "", list(siblings))
            bad += [f"{where} ({len(payload)} bytes): {p}" for p in problems if "cannot decode" in p]
    assert not bad, "\n".join(sorted(set(bad))[:50])


@pytest.mark.parametrize("fam, attr", [
    ("genl_devlink", "DEVLINK_ATTR_PARAM"),
    ("genl_devlink", "DEVLINK_ATTR_INFO_VERSION_RUNNING"),
    ("genl_devlink", "DEVLINK_ATTR_HEALTH_REPORTER"),
    ("genl_devlink", "DEVLINK_ATTR_DEV_STATS"),
    ("genl_devlink", "DEVLINK_ATTR_RELOAD_STATS"),
    ("genl_devlink", "DEVLINK_ATTR_NESTED_DEVLINK"),
    ("genl_nl80211", "NL80211_ATTR_CSA_IES"),
    ("genl_nl80211", "NL80211_ATTR_IFTYPE_EXT_CAPA"),
    ("genl_nl80211", "NL80211_ATTR_MLO_LINKS"),
])
def test_the_reported_nests_decode(fam, attr):
    """The nests of issues 12 and 16: a nest of the family's top-level attributes
    (an array of them for IFTYPE_EXT_CAPA and MLO_LINKS) decodes without problems."""
    mod = importlib.import_module(f"nlscope.dissectors.{fam}")
    t, spec = next((t, a) for t, a in mod.ATTRS.attrs.items() if a.name == attr)
    name_t, name = ((1, "DEVLINK_ATTR_BUS_NAME") if fam == "genl_devlink"
                    else (4, "NL80211_ATTR_IFNAME"))
    inner = _attr(name_t, b"wlan0\0\0\0")
    if spec.kind == "nested-array":
        inner = _attr(0, inner)
    buf = _attr(t | 0x8000, inner)
    problems: list[str] = []
    f = decode_attr(buf, 0, len(buf), t | 0x8000, mod.ATTRS, ORDER, problems, "", [])
    assert not problems
    leaf = f.children[0].children[0] if spec.kind == "nested-array" else f.children[0]
    assert (leaf.name, leaf.value) == (name, "wlan0")
