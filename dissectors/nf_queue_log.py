"""nfnetlink_queue (NFNL_SUBSYS_QUEUE) and nfnetlink_log (NFNL_SUBSYS_ULOG): packets
handed to userspace, verdicts and configuration.
Facts: linux/netfilter/nfnetlink_queue.h, nfnetlink_log.h, linux/netfilter.h.

nfnetlink_log sends packets several to a datagram when its queue threshold allows, and
then ends the datagram with an NLMSG_DONE carrying an nfgenmsg (the group in res_id),
flags 0 (__nfulnl_send()); a dump's DONE (netlink_dump()) always says NLM_F_MULTI.
"""
from __future__ import annotations

import construct as cs

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, mac_text
from nlscope.decode import summary_fields as sf

from .nf_common import NFGENMSG, NFPROTO, attrs_of, family, nf_message, res_id
from .nf_conntrack import CT, CT_INFO, EXPECT
from .nf_tables import HOOKS_INET, VERDICTS

QUEUE_MSGS = {0: "NFQNL_MSG_PACKET", 1: "NFQNL_MSG_VERDICT", 2: "NFQNL_MSG_CONFIG",
              3: "NFQNL_MSG_VERDICT_BATCH"}
LOG_MSGS = {0: "NFULNL_MSG_PACKET", 1: "NFULNL_MSG_CONFIG"}

PACKET_HW = FixedHeader("nfqnl_msg_packet_hw", cs.Struct(
    "hw_addrlen" / cs.Int16ub, cs.Padding(2), "hw_addr" / cs.Bytes(8)), kinds={"hw_addr": "mac"})
TIMESTAMP = FixedHeader("nfqnl_msg_packet_timestamp", cs.Struct("sec" / cs.Int64ub, "usec" / cs.Int64ub))
VLAN = AttrSet("nfqnl_vlan_attr", {1: Attr("NFQA_VLAN_PROTO", "be16"), 2: Attr("NFQA_VLAN_TCI", "be16")})
SKB_INFO = {1: "NFQA_SKB_CSUMNOTREADY", 2: "NFQA_SKB_GSO", 4: "NFQA_SKB_CSUM_NOTVERIFIED"}
CFG_FLAGS = {1: "NFQA_CFG_F_FAIL_OPEN", 2: "NFQA_CFG_F_CONNTRACK", 4: "NFQA_CFG_F_GSO",
             8: "NFQA_CFG_F_UID_GID", 16: "NFQA_CFG_F_SECCTX"}
CFG_CMDS = {0: "NFQNL_CFG_CMD_NONE", 1: "NFQNL_CFG_CMD_BIND", 2: "NFQNL_CFG_CMD_UNBIND",
            3: "NFQNL_CFG_CMD_PF_BIND", 4: "NFQNL_CFG_CMD_PF_UNBIND"}

