"""rtnetlink routes, rules and nexthops: struct rtmsg and RTA_* (linux/rtnetlink.h) with
RTA_MULTIPATH (struct rtnexthop, each followed by its own attributes), RTA_METRICS
(RTAX_*) and RTA_ENCAP by RTA_ENCAP_TYPE (linux/lwtunnel.h, mpls_iptunnel.h,
seg6_iptunnel.h, seg6_local.h); struct fib_rule_hdr and FRA_* (linux/fib_rules.h);
struct nhmsg and NHA_* (linux/nexthop.h).
"""
from __future__ import annotations

import struct

from construct import Int8un, Int16un, Int32sn, Int32un, Int64un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, int_field, ip_text, walk_attrs

from .iproute2_names import proto_word, realms_text, table_word
from .rtnl_common import (AF_INET, AF_INET6, AF_MPLS, AF_NAMES, AF_SHORT, RT_SCOPE,
                          RT_TABLE, RTN_TYPE, RTN_WORD, RTNH_F, RTPROT, SCOPE_WORD, A,
                          View, dump_line, family_of, flag_words, hdr, is_dump_request, kept_raw, message,
                          mpls_labels, prefix_text, struct_array)

RTM_F = {0x100: "RTM_F_NOTIFY", 0x200: "RTM_F_CLONED", 0x400: "RTM_F_EQUALIZE",
         0x800: "RTM_F_PREFIX", 0x1000: "RTM_F_LOOKUP_TABLE", 0x2000: "RTM_F_FIB_MATCH",
         0x4000: "RTM_F_OFFLOAD", 0x8000: "RTM_F_TRAP", 0x20000000: "RTM_F_OFFLOAD_FAILED",
         **RTNH_F}  # a route's flags also carry its nexthop's RTNH_F_* bits
RTMSG = hdr("rtmsg", Struct(
    "rtm_family" / Int8un, "rtm_dst_len" / Int8un, "rtm_src_len" / Int8un, "rtm_tos" / Int8un,
    "rtm_table" / Int8un, "rtm_protocol" / Int8un, "rtm_scope" / Int8un, "rtm_type" / Int8un,
    "rtm_flags" / Int32un),
    enums={"rtm_family": AF_NAMES, "rtm_table": RT_TABLE, "rtm_protocol": RTPROT,
           "rtm_scope": RT_SCOPE, "rtm_type": RTN_TYPE}, flags={"rtm_flags": RTM_F})

RTAX_FEATURE = {1: "RTAX_FEATURE_ECN", 2: "RTAX_FEATURE_SACK", 4: "RTAX_FEATURE_TIMESTAMP",
                8: "RTAX_FEATURE_ALLFRAG", 16: "RTAX_FEATURE_TCP_USEC_TS"}
RTAX_NAMES = {1: "RTAX_LOCK", 2: "RTAX_MTU", 3: "RTAX_WINDOW", 4: "RTAX_RTT", 5: "RTAX_RTTVAR",
              6: "RTAX_SSTHRESH", 7: "RTAX_CWND", 8: "RTAX_ADVMSS", 9: "RTAX_REORDERING",
              10: "RTAX_HOPLIMIT", 11: "RTAX_INITCWND", 12: "RTAX_FEATURES", 13: "RTAX_RTO_MIN",
              14: "RTAX_INITRWND", 15: "RTAX_QUICKACK", 16: "RTAX_CC_ALGO",
              17: "RTAX_FASTOPEN_NO_COOKIE"}
RTAX = AttrSet("rtax", {t: A(n, "u32") for t, n in RTAX_NAMES.items()})
# RTAX_LOCK is a bitmask of the metrics that are locked: bit (1 << RTAX_*).
RTAX.attrs[1] = A("RTAX_LOCK", "u32", flags={1 << t: n for t, n in RTAX_NAMES.items()})
RTAX.attrs[12] = A("RTAX_FEATURES", "u32", flags=RTAX_FEATURE)
RTAX.attrs[16] = A("RTAX_CC_ALGO", "string")

RTA_CACHEINFO = hdr("rta_cacheinfo", Struct(
    "rta_clntref" / Int32un, "rta_lastuse" / Int32un, "rta_expires" / Int32sn,
    "rta_error" / Int32un, "rta_used" / Int32un, "rta_id" / Int32un, "rta_ts" / Int32un,
    "rta_tsage" / Int32un))
RTA_MFC_STATS = hdr("rta_mfc_stats", Struct(
    "mfcs_packets" / Int64un, "mfcs_bytes" / Int64un, "mfcs_wrong_if" / Int64un))
ICMPV6_ROUTER_PREF = {0: "ICMPV6_ROUTER_PREF_MEDIUM", 1: "ICMPV6_ROUTER_PREF_HIGH",
                      2: "ICMPV6_ROUTER_PREF_INVALID", 3: "ICMPV6_ROUTER_PREF_LOW"}

# -- lightweight tunnel encapsulations ---------------------------------------------------
LWTUNNEL_ENCAP = {0: "LWTUNNEL_ENCAP_NONE", 1: "LWTUNNEL_ENCAP_MPLS", 2: "LWTUNNEL_ENCAP_IP",
                  3: "LWTUNNEL_ENCAP_ILA", 4: "LWTUNNEL_ENCAP_IP6", 5: "LWTUNNEL_ENCAP_SEG6",
                  6: "LWTUNNEL_ENCAP_BPF", 7: "LWTUNNEL_ENCAP_SEG6_LOCAL", 8: "LWTUNNEL_ENCAP_RPL",
                  9: "LWTUNNEL_ENCAP_IOAM6", 10: "LWTUNNEL_ENCAP_XFRM"}
