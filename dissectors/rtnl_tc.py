"""rtnetlink traffic control: struct tcmsg and TCA_* (linux/rtnetlink.h) for qdiscs,
classes, filters and chains, with TCA_OPTIONS/TCA_XSTATS by TCA_KIND (linux/pkt_sched.h,
linux/pkt_cls.h), TCA_STATS2 (linux/gen_stats.h), and actions (struct tcamsg,
TCA_ROOT_*, TCA_ACT_*, linux/tc_act/*.h).
"""
from __future__ import annotations

import ipaddress
import struct
from collections.abc import Mapping

from construct import Int8sn, Int8un, Int16sn, Int16ub, Int16un, Int32sn, Int32ub, Int32un, Int64un, \
    Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, FixedHeader, walk_attrs

from .rtnl_common import (AF_NAMES, ETH_P, ETH_WORD, A, View, counters, dump_line, hdr,
                          is_dump_request, kept_raw, message, tc_handle)

TC_H_INGRESS = 0xFFFFFFF1
TCA_CLS_FLAGS = {1: "TCA_CLS_FLAGS_SKIP_HW", 2: "TCA_CLS_FLAGS_SKIP_SW", 4: "TCA_CLS_FLAGS_IN_HW",
                 8: "TCA_CLS_FLAGS_NOT_IN_HW", 16: "TCA_CLS_FLAGS_VERBOSE"}
IPPROTO = {1: "IPPROTO_ICMP", 2: "IPPROTO_IGMP", 4: "IPPROTO_IPIP", 6: "IPPROTO_TCP",
           17: "IPPROTO_UDP", 41: "IPPROTO_IPV6", 47: "IPPROTO_GRE", 50: "IPPROTO_ESP",
           51: "IPPROTO_AH", 58: "IPPROTO_ICMPV6", 132: "IPPROTO_SCTP", 136: "IPPROTO_UDPLITE",
           137: "IPPROTO_MPLS", 255: "IPPROTO_RAW", 262: "IPPROTO_MPTCP"}

TCMSG = hdr("tcmsg", Struct(
    "tcm_family" / Int8un, Padding(3), "tcm_ifindex" / Int32sn, "tcm_handle" / Int32un,
    "tcm_parent" / Int32un, "tcm_info" / Int32un),
    enums={"tcm_family": AF_NAMES}, fmts={"tcm_handle": tc_handle, "tcm_parent": tc_handle})
CLASSID = {"fmt": tc_handle}  # a class id is a tc handle: 1:20

# -- statistics (linux/gen_stats.h, pkt_sched.h) -----------------------------------------
TC_STATS = hdr("tc_stats", Struct(
    "bytes" / Int64un, "packets" / Int32un, "drops" / Int32un, "overlimits" / Int32un,
    "bps" / Int32un, "pps" / Int32un, "qlen" / Int32un, "backlog" / Int32un))
GNET_STATS_BASIC = hdr("gnet_stats_basic", Struct("bytes" / Int64un, "packets" / Int32un))
GNET_STATS_RATE_EST = hdr("gnet_stats_rate_est", Struct("bps" / Int32un, "pps" / Int32un))
GNET_STATS_RATE_EST64 = hdr("gnet_stats_rate_est64", Struct("bps" / Int64un, "pps" / Int64un))
GNET_STATS_QUEUE = hdr("gnet_stats_queue", Struct(
    "qlen" / Int32un, "backlog" / Int32un, "drops" / Int32un, "requeues" / Int32un,
    "overlimits" / Int32un))
TC_ESTIMATOR = hdr("tc_estimator", Struct("interval" / Int8sn, "ewma_log" / Int8un))


def stats2(app: A) -> AttrSet:
    return AttrSet("tca_stats", {
        1: A("TCA_STATS_BASIC", "struct", struct=GNET_STATS_BASIC),
        2: A("TCA_STATS_RATE_EST", "struct", struct=GNET_STATS_RATE_EST),
        3: A("TCA_STATS_QUEUE", "struct", struct=GNET_STATS_QUEUE),
        4: app,
        5: A("TCA_STATS_RATE_EST64", "struct", struct=GNET_STATS_RATE_EST64),
        6: A("TCA_STATS_PAD", "binary"),
        7: A("TCA_STATS_BASIC_HW", "struct", struct=GNET_STATS_BASIC),
        8: A("TCA_STATS_PKT64", "u64"),
    })


STATS2 = stats2(A("TCA_STATS_APP", "binary"))

# -- qdisc and class options ------------------------------------------------------------
TC_RATESPEC = Struct("cell_log" / Int8un, "linklayer" / Int8un, "overhead" / Int16un,
                     "cell_align" / Int16sn, "mpu" / Int16un, "rate" / Int32un)
TC_LINKLAYER = {0: "TC_LINKLAYER_UNAWARE", 1: "TC_LINKLAYER_ETHERNET", 2: "TC_LINKLAYER_ATM"}
TC_HTB_OPT = hdr("tc_htb_opt", Struct(
    "rate" / TC_RATESPEC, "ceil" / TC_RATESPEC, "buffer" / Int32un, "cbuffer" / Int32un,
    "quantum" / Int32un, "level" / Int32un, "prio" / Int32un), enums={"linklayer": TC_LINKLAYER})
TC_HTB_GLOB = hdr("tc_htb_glob", Struct(
    "version" / Int32un, "rate2quantum" / Int32un, "defcls" / Int32un, "debug" / Int32un,
    "direct_pkts" / Int32un))
