"""rtnetlink on hand-built messages: the hard cases real traffic seldom shows all at once
(multipath with per-nexthop encap, link kinds, metrics, af_spec, tc options per kind,
short dump requests), each checked by name, value and Info-column summary.

The bytes are laid out here from the UAPI structs with struct.pack, not with nlscope's
tables, so a wrong table shows up as a wrong name or value.
"""
from __future__ import annotations

import struct

import pytest
from fixtures.make_fixtures import nla, nlmsg

from nlscope.decode.decoder import Decoder
from nlscope.output.export import message_to_json
from nlscope.capture.frame import Frame
from nlscope.decode.nla import walk_attrs
from nlscope.decode.registry import default_registry

REQ, ACK, DUMP, MULTI = 0x1, 0x4, 0x300, 0x2
CREATE_EXCL = 0x600


@pytest.fixture(scope="module")
def reg():
    return default_registry(entry_points=False)


def decode(reg, *msgs: bytes):
    fr = Frame(1, 0, 0, bytes(16) + b"".join(msgs))
    return list(Decoder(reg).messages([fr]))


def one(reg, mtype: int, flags: int, body: bytes):
    (m,) = decode(reg, nlmsg(mtype, flags, 7, 0 if flags & REQ else 4242, body))
    return m


def payload(m):
    return message_to_json(m)["payload"]


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def s32(v): return struct.pack("<i", v)
def u64(v): return struct.pack("<Q", v)
def be16(v): return struct.pack(">H", v)
def ip4(s): return bytes(int(x) for x in s.split("."))
def mac(s): return bytes.fromhex(s.replace(":", ""))
def nest(t, *attrs): return nla(t, b"".join(attrs), nested=True)
def string(s): return s.encode() + b"\0"


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def ifinfomsg(family=0, ifi_type=1, index=0, flags=0, change=0):
    return struct.pack("<BxHiII", family, ifi_type, index, flags, change)


def ifaddrmsg(family, plen, flags, scope, index):
    return struct.pack("<BBBBI", family, plen, flags, scope, index)


def rtmsg(family=2, dst_len=0, src_len=0, tos=0, table=254, proto=3, scope=0, rtype=1, flags=0):
    return struct.pack("<BBBBBBBBI", family, dst_len, src_len, tos, table, proto, scope, rtype, flags)


def tcmsg(index, handle, parent, info=0):
    return struct.pack("<BxxxiIII", 0, index, handle, parent, info)


def rtnexthop(ifindex, hops, attrs=b"", flags=0):
    return struct.pack("<HBBi", 8 + len(attrs), flags, hops, ifindex) + attrs


# -- every type, and the short requests the kernel accepts --------------------------------

def test_every_rtm_type_has_a_header_and_a_summary(reg):
    proto = reg.get(0)
    assert len(proto.messages) == 71  # every RTM_* of linux/rtnetlink.h (6.12)
    for mtype, spec in proto.messages.items():
        m = one(reg, mtype, 0, bytes(spec.header.size))
        assert m.type_name == spec.name and not m.problems, (spec.name, m.problems)
        assert m.summary.startswith(spec.name + " ") and len(m.summary) > len(spec.name) + 2, m.summary
        assert payload(m)[spec.header.name], spec.name


@pytest.mark.parametrize("mtype,name", [(18, "RTM_GETLINK"), (22, "RTM_GETADDR"), (26, "RTM_GETROUTE"),
                                        (30, "RTM_GETNEIGH"), (34, "RTM_GETRULE"), (38, "RTM_GETQDISC"),
                                        (66, "RTM_GETNEIGHTBL"), (106, "RTM_GETNEXTHOP")])
def test_one_byte_rtgenmsg_dump_request_is_not_malformed(reg, mtype, name):
    m = one(reg, mtype, REQ | DUMP, bytes([10]))  # AF_INET6 only, as old tools send it
    assert not m.problems
    assert payload(m)["rtgenmsg"] == {"rtgen_family": {"name": "AF_INET6", "value": 10}}
    assert m.summary == f"{name} dump inet6"


def test_padded_rtgenmsg_then_attributes(reg):
    # rtgenmsg(AF_PACKET) padded to 4, then IFLA_EXT_MASK: what `ip link` sent for years.
    m = one(reg, 18, REQ | DUMP, bytes([17, 0, 0, 0]) + nla(29, u32(1)))
    assert not m.problems
    assert payload(m)["attributes"]["IFLA_EXT_MASK"] == {"value": 1, "names": ["RTEXT_FILTER_VF"]}
    assert m.summary == "RTM_GETLINK dump link"


def test_short_dump_request_followed_by_junk_keeps_the_bytes(reg):
    m = one(reg, 18, REQ | DUMP, bytes([0, 0, 0, 0, 0xff, 0xff]))
    assert not m.problems and payload(m)["data"] == "ffff"


def test_short_non_dump_request_is_malformed(reg):
    m = one(reg, 18, REQ, bytes([0, 0, 1, 0]))  # RTM_GETLINK by index needs a whole ifinfomsg
    assert m.problems == ["ifinfomsg: needs 16 bytes, message has 4"]


def test_empty_rtnetlink_request_is_flagged(reg):
    m = one(reg, 18, REQ | DUMP, b"")
    assert m.problems and "family" in m.problems[0]


def test_full_header_dump_request(reg):
    m = one(reg, 22, REQ | DUMP, ifaddrmsg(2, 0, 0, 0, 3))
    assert not m.problems and m.summary == "RTM_GETADDR dump inet dev 3"


