"""Open vSwitch's datapath families (generic netlink): ovs_datapath, ovs_vport, ovs_flow,
ovs_packet, ovs_meter, ovs_ct_limit. Facts: linux/openvswitch.h (the 6.12 UAPI adds
OVS_VPORT_ATTR_UPCALL_STATS, OVS_ACTION_ATTR_DROP and _PSAMPLE, OVS_HASH_ALG_SYM_L4).

Every message carries struct ovs_header (dp_ifindex) after genlmsghdr. Flows and
upcalls carry a flow key (OVS_KEY_ATTR_*: fixed structs per protocol layer, the tunnel
key as OVS_TUNNEL_KEY_ATTR_*, whose numbering starts at 0), a mask of the same layout,
and actions (OVS_ACTION_ATTR_*, nesting actions again in sample, clone, check_pkt_len
and dec_ttl). SET_MASKED carries one key attribute holding the value then the mask.
"""
from __future__ import annotations

import struct

import construct as cs

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader

from .genl import GenlFamily, add_family, attrs_of, join
from .rtnl_common import ETH_P, kept_raw, struct_array

A = Attr

OVS_HEADER = FixedHeader("ovs_header", cs.Struct("dp_ifindex" / cs.Int32sn))

DP_CMDS = {0: "UNSPEC", 1: "NEW", 2: "DEL", 3: "GET", 4: "SET"}
PACKET_CMDS = {0: "UNSPEC", 1: "MISS", 2: "ACTION", 3: "EXECUTE"}
METER_CMDS = {0: "UNSPEC", 1: "FEATURES", 2: "SET", 3: "DEL", 4: "GET"}
CT_LIMIT_CMDS = {0: "UNSPEC", 1: "SET", 2: "DEL", 3: "GET"}

DP_F = {1: "OVS_DP_F_UNALIGNED", 2: "OVS_DP_F_VPORT_PIDS", 4: "OVS_DP_F_TC_RECIRC_SHARING",
        8: "OVS_DP_F_DISPATCH_UPCALL_PER_CPU"}
VPORT_TYPE = {0: "OVS_VPORT_TYPE_UNSPEC", 1: "OVS_VPORT_TYPE_NETDEV", 2: "OVS_VPORT_TYPE_INTERNAL",
              3: "OVS_VPORT_TYPE_GRE", 4: "OVS_VPORT_TYPE_VXLAN", 5: "OVS_VPORT_TYPE_GENEVE"}
FRAG_TYPE = {0: "OVS_FRAG_TYPE_NONE", 1: "OVS_FRAG_TYPE_FIRST", 2: "OVS_FRAG_TYPE_LATER"}
CS_F = {0x01: "OVS_CS_F_NEW", 0x02: "OVS_CS_F_ESTABLISHED", 0x04: "OVS_CS_F_RELATED",
        0x08: "OVS_CS_F_REPLY_DIR", 0x10: "OVS_CS_F_INVALID", 0x20: "OVS_CS_F_TRACKED",
        0x40: "OVS_CS_F_SRC_NAT", 0x80: "OVS_CS_F_DST_NAT"}
UFID_F = {1: "OVS_UFID_F_OMIT_KEY", 2: "OVS_UFID_F_OMIT_MASK", 4: "OVS_UFID_F_OMIT_ACTIONS"}
HASH_ALG = {0: "OVS_HASH_ALG_L4", 1: "OVS_HASH_ALG_SYM_L4"}
BAND_TYPE = {0: "OVS_METER_BAND_TYPE_UNSPEC", 1: "OVS_METER_BAND_TYPE_DROP"}
TCP_FLAGS = {0x01: "FIN", 0x02: "SYN", 0x04: "RST", 0x08: "PSH", 0x10: "ACK", 0x20: "URG",
             0x40: "ECE", 0x80: "CWR"}

# -- structs ------------------------------------------------------------------------------
U64 = cs.Int64un
DP_STATS = FixedHeader("ovs_dp_stats", cs.Struct("n_hit" / U64, "n_missed" / U64, "n_lost" / U64,
                                                 "n_flows" / U64))
DP_MEGAFLOW_STATS = FixedHeader("ovs_dp_megaflow_stats", cs.Struct(
    "n_mask_hit" / U64, "n_masks" / cs.Int32un, "pad0" / cs.Int32un, "n_cache_hit" / U64, "pad1" / U64))
VPORT_STATS = FixedHeader("ovs_vport_stats", cs.Struct(
    "rx_packets" / U64, "tx_packets" / U64, "rx_bytes" / U64, "tx_bytes" / U64, "rx_errors" / U64,
    "tx_errors" / U64, "rx_dropped" / U64, "tx_dropped" / U64))
FLOW_STATS = FixedHeader("ovs_flow_stats", cs.Struct("n_packets" / U64, "n_bytes" / U64))

