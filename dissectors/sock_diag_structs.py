"""sock_diag layouts: the request and reply headers of each address family, their
attribute tables, and struct tcp_info (decoded up to the length the kernel sent).
Facts: linux/sock_diag.h, inet_diag.h, unix_diag.h, netlink_diag.h, packet_diag.h,
tipc_sockets_diag.h, tipc_netlink.h, vm_sockets_diag.h, vm_sockets.h, xdp_diag.h,
linux/tcp.h; TCP state numbers from include/net/tcp_states.h (netinet/tcp.h).
"""
from __future__ import annotations

import socket
import struct

import construct as cs

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, flag_names

from .nf_common import IPPROTO

AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET = 1, 2, 10, 16, 17
AF_TIPC, AF_VSOCK, AF_XDP = 30, 40, 44
FAMILIES = {AF_UNIX: "AF_UNIX", AF_INET: "AF_INET", AF_INET6: "AF_INET6", AF_NETLINK: "AF_NETLINK",
            AF_PACKET: "AF_PACKET", 30: "AF_TIPC", 40: "AF_VSOCK", 43: "AF_SMC", 44: "AF_XDP"}
FAMILY_WORD = {AF_UNIX: "unix", AF_INET: "inet", AF_INET6: "inet6", AF_NETLINK: "netlink",
               AF_PACKET: "packet", 30: "tipc", 40: "vsock", 43: "smc", 44: "xdp"}

TCP_STATES = {1: "TCP_ESTABLISHED", 2: "TCP_SYN_SENT", 3: "TCP_SYN_RECV", 4: "TCP_FIN_WAIT1",
              5: "TCP_FIN_WAIT2", 6: "TCP_TIME_WAIT", 7: "TCP_CLOSE", 8: "TCP_CLOSE_WAIT",
              9: "TCP_LAST_ACK", 10: "TCP_LISTEN", 11: "TCP_CLOSING", 12: "TCP_NEW_SYN_RECV",
              13: "TCP_BOUND_INACTIVE"}
TCPF_STATES = {1 << k: "TCPF_" + v[4:] for k, v in TCP_STATES.items()}
ALL_STATES = 0xFFE  # ESTABLISHED .. CLOSING: every classic state (ss "all")
SOCK_TYPES = {1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET",
              6: "SOCK_DCCP", 10: "SOCK_PACKET"}
TIMERS = {0: "none", 1: "on", 2: "keepalive", 3: "timewait", 4: "persist"}
IDIAG_EXT = {1 << (i - 1): n for i, n in enumerate(
    ["INET_DIAG_MEMINFO", "INET_DIAG_INFO", "INET_DIAG_VEGASINFO", "INET_DIAG_CONG", "INET_DIAG_TOS",
     "INET_DIAG_TCLASS", "INET_DIAG_SKMEMINFO", "INET_DIAG_SHUTDOWN"], 1)}
L4 = {k: "IPPROTO_" + v.upper() for k, v in IPPROTO.items() if k < 256}
SHUTDOWN = {1: "RCV_SHUTDOWN", 2: "SEND_SHUTDOWN"}
SK_MEMINFO = ["SK_MEMINFO_RMEM_ALLOC", "SK_MEMINFO_RCVBUF", "SK_MEMINFO_WMEM_ALLOC", "SK_MEMINFO_SNDBUF",
              "SK_MEMINFO_FWD_ALLOC", "SK_MEMINFO_WMEM_QUEUED", "SK_MEMINFO_OPTMEM", "SK_MEMINFO_BACKLOG",
              "SK_MEMINFO_DROPS"]


def _sockid(v6: bool) -> list:
    """inet_diag_sockid: addresses as IPv4 (first 4 bytes) or IPv6 by family."""
    if v6:
        addrs = ["idiag_src" / cs.Bytes(16), "idiag_dst" / cs.Bytes(16)]
    else:
        addrs = ["idiag_src" / cs.Bytes(4), cs.Padding(12), "idiag_dst" / cs.Bytes(4), cs.Padding(12)]
    return ["idiag_sport" / cs.Int16ub, "idiag_dport" / cs.Int16ub, *addrs,
            "idiag_if" / cs.Int32un, "idiag_cookie" / cs.Int64un]


_ADDR = {"idiag_src": "ipaddr", "idiag_dst": "ipaddr"}


def cookie_text(v: int) -> str:
    return "none" if v == 0xFFFFFFFFFFFFFFFF else f"0x{v:x}"


def inet_req_v2(v6: bool) -> FixedHeader:
    return FixedHeader("inet_diag_req_v2", cs.Struct(
        "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un, "idiag_ext" / cs.Int8un,
        "pad" / cs.Int8un, "idiag_states" / cs.Int32un, *_sockid(v6)),
        enums={"sdiag_family": FAMILIES, "sdiag_protocol": L4}, kinds=_ADDR,
        flags={"idiag_ext": IDIAG_EXT, "idiag_states": TCPF_STATES}, fmts={"idiag_cookie": cookie_text})


