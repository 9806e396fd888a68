"""rtnetlink (NETLINK_ROUTE, protocol 0): every RTM_* message type of linux/rtnetlink.h.

The message groups live in their own modules (rtnl_link, rtnl_addr, rtnl_route,
rtnl_neigh, rtnl_tc, rtnl_misc), each exporting MESSAGES; this is the one module that
registers protocol 0.
"""
from __future__ import annotations

from nlscope.decode.registry import Protocol

from . import rtnl_addr, rtnl_link, rtnl_misc, rtnl_neigh, rtnl_route, rtnl_tc

MESSAGES = {**rtnl_link.MESSAGES, **rtnl_addr.MESSAGES, **rtnl_route.MESSAGES,
            **rtnl_neigh.MESSAGES, **rtnl_tc.MESSAGES, **rtnl_misc.MESSAGES}


class RtnetlinkProtocol(Protocol):
    def default_kind(self, mtype: int) -> str:
        # Types come in groups of four from RTM_BASE: NEW, DEL, GET, SET.
        return ("new", "del", "get", "other")[(mtype - 16) % 4] if mtype >= 16 else "other"


def register(registry) -> None:
    registry.add(RtnetlinkProtocol(0, "route", dict(sorted(MESSAGES.items()))))