KEY_ETHERNET = FixedHeader("ovs_key_ethernet", cs.Struct("eth_src" / cs.Bytes(6), "eth_dst" / cs.Bytes(6)),
                           kinds={"eth_src": "mac", "eth_dst": "mac"})
KEY_IPV4 = FixedHeader("ovs_key_ipv4", cs.Struct(
    "ipv4_src" / cs.Bytes(4), "ipv4_dst" / cs.Bytes(4), "ipv4_proto" / cs.Int8un, "ipv4_tos" / cs.Int8un,
    "ipv4_ttl" / cs.Int8un, "ipv4_frag" / cs.Int8un),
    kinds={"ipv4_src": "ipv4", "ipv4_dst": "ipv4"}, enums={"ipv4_frag": FRAG_TYPE})
KEY_IPV6 = FixedHeader("ovs_key_ipv6", cs.Struct(
    "ipv6_src" / cs.Bytes(16), "ipv6_dst" / cs.Bytes(16), "ipv6_label" / cs.Int32ub,
    "ipv6_proto" / cs.Int8un, "ipv6_tclass" / cs.Int8un, "ipv6_hlimit" / cs.Int8un, "ipv6_frag" / cs.Int8un),
    kinds={"ipv6_src": "ipv6", "ipv6_dst": "ipv6"}, enums={"ipv6_frag": FRAG_TYPE})
KEY_IPV6_EXTHDRS = FixedHeader("ovs_key_ipv6_exthdrs", cs.Struct("hdrs" / cs.Int16un))
KEY_TCP = FixedHeader("ovs_key_tcp", cs.Struct("tcp_src" / cs.Int16ub, "tcp_dst" / cs.Int16ub))
KEY_UDP = FixedHeader("ovs_key_udp", cs.Struct("udp_src" / cs.Int16ub, "udp_dst" / cs.Int16ub))
KEY_SCTP = FixedHeader("ovs_key_sctp", cs.Struct("sctp_src" / cs.Int16ub, "sctp_dst" / cs.Int16ub))
KEY_ICMP = FixedHeader("ovs_key_icmp", cs.Struct("icmp_type" / cs.Int8un, "icmp_code" / cs.Int8un))
KEY_ICMPV6 = FixedHeader("ovs_key_icmpv6", cs.Struct("icmpv6_type" / cs.Int8un, "icmpv6_code" / cs.Int8un))
KEY_ARP = FixedHeader("ovs_key_arp", cs.Struct(
    "arp_sip" / cs.Bytes(4), "arp_tip" / cs.Bytes(4), "arp_op" / cs.Int16ub, "arp_sha" / cs.Bytes(6),
    "arp_tha" / cs.Bytes(6)), kinds={"arp_sip": "ipv4", "arp_tip": "ipv4", "arp_sha": "mac", "arp_tha": "mac"})
KEY_ND = FixedHeader("ovs_key_nd", cs.Struct(
    "nd_target" / cs.Bytes(16), "nd_sll" / cs.Bytes(6), "nd_tll" / cs.Bytes(6)),
    kinds={"nd_target": "ipv6", "nd_sll": "mac", "nd_tll": "mac"})
KEY_CT_TUPLE_IPV4 = FixedHeader("ovs_key_ct_tuple_ipv4", cs.Struct(
    "ipv4_src" / cs.Bytes(4), "ipv4_dst" / cs.Bytes(4), "src_port" / cs.Int16ub, "dst_port" / cs.Int16ub,
    "ipv4_proto" / cs.Int8un), kinds={"ipv4_src": "ipv4", "ipv4_dst": "ipv4"})
KEY_CT_TUPLE_IPV6 = FixedHeader("ovs_key_ct_tuple_ipv6", cs.Struct(
    "ipv6_src" / cs.Bytes(16), "ipv6_dst" / cs.Bytes(16), "src_port" / cs.Int16ub, "dst_port" / cs.Int16ub,
    "ipv6_proto" / cs.Int8un), kinds={"ipv6_src": "ipv6", "ipv6_dst": "ipv6"})
NSH_BASE = FixedHeader("ovs_nsh_key_base", cs.Struct(
    "flags" / cs.Int8un, "ttl" / cs.Int8un, "mdtype" / cs.Int8un, "np" / cs.Int8un, "path_hdr" / cs.Int32ub))
NSH_MD1 = FixedHeader("ovs_nsh_key_md1", cs.Struct(*(f"context{i}" / cs.Int32ub for i in range(4))))
ZONE_LIMIT = FixedHeader("ovs_zone_limit", cs.Struct(
    "zone_id" / cs.Int32sn, "limit" / cs.Int32un, "count" / cs.Int32un))

PUSH_VLAN = FixedHeader("ovs_action_push_vlan", cs.Struct("vlan_tpid" / cs.Int16ub, "vlan_tci" / cs.Int16ub),
                        enums={"vlan_tpid": ETH_P})
