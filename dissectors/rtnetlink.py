"""rtnetlink (NETLINK_ROUTE): message types from linux/rtnetlink.h."""
from __future__ import annotations

from nlscope.registry import MessageType, Protocol

RTM_NAMES: dict[int, str] = {
    16: "RTM_NEWLINK", 17: "RTM_DELLINK", 18: "RTM_GETLINK", 19: "RTM_SETLINK",
    20: "RTM_NEWADDR", 21: "RTM_DELADDR", 22: "RTM_GETADDR",
    24: "RTM_NEWROUTE", 25: "RTM_DELROUTE", 26: "RTM_GETROUTE",
    28: "RTM_NEWNEIGH", 29: "RTM_DELNEIGH", 30: "RTM_GETNEIGH",
    32: "RTM_NEWRULE", 33: "RTM_DELRULE", 34: "RTM_GETRULE",
    36: "RTM_NEWQDISC", 37: "RTM_DELQDISC", 38: "RTM_GETQDISC",
    40: "RTM_NEWTCLASS", 41: "RTM_DELTCLASS", 42: "RTM_GETTCLASS",
    44: "RTM_NEWTFILTER", 45: "RTM_DELTFILTER", 46: "RTM_GETTFILTER",
    48: "RTM_NEWACTION", 49: "RTM_DELACTION", 50: "RTM_GETACTION",
    52: "RTM_NEWPREFIX", 58: "RTM_GETMULTICAST", 62: "RTM_GETANYCAST",
    64: "RTM_NEWNEIGHTBL", 66: "RTM_GETNEIGHTBL", 67: "RTM_SETNEIGHTBL",
    68: "RTM_NEWNDUSEROPT",
    72: "RTM_NEWADDRLABEL", 73: "RTM_DELADDRLABEL", 74: "RTM_GETADDRLABEL",
    78: "RTM_GETDCB", 79: "RTM_SETDCB",
    80: "RTM_NEWNETCONF", 81: "RTM_DELNETCONF", 82: "RTM_GETNETCONF",
    84: "RTM_NEWMDB", 85: "RTM_DELMDB", 86: "RTM_GETMDB",
    88: "RTM_NEWNSID", 89: "RTM_DELNSID", 90: "RTM_GETNSID",
    92: "RTM_NEWSTATS", 94: "RTM_GETSTATS", 95: "RTM_SETSTATS",
    96: "RTM_NEWCACHEREPORT",
    100: "RTM_NEWCHAIN", 101: "RTM_DELCHAIN", 102: "RTM_GETCHAIN",
    104: "RTM_NEWNEXTHOP", 105: "RTM_DELNEXTHOP", 106: "RTM_GETNEXTHOP",
    108: "RTM_NEWLINKPROP", 109: "RTM_DELLINKPROP", 110: "RTM_GETLINKPROP",
    112: "RTM_NEWVLAN", 113: "RTM_DELVLAN", 114: "RTM_GETVLAN",
    116: "RTM_NEWNEXTHOPBUCKET", 117: "RTM_DELNEXTHOPBUCKET", 118: "RTM_GETNEXTHOPBUCKET",
    120: "RTM_NEWTUNNEL", 121: "RTM_DELTUNNEL", 122: "RTM_GETTUNNEL",
}


def kind_of(name: str) -> str:
    """NEW/DEL/GET name the high flag bits; SET and the rest do not."""
    verb = name[4:7]
    return {"NEW": "new", "DEL": "del", "GET": "get"}.get(verb, "other")


class RtnetlinkProtocol(Protocol):
    def default_kind(self, mtype: int) -> str:
        # Types come in groups of four from RTM_BASE: NEW, DEL, GET, SET.
        return ("new", "del", "get", "other")[(mtype - 16) % 4] if mtype >= 16 else "other"


def register(registry) -> None:
    messages = {t: MessageType(n, kind_of(n)) for t, n in RTM_NAMES.items()}
    registry.add(RtnetlinkProtocol(0, "route", messages))
