"""The YNL spec loader (nlscope/ynl.py): numbering rules, types, definitions, fixed
headers, directional and raw families, errors; and kmod/rtmgr/rtmgr.yaml decoding the
same bytes as the hand-written RTMGR dissector."""
from __future__ import annotations

import io
import os
import socket
import struct
import textwrap
from pathlib import Path

import pytest
from fixtures.make_fixtures import cooked, nla, nlmsg
from test_genl import decode, genl, newfamily
from test_kmod_dissect import rtmgr_attrs

from nlscope.cli.main import main
from nlscope.capture.frame import Frame
from nlscope.decode.model import find
from nlscope.capture.pcapio import PcapngWriter
from nlscope.decode.registry import default_registry
from nlscope.decode.ynl import YnlError, c_name, load_spec, read_spec
from nlscope.dissectors.genl import genl_family_map_comment

ROOT = Path(__file__).resolve().parent.parent
RTMGR_YAML = ROOT / "kmod" / "rtmgr" / "rtmgr.yaml"

# A made-up family exercising the schema: implicit and explicit numbering, a subset,
# nests, arrays, type-value nests, enums and flags, big-endian, display hints.
TESTFAM = textwrap.dedent("""\
    name: testfam
    protocol: genetlink-legacy
    definitions:
      - {name: max-name, type: const, value: 16}
      - name: colour
        type: enum
        value-start: 2
        entries: [red, green, {name: blue, value: 7}, violet]
      - name: feature
        type: flags
        entries: [fast, cheap, good]
      - name: hdr
        type: struct
        members:
          - {name: ifindex, type: u32}
          - {name: pad, type: pad, len: 2}
          - {name: port, type: u16, byte-order: big-endian}
          - {name: colour, type: u8, enum: colour}
          - {name: name, type: string, len: 3}
    attribute-sets:
      - name: main
        name-prefix: tf-a-
        attributes:
          - {name: unused, type: unused, value: 0}
          - {name: id, type: u32}
          - {name: name, type: string}
          - {name: colour, type: u8, enum: colour}
          - {name: features, type: u32, enum: feature}
          - {name: colour-mask, type: u32, enum: colour, enum-as-flags: true}
          - {name: port, type: u16, byte-order: big-endian, value: 10}
          - {name: addr, type: u32, byte-order: big-endian, display-hint: ipv4}
          - {name: mac, type: binary, display-hint: mac}
          - {name: items, type: indexed-array, sub-type: nest, nested-attributes: item}
          - {name: ids, type: indexed-array, sub-type: u32}
          - {name: table, type: nest-type-value, type-value: [row], nested-attributes: item}
          - {name: bits, type: bitfield32, enum: feature}
          - {name: on, type: flag}
          - {name: big, type: uint}
          - {name: raw, type: binary, struct: hdr}
          - {name: mystery, type: brand-new-type}
          - {name: child, type: nest, nested-attributes: item-lite}
      - name: item
        attributes:
          - {name: key, type: string}
          - {name: val, type: s32}
      - name: item-lite
        subset-of: item
        attributes:
          - {name: val}
    operations:
      fixed-header: hdr
      list:
        - name: get
          attribute-set: main
          do: {request: {attributes: [id]}, reply: {attributes: [id, name]}}
          dump: {reply: {attributes: [id, name]}}
        - name: set
          value: 5
          attribute-set: main
          do: {request: {attributes: [id, name]}}
        - {name: ntf, notify: get}
        - name: gone
          attribute-set: item
          event: {attributes: [key]}
    mcast-groups:
      list: [{name: events}]
    """)


@pytest.fixture
def testfam(tmp_path):
    p = tmp_path / "testfam.yaml"
    p.write_text(TESTFAM)
    return p


def _reg_with(*paths):
    reg = default_registry(entry_points=False)
    infos = [load_spec(reg, p) for p in paths]
    return reg, infos