# -- links -----------------------------------------------------------------------------------

def newlink(reg, *attrs, flags=0x11043, index=2, family=0, msg_flags=0):
    return one(reg, 16, msg_flags, ifinfomsg(family, 1, index, flags) + b"".join(attrs))


def test_link_header_flags_type_and_summary(reg):
    m = newlink(reg, nla(3, string("eth0")), nla(4, u32(1500)), nla(16, u8(6)), nla(17, u8(0)),
                nla(1, mac("52:54:00:12:34:56")), nla(6, string("fq_codel")))
    p = payload(m)
    assert p["ifinfomsg"]["ifi_type"] == {"name": "ARPHRD_ETHER", "value": 1}
    assert p["ifinfomsg"]["ifi_flags"]["names"] == ["IFF_UP", "IFF_BROADCAST", "IFF_RUNNING",
                                                    "IFF_MULTICAST", "IFF_LOWER_UP"]
    assert p["attributes"]["IFLA_OPERSTATE"] == {"name": "IF_OPER_UP", "value": 6}
    assert p["attributes"]["IFLA_LINKMODE"] == {"name": "IF_LINK_MODE_DEFAULT", "value": 0}
    assert m.summary == ("RTM_NEWLINK 2: eth0 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel "
                         "state UP link/ether 52:54:00:12:34:56")


def test_link_set_up_request(reg):
    m = one(reg, 16, REQ | ACK, ifinfomsg(0, 0, 3, 1, 1))
    assert m.summary == "RTM_NEWLINK dev 3 up"
    m = one(reg, 16, REQ | ACK, ifinfomsg(0, 0, 3, 0, 0x101))
    assert m.summary == "RTM_NEWLINK dev 3 promisc off down"


def test_veth_peer_is_a_whole_link(reg):
    peer = ifinfomsg(0, 0, 0) + nla(3, string("veth1"))
    m = one(reg, 16, REQ | ACK | CREATE_EXCL, ifinfomsg() + nla(3, string("veth0")) + nest(
        18, nla(1, string("veth")), nest(2, nla(1, peer, nested=True))))
    info = payload(m)["attributes"]["IFLA_LINKINFO"]
    assert info["IFLA_INFO_KIND"] == "veth"
    peer_j = info["IFLA_INFO_DATA"]["VETH_INFO_PEER"]
    assert peer_j["ifinfomsg"]["ifi_index"] == 0 and peer_j["attributes"] == {"IFLA_IFNAME": "veth1"}
    assert not m.problems and m.summary == "RTM_NEWLINK veth0 type veth peer veth1"


def test_bridge_info_data(reg):
    m = newlink(reg, nla(3, string("br0")), nest(18, nla(1, string("bridge")), nest(
        2, nla(1, u32(1500)), nla(6, u16(32768)), nla(7, u8(1)), nla(8, be16(0x8100)),
        nla(10, be16(0x8000) + mac("02:00:00:00:00:01")), nla(16, u64(1234)),
        nla(20, mac("01:80:c2:00:00:00")), nla(46, u32(2) + u32(7)))))
    d = payload(m)["attributes"]["IFLA_LINKINFO"]["IFLA_INFO_DATA"]
    assert d["IFLA_BR_FORWARD_DELAY"] == 1500 and d["IFLA_BR_PRIORITY"] == 32768
    assert d["IFLA_BR_VLAN_FILTERING"] == 1
    assert d["IFLA_BR_VLAN_PROTOCOL"] == {"name": "ETH_P_8021Q", "value": 0x8100}
    assert d["IFLA_BR_ROOT_ID"] == {"prio": 0x8000, "addr": "02:00:00:00:00:01"}
    assert d["IFLA_BR_HELLO_TIMER"] == 1234 and d["IFLA_BR_GROUP_ADDR"] == "01:80:c2:00:00:00"
    assert d["IFLA_BR_MULTI_BOOLOPT"]["optval"]["names"] == ["BR_BOOLOPT_MCAST_VLAN_SNOOPING"]
    assert not m.problems


def test_vlan_info_data(reg):
    m = newlink(reg, nla(3, string("eth0.100")), nla(5, u32(2)), nest(18, nla(1, string("vlan")), nest(
        2, nla(5, be16(0x88A8)), nla(1, u16(100)), nla(2, u32(1) + u32(0xFFFFFFFF)),
        nest(3, nla(1, u32(1) + u32(5))))))
    d = payload(m)["attributes"]["IFLA_LINKINFO"]["IFLA_INFO_DATA"]
    assert d["IFLA_VLAN_ID"] == 100
    assert d["IFLA_VLAN_PROTOCOL"] == {"name": "ETH_P_8021AD", "value": 0x88A8}
    assert d["IFLA_VLAN_FLAGS"]["flags"]["names"] == ["VLAN_FLAG_REORDER_HDR"]
    assert d["IFLA_VLAN_EGRESS_QOS"] == {"IFLA_VLAN_QOS_MAPPING": {"from": 1, "to": 5}}
    assert "type vlan id 100" in m.summary


