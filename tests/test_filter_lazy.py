"""Decoding filters walk only what they need (issue 11, item 5): `attr.X` decodes the
message partly (nests unbuilt) and descends only into nests whose tables can hold X;
the messages chosen are those a full decode chooses, and a chosen message's problems
and JSON are those of a full decode."""
from __future__ import annotations

import pytest
from conftest import SAMPLES, sample_captures

from nlscope.analysis.filter import compile_filter
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode import nla
from nlscope.decode.decoder import Decoder

FILTERS = [
    "attr.IFLA_IFNAME == lo",
    "attr.IFLA_MTU > 1400",
    "attr.RTA_GATEWAY",
    "attr.IFLA_INET6_CONF.forwarding == 0",
    "attr.rx_packets > 0",
    "attr.IFLA_INFO_KIND == veth",
    "attr.NL80211_ATTR_WIPHY_NAME",
    "attr.CTRL_ATTR_OP_ID == 1",
    "attr.NFTA_TABLE_NAME",
    "attr.NLMSGERR_ATTR_MSG",
    "attr.1",  # an element number: any list may have one
]


def _messages(registry, path):
    with CaptureReader(path) as reader:
        return list(Decoder(registry).messages(reader))


@pytest.mark.parametrize("path", sample_captures(), ids=lambda p: p.name)
def test_partial_decode_chooses_what_a_full_decode_chooses(registry, path):
    for text in FILTERS:
        flt = compile_filter(text, registry)
        full = _messages(registry, path)
        for m in full:
            m.decoder.decode(m)  # the whole tree first: the filter reads it as it is
        want = [m.number for m in full if flt(m)]
        lazy = _messages(registry, path)
        got = [m.number for m in lazy if flt(m)]
        assert got == want, (path.name, text)
        by_number = {m.number: m for m in full}
        for m in lazy:
            if m.number in want:
                assert m.problems == by_number[m.number].problems, (text, m.number)
                assert m.to_json(None) == by_number[m.number].to_json(None), (text, m.number)


def test_a_top_level_attribute_needs_no_nested_decode(registry):
    msgs = _messages(registry, SAMPLES / "iproute2.pcapng")
    links = [m for m in msgs if m.type_name == "RTM_NEWLINK" and m.nlmsg_len > 1000]
    assert links
    flt = compile_filter("attr.IFLA_IFNAME == lo", registry)
    for m in links:
        flt(m)
        attrs = next(f for f in m._tree if f.name == "attributes")
        nests = {c.name: c for c in attrs.children if isinstance(c, nla.Lazy)}
        assert {"IFLA_AF_SPEC", "IFLA_STATS64"} <= set(nests)
        # (the summary reads IFLA_LINKINFO's kind; nothing reads these two)
        assert nests["IFLA_AF_SPEC"]._kids is None and nests["IFLA_STATS64"]._kids is None, m.number
    # a nested name: only the nests that can hold it are walked
    flt = compile_filter("attr.IFLA_INET6_CONF.forwarding == 1", registry)
    m = links[0]
    fresh = _messages(registry, SAMPLES / "iproute2.pcapng")[m.number - 1]
    flt(fresh)
    attrs = next(f for f in fresh._tree if f.name == "attributes")
    nests = {c.name: c for c in attrs.children if isinstance(c, nla.Lazy)}
    assert nests["IFLA_AF_SPEC"]._kids is not None
    assert nests["IFLA_STATS64"]._kids is None


def test_reach_of_tables():
    A = nla.Attr
    inner = nla.AttrSet("inner", {1: A("IN_X", "u32"), 2: A("IN_Y", "string")})
    outer = nla.AttrSet("outer", {1: A("OUT_A", "u8"), 2: A("OUT_N", "nested", nested=inner)})
    outer.attrs[3] = A("OUT_SELF", "nested", nested=outer)
    assert nla.reach_of(outer) == {"OUT_A", "OUT_N", "OUT_SELF", "IN_X", "IN_Y"}
    chosen = nla.AttrSet("chosen", {1: A("C", "nested", nested=lambda sib: inner)})
    assert nla.reach_of(chosen) is None  # a table picked at decode time: anything


