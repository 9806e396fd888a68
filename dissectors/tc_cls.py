"""tc filters (classifiers): each kind's TCA_OPTIONS (linux/pkt_cls.h; wire layouts
from net/sched/cls_*.c)."""
from __future__ import annotations

import struct

from construct import Bytes, Int8un, Int16sn, Int16ub, Int16un, Int32sn, Int32ub, Int32un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, FixedHeader, walk_attrs

from .rtnl_common import ETH_P, A, counters, hdr, kept_raw, tc_handle
from .tc_act import IPPROTO, POLICE, actions

TCA_CLS_FLAGS = {1: "TCA_CLS_FLAGS_SKIP_HW", 2: "TCA_CLS_FLAGS_SKIP_SW", 4: "TCA_CLS_FLAGS_IN_HW",
                 8: "TCA_CLS_FLAGS_NOT_IN_HW", 16: "TCA_CLS_FLAGS_VERBOSE"}
CLASSID = {"fmt": tc_handle}  # a class id is a tc handle: 1:20

TC_U32_SEL = hdr("tc_u32_sel", Struct(
    "flags" / Int8un, "offshift" / Int8un, "nkeys" / Int8un, Padding(1), "offmask" / Int16ub,
    "off" / Int16un, "offoff" / Int16sn, "hoff" / Int16sn, "hmask" / Int32ub),
    flags={"flags": {1: "TC_U32_TERMINAL", 2: "TC_U32_OFFSET", 4: "TC_U32_VAROFFSET", 8: "TC_U32_EAT"}})
TC_U32_KEY = hdr("tc_u32_key", Struct("mask" / Int32ub, "val" / Int32ub, "off" / Int32sn, "offmask" / Int32sn))


def _u32_sel(name, buf, start, end, order, problems, path, siblings) -> Field:
    """struct tc_u32_sel, then its nkeys struct tc_u32_key."""
    p = start + 4
    if end - p < TC_U32_SEL.size:
        return kept_raw(name, buf, start, end, problems,
                        f"{path}: tc_u32_sel needs {TC_U32_SEL.size} bytes, got {end - p}")
    kids = TC_U32_SEL.parse(buf, p, order)
    nkeys = buf[p + 2]
    p += TC_U32_SEL.size
    keys = []
    for _ in range(nkeys):
        if end - p < TC_U32_KEY.size:
            problems.append(f"{path}: {nkeys} keys announced, {len(keys)} present")
            break
        keys.append(Field("key", "struct", None, p, p + TC_U32_KEY.size, children=TC_U32_KEY.parse(buf, p, order)))
        p += TC_U32_KEY.size
    kids.append(Field("keys", "list", None, start + 4 + TC_U32_SEL.size, p, children=keys))
    return Field(name, "struct", None, start, end, children=kids)


U32 = AttrSet("tca_u32", {
    1: A("TCA_U32_CLASSID", "u32", **CLASSID),
    2: A("TCA_U32_HASH", "u32"),
    3: A("TCA_U32_LINK", "u32"),
    4: A("TCA_U32_DIVISOR", "u32"),
    5: A("TCA_U32_SEL", "custom", decode=_u32_sel),
    6: A("TCA_U32_POLICE", "nested", nested=POLICE),
    7: actions("TCA_U32_ACT"),
    8: A("TCA_U32_INDEV", "string"),
    9: A("TCA_U32_PCNT", "custom", decode=counters(["rcnt", "rhit"])),
    10: A("TCA_U32_MARK", "struct", struct=hdr("tc_u32_mark", Struct(
        "val" / Int32un, "mask" / Int32un, "success" / Int32un))),
    11: A("TCA_U32_FLAGS", "u32", flags=TCA_CLS_FLAGS),
    12: A("TCA_U32_PAD", "binary"),
})
FLOWER_KEY_FLAGS = {1: "TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT", 2: "TCA_FLOWER_KEY_FLAGS_FRAG_IS_FIRST",
                    4: "TCA_FLOWER_KEY_FLAGS_TUNNEL_CSUM", 8: "TCA_FLOWER_KEY_FLAGS_TUNNEL_DONT_FRAGMENT",
                    16: "TCA_FLOWER_KEY_FLAGS_TUNNEL_OAM", 32: "TCA_FLOWER_KEY_FLAGS_TUNNEL_CRIT_OPT"}
