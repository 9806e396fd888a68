"""NETLINK_RDMA (protocol 20), rdma/rdma_netlink.h (6.12): the message type is
client << 10 | op (RDMA_NL_GET_TYPE). Clients: IWCM (2, the iWARP port mapper talking
to iwpmd), LS (4, local services: path resolution with ibacm) and NLDEV (5, the device
interface of iproute2's `rdma`). NLDEV's attributes are one flat space
(enum rdma_nldev_attr) whose nested tables reuse it; LS attributes are LS_NLA_TYPE_*.
IWPM attribute numbers depend on the op and on the direction (IWPM_NLA_* enums of the
header; kinds from the kernel's nla_policy and ibnl_put_attr calls, iwpm_msg.c and
iwpm_util.c): the kernel's messages carry nlmsg_pid 0 (iwpm_create_nlmsg), iwpmd's its own.

Value names the UAPI header lacks (port states, QP types and states) are the kernel's
enums in include/rdma/ib_verbs.h, the values iproute2's rdma prints.
"""
from __future__ import annotations

import socket
import struct

import construct as cs

from nlscope.decode.model import Field, Message, find
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, walk_attrs
from nlscope.decode.registry import DecodeCtx, MessageType, Protocol

NETLINK_RDMA = 20
RDMA_NL_IWCM, RDMA_NL_LS, RDMA_NL_NLDEV = 2, 4, 5
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300


def rdma_type(client: int, op: int) -> int:
    return (client << 10) + op


NLDEV_COMMANDS = {
    1: "GET", 2: "SET", 3: "NEWLINK", 4: "DELLINK", 5: "PORT_GET", 6: "SYS_GET",
    7: "SYS_SET", 9: "RES_GET", 10: "RES_QP_GET", 11: "RES_CM_ID_GET", 12: "RES_CQ_GET",
    13: "RES_MR_GET", 14: "RES_PD_GET", 15: "GET_CHARDEV", 16: "STAT_SET", 17: "STAT_GET",
    18: "STAT_DEL", 19: "RES_QP_GET_RAW", 20: "RES_CQ_GET_RAW", 21: "RES_MR_GET_RAW",
    22: "RES_CTX_GET", 23: "RES_SRQ_GET", 24: "STAT_GET_STATUS", 25: "RES_SRQ_GET_RAW",
    26: "NEWDEV", 27: "DELDEV", 28: "MONITOR",
}
# The kind names the high flag bits: `rdma dev show` sends GET with NLM_F_DUMP.
NLDEV_KINDS = {"NEWLINK": "new", "NEWDEV": "new", "DELLINK": "del", "DELDEV": "del",
               "STAT_DEL": "del", "GET_CHARDEV": "get", "STAT_GET_STATUS": "get",
               "MONITOR": "other"}
IWPM_OPS = {0: "REG_PID", 1: "ADD_MAPPING", 2: "QUERY_MAPPING", 3: "REMOVE_MAPPING",
            4: "REMOTE_INFO", 5: "HANDLE_ERR", 6: "MAPINFO", 7: "MAPINFO_NUM", 8: "HELLO"}
LS_OPS = {0: "RESOLVE", 1: "SET_TIMEOUT", 2: "IP_RESOLVE"}

NODE_TYPES = {1: "IB_CA", 2: "IB_SWITCH", 3: "IB_ROUTER", 4: "RNIC", 5: "USNIC",
              6: "USNIC_UDP", 7: "UNSPECIFIED"}
PORT_STATES = {0: "NOP", 1: "DOWN", 2: "INIT", 3: "ARMED", 4: "ACTIVE", 5: "ACTIVE_DEFER"}
PHYS_STATES = {1: "SLEEP", 2: "POLLING", 3: "DISABLED", 4: "PORT_CONFIGURATION_TRAINING",
               5: "LINK_UP", 6: "LINK_ERROR_RECOVERY", 7: "PHY_TEST"}
QP_TYPES = {0: "SMI", 1: "GSI", 2: "RC", 3: "UC", 4: "UD", 5: "RAW_IPV6", 6: "RAW_ETHERTYPE",
            8: "RAW_PACKET", 9: "XRC_INI", 10: "XRC_TGT", 0xFF: "DRIVER"}
