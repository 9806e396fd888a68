"""Filter fields known by name (issue 10, item 2): an unknown field (core or attribute)
is an error at its column with a suggestion; attribute names come from every table of
every family the registry holds (rtnetlink, generic netlink families, netfilter,
sock_diag, xfrm, the kmod families, YNL specs, plugins), and no name a family decodes
is ever rejected."""
from __future__ import annotations

import ast
import re
import textwrap

import pytest
from conftest import ROOT, SAMPLES, committed

from nlscope.analysis import fields as known
from nlscope.analysis.filter import FIELDS, FilterError, compile_filter, field_names, resolve_field
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry

DEMO = ROOT / "examples" / "demo_dissector.py"


@pytest.fixture(scope="module")
def reg():
    return default_registry()


def _error(text, registry=None):
    with pytest.raises(FilterError) as ei:
        compile_filter(text, registry)
    return ei.value


def _messages(reg, name):
    path = SAMPLES / name
    committed(path)
    return list(Decoder(reg).messages(CaptureReader(path)))


# -- unknown fields ------------------------------------------------------------------------

@pytest.mark.parametrize("text,column,hint", [
    ("sq == 1", 1, "did you mean seq?"),
    ("flags.ack and txn.staus == ok", 15, "did you mean txn.status?"),
    ("netlink.hdr_sq == 5", 1, "did you mean netlink.hdr_seq?"),
    ("errno == 0 or protocl == 0", 15, "did you mean protocol?"),
])
def test_unknown_core_field(text, column, hint):
    e = _error(text)
    assert e.column == column and "unknown field" in e.msg and hint in e.msg, (e.column, e.msg)


def test_unknown_attribute_is_an_error_with_a_suggestion_and_its_column():
    text = 'type == RTM_NEWLINK and attr.IFLA_IFNAM == "lo"'
    e = _error(text)
    assert e.column == 25
    assert e.msg == "unknown field 'attr.IFLA_IFNAM' (did you mean attr.IFLA_IFNAME?)"
    assert e.caret(text, "").split("\n")[1] == " " * 24 + "^"
    # a nested path: the component that is wrong, and the path with it fixed
    e = _error("attr.IFLA_LINKINFO.IFLA_INFO_KND == veth")
    assert e.column == 1 and "'IFLA_INFO_KND'" in e.msg
    assert "did you mean attr.IFLA_LINKINFO.IFLA_INFO_KIND?" in e.msg
    # a kernel name alone, Wireshark's family spelling, a struct member: same rule
    assert "did you mean IFLA_IFNAME?" in _error("IFLA_IFNAM == lo").msg
    assert "did you mean netlink-route.ifla_ifname?" in _error("netlink-route.ifla_ifnam == lo").msg
    assert "did you mean attr.ifi_index?" in _error("attr.ifi_indx == 1").msg
    assert "did you mean attr.IFLA_IFNAME?" in _error("ifla_ifname == lo").msg  # not attr-like: still found
    e = _error("attr. == 1")
    assert e.column == 1 and "needs an attribute" in e.msg
    assert "empty name" in _error("attr.IFLA_LINKINFO. == 1").msg
    # a value where a field goes
    assert "type == RTM_NEWLINK" in _error("RTM_NEWLINK").msg
    assert "errno == ENODEV" in _error("ENODEV").msg
    assert "flags.ack" in _error("NLM_F_ACK").msg
    assert _error("attr.NO_SUCH_THING_AT_ALL_XYZ").msg == "unknown field 'attr.NO_SUCH_THING_AT_ALL_XYZ'"


