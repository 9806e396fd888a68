"""ctnetlink (NFNL_SUBSYS_CTNETLINK, _EXP, _TIMEOUT, CTHELPER): conntrack entries,
expectations, stats, timeout policies and helpers.
Facts: linux/netfilter/nfnetlink_conntrack.h, nf_conntrack_common.h,
nf_conntrack_tcp.h, nfnetlink_cttimeout.h, nfnetlink_cthelper.h.
ctnetlink puts integers in network order (be16/be32/be64); counts of u8 stay u8
(checked against the kernel's nla_put_*/nla_get_* calls, net/netfilter/nf_conntrack_*.c,
nfnetlink_cttimeout.c, nfnetlink_cthelper.c, 6.12). The sequence offsets of
CTA_SEQ_ADJ_* are s32 in struct nf_ct_seqadj: signed values.
"""
from __future__ import annotations

import construct as cs

from nlscope.decode.model import Field, find
from nlscope.decode.nla import Attr, AttrSet, FixedHeader
from nlscope.decode import summary_fields as sf

from .nf_common import (CT_FAMILY_SHORT, IPPROTO, NFPROTO, attrs_of, be_s32, family, is_dump,
                        kind_of, nf_message, res_id)

CT_MSGS = {0: "IPCTNL_MSG_CT_NEW", 1: "IPCTNL_MSG_CT_GET", 2: "IPCTNL_MSG_CT_DELETE",
           3: "IPCTNL_MSG_CT_GET_CTRZERO", 4: "IPCTNL_MSG_CT_GET_STATS_CPU",
           5: "IPCTNL_MSG_CT_GET_STATS", 6: "IPCTNL_MSG_CT_GET_DYING",
           7: "IPCTNL_MSG_CT_GET_UNCONFIRMED"}
EXP_MSGS = {0: "IPCTNL_MSG_EXP_NEW", 1: "IPCTNL_MSG_EXP_GET", 2: "IPCTNL_MSG_EXP_DELETE",
            3: "IPCTNL_MSG_EXP_GET_STATS_CPU"}
TIMEOUT_MSGS = {0: "IPCTNL_MSG_TIMEOUT_NEW", 1: "IPCTNL_MSG_TIMEOUT_GET",
                2: "IPCTNL_MSG_TIMEOUT_DELETE", 3: "IPCTNL_MSG_TIMEOUT_DEFAULT_SET",
                4: "IPCTNL_MSG_TIMEOUT_DEFAULT_GET"}
HELPER_MSGS = {0: "NFNL_MSG_CTHELPER_NEW", 1: "NFNL_MSG_CTHELPER_GET", 2: "NFNL_MSG_CTHELPER_DEL"}

# enum ip_conntrack_status
IPS = {1 << 0: "IPS_EXPECTED", 1 << 1: "IPS_SEEN_REPLY", 1 << 2: "IPS_ASSURED",
       1 << 3: "IPS_CONFIRMED", 1 << 4: "IPS_SRC_NAT", 1 << 5: "IPS_DST_NAT",
       1 << 6: "IPS_SEQ_ADJUST", 1 << 7: "IPS_SRC_NAT_DONE", 1 << 8: "IPS_DST_NAT_DONE",
       1 << 9: "IPS_DYING", 1 << 10: "IPS_FIXED_TIMEOUT", 1 << 11: "IPS_TEMPLATE",
       1 << 12: "IPS_UNTRACKED", 1 << 13: "IPS_HELPER", 1 << 14: "IPS_OFFLOAD",
       1 << 15: "IPS_HW_OFFLOAD"}
# enum tcp_conntrack
TCP_CONNTRACK = {0: "TCP_CONNTRACK_NONE", 1: "TCP_CONNTRACK_SYN_SENT", 2: "TCP_CONNTRACK_SYN_RECV",
                 3: "TCP_CONNTRACK_ESTABLISHED", 4: "TCP_CONNTRACK_FIN_WAIT",
                 5: "TCP_CONNTRACK_CLOSE_WAIT", 6: "TCP_CONNTRACK_LAST_ACK",
                 7: "TCP_CONNTRACK_TIME_WAIT", 8: "TCP_CONNTRACK_CLOSE",
                 9: "TCP_CONNTRACK_SYN_SENT2", 10: "TCP_CONNTRACK_MAX",
                 11: "TCP_CONNTRACK_IGNORE", 12: "TCP_CONNTRACK_RETRANS",
                 13: "TCP_CONNTRACK_UNACK"}