def test_c_names():
    assert c_name("rtmgr-a-", "dest") == "RTMGR_A_DEST"
    assert c_name("netdev-a-dev", "ifindex") == "NETDEV_A_DEV_IFINDEX"


def test_numbering_and_report(testfam):
    reg, (info,) = _reg_with(testfam)
    assert info.name == "testfam" and info.protocol == "genetlink-legacy"
    # unified: get 1, set 5 (explicit), ntf 6, gone 7 (previous + 1)
    assert info.operations == {1: "GET", 5: "SET", 6: "NTF", 7: "GONE"}
    assert info.mcast_groups == ["events"]
    assert info.attribute_sets == ["main", "item", "item-lite"]
    assert any("brand-new-type" in w for w in info.warnings)
    spec = read_spec(testfam)
    main_set = spec.sets["main"].attrs
    # explicit value 0, then 1, 2, ...; explicit 10 then 11 ...
    assert main_set[0].name == "TF_A_UNUSED" and main_set[1].name == "TF_A_ID"
    assert main_set[4].name == "TF_A_FEATURES" and main_set[10].name == "TF_A_PORT"
    assert main_set[11].name == "TF_A_ADDR"
    # default prefix for a set named apart from the family: $family-a-$set
    assert spec.sets["item"].attrs[1].name == "TESTFAM_A_ITEM_KEY"
    # a subset keeps the main set's numbers
    assert list(spec.sets["item-lite"].attrs) == [2]
    assert spec.enums["colour"] == {2: "RED", 3: "GREEN", 7: "BLUE", 8: "VIOLET"}
    assert spec.enums["feature"] == {1: "FAST", 2: "CHEAP", 4: "GOOD"}


def test_decoding_a_message_of_the_spec_family(testfam):
    reg, _ = _reg_with(testfam)
    hdr = struct.pack("<I", 7) + b"\0\0" + struct.pack(">H", 8080) + bytes([3]) + b"abc"
    item = lambda k, v: nla(1, k + b"\0") + nla(2, struct.pack("<i", v))  # noqa: E731
    attrs = (nla(1, struct.pack("<I", 42)) + nla(2, b"eth0\0") + nla(3, bytes([7]))
             + nla(4, struct.pack("<I", 5)) + nla(5, struct.pack("<I", 0b1100))
             + nla(10, struct.pack(">H", 443)) + nla(11, socket.inet_aton("192.0.2.1"))
             + nla(12, bytes.fromhex("020000000001"))
             + nla(13, nla(1, item(b"a", -1), nested=True) + nla(2, item(b"b", 2), nested=True), nested=True)
             + nla(14, nla(1, struct.pack("<I", 10)) + nla(2, struct.pack("<I", 20)), nested=True)
             + nla(15, nla(3, item(b"r", 9), nested=True), nested=True)
             + nla(16, struct.pack("<II", 1, 5)) + nla(17, b"") + nla(18, struct.pack("<Q", 1 << 40))
             + nla(19, hdr) + nla(20, b"??") + nla(21, nla(2, struct.pack("<i", -5)), nested=True))
    m0, m1 = decode(newfamily("testfam", 60), nlmsg(60, 0, 1, 0, struct.pack("<BBH", 1, 1, 0) + hdr + attrs),
                    registry=reg)
    assert m1.type_name == "testfam GET"
    assert not m1.problems, m1.problems
    fixed = m1.tree[2]
    assert fixed.name == "hdr"
    assert [(c.name, c.value) for c in fixed.children] == [
        ("ifindex", 7), ("port", 8080), ("colour", 3), ("name", "abc")]
    assert fixed.children[2].meta == "GREEN"
    a = {f.name: f for f in m1.tree[3].children}
    assert a["TF_A_ID"].value == 42 and a["TF_A_NAME"].value == "eth0"
    assert a["TF_A_COLOUR"].meta == "BLUE"
    assert a["TF_A_FEATURES"].meta == ["FAST", "GOOD"]
    assert a["TF_A_COLOUR_MASK"].meta == ["RED", "GREEN"]  # enum-as-flags: 1 << 2, 1 << 3
    assert a["TF_A_PORT"].value == 443
    assert a["TF_A_ADDR"].value == "192.0.2.1"
    assert a["TF_A_MAC"].value == "02:00:00:00:00:01"
    items = a["TF_A_ITEMS"]
    assert items.kind == "list" and [c.name for c in items.children] == ["1", "2"]
    assert items.children[0].get("TESTFAM_A_ITEM_VAL").value == -1
    assert [c.value for c in a["TF_A_IDS"].children] == [10, 20]
    row = a["TF_A_TABLE"].children[0]
    assert row.name == "3" and row.get("TESTFAM_A_ITEM_KEY").value == "r"
    bits = a["TF_A_BITS"]
    assert [c.meta for c in bits.children] == [["FAST"], ["FAST", "GOOD"]]
    assert a["TF_A_ON"].value is True
    assert a["TF_A_BIG"].value == 1 << 40
    assert find(a["TF_A_RAW"].children, "port").value == 8080
    assert a["TF_A_MYSTERY"].value == b"??"
    assert a["TF_A_CHILD"].children[0].name == "TESTFAM_A_ITEM_VAL"
    assert m1.summary.startswith("testfam GET id 42 name eth0 colour BLUE")


