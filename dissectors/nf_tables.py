"""nftables (NFNL_SUBSYS_NFTABLES, and NFT_COMPAT): tables, chains, rules with their
expressions, sets and elements, objects, flowtables, generations and traces.
Facts: linux/netfilter/nf_tables.h, nf_tables_compat.h, linux/netfilter.h.
nf_tables puts its integers in network order (be32, be64 handles and counters), with
exceptions checked against the kernel's nla_put_*/nla_get_* calls (net/netfilter/nft_*.c,
nf_tables_api.c, nf_tables_trace.c, 6.12): NFTA_CT_EXPECT_TIMEOUT and NFTA_TRACE_ID are
host-order u32 (nla_put_u32/nla_get_u32). Hook priorities are signed (an int, be32).
"""
from __future__ import annotations

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet
from nlscope.decode import summary_fields as sf

from .nf_common import (IPPROTO, NFPROTO, attrs_of, family, is_dump, kind_of,
                        be_s32, nf_message, s32)

NFT_MSGS = {i: n for i, n in enumerate([
    "NFT_MSG_NEWTABLE", "NFT_MSG_GETTABLE", "NFT_MSG_DELTABLE",
    "NFT_MSG_NEWCHAIN", "NFT_MSG_GETCHAIN", "NFT_MSG_DELCHAIN",
    "NFT_MSG_NEWRULE", "NFT_MSG_GETRULE", "NFT_MSG_DELRULE",
    "NFT_MSG_NEWSET", "NFT_MSG_GETSET", "NFT_MSG_DELSET",
    "NFT_MSG_NEWSETELEM", "NFT_MSG_GETSETELEM", "NFT_MSG_DELSETELEM",
    "NFT_MSG_NEWGEN", "NFT_MSG_GETGEN", "NFT_MSG_TRACE",
    "NFT_MSG_NEWOBJ", "NFT_MSG_GETOBJ", "NFT_MSG_DELOBJ", "NFT_MSG_GETOBJ_RESET",
    "NFT_MSG_NEWFLOWTABLE", "NFT_MSG_GETFLOWTABLE", "NFT_MSG_DELFLOWTABLE",
    "NFT_MSG_GETRULE_RESET",
    "NFT_MSG_DESTROYTABLE", "NFT_MSG_DESTROYCHAIN", "NFT_MSG_DESTROYRULE",
    "NFT_MSG_DESTROYSET", "NFT_MSG_DESTROYSETELEM", "NFT_MSG_DESTROYOBJ",
    "NFT_MSG_DESTROYFLOWTABLE", "NFT_MSG_GETSETELEM_RESET"])}
COMPAT_MSGS = {0: "NFNL_MSG_COMPAT_GET"}

REGISTERS = {0: "NFT_REG_VERDICT", 1: "NFT_REG_1", 2: "NFT_REG_2", 3: "NFT_REG_3", 4: "NFT_REG_4",
             **{8 + i: f"NFT_REG32_{i:02d}" for i in range(16)}}
VERDICTS = {0: "NF_DROP", 1: "NF_ACCEPT", 2: "NF_STOLEN", 3: "NF_QUEUE", 4: "NF_REPEAT", 5: "NF_STOP",
            0xFFFFFFFF: "NFT_CONTINUE", 0xFFFFFFFE: "NFT_BREAK", 0xFFFFFFFD: "NFT_JUMP",
            0xFFFFFFFC: "NFT_GOTO", 0xFFFFFFFB: "NFT_RETURN"}
TABLE_FLAGS = {0x1: "NFT_TABLE_F_DORMANT", 0x2: "NFT_TABLE_F_OWNER", 0x4: "NFT_TABLE_F_PERSIST"}
CHAIN_FLAGS = {0x1: "NFT_CHAIN_BASE", 0x2: "NFT_CHAIN_HW_OFFLOAD", 0x4: "NFT_CHAIN_BINDING"}
SET_FLAGS = {0x1: "NFT_SET_ANONYMOUS", 0x2: "NFT_SET_CONSTANT", 0x4: "NFT_SET_INTERVAL",
             0x8: "NFT_SET_MAP", 0x10: "NFT_SET_TIMEOUT", 0x20: "NFT_SET_EVAL",
             0x40: "NFT_SET_OBJECT", 0x80: "NFT_SET_CONCAT", 0x100: "NFT_SET_EXPR"}
SET_ELEM_FLAGS = {0x1: "NFT_SET_ELEM_INTERVAL_END", 0x2: "NFT_SET_ELEM_CATCHALL"}
OBJECT_TYPES = {0: "NFT_OBJECT_UNSPEC", 1: "NFT_OBJECT_COUNTER", 2: "NFT_OBJECT_QUOTA",
                3: "NFT_OBJECT_CT_HELPER", 4: "NFT_OBJECT_LIMIT", 5: "NFT_OBJECT_CONNLIMIT",
                6: "NFT_OBJECT_TUNNEL", 7: "NFT_OBJECT_CT_TIMEOUT", 8: "NFT_OBJECT_SECMARK",
                9: "NFT_OBJECT_CT_EXPECT", 10: "NFT_OBJECT_SYNPROXY"}
CMP_OPS = {0: "NFT_CMP_EQ", 1: "NFT_CMP_NEQ", 2: "NFT_CMP_LT", 3: "NFT_CMP_LTE",
           4: "NFT_CMP_GT", 5: "NFT_CMP_GTE"}
META_KEYS = {i: "NFT_META_" + n for i, n in enumerate([
    "LEN", "PROTOCOL", "PRIORITY", "MARK", "IIF", "OIF", "IIFNAME", "OIFNAME", "IFTYPE",
    "OIFTYPE", "SKUID", "SKGID", "NFTRACE", "RTCLASSID", "SECMARK", "NFPROTO", "L4PROTO",
    "BRI_IIFNAME", "BRI_OIFNAME", "PKTTYPE", "CPU", "IIFGROUP", "OIFGROUP", "CGROUP",
    "PRANDOM", "SECPATH", "IIFKIND", "OIFKIND", "BRI_IIFPVID", "BRI_IIFVPROTO", "TIME_NS",
    "TIME_DAY", "TIME_HOUR", "SDIF", "SDIFNAME", "BRI_BROUTE"])}
CT_KEYS = {i: "NFT_CT_" + n for i, n in enumerate([
    "STATE", "DIRECTION", "STATUS", "MARK", "SECMARK", "EXPIRATION", "HELPER", "L3PROTOCOL",
    "SRC", "DST", "PROTOCOL", "PROTO_SRC", "PROTO_DST", "LABELS", "PKTS", "BYTES", "AVGPKT",
    "ZONE", "EVENTMASK", "SRC_IP", "DST_IP", "SRC_IP6", "DST_IP6", "ID"])}
PAYLOAD_BASES = {0: "NFT_PAYLOAD_LL_HEADER", 1: "NFT_PAYLOAD_NETWORK_HEADER",
                 2: "NFT_PAYLOAD_TRANSPORT_HEADER", 3: "NFT_PAYLOAD_INNER_HEADER",
                 4: "NFT_PAYLOAD_TUN_HEADER"}