TUNNEL_OPTS = AttrSet("lwtunnel_ip_opts", {
    1: A("LWTUNNEL_IP_OPTS_GENEVE", "nested", nested=AttrSet("lwtunnel_ip_opt_geneve", {
        1: A("LWTUNNEL_IP_OPT_GENEVE_CLASS", "be16"), 2: A("LWTUNNEL_IP_OPT_GENEVE_TYPE", "u8"),
        3: A("LWTUNNEL_IP_OPT_GENEVE_DATA", "binary")})),
    2: A("LWTUNNEL_IP_OPTS_VXLAN", "nested", nested=AttrSet("lwtunnel_ip_opt_vxlan", {
        1: A("LWTUNNEL_IP_OPT_VXLAN_GBP", "u32")})),
    3: A("LWTUNNEL_IP_OPTS_ERSPAN", "nested", nested=AttrSet("lwtunnel_ip_opt_erspan", {
        1: A("LWTUNNEL_IP_OPT_ERSPAN_VER", "u8"), 2: A("LWTUNNEL_IP_OPT_ERSPAN_INDEX", "be32"),
        3: A("LWTUNNEL_IP_OPT_ERSPAN_DIR", "u8"), 4: A("LWTUNNEL_IP_OPT_ERSPAN_HWID", "u8")})),
})
# -- seg6: struct ipv6_sr_hdr (linux/seg6.h), seg6_iptunnel_encap, SEG6_LOCAL_* --------------
SEG6_IPTUN_MODE = {0: "SEG6_IPTUN_MODE_INLINE", 1: "SEG6_IPTUN_MODE_ENCAP", 2: "SEG6_IPTUN_MODE_L2ENCAP",
                   3: "SEG6_IPTUN_MODE_ENCAP_RED", 4: "SEG6_IPTUN_MODE_L2ENCAP_RED"}
SR6_FLAGS = {1 << 6: "SR6_FLAG1_PROTECTED", 1 << 5: "SR6_FLAG1_OAM", 1 << 4: "SR6_FLAG1_ALERT",
             1 << 3: "SR6_FLAG1_HMAC"}


def _srh_fields(buf, p: int, end: int, problems: list[str], path: str) -> list[Field]:
    """The routing header: 8 bytes, first_segment + 1 segments (the last hop first, as on
    the wire), then TLVs up to (hdrlen + 1) * 8 bytes."""
    if end - p < 8:
        problems.append(f"{path}: {end - p} bytes, too short for ipv6_sr_hdr")
        return [Field("data", "bytes", bytes(buf[p:end]), p, end)]
    nexthdr, hdrlen, typ, left, first, flags = buf[p:p + 6]
    tag = struct.unpack_from(">H", buf, p + 6)[0]
    out = [Field("nexthdr", "int", nexthdr, p, p + 1), Field("hdrlen", "int", hdrlen, p + 1, p + 2),
           Field("type", "int", typ, p + 2, p + 3), Field("segments_left", "int", left, p + 3, p + 4),
           Field("first_segment", "int", first, p + 4, p + 5),
           int_field("flags", flags, p + 5, p + 6, None, SR6_FLAGS), Field("tag", "int", tag, p + 6, p + 8)]
    stop = min(end, p + (hdrlen + 1) * 8)
    q = p + 8
    segs = []
    for i in range(first + 1):
        if stop - q < 16:
            problems.append(f"{path}: {first + 1} segments announced, {i} present")
            break
        segs.append(Field(str(i), "addr", ip_text(bytes(buf[q:q + 16])), q, q + 16))
        q += 16
    out.append(Field("segments", "list", None, p + 8, q, children=segs))
    if q < stop:
        out.append(Field("tlvs", "bytes", bytes(buf[q:stop]), q, stop))
    return out


def _seg6_encap(name, buf, start, end, order, problems, path, siblings) -> Field:
    """struct seg6_iptunnel_encap: the mode (an int), then the SRH."""
    p = start + 4
    if end - p < 4:
        problems.append(f"{path}: {end - p} bytes, too short for seg6_iptunnel_encap")
        return Field(name, "bytes", bytes(buf[p:end]), start, end)
    mode = struct.unpack_from(order + "i", buf, p)[0]
    return Field(name, "struct", None, start, end, children=[
        Field("mode", "enum", mode, p, p + 4, SEG6_IPTUN_MODE.get(mode)),
        Field("srh", "struct", None, p + 4, end, children=_srh_fields(buf, p + 4, end, problems, path))])


def _seg6_srh(name, buf, start, end, order, problems, path, siblings) -> Field:
    return Field(name, "struct", None, start, end, children=_srh_fields(buf, start + 4, end, problems, path))


SEG6_LOCAL_ACTION = {i: "SEG6_LOCAL_ACTION_" + n for i, n in enumerate([
    "UNSPEC", "END", "END_X", "END_T", "END_DX2", "END_DX6", "END_DX4", "END_DT6", "END_DT4", "END_B6",
    "END_B6_ENCAP", "END_BM", "END_S", "END_AS", "END_AM", "END_BPF", "END_DT46"])}
