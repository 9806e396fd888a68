"""NETLINK_NETFILTER (12): nfnetlink. nlmsg_type is (subsystem << 8) | message; every
payload starts with a struct nfgenmsg. The subsystems live in nf_*.py; this module
puts them together, adds the batch messages, and the legacy NETLINK_NFLOG (5).
Facts: linux/netfilter/nfnetlink.h, linux/netlink.h.
"""
from __future__ import annotations

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet
from nlscope.decode.registry import MessageType, Protocol

from . import nf_acct_hook, nf_conntrack, nf_ipset, nf_queue_log, nf_tables
from .nf_common import SUBSYS, attrs_of, nf_message, res_id

BATCH_MSGS = {0x10: "NFNL_MSG_BATCH_BEGIN", 0x11: "NFNL_MSG_BATCH_END"}
BATCH = AttrSet("nfnl_batch_attributes", {1: Attr("NFNL_BATCH_GENID", "be32")})


def batch_summary(msg, fields: list[Field]) -> str:
    """res_id of a batch message names the subsystem the batch is for."""
    rid = res_id(fields)
    parts = [msg.type_name]
    if rid is not None:
        parts.append(SUBSYS.get(rid, str(rid)).removeprefix("NFNL_SUBSYS_").lower())
    for f in attrs_of(fields):
        if f.name == "NFNL_BATCH_GENID":
            parts.append(f"genid {f.value}")
    return " ".join(parts)


def all_messages() -> dict[int, MessageType]:
    msgs: dict[int, MessageType] = {}
    for mod in (nf_conntrack, nf_tables, nf_queue_log, nf_ipset, nf_acct_hook):
        msgs.update(mod.messages())
    for t, name in BATCH_MSGS.items():
        msgs[t] = nf_message(name, "other", BATCH, BATCH_MSGS, batch_summary)
    return msgs


class NetfilterProtocol(Protocol):
    def default_kind(self, mtype: int) -> str:
        return "other"

    def decode_done(self, ctx):
        """NFLOG's batch-ending DONE carries an nfgenmsg (nf_queue_log.batch_done)."""
        return nf_queue_log.batch_done(ctx)

    def errno_name(self, err: int, mtype: int | None) -> str | None:
        """A subsystem's private error code (ipset numbers its own past 4096)."""
        if mtype is not None and mtype >> 8 == 6:  # NFNL_SUBSYS_IPSET
            return nf_ipset.errno_name(err)
        return None


# NETLINK_NFLOG (5): the old ipt_ULOG target (removed in Linux 3.17) sent
# ULOG_NL_EVENT (111) messages carrying a ulog_packet_msg_t; shown as bytes.
NFLOG_LEGACY = {111: MessageType("ULOG_NL_EVENT", "other")}


def register(registry) -> None:
    registry.add(NetfilterProtocol(12, "netfilter", all_messages()))
    registry.add(Protocol(5, "nflog", NFLOG_LEGACY))