def inet_req_v1(v6: bool) -> FixedHeader:
    return FixedHeader("inet_diag_req", cs.Struct(
        "idiag_family" / cs.Int8un, "idiag_src_len" / cs.Int8un, "idiag_dst_len" / cs.Int8un,
        "idiag_ext" / cs.Int8un, *_sockid(v6), "idiag_states" / cs.Int32un, "idiag_dbs" / cs.Int32un),
        enums={"idiag_family": FAMILIES}, kinds=_ADDR,
        flags={"idiag_ext": IDIAG_EXT, "idiag_states": TCPF_STATES}, fmts={"idiag_cookie": cookie_text})


def inet_msg(v6: bool) -> FixedHeader:
    return FixedHeader("inet_diag_msg", cs.Struct(
        "idiag_family" / cs.Int8un, "idiag_state" / cs.Int8un, "idiag_timer" / cs.Int8un,
        "idiag_retrans" / cs.Int8un, *_sockid(v6), "idiag_expires" / cs.Int32un,
        "idiag_rqueue" / cs.Int32un, "idiag_wqueue" / cs.Int32un, "idiag_uid" / cs.Int32un,
        "idiag_inode" / cs.Int32un),
        enums={"idiag_family": FAMILIES, "idiag_state": TCP_STATES, "idiag_timer": TIMERS}, kinds=_ADDR,
        fmts={"idiag_cookie": cookie_text})


UNIX_SHOW = {0x1: "UDIAG_SHOW_NAME", 0x2: "UDIAG_SHOW_VFS", 0x4: "UDIAG_SHOW_PEER", 0x8: "UDIAG_SHOW_ICONS",
             0x10: "UDIAG_SHOW_RQLEN", 0x20: "UDIAG_SHOW_MEMINFO", 0x40: "UDIAG_SHOW_UID"}
UNIX_REQ = FixedHeader("unix_diag_req", cs.Struct(
    "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un, "pad" / cs.Int16un,
    "udiag_states" / cs.Int32un, "udiag_ino" / cs.Int32un, "udiag_show" / cs.Int32un,
    "udiag_cookie" / cs.Int64un),
    enums={"sdiag_family": FAMILIES}, flags={"udiag_states": TCPF_STATES, "udiag_show": UNIX_SHOW},
    fmts={"udiag_cookie": cookie_text})
UNIX_MSG = FixedHeader("unix_diag_msg", cs.Struct(
    "udiag_family" / cs.Int8un, "udiag_type" / cs.Int8un, "udiag_state" / cs.Int8un, "pad" / cs.Int8un,
    "udiag_ino" / cs.Int32un, "udiag_cookie" / cs.Int64un),
    enums={"udiag_family": FAMILIES, "udiag_type": SOCK_TYPES, "udiag_state": TCP_STATES},
    fmts={"udiag_cookie": cookie_text})

NETLINK_SHOW = {0x1: "NDIAG_SHOW_MEMINFO", 0x2: "NDIAG_SHOW_GROUPS", 0x4: "NDIAG_SHOW_RING_CFG",
                0x8: "NDIAG_SHOW_FLAGS"}
NETLINK_FLAGS = {0x1: "NDIAG_FLAG_CB_RUNNING", 0x2: "NDIAG_FLAG_PKTINFO", 0x4: "NDIAG_FLAG_BROADCAST_ERROR",
                 0x8: "NDIAG_FLAG_NO_ENOBUFS", 0x10: "NDIAG_FLAG_LISTEN_ALL_NSID", 0x20: "NDIAG_FLAG_CAP_ACK"}
# linux/netlink.h NETLINK_* protocol numbers
NETLINK_PROTOS = {0: "NETLINK_ROUTE", 1: "NETLINK_UNUSED", 2: "NETLINK_USERSOCK", 3: "NETLINK_FIREWALL",
                  4: "NETLINK_SOCK_DIAG", 5: "NETLINK_NFLOG", 6: "NETLINK_XFRM", 7: "NETLINK_SELINUX",
                  8: "NETLINK_ISCSI", 9: "NETLINK_AUDIT", 10: "NETLINK_FIB_LOOKUP", 11: "NETLINK_CONNECTOR",
                  12: "NETLINK_NETFILTER", 13: "NETLINK_IP6_FW", 14: "NETLINK_DNRTMSG",
                  15: "NETLINK_KOBJECT_UEVENT", 16: "NETLINK_GENERIC", 18: "NETLINK_SCSITRANSPORT",
                  19: "NETLINK_ECRYPTFS", 20: "NETLINK_RDMA", 21: "NETLINK_CRYPTO", 22: "NETLINK_SMC",
                  255: "NDIAG_PROTO_ALL"}
NETLINK_REQ = FixedHeader("netlink_diag_req", cs.Struct(
    "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un, "pad" / cs.Int16un,
    "ndiag_ino" / cs.Int32un, "ndiag_show" / cs.Int32un, "ndiag_cookie" / cs.Int64un),
    enums={"sdiag_family": FAMILIES, "sdiag_protocol": NETLINK_PROTOS}, flags={"ndiag_show": NETLINK_SHOW},
    fmts={"ndiag_cookie": cookie_text})
