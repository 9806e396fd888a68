"""Core decoding on the golden capture: every header field, flag name, errno and extack."""
from __future__ import annotations

import struct

import pytest
from conftest import FIXTURES
from construct import Int8un, Int32un, Struct

from nlscope.decode.decoder import Decoder, name_flags, scan_frame
from nlscope.output.export import message_to_json
from nlscope.capture.frame import Frame
from nlscope.decode.model import find
from nlscope.decode.nla import Attr, AttrSet, FixedHeader
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import MessageType, Protocol, Registry

# A route family of the test's own, so these tests check the core, not rtnetlink's tables.
RTMSG = FixedHeader("rtmsg", Struct("rtm_family" / Int8un, "rtm_dst_len" / Int8un, "rtm_src_len" / Int8un,
                                    "rtm_tos" / Int8un, "rtm_table" / Int8un, "rtm_protocol" / Int8un,
                                    "rtm_scope" / Int8un, "rtm_type" / Int8un, "rtm_flags" / Int32un))
RTA = AttrSet("rta", {1: Attr("RTA_DST", "ipaddr"), 4: Attr("RTA_OIF", "u32"), 5: Attr("RTA_GATEWAY", "ipaddr")})


def make_registry():
    reg = Registry()
    reg.add(Protocol(0, "route", {
        24: MessageType("RTM_NEWROUTE", "new", RTMSG, RTA),
        18: MessageType("RTM_GETLINK", "get"),
        16: MessageType("RTM_NEWLINK", "new"),
        21: MessageType("RTM_DELADDR", "del"),
    }))
    return reg


@pytest.fixture(scope="module")
def golden():
    return list(Decoder(make_registry()).messages(CaptureReader(FIXTURES / "golden.pcapng")))


def hdr(m):
    return (m.family, m.type_name, m.flag_names, m.seq, m.pid, m.nlmsg_len)


def test_every_header_field(golden):
    assert [hdr(m) for m in golden] == [
        ("route", "RTM_GETLINK", ["REQUEST", "DUMP"], 1001, 0, 32),
        ("route", "RTM_NEWLINK", ["MULTI"], 1001, 4242, 48),
        ("route", "RTM_NEWLINK", ["MULTI"], 1001, 4242, 56),
        ("route", "NLMSG_DONE", ["MULTI"], 1001, 4242, 20),
        ("route", "RTM_NEWROUTE", ["REQUEST", "ACK", "EXCL", "CREATE"], 1002, 0, 52),
        ("route", "NLMSG_ERROR", ["ACK_TLVS"], 1002, 4242, 112),
        ("route", "RTM_NEWROUTE", ["REQUEST", "ACK", "EXCL", "CREATE"], 1003, 0, 52),
        ("route", "NLMSG_ERROR", ["CAPPED"], 1003, 4242, 36),
        ("route", "RTM_DELADDR", ["REQUEST", "ACK", "NONREC"], 1004, 0, 24),
        ("route", "NLMSG_ERROR", ["CAPPED", "ACK_TLVS"], 1004, 4242, 80),
        ("route", "NLMSG_NOOP", [], 0, 0, 16),
        ("route", "NLMSG_OVERRUN", [], 0, 0, 16),
        ("usersock", "UNKNOWN(20)", ["REQUEST", "ACK"], 7, 0, 29),
    ]
    assert [m.frame.number for m in golden] == [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11]
    assert [m.index for m in golden] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert [m.direction for m in golden][:6] == ["out", "in", "in", "in", "out", "in"]
    assert not any(m.problems for m in golden)


@pytest.mark.parametrize("flags,kind,names", [
    (0x301, "get", ["REQUEST", "DUMP"]),
    (0x501, "get", ["REQUEST", "ROOT", "ATOMIC"]),
    (0xF05, "new", ["REQUEST", "ACK", "REPLACE", "EXCL", "CREATE", "APPEND"]),
    (0x305, "del", ["REQUEST", "ACK", "NONREC", "BULK"]),
    (0x300, "ack", ["CAPPED", "ACK_TLVS"]),
    (0x300, "other", ["0x300"]),           # unknown kind: bits shown, never guessed
    (0x13A, "new", ["MULTI", "ECHO", "DUMP_INTR", "DUMP_FILTERED", "REPLACE"]),
    (0x1400, "new", ["CREATE", "0x1000"]),
])
def test_flags_named_by_kind(flags, kind, names):
    assert name_flags(flags, kind) == names