def test_vxlan_info_data_request_and_reply(reg):
    data = [nla(1, u32(42)), nla(2, ip4("239.1.1.1")), nla(4, ip4("192.0.2.1")), nla(15, be16(4789)),
            nla(10, be16(1000) + be16(2000)), nla(29, u8(2))]
    req = one(reg, 16, REQ | ACK, ifinfomsg() + nla(3, string("vxlan42")) + nest(
        18, nla(1, string("vxlan")), nest(2, *data, nla(28, b""))))
    rep = newlink(reg, nla(3, string("vxlan42")),
                  nest(18, nla(1, string("vxlan")), nest(2, *data, nla(28, u8(1)))))
    for m, inherit in ((req, True), (rep, 1)):
        d = payload(m)["attributes"]["IFLA_LINKINFO"]["IFLA_INFO_DATA"]
        assert d["IFLA_VXLAN_ID"] == 42 and d["IFLA_VXLAN_GROUP"] == "239.1.1.1"
        assert d["IFLA_VXLAN_LOCAL"] == "192.0.2.1" and d["IFLA_VXLAN_PORT"] == 4789
        assert d["IFLA_VXLAN_PORT_RANGE"] == {"low": 1000, "high": 2000}
        assert d["IFLA_VXLAN_DF"] == {"name": "VXLAN_DF_INHERIT", "value": 2}
        assert d["IFLA_VXLAN_TTL_INHERIT"] == inherit
        assert not m.problems and "type vxlan id 42 dstport 4789" in m.summary


@pytest.mark.parametrize("kind", ["dummy", "wireguard"])
def test_kinds_without_info_data(reg, kind):
    m = newlink(reg, nla(3, string(kind + "0")), nest(18, nla(1, string(kind))))
    assert payload(m)["attributes"]["IFLA_LINKINFO"] == {"IFLA_INFO_KIND": kind}
    assert m.summary.endswith(f"type {kind}")


def test_bridge_port_slave_data(reg):
    m = newlink(reg, nla(3, string("veth1")), nla(10, u32(6)), nest(
        18, nla(1, string("veth")), nla(4, string("bridge")),
        nest(5, nla(1, u8(3)), nla(2, u16(32)), nla(3, u32(2)), nla(13, be16(0x8000) + mac("02:00:00:00:00:01")))))
    s = payload(m)["attributes"]["IFLA_LINKINFO"]["IFLA_INFO_SLAVE_DATA"]
    assert s["IFLA_BRPORT_STATE"] == {"name": "BR_STATE_FORWARDING", "value": 3}
    assert s["IFLA_BRPORT_PRIORITY"] == 32 and s["IFLA_BRPORT_COST"] == 2
    assert "master 6" in m.summary and "bridge_slave" in m.summary


def test_link_stats_structs(reg):
    s64 = b"".join(u64(i + 1) for i in range(25))
    s32 = b"".join(u32(100 + i) for i in range(24))
    old64 = b"".join(u64(i + 1) for i in range(24))  # a 5.x kernel: no rx_otherhost_dropped
    m = newlink(reg, nla(23, s64), nla(7, s32))
    a = payload(m)["attributes"]
    assert a["IFLA_STATS64"]["rx_packets"] == 1 and a["IFLA_STATS64"]["rx_otherhost_dropped"] == 25
    assert a["IFLA_STATS64"]["tx_window_errors"] == 21
    assert a["IFLA_STATS"]["tx_bytes"] == 103 and a["IFLA_STATS"]["rx_nohandler"] == 123
    m = newlink(reg, nla(23, old64))
    assert not m.problems and "rx_otherhost_dropped" not in payload(m)["attributes"]["IFLA_STATS64"]


def test_prop_list_and_alt_ifnames(reg):
    m = newlink(reg, nla(3, string("eth0")), nest(52, nla(53, string("enp0s1")), nla(53, string("lan"))))
    assert payload(m)["attributes"]["IFLA_PROP_LIST"] == {"IFLA_ALT_IFNAME": ["enp0s1", "lan"]}
    m = one(reg, 108, REQ | ACK, ifinfomsg(0, 0, 2) + nest(52, nla(53, string("lan"))))
    assert m.summary == "RTM_NEWLINKPROP 2: altname lan"


def test_af_spec_inet_and_inet6(reg):
    conf4 = b"".join(u32(i) for i in range(1, 34))  # IPV4_DEVCONF_1..33, value = index
    conf6 = b"".join(s32(v) for v in [1, 64, 1500] + [0] * 56)
    stats6 = b"".join(u64(v) for v in [38, 7] + [0] * 36)
    m = newlink(reg, nest(26, nest(2, nla(1, conf4)), nest(
        10, nla(1, u32(0x80000000)), nla(5, u32(1280) + u32(5) + u32(30000) + u32(1000)),
        nla(2, conf6), nla(3, stats6), nla(7, ip6("::1")), nla(8, u8(1)))))
    af = payload(m)["attributes"]["IFLA_AF_SPEC"]
    inet = af["AF_INET"]["IFLA_INET_CONF"]
    assert inet["IPV4_DEVCONF_FORWARDING"] == 1 and inet["IPV4_DEVCONF_RP_FILTER"] == 8
    assert inet["IPV4_DEVCONF_ARP_EVICT_NOCARRIER"] == 33
    i6 = af["AF_INET6"]
    assert i6["IFLA_INET6_FLAGS"] == {"value": 0x80000000, "names": ["IF_READY"]}
    assert i6["IFLA_INET6_CACHEINFO"]["max_reasm_len"] == 1280
    assert i6["IFLA_INET6_CONF"]["DEVCONF_HOPLIMIT"] == 64 and i6["IFLA_INET6_CONF"]["DEVCONF_MTU6"] == 1500
    assert i6["IFLA_INET6_STATS"]["IPSTATS_MIB_NUM"] == 38 and i6["IFLA_INET6_STATS"]["IPSTATS_MIB_INPKTS"] == 7
    assert i6["IFLA_INET6_TOKEN"] == "::1"
    assert i6["IFLA_INET6_ADDR_GEN_MODE"] == {"name": "IN6_ADDR_GEN_MODE_NONE", "value": 1}
    assert not m.problems