_FLOWER_KINDS = [  # (first type, kind, names...) in enum order (linux/pkt_cls.h)
    (1, "u32", "CLASSID"), (2, "string", "INDEV"), (3, "actions", "ACT"),
    (4, "mac", "KEY_ETH_DST", "KEY_ETH_DST_MASK", "KEY_ETH_SRC", "KEY_ETH_SRC_MASK"),
    (8, "be16", "KEY_ETH_TYPE"), (9, "u8", "KEY_IP_PROTO"),
    (10, "ipv4", "KEY_IPV4_SRC", "KEY_IPV4_SRC_MASK", "KEY_IPV4_DST", "KEY_IPV4_DST_MASK"),
    (14, "ipv6", "KEY_IPV6_SRC", "KEY_IPV6_SRC_MASK", "KEY_IPV6_DST", "KEY_IPV6_DST_MASK"),
    (18, "be16", "KEY_TCP_SRC", "KEY_TCP_DST", "KEY_UDP_SRC", "KEY_UDP_DST"),
    (22, "u32", "FLAGS"), (23, "u16", "KEY_VLAN_ID"), (24, "u8", "KEY_VLAN_PRIO"),
    (25, "be16", "KEY_VLAN_ETH_TYPE"), (26, "be32", "KEY_ENC_KEY_ID"),
    (27, "ipv4", "KEY_ENC_IPV4_SRC", "KEY_ENC_IPV4_SRC_MASK", "KEY_ENC_IPV4_DST", "KEY_ENC_IPV4_DST_MASK"),
    (31, "ipv6", "KEY_ENC_IPV6_SRC", "KEY_ENC_IPV6_SRC_MASK", "KEY_ENC_IPV6_DST", "KEY_ENC_IPV6_DST_MASK"),
    (35, "be16", "KEY_TCP_SRC_MASK", "KEY_TCP_DST_MASK", "KEY_UDP_SRC_MASK", "KEY_UDP_DST_MASK",
     "KEY_SCTP_SRC_MASK", "KEY_SCTP_DST_MASK", "KEY_SCTP_SRC", "KEY_SCTP_DST",
     "KEY_ENC_UDP_SRC_PORT", "KEY_ENC_UDP_SRC_PORT_MASK", "KEY_ENC_UDP_DST_PORT",
     "KEY_ENC_UDP_DST_PORT_MASK"),
    (47, "be32", "KEY_FLAGS", "KEY_FLAGS_MASK"),
    (49, "u8", "KEY_ICMPV4_CODE", "KEY_ICMPV4_CODE_MASK", "KEY_ICMPV4_TYPE", "KEY_ICMPV4_TYPE_MASK",
     "KEY_ICMPV6_CODE", "KEY_ICMPV6_CODE_MASK", "KEY_ICMPV6_TYPE", "KEY_ICMPV6_TYPE_MASK"),
    (57, "ipv4", "KEY_ARP_SIP", "KEY_ARP_SIP_MASK", "KEY_ARP_TIP", "KEY_ARP_TIP_MASK"),
    (61, "u8", "KEY_ARP_OP", "KEY_ARP_OP_MASK"),
    (63, "mac", "KEY_ARP_SHA", "KEY_ARP_SHA_MASK", "KEY_ARP_THA", "KEY_ARP_THA_MASK"),
    (67, "u8", "KEY_MPLS_TTL", "KEY_MPLS_BOS", "KEY_MPLS_TC"), (70, "u32", "KEY_MPLS_LABEL"),
    (71, "be16", "KEY_TCP_FLAGS", "KEY_TCP_FLAGS_MASK"),
    (73, "u8", "KEY_IP_TOS", "KEY_IP_TOS_MASK", "KEY_IP_TTL", "KEY_IP_TTL_MASK"),
    (77, "u16", "KEY_CVLAN_ID"), (78, "u8", "KEY_CVLAN_PRIO"), (79, "be16", "KEY_CVLAN_ETH_TYPE"),
    (80, "u8", "KEY_ENC_IP_TOS", "KEY_ENC_IP_TOS_MASK", "KEY_ENC_IP_TTL", "KEY_ENC_IP_TTL_MASK"),
    (84, "nested", "KEY_ENC_OPTS", "KEY_ENC_OPTS_MASK"), (86, "u32", "IN_HW_COUNT"),
    (87, "be16", "KEY_PORT_SRC_MIN", "KEY_PORT_SRC_MAX", "KEY_PORT_DST_MIN", "KEY_PORT_DST_MAX"),
    (91, "u16", "KEY_CT_STATE", "KEY_CT_STATE_MASK", "KEY_CT_ZONE", "KEY_CT_ZONE_MASK"),
    (95, "u32", "KEY_CT_MARK", "KEY_CT_MARK_MASK"), (97, "binary", "KEY_CT_LABELS", "KEY_CT_LABELS_MASK"),
    (99, "nested", "KEY_MPLS_OPTS"), (100, "u32", "KEY_HASH", "KEY_HASH_MASK"),
    (102, "u8", "KEY_NUM_OF_VLANS"), (103, "be16", "KEY_PPPOE_SID", "KEY_PPP_PROTO"),
    (105, "be32", "KEY_L2TPV3_SID"), (106, "u8", "L2_MISS"), (107, "nested", "KEY_CFM"),
    (108, "be32", "KEY_SPI", "KEY_SPI_MASK", "KEY_ENC_FLAGS", "KEY_ENC_FLAGS_MASK"),
]
_FLOWER_EXTRA = {
    "CLASSID": CLASSID, "KEY_ETH_TYPE": {"enum": ETH_P}, "KEY_VLAN_ETH_TYPE": {"enum": ETH_P},
    "KEY_CVLAN_ETH_TYPE": {"enum": ETH_P}, "KEY_IP_PROTO": {"enum": IPPROTO},
    "FLAGS": {"flags": TCA_CLS_FLAGS}, "KEY_FLAGS": {"flags": FLOWER_KEY_FLAGS},
    "KEY_FLAGS_MASK": {"flags": FLOWER_KEY_FLAGS},
}
FLOWER_MPLS_LSE = AttrSet("tca_flower_key_mpls_opt_lse", {
    1: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_DEPTH", "u8"), 2: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_TTL", "u8"),
    3: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_BOS", "u8"), 4: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_TC", "u8"),
    5: A("TCA_FLOWER_KEY_MPLS_OPT_LSE_LABEL", "u32")})