HTB = AttrSet("tca_htb", {
    1: A("TCA_HTB_PARMS", "struct", struct=TC_HTB_OPT),
    2: A("TCA_HTB_INIT", "struct", struct=TC_HTB_GLOB),
    3: A("TCA_HTB_CTAB", "binary"),
    4: A("TCA_HTB_RTAB", "binary"),
    5: A("TCA_HTB_DIRECT_QLEN", "u32"),
    6: A("TCA_HTB_RATE64", "u64"),
    7: A("TCA_HTB_CEIL64", "u64"),
    8: A("TCA_HTB_PAD", "binary"),
    9: A("TCA_HTB_OFFLOAD", "flag"),
})
FQ_CODEL = AttrSet("tca_fq_codel", {
    1: A("TCA_FQ_CODEL_TARGET", "u32"),
    2: A("TCA_FQ_CODEL_LIMIT", "u32"),
    3: A("TCA_FQ_CODEL_INTERVAL", "u32"),
    4: A("TCA_FQ_CODEL_ECN", "u32"),
    5: A("TCA_FQ_CODEL_FLOWS", "u32"),
    6: A("TCA_FQ_CODEL_QUANTUM", "u32"),
    7: A("TCA_FQ_CODEL_CE_THRESHOLD", "u32"),
    8: A("TCA_FQ_CODEL_DROP_BATCH_SIZE", "u32"),
    9: A("TCA_FQ_CODEL_MEMORY_LIMIT", "u32"),
    10: A("TCA_FQ_CODEL_CE_THRESHOLD_SELECTOR", "u8"),
    11: A("TCA_FQ_CODEL_CE_THRESHOLD_MASK", "u8"),
})
TBF = AttrSet("tca_tbf", {
    1: A("TCA_TBF_PARMS", "struct", struct=hdr("tc_tbf_qopt", Struct(
        "rate" / TC_RATESPEC, "peakrate" / TC_RATESPEC, "limit" / Int32un, "buffer" / Int32un,
        "mtu" / Int32un), enums={"linklayer": TC_LINKLAYER})),
    2: A("TCA_TBF_RTAB", "binary"),
    3: A("TCA_TBF_PTAB", "binary"),
    4: A("TCA_TBF_RATE64", "u64"),
    5: A("TCA_TBF_PRATE64", "u64"),
    6: A("TCA_TBF_BURST", "u32"),
    7: A("TCA_TBF_PBURST", "u32"),
    8: A("TCA_TBF_PAD", "binary"),
})
TC_PRIO_QOPT = hdr("tc_prio_qopt", Struct("bands" / Int32sn, *(f"priomap{i}" / Int8un for i in range(16))))
TC_FIFO_QOPT = hdr("tc_fifo_qopt", Struct("limit" / Int32un))
TC_SFQ_QOPT = hdr("tc_sfq_qopt", Struct(
    "quantum" / Int32un, "perturb_period" / Int32sn, "limit" / Int32un, "divisor" / Int32un,
    "flows" / Int32un))
NO_OPTIONS = AttrSet("no_options", {})

# TCA_OPTIONS is nested attributes for most kinds, a bare struct for the old ones.
QDISC_OPTIONS: dict[str, AttrSet | FixedHeader] = {
    "htb": HTB, "fq_codel": FQ_CODEL, "tbf": TBF, "ingress": NO_OPTIONS, "clsact": NO_OPTIONS,
    "prio": TC_PRIO_QOPT, "pfifo_fast": TC_PRIO_QOPT, "pfifo": TC_FIFO_QOPT,
    "bfifo": TC_FIFO_QOPT, "pfifo_head_drop": TC_FIFO_QOPT, "sfq": TC_SFQ_QOPT,
    "noqueue": NO_OPTIONS, "mq": NO_OPTIONS,
}

# TCA_XSTATS (and TCA_STATS_APP): the kind's own statistics struct.
TC_HTB_XSTATS = hdr("tc_htb_xstats", Struct(
    "lends" / Int32un, "borrows" / Int32un, "giants" / Int32un, "tokens" / Int32sn,
    "ctokens" / Int32sn))
FQ_CODEL_QD = ["maxpacket", "drop_overlimit", "ecn_mark", "new_flow_count", "new_flows_len",
               "old_flows_len", "ce_mark", "memory_usage", "drop_overmemory"]
FQ_CODEL_CL = hdr("tc_fq_codel_cl_stats", Struct(
    "deficit" / Int32sn, "ldelay" / Int32un, "count" / Int32un, "lastcount" / Int32un,
    "dropping" / Int32un, "drop_next" / Int32sn))
_fq_codel_qd = counters(FQ_CODEL_QD, "I")


def _fq_codel_xstats(name, buf, start, end, order, problems, path, siblings) -> Field:
    """struct tc_fq_codel_xstats: a type, then the qdisc's or a class's stats."""
    p0 = start + 4
    if end - p0 < 4:
        return kept_raw(name, buf, start, end, problems,
                        f"{path}: {end - p0} bytes, too short for tc_fq_codel_xstats")
    t = struct.unpack_from(order + "I", buf, p0)[0]
    kids = [Field("type", "enum", t, p0, p0 + 4,
                  {0: "TCA_FQ_CODEL_XSTATS_QDISC", 1: "TCA_FQ_CODEL_XSTATS_CLASS"}.get(t))]
    if t == 0:
        kids.append(_fq_codel_qd("qdisc_stats", buf, p0, end, order, problems, path, siblings))
    elif t == 1 and end - p0 - 4 >= FQ_CODEL_CL.size:
        kids.append(Field("class_stats", "struct", None, p0 + 4, end,
                          children=FQ_CODEL_CL.parse(buf, p0 + 4, order)))
    else:
        kids.append(Field("data", "bytes", bytes(buf[p0 + 4:end]), p0 + 4, end))
    return Field(name, "struct", None, start, end, children=kids)


XSTATS: dict[str, FixedHeader | object] = {"htb": TC_HTB_XSTATS, "fq_codel": _fq_codel_xstats}

