"""IPVS (generic netlink family "IPVS"): virtual services, their real servers, the sync
daemons, timeouts and general info, as ipvsadm and keepalived's checker drive them.
Facts: linux/ip_vs.h; attribute types from the kernel's policies and nla_put calls
(net/netfilter/ipvs/ip_vs_ctl.c): ports and the persistence netmask are big-endian,
addresses are a 16-byte union nf_inet_addr (an IPv4 address in its first 4 bytes).

The GET_INFO reply (cmd SET_INFO) puts IPVS_INFO_ATTR_* at the top level, and the
GET_CONFIG reply (SET_CONFIG) the timeouts: they reuse the command attribute numbers.
"""
from __future__ import annotations

import ipaddress

import construct as cs

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader

from .genl import GenlFamily, add_family, attrs_of, join
from .rtnl_common import AF_INET, AF_INET6, AF_NAMES, kept_raw

A = Attr

CMDS = {0: "UNSPEC", 1: "NEW_SERVICE", 2: "SET_SERVICE", 3: "DEL_SERVICE", 4: "GET_SERVICE",
        5: "NEW_DEST", 6: "SET_DEST", 7: "DEL_DEST", 8: "GET_DEST", 9: "NEW_DAEMON",
        10: "DEL_DAEMON", 11: "GET_DAEMON", 12: "SET_CONFIG", 13: "GET_CONFIG", 14: "SET_INFO",
        15: "GET_INFO", 16: "ZERO", 17: "FLUSH"}
SVC_F = {0x1: "IP_VS_SVC_F_PERSISTENT", 0x2: "IP_VS_SVC_F_HASHED", 0x4: "IP_VS_SVC_F_ONEPACKET",
         0x8: "IP_VS_SVC_F_SCHED1", 0x10: "IP_VS_SVC_F_SCHED2", 0x20: "IP_VS_SVC_F_SCHED3"}
FWD = {0: "IP_VS_CONN_F_MASQ", 1: "IP_VS_CONN_F_LOCALNODE", 2: "IP_VS_CONN_F_TUNNEL",
       3: "IP_VS_CONN_F_DROUTE", 4: "IP_VS_CONN_F_BYPASS"}
FWD_WORD = {0: "masq", 1: "local", 2: "tunnel", 3: "route", 4: "bypass"}
TUN_TYPE = {0: "IP_VS_CONN_F_TUNNEL_TYPE_IPIP", 1: "IP_VS_CONN_F_TUNNEL_TYPE_GUE",
            2: "IP_VS_CONN_F_TUNNEL_TYPE_GRE"}
TUN_FLAGS = {1: "IP_VS_TUNNEL_ENCAP_FLAG_CSUM", 2: "IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM"}
STATE = {1: "IP_VS_STATE_MASTER", 2: "IP_VS_STATE_BACKUP"}
IPPROTO = {6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 132: "IPPROTO_SCTP"}
PROTO_WORD = {6: "TCP", 17: "UDP", 132: "SCTP"}

IP_VS_FLAGS = FixedHeader("ip_vs_flags", cs.Struct("flags" / cs.Int32un, "mask" / cs.Int32un),
                          flags={"flags": SVC_F, "mask": SVC_F})


def _family(siblings: list[Field]) -> int | None:
    for f in siblings:
        if f.name in ("IPVS_SVC_ATTR_AF", "IPVS_DEST_ATTR_ADDR_FAMILY"):
            return f.value
    return None


def inet_addr(name, buf, start, end, order, problems, path, siblings) -> Field:
    """union nf_inet_addr: 16 bytes, IPv4 in the first 4 (the family, when it came
    before, decides; a real server's family comes after its address: then an address
    whose last 12 bytes are zero is IPv4)."""
    raw = bytes(buf[start + 4:end])
    fam = _family(siblings)
    if len(raw) == 4 or (len(raw) == 16 and (fam == AF_INET or (fam is None and not any(raw[4:])))):
        return Field(name, "addr", str(ipaddress.IPv4Address(raw[:4])), start, end)
    if len(raw) == 16 and fam in (AF_INET6, None):
        return Field(name, "addr", str(ipaddress.IPv6Address(raw)), start, end)
    return kept_raw(name, buf, start, end, problems, f"{path}: address of {len(raw)} bytes")


