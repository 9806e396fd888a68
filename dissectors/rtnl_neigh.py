"""rtnetlink neighbours: struct ndmsg and NDA_* (linux/neighbour.h) for ARP/ND entries
and bridge FDB entries; neighbour tables (struct ndtmsg, NDTA_*, NDTPA_*); and the ND
user options the kernel relays from router advertisements (struct nduseroptmsg).
"""
from __future__ import annotations

import struct

from construct import Int8un, Int16un, Int32sn, Int32un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, walk_attrs
from nlscope.decode.registry import DecodeCtx, MessageType

from .rtnl_common import (AF_BRIDGE, AF_NAMES, RTN_TYPE, RTPROT, A, View, counters, dump_line,
                          flag_words, hdr, is_dump_request, message)

NUD = {0x01: "NUD_INCOMPLETE", 0x02: "NUD_REACHABLE", 0x04: "NUD_STALE", 0x08: "NUD_DELAY",
       0x10: "NUD_PROBE", 0x20: "NUD_FAILED", 0x40: "NUD_NOARP", 0x80: "NUD_PERMANENT"}
NTF = {0x01: "NTF_USE", 0x02: "NTF_SELF", 0x04: "NTF_MASTER", 0x08: "NTF_PROXY",
       0x10: "NTF_EXT_LEARNED", 0x20: "NTF_OFFLOADED", 0x40: "NTF_STICKY", 0x80: "NTF_ROUTER"}
NTF_EXT = {1: "NTF_EXT_MANAGED", 2: "NTF_EXT_LOCKED"}

NDMSG = hdr("ndmsg", Struct(
    "ndm_family" / Int8un, Padding(3), "ndm_ifindex" / Int32sn, "ndm_state" / Int16un,
    "ndm_flags" / Int8un, "ndm_type" / Int8un),
    enums={"ndm_family": AF_NAMES, "ndm_type": RTN_TYPE}, flags={"ndm_state": NUD, "ndm_flags": NTF})
NDA_CACHEINFO = hdr("nda_cacheinfo", Struct(
    "ndm_confirmed" / Int32un, "ndm_used" / Int32un, "ndm_updated" / Int32un, "ndm_refcnt" / Int32un))
NDA = AttrSet("nda", {
    1: A("NDA_DST", "ipaddr"),
    2: A("NDA_LLADDR", "mac"),
    3: A("NDA_CACHEINFO", "struct", struct=NDA_CACHEINFO),
    4: A("NDA_PROBES", "u32"),
    5: A("NDA_VLAN", "u16"),
    6: A("NDA_PORT", "be16"),
    7: A("NDA_VNI", "u32"),
    8: A("NDA_IFINDEX", "s32"),  # NLA_S32 in the kernel's policy
    9: A("NDA_MASTER", "u32"),
    10: A("NDA_LINK_NETNSID", "s32"),
    11: A("NDA_SRC_VNI", "u32"),
    12: A("NDA_PROTOCOL", "u8", enum=RTPROT),
    13: A("NDA_NH_ID", "u32"),
    14: A("NDA_FDB_EXT_ATTRS", "nested", nested=AttrSet("nfea", {
        1: A("NFEA_ACTIVITY_NOTIFY", "u8", flags={1: "FDB_NOTIFY_BIT", 2: "FDB_NOTIFY_INACTIVE_BIT"}),
        2: A("NFEA_DONT_REFRESH", "flag")})),
    15: A("NDA_FLAGS_EXT", "u32", flags=NTF_EXT),
    16: A("NDA_NDM_STATE_MASK", "u16", flags=NUD),
    17: A("NDA_NDM_FLAGS_MASK", "u8", flags=NTF),
})


def state_text(state: int) -> str:
    return " ".join(w.upper() for w in flag_words(state, NUD, "NUD_")) or "NONE"


