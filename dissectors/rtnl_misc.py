"""The smaller rtnetlink message groups: netconf (struct netconfmsg, NETCONFA_*,
linux/netconf.h), namespace ids (struct rtgenmsg, NETNSA_*, linux/net_namespace.h),
IPv6 prefixes (struct prefixmsg, PREFIX_*), bridge MDB (struct br_port_msg, MDBA_*),
bridge VLANs (struct br_vlan_msg, BRIDGE_VLANDB_*), VXLAN VNI filters (struct
tunnel_msg, VXLAN_VNIFILTER_*), DCB (struct dcbmsg, DCB_ATTR_*, linux/dcbnl.h) and
multicast cache reports (IPMRA_CREPORT_*, linux/mroute.h).
"""
from __future__ import annotations

from construct import Bytes, Int8un, Int16ub, Int16un, Int32sn, Int32un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, ip_text, mac_text

from .rtnl_common import (AF_NAMES, AF_SHORT, RTPROT, A, View, dump_line, hdr,
                          header_then_attrs, is_dump_request, kept_raw, message)
from .rtnl_link import BR_STATE, BRIDGE_QUERIER, BRIDGE_VLAN_INFO, MDB_RTR_TYPE

RTGENMSG = hdr("rtgenmsg", Struct("rtgen_family" / Int8un), enums={"rtgen_family": AF_NAMES})

# -- netconf ------------------------------------------------------------------------------
NETCONFMSG = hdr("netconfmsg", Struct("ncm_family" / Int8un), enums={"ncm_family": AF_NAMES})
NETCONFA = AttrSet("netconfa", {
    1: A("NETCONFA_IFINDEX", "s32", fmt=lambda v: {-1: "NETCONFA_IFINDEX_ALL",
                                                   -2: "NETCONFA_IFINDEX_DEFAULT"}.get(v, str(v))),
    2: A("NETCONFA_FORWARDING", "s32"),
    3: A("NETCONFA_RP_FILTER", "s32"),
    4: A("NETCONFA_MC_FORWARDING", "s32"),
    5: A("NETCONFA_PROXY_NEIGH", "s32"),
    6: A("NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN", "s32"),
    7: A("NETCONFA_INPUT", "s32"),
    8: A("NETCONFA_BC_FORWARDING", "s32"),
})
_ONOFF = {0: "off", 1: "on"}


def netconf_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        return dump_line(msg, v)
    fam = v.family()
    parts = [msg.type_name, {2: "ipv4", 10: "ipv6"}.get(fam, AF_SHORT.get(fam, str(fam)))]
    idx = v.av("NETCONFA_IFINDEX")
    if idx is not None:
        parts.append({-1: "all", -2: "default"}.get(idx, f"dev {idx}"))
    for key in ("FORWARDING", "RP_FILTER", "MC_FORWARDING", "BC_FORWARDING", "PROXY_NEIGH",
                "IGNORE_ROUTES_WITH_LINKDOWN", "INPUT"):
        val = v.av("NETCONFA_" + key)
        if val is None:
            continue
        words = {0: "off", 1: "strict", 2: "loose"} if key == "RP_FILTER" else _ONOFF
        parts.append(f"{key.lower()} {words.get(val, val)}")
    return " ".join(parts)


# -- network namespace ids ------------------------------------------------------------------
NETNSA = AttrSet("netnsa", {
    1: A("NETNSA_NSID", "s32"),
    2: A("NETNSA_PID", "u32"),
    3: A("NETNSA_FD", "u32"),
    4: A("NETNSA_TARGET_NSID", "s32"),
    5: A("NETNSA_CURRENT_NSID", "s32"),
})


def nsid_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        return dump_line(msg, v)
    parts = [msg.type_name]
    for key, word in (("NETNSA_NSID", "nsid"), ("NETNSA_CURRENT_NSID", "current-nsid"),
                      ("NETNSA_PID", "pid"), ("NETNSA_FD", "fd"), ("NETNSA_TARGET_NSID", "target-nsid")):
        if key in v.a:
            val = v.av(key)
            parts.append(f"{word} {'unassigned' if key == 'NETNSA_NSID' and val == -1 else val}")
    if len(parts) == 1:
        parts.append("(no attributes)")
    return " ".join(str(p) for p in parts)


