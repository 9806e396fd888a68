"""Frame: one captured netlink datagram, as every source hands it to the decoder."""
from __future__ import annotations

from dataclasses import dataclass

# Netlink protocol (family) numbers, from linux/netlink.h.
PROTOCOL_NAMES: dict[int, str] = {
    0: "route",
    1: "unused",
    2: "usersock",
    3: "firewall",
    4: "sock_diag",
    5: "nflog",
    6: "xfrm",
    7: "selinux",
    8: "iscsi",
    9: "audit",
    10: "fib_lookup",
    11: "connector",
    12: "netfilter",
    13: "ip6_fw",
    14: "dnrtmsg",
    15: "kobject_uevent",
    16: "generic",
    18: "scsitransport",
    19: "ecryptfs",
    20: "rdma",
    21: "crypto",
    22: "smc",
}

NETLINK_ROUTE = 0
NETLINK_USERSOCK = 2
NETLINK_GENERIC = 16


def protocol_name(number: int) -> str:
    if number < 0:
        return "unknown"  # frame too short to carry its protocol
    return PROTOCOL_NAMES.get(number, f"proto{number}")


@dataclass(slots=True)
class Frame:
    """One datagram. `raw` is exactly what was captured (link-layer header included);
    the netlink messages start at `nl_offset`. Every byte span in the decoded tree is an
    offset into `raw`, so the hex view can show the whole frame."""

    number: int
    ts_ns: int
    protocol: int
    raw: bytes
    nl_offset: int = 16
    orig_len: int = 0
    linktype: int = 253
    interface: int = 0
    comment: str | None = None
    # Known exactly only by the trace source; None means "infer from the flags".
    direction: str | None = None  # "out" (user to kernel) or "in"
    pid: int | None = None
    comm: str | None = None
    # Where `raw` starts in the capture file (or stream): the index re-reads it there.
    offset: int = -1

    @property
    def payload(self) -> memoryview:
        return memoryview(self.raw)[self.nl_offset:]

    @property
    def truncated(self) -> bool:
        return self.orig_len > len(self.raw)