HASH = FixedHeader("ovs_action_hash", cs.Struct("hash_alg" / cs.Int32un, "hash_basis" / cs.Int32un),
                   enums={"hash_alg": HASH_ALG})
PUSH_MPLS = FixedHeader("ovs_action_push_mpls", cs.Struct(
    "mpls_lse" / cs.Int32ub, "mpls_ethertype" / cs.Int16ub, cs.Padding(2)), enums={"mpls_ethertype": ETH_P})
ADD_MPLS = FixedHeader("ovs_action_add_mpls", cs.Struct(
    "mpls_lse" / cs.Int32ub, "mpls_ethertype" / cs.Int16ub, "tun_flags" / cs.Int16un),
    enums={"mpls_ethertype": ETH_P}, flags={"tun_flags": {1: "OVS_MPLS_L3_TUNNEL_FLAG_MASK"}})
# OVS_CT_ATTR_MARK / _LABELS: the kernel's struct md_mark / md_labels, value then mask
CT_MARK = FixedHeader("md_mark", cs.Struct("value" / cs.Int32un, "mask" / cs.Int32un))
CT_LABELS = FixedHeader("md_labels", cs.Struct("value" / cs.Bytes(16), "mask" / cs.Bytes(16)))


def mpls_stack(name, buf, start, end, order, problems, path, siblings) -> Field:
    """OVS_KEY_ATTR_MPLS: an array of struct ovs_key_mpls (one be32 label stack entry each)."""
    p, kids = start + 4, []
    while end - p >= 4:
        kids.append(Field("mpls_lse", "int", struct.unpack_from(">I", buf, p)[0], p, p + 4))
        p += 4
    if p < end:
        problems.append(f"{path}: {end - p} bytes left after {len(kids)} MPLS entries")
    return Field(name, "list", None, start, end, children=kids)


# -- attribute sets (filled below: actions and keys nest each other) ------------------------
KEY = AttrSet("ovs_key_attr", {})
TUNNEL_KEY = AttrSet("ovs_tunnel_key_attr", {})
ACTIONS = AttrSet("ovs_action_attr", {})

def flag_or_u32(name, buf, start, end, order, problems, path, siblings) -> Field:
    """OVS_VXLAN_EXT_GBP: a flag in vport options, a u32 (the policy id) in a tunnel key."""
    if end - start == 4:
        return Field(name, "bool", True, start, end)
    if end - start == 8:
        return Field(name, "int", struct.unpack_from(order + "I", buf, start + 4)[0], start, end)
    return kept_raw(name, buf, start, end, problems, f"{path}: expected a flag or a u32, got {end - start - 4} bytes")