NETLINK_MSG = FixedHeader("netlink_diag_msg", cs.Struct(
    "ndiag_family" / cs.Int8un, "ndiag_type" / cs.Int8un, "ndiag_protocol" / cs.Int8un,
    "ndiag_state" / cs.Int8un, "ndiag_portid" / cs.Int32un, "ndiag_dst_portid" / cs.Int32un,
    "ndiag_dst_group" / cs.Int32un, "ndiag_ino" / cs.Int32un, "ndiag_cookie" / cs.Int64un),
    enums={"ndiag_family": FAMILIES, "ndiag_type": SOCK_TYPES, "ndiag_protocol": NETLINK_PROTOS,
           # a socket never connected keeps sock_init_data's TCP_CLOSE (ss: UNCONN)
           "ndiag_state": {0: "NETLINK_UNCONNECTED", 1: "NETLINK_CONNECTED", 7: "TCP_CLOSE"}},
    fmts={"ndiag_cookie": cookie_text})

PACKET_SHOW = {0x1: "PACKET_SHOW_INFO", 0x2: "PACKET_SHOW_MCLIST", 0x4: "PACKET_SHOW_RING_CFG",
               0x8: "PACKET_SHOW_FANOUT", 0x10: "PACKET_SHOW_MEMINFO", 0x20: "PACKET_SHOW_FILTER"}
PACKET_REQ = FixedHeader("packet_diag_req", cs.Struct(
    "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un, "pad" / cs.Int16un,
    "pdiag_ino" / cs.Int32un, "pdiag_show" / cs.Int32un, "pdiag_cookie" / cs.Int64un),
    enums={"sdiag_family": FAMILIES}, flags={"pdiag_show": PACKET_SHOW}, fmts={"pdiag_cookie": cookie_text})
PACKET_MSG = FixedHeader("packet_diag_msg", cs.Struct(
    "pdiag_family" / cs.Int8un, "pdiag_type" / cs.Int8un, "pdiag_num" / cs.Int16un,
    "pdiag_ino" / cs.Int32un, "pdiag_cookie" / cs.Int64un),
    enums={"pdiag_family": FAMILIES, "pdiag_type": SOCK_TYPES},
    fmts={"pdiag_num": lambda v: f"0x{v:04x}", "pdiag_cookie": cookie_text})