# -- IPv6 prefixes learned from router advertisements --------------------------------------
PREFIXMSG = hdr("prefixmsg", Struct(
    "prefix_family" / Int8un, Padding(3), "prefix_ifindex" / Int32sn, "prefix_type" / Int8un,
    "prefix_len" / Int8un, "prefix_flags" / Int8un, Padding(1)),
    enums={"prefix_family": AF_NAMES, "prefix_type": {3: "ND_OPT_PREFIX_INFO"}})
PREFIX = AttrSet("prefix", {
    1: A("PREFIX_ADDRESS", "ipaddr"),
    2: A("PREFIX_CACHEINFO", "struct", struct=hdr("prefix_cacheinfo", Struct(
        "preferred_time" / Int32un, "valid_time" / Int32un))),
})


def prefix_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    parts = [msg.type_name]
    parts.append(f"{v.av('PREFIX_ADDRESS', '?')}/{v.hv('prefix_len')}")
    parts.append(f"dev {v.hv('prefix_ifindex')}")
    flags = v.hv("prefix_flags", 0)
    if flags & 1:
        parts.append("onlink")
    if flags & 2:
        parts.append("autoconf")
    ci = v.a.get("PREFIX_CACHEINFO")
    if ci is not None and ci.kind == "struct":
        parts.append(f"valid {ci.get('valid_time').value} preferred {ci.get('preferred_time').value}")
    return " ".join(str(p) for p in parts)


# -- bridge multicast database ---------------------------------------------------------------
BR_PORT_MSG = hdr("br_port_msg", Struct("family" / Int8un, Padding(3), "ifindex" / Int32un),
                  enums={"family": AF_NAMES})
MDB_FLAGS = {1: "MDB_FLAGS_OFFLOAD", 2: "MDB_FLAGS_FAST_LEAVE", 4: "MDB_FLAGS_STAR_EXCL",
             8: "MDB_FLAGS_BLOCKED"}
BR_MDB_ENTRY = hdr("br_mdb_entry", Struct(
    "ifindex" / Int32un, "state" / Int8un, "flags" / Int8un, "vid" / Int16un, "addr" / Bytes(16),
    "proto" / Int16ub, Padding(2)),
    enums={"state": {0: "MDB_TEMPORARY", 1: "MDB_PERMANENT"},
           "proto": {0x0800: "ETH_P_IP", 0x86DD: "ETH_P_IPV6", 0: "L2"}},
    flags={"flags": MDB_FLAGS})


def mdb_entry_fields(buf, p: int, order: str) -> list[Field]:
    """br_mdb_entry, its addr union read as the proto that follows it says: an IPv4 or
    IPv6 group, or (proto 0) a MAC address."""
    kids = BR_MDB_ENTRY.parse(buf, p, order)
    addr = next(k for k in kids if k.name == "addr")
    proto = next(k for k in kids if k.name == "proto").value
    raw = addr.value
    text = ip_text(raw[:4]) if proto == 0x0800 else ip_text(raw) if proto == 0x86DD else \
        mac_text(raw[:6]) if proto == 0 else None
    if text is not None:
        size = {0x0800: 4, 0x86DD: 16, 0: 6}[proto]
        kids[kids.index(addr)] = Field("addr", "mac" if proto == 0 else "addr", text, addr.start, addr.start + size)
    return kids


def _mdb_entry(name, buf, start, end, order, problems, path, siblings) -> Field:
    if end - start - 4 < BR_MDB_ENTRY.size:
        return kept_raw(name, buf, start, end, problems,
                        f"{path}: br_mdb_entry needs {BR_MDB_ENTRY.size} bytes, got {end - start - 4}")
    return Field(name, "struct", None, start, end, children=mdb_entry_fields(buf, start + 4, order))


def _mdb_entry_info(name, buf, start, end, order, problems, path, siblings) -> Field:
    """MDBA_MDB_ENTRY_INFO: a br_mdb_entry, then that entry's MDBA_MDB_EATTR_* attributes."""
    f = _plain_entry_info(name, buf, start, end, order, problems, path, siblings)
    if f.kind == "struct" and f.children and f.children[0].name == "br_mdb_entry":
        head = f.children[0]
        f.children[0] = Field(head.name, head.kind, None, head.start, head.end,
                              children=mdb_entry_fields(buf, head.start, order))
    return f