VXLAN_EXT = AttrSet("ovs_vxlan_ext", {1: A("OVS_VXLAN_EXT_GBP", "custom", decode=flag_or_u32)})
NSH_KEY = AttrSet("ovs_nsh_key_attr", {
    1: A("OVS_NSH_KEY_ATTR_BASE", "struct", struct=NSH_BASE),
    2: A("OVS_NSH_KEY_ATTR_MD1", "struct", struct=NSH_MD1),
    3: A("OVS_NSH_KEY_ATTR_MD2", "binary"),
})
TUNNEL_KEY.attrs.update({
    0: A("OVS_TUNNEL_KEY_ATTR_ID", "be64"),
    1: A("OVS_TUNNEL_KEY_ATTR_IPV4_SRC", "ipv4"),
    2: A("OVS_TUNNEL_KEY_ATTR_IPV4_DST", "ipv4"),
    3: A("OVS_TUNNEL_KEY_ATTR_TOS", "u8"),
    4: A("OVS_TUNNEL_KEY_ATTR_TTL", "u8"),
    5: A("OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT", "flag"),
    6: A("OVS_TUNNEL_KEY_ATTR_CSUM", "flag"),
    7: A("OVS_TUNNEL_KEY_ATTR_OAM", "flag"),
    8: A("OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS", "binary"),
    9: A("OVS_TUNNEL_KEY_ATTR_TP_SRC", "be16"),
    10: A("OVS_TUNNEL_KEY_ATTR_TP_DST", "be16"),
    11: A("OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS", "nested", nested=VXLAN_EXT),
    12: A("OVS_TUNNEL_KEY_ATTR_IPV6_SRC", "ipv6"),
    13: A("OVS_TUNNEL_KEY_ATTR_IPV6_DST", "ipv6"),
    14: A("OVS_TUNNEL_KEY_ATTR_PAD", "binary"),
    15: A("OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS", "binary"),
    16: A("OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE", "flag"),
})
KEY.attrs.update({
    1: A("OVS_KEY_ATTR_ENCAP", "nested", nested=KEY),
    2: A("OVS_KEY_ATTR_PRIORITY", "u32"),
    3: A("OVS_KEY_ATTR_IN_PORT", "u32"),
    4: A("OVS_KEY_ATTR_ETHERNET", "struct", struct=KEY_ETHERNET),
    5: A("OVS_KEY_ATTR_VLAN", "be16"),
    6: A("OVS_KEY_ATTR_ETHERTYPE", "be16", enum=ETH_P),
    7: A("OVS_KEY_ATTR_IPV4", "struct", struct=KEY_IPV4),
    8: A("OVS_KEY_ATTR_IPV6", "struct", struct=KEY_IPV6),
    9: A("OVS_KEY_ATTR_TCP", "struct", struct=KEY_TCP),
    10: A("OVS_KEY_ATTR_UDP", "struct", struct=KEY_UDP),
    11: A("OVS_KEY_ATTR_ICMP", "struct", struct=KEY_ICMP),
    12: A("OVS_KEY_ATTR_ICMPV6", "struct", struct=KEY_ICMPV6),
    13: A("OVS_KEY_ATTR_ARP", "struct", struct=KEY_ARP),
    14: A("OVS_KEY_ATTR_ND", "struct", struct=KEY_ND),
    15: A("OVS_KEY_ATTR_SKB_MARK", "u32"),
    16: A("OVS_KEY_ATTR_TUNNEL", "nested", nested=TUNNEL_KEY),
    17: A("OVS_KEY_ATTR_SCTP", "struct", struct=KEY_SCTP),
    18: A("OVS_KEY_ATTR_TCP_FLAGS", "be16", flags=TCP_FLAGS),
    19: A("OVS_KEY_ATTR_DP_HASH", "u32"),
    20: A("OVS_KEY_ATTR_RECIRC_ID", "u32"),
    21: A("OVS_KEY_ATTR_MPLS", "custom", decode=mpls_stack),
    22: A("OVS_KEY_ATTR_CT_STATE", "u32", flags=CS_F),
    23: A("OVS_KEY_ATTR_CT_ZONE", "u16"),
    24: A("OVS_KEY_ATTR_CT_MARK", "u32"),
    25: A("OVS_KEY_ATTR_CT_LABELS", "binary"),
    26: A("OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4", "struct", struct=KEY_CT_TUPLE_IPV4),
    27: A("OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6", "struct", struct=KEY_CT_TUPLE_IPV6),
    28: A("OVS_KEY_ATTR_NSH", "nested", nested=NSH_KEY),
    29: A("OVS_KEY_ATTR_PACKET_TYPE", "be32"),
    30: A("OVS_KEY_ATTR_ND_EXTENSIONS", "binary"),
    31: A("OVS_KEY_ATTR_TUNNEL_INFO", "binary"),
    32: A("OVS_KEY_ATTR_IPV6_EXTHDRS", "struct", struct=KEY_IPV6_EXTHDRS),
})

_INTS = {"u8": ("B", 1), "u16": ("H", 2), "u32": ("I", 4), "u64": ("Q", 8),
         "be16": (">H", 2), "be32": (">I", 4), "be64": (">Q", 8)}


def _half(spec: Attr, buf, p: int, size: int, order: str, label: str) -> Field:
    """One half (value or mask) of a SET_MASKED key attribute."""
    if spec.kind == "struct" and spec.struct is not None and size >= spec.struct.size:
        return Field(label, "struct", None, p, p + size, children=spec.struct.parse(buf, p, order))
    fmt = _INTS.get(spec.kind)
    if fmt is not None and fmt[1] == size:
        code = fmt[0] if fmt[0].startswith(">") else order + fmt[0]
        return Field(label, "int", struct.unpack_from(code, buf, p)[0], p, p + size)
    return Field(label, "bytes", bytes(buf[p:p + size]), p, p + size)


def set_masked(name, buf, start, end, order, problems, path, siblings) -> Field:
    """OVS_ACTION_ATTR_SET_MASKED: one OVS_KEY_ATTR_* whose payload is the value, then
    a mask of the same size (the value is zero where the mask is)."""
    p = start + 4
    if end - p < 4:
        return kept_raw(name, buf, start, end, problems, f"{path}: no key attribute in SET_MASKED")
    ln, typ = struct.unpack_from(order + "HH", buf, p)
    typ &= 0x3FFF
    if ln < 4 or p + ln > end or (ln - 4) % 2:
        return kept_raw(name, buf, start, end, problems,
                        f"{path}: key attribute of {ln} bytes is not a value and a mask")
    spec = KEY.get(typ) or A(f"OVS_KEY_ATTR_UNKNOWN({typ})", "binary")
    half = (ln - 4) // 2
    key = Field(spec.name, "struct", None, p, p + ln, children=[
        _half(spec, buf, p + 4, half, order, "value"), _half(spec, buf, p + 4 + half, half, order, "mask")])
    return Field(name, "nest", None, start, end, children=[key])


