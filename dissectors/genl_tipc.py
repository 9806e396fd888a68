"""TIPC's generic netlink family "TIPCv2" (linux/tipc_netlink.h; value kinds from the
kernel's tipc_nl_*_policy in net/tipc/netlink.c): every command carries one top-level
nest per object (bearer, link, node, ...), each with its own attribute space. The
socket nest is the one sock_diag's TIPC replies carry.
"""
from __future__ import annotations

from .genl import GenlFamily, K, add_family, table_set, top
from .rdma import sockaddr_attr
from .sock_diag_structs import TIPC_ATTRS, TIPC_NLA_SOCK

COMMANDS = {
    1: "LEGACY", 2: "BEARER_DISABLE", 3: "BEARER_ENABLE", 4: "BEARER_GET", 5: "BEARER_SET",
    6: "SOCK_GET", 7: "PUBL_GET", 8: "LINK_GET", 9: "LINK_SET", 10: "LINK_RESET_STATS",
    11: "MEDIA_GET", 12: "MEDIA_SET", 13: "NODE_GET", 14: "NET_GET", 15: "NET_SET",
    16: "NAME_TABLE_GET", 17: "MON_SET", 18: "MON_GET", 19: "MON_PEER_GET",
    20: "PEER_REMOVE", 21: "BEARER_ADD", 22: "UDP_GET_REMOTEIP", 23: "KEY_SET",
    24: "KEY_FLUSH", 25: "ADDR_LEGACY_GET",
}

PROP = table_set("tipc_nla_prop", "TIPC_NLA_PROP_", {
    1: "PRIO", 2: "TOL", 3: "WIN", 4: "MTU", 5: "BROADCAST", 6: "BROADCAST_RATIO"}, default="u32")
UDP = table_set("tipc_nla_udp", "TIPC_NLA_UDP_", {1: "LOCAL", 2: "REMOTE", 3: "MULTI_REMOTEIP"},
                {"LOCAL": K("custom", decode=sockaddr_attr), "REMOTE": K("custom", decode=sockaddr_attr),
                 "MULTI_REMOTEIP": "flag"})
BEARER = table_set("tipc_nla_bearer", "TIPC_NLA_BEARER_", {
    1: "NAME", 2: "PROP", 3: "DOMAIN", 4: "UDP_OPTS"},
    {"NAME": "string", "PROP": K("nested", nested=PROP), "DOMAIN": "u32",
     "UDP_OPTS": K("nested", nested=UDP)})
PUBL = table_set("tipc_nla_publ", "TIPC_NLA_PUBL_", {
    1: "TYPE", 2: "LOWER", 3: "UPPER", 4: "SCOPE", 5: "NODE", 6: "REF", 7: "KEY"}, default="u32")
LINK_STATS = table_set("tipc_nla_stats", "TIPC_NLA_STATS_", {
    1: "RX_INFO", 2: "RX_FRAGMENTS", 3: "RX_FRAGMENTED", 4: "RX_BUNDLES", 5: "RX_BUNDLED",
    6: "TX_INFO", 7: "TX_FRAGMENTS", 8: "TX_FRAGMENTED", 9: "TX_BUNDLES", 10: "TX_BUNDLED",
    11: "MSG_PROF_TOT", 12: "MSG_LEN_CNT", 13: "MSG_LEN_TOT", 14: "MSG_LEN_P0",
    15: "MSG_LEN_P1", 16: "MSG_LEN_P2", 17: "MSG_LEN_P3", 18: "MSG_LEN_P4", 19: "MSG_LEN_P5",
    20: "MSG_LEN_P6", 21: "RX_STATES", 22: "RX_PROBES", 23: "RX_NACKS", 24: "RX_DEFERRED",
    25: "TX_STATES", 26: "TX_PROBES", 27: "TX_NACKS", 28: "TX_ACKS", 29: "RETRANSMITTED",
    30: "DUPLICATES", 31: "LINK_CONGS", 32: "MAX_QUEUE", 33: "AVG_QUEUE"}, default="u32")