def test_notification_uses_its_operations_attribute_set(testfam):
    reg, _ = _reg_with(testfam)
    hdr = bytes(12)
    _, ntf, ev = decode(newfamily("testfam", 60),
                        nlmsg(60, 0, 0, 0, struct.pack("<BBH", 6, 1, 0) + hdr + nla(2, b"x\0")),
                        nlmsg(60, 0, 0, 0, struct.pack("<BBH", 7, 1, 0) + hdr + nla(1, b"k\0")),
                        registry=reg)
    assert (ntf.type_name, ntf.tree[3].children[0].name) == ("testfam NTF", "TF_A_NAME")
    assert (ev.type_name, ev.tree[3].children[0].name) == ("testfam GONE", "TESTFAM_A_ITEM_KEY")


def test_directional_numbering(tmp_path):
    # The example of the YNL docs: a (request 2, reply 1), b notify (reply 2),
    # c notify value 7, d do with request and reply: request 3, reply 8.
    p = tmp_path / "dir.yaml"
    p.write_text(textwrap.dedent("""\
        name: dirfam
        protocol: genetlink-legacy
        attribute-sets: [{name: s, attributes: [{name: x, type: u32}]}]
        operations:
          enum-model: directional
          list:
            - {name: a, attribute-set: s, do: {request: {value: 2, attributes: [x]}, reply: {value: 1, attributes: [x]}}}
            - {name: b, notify: a}
            - {name: c, notify: a, value: 7}
            - {name: d, attribute-set: s, do: {request: {attributes: [x]}, reply: {attributes: [x]}}}
        """))
    reg, (info,) = _reg_with(p)
    assert info.operations == {2: "A", 3: "D"}
    assert info.replies == {1: "A", 2: "B", 7: "C", 8: "D"}
    _, req, rep = decode(newfamily("dirfam", 61), genl(61, 2, nla(1, struct.pack("<I", 9)), flags=5),
                         genl(61, 2, nla(1, struct.pack("<I", 9))), registry=reg)
    assert (req.type_name, rep.type_name) == ("dirfam A", "dirfam B")
    assert rep.tree[2].children[0].name == "DIRFAM_A_S_X"