USERSPACE = AttrSet("ovs_userspace_attr", {
    1: A("OVS_USERSPACE_ATTR_PID", "u32"),
    2: A("OVS_USERSPACE_ATTR_USERDATA", "binary"),
    3: A("OVS_USERSPACE_ATTR_EGRESS_TUN_PORT", "u32"),
    4: A("OVS_USERSPACE_ATTR_ACTIONS", "flag"),
})
SAMPLE = AttrSet("ovs_sample_attr", {
    1: A("OVS_SAMPLE_ATTR_PROBABILITY", "u32"),
    2: A("OVS_SAMPLE_ATTR_ACTIONS", "nested", nested=ACTIONS),
})
NAT = AttrSet("ovs_nat_attr", {
    1: A("OVS_NAT_ATTR_SRC", "flag"),
    2: A("OVS_NAT_ATTR_DST", "flag"),
    3: A("OVS_NAT_ATTR_IP_MIN", "ipaddr"),
    4: A("OVS_NAT_ATTR_IP_MAX", "ipaddr"),
    5: A("OVS_NAT_ATTR_PROTO_MIN", "u16"),
    6: A("OVS_NAT_ATTR_PROTO_MAX", "u16"),
    7: A("OVS_NAT_ATTR_PERSISTENT", "flag"),
    8: A("OVS_NAT_ATTR_PROTO_HASH", "flag"),
    9: A("OVS_NAT_ATTR_PROTO_RANDOM", "flag"),
})
CT = AttrSet("ovs_ct_attr", {
    1: A("OVS_CT_ATTR_COMMIT", "flag"),
    2: A("OVS_CT_ATTR_ZONE", "u16"),
    3: A("OVS_CT_ATTR_MARK", "struct", struct=CT_MARK),
    4: A("OVS_CT_ATTR_LABELS", "struct", struct=CT_LABELS),
    5: A("OVS_CT_ATTR_HELPER", "string"),
    6: A("OVS_CT_ATTR_NAT", "nested", nested=NAT),
    7: A("OVS_CT_ATTR_FORCE_COMMIT", "flag"),
    8: A("OVS_CT_ATTR_EVENTMASK", "u32"),
    9: A("OVS_CT_ATTR_TIMEOUT", "string"),
})
CHECK_PKT_LEN = AttrSet("ovs_check_pkt_len_attr", {
    1: A("OVS_CHECK_PKT_LEN_ATTR_PKT_LEN", "u16"),
    2: A("OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER", "nested", nested=ACTIONS),
    3: A("OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL", "nested", nested=ACTIONS),
})
DEC_TTL = AttrSet("ovs_dec_ttl_attr", {1: A("OVS_DEC_TTL_ATTR_ACTION", "nested", nested=ACTIONS)})
PSAMPLE = AttrSet("ovs_psample_attr", {
    1: A("OVS_PSAMPLE_ATTR_GROUP", "u32"),
    2: A("OVS_PSAMPLE_ATTR_COOKIE", "binary"),
})
ACTIONS.attrs.update({
    1: A("OVS_ACTION_ATTR_OUTPUT", "u32"),
    2: A("OVS_ACTION_ATTR_USERSPACE", "nested", nested=USERSPACE),
    3: A("OVS_ACTION_ATTR_SET", "nested", nested=KEY),
    4: A("OVS_ACTION_ATTR_PUSH_VLAN", "struct", struct=PUSH_VLAN),
    5: A("OVS_ACTION_ATTR_POP_VLAN", "flag"),
    6: A("OVS_ACTION_ATTR_SAMPLE", "nested", nested=SAMPLE),
    7: A("OVS_ACTION_ATTR_RECIRC", "u32"),
    8: A("OVS_ACTION_ATTR_HASH", "struct", struct=HASH),
    9: A("OVS_ACTION_ATTR_PUSH_MPLS", "struct", struct=PUSH_MPLS),
    10: A("OVS_ACTION_ATTR_POP_MPLS", "be16", enum=ETH_P),
    11: A("OVS_ACTION_ATTR_SET_MASKED", "custom", decode=set_masked),
    12: A("OVS_ACTION_ATTR_CT", "nested", nested=CT),
    13: A("OVS_ACTION_ATTR_TRUNC", "u32"),  # struct ovs_action_trunc: max_len
    14: A("OVS_ACTION_ATTR_PUSH_ETH", "struct", struct=KEY_ETHERNET),
    15: A("OVS_ACTION_ATTR_POP_ETH", "flag"),
    16: A("OVS_ACTION_ATTR_CT_CLEAR", "flag"),
    17: A("OVS_ACTION_ATTR_PUSH_NSH", "nested", nested=NSH_KEY),
    18: A("OVS_ACTION_ATTR_POP_NSH", "flag"),
    19: A("OVS_ACTION_ATTR_METER", "u32"),
    20: A("OVS_ACTION_ATTR_CLONE", "nested", nested=ACTIONS),
    21: A("OVS_ACTION_ATTR_CHECK_PKT_LEN", "nested", nested=CHECK_PKT_LEN),
    22: A("OVS_ACTION_ATTR_ADD_MPLS", "struct", struct=ADD_MPLS),
    23: A("OVS_ACTION_ATTR_DEC_TTL", "nested", nested=DEC_TTL),
    24: A("OVS_ACTION_ATTR_DROP", "u32"),
    25: A("OVS_ACTION_ATTR_PSAMPLE", "nested", nested=PSAMPLE),
})