def test_what_worked_keeps_working():
    for text in ("attr.IFLA_IFNAME == lo", "attr.rtmsg.rtm_dst_len == 24", "attr.attributes.IFLA_IFNAME == x",
                 "attr.ifi_index == 5", "IFLA_IFNAME == dummy0", "netlink-route.rt_dst_len == 16",
                 "netlink-route.ifla_ifname == eth0", "netlink-route.ipv4.rta_dst == 10.0.0.0/8",
                 "attr.ifla_ifname == lo", "attr.IFLA_AF_SPEC.0", "attr.extack.NLMSGERR_ATTR_MSG",
                 "attr.original.nlmsg_seq == 3", "attr.error == -22", "genl.ctrl.ctrl_attr_family_name == nl80211",
                 "nl80211.nl80211_attr_ifname"):
        compile_filter(text)


# -- known attributes of every family ----------------------------------------------------

@pytest.mark.parametrize("sample,text", [
    ("iproute2.pcapng", "attr.IFLA_IFNAME == lo"),  # rtnetlink
    ("iproute2.pcapng", "attr.IFLA_LINKINFO.IFLA_INFO_KIND == dummy"),
    ("tc.pcapng", "attr.TCA_KIND == htb"),
    ("genl.pcapng", "family == nl80211 and attr.NL80211_ATTR_IFNAME"),  # generic netlink: nl80211
    ("genl.pcapng", "attr.NL80211_FREQUENCY_ATTR_FREQ > 5000"),
    ("devlink.pcapng", "attr.DEVLINK_ATTR_DEV_NAME"),
    ("netfilter.pcapng", "attr.CTA_TUPLE_ORIG.CTA_IP_V4_SRC"),  # netfilter
    ("netfilter.pcapng", 'attr.NFTA_EXPR_NAME == "immediate"'),
    ("sock_diag.pcapng", "attr.idiag_sport"),  # sock_diag: struct member
    ("sock_diag.pcapng", "attr.INET_DIAG_INFO.tcpi_rtt > 0"),  # a struct a family fix-up decodes
    ("xfrm.pcapng", "attr.XFRMA_ALG_CRYPT.alg_name"),  # xfrm
    ("xfrm.pcapng", "attr.XFRMA_TMPL.optional"),
    ("kmod/genl.pcapng", "attr.RTMGR_A_DEST"),  # kmod: the course's genl family
    ("kmod/usersock.pcapng", "attr.gw"),  # kmod: a payload decoded by code, not a table
])
def test_a_known_attribute_of_each_family_compiles_and_selects(reg, sample, text):
    f = compile_filter(text, reg)
    assert f.needs_decode
    assert any(f(m) for m in _messages(reg, sample)), text


def test_every_name_a_sample_decodes_to_is_known(reg):
    """The walk misses nothing the families decode: a filter on any node of any
    sample's tree compiles (numbers and UNKNOWN(n) are not names)."""
    names = known.known_attribute_names(reg)
    missing = {}
    for path in sorted(SAMPLES.rglob("*.pcapng")):
        for m in Decoder(reg).messages(CaptureReader(path)):
            for top in m.tree[1:]:
                for _, f in top.walk():
                    n = f.name
                    if n.startswith(("UNKNOWN(", "[")) or known.is_known_component(n, names):
                        continue
                    missing.setdefault(n, f"{path.name} #{m.number}")
    assert not missing


def test_index_tables_and_custom_decoders_are_walked(reg):
    names = known.known_attribute_names(reg)
    # nl80211's interface-type flags (an index table), IFLA_STATS64 counters (kind custom),
    # tcp_info (a sock_diag fix-up), the extended ACK attributes (the core decoder's table)
    assert {"NL80211_IFTYPE_STATION", "NL80211_BAND_2GHZ", "rx_packets", "tcpi_rtt",
            "NLMSGERR_ATTR_MSG", "ifinfomsg", "ifi_index", "genlmsghdr", "cmd"} <= names
    assert "IFLA_IFNAM" not in names


# -- registries with more families -------------------------------------------------------