_FLOWER_NESTS = {
    "KEY_MPLS_OPTS": AttrSet("tca_flower_key_mpls_opts", {
        1: A("TCA_FLOWER_KEY_MPLS_OPTS_LSE", "nested", nested=FLOWER_MPLS_LSE)}),
    "KEY_CFM": AttrSet("tca_flower_key_cfm", {
        1: A("TCA_FLOWER_KEY_CFM_MD_LEVEL", "u8"), 2: A("TCA_FLOWER_KEY_CFM_OPCODE", "u8")}),
}


def _flower() -> AttrSet:
    attrs = {}
    for first, kind, *names in _FLOWER_KINDS:
        for i, n in enumerate(names):
            full = "TCA_FLOWER_" + n
            if kind == "actions":
                attrs[first + i] = actions(full)
            elif kind == "nested":
                attrs[first + i] = A(full, "nested", nested=_FLOWER_NESTS.get(n))
            else:
                attrs[first + i] = A(full, kind, **_FLOWER_EXTRA.get(n, {}))
    return AttrSet("tca_flower", attrs)


FLOWER = _flower()
MATCHALL = AttrSet("tca_matchall", {
    1: A("TCA_MATCHALL_CLASSID", "u32", **CLASSID),
    2: actions("TCA_MATCHALL_ACT"),
    3: A("TCA_MATCHALL_FLAGS", "u32", flags=TCA_CLS_FLAGS),
    4: A("TCA_MATCHALL_PCNT", "u64"),
    5: A("TCA_MATCHALL_PAD", "binary"),
})
# -- ematches (linux/pkt_cls.h, linux/tc_ematch/*.h; net/sched/ematch.c) -----------------
TCF_EM_KIND = {0: "TCF_EM_CONTAINER", 1: "TCF_EM_CMP", 2: "TCF_EM_NBYTE", 3: "TCF_EM_U32", 4: "TCF_EM_META",
               5: "TCF_EM_TEXT", 6: "TCF_EM_VLAN", 7: "TCF_EM_CANID", 8: "TCF_EM_IPSET", 9: "TCF_EM_IPT"}