def test_af_bridge_message_spec_and_protinfo(reg):
    # `bridge vlan show` / `bridge link`: family AF_BRIDGE; IFLA_BRIDGE_FLAGS is type 0.
    m = newlink(reg, nla(3, string("veth1")), nla(10, u32(6)), nest(
        26, nla(0, u16(2)), nla(2, u16(6) + u16(1)), nla(2, u16(0) + u16(100))),
        nest(12, nla(1, u8(3)), nla(8, u8(1))), family=7)
    a = payload(m)["attributes"]
    assert a["IFLA_AF_SPEC"]["IFLA_BRIDGE_FLAGS"] == {"value": 2, "names": ["BRIDGE_FLAGS_SELF"]}
    assert a["IFLA_AF_SPEC"]["IFLA_BRIDGE_VLAN_INFO"][0] == {
        "flags": {"value": 6, "names": ["BRIDGE_VLAN_INFO_PVID", "BRIDGE_VLAN_INFO_UNTAGGED"]}, "vid": 1}
    assert a["IFLA_PROTINFO"] == {"IFLA_BRPORT_STATE": {"name": "BR_STATE_FORWARDING", "value": 3},
                                  "IFLA_BRPORT_LEARNING": 1}
    assert m.summary.endswith("vlan 1,100")


# -- addresses ---------------------------------------------------------------------------

def test_address_summary_and_cacheinfo(reg):
    m = one(reg, 20, 0, ifaddrmsg(2, 24, 0x80, 0, 2) + nla(1, ip4("10.0.0.1")) + nla(2, ip4("10.0.0.1"))
            + nla(6, u32(0xFFFFFFFF) * 2 + u32(100) + u32(200)) + nla(8, u32(0x80)))
    a = payload(m)["attributes"]
    assert a["IFA_CACHEINFO"] == {"ifa_prefered": 0xFFFFFFFF, "ifa_valid": 0xFFFFFFFF, "cstamp": 100, "tstamp": 200}
    assert a["IFA_FLAGS"] == {"value": 0x80, "names": ["IFA_F_PERMANENT"]}
    assert m.summary == "RTM_NEWADDR 10.0.0.1/24 dev 2 scope global"


def test_address_ipv6_flags_peer_and_label(reg):
    m = one(reg, 20, 0, ifaddrmsg(10, 64, 0, 253, 3) + nla(1, ip6("fe80::1")) + nla(8, u32(0x202)))
    assert m.summary == "RTM_NEWADDR fe80::1/64 dev 3 scope link nodad noprefixroute"
    m = one(reg, 20, 0, ifaddrmsg(2, 32, 0, 0, 4) + nla(2, ip4("10.1.0.1")) + nla(1, ip4("10.1.0.2"))
            + nla(3, string("ppp0")))
    assert m.summary == "RTM_NEWADDR 10.1.0.1 peer 10.1.0.2/32 dev 4 scope global label ppp0"


# -- routes ------------------------------------------------------------------------------

def test_route_summary_as_ip_route_prints_it(reg):
    m = one(reg, 24, 0, rtmsg(dst_len=16) + nla(15, u32(254)) + nla(1, ip4("10.10.0.0"))
            + nla(6, u32(50)) + nla(5, ip4("10.9.0.254")) + nla(4, u32(3)))
    assert m.summary == "RTM_NEWROUTE 10.10.0.0/16 via 10.9.0.254 oif 3 metric 50 table main"
    p = payload(m)
    assert p["rtmsg"]["rtm_protocol"] == {"name": "RTPROT_BOOT", "value": 3}
    assert p["attributes"]["RTA_TABLE"] == {"name": "RT_TABLE_MAIN", "value": 254}


def test_multipath_with_per_nexthop_encap(reg):
    encap = nest(22, nla(1, struct.pack(">II", 100 << 12, (200 << 12) | 0x100)))  # label stack 100/200
    mp = rtnexthop(2, 0, nla(5, ip4("10.0.0.1"))) + rtnexthop(3, 2, nla(5, ip4("10.0.0.2")) + encap + nla(21, u16(1)),
                                                               flags=4)
    m = one(reg, 24, REQ | ACK | CREATE_EXCL, rtmsg(dst_len=24) + nla(1, ip4("203.0.113.0")) + nla(9, mp))
    assert not m.problems
    hops = payload(m)["attributes"]["RTA_MULTIPATH"]
    assert hops[0] == {"rtnexthop": {"rtnh_len": 16, "rtnh_flags": {"value": 0, "names": []}, "rtnh_hops": 0,
                                     "rtnh_ifindex": 2}, "attributes": {"RTA_GATEWAY": "10.0.0.1"}}
    assert hops[1]["rtnexthop"]["rtnh_flags"]["names"] == ["RTNH_F_ONLINK"]
    assert hops[1]["attributes"]["RTA_ENCAP_TYPE"] == {"name": "LWTUNNEL_ENCAP_MPLS", "value": 1}
    assert hops[1]["attributes"]["RTA_ENCAP"] == {"MPLS_IPTUNNEL_DST": [100, 200]}
    assert m.summary == ("RTM_NEWROUTE 203.0.113.0/24 table main nexthop via 10.0.0.1 oif 2 weight 1 "
                         "nexthop via 10.0.0.2 oif 3 encap mpls 100/200 weight 3")