# -- actions ------------------------------------------------------------------------------
TC_ACT = {0xFFFFFFFF: "TC_ACT_UNSPEC", 0: "TC_ACT_OK", 1: "TC_ACT_RECLASSIFY", 2: "TC_ACT_SHOT",
          3: "TC_ACT_PIPE", 4: "TC_ACT_STOLEN", 5: "TC_ACT_QUEUED", 6: "TC_ACT_REPEAT",
          7: "TC_ACT_REDIRECT", 8: "TC_ACT_TRAP"}
# How tc names verdicts.
TC_ACT_WORD = {0xFFFFFFFF: "continue", 0: "pass", 1: "reclassify", 2: "drop", 3: "pipe",
               4: "stolen", 5: "queued", 6: "repeat", 7: "redirect", 8: "trap"}


def tc_act_text(v: int) -> str:
    v &= 0xFFFFFFFF
    op = v >> 28
    if op == 1:
        return f"jump {v & 0x0FFFFFFF}"
    if op == 2:
        return f"goto chain {v & 0x0FFFFFFF}"
    return TC_ACT_WORD.get(v, str(v))


def _gen(name: str, *extra, enums: Mapping = {}) -> FixedHeader:
    """The tc_gen members every action's parameters start with, then its own."""
    return hdr(name, Struct("index" / Int32un, "capab" / Int32un, "action" / Int32un,
                            "refcnt" / Int32sn, "bindcnt" / Int32sn, *extra),
               fmts={"action": lambda v: TC_ACT.get(v) or tc_act_text(v)}, enums=enums)


TCF_T = hdr("tcf_t", Struct("install" / Int64un, "lastuse" / Int64un, "expires" / Int64un,
                            "firstuse" / Int64un))
TC_MIRRED_EACTION = {1: "TCA_EGRESS_REDIR", 2: "TCA_EGRESS_MIRROR", 3: "TCA_INGRESS_REDIR",
                     4: "TCA_INGRESS_MIRROR"}
GACT = AttrSet("tca_gact", {
    1: A("TCA_GACT_TM", "struct", struct=TCF_T),
    2: A("TCA_GACT_PARMS", "struct", struct=_gen("tc_gact")),
    3: A("TCA_GACT_PROB", "struct", struct=hdr("tc_gact_p", Struct(
        "ptype" / Int16un, "pval" / Int16un, "paction" / Int32un),
        enums={"ptype": {0: "PGACT_NONE", 1: "PGACT_NETRAND", 2: "PGACT_DETERM"}},
        fmts={"paction": lambda v: TC_ACT.get(v) or tc_act_text(v)})),
    4: A("TCA_GACT_PAD", "binary"),
})
MIRRED = AttrSet("tca_mirred", {
    1: A("TCA_MIRRED_TM", "struct", struct=TCF_T),
    2: A("TCA_MIRRED_PARMS", "struct", struct=_gen("tc_mirred", "eaction" / Int32sn, "ifindex" / Int32un,
                                                   enums={"eaction": TC_MIRRED_EACTION})),
    3: A("TCA_MIRRED_PAD", "binary"),
    4: A("TCA_MIRRED_BLOCKID", "u32"),
})
TC_POLICE = hdr("tc_police", Struct(
    "index" / Int32un, "action" / Int32un, "limit" / Int32un, "burst" / Int32un, "mtu" / Int32un,
    "rate" / TC_RATESPEC, "peakrate" / TC_RATESPEC, "refcnt" / Int32sn, "bindcnt" / Int32sn,
    "capab" / Int32un), fmts={"action": lambda v: TC_ACT.get(v) or tc_act_text(v)},
    enums={"linklayer": TC_LINKLAYER})
POLICE = AttrSet("tca_police", {
    1: A("TCA_POLICE_TBF", "struct", struct=TC_POLICE),
    2: A("TCA_POLICE_RATE", "binary"),
    3: A("TCA_POLICE_PEAKRATE", "binary"),
    4: A("TCA_POLICE_AVRATE", "u32"),
    5: A("TCA_POLICE_RESULT", "u32"),
    6: A("TCA_POLICE_TM", "struct", struct=TCF_T),
    7: A("TCA_POLICE_PAD", "binary"),
    8: A("TCA_POLICE_RATE64", "u64"),
    9: A("TCA_POLICE_PEAKRATE64", "u64"),
    10: A("TCA_POLICE_PKTRATE64", "u64"),
    11: A("TCA_POLICE_PKTBURST64", "u64"),
})
ACTION_OPTIONS: dict[str, AttrSet] = {"gact": GACT, "mirred": MIRRED, "police": POLICE}
TCA_ACT_FLAGS = {1: "TCA_ACT_FLAGS_NO_PERCPU_STATS", 2: "TCA_ACT_FLAGS_SKIP_HW",
                 4: "TCA_ACT_FLAGS_SKIP_SW"}
TCA_ACT_HW_STATS = {1: "TCA_ACT_HW_STATS_IMMEDIATE", 2: "TCA_ACT_HW_STATS_DELAYED"}


def _act_options(siblings: list[Field]) -> AttrSet | None:
    kind = next((f.value for f in siblings if f.name == "TCA_ACT_KIND"), None)
    return ACTION_OPTIONS.get(kind)


ACT = AttrSet("tca_act", {
    1: A("TCA_ACT_KIND", "string"),
    2: A("TCA_ACT_OPTIONS", "nested", nested=_act_options),
    3: A("TCA_ACT_INDEX", "u32"),
    4: A("TCA_ACT_STATS", "nested", nested=STATS2),
    5: A("TCA_ACT_PAD", "binary"),
    6: A("TCA_ACT_COOKIE", "binary"),
    7: A("TCA_ACT_FLAGS", "bitfield32", flags=TCA_ACT_FLAGS),
    8: A("TCA_ACT_HW_STATS", "bitfield32", flags=TCA_ACT_HW_STATS),
    9: A("TCA_ACT_USED_HW_STATS", "bitfield32", flags=TCA_ACT_HW_STATS),
    10: A("TCA_ACT_IN_HW_COUNT", "u32"),
})


