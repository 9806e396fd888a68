"""tc statistics: struct tc_stats and TCA_STATS2's gnet_stats_* (linux/gen_stats.h,
linux/pkt_sched.h), shared by qdiscs, classes, filters and actions."""
from __future__ import annotations

from construct import Int8sn, Int8un, Int32un, Int64un, Struct

from nlscope.decode.nla import AttrSet

from .rtnl_common import A, hdr

TC_STATS = hdr("tc_stats", Struct(
    "bytes" / Int64un, "packets" / Int32un, "drops" / Int32un, "overlimits" / Int32un,
    "bps" / Int32un, "pps" / Int32un, "qlen" / Int32un, "backlog" / Int32un))
GNET_STATS_BASIC = hdr("gnet_stats_basic", Struct("bytes" / Int64un, "packets" / Int32un))
GNET_STATS_RATE_EST = hdr("gnet_stats_rate_est", Struct("bps" / Int32un, "pps" / Int32un))
GNET_STATS_RATE_EST64 = hdr("gnet_stats_rate_est64", Struct("bps" / Int64un, "pps" / Int64un))
GNET_STATS_QUEUE = hdr("gnet_stats_queue", Struct(
    "qlen" / Int32un, "backlog" / Int32un, "drops" / Int32un, "requeues" / Int32un,
    "overlimits" / Int32un))
TC_ESTIMATOR = hdr("tc_estimator", Struct("interval" / Int8sn, "ewma_log" / Int8un))


def stats2(app: A) -> AttrSet:
    return AttrSet("tca_stats", {
        1: A("TCA_STATS_BASIC", "struct", struct=GNET_STATS_BASIC),
        2: A("TCA_STATS_RATE_EST", "struct", struct=GNET_STATS_RATE_EST),
        3: A("TCA_STATS_QUEUE", "struct", struct=GNET_STATS_QUEUE),
        4: app,
        5: A("TCA_STATS_RATE_EST64", "struct", struct=GNET_STATS_RATE_EST64),
        6: A("TCA_STATS_PAD", "binary"),
        7: A("TCA_STATS_BASIC_HW", "struct", struct=GNET_STATS_BASIC),
        8: A("TCA_STATS_PKT64", "u64"),
    })


STATS2 = stats2(A("TCA_STATS_APP", "binary"))