MCAST_FILTER_MODE = {0: "MCAST_EXCLUDE", 1: "MCAST_INCLUDE"}
MDBA_MDB_EATTR = AttrSet("mdba_mdb_eattr", {
    1: A("MDBA_MDB_EATTR_TIMER", "u32"),
    2: A("MDBA_MDB_EATTR_SRC_LIST", "nested", nested=AttrSet("mdba_mdb_srclist", {
        1: A("MDBA_MDB_SRCLIST_ENTRY", "nested", nested=AttrSet("mdba_mdb_srcattr", {
            1: A("MDBA_MDB_SRCATTR_ADDRESS", "ipaddr"),
            2: A("MDBA_MDB_SRCATTR_TIMER", "u32")}))})),
    3: A("MDBA_MDB_EATTR_GROUP_MODE", "u8", enum=MCAST_FILTER_MODE),
    4: A("MDBA_MDB_EATTR_SOURCE", "ipaddr"),
    5: A("MDBA_MDB_EATTR_RTPROT", "u8", enum=RTPROT),
    6: A("MDBA_MDB_EATTR_DST", "ipaddr"),
    7: A("MDBA_MDB_EATTR_DST_PORT", "u16"),
    8: A("MDBA_MDB_EATTR_VNI", "u32"),
    9: A("MDBA_MDB_EATTR_IFINDEX", "u32"),
    10: A("MDBA_MDB_EATTR_SRC_VNI", "u32"),
})
_plain_entry_info = header_then_attrs(BR_MDB_ENTRY, MDBA_MDB_EATTR)
MDBA_ROUTER_PATTR = AttrSet("mdba_router_pattr", {
    1: A("MDBA_ROUTER_PATTR_TIMER", "u32"),
    2: A("MDBA_ROUTER_PATTR_TYPE", "u8", enum=MDB_RTR_TYPE),
    3: A("MDBA_ROUTER_PATTR_INET_TIMER", "u32"),
    4: A("MDBA_ROUTER_PATTR_INET6_TIMER", "u32"),
    5: A("MDBA_ROUTER_PATTR_VID", "u16"),
})
MDBA = AttrSet("mdba", {
    1: A("MDBA_MDB", "nested", nested=AttrSet("mdba_mdb", {
        1: A("MDBA_MDB_ENTRY", "nested", nested=AttrSet("mdba_mdb_entry", {
            # struct br_mdb_entry, then that entry's MDBA_MDB_EATTR_* attributes
            1: A("MDBA_MDB_ENTRY_INFO", "custom", decode=_mdb_entry_info)}))})),
    2: A("MDBA_ROUTER", "nested", nested=AttrSet("mdba_router", {
        # the port's ifindex (a bare u32), then its MDBA_ROUTER_PATTR_* attributes
        1: A("MDBA_ROUTER_PORT", "custom", decode=header_then_attrs(
            hdr("ifindex", Struct("ifindex" / Int32un)), MDBA_ROUTER_PATTR))})),
})
MDBE_ATTR = AttrSet("mdbe_attr", {
    1: A("MDBE_ATTR_SOURCE", "ipaddr"),
    2: A("MDBE_ATTR_SRC_LIST", "nested", nested=AttrSet("mdbe_src_list", {
        1: A("MDBE_SRC_LIST_ENTRY", "nested", nested=AttrSet("mdbe_srcattr", {
            1: A("MDBE_SRCATTR_ADDRESS", "ipaddr")}))})),
    3: A("MDBE_ATTR_GROUP_MODE", "u8", enum=MCAST_FILTER_MODE),
    4: A("MDBE_ATTR_RTPROT", "u8", enum=RTPROT),
    5: A("MDBE_ATTR_DST", "ipaddr"),
    6: A("MDBE_ATTR_DST_PORT", "u16"),
    7: A("MDBE_ATTR_VNI", "u32"),
    8: A("MDBE_ATTR_IFINDEX", "s32"),  # NLA_S32 in the kernel's policy
    9: A("MDBE_ATTR_SRC_VNI", "u32"),
    10: A("MDBE_ATTR_STATE_MASK", "u8"),
})
MDBA_SET = AttrSet("mdba_set_entry", {  # requests: RTM_NEWMDB, RTM_DELMDB, RTM_GETMDB (get)
    1: A("MDBA_SET_ENTRY", "custom", decode=_mdb_entry),
    2: A("MDBA_SET_ENTRY_ATTRS", "nested", nested=MDBE_ATTR),
})


def _mdb_group(entry: Field) -> str:
    proto, addr = entry.get("proto"), entry.get("addr")
    if proto is None or addr is None:
        return "?"
    return addr.value if isinstance(addr.value, str) else "?"