SEG6_LOCAL = AttrSet("seg6_local", {
    1: A("SEG6_LOCAL_ACTION", "u32", enum=SEG6_LOCAL_ACTION),
    2: A("SEG6_LOCAL_SRH", "custom", decode=_seg6_srh),
    3: A("SEG6_LOCAL_TABLE", "u32"),
    4: A("SEG6_LOCAL_NH4", "ipv4"),
    5: A("SEG6_LOCAL_NH6", "ipv6"),
    6: A("SEG6_LOCAL_IIF", "u32"),
    7: A("SEG6_LOCAL_OIF", "u32"),
    8: A("SEG6_LOCAL_BPF", "nested", nested=AttrSet("seg6_local_bpf_prog", {
        1: A("SEG6_LOCAL_BPF_PROG", "u32"), 2: A("SEG6_LOCAL_BPF_PROG_NAME", "string")})),
    9: A("SEG6_LOCAL_VRFTABLE", "u32"),
    10: A("SEG6_LOCAL_COUNTERS", "nested", nested=AttrSet("seg6_local_cnt", {
        1: A("SEG6_LOCAL_CNT_PAD", "binary"), 2: A("SEG6_LOCAL_CNT_PACKETS", "u64"),
        3: A("SEG6_LOCAL_CNT_BYTES", "u64"), 4: A("SEG6_LOCAL_CNT_ERRORS", "u64")})),
    11: A("SEG6_LOCAL_FLAVORS", "nested", nested=AttrSet("seg6_local_flv", {
        1: A("SEG6_LOCAL_FLV_OPERATION", "u32", flags={  # a bit per SEG6_LOCAL_FLV_OP_*
            2: "SEG6_LOCAL_FLV_OP_PSP", 4: "SEG6_LOCAL_FLV_OP_USP", 8: "SEG6_LOCAL_FLV_OP_USD",
            16: "SEG6_LOCAL_FLV_OP_NEXT_CSID"}),
        2: A("SEG6_LOCAL_FLV_LCBLOCK_BITS", "u8"), 3: A("SEG6_LOCAL_FLV_LCNODE_FN_BITS", "u8")})),
})
LWT_BPF_PROG = AttrSet("lwt_bpf_prog", {1: A("LWT_BPF_PROG_FD", "u32"), 2: A("LWT_BPF_PROG_NAME", "string")})
ENCAP_SETS: dict[int, AttrSet] = {
    1: AttrSet("mpls_iptunnel", {1: A("MPLS_IPTUNNEL_DST", "custom", decode=mpls_labels),
                                 2: A("MPLS_IPTUNNEL_TTL", "u8")}),
    2: AttrSet("lwtunnel_ip", {
        1: A("LWTUNNEL_IP_ID", "be64"), 2: A("LWTUNNEL_IP_DST", "ipv4"), 3: A("LWTUNNEL_IP_SRC", "ipv4"),
        4: A("LWTUNNEL_IP_TTL", "u8"), 5: A("LWTUNNEL_IP_TOS", "u8"), 6: A("LWTUNNEL_IP_FLAGS", "be16"),
        7: A("LWTUNNEL_IP_PAD", "binary"), 8: A("LWTUNNEL_IP_OPTS", "nested", nested=TUNNEL_OPTS)}),
    3: AttrSet("ila", {
        1: A("ILA_ATTR_LOCATOR", "u64"), 2: A("ILA_ATTR_IDENTIFIER", "u64"),
        3: A("ILA_ATTR_LOCATOR_MATCH", "u64"), 4: A("ILA_ATTR_IFINDEX", "s32"),
        5: A("ILA_ATTR_DIR", "u32"), 6: A("ILA_ATTR_PAD", "binary"), 7: A("ILA_ATTR_CSUM_MODE", "u8"),
        8: A("ILA_ATTR_IDENT_TYPE", "u8"), 9: A("ILA_ATTR_HOOK_TYPE", "u8")}),
    4: AttrSet("lwtunnel_ip6", {
        1: A("LWTUNNEL_IP6_ID", "be64"), 2: A("LWTUNNEL_IP6_DST", "ipv6"), 3: A("LWTUNNEL_IP6_SRC", "ipv6"),
        4: A("LWTUNNEL_IP6_HOPLIMIT", "u8"), 5: A("LWTUNNEL_IP6_TC", "u8"),
        6: A("LWTUNNEL_IP6_FLAGS", "be16"), 7: A("LWTUNNEL_IP6_PAD", "binary"),
        8: A("LWTUNNEL_IP6_OPTS", "nested", nested=TUNNEL_OPTS)}),
    5: AttrSet("seg6_iptunnel", {1: A("SEG6_IPTUNNEL_SRH", "custom", decode=_seg6_encap)}),
    6: AttrSet("lwt_bpf", {
        1: A("LWT_BPF_IN", "nested", nested=LWT_BPF_PROG), 2: A("LWT_BPF_OUT", "nested", nested=LWT_BPF_PROG),
        3: A("LWT_BPF_XMIT", "nested", nested=LWT_BPF_PROG), 4: A("LWT_BPF_XMIT_HEADROOM", "u32")}),
    7: SEG6_LOCAL,
    8: AttrSet("rpl_iptunnel", {1: A("RPL_IPTUNNEL_SRH", "binary")}),
    9: AttrSet("ioam6_iptunnel", {
        1: A("IOAM6_IPTUNNEL_MODE", "u8"), 2: A("IOAM6_IPTUNNEL_DST", "ipv6"),
        3: A("IOAM6_IPTUNNEL_TRACE", "binary"), 4: A("IOAM6_IPTUNNEL_FREQ_K", "u32"),
        5: A("IOAM6_IPTUNNEL_FREQ_N", "u32"), 6: A("IOAM6_IPTUNNEL_SRC", "ipv6")}),
    10: AttrSet("lwt_xfrm", {1: A("LWT_XFRM_IF_ID", "u32"), 2: A("LWT_XFRM_LINK", "u32")}),
}