HOOKS_INET = {0: "NF_INET_PRE_ROUTING", 1: "NF_INET_LOCAL_IN", 2: "NF_INET_FORWARD",
              3: "NF_INET_LOCAL_OUT", 4: "NF_INET_POST_ROUTING", 5: "NF_INET_INGRESS"}
# Hook numbers by nfgenmsg family (linux/netfilter.h, netfilter_arp.h, netfilter_bridge.h)
HOOKS_NETDEV = {0: "NF_NETDEV_INGRESS", 1: "NF_NETDEV_EGRESS"}
HOOKS_BY_FAMILY = {
    1: HOOKS_INET, 2: HOOKS_INET, 10: HOOKS_INET, 5: HOOKS_NETDEV,
    3: {0: "NF_ARP_IN", 1: "NF_ARP_OUT", 2: "NF_ARP_FORWARD"},
    7: {0: "NF_BR_PRE_ROUTING", 1: "NF_BR_LOCAL_IN", 2: "NF_BR_FORWARD", 3: "NF_BR_LOCAL_OUT",
        4: "NF_BR_POST_ROUTING", 5: "NF_BR_BROUTING"}}


def nfgen_family(fields: list[Field]) -> int | None:
    for f in fields:
        if f.name == "nfgenmsg" and f.children:
            return f.children[0].value
    return None


# the hook names nft prints, by family
HOOK_WORDS = {"inet": ["prerouting", "input", "forward", "output", "postrouting", "ingress"],
              "netdev": ["ingress", "egress"], "arp": ["input", "output", "forward"]}

BE32 = "be32"

# NFTA_SET_KEY_TYPE / NFTA_SET_DATA_TYPE: not kernel facts but nft's own datatype numbers
# (the kernel stores them for userspace), by the names `nft list sets` prints; each name
# is checked against `nft -j list sets` on a lab capture (tests/test_issue14_sets.py).
# A concatenation packs its members' numbers 6 bits each, the first the highest.
SET_DATATYPES = {
    2: "nf_proto", 4: "integer", 7: "ipv4_addr", 8: "ipv6_addr", 9: "ether_addr", 10: "ether_type", 11: "arp_op",
    12: "inet_proto", 13: "inet_service", 14: "icmp_type", 15: "tcp_flag", 16: "dccp_pkttype",
    17: "mh_type", 18: "time", 19: "mark", 20: "iface_index", 21: "iface_type", 22: "realm",
    23: "classid", 24: "uid", 25: "gid", 26: "ct_state", 27: "ct_dir", 28: "ct_status",
    29: "icmpv6_type", 31: "pkt_type", 32: "icmp_code", 33: "icmpv6_code", 34: "icmpx_code",
    35: "devgroup", 36: "dscp", 37: "ecn", 38: "fib_addrtype", 39: "boolean", 41: "ifname",
    42: "igmp_type", 43: "time", 44: "hour", 45: "day", 46: "cgroupsv2"}
NFT_DATA_VERDICT = 0xFFFFFF00  # the kernel's own data type of verdict maps
_TYPE_BITS = 6


def set_type_name(v: int) -> str | None:
    """nft's name of a set key or data type: "ipv4_addr", "ipv4_addr . inet_service"."""
    if v == NFT_DATA_VERDICT:
        return "verdict"
    parts = []
    while v:
        parts.append(SET_DATATYPES.get(v & 0x3F))
        v >>= _TYPE_BITS
    if not parts or None in parts:
        return None
    return " . ".join(reversed(parts))


def _reg(name: str) -> Attr:
    return Attr(name, BE32, enum=REGISTERS)


VERDICT = AttrSet("nft_verdict_attributes", {
    1: Attr("NFTA_VERDICT_CODE", BE32, enum=VERDICTS),
    2: Attr("NFTA_VERDICT_CHAIN", "string"),
    3: Attr("NFTA_VERDICT_CHAIN_ID", BE32),
})
DATA = AttrSet("nft_data_attributes", {
    1: Attr("NFTA_DATA_VALUE", "binary"),
    2: Attr("NFTA_DATA_VERDICT", "nested", nested=VERDICT),
})
COUNTER = AttrSet("nft_counter_attributes", {1: Attr("NFTA_COUNTER_BYTES", "be64"),
                                             2: Attr("NFTA_COUNTER_PACKETS", "be64"),
                                             3: Attr("NFTA_COUNTER_PAD", "binary")})
DEVICES = AttrSet("nft_devices_attributes", {1: Attr("NFTA_DEVICE_NAME", "string")})


class ListOf(AttrSet):
    """A list nest: the kernel takes every member as the list's element whatever its
    type (nla_for_each_nested); libnftnl numbers set elements 1, 2, 3..."""

    def __init__(self, name: str, elem: Attr):
        super().__init__(name, {1: elem})

    def get(self, t: int) -> Attr | None:
        return self.attrs[1]


def _set(name: str, spec: dict[int, tuple]) -> AttrSet:
    """An attribute table from {type: (name, kind[, extra])}, extra being an enum or
    flags dict (flags when its name ends in _F), a nested set, or a fmt callable;
    or {type: Attr} for an attribute built elsewhere (be_s32)."""
    attrs: dict[int, Attr] = {}
    for t, row in spec.items():
        if isinstance(row, Attr):
            attrs[t] = row
            continue
        n, kind, *extra = row
        if not extra:
            attrs[t] = Attr(n, kind)
        elif isinstance(extra[0], AttrSet) or (kind == "nested" and callable(extra[0])):
            attrs[t] = Attr(n, kind, nested=extra[0])
        elif callable(extra[0]):
            attrs[t] = Attr(n, kind, fmt=extra[0])
        elif len(extra) > 1 and extra[1] == "flags":
            attrs[t] = Attr(n, kind, flags=extra[0])
        else:
            attrs[t] = Attr(n, kind, enum=extra[0])
    return AttrSet(name, attrs)