# enum sctp_conntrack (linux/netfilter/nf_conntrack_sctp.h)
SCTP_CONNTRACK = {0: "SCTP_CONNTRACK_NONE", 1: "SCTP_CONNTRACK_CLOSED", 2: "SCTP_CONNTRACK_COOKIE_WAIT",
                  3: "SCTP_CONNTRACK_COOKIE_ECHOED", 4: "SCTP_CONNTRACK_ESTABLISHED",
                  5: "SCTP_CONNTRACK_SHUTDOWN_SENT", 6: "SCTP_CONNTRACK_SHUTDOWN_RECD",
                  7: "SCTP_CONNTRACK_SHUTDOWN_ACK_SENT", 8: "SCTP_CONNTRACK_HEARTBEAT_SENT",
                  9: "SCTP_CONNTRACK_HEARTBEAT_ACKED"}
TCP_CT_FLAGS = {0x01: "IP_CT_TCP_FLAG_WINDOW_SCALE", 0x02: "IP_CT_TCP_FLAG_SACK_PERM",
                0x04: "IP_CT_TCP_FLAG_CLOSE_INIT", 0x08: "IP_CT_TCP_FLAG_BE_LIBERAL",
                0x10: "IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED", 0x20: "IP_CT_TCP_FLAG_MAXACK_SET",
                0x40: "IP_CT_EXP_CHALLENGE_ACK", 0x80: "IP_CT_TCP_SIMULTANEOUS_OPEN"}
EXPECT_FLAGS = {0x1: "NF_CT_EXPECT_PERMANENT", 0x2: "NF_CT_EXPECT_INACTIVE",
                0x4: "NF_CT_EXPECT_USERSPACE"}
# enum ip_conntrack_info (NFQA_CT_INFO, NFULA_CT_INFO)
CT_INFO = {0: "IP_CT_ESTABLISHED", 1: "IP_CT_RELATED", 2: "IP_CT_NEW",
           3: "IP_CT_ESTABLISHED_REPLY", 4: "IP_CT_RELATED_REPLY", 5: "IP_CT_NEW_REPLY"}

TCP_FLAGS_STRUCT = FixedHeader("nf_ct_tcp_flags", cs.Struct("flags" / cs.Int8un, "mask" / cs.Int8un),
                               flags={"flags": TCP_CT_FLAGS, "mask": TCP_CT_FLAGS})