DATAPATH = AttrSet("ovs_datapath_attr", {
    1: A("OVS_DP_ATTR_NAME", "string"),
    2: A("OVS_DP_ATTR_UPCALL_PID", "u32"),
    3: A("OVS_DP_ATTR_STATS", "struct", struct=DP_STATS),
    4: A("OVS_DP_ATTR_MEGAFLOW_STATS", "struct", struct=DP_MEGAFLOW_STATS),
    5: A("OVS_DP_ATTR_USER_FEATURES", "u32", flags=DP_F),
    6: A("OVS_DP_ATTR_PAD", "binary"),
    7: A("OVS_DP_ATTR_MASKS_CACHE_SIZE", "u32"),
    8: A("OVS_DP_ATTR_PER_CPU_PIDS", "u32-array"),
    9: A("OVS_DP_ATTR_IFINDEX", "u32"),
})
TUNNEL_OPTS = AttrSet("ovs_tunnel_attr", {
    1: A("OVS_TUNNEL_ATTR_DST_PORT", "u16"),
    2: A("OVS_TUNNEL_ATTR_EXTENSION", "nested", nested=VXLAN_EXT),
})
UPCALL_STATS = AttrSet("ovs_vport_upcall_attr", {
    0: A("OVS_VPORT_UPCALL_ATTR_SUCCESS", "u64"),
    1: A("OVS_VPORT_UPCALL_ATTR_FAIL", "u64"),
})
VPORT = AttrSet("ovs_vport_attr", {
    1: A("OVS_VPORT_ATTR_PORT_NO", "u32"),
    2: A("OVS_VPORT_ATTR_TYPE", "u32", enum=VPORT_TYPE),
    3: A("OVS_VPORT_ATTR_NAME", "string"),
    4: A("OVS_VPORT_ATTR_OPTIONS", "nested", nested=TUNNEL_OPTS),
    5: A("OVS_VPORT_ATTR_UPCALL_PID", "u32-array"),
    6: A("OVS_VPORT_ATTR_STATS", "struct", struct=VPORT_STATS),
    7: A("OVS_VPORT_ATTR_PAD", "binary"),
    8: A("OVS_VPORT_ATTR_IFINDEX", "u32"),
    9: A("OVS_VPORT_ATTR_NETNSID", "s32"),
    10: A("OVS_VPORT_ATTR_UPCALL_STATS", "nested", nested=UPCALL_STATS),
})
FLOW = AttrSet("ovs_flow_attr", {
    1: A("OVS_FLOW_ATTR_KEY", "nested", nested=KEY),
    2: A("OVS_FLOW_ATTR_ACTIONS", "nested", nested=ACTIONS),
    3: A("OVS_FLOW_ATTR_STATS", "struct", struct=FLOW_STATS),
    4: A("OVS_FLOW_ATTR_TCP_FLAGS", "u8", flags=TCP_FLAGS),
    5: A("OVS_FLOW_ATTR_USED", "u64"),
    6: A("OVS_FLOW_ATTR_CLEAR", "flag"),
    7: A("OVS_FLOW_ATTR_MASK", "nested", nested=KEY),
    8: A("OVS_FLOW_ATTR_PROBE", "flag"),
    9: A("OVS_FLOW_ATTR_UFID", "binary"),
    10: A("OVS_FLOW_ATTR_UFID_FLAGS", "u32", flags=UFID_F),
    11: A("OVS_FLOW_ATTR_PAD", "binary"),
})
PACKET = AttrSet("ovs_packet_attr", {
    1: A("OVS_PACKET_ATTR_PACKET", "binary"),
    2: A("OVS_PACKET_ATTR_KEY", "nested", nested=KEY),
    3: A("OVS_PACKET_ATTR_ACTIONS", "nested", nested=ACTIONS),
    4: A("OVS_PACKET_ATTR_USERDATA", "binary"),
    5: A("OVS_PACKET_ATTR_EGRESS_TUN_KEY", "nested", nested=TUNNEL_KEY),
    6: A("OVS_PACKET_ATTR_UNUSED1", "binary"),
    7: A("OVS_PACKET_ATTR_UNUSED2", "binary"),
    8: A("OVS_PACKET_ATTR_PROBE", "flag"),
    9: A("OVS_PACKET_ATTR_MRU", "u16"),
    10: A("OVS_PACKET_ATTR_LEN", "u32"),
    11: A("OVS_PACKET_ATTR_HASH", "u64"),
})
BAND = AttrSet("ovs_band_attr", {
    1: A("OVS_BAND_ATTR_TYPE", "u32", enum=BAND_TYPE),
    2: A("OVS_BAND_ATTR_RATE", "u32"),
    3: A("OVS_BAND_ATTR_BURST", "u32"),
    4: A("OVS_BAND_ATTR_STATS", "struct", struct=FLOW_STATS),
})
METER = AttrSet("ovs_meter_attr", {
    1: A("OVS_METER_ATTR_ID", "u32"),
    2: A("OVS_METER_ATTR_KBPS", "flag"),
    3: A("OVS_METER_ATTR_STATS", "struct", struct=FLOW_STATS),
    4: A("OVS_METER_ATTR_BANDS", "nested-array", nested=BAND),  # each band a nest of type 0
    5: A("OVS_METER_ATTR_USED", "u64"),
    6: A("OVS_METER_ATTR_CLEAR", "flag"),
    7: A("OVS_METER_ATTR_MAX_METERS", "u32"),
    8: A("OVS_METER_ATTR_MAX_BANDS", "u32"),
    9: A("OVS_METER_ATTR_PAD", "binary"),
})
CT_LIMIT = AttrSet("ovs_ct_limit_attr", {
    1: A("OVS_CT_LIMIT_ATTR_ZONE_LIMIT", "custom", decode=struct_array(ZONE_LIMIT)),
})