def neigh_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        extra = []
        if v.hv("ndm_ifindex"):
            extra.append(f"dev {v.hv('ndm_ifindex')}")
        if "NDA_MASTER" in v.a:
            extra.append(f"master {v.av('NDA_MASTER')}")
        return dump_line(msg, v, " ".join(extra))
    parts = [msg.type_name]
    bridge = v.family() == AF_BRIDGE
    if bridge and "NDA_LLADDR" in v.a:
        parts.append(str(v.av("NDA_LLADDR")))
    if "NDA_DST" in v.a and not bridge:
        parts.append(str(v.av("NDA_DST")))
    if "NDA_LLADDR" in v.a and not bridge:
        parts.append(f"lladdr {v.av('NDA_LLADDR')}")
    if v.hv("ndm_ifindex"):
        parts.append(f"dev {v.hv('ndm_ifindex')}")
    if "NDA_VLAN" in v.a:
        parts.append(f"vlan {v.av('NDA_VLAN')}")
    if "NDA_DST" in v.a and bridge:
        parts.append(f"dst {v.av('NDA_DST')}")
    if "NDA_VNI" in v.a:
        parts.append(f"vni {v.av('NDA_VNI')}")
    if "NDA_MASTER" in v.a:
        parts.append(f"master {v.av('NDA_MASTER')}")
    if "NDA_NH_ID" in v.a:
        parts.append(f"nhid {v.av('NDA_NH_ID')}")
    if "ndm_state" in v.h and (v.hv("ndm_state") or not msg.flags & 1):
        parts.append(state_text(v.hv("ndm_state")))
    flags = flag_words(v.hv("ndm_flags", 0), NTF, "NTF_")
    if flags:
        parts.append(" ".join(flags))
    if "NDA_PROTOCOL" in v.a:
        parts.append(f"proto {v.a['NDA_PROTOCOL'].short().removeprefix('RTPROT_').lower()}")
    return " ".join(parts)


# -- neighbour tables --------------------------------------------------------------------
NDTMSG = hdr("ndtmsg", Struct("ndtm_family" / Int8un, Padding(3)), enums={"ndtm_family": AF_NAMES})
NDT_CONFIG = hdr("ndt_config", Struct(
    "ndtc_key_len" / Int16un, "ndtc_entry_size" / Int16un, "ndtc_entries" / Int32un,
    "ndtc_last_flush" / Int32un, "ndtc_last_rand" / Int32un, "ndtc_hash_rnd" / Int32un,
    "ndtc_hash_mask" / Int32un, "ndtc_hash_chain_gc" / Int32un, "ndtc_proxy_qlen" / Int32un))
NDT_STATS = ["ndts_allocs", "ndts_destroys", "ndts_hash_grows", "ndts_res_failed", "ndts_lookups",
             "ndts_hits", "ndts_rcv_probes_mcast", "ndts_rcv_probes_ucast",
             "ndts_periodic_gc_runs", "ndts_forced_gc_runs", "ndts_table_fulls"]
NDTPA = AttrSet("ndtpa", {
    1: A("NDTPA_IFINDEX", "u32"),
    2: A("NDTPA_REFCNT", "u32"),
    3: A("NDTPA_REACHABLE_TIME", "u64"),
    4: A("NDTPA_BASE_REACHABLE_TIME", "u64"),
    5: A("NDTPA_RETRANS_TIME", "u64"),
    6: A("NDTPA_GC_STALETIME", "u64"),
    7: A("NDTPA_DELAY_PROBE_TIME", "u64"),
    8: A("NDTPA_QUEUE_LEN", "u32"),
    9: A("NDTPA_APP_PROBES", "u32"),
    10: A("NDTPA_UCAST_PROBES", "u32"),
    11: A("NDTPA_MCAST_PROBES", "u32"),
    12: A("NDTPA_ANYCAST_DELAY", "u64"),
    13: A("NDTPA_PROXY_DELAY", "u64"),
    14: A("NDTPA_PROXY_QLEN", "u32"),
    15: A("NDTPA_LOCKTIME", "u64"),
    16: A("NDTPA_QUEUE_LENBYTES", "u32"),
    17: A("NDTPA_MCAST_REPROBES", "u32"),
    18: A("NDTPA_PAD", "binary"),
    19: A("NDTPA_INTERVAL_PROBE_TIME_MS", "u64"),
})
NDTA = AttrSet("ndta", {
    1: A("NDTA_NAME", "string"),
    2: A("NDTA_THRESH1", "u32"),
    3: A("NDTA_THRESH2", "u32"),
    4: A("NDTA_THRESH3", "u32"),
    5: A("NDTA_CONFIG", "struct", struct=NDT_CONFIG),
    6: A("NDTA_PARMS", "nested", nested=NDTPA),
    7: A("NDTA_STATS", "custom", decode=counters(NDT_STATS)),
    8: A("NDTA_GC_INTERVAL", "u64"),
    9: A("NDTA_PAD", "binary"),
})


def neightbl_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        return dump_line(msg, v)
    parts = [msg.type_name]
    if "NDTA_NAME" in v.a:
        parts.append(v.av("NDTA_NAME"))
    parms = v.a.get("NDTA_PARMS")
    dev = parms.get("NDTPA_IFINDEX") if parms is not None else None
    parts.append(f"dev {dev.value}" if dev is not None else "(defaults)")
    if "NDTA_THRESH1" in v.a:
        parts.append(f"thresh1 {v.av('NDTA_THRESH1')} thresh2 {v.av('NDTA_THRESH2')} "
                     f"thresh3 {v.av('NDTA_THRESH3')}")
    return " ".join(str(p) for p in parts)