# -- expressions, by NFTA_EXPR_NAME -----------------------------------------------------
EXPRS: dict[str, AttrSet] = {
    "immediate": _set("nft_immediate_attributes", {
        1: ("NFTA_IMMEDIATE_DREG", BE32, REGISTERS), 2: ("NFTA_IMMEDIATE_DATA", "nested", DATA)}),
    "cmp": _set("nft_cmp_attributes", {
        1: ("NFTA_CMP_SREG", BE32, REGISTERS), 2: ("NFTA_CMP_OP", BE32, CMP_OPS),
        3: ("NFTA_CMP_DATA", "nested", DATA)}),
    "meta": _set("nft_meta_attributes", {
        1: ("NFTA_META_DREG", BE32, REGISTERS), 2: ("NFTA_META_KEY", BE32, META_KEYS),
        3: ("NFTA_META_SREG", BE32, REGISTERS)}),
    "payload": _set("nft_payload_attributes", {
        1: ("NFTA_PAYLOAD_DREG", BE32, REGISTERS), 2: ("NFTA_PAYLOAD_BASE", BE32, PAYLOAD_BASES),
        3: ("NFTA_PAYLOAD_OFFSET", BE32), 4: ("NFTA_PAYLOAD_LEN", BE32),
        5: ("NFTA_PAYLOAD_SREG", BE32, REGISTERS),
        6: ("NFTA_PAYLOAD_CSUM_TYPE", BE32, {0: "NFT_PAYLOAD_CSUM_NONE", 1: "NFT_PAYLOAD_CSUM_INET",
                                             2: "NFT_PAYLOAD_CSUM_SCTP"}),
        7: ("NFTA_PAYLOAD_CSUM_OFFSET", BE32),
        8: ("NFTA_PAYLOAD_CSUM_FLAGS", BE32, {1: "NFT_PAYLOAD_L4CSUM_PSEUDOHDR"}, "flags")}),
    "counter": COUNTER,
    "ct": _set("nft_ct_attributes", {
        1: ("NFTA_CT_DREG", BE32, REGISTERS), 2: ("NFTA_CT_KEY", BE32, CT_KEYS),
        3: ("NFTA_CT_DIRECTION", "u8", {0: "IP_CT_DIR_ORIGINAL", 1: "IP_CT_DIR_REPLY"}),
        4: ("NFTA_CT_SREG", BE32, REGISTERS)}),
    "lookup": _set("nft_lookup_attributes", {
        1: ("NFTA_LOOKUP_SET", "string"), 2: ("NFTA_LOOKUP_SREG", BE32, REGISTERS),
        3: ("NFTA_LOOKUP_DREG", BE32, REGISTERS), 4: ("NFTA_LOOKUP_SET_ID", BE32),
        5: ("NFTA_LOOKUP_FLAGS", BE32, {1: "NFT_LOOKUP_F_INV"}, "flags")}),
    "bitwise": _set("nft_bitwise_attributes", {
        1: ("NFTA_BITWISE_SREG", BE32, REGISTERS), 2: ("NFTA_BITWISE_DREG", BE32, REGISTERS),
        3: ("NFTA_BITWISE_LEN", BE32), 4: ("NFTA_BITWISE_MASK", "nested", DATA),
        5: ("NFTA_BITWISE_XOR", "nested", DATA),
        6: ("NFTA_BITWISE_OP", BE32, {0: "NFT_BITWISE_MASK_XOR", 1: "NFT_BITWISE_LSHIFT",
                                      2: "NFT_BITWISE_RSHIFT"}),
        7: ("NFTA_BITWISE_DATA", "nested", DATA)}),
    "byteorder": _set("nft_byteorder_attributes", {
        1: ("NFTA_BYTEORDER_SREG", BE32, REGISTERS), 2: ("NFTA_BYTEORDER_DREG", BE32, REGISTERS),
        3: ("NFTA_BYTEORDER_OP", BE32, {0: "NFT_BYTEORDER_NTOH", 1: "NFT_BYTEORDER_HTON"}),
        4: ("NFTA_BYTEORDER_LEN", BE32), 5: ("NFTA_BYTEORDER_SIZE", BE32)}),
    "range": _set("nft_range_attributes", {
        1: ("NFTA_RANGE_SREG", BE32, REGISTERS), 2: ("NFTA_RANGE_OP", BE32, {0: "NFT_RANGE_EQ", 1: "NFT_RANGE_NEQ"}),
        3: ("NFTA_RANGE_FROM_DATA", "nested", DATA), 4: ("NFTA_RANGE_TO_DATA", "nested", DATA)}),
    "nat": _set("nft_nat_attributes", {
        1: ("NFTA_NAT_TYPE", BE32, {0: "NFT_NAT_SNAT", 1: "NFT_NAT_DNAT"}),
        2: ("NFTA_NAT_FAMILY", BE32, NFPROTO), 3: ("NFTA_NAT_REG_ADDR_MIN", BE32, REGISTERS),
        4: ("NFTA_NAT_REG_ADDR_MAX", BE32, REGISTERS), 5: ("NFTA_NAT_REG_PROTO_MIN", BE32, REGISTERS),
        6: ("NFTA_NAT_REG_PROTO_MAX", BE32, REGISTERS), 7: ("NFTA_NAT_FLAGS", BE32)}),
    "masq": _set("nft_masq_attributes", {
        1: ("NFTA_MASQ_FLAGS", BE32), 2: ("NFTA_MASQ_REG_PROTO_MIN", BE32, REGISTERS),
        3: ("NFTA_MASQ_REG_PROTO_MAX", BE32, REGISTERS)}),
    "redir": _set("nft_redir_attributes", {
        1: ("NFTA_REDIR_REG_PROTO_MIN", BE32, REGISTERS), 2: ("NFTA_REDIR_REG_PROTO_MAX", BE32, REGISTERS),
        3: ("NFTA_REDIR_FLAGS", BE32)}),
    "exthdr": _set("nft_exthdr_attributes", {
        1: ("NFTA_EXTHDR_DREG", BE32, REGISTERS), 2: ("NFTA_EXTHDR_TYPE", "u8"),
        3: ("NFTA_EXTHDR_OFFSET", BE32), 4: ("NFTA_EXTHDR_LEN", BE32),
        5: ("NFTA_EXTHDR_FLAGS", BE32, {1: "NFT_EXTHDR_F_PRESENT"}, "flags"),
        6: ("NFTA_EXTHDR_OP", BE32, {0: "NFT_EXTHDR_OP_IPV6", 1: "NFT_EXTHDR_OP_TCPOPT",
                                     2: "NFT_EXTHDR_OP_IPV4", 3: "NFT_EXTHDR_OP_SCTP",
                                     4: "NFT_EXTHDR_OP_DCCP"}),
        7: ("NFTA_EXTHDR_SREG", BE32, REGISTERS)}),
    "rt": _set("nft_rt_attributes", {
        1: ("NFTA_RT_DREG", BE32, REGISTERS),
        2: ("NFTA_RT_KEY", BE32, {0: "NFT_RT_CLASSID", 1: "NFT_RT_NEXTHOP4", 2: "NFT_RT_NEXTHOP6",
                                  3: "NFT_RT_TCPMSS", 4: "NFT_RT_XFRM"})}),
    "hash": _set("nft_hash_attributes", {
        1: ("NFTA_HASH_SREG", BE32, REGISTERS), 2: ("NFTA_HASH_DREG", BE32, REGISTERS),
        3: ("NFTA_HASH_LEN", BE32), 4: ("NFTA_HASH_MODULUS", BE32), 5: ("NFTA_HASH_SEED", BE32),
        6: ("NFTA_HASH_OFFSET", BE32), 7: ("NFTA_HASH_TYPE", BE32, {0: "NFT_HASH_JENKINS", 1: "NFT_HASH_SYM"}),
        8: ("NFTA_HASH_SET_NAME", "string"), 9: ("NFTA_HASH_SET_ID", BE32)}),
    "socket": _set("nft_socket_attributes", {
        1: ("NFTA_SOCKET_KEY", BE32, {0: "NFT_SOCKET_TRANSPARENT", 1: "NFT_SOCKET_MARK",
                                      2: "NFT_SOCKET_WILDCARD", 3: "NFT_SOCKET_CGROUPV2"}),
        2: ("NFTA_SOCKET_DREG", BE32, REGISTERS), 3: ("NFTA_SOCKET_LEVEL", BE32)}),
    "limit": _set("nft_limit_attributes", {
        1: ("NFTA_LIMIT_RATE", "be64"), 2: ("NFTA_LIMIT_UNIT", "be64"), 3: ("NFTA_LIMIT_BURST", BE32),
        4: ("NFTA_LIMIT_TYPE", BE32, {0: "NFT_LIMIT_PKTS", 1: "NFT_LIMIT_PKT_BYTES"}),
        5: ("NFTA_LIMIT_FLAGS", BE32, {1: "NFT_LIMIT_F_INV"}, "flags"), 6: ("NFTA_LIMIT_PAD", "binary")}),
    "connlimit": _set("nft_connlimit_attributes", {
        1: ("NFTA_CONNLIMIT_COUNT", BE32), 2: ("NFTA_CONNLIMIT_FLAGS", BE32, {1: "NFT_CONNLIMIT_F_INV"}, "flags")}),
    "log": _set("nft_log_attributes", {
        1: ("NFTA_LOG_GROUP", "be16"), 2: ("NFTA_LOG_PREFIX", "string"), 3: ("NFTA_LOG_SNAPLEN", BE32),
        4: ("NFTA_LOG_QTHRESHOLD", "be16"),
        5: ("NFTA_LOG_LEVEL", BE32, {i: "NFT_LOGLEVEL_" + n for i, n in enumerate(
            ["EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG", "AUDIT"])}),
        6: ("NFTA_LOG_FLAGS", BE32)}),
    "queue": _set("nft_queue_attributes", {
        1: ("NFTA_QUEUE_NUM", "be16"), 2: ("NFTA_QUEUE_TOTAL", "be16"),
        3: ("NFTA_QUEUE_FLAGS", "be16", {1: "NFT_QUEUE_FLAG_BYPASS", 2: "NFT_QUEUE_FLAG_CPU_FANOUT"}, "flags"),
        4: ("NFTA_QUEUE_SREG_QNUM", BE32, REGISTERS)}),
    "quota": _set("nft_quota_attributes", {
        1: ("NFTA_QUOTA_BYTES", "be64"),
        2: ("NFTA_QUOTA_FLAGS", BE32, {1: "NFT_QUOTA_F_INV", 2: "NFT_QUOTA_F_DEPLETED"}, "flags"),
        3: ("NFTA_QUOTA_PAD", "binary"), 4: ("NFTA_QUOTA_CONSUMED", "be64")}),
    "reject": _set("nft_reject_attributes", {
        1: ("NFTA_REJECT_TYPE", BE32, {0: "NFT_REJECT_ICMP_UNREACH", 1: "NFT_REJECT_TCP_RST",
                                       2: "NFT_REJECT_ICMPX_UNREACH"}),
        2: ("NFTA_REJECT_ICMP_CODE", "u8")}),
    "dup": _set("nft_dup_attributes", {
        1: ("NFTA_DUP_SREG_ADDR", BE32, REGISTERS), 2: ("NFTA_DUP_SREG_DEV", BE32, REGISTERS)}),
    "fwd": _set("nft_fwd_attributes", {
        1: ("NFTA_FWD_SREG_DEV", BE32, REGISTERS), 2: ("NFTA_FWD_SREG_ADDR", BE32, REGISTERS),
        3: ("NFTA_FWD_NFPROTO", BE32, NFPROTO)}),
    "objref": _set("nft_objref_attributes", {
        1: ("NFTA_OBJREF_IMM_TYPE", BE32, OBJECT_TYPES), 2: ("NFTA_OBJREF_IMM_NAME", "string"),
        3: ("NFTA_OBJREF_SET_SREG", BE32, REGISTERS), 4: ("NFTA_OBJREF_SET_NAME", "string"),
        5: ("NFTA_OBJREF_SET_ID", BE32)}),
    "fib": _set("nft_fib_attributes", {
        1: ("NFTA_FIB_DREG", BE32, REGISTERS),
        2: ("NFTA_FIB_RESULT", BE32, {0: "NFT_FIB_RESULT_UNSPEC", 1: "NFT_FIB_RESULT_OIF",
                                      2: "NFT_FIB_RESULT_OIFNAME", 3: "NFT_FIB_RESULT_ADDRTYPE"}),
        3: ("NFTA_FIB_FLAGS", BE32, {1: "NFTA_FIB_F_SADDR", 2: "NFTA_FIB_F_DADDR", 4: "NFTA_FIB_F_MARK",
                                     8: "NFTA_FIB_F_IIF", 16: "NFTA_FIB_F_OIF", 32: "NFTA_FIB_F_PRESENT"},
            "flags")}),
    "numgen": _set("nft_ng_attributes", {
        1: ("NFTA_NG_DREG", BE32, REGISTERS), 2: ("NFTA_NG_MODULUS", BE32),
        3: ("NFTA_NG_TYPE", BE32, {0: "NFT_NG_INCREMENTAL", 1: "NFT_NG_RANDOM"}),
        4: ("NFTA_NG_OFFSET", BE32), 5: ("NFTA_NG_SET_NAME", "string"), 6: ("NFTA_NG_SET_ID", BE32)}),
    "osf": _set("nft_osf_attributes", {
        1: ("NFTA_OSF_DREG", BE32, REGISTERS), 2: ("NFTA_OSF_TTL", "u8"), 3: ("NFTA_OSF_FLAGS", BE32)}),
    "tproxy": _set("nft_tproxy_attributes", {
        1: ("NFTA_TPROXY_FAMILY", BE32, NFPROTO), 2: ("NFTA_TPROXY_REG_ADDR", BE32, REGISTERS),
        3: ("NFTA_TPROXY_REG_PORT", BE32, REGISTERS)}),
    "xfrm": _set("nft_xfrm_attributes", {
        1: ("NFTA_XFRM_DREG", BE32, REGISTERS),
        2: ("NFTA_XFRM_KEY", BE32, {i: "NFT_XFRM_KEY_" + n for i, n in enumerate(
            ["UNSPEC", "DADDR_IP4", "DADDR_IP6", "SADDR_IP4", "SADDR_IP6", "REQID", "SPI"])}),
        3: ("NFTA_XFRM_DIR", "u8"), 4: ("NFTA_XFRM_SPNUM", BE32)}),
    "synproxy": _set("nft_synproxy_attributes", {
        1: ("NFTA_SYNPROXY_MSS", "be16"), 2: ("NFTA_SYNPROXY_WSCALE", "u8"), 3: ("NFTA_SYNPROXY_FLAGS", BE32)}),
    "last": _set("nft_last_attributes", {
        1: ("NFTA_LAST_SET", BE32), 2: ("NFTA_LAST_MSECS", "be64"), 3: ("NFTA_LAST_PAD", "binary")}),
    "flow_offload": _set("nft_offload_attributes", {1: ("NFTA_FLOW_TABLE_NAME", "string")}),
    "notrack": AttrSet("notrack", {}),
    "secmark": _set("nft_secmark_attributes", {1: ("NFTA_SECMARK_CTX", "string")}),
    "tunnel": _set("nft_tunnel_attributes", {
        1: ("NFTA_TUNNEL_KEY", BE32, {0: "NFT_TUNNEL_PATH", 1: "NFT_TUNNEL_ID"}),
        2: ("NFTA_TUNNEL_DREG", BE32, REGISTERS),
        3: ("NFTA_TUNNEL_MODE", BE32, {0: "NFT_TUNNEL_MODE_NONE", 1: "NFT_TUNNEL_MODE_RX",
                                       2: "NFT_TUNNEL_MODE_TX"})}),
    "match": _set("nft_match_attributes", {
        1: ("NFTA_MATCH_NAME", "string"), 2: ("NFTA_MATCH_REV", BE32), 3: ("NFTA_MATCH_INFO", "binary")}),
    "target": _set("nft_target_attributes", {
        1: ("NFTA_TARGET_NAME", "string"), 2: ("NFTA_TARGET_REV", BE32), 3: ("NFTA_TARGET_INFO", "binary")}),
}