SPEC = textwrap.dedent("""\
    name: fieldfam
    protocol: genetlink-legacy
    attribute-sets:
      - name: main
        name-prefix: fieldfam-a-
        attributes:
          - {name: id, type: u32}
          - {name: colour-name, type: string}
          - {name: inner, type: nest, nested-attributes: inner}
      - name: inner
        name-prefix: fieldfam-inner-
        attributes:
          - {name: depth, type: u32}
    operations:
      list:
        - name: get
          attribute-set: main
          do: {request: {attributes: [id]}, reply: {attributes: [id, colour-name]}}
    """)


def test_a_ynl_spec_attribute(tmp_path):
    from nlscope.decode.ynl import load_spec
    p = tmp_path / "fieldfam.yaml"
    p.write_text(SPEC)
    reg = default_registry(entry_points=False)
    e = _error("attr.FIELDFAM_A_COLOUR_NAME", reg)  # not loaded yet
    assert e.column == 1 and "unknown field" in e.msg
    load_spec(reg, p)  # the same registry learns the spec: the cached walk is redone
    compile_filter('attr.FIELDFAM_A_COLOUR_NAME == "red"', reg)
    compile_filter("attr.FIELDFAM_A_INNER.FIELDFAM_INNER_DEPTH > 1", reg)
    assert "did you mean attr.FIELDFAM_A_COLOUR_NAME?" in _error("attr.FIELDFAM_A_COLOR_NAME", reg).msg
    assert "attr.FIELDFAM_A_ID" in field_names(reg, attributes=True)
    _error("attr.FIELDFAM_A_ID")  # the built-in registry has no such family


def test_a_plugin_attribute():
    reg = default_registry(files=[str(DEMO)], entry_points=False)
    for text in ("attr.DEMO_A_NAME == x", "attr.DEMO_A_OPTS.DEMO_OPT_LIMIT > 3", "attr.demo_hdr.color == RED"):
        compile_filter(text, reg)
        with pytest.raises(FilterError, match="unknown field"):
            compile_filter(text)  # without the plugin
    assert "did you mean attr.DEMO_OPT_VERBOSE?" in _error("attr.DEMO_OPT_VERBOS", reg).msg


# -- header-only filters stay header-only ------------------------------------------------

class _Untouchable:
    """A registry that fails when anything looks inside it."""

    def __getattr__(self, name):
        raise AssertionError(f"the registry was read ({name}) for a header-only filter")


def test_header_only_filters_never_walk_the_registry():
    f = compile_filter("type == RTM_NEWLINK and flags.ack and seq > 3 or errno == ENODEV", _Untouchable())
    assert not f.needs_decode and not f.needs_txn
    assert compile_filter("txn.status == ok", _Untouchable()).needs_txn
    with pytest.raises(AssertionError):
        compile_filter("attr.IFLA_IFNAME", _Untouchable())


def test_walk_is_cached_per_registry(reg):
    a = known.known_attribute_names(reg)
    assert known.known_attribute_names(reg) is a
    other = default_registry(entry_points=False)
    assert known.known_attribute_names(other) == a or known.known_attribute_names(other) <= a


# -- names for completion and for the fields output -------------------------------------

def test_field_names_with_attributes(reg):
    core = field_names()
    assert "attr.IFLA_IFNAME" not in core and "seq" in core  # the core names, as before
    full = field_names(reg, attributes=True)
    assert full == sorted(set(full)) and set(core) <= set(full)
    assert {"attr.IFLA_IFNAME", "attr.NL80211_ATTR_IFNAME", "attr.CTA_TUPLE_ORIG", "attr.XFRMA_SA",
            "attr.INET_DIAG_INFO", "attr.RTMGR_A_DEST", "attr.ifi_index"} <= set(full)
    from nlscope.tui import filters
    tui = filters.field_names()
    assert "attr.IFLA_IFNAME" in tui and "errno" in tui