def encap_fixup(encap: str, etype: str):
    """The kernel (and iproute2) put the encap nest *before* its type attribute, so the
    nest is walked once its siblings are all known."""
    def fix(attrs: list[Field], buf: bytes, order: str, problems: list[str], path: str = "") -> None:
        t = next((f.value for f in attrs if f.name == etype and f.kind == "enum"), None)
        for i, f in enumerate(attrs):
            if f.name == encap and f.kind == "bytes":
                kids = walk_attrs(buf, f.start + 4, f.end, ENCAP_SETS.get(t), order, problems,
                                  f"{path}{encap}.")
                attrs[i] = Field(encap, "nest", None, f.start, f.end, children=kids)
    return fix


rta_fixup = encap_fixup("RTA_ENCAP", "RTA_ENCAP_TYPE")


# -- RTA_MULTIPATH: struct rtnexthop, then that nexthop's attributes, repeated -------------
RTNEXTHOP = hdr("rtnexthop", Struct(
    "rtnh_len" / Int16un, "rtnh_flags" / Int8un, "rtnh_hops" / Int8un, "rtnh_ifindex" / Int32sn),
    flags={"rtnh_flags": RTNH_F})


def _multipath(attrs: AttrSet):
    def decode(name, buf, start, end, order, problems, path, siblings) -> Field:
        kids = []
        p = start + 4
        ln = struct.Struct(order + "H")
        i = 0
        while end - p >= RTNEXTHOP.size:
            rtnh_len = ln.unpack_from(buf, p)[0]
            here = f"{path}[{i}]"
            if rtnh_len < RTNEXTHOP.size or p + rtnh_len > end:
                problems.append(f"{here}: rtnh_len {rtnh_len} does not fit in {end - p} bytes")
                kids.append(Field("MALFORMED", "bytes", bytes(buf[p:end]), p, end))
                p = end
                break
            n_end = p + rtnh_len
            nh = [Field("rtnexthop", "struct", None, p, p + RTNEXTHOP.size,
                        children=RTNEXTHOP.parse(buf, p, order))]
            a = p + RTNEXTHOP.size
            if a < n_end:
                sub = walk_attrs(buf, a, n_end, attrs, order, problems, here + ".")
                rta_fixup(sub, buf, order, problems, here + ".")
                nh.append(Field("attributes", "nest", None, a, n_end, children=sub))
            kids.append(Field("nexthop", "struct", None, p, n_end, children=nh))
            p += (rtnh_len + 3) & ~3
            i += 1
        if p < end:
            problems.append(f"{path}: {end - p} trailing bytes after {i} nexthops")
            kids.append(Field("TRAILING", "bytes", bytes(buf[p:end]), p, end))
        return Field(name, "list", None, start, end, children=kids)
    return decode


def _rtvia(name, buf, start, end, order, problems, path, siblings) -> Field:
    """struct rtvia: a family, then an address of that family."""
    p0 = start + 4
    if end - p0 < 2:
        return kept_raw(name, buf, start, end, problems, f"{path}: rtvia of {end - p0} bytes")
    fam = struct.unpack_from(order + "H", buf, p0)[0]
    raw = bytes(buf[p0 + 2:end])
    addr = Field("rtvia_addr", "addr", ip_text(raw), p0 + 2, end) if fam in (AF_INET, AF_INET6) and \
        len(raw) in (4, 16) else Field("rtvia_addr", "bytes", raw, p0 + 2, end)
    return Field(name, "struct", None, start, end, children=[
        Field("rtvia_family", "enum", fam, p0, p0 + 2, AF_NAMES.get(fam)), addr])


def _rta(name: str, addr: A | None = None, newdst: A | None = None) -> AttrSet:
    aset = AttrSet(name, {
        1: addr or A("RTA_DST", "ipaddr"),
        2: A("RTA_SRC", "ipaddr"),
        3: A("RTA_IIF", "u32"),
        4: A("RTA_OIF", "u32"),
        5: A("RTA_GATEWAY", "ipaddr"),
        6: A("RTA_PRIORITY", "u32"),
        7: A("RTA_PREFSRC", "ipaddr"),
        8: A("RTA_METRICS", "nested", nested=RTAX),
        10: A("RTA_PROTOINFO", "binary"),
        11: A("RTA_FLOW", "u32", fmt=realms_text),
        12: A("RTA_CACHEINFO", "struct", struct=RTA_CACHEINFO),
        13: A("RTA_SESSION", "binary"),
        14: A("RTA_MP_ALGO", "u32"),
        15: A("RTA_TABLE", "u32", enum=RT_TABLE),
        16: A("RTA_MARK", "u32"),
        17: A("RTA_MFC_STATS", "struct", struct=RTA_MFC_STATS),
        18: A("RTA_VIA", "custom", decode=_rtvia),
        19: newdst or A("RTA_NEWDST", "ipaddr"),
        20: A("RTA_PREF", "u8", enum=ICMPV6_ROUTER_PREF),
        21: A("RTA_ENCAP_TYPE", "u16", enum=LWTUNNEL_ENCAP),
        22: A("RTA_ENCAP", "binary"),  # decoded by rta_fixup, once RTA_ENCAP_TYPE is known
        23: A("RTA_EXPIRES", "uint"),
        24: A("RTA_PAD", "binary"),
        25: A("RTA_UID", "u32"),
        26: A("RTA_TTL_PROPAGATE", "u8"),
        27: A("RTA_IP_PROTO", "u8"),
        28: A("RTA_SPORT", "be16"),
        29: A("RTA_DPORT", "be16"),
        30: A("RTA_NH_ID", "u32"),
    })
    aset.attrs[9] = A("RTA_MULTIPATH", "custom", decode=_multipath(aset))
    return aset