# -- summaries, in ovs-dpctl's words ---------------------------------------------------------

def _dp(fields: list[Field]) -> str | None:
    for f in fields:
        if f.name == "ovs_header":
            for c in f.children or ():
                if c.name == "dp_ifindex" and c.value:
                    return f"dp {c.value}"
    return None


def _kids(f: Field | None) -> dict[str, Field]:
    return {c.name: c for c in (f.children or ())} if f is not None else {}


def _st(f: Field) -> dict:
    return {c.name: c.value for c in (f.children or ())}


def key_text(key: Field | None) -> str | None:
    """The flow key as ovs-dpctl abbreviates it: in_port, eth, ipv4/ipv6, l4 ports."""
    k = _kids(key)
    if not k:
        return None
    out = []
    if "OVS_KEY_ATTR_RECIRC_ID" in k and k["OVS_KEY_ATTR_RECIRC_ID"].value:
        out.append(f"recirc(0x{k['OVS_KEY_ATTR_RECIRC_ID'].value:x})")
    if "OVS_KEY_ATTR_IN_PORT" in k:
        out.append(f"in_port({k['OVS_KEY_ATTR_IN_PORT'].value})")
    if "OVS_KEY_ATTR_ETHERNET" in k and k["OVS_KEY_ATTR_ETHERNET"].kind == "struct":
        e = _st(k["OVS_KEY_ATTR_ETHERNET"])
        out.append(f"eth(src={e['eth_src']},dst={e['eth_dst']})")
    if "OVS_KEY_ATTR_ETHERTYPE" in k:
        out.append(f"eth_type(0x{k['OVS_KEY_ATTR_ETHERTYPE'].value:04x})")
    for attr, word, a, b in (("OVS_KEY_ATTR_IPV4", "ipv4", "ipv4_src", "ipv4_dst"),
                             ("OVS_KEY_ATTR_IPV6", "ipv6", "ipv6_src", "ipv6_dst")):
        if attr in k and k[attr].kind == "struct":
            v = _st(k[attr])
            proto = v.get("ipv4_proto", v.get("ipv6_proto"))
            out.append(f"{word}(src={v[a]},dst={v[b]},proto={proto})")
    for attr, word in (("OVS_KEY_ATTR_TCP", "tcp"), ("OVS_KEY_ATTR_UDP", "udp"), ("OVS_KEY_ATTR_SCTP", "sctp")):
        if attr in k and k[attr].kind == "struct":
            src, dst = (c.value for c in k[attr].children[:2])
            out.append(f"{word}(src={src},dst={dst})")
    if "OVS_KEY_ATTR_TUNNEL" in k:
        t = _kids(k["OVS_KEY_ATTR_TUNNEL"])
        tid = t.get("OVS_TUNNEL_KEY_ATTR_ID")
        dst = t.get("OVS_TUNNEL_KEY_ATTR_IPV4_DST") or t.get("OVS_TUNNEL_KEY_ATTR_IPV6_DST")
        out.append("tunnel(" + ",".join(x for x in (f"tun_id=0x{tid.value:x}" if tid is not None else "",
                                                    f"dst={dst.value}" if dst is not None else "") if x) + ")")
    return ",".join(out) or None