QP_STATES = {0: "RESET", 1: "INIT", 2: "RTR", 3: "RTS", 4: "SQD", 5: "SQE", 6: "ERR"}
PATH_MIG_STATES = {0: "MIGRATED", 1: "REARM", 2: "ARMED"}
PORT_SPACES = {0x0002: "IPOIB", 0x013F: "IB", 0x0106: "TCP", 0x0111: "UDP"}
PRINT_TYPES = {0: "UNSPEC", 1: "HEX"}
NETNS_MODES = {0: "exclusive", 1: "shared"}
COUNTER_MODES = {0: "NONE", 1: "AUTO", 2: "MANUAL"}
COUNTER_MASK = {1: "QP_TYPE", 2: "PID"}
DEV_TYPES = {1: "SMI"}
NAME_ASSIGN_TYPES = {0: "UNKNOWN", 1: "USER"}
EVENT_TYPES = {0: "REGISTER", 1: "UNREGISTER", 2: "NETDEV_ATTACH", 3: "NETDEV_DETACH"}


def _guid(v: int) -> str:
    """A GUID as rdma prints it: four 16-bit groups."""
    h = f"{v:016x}"
    return ":".join(h[i:i + 4] for i in range(0, 16, 4))


def _hex(v: int) -> str:
    return f"0x{v:x}"


_SA = {socket.AF_INET: (4, 4), socket.AF_INET6: (8, 16)}


def sockaddr_attr(name, buf, start, end, order, problems, path, siblings) -> Field:
    """An attribute holding a sockaddr_storage: family (host order), then sockaddr_in/in6
    ('ip:port'); other families as bytes. Also used by TIPC's UDP bearer options."""
    p = start + 4
    if end - p < 2:
        problems.append(f"{path}: sockaddr of {end - p} bytes")
        return Field(name, "bytes", bytes(buf[p:end]), start, end)
    fam = struct.unpack_from(order + "H", buf, p)[0]
    where = _SA.get(fam)
    if where is None or end - p < where[0] + where[1]:
        return Field(name, "bytes", bytes(buf[p:end]), start, end)
    port = struct.unpack_from(">H", buf, p + 2)[0]
    ip = socket.inet_ntop(fam, bytes(buf[p + where[0]:p + where[0] + where[1]]))
    text = f"{ip}:{port}" if fam == socket.AF_INET else f"[{ip}]:{port}"
    return Field(name, "addr", text, start, end)


sockaddr_attr.siblings = False  # reads only its own bytes