RTA = _rta("rta")
RTA_MPLS = _rta("rta(mpls)", A("RTA_DST", "custom", decode=mpls_labels),
                A("RTA_NEWDST", "custom", decode=mpls_labels))


def rta_for(fields: list[Field]) -> AttrSet:
    return RTA_MPLS if family_of(fields) == AF_MPLS else RTA


def _labels(f: Field) -> str:
    return "/".join(str(c.value) for c in f.children or ())


def _nexthop_text(nh_attrs: dict[str, Field], ifindex: int | None) -> list[str]:
    out = []
    if "RTA_NEWDST" in nh_attrs:
        nd = nh_attrs["RTA_NEWDST"]
        out.append(f"as to {_labels(nd) if nd.kind == 'list' else nd.value}")
    if "RTA_GATEWAY" in nh_attrs:
        out.append(f"via {nh_attrs['RTA_GATEWAY'].value}")
    elif "RTA_VIA" in nh_attrs:
        fam, addr = nh_attrs["RTA_VIA"].get("rtvia_family"), nh_attrs["RTA_VIA"].get("rtvia_addr")
        out.append(f"via {AF_SHORT.get(fam.value, fam.value)} {addr.short()}")
    if ifindex:
        out.append(f"oif {ifindex}")
    enc = nh_attrs.get("RTA_ENCAP_TYPE")
    if enc is not None and enc.value:
        out.append(f"encap {enc.short().removeprefix('LWTUNNEL_ENCAP_').lower()}")
        data = nh_attrs.get("RTA_ENCAP")
        dst = data.get("MPLS_IPTUNNEL_DST") if data is not None and data.kind == "nest" else None
        if dst is not None:
            out.append(_labels(dst))
        if data is not None and data.kind == "nest":
            out.extend(_seg6_words(data))
    return out


def _seg6_words(data: Field) -> list[str]:
    """As ip route prints them: `mode encap segs 2 [ A B ]` (segments in travel order,
    the reverse of the wire), `action End.DX6 nh6 X`."""
    srh = data.get("SEG6_IPTUNNEL_SRH")
    if srh is not None and srh.get("srh") is not None:
        mode = srh.get("mode")
        segs = [f.value for f in reversed(srh.get("srh").get("segments").children or ())]
        return [f"mode {mode.short().removeprefix('SEG6_IPTUN_MODE_').lower().replace('_', '')}",
                f"segs {len(segs)} [ {' '.join(segs)} ]"]
    act = data.get("SEG6_LOCAL_ACTION")
    if act is None or act.kind != "enum":
        return []
    word = act.short().removeprefix("SEG6_LOCAL_ACTION_")
    out = ["action " + ("End" + "".join("." + w for w in word.split("_")[1:]) if word.startswith("END") else word)]
    for key, w in (("SEG6_LOCAL_NH4", "nh4"), ("SEG6_LOCAL_NH6", "nh6"), ("SEG6_LOCAL_TABLE", "table"),
                   ("SEG6_LOCAL_VRFTABLE", "vrftable"), ("SEG6_LOCAL_IIF", "iif"), ("SEG6_LOCAL_OIF", "oif")):
        f = data.get(key)
        if f is not None and f.kind != "bytes":
            out.append(f"{w} {f.value}")
    return out


# How ip route names metrics (RTAX_CC_ALGO is "congctl").
_RTAX_WORD = {n: ("congctl" if n == "RTAX_CC_ALGO" else n[5:].lower()) for n in RTAX_NAMES.values()}


def _metrics_text(metrics: Field) -> list[str]:
    """`mtu lock 1400 advmss 1360 congctl cubic`, in RTAX_* order as ip route prints them."""
    by_name = {c.name: c for c in metrics.children or () if c.kind != "bytes"}
    lock = by_name.get("RTAX_LOCK")
    locked = set(lock.meta or ()) if lock is not None else set()
    out = []
    for name in RTAX_NAMES.values():
        f = by_name.get(name)
        if f is None or name == "RTAX_LOCK":
            continue
        value = f.value
        if name == "RTAX_FEATURES":
            value = " ".join(flag_words(f.value, RTAX_FEATURE, "RTAX_FEATURE_"))
        out.append(f"{_RTAX_WORD[name]} {'lock ' if name in locked else ''}{value}")
    return out