LINK = table_set("tipc_nla_link", "TIPC_NLA_LINK_", {
    1: "NAME", 2: "DEST", 3: "MTU", 4: "BROADCAST", 5: "UP", 6: "ACTIVE", 7: "PROP",
    8: "STATS", 9: "RX", 10: "TX"},
    {"NAME": "string", "DEST": "u32", "MTU": "u32", "BROADCAST": "flag", "UP": "flag",
     "ACTIVE": "flag", "PROP": K("nested", nested=PROP), "STATS": K("nested", nested=LINK_STATS),
     "RX": "u32", "TX": "u32"})
MEDIA = table_set("tipc_nla_media", "TIPC_NLA_MEDIA_", {1: "NAME", 2: "PROP"},
                  {"NAME": "string", "PROP": K("nested", nested=PROP)})
NODE = table_set("tipc_nla_node", "TIPC_NLA_NODE_", {
    1: "ADDR", 2: "UP", 3: "ID", 4: "KEY", 5: "KEY_MASTER", 6: "REKEYING"},
    {"ADDR": "u32", "UP": "flag", "ID": "binary", "KEY": "binary", "KEY_MASTER": "flag",
     "REKEYING": "u32"})
NET = table_set("tipc_nla_net", "TIPC_NLA_NET_", {
    1: "ID", 2: "ADDR", 3: "NODEID", 4: "NODEID_W1", 5: "ADDR_LEGACY"},
    {"ID": "u32", "ADDR": "u32", "NODEID": "u64", "NODEID_W1": "u64", "ADDR_LEGACY": "flag"})
NAME_TABLE = table_set("tipc_nla_name_table", "TIPC_NLA_NAME_TABLE_", {1: "PUBL"},
                       {"PUBL": K("nested", nested=PUBL)})
MON = table_set("tipc_nla_mon", "TIPC_NLA_MON_", {
    1: "ACTIVATION_THRESHOLD", 2: "REF", 3: "ACTIVE", 4: "BEARER_NAME", 5: "PEERCNT", 6: "LISTGEN"},
    {"ACTIVATION_THRESHOLD": "u32", "REF": "u32", "ACTIVE": "flag", "BEARER_NAME": "string",
     "PEERCNT": "u32", "LISTGEN": "u32"})
MON_PEER = table_set("tipc_nla_mon_peer", "TIPC_NLA_MON_PEER_", {
    1: "ADDR", 2: "DOMGEN", 3: "APPLIED", 4: "UPMAP", 5: "MEMBERS", 6: "UP", 7: "HEAD",
    8: "LOCAL", 9: "PAD"},
    {"ADDR": "u32", "DOMGEN": "u32", "APPLIED": "u32", "UPMAP": "u64", "MEMBERS": "u32-array",
     "UP": "flag", "HEAD": "flag", "LOCAL": "flag"})

ATTRS = table_set("tipc_nl_attr", "TIPC_NLA_", {
    1: "BEARER", 2: "SOCK", 3: "PUBL", 4: "LINK", 5: "MEDIA", 6: "NODE", 7: "NET",
    8: "NAME_TABLE", 9: "MON", 10: "MON_PEER"},
    {"BEARER": K("nested", nested=BEARER), "PUBL": K("nested", nested=PUBL),
     "LINK": K("nested", nested=LINK), "MEDIA": K("nested", nested=MEDIA),
     "NODE": K("nested", nested=NODE), "NET": K("nested", nested=NET),
     "NAME_TABLE": K("nested", nested=NAME_TABLE), "MON": K("nested", nested=MON),
     "MON_PEER": K("nested", nested=MON_PEER)})
ATTRS.attrs[TIPC_NLA_SOCK] = TIPC_ATTRS.attrs[TIPC_NLA_SOCK]  # as sock_diag decodes it


def _summary(cmd: str, fields) -> str:
    for nest in ("BEARER", "LINK", "MEDIA"):
        f = top(fields, f"TIPC_NLA_{nest}")
        if f is not None:
            name = f.get(f"TIPC_NLA_{nest}_NAME")
            if name is not None:
                return f"{nest.lower()} {name.value}"
    net = top(fields, "TIPC_NLA_NET")
    if net is not None and net.get("TIPC_NLA_NET_ID") is not None:
        return f"netid {net.get('TIPC_NLA_NET_ID').value}"
    return ""


def register(registry) -> None:
    add_family(registry, GenlFamily("TIPCv2", COMMANDS, attrs=ATTRS, summary=_summary,
                                    kinds={"LEGACY": "other", "PEER_REMOVE": "del",
                                           "KEY_FLUSH": "del"}))