def actions(name: str) -> A:
    """A list of actions: attributes whose type is the action's order, each TCA_ACT_*."""
    return A(name, "nested-array", nested=ACT)


# -- filters ------------------------------------------------------------------------------
TC_U32_SEL = hdr("tc_u32_sel", Struct(
    "flags" / Int8un, "offshift" / Int8un, "nkeys" / Int8un, Padding(1), "offmask" / Int16ub,
    "off" / Int16un, "offoff" / Int16sn, "hoff" / Int16sn, "hmask" / Int32ub),
    flags={"flags": {1: "TC_U32_TERMINAL", 2: "TC_U32_OFFSET", 4: "TC_U32_VAROFFSET", 8: "TC_U32_EAT"}})
TC_U32_KEY = hdr("tc_u32_key", Struct("mask" / Int32ub, "val" / Int32ub, "off" / Int32sn, "offmask" / Int32sn))


def _u32_sel(name, buf, start, end, order, problems, path, siblings) -> Field:
    """struct tc_u32_sel, then its nkeys struct tc_u32_key."""
    p = start + 4
    if end - p < TC_U32_SEL.size:
        return kept_raw(name, buf, start, end, problems,
                        f"{path}: tc_u32_sel needs {TC_U32_SEL.size} bytes, got {end - p}")
    kids = TC_U32_SEL.parse(buf, p, order)
    nkeys = buf[p + 2]
    p += TC_U32_SEL.size
    keys = []
    for _ in range(nkeys):
        if end - p < TC_U32_KEY.size:
            problems.append(f"{path}: {nkeys} keys announced, {len(keys)} present")
            break
        keys.append(Field("key", "struct", None, p, p + TC_U32_KEY.size, children=TC_U32_KEY.parse(buf, p, order)))
        p += TC_U32_KEY.size
    kids.append(Field("keys", "list", None, start + 4 + TC_U32_SEL.size, p, children=keys))
    return Field(name, "struct", None, start, end, children=kids)


U32 = AttrSet("tca_u32", {
    1: A("TCA_U32_CLASSID", "u32", **CLASSID),
    2: A("TCA_U32_HASH", "u32"),
    3: A("TCA_U32_LINK", "u32"),
    4: A("TCA_U32_DIVISOR", "u32"),
    5: A("TCA_U32_SEL", "custom", decode=_u32_sel),
    6: A("TCA_U32_POLICE", "nested", nested=POLICE),
    7: actions("TCA_U32_ACT"),
    8: A("TCA_U32_INDEV", "string"),
    9: A("TCA_U32_PCNT", "custom", decode=counters(["rcnt", "rhit"])),
    10: A("TCA_U32_MARK", "struct", struct=hdr("tc_u32_mark", Struct(
        "val" / Int32un, "mask" / Int32un, "success" / Int32un))),
    11: A("TCA_U32_FLAGS", "u32", flags=TCA_CLS_FLAGS),
    12: A("TCA_U32_PAD", "binary"),
})
FLOWER_KEY_FLAGS = {1: "TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT", 2: "TCA_FLOWER_KEY_FLAGS_FRAG_IS_FIRST",
                    4: "TCA_FLOWER_KEY_FLAGS_TUNNEL_CSUM", 8: "TCA_FLOWER_KEY_FLAGS_TUNNEL_DONT_FRAGMENT",
                    16: "TCA_FLOWER_KEY_FLAGS_TUNNEL_OAM", 32: "TCA_FLOWER_KEY_FLAGS_TUNNEL_CRIT_OPT"}