TUPLE_IP = AttrSet("ctattr_ip", {
    1: Attr("CTA_IP_V4_SRC", "ipv4"), 2: Attr("CTA_IP_V4_DST", "ipv4"),
    3: Attr("CTA_IP_V6_SRC", "ipv6"), 4: Attr("CTA_IP_V6_DST", "ipv6"),
})
TUPLE_PROTO = AttrSet("ctattr_l4proto", {
    1: Attr("CTA_PROTO_NUM", "u8", enum={k: v for k, v in IPPROTO.items() if k < 256}),
    2: Attr("CTA_PROTO_SRC_PORT", "be16"), 3: Attr("CTA_PROTO_DST_PORT", "be16"),
    4: Attr("CTA_PROTO_ICMP_ID", "be16"), 5: Attr("CTA_PROTO_ICMP_TYPE", "u8"),
    6: Attr("CTA_PROTO_ICMP_CODE", "u8"), 7: Attr("CTA_PROTO_ICMPV6_ID", "be16"),
    8: Attr("CTA_PROTO_ICMPV6_TYPE", "u8"), 9: Attr("CTA_PROTO_ICMPV6_CODE", "u8"),
})
TUPLE = AttrSet("ctattr_tuple", {
    1: Attr("CTA_TUPLE_IP", "nested", nested=TUPLE_IP),
    2: Attr("CTA_TUPLE_PROTO", "nested", nested=TUPLE_PROTO),
    3: Attr("CTA_TUPLE_ZONE", "be16"),
})
PROTOINFO = AttrSet("ctattr_protoinfo", {
    1: Attr("CTA_PROTOINFO_TCP", "nested", nested=AttrSet("ctattr_protoinfo_tcp", {
        1: Attr("CTA_PROTOINFO_TCP_STATE", "u8", enum=TCP_CONNTRACK),
        2: Attr("CTA_PROTOINFO_TCP_WSCALE_ORIGINAL", "u8"),
        3: Attr("CTA_PROTOINFO_TCP_WSCALE_REPLY", "u8"),
        4: Attr("CTA_PROTOINFO_TCP_FLAGS_ORIGINAL", "struct", struct=TCP_FLAGS_STRUCT),
        5: Attr("CTA_PROTOINFO_TCP_FLAGS_REPLY", "struct", struct=TCP_FLAGS_STRUCT),
    })),
    2: Attr("CTA_PROTOINFO_DCCP", "nested", nested=AttrSet("ctattr_protoinfo_dccp", {
        1: Attr("CTA_PROTOINFO_DCCP_STATE", "u8"), 2: Attr("CTA_PROTOINFO_DCCP_ROLE", "u8"),
        3: Attr("CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ", "be64"), 4: Attr("CTA_PROTOINFO_DCCP_PAD", "binary"),
    })),
    3: Attr("CTA_PROTOINFO_SCTP", "nested", nested=AttrSet("ctattr_protoinfo_sctp", {
        1: Attr("CTA_PROTOINFO_SCTP_STATE", "u8", enum=SCTP_CONNTRACK),
        2: Attr("CTA_PROTOINFO_SCTP_VTAG_ORIGINAL", "be32"),
        3: Attr("CTA_PROTOINFO_SCTP_VTAG_REPLY", "be32"),
    })),
})
COUNTERS = AttrSet("ctattr_counters", {
    1: Attr("CTA_COUNTERS_PACKETS", "be64"), 2: Attr("CTA_COUNTERS_BYTES", "be64"),
    3: Attr("CTA_COUNTERS32_PACKETS", "be32"), 4: Attr("CTA_COUNTERS32_BYTES", "be32"),
    5: Attr("CTA_COUNTERS_PAD", "binary"),
})
HELP = AttrSet("ctattr_help", {1: Attr("CTA_HELP_NAME", "string"), 2: Attr("CTA_HELP_INFO", "binary")})
PROTONAT = AttrSet("ctattr_protonat", {1: Attr("CTA_PROTONAT_PORT_MIN", "be16"),
                                       2: Attr("CTA_PROTONAT_PORT_MAX", "be16")})
NAT = AttrSet("ctattr_nat", {
    1: Attr("CTA_NAT_V4_MINIP", "ipv4"), 2: Attr("CTA_NAT_V4_MAXIP", "ipv4"),
    3: Attr("CTA_NAT_PROTO", "nested", nested=PROTONAT),
    4: Attr("CTA_NAT_V6_MINIP", "ipv6"), 5: Attr("CTA_NAT_V6_MAXIP", "ipv6"),
})
SEQADJ = AttrSet("ctattr_seqadj", {1: Attr("CTA_SEQADJ_CORRECTION_POS", "be32"),
                                   2: be_s32("CTA_SEQADJ_OFFSET_BEFORE"),
                                   3: be_s32("CTA_SEQADJ_OFFSET_AFTER")})
TIMESTAMP = AttrSet("ctattr_tstamp", {1: Attr("CTA_TIMESTAMP_START", "be64"),
                                      2: Attr("CTA_TIMESTAMP_STOP", "be64"),
                                      3: Attr("CTA_TIMESTAMP_PAD", "binary")})
