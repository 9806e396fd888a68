"""rtnetlink addresses: struct ifaddrmsg and IFA_* (linux/if_addr.h), the multicast and
anycast dumps that reuse it, and address labels (struct ifaddrlblmsg, IFAL_*,
linux/if_addrlabel.h).

RTM_GETADDR dump requests from FRR, keepalived and lldpd carry a 16-byte struct ifinfomsg
(keepalived adds IFLA_EXT_MASK) instead of ifaddrmsg. Without NETLINK_GET_STRICT_CHK the
kernel's handlers (inet_dump_ifaddr, inet6_dump_addr) read only the family byte, the
first member of both structs, and answer normally; with it they reject the request.
The header is chosen by the request's length and contents: ifinfomsg when the bytes
after an ifaddrmsg are not attributes (ifi_flags/ifi_change, usually zero) and those
after an ifinfomsg are.
"""
from __future__ import annotations

from construct import Int8un, Int32un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, walk_attrs
from nlscope.decode.registry import DecodeCtx, MessageType

from .rtnl_common import (AF_INET, AF_INET6, AF_NAMES, AF_SHORT, NLM_F_DUMP, NLM_F_REQUEST, RT_SCOPE,
                          SCOPE_WORD, A, View, decode_payload, dump_line, family_of, flag_words, hdr,
                          is_dump_request, message)
from .rtnl_link import IFINFOMSG, IFLA

IFA_F = {0x01: "IFA_F_SECONDARY", 0x02: "IFA_F_NODAD", 0x04: "IFA_F_OPTIMISTIC",
         0x08: "IFA_F_DADFAILED", 0x10: "IFA_F_HOMEADDRESS", 0x20: "IFA_F_DEPRECATED",
         0x40: "IFA_F_TENTATIVE", 0x80: "IFA_F_PERMANENT", 0x100: "IFA_F_MANAGETEMPADDR",
         0x200: "IFA_F_NOPREFIXROUTE", 0x400: "IFA_F_MCAUTOJOIN", 0x800: "IFA_F_STABLE_PRIVACY"}
IFAPROT = {0: "IFAPROT_UNSPEC", 1: "IFAPROT_KERNEL_LO", 2: "IFAPROT_KERNEL_RA", 3: "IFAPROT_KERNEL_LL"}

IFADDRMSG = hdr("ifaddrmsg", Struct(
    "ifa_family" / Int8un, "ifa_prefixlen" / Int8un, "ifa_flags" / Int8un, "ifa_scope" / Int8un,
    "ifa_index" / Int32un),
    enums={"ifa_family": AF_NAMES, "ifa_scope": RT_SCOPE}, flags={"ifa_flags": IFA_F})
IFA_CACHEINFO = hdr("ifa_cacheinfo", Struct(
    "ifa_prefered" / Int32un, "ifa_valid" / Int32un, "cstamp" / Int32un, "tstamp" / Int32un))


def _ifa(name: str, addr: str) -> AttrSet:
    return AttrSet(name, {
        1: A("IFA_ADDRESS", addr),
        2: A("IFA_LOCAL", addr),
        3: A("IFA_LABEL", "string"),
        4: A("IFA_BROADCAST", addr),
        5: A("IFA_ANYCAST", addr),
        6: A("IFA_CACHEINFO", "struct", struct=IFA_CACHEINFO),
        7: A("IFA_MULTICAST", addr),
        8: A("IFA_FLAGS", "u32", flags=IFA_F),
        9: A("IFA_RT_PRIORITY", "u32"),
        10: A("IFA_TARGET_NETNSID", "s32"),
        11: A("IFA_PROTO", "u8", enum=IFAPROT),
    })


IFA = _ifa("ifa", "ipaddr")
IFA_OTHER = _ifa("ifa(other)", "binary")  # MCTP (a one-byte EID), Phonet, ...: not IP


def ifa_for(fields: list[Field]) -> AttrSet:
    return IFA if family_of(fields) in (AF_INET, AF_INET6, 0, None) else IFA_OTHER


def _attrs_fit(ctx: DecodeCtx, at: int, aset: AttrSet) -> bool:
    scratch: list[str] = []
    walk_attrs(ctx.buf, at, ctx.end, aset, ctx.order, scratch)
    return not scratch


def legacy_ifinfomsg(ctx: DecodeCtx) -> bool:
    """A dump request laid out as ifinfomsg (+ IFLA_*) rather than ifaddrmsg (+ IFA_*)."""
    start, end = ctx.start, ctx.end
    if not (ctx.flags & NLM_F_REQUEST and ctx.flags & NLM_F_DUMP) or end - start < IFINFOMSG.size:
        return False
    return not _attrs_fit(ctx, start + IFADDRMSG.size, IFA) and _attrs_fit(ctx, start + IFINFOMSG.size, IFLA)