def test_multipath_with_bad_rtnh_len_is_a_problem_not_a_crash(reg):
    m = one(reg, 24, 0, rtmsg(dst_len=24) + nla(9, struct.pack("<HBBi", 200, 0, 0, 2)))
    assert m.problems and "rtnh_len 200" in m.problems[0]


def test_metrics(reg):
    m = one(reg, 24, 0, rtmsg(dst_len=0) + nest(8, nla(1, u32(1 << 2)), nla(2, u32(1400)),
                                                nla(16, string("bbr")), nla(12, u32(1)), nla(10, u32(64))))
    x = payload(m)["attributes"]["RTA_METRICS"]
    assert x["RTAX_LOCK"] == {"value": 4, "names": ["RTAX_MTU"]}
    assert x["RTAX_MTU"] == 1400 and x["RTAX_CC_ALGO"] == "bbr" and x["RTAX_HOPLIMIT"] == 64
    assert x["RTAX_FEATURES"] == {"value": 1, "names": ["RTAX_FEATURE_ECN"]}
    assert m.summary == "RTM_NEWROUTE default table main mtu lock 1400 hoplimit 64 features ecn congctl bbr"


def test_encap_ip_before_its_type_and_other_route_attributes(reg):
    ci = struct.pack("<IIiIIIII", 0, 10, -1, 0, 5, 0, 0, 0)
    m = one(reg, 24, 0, rtmsg(family=10, dst_len=64, table=252, proto=4, scope=0)
            + nla(1, ip6("2001:db8::")) + nest(22, nla(2, ip4("192.0.2.9")), nla(4, u8(64))) + nla(21, u16(2))
            + nla(15, u32(100)) + nla(20, u8(1)) + nla(12, ci) + nla(4, u32(5)))
    a = payload(m)["attributes"]
    assert a["RTA_ENCAP"] == {"LWTUNNEL_IP_DST": "192.0.2.9", "LWTUNNEL_IP_TTL": 64}
    assert a["RTA_PREF"] == {"name": "ICMPV6_ROUTER_PREF_HIGH", "value": 1}
    assert a["RTA_CACHEINFO"]["rta_expires"] == -1 and a["RTA_CACHEINFO"]["rta_used"] == 5
    assert m.summary == "RTM_NEWROUTE 2001:db8::/64 oif 5 encap ip table 100 proto static pref high"


def test_mpls_route(reg):
    via = u16(2) + ip4("10.0.0.1")  # struct rtvia: AF_INET, then the address
    m = one(reg, 24, 0, rtmsg(family=28, dst_len=20, table=254, proto=4)
            + nla(1, struct.pack(">I", (17 << 12) | 0x100)) + nla(19, struct.pack(">I", (18 << 12) | 0x100))
            + nla(18, via) + nla(4, u32(2)))
    a = payload(m)["attributes"]
    assert a["RTA_DST"] == [17] and a["RTA_NEWDST"] == [18]
    assert a["RTA_VIA"] == {"rtvia_family": {"name": "AF_INET", "value": 2}, "rtvia_addr": "10.0.0.1"}
    assert m.summary == "RTM_NEWROUTE 17 as to 18 via inet 10.0.0.1 oif 2 table main proto static"


def test_route_types_and_host_routes(reg):
    m = one(reg, 24, 0, rtmsg(dst_len=15, rtype=6) + nla(1, ip4("198.18.0.0")))
    assert m.summary == "RTM_NEWROUTE blackhole 198.18.0.0/15 table main"
    m = one(reg, 24, 0, rtmsg(dst_len=32, table=255, proto=2, scope=254, rtype=2) + nla(1, ip4("192.0.2.1"))
            + nla(7, ip4("192.0.2.1")) + nla(4, u32(3)))
    assert m.summary == "RTM_NEWROUTE local 192.0.2.1 oif 3 table local proto kernel scope host src 192.0.2.1"


# -- neighbours, rules, nexthops ----------------------------------------------------------------

def ndmsg(family, index, state, flags=0, ntype=1):
    return struct.pack("<BxxxiHBB", family, index, state, flags, ntype)


def test_neighbour(reg):
    m = one(reg, 28, 0, ndmsg(2, 2, 0x02) + nla(1, ip4("10.0.0.2")) + nla(2, mac("52:54:00:00:00:02"))
            + nla(3, u32(1) * 4) + nla(4, u32(0)))
    assert m.summary == "RTM_NEWNEIGH 10.0.0.2 lladdr 52:54:00:00:00:02 dev 2 REACHABLE"
    h = payload(m)["ndmsg"]
    assert h["ndm_state"] == {"value": 2, "names": ["NUD_REACHABLE"]} and h["ndm_type"]["name"] == "RTN_UNICAST"
    m = one(reg, 28, 0, ndmsg(10, 2, 0x04, 0x80) + nla(1, ip6("fe80::1")) + nla(2, mac("02:00:00:00:00:01")))
    assert m.summary == "RTM_NEWNEIGH fe80::1 lladdr 02:00:00:00:00:01 dev 2 STALE router"


def test_bridge_fdb_entry(reg):
    m = one(reg, 28, 0, ndmsg(7, 4, 0x40, 0x04) + nla(2, mac("02:00:00:00:00:aa")) + nla(5, u16(1))
            + nla(9, u32(6)))
    assert m.summary == "RTM_NEWNEIGH 02:00:00:00:00:aa dev 4 vlan 1 master 6 NOARP master"


