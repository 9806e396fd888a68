"""MPTCP path manager (generic netlink family "mptcp_pm"), linux/mptcp_pm.h and
linux/mptcp.h: endpoint (address) commands and limits, as `ip mptcp` sends them, and
the events on the "mptcp_pm_events" group (MPTCP_EVENT_* with MPTCP_ATTR_*)."""
from __future__ import annotations

import socket

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet

from .genl import GenlFamily, add_family, attrs_of, join

CMDS = {1: "ADD_ADDR", 2: "DEL_ADDR", 3: "GET_ADDR", 4: "FLUSH_ADDRS", 5: "SET_LIMITS",
        6: "GET_LIMITS", 7: "SET_FLAGS", 8: "ANNOUNCE", 9: "REMOVE", 10: "SUBFLOW_CREATE",
        11: "SUBFLOW_DESTROY"}
ADDR_FLAGS = {1: "SIGNAL", 2: "SUBFLOW", 4: "BACKUP", 8: "FULLMESH", 16: "IMPLICIT"}
AF = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}

ADDR = AttrSet("mptcp-pm-addr", {
    1: Attr("MPTCP_PM_ADDR_ATTR_FAMILY", "u16", enum=AF),
    2: Attr("MPTCP_PM_ADDR_ATTR_ID", "u8"),
    3: Attr("MPTCP_PM_ADDR_ATTR_ADDR4", "ipv4"),
    4: Attr("MPTCP_PM_ADDR_ATTR_ADDR6", "ipv6"),
    5: Attr("MPTCP_PM_ADDR_ATTR_PORT", "u16"),
    6: Attr("MPTCP_PM_ADDR_ATTR_FLAGS", "u32", flags=ADDR_FLAGS),
    7: Attr("MPTCP_PM_ADDR_ATTR_IF_IDX", "s32"),
})
ATTRS = AttrSet("mptcp-pm", {
    1: Attr("MPTCP_PM_ATTR_ADDR", "nested", nested=ADDR),
    2: Attr("MPTCP_PM_ATTR_RCV_ADD_ADDRS", "u32"),
    3: Attr("MPTCP_PM_ATTR_SUBFLOWS", "u32"),
    4: Attr("MPTCP_PM_ATTR_TOKEN", "u32"),
    5: Attr("MPTCP_PM_ATTR_LOC_ID", "u8"),
    6: Attr("MPTCP_PM_ATTR_ADDR_REMOTE", "nested", nested=ADDR),
})


def summary(cmd: str, fields: list[Field]) -> str:
    a = {f.name: f for f in attrs_of(fields)}
    addr = a.get("MPTCP_PM_ATTR_ADDR")
    parts = []
    if addr is not None:
        k = {c.name: c for c in addr.children or ()}
        ip = k.get("MPTCP_PM_ADDR_ATTR_ADDR4") or k.get("MPTCP_PM_ADDR_ATTR_ADDR6")
        parts += [ip.value if ip is not None else None,
                  f"id {k['MPTCP_PM_ADDR_ATTR_ID'].value}" if "MPTCP_PM_ADDR_ATTR_ID" in k else None,
                  k["MPTCP_PM_ADDR_ATTR_FLAGS"].short().lower() if "MPTCP_PM_ADDR_ATTR_FLAGS" in k
                  and k["MPTCP_PM_ADDR_ATTR_FLAGS"].value else None]
    for name, label in (("MPTCP_PM_ATTR_SUBFLOWS", "subflows"), ("MPTCP_PM_ATTR_RCV_ADD_ADDRS", "add_addr_accepted")):
        if name in a:
            parts.append(f"{label} {a[name].value}")
    return join(*parts)


def register(registry) -> None:
    add_family(registry, GenlFamily("mptcp_pm", CMDS, attrs=ATTRS, summary=summary))
