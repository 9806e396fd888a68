"""tc actions: TCA_ACT_* and each kind's TCA_ACT_OPTIONS (linux/pkt_cls.h,
linux/tc_act/*.h; wire layouts from net/sched/act_*.c)."""
from __future__ import annotations

from collections.abc import Mapping

from construct import Bytes, Int8un, Int16un, Int32sn, Int32ub, Int32un, Int64un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, FixedHeader

from .rtnl_common import AF_NAMES, ETH_P, A, hdr, kept_raw, tc_handle
from .tc_qdisc import TC_LINKLAYER, TC_RATESPEC
from .tc_stats import STATS2

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


def _gen(name: str, *extra, enums: Mapping = {}, **hints) -> FixedHeader:
    """The tc_gen members every action's parameters start with, then its own."""
    return hdr(name, Struct("index" / Int32un, "capab" / Int32un, "action" / Int32un,
                            "refcnt" / Int32sn, "bindcnt" / Int32sn, *extra),
               fmts={"action": lambda v: TC_ACT.get(v) or tc_act_text(v)}, enums=enums, **hints)


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
IPPROTO = {1: "IPPROTO_ICMP", 2: "IPPROTO_IGMP", 4: "IPPROTO_IPIP", 6: "IPPROTO_TCP",
           17: "IPPROTO_UDP", 41: "IPPROTO_IPV6", 47: "IPPROTO_GRE", 50: "IPPROTO_ESP",
           51: "IPPROTO_AH", 58: "IPPROTO_ICMPV6", 132: "IPPROTO_SCTP", 136: "IPPROTO_UDPLITE",
           137: "IPPROTO_MPLS", 255: "IPPROTO_RAW", 262: "IPPROTO_MPTCP"}

# -- pedit: struct tc_pedit_sel then its nkeys struct tc_pedit_key ---------------------------
TC_PEDIT_SEL = _gen("tc_pedit_sel", "nkeys" / Int8un, "flags" / Int8un, Padding(2))
# mask and val are ANDed and XORed onto the packet's own bytes: network order
TC_PEDIT_KEY = hdr("tc_pedit_key", Struct(
    "mask" / Int32ub, "val" / Int32ub, "off" / Int32un, "at" / Int32un, "offmask" / Int32un,
    "shift" / Int32un), fmts={"mask": lambda v: f"0x{v:08x}", "val": lambda v: f"0x{v:08x}"})


def _pedit_sel(name, buf, start, end, order, problems, path, siblings) -> Field:
    p = start + 4
    if end - p < TC_PEDIT_SEL.size:
        return kept_raw(name, buf, start, end, problems,
                        f"{path}: tc_pedit_sel needs {TC_PEDIT_SEL.size} bytes, got {end - p}")
    kids = TC_PEDIT_SEL.parse(buf, p, order)
    nkeys = next(k.value for k in kids if k.name == "nkeys")
    p += TC_PEDIT_SEL.size
    keys = []
    for _ in range(nkeys):
        if end - p < TC_PEDIT_KEY.size:
            problems.append(f"{path}: {nkeys} keys announced, {len(keys)} present")
            break
        keys.append(Field("key", "struct", None, p, p + TC_PEDIT_KEY.size, children=TC_PEDIT_KEY.parse(buf, p, order)))
        p += TC_PEDIT_KEY.size
    kids.append(Field("keys", "list", None, start + 4 + TC_PEDIT_SEL.size, p, children=keys))
    return Field(name, "struct", None, start, end, children=kids)