def route_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    fam = v.family()
    if is_dump_request(msg):
        table = v.av("RTA_TABLE", v.hv("rtm_table", 0))
        return dump_line(msg, v, f"table {table_word(table)}" if table else "")
    parts = [msg.type_name]
    rtype = v.hv("rtm_type", 0)
    if rtype not in (0, 1):
        parts.append(RTN_WORD.get(rtype, str(rtype)))
    dst = v.a.get("RTA_DST")
    if dst is not None and dst.kind == "list":  # MPLS label
        parts.append(_labels(dst))
    else:
        parts.append(prefix_text(v.av("RTA_DST"), v.hv("rtm_dst_len"), fam))
    if v.hv("rtm_src_len") or "RTA_SRC" in v.a:
        parts.append("from " + prefix_text(v.av("RTA_SRC"), v.hv("rtm_src_len"), fam))
    if v.hv("rtm_tos"):
        parts.append(f"tos 0x{v.hv('rtm_tos'):x}")
    parts.extend(_nexthop_text(v.a, v.av("RTA_OIF")))
    if "RTA_IIF" in v.a:
        parts.append(f"iif {v.av('RTA_IIF')}")
    if "RTA_NH_ID" in v.a:
        parts.append(f"nhid {v.av('RTA_NH_ID')}")
    if "RTA_PRIORITY" in v.a:
        parts.append(f"metric {v.av('RTA_PRIORITY')}")
    table = v.av("RTA_TABLE", v.hv("rtm_table", 0))
    if table:
        parts.append(f"table {table_word(table)}")
    proto = v.hv("rtm_protocol", 0)
    if proto not in (0, 3):  # unspec, boot: ip route does not print them
        parts.append(f"proto {proto_word(proto)}")
    scope = v.hv("rtm_scope", 0)
    if scope:
        parts.append(f"scope {SCOPE_WORD.get(scope, scope)}")
    if "RTA_PREFSRC" in v.a:
        parts.append(f"src {v.av('RTA_PREFSRC')}")
    if "RTA_PREF" in v.a:
        parts.append(f"pref {v.a['RTA_PREF'].short().removeprefix('ICMPV6_ROUTER_PREF_').lower()}")
    if "RTA_MARK" in v.a:
        parts.append(f"mark 0x{v.av('RTA_MARK'):x}")
    metrics = v.a.get("RTA_METRICS")
    if metrics is not None and metrics.children:
        parts.extend(_metrics_text(metrics))
    mp = v.a.get("RTA_MULTIPATH")
    for nh in (mp.children or ()) if mp is not None else ():
        if nh.name != "nexthop":
            continue
        hdr_f = nh.get("rtnexthop")
        sub = nh.get("attributes")
        nh_attrs = {c.name: c for c in (sub.children or ()) if c.kind != "bytes"} if sub is not None else {}
        ifidx = hdr_f.get("rtnh_ifindex").value if hdr_f is not None else None
        hops = hdr_f.get("rtnh_hops").value if hdr_f is not None else 0
        parts.append(" ".join(["nexthop", *_nexthop_text(nh_attrs, ifidx), f"weight {hops + 1}"]))
    flags = v.hv("rtm_flags", 0)
    if flags & 0x200:
        parts.append("cached")
    return " ".join(str(p) for p in parts)


# -- policy routing rules -----------------------------------------------------------------
FR_ACT = {0: "FR_ACT_UNSPEC", 1: "FR_ACT_TO_TBL", 2: "FR_ACT_GOTO", 3: "FR_ACT_NOP",
          4: "FR_ACT_RES3", 5: "FR_ACT_RES4", 6: "FR_ACT_BLACKHOLE", 7: "FR_ACT_UNREACHABLE",
          8: "FR_ACT_PROHIBIT"}
FIB_RULE_F = {1: "FIB_RULE_PERMANENT", 2: "FIB_RULE_INVERT", 4: "FIB_RULE_UNRESOLVED",
              8: "FIB_RULE_IIF_DETACHED", 16: "FIB_RULE_OIF_DETACHED", 0x10000: "FIB_RULE_FIND_SADDR"}
FIB_RULE_HDR = hdr("fib_rule_hdr", Struct(
    "family" / Int8un, "dst_len" / Int8un, "src_len" / Int8un, "tos" / Int8un, "table" / Int8un,
    Padding(2), "action" / Int8un, "flags" / Int32un),
    enums={"family": AF_NAMES, "table": RT_TABLE, "action": FR_ACT}, flags={"flags": FIB_RULE_F})
PORT_RANGE = hdr("fib_rule_port_range", Struct("start" / Int16un, "end" / Int16un))


def _rule_addr(name, buf, start, end, order, problems, path, siblings) -> Field:
    """FRA_SRC/FRA_DST. The kernel has no policy for them: fib_nl2rule() reads one only
    when the header's src_len/dst_len is not 0, and then wants the family's address
    size. iproute2's `from all`/`to all` sends it with 0 bytes (and length 0): valid,
    shown as "all" as `ip rule` prints it."""
    n = end - start - 4
    if n == 0:
        return Field(name, "addr", "all", start, end)
    if n in (4, 16):
        return Field(name, "addr", ip_text(bytes(buf[start + 4:end])), start, end)
    return kept_raw(name, buf, start, end, problems, f"{path}: address of {n} bytes")


FRA = AttrSet("fra", {
    1: A("FRA_DST", "custom", decode=_rule_addr),
    2: A("FRA_SRC", "custom", decode=_rule_addr),
    3: A("FRA_IIFNAME", "string"),
    4: A("FRA_GOTO", "u32"),
    5: A("FRA_UNUSED2", "binary"),
    6: A("FRA_PRIORITY", "u32"),
    7: A("FRA_UNUSED3", "binary"),
    8: A("FRA_UNUSED4", "binary"),
    9: A("FRA_UNUSED5", "binary"),
    10: A("FRA_FWMARK", "u32"),
    11: A("FRA_FLOW", "u32"),
    12: A("FRA_TUN_ID", "be64"),
    13: A("FRA_SUPPRESS_IFGROUP", "s32"),  # ints in struct fib_rule, -1 when unset
    14: A("FRA_SUPPRESS_PREFIXLEN", "s32"),
    15: A("FRA_TABLE", "u32", enum=RT_TABLE),
    16: A("FRA_FWMASK", "u32"),
    17: A("FRA_OIFNAME", "string"),
    18: A("FRA_PAD", "binary"),
    19: A("FRA_L3MDEV", "u8"),
    20: A("FRA_UID_RANGE", "struct", struct=hdr("fib_rule_uid_range", Struct("start" / Int32un, "end" / Int32un))),
    21: A("FRA_PROTOCOL", "u8", enum=RTPROT),
    22: A("FRA_IP_PROTO", "u8"),
    23: A("FRA_SPORT_RANGE", "struct", struct=PORT_RANGE),
    24: A("FRA_DPORT_RANGE", "struct", struct=PORT_RANGE),
    25: A("FRA_DSCP", "u8"),
})


