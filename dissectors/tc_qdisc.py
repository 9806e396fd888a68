"""tc qdisc and class options (TCA_OPTIONS) and their statistics (TCA_XSTATS,
TCA_STATS_APP) by kind, from linux/pkt_sched.h; how each kind lays them out on the wire
(a bare struct, attributes, a struct then attributes) from its net/sched/sch_*.c."""
from __future__ import annotations

import struct

from construct import Int8un, Int16sn, Int16un, Int32sn, Int32un, Int64sn, Int64un, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, FixedHeader, walk_attrs

from .rtnl_common import A, counters, header_then_attrs, hdr, kept_raw

TC_RATESPEC = Struct("cell_log" / Int8un, "linklayer" / Int8un, "overhead" / Int16un,
                     "cell_align" / Int16sn, "mpu" / Int16un, "rate" / Int32un)
TC_LINKLAYER = {0: "TC_LINKLAYER_UNAWARE", 1: "TC_LINKLAYER_ETHERNET", 2: "TC_LINKLAYER_ATM"}
TC_HTB_OPT = hdr("tc_htb_opt", Struct(
    "rate" / TC_RATESPEC, "ceil" / TC_RATESPEC, "buffer" / Int32un, "cbuffer" / Int32un,
    "quantum" / Int32un, "level" / Int32un, "prio" / Int32un), enums={"linklayer": TC_LINKLAYER})
TC_HTB_GLOB = hdr("tc_htb_glob", Struct(
    "version" / Int32un, "rate2quantum" / Int32un, "defcls" / Int32un, "debug" / Int32un,
    "direct_pkts" / Int32un))
HTB = AttrSet("tca_htb", {
    1: A("TCA_HTB_PARMS", "struct", struct=TC_HTB_OPT),
    2: A("TCA_HTB_INIT", "struct", struct=TC_HTB_GLOB),
    3: A("TCA_HTB_CTAB", "binary"),
    4: A("TCA_HTB_RTAB", "binary"),
    5: A("TCA_HTB_DIRECT_QLEN", "u32"),
    6: A("TCA_HTB_RATE64", "u64"),
    7: A("TCA_HTB_CEIL64", "u64"),
    8: A("TCA_HTB_PAD", "binary"),
    9: A("TCA_HTB_OFFLOAD", "flag"),
})
FQ_CODEL = AttrSet("tca_fq_codel", {
    1: A("TCA_FQ_CODEL_TARGET", "u32"),
    2: A("TCA_FQ_CODEL_LIMIT", "u32"),
    3: A("TCA_FQ_CODEL_INTERVAL", "u32"),
    4: A("TCA_FQ_CODEL_ECN", "u32"),
    5: A("TCA_FQ_CODEL_FLOWS", "u32"),
    6: A("TCA_FQ_CODEL_QUANTUM", "u32"),
    7: A("TCA_FQ_CODEL_CE_THRESHOLD", "u32"),
    8: A("TCA_FQ_CODEL_DROP_BATCH_SIZE", "u32"),
    9: A("TCA_FQ_CODEL_MEMORY_LIMIT", "u32"),
    10: A("TCA_FQ_CODEL_CE_THRESHOLD_SELECTOR", "u8"),
    11: A("TCA_FQ_CODEL_CE_THRESHOLD_MASK", "u8"),
})
TBF = AttrSet("tca_tbf", {
    1: A("TCA_TBF_PARMS", "struct", struct=hdr("tc_tbf_qopt", Struct(
        "rate" / TC_RATESPEC, "peakrate" / TC_RATESPEC, "limit" / Int32un, "buffer" / Int32un,
        "mtu" / Int32un), enums={"linklayer": TC_LINKLAYER})),
    2: A("TCA_TBF_RTAB", "binary"),
    3: A("TCA_TBF_PTAB", "binary"),
    4: A("TCA_TBF_RATE64", "u64"),
    5: A("TCA_TBF_PRATE64", "u64"),
    6: A("TCA_TBF_BURST", "u32"),
    7: A("TCA_TBF_PBURST", "u32"),
    8: A("TCA_TBF_PAD", "binary"),
})
TC_PRIO_QOPT = hdr("tc_prio_qopt", Struct("bands" / Int32sn, *(f"priomap{i}" / Int8un for i in range(16))))
TC_FIFO_QOPT = hdr("tc_fifo_qopt", Struct("limit" / Int32un))
TC_SFQ_QOPT = hdr("tc_sfq_qopt", Struct(
    "quantum" / Int32un, "perturb_period" / Int32sn, "limit" / Int32un, "divisor" / Int32un,
    "flows" / Int32un))