def _expr_data(siblings: list[Field]) -> AttrSet | None:
    for f in siblings:
        if f.name == "NFTA_EXPR_NAME":
            return EXPRS.get(f.value)
    return None


EXPR = _set("nft_expr_attributes", {1: ("NFTA_EXPR_NAME", "string"),
                                    2: ("NFTA_EXPR_DATA", "nested", _expr_data)})
EXPR_LIST = ListOf("nft_list_attributes", Attr("NFTA_LIST_ELEM", "nested", nested=EXPR))

# expressions that nest others
EXPRS["dynset"] = _set("nft_dynset_attributes", {
    1: ("NFTA_DYNSET_SET_NAME", "string"), 2: ("NFTA_DYNSET_SET_ID", BE32),
    3: ("NFTA_DYNSET_OP", BE32, {0: "NFT_DYNSET_OP_ADD", 1: "NFT_DYNSET_OP_UPDATE", 2: "NFT_DYNSET_OP_DELETE"}),
    4: ("NFTA_DYNSET_SREG_KEY", BE32, REGISTERS), 5: ("NFTA_DYNSET_SREG_DATA", BE32, REGISTERS),
    6: ("NFTA_DYNSET_TIMEOUT", "be64"), 7: ("NFTA_DYNSET_EXPR", "nested", EXPR),
    8: ("NFTA_DYNSET_PAD", "binary"),
    9: ("NFTA_DYNSET_FLAGS", BE32, {1: "NFT_DYNSET_F_INV", 2: "NFT_DYNSET_F_EXPR"}, "flags"),
    10: ("NFTA_DYNSET_EXPRESSIONS", "nested", EXPR_LIST)})
