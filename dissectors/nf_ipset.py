"""ipset (NFNL_SUBSYS_IPSET): set commands, set headers and elements, and ipset's own
error codes. Facts: linux/netfilter/ipset/ip_set.h (and ip_set_bitmap.h, _hash.h,
_list.h for the codes each set type numbers from IPSET_ERR_TYPE_SPECIFIC). ipset sends
its integers with NLA_F_NET_BYTEORDER set, which the attribute engine honours.
"""
from __future__ import annotations

from nlscope.decode.model import Field, find
from nlscope.decode.nla import Attr, AttrSet

from .nf_common import IPPROTO, NFPROTO, attrs_of, nf_message

IPSET_CMDS = {i: "IPSET_CMD_" + n for i, n in enumerate(
    ["NONE", "PROTOCOL", "CREATE", "DESTROY", "FLUSH", "RENAME", "SWAP", "LIST", "SAVE", "ADD", "DEL",
     "TEST", "HEADER", "TYPE", "GET_BYNAME", "GET_BYINDEX"]) if i}
CMD_FLAGS = {1 << 0: "IPSET_FLAG_EXIST", 1 << 1: "IPSET_FLAG_LIST_SETNAME", 1 << 2: "IPSET_FLAG_LIST_HEADER",
             1 << 3: "IPSET_FLAG_SKIP_COUNTER_UPDATE", 1 << 4: "IPSET_FLAG_SKIP_SUBCOUNTER_UPDATE",
             1 << 5: "IPSET_FLAG_MATCH_COUNTERS", 1 << 7: "IPSET_FLAG_RETURN_NOMATCH",
             1 << 8: "IPSET_FLAG_MAP_SKBMARK", 1 << 9: "IPSET_FLAG_MAP_SKBPRIO", 1 << 10: "IPSET_FLAG_MAP_SKBQUEUE"}
CADT_FLAGS = {1 << 0: "IPSET_FLAG_BEFORE", 1 << 1: "IPSET_FLAG_PHYSDEV", 1 << 2: "IPSET_FLAG_NOMATCH",
              1 << 3: "IPSET_FLAG_WITH_COUNTERS", 1 << 4: "IPSET_FLAG_WITH_COMMENT",
              1 << 5: "IPSET_FLAG_WITH_FORCEADD", 1 << 6: "IPSET_FLAG_WITH_SKBINFO",
              1 << 7: "IPSET_FLAG_IFACE_WILDCARD"}

IPADDR = AttrSet("ipset_ipaddr", {1: Attr("IPSET_ATTR_IPADDR_IPV4", "ipv4"),
                                  2: Attr("IPSET_ATTR_IPADDR_IPV6", "ipv6")})
L4 = {k: v for k, v in IPPROTO.items() if k < 256}
_CADT = {
    1: Attr("IPSET_ATTR_IP", "nested", nested=IPADDR),
    2: Attr("IPSET_ATTR_IP_TO", "nested", nested=IPADDR),
    3: Attr("IPSET_ATTR_CIDR", "u8"),
    4: Attr("IPSET_ATTR_PORT", "u16"),
    5: Attr("IPSET_ATTR_PORT_TO", "u16"),
    6: Attr("IPSET_ATTR_TIMEOUT", "u32"),
    7: Attr("IPSET_ATTR_PROTO", "u8", enum=L4),
    8: Attr("IPSET_ATTR_CADT_FLAGS", "u32", flags=CADT_FLAGS),
    9: Attr("IPSET_ATTR_CADT_LINENO", "u32"),
    10: Attr("IPSET_ATTR_MARK", "u32"),
    11: Attr("IPSET_ATTR_MARKMASK", "u32"),
    12: Attr("IPSET_ATTR_BITMASK", "nested", nested=IPADDR),
}
CREATE_DATA = AttrSet("ipset_create", {**_CADT, **{t: Attr(n, k) for t, (n, k) in {
    17: ("IPSET_ATTR_INITVAL", "u32"), 18: ("IPSET_ATTR_HASHSIZE", "u32"), 19: ("IPSET_ATTR_MAXELEM", "u32"),
    20: ("IPSET_ATTR_NETMASK", "u8"), 21: ("IPSET_ATTR_BUCKETSIZE", "u8"), 22: ("IPSET_ATTR_RESIZE", "u8"),
    23: ("IPSET_ATTR_SIZE", "u32"), 24: ("IPSET_ATTR_ELEMENTS", "u32"), 25: ("IPSET_ATTR_REFERENCES", "u32"),
    26: ("IPSET_ATTR_MEMSIZE", "u32")}.items()}})
ADT_DATA = AttrSet("ipset_adt", {**_CADT, **{
    17: Attr("IPSET_ATTR_ETHER", "mac"), 18: Attr("IPSET_ATTR_NAME", "string"),
    19: Attr("IPSET_ATTR_NAMEREF", "string"), 20: Attr("IPSET_ATTR_IP2", "nested", nested=IPADDR),
    21: Attr("IPSET_ATTR_CIDR2", "u8"), 22: Attr("IPSET_ATTR_IP2_TO", "nested", nested=IPADDR),
    23: Attr("IPSET_ATTR_IFACE", "string"), 24: Attr("IPSET_ATTR_BYTES", "u64"),
    25: Attr("IPSET_ATTR_PACKETS", "u64"), 26: Attr("IPSET_ATTR_COMMENT", "string"),
    27: Attr("IPSET_ATTR_SKBMARK", "u64"), 28: Attr("IPSET_ATTR_SKBPRIO", "u32"),
    29: Attr("IPSET_ATTR_SKBQUEUE", "u16"), 30: Attr("IPSET_ATTR_PAD", "binary")}})