def _stats(name: str, kind: str) -> AttrSet:
    return AttrSet(name, {
        1: A("IPVS_STATS_ATTR_CONNS", kind), 2: A("IPVS_STATS_ATTR_INPKTS", kind),
        3: A("IPVS_STATS_ATTR_OUTPKTS", kind), 4: A("IPVS_STATS_ATTR_INBYTES", "u64"),
        5: A("IPVS_STATS_ATTR_OUTBYTES", "u64"), 6: A("IPVS_STATS_ATTR_CPS", kind),
        7: A("IPVS_STATS_ATTR_INPPS", kind), 8: A("IPVS_STATS_ATTR_OUTPPS", kind),
        9: A("IPVS_STATS_ATTR_INBPS", kind), 10: A("IPVS_STATS_ATTR_OUTBPS", kind),
        11: A("IPVS_STATS_ATTR_PAD", "binary"),
    })


STATS = _stats("ipvs_stats", "u32")
STATS64 = _stats("ipvs_stats64", "u64")

SERVICE = AttrSet("ipvs_svc", {
    1: A("IPVS_SVC_ATTR_AF", "u16", enum=AF_NAMES),
    2: A("IPVS_SVC_ATTR_PROTOCOL", "u16", enum=IPPROTO),
    3: A("IPVS_SVC_ATTR_ADDR", "custom", decode=inet_addr),
    4: A("IPVS_SVC_ATTR_PORT", "be16"),
    5: A("IPVS_SVC_ATTR_FWMARK", "u32"),
    6: A("IPVS_SVC_ATTR_SCHED_NAME", "string"),
    7: A("IPVS_SVC_ATTR_FLAGS", "struct", struct=IP_VS_FLAGS),
    8: A("IPVS_SVC_ATTR_TIMEOUT", "u32"),
    9: A("IPVS_SVC_ATTR_NETMASK", "be32"),
    10: A("IPVS_SVC_ATTR_STATS", "nested", nested=STATS),
    11: A("IPVS_SVC_ATTR_PE_NAME", "string"),
    12: A("IPVS_SVC_ATTR_STATS64", "nested", nested=STATS64),
})
DEST = AttrSet("ipvs_dest", {
    1: A("IPVS_DEST_ATTR_ADDR", "custom", decode=inet_addr),
    2: A("IPVS_DEST_ATTR_PORT", "be16"),
    3: A("IPVS_DEST_ATTR_FWD_METHOD", "u32", enum=FWD),
    4: A("IPVS_DEST_ATTR_WEIGHT", "u32"),
    5: A("IPVS_DEST_ATTR_U_THRESH", "u32"),
    6: A("IPVS_DEST_ATTR_L_THRESH", "u32"),
    7: A("IPVS_DEST_ATTR_ACTIVE_CONNS", "u32"),
    8: A("IPVS_DEST_ATTR_INACT_CONNS", "u32"),
    9: A("IPVS_DEST_ATTR_PERSIST_CONNS", "u32"),
    10: A("IPVS_DEST_ATTR_STATS", "nested", nested=STATS),
    11: A("IPVS_DEST_ATTR_ADDR_FAMILY", "u16", enum=AF_NAMES),
    12: A("IPVS_DEST_ATTR_STATS64", "nested", nested=STATS64),
    13: A("IPVS_DEST_ATTR_TUN_TYPE", "u8", enum=TUN_TYPE),
    14: A("IPVS_DEST_ATTR_TUN_PORT", "be16"),
    15: A("IPVS_DEST_ATTR_TUN_FLAGS", "u16", flags=TUN_FLAGS),
})
DAEMON = AttrSet("ipvs_daemon", {
    1: A("IPVS_DAEMON_ATTR_STATE", "u32", flags=STATE),
    2: A("IPVS_DAEMON_ATTR_MCAST_IFN", "string"),
    3: A("IPVS_DAEMON_ATTR_SYNC_ID", "u32"),
    4: A("IPVS_DAEMON_ATTR_SYNC_MAXLEN", "u16"),
    5: A("IPVS_DAEMON_ATTR_MCAST_GROUP", "ipv4"),
    6: A("IPVS_DAEMON_ATTR_MCAST_GROUP6", "ipv6"),
    7: A("IPVS_DAEMON_ATTR_MCAST_PORT", "u16"),
    8: A("IPVS_DAEMON_ATTR_MCAST_TTL", "u8"),
})
CMD = AttrSet("ipvs_cmd", {
    1: A("IPVS_CMD_ATTR_SERVICE", "nested", nested=SERVICE),
    2: A("IPVS_CMD_ATTR_DEST", "nested", nested=DEST),
    3: A("IPVS_CMD_ATTR_DAEMON", "nested", nested=DAEMON),
    4: A("IPVS_CMD_ATTR_TIMEOUT_TCP", "u32"),
    5: A("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", "u32"),
    6: A("IPVS_CMD_ATTR_TIMEOUT_UDP", "u32"),
})
INFO = AttrSet("ipvs_info", {
    1: A("IPVS_INFO_ATTR_VERSION", "u32", fmt=lambda v: f"{v >> 16}.{(v >> 8) & 0xFF}.{v & 0xFF}"),
    2: A("IPVS_INFO_ATTR_CONN_TAB_SIZE", "u32"),
})


