"""nfnetlink dissectors on hand-built messages: conntrack, nftables, batches,
queue/log, ipset. Values and summaries asserted."""
from __future__ import annotations

import struct

import pytest
from fixtures.make_fixtures import cooked, nla, nlmsg

from nlscope.decode.decoder import Decoder
from nlscope.dissectors import netfilter
from nlscope.capture.frame import Frame
from nlscope.decode.model import find
from nlscope.decode.registry import Registry

NFNL_SUBSYS_CTNETLINK, NFNL_SUBSYS_NFTABLES = 1, 10


@pytest.fixture(scope="module")
def registry():
    """Only this family: the shared checkout's other families do not affect these tests."""
    reg = Registry()
    netfilter.register(reg)
    return reg


def decode(registry, *msgs: bytes, proto: int = 12):
    frame = Frame(1, 0, proto, cooked(proto) + b"".join(msgs))
    return list(Decoder(registry).messages([frame]))


def nfgen(family: int, res_id: int = 0) -> bytes:
    return struct.pack("BB", family, 0) + struct.pack(">H", res_id)


def nest(t: int, *parts: bytes) -> bytes:
    return nla(t, b"".join(parts), nested=True)


def be16(v): return struct.pack(">H", v)
def be32(v): return struct.pack(">I", v & 0xFFFFFFFF)
def be64(v): return struct.pack(">Q", v)


def tuple_v4(src, dst, proto, sport, dport):
    ip = nest(1, nla(1, bytes(map(int, src.split(".")))), nla(2, bytes(map(int, dst.split(".")))))
    pr = nest(2, nla(1, bytes([proto])), nla(2, be16(sport)), nla(3, be16(dport)))
    return ip + pr


CT_TCP = nlmsg((1 << 8) | 0, 0x2, 5, 1234, nfgen(2) + b"".join([
    nest(1, tuple_v4("10.0.0.1", "10.0.0.2", 6, 1234, 80)),             # CTA_TUPLE_ORIG
    nest(2, tuple_v4("10.0.0.2", "10.0.0.1", 6, 80, 1234)),             # CTA_TUPLE_REPLY
    nla(3, be32(0x0E)),                                                  # SEEN_REPLY|ASSURED|CONFIRMED
    nla(7, be32(431999)),                                                # CTA_TIMEOUT
    nla(8, be32(0)),                                                     # CTA_MARK
    nest(4, nest(1, nla(1, b"\x03"), nla(2, b"\x07"), nla(4, b"\x23\x00"))),  # PROTOINFO TCP
    nest(9, nla(1, be64(10)), nla(2, be64(5000))),                       # COUNTERS_ORIG
    nla(11, be32(1)), nla(12, be32(0xDEADBEEF)), nla(18, be16(7)),       # USE, ID, ZONE
    nest(20, nla(1, be64(1_700_000_000_000_000_000))),                   # TIMESTAMP_START
]))


def test_conntrack_entry(registry):
    (m,) = decode(registry, CT_TCP)
    assert m.type_name == "IPCTNL_MSG_CT_NEW" and m.kind == "new"
    assert not m.problems
    assert m.summary == ("IPCTNL_MSG_CT_NEW tcp 6 src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=80 "
                         "ESTABLISHED [ASSURED] timeout=431999 zone=7")
    t = m.tree
    assert find(t, "nfnl_subsys_id").meta == "NFNL_SUBSYS_CTNETLINK"
    assert find(t, "nfnl_msg_type").meta == "IPCTNL_MSG_CT_NEW"
    assert find(t, "nfgen_family").meta == "NFPROTO_IPV4"
    assert find(t, "CTA_IP_V4_SRC").value == "10.0.0.1"
    assert find(t, "CTA_PROTO_NUM").meta == "tcp"
    assert find(t, "CTA_PROTO_DST_PORT").value == 80
    st = find(t, "CTA_STATUS")
    assert st.meta == ["IPS_SEEN_REPLY", "IPS_ASSURED", "IPS_CONFIRMED"]
    assert find(t, "CTA_PROTOINFO_TCP_STATE").meta == "TCP_CONNTRACK_ESTABLISHED"
    flags = find(t, "CTA_PROTOINFO_TCP_FLAGS_ORIGINAL")
    assert flags.children[0].meta == ["IP_CT_TCP_FLAG_WINDOW_SCALE", "IP_CT_TCP_FLAG_SACK_PERM",
                                      "IP_CT_TCP_FLAG_MAXACK_SET"]
    assert find(t, "CTA_COUNTERS_BYTES").value == 5000
    assert find(t, "CTA_ID").value == 0xDEADBEEF
    assert find(t, "CTA_TIMESTAMP_START").value == 1_700_000_000_000_000_000
    # the subsystem byte is the high byte of nlmsg_type: its span sits in the nlmsghdr
    sub = find(t, "nfnl_subsys_id")
    assert m.frame.raw[sub.start] == NFNL_SUBSYS_CTNETLINK