def _getaddr(ctx: DecodeCtx) -> list[Field]:
    if legacy_ifinfomsg(ctx):
        return decode_payload(ctx, IFINFOMSG, IFLA, kind="get")
    return decode_payload(ctx, IFADDRMSG, ifa_for, kind="get")


def addr_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        if fields and fields[0].name == IFINFOMSG.name:
            return dump_line(msg, v, "(ifinfomsg header)")
        return dump_line(msg, v, f"dev {v.hv('ifa_index')}" if v.hv("ifa_index") else "")
    plen = v.hv("ifa_prefixlen")
    local, peer = v.av("IFA_LOCAL"), v.av("IFA_ADDRESS")
    mcast = v.av("IFA_MULTICAST") or v.av("IFA_ANYCAST")
    parts = [msg.type_name]
    if mcast is not None:
        parts.append(str(mcast))
    elif local is not None and peer is not None and local != peer:
        parts.append(f"{local} peer {peer}/{plen}")
    elif local is not None or peer is not None:
        parts.append(f"{local if local is not None else peer}/{plen}")
    else:
        parts.append(f"{AF_SHORT.get(v.family(), v.family())} prefixlen {plen}")
    if "IFA_BROADCAST" in v.a:
        parts.append(f"brd {v.av('IFA_BROADCAST')}")
    if v.hv("ifa_index"):
        parts.append(f"dev {v.hv('ifa_index')}")
    if "ifa_scope" in v.h and mcast is None:
        scope = v.hv("ifa_scope")
        parts.append(f"scope {SCOPE_WORD.get(scope, scope)}")
    flags = v.av("IFA_FLAGS", v.hv("ifa_flags", 0))
    shown = [w for w in flag_words(flags, IFA_F, "IFA_F_") if w != "permanent"]
    if shown:
        parts.append(" ".join("temporary" if w == "secondary" and v.family() == AF_INET6 else w
                              for w in shown))
    if "IFA_LABEL" in v.a:
        parts.append(f"label {v.av('IFA_LABEL')}")
    if "IFA_RT_PRIORITY" in v.a:
        parts.append(f"metric {v.av('IFA_RT_PRIORITY')}")
    if "IFA_PROTO" in v.a:
        parts.append(f"proto {v.a['IFA_PROTO'].short().removeprefix('IFAPROT_').lower()}")
    return " ".join(parts)


# -- address labels (IPv6 policy table) ------------------------------------------------------
IFADDRLBLMSG = hdr("ifaddrlblmsg", Struct(
    "ifal_family" / Int8un, Padding(1), "ifal_prefixlen" / Int8un, "ifal_flags" / Int8un,
    "ifal_index" / Int32un, "ifal_seq" / Int32un), enums={"ifal_family": AF_NAMES})
IFAL = AttrSet("ifal", {1: A("IFAL_ADDRESS", "ipaddr"), 2: A("IFAL_LABEL", "u32")})


def addrlabel_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        return dump_line(msg, v)
    parts = [msg.type_name]
    if "IFAL_ADDRESS" in v.a:
        parts.append(f"prefix {v.av('IFAL_ADDRESS')}/{v.hv('ifal_prefixlen')}")
    if v.hv("ifal_index"):
        parts.append(f"dev {v.hv('ifal_index')}")
    if "IFAL_LABEL" in v.a:
        parts.append(f"label {v.av('IFAL_LABEL')}")
    if len(parts) == 1:
        parts.append(f"prefixlen {v.hv('ifal_prefixlen')}")
    return " ".join(parts)


MESSAGES = {
    20: message("RTM_NEWADDR", IFADDRMSG, ifa_for, addr_summary),
    21: message("RTM_DELADDR", IFADDRMSG, ifa_for, addr_summary),
    22: MessageType("RTM_GETADDR", "get", IFADDRMSG, ifa_for, addr_summary, _getaddr),
    # Requests and the kernel's replies alike carry these types (no NEW* counterpart).
    58: message("RTM_GETMULTICAST", IFADDRMSG, ifa_for, addr_summary),
    62: message("RTM_GETANYCAST", IFADDRMSG, ifa_for, addr_summary),
    72: message("RTM_NEWADDRLABEL", IFADDRLBLMSG, IFAL, addrlabel_summary),
    73: message("RTM_DELADDRLABEL", IFADDRLBLMSG, IFAL, addrlabel_summary),
    74: message("RTM_GETADDRLABEL", IFADDRLBLMSG, IFAL, addrlabel_summary),
}