NO_OPTIONS = AttrSet("no_options", {})

# TCA_XSTATS (and TCA_STATS_APP): the kind's own statistics struct.
TC_HTB_XSTATS = hdr("tc_htb_xstats", Struct(
    "lends" / Int32un, "borrows" / Int32un, "giants" / Int32un, "tokens" / Int32sn,
    "ctokens" / Int32sn))
FQ_CODEL_QD = ["maxpacket", "drop_overlimit", "ecn_mark", "new_flow_count", "new_flows_len",
               "old_flows_len", "ce_mark", "memory_usage", "drop_overmemory"]
FQ_CODEL_CL = hdr("tc_fq_codel_cl_stats", Struct(
    "deficit" / Int32sn, "ldelay" / Int32un, "count" / Int32un, "lastcount" / Int32un,
    "dropping" / Int32un, "drop_next" / Int32sn))
_fq_codel_qd = counters(FQ_CODEL_QD, "I")


def _fq_codel_xstats(name, buf, start, end, order, problems, path, siblings) -> Field:
    """struct tc_fq_codel_xstats: a type, then the qdisc's or a class's stats."""
    p0 = start + 4
    if end - p0 < 4:
        return kept_raw(name, buf, start, end, problems,
                        f"{path}: {end - p0} bytes, too short for tc_fq_codel_xstats")
    t = struct.unpack_from(order + "I", buf, p0)[0]
    kids = [Field("type", "enum", t, p0, p0 + 4,
                  {0: "TCA_FQ_CODEL_XSTATS_QDISC", 1: "TCA_FQ_CODEL_XSTATS_CLASS"}.get(t))]
    if t == 0:
        kids.append(_fq_codel_qd("qdisc_stats", buf, p0, end, order, problems, path, siblings))
    elif t == 1 and end - p0 - 4 >= FQ_CODEL_CL.size:
        kids.append(Field("class_stats", "struct", None, p0 + 4, end,
                          children=FQ_CODEL_CL.parse(buf, p0 + 4, order)))
    else:
        kids.append(Field("data", "bytes", bytes(buf[p0 + 4:end]), p0 + 4, end))
    return Field(name, "struct", None, start, end, children=kids)




def grown(st_name: str, members: list[tuple[str, str]]):
    """A statistics struct the kernel appends members to (tc_fq_qd_stats): the whole
    members present, in order; bytes past the known ones (a newer kernel) kept as they are."""
    def decode(name, buf, start, end, order, problems, path, siblings) -> Field:
        p = start + 4
        kids = []
        for member, fmt in members:
            size = struct.calcsize(fmt)
            if end - p < size:
                break
            kids.append(Field(member, "int", struct.unpack_from(order + fmt, buf, p)[0], p, p + size))
            p += size
        if p < end and len(kids) < len(members):
            problems.append(f"{path}: {end - p} bytes left, not a whole {st_name} member")
        if p < end:
            kids.append(Field("newer", "bytes", bytes(buf[p:end]), p, end))
        return Field(name, "struct", None, start, end, children=kids)
    return decode


# -- cake (sch_cake.c: every option and statistic an attribute) ---------------------------
CAKE_DIFFSERV = {0: "CAKE_DIFFSERV_DIFFSERV3", 1: "CAKE_DIFFSERV_DIFFSERV4", 2: "CAKE_DIFFSERV_DIFFSERV8",
                 3: "CAKE_DIFFSERV_BESTEFFORT", 4: "CAKE_DIFFSERV_PRECEDENCE"}