def test_sets_that_make_attributes_as_they_come_are_walked(registry):
    """genl.IndexSet (nl80211's bands, interface types...) has no attributes until
    messages make them: in a fresh process a decoding filter once found nothing below
    NL80211_ATTR_WIPHY_BANDS, as if nothing could be there (the test passed only when
    an earlier test had filled the set). The CLI runs fresh; the reference is a walk of
    full trees."""
    import subprocess
    import sys

    path = SAMPLES / "genl.pcapng"
    want = []
    for m in Decoder(registry).messages(CaptureReader(path)):
        stack = list(m.tree)
        while stack:
            f = stack.pop()
            if f.name == "NL80211_FREQUENCY_ATTR_FREQ" and f.value == 2412:
                want.append(m.number)
                break
            stack.extend(f.children or ())
    assert want
    out = subprocess.run([sys.executable, "-m", "nlscope", "read", str(path), "-Y",
                          "attr.NL80211_FREQUENCY_ATTR_FREQ == 2412"],
                         capture_output=True, text=True, check=True).stdout
    got = [int(line.split()[0]) for line in out.splitlines()[1:]]
    assert got == want


def _real_and_hostile():
    """The samples, and the hand-made fixtures (malformed, truncated, hostile lengths)."""
    from conftest import FIXTURES
    return sample_captures() + sorted(p for p in FIXTURES.glob("*.pcap*")
                                      if p.name != "ethernet.pcap")


@pytest.mark.parametrize("path", _real_and_hostile(), ids=lambda p: p.name)
def test_a_type_names_every_node_its_messages_have(registry, path):
    """message_names (type_names(spec) for a family's type) lets a decoding filter skip
    a message that cannot hold the name without decoding it: it must hold every name a
    full decode gives, control messages (ACKs, errors, DONE) included."""
    from nlscope.analysis.fields import message_names
    checked = 0
    for m in _messages(registry, path):
        names = message_names(m)
        if names is None:  # an error echoing a whole request: decoded to be looked into
            continue
        for top in m.tree[1:]:
            for _depth, node in top.walk():
                # element numbers and UNKNOWN(n) cannot be named by a filter's attr.NAME
                if node.name.isdigit() or node.name.startswith(("UNKNOWN(", "[")):
                    continue
                assert node.name in names, (path.name, m.number, m.type_name, node.name)
        checked += 1
    assert checked


def test_a_decoding_filter_skips_types_that_cannot_hold_its_name(registry):
    msgs = _messages(registry, SAMPLES / "iproute2.pcapng")
    flt = compile_filter("attr.RTA_GATEWAY", registry)
    links = [m for m in msgs if m.type_name == "RTM_NEWLINK"]
    routes = [m for m in msgs if m.type_name == "RTM_NEWROUTE"]
    assert links and routes
    for m in links + routes:
        flt(m)
    assert not any(m.decoded for m in links)  # no link table names RTA_GATEWAY
    assert all(m.decoded for m in routes)
    capped = [m for m in msgs if m.type == 2 and m.flags & 0x100]  # NLM_F_CAPPED ACKs
    assert capped
    for m in capped:
        flt(m)
        assert not m.decoded, m.number  # no request payload: the extended ACK at most
    # an element number names a member of any list: nothing is skipped for it
    flt = compile_filter("attr.1", registry)
    fresh = _messages(registry, SAMPLES / "iproute2.pcapng")
    for m in fresh:
        if m.type_name == "RTM_NEWLINK":
            flt(m)
            assert m.decoded


def test_an_error_shorter_than_its_header_is_looked_into(registry):
    """An NLMSG_ERROR whose nlmsg_len is under 16 decodes to the frame's end, echo and
    all: a decoding filter must not take it for a capped ACK."""
    import struct

    from nlscope.capture.frame import Frame
    from nlscope.decode.decoder import scan_frame
    gw = struct.pack("<HH4s", 8, 5, bytes([10, 9, 0, 254]))  # RTA_GATEWAY 10.9.0.254
    rtmsg = bytes([2, 24, 0, 0, 254, 4, 0, 1]) + struct.pack("<I", 0)
    echo = struct.pack("<IHHII", 16 + len(rtmsg) + len(gw), 24, 0x405, 7, 99) + rtmsg + gw
    err = struct.pack("<IHHII", 8, 2, 0, 7, 99) + struct.pack("<i", -17) + echo
    flt = compile_filter("attr.RTA_GATEWAY == 10.9.0.254", registry)
    dec = Decoder(registry)
    full = scan_frame(Frame(1, 0, 0, bytes(16) + err), dec)[0]
    full.decoder.decode(full)
    assert flt(full)  # the whole decode finds the echoed gateway
    lazy = scan_frame(Frame(1, 0, 0, bytes(16) + err), Decoder(registry))[0]
    assert flt(lazy)