TCF_EM_FLAGS = {1: "TCF_EM_REL_AND", 2: "TCF_EM_REL_OR", 4: "TCF_EM_INVERT", 8: "TCF_EM_SIMPLE"}
TCF_LAYER = {0: "TCF_LAYER_LINK", 1: "TCF_LAYER_NETWORK", 2: "TCF_LAYER_TRANSPORT"}
TCF_EM_OPND = {0: "TCF_EM_OPND_EQ", 1: "TCF_EM_OPND_GT", 2: "TCF_EM_OPND_LT"}
TCF_EM_ALIGN = {1: "TCF_EM_ALIGN_U8", 2: "TCF_EM_ALIGN_U16", 4: "TCF_EM_ALIGN_U32"}
TCF_EMATCH_HDR = hdr("tcf_ematch_hdr", Struct(
    "matchid" / Int16un, "kind" / Int16un, "flags" / Int16un, "pad" / Int16un),
    enums={"kind": TCF_EM_KIND}, flags={"flags": TCF_EM_FLAGS})
_META_IDS = ["VALUE", "RANDOM", "LOADAVG_0", "LOADAVG_1", "LOADAVG_2", "DEV", "PRIORITY", "PROTOCOL",
             "PKTTYPE", "PKTLEN", "DATALEN", "MACLEN", "NFMARK", "TCINDEX", "RTCLASSID", "RTIIF",
             "SK_FAMILY", "SK_STATE", "SK_REUSE", "SK_BOUND_IF", "SK_REFCNT", "SK_SHUTDOWN", "SK_PROTO",
             "SK_TYPE", "SK_RCVBUF", "SK_RMEM_ALLOC", "SK_WMEM_ALLOC", "SK_OMEM_ALLOC", "SK_WMEM_QUEUED",
             "SK_RCV_QLEN", "SK_SND_QLEN", "SK_ERR_QLEN", "SK_FORWARD_ALLOCS", "SK_SNDBUF", "SK_ALLOCS",
             "SK_ROUTE_CAPS", "SK_HASH", "SK_LINGERTIME", "SK_ACK_BACKLOG", "SK_MAX_ACK_BACKLOG", "SK_PRIO",
             "SK_RCVLOWAT", "SK_RCVTIMEO", "SK_SNDTIMEO", "SK_SENDMSG_OFF", "SK_WRITE_PENDING", "VLAN_TAG",
             "RXHASH"]


def _meta_kind(v: int) -> str:
    """TCF_META_TYPE in the top 4 bits, TCF_META_ID in the low 11."""
    kind = {0: "TCF_META_TYPE_VAR", 1: "TCF_META_TYPE_INT"}.get(v >> 12, f"type {v >> 12}")
    ident = v & 0x7FF
    return f"{kind} " + (f"TCF_META_ID_{_META_IDS[ident]}" if ident < len(_META_IDS) else f"id {ident}")


def _meta_value(side: str):
    """TCA_EM_META_LVALUE/RVALUE: an integer (4 or 8 bytes) when the header says that
    side is TCF_META_TYPE_INT, bytes when it is a variable-length one."""
    def decode(name, buf, start, end, order, problems, path, siblings) -> Field:
        head = next((f for f in siblings if f.name == "TCA_EM_META_HDR" and f.kind == "struct"), None)
        kind = head.get(side).get("kind").value if head is not None else 0
        n = end - start - 4
        if kind >> 12 == 1 and n in (4, 8):
            return Field(name, "int", struct.unpack_from(order + ("I" if n == 4 else "Q"), buf, start + 4)[0],
                         start, end)
        return Field(name, "bytes", bytes(buf[start + 4:end]), start, end)
    return decode


_META_VAL = Struct("kind" / Int16un, "shift" / Int8un, "op" / Int8un)
EM_META = AttrSet("tca_em_meta", {
    1: A("TCA_EM_META_HDR", "struct", struct=hdr("tcf_meta_hdr", Struct("left" / _META_VAL, "right" / _META_VAL),
                                                enums={"op": TCF_EM_OPND}, fmts={"kind": _meta_kind})),
    2: A("TCA_EM_META_LVALUE", "custom", decode=_meta_value("left")),
    3: A("TCA_EM_META_RVALUE", "custom", decode=_meta_value("right")),
})
EM_CMP = hdr("tcf_em_cmp", Struct("val" / Int32un, "mask" / Int32un, "off" / Int16un, "align_flags" / Int8un,
                                  "layer_opnd" / Int8un))