_FLOWER_KINDS = [  # (first type, kind, names...) in enum order (linux/pkt_cls.h)
    (1, "u32", "CLASSID"), (2, "string", "INDEV"), (3, "actions", "ACT"),
    (4, "mac", "KEY_ETH_DST", "KEY_ETH_DST_MASK", "KEY_ETH_SRC", "KEY_ETH_SRC_MASK"),
    (8, "be16", "KEY_ETH_TYPE"), (9, "u8", "KEY_IP_PROTO"),
    (10, "ipv4", "KEY_IPV4_SRC", "KEY_IPV4_SRC_MASK", "KEY_IPV4_DST", "KEY_IPV4_DST_MASK"),
    (14, "ipv6", "KEY_IPV6_SRC", "KEY_IPV6_SRC_MASK", "KEY_IPV6_DST", "KEY_IPV6_DST_MASK"),
    (18, "be16", "KEY_TCP_SRC", "KEY_TCP_DST", "KEY_UDP_SRC", "KEY_UDP_DST"),
    (22, "u32", "FLAGS"), (23, "u16", "KEY_VLAN_ID"), (24, "u8", "KEY_VLAN_PRIO"),
    (25, "be16", "KEY_VLAN_ETH_TYPE"), (26, "be32", "KEY_ENC_KEY_ID"),
    (27, "ipv4", "KEY_ENC_IPV4_SRC", "KEY_ENC_IPV4_SRC_MASK", "KEY_ENC_IPV4_DST", "KEY_ENC_IPV4_DST_MASK"),
    (31, "ipv6", "KEY_ENC_IPV6_SRC", "KEY_ENC_IPV6_SRC_MASK", "KEY_ENC_IPV6_DST", "KEY_ENC_IPV6_DST_MASK"),
    (35, "be16", "KEY_TCP_SRC_MASK", "KEY_TCP_DST_MASK", "KEY_UDP_SRC_MASK", "KEY_UDP_DST_MASK",
     "KEY_SCTP_SRC_MASK", "KEY_SCTP_DST_MASK", "KEY_SCTP_SRC", "KEY_SCTP_DST",
     "KEY_ENC_UDP_SRC_PORT", "KEY_ENC_UDP_SRC_PORT_MASK", "KEY_ENC_UDP_DST_PORT",
     "KEY_ENC_UDP_DST_PORT_MASK"),
    (47, "be32", "KEY_FLAGS", "KEY_FLAGS_MASK"),
    (49, "u8", "KEY_ICMPV4_CODE", "KEY_ICMPV4_CODE_MASK", "KEY_ICMPV4_TYPE", "KEY_ICMPV4_TYPE_MASK",
     "KEY_ICMPV6_CODE", "KEY_ICMPV6_CODE_MASK", "KEY_ICMPV6_TYPE", "KEY_ICMPV6_TYPE_MASK"),
    (57, "ipv4", "KEY_ARP_SIP", "KEY_ARP_SIP_MASK", "KEY_ARP_TIP", "KEY_ARP_TIP_MASK"),
    (61, "u8", "KEY_ARP_OP", "KEY_ARP_OP_MASK"),
    (63, "mac", "KEY_ARP_SHA", "KEY_ARP_SHA_MASK", "KEY_ARP_THA", "KEY_ARP_THA_MASK"),
    (67, "u8", "KEY_MPLS_TTL", "KEY_MPLS_BOS", "KEY_MPLS_TC"), (70, "u32", "KEY_MPLS_LABEL"),
    (71, "be16", "KEY_TCP_FLAGS", "KEY_TCP_FLAGS_MASK"),
    (73, "u8", "KEY_IP_TOS", "KEY_IP_TOS_MASK", "KEY_IP_TTL", "KEY_IP_TTL_MASK"),
    (77, "u16", "KEY_CVLAN_ID"), (78, "u8", "KEY_CVLAN_PRIO"), (79, "be16", "KEY_CVLAN_ETH_TYPE"),
    (80, "u8", "KEY_ENC_IP_TOS", "KEY_ENC_IP_TOS_MASK", "KEY_ENC_IP_TTL", "KEY_ENC_IP_TTL_MASK"),
    (84, "nested", "KEY_ENC_OPTS", "KEY_ENC_OPTS_MASK"), (86, "u32", "IN_HW_COUNT"),
    (87, "be16", "KEY_PORT_SRC_MIN", "KEY_PORT_SRC_MAX", "KEY_PORT_DST_MIN", "KEY_PORT_DST_MAX"),
    (91, "u16", "KEY_CT_STATE", "KEY_CT_STATE_MASK", "KEY_CT_ZONE", "KEY_CT_ZONE_MASK"),
    (95, "u32", "KEY_CT_MARK", "KEY_CT_MARK_MASK"), (97, "binary", "KEY_CT_LABELS", "KEY_CT_LABELS_MASK"),
    (99, "nested", "KEY_MPLS_OPTS"), (100, "u32", "KEY_HASH", "KEY_HASH_MASK"),
    (102, "u8", "KEY_NUM_OF_VLANS"), (103, "be16", "KEY_PPPOE_SID", "KEY_PPP_PROTO"),
    (105, "be32", "KEY_L2TPV3_SID"), (106, "u8", "L2_MISS"), (107, "nested", "KEY_CFM"),
    (108, "be32", "KEY_SPI", "KEY_SPI_MASK", "KEY_ENC_FLAGS", "KEY_ENC_FLAGS_MASK"),
]
_FLOWER_EXTRA = {
    "CLASSID": CLASSID, "KEY_ETH_TYPE": {"enum": ETH_P}, "KEY_VLAN_ETH_TYPE": {"enum": ETH_P},
    "KEY_CVLAN_ETH_TYPE": {"enum": ETH_P}, "KEY_IP_PROTO": {"enum": IPPROTO},
    "FLAGS": {"flags": TCA_CLS_FLAGS}, "KEY_FLAGS": {"flags": FLOWER_KEY_FLAGS},
    "KEY_FLAGS_MASK": {"flags": FLOWER_KEY_FLAGS},
}
FLOWER_MPLS_LSE = AttrSet("tca_flower_key_mpls_opt_lse", {
    1: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_DEPTH", "u8"), 2: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_TTL", "u8"),
    3: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_BOS", "u8"), 4: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_TC", "u8"),
    5: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_LABEL", "u32")})
_FLOWER_NESTS = {
    "KEY_MPLS_OPTS": AttrSet("tca_flower_key_mpls_opts", {
        1: A("TCA_FLOWER_KEY_MPLS_OPTS_LSE", "nested", nested=FLOWER_MPLS_LSE)}),
    "KEY_CFM": AttrSet("tca_flower_key_cfm", {
        1: A("TCA_FLOWER_KEY_CFM_MD_LEVEL", "u8"), 2: A("TCA_FLOWER_KEY_CFM_OPCODE", "u8")}),
}


def _flower() -> AttrSet:
    attrs = {}
    for first, kind, *names in _FLOWER_KINDS:
        for i, n in enumerate(names):
            full = "TCA_FLOWER_" + n
            if kind == "actions":
                attrs[first + i] = actions(full)
            elif kind == "nested":
                attrs[first + i] = A(full, "nested", nested=_FLOWER_NESTS.get(n))
            else:
                attrs[first + i] = A(full, kind, **_FLOWER_EXTRA.get(n, {}))
    return AttrSet("tca_flower", attrs)