def test_conntrack_unreplied_icmp_and_dump_request(registry):
    icmp_tuple = (nest(1, nla(1, bytes([127, 0, 0, 1])), nla(2, bytes([127, 0, 0, 1])))
                  + nest(2, nla(1, b"\x01"), nla(4, be16(42)), nla(5, b"\x08"), nla(6, b"\x00")))
    ev = nlmsg(0x100, 0, 0, 0, nfgen(2) + nest(1, icmp_tuple) + nla(3, be32(0x8)) + nla(7, be32(29)))
    dump = nlmsg(0x101, 0x301, 9, 0, nfgen(0))
    m1, m2 = decode(registry, ev, dump)
    # seq 0, no flags, not a request: a conntrack update event
    assert m1.summary == ("IPCTNL_MSG_CT_NEW [UPDATE] icmp 1 src=127.0.0.1 dst=127.0.0.1 id=42 type=8 code=0 "
                          "[UNREPLIED] timeout=29")
    assert m2.type_name == "IPCTNL_MSG_CT_GET" and "DUMP" in m2.flag_names
    assert m2.summary == "IPCTNL_MSG_CT_GET unspec dump"


def test_conntrack_stats(registry):
    cpu = nlmsg(0x104, 0x2, 1, 77, nfgen(0, 1) + nla(2, be32(3)) + nla(4, be32(1)) + nla(8, be32(0)))
    glob = nlmsg(0x105, 0, 1, 77, nfgen(0) + nla(1, be32(12)) + nla(2, be32(65536)))
    m1, m2 = decode(registry, cpu, glob)
    assert m1.summary == "IPCTNL_MSG_CT_GET_STATS_CPU cpu=1 found=3 invalid=1 insert=0"
    assert m2.summary == "IPCTNL_MSG_CT_GET_STATS entries=12 max_entries=65536"


def expr(name: str, *data: bytes) -> bytes:
    body = nla(1, name.encode() + b"\0")
    if data:
        body += nest(2, *data)
    return nest(1, body)


def test_nft_rule_with_expressions(registry):
    exprs = nest(4,
                 expr("meta", nla(2, be32(16)), nla(1, be32(1))),                  # meta l4proto -> reg1
                 expr("cmp", nla(1, be32(1)), nla(2, be32(0)), nest(3, nla(1, b"\x06"))),
                 expr("payload", nla(1, be32(1)), nla(2, be32(2)), nla(3, be32(2)), nla(4, be32(2))),
                 expr("lookup", nla(1, b"blocked\0"), nla(2, be32(1))),
                 expr("counter", nla(1, be64(0)), nla(2, be64(0))),
                 expr("immediate", nla(1, be32(0)), nest(2, nest(2, nla(1, be32(1))))))
    rule = nlmsg(0xA06, 0x2, 3, 99, nfgen(1) + nla(1, b"filter\0") + nla(2, b"input\0")
                 + nla(3, be64(4)) + exprs)
    (m,) = decode(registry, rule)
    assert not m.problems
    assert m.type_name == "NFT_MSG_NEWRULE"
    assert m.summary == ("NFT_MSG_NEWRULE inet filter input handle 4: meta l4proto, cmp eq 0x06, "
                         "payload transport +2 len 2, lookup @blocked, counter, accept")
    assert find(m.tree, "NFTA_META_KEY").meta == "NFT_META_L4PROTO"
    assert find(m.tree, "NFTA_CMP_OP").meta == "NFT_CMP_EQ"
    assert find(m.tree, "NFTA_PAYLOAD_BASE").meta == "NFT_PAYLOAD_TRANSPORT_HEADER"
    assert find(m.tree, "NFTA_VERDICT_CODE").meta == "NF_ACCEPT"
    assert find(m.tree, "NFTA_RULE_HANDLE").value == 4