def test_rule(reg):
    hdr = struct.pack("<BBBBBBBBI", 2, 0, 24, 0, 0, 0, 0, 1, 0)
    m = one(reg, 32, REQ | ACK | CREATE_EXCL, hdr + nla(2, ip4("192.0.2.0")) + nla(6, u32(1000)) + nla(15, u32(100)))
    assert m.summary == "RTM_NEWRULE 1000: from 192.0.2.0/24 lookup 100"
    hdr = struct.pack("<BBBBBBBBI", 2, 0, 0, 0, 254, 0, 0, 1, 2)
    m = one(reg, 32, 0, hdr + nla(10, u32(0x10)) + nla(16, u32(0xff)) + nla(21, u8(4))
            + nla(23, u16(1000) + u16(2000)))
    p = payload(m)
    assert p["fib_rule_hdr"]["action"] == {"name": "FR_ACT_TO_TBL", "value": 1}
    assert p["fib_rule_hdr"]["flags"]["names"] == ["FIB_RULE_INVERT"]
    assert p["attributes"]["FRA_SPORT_RANGE"] == {"start": 1000, "end": 2000}
    assert m.summary == "RTM_NEWRULE 0: not from all fwmark 0x10/0xff sport 1000-2000 lookup main proto static"


def test_nexthops(reg):
    nhmsg = struct.pack("<BBBxI", 2, 253, 4, 0)
    m = one(reg, 104, 0, nhmsg + nla(1, u32(1)) + nla(6, ip4("192.0.2.254")) + nla(5, u32(3)))
    assert m.summary == "RTM_NEWNEXTHOP id 1 via 192.0.2.254 oif 3 scope link proto static"
    grp = struct.pack("<IBBxx", 1, 0, 0) + struct.pack("<IBBxx", 2, 2, 0)
    m = one(reg, 104, 0, struct.pack("<BBBxI", 0, 0, 4, 0) + nla(1, u32(3)) + nla(2, grp) + nla(3, u16(0)))
    assert payload(m)["attributes"]["NHA_GROUP"][1] == {"id": 2, "weight": 2, "weight_high": 0}
    assert m.summary == "RTM_NEWNEXTHOP id 3 group 1/2,3 proto static"


# -- netconf, nsid, prefix, stats ------------------------------------------------------------------

def test_netconf(reg):
    m = one(reg, 80, 0, bytes([2, 0, 0, 0]) + nla(1, s32(-1)) + nla(2, s32(1)) + nla(3, s32(2)))
    assert payload(m)["attributes"]["NETCONFA_IFINDEX"] == {"name": "NETCONFA_IFINDEX_ALL", "value": -1}
    assert m.summary == "RTM_NEWNETCONF ipv4 all forwarding on rp_filter loose"


def test_nsid(reg):
    m = one(reg, 88, 0, bytes([0, 0, 0, 0]) + nla(1, s32(5)) + nla(5, s32(-1)))
    assert m.summary == "RTM_NEWNSID nsid 5 current-nsid -1"
    m = one(reg, 90, REQ, bytes([0, 0, 0, 0]) + nla(3, u32(9)))
    assert m.summary == "RTM_GETNSID fd 9"


def test_prefix(reg):
    m = one(reg, 52, 0, struct.pack("<BxxxiBBBx", 10, 2, 3, 64, 3) + nla(1, ip6("2001:db8::"))
            + nla(2, u32(604800) + u32(2592000)))
    assert payload(m)["prefixmsg"]["prefix_type"] == {"name": "ND_OPT_PREFIX_INFO", "value": 3}
    assert m.summary == "RTM_NEWPREFIX 2001:db8::/64 dev 2 onlink autoconf valid 2592000 preferred 604800"


def test_link_stats_message(reg):
    m = one(reg, 94, REQ | DUMP, struct.pack("<BxxxII", 0, 0, 1))
    assert payload(m)["if_stats_msg"]["filter_mask"]["names"] == ["IFLA_STATS_LINK_64"]
    assert m.summary == "RTM_GETSTATS dump LINK_64"
    s64 = b"".join(u64(v) for v in [10, 5, 1000, 500] + [0] * 21)
    m = one(reg, 92, 0, struct.pack("<BxxxII", 0, 2, 1) + nla(1, s64))
    assert m.summary == "RTM_NEWSTATS dev 2 rx 10 pkts 1000 bytes tx 5 pkts 500 bytes"


# -- traffic control -------------------------------------------------------------------------------

def ratespec(rate):
    return struct.pack("<BBHhHI", 0, 1, 0, -1, 0, rate)


def test_qdisc_summary(reg):
    m = one(reg, 36, 0, tcmsg(2, 0x10000, 0xFFFFFFFF) + nla(1, string("htb")))
    assert m.summary == "RTM_NEWQDISC dev 2 htb 1: root"
    p = payload(m)["tcmsg"]
    assert p["tcm_handle"] == {"name": "1:", "value": 0x10000} and p["tcm_parent"]["name"] == "root"


