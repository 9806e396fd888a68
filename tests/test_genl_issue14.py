"""Issue 14: the generic netlink families that had command names only (macsec, fou, l2tp,
TIPCv2, IOAM6, SEG6, ila, tcp_metrics) have hand-written tables from the UAPI headers:
every command and attribute the header names is named the same at the same number
(test_genl_tables.check), so they decode without kernel sources installed."""
from __future__ import annotations

import pytest
from test_genl_tables import check, header

from nlscope.dissectors import (genl_fou, genl_ila, genl_l2tp, genl_macsec, genl_seg6_ioam6,
                                genl_tcp_metrics, genl_tipc)


def names(aset) -> dict[int, str]:
    return {t: a.name for t, a in aset.attrs.items()}


def cmds(table, prefix):
    return lambda s: s and prefix + s


TABLES = [
    # (id, table, header, first member of the enum, prefix, how a table entry reads in full)
    ("fou cmds", genl_fou.COMMANDS, "fou.h", "FOU_CMD_UNSPEC", "FOU_CMD_", "FOU_CMD_"),
    ("fou attrs", names(genl_fou.ATTRS), "fou.h", "FOU_ATTR_UNSPEC", "FOU_ATTR_", ""),
    ("l2tp cmds", genl_l2tp.COMMANDS, "l2tp.h", "L2TP_CMD_NOOP", "L2TP_CMD_", "L2TP_CMD_"),
    ("l2tp attrs", {0: "L2TP_ATTR_NONE", **names(genl_l2tp.ATTRS)}, "l2tp.h", "L2TP_ATTR_NONE", "L2TP_ATTR_", ""),
    ("l2tp stats", {0: "L2TP_ATTR_STATS_NONE", **names(genl_l2tp.STATS)}, "l2tp.h", "L2TP_ATTR_STATS_NONE", "L2TP_ATTR_", ""),
    ("macsec cmds", genl_macsec.COMMANDS, "if_macsec.h", "MACSEC_CMD_GET_TXSC", "MACSEC_CMD_", "MACSEC_CMD_"),
    ("macsec attrs", names(genl_macsec.ATTRS), "if_macsec.h", "MACSEC_ATTR_UNSPEC", "MACSEC_ATTR_", ""),
    ("macsec secy", names(genl_macsec.SECY), "if_macsec.h", "MACSEC_SECY_ATTR_UNSPEC", "MACSEC_SECY_ATTR_", ""),
    ("macsec rxsc", names(genl_macsec.RXSC), "if_macsec.h", "MACSEC_RXSC_ATTR_UNSPEC", "MACSEC_RXSC_ATTR_", ""),
    ("macsec sa", names(genl_macsec.SA), "if_macsec.h", "MACSEC_SA_ATTR_UNSPEC", "MACSEC_SA_ATTR_", ""),
    ("macsec offload", names(genl_macsec.OFFLOAD_ATTRS), "if_macsec.h", "MACSEC_OFFLOAD_ATTR_UNSPEC",
     "MACSEC_OFFLOAD_ATTR_", ""),
    ("macsec rxsc stats", names(genl_macsec.RXSC_STATS), "if_macsec.h", "MACSEC_RXSC_STATS_ATTR_UNSPEC",
     "MACSEC_RXSC_STATS_ATTR_", ""),
    ("macsec sa stats", names(genl_macsec.SA_STATS), "if_macsec.h", "MACSEC_SA_STATS_ATTR_UNSPEC",
     "MACSEC_SA_STATS_ATTR_", ""),
    ("macsec txsc stats", names(genl_macsec.TXSC_STATS), "if_macsec.h", "MACSEC_TXSC_STATS_ATTR_UNSPEC",
     "MACSEC_TXSC_STATS_ATTR_", ""),
    ("macsec secy stats", names(genl_macsec.SECY_STATS), "if_macsec.h", "MACSEC_SECY_STATS_ATTR_UNSPEC",
     "MACSEC_SECY_STATS_ATTR_", ""),
    ("seg6 cmds", genl_seg6_ioam6.SEG6_COMMANDS, "seg6_genl.h", "SEG6_CMD_UNSPEC", "SEG6_CMD_", "SEG6_CMD_"),
    ("seg6 attrs", names(genl_seg6_ioam6.SEG6_ATTRS), "seg6_genl.h", "SEG6_ATTR_UNSPEC", "SEG6_ATTR_", ""),
    ("ioam6 cmds", genl_seg6_ioam6.IOAM6_COMMANDS, "ioam6_genl.h", "IOAM6_CMD_UNSPEC", "IOAM6_CMD_",
     "IOAM6_CMD_"),
    ("ioam6 attrs", names(genl_seg6_ioam6.IOAM6_ATTRS), "ioam6_genl.h", "IOAM6_ATTR_UNSPEC", "IOAM6_ATTR_", ""),
    ("ila cmds", genl_ila.COMMANDS, "ila.h", "ILA_CMD_UNSPEC", "ILA_CMD_", "ILA_CMD_"),
    ("ila attrs", names(genl_ila.ATTRS), "ila.h", "ILA_ATTR_UNSPEC", "ILA_ATTR_", ""),
    ("tcp_metrics cmds", genl_tcp_metrics.COMMANDS, "tcp_metrics.h", "TCP_METRICS_CMD_UNSPEC",
     "TCP_METRICS_CMD_", "TCP_METRICS_CMD_"),
    ("tcp_metrics attrs", names(genl_tcp_metrics.ATTRS), "tcp_metrics.h", "TCP_METRICS_ATTR_UNSPEC",
     "TCP_METRICS_ATTR_", ""),
    ("tcp_metrics vals", {t - 1: n for t, n in names(genl_tcp_metrics.VALS).items()}, "tcp_metrics.h",
     "TCP_METRIC_RTT", "TCP_METRIC_", ""),
    ("tipc cmds", genl_tipc.COMMANDS, "tipc_netlink.h", "TIPC_NL_UNSPEC", "TIPC_NL_", "TIPC_NL_"),
    ("tipc attrs", names(genl_tipc.ATTRS), "tipc_netlink.h", "TIPC_NLA_UNSPEC", "TIPC_NLA_", ""),
]
TIPC_SETS = ["BEARER", "UDP", "PUBL", "LINK", "MEDIA", "NODE", "NET", "NAME_TABLE", "MON", "MON_PEER",
             "PROP"]


@pytest.mark.parametrize("table,hdr,first,prefix,full", [t[1:] for t in TABLES], ids=[t[0] for t in TABLES])
def test_tables_match_the_uapi_headers(table, hdr, first, prefix, full):
    n = check(table, header(hdr), first, prefix, lambda s: s and full + s)
    assert n >= 2


@pytest.mark.parametrize("nest", TIPC_SETS)
def test_tipc_nests_match_the_uapi_header(nest):
    table = names(getattr(genl_tipc, nest))
    assert check(table, header("tipc_netlink.h"), f"TIPC_NLA_{nest}_UNSPEC", f"TIPC_NLA_{nest}_") >= 1


def test_tipc_link_stats_match_the_uapi_header():
    assert check(names(genl_tipc.LINK_STATS), header("tipc_netlink.h"), "TIPC_NLA_STATS_UNSPEC",
                 "TIPC_NLA_STATS_") == 33