def test_error_with_extack_points_at_the_attribute(golden):
    err = golden[5]
    j = message_to_json(err)["payload"]
    assert j["error"] == {"name": "ENETUNREACH", "value": -101}
    assert j["original"]["nlmsg_type"] == {"name": "RTM_NEWROUTE", "value": 24}
    assert j["original"]["nlmsg_seq"] == 1002
    # not capped: the request's payload is decoded by its family
    assert j["original"]["rtmsg"]["rtm_dst_len"] == 16
    assert j["original"]["attributes"] == {"RTA_DST": "10.10.0.0", "RTA_GATEWAY": "10.9.0.254", "RTA_OIF": 3}
    assert j["extack"]["NLMSGERR_ATTR_MSG"] == "Nexthop has invalid gateway"
    assert j["extack"]["NLMSGERR_ATTR_OFFS"] == {"name": "RTA_GATEWAY", "value": 36}
    assert err.summary == ('error -101 ENETUNREACH to RTM_NEWROUTE seq 1002: '
                           '"Nexthop has invalid gateway" at RTA_GATEWAY')
    gw = find(find(err.tree, "original").children, "RTA_GATEWAY")
    assert gw.start == err.start + 20 + 36   # OFFS counts from the original nlmsghdr


def test_capped_ack(golden):
    ack = golden[7]
    j = message_to_json(ack)["payload"]
    assert j["error"] == {"name": "OK", "value": 0}
    assert list(j["original"]) == ["nlmsg_len", "nlmsg_type", "nlmsg_flags", "nlmsg_seq", "nlmsg_pid"]
    assert ack.summary == "ACK to RTM_NEWROUTE seq 1003"


def test_error_policy_and_missing_type(golden):
    j = message_to_json(golden[9])["payload"]
    assert j["error"]["name"] == "EEXIST"
    assert j["original"]["nlmsg_flags"]["names"] == ["REQUEST", "ACK", "NONREC"]
    pol = j["extack"]["NLMSGERR_ATTR_POLICY"]
    assert pol == {"NL_POLICY_TYPE_ATTR_TYPE": {"name": "U32", "value": 4},
                   "NL_POLICY_TYPE_ATTR_MAX_VALUE_U": 100}
    assert j["extack"]["NLMSGERR_ATTR_MISS_TYPE"] == 7


def test_done_value(golden):
    assert message_to_json(golden[3])["payload"] == {"value": 0}
    assert golden[3].summary == "NLMSG_DONE 0"


def test_every_field_has_a_span_inside_its_message(golden):
    for m in golden:
        for top in m.tree:
            for _, f in top.walk():
                assert m.start <= f.start <= f.end <= m.end, (m, f)
    nlh = golden[4].tree[0]
    assert [(c.name, c.end - c.start) for c in nlh.children] == [
        ("nlmsg_len", 4), ("nlmsg_type", 2), ("nlmsg_flags", 2), ("nlmsg_seq", 4), ("nlmsg_pid", 4)]


def test_big_endian_host_is_detected():
    msgs = list(Decoder(make_registry()).messages(CaptureReader(FIXTURES / "bighost.pcap")))
    assert [(m.order, m.type_name, m.seq, m.pid) for m in msgs] == [
        (">", "RTM_GETLINK", 77, 0), (">", "NLMSG_DONE", 77, 99)]


def test_dissector_exception_becomes_a_problem_not_a_crash():
    def boom(ctx):
        raise RuntimeError("table bug")
    reg = Registry()
    reg.add(Protocol(0, "route", {18: MessageType("RTM_GETLINK", "get", decode=boom)}))
    raw = bytes(16) + struct.pack("<IHHII", 20, 18, 0x301, 1, 0) + b"\0" * 4
    fr = Frame(1, 0, 0, raw)
    m = Decoder(reg).decode(scan_frame(fr)[0])
    assert m.type_name == "RTM_GETLINK" and any("table bug" in p for p in m.problems)