def test_resolve_field_is_the_filters_definition(reg):
    assert resolve_field("seq") is FIELDS["seq"]
    assert resolve_field("netlink.hdr_seq") is FIELDS["seq"]
    fd = resolve_field("attr.IFLA_IFNAME", reg)
    assert fd.header is None and not fd.txn
    m = next(m for m in _messages(reg, "iproute2.pcapng") if m.type == 16)
    assert fd.get(m, None) == ["lo"]
    with pytest.raises(FilterError, match="did you mean attr.IFLA_IFNAME"):
        resolve_field("attr.IFLA_IFNAM", reg)


# -- every filter written in the README and the tests still compiles ---------------------

def _readme_filters() -> list[str]:
    text = (ROOT / "README.md").read_text()
    sec = text[text.index("### Display filters"):]
    sec = sec[:sec.index("\n### ", 5)]
    block = sec.split("```", 2)[1]
    out = [ln.strip() for ln in block.splitlines() if ln.strip()]
    # inline: field names and small tests (not `attr.NAME`, a placeholder, nor
    # `RTM_NEWLINK`, a value)
    prose = re.sub(r"```.*?```", "", sec, flags=re.S)
    for span in re.findall(r"`([^`]+)`", prose):
        if span != "attr.NAME" and not span.startswith("RTM_") and re.fullmatch(r"attr\.[\w.]+|[A-Z][A-Z0-9]*_[A-Z0-9_]+|netlink-[\w-]+\.[a-z_]+|\w+ == \w+", span):
            out.append(span)
    for m in re.finditer(r"-Y\s+(['\"])(.+?)\1", text):
        out.append(m.group(2))
    return out


_CALLS = {"compile_filter": 0, "Filter": 0, "sel": 1, "_read_numbers": 1, "_export_numbers": 1}  # the filter argument


def _test_filters() -> list[tuple[str, str]]:
    """(where, filter): string literals given to the filter in the tests: "-Y" then a
    literal, compile_filter/sel(...) with a literal, parametrize lists of `flt`.
    Calls under `pytest.raises` are errors on purpose."""
    out = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if path.name == "test_filter_fields.py":  # this file's filters need their registries
            continue
        tree = ast.parse(path.read_text())
        raising: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.With) and any("raises" in ast.unparse(i.context_expr) for i in node.items):
                raising.update(id(n) for n in ast.walk(node))
        for node in ast.walk(tree):
            if isinstance(node, (ast.List, ast.Tuple, ast.Call)):
                elts = node.elts if not isinstance(node, ast.Call) else node.args
                for a, b in zip(elts, elts[1:]):
                    if isinstance(a, ast.Constant) and a.value == "-Y" and isinstance(b, ast.Constant):
                        out.append((f"{path.name}:{b.lineno}", b.value))
            if isinstance(node, ast.Call) and id(node) not in raising:
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else None  # filters.compile_filter is the TUI's fallback
                if name in _CALLS and len(node.args) > _CALLS[name]:
                    a = node.args[_CALLS[name]]
                    if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.strip():
                        out.append((f"{path.name}:{a.lineno}", a.value))
                if ast.unparse(fn).endswith("parametrize") and node.args and isinstance(node.args[0], ast.Constant) \
                        and "flt" in node.args[0].value.replace(" ", "").split(","):
                    for item in ast.walk(node.args[1]):
                        if isinstance(item, ast.Constant) and isinstance(item.value, str):
                            out.append((f"{path.name}:{item.lineno}", item.value))
    return out


def test_every_readme_filter_compiles():
    fs = _readme_filters()
    assert len(fs) >= 8 and "attr.IFLA_LINKINFO.IFLA_INFO_KIND" in fs
    for text in fs:
        compile_filter(text)


def test_every_filter_in_the_tests_compiles():
    fs = _test_filters()
    assert len(fs) > 100
    bad = []
    for where, text in fs:
        if text == "seq == 5 and type ==":  # the CLI's bad-filter test
            continue
        try:
            compile_filter(text)
        except FilterError as e:
            bad.append(f"{where}: {text!r}: {e}")
    assert not bad, "\n".join(bad)