SECCTX = AttrSet("ctattr_secctx", {1: Attr("CTA_SECCTX_NAME", "string")})
SYNPROXY = AttrSet("ctattr_synproxy", {1: Attr("CTA_SYNPROXY_ISN", "be32"),
                                       2: Attr("CTA_SYNPROXY_ITS", "be32"),
                                       3: Attr("CTA_SYNPROXY_TSOFF", "be32")})
FILTER = AttrSet("ctattr_filter", {1: Attr("CTA_FILTER_ORIG_FLAGS", "u32"),
                                   2: Attr("CTA_FILTER_REPLY_FLAGS", "u32")})

CT = AttrSet("ctattr_type", {
    1: Attr("CTA_TUPLE_ORIG", "nested", nested=TUPLE),
    2: Attr("CTA_TUPLE_REPLY", "nested", nested=TUPLE),
    3: Attr("CTA_STATUS", "be32", flags=IPS),
    4: Attr("CTA_PROTOINFO", "nested", nested=PROTOINFO),
    5: Attr("CTA_HELP", "nested", nested=HELP),
    6: Attr("CTA_NAT_SRC", "nested", nested=NAT),
    7: Attr("CTA_TIMEOUT", "be32"),
    8: Attr("CTA_MARK", "be32"),
    9: Attr("CTA_COUNTERS_ORIG", "nested", nested=COUNTERS),
    10: Attr("CTA_COUNTERS_REPLY", "nested", nested=COUNTERS),
    11: Attr("CTA_USE", "be32"),
    12: Attr("CTA_ID", "be32"),
    13: Attr("CTA_NAT_DST", "nested", nested=NAT),
    14: Attr("CTA_TUPLE_MASTER", "nested", nested=TUPLE),
    15: Attr("CTA_SEQ_ADJ_ORIG", "nested", nested=SEQADJ),
    16: Attr("CTA_SEQ_ADJ_REPLY", "nested", nested=SEQADJ),
    17: Attr("CTA_SECMARK", "be32"),
    18: Attr("CTA_ZONE", "be16"),
    19: Attr("CTA_SECCTX", "nested", nested=SECCTX),
    20: Attr("CTA_TIMESTAMP", "nested", nested=TIMESTAMP),
    21: Attr("CTA_MARK_MASK", "be32"),
    22: Attr("CTA_LABELS", "binary"),
    23: Attr("CTA_LABELS_MASK", "binary"),
    24: Attr("CTA_SYNPROXY", "nested", nested=SYNPROXY),
    25: Attr("CTA_FILTER", "nested", nested=FILTER),
    26: Attr("CTA_STATUS_MASK", "be32", flags=IPS),
})

STATS_CPU = AttrSet("ctattr_stats_cpu", {i: Attr(n, "be32") for i, n in enumerate(
    ["CTA_STATS_SEARCHED", "CTA_STATS_FOUND", "CTA_STATS_NEW", "CTA_STATS_INVALID",
     "CTA_STATS_IGNORE", "CTA_STATS_DELETE", "CTA_STATS_DELETE_LIST", "CTA_STATS_INSERT",
     "CTA_STATS_INSERT_FAILED", "CTA_STATS_DROP", "CTA_STATS_EARLY_DROP", "CTA_STATS_ERROR",
     "CTA_STATS_SEARCH_RESTART", "CTA_STATS_CLASH_RESOLVE", "CTA_STATS_CHAIN_TOOLONG"], 1)})
STATS_GLOBAL = AttrSet("ctattr_stats_global", {1: Attr("CTA_STATS_GLOBAL_ENTRIES", "be32"),
                                               2: Attr("CTA_STATS_GLOBAL_MAX_ENTRIES", "be32")})
STATS_EXP = AttrSet("ctattr_expect_stats", {1: Attr("CTA_STATS_EXP_NEW", "be32"),
                                            2: Attr("CTA_STATS_EXP_CREATE", "be32"),
                                            3: Attr("CTA_STATS_EXP_DELETE", "be32")})

