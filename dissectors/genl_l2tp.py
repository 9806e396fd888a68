"""L2TP's generic netlink family "l2tp" (linux/l2tp.h; kinds from net/l2tp/l2tp_netlink.c:
the IPv4 addresses are in_addr, UDP ports host-order u16, RECV_TIMEOUT nla_put_msecs (u64),
cookies 0, 4 or 8 bytes)."""
from __future__ import annotations

from .genl import GenlFamily, K, add_family, join, table_set, top

COMMANDS = {0: "NOOP", 1: "TUNNEL_CREATE", 2: "TUNNEL_DELETE", 3: "TUNNEL_MODIFY", 4: "TUNNEL_GET",
            5: "SESSION_CREATE", 6: "SESSION_DELETE", 7: "SESSION_MODIFY", 8: "SESSION_GET"}
PWTYPES = {0: "NONE", 4: "ETH_VLAN", 5: "ETH", 7: "PPP", 8: "PPP_AC", 11: "IP"}
ENCAPS = {0: "UDP", 1: "IP"}
L2SPEC = {0: "NONE", 1: "DEFAULT"}

STATS = table_set("l2tp_attr_stats", "L2TP_ATTR_", {
    1: "TX_PACKETS", 2: "TX_BYTES", 3: "TX_ERRORS", 4: "RX_PACKETS", 5: "RX_BYTES",
    6: "RX_SEQ_DISCARDS", 7: "RX_OOS_PACKETS", 8: "RX_ERRORS", 9: "STATS_PAD",
    10: "RX_COOKIE_DISCARDS", 11: "RX_INVALID"},
    {n: "u64" for n in ("TX_PACKETS", "TX_BYTES", "TX_ERRORS", "RX_PACKETS", "RX_BYTES",
                        "RX_SEQ_DISCARDS", "RX_OOS_PACKETS", "RX_ERRORS", "RX_COOKIE_DISCARDS",
                        "RX_INVALID")})
ATTRS = table_set("l2tp_attrs", "L2TP_ATTR_", {
    1: "PW_TYPE", 2: "ENCAP_TYPE", 3: "OFFSET", 4: "DATA_SEQ", 5: "L2SPEC_TYPE", 6: "L2SPEC_LEN",
    7: "PROTO_VERSION", 8: "IFNAME", 9: "CONN_ID", 10: "PEER_CONN_ID", 11: "SESSION_ID",
    12: "PEER_SESSION_ID", 13: "UDP_CSUM", 14: "VLAN_ID", 15: "COOKIE", 16: "PEER_COOKIE",
    17: "DEBUG", 18: "RECV_SEQ", 19: "SEND_SEQ", 20: "LNS_MODE", 21: "USING_IPSEC",
    22: "RECV_TIMEOUT", 23: "FD", 24: "IP_SADDR", 25: "IP_DADDR", 26: "UDP_SPORT",
    27: "UDP_DPORT", 28: "MTU", 29: "MRU", 30: "STATS", 31: "IP6_SADDR", 32: "IP6_DADDR",
    33: "UDP_ZERO_CSUM6_TX", 34: "UDP_ZERO_CSUM6_RX", 35: "PAD"},
    {"PW_TYPE": K("u16", enum=PWTYPES), "ENCAP_TYPE": K("u16", enum=ENCAPS), "OFFSET": "u16",
     "DATA_SEQ": "u16", "L2SPEC_TYPE": K("u8", enum=L2SPEC), "L2SPEC_LEN": "u8",
     "PROTO_VERSION": "u8", "IFNAME": "string", "CONN_ID": "u32", "PEER_CONN_ID": "u32",
     "SESSION_ID": "u32", "PEER_SESSION_ID": "u32", "UDP_CSUM": "u8", "VLAN_ID": "u16",
     "DEBUG": "u32", "RECV_SEQ": "u8", "SEND_SEQ": "u8", "LNS_MODE": "u8", "USING_IPSEC": "u8",
     "RECV_TIMEOUT": "u64", "FD": "u32", "IP_SADDR": "ipv4", "IP_DADDR": "ipv4",
     "UDP_SPORT": "u16", "UDP_DPORT": "u16", "MTU": "u16", "MRU": "u16",
     "STATS": K("nested", nested=STATS), "IP6_SADDR": "ipv6", "IP6_DADDR": "ipv6",
     "UDP_ZERO_CSUM6_TX": "flag", "UDP_ZERO_CSUM6_RX": "flag"})


def _summary(cmd: str, fields) -> str:
    """'tunnel 10 peer 20' / 'session 100 peer 200 in tunnel 10'."""
    def v(name):
        f = top(fields, "L2TP_ATTR_" + name)
        return f.value if f is not None else None
    if cmd.startswith("SESSION") and v("SESSION_ID") is not None:
        return join(f"session {v('SESSION_ID')}",
                    f"peer {v('PEER_SESSION_ID')}" if v("PEER_SESSION_ID") is not None else None,
                    f"in tunnel {v('CONN_ID')}" if v("CONN_ID") is not None else None,
                    f"ifname {v('IFNAME')}" if v("IFNAME") else None)
    if v("CONN_ID") is not None:
        src, dst = v("IP_SADDR") or v("IP6_SADDR"), v("IP_DADDR") or v("IP6_DADDR")
        return join(f"tunnel {v('CONN_ID')}",
                    f"peer {v('PEER_CONN_ID')}" if v("PEER_CONN_ID") is not None else None,
                    f"from {src}" if src else None, f"to {dst}" if dst else None)
    return ""


def register(registry) -> None:
    add_family(registry, GenlFamily("l2tp", COMMANDS, attrs=ATTRS, summary=_summary,
                                    kinds={"NOOP": "other"}))