def _nldev_attrs() -> AttrSet:
    s = AttrSet("rdma_nldev_attr")
    u8, u32, u64, st, nest = "u8", "u32", "u64", "string", "nested"
    spec: dict[int, tuple] = {
        1: ("DEV_INDEX", u32), 2: ("DEV_NAME", st), 3: ("PORT_INDEX", u32),
        4: ("CAP_FLAGS", u64, {"fmt": _hex}), 5: ("FW_VERSION", st),
        6: ("NODE_GUID", u64, {"fmt": _guid}), 7: ("SYS_IMAGE_GUID", u64, {"fmt": _guid}),
        8: ("SUBNET_PREFIX", u64, {"fmt": _guid}), 9: ("LID", u32), 10: ("SM_LID", u32),
        11: ("LMC", u8), 12: ("PORT_STATE", u8, {"enum": PORT_STATES}),
        13: ("PORT_PHYS_STATE", u8, {"enum": PHYS_STATES}),
        14: ("DEV_NODE_TYPE", u8, {"enum": NODE_TYPES}), 15: ("RES_SUMMARY", nest),
        16: ("RES_SUMMARY_ENTRY", nest), 17: ("RES_SUMMARY_ENTRY_NAME", st),
        18: ("RES_SUMMARY_ENTRY_CURR", u64), 19: ("RES_QP", nest), 20: ("RES_QP_ENTRY", nest),
        21: ("RES_LQPN", u32), 22: ("RES_RQPN", u32), 23: ("RES_RQ_PSN", u32),
        24: ("RES_SQ_PSN", u32), 25: ("RES_PATH_MIG_STATE", u8, {"enum": PATH_MIG_STATES}),
        26: ("RES_TYPE", u8, {"enum": QP_TYPES}), 27: ("RES_STATE", u8, {"enum": QP_STATES}),
        28: ("RES_PID", u32), 29: ("RES_KERN_NAME", st), 30: ("RES_CM_ID", nest),
        31: ("RES_CM_ID_ENTRY", nest), 32: ("RES_PS", u32, {"enum": PORT_SPACES}),
        33: ("RES_SRC_ADDR", "custom", {"decode": sockaddr_attr}),
        34: ("RES_DST_ADDR", "custom", {"decode": sockaddr_attr}),
        35: ("RES_CQ", nest), 36: ("RES_CQ_ENTRY", nest), 37: ("RES_CQE", u32),
        38: ("RES_USECNT", u64), 39: ("RES_POLL_CTX", u8), 40: ("RES_MR", nest),
        41: ("RES_MR_ENTRY", nest), 42: ("RES_RKEY", u32, {"fmt": _hex}),
        43: ("RES_LKEY", u32, {"fmt": _hex}), 44: ("RES_IOVA", u64, {"fmt": _hex}),
        45: ("RES_MRLEN", u64), 46: ("RES_PD", nest), 47: ("RES_PD_ENTRY", nest),
        48: ("RES_LOCAL_DMA_LKEY", u32, {"fmt": _hex}),
        49: ("RES_UNSAFE_GLOBAL_RKEY", u32, {"fmt": _hex}), 50: ("NDEV_INDEX", u32),
        51: ("NDEV_NAME", st), 52: ("DRIVER", nest), 53: ("DRIVER_ENTRY", nest),
        54: ("DRIVER_STRING", st), 55: ("DRIVER_PRINT_TYPE", u8, {"enum": PRINT_TYPES}),
        56: ("DRIVER_S32", "s32"), 57: ("DRIVER_U32", u32), 58: ("DRIVER_S64", "s64"),
        59: ("DRIVER_U64", u64), 60: ("RES_PDN", u32), 61: ("RES_CQN", u32),
        62: ("RES_MRN", u32), 63: ("RES_CM_IDN", u32), 64: ("RES_CTXN", u32),
        65: ("LINK_TYPE", st), 66: ("SYS_NETNS_MODE", u8, {"enum": NETNS_MODES}),
        67: ("DEV_PROTOCOL", st), 68: ("NET_NS_FD", u32), 69: ("CHARDEV_TYPE", st),
        70: ("CHARDEV_NAME", st), 71: ("CHARDEV_ABI", u64), 72: ("CHARDEV", u64),
        73: ("UVERBS_DRIVER_ID", u64), 74: ("STAT_MODE", u32, {"enum": COUNTER_MODES}),
        75: ("STAT_RES", u32), 76: ("STAT_AUTO_MODE_MASK", u32, {"flags": COUNTER_MASK}),
        77: ("STAT_COUNTER", nest), 78: ("STAT_COUNTER_ENTRY", nest),
        79: ("STAT_COUNTER_ID", u32), 80: ("STAT_HWCOUNTERS", nest),
        81: ("STAT_HWCOUNTER_ENTRY", nest), 82: ("STAT_HWCOUNTER_ENTRY_NAME", st),
        83: ("STAT_HWCOUNTER_ENTRY_VALUE", u64), 84: ("DEV_DIM", u8), 85: ("RES_RAW", "binary"),
        86: ("RES_CTX", nest), 87: ("RES_CTX_ENTRY", nest), 88: ("RES_SRQ", nest),
        89: ("RES_SRQ_ENTRY", nest), 90: ("RES_SRQN", u32), 91: ("MIN_RANGE", u32),
        92: ("MAX_RANGE", u32), 93: ("SYS_COPY_ON_FORK", u8),
        94: ("STAT_HWCOUNTER_INDEX", u32), 95: ("STAT_HWCOUNTER_DYNAMIC", u8),
        96: ("SYS_PRIVILEGED_QKEY_MODE", u8), 97: ("DRIVER_DETAILS", u8),
        98: ("RES_SUBTYPE", st), 99: ("DEV_TYPE", u8, {"enum": DEV_TYPES}),
        100: ("PARENT_NAME", st), 101: ("NAME_ASSIGN_TYPE", u8, {"enum": NAME_ASSIGN_TYPES}),
        102: ("EVENT_TYPE", u8, {"enum": EVENT_TYPES}), 103: ("SYS_MONITOR_MODE", u8),
    }
    for t, (short, kind, *opt) in spec.items():
        # RDMA_NLDEV_SYS_ATTR_* and RDMA_NLDEV_NET_NS_FD keep their header names
        if short.startswith("SYS_"):
            name = "RDMA_NLDEV_SYS_ATTR_" + short[4:]
        elif short == "NET_NS_FD":
            name = "RDMA_NLDEV_NET_NS_FD"
        else:
            name = "RDMA_NLDEV_ATTR_" + short
        kw = dict(opt[0]) if opt else {}
        if kind == nest:
            kw["nested"] = s  # nested tables reuse the flat attribute space
        s.attrs[t] = Attr(name, kind, **kw)
    return s