CAKE_FLOW = {0: "CAKE_FLOW_NONE", 1: "CAKE_FLOW_SRC_IP", 2: "CAKE_FLOW_DST_IP", 3: "CAKE_FLOW_HOSTS",
             4: "CAKE_FLOW_FLOWS", 5: "CAKE_FLOW_DUAL_SRC", 6: "CAKE_FLOW_DUAL_DST", 7: "CAKE_FLOW_TRIPLE"}
CAKE_ACK = {0: "CAKE_ACK_NONE", 1: "CAKE_ACK_FILTER", 2: "CAKE_ACK_AGGRESSIVE"}
CAKE_ATM = {0: "CAKE_ATM_NONE", 1: "CAKE_ATM_ATM", 2: "CAKE_ATM_PTM"}
CAKE = AttrSet("tca_cake", {
    1: A("TCA_CAKE_PAD", "binary"),
    2: A("TCA_CAKE_BASE_RATE64", "u64"),
    3: A("TCA_CAKE_DIFFSERV_MODE", "u32", enum=CAKE_DIFFSERV),
    4: A("TCA_CAKE_ATM", "u32", enum=CAKE_ATM),
    5: A("TCA_CAKE_FLOW_MODE", "u32", enum=CAKE_FLOW),
    6: A("TCA_CAKE_OVERHEAD", "s32"),
    7: A("TCA_CAKE_RTT", "u32"),
    8: A("TCA_CAKE_TARGET", "u32"),
    9: A("TCA_CAKE_AUTORATE", "u32"),
    10: A("TCA_CAKE_MEMORY", "u32"),
    11: A("TCA_CAKE_NAT", "u32"),
    12: A("TCA_CAKE_RAW", "u32"),
    13: A("TCA_CAKE_WASH", "u32"),
    14: A("TCA_CAKE_MPU", "u32"),
    15: A("TCA_CAKE_INGRESS", "u32"),
    16: A("TCA_CAKE_ACK_FILTER", "u32", enum=CAKE_ACK),
    17: A("TCA_CAKE_SPLIT_GSO", "u32"),
    18: A("TCA_CAKE_FWMARK", "u32"),
})
_TIN = ["PAD", "SENT_PACKETS", "SENT_BYTES64", "DROPPED_PACKETS", "DROPPED_BYTES64",
        "ACKS_DROPPED_PACKETS", "ACKS_DROPPED_BYTES64", "ECN_MARKED_PACKETS", "ECN_MARKED_BYTES64",
        "BACKLOG_PACKETS", "BACKLOG_BYTES", "THRESHOLD_RATE64", "TARGET_US", "INTERVAL_US",
        "WAY_INDIRECT_HITS", "WAY_MISSES", "WAY_COLLISIONS", "PEAK_DELAY_US", "AVG_DELAY_US",
        "BASE_DELAY_US", "SPARSE_FLOWS", "BULK_FLOWS", "UNRESPONSIVE_FLOWS", "MAX_SKBLEN",
        "FLOW_QUANTUM"]
CAKE_TIN_STATS = AttrSet("tca_cake_tin_stats", {
    i: A("TCA_CAKE_TIN_STATS_" + n, "binary" if n == "PAD" else "u64" if n.endswith("64") else "u32")
    for i, n in enumerate(_TIN, 1)})