QUEUE = AttrSet("nfqnl_attr_type", {
    1: Attr("NFQA_PACKET_HDR", "struct", struct=FixedHeader("nfqnl_msg_packet_hdr", cs.Struct(
        "packet_id" / cs.Int32ub, "hw_protocol" / cs.Int16ub, "hook" / cs.Int8un),
        enums={"hook": HOOKS_INET})),
    2: Attr("NFQA_VERDICT_HDR", "struct", struct=FixedHeader("nfqnl_msg_verdict_hdr", cs.Struct(
        "verdict" / cs.Int32ub, "id" / cs.Int32ub), enums={"verdict": VERDICTS})),
    3: Attr("NFQA_MARK", "be32"),
    4: Attr("NFQA_TIMESTAMP", "struct", struct=TIMESTAMP),
    5: Attr("NFQA_IFINDEX_INDEV", "be32"),
    6: Attr("NFQA_IFINDEX_OUTDEV", "be32"),
    7: Attr("NFQA_IFINDEX_PHYSINDEV", "be32"),
    8: Attr("NFQA_IFINDEX_PHYSOUTDEV", "be32"),
    9: Attr("NFQA_HWADDR", "struct", struct=PACKET_HW),
    10: Attr("NFQA_PAYLOAD", "binary"),
    11: Attr("NFQA_CT", "nested", nested=CT),
    12: Attr("NFQA_CT_INFO", "be32", enum=CT_INFO),
    13: Attr("NFQA_CAP_LEN", "be32"),
    14: Attr("NFQA_SKB_INFO", "be32", flags=SKB_INFO),
    15: Attr("NFQA_EXP", "nested", nested=EXPECT),
    16: Attr("NFQA_UID", "be32"),
    17: Attr("NFQA_GID", "be32"),
    18: Attr("NFQA_SECCTX", "string"),
    19: Attr("NFQA_VLAN", "nested", nested=VLAN),
    20: Attr("NFQA_L2HDR", "binary"),
    21: Attr("NFQA_PRIORITY", "be32"),
    22: Attr("NFQA_CGROUP_CLASSID", "be32"),
})
QUEUE_CONFIG = AttrSet("nfqnl_attr_config", {
    1: Attr("NFQA_CFG_CMD", "struct", struct=FixedHeader("nfqnl_msg_config_cmd", cs.Struct(
        "command" / cs.Int8un, cs.Padding(1), "pf" / cs.Int16ub), enums={"command": CFG_CMDS, "pf": NFPROTO})),
    2: Attr("NFQA_CFG_PARAMS", "struct", struct=FixedHeader("nfqnl_msg_config_params", cs.Struct(
        "copy_range" / cs.Int32ub, "copy_mode" / cs.Int8un),
        enums={"copy_mode": {0: "NFQNL_COPY_NONE", 1: "NFQNL_COPY_META", 2: "NFQNL_COPY_PACKET"}})),
    3: Attr("NFQA_CFG_QUEUE_MAXLEN", "be32"),
    4: Attr("NFQA_CFG_MASK", "be32", flags=CFG_FLAGS),
    5: Attr("NFQA_CFG_FLAGS", "be32", flags=CFG_FLAGS),
})

LOG = AttrSet("nfulnl_attr_type", {
    1: Attr("NFULA_PACKET_HDR", "struct", struct=FixedHeader("nfulnl_msg_packet_hdr", cs.Struct(
        "hw_protocol" / cs.Int16ub, "hook" / cs.Int8un, cs.Padding(1)), enums={"hook": HOOKS_INET})),
    2: Attr("NFULA_MARK", "be32"),
    3: Attr("NFULA_TIMESTAMP", "struct", struct=TIMESTAMP),
    4: Attr("NFULA_IFINDEX_INDEV", "be32"),
    5: Attr("NFULA_IFINDEX_OUTDEV", "be32"),
    6: Attr("NFULA_IFINDEX_PHYSINDEV", "be32"),
    7: Attr("NFULA_IFINDEX_PHYSOUTDEV", "be32"),
    8: Attr("NFULA_HWADDR", "struct", struct=PACKET_HW),
    9: Attr("NFULA_PAYLOAD", "binary"),
    10: Attr("NFULA_PREFIX", "string"),
    11: Attr("NFULA_UID", "be32"),
    12: Attr("NFULA_SEQ", "be32"),
    13: Attr("NFULA_SEQ_GLOBAL", "be32"),
    14: Attr("NFULA_GID", "be32"),
    15: Attr("NFULA_HWTYPE", "be16"),
    16: Attr("NFULA_HWHEADER", "binary"),
    17: Attr("NFULA_HWLEN", "be16"),
    18: Attr("NFULA_CT", "nested", nested=CT),
    19: Attr("NFULA_CT_INFO", "be32", enum=CT_INFO),
    20: Attr("NFULA_VLAN", "nested", nested=AttrSet("nfulnl_vlan_attr", {
        1: Attr("NFULA_VLAN_PROTO", "be16"), 2: Attr("NFULA_VLAN_TCI", "be16")})),
    21: Attr("NFULA_L2HDR", "binary"),
})
LOG_CONFIG = AttrSet("nfulnl_attr_config", {
    1: Attr("NFULA_CFG_CMD", "struct", struct=FixedHeader("nfulnl_msg_config_cmd", cs.Struct(
        "command" / cs.Int8un), enums={"command": {0: "NFULNL_CFG_CMD_NONE", 1: "NFULNL_CFG_CMD_BIND",
                                                   2: "NFULNL_CFG_CMD_UNBIND", 3: "NFULNL_CFG_CMD_PF_BIND",
                                                   4: "NFULNL_CFG_CMD_PF_UNBIND"}})),
    2: Attr("NFULA_CFG_MODE", "struct", struct=FixedHeader("nfulnl_msg_config_mode", cs.Struct(
        "copy_range" / cs.Int32ub, "copy_mode" / cs.Int8un, cs.Padding(1)),
        enums={"copy_mode": {0: "NFULNL_COPY_NONE", 1: "NFULNL_COPY_META", 2: "NFULNL_COPY_PACKET"}})),
    3: Attr("NFULA_CFG_NLBUFSIZ", "be32"),
    4: Attr("NFULA_CFG_TIMEOUT", "be32"),
    5: Attr("NFULA_CFG_QTHRESH", "be32"),
    6: Attr("NFULA_CFG_FLAGS", "be16", flags={1: "NFULNL_CFG_F_SEQ", 2: "NFULNL_CFG_F_SEQ_GLOBAL",
                                              4: "NFULNL_CFG_F_CONNTRACK"}),
})