def test_htb_options_qdisc_and_class(reg):
    glob = struct.pack("<IIIII", 3, 10, 0x10, 0, 0)
    m = one(reg, 36, REQ | ACK | CREATE_EXCL, tcmsg(2, 0x10000, 0xFFFFFFFF) + nla(1, string("htb"))
            + nest(2, nla(2, glob), nla(5, u32(1000))))
    o = payload(m)["attributes"]["TCA_OPTIONS"]
    assert o["TCA_HTB_INIT"] == {"version": 3, "rate2quantum": 10, "defcls": 16, "debug": 0, "direct_pkts": 0}
    assert m.summary == "RTM_NEWQDISC dev 2 htb 1: root r2q 10 default 0x10"
    parms = ratespec(1250000) + ratespec(12500000) + struct.pack("<IIIII", 1600, 1600, 0, 0, 1)
    xst = struct.pack("<IIIii", 1, 2, 0, -5, 7)
    m = one(reg, 40, 0, tcmsg(2, 0x10010, 0x10001) + nla(1, string("htb")) + nest(2, nla(1, parms))
            + nla(4, xst))
    a = payload(m)["attributes"]
    assert a["TCA_OPTIONS"]["TCA_HTB_PARMS"]["rate"] == {
        "cell_log": 0, "linklayer": {"name": "TC_LINKLAYER_ETHERNET", "value": 1}, "overhead": 0,
        "cell_align": -1, "mpu": 0, "rate": 1250000}
    assert a["TCA_XSTATS"] == {"lends": 1, "borrows": 2, "giants": 0, "tokens": -5, "ctokens": 7}
    assert m.summary == "RTM_NEWTCLASS dev 2 htb 1:10 parent 1:1 rate 10Mbit ceil 100Mbit prio 1"


def test_fq_codel_options_xstats_and_stats2(reg):
    qd = struct.pack("<I", 0) + b"".join(u32(v) for v in [1514, 0, 3, 9, 0, 1, 0, 4096, 0])
    stats2 = nest(7, nla(1, u64(1000) + u32(10) + u32(0)), nla(3, struct.pack("<IIIII", 0, 0, 2, 0, 1)),
                  nla(4, qd))
    m = one(reg, 36, 0, tcmsg(2, 0x100000, 0x10010) + nla(1, string("fq_codel"))
            + nest(2, nla(1, u32(3000)), nla(2, u32(1000)), nla(3, u32(50000)), nla(4, u32(1)))
            + stats2 + nla(4, qd))
    a = payload(m)["attributes"]
    assert a["TCA_OPTIONS"]["TCA_FQ_CODEL_LIMIT"] == 1000
    assert a["TCA_XSTATS"]["type"]["name"] == "TCA_FQ_CODEL_XSTATS_QDISC"
    assert a["TCA_XSTATS"]["qdisc_stats"]["maxpacket"] == 1514
    assert a["TCA_STATS2"]["TCA_STATS_BASIC"] == {"bytes": 1000, "packets": 10}
    assert a["TCA_STATS2"]["TCA_STATS_QUEUE"]["drops"] == 2
    assert a["TCA_STATS2"]["TCA_STATS_APP"]["qdisc_stats"]["memory_usage"] == 4096
    assert m.summary == "RTM_NEWQDISC dev 2 fq_codel 10: parent 1:10 limit 1000 target 3000us interval 50000us ecn"