NLDEV_ATTRS = _nldev_attrs()

LS_ATTRS = AttrSet("ls_nla_type", {
    1: Attr("LS_NLA_TYPE_PATH_RECORD", "binary"), 2: Attr("LS_NLA_TYPE_TIMEOUT", "u32"),
    3: Attr("LS_NLA_TYPE_SERVICE_ID", "u64", fmt=_hex), 4: Attr("LS_NLA_TYPE_DGID", "ipv6"),
    5: Attr("LS_NLA_TYPE_SGID", "ipv6"), 6: Attr("LS_NLA_TYPE_TCLASS", "u8"),
    7: Attr("LS_NLA_TYPE_PKEY", "u16", fmt=_hex), 8: Attr("LS_NLA_TYPE_QOS_CLASS", "u16"),
    9: Attr("LS_NLA_TYPE_IPV4", "ipv4"), 10: Attr("LS_NLA_TYPE_IPV6", "ipv6"),
})
LS_RESOLVE_HEADER = FixedHeader("rdma_ls_resolve_header", cs.Struct(
    "device_name" / cs.Bytes(64), "port_num" / cs.Int8un, "path_use" / cs.Int8un,
    cs.Padding(2),
), kinds={"device_name": "string"},
    enums={"path_use": {0: "ALL", 1: "UNIDIRECTIONAL", 2: "GMP"}})
LS_IP_RESOLVE_HEADER = FixedHeader("rdma_ls_ip_resolve_header", cs.Struct("ifindex" / cs.Int32un))


def _vals(fields: list[Field]) -> dict[str, Field]:
    """Top-level attributes by short name (DEV_NAME, SYS_NETNS_MODE, ...)."""
    for f in fields:
        if f.name == "attributes":
            return {c.name.replace("RDMA_NLDEV_ATTR_", "").replace("RDMA_NLDEV_SYS_ATTR_", "SYS_"): c
                    for c in f.children or () if c.name.startswith("RDMA_NLDEV_")}
    return {}