PEDIT_KEY_EX = AttrSet("tca_pedit_key_ex", {
    1: A("TCA_PEDIT_KEY_EX_HTYPE", "u16", enum={
        0: "TCA_PEDIT_KEY_EX_HDR_TYPE_NETWORK", 1: "TCA_PEDIT_KEY_EX_HDR_TYPE_ETH",
        2: "TCA_PEDIT_KEY_EX_HDR_TYPE_IP4", 3: "TCA_PEDIT_KEY_EX_HDR_TYPE_IP6",
        4: "TCA_PEDIT_KEY_EX_HDR_TYPE_TCP", 5: "TCA_PEDIT_KEY_EX_HDR_TYPE_UDP"}),
    2: A("TCA_PEDIT_KEY_EX_CMD", "u16", enum={0: "TCA_PEDIT_KEY_EX_CMD_SET", 1: "TCA_PEDIT_KEY_EX_CMD_ADD"}),
})
PEDIT = AttrSet("tca_pedit", {
    1: A("TCA_PEDIT_TM", "struct", struct=TCF_T),
    2: A("TCA_PEDIT_PARMS", "custom", decode=_pedit_sel),
    3: A("TCA_PEDIT_PAD", "binary"),
    4: A("TCA_PEDIT_PARMS_EX", "custom", decode=_pedit_sel),
    5: A("TCA_PEDIT_KEYS_EX", "nested", nested=AttrSet("tca_pedit_keys_ex", {
        6: A("TCA_PEDIT_KEY_EX", "nested", nested=PEDIT_KEY_EX)})),
    6: A("TCA_PEDIT_KEY_EX", "nested", nested=PEDIT_KEY_EX),
})

# -- skbedit --------------------------------------------------------------------------------
SKBEDIT_F = {1: "SKBEDIT_F_PRIORITY", 2: "SKBEDIT_F_QUEUE_MAPPING", 4: "SKBEDIT_F_MARK", 8: "SKBEDIT_F_PTYPE",
             16: "SKBEDIT_F_MASK", 32: "SKBEDIT_F_INHERITDSFIELD", 64: "SKBEDIT_F_TXQ_SKBHASH"}
PACKET_TYPE = {0: "PACKET_HOST", 1: "PACKET_BROADCAST", 2: "PACKET_MULTICAST", 3: "PACKET_OTHERHOST",
               4: "PACKET_OUTGOING", 5: "PACKET_LOOPBACK", 6: "PACKET_USER", 7: "PACKET_KERNEL"}  # linux/if_packet.h
SKBEDIT = AttrSet("tca_skbedit", {
    1: A("TCA_SKBEDIT_TM", "struct", struct=TCF_T),
    2: A("TCA_SKBEDIT_PARMS", "struct", struct=_gen("tc_skbedit")),
    3: A("TCA_SKBEDIT_PRIORITY", "u32", fmt=tc_handle),
    4: A("TCA_SKBEDIT_QUEUE_MAPPING", "u16"),
    5: A("TCA_SKBEDIT_MARK", "u32"),
    6: A("TCA_SKBEDIT_PAD", "binary"),
    7: A("TCA_SKBEDIT_PTYPE", "u16", enum=PACKET_TYPE),
    8: A("TCA_SKBEDIT_MASK", "u32"),
    9: A("TCA_SKBEDIT_FLAGS", "u64", flags=SKBEDIT_F),
    10: A("TCA_SKBEDIT_QUEUE_MAPPING_MAX", "u16"),
})

# -- vlan -----------------------------------------------------------------------------------
TCA_VLAN_ACT = {1: "TCA_VLAN_ACT_POP", 2: "TCA_VLAN_ACT_PUSH", 3: "TCA_VLAN_ACT_MODIFY",
                4: "TCA_VLAN_ACT_POP_ETH", 5: "TCA_VLAN_ACT_PUSH_ETH"}
VLAN = AttrSet("tca_vlan", {
    1: A("TCA_VLAN_TM", "struct", struct=TCF_T),
    2: A("TCA_VLAN_PARMS", "struct", struct=_gen("tc_vlan", "v_action" / Int32sn, enums={"v_action": TCA_VLAN_ACT})),
    3: A("TCA_VLAN_PUSH_VLAN_ID", "u16"),
    4: A("TCA_VLAN_PUSH_VLAN_PROTOCOL", "be16", enum=ETH_P),
    5: A("TCA_VLAN_PAD", "binary"),
    6: A("TCA_VLAN_PUSH_VLAN_PRIORITY", "u8"),
    7: A("TCA_VLAN_PUSH_ETH_DST", "mac"),
    8: A("TCA_VLAN_PUSH_ETH_SRC", "mac"),
})