def test_struct_options_pfifo_fast(reg):
    prio = s32(3) + bytes([1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    m = one(reg, 36, 0, tcmsg(2, 0, 0xFFFFFFFF) + nla(1, string("pfifo_fast")) + nla(2, prio))
    o = payload(m)["attributes"]["TCA_OPTIONS"]
    assert o["bands"] == 3 and o["priomap0"] == 1 and o["priomap6"] == 0
    assert not m.problems


def test_clsact_and_its_filters(reg):
    m = one(reg, 36, REQ | ACK | CREATE_EXCL, tcmsg(2, 0xFFFF0000, 0xFFFFFFF1) + nla(1, string("clsact")))
    assert m.summary == "RTM_NEWQDISC dev 2 clsact ffff: parent ffff:fff1"
    gact = struct.pack("<IIiii", 0, 0, 2, 0, 0)
    act = nest(1, nla(1, string("gact")), nest(2, nla(2, gact)))
    info = (1 << 16) | 0x0008  # prio 1, protocol htons(ETH_P_IP)
    m = one(reg, 44, REQ | ACK | CREATE_EXCL, tcmsg(2, 0, 0xFFFFFFF2, info) + nla(1, string("flower")) + nest(
        2, nla(8, be16(0x0800)), nla(9, u8(6)), nla(12, ip4("198.51.100.0")), nla(13, ip4("255.255.255.0")),
        nla(19, be16(443)), nla(22, u32(0)), nest(3, act)))
    o = payload(m)["attributes"]["TCA_OPTIONS"]
    assert o["TCA_FLOWER_KEY_ETH_TYPE"] == {"name": "ETH_P_IP", "value": 0x0800}
    assert o["TCA_FLOWER_KEY_IP_PROTO"] == {"name": "IPPROTO_TCP", "value": 6}
    assert o["TCA_FLOWER_KEY_TCP_DST"] == 443 and o["TCA_FLOWER_KEY_IPV4_DST_MASK"] == "255.255.255.0"
    (a1,) = o["TCA_FLOWER_ACT"]
    assert a1["TCA_ACT_KIND"] == "gact"
    assert a1["TCA_ACT_OPTIONS"]["TCA_GACT_PARMS"]["action"] == {"name": "TC_ACT_SHOT", "value": 2}
    assert m.summary == ("RTM_NEWTFILTER dev 2 ingress protocol ip pref 1 flower action gact drop "
                         "ip_proto tcp dst_ip 198.51.100.0/24 dst_port 443")
    m = one(reg, 44, 0, tcmsg(2, 1, 0xFFFFFFF3, info) + nla(1, string("matchall")) + nest(2, nest(2, act)))
    assert m.summary == "RTM_NEWTFILTER dev 2 egress protocol ip pref 1 matchall handle 0x1 action gact drop"


def test_u32_selector_and_keys(reg):
    sel = struct.pack("<BBBxHHhhI", 1, 0, 2, 0, 0, 0, 0, 0)
    # struct tc_u32_key: mask and val in network order, off and offmask in host order
    keys = struct.pack(">II", 0xFFFFFF00, 0xC0000200) + struct.pack("<ii", 16, 0) \
        + struct.pack(">II", 0x00FF0000, 0x00110000) + struct.pack("<ii", 8, 0)
    info = (2 << 16) | 0x0008
    m = one(reg, 44, 0, tcmsg(2, 0x80000800, 0x10000, info) + nla(1, string("u32")) + nest(
        2, nla(1, u32(0x10020)), nla(5, sel + keys), nla(11, u32(8))))
    o = payload(m)["attributes"]["TCA_OPTIONS"]
    assert o["TCA_U32_CLASSID"] == {"name": "1:20", "value": 0x10020}
    assert o["TCA_U32_SEL"]["flags"]["names"] == ["TC_U32_TERMINAL"] and o["TCA_U32_SEL"]["nkeys"] == 2
    assert o["TCA_U32_SEL"]["keys"][0] == {"mask": 0xFFFFFF00, "val": 0xC0000200, "off": 16, "offmask": 0}
    assert o["TCA_U32_FLAGS"]["names"] == ["TCA_CLS_FLAGS_NOT_IN_HW"]
    assert m.summary == "RTM_NEWTFILTER dev 2 parent 1: protocol ip pref 2 u32 fh 800:0:800 classid 1:20 keys 2"


def test_unknown_kind_options_stay_visible(reg):
    m = one(reg, 36, 0, tcmsg(2, 0x10000, 0xFFFFFFFF) + nla(1, string("nosuchkind")) + nest(2, nla(1, u32(5))))
    assert payload(m)["attributes"]["TCA_OPTIONS"] == {"UNKNOWN(1)": "05000000"}
    assert not m.problems


def test_actions_message(reg):
    gact = struct.pack("<IIiii", 7, 0, 0, 1, 0)
    m = one(reg, 50, 0, bytes(4) + nest(1, nest(1, nla(1, string("gact")), nest(2, nla(2, gact)), nla(3, u32(7))))
            + nla(3, u32(1)))
    (a,) = payload(m)["attributes"]["TCA_ROOT_TAB"]
    assert a["TCA_ACT_INDEX"] == 7
    assert m.summary == "RTM_GETACTION action gact pass index 7 count 1"


# -- the custom attribute kind on its own ---------------------------------------------------------

def test_custom_kind_sees_its_siblings():
    from nlscope.decode.nla import Attr, AttrSet
    from nlscope.decode.model import Field
    seen = []

    def dec(name, buf, start, end, order, problems, path, siblings):
        seen.append([s.name for s in siblings])
        return Field(name, "int", buf[start + 4], start, end)
    aset = AttrSet("t", {1: Attr("A", "u8"), 2: Attr("B", "custom", decode=dec)})
    data = nla(1, u8(1)) + nla(2, u8(9))
    out = walk_attrs(data, 0, len(data), aset, "<", [])
    assert [(f.name, f.value) for f in out] == [("A", 1), ("B", 9)] and seen == [["A"]]


# -- random attributes never break a table ----------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KIND_NAMES = [b"veth\0", b"bridge\0", b"vlan\0", b"vxlan\0", b"bond\0", b"htb\0", b"fq_codel\0", b"u32\0",
              b"flower\0", b"matchall\0", b"gact\0", b"mirred\0", b"pfifo_fast\0", b"clsact\0"]


@st.composite
def attr_soup(draw, depth=0):
    """Well-framed attributes with the types rtnetlink uses, nested, and kind names
    (so IFLA_INFO_DATA, TCA_OPTIONS, TCA_ACT_OPTIONS pick their tables)."""
    out = b""
    for _ in range(draw(st.integers(0, 6))):
        t = draw(st.integers(0, 70))
        choice = draw(st.integers(0, 3)) if depth < 3 else 0
        if choice == 1:
            data, t = draw(attr_soup(depth + 1)), t | 0x8000
        elif choice == 2:
            data = draw(attr_soup(depth + 1))
        elif choice == 3:
            data = draw(st.sampled_from(KIND_NAMES))
        else:
            data = draw(st.binary(max_size=40))
        out += struct.pack("<HH", 4 + len(data), t) + data + b"\0" * (-len(data) % 4)
    return out


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([0, REQ | ACK, REQ | DUMP, MULTI]), attr_soup())
def test_random_attributes_never_break_a_dissector(reg, data, flags, attrs):
    mtype = data.draw(st.sampled_from(sorted(reg.get(0).messages)))
    size = reg.get(0).messages[mtype].header.size
    head = data.draw(st.binary(min_size=size, max_size=size))
    body = head + b"\0" * (-size % 4) + attrs
    fr = Frame(1, 0, 0, bytes(16) + nlmsg(mtype, flags, 1, 0, body))
    for m in Decoder(reg).messages([fr]):
        assert not [p for p in m.problems if p.startswith("dissector error")], m.problems
        assert m.summary.startswith(m.type_name)
        for top in m.tree:
            for _, f in top.walk():
                assert m.start <= f.start <= f.end <= m.end, f
        message_to_json(m)