def mdb_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        return dump_line(msg, v)
    parts = [msg.type_name, f"dev {v.hv('ifindex')}"]
    entries = []
    if "MDBA_SET_ENTRY" in v.a:
        entries.append(v.a["MDBA_SET_ENTRY"])
    mdb = v.a.get("MDBA_MDB")
    for ent in (mdb.children or ()) if mdb is not None else ():
        info = ent.get("MDBA_MDB_ENTRY_INFO")
        if info is not None and info.get("br_mdb_entry") is not None:
            entries.append(info.get("br_mdb_entry"))
    for e in entries:
        if e.kind != "struct":
            continue
        text = f"port {e.get('ifindex').value} grp {_mdb_group(e)}"
        if e.get("vid").value:
            text += f" vid {e.get('vid').value}"
        text += " " + ("permanent" if e.get("state").value else "temp")
        parts.append(text)
    router = v.a.get("MDBA_ROUTER")
    for port in (router.children or ()) if router is not None else ():
        idx = port.get("ifindex")
        if idx is not None:
            parts.append(f"router port {idx.get('ifindex').value}")
    if len(parts) == 2 and "MDBA_ROUTER" not in v.a:
        parts.append("(no entries)")
    return " ".join(str(p) for p in parts)


# -- bridge VLANs (per-VLAN options) -----------------------------------------------------------
BR_VLAN_MSG = hdr("br_vlan_msg", Struct("family" / Int8un, Padding(3), "ifindex" / Int32un),
                  enums={"family": AF_NAMES})
BRIDGE_VLANDB_ENTRY = AttrSet("bridge_vlandb_entry", {
    1: A("BRIDGE_VLANDB_ENTRY_INFO", "struct", struct=BRIDGE_VLAN_INFO),
    2: A("BRIDGE_VLANDB_ENTRY_RANGE", "u16"),
    3: A("BRIDGE_VLANDB_ENTRY_STATE", "u8", enum=BR_STATE),
    4: A("BRIDGE_VLANDB_ENTRY_TUNNEL_INFO", "nested", nested=AttrSet("bridge_vlandb_tinfo", {
        1: A("BRIDGE_VLANDB_TINFO_ID", "u32"),
        2: A("BRIDGE_VLANDB_TINFO_CMD", "u32")})),
    5: A("BRIDGE_VLANDB_ENTRY_STATS", "nested", nested=AttrSet("bridge_vlandb_stats", {
        1: A("BRIDGE_VLANDB_STATS_RX_BYTES", "u64"),
        2: A("BRIDGE_VLANDB_STATS_RX_PACKETS", "u64"),
        3: A("BRIDGE_VLANDB_STATS_TX_BYTES", "u64"),
        4: A("BRIDGE_VLANDB_STATS_TX_PACKETS", "u64"),
        5: A("BRIDGE_VLANDB_STATS_PAD", "binary")})),
    6: A("BRIDGE_VLANDB_ENTRY_MCAST_ROUTER", "u8", enum=MDB_RTR_TYPE),
    7: A("BRIDGE_VLANDB_ENTRY_MCAST_N_GROUPS", "u32"),
    8: A("BRIDGE_VLANDB_ENTRY_MCAST_MAX_GROUPS", "u32"),
    9: A("BRIDGE_VLANDB_ENTRY_NEIGH_SUPPRESS", "u8"),
})
BRIDGE_VLANDB_GOPTS = AttrSet("bridge_vlandb_gopts", {
    1: A("BRIDGE_VLANDB_GOPTS_ID", "u16"),
    2: A("BRIDGE_VLANDB_GOPTS_RANGE", "u16"),
    3: A("BRIDGE_VLANDB_GOPTS_MCAST_SNOOPING", "u8"),
    4: A("BRIDGE_VLANDB_GOPTS_MCAST_IGMP_VERSION", "u8"),
    5: A("BRIDGE_VLANDB_GOPTS_MCAST_MLD_VERSION", "u8"),
    6: A("BRIDGE_VLANDB_GOPTS_MCAST_LAST_MEMBER_CNT", "u32"),
    7: A("BRIDGE_VLANDB_GOPTS_MCAST_STARTUP_QUERY_CNT", "u32"),
    8: A("BRIDGE_VLANDB_GOPTS_MCAST_LAST_MEMBER_INTVL", "u64"),
    9: A("BRIDGE_VLANDB_GOPTS_PAD", "binary"),
    10: A("BRIDGE_VLANDB_GOPTS_MCAST_MEMBERSHIP_INTVL", "u64"),
    11: A("BRIDGE_VLANDB_GOPTS_MCAST_QUERIER_INTVL", "u64"),
    12: A("BRIDGE_VLANDB_GOPTS_MCAST_QUERY_INTVL", "u64"),
    13: A("BRIDGE_VLANDB_GOPTS_MCAST_QUERY_RESPONSE_INTVL", "u64"),
    14: A("BRIDGE_VLANDB_GOPTS_MCAST_STARTUP_QUERY_INTVL", "u64"),
    15: A("BRIDGE_VLANDB_GOPTS_MCAST_QUERIER", "u8"),
    16: A("BRIDGE_VLANDB_GOPTS_MCAST_ROUTER_PORTS", "nested"),
    17: A("BRIDGE_VLANDB_GOPTS_MCAST_QUERIER_STATE", "nested", nested=BRIDGE_QUERIER),
    18: A("BRIDGE_VLANDB_GOPTS_MSTI", "u16"),
})
BRIDGE_VLANDB = AttrSet("bridge_vlandb", {
    1: A("BRIDGE_VLANDB_ENTRY", "nested", nested=BRIDGE_VLANDB_ENTRY),
    2: A("BRIDGE_VLANDB_GLOBAL_OPTIONS", "nested", nested=BRIDGE_VLANDB_GOPTS),
})
BRIDGE_VLANDB_DUMP = AttrSet("bridge_vlandb_dump", {  # in RTM_GETVLAN dump requests
    1: A("BRIDGE_VLANDB_DUMP_FLAGS", "u32", flags={1: "BRIDGE_VLANDB_DUMPF_STATS",
                                                   2: "BRIDGE_VLANDB_DUMPF_GLOBAL"}),
})