EM_TEXT = hdr("tcf_em_text", Struct("algo" / Bytes(16), "from_offset" / Int16un, "to_offset" / Int16un,
                                    "pattern_len" / Int16un, "layers" / Int8un, "pad" / Int8un),
              kinds={"algo": "string"})


def _nibbles(f: Field, low: str, high: str, order: str, enums: dict) -> list[Field]:
    """A byte holding two 4-bit C bitfields: the first declared is the low nibble on a
    little-endian host, the high one on a big-endian host."""
    a, b = (f.value & 0xF, f.value >> 4) if order == "<" else (f.value >> 4, f.value & 0xF)
    return [Field(n, "enum" if n in enums else "int", v, f.start, f.end, enums[n].get(v) if n in enums else None)
            for n, v in ((low, a), (high, b))]


def _em_data(kind: int, simple: bool, buf, p: int, end: int, order: str, problems, path) -> list[Field]:
    n = end - p
    if (kind == 0 or simple) and n >= 4:  # a container holds the index its subtree starts at
        return [Field("data", "int", struct.unpack_from(order + "I", buf, p)[0], p, p + 4)]
    if kind == 1 and n >= EM_CMP.size:
        out = []
        for f in EM_CMP.parse(buf, p, order):
            if f.name == "align_flags":
                out += _nibbles(f, "align", "flags", order, {"align": TCF_EM_ALIGN})
            elif f.name == "layer_opnd":
                out += _nibbles(f, "layer", "opnd", order, {"layer": TCF_LAYER, "opnd": TCF_EM_OPND})
            else:
                out.append(f)
        return out
    if kind == 2 and n >= 4:
        off, v = struct.unpack_from(order + "HH", buf, p)
        length, layer = (v & 0xFFF, v >> 12) if order == "<" else (v >> 4, v & 0xF)
        return [Field("off", "int", off, p, p + 2), Field("len", "int", length, p + 2, p + 4),
                Field("layer", "enum", layer, p + 2, p + 4, TCF_LAYER.get(layer)),
                Field("pattern", "bytes", bytes(buf[p + 4:min(end, p + 4 + length)]), p + 4, min(end, p + 4 + length))]
    if kind == 3 and n >= TC_U32_KEY.size:
        return TC_U32_KEY.parse(buf, p, order)
    if kind == 4:
        return walk_attrs(buf, p, end, EM_META, order, problems, path + ".")
    if kind == 5 and n >= EM_TEXT.size:
        out = []
        for f in EM_TEXT.parse(buf, p, order):
            out += _nibbles(f, "from_layer", "to_layer", order, {"from_layer": TCF_LAYER, "to_layer": TCF_LAYER}) \
                if f.name == "layers" else [f]
        q = p + EM_TEXT.size
        return out + [Field("pattern", "bytes", bytes(buf[q:end]), q, end)]
    return [Field("data", "bytes", bytes(buf[p:end]), p, end)] if n else []


def _ematch_list(name, buf, start, end, order, problems, path, siblings) -> Field:
    """TCA_EMATCH_TREE_LIST: one attribute per match, numbered from 1, each a
    tcf_ematch_hdr then the data its kind defines."""
    kids = []
    for item in walk_attrs(buf, start + 4, end, None, order, problems, path + "."):
        p, e = item.start + 4, item.end
        idx = item.name[8:-1] if item.name.startswith("UNKNOWN(") else item.name
        if e - p < TCF_EMATCH_HDR.size:
            problems.append(f"{path}[{idx}]: {e - p} bytes, too short for tcf_ematch_hdr")
            kids.append(Field(idx, "bytes", bytes(buf[p:e]), item.start, e))
            continue
        head = TCF_EMATCH_HDR.parse(buf, p, order)
        kind, flags = head[1].value, head[2].value
        data = _em_data(kind, bool(flags & 8), buf, p + TCF_EMATCH_HDR.size, e, order, problems, f"{path}[{idx}]")
        kids.append(Field(idx, "struct", None, item.start, e, children=[
            Field("tcf_ematch_hdr", "struct", None, p, p + TCF_EMATCH_HDR.size, children=head), *data]))
    return Field(name, "list", None, start, end, children=kids)