EXPRS["inner"] = _set("nft_inner_attributes", {
    1: ("NFTA_INNER_NUM", BE32), 2: ("NFTA_INNER_TYPE", BE32, {0: "NFT_INNER_UNSPEC", 1: "NFT_INNER_VXLAN",
                                                               2: "NFT_INNER_GENEVE"}),
    3: ("NFTA_INNER_FLAGS", BE32, {1: "NFT_INNER_HDRSIZE", 2: "NFT_INNER_LL", 4: "NFT_INNER_NH",
                                   8: "NFT_INNER_TH"}, "flags"),
    4: ("NFTA_INNER_HDRSIZE", BE32), 5: ("NFTA_INNER_EXPR", "nested", EXPR)})

# -- objects (NFT_MSG_*OBJ data by NFTA_OBJ_TYPE) -----------------------------------------
# NFTA_CT_TIMEOUT_DATA: the timeouts by the protocol's state, CTA_TIMEOUT_<PROTO>_* of
# linux/netfilter/nfnetlink_cttimeout.h, be32 seconds (nla_get_be32 in each
# nf_conntrack_proto_*.c's nlattr_to_obj); which table is decided by NFTA_CT_TIMEOUT_L4PROTO
_CTTIMEOUT_STATES = {
    6: ("TCP", ["SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
                "CLOSE", "SYN_SENT2", "RETRANS", "UNACK"]),
    17: ("UDP", ["UNREPLIED", "REPLIED"]), 136: ("UDPLITE", ["UNREPLIED", "REPLIED"]),
    1: ("ICMP", ["TIMEOUT"]), 58: ("ICMPV6", ["TIMEOUT"]),
    33: ("DCCP", ["REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING", "TIMEWAIT"]),
    132: ("SCTP", ["CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT", "SHUTDOWN_RECD",
                   "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED"]),
    47: ("GRE", ["UNREPLIED", "REPLIED"])}
CTTIMEOUT_DATA = {p: AttrSet(f"ctattr_timeout_{n.lower()}", {
    i: Attr(f"CTA_TIMEOUT_{n}_{st}", BE32) for i, st in enumerate(states, 1)})
    for p, (n, states) in _CTTIMEOUT_STATES.items()}
CTTIMEOUT_GENERIC = AttrSet("ctattr_timeout_generic", {1: Attr("CTA_TIMEOUT_GENERIC_TIMEOUT", BE32)})


def _cttimeout_data(siblings: list[Field]) -> AttrSet:
    for f in siblings:
        if f.name == "NFTA_CT_TIMEOUT_L4PROTO":
            return CTTIMEOUT_DATA.get(f.value, CTTIMEOUT_GENERIC)
    return CTTIMEOUT_GENERIC


OBJ_DATA = {
    1: COUNTER,
    2: EXPRS["quota"],
    3: _set("nft_ct_helper_attributes", {1: ("NFTA_CT_HELPER_NAME", "string"),
                                         2: ("NFTA_CT_HELPER_L3PROTO", "be16", NFPROTO),
                                         3: ("NFTA_CT_HELPER_L4PROTO", "u8", IPPROTO)}),
    4: EXPRS["limit"],
    5: EXPRS["connlimit"],
    7: _set("nft_ct_timeout_timeout_attributes", {1: ("NFTA_CT_TIMEOUT_L3PROTO", "be16", NFPROTO),
                                                  2: ("NFTA_CT_TIMEOUT_L4PROTO", "u8", IPPROTO),
                                                  3: ("NFTA_CT_TIMEOUT_DATA", "nested", _cttimeout_data)}),
    8: EXPRS["secmark"],
    9: _set("nft_ct_expectation_attributes", {1: ("NFTA_CT_EXPECT_L3PROTO", "be16", NFPROTO),
                                              2: ("NFTA_CT_EXPECT_L4PROTO", "u8", IPPROTO),
                                              3: ("NFTA_CT_EXPECT_DPORT", "be16"),
                                              # nla_get_u32/nla_put_u32: host order, ms
                                              4: ("NFTA_CT_EXPECT_TIMEOUT", "u32"),
                                              5: ("NFTA_CT_EXPECT_SIZE", "u8")}),
    10: EXPRS["synproxy"],
}


def _obj_data(siblings: list[Field]) -> AttrSet | None:
    for f in siblings:
        if f.name == "NFTA_OBJ_TYPE":
            return OBJ_DATA.get(f.value)
    return None


# -- top-level sets ---------------------------------------------------------------------
def _hook(hooks: dict[int, str] | None) -> AttrSet:
    return _set("nft_hook_attributes", {
        1: ("NFTA_HOOK_HOOKNUM", BE32, hooks), 2: be_s32("NFTA_HOOK_PRIORITY"),
        3: ("NFTA_HOOK_DEV", "string"), 4: ("NFTA_HOOK_DEVS", "nested", DEVICES)})