def test_netlink_raw_spec_overlays_the_protocol_number(tmp_path):
    p = tmp_path / "raw.yaml"
    p.write_text(textwrap.dedent("""\
        name: rawfam
        protocol: netlink-raw
        protonum: 31
        definitions:
          - name: msg
            type: struct
            members: [{name: kind, type: u8}, {name: pad, type: pad, len: 3}]
        attribute-sets: [{name: s, name-prefix: rf-a-, attributes: [{name: text, type: string}]}]
        operations:
          name-prefix: rf-msg-
          fixed-header: msg
          list:
            - {name: hello, value: 30, attribute-set: s, do: {request: {attributes: [text]}}}
        """))
    reg, (info,) = _reg_with(p)
    assert info.protonum == 31 and info.operations == {30: "RF_MSG_HELLO"}
    from test_kmod_dissect import decode as raw_decode
    hello, greet = raw_decode(31, nlmsg(30, 5, 1, 0, b"\x02\0\0\0" + nla(1, b"hey\0")),
                              nlmsg(20, 5, 2, 0, b"hi\0"), registry=reg)
    assert hello.type_name == "RF_MSG_HELLO" and hello.summary == "RF_MSG_HELLO text hey"
    assert find(hello.tree, "kind").value == 2
    assert greet.summary == 'NLGREET "hi"'  # the types the spec does not name keep their dissector


@pytest.mark.parametrize("text,err", [
    ("name: [unclosed", "not valid YAML"),
    ("- just\n- a list\n", "not a YNL spec"),
    ("protocol: genetlink\n", "no family name"),
    ("name: x\nprotocol: carrier-pigeon\n", "protocol 'carrier-pigeon'"),
    ("name: x\nprotocol: netlink-raw\n", "protonum"),
    ("name: x\nattribute-sets: [{name: s, attributes: [{name: n, type: nest, nested-attributes: nope}]}]\n",
     "'nope' is not an attribute set"),
    ("name: x\noperations: {list: [{name: o, attribute-set: nope}]}\n", "attribute-set 'nope' is unknown"),
    ("name: x\nattribute-sets: [{name: s, subset-of: t, attributes: []}]\n", "subset-of unknown set"),
])
def test_bad_specs_are_one_clear_error(tmp_path, text, err):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(YnlError, match=err):
        read_spec(p)


def test_missing_spec_file():
    with pytest.raises(YnlError, match="No such file"):
        read_spec("/nonexistent/spec.yaml")


def test_cli_spec_option(testfam, tmp_path, capsys):
    path = tmp_path / "tf.pcapng"
    with open(path, "wb") as f:
        w = PcapngWriter(f, comments=[genl_family_map_comment({"testfam": 60})])
        w.write(Frame(0, 1, 16, cooked(16) + nlmsg(60, 5, 1, 0, struct.pack("<BBH", 5, 1, 0) + bytes(12)
                                                    + nla(1, struct.pack("<I", 3)))))
    assert main(["read", str(path)]) == 0
    assert "testfam cmd 5" in capsys.readouterr().out
    assert main(["read", "--spec", str(testfam), str(path)]) == 0
    out = capsys.readouterr()
    assert "testfam SET id 3" in out.out
    assert "brand-new-type" in out.err  # the load warning is shown
    bad = tmp_path / "bad.yaml"
    bad.write_text("protocol: genetlink\n")
    assert main(["read", "--spec", str(bad), str(path)]) == 2
    assert "no family name" in capsys.readouterr().err


# -- rtmgr.yaml against the hand-written RTMGR dissector ---------------------------------

def _norm(fields):
    """(name, kind, value) of every attribute field, depth first."""
    out = []
    for f in fields:
        out.append((f.name, f.kind, f.value if f.kind not in ("nest", "list", "struct") else None))
        if f.children:
            out.extend(_norm(f.children))
    return out


RTMGR_MESSAGES = [
    genl(30, 1, rtmgr_attrs(), flags=5),
    genl(30, 1, rtmgr_attrs(), seq=0),
    genl(30, 2, rtmgr_attrs(gw=None, oif=b"eth1", metric=None), flags=5),
    genl(30, 3, rtmgr_attrs(gw=None, oif=None, metric=None), flags=5),
    genl(30, 4, flags=0x301),
    genl(30, 4, rtmgr_attrs(dest="0.0.0.0", mask=0, gw="192.0.2.1", metric=0), flags=2),
]