CAKE_STATS = AttrSet("tca_cake_stats", {
    1: A("TCA_CAKE_STATS_PAD", "binary"),
    2: A("TCA_CAKE_STATS_CAPACITY_ESTIMATE64", "u64"),
    3: A("TCA_CAKE_STATS_MEMORY_LIMIT", "u32"),
    4: A("TCA_CAKE_STATS_MEMORY_USED", "u32"),
    5: A("TCA_CAKE_STATS_AVG_NETOFF", "u32"),
    6: A("TCA_CAKE_STATS_MIN_NETLEN", "u32"),
    7: A("TCA_CAKE_STATS_MAX_NETLEN", "u32"),
    8: A("TCA_CAKE_STATS_MIN_ADJLEN", "u32"),
    9: A("TCA_CAKE_STATS_MAX_ADJLEN", "u32"),
    10: A("TCA_CAKE_STATS_TIN_STATS", "nested-array", nested=CAKE_TIN_STATS),  # one nest per tin, by order
    11: A("TCA_CAKE_STATS_DEFICIT", "s32"),
    12: A("TCA_CAKE_STATS_COBALT_COUNT", "u32"),
    13: A("TCA_CAKE_STATS_DROPPING", "u32"),
    14: A("TCA_CAKE_STATS_DROP_NEXT_US", "s32"),
    15: A("TCA_CAKE_STATS_P_DROP", "u32"),
    16: A("TCA_CAKE_STATS_BLUE_TIMER_US", "s32"),
})

# -- fq -----------------------------------------------------------------------------------
FQ = AttrSet("tca_fq", {
    1: A("TCA_FQ_PLIMIT", "u32"),
    2: A("TCA_FQ_FLOW_PLIMIT", "u32"),
    3: A("TCA_FQ_QUANTUM", "u32"),
    4: A("TCA_FQ_INITIAL_QUANTUM", "u32"),
    5: A("TCA_FQ_RATE_ENABLE", "u32"),
    6: A("TCA_FQ_FLOW_DEFAULT_RATE", "u32"),
    7: A("TCA_FQ_FLOW_MAX_RATE", "u32"),
    8: A("TCA_FQ_BUCKETS_LOG", "u32"),
    9: A("TCA_FQ_FLOW_REFILL_DELAY", "u32"),
    10: A("TCA_FQ_ORPHAN_MASK", "u32"),
    11: A("TCA_FQ_LOW_RATE_THRESHOLD", "u32"),
    12: A("TCA_FQ_CE_THRESHOLD", "u32"),
    13: A("TCA_FQ_TIMER_SLACK", "u32"),
    14: A("TCA_FQ_HORIZON", "u32"),
    15: A("TCA_FQ_HORIZON_DROP", "u8"),
    16: A("TCA_FQ_PRIOMAP", "struct", struct=TC_PRIO_QOPT),
    17: A("TCA_FQ_WEIGHTS", "custom", decode=counters([f"band{i}" for i in range(3)], "i")),
})
FQ_QD_STATS = grown("tc_fq_qd_stats", [
    ("gc_flows", "Q"), ("highprio_packets", "Q"), ("tcp_retrans", "Q"), ("throttled", "Q"),
    ("flows_plimit", "Q"), ("pkts_too_long", "Q"), ("allocation_errors", "Q"),
    ("time_next_delayed_flow", "q"), ("flows", "I"), ("inactive_flows", "I"),
    ("throttled_flows", "I"), ("unthrottle_latency_ns", "I"), ("ce_mark", "Q"),
    ("horizon_drops", "Q"), ("horizon_caps", "Q"), ("fastpath_packets", "Q"),
    *((f"band_drops{i}", "Q") for i in range(3)), *((f"band_pkt_count{i}", "I") for i in range(3)),
    ("pad", "I")])

# -- ets ----------------------------------------------------------------------------------
ETS = AttrSet("tca_ets", {
    1: A("TCA_ETS_NBANDS", "u8"),
    2: A("TCA_ETS_NSTRICT", "u8"),
    3: A("TCA_ETS_QUANTA", "nested", nested=AttrSet("tca_ets_quanta", {4: A("TCA_ETS_QUANTA_BAND", "u32")})),
    4: A("TCA_ETS_QUANTA_BAND", "u32"),  # a class's own quantum
    5: A("TCA_ETS_PRIOMAP", "nested", nested=AttrSet("tca_ets_priomap", {6: A("TCA_ETS_PRIOMAP_BAND", "u8")})),
    6: A("TCA_ETS_PRIOMAP_BAND", "u8"),
})

