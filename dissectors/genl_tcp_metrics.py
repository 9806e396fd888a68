"""The TCP metrics cache's generic netlink family "tcp_metrics" (linux/tcp_metrics.h;
kinds from net/ipv4/tcp_metrics.c: addresses in_addr/in6_addr, ages nla_put_msecs (u64
ms), TCP_METRICS_ATTR_VALS a nest typed by metric index + 1, each a u32). The kernel's
tcp_metrics.yaml spec describes the same."""
from __future__ import annotations

from .genl import GenlFamily, K, add_family, join, table_set, top

COMMANDS = {1: "GET", 2: "DEL"}
VALS = table_set("tcp_metric_index", "TCP_METRIC_", {
    1: "RTT", 2: "RTTVAR", 3: "SSTHRESH", 4: "CWND", 5: "REORDERING", 6: "RTT_US",
    7: "RTTVAR_US"}, default="u32")
ATTRS = table_set("tcp_metrics_attrs", "TCP_METRICS_ATTR_", {
    1: "ADDR_IPV4", 2: "ADDR_IPV6", 3: "AGE", 4: "TW_TSVAL", 5: "TW_TS_STAMP", 6: "VALS",
    7: "FOPEN_MSS", 8: "FOPEN_SYN_DROPS", 9: "FOPEN_SYN_DROP_TS", 10: "FOPEN_COOKIE",
    11: "SADDR_IPV4", 12: "SADDR_IPV6", 13: "PAD"},
    {"ADDR_IPV4": "ipv4", "ADDR_IPV6": "ipv6", "AGE": "u64", "TW_TSVAL": "u32",
     "TW_TS_STAMP": "s32", "VALS": K("nested", nested=VALS), "FOPEN_MSS": "u16",
     "FOPEN_SYN_DROPS": "u16", "FOPEN_SYN_DROP_TS": "u64", "FOPEN_COOKIE": "binary",
     "SADDR_IPV4": "ipv4", "SADDR_IPV6": "ipv6"})


def _summary(cmd: str, fields) -> str:
    """Like `ip tcp_metrics`: '192.0.2.1 age 1234ms source 192.0.2.1'."""
    dst = top(fields, "TCP_METRICS_ATTR_ADDR_IPV4") or top(fields, "TCP_METRICS_ATTR_ADDR_IPV6")
    src = top(fields, "TCP_METRICS_ATTR_SADDR_IPV4") or top(fields, "TCP_METRICS_ATTR_SADDR_IPV6")
    age = top(fields, "TCP_METRICS_ATTR_AGE")
    return join(dst.value if dst is not None else None,
                f"age {age.value}ms" if age is not None else None,
                f"source {src.value}" if src is not None else None)


def register(registry) -> None:
    add_family(registry, GenlFamily("tcp_metrics", COMMANDS, attrs=ATTRS, summary=_summary))