def rule_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    fam = v.family()
    if is_dump_request(msg):
        return dump_line(msg, v)
    parts = [msg.type_name]
    if "FRA_PRIORITY" in v.a or not msg.flags & 1:  # the kernel leaves out priority 0
        parts.append(f"{v.av('FRA_PRIORITY', 0)}:")
    if v.hv("flags", 0) & 2:
        parts.append("not")
    src = v.av("FRA_SRC")
    parts.append("from " + (prefix_text(src, v.hv("src_len"), fam, host_short=False)
                            if src and src != "all" else "all"))
    dst = v.av("FRA_DST")
    if dst == "all":
        parts.append("to all")
    elif "FRA_DST" in v.a:
        parts.append("to " + prefix_text(dst, v.hv("dst_len"), fam, host_short=False))
    if v.hv("tos"):
        parts.append(f"tos 0x{v.hv('tos'):x}")
    if "FRA_FWMARK" in v.a or "FRA_FWMASK" in v.a:
        mark = f"fwmark 0x{v.av('FRA_FWMARK', 0):x}"
        mask = v.av("FRA_FWMASK")
        parts.append(mark + (f"/0x{mask:x}" if mask is not None and mask != 0xFFFFFFFF else ""))
    if "FRA_IIFNAME" in v.a:
        parts.append(f"iif {v.av('FRA_IIFNAME')}")
    if "FRA_OIFNAME" in v.a:
        parts.append(f"oif {v.av('FRA_OIFNAME')}")
    if v.av("FRA_L3MDEV"):
        parts.append("lookup [l3mdev-table]")
    if "FRA_UID_RANGE" in v.a:
        r = v.a["FRA_UID_RANGE"]
        parts.append(f"uidrange {r.get('start').value}-{r.get('end').value}")
    if "FRA_IP_PROTO" in v.a:
        parts.append(f"ipproto {v.av('FRA_IP_PROTO')}")
    for key, word in (("FRA_SPORT_RANGE", "sport"), ("FRA_DPORT_RANGE", "dport")):
        if key in v.a:
            r = v.a[key]
            a, b = r.get("start").value, r.get("end").value
            parts.append(f"{word} {a}" if a == b else f"{word} {a}-{b}")
    action = v.hv("action", 0)
    table = v.av("FRA_TABLE", v.hv("table", 0))
    if action == 1 or (action == 0 and table):
        if not v.av("FRA_L3MDEV"):
            parts.append(f"lookup {table_word(table)}")
    elif action == 2:
        parts.append(f"goto {v.av('FRA_GOTO', '?')}")
    elif action:
        parts.append(FR_ACT.get(action, str(action)).removeprefix("FR_ACT_").lower())
    if "FRA_SUPPRESS_PREFIXLEN" in v.a and v.av("FRA_SUPPRESS_PREFIXLEN") != -1:
        parts.append(f"suppress_prefixlength {v.av('FRA_SUPPRESS_PREFIXLEN')}")
    proto = v.av("FRA_PROTOCOL")
    if proto:
        parts.append(f"proto {proto_word(proto)}")
    return " ".join(str(p) for p in parts)


# -- nexthop objects ----------------------------------------------------------------------
NHMSG = hdr("nhmsg", Struct(
    "nh_family" / Int8un, "nh_scope" / Int8un, "nh_protocol" / Int8un, Padding(1),
    "nh_flags" / Int32un),
    enums={"nh_family": AF_NAMES, "nh_scope": RT_SCOPE, "nh_protocol": RTPROT},
    flags={"nh_flags": RTNH_F})
NEXTHOP_GRP = hdr("nexthop_grp", Struct(
    "id" / Int32un, "weight" / Int8un, "weight_high" / Int8un, Padding(2)))
NHA_OP_FLAGS = {1: "NHA_OP_FLAG_DUMP_STATS", 2: "NHA_OP_FLAG_DUMP_HW_STATS",
                0x80000000: "NHA_OP_FLAG_RESP_GRP_RESVD_0"}