def brvlan_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        return dump_line(msg, v, f"dev {v.hv('ifindex')}" if v.hv("ifindex") else "")
    parts = [msg.type_name, f"dev {v.hv('ifindex')}"]
    for f in next((x.children for x in fields if x.name == "attributes"), None) or ():
        if f.name == "BRIDGE_VLANDB_ENTRY":
            info, rng = f.get("BRIDGE_VLANDB_ENTRY_INFO"), f.get("BRIDGE_VLANDB_ENTRY_RANGE")
            if info is not None and info.kind == "struct":
                text = f"vlan {info.get('vid').value}" + (f"-{rng.value}" if rng is not None else "")
                flags = info.get("flags").meta or []
                text += "".join(" " + n.removeprefix("BRIDGE_VLAN_INFO_").lower() for n in flags
                                if n in ("BRIDGE_VLAN_INFO_PVID", "BRIDGE_VLAN_INFO_UNTAGGED"))
                parts.append(text)
            state = f.get("BRIDGE_VLANDB_ENTRY_STATE")
            if state is not None:
                parts.append(f"state {state.short().removeprefix('BR_STATE_').lower()}")
        elif f.name == "BRIDGE_VLANDB_GLOBAL_OPTIONS":
            vid = f.get("BRIDGE_VLANDB_GOPTS_ID")
            parts.append(f"global vlan {vid.value if vid is not None else '?'}")
    return " ".join(str(p) for p in parts)


# -- VXLAN VNI filtering -------------------------------------------------------------------
TUNNEL_MSG = hdr("tunnel_msg", Struct(
    "family" / Int8un, "flags" / Int8un, Padding(2), "ifindex" / Int32un),
    enums={"family": AF_NAMES}, flags={"flags": {1: "TUNNEL_MSG_FLAG_STATS"}})