ADT_LIST = AttrSet("ipset_adt_list", {7: Attr("IPSET_ATTR_DATA", "nested", nested=ADT_DATA)})


def _cmd_attrs(cmd: int) -> AttrSet:
    data = ADT_DATA if cmd in (9, 10, 11) else CREATE_DATA
    third = "IPSET_ATTR_SETNAME2" if cmd in (5, 6) else "IPSET_ATTR_TYPENAME"
    tenth = "IPSET_ATTR_REVISION_MIN" if cmd == 13 else "IPSET_ATTR_PROTOCOL_MIN"
    return AttrSet(f"ipset_cmd_{cmd}", {
        1: Attr("IPSET_ATTR_PROTOCOL", "u8"),
        2: Attr("IPSET_ATTR_SETNAME", "string"),
        3: Attr(third, "string"),
        4: Attr("IPSET_ATTR_REVISION", "u8"),
        5: Attr("IPSET_ATTR_FAMILY", "u8", enum=NFPROTO),
        6: Attr("IPSET_ATTR_FLAGS", "u32", flags=CMD_FLAGS),
        7: Attr("IPSET_ATTR_DATA", "nested", nested=data),
        8: Attr("IPSET_ATTR_ADT", "nested", nested=ADT_LIST),
        9: Attr("IPSET_ATTR_LINENO", "u32"),
        10: Attr(tenth, "u8"),
        11: Attr("IPSET_ATTR_INDEX", "u16"),
    })


def ipset_summary(msg, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    parts = [msg.type_name]
    for name in ("IPSET_ATTR_SETNAME", "IPSET_ATTR_TYPENAME", "IPSET_ATTR_SETNAME2"):
        f = find(attrs, name)
        if f is not None:
            parts.append(f.value)
    data = None
    for f in attrs:
        if f.name == "IPSET_ATTR_DATA":
            data = f
    if data is not None:
        ip = find(data.children or [], "IPSET_ATTR_IP")
        if ip is not None and ip.children:
            cidr = find(data.children or [], "IPSET_ATTR_CIDR")
            parts.append(ip.children[0].short() + (f"/{cidr.value}" if cidr is not None else ""))
    return " ".join(parts)


# enum ipset_errno: errors the kernel returns past the errno range (ip_set.h)
ERRNO = {4096 + i: "IPSET_ERR_" + n for i, n in enumerate(
    ["PRIVATE", "PROTOCOL", "FIND_TYPE", "MAX_SETS", "BUSY", "EXIST_SETNAME2", "TYPE_MISMATCH", "EXIST",
     "INVALID_CIDR", "INVALID_NETMASK", "INVALID_FAMILY", "TIMEOUT", "REFERENCED", "IPADDR_IPV4",
     "IPADDR_IPV6", "COUNTER", "COMMENT", "INVALID_MARKMASK", "SKBINFO"])}
ERR_TYPE_SPECIFIC = 4352
# each set type numbers its own from IPSET_ERR_TYPE_SPECIFIC: the same code, three meanings
TYPE_ERRNO = {
    "bitmap": ["BITMAP_RANGE", "BITMAP_RANGE_SIZE"],
    "hash": ["HASH_FULL", "HASH_ELEM", "INVALID_PROTO", "MISSING_PROTO", "HASH_RANGE_UNSUPPORTED",
             "HASH_RANGE"],
    "list": ["NAME", "LOOP", "BEFORE", "NAMEREF", "LIST_FULL", "REF_EXIST"],
}


def errno_name(err: int, settype: str | None = None) -> str | None:
    """An ipset error code (negative or not) by name; a type-specific one by the set
    type (hash:ip -> hash) when known, else every set type's name for it, a/b/c."""
    e = -err if err < 0 else err
    if e in ERRNO:
        return ERRNO[e]
    i = e - ERR_TYPE_SPECIFIC
    if i < 0:
        return None
    kinds = [settype.split(":", 1)[0]] if settype and settype.split(":", 1)[0] in TYPE_ERRNO else list(TYPE_ERRNO)
    names = ["IPSET_ERR_" + TYPE_ERRNO[k][i] for k in kinds if i < len(TYPE_ERRNO[k])]
    return "/".join(names) or None


def messages() -> dict[int, object]:
    out: dict[int, object] = {}
    for cmd, name in IPSET_CMDS.items():
        kind = {2: "new", 3: "del", 7: "get", 8: "get", 9: "new", 10: "del", 12: "get", 13: "get"}.get(cmd, "other")
        out[(6 << 8) | cmd] = nf_message(name, kind, _cmd_attrs(cmd), IPSET_CMDS, ipset_summary)
    return out