# -- red ----------------------------------------------------------------------------------
TC_RED_FLAGS = {1: "TC_RED_ECN", 2: "TC_RED_HARDDROP", 4: "TC_RED_ADAPTATIVE", 8: "TC_RED_NODROP"}
TC_RED_QOPT = hdr("tc_red_qopt", Struct(
    "limit" / Int32un, "qth_min" / Int32un, "qth_max" / Int32un, "Wlog" / Int8un, "Plog" / Int8un,
    "Scell_log" / Int8un, "flags" / Int8un), flags={"flags": TC_RED_FLAGS})
RED = AttrSet("tca_red", {
    1: A("TCA_RED_PARMS", "struct", struct=TC_RED_QOPT),
    2: A("TCA_RED_STAB", "binary"),  # 256 bytes of idle-damping table
    3: A("TCA_RED_MAX_P", "u32"),
    4: A("TCA_RED_FLAGS", "bitfield32", flags=TC_RED_FLAGS),
    5: A("TCA_RED_EARLY_DROP_BLOCK", "u32"),
    6: A("TCA_RED_MARK_BLOCK", "u32"),
})
TC_RED_XSTATS = hdr("tc_red_xstats", Struct(
    "early" / Int32un, "pdrop" / Int32un, "other" / Int32un, "marked" / Int32un))

# -- hfsc ---------------------------------------------------------------------------------
TC_HFSC_QOPT = hdr("tc_hfsc_qopt", Struct("defcls" / Int16un))
TC_SERVICE_CURVE = hdr("tc_service_curve", Struct("m1" / Int32un, "d" / Int32un, "m2" / Int32un))
HFSC_CLASS = AttrSet("tca_hfsc", {
    1: A("TCA_HFSC_RSC", "struct", struct=TC_SERVICE_CURVE),
    2: A("TCA_HFSC_FSC", "struct", struct=TC_SERVICE_CURVE),
    3: A("TCA_HFSC_USC", "struct", struct=TC_SERVICE_CURVE),
})
TC_HFSC_STATS = hdr("tc_hfsc_stats", Struct(
    "work" / Int64un, "rtwork" / Int64un, "period" / Int32un, "level" / Int32un))


def _hfsc_options(name, buf, start, end, order, problems, path, siblings) -> Field:
    """A qdisc's options are a bare tc_hfsc_qopt (2 bytes), a class's are attributes:
    the same kind, told apart by size (no attribute fits in 2 bytes)."""
    p0 = start + 4
    if end - p0 == TC_HFSC_QOPT.size:
        return Field(name, "struct", None, start, end, children=TC_HFSC_QOPT.parse(buf, p0, order))
    return Field(name, "nest", None, start, end,
                 children=walk_attrs(buf, p0, end, HFSC_CLASS, order, problems, path + "."))


# -- netem: struct tc_netem_qopt, then attributes -----------------------------------------
TC_NETEM_QOPT = hdr("tc_netem_qopt", Struct(
    "latency" / Int32un, "limit" / Int32un, "loss" / Int32un, "gap" / Int32un,
    "duplicate" / Int32un, "jitter" / Int32un))