def test_rtmgr_yaml_decodes_like_the_hand_written_dissector():
    spec_reg = default_registry(entry_points=False)
    info = load_spec(spec_reg, RTMGR_YAML)
    assert info.name == "RTMGR" and not info.warnings
    assert info.operations == {1: "CREATE", 2: "UPDATE", 3: "DELETE", 4: "GET"}
    assert info.mcast_groups == ["events"]
    hand = decode(newfamily("RTMGR", 30), *RTMGR_MESSAGES)
    ynl = decode(newfamily("RTMGR", 30), *RTMGR_MESSAGES, registry=spec_reg)
    assert spec_reg.extras["genl"]["RTMGR"] is info.family  # the spec replaced the module
    compared = 0
    for h, y in zip(hand[1:], ynl[1:]):
        assert h.type_name == y.type_name
        assert not h.problems and not y.problems
        assert _norm(h.tree[1:]) == _norm(y.tree[1:])
        compared += sum(1 for _ in _norm(h.tree[2:]))
    assert compared > 20


# -- the whole format: nested structs, hints, sub-messages, per-operation headers ---------

FORMATFAM = textwrap.dedent("""\
    name: formatfam
    protocol: genetlink-c
    definitions:
      - name: rate
        type: struct
        members:
          - {name: cell-log, type: u8}
          - {name: pad, type: pad, len: 3}
          - {name: bps, type: u32}
      - name: opt
        type: struct
        members:
          - {name: rate, type: binary, struct: rate}
          - {name: ceil, type: binary, struct: rate}
          - {name: quantum, type: u32, display-hint: hex}
      - name: small-hdr
        type: struct
        members: [{name: ifindex, type: u32}]
      - name: big-hdr
        type: struct
        members: [{name: ifindex, type: u32}, {name: flags, type: u32}]
    attribute-sets:
      - name: formatfam
        attributes:
          - {name: opt, type: binary, struct: opt}
          - {name: id, type: binary, display-hint: uuid}
          - {name: addr, type: binary, display-hint: ipv4-or-v6}
          - {name: kind, type: string}
          - {name: options, type: sub-message, sub-message: opts, selector: kind}
          - {name: stats, type: nest, nested-attributes: stats}
          - {name: words, type: binary, sub-type: u16, byte-order: big-endian}
      - name: stats
        attributes:
          - {name: app, type: sub-message, sub-message: opts, selector: kind}
      - name: red-attrs
        attributes:
          - {name: limit, type: u32}
    sub-messages:
      - name: opts
        formats:
          - {value: red, attribute-set: red-attrs}
          - {value: pfifo, fixed-header: small-hdr}
          - {value: netem, fixed-header: small-hdr, attribute-set: red-attrs}
          - {value: noqueue}
    operations:
      list:
        - name: get
          attribute-set: formatfam
          fixed-header: small-hdr
          do: {request: {attributes: [id]}}
        - name: set
          attribute-set: formatfam
          fixed-header: big-hdr
          do: {request: {attributes: [id]}}
    """)


@pytest.fixture
def formatfam(tmp_path):
    p = tmp_path / "formatfam.yaml"
    p.write_text(FORMATFAM)
    return p


