"""Pieces shared by the nfnetlink subsystems (linux/netfilter/nfnetlink.h): the
nfgenmsg header, NFPROTO names, IP protocol names, and the payload decoder that
shows the subsystem and message halves of nlmsg_type before the nfgenmsg.
"""
from __future__ import annotations

import struct
from collections.abc import Callable

import construct as cs

from nlscope.decode.model import Field, find
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, walk_attrs
from nlscope.decode.registry import DecodeCtx, MessageType

# linux/netfilter.h: enum NFPROTO_*. AF_INET/AF_INET6 share the numbers 2/10.
NFPROTO = {0: "NFPROTO_UNSPEC", 1: "NFPROTO_INET", 2: "NFPROTO_IPV4", 3: "NFPROTO_ARP",
           5: "NFPROTO_NETDEV", 7: "NFPROTO_BRIDGE", 10: "NFPROTO_IPV6", 12: "NFPROTO_DECNET"}
# The names nft and conntrack print for a family.
FAMILY_SHORT = {0: "unspec", 1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}
CT_FAMILY_SHORT = {0: "unspec", 2: "ipv4", 10: "ipv6"}

# IP protocol numbers (netinet/in.h IPPROTO_*) as conntrack/ss print them.
IPPROTO = {0: "ip", 1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 33: "dccp",
           41: "ipv6", 47: "gre", 50: "esp", 51: "ah", 58: "icmpv6", 103: "pim",
           108: "comp", 132: "sctp", 136: "udplite", 255: "raw", 262: "mptcp"}

# NFNL_SUBSYS_* (linux/netfilter/nfnetlink.h)
SUBSYS = {0: "NFNL_SUBSYS_NONE", 1: "NFNL_SUBSYS_CTNETLINK", 2: "NFNL_SUBSYS_CTNETLINK_EXP",
          3: "NFNL_SUBSYS_QUEUE", 4: "NFNL_SUBSYS_ULOG", 5: "NFNL_SUBSYS_OSF",
          6: "NFNL_SUBSYS_IPSET", 7: "NFNL_SUBSYS_ACCT", 8: "NFNL_SUBSYS_CTNETLINK_TIMEOUT",
          9: "NFNL_SUBSYS_CTHELPER", 10: "NFNL_SUBSYS_NFTABLES", 11: "NFNL_SUBSYS_NFT_COMPAT",
          12: "NFNL_SUBSYS_HOOK"}

NFGENMSG = FixedHeader("nfgenmsg", cs.Struct(
    "nfgen_family" / cs.Int8un,
    "version" / cs.Int8un,
    "res_id" / cs.Int16ub,
), enums={"nfgen_family": NFPROTO})


def s32(v: int) -> int:
    """A be32/u32 read as unsigned, shown signed (priorities, verdict codes)."""
    return v - (1 << 32) if v >= 1 << 31 else v


def signed32(v: int) -> str:
    return str(s32(v))


_BE_S32 = struct.Struct(">i")


def _decode_be_s32(name: str, buf, start: int, end: int, order: str, problems: list[str],
                   path: str, siblings: list[Field]) -> Field:
    p0 = start + 4
    if end - p0 < 4:
        problems.append(f"{path}: expected 4 bytes, got {end - p0}")
        return Field(name, "bytes", bytes(buf[p0:end]), start, end)
    return Field(name, "int", _BE_S32.unpack_from(buf, p0)[0], start, end)


def be_s32(name: str) -> Attr:
    """A signed 32-bit integer in network order: the kernel's `int`/`s32` sent with
    nla_put_be32(htonl(v)) and read with ntohl(nla_get_be32()) (hook priorities,
    sequence offsets). Its value is signed, in the tree and in the JSON."""
    return Attr(name, "custom", decode=_decode_be_s32)


def nf_decoder(attrs: AttrSet | Callable[[list[Field]], AttrSet | None] | None,
               msg_names: dict[int, str],
               post: Callable[[bytes, list[Field]], None] | None = None) -> Callable[[DecodeCtx], list[Field]]:
    """The payload decoder of one nfnetlink message type: the two halves of
    nlmsg_type (subsystem, message; spans inside the nlmsghdr), the nfgenmsg,
    then the attributes (`post` may adjust them: what a table cannot say)."""

    def decode(ctx: DecodeCtx) -> list[Field]:
        out: list[Field] = []
        t = ctx.start - 12  # nlmsg_type inside the nlmsghdr
        hi, lo = (t + 1, t) if ctx.order == "<" else (t, t + 1)
        sub, m = ctx.mtype >> 8, ctx.mtype & 0xFF
        if t >= 0:
            out.append(Field("nfnl_subsys_id", "enum", sub, hi, hi + 1, SUBSYS.get(sub)))
            out.append(Field("nfnl_msg_type", "enum", m, lo, lo + 1, msg_names.get(m)))
        pos = ctx.start
        if ctx.end - pos < NFGENMSG.size:
            if ctx.end > pos:
                ctx.problems.append(f"nfgenmsg: needs 4 bytes, message has {ctx.end - pos}")
                out.append(Field("data", "bytes", bytes(ctx.buf[pos:ctx.end]), pos, ctx.end))
            return out
        out.append(Field("nfgenmsg", "struct", None, pos, pos + 4,
                         children=NFGENMSG.parse(ctx.buf, pos, ctx.order)))
        pos += 4
        if pos < ctx.end:
            aset = attrs(out) if callable(attrs) else attrs
            kids = walk_attrs(ctx.buf, pos, ctx.end, aset, ctx.order, ctx.problems)
            if post is not None:
                post(ctx.buf, kids)
            out.append(Field("attributes", "nest", None, pos, ctx.end, children=kids))
        return out

    return decode


def nf_message(name: str, kind: str, attrs, msg_names: dict[int, str],
               summary=None, post=None) -> MessageType:
    return MessageType(name, kind, decode=nf_decoder(attrs, msg_names, post),
                       summary=summary or generic_summary)


def kind_of(name: str) -> str:
    """GET/NEW/DEL(ETE) in a message name pick the high flag bits' names."""
    tail = name.rsplit("_MSG_", 1)[-1]
    for verb, kind in (("GET", "get"), ("NEW", "new"), ("DEL", "del"), ("DESTROY", "del")):
        if tail.startswith(verb) or f"_{verb}" in tail:
            return kind
    return "other"


# -- summary helpers --------------------------------------------------------------------

def header(fields: list[Field]) -> Field | None:
    for f in fields:
        if f.name == "nfgenmsg":
            return f
    return None


def attrs_of(fields: list[Field]) -> list[Field]:
    for f in fields:
        if f.name == "attributes":
            return f.children or []
    return []


def family(fields: list[Field], names: dict[int, str] = FAMILY_SHORT) -> str:
    h = header(fields)
    if h is None:
        return ""
    v = h.children[0].value
    return names.get(v, str(v))


def res_id(fields: list[Field]) -> int | None:
    h = header(fields)
    return h.children[2].value if h is not None else None


def text(fields, name: str) -> str | None:
    f = find(fields, name)
    return None if f is None else f.short()


def is_dump(msg) -> bool:
    return bool(msg.flags & 0x1) and msg.flags & 0x300 == 0x300


def generic_summary(msg, fields: list[Field]) -> str:
    """Type name, family, and a name-like attribute if there is one."""
    parts = [msg.type_name]
    fam = family(fields)
    if fam:
        parts.append(fam)
    for f in attrs_of(fields):
        if f.kind == "str" and f.name.endswith("NAME"):
            parts.append(f.value)
            break
    if is_dump(msg):
        parts.append("dump")
    return " ".join(parts)
