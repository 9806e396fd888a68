"""rtnetlink shared pieces: names used by several message groups, the custom attribute
decoders (arrays, counters, a struct followed by attributes), the payload decoder every
rtnetlink message type uses, and helpers for Info-column summaries.

Facts come from the kernel UAPI headers (linux/rtnetlink.h, linux/socket.h via glibc's
bits/socket.h, linux/netlink.h). This module registers nothing: dissectors/rtnetlink.py
is the one place that calls registry.add for protocol 0.
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any

from nlscope.decode import nla
from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, flag_names, walk_attrs
from nlscope.decode.registry import DecodeCtx, MessageType, Summary

A = Attr

NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH: the kernel dumps if either is set

# -- address families (linux/socket.h) and rtnetlink's own (linux/rtnetlink.h) ---------
AF_NAMES = {
    0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 3: "AF_AX25", 4: "AF_IPX", 5: "AF_APPLETALK",
    6: "AF_NETROM", 7: "AF_BRIDGE", 8: "AF_ATMPVC", 9: "AF_X25", 10: "AF_INET6", 11: "AF_ROSE",
    12: "AF_DECnet", 13: "AF_NETBEUI", 14: "AF_SECURITY", 15: "AF_KEY", 16: "AF_NETLINK",
    17: "AF_PACKET", 18: "AF_ASH", 19: "AF_ECONET", 20: "AF_ATMSVC", 21: "AF_RDS", 22: "AF_SNA",
    23: "AF_IRDA", 24: "AF_PPPOX", 25: "AF_WANPIPE", 26: "AF_LLC", 27: "AF_IB", 28: "AF_MPLS",
    29: "AF_CAN", 30: "AF_TIPC", 31: "AF_BLUETOOTH", 32: "AF_IUCV", 33: "AF_RXRPC", 34: "AF_ISDN",
    35: "AF_PHONET", 36: "AF_IEEE802154", 37: "AF_CAIF", 38: "AF_ALG", 39: "AF_NFC",
    40: "AF_VSOCK", 41: "AF_KCM", 42: "AF_QIPCRTR", 43: "AF_SMC", 44: "AF_XDP", 45: "AF_MCTP",
    128: "RTNL_FAMILY_IPMR", 129: "RTNL_FAMILY_IP6MR",
}
AF_UNSPEC, AF_INET, AF_BRIDGE, AF_INET6, AF_PACKET, AF_MPLS, AF_MCTP = 0, 2, 7, 10, 17, 28, 45
# How iproute2 names families in its output.
AF_SHORT = {0: "unspec", 2: "inet", 7: "bridge", 10: "inet6", 17: "link", 28: "mpls",
            45: "mctp", 128: "ipmr", 129: "ip6mr"}

# -- route scope, table, protocol, type (linux/rtnetlink.h) ---------------------------
RT_SCOPE = {0: "RT_SCOPE_UNIVERSE", 200: "RT_SCOPE_SITE", 253: "RT_SCOPE_LINK",
            254: "RT_SCOPE_HOST", 255: "RT_SCOPE_NOWHERE"}
RT_TABLE = {0: "RT_TABLE_UNSPEC", 252: "RT_TABLE_COMPAT", 253: "RT_TABLE_DEFAULT",
            254: "RT_TABLE_MAIN", 255: "RT_TABLE_LOCAL"}
RTPROT = {0: "RTPROT_UNSPEC", 1: "RTPROT_REDIRECT", 2: "RTPROT_KERNEL", 3: "RTPROT_BOOT",
          4: "RTPROT_STATIC", 8: "RTPROT_GATED", 9: "RTPROT_RA", 10: "RTPROT_MRT",
          11: "RTPROT_ZEBRA", 12: "RTPROT_BIRD", 13: "RTPROT_DNROUTED", 14: "RTPROT_XORP",
          15: "RTPROT_NTK", 16: "RTPROT_DHCP", 17: "RTPROT_MROUTED", 18: "RTPROT_KEEPALIVED",
          42: "RTPROT_BABEL", 99: "RTPROT_OPENR", 186: "RTPROT_BGP", 187: "RTPROT_ISIS",
          188: "RTPROT_OSPF", 189: "RTPROT_RIP", 192: "RTPROT_EIGRP"}
RTN_TYPE = {0: "RTN_UNSPEC", 1: "RTN_UNICAST", 2: "RTN_LOCAL", 3: "RTN_BROADCAST",
            4: "RTN_ANYCAST", 5: "RTN_MULTICAST", 6: "RTN_BLACKHOLE", 7: "RTN_UNREACHABLE",
            8: "RTN_PROHIBIT", 9: "RTN_THROW", 10: "RTN_NAT", 11: "RTN_XRESOLVE"}
RTNH_F = {1: "RTNH_F_DEAD", 2: "RTNH_F_PERVASIVE", 4: "RTNH_F_ONLINK", 8: "RTNH_F_OFFLOAD",
          16: "RTNH_F_LINKDOWN", 32: "RTNH_F_UNRESOLVED", 64: "RTNH_F_TRAP"}
# Names without their prefix, lower case, as iproute2 prints them (ip route, ip rule).
SCOPE_WORD = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
TABLE_WORD = {0: "unspec", 252: "compat", 253: "default", 254: "main", 255: "local"}
PROTO_WORD = {v: n[7:].lower() for v, n in RTPROT.items()}
RTN_WORD = {v: n[4:].lower() for v, n in RTN_TYPE.items()}

# Shared by ifinfomsg, RTM_GETSTATS filters and IFLA_EXT_MASK (linux/rtnetlink.h).
RTEXT_FILTER = {1: "RTEXT_FILTER_VF", 2: "RTEXT_FILTER_BRVLAN",
                4: "RTEXT_FILTER_BRVLAN_COMPRESSED", 8: "RTEXT_FILTER_SKIP_STATS",
                16: "RTEXT_FILTER_MRP", 32: "RTEXT_FILTER_CFM_CONFIG",
                64: "RTEXT_FILTER_CFM_STATUS", 128: "RTEXT_FILTER_MST"}

ETH_P = {0x0800: "ETH_P_IP", 0x0806: "ETH_P_ARP", 0x8100: "ETH_P_8021Q", 0x86DD: "ETH_P_IPV6",
         0x88A8: "ETH_P_8021AD", 0x8847: "ETH_P_MPLS_UC", 0x8848: "ETH_P_MPLS_MC",
         0x0003: "ETH_P_ALL", 0x88CC: "ETH_P_LLDP", 0x8863: "ETH_P_PPP_DISC",
         0x8864: "ETH_P_PPP_SES", 0x894F: "ETH_P_NSH", 0x88E5: "ETH_P_MACSEC",
         0x8902: "ETH_P_CFM", 0x22F0: "ETH_P_TSN"}
# How tc and ip print ethertypes.
ETH_WORD = {0x0800: "ip", 0x0806: "arp", 0x8100: "802.1Q", 0x86DD: "ipv6", 0x88A8: "802.1ad",
            0x8847: "mpls_uc", 0x8848: "mpls_mc", 0x0003: "all", 0x88CC: "lldp"}


def hdr(name: str, sc, **kw) -> FixedHeader:
    return FixedHeader(name, sc, **kw)


# -- custom attribute decoders (Attr kind "custom") ------------------------------------

def counters(names: list[str], fmt: str = "Q") -> Callable[..., Field]:
    """A struct of same-sized counters that grows across kernel versions
    (rtnl_link_stats64, ...): decode as many whole fields as the attribute holds;
    fields a newer kernel added past the known ones are named by their index."""
    size = struct.calcsize(fmt)
    # per (order, count): one unpack for the whole block, and the names it gets
    plans: dict[tuple[str, int], tuple[Callable, tuple[str, ...], bool]] = {}

    def kids(buf, p0, unpack, keys, problems):
        return [Field(k, "int", v, p0 + i * size, p0 + i * size + size)
                for i, (k, v) in enumerate(zip(keys, unpack(buf, p0)))]

    kids.clean = True  # nla.fields_clean: the expansion reports nothing (rest is said at once)

    def decode(name, buf, start, end, order, problems, path, siblings):
        p0 = start + 4
        n, rest = divmod(end - p0, size)
        plan = plans.get((order, n))
        if plan is None:
            if len(plans) >= 64:  # counts a hostile capture makes up: stay bounded
                plans.clear()
            keys = tuple(names[i] if i < len(names) else f"[{i}]" for i in range(n))
            plan = plans[(order, n)] = (struct.Struct(f"{order}{n}{fmt}").unpack_from, keys,
                                        len(set(keys)) == n)
        unpack, keys, unique = plan
        if rest:
            problems.append(f"{path}: {end - p0} bytes is not a whole number of {size}-byte counters")
        mode = nla.decode_mode()
        if mode == nla.TREE or not unique:
            return Field(name, "struct", None, start, end, children=kids(buf, p0, unpack, keys, problems))
        js = dict(zip(keys, unpack(buf, p0))) if mode == nla.JSON else nla.NOJSON
        return nla.Lazy(name, "struct", start, end, (kids, (buf, p0, unpack, keys), decode.names), js)
    decode.siblings = False  # nla: what it decodes does not depend on other attributes
    decode.names = frozenset(names)  # nla.reach_of: the names it gives (filters)
    decode.whole = size  # nla.attrs_clean: its one problem is a length not a multiple of this
    return decode


def named_array(names: Mapping[int, str], fmt: str) -> Callable[..., Field]:
    """An array of integers indexed by an enum (IFLA_INET6_CONF by DEVCONF_*, ...)."""
    return counters([names.get(i, f"[{i}]") for i in range(max(names, default=-1) + 1)], fmt)


def struct_array(st: FixedHeader, item: str | None = None) -> Callable[..., Field]:
    """Consecutive fixed structs (NHA_GROUP's nexthop_grp, ...), as a list."""
    def decode(name, buf, start, end, order, problems, path, siblings):
        kids = []
        p = start + 4
        while end - p >= st.size:
            kids.append(Field(item or st.name, "struct", None, p, p + st.size, children=st.parse(buf, p, order)))
            p += st.size
        if p < end:
            problems.append(f"{path}: {end - p} bytes left over after {len(kids)} {st.name}")
            kids.append(Field("TRAILING", "bytes", bytes(buf[p:end]), p, end))
        return Field(name, "list", None, start, end, children=kids)
    return decode


def kept_raw(name: str, buf: bytes, start: int, end: int, problems: list[str], problem: str) -> Field:
    """An attribute whose payload does not have the layout its table gives: its bytes,
    and the problem that says why."""
    problems.append(problem)
    return Field(name, "bytes", bytes(buf[start + 4:end]), start, end)


def header_then_attrs(st: FixedHeader, attrs: AttrSet) -> Callable[..., Field]:
    """A struct followed by attributes (VETH_INFO_PEER: ifinfomsg then IFLA_*)."""
    def decode(name, buf, start, end, order, problems, path, siblings):
        p0 = start + 4
        if end - p0 < st.size:
            return kept_raw(name, buf, start, end, problems,
                            f"{path}: {st.name} needs {st.size} bytes, got {end - p0}")
        kids = [Field(st.name, "struct", None, p0, p0 + st.size, children=st.parse(buf, p0, order))]
        p = p0 + ((st.size + 3) & ~3)
        if p < end:
            kids.append(Field("attributes", "nest", None, p, end,
                              children=walk_attrs(buf, p, end, attrs, order, problems, path + ".")))
        return Field(name, "struct", None, start, end, children=kids)
    return decode


def flag_or_u8(name, buf, start, end, order, problems, path, siblings) -> Field:
    """A flag in requests that the kernel echoes back as a u8 (IFLA_VXLAN_TTL_INHERIT)."""
    if end - start == 4:
        return Field(name, "bool", True, start, end)
    if end - start == 5:
        return Field(name, "int", buf[start + 4], start, end)
    return kept_raw(name, buf, start, end, problems,
                    f"{path}: expected a flag or a u8, got {end - start - 4} bytes")


def mpls_labels(name, buf, start, end, order, problems, path, siblings) -> Field:
    """An MPLS label stack: 32-bit big-endian entries, label in the top 20 bits."""
    kids = []
    p = start + 4
    while end - p >= 4:
        v = struct.unpack_from(">I", buf, p)[0]
        kids.append(Field("label", "int", v >> 12, p, p + 4))
        p += 4
    return Field(name, "list", None, start, end, children=kids)


# -- the payload of every rtnetlink message --------------------------------------------

def family_of(fields: list[Field]) -> int | None:
    """The address family: the first member of every rtnetlink fixed header."""
    if fields and fields[0].children:
        return fields[0].children[0].value
    return None


AttrsFor = AttrSet | Callable[[list[Field]], AttrSet | None] | None
Fixup = Callable[[list[Field], bytes, str, list[str]], None]


def decode_payload(ctx: DecodeCtx, header: FixedHeader, attrs: AttrsFor, fixup: Fixup | None = None,
                   kind: str = "other") -> list[Field]:
    """Fixed header then attributes. A dump request shorter than its header is what
    old tools send (a one-byte struct rtgenmsg, padded to 4, maybe followed by
    attributes) and the kernel accepts it: decode the family and what follows, no
    problem. Anything else shorter than its header is malformed."""
    buf, pos, end = ctx.buf, ctx.start, ctx.end
    n = end - pos
    out: list[Field] = []
    if n < header.size:
        if n == 0:
            ctx.problems.append("empty payload: the kernel ignores an rtnetlink message "
                                "without at least its one-byte family")
            return out
        if kind == "get" and ctx.flags & NLM_F_REQUEST and ctx.flags & NLM_F_DUMP:
            fam = buf[pos]
            out.append(Field("rtgenmsg", "struct", None, pos, pos + 1, children=[
                Field("rtgen_family", "enum", fam, pos, pos + 1, AF_NAMES.get(fam))]))
            p = pos + 4
            if p < end:
                scratch: list[str] = []
                aset = attrs(out) if callable(attrs) else attrs
                kids = walk_attrs(buf, p, end, aset, ctx.order, scratch)
                if scratch:  # not attributes: the kernel skips them too
                    out.append(Field("data", "bytes", bytes(buf[p:end]), p, end))
                else:
                    out.append(Field("attributes", "nest", None, p, end, children=kids))
            return out
        ctx.problems.append(f"{header.name}: needs {header.size} bytes, message has {n}")
        return [Field("data", "bytes", bytes(buf[pos:end]), pos, end)]
    out.append(Field(header.name, "struct", None, pos, pos + header.size,
                     children=header.parse(buf, pos, ctx.order)))
    p = pos + ((header.size + 3) & ~3)
    if p < end:
        aset = attrs(out) if callable(attrs) else attrs
        lazy = nla.lazy_attrs(buf, p, end, aset, ctx.order) if fixup is None else None
        if lazy is not None:  # a summary line's decode: read by name (View)
            out.append(lazy)
            return out
        kids = walk_attrs(buf, p, end, aset, ctx.order, ctx.problems)
        if fixup is not None:
            fixup(kids, buf, ctx.order, ctx.problems)
        out.append(Field("attributes", "nest", None, p, end, children=kids))
    return out


def kind_of(name: str) -> str:
    """NEW/DEL/GET name the high flag bits; SET and the rest do not."""
    return {"NEW": "new", "DEL": "del", "GET": "get"}.get(name[4:7], "other")


def message(name: str, header: FixedHeader, attrs: AttrsFor, summary: Summary,
            fixup: Fixup | None = None, request_attrs: AttrsFor = None) -> MessageType:
    """A message type: `header` then `attrs` (or `request_attrs` in requests, for the
    few types whose requests number their attributes differently from the replies)."""
    kind = kind_of(name)

    def decode(ctx: DecodeCtx) -> list[Field]:
        aset = request_attrs if request_attrs is not None and ctx.flags & NLM_F_REQUEST else attrs
        return decode_payload(ctx, header, aset, fixup, kind)
    return MessageType(name, kind, header, attrs, summary, decode)


# -- summary helpers -------------------------------------------------------------------

class View:
    """The header members and top-level attributes of a message, by name (the first of
    a repeated attribute), for summaries. Attributes left as raw bytes (binary ones, or
    typed ones of the wrong size: a problem already says so) are not offered."""

    __slots__ = ("h", "a", "fam")

    def __init__(self, fields: list[Field]):
        self.h: dict[str, Field] = {}
        self.a: dict[str, Field] | nla.AttrIndex = {}
        self.fam = family_of(fields) or 0
        for f in fields:
            if f.name == "attributes":
                index = nla.attr_index(f)  # not read yet: only what the summary asks
                if index is not None:
                    self.a = index
                    continue
                for c in f.children or ():
                    if c.kind != "bytes":  # raw, or a typed attribute of the wrong size
                        self.a.setdefault(c.name, c)
            elif f.kind == "struct":
                for c in f.children or ():
                    self.h[c.name] = c

    def hv(self, name: str, default: Any = None) -> Any:
        f = self.h.get(name)
        return default if f is None else f.value

    def av(self, name: str, default: Any = None) -> Any:
        f = self.a.get(name)
        return default if f is None else f.value

    def family(self) -> int:
        return self.fam


def is_dump_request(msg) -> bool:
    return bool(msg.flags & NLM_F_REQUEST) and bool(msg.flags & NLM_F_DUMP) and msg.kind == "get"


def dump_line(msg, v: View, extra: str = "") -> str:
    """`RTM_GETLINK dump`, with the family when one is asked for."""
    fam = v.family()
    out = f"{msg.type_name} dump"
    if fam:
        out += " " + AF_SHORT.get(fam, AF_NAMES.get(fam, str(fam)))
    return out + (" " + extra if extra else "")


def words(names: list[str], prefix: str) -> str:
    """IFA_F_SECONDARY,IFA_F_NODAD -> 'secondary nodad' (unnamed bits stay hex)."""
    return " ".join(n[len(prefix):].lower() if n.startswith(prefix) else n for n in names)


def flag_words(value: int, names: Mapping[int, str], prefix: str) -> list[str]:
    return [n[len(prefix):].lower() if n.startswith(prefix) else n for n in flag_names(value, names)]


def prefix_text(addr: str | None, plen: int | None, family: int, host_short: bool = True) -> str:
    """10.0.0.0/8; a host route without /32 (/128) as ip route prints it."""
    if addr is None:
        return "default" if not plen else f"?/{plen}"
    full = 32 if family == AF_INET else 128 if family == AF_INET6 else None
    if plen is None or (host_short and plen == full):
        return addr
    return f"{addr}/{plen}"


def tc_handle(h: int) -> str:
    """A tc handle as tc prints it: major:minor in hex, `1:` for minor 0."""
    if h == 0xFFFFFFFF:
        return "root"
    if h == 0:
        return "none"
    maj, mn = h >> 16, h & 0xFFFF
    return f"{maj:x}:" + (f"{mn:x}" if mn else "")