def test_nested_structs_hints_and_sub_messages(formatfam):
    reg, (info,) = _reg_with(formatfam)
    assert not info.warnings
    rate = lambda c, b: struct.pack("<B3xI", c, b)  # noqa: E731
    uid = bytes(range(16))
    attrs = (nla(1, rate(3, 1000) + rate(4, 2000) + struct.pack("<I", 0x600))
             + nla(2, uid) + nla(3, socket.inet_pton(socket.AF_INET6, "2001:db8::1"))
             + nla(4, b"netem\0")
             + nla(5, struct.pack("<I", 9) + nla(1, struct.pack("<I", 77)))
             + nla(6, nla(1, struct.pack("<I", 2) + nla(1, struct.pack("<I", 5))), nested=True)
             + nla(7, struct.pack(">HHH", 1, 2, 0x8100)))
    payload = struct.pack("<BBH", 1, 1, 0) + struct.pack("<I", 3) + attrs
    _, m = decode(newfamily("formatfam", 62), nlmsg(62, 5, 1, 0, payload), registry=reg)
    assert not m.problems, m.problems
    a = {f.name: f for f in m.tree[3].children}
    opt = a["FORMATFAM_A_OPT"]
    assert [c.name for c in opt.children] == ["rate", "ceil", "quantum"]
    assert [(c.name, c.value) for c in opt.children[1].children] == [("cell_log", 4), ("bps", 2000)]
    assert opt.children[2].meta == "0x600"
    assert a["FORMATFAM_A_ID"].value == "00010203-0405-0607-0809-0a0b0c0d0e0f"
    assert a["FORMATFAM_A_ADDR"].value == "2001:db8::1"
    options = a["FORMATFAM_A_OPTIONS"]  # netem: a struct, then attributes
    assert [c.name for c in options.children] == ["small-hdr", "FORMATFAM_A_RED_ATTRS_LIMIT"]
    assert options.children[0].children[0].value == 9 and options.children[1].value == 77
    app = a["FORMATFAM_A_STATS"].children[0]  # selector one level up
    assert app.name == "FORMATFAM_A_STATS_APP" and app.children[1].value == 5
    assert [c.value for c in a["FORMATFAM_A_WORDS"].children] == [1, 2, 0x8100]


@pytest.mark.parametrize("kind,body,names", [
    (b"red\0", nla(1, struct.pack("<I", 8)), ["FORMATFAM_A_RED_ATTRS_LIMIT"]),
    (b"pfifo\0", struct.pack("<I", 1), ["small-hdr"]),
    (b"noqueue\0", b"", []),
])
def test_sub_message_formats(formatfam, kind, body, names):
    reg, _ = _reg_with(formatfam)
    payload = struct.pack("<BBH", 1, 1, 0) + struct.pack("<I", 3) + nla(4, kind) + nla(5, body)
    _, m = decode(newfamily("formatfam", 62), nlmsg(62, 5, 1, 0, payload), registry=reg)
    assert not m.problems
    assert [c.name for c in find(m.tree, "FORMATFAM_A_OPTIONS").children or []] == names


def test_sub_message_without_its_selector_or_with_an_unknown_one(formatfam):
    reg, _ = _reg_with(formatfam)
    hdr = struct.pack("<BBH", 1, 1, 0) + struct.pack("<I", 3)
    _, lost, odd = decode(newfamily("formatfam", 62),
                          nlmsg(62, 5, 1, 0, hdr + nla(5, b"abcd")),
                          nlmsg(62, 5, 2, 0, hdr + nla(4, b"cake\0") + nla(5, b"abcd")), registry=reg)
    assert find(lost.tree, "FORMATFAM_A_OPTIONS").value == b"abcd"
    assert any("selector 'kind'" in p for p in lost.problems)
    assert find(odd.tree, "FORMATFAM_A_OPTIONS").value == b"abcd" and not odd.problems


def test_each_operation_has_its_own_fixed_header(formatfam):
    reg, _ = _reg_with(formatfam)
    get = struct.pack("<BBH", 1, 1, 0) + struct.pack("<I", 3) + nla(4, b"x\0")
    put = struct.pack("<BBH", 2, 1, 0) + struct.pack("<II", 3, 1) + nla(4, b"x\0")
    _, g, s = decode(newfamily("formatfam", 62), nlmsg(62, 5, 1, 0, get), nlmsg(62, 5, 2, 0, put),
                     registry=reg)
    assert (g.tree[2].name, s.tree[2].name) == ("small-hdr", "big-hdr")
    assert find(s.tree, "flags").value == 1
    assert not g.problems and not s.problems
    assert find(g.tree, "FORMATFAM_A_KIND").value == find(s.tree, "FORMATFAM_A_KIND").value == "x"