HOOK = _hook(None)
TABLE = _set("nft_table_attributes", {
    1: ("NFTA_TABLE_NAME", "string"), 2: ("NFTA_TABLE_FLAGS", BE32, TABLE_FLAGS, "flags"),
    3: ("NFTA_TABLE_USE", BE32), 4: ("NFTA_TABLE_HANDLE", "be64"), 5: ("NFTA_TABLE_PAD", "binary"),
    6: ("NFTA_TABLE_USERDATA", "binary"), 7: ("NFTA_TABLE_OWNER", BE32)})
def _chain(hook: AttrSet) -> AttrSet:
    return _set("nft_chain_attributes", {
        1: ("NFTA_CHAIN_TABLE", "string"), 2: ("NFTA_CHAIN_HANDLE", "be64"), 3: ("NFTA_CHAIN_NAME", "string"),
        4: ("NFTA_CHAIN_HOOK", "nested", hook), 5: ("NFTA_CHAIN_POLICY", BE32, VERDICTS),
        6: ("NFTA_CHAIN_USE", BE32), 7: ("NFTA_CHAIN_TYPE", "string"),
        8: ("NFTA_CHAIN_COUNTERS", "nested", COUNTER), 9: ("NFTA_CHAIN_PAD", "binary"),
        10: ("NFTA_CHAIN_FLAGS", BE32, CHAIN_FLAGS, "flags"), 11: ("NFTA_CHAIN_ID", BE32),
        12: ("NFTA_CHAIN_USERDATA", "binary")})


CHAIN = _chain(HOOK)
# the hook number's names depend on the table's family (the nfgenmsg's)
_CHAIN_BY_FAMILY = {fam: _chain(_hook(hooks)) for fam, hooks in HOOKS_BY_FAMILY.items()}


def chain_attrs(fields: list[Field]) -> AttrSet:
    return _CHAIN_BY_FAMILY.get(nfgen_family(fields), CHAIN)
RULE = _set("nft_rule_attributes", {
    1: ("NFTA_RULE_TABLE", "string"), 2: ("NFTA_RULE_CHAIN", "string"), 3: ("NFTA_RULE_HANDLE", "be64"),
    4: ("NFTA_RULE_EXPRESSIONS", "nested", EXPR_LIST),
    5: ("NFTA_RULE_COMPAT", "nested", _set("nft_rule_compat_attributes", {
        1: ("NFTA_RULE_COMPAT_PROTO", BE32, IPPROTO),
        2: ("NFTA_RULE_COMPAT_FLAGS", BE32, {1: "NFT_RULE_COMPAT_F_UNUSED", 2: "NFT_RULE_COMPAT_F_INV"},
            "flags")})),
    6: ("NFTA_RULE_POSITION", "be64"), 7: ("NFTA_RULE_USERDATA", "binary"), 8: ("NFTA_RULE_PAD", "binary"),
    9: ("NFTA_RULE_ID", BE32), 10: ("NFTA_RULE_POSITION_ID", BE32), 11: ("NFTA_RULE_CHAIN_ID", BE32)})
SET_FIELD = _set("nft_set_field_attributes", {1: ("NFTA_SET_FIELD_LEN", BE32)})
SET_DESC = _set("nft_set_desc_attributes", {
    1: ("NFTA_SET_DESC_SIZE", BE32),
    2: ("NFTA_SET_DESC_CONCAT", "nested", ListOf("nft_list_attributes",
                                                 Attr("NFTA_LIST_ELEM", "nested", nested=SET_FIELD)))})
SET = _set("nft_set_attributes", {
    1: ("NFTA_SET_TABLE", "string"), 2: ("NFTA_SET_NAME", "string"),
    3: ("NFTA_SET_FLAGS", BE32, SET_FLAGS, "flags"), 4: ("NFTA_SET_KEY_TYPE", BE32, set_type_name),
    5: ("NFTA_SET_KEY_LEN", BE32), 6: ("NFTA_SET_DATA_TYPE", BE32, set_type_name),
    7: ("NFTA_SET_DATA_LEN", BE32),
    8: ("NFTA_SET_POLICY", BE32, {0: "NFT_SET_POL_PERFORMANCE", 1: "NFT_SET_POL_MEMORY"}),
    9: ("NFTA_SET_DESC", "nested", SET_DESC), 10: ("NFTA_SET_ID", BE32),
    11: ("NFTA_SET_TIMEOUT", "be64"), 12: ("NFTA_SET_GC_INTERVAL", BE32),
    13: ("NFTA_SET_USERDATA", "binary"), 14: ("NFTA_SET_PAD", "binary"),
    15: ("NFTA_SET_OBJ_TYPE", BE32, OBJECT_TYPES), 16: ("NFTA_SET_HANDLE", "be64"),
    17: ("NFTA_SET_EXPR", "nested", EXPR), 18: ("NFTA_SET_EXPRESSIONS", "nested", EXPR_LIST)})
SET_ELEM = _set("nft_set_elem_attributes", {
    1: ("NFTA_SET_ELEM_KEY", "nested", DATA), 2: ("NFTA_SET_ELEM_DATA", "nested", DATA),
    3: ("NFTA_SET_ELEM_FLAGS", BE32, SET_ELEM_FLAGS, "flags"), 4: ("NFTA_SET_ELEM_TIMEOUT", "be64"),
    5: ("NFTA_SET_ELEM_EXPIRATION", "be64"), 6: ("NFTA_SET_ELEM_USERDATA", "binary"),
    7: ("NFTA_SET_ELEM_EXPR", "nested", EXPR), 8: ("NFTA_SET_ELEM_PAD", "binary"),
    9: ("NFTA_SET_ELEM_OBJREF", "string"), 10: ("NFTA_SET_ELEM_KEY_END", "nested", DATA),
    11: ("NFTA_SET_ELEM_EXPRESSIONS", "nested", EXPR_LIST)})
SET_ELEM_LIST = _set("nft_set_elem_list_attributes", {
    1: ("NFTA_SET_ELEM_LIST_TABLE", "string"), 2: ("NFTA_SET_ELEM_LIST_SET", "string"),
    3: ("NFTA_SET_ELEM_LIST_ELEMENTS", "nested", ListOf("nft_list_attributes",
                                                        Attr("NFTA_LIST_ELEM", "nested", nested=SET_ELEM))),
    4: ("NFTA_SET_ELEM_LIST_SET_ID", BE32)})
GEN = _set("nft_gen_attributes", {1: ("NFTA_GEN_ID", BE32), 2: ("NFTA_GEN_PROC_PID", BE32),
                                  3: ("NFTA_GEN_PROC_NAME", "string")})
OBJ = _set("nft_object_attributes", {
    1: ("NFTA_OBJ_TABLE", "string"), 2: ("NFTA_OBJ_NAME", "string"), 3: ("NFTA_OBJ_TYPE", BE32, OBJECT_TYPES),
    4: ("NFTA_OBJ_DATA", "nested", _obj_data), 5: ("NFTA_OBJ_USE", BE32), 6: ("NFTA_OBJ_HANDLE", "be64"),
    7: ("NFTA_OBJ_PAD", "binary"), 8: ("NFTA_OBJ_USERDATA", "binary")})