# -- tunnel_key -----------------------------------------------------------------------------
TUNNEL_KEY_ENC_OPTS = AttrSet("tca_tunnel_key_enc_opts", {
    1: A("TCA_TUNNEL_KEY_ENC_OPTS_GENEVE", "nested", nested=AttrSet("tca_tunnel_key_enc_opt_geneve", {
        1: A("TCA_TUNNEL_KEY_ENC_OPT_GENEVE_CLASS", "be16"),
        2: A("TCA_TUNNEL_KEY_ENC_OPT_GENEVE_TYPE", "u8"),
        3: A("TCA_TUNNEL_KEY_ENC_OPT_GENEVE_DATA", "binary")})),
    2: A("TCA_TUNNEL_KEY_ENC_OPTS_VXLAN", "nested", nested=AttrSet("tca_tunnel_key_enc_opt_vxlan", {
        1: A("TCA_TUNNEL_KEY_ENC_OPT_VXLAN_GBP", "u32")})),
    3: A("TCA_TUNNEL_KEY_ENC_OPTS_ERSPAN", "nested", nested=AttrSet("tca_tunnel_key_enc_opt_erspan", {
        1: A("TCA_TUNNEL_KEY_ENC_OPT_ERSPAN_VER", "u8"),
        2: A("TCA_TUNNEL_KEY_ENC_OPT_ERSPAN_INDEX", "be32"),
        3: A("TCA_TUNNEL_KEY_ENC_OPT_ERSPAN_DIR", "u8"),
        4: A("TCA_TUNNEL_KEY_ENC_OPT_ERSPAN_HWID", "u8")})),
})
TUNNEL_KEY = AttrSet("tca_tunnel_key", {
    1: A("TCA_TUNNEL_KEY_TM", "struct", struct=TCF_T),
    2: A("TCA_TUNNEL_KEY_PARMS", "struct", struct=_gen("tc_tunnel_key", "t_action" / Int32sn, enums={
        "t_action": {1: "TCA_TUNNEL_KEY_ACT_SET", 2: "TCA_TUNNEL_KEY_ACT_RELEASE"}})),
    3: A("TCA_TUNNEL_KEY_ENC_IPV4_SRC", "ipv4"),
    4: A("TCA_TUNNEL_KEY_ENC_IPV4_DST", "ipv4"),
    5: A("TCA_TUNNEL_KEY_ENC_IPV6_SRC", "ipv6"),
    6: A("TCA_TUNNEL_KEY_ENC_IPV6_DST", "ipv6"),
    7: A("TCA_TUNNEL_KEY_ENC_KEY_ID", "be32"),  # the header says be64; the kernel puts and reads a be32
    8: A("TCA_TUNNEL_KEY_PAD", "binary"),
    9: A("TCA_TUNNEL_KEY_ENC_DST_PORT", "be16"),
    10: A("TCA_TUNNEL_KEY_NO_CSUM", "u8"),
    11: A("TCA_TUNNEL_KEY_ENC_OPTS", "nested", nested=TUNNEL_KEY_ENC_OPTS),
    12: A("TCA_TUNNEL_KEY_ENC_TOS", "u8"),
    13: A("TCA_TUNNEL_KEY_ENC_TTL", "u8"),
    14: A("TCA_TUNNEL_KEY_NO_FRAG", "flag"),
})

# -- ct -------------------------------------------------------------------------------------
TCA_CT_ACT = {1: "TCA_CT_ACT_COMMIT", 2: "TCA_CT_ACT_FORCE", 4: "TCA_CT_ACT_CLEAR", 8: "TCA_CT_ACT_NAT",
              16: "TCA_CT_ACT_NAT_SRC", 32: "TCA_CT_ACT_NAT_DST"}
CT = AttrSet("tca_ct", {
    1: A("TCA_CT_PARMS", "struct", struct=_gen("tc_ct")),
    2: A("TCA_CT_TM", "struct", struct=TCF_T),
    3: A("TCA_CT_ACTION", "u16", flags=TCA_CT_ACT),
    4: A("TCA_CT_ZONE", "u16"),
    5: A("TCA_CT_MARK", "u32"),
    6: A("TCA_CT_MARK_MASK", "u32"),
    7: A("TCA_CT_LABELS", "binary"),
    8: A("TCA_CT_LABELS_MASK", "binary"),
    9: A("TCA_CT_NAT_IPV4_MIN", "ipv4"),
    10: A("TCA_CT_NAT_IPV4_MAX", "ipv4"),
    11: A("TCA_CT_NAT_IPV6_MIN", "ipv6"),
    12: A("TCA_CT_NAT_IPV6_MAX", "ipv6"),
    13: A("TCA_CT_NAT_PORT_MIN", "be16"),
    14: A("TCA_CT_NAT_PORT_MAX", "be16"),
    15: A("TCA_CT_PAD", "binary"),
    16: A("TCA_CT_HELPER_NAME", "string"),
    17: A("TCA_CT_HELPER_FAMILY", "u8", enum=AF_NAMES),
    18: A("TCA_CT_HELPER_PROTO", "u8", enum=IPPROTO),
})