def test_nft_jump_verdict_chain_and_batch(registry):
    jump = expr("immediate", nla(1, be32(0)),
                nest(2, nest(2, nla(1, be32(-3)), nla(2, b"other\0"))))
    rule = nlmsg(0xA06, 0x405, 4, 0, nfgen(2) + nla(1, b"t\0") + nla(2, b"c\0") + nest(4, jump))
    chain = nlmsg(0xA03, 0x405, 5, 0, nfgen(1) + nla(1, b"nls\0") + nla(3, b"input\0")
                  + nest(4, nla(1, be32(1)), nla(2, be32(-150))) + nla(5, be32(1)) + nla(7, b"filter\0"))
    begin = nlmsg(0x10, 0x1, 1, 0, nfgen(0, NFNL_SUBSYS_NFTABLES))
    end = nlmsg(0x11, 0x1, 6, 0, nfgen(0, NFNL_SUBSYS_NFTABLES))
    gen = nlmsg(0xA0F, 0, 6, 0, nfgen(0) + nla(1, be32(12)) + nla(2, be32(300)) + nla(3, b"nft\0"))
    msgs = decode(registry, begin, rule, chain, end, gen)
    assert [m.type_name for m in msgs] == ["NFNL_MSG_BATCH_BEGIN", "NFT_MSG_NEWRULE", "NFT_MSG_NEWCHAIN",
                                          "NFNL_MSG_BATCH_END", "NFT_MSG_NEWGEN"]
    assert msgs[0].summary == "NFNL_MSG_BATCH_BEGIN nftables"
    assert msgs[1].summary == "NFT_MSG_NEWRULE ip t c: jump other"
    assert find(msgs[1].tree, "NFTA_VERDICT_CODE").meta == "NFT_JUMP"
    assert "CREATE" in msgs[1].flag_names
    assert msgs[2].summary == "NFT_MSG_NEWCHAIN inet nls input type filter hook input priority -150 policy accept"
    assert find(msgs[2].tree, "NFTA_HOOK_PRIORITY").value == -150  # signed (issue 14)
    assert msgs[4].summary == "NFT_MSG_NEWGEN id 12 pid 300 comm nft"


def test_nft_set_and_elements(registry):
    s = nlmsg(0xA09, 0x405, 1, 0, nfgen(1) + nla(1, b"nls\0") + nla(2, b"blocked\0")
              + nla(3, be32(0x4)) + nla(4, be32(7)) + nla(5, be32(4)) + nla(10, be32(1)))
    el = nest(1, nest(1, nla(1, bytes([192, 0, 2, 0]))))
    el_end = nest(1, nest(1, nla(1, bytes([192, 0, 3, 0]))), nla(3, be32(1)))
    vmap = nest(1, nest(1, nla(1, be16(22) + b"\0\0")), nest(2, nest(2, nla(1, be32(1)))))
    e = nlmsg(0xA0C, 0x405, 2, 0, nfgen(1) + nla(1, b"nls\0") + nla(2, b"blocked\0")
              + nest(3, el, el_end, vmap))
    m1, m2 = decode(registry, s, e)
    assert m1.summary == "NFT_MSG_NEWSET inet nls blocked type ipv4_addr flags interval"
    assert m2.summary == ("NFT_MSG_NEWSETELEM inet nls blocked "
                          "{ 0xc0000200, 0xc0000300 (end), 0x00160000 : accept }")
    assert find(m2.tree, "NFTA_SET_ELEM_FLAGS").meta == ["NFT_SET_ELEM_INTERVAL_END"]