FLOWER = _flower()
MATCHALL = AttrSet("tca_matchall", {
    1: A("TCA_MATCHALL_CLASSID", "u32", **CLASSID),
    2: actions("TCA_MATCHALL_ACT"),
    3: A("TCA_MATCHALL_FLAGS", "u32", flags=TCA_CLS_FLAGS),
    4: A("TCA_MATCHALL_PCNT", "u64"),
    5: A("TCA_MATCHALL_PAD", "binary"),
})
BASIC = AttrSet("tca_basic", {
    1: A("TCA_BASIC_CLASSID", "u32", **CLASSID),
    2: A("TCA_BASIC_EMATCHES", "nested"),
    3: actions("TCA_BASIC_ACT"),
    4: A("TCA_BASIC_POLICE", "nested", nested=POLICE),
    5: A("TCA_BASIC_PCNT", "custom", decode=counters(["rcnt", "rhit"])),
    6: A("TCA_BASIC_PAD", "binary"),
})
BPF = AttrSet("tca_bpf", {
    1: actions("TCA_BPF_ACT"),
    2: A("TCA_BPF_POLICE", "nested", nested=POLICE),
    3: A("TCA_BPF_CLASSID", "u32", **CLASSID),
    4: A("TCA_BPF_OPS_LEN", "u16"),
    5: A("TCA_BPF_OPS", "binary"),
    6: A("TCA_BPF_FD", "u32"),
    7: A("TCA_BPF_NAME", "string"),
    8: A("TCA_BPF_FLAGS", "u32", flags={1: "TCA_BPF_FLAG_ACT_DIRECT"}),
    9: A("TCA_BPF_FLAGS_GEN", "u32", flags=TCA_CLS_FLAGS),
    10: A("TCA_BPF_TAG", "binary"),
    11: A("TCA_BPF_ID", "u32"),
})
FW = AttrSet("tca_fw", {
    1: A("TCA_FW_CLASSID", "u32", **CLASSID),
    2: A("TCA_FW_POLICE", "nested", nested=POLICE),
    3: A("TCA_FW_INDEV", "string"),
    4: actions("TCA_FW_ACT"),
    5: A("TCA_FW_MASK", "u32"),
})
FILTER_OPTIONS: dict[str, AttrSet | FixedHeader] = {
    "u32": U32, "flower": FLOWER, "matchall": MATCHALL, "basic": BASIC, "bpf": BPF, "fw": FW,
}


def _kind(siblings: list[Field]) -> str | None:
    return next((f.value for f in siblings if f.name == "TCA_KIND"), None)


def layout(spec: AttrSet | FixedHeader | object | None):
    """A custom decoder for a payload laid out as `spec`: nested attributes (an AttrSet),
    a bare struct (a FixedHeader), its own custom decoder, or unknown (None)."""
    def decode(name, buf, start, end, order, problems, path, siblings) -> Field:
        p0 = start + 4
        if isinstance(spec, AttrSet):
            return Field(name, "nest", None, start, end,
                         children=walk_attrs(buf, p0, end, spec, order, problems, path + "."))
        if isinstance(spec, FixedHeader):
            if end - p0 < spec.size:
                return kept_raw(name, buf, start, end, problems,
                                f"{path}: {spec.name} needs {spec.size} bytes, got {end - p0}")
            return Field(name, "struct", None, start, end, children=spec.parse(buf, p0, order))
        if callable(spec):
            return spec(name, buf, start, end, order, problems, path, siblings)
        scratch: list[str] = []  # an unknown kind: nested attributes if they walk cleanly
        kids = walk_attrs(buf, p0, end, None, order, scratch, path + ".")
        if end > p0 and not scratch:
            return Field(name, "nest", None, start, end, children=kids)
        return Field(name, "bytes", bytes(buf[p0:end]), start, end)
    return decode


def by_kind(table: Mapping[str, AttrSet | FixedHeader | object]):
    """TCA_OPTIONS / TCA_XSTATS: laid out as the sibling TCA_KIND says."""
    decoders = {kind: layout(spec) for kind, spec in table.items()}
    unknown = layout(None)

    def decode(name, buf, start, end, order, problems, path, siblings) -> Field:
        return decoders.get(_kind(siblings), unknown)(name, buf, start, end, order, problems, path, siblings)
    return decode


# TCA_STATS2's TCA_STATS_APP is the kind's xstats too; TCA_KIND is a sibling of TCA_STATS2.
STATS2_BY_KIND = {kind: stats2(A("TCA_STATS_APP", "custom", decode=layout(spec)))
                  for kind, spec in XSTATS.items()}


def _stats2(siblings: list[Field]) -> AttrSet:
    return STATS2_BY_KIND.get(_kind(siblings), STATS2)


TCA_DUMP_FLAGS = {1: "TCA_DUMP_FLAGS_TERSE"}


def _tca(name: str, options: Mapping) -> AttrSet:
    return AttrSet(name, {
        1: A("TCA_KIND", "string"),
        2: A("TCA_OPTIONS", "custom", decode=by_kind(options)),
        3: A("TCA_STATS", "struct", struct=TC_STATS),
        4: A("TCA_XSTATS", "custom", decode=by_kind(XSTATS)),
        5: A("TCA_RATE", "struct", struct=TC_ESTIMATOR),
        6: A("TCA_FCNT", "u32"),
        7: A("TCA_STATS2", "nested", nested=_stats2),
        8: A("TCA_STAB", "nested", nested=AttrSet("tca_stab", {
            1: A("TCA_STAB_BASE", "struct", struct=hdr("tc_sizespec", Struct(
                "cell_log" / Int8un, "size_log" / Int8un, "cell_align" / Int16sn, "overhead" / Int32sn,
                "linklayer" / Int32un, "mpu" / Int32un, "mtu" / Int32un, "tsize" / Int32un),
                enums={"linklayer": TC_LINKLAYER})),
            2: A("TCA_STAB_DATA", "binary")})),
        9: A("TCA_PAD", "binary"),
        10: A("TCA_DUMP_INVISIBLE", "flag"),
        11: A("TCA_CHAIN", "u32"),
        12: A("TCA_HW_OFFLOAD", "u8"),
        13: A("TCA_INGRESS_BLOCK", "u32"),
        14: A("TCA_EGRESS_BLOCK", "u32"),
        15: A("TCA_DUMP_FLAGS", "bitfield32", flags=TCA_DUMP_FLAGS),
        16: A("TCA_EXT_WARN_MSG", "string"),
    })