# -- sample, connmark, csum, nat, ctinfo ----------------------------------------------------
SAMPLE = AttrSet("tca_sample", {
    1: A("TCA_SAMPLE_TM", "struct", struct=TCF_T),
    2: A("TCA_SAMPLE_PARMS", "struct", struct=_gen("tc_sample")),
    3: A("TCA_SAMPLE_RATE", "u32"),
    4: A("TCA_SAMPLE_TRUNC_SIZE", "u32"),
    5: A("TCA_SAMPLE_PSAMPLE_GROUP", "u32"),
    6: A("TCA_SAMPLE_PAD", "binary"),
})
CONNMARK = AttrSet("tca_connmark", {
    1: A("TCA_CONNMARK_PARMS", "struct", struct=_gen("tc_connmark", "zone" / Int16un, Padding(2))),
    2: A("TCA_CONNMARK_TM", "struct", struct=TCF_T),
    3: A("TCA_CONNMARK_PAD", "binary"),
})
TCA_CSUM_UPDATE_FLAG = {1: "TCA_CSUM_UPDATE_FLAG_IPV4HDR", 2: "TCA_CSUM_UPDATE_FLAG_ICMP",
                        4: "TCA_CSUM_UPDATE_FLAG_IGMP", 8: "TCA_CSUM_UPDATE_FLAG_TCP",
                        16: "TCA_CSUM_UPDATE_FLAG_UDP", 32: "TCA_CSUM_UPDATE_FLAG_UDPLITE",
                        64: "TCA_CSUM_UPDATE_FLAG_SCTP"}
CSUM = AttrSet("tca_csum", {
    1: A("TCA_CSUM_PARMS", "struct",
         struct=_gen("tc_csum", "update_flags" / Int32un, flags={"update_flags": TCA_CSUM_UPDATE_FLAG})),
    2: A("TCA_CSUM_TM", "struct", struct=TCF_T),
    3: A("TCA_CSUM_PAD", "binary"),
})
NAT = AttrSet("tca_nat", {
    1: A("TCA_NAT_PARMS", "struct", struct=_gen(
        "tc_nat", "old_addr" / Bytes(4), "new_addr" / Bytes(4), "mask" / Bytes(4), "flags" / Int32un,
        kinds={"old_addr": "ipv4", "new_addr": "ipv4", "mask": "ipv4"}, flags={"flags": {1: "TCA_NAT_FLAG_EGRESS"}})),
    2: A("TCA_NAT_TM", "struct", struct=TCF_T),
    3: A("TCA_NAT_PAD", "binary"),
})
CTINFO = AttrSet("tca_ctinfo", {
    1: A("TCA_CTINFO_PAD", "binary"),
    2: A("TCA_CTINFO_TM", "struct", struct=TCF_T),
    3: A("TCA_CTINFO_ACT", "struct", struct=_gen("tc_ctinfo")),
    4: A("TCA_CTINFO_ZONE", "u16"),
    5: A("TCA_CTINFO_PARMS_DSCP_MASK", "u32"),
    6: A("TCA_CTINFO_PARMS_DSCP_STATEMASK", "u32"),
    7: A("TCA_CTINFO_PARMS_CPMARK_MASK", "u32"),
    8: A("TCA_CTINFO_STATS_DSCP_SET", "u64"),
    9: A("TCA_CTINFO_STATS_DSCP_ERROR", "u64"),
    10: A("TCA_CTINFO_STATS_CPMARK_SET", "u64"),
})

ACTION_OPTIONS: dict[str, AttrSet] = {
    "gact": GACT, "mirred": MIRRED, "police": POLICE, "pedit": PEDIT, "skbedit": SKBEDIT,
    "vlan": VLAN, "tunnel_key": TUNNEL_KEY, "ct": CT, "sample": SAMPLE, "connmark": CONNMARK,
    "csum": CSUM, "nat": NAT, "ctinfo": CTINFO,
}
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