def _kids(f: Field | None) -> dict[str, Field]:
    return {c.name: c for c in (f.children or ())} if f is not None else {}


def _endpoint(k: dict[str, Field], prefix: str) -> str | None:
    addr, port = k.get(prefix + "ADDR"), k.get(prefix + "PORT")
    if addr is None or addr.kind != "addr":
        return None
    host = f"[{addr.value}]" if ":" in str(addr.value) else str(addr.value)
    return f"{host}:{port.value}" if port is not None else host


def summary(cmd: str, fields: list[Field]) -> str:
    """As ipvsadm -L -n words it: TCP 10.0.0.1:80 rr, -> 10.0.1.1:80 Route 1."""
    a = {f.name: f for f in attrs_of(fields)}
    parts: list[str | None] = []
    svc = _kids(a.get("IPVS_CMD_ATTR_SERVICE"))
    if svc:
        fw = svc.get("IPVS_SVC_ATTR_FWMARK")
        if fw is not None and fw.value:
            parts.append(f"FWM {fw.value}")
        else:
            proto = svc.get("IPVS_SVC_ATTR_PROTOCOL")
            parts.append(PROTO_WORD.get(proto.value, str(proto.value)) if proto is not None else None)
            parts.append(_endpoint(svc, "IPVS_SVC_ATTR_"))
        sched = svc.get("IPVS_SVC_ATTR_SCHED_NAME")
        parts.append(sched.value if sched is not None else None)
        flags = _kids(svc.get("IPVS_SVC_ATTR_FLAGS")).get("flags")
        tmo = svc.get("IPVS_SVC_ATTR_TIMEOUT")
        if flags is not None and isinstance(flags.value, int) and flags.value & 1 and tmo is not None:
            parts.append(f"persistent {tmo.value}")
    dest = _kids(a.get("IPVS_CMD_ATTR_DEST"))
    if dest:
        parts.append("-> " + (_endpoint(dest, "IPVS_DEST_ATTR_") or "?"))
        fwd = dest.get("IPVS_DEST_ATTR_FWD_METHOD")
        if fwd is not None:
            parts.append(FWD_WORD.get(fwd.value & 7, str(fwd.value)).capitalize())
        w = dest.get("IPVS_DEST_ATTR_WEIGHT")
        parts.append(f"weight {w.value}" if w is not None else None)
    daemon = _kids(a.get("IPVS_CMD_ATTR_DAEMON"))
    if daemon:
        st = daemon.get("IPVS_DAEMON_ATTR_STATE")
        ifn = daemon.get("IPVS_DAEMON_ATTR_MCAST_IFN")
        sid = daemon.get("IPVS_DAEMON_ATTR_SYNC_ID")
        parts.append(" ".join(n.removeprefix("IP_VS_STATE_").lower() for n in (st.meta or [])) if st else None)
        parts.append(f"mcast-interface={ifn.value}" if ifn is not None else None)
        parts.append(f"syncid={sid.value}" if sid is not None else None)
    tmo = [a.get(f"IPVS_CMD_ATTR_TIMEOUT_{w}") for w in ("TCP", "TCP_FIN", "UDP")]
    if any(t is not None for t in tmo):
        parts.append("timeout " + " ".join("-" if t is None else str(t.value) for t in tmo))
    ver = a.get("IPVS_INFO_ATTR_VERSION")
    if ver is not None:
        size = a.get("IPVS_INFO_ATTR_CONN_TAB_SIZE")
        parts.append(f"version {ver.meta}" + (f" size={size.value}" if size is not None else ""))
    return join(*parts)


def register(registry) -> None:
    add_family(registry, GenlFamily("IPVS", CMDS, attrs=CMD, summary=summary,
                                    cmd_attrs={"SET_INFO": INFO},
                                    kinds={"ZERO": "other", "FLUSH": "other", "SET_CONFIG": "other",
                                           "SET_INFO": "new"}))