EXPECT = AttrSet("ctattr_expect", {
    1: Attr("CTA_EXPECT_MASTER", "nested", nested=TUPLE),
    2: Attr("CTA_EXPECT_TUPLE", "nested", nested=TUPLE),
    3: Attr("CTA_EXPECT_MASK", "nested", nested=TUPLE),
    4: Attr("CTA_EXPECT_TIMEOUT", "be32"),
    5: Attr("CTA_EXPECT_ID", "be32"),
    6: Attr("CTA_EXPECT_HELP_NAME", "string"),
    7: Attr("CTA_EXPECT_ZONE", "be16"),
    8: Attr("CTA_EXPECT_FLAGS", "be32", flags=EXPECT_FLAGS),
    9: Attr("CTA_EXPECT_CLASS", "be32"),
    10: Attr("CTA_EXPECT_NAT", "nested", nested=AttrSet("ctattr_expect_nat", {
        1: Attr("CTA_EXPECT_NAT_DIR", "be32", enum={0: "IP_CT_DIR_ORIGINAL", 1: "IP_CT_DIR_REPLY"}),
        2: Attr("CTA_EXPECT_NAT_TUPLE", "nested", nested=TUPLE)})),
    11: Attr("CTA_EXPECT_FN", "string"),
})

# -- cttimeout -------------------------------------------------------------------------
def _timeouts(prefix: str, names: list[str]) -> AttrSet:
    return AttrSet(prefix.lower(), {i: Attr(f"{prefix}_{n}", "be32") for i, n in enumerate(names, 1)})


TIMEOUT_DATA_BY_L4 = {
    6: _timeouts("CTA_TIMEOUT_TCP", ["SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
                                     "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2", "RETRANS", "UNACK"]),
    17: _timeouts("CTA_TIMEOUT_UDP", ["UNREPLIED", "REPLIED"]),
    136: _timeouts("CTA_TIMEOUT_UDPLITE", ["UNREPLIED", "REPLIED"]),
    1: _timeouts("CTA_TIMEOUT_ICMP", ["TIMEOUT"]),
    58: _timeouts("CTA_TIMEOUT_ICMPV6", ["TIMEOUT"]),
    33: _timeouts("CTA_TIMEOUT_DCCP", ["REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ",
                                       "CLOSING", "TIMEWAIT"]),
    132: _timeouts("CTA_TIMEOUT_SCTP", ["CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
                                        "SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT",
                                        "HEARTBEAT_SENT", "HEARTBEAT_ACKED"]),
    47: _timeouts("CTA_TIMEOUT_GRE", ["UNREPLIED", "REPLIED"]),
}
TIMEOUT_GENERIC = _timeouts("CTA_TIMEOUT_GENERIC", ["TIMEOUT"])


def _timeout_data(siblings: list[Field]) -> AttrSet:
    for f in siblings:
        if f.name == "CTA_TIMEOUT_L4PROTO":
            return TIMEOUT_DATA_BY_L4.get(f.value, TIMEOUT_GENERIC)
    return TIMEOUT_GENERIC


L4_ENUM = {k: v for k, v in IPPROTO.items() if k < 256}
TIMEOUT = AttrSet("ctattr_timeout", {
    1: Attr("CTA_TIMEOUT_NAME", "string"),
    2: Attr("CTA_TIMEOUT_L3PROTO", "be16", enum=NFPROTO),
    3: Attr("CTA_TIMEOUT_L4PROTO", "u8", enum=L4_ENUM),
    4: Attr("CTA_TIMEOUT_DATA", "nested", nested=_timeout_data),
    5: Attr("CTA_TIMEOUT_USE", "be32"),
})

# -- cthelper --------------------------------------------------------------------------
HELPER_POLICY = AttrSet("nfnl_cthelper_pol_type", {
    1: Attr("NFCTH_POLICY_NAME", "string"), 2: Attr("NFCTH_POLICY_EXPECT_MAX", "be32"),
    3: Attr("NFCTH_POLICY_EXPECT_TIMEOUT", "be32")})