EMATCH_TREE = AttrSet("tca_ematch_tree", {
    1: A("TCA_EMATCH_TREE_HDR", "struct", struct=hdr("tcf_ematch_tree_hdr", Struct(
        "nmatches" / Int16un, "progid" / Int16un))),
    2: A("TCA_EMATCH_TREE_LIST", "custom", decode=_ematch_list),
})

BASIC = AttrSet("tca_basic", {
    1: A("TCA_BASIC_CLASSID", "u32", **CLASSID),
    2: A("TCA_BASIC_EMATCHES", "nested", nested=EMATCH_TREE),
    3: actions("TCA_BASIC_ACT"),
    4: A("TCA_BASIC_POLICE", "nested", nested=POLICE),
    5: A("TCA_BASIC_PCNT", "custom", decode=counters(["rcnt", "rhit"])),
    6: A("TCA_BASIC_PAD", "binary"),
})
BPF = AttrSet("tca_bpf", {
    1: actions("TCA_BPF_ACT"),
    2: A("TCA_BPF_POLICE", "nested", nested=POLICE),
    3: A("TCA_BPF_CLASSID", "u32", **CLASSID),
    4: A("TCA_BPF_OPS_LEN", "u16"),
    5: A("TCA_BPF_OPS", "binary"),
    6: A("TCA_BPF_FD", "u32"),
    7: A("TCA_BPF_NAME", "string"),
    8: A("TCA_BPF_FLAGS", "u32", flags={1: "TCA_BPF_FLAG_ACT_DIRECT"}),
    9: A("TCA_BPF_FLAGS_GEN", "u32", flags=TCA_CLS_FLAGS),
    10: A("TCA_BPF_TAG", "binary"),
    11: A("TCA_BPF_ID", "u32"),
})
FW = AttrSet("tca_fw", {
    1: A("TCA_FW_CLASSID", "u32", **CLASSID),
    2: A("TCA_FW_POLICE", "nested", nested=POLICE),
    3: A("TCA_FW_INDEV", "string"),
    4: actions("TCA_FW_ACT"),
    5: A("TCA_FW_MASK", "u32"),
})
ROUTE4 = AttrSet("tca_route4", {
    1: A("TCA_ROUTE4_CLASSID", "u32", **CLASSID),
    2: A("TCA_ROUTE4_TO", "u32"),  # realms
    3: A("TCA_ROUTE4_FROM", "u32"),
    4: A("TCA_ROUTE4_IIF", "u32"),
    5: A("TCA_ROUTE4_POLICE", "nested", nested=POLICE),
    6: actions("TCA_ROUTE4_ACT"),
})
FLOW_KEYS = {1 << i: "FLOW_KEY_" + n for i, n in enumerate([
    "SRC", "DST", "PROTO", "PROTO_SRC", "PROTO_DST", "IIF", "PRIORITY", "MARK", "NFCT", "NFCT_SRC",
    "NFCT_DST", "NFCT_PROTO_SRC", "NFCT_PROTO_DST", "RTCLASSID", "SKUID", "SKGID", "VLAN_TAG", "RXHASH"])}
FLOW = AttrSet("tca_flow", {
    1: A("TCA_FLOW_KEYS", "u32", flags=FLOW_KEYS),
    2: A("TCA_FLOW_MODE", "u32", enum={0: "FLOW_MODE_MAP", 1: "FLOW_MODE_HASH"}),
    3: A("TCA_FLOW_BASECLASS", "u32", **CLASSID),
    4: A("TCA_FLOW_RSHIFT", "u32"),
    5: A("TCA_FLOW_ADDEND", "u32"),
    6: A("TCA_FLOW_MASK", "u32"),
    7: A("TCA_FLOW_XOR", "u32"),
    8: A("TCA_FLOW_DIVISOR", "u32"),
    9: actions("TCA_FLOW_ACT"),
    10: A("TCA_FLOW_POLICE", "nested", nested=POLICE),
    11: A("TCA_FLOW_EMATCHES", "nested", nested=EMATCH_TREE),
    12: A("TCA_FLOW_PERTURB", "u32"),
})
FILTER_OPTIONS: dict[str, AttrSet | FixedHeader] = {
    "u32": U32, "flower": FLOWER, "matchall": MATCHALL, "basic": BASIC, "bpf": BPF, "fw": FW,
    "route": ROUTE4, "flow": FLOW,
}