_PROB_CORR = Struct("probability" / Int32un, "correlation" / Int32un)
NETEM = AttrSet("tca_netem", {
    1: A("TCA_NETEM_CORR", "struct", struct=hdr("tc_netem_corr", Struct(
        "delay_corr" / Int32un, "loss_corr" / Int32un, "dup_corr" / Int32un))),
    2: A("TCA_NETEM_DELAY_DIST", "custom", decode=counters([], "h")),
    3: A("TCA_NETEM_REORDER", "struct", struct=hdr("tc_netem_reorder", _PROB_CORR)),
    4: A("TCA_NETEM_CORRUPT", "struct", struct=hdr("tc_netem_corrupt", _PROB_CORR)),
    5: A("TCA_NETEM_LOSS", "nested", nested=AttrSet("tca_netem_loss", {
        1: A("NETEM_LOSS_GI", "struct", struct=hdr("tc_netem_gimodel", Struct(
            "p13" / Int32un, "p31" / Int32un, "p32" / Int32un, "p14" / Int32un, "p23" / Int32un))),
        2: A("NETEM_LOSS_GE", "struct", struct=hdr("tc_netem_gemodel", Struct(
            "p" / Int32un, "r" / Int32un, "h" / Int32un, "k1" / Int32un))),
    })),
    6: A("TCA_NETEM_RATE", "struct", struct=hdr("tc_netem_rate", Struct(
        "rate" / Int32un, "packet_overhead" / Int32sn, "cell_size" / Int32un, "cell_overhead" / Int32sn))),
    7: A("TCA_NETEM_ECN", "u32"),
    8: A("TCA_NETEM_RATE64", "u64"),
    9: A("TCA_NETEM_PAD", "binary"),
    10: A("TCA_NETEM_LATENCY64", "s64"),
    11: A("TCA_NETEM_JITTER64", "s64"),
    12: A("TCA_NETEM_SLOT", "struct", struct=hdr("tc_netem_slot", Struct(
        "min_delay" / Int64sn, "max_delay" / Int64sn, "max_packets" / Int32sn, "max_bytes" / Int32sn,
        "dist_delay" / Int64sn, "dist_jitter" / Int64sn))),
    13: A("TCA_NETEM_SLOT_DIST", "custom", decode=counters([], "h")),
    14: A("TCA_NETEM_PRNG_SEED", "u64"),
})

# -- mqprio and taprio: struct tc_mqprio_qopt -----------------------------------------------
TC_MQPRIO_QOPT = hdr("tc_mqprio_qopt", Struct(
    "num_tc" / Int8un, "prio_tc_map" / Struct(*(str(i) / Int8un for i in range(16))), "hw" / Int8un,
    "count" / Struct(*(str(i) / Int16un for i in range(16))),
    "offset" / Struct(*(str(i) / Int16un for i in range(16)))))