FLOWTABLE = _set("nft_flowtable_attributes", {
    1: ("NFTA_FLOWTABLE_TABLE", "string"), 2: ("NFTA_FLOWTABLE_NAME", "string"),
    3: ("NFTA_FLOWTABLE_HOOK", "nested", _set("nft_flowtable_hook_attributes", {
        1: ("NFTA_FLOWTABLE_HOOK_NUM", BE32, HOOKS_NETDEV), 2: be_s32("NFTA_FLOWTABLE_HOOK_PRIORITY"),
        3: ("NFTA_FLOWTABLE_HOOK_DEVS", "nested", DEVICES)})),
    4: ("NFTA_FLOWTABLE_USE", BE32), 5: ("NFTA_FLOWTABLE_HANDLE", "be64"), 6: ("NFTA_FLOWTABLE_PAD", "binary"),
    7: ("NFTA_FLOWTABLE_FLAGS", BE32, {1: "NFT_FLOWTABLE_HW_OFFLOAD", 2: "NFT_FLOWTABLE_COUNTER"}, "flags")})
TRACE = _set("nft_trace_attributes", {
    1: ("NFTA_TRACE_TABLE", "string"), 2: ("NFTA_TRACE_CHAIN", "string"), 3: ("NFTA_TRACE_RULE_HANDLE", "be64"),
    4: ("NFTA_TRACE_TYPE", BE32, {0: "NFT_TRACETYPE_UNSPEC", 1: "NFT_TRACETYPE_POLICY",
                                  2: "NFT_TRACETYPE_RETURN", 3: "NFT_TRACETYPE_RULE"}),
    5: ("NFTA_TRACE_VERDICT", "nested", VERDICT),
    # nla_put_u32(info->skbid) (6.12); older kernels put a host-order hash cast to __be32,
    # no htonl: host order either way (nft prints ntohl() of it)
    6: ("NFTA_TRACE_ID", "u32"),
    7: ("NFTA_TRACE_LL_HEADER", "binary"), 8: ("NFTA_TRACE_NETWORK_HEADER", "binary"),
    9: ("NFTA_TRACE_TRANSPORT_HEADER", "binary"), 10: ("NFTA_TRACE_IIF", BE32),
    11: ("NFTA_TRACE_IIFTYPE", "be16"), 12: ("NFTA_TRACE_OIF", BE32), 13: ("NFTA_TRACE_OIFTYPE", "be16"),
    14: ("NFTA_TRACE_MARK", BE32), 15: ("NFTA_TRACE_NFPROTO", BE32, NFPROTO),
    16: ("NFTA_TRACE_POLICY", BE32, VERDICTS), 17: ("NFTA_TRACE_PAD", "binary")})
COMPAT = _set("nft_compat_attributes", {1: ("NFTA_COMPAT_NAME", "string"), 2: ("NFTA_COMPAT_REV", BE32),
                                        3: ("NFTA_COMPAT_TYPE", BE32)})

_BY_OBJECT = {"TABLE": TABLE, "CHAIN": chain_attrs, "RULE": RULE, "SETELEM": SET_ELEM_LIST, "SET": SET,
              "GEN": GEN, "TRACE": TRACE, "OBJ": OBJ, "FLOWTABLE": FLOWTABLE}


def attrs_for(name: str) -> AttrSet:
    obj = name.removeprefix("NFT_MSG_").removesuffix("_RESET")
    for verb in ("NEW", "GET", "DEL", "DESTROY"):
        obj = obj.removeprefix(verb)
    return _BY_OBJECT[obj]


# -- summaries -------------------------------------------------------------------------
def _v(attrs: list[Field], name: str) -> Field | None:
    for f in attrs:
        if f.name == name:
            return f
    return None


def _short(meta: str | None, prefix: str) -> str:
    return (meta or "?").removeprefix(prefix).lower()


def verdict_text(v: Field) -> str:
    code = chain = None
    for f in v.children or ():
        if f.name == "NFTA_VERDICT_CODE":
            code = f
        elif f.name == "NFTA_VERDICT_CHAIN":
            chain = f.value
    if code is None:
        return "verdict"
    v = sf.num(code)
    word = (_short(code.meta, "NF_").removeprefix("nft_") if code.meta
            else "?" if v is None else str(s32(v)))
    return f"{word} {chain}" if chain else word


def expr_text(e: Field) -> str:
    """One expression as a few words: `meta l4proto`, `cmp eq 0x06`, `accept`."""
    name_f = _v(e.children or [], "NFTA_EXPR_NAME")
    name = name_f.value if name_f is not None else "?"
    data_f = _v(e.children or [], "NFTA_EXPR_DATA")
    d = data_f.children if data_f is not None and data_f.children else []
    if name == "immediate":
        data = _v(d, "NFTA_IMMEDIATE_DATA")
        verdict = _v(data.children or [], "NFTA_DATA_VERDICT") if data is not None else None
        if verdict is not None:
            return verdict_text(verdict)
        value = _v(data.children or [], "NFTA_DATA_VALUE") if data is not None else None
        return f"immediate 0x{value.value.hex()}" if value is not None else "immediate"
    if name == "meta":
        key = _v(d, "NFTA_META_KEY")
        return f"meta {_short(key.meta, 'NFT_META_')}" if key is not None else "meta"
    if name == "ct":
        key = _v(d, "NFTA_CT_KEY")
        return f"ct {_short(key.meta, 'NFT_CT_')}" if key is not None else "ct"
    if name == "cmp":
        op = _v(d, "NFTA_CMP_OP")
        data = _v(d, "NFTA_CMP_DATA")
        value = _v(data.children or [], "NFTA_DATA_VALUE") if data is not None else None
        text = "cmp " + (_short(op.meta, "NFT_CMP_") if op is not None else "?")
        return text + (f" 0x{value.value.hex()}" if value is not None else "")
    if name == "payload":
        base = _v(d, "NFTA_PAYLOAD_BASE")
        off = _v(d, "NFTA_PAYLOAD_OFFSET")
        ln = _v(d, "NFTA_PAYLOAD_LEN")
        b = _short(base.meta, "NFT_PAYLOAD_").removesuffix("_header") if base is not None else "?"
        return f"payload {b} +{off.value if off else '?'} len {ln.value if ln else '?'}"
    if name == "lookup":
        s = _v(d, "NFTA_LOOKUP_SET")
        return f"lookup @{s.value}" if s is not None else "lookup"
    if name == "nat":
        t = _v(d, "NFTA_NAT_TYPE")
        return _short(t.meta, "NFT_NAT_") if t is not None else "nat"
    if name == "counter":
        p, b = _v(d, "NFTA_COUNTER_PACKETS"), _v(d, "NFTA_COUNTER_BYTES")
        if p is not None and b is not None and (p.value or b.value):
            return f"counter packets {p.value} bytes {b.value}"
        return "counter"
    return name