# -- ND user options (RDNSS, DNSSL, ... relayed from router advertisements) -------------
NDUSEROPTMSG = hdr("nduseroptmsg", Struct(
    "nduseropt_family" / Int8un, Padding(1), "nduseropt_opts_len" / Int16un,
    "nduseropt_ifindex" / Int32sn, "nduseropt_icmp_type" / Int8un, "nduseropt_icmp_code" / Int8un,
    Padding(6)), enums={"nduseropt_family": AF_NAMES,
                        "nduseropt_icmp_type": {134: "ND_ROUTER_ADVERT"}})
ND_OPT = {1: "ND_OPT_SOURCE_LL_ADDR", 2: "ND_OPT_TARGET_LL_ADDR", 3: "ND_OPT_PREFIX_INFO",
          4: "ND_OPT_REDIRECT_HDR", 5: "ND_OPT_MTU", 14: "ND_OPT_NONCE", 24: "ND_OPT_ROUTE_INFO",
          25: "ND_OPT_RDNSS", 31: "ND_OPT_DNSSL", 37: "ND_OPT_CAPTIVE_PORTAL", 38: "ND_OPT_PREF64"}
NDUSEROPT = AttrSet("nduseropt", {1: A("NDUSEROPT_SRCADDR", "ipaddr")})


def _nd_options(buf: bytes, p: int, end: int, problems: list[str]) -> list[Field]:
    """ICMPv6 ND options: type, length in units of 8 bytes, data."""
    out = []
    while end - p >= 2:
        otype, olen = buf[p], buf[p + 1] * 8
        if olen < 2 or p + olen > end:
            problems.append(f"nduseropt options: option {otype} at offset {p} has length {olen}")
            out.append(Field("MALFORMED", "bytes", bytes(buf[p:end]), p, end))
            return out
        out.append(Field("option", "struct", None, p, p + olen, children=[
            Field("type", "enum", otype, p, p + 1, ND_OPT.get(otype)),
            Field("length", "int", olen, p + 1, p + 2),
            Field("data", "bytes", bytes(buf[p + 2:p + olen]), p + 2, p + olen)]))
        p += olen
    return out


def _decode_nduseropt(ctx: DecodeCtx) -> list[Field]:
    buf, pos, end = ctx.buf, ctx.start, ctx.end
    h = NDUSEROPTMSG
    if end - pos < h.size:
        ctx.problems.append(f"{h.name}: needs {h.size} bytes, message has {end - pos}")
        return [Field("data", "bytes", bytes(buf[pos:end]), pos, end)]
    out = [Field(h.name, "struct", None, pos, pos + h.size, children=h.parse(buf, pos, ctx.order))]
    opts_len = struct.unpack_from(ctx.order + "H", buf, pos + 2)[0]
    p = pos + h.size
    o_end = min(p + opts_len, end)
    if p + opts_len > end:
        ctx.problems.append(f"nduseropt_opts_len {opts_len} runs past the message ({end - p} bytes)")
    out.append(Field("options", "list", None, p, o_end, children=_nd_options(buf, p, o_end, ctx.problems)))
    a = o_end + (-(o_end - pos) % 4)
    if a < end:
        out.append(Field("attributes", "nest", None, a, end,
                         children=walk_attrs(buf, a, end, NDUSEROPT, ctx.order, ctx.problems)))
    return out


def nduseropt_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    parts = [msg.type_name, f"dev {v.hv('nduseropt_ifindex')}"]
    opts = next((f for f in fields if f.name == "options"), None)
    names = [c.get("type").short().removeprefix("ND_OPT_") for c in (opts.children or ()) if c.kind == "struct"] \
        if opts is not None else []
    if names:
        parts.append(" ".join(names))
    if "NDUSEROPT_SRCADDR" in v.a:
        parts.append(f"from {v.av('NDUSEROPT_SRCADDR')}")
    return " ".join(parts)


MESSAGES = {
    28: message("RTM_NEWNEIGH", NDMSG, NDA, neigh_summary),
    29: message("RTM_DELNEIGH", NDMSG, NDA, neigh_summary),
    30: message("RTM_GETNEIGH", NDMSG, NDA, neigh_summary),
    64: message("RTM_NEWNEIGHTBL", NDTMSG, NDTA, neightbl_summary),
    66: message("RTM_GETNEIGHTBL", NDTMSG, NDTA, neightbl_summary),
    67: message("RTM_SETNEIGHTBL", NDTMSG, NDTA, neightbl_summary),
    68: MessageType("RTM_NEWNDUSEROPT", "new", NDUSEROPTMSG, NDUSEROPT, nduseropt_summary,
                    _decode_nduseropt),
}