def test_a_struct_that_contains_itself_is_refused(tmp_path):
    p = tmp_path / "loop.yaml"
    p.write_text("name: loop\ndefinitions:\n  - {name: s, type: struct, members: "
                 "[{name: me, type: binary, struct: s}]}\n")
    with pytest.raises(YnlError, match="contains itself"):
        read_spec(p)


# -- a spec fills in, never replaces ---------------------------------------------------------

def test_a_spec_only_fills_in_a_hand_written_family(tmp_path):
    """RTMGR is hand-written: a spec naming its attributes otherwise (and one more
    command and attribute) changes nothing it decodes, and adds what it lacks."""
    p = tmp_path / "rtmgr2.yaml"
    p.write_text(textwrap.dedent("""\
        name: RTMGR
        attribute-sets:
          - name: a
            attributes:
              - {name: other-name, type: binary}
              - {name: more, type: u32, value: 9}
        operations:
          list:
            - {name: create, attribute-set: a, do: {request: {attributes: [more]}}}
            - {name: flush, value: 7, attribute-set: a, do: {request: {attributes: [more]}}}
        """))
    reg, _ = _reg_with(p)
    msgs = [*RTMGR_MESSAGES, genl(30, 1, rtmgr_attrs() + nla(9, struct.pack("<I", 5)), flags=5),
            genl(30, 7, nla(9, struct.pack("<I", 6)), flags=5)]
    hand = decode(newfamily("RTMGR", 30), *msgs)
    mixed = decode(newfamily("RTMGR", 30), *msgs, registry=reg)
    for h, y in zip(hand[1:7], mixed[1:7]):
        assert (h.type_name, h.summary, _norm(h.tree)) == (y.type_name, y.summary, _norm(y.tree))
    assert find(hand[7].tree, "UNKNOWN(9)") is not None
    assert find(mixed[7].tree, "RTMGR_A_A_MORE").value == 5
    assert find(mixed[7].tree, "RTMGR_A_DEST").value == find(hand[7].tree, "RTMGR_A_DEST").value
    assert (hand[8].type_name, mixed[8].type_name) == ("RTMGR cmd 7", "RTMGR FLUSH")


# -- where specs are found -------------------------------------------------------------------

def test_spec_search_path(tmp_path, monkeypatch, testfam):
    from nlscope.decode import ynl
    tree = tmp_path / "linux-9.9" / "Documentation" / "netlink" / "specs"
    tree.mkdir(parents=True)
    (tree / "test_fam.yaml").write_text(TESTFAM.replace("name: testfam", "name: test-fam", 1))
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "testfam.yaml").write_text(TESTFAM)
    monkeypatch.setenv("NLSCOPE_SPEC_PATH", f"{tmp_path / 'linux-9.9'}:{tmp_path / 'missing'}")
    assert ynl.spec_dirs() == [str(tree)]
    assert ynl.spec_dirs([str(flat)]) == [str(flat), str(tree)]  # --spec-dir first
    assert ynl.find_spec("test-fam", ynl.spec_dirs()) == str(tree / "test_fam.yaml")
    assert ynl.find_spec("testfam", ynl.spec_dirs()) is None
    reg = default_registry(entry_points=False)
    ynl.set_spec_dirs(reg, [flat])
    assert load_spec(reg, "testfam").name == "testfam"
    assert load_spec(reg, "test-fam").path == str(tree / "test_fam.yaml")
    with pytest.raises(YnlError, match="no nosuch.yaml in the spec search path"):
        load_spec(reg, "nosuch")
    monkeypatch.setenv("NLSCOPE_SPEC_PATH", "")  # set and empty: no default either
    assert ynl.spec_dirs() == []