VNIFILTER_ENTRY_STATS = AttrSet("vnifilter_entry_stats", {
    1: A("VNIFILTER_ENTRY_STATS_RX_BYTES", "u64"), 2: A("VNIFILTER_ENTRY_STATS_RX_PKTS", "u64"),
    3: A("VNIFILTER_ENTRY_STATS_RX_DROPS", "u64"), 4: A("VNIFILTER_ENTRY_STATS_RX_ERRORS", "u64"),
    5: A("VNIFILTER_ENTRY_STATS_TX_BYTES", "u64"), 6: A("VNIFILTER_ENTRY_STATS_TX_PKTS", "u64"),
    7: A("VNIFILTER_ENTRY_STATS_TX_DROPS", "u64"), 8: A("VNIFILTER_ENTRY_STATS_TX_ERRORS", "u64"),
    9: A("VNIFILTER_ENTRY_STATS_PAD", "binary"),
})
VXLAN_VNIFILTER = AttrSet("vxlan_vnifilter", {
    1: A("VXLAN_VNIFILTER_ENTRY", "nested", nested=AttrSet("vxlan_vnifilter_entry", {
        1: A("VXLAN_VNIFILTER_ENTRY_START", "u32"),
        2: A("VXLAN_VNIFILTER_ENTRY_END", "u32"),
        3: A("VXLAN_VNIFILTER_ENTRY_GROUP", "ipv4"),
        4: A("VXLAN_VNIFILTER_ENTRY_GROUP6", "ipv6"),
        5: A("VXLAN_VNIFILTER_ENTRY_STATS", "nested", nested=VNIFILTER_ENTRY_STATS)})),
})


def tunnel_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        return dump_line(msg, v, f"dev {v.hv('ifindex')}" if v.hv("ifindex") else "")
    parts = [msg.type_name, f"dev {v.hv('ifindex')}"]
    for f in next((x.children for x in fields if x.name == "attributes"), None) or ():
        if f.name == "VXLAN_VNIFILTER_ENTRY":
            start, end = f.get("VXLAN_VNIFILTER_ENTRY_START"), f.get("VXLAN_VNIFILTER_ENTRY_END")
            if start is not None:
                parts.append(f"vni {start.value}" + (f"-{end.value}" if end is not None else ""))
            for g in ("VXLAN_VNIFILTER_ENTRY_GROUP", "VXLAN_VNIFILTER_ENTRY_GROUP6"):
                if f.get(g) is not None:
                    parts.append(f"group {f.get(g).value}")
    return " ".join(str(p) for p in parts)


# -- DCB (data center bridging) ---------------------------------------------------------------
DCB_CMD = {0: "DCB_CMD_UNDEFINED", 1: "DCB_CMD_GSTATE", 2: "DCB_CMD_SSTATE", 3: "DCB_CMD_PGTX_GCFG",
           4: "DCB_CMD_PGTX_SCFG", 5: "DCB_CMD_PGRX_GCFG", 6: "DCB_CMD_PGRX_SCFG",
           7: "DCB_CMD_PFC_GCFG", 8: "DCB_CMD_PFC_SCFG", 9: "DCB_CMD_SET_ALL",
           10: "DCB_CMD_GPERM_HWADDR", 11: "DCB_CMD_GCAP", 12: "DCB_CMD_GNUMTCS",
           13: "DCB_CMD_SNUMTCS", 14: "DCB_CMD_PFC_GSTATE", 15: "DCB_CMD_PFC_SSTATE",
           16: "DCB_CMD_BCN_GCFG", 17: "DCB_CMD_BCN_SCFG", 18: "DCB_CMD_GAPP", 19: "DCB_CMD_SAPP",
           20: "DCB_CMD_IEEE_SET", 21: "DCB_CMD_IEEE_GET", 22: "DCB_CMD_GDCBX", 23: "DCB_CMD_SDCBX",
           24: "DCB_CMD_GFEATCFG", 25: "DCB_CMD_SFEATCFG", 26: "DCB_CMD_CEE_GET",
           27: "DCB_CMD_IEEE_DEL"}
DCBMSG = hdr("dcbmsg", Struct("dcb_family" / Int8un, "cmd" / Int8un, Padding(2)),
             enums={"dcb_family": AF_NAMES, "cmd": DCB_CMD})
DCB_ATTR = AttrSet("dcb_attr", {
    1: A("DCB_ATTR_IFNAME", "string"),
    2: A("DCB_ATTR_STATE", "u8"),
    3: A("DCB_ATTR_PFC_STATE", "u8"),
    4: A("DCB_ATTR_PFC_CFG", "nested"),
    5: A("DCB_ATTR_NUM_TC", "u8"),
    6: A("DCB_ATTR_PG_CFG", "nested"),
    7: A("DCB_ATTR_SET_ALL", "u8"),
    8: A("DCB_ATTR_PERM_HWADDR", "nested"),
    9: A("DCB_ATTR_CAP", "nested"),
    10: A("DCB_ATTR_NUMTCS", "nested"),
    11: A("DCB_ATTR_BCN", "nested"),
    12: A("DCB_ATTR_APP", "nested"),
    13: A("DCB_ATTR_IEEE", "nested"),
    14: A("DCB_ATTR_DCBX", "u8"),
    15: A("DCB_ATTR_FEATCFG", "nested"),
    16: A("DCB_ATTR_CEE", "nested"),
})