def hwaddr_len(buf: bytes, attrs: list[Field]) -> None:
    """hw_addr is 8 bytes of which hw_addrlen count (6 for Ethernet)."""
    for f in attrs:
        if f.name in ("NFQA_HWADDR", "NFULA_HWADDR") and f.kind == "struct":
            n, addr = f.children[0].value, f.children[1]
            if 0 < n < 8:
                addr.end = addr.start + n
                addr.value = mac_text(bytes(buf[addr.start:addr.end]))


def _attr(attrs: list[Field], name: str) -> Field | None:
    for f in attrs:
        if f.name == name:
            return f
    return None


def queue_summary(msg, fields: list[Field]) -> str:
    """`NFQNL_MSG_PACKET queue 0 id 7 hook NF_INET_LOCAL_IN len 84`, verdicts, config."""
    attrs = attrs_of(fields)
    parts = [msg.type_name, "queue", str(res_id(fields))]
    hdr = _attr(attrs, "NFQA_PACKET_HDR")
    if hdr is not None:
        parts += ["id", sf.show(sf.num(sf.child(hdr, "packet_id"))), "hook", sf.short(sf.child(hdr, "hook"))]
    v = _attr(attrs, "NFQA_VERDICT_HDR")
    if v is not None:
        parts += ["id", sf.show(sf.num(sf.child(v, "id"))), sf.short(sf.child(v, "verdict"))]
    pl = _attr(attrs, "NFQA_PAYLOAD")
    if pl is not None:
        parts += ["len", str(len(pl.value))]
    cmd = _attr(attrs, "NFQA_CFG_CMD")
    if cmd is not None:
        parts.append(sf.short(sf.child(cmd, "command")))
    return " ".join(parts)


def log_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name, family(fields), "group", str(res_id(fields))]
    prefix = _attr(attrs, "NFULA_PREFIX")
    if prefix is not None:
        parts.append(f'prefix "{prefix.value}"')
    hdr = _attr(attrs, "NFULA_PACKET_HDR")
    if hdr is not None:
        parts += ["hook", sf.short(sf.child(hdr, "hook"))]
    pl = _attr(attrs, "NFULA_PAYLOAD")
    if pl is not None:
        parts += ["len", str(len(pl.value))]
    cmd = _attr(attrs, "NFULA_CFG_CMD")
    if cmd is not None:
        parts.append(sf.short(sf.child(cmd, "command")))
    return " ".join(parts)


def messages() -> dict[int, object]:
    out: dict[int, object] = {}
    for m, name in QUEUE_MSGS.items():
        out[(3 << 8) | m] = nf_message(name, "other", QUEUE_CONFIG if m == 2 else QUEUE, QUEUE_MSGS,
                                       queue_summary, hwaddr_len)
    for m, name in LOG_MSGS.items():
        out[(4 << 8) | m] = nf_message(name, "other", LOG_CONFIG if m == 1 else LOG, LOG_MSGS, log_summary,
                                       hwaddr_len)
    return out


NLM_F_MULTI = 0x2


def batch_done(ctx) -> tuple[list[Field], str] | None:
    """The NLMSG_DONE ending an NFLOG batch: an nfgenmsg, not an errno; None for any
    other DONE."""
    pos, end = ctx.start, ctx.end
    if ctx.flags & NLM_F_MULTI or end - pos != NFGENMSG.size:
        return None
    kids = NFGENMSG.parse(ctx.buf, pos, ctx.order)
    group = next(f.value for f in kids if f.name == "res_id")
    return [Field("nfgenmsg", "struct", None, pos, end, children=kids)], f"NLMSG_DONE group {group}"