TCA_QDISC = _tca("tca(qdisc)", QDISC_OPTIONS)
TCA_FILTER = _tca("tca(filter)", FILTER_OPTIONS)


# -- summaries ------------------------------------------------------------------------------
def _parent_text(parent: int) -> str:
    if parent == 0xFFFFFFFF:
        return "root"
    if parent == TC_H_INGRESS:  # ingress and clsact qdiscs hang here
        return "parent ffff:fff1"
    if parent == 0xFFFFFFF2:  # TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS): tc says "ingress"
        return "ingress"
    if parent == 0xFFFFFFF3:
        return "egress"
    return f"parent {tc_handle(parent)}"


def mask_len(mask: str) -> int:
    """The prefix length of a netmask given as an address (255.255.255.0 -> 24)."""
    return bin(int(ipaddress.ip_address(mask))).count("1")


def _rate(v: int) -> str:
    """Bytes per second as tc prints bits per second."""
    bits = v * 8
    for unit, div in (("Gbit", 10**9), ("Mbit", 10**6), ("Kbit", 10**3)):
        if bits >= div and bits % div == 0:
            return f"{bits // div}{unit}"
    return f"{bits}bit"


def _options_detail(kind: str | None, opts: Field | None) -> list[str]:
    if opts is None or not opts.children:
        return []
    out = []
    if kind == "htb":
        glob = opts.get("TCA_HTB_INIT")
        if glob is not None and glob.get("defcls") is not None:
            out.append(f"r2q {glob.get('rate2quantum').value} default 0x{glob.get('defcls').value:x}")
        parms = opts.get("TCA_HTB_PARMS")
        if parms is not None and parms.get("rate") is not None:
            rate64, ceil64 = opts.get("TCA_HTB_RATE64"), opts.get("TCA_HTB_CEIL64")
            rate = rate64.value if rate64 is not None else parms.get("rate").get("rate").value
            ceil = ceil64.value if ceil64 is not None else parms.get("ceil").get("rate").value
            out.append(f"rate {_rate(rate)} ceil {_rate(ceil)}")
            if parms.get("prio").value:
                out.append(f"prio {parms.get('prio').value}")
    elif kind == "tbf":
        parms = opts.get("TCA_TBF_PARMS")
        if parms is not None and parms.get("rate") is not None:
            rate64 = opts.get("TCA_TBF_RATE64")
            rate = rate64.value if rate64 is not None else parms.get("rate").get("rate").value
            out.append(f"rate {_rate(rate)}")
            out.append(f"limit {parms.get('limit').value}b")
    elif kind == "fq_codel":
        for key, word in (("TCA_FQ_CODEL_LIMIT", "limit"), ("TCA_FQ_CODEL_FLOWS", "flows"),
                          ("TCA_FQ_CODEL_TARGET", "target"), ("TCA_FQ_CODEL_INTERVAL", "interval")):
            f = opts.get(key)
            if f is not None:
                out.append(f"{word} {f.value}" + ("us" if word in ("target", "interval") else ""))
        ecn = opts.get("TCA_FQ_CODEL_ECN")
        if ecn is not None and ecn.value:
            out.append("ecn")
    elif kind in ("u32", "flower", "matchall", "basic", "fw", "bpf"):
        for c in opts.children:
            if c.name.endswith("_CLASSID"):
                out.append(f"classid {c.meta or c.value}")
            elif c.name == "TCA_U32_SEL":
                keys = c.get("keys")
                out.append(f"keys {len(keys.children or ()) if keys is not None else 0}")
            elif c.name.endswith("_ACT") and c.kind == "list":
                for act in c.children or ():
                    out.extend(_action_words(act))
        if kind == "flower":
            for key, word in (("TCA_FLOWER_KEY_ETH_TYPE", "protocol"), ("TCA_FLOWER_KEY_IP_PROTO", "ip_proto"),
                              ("TCA_FLOWER_KEY_IPV4_SRC", "src_ip"), ("TCA_FLOWER_KEY_IPV4_DST", "dst_ip"),
                              ("TCA_FLOWER_KEY_IPV6_SRC", "src_ip"), ("TCA_FLOWER_KEY_IPV6_DST", "dst_ip"),
                              ("TCA_FLOWER_KEY_TCP_SRC", "src_port"), ("TCA_FLOWER_KEY_TCP_DST", "dst_port"),
                              ("TCA_FLOWER_KEY_UDP_SRC", "src_port"), ("TCA_FLOWER_KEY_UDP_DST", "dst_port")):
                f = opts.get(key)
                if f is None or key == "TCA_FLOWER_KEY_ETH_TYPE":
                    continue
                text = f.short().removeprefix("IPPROTO_").lower() if f.kind == "enum" else f.value
                mask = opts.get(key + "_MASK")
                if f.kind == "addr" and mask is not None and mask.kind == "addr":
                    text = f"{text}/{mask_len(mask.value)}"
                out.append(f"{word} {text}")
    return out


def _action_words(act: Field) -> list[str]:
    kind = act.get("TCA_ACT_KIND")
    if kind is None:
        return []
    out = [f"action {kind.value}"]
    opts = act.get("TCA_ACT_OPTIONS")
    parms = None
    if opts is not None:
        parms = next((c for c in opts.children or ()
                      if c.name.endswith("_PARMS") or c.name == "TCA_POLICE_TBF"), None)
    if parms is not None and parms.get("eaction") is not None:  # mirred: `egress redirect dev 3`
        ea = parms.get("eaction")
        words = {1: "egress redirect", 2: "egress mirror", 3: "ingress redirect", 4: "ingress mirror"}
        out.append(words.get(ea.value, str(ea.value)))
        out.append(f"dev {parms.get('ifindex').value}")
    if parms is not None and parms.get("action") is not None:
        out.append(tc_act_text(parms.get("action").value))
    return out