SOCK_DIAG_REQ = FixedHeader("sock_diag_req", cs.Struct(
    "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un), enums={"sdiag_family": FAMILIES})


def _u32s(name: str, fields: list[str], **kw) -> FixedHeader:
    return FixedHeader(name, cs.Struct(*[f / cs.Int32un for f in fields]), **kw)


MEMINFO = _u32s("inet_diag_meminfo", ["idiag_rmem", "idiag_wmem", "idiag_fmem", "idiag_tmem"])
VEGAS = _u32s("tcpvegas_info", ["tcpv_enabled", "tcpv_rttcnt", "tcpv_rtt", "tcpv_minrtt"])
BBR = _u32s("tcp_bbr_info", ["bbr_bw_lo", "bbr_bw_hi", "bbr_min_rtt", "bbr_pacing_gain", "bbr_cwnd_gain"])
DCTCP = FixedHeader("tcp_dctcp_info", cs.Struct(
    "dctcp_enabled" / cs.Int16un, "dctcp_ce_state" / cs.Int16un, "dctcp_alpha" / cs.Int32un,
    "dctcp_ab_ecn" / cs.Int32un, "dctcp_ab_tot" / cs.Int32un))
SOCKOPT = FixedHeader("inet_diag_sockopt", cs.Struct("flags1" / cs.Int8un, "flags2" / cs.Int8un), flags={
    "flags1": {1: "recverr", 2: "is_icsk", 4: "freebind", 8: "hdrincl", 16: "mc_loop", 32: "transparent",
               64: "mc_all", 128: "nodefrag"},
    "flags2": {1: "bind_address_no_port", 2: "recverr_rfc4884", 4: "defer_connect"}})

IPPROTO_MPTCP, IPPROTO_SCTP = 262, 132  # linux/in.h
# enum sctp_state (include/net/sctp/constants.h): an association's idiag_state and sctpi_state
SCTP_STATES = {i: "SCTP_STATE_" + n for i, n in enumerate([
    "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_PENDING", "SHUTDOWN_SENT",
    "SHUTDOWN_RECEIVED", "SHUTDOWN_ACK_SENT"])}


def _sockaddr_text(buf: bytes, p: int, order: str) -> str | None:
    """A sockaddr_in/in6 at buf[p:] as 'ip:port' ('[ip]:port'); None for other families."""
    fam = struct.unpack_from(order + "H", buf, p)[0]
    port = struct.unpack_from(">H", buf, p + 2)[0]
    if fam == 2:
        return f"{socket.inet_ntop(socket.AF_INET, bytes(buf[p + 4:p + 8]))}:{port}"
    if fam == 10:
        return f"[{socket.inet_ntop(socket.AF_INET6, bytes(buf[p + 8:p + 24]))}]:{port}"
    return None


SOCKADDR_STORAGE = 128


def _sockaddr_list(name, buf, start, end, order, problems, path, siblings) -> Field:
    """SCTP's INET_DIAG_LOCALS / INET_DIAG_PEERS: addresses in sockaddr_storage slots
    (sctp/diag.c: addrlen = sizeof(struct sockaddr_storage), each zero-filled past its
    sockaddr), one Field per slot."""
    p, kids = start + 4, []
    if (end - p) % SOCKADDR_STORAGE:
        problems.append(f"{path}: {end - p} bytes is not a whole number of sockaddr_storage")
        return Field(name, "bytes", bytes(buf[p:end]), start, end)
    for i, q in enumerate(range(p, end, SOCKADDR_STORAGE)):
        text = _sockaddr_text(buf, q, order)
        kids.append(Field(str(i), "addr", text, q, q + SOCKADDR_STORAGE) if text is not None else
                    Field(str(i), "bytes", bytes(buf[q:q + SOCKADDR_STORAGE]), q, q + SOCKADDR_STORAGE))
    return Field(name, "list", None, start, end, children=kids)


_sockaddr_list.siblings = False

# INET_ULP_INFO_MPTCP (linux/mptcp.h; kinds from net/mptcp/diag.c's nla_put_* calls)
MPTCP_SUBFLOW_FLAGS = {1 << i: "MPTCP_SUBFLOW_FLAG_" + n for i, n in enumerate([
    "MCAP_REM", "MCAP_LOC", "JOIN_REM", "JOIN_LOC", "BKUP_REM", "BKUP_LOC", "FULLY_ESTABLISHED",
    "CONNECTED", "MAPVALID"])}
MPTCP_SUBFLOW_ATTRS = AttrSet("mptcp_subflow_attrs", {
    1: Attr("MPTCP_SUBFLOW_ATTR_TOKEN_REM", "u32"), 2: Attr("MPTCP_SUBFLOW_ATTR_TOKEN_LOC", "u32"),
    3: Attr("MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ", "u32"), 4: Attr("MPTCP_SUBFLOW_ATTR_MAP_SEQ", "u64"),
    5: Attr("MPTCP_SUBFLOW_ATTR_MAP_SFSEQ", "u32"), 6: Attr("MPTCP_SUBFLOW_ATTR_SSN_OFFSET", "u32"),
    7: Attr("MPTCP_SUBFLOW_ATTR_MAP_DATALEN", "u16"),
    8: Attr("MPTCP_SUBFLOW_ATTR_FLAGS", "u32", flags=MPTCP_SUBFLOW_FLAGS),
    9: Attr("MPTCP_SUBFLOW_ATTR_ID_REM", "u8"), 10: Attr("MPTCP_SUBFLOW_ATTR_ID_LOC", "u8"),
    11: Attr("MPTCP_SUBFLOW_ATTR_PAD", "binary")})

INET_ATTRS = AttrSet("inet_diag", {
    1: Attr("INET_DIAG_MEMINFO", "struct", struct=MEMINFO),
    2: Attr("INET_DIAG_INFO", "binary"),  # struct tcp_info: decoded by tcp_info_fields()
    3: Attr("INET_DIAG_VEGASINFO", "struct", struct=VEGAS),
    4: Attr("INET_DIAG_CONG", "string"),
    5: Attr("INET_DIAG_TOS", "u8"),
    6: Attr("INET_DIAG_TCLASS", "u8"),
    7: Attr("INET_DIAG_SKMEMINFO", "u32-array"),
    8: Attr("INET_DIAG_SHUTDOWN", "u8", flags=SHUTDOWN),
    9: Attr("INET_DIAG_DCTCPINFO", "struct", struct=DCTCP),
    10: Attr("INET_DIAG_PROTOCOL", "u8", enum=L4),
    11: Attr("INET_DIAG_SKV6ONLY", "u8"),
    12: Attr("INET_DIAG_LOCALS", "custom", decode=_sockaddr_list),
    13: Attr("INET_DIAG_PEERS", "custom", decode=_sockaddr_list),
    14: Attr("INET_DIAG_PAD", "binary"),
    15: Attr("INET_DIAG_MARK", "u32"),
    16: Attr("INET_DIAG_BBRINFO", "struct", struct=BBR),
    17: Attr("INET_DIAG_CLASS_ID", "u32"),
    18: Attr("INET_DIAG_MD5SIG", "binary"),
    19: Attr("INET_DIAG_ULP_INFO", "nested", nested=AttrSet("inet_ulp_info", {
        1: Attr("INET_ULP_INFO_NAME", "string"), 2: Attr("INET_ULP_INFO_TLS", "binary"),
        3: Attr("INET_ULP_INFO_MPTCP", "nested", nested=MPTCP_SUBFLOW_ATTRS)})),
    20: Attr("INET_DIAG_SK_BPF_STORAGES", "binary"),
    21: Attr("INET_DIAG_CGROUP_ID", "u64"),
    22: Attr("INET_DIAG_SOCKOPT", "struct", struct=SOCKOPT),
})
INET_REQ_ATTRS = AttrSet("inet_diag_req", {
    1: Attr("INET_DIAG_REQ_BYTECODE", "binary"),
    2: Attr("INET_DIAG_REQ_SK_BPF_STORAGES", "binary"),
    3: Attr("INET_DIAG_REQ_PROTOCOL", "u32", enum={**L4, 262: "IPPROTO_MPTCP"}),  # linux/in.h
})
UNIX_ATTRS = AttrSet("unix_diag", {
    0: Attr("UNIX_DIAG_NAME", "binary"),  # shown as a path, '@' for abstract names
    1: Attr("UNIX_DIAG_VFS", "struct", struct=_u32s("unix_diag_vfs", ["udiag_vfs_ino", "udiag_vfs_dev"])),
    2: Attr("UNIX_DIAG_PEER", "u32"),
    3: Attr("UNIX_DIAG_ICONS", "u32-array"),
    4: Attr("UNIX_DIAG_RQLEN", "struct", struct=_u32s("unix_diag_rqlen", ["udiag_rqueue", "udiag_wqueue"])),
    5: Attr("UNIX_DIAG_MEMINFO", "u32-array"),
    6: Attr("UNIX_DIAG_SHUTDOWN", "u8", flags=SHUTDOWN),
    7: Attr("UNIX_DIAG_UID", "u32"),
})
NETLINK_RING = _u32s("netlink_diag_ring", ["ndr_block_size", "ndr_block_nr", "ndr_frame_size", "ndr_frame_nr"])
NETLINK_ATTRS = AttrSet("netlink_diag", {
    0: Attr("NETLINK_DIAG_MEMINFO", "u32-array"),
    1: Attr("NETLINK_DIAG_GROUPS", "binary"),
    2: Attr("NETLINK_DIAG_RX_RING", "struct", struct=NETLINK_RING),
    3: Attr("NETLINK_DIAG_TX_RING", "struct", struct=NETLINK_RING),
    4: Attr("NETLINK_DIAG_FLAGS", "u32", flags=NETLINK_FLAGS),
})
PACKET_RING = _u32s("packet_diag_ring", ["pdr_block_size", "pdr_block_nr", "pdr_frame_size", "pdr_frame_nr",
                                         "pdr_retire_tmo", "pdr_sizeof_priv", "pdr_features"])
PACKET_ATTRS = AttrSet("packet_diag", {
    0: Attr("PACKET_DIAG_INFO", "struct", struct=_u32s(
        "packet_diag_info", ["pdi_index", "pdi_version", "pdi_reserve", "pdi_copy_thresh", "pdi_tstamp",
                             "pdi_flags"],
        flags={"pdi_flags": {1: "PDI_RUNNING", 2: "PDI_AUXDATA", 4: "PDI_ORIGDEV", 8: "PDI_VNETHDR",
                             16: "PDI_LOSS"}})),
    1: Attr("PACKET_DIAG_MCLIST", "binary"),
    2: Attr("PACKET_DIAG_RX_RING", "struct", struct=PACKET_RING),
    3: Attr("PACKET_DIAG_TX_RING", "struct", struct=PACKET_RING),
    4: Attr("PACKET_DIAG_FANOUT", "u32"),
    5: Attr("PACKET_DIAG_UID", "u32"),
    6: Attr("PACKET_DIAG_MEMINFO", "u32-array"),
    7: Attr("PACKET_DIAG_FILTER", "binary"),
})
EMPTY = AttrSet("sock_diag_req", {})

# -- AF_TIPC: the request is a struct; the reply has no struct, only a TIPC_NLA_SOCK nest
# (net/tipc/socket.c tipc_sk_fill_sock_diag: host-order u32s, a u64 cookie, flags) -------
TIPC_REQ = FixedHeader("tipc_sock_diag_req", cs.Struct(
    "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un, "pad" / cs.Int16un,
    "tidiag_states" / cs.Int32un),
    enums={"sdiag_family": FAMILIES}, flags={"tidiag_states": TCPF_STATES})
TIPC_NLA_SOCK = 2  # enum tipc_nl_attr: UNSPEC, BEARER, SOCK
TIPC_ATTRS = AttrSet("tipc_sock_diag", {
    TIPC_NLA_SOCK: Attr("TIPC_NLA_SOCK", "nested", nested=AttrSet("tipc_nla_sock", {
        1: Attr("TIPC_NLA_SOCK_ADDR", "u32"),
        2: Attr("TIPC_NLA_SOCK_REF", "u32"),
        3: Attr("TIPC_NLA_SOCK_CON", "nested", nested=AttrSet("tipc_nla_con", {
            1: Attr("TIPC_NLA_CON_FLAG", "flag"), 2: Attr("TIPC_NLA_CON_NODE", "u32"),
            3: Attr("TIPC_NLA_CON_SOCK", "u32"), 4: Attr("TIPC_NLA_CON_TYPE", "u32"),
            5: Attr("TIPC_NLA_CON_INST", "u32")})),
        4: Attr("TIPC_NLA_SOCK_HAS_PUBL", "flag"),
        # this enum has no UNSPEC: RCVQ is 0
        5: Attr("TIPC_NLA_SOCK_STAT", "nested", nested=AttrSet("tipc_nla_sock_stat", {
            0: Attr("TIPC_NLA_SOCK_STAT_RCVQ", "u32"), 1: Attr("TIPC_NLA_SOCK_STAT_SENDQ", "u32"),
            2: Attr("TIPC_NLA_SOCK_STAT_LINK_CONG", "flag"), 3: Attr("TIPC_NLA_SOCK_STAT_CONN_CONG", "flag"),
            4: Attr("TIPC_NLA_SOCK_STAT_DROP", "u32")})),
        6: Attr("TIPC_NLA_SOCK_TYPE", "u32", enum=SOCK_TYPES),
        7: Attr("TIPC_NLA_SOCK_INO", "u32"),
        8: Attr("TIPC_NLA_SOCK_UID", "u32"),
        # sk_state: TIPC_OPEN = TCP_CLOSE, TIPC_LISTEN = TCP_LISTEN, ... (net/tipc/socket.c)
        9: Attr("TIPC_NLA_SOCK_TIPC_STATE", "u32", enum=TCP_STATES),
        10: Attr("TIPC_NLA_SOCK_COOKIE", "u64"),
        11: Attr("TIPC_NLA_SOCK_PAD", "binary"),
        12: Attr("TIPC_NLA_SOCK_GROUP", "nested", nested=AttrSet("tipc_nla_sock_group", {  # from 0 too
            0: Attr("TIPC_NLA_SOCK_GROUP_ID", "u32"), 1: Attr("TIPC_NLA_SOCK_GROUP_OPEN", "flag"),
            2: Attr("TIPC_NLA_SOCK_GROUP_NODE_SCOPE", "flag"),
            3: Attr("TIPC_NLA_SOCK_GROUP_CLUSTER_SCOPE", "flag"),
            4: Attr("TIPC_NLA_SOCK_GROUP_INSTANCE", "u32"),
            5: Attr("TIPC_NLA_SOCK_GROUP_BC_SEND_NEXT", "u32")})),
    })),
})

# -- AF_VSOCK: structs only, no attributes (net/vmw_vsock/diag.c) -------------------------
VMADDR_CID = {0: "VMADDR_CID_HYPERVISOR", 1: "VMADDR_CID_LOCAL", 2: "VMADDR_CID_HOST",
              0xFFFFFFFF: "VMADDR_CID_ANY"}
VMADDR_PORT = {0xFFFFFFFF: "VMADDR_PORT_ANY"}
VSOCK_REQ = FixedHeader("vsock_diag_req", cs.Struct(
    "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un, "pad" / cs.Int16un,
    "vdiag_states" / cs.Int32un, "vdiag_ino" / cs.Int32un, "vdiag_show" / cs.Int32un,
    "vdiag_cookie" / cs.Int64un),
    enums={"sdiag_family": FAMILIES}, flags={"vdiag_states": TCPF_STATES}, fmts={"vdiag_cookie": cookie_text})
VSOCK_MSG = FixedHeader("vsock_diag_msg", cs.Struct(
    "vdiag_family" / cs.Int8un, "vdiag_type" / cs.Int8un, "vdiag_state" / cs.Int8un,
    "vdiag_shutdown" / cs.Int8un, "vdiag_src_cid" / cs.Int32un, "vdiag_src_port" / cs.Int32un,
    "vdiag_dst_cid" / cs.Int32un, "vdiag_dst_port" / cs.Int32un, "vdiag_ino" / cs.Int32un,
    "vdiag_cookie" / cs.Int64un),
    enums={"vdiag_family": FAMILIES, "vdiag_type": SOCK_TYPES, "vdiag_state": TCP_STATES,
           "vdiag_src_cid": VMADDR_CID, "vdiag_dst_cid": VMADDR_CID, "vdiag_src_port": VMADDR_PORT,
           "vdiag_dst_port": VMADDR_PORT},
    flags={"vdiag_shutdown": SHUTDOWN}, fmts={"vdiag_cookie": cookie_text})

# -- AF_XDP (net/xdp/xsk_diag.c): attributes only for a bound socket, by xdiag_show -------
XDP_SHOW = {0x1: "XDP_SHOW_INFO", 0x2: "XDP_SHOW_RING_CFG", 0x4: "XDP_SHOW_UMEM", 0x8: "XDP_SHOW_MEMINFO",
            0x10: "XDP_SHOW_STATS"}
XDP_REQ = FixedHeader("xdp_diag_req", cs.Struct(
    "sdiag_family" / cs.Int8un, "sdiag_protocol" / cs.Int8un, "pad" / cs.Int16un,
    "xdiag_ino" / cs.Int32un, "xdiag_show" / cs.Int32un, "xdiag_cookie" / cs.Int64un),
    enums={"sdiag_family": FAMILIES}, flags={"xdiag_show": XDP_SHOW}, fmts={"xdiag_cookie": cookie_text})
XDP_MSG = FixedHeader("xdp_diag_msg", cs.Struct(
    "xdiag_family" / cs.Int8un, "xdiag_type" / cs.Int8un, "pad" / cs.Int16un,
    "xdiag_ino" / cs.Int32un, "xdiag_cookie" / cs.Int64un),
    enums={"xdiag_family": FAMILIES, "xdiag_type": SOCK_TYPES}, fmts={"xdiag_cookie": cookie_text})
XDP_RING = _u32s("xdp_diag_ring", ["entries"])
XDP_ATTRS = AttrSet("xdp_diag", {
    1: Attr("XDP_DIAG_INFO", "struct", struct=_u32s("xdp_diag_info", ["ifindex", "queue_id"])),
    2: Attr("XDP_DIAG_UID", "u32"),
    3: Attr("XDP_DIAG_RX_RING", "struct", struct=XDP_RING),
    4: Attr("XDP_DIAG_TX_RING", "struct", struct=XDP_RING),
    5: Attr("XDP_DIAG_UMEM", "struct", struct=FixedHeader("xdp_diag_umem", cs.Struct(
        "size" / cs.Int64un, "id" / cs.Int32un, "num_pages" / cs.Int32un, "chunk_size" / cs.Int32un,
        "headroom" / cs.Int32un, "ifindex" / cs.Int32un, "queue_id" / cs.Int32un, "flags" / cs.Int32un,
        "refs" / cs.Int32un), flags={"flags": {1: "XDP_DU_F_ZEROCOPY"}})),
    6: Attr("XDP_DIAG_UMEM_FILL_RING", "struct", struct=XDP_RING),
    7: Attr("XDP_DIAG_UMEM_COMPLETION_RING", "struct", struct=XDP_RING),
    8: Attr("XDP_DIAG_MEMINFO", "u32-array"),
    9: Attr("XDP_DIAG_STATS", "struct", struct=FixedHeader("xdp_diag_stats", cs.Struct(
        "n_rx_dropped" / cs.Int64un, "n_rx_invalid" / cs.Int64un, "n_rx_full" / cs.Int64un,
        "n_fill_ring_empty" / cs.Int64un, "n_tx_invalid" / cs.Int64un, "n_tx_ring_empty" / cs.Int64un))),
})

# -- struct tcp_info (linux/tcp.h), in order; decoded as far as the attribute goes ------
CA_STATES = {0: "TCP_CA_Open", 1: "TCP_CA_Disorder", 2: "TCP_CA_CWR", 3: "TCP_CA_Recovery", 4: "TCP_CA_Loss"}
TCPI_OPTS = {1: "TCPI_OPT_TIMESTAMPS", 2: "TCPI_OPT_SACK", 4: "TCPI_OPT_WSCALE", 8: "TCPI_OPT_ECN",
             16: "TCPI_OPT_ECN_SEEN", 32: "TCPI_OPT_SYN_DATA", 64: "TCPI_OPT_USEC_TS"}
_U32 = ["rto", "ato", "snd_mss", "rcv_mss", "unacked", "sacked", "lost", "retrans", "fackets",
        "last_data_sent", "last_ack_sent", "last_data_recv", "last_ack_recv", "pmtu", "rcv_ssthresh",
        "rtt", "rttvar", "snd_ssthresh", "snd_cwnd", "advmss", "reordering", "rcv_rtt", "rcv_space",
        "total_retrans"]
TCP_INFO_LAYOUT: list[tuple[str, str]] = (
    [("tcpi_" + n, "I") for n in _U32]
    + [("tcpi_" + n, "Q") for n in ["pacing_rate", "max_pacing_rate", "bytes_acked", "bytes_received"]]
    + [("tcpi_" + n, "I") for n in ["segs_out", "segs_in", "notsent_bytes", "min_rtt", "data_segs_in",
                                    "data_segs_out"]]
    + [("tcpi_" + n, "Q") for n in ["delivery_rate", "busy_time", "rwnd_limited", "sndbuf_limited"]]
    + [("tcpi_delivered", "I"), ("tcpi_delivered_ce", "I"), ("tcpi_bytes_sent", "Q"),
       ("tcpi_bytes_retrans", "Q")]
    + [("tcpi_" + n, "I") for n in ["dsack_dups", "reord_seen", "rcv_ooopack", "snd_wnd", "rcv_wnd",
                                    "rehash"]]
    + [("tcpi_total_rto", "H"), ("tcpi_total_rto_recoveries", "H"), ("tcpi_total_rto_time", "I")])
_SIZES = {"B": 1, "H": 2, "I": 4, "Q": 8, "i": 4}

# struct mptcp_info (linux/mptcp.h): INET_DIAG_INFO of an MPTCP socket (mptcp_diag)
MPTCP_INFO_LAYOUT: list[tuple[str, str]] = (
    [("mptcpi_" + n, "B") for n in ["subflows", "add_addr_signal", "add_addr_accepted", "subflows_max",
                                    "add_addr_signal_max", "add_addr_accepted_max"]]
    + [("mptcpi_flags", "I"), ("mptcpi_token", "I")]
    + [("mptcpi_" + n, "Q") for n in ["write_seq", "snd_una", "rcv_nxt"]]
    + [("mptcpi_" + n, "B") for n in ["local_addr_used", "local_addr_max", "csum_enabled"]]
    + [("mptcpi_retransmits", "I"), ("mptcpi_bytes_retrans", "Q"), ("mptcpi_bytes_sent", "Q"),
       ("mptcpi_bytes_received", "Q"), ("mptcpi_bytes_acked", "Q"), ("mptcpi_subflows_total", "B"),
       ("mptcpi_last_data_sent", "I"), ("mptcpi_last_data_recv", "I"), ("mptcpi_last_ack_recv", "I")])
# struct sctp_info (linux/sctp.h): INET_DIAG_INFO of an SCTP socket or association;
# "S" is a struct sockaddr_storage
SCTP_INFO_LAYOUT: list[tuple[str, str]] = (
    [("sctpi_" + n, "I") for n in ["tag", "state", "rwnd"]]
    + [("sctpi_" + n, "H") for n in ["unackdata", "penddata", "instrms", "outstrms"]]
    + [("sctpi_" + n, "I") for n in ["fragmentation_point", "inqueue", "outqueue", "overall_error",
                                     "max_burst", "maxseg", "peer_rwnd", "peer_tag"]]
    + [("sctpi_peer_capable", "B"), ("sctpi_peer_sack", "B"), ("__reserved1", "H")]
    + [("sctpi_" + n, "Q") for n in ["isacks", "osacks", "opackets", "ipackets", "rtxchunks", "outofseqtsns",
                                     "idupchunks", "gapcnt", "ouodchunks", "iuodchunks", "oodchunks",
                                     "iodchunks", "octrlchunks", "ictrlchunks"]]
    + [("sctpi_p_address", "S"), ("sctpi_p_state", "i")]
    + [("sctpi_p_" + n, "I") for n in ["cwnd", "srtt", "rto", "hbinterval", "pathmaxrxt", "sackdelay",
                                       "sackfreq", "ssthresh", "partial_bytes_acked", "flight_size"]]
    + [("sctpi_p_error", "H"), ("__reserved2", "H")]
    + [("sctpi_s_" + n, "I") for n in ["autoclose", "adaptation_ind", "pd_point"]]
    + [("sctpi_s_" + n, "B") for n in ["nodelay", "disable_fragments", "v4mapped", "frag_interleave"]]
    + [("sctpi_s_type", "I"), ("__reserved3", "I")])
_INFO_ENUMS = {"sctpi_state": SCTP_STATES}


def layout_fields(buf: bytes, p: int, end: int, order: str, layout: list[tuple[str, str]]) -> list[Field]:
    """The members of a C struct, each at its natural alignment (the holes and reserved
    bytes skipped), as far as the attribute goes (an older or newer kernel sends fewer
    or more)."""
    out: list[Field] = []
    base = p
    for name, fmt in layout:
        align = 8 if fmt == "S" else _SIZES[fmt]
        p = base + (p - base + align - 1) // align * align
        if fmt == "S":
            if p + SOCKADDR_STORAGE > end:
                break
            text = _sockaddr_text(buf, p, order)
            out.append(Field(name, "addr", text, p, p + SOCKADDR_STORAGE) if text is not None else
                       Field(name, "str", "unspec", p, p + SOCKADDR_STORAGE))
            p += SOCKADDR_STORAGE
            continue
        size = _SIZES[fmt]
        if p + size > end:
            break
        v = struct.unpack_from(order + fmt, buf, p)[0]
        names = _INFO_ENUMS.get(name)
        out.append(Field(name, "enum", v, p, p + size, names.get(v)) if names else Field(name, "int", v, p, p + size))
        p += size
    return out


def tcp_info_fields(buf: bytes, p: int, end: int, order: str) -> list[Field]:
    """The fields of a struct tcp_info at buf[p:end]; older kernels send fewer."""
    out: list[Field] = []
    if end - p < 8:
        return out
    b = buf[p:p + 8]
    out.append(Field("tcpi_state", "enum", b[0], p, p + 1, TCP_STATES.get(b[0])))
    out.append(Field("tcpi_ca_state", "enum", b[1], p + 1, p + 2, CA_STATES.get(b[1])))
    out.append(Field("tcpi_retransmits", "int", b[2], p + 2, p + 3))
    out.append(Field("tcpi_probes", "int", b[3], p + 3, p + 4))
    out.append(Field("tcpi_backoff", "int", b[4], p + 4, p + 5))
    out.append(Field("tcpi_options", "flags", b[5], p + 5, p + 6, flag_names(b[5], TCPI_OPTS)))
    lo, hi = b[6] & 0xF, b[6] >> 4  # bitfields fill from the low bit on little-endian hosts
    snd, rcv = (lo, hi) if order == "<" else (hi, lo)
    out.append(Field("tcpi_snd_wscale", "int", snd, p + 6, p + 7))
    out.append(Field("tcpi_rcv_wscale", "int", rcv, p + 6, p + 7))
    app_limited, fo_fail = (b[7] & 1, (b[7] >> 1) & 3) if order == "<" else (b[7] >> 7, (b[7] >> 5) & 3)
    out.append(Field("tcpi_delivery_rate_app_limited", "int", app_limited, p + 7, p + 8))
    out.append(Field("tcpi_fastopen_client_fail", "int", fo_fail, p + 7, p + 8))
    off = p + 8  # the layout has no holes: every field after byte 8 is naturally aligned
    for name, fmt in TCP_INFO_LAYOUT:
        size = _SIZES[fmt]
        if off + size > end:
            break
        v = struct.unpack_from(order + fmt, buf, off)[0]
        out.append(Field(name, "int", v, off, off + size))
        off += size
    return out


def meminfo_names(f: Field) -> None:
    """Name the u32s of an SK_MEMINFO array in place."""
    for i, c in enumerate(f.children or ()):
        if i < len(SK_MEMINFO):
            c.name = SK_MEMINFO[i]