def test_nft_table_dump_and_error_original(registry):
    req = nlmsg(0xA01, 0x301, 8, 0, nfgen(0))
    table = nlmsg(0xA00, 0x2, 8, 555, nfgen(1) + nla(1, b"nls\0") + nla(2, be32(0)) + nla(3, be32(2))
                  + nla(4, be64(3)))
    bad = nlmsg(0xA06, 0x405, 9, 0, nfgen(1) + nla(1, b"nls\0") + nla(2, b"nosuchchain\0"))
    err = nlmsg(2, 0, 9, 555, struct.pack("<i", -2) + bad)
    m1, m2, m3 = decode(registry, req, table, err)
    assert m1.summary == "NFT_MSG_GETTABLE unspec dump"
    assert m2.summary == "NFT_MSG_NEWTABLE inet nls handle 3"
    assert m3.summary == "error -2 ENOENT to NFT_MSG_NEWRULE seq 9"
    assert find(m3.tree, "NFTA_RULE_CHAIN").value == "nosuchchain"


def test_nfqueue_and_nflog(registry):
    pkt = nlmsg(0x300, 0, 0, 0, nfgen(2, 3) + nla(1, be32(7) + be16(0x0800) + b"\x01")
                + nla(3, be32(5)) + nla(10, b"E" * 20))
    verdict = nlmsg(0x301, 0x1, 1, 0, nfgen(0, 3) + nla(2, be32(1) + be32(7)))
    log = nlmsg(0x400, 0, 0, 0, nfgen(2, 1) + nla(1, be16(0x0800) + b"\x03\0") + nla(10, b"DROP: \0"))
    m1, m2, m3 = decode(registry, pkt, verdict, log)
    assert m1.summary == "NFQNL_MSG_PACKET queue 3 id 7 hook NF_INET_LOCAL_IN len 20"
    assert find(m1.tree, "hw_protocol").value == 0x0800
    assert m2.summary == "NFQNL_MSG_VERDICT queue 3 id 7 NF_ACCEPT"
    assert m3.summary == 'NFULNL_MSG_PACKET ip group 1 prefix "DROP: " hook NF_INET_LOCAL_OUT'


def test_ipset_add(registry):
    net = 0x4000
    ip = nla(1 | 0x8000, nla(1 | net, bytes([192, 0, 2, 5])))
    data = nla(7 | 0x8000, ip + nla(3, b"\x20") + nla(6 | net, be32(600)))
    add = nlmsg(0x609, 0x5, 1, 0, nfgen(2) + nla(1, b"\x07") + nla(2, b"myset\0") + data)
    (m,) = decode(registry, add)
    assert m.type_name == "IPSET_CMD_ADD"
    assert m.summary == "IPSET_CMD_ADD myset 192.0.2.5/32"
    assert find(m.tree, "IPSET_ATTR_TIMEOUT").value == 600
    assert find(m.tree, "IPSET_ATTR_IPADDR_IPV4").value == "192.0.2.5"


@pytest.mark.parametrize("mtype,name", [
    (0x200, "IPCTNL_MSG_EXP_NEW"), (0x801, "IPCTNL_MSG_TIMEOUT_GET"), (0x900, "NFNL_MSG_CTHELPER_NEW"),
    (0x700, "NFNL_MSG_ACCT_NEW"), (0xB00, "NFNL_MSG_COMPAT_GET"), (0xC00, "NFNL_MSG_HOOK_GET"),
    (0x500, "OSF_MSG_ADD"), (0xA11, "NFT_MSG_TRACE"), (0xA1A, "NFT_MSG_DESTROYTABLE"),
    (0x302, "NFQNL_MSG_CONFIG"), (0x401, "NFULNL_MSG_CONFIG"), (0x60D, "IPSET_CMD_TYPE")])
def test_every_subsystem_named(registry, mtype, name):
    (m,) = decode(registry, nlmsg(mtype, 0x1, 1, 0, nfgen(2)))
    assert m.type_name == name
    assert m.summary.startswith(name)


def test_legacy_nflog_protocol(registry):
    (m,) = decode(registry, nlmsg(111, 0, 0, 0, b"\0" * 8), proto=5)
    assert m.type_name == "ULOG_NL_EVENT"