def _nldev_summary(tname: str, cmd: str):
    def summary(msg: Message, fields: list[Field]) -> str:
        a = _vals(fields)
        if not a and msg.flags & NLM_F_DUMP == NLM_F_DUMP and msg.flags & NLM_F_REQUEST:
            return f"{tname} dump"
        parts = [tname]
        idx, dev = a.get("DEV_INDEX"), a.get("DEV_NAME")
        port = a.get("PORT_INDEX")
        if dev is not None:
            label = f"{idx.value}: {dev.value}" if idx is not None else dev.value
            # in GET replies PORT_INDEX counts the ports; PORT_GET's reply is typed GET
            if port is not None and (cmd not in ("GET", "NEWLINK") or "PORT_STATE" in a):
                label += f"/{port.value}"
            parts.append(label)
        elif idx is not None:
            parts.append(f"dev {idx.value}")
        for key, word in (("LINK_TYPE", "type"), ("DEV_NODE_TYPE", "node_type"),
                          ("PORT_STATE", "state"), ("PORT_PHYS_STATE", "physical_state"),
                          ("NDEV_NAME", "netdev"), ("FW_VERSION", "fw"),
                          ("NODE_GUID", "node_guid"), ("EVENT_TYPE", "event"),
                          ("SYS_NETNS_MODE", "netns"), ("SYS_COPY_ON_FORK", "copy-on-fork")):
            f = a.get(key)
            if f is not None:
                parts.append(f"{word} {f.short()}")
        summ = find(fields, "RDMA_NLDEV_ATTR_RES_SUMMARY")
        if summ is not None:
            for e in summ.children or ():
                kv = {c.name: c.value for c in e.children or ()}
                n = kv.get("RDMA_NLDEV_ATTR_RES_SUMMARY_ENTRY_NAME")
                if n is not None:
                    parts.append(f"{n} {kv.get('RDMA_NLDEV_ATTR_RES_SUMMARY_ENTRY_CURR')}")
        return " ".join(str(p) for p in parts)
    return summary


def _iwpm(name: str, spec: dict[int, tuple[str, str]]) -> AttrSet:
    return AttrSet(name, {t: Attr(n, "custom", decode=sockaddr_attr) if k == "sockaddr" else Attr(n, k)
                          for t, (n, k) in spec.items()})


_SEQ = "u32"
# op -> (what the kernel sends to iwpmd, what iwpmd sends to the kernel)
_MANAGE = _iwpm("iwpm_manage_mapping", {1: ("IWPM_NLA_MANAGE_MAPPING_SEQ", _SEQ),
                                        2: ("IWPM_NLA_MANAGE_ADDR", "sockaddr"),
                                        3: ("IWPM_NLA_MANAGE_FLAGS", "u32")})
_RQUERY = _iwpm("iwpm_resp_query_mapping", {
    1: ("IWPM_NLA_RQUERY_MAPPING_SEQ", _SEQ), 2: ("IWPM_NLA_RQUERY_LOCAL_ADDR", "sockaddr"),
    3: ("IWPM_NLA_RQUERY_REMOTE_ADDR", "sockaddr"), 4: ("IWPM_NLA_RQUERY_MAPPED_LOC_ADDR", "sockaddr"),
    5: ("IWPM_NLA_RQUERY_MAPPED_REM_ADDR", "sockaddr"), 6: ("IWPM_NLA_RQUERY_MAPPING_ERR", "u16")})
_MAPINFO_NUM = _iwpm("iwpm_mapinfo_num", {1: ("IWPM_NLA_MAPINFO_SEQ", _SEQ),
                                          2: ("IWPM_NLA_MAPINFO_SEND_NUM", "u32"),
                                          3: ("IWPM_NLA_MAPINFO_ACK_NUM", "u32")})