HELPER = AttrSet("nfnl_cthelper_type", {
    1: Attr("NFCTH_NAME", "string"),
    2: Attr("NFCTH_TUPLE", "nested", nested=AttrSet("nfnl_cthelper_tuple_type", {
        1: Attr("NFCTH_TUPLE_L3PROTONUM", "be16", enum=NFPROTO),
        2: Attr("NFCTH_TUPLE_L4PROTONUM", "u8", enum=L4_ENUM)})),
    3: Attr("NFCTH_QUEUE_NUM", "be32"),
    4: Attr("NFCTH_POLICY", "nested", nested=AttrSet("nfnl_cthelper_policy_type", {
        1: Attr("NFCTH_POLICY_SET_NUM", "be32"),
        2: Attr("NFCTH_POLICY_SET1", "nested", nested=HELPER_POLICY),
        3: Attr("NFCTH_POLICY_SET2", "nested", nested=HELPER_POLICY),
        4: Attr("NFCTH_POLICY_SET3", "nested", nested=HELPER_POLICY),
        5: Attr("NFCTH_POLICY_SET4", "nested", nested=HELPER_POLICY)})),
    5: Attr("NFCTH_PRIV_DATA_LEN", "be32"),
    6: Attr("NFCTH_STATUS", "be32", enum={0: "NFCT_HELPER_STATUS_DISABLED", 1: "NFCT_HELPER_STATUS_ENABLED"}),
})


# -- summaries -------------------------------------------------------------------------
def _short(name: str | None, prefix: str) -> str:
    return (name or "?").removeprefix(prefix)


def tuple_text(t: Field | None) -> tuple[str, list[str]]:
    """(protocol name and number, ["src=..", "dst=..", "sport=..", ...]) of a CTA_TUPLE_*."""
    if t is None:
        return "", []
    out: list[str] = []
    proto = ""
    for part in t.children or ():
        if part.name == "CTA_TUPLE_IP":
            for a in part.children or ():
                key = "src" if a.name.endswith("_SRC") else "dst"
                out.append(f"{key}={a.short()}")
        elif part.name == "CTA_TUPLE_PROTO":
            for a in part.children or ():
                n = a.name
                if n == "CTA_PROTO_NUM":
                    proto = f"{IPPROTO.get(a.value, 'unknown')} {a.value}"
                elif n == "CTA_PROTO_SRC_PORT":
                    out.append(f"sport={a.value}")
                elif n == "CTA_PROTO_DST_PORT":
                    out.append(f"dport={a.value}")
                elif n.startswith("CTA_PROTO_ICMP"):
                    out.append(f"{n.rsplit('_', 1)[-1].lower()}={a.value}")
        elif part.name == "CTA_TUPLE_ZONE":
            out.append(f"zone={part.value}")
    return proto, out


def _get(attrs: list[Field], name: str) -> Field | None:
    for f in attrs:
        if f.name == name:
            return f
    return None


def event_name(msg) -> str | None:
    """A conntrack event (multicast, not a reply to a request) as `conntrack -E`
    names it: NEW carries NLM_F_CREATE|NLM_F_EXCL, UPDATE no flags, DESTROY is a delete.
    Events have sequence number 0 (their portid is the deleting process, if any)."""
    if msg.flags & 0x3 or msg.seq:  # a request, a dump part, or a reply to a request
        return None
    if msg.type == (1 << 8) | 2:
        return "DESTROY"
    if msg.type == (1 << 8) | 0:
        return "NEW" if msg.flags & 0x400 else "UPDATE"
    return None