def test_default_spec_path_prefers_the_newest_source(tmp_path):
    from nlscope.decode import ynl
    for v in ("6.1", "6.12"):
        (tmp_path / f"linux-source-{v}" / "Documentation" / "netlink" / "specs").mkdir(parents=True)
    (tmp_path / "linux-source-6.9.tar.xz").write_bytes(b"")
    (tmp_path / "linux-headers-6.20-common").mkdir()
    assert [os.path.basename(p) for p in ynl.default_spec_entries(str(tmp_path))] == [
        "linux-source-6.12", "linux-source-6.9.tar.xz", "linux-source-6.1"]


def test_specs_are_unpacked_once_from_a_source_tarball(tmp_path, monkeypatch):
    import tarfile

    from nlscope.decode import ynl
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tb = tmp_path / "linux-source-9.9.tar.xz"
    with tarfile.open(tb, "w:xz") as tf:
        for name, text in [("linux-source-9.9/COPYING", "x"),
                           ("linux-source-9.9/Documentation/netlink/specs/testfam.yaml", TESTFAM),
                           ("linux-source-9.9/Documentation/netlink/specs/.hidden.yaml", "x"),
                           ("linux-source-9.9/kernel/a.c", "y")]:
            data = text.encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    d = ynl.unpack_specs(str(tb))
    assert d is not None and d.startswith(str(tmp_path / "cache" / "nlscope" / "specs"))
    assert sorted(os.listdir(d)) == ["testfam.yaml"]
    assert ynl.unpack_specs(str(tb)) == d  # cached
    monkeypatch.setenv("NLSCOPE_SPEC_PATH", str(tb))
    assert ynl.spec_dirs() == [d]
    bad = tmp_path / "linux-source-1.0.tar.xz"
    bad.write_bytes(b"not a tarball")
    assert ynl.unpack_specs(str(bad)) is None


def test_a_family_with_command_names_only_takes_its_spec(tmp_path, monkeypatch):
    """genl_misc's families have commands only; with a spec of the same name in the
    search path, their attributes are named by it, read when the first message comes."""
    d = tmp_path / "specs"
    d.mkdir()
    (d / "handshake.yaml").write_text(textwrap.dedent("""\
        name: handshake
        attribute-sets:
          - name: accept
            attributes: [{name: sockfd, type: u32}, {name: message-type, type: u32}]
        operations:
          list:
            - {name: ready, attribute-set: accept, do: {request: {attributes: [sockfd]}}}
            - {name: accept, attribute-set: accept, do: {request: {attributes: [sockfd]}}}
        """))
    msg = genl(40, 2, nla(1, struct.pack("<I", 4)), flags=5)
    monkeypatch.setenv("NLSCOPE_SPEC_PATH", "")
    _, plain = decode(newfamily("handshake", 40), msg)
    assert plain.type_name == "handshake ACCEPT" and find(plain.tree, "UNKNOWN(1)") is not None
    monkeypatch.setenv("NLSCOPE_SPEC_PATH", str(d))
    _, filled = decode(newfamily("handshake", 40), msg)
    assert filled.type_name == "handshake ACCEPT"  # the hand-written name stays
    assert find(filled.tree, "HANDSHAKE_A_ACCEPT_SOCKFD").value == 4


def test_structs_nested_too_deep_are_refused(tmp_path):
    p = tmp_path / "deep.yaml"
    defs = "".join(f"  - {{name: s{i}, type: struct, members: [{{name: m, type: binary, struct: s{i + 1}}}]}}\n"
                   for i in range(200))
    p.write_text("name: deep\ndefinitions:\n" + defs + "  - {name: s200, type: struct, members: [{name: x, type: u8}]}\n")
    with pytest.raises(YnlError, match="deeper than 32"):
        read_spec(p)