def _rule_head(fields: list[Field], attrs: list[Field]) -> list[str]:
    parts = [family(fields)]
    for n in ("NFTA_RULE_TABLE", "NFTA_RULE_CHAIN"):
        f = _v(attrs, n)
        if f is not None:
            parts.append(f.value)
    h = _v(attrs, "NFTA_RULE_HANDLE")
    if h is not None:
        parts += ["handle", str(h.value)]
    return parts


def rule_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    head = " ".join([msg.type_name, *_rule_head(fields, attrs)])
    exprs = _v(attrs, "NFTA_RULE_EXPRESSIONS")
    if exprs is None:
        return head + (" dump" if is_dump(msg) else "")
    return head + ": " + ", ".join(expr_text(e) for e in exprs.children or ())


def chain_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    fam = family(fields)
    parts = [msg.type_name, fam]
    for n in ("NFTA_CHAIN_TABLE", "NFTA_CHAIN_NAME"):
        f = _v(attrs, n)
        if f is not None:
            parts.append(f.value)
    h = _v(attrs, "NFTA_CHAIN_HANDLE")
    if h is not None:
        parts += ["handle", str(h.value)]
    t = _v(attrs, "NFTA_CHAIN_TYPE")
    if t is not None:
        parts += ["type", t.value]
    hook = _v(attrs, "NFTA_CHAIN_HOOK")
    if hook is not None:
        num = _v(hook.children or [], "NFTA_HOOK_HOOKNUM")
        prio = _v(hook.children or [], "NFTA_HOOK_PRIORITY")
        if sf.num(num) is not None:
            words = HOOK_WORDS.get(fam, HOOK_WORDS["inet"])
            parts += ["hook", words[num.value] if num.value < len(words) else str(num.value)]
        if sf.num(prio) is not None:
            parts += ["priority", str(s32(prio.value))]
    pol = _v(attrs, "NFTA_CHAIN_POLICY")
    if pol is not None:
        parts += ["policy", _short(pol.meta, "NF_")]
    if len(parts) == 2 and is_dump(msg):
        parts.append("dump")
    return " ".join(parts)


def table_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name, family(fields)]
    n = _v(attrs, "NFTA_TABLE_NAME")
    if n is not None:
        parts.append(n.value)
    h = _v(attrs, "NFTA_TABLE_HANDLE")
    if h is not None:
        parts += ["handle", str(h.value)]
    if n is None and is_dump(msg):
        parts.append("dump")
    return " ".join(parts)


def set_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name, family(fields)]
    for nm in ("NFTA_SET_TABLE", "NFTA_SET_NAME"):
        f = _v(attrs, nm)
        if f is not None:
            parts.append(f.value)
    kt, dt = _v(attrs, "NFTA_SET_KEY_TYPE"), _v(attrs, "NFTA_SET_DATA_TYPE")
    if kt is not None:  # as nft declares it: "type ipv4_addr . inet_service : verdict"
        parts += ["type", kt.short()] + ([":", dt.short()] if dt is not None else [])
    fl = _v(attrs, "NFTA_SET_FLAGS")
    if fl is not None and fl.meta:
        parts.append("flags " + ",".join(_short(m, "NFT_SET_") for m in fl.meta))
    if len(parts) == 2 and is_dump(msg):
        parts.append("dump")
    return " ".join(parts)


def _data_text(d: Field | None) -> str:
    if d is None:
        return "?"
    for c in d.children or ():
        if c.name == "NFTA_DATA_VALUE":
            return "0x" + c.value.hex()
        if c.name == "NFTA_DATA_VERDICT":
            return verdict_text(c)
    return "?"


def setelem_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name, family(fields)]
    for nm in ("NFTA_SET_ELEM_LIST_TABLE", "NFTA_SET_ELEM_LIST_SET"):
        f = _v(attrs, nm)
        if f is not None:
            parts.append(f.value)
    els = _v(attrs, "NFTA_SET_ELEM_LIST_ELEMENTS")
    if els is not None:
        items = []
        for el in els.children or ():
            kids = el.children or []
            key, data = _v(kids, "NFTA_SET_ELEM_KEY"), _v(kids, "NFTA_SET_ELEM_DATA")
            fl = _v(kids, "NFTA_SET_ELEM_FLAGS")
            t = _data_text(key) if key is not None else "*"
            if data is not None:
                t += " : " + _data_text(data)
            if sf.num(fl, 0) & 1:
                t += " (end)"
            items.append(t)
        parts.append("{ " + ", ".join(items) + " }" if items else "{}")
    elif is_dump(msg):
        parts.append("dump")
    return " ".join(parts)


def gen_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    for nm, key in (("NFTA_GEN_ID", "id"), ("NFTA_GEN_PROC_PID", "pid"), ("NFTA_GEN_PROC_NAME", "comm")):
        f = _v(attrs, nm)
        if f is not None:
            parts.append(f"{key} {f.value}")
    return " ".join(parts)


def trace_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name, family(fields)]
    for nm in ("NFTA_TRACE_TABLE", "NFTA_TRACE_CHAIN"):
        f = _v(attrs, nm)
        if f is not None:
            parts.append(f.value)
    t = _v(attrs, "NFTA_TRACE_TYPE")
    if t is not None:
        parts.append(_short(t.meta, "NFT_TRACETYPE_"))
    v = _v(attrs, "NFTA_TRACE_VERDICT")
    if v is not None:
        parts.append(verdict_text(v))
    return " ".join(parts)


def obj_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name, family(fields)]
    t = _v(attrs, "NFTA_OBJ_TYPE")
    if t is not None:
        parts.append(_short(t.meta, "NFT_OBJECT_"))
    for nm in ("NFTA_OBJ_TABLE", "NFTA_OBJ_NAME"):
        f = _v(attrs, nm)
        if f is not None:
            parts.append(f.value)
    return " ".join(parts)


def flowtable_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name, family(fields)]
    for nm in ("NFTA_FLOWTABLE_TABLE", "NFTA_FLOWTABLE_NAME"):
        f = _v(attrs, nm)
        if f is not None:
            parts.append(f.value)
    return " ".join(parts)


_SUMMARIES = {"TABLE": table_summary, "CHAIN": chain_summary, "RULE": rule_summary,
              "SETELEM": setelem_summary, "SET": set_summary, "GEN": gen_summary,
              "TRACE": trace_summary, "OBJ": obj_summary, "FLOWTABLE": flowtable_summary}


def _summary_for(name: str):
    aset = attrs_for(name)
    for k, v in _BY_OBJECT.items():
        if v is aset:
            return _SUMMARIES[k]
    raise KeyError(name)


def compat_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    for nm in ("NFTA_COMPAT_NAME", "NFTA_COMPAT_REV"):
        f = _v(attrs, nm)
        if f is not None:
            parts.append(str(f.value))
    return " ".join(parts)


def messages() -> dict[int, object]:
    out: dict[int, object] = {}
    for m, name in NFT_MSGS.items():
        kind = "other" if name == "NFT_MSG_TRACE" else kind_of(name)
        out[(10 << 8) | m] = nf_message(name, kind, attrs_for(name), NFT_MSGS, _summary_for(name))
    out[(11 << 8) | 0] = nf_message("NFNL_MSG_COMPAT_GET", "get", COMPAT, COMPAT_MSGS, compat_summary)
    return out

