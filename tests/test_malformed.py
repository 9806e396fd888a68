"""Malformed input never stops the rest: each case keeps its bytes and names its problem."""
from __future__ import annotations

import json
import struct

import pytest
from conftest import FIXTURES
from construct import Int8un, Int16un, Int32sn, Int32un, Padding, Struct
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlscope.decode.decoder import Decoder, scan_frame
from nlscope.output.export import message_to_json
from nlscope.capture.frame import Frame
from nlscope.decode.nla import Attr, AttrSet, FixedHeader
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import MessageType, Protocol, Registry, default_registry

IFINFO = FixedHeader("ifinfomsg", Struct("ifi_family" / Int8un, Padding(1), "ifi_type" / Int16un,
                                         "ifi_index" / Int32sn, "ifi_flags" / Int32un, "ifi_change" / Int32un))
IFLA = AttrSet("link", {3: Attr("IFLA_IFNAME", "string"), 4: Attr("IFLA_MTU", "u32")})


def link_registry():
    reg = Registry()
    reg.add(Protocol(0, "route", {16: MessageType("RTM_NEWLINK", "new", IFINFO, IFLA),
                                  18: MessageType("RTM_GETLINK", "get", IFINFO, IFLA)}))
    return reg


@pytest.fixture(scope="module")
def malformed():
    return list(Decoder(link_registry()).messages(CaptureReader(FIXTURES / "malformed.pcap")))


def by_frame(msgs, n):
    return [m for m in msgs if m.frame.number == n]


def test_nlmsg_len_below_16(malformed):
    (m,) = by_frame(malformed, 1)
    assert m.nlmsg_len == 8 and "nlmsg_len 8 < 16" in m.problems[0]
    assert (m.start, m.end) == (16, len(m.frame.raw))  # the rest of the frame stays with it


def test_message_past_end_of_frame_keeps_the_good_one(malformed):
    good, bad = by_frame(malformed, 2)
    assert good.type_name == "RTM_GETLINK" and not good.problems
    assert "runs past the end of the frame" in bad.problems[0] and bad.raw.endswith(b"\1" * 8)


def test_zero_length_attribute(malformed):
    (m,) = by_frame(malformed, 3)
    assert any("nla_len 0 < 4" in p for p in m.problems)
    assert message_to_json(m)["payload"]["attributes"]["MALFORMED"] == "0000030000000000"


def test_attribute_past_its_parent(malformed):
    (m,) = by_frame(malformed, 4)
    assert any("past its parent" in p for p in m.problems)
    assert message_to_json(m)["payload"]["attributes"]["IFLA_IFNAME"] == "eth0"


def test_trailing_bytes_become_a_fragment(malformed):
    good, frag = by_frame(malformed, 5)
    assert not good.problems and frag.is_fragment and frag.raw == b"\xde\xad\xbe"
    assert message_to_json(frag)["header"] is None


@pytest.mark.parametrize("n,needle", [(6, "empty frame"), (7, "shorter than its 16-byte link-layer header")])
def test_empty_and_short_frames(malformed, n, needle):
    (m,) = by_frame(malformed, n)
    assert m.is_fragment and needle in m.problems[0]


def test_attribute_of_wrong_size(malformed):
    (m,) = by_frame(malformed, 8)
    assert m.problems == ["IFLA_MTU: expected 4 bytes, got 2"]
    assert message_to_json(m)["payload"]["attributes"]["IFLA_MTU"] == "0100"


def test_every_message_reaches_the_export(malformed):
    out = [json.loads(json.dumps(message_to_json(m))) for m in malformed]
    assert len(out) == 10 and len({o["frame"] for o in out}) == 8
    assert sum(bool(o["problems"]) for o in out) == 8


# -- properties ------------------------------------------------------------------------
PROTOCOLS = st.sampled_from([0, 2, 4, 5, 6, 9, 12, 15, 16, 31, 99])
DEFAULT = default_registry()


def check_frame(proto: int, payload: bytes) -> None:
    fr = Frame(1, 0, proto, bytes(16) + payload)
    msgs = scan_frame(fr)
    dec = Decoder(DEFAULT)
    pos = 16
    for m in msgs:
        assert m.start == pos, "message spans must tile the frame"
        pos = m.end
        dec.decode(m)
        assert not [p for p in m.problems if p.startswith("dissector error")], m.problems
        for top in m.tree:
            for _, f in top.walk():
                assert m.start <= f.start <= f.end <= m.end
        json.dumps(message_to_json(m))
    assert pos == len(fr.raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROTOCOLS, st.binary(max_size=300))
def test_any_bytes_decode_without_exception(proto, payload):
    check_frame(proto, payload)


def _nlmsg(mtype, flags, body, o="<"):
    return struct.pack(o + "IHHII", 16 + len(body), mtype, flags, 1, 0) + body + b"\0" * (-len(body) % 4)


@st.composite
def attr_soup(draw, depth=0):
    """Well-framed attributes with random types, some nested, random contents."""
    out = b""
    for _ in range(draw(st.integers(0, 5))):
        t = draw(st.integers(0, 40))
        if depth < 2 and draw(st.booleans()):
            data = draw(attr_soup(depth + 1))
            t |= 0x8000
        else:
            data = draw(st.binary(max_size=24))
        out += struct.pack("<HH", 4 + len(data), t) + data + b"\0" * (-len(data) % 4)
    return out


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROTOCOLS, st.integers(1, 1300), st.sampled_from([0, 1, 5, 0x301, 0x605, 0x102, 0x200]),
       st.binary(max_size=64), attr_soup())
def test_well_framed_messages_with_random_payloads(proto, mtype, flags, head, attrs):
    body = head + attrs
    check_frame(proto, _nlmsg(mtype, flags, body) + _nlmsg(2, 0x100, struct.pack("<i", -22) + _nlmsg(mtype, flags, b"")))