NHA = AttrSet("nha", {
    1: A("NHA_ID", "u32"),
    2: A("NHA_GROUP", "custom", decode=struct_array(NEXTHOP_GRP)),
    3: A("NHA_GROUP_TYPE", "u16", enum={0: "NEXTHOP_GRP_TYPE_MPATH", 1: "NEXTHOP_GRP_TYPE_RES"}),
    4: A("NHA_BLACKHOLE", "flag"),
    5: A("NHA_OIF", "u32"),
    6: A("NHA_GATEWAY", "ipaddr"),
    7: A("NHA_ENCAP_TYPE", "u16", enum=LWTUNNEL_ENCAP),
    8: A("NHA_ENCAP", "binary"),  # decoded by nha_fixup
    9: A("NHA_GROUPS", "flag"),
    10: A("NHA_MASTER", "u32"),
    11: A("NHA_FDB", "flag"),
    12: A("NHA_RES_GROUP", "nested", nested=AttrSet("nha_res_group", {
        0: A("NHA_RES_GROUP_PAD", "binary"),
        1: A("NHA_RES_GROUP_BUCKETS", "u16"),
        2: A("NHA_RES_GROUP_IDLE_TIMER", "u32"),
        3: A("NHA_RES_GROUP_UNBALANCED_TIMER", "u32"),
        4: A("NHA_RES_GROUP_UNBALANCED_TIME", "u64")})),
    13: A("NHA_RES_BUCKET", "nested", nested=AttrSet("nha_res_bucket", {
        0: A("NHA_RES_BUCKET_PAD", "binary"),
        1: A("NHA_RES_BUCKET_INDEX", "u16"),
        2: A("NHA_RES_BUCKET_IDLE_TIME", "u64"),
        3: A("NHA_RES_BUCKET_NH_ID", "u32")})),
    14: A("NHA_OP_FLAGS", "u32", flags=NHA_OP_FLAGS),
    15: A("NHA_GROUP_STATS", "nested", nested=AttrSet("nha_group_stats", {
        1: A("NHA_GROUP_STATS_ENTRY", "nested", nested=AttrSet("nha_group_stats_entry", {
            1: A("NHA_GROUP_STATS_ENTRY_ID", "u32"),
            2: A("NHA_GROUP_STATS_ENTRY_PACKETS", "uint"),
            3: A("NHA_GROUP_STATS_ENTRY_PACKETS_HW", "uint")}))})),
    16: A("NHA_HW_STATS_ENABLE", "u32"),
    17: A("NHA_HW_STATS_USED", "u32"),
})
nha_fixup = encap_fixup("NHA_ENCAP", "NHA_ENCAP_TYPE")


def nexthop_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        extra = []
        if "NHA_OIF" in v.a:
            extra.append(f"oif {v.av('NHA_OIF')}")
        if "NHA_GROUPS" in v.a:
            extra.append("groups")
        if "NHA_MASTER" in v.a:
            extra.append(f"master {v.av('NHA_MASTER')}")
        return dump_line(msg, v, " ".join(extra))
    parts = [msg.type_name]
    if "NHA_ID" in v.a:
        parts.append(f"id {v.av('NHA_ID')}")
    grp = v.a.get("NHA_GROUP")
    if grp is not None and grp.kind == "list":
        members = []
        for g in grp.children or ():
            if g.kind != "struct":
                continue
            gid, w, wh = (g.get(k).value for k in ("id", "weight", "weight_high"))
            weight = ((wh << 8) | w) + 1
            members.append(f"{gid}" + (f",{weight}" if weight != 1 else ""))
        parts.append("group " + "/".join(members))
        if v.av("NHA_GROUP_TYPE"):
            parts.append("type resilient")
    if "NHA_GATEWAY" in v.a:
        parts.append(f"via {v.av('NHA_GATEWAY')}")
    if "NHA_OIF" in v.a:
        parts.append(f"oif {v.av('NHA_OIF')}")
    if "NHA_BLACKHOLE" in v.a:
        parts.append("blackhole")
    if "NHA_FDB" in v.a:
        parts.append("fdb")
    enc = v.a.get("NHA_ENCAP_TYPE")
    if enc is not None and enc.value:
        parts.append(f"encap {enc.short().removeprefix('LWTUNNEL_ENCAP_').lower()}")
    bucket = v.a.get("NHA_RES_BUCKET")
    if bucket is not None:
        for key, word in (("NHA_RES_BUCKET_INDEX", "index"), ("NHA_RES_BUCKET_IDLE_TIME", "idle_time"),
                          ("NHA_RES_BUCKET_NH_ID", "nhid")):
            if bucket.get(key) is not None:
                parts.append(f"{word} {bucket.get(key).value}")
    scope = v.hv("nh_scope", 0)
    if scope:
        parts.append(f"scope {SCOPE_WORD.get(scope, scope)}")
    proto = v.hv("nh_protocol", 0)
    if proto:
        parts.append(f"proto {proto_word(proto)}")
    fl = flag_words(v.hv("nh_flags", 0), RTNH_F, "RTNH_F_")
    if fl:
        parts.append(" ".join(fl))
    if len(parts) == 1:
        parts.append(AF_SHORT.get(v.family(), str(v.family())))
    return " ".join(str(p) for p in parts)


MESSAGES = {
    24: message("RTM_NEWROUTE", RTMSG, rta_for, route_summary, rta_fixup),
    25: message("RTM_DELROUTE", RTMSG, rta_for, route_summary, rta_fixup),
    26: message("RTM_GETROUTE", RTMSG, rta_for, route_summary, rta_fixup),
    32: message("RTM_NEWRULE", FIB_RULE_HDR, FRA, rule_summary),
    33: message("RTM_DELRULE", FIB_RULE_HDR, FRA, rule_summary),
    34: message("RTM_GETRULE", FIB_RULE_HDR, FRA, rule_summary),
    104: message("RTM_NEWNEXTHOP", NHMSG, NHA, nexthop_summary, nha_fixup),
    105: message("RTM_DELNEXTHOP", NHMSG, NHA, nexthop_summary, nha_fixup),
    106: message("RTM_GETNEXTHOP", NHMSG, NHA, nexthop_summary, nha_fixup),
    116: message("RTM_NEWNEXTHOPBUCKET", NHMSG, NHA, nexthop_summary, nha_fixup),
    117: message("RTM_DELNEXTHOPBUCKET", NHMSG, NHA, nexthop_summary, nha_fixup),
    118: message("RTM_GETNEXTHOPBUCKET", NHMSG, NHA, nexthop_summary, nha_fixup),
}