def ct_summary(msg, fields: list[Field]) -> str:
    """Like a `conntrack -L` line: proto, original tuple, state, flags."""
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    event = event_name(msg)
    if event:
        parts.append(f"[{event}]")
    proto, orig = tuple_text(_get(attrs, "CTA_TUPLE_ORIG"))
    if not proto and not orig:
        parts.append(family(fields, CT_FAMILY_SHORT))
        if is_dump(msg):
            parts.append("dump")
        return " ".join(parts)
    if proto:
        parts.append(proto)
    parts.extend(orig)
    status = _get(attrs, "CTA_STATUS")
    bits = sf.num(status, 0x2)  # absent or raw: neither unreplied nor assured
    if not bits & 0x2:
        parts.append("[UNREPLIED]")
    state = find(attrs, "CTA_PROTOINFO_TCP_STATE") or find(attrs, "CTA_PROTOINFO_SCTP_STATE")
    if state is not None:
        parts.append(_short(state.meta, "TCP_CONNTRACK_").removeprefix("SCTP_CONNTRACK_"))
    if bits & 0x4:
        parts.append("[ASSURED]")
    if bits & 0x30:
        _, rep = tuple_text(_get(attrs, "CTA_TUPLE_REPLY"))
        parts.append("reply " + " ".join(rep))
    for name, key in (("CTA_TIMEOUT", "timeout"), ("CTA_MARK", "mark"), ("CTA_ZONE", "zone")):
        f = _get(attrs, name)
        if f is not None and (f.value or name == "CTA_TIMEOUT"):
            parts.append(f"{key}={f.value}")
    return " ".join(parts)


def exp_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    proto, tup = tuple_text(_get(attrs, "CTA_EXPECT_TUPLE"))
    if not tup:
        parts.append(family(fields, CT_FAMILY_SHORT))
        if is_dump(msg):
            parts.append("dump")
        return " ".join(parts)
    parts += ([proto] if proto else []) + tup
    for name, key in (("CTA_EXPECT_TIMEOUT", "timeout"), ("CTA_EXPECT_HELP_NAME", "helper")):
        f = _get(attrs, name)
        if f is not None:
            parts.append(f"{key}={f.value}")
    return " ".join(parts)


def stats_summary(msg, fields: list[Field]) -> str:
    """Per-CPU stats: `cpu=N found=.. invalid=..`; global: `entries=N max=N`."""
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    if not attrs:
        if is_dump(msg):
            parts.append("dump")
        return " ".join(parts)
    if msg.type_name.endswith("STATS_CPU"):
        parts.append(f"cpu={res_id(fields)}")
    for f in attrs:
        if f.kind == "int":
            key = f.name.removeprefix("CTA_STATS_GLOBAL_").removeprefix("CTA_STATS_EXP_")
            key = key.removeprefix("CTA_STATS_").lower()
            parts.append(f"{key}={f.value}")
    return " ".join(parts)


def timeout_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    for name in ("CTA_TIMEOUT_NAME", "CTA_TIMEOUT_L3PROTO", "CTA_TIMEOUT_L4PROTO"):
        f = _get(attrs, name)
        if f is not None:
            parts.append(f.short().removeprefix("NFPROTO_").lower() if f.kind == "enum" else f.short())
    return " ".join(parts)


def helper_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    name = _get(attrs, "NFCTH_NAME")
    if name is not None:
        parts.append(name.value)
    l4 = find(attrs, "NFCTH_TUPLE_L4PROTONUM")
    if l4 is not None:
        parts.append(l4.short())
    return " ".join(parts)


def messages() -> dict[int, object]:
    out: dict[int, object] = {}
    for m, name in CT_MSGS.items():
        if m == 4:
            aset, summ = STATS_CPU, stats_summary
        elif m == 5:
            aset, summ = STATS_GLOBAL, stats_summary
        else:
            aset, summ = CT, ct_summary
        out[(1 << 8) | m] = nf_message(name, kind_of(name), aset, CT_MSGS, summ)
    for m, name in EXP_MSGS.items():
        aset, summ = (STATS_EXP, stats_summary) if m == 3 else (EXPECT, exp_summary)
        out[(2 << 8) | m] = nf_message(name, kind_of(name), aset, EXP_MSGS, summ)
    for m, name in TIMEOUT_MSGS.items():
        kind = {0: "new", 1: "get", 2: "del", 4: "get"}.get(m, "other")
        out[(8 << 8) | m] = nf_message(name, kind, TIMEOUT, TIMEOUT_MSGS, timeout_summary)
    for m, name in HELPER_MSGS.items():
        out[(9 << 8) | m] = nf_message(name, kind_of(name), HELPER, HELPER_MSGS, helper_summary)
    return out
