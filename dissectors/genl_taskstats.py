"""Per-task and per-process statistics (generic netlink family "TASKSTATS"),
linux/taskstats.h and linux/cgroupstats.h (cgroupstats shares the family).

Requests carry TASKSTATS_CMD_ATTR_*, replies and exit events TASKSTATS_TYPE_* with
struct taskstats; its stable leading fields (version 1 layout) are decoded.
"""
from __future__ import annotations

import construct as cs

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader

from .genl import GenlFamily, add_family, attrs_of, join

CMDS = {1: "GET", 2: "NEW", 4: "CGROUPSTATS_GET", 5: "CGROUPSTATS_NEW"}

# struct taskstats: the fields every version starts with (offsets per the header's
# alignment attributes), 168 bytes.
TASKSTATS = FixedHeader("taskstats", cs.Struct(
    "version" / cs.Int16un, cs.Padding(2), "ac_exitcode" / cs.Int32un,
    "ac_flag" / cs.Int8un, "ac_nice" / cs.Int8un, cs.Padding(6),
    "cpu_count" / cs.Int64un, "cpu_delay_total" / cs.Int64un,
    "blkio_count" / cs.Int64un, "blkio_delay_total" / cs.Int64un,
    "swapin_count" / cs.Int64un, "swapin_delay_total" / cs.Int64un,
    "cpu_run_real_total" / cs.Int64un, "cpu_run_virtual_total" / cs.Int64un,
    "ac_comm" / cs.Bytes(32), "ac_sched" / cs.Int8un, cs.Padding(7),
    "ac_uid" / cs.Int32un, "ac_gid" / cs.Int32un, "ac_pid" / cs.Int32un,
    "ac_ppid" / cs.Int32un, "ac_btime" / cs.Int32un, cs.Padding(4),
    "ac_etime" / cs.Int64un, "ac_utime" / cs.Int64un, "ac_stime" / cs.Int64un,
), kinds={"ac_comm": "string"})
# struct cgroupstats: five u64 counters.
CGROUPSTATS = FixedHeader("cgroupstats", cs.Struct(
    "nr_sleeping" / cs.Int64un, "nr_running" / cs.Int64un, "nr_stopped" / cs.Int64un,
    "nr_uninterruptible" / cs.Int64un, "nr_io_wait" / cs.Int64un))

AGGR = AttrSet("taskstats-aggr", {
    1: Attr("TASKSTATS_TYPE_PID", "u32"),
    2: Attr("TASKSTATS_TYPE_TGID", "u32"),
    3: Attr("TASKSTATS_TYPE_STATS", "struct", struct=TASKSTATS),
})
REPLY = AttrSet("taskstats-type", {
    **AGGR.attrs,
    4: Attr("TASKSTATS_TYPE_AGGR_PID", "nested", nested=AGGR),
    5: Attr("TASKSTATS_TYPE_AGGR_TGID", "nested", nested=AGGR),
    6: Attr("TASKSTATS_TYPE_NULL", "binary"),
})
REQUEST = AttrSet("taskstats-cmd", {
    1: Attr("TASKSTATS_CMD_ATTR_PID", "u32"),
    2: Attr("TASKSTATS_CMD_ATTR_TGID", "u32"),
    3: Attr("TASKSTATS_CMD_ATTR_REGISTER_CPUMASK", "string"),
    4: Attr("TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK", "string"),
})
CGROUP_REQUEST = AttrSet("cgroupstats-cmd", {1: Attr("CGROUPSTATS_CMD_ATTR_FD", "u32")})
CGROUP_REPLY = AttrSet("cgroupstats-type", {
    1: Attr("CGROUPSTATS_TYPE_CGROUP_STATS", "struct", struct=CGROUPSTATS)})


def summary(cmd: str, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    a = {f.name: f for f in attrs}
    for agg in ("TASKSTATS_TYPE_AGGR_PID", "TASKSTATS_TYPE_AGGR_TGID"):
        if agg in a:
            a.update({c.name: c for c in a[agg].children or ()})
    pid = a.get("TASKSTATS_CMD_ATTR_PID") or a.get("TASKSTATS_TYPE_PID")
    tgid = a.get("TASKSTATS_CMD_ATTR_TGID") or a.get("TASKSTATS_TYPE_TGID")
    st = a.get("TASKSTATS_TYPE_STATS")
    comm = st.get("ac_comm") if st is not None else None
    mask = a.get("TASKSTATS_CMD_ATTR_REGISTER_CPUMASK")
    return join(f"pid {pid.value}" if pid is not None else None,
                f"tgid {tgid.value}" if tgid is not None else None,
                f'comm "{comm.value}"' if comm is not None else None,
                f"register cpumask {mask.value}" if mask is not None else None)


def register(registry) -> None:
    add_family(registry, GenlFamily(
        "TASKSTATS", CMDS, cmd_attrs={"GET": REQUEST, "NEW": REPLY, "CGROUPSTATS_GET": CGROUP_REQUEST,
                                      "CGROUPSTATS_NEW": CGROUP_REPLY},
        summary=summary, kinds={"GET": "get", "NEW": "new"}))