def tc_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    kind = v.av("TCA_KIND")
    dev = v.hv("tcm_ifindex")
    if is_dump_request(msg):
        extra = []
        if dev:
            extra.append(f"dev {dev}")
        if "tcm_parent" in v.h and v.hv("tcm_parent"):
            extra.append(_parent_text(v.hv("tcm_parent")))
        if "TCA_CHAIN" in v.a:
            extra.append(f"chain {v.av('TCA_CHAIN')}")
        return dump_line(msg, v, " ".join(extra))
    parts = [msg.type_name]
    if dev == -1 and "tcm_parent" in v.h:  # TCM_IFINDEX_MAGIC_BLOCK
        parts.append(f"block {v.hv('tcm_parent')}")
    elif dev:
        parts.append(f"dev {dev}")
    handle, parent, info = v.hv("tcm_handle", 0), v.hv("tcm_parent", 0), v.hv("tcm_info", 0)
    filt = msg.type in (44, 45, 46, 100, 101, 102)
    if filt:
        if parent:
            parts.append(_parent_text(parent))
        proto = info & 0xFFFF
        proto = ((proto & 0xFF) << 8) | (proto >> 8)  # the protocol is htons(ETH_P_*)
        if proto:
            parts.append(f"protocol {ETH_WORD.get(proto, f'0x{proto:04x}')}")
        if info >> 16:
            parts.append(f"pref {info >> 16}")
        if kind:
            parts.append(kind)
        if "TCA_CHAIN" in v.a:
            parts.append(f"chain {v.av('TCA_CHAIN')}")
        if handle:
            if kind == "u32":
                parts.append(f"fh {handle >> 20:x}:{(handle >> 12) & 0xFF:x}:{handle & 0xFFF:x}")
            else:
                parts.append(f"handle 0x{handle:x}")
    else:
        if kind:
            parts.append(kind)
        if handle or not parent:
            parts.append(tc_handle(handle))
        if parent:
            parts.append(_parent_text(parent))
    parts.extend(_options_detail(kind, v.a.get("TCA_OPTIONS")))
    if len(parts) == 1:
        parts.append(f"handle {tc_handle(handle)}")
    return " ".join(str(p) for p in parts)


# -- RTM_*ACTION: struct tcamsg, TCA_ROOT_* ------------------------------------------------
TCAMSG = hdr("tcamsg", Struct("tca_family" / Int8un, Padding(3)), enums={"tca_family": AF_NAMES})
TCA_ROOT = AttrSet("tca_root", {
    1: actions("TCA_ROOT_TAB"),
    2: A("TCA_ROOT_FLAGS", "bitfield32", flags={1: "TCA_ACT_FLAG_LARGE_DUMP_ON", 2: "TCA_ACT_FLAG_TERSE_DUMP"}),
    3: A("TCA_ROOT_COUNT", "u32"),
    4: A("TCA_ROOT_TIME_DELTA", "u32"),
    5: A("TCA_ROOT_EXT_WARN_MSG", "string"),
})


def action_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    tab = v.a.get("TCA_ROOT_TAB")
    acts = [a for a in (tab.children or ()) if a.kind == "nest"] if tab is not None else []
    if is_dump_request(msg):
        kinds = [a.get("TCA_ACT_KIND").value for a in acts if a.get("TCA_ACT_KIND") is not None]
        return dump_line(msg, v, " ".join(f"action {k}" for k in kinds))
    parts = [msg.type_name]
    for a in acts:
        parts.extend(_action_words(a))
        idx = a.get("TCA_ACT_INDEX")
        if idx is None:
            opts = a.get("TCA_ACT_OPTIONS")
            parms = next((c for c in (opts.children or ()) if c.name.endswith("_PARMS")), None) if opts else None
            idx = parms.get("index") if parms is not None else None
        if idx is not None:
            parts.append(f"index {idx.value}")
    if "TCA_ROOT_COUNT" in v.a:
        parts.append(f"count {v.av('TCA_ROOT_COUNT')}")
    if len(parts) == 1:
        parts.append("(no actions)")
    return " ".join(str(p) for p in parts)


MESSAGES = {
    36: message("RTM_NEWQDISC", TCMSG, TCA_QDISC, tc_summary),
    37: message("RTM_DELQDISC", TCMSG, TCA_QDISC, tc_summary),
    38: message("RTM_GETQDISC", TCMSG, TCA_QDISC, tc_summary),
    40: message("RTM_NEWTCLASS", TCMSG, TCA_QDISC, tc_summary),
    41: message("RTM_DELTCLASS", TCMSG, TCA_QDISC, tc_summary),
    42: message("RTM_GETTCLASS", TCMSG, TCA_QDISC, tc_summary),
    44: message("RTM_NEWTFILTER", TCMSG, TCA_FILTER, tc_summary),
    45: message("RTM_DELTFILTER", TCMSG, TCA_FILTER, tc_summary),
    46: message("RTM_GETTFILTER", TCMSG, TCA_FILTER, tc_summary),
    48: message("RTM_NEWACTION", TCAMSG, TCA_ROOT, action_summary),
    49: message("RTM_DELACTION", TCAMSG, TCA_ROOT, action_summary),
    50: message("RTM_GETACTION", TCAMSG, TCA_ROOT, action_summary),
    100: message("RTM_NEWCHAIN", TCMSG, TCA_FILTER, tc_summary),
    101: message("RTM_DELCHAIN", TCMSG, TCA_FILTER, tc_summary),
    102: message("RTM_GETCHAIN", TCMSG, TCA_FILTER, tc_summary),
}