_HELLO = _iwpm("iwpm_hello", {1: ("IWPM_NLA_HELLO_ABI_VERSION", "u16")})
IWPM_ATTRS: dict[int, tuple[AttrSet | None, AttrSet | None]] = {
    0: (_iwpm("iwpm_reg_pid", {1: ("IWPM_NLA_REG_PID_SEQ", _SEQ), 2: ("IWPM_NLA_REG_IF_NAME", "string"),
                               3: ("IWPM_NLA_REG_IBDEV_NAME", "string"), 4: ("IWPM_NLA_REG_ULIB_NAME", "string")}),
        _iwpm("iwpm_resp_reg_pid", {1: ("IWPM_NLA_RREG_PID_SEQ", _SEQ), 2: ("IWPM_NLA_RREG_IBDEV_NAME", "string"),
                                    3: ("IWPM_NLA_RREG_ULIB_NAME", "string"), 4: ("IWPM_NLA_RREG_ULIB_VER", "u16"),
                                    5: ("IWPM_NLA_RREG_PID_ERR", "u16")})),
    1: (_MANAGE, _iwpm("iwpm_resp_manage_mapping", {
        1: ("IWPM_NLA_RMANAGE_MAPPING_SEQ", _SEQ), 2: ("IWPM_NLA_RMANAGE_ADDR", "sockaddr"),
        3: ("IWPM_NLA_RMANAGE_MAPPED_LOC_ADDR", "sockaddr"), 4: ("IWPM_NLA_RMANAGE_MAPPING_ERR", "u16")})),
    2: (_iwpm("iwpm_query_mapping", {1: ("IWPM_NLA_QUERY_MAPPING_SEQ", _SEQ),
                                     2: ("IWPM_NLA_QUERY_LOCAL_ADDR", "sockaddr"),
                                     3: ("IWPM_NLA_QUERY_REMOTE_ADDR", "sockaddr"),
                                     4: ("IWPM_NLA_QUERY_FLAGS", "u32")}), _RQUERY),
    3: (_MANAGE, None),
    4: (None, _RQUERY),
    5: (None, _iwpm("iwpm_mapping_error", {1: ("IWPM_NLA_ERR_SEQ", _SEQ), 2: ("IWPM_NLA_ERR_CODE", "u16")})),
    6: (_iwpm("iwpm_mapinfo", {1: ("IWPM_NLA_MAPINFO_LOCAL_ADDR", "sockaddr"),
                               2: ("IWPM_NLA_MAPINFO_MAPPED_ADDR", "sockaddr"),
                               3: ("IWPM_NLA_MAPINFO_FLAGS", "u32")}),
        _iwpm("iwpm_mapinfo_req", {1: ("IWPM_NLA_MAPINFO_ULIB_NAME", "string"),
                                   2: ("IWPM_NLA_MAPINFO_ULIB_VER", "u16")})),
    7: (_MAPINFO_NUM, _MAPINFO_NUM),
    8: (_HELLO, _HELLO),
}


def _iwpm_decoder(op: int):
    """The attributes, by who sent them: the nlmsghdr's port id (the 4 bytes before the
    payload) is 0 on the kernel's messages."""
    kernel, daemon = IWPM_ATTRS[op]

    def decode(ctx: DecodeCtx) -> list[Field]:
        if ctx.end <= ctx.start:
            return []
        pid = struct.unpack_from(ctx.order + "I", ctx.buf, ctx.start - 4)[0] if ctx.start >= 4 else 0
        aset = (kernel or daemon) if pid == 0 else (daemon or kernel)
        kids = walk_attrs(ctx.buf, ctx.start, ctx.end, aset, ctx.order, ctx.problems)
        return [Field("attributes", "nest", None, ctx.start, ctx.end, children=kids)]
    return decode


def _plain_summary(tname: str):
    def summary(msg: Message, fields: list[Field]) -> str:
        if msg.flags & NLM_F_DUMP == NLM_F_DUMP and msg.flags & NLM_F_REQUEST:
            return f"{tname} dump"
        return tname
    return summary


def messages() -> dict[int, MessageType]:
    out: dict[int, MessageType] = {}
    for op, cmd in NLDEV_COMMANDS.items():
        tname = f"RDMA_NLDEV_CMD_{cmd}"
        kind = NLDEV_KINDS.get(cmd) or ("get" if cmd.endswith("GET") or "_GET_" in cmd else "other")
        if cmd.endswith("SET"):
            kind = "other"
        out[rdma_type(RDMA_NL_NLDEV, op)] = MessageType(
            tname, kind, attrs=NLDEV_ATTRS, summary=_nldev_summary(tname, cmd))
    for op, name in IWPM_OPS.items():
        tname = f"RDMA_NL_IWPM_{name}"
        out[rdma_type(RDMA_NL_IWCM, op)] = MessageType(tname, "other", decode=_iwpm_decoder(op),
                                                       summary=_plain_summary(tname))
    for op, name in LS_OPS.items():
        tname = f"RDMA_NL_LS_OP_{name}"
        hdr = {0: LS_RESOLVE_HEADER, 2: LS_IP_RESOLVE_HEADER}.get(op)
        out[rdma_type(RDMA_NL_LS, op)] = MessageType(tname, "other", header=hdr, attrs=LS_ATTRS,
                                                     summary=_plain_summary(tname))
    return out


def register(registry) -> None:
    registry.add(Protocol(NETLINK_RDMA, "rdma", messages()))