TC_FP = {1: "TC_FP_EXPRESS", 2: "TC_FP_PREEMPTIBLE"}
MQPRIO = AttrSet("tca_mqprio", {
    1: A("TCA_MQPRIO_MODE", "u16", enum={0: "TC_MQPRIO_MODE_DCB", 1: "TC_MQPRIO_MODE_CHANNEL"}),
    2: A("TCA_MQPRIO_SHAPER", "u16", enum={0: "TC_MQPRIO_SHAPER_DCB", 1: "TC_MQPRIO_SHAPER_BW_RATE"}),
    3: A("TCA_MQPRIO_MIN_RATE64", "nested", nested=AttrSet("tca_mqprio_min_rate64", {
        3: A("TCA_MQPRIO_MIN_RATE64", "u64")})),  # one per traffic class, same type inside
    4: A("TCA_MQPRIO_MAX_RATE64", "nested", nested=AttrSet("tca_mqprio_max_rate64", {
        4: A("TCA_MQPRIO_MAX_RATE64", "u64")})),
    5: A("TCA_MQPRIO_TC_ENTRY", "nested", nested=AttrSet("tca_mqprio_tc_entry", {
        1: A("TCA_MQPRIO_TC_ENTRY_INDEX", "u32"), 2: A("TCA_MQPRIO_TC_ENTRY_FP", "u32", enum=TC_FP)})),
})
CLOCKID = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 7: "CLOCK_BOOTTIME", 11: "CLOCK_TAI"}  # linux/time.h
TAPRIO_ENTRY = AttrSet("tca_taprio_sched_entry", {
    1: A("TCA_TAPRIO_SCHED_ENTRY_INDEX", "u32"),
    2: A("TCA_TAPRIO_SCHED_ENTRY_CMD", "u8", enum={0: "TC_TAPRIO_CMD_SET_GATES", 1: "TC_TAPRIO_CMD_SET_AND_HOLD",
                                                   2: "TC_TAPRIO_CMD_SET_AND_RELEASE"}),
    3: A("TCA_TAPRIO_SCHED_ENTRY_GATE_MASK", "u32"),
    4: A("TCA_TAPRIO_SCHED_ENTRY_INTERVAL", "u32"),
})
TAPRIO = AttrSet("tca_taprio", {
    1: A("TCA_TAPRIO_ATTR_PRIOMAP", "struct", struct=TC_MQPRIO_QOPT),
    2: A("TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST", "nested", nested=AttrSet("tca_taprio_sched", {
        1: A("TCA_TAPRIO_SCHED_ENTRY", "nested", nested=TAPRIO_ENTRY)})),
    3: A("TCA_TAPRIO_ATTR_SCHED_BASE_TIME", "s64"),
    4: A("TCA_TAPRIO_ATTR_SCHED_SINGLE_ENTRY", "nested", nested=TAPRIO_ENTRY),
    5: A("TCA_TAPRIO_ATTR_SCHED_CLOCKID", "s32", enum=CLOCKID),
    6: A("TCA_TAPRIO_PAD", "binary"),
    # 7, TCA_TAPRIO_ATTR_ADMIN_SCHED: this same set again, added below
    8: A("TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME", "s64"),
    9: A("TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME_EXTENSION", "s64"),
    10: A("TCA_TAPRIO_ATTR_FLAGS", "u32", flags={1: "TCA_TAPRIO_ATTR_FLAG_TXTIME_ASSIST",
                                                 2: "TCA_TAPRIO_ATTR_FLAG_FULL_OFFLOAD"}),
    11: A("TCA_TAPRIO_ATTR_TXTIME_DELAY", "u32"),
    12: A("TCA_TAPRIO_ATTR_TC_ENTRY", "nested", nested=AttrSet("tca_taprio_tc_entry", {
        1: A("TCA_TAPRIO_TC_ENTRY_INDEX", "u32"), 2: A("TCA_TAPRIO_TC_ENTRY_MAX_SDU", "u32"),
        3: A("TCA_TAPRIO_TC_ENTRY_FP", "u32", enum=TC_FP)})),
})
TAPRIO.attrs[7] = A("TCA_TAPRIO_ATTR_ADMIN_SCHED", "nested", nested=TAPRIO)
TAPRIO_XSTATS = AttrSet("tca_taprio_offload_stats", {
    1: A("TCA_TAPRIO_OFFLOAD_STATS_PAD", "binary"),
    2: A("TCA_TAPRIO_OFFLOAD_STATS_WINDOW_DROPS", "u64"),
    3: A("TCA_TAPRIO_OFFLOAD_STATS_TX_OVERRUNS", "u64"),
})

# TCA_OPTIONS is nested attributes for most kinds, a bare struct for the old ones.
QDISC_OPTIONS: dict[str, AttrSet | FixedHeader | object] = {
    "htb": HTB, "fq_codel": FQ_CODEL, "tbf": TBF, "ingress": NO_OPTIONS, "clsact": NO_OPTIONS,
    "prio": TC_PRIO_QOPT, "pfifo_fast": TC_PRIO_QOPT, "pfifo": TC_FIFO_QOPT,
    "bfifo": TC_FIFO_QOPT, "pfifo_head_drop": TC_FIFO_QOPT, "sfq": TC_SFQ_QOPT,
    "noqueue": NO_OPTIONS, "mq": NO_OPTIONS,
    "cake": CAKE, "fq": FQ, "ets": ETS, "red": RED, "hfsc": _hfsc_options,
    "netem": header_then_attrs(TC_NETEM_QOPT, NETEM), "mqprio": header_then_attrs(TC_MQPRIO_QOPT, MQPRIO),
    "taprio": TAPRIO,
}

# TCA_XSTATS (and TCA_STATS_APP): the kind's own statistics.
XSTATS: dict[str, AttrSet | FixedHeader | object] = {
    "htb": TC_HTB_XSTATS, "fq_codel": _fq_codel_xstats, "fq": FQ_QD_STATS, "red": TC_RED_XSTATS,
    "hfsc": TC_HFSC_STATS, "cake": CAKE_STATS, "taprio": TAPRIO_XSTATS,
}