def dcb_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    parts = [msg.type_name, v.h["cmd"].short() if "cmd" in v.h else "?"]
    if "DCB_ATTR_IFNAME" in v.a:
        parts.append(f"dev {v.av('DCB_ATTR_IFNAME')}")
    return " ".join(parts)


# -- multicast routing cache reports (IPMR/IP6MR upcalls as notifications) --------------------
CREPORT = AttrSet("ipmra_creport", {
    1: A("IPMRA_CREPORT_MSGTYPE", "u8", enum={1: "IGMPMSG_NOCACHE", 2: "IGMPMSG_WRONGVIF",
                                              3: "IGMPMSG_WHOLEPKT", 4: "IGMPMSG_WRVIFWHOLE"}),
    2: A("IPMRA_CREPORT_VIF_ID", "u32"),
    3: A("IPMRA_CREPORT_SRC_ADDR", "ipaddr"),
    4: A("IPMRA_CREPORT_DST_ADDR", "ipaddr"),
    5: A("IPMRA_CREPORT_PKT", "binary"),
    6: A("IPMRA_CREPORT_TABLE", "u32"),
})


def cachereport_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    parts = [msg.type_name, AF_SHORT.get(v.family(), str(v.family()))]
    if "IPMRA_CREPORT_MSGTYPE" in v.a:
        parts.append(v.a["IPMRA_CREPORT_MSGTYPE"].short())
    if "IPMRA_CREPORT_SRC_ADDR" in v.a:
        parts.append(f"({v.av('IPMRA_CREPORT_SRC_ADDR')}, {v.av('IPMRA_CREPORT_DST_ADDR', '?')})")
    if "IPMRA_CREPORT_VIF_ID" in v.a:
        parts.append(f"vif {v.av('IPMRA_CREPORT_VIF_ID')}")
    return " ".join(str(p) for p in parts)


MESSAGES = {
    52: message("RTM_NEWPREFIX", PREFIXMSG, PREFIX, prefix_summary),
    78: message("RTM_GETDCB", DCBMSG, DCB_ATTR, dcb_summary),
    79: message("RTM_SETDCB", DCBMSG, DCB_ATTR, dcb_summary),
    80: message("RTM_NEWNETCONF", NETCONFMSG, NETCONFA, netconf_summary),
    81: message("RTM_DELNETCONF", NETCONFMSG, NETCONFA, netconf_summary),
    82: message("RTM_GETNETCONF", NETCONFMSG, NETCONFA, netconf_summary),
    84: message("RTM_NEWMDB", BR_PORT_MSG, MDBA, mdb_summary, request_attrs=MDBA_SET),
    85: message("RTM_DELMDB", BR_PORT_MSG, MDBA, mdb_summary, request_attrs=MDBA_SET),
    86: message("RTM_GETMDB", BR_PORT_MSG, MDBA, mdb_summary, request_attrs=MDBA_SET),
    88: message("RTM_NEWNSID", RTGENMSG, NETNSA, nsid_summary),
    89: message("RTM_DELNSID", RTGENMSG, NETNSA, nsid_summary),
    90: message("RTM_GETNSID", RTGENMSG, NETNSA, nsid_summary),
    96: message("RTM_NEWCACHEREPORT", RTGENMSG, CREPORT, cachereport_summary),
    112: message("RTM_NEWVLAN", BR_VLAN_MSG, BRIDGE_VLANDB, brvlan_summary),
    113: message("RTM_DELVLAN", BR_VLAN_MSG, BRIDGE_VLANDB, brvlan_summary),
    114: message("RTM_GETVLAN", BR_VLAN_MSG, BRIDGE_VLANDB, brvlan_summary,
                 request_attrs=BRIDGE_VLANDB_DUMP),
    120: message("RTM_NEWTUNNEL", TUNNEL_MSG, VXLAN_VNIFILTER, tunnel_summary),
    121: message("RTM_DELTUNNEL", TUNNEL_MSG, VXLAN_VNIFILTER, tunnel_summary),
    122: message("RTM_GETTUNNEL", TUNNEL_MSG, VXLAN_VNIFILTER, tunnel_summary),
}