def actions_text(acts: Field | None) -> str | None:
    if acts is None:
        return None
    words = []
    for a in acts.children or ():
        n = a.name.removeprefix("OVS_ACTION_ATTR_").lower()
        if a.name in ("OVS_ACTION_ATTR_OUTPUT", "OVS_ACTION_ATTR_RECIRC", "OVS_ACTION_ATTR_METER") \
                and isinstance(a.value, int):
            words.append(str(a.value) if n == "output" else f"{n}({a.value})")
        elif a.name == "OVS_ACTION_ATTR_USERSPACE":
            pid = _kids(a).get("OVS_USERSPACE_ATTR_PID")
            words.append(f"userspace(pid={pid.value})" if pid is not None else "userspace")
        else:
            words.append(n)
    return "actions:" + (",".join(words) if words else "drop")


def ovs_summary(cmd: str, fields: list[Field]) -> str:
    a = {f.name: f for f in attrs_of(fields)}

    def val(name: str):
        f = a.get(name)
        return None if f is None else f.value

    parts: list[str | None] = [_dp(fields)]
    if "OVS_DP_ATTR_NAME" in a:
        parts.append(f"{val('OVS_DP_ATTR_NAME')}")
    if "OVS_DP_ATTR_STATS" in a and a["OVS_DP_ATTR_STATS"].kind == "struct":
        s = _st(a["OVS_DP_ATTR_STATS"])
        parts.append(f"lookups: hit:{s['n_hit']} missed:{s['n_missed']} lost:{s['n_lost']} flows: {s['n_flows']}")
    if "OVS_VPORT_ATTR_NAME" in a:
        vtype = a.get("OVS_VPORT_ATTR_TYPE")
        kind = f" ({vtype.meta.removeprefix('OVS_VPORT_TYPE_').lower()})" if vtype is not None and vtype.meta else ""
        port = val("OVS_VPORT_ATTR_PORT_NO")
        parts.append(f"port {port}: {val('OVS_VPORT_ATTR_NAME')}{kind}" if port is not None
                     else f"{val('OVS_VPORT_ATTR_NAME')}{kind}")
    if "OVS_FLOW_ATTR_UFID" in a and isinstance(val("OVS_FLOW_ATTR_UFID"), bytes):
        parts.append(f"ufid:{val('OVS_FLOW_ATTR_UFID').hex()}")
    parts.append(key_text(a.get("OVS_FLOW_ATTR_KEY") or a.get("OVS_PACKET_ATTR_KEY")))
    if "OVS_FLOW_ATTR_STATS" in a and a["OVS_FLOW_ATTR_STATS"].kind == "struct":
        s = _st(a["OVS_FLOW_ATTR_STATS"])
        parts.append(f"packets:{s['n_packets']} bytes:{s['n_bytes']}")
    parts.append(actions_text(a.get("OVS_FLOW_ATTR_ACTIONS") or a.get("OVS_PACKET_ATTR_ACTIONS")))
    if "OVS_PACKET_ATTR_PACKET" in a and isinstance(val("OVS_PACKET_ATTR_PACKET"), bytes):
        parts.append(f"{len(val('OVS_PACKET_ATTR_PACKET'))} bytes")
    if "OVS_METER_ATTR_ID" in a:
        parts.append(f"meter {val('OVS_METER_ATTR_ID')}")
    if "OVS_METER_ATTR_MAX_METERS" in a:
        parts.append(f"max meters {val('OVS_METER_ATTR_MAX_METERS')} bands {val('OVS_METER_ATTR_MAX_BANDS')}")
    for f in attrs_of(fields):
        if f.name == "OVS_CT_LIMIT_ATTR_ZONE_LIMIT":
            for z in f.children or ():
                if z.kind == "struct":
                    s = _st(z)
                    zone = "default" if s["zone_id"] == -1 else s["zone_id"]
                    parts.append(f"zone {zone} limit {s['limit']} count {s['count']}")
    return join(*parts)


def register(registry) -> None:
    for name, cmds, attrs in (("ovs_datapath", DP_CMDS, DATAPATH), ("ovs_vport", DP_CMDS, VPORT),
                              ("ovs_flow", DP_CMDS, FLOW), ("ovs_packet", PACKET_CMDS, PACKET),
                              ("ovs_meter", METER_CMDS, METER), ("ovs_ct_limit", CT_LIMIT_CMDS, CT_LIMIT)):
        # FEATURES asks what the datapath supports (a GET); MISS/ACTION are upcalls
        kinds = {"FEATURES": "get", "SET": "other", "EXECUTE": "other", "MISS": "other", "ACTION": "other"}
        add_family(registry, GenlFamily(name, cmds, attrs=attrs, header=OVS_HEADER, summary=ovs_summary,
                                        kinds=kinds))

