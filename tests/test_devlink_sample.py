"""Real devlink traffic: samples/devlink.pcapng (samples/scenarios/devlink.sh on a
netdevsim device in the VM lab; no VM needed here).

Every message decodes without a problem, every attribute is named and typed, and the
values of the replies to each `devlink -j ...` command equal what devlink printed
(samples/devlink.*.json): driver and versions, reload statistics, parameters and
their values, ports, health reporters, resources, regions, traps, trap groups and
policers. The replies of a command are the devlink messages captured between its
start and the next command's, both times taken from samples/devlink.log (the
capture's clock).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

import pytest
from conftest import SAMPLES, attribute_coverage

from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import Field
from nlscope.decode.registry import default_registry

SAMPLE = SAMPLES / "devlink.pcapng"
LOG = SAMPLES / "devlink.log"
NLM_F_REQUEST = 1
U64_MAX = (1 << 64) - 1
PREFIX = "DEVLINK_ATTR_"


@lru_cache(maxsize=1)
def messages():
    return tuple(Decoder(default_registry(entry_points=False)).messages(CaptureReader(SAMPLE)))


def devlink_messages():
    return [m for m in messages() if (m.type_name or "").startswith("devlink ")]


@lru_cache(maxsize=1)
def command_windows() -> dict[str, tuple[int, int]]:
    """{command line or saved file name: (start ns, next command's start ns)}."""
    blocks = re.findall(r"^\$ (.*?)\n.*?^\[exit -?\d+; t=(\d+)\.(\d{9})\]", LOG.read_text(), re.M | re.S)
    starts = [(cmd, int(s) * 10**9 + int(ns)) for cmd, s, ns in blocks]
    out = {}
    for i, (cmd, t) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else 1 << 63
        m = re.search(r" > (devlink\.[\w.-]+\.json)$", cmd)
        out[m.group(1) if m else cmd] = (t, end)
    return out


def replies(saved: str, cmd: str | None = None) -> list[list[Field]]:
    """The attribute lists of the devlink replies (of command `cmd`, when given) to the
    command that saved `saved`."""
    t0, t1 = command_windows()[saved]
    out = []
    for m in devlink_messages():
        if cmd is not None and m.type_name != f"devlink {cmd}":
            continue
        if t0 <= m.frame.ts_ns < t1 and not m.flags & NLM_F_REQUEST:
            attrs = next(f for f in m.tree if f.name == "attributes")
            out.append(attrs.children)
    assert out, f"no devlink replies to the command that wrote {saved}"
    return out


def reference(saved: str):
    return json.loads((SAMPLES / saved).read_text())


# -- reading decoded attributes ---------------------------------------------------------

def one(fields: list[Field], short: str) -> Field | None:
    return next((f for f in fields if f.name == PREFIX + short), None)


def each(fields: list[Field], short: str) -> list[Field]:
    return [f for f in fields if f.name == PREFIX + short]


def val(fields: list[Field], short: str):
    f = one(fields, short)
    return None if f is None else f.value


def low(fields: list[Field], short: str) -> str:
    """An enum attribute by its decoded name, as devlink prints it (lower case)."""
    f = one(fields, short)
    assert f is not None and f.kind == "enum" and f.meta, (short, f)
    return f.meta.lower()


def handle(fields: list[Field]) -> str:
    return f"{val(fields, 'BUS_NAME')}/{val(fields, 'DEV_NAME')}"


# -- the whole file -------------------------------------------------------------------

def test_every_message_decodes_without_a_problem():
    msgs = messages()
    assert len(msgs) >= 300
    bad = [(m.number, m.type_name, m.problems) for m in msgs if m.problems]
    assert not bad
    assert not [m.summary for m in msgs if "malformed" in m.summary or "cannot decode" in m.summary]
    unnamed = {m.type_name for m in msgs if re.search(r"(cmd \d+|family 0x)", m.type_name or "")}
    assert not unnamed


def test_every_devlink_attribute_named_and_typed():
    msgs = devlink_messages()
    named, total = attribute_coverage(msgs)
    raw = [(m.number, f.name) for m in msgs for top in m.tree if top.name == "attributes"
           for _, f in top.walk() if f.kind == "bytes"]
    print(f"\n{SAMPLE.name}: {len(messages())} messages, {len(msgs)} devlink, "
          f"attributes named {named}/{total}, left as raw bytes {len(raw)}")
    assert named == total
    assert not raw


def test_error_cases_are_answered_with_the_errno_devlink_printed():
    errs = {}
    for cmd in ("devlink dev show netdevsim/netdevsim9",
                "devlink dev param show netdevsim/netdevsim1 name no_such_param",
                "devlink port show netdevsim/netdevsim1/77"):
        t0, t1 = command_windows()[cmd]
        errs[cmd] = [m.error_code for m in messages()
                     if t0 <= m.frame.ts_ns < t1 and m.type == 2 and m.error_code]
    assert errs == {"devlink dev show netdevsim/netdevsim9": [-19],
                    "devlink dev param show netdevsim/netdevsim1 name no_such_param": [-22],
                    "devlink port show netdevsim/netdevsim1/77": [-19]}


# -- values against devlink -j ----------------------------------------------------------

def test_dev_info_driver_and_versions():
    got = {}
    for a in replies("devlink.dev-info.json"):
        versions = {}
        for kind in ("FIXED", "RUNNING", "STORED"):
            vs = {val(v.children, "INFO_VERSION_NAME"): val(v.children, "INFO_VERSION_VALUE")
                  for v in each(a, f"INFO_VERSION_{kind}")}
            if vs:
                versions[kind.lower()] = vs
        got[handle(a)] = {"driver": val(a, "INFO_DRIVER_NAME"), "versions": versions}
    assert got == reference("devlink.dev-info.json")["info"]
    assert got["netdevsim/netdevsim1"]["versions"]["running"] == {"fw.mgmt": "10.20.30"}


LIMITS = {"UNSPEC": "unspecified", "NO_RESET": "no_reset"}


def _reload_stats(nest: Field) -> dict:
    out = {}
    for info in each(nest.children, "RELOAD_ACTION_INFO"):
        entries = {}
        for st in each(info.children, "RELOAD_ACTION_STATS"):
            for e in each(st.children, "RELOAD_STATS_ENTRY"):
                limit = one(e.children, "RELOAD_STATS_LIMIT")
                entries[LIMITS[limit.meta]] = val(e.children, "RELOAD_STATS_VALUE")
        out[low(info.children, "RELOAD_ACTION")] = entries
    return out


def test_dev_show_reload_statistics():
    got = {}
    for a in replies("devlink.dev-show.json"):
        stats = one(a, "DEV_STATS")
        got[handle(a)] = {"stats": {"reload": _reload_stats(one(stats.children, "RELOAD_STATS")),
                                    "remote_reload": _reload_stats(one(stats.children, "REMOTE_RELOAD_STATS"))}}
    assert got == reference("devlink.dev-show.json")["dev"]
    assert got["netdevsim/netdevsim1"]["stats"]["reload"] == {"driver_reinit": {"unspecified": 1}}


def test_params_and_their_values():
    got: dict[str, list] = {}
    for a in replies("devlink.param-show.json"):
        for p in each(a, "PARAM"):
            kids = p.children
            ptype = one(kids, "PARAM_TYPE").meta
            values = []
            for vl in each(kids, "PARAM_VALUES_LIST"):
                for v in each(vl.children, "PARAM_VALUE"):
                    data = one(v.children, "PARAM_VALUE_DATA")
                    if ptype == "BOOL":  # a flag: present when true
                        value = data is not None
                    else:
                        assert data is not None and data.kind in ("int", "str"), data
                        value = data.value
                    values.append({"cmode": low(v.children, "PARAM_VALUE_CMODE"), "value": value})
            got.setdefault(handle(a), []).append({
                "name": val(kids, "PARAM_NAME"),
                "type": "generic" if one(kids, "PARAM_GENERIC") is not None else "driver-specific",
                "values": values})
    assert got == reference("devlink.param-show.json")["param"]
    assert got["netdevsim/netdevsim1"][0]["values"] == [{"cmode": "driverinit", "value": 16}]


def test_param_set_requests_carry_typed_values():
    sets = []
    for m in devlink_messages():
        if m.type_name == "devlink PARAM_SET":
            a = next(f for f in m.tree if f.name == "attributes").children
            data = one(a, "PARAM_VALUE_DATA")
            sets.append((val(a, "PARAM_NAME"), one(a, "PARAM_TYPE").meta,
                         None if data is None else data.value))
    # `param set ... value false` of a bool sends no data attribute
    assert sets == [("max_macs", "U32", 16), ("test1", "BOOL", None)]


def test_ports():
    got = {}
    for a in replies("devlink.port-show.json"):
        got[f"{handle(a)}/{val(a, 'PORT_INDEX')}"] = {
            "type": low(a, "PORT_TYPE"), "netdev": val(a, "PORT_NETDEV_NAME"),
            "flavour": low(a, "PORT_FLAVOUR"), "port": val(a, "PORT_NUMBER"),
            "splittable": bool(val(a, "PORT_SPLITTABLE"))}
    assert got == reference("devlink.port-show.json")["port"]
    assert len(got) == 2


def test_health_reporters():
    got: dict[str, list] = {}
    for a in replies("devlink.health-show.json"):
        r = one(a, "HEALTH_REPORTER").children
        item = {"reporter": val(r, "HEALTH_REPORTER_NAME"), "state": low(r, "HEALTH_REPORTER_STATE"),
                "error": val(r, "HEALTH_REPORTER_ERR_COUNT"),
                "recover": val(r, "HEALTH_REPORTER_RECOVER_COUNT")}
        if one(r, "HEALTH_REPORTER_GRACEFUL_PERIOD") is not None:
            item["grace_period"] = val(r, "HEALTH_REPORTER_GRACEFUL_PERIOD")
        if one(r, "HEALTH_REPORTER_AUTO_RECOVER") is not None:
            item["auto_recover"] = bool(val(r, "HEALTH_REPORTER_AUTO_RECOVER"))
        if one(r, "HEALTH_REPORTER_AUTO_DUMP") is not None:
            item["auto_dump"] = bool(val(r, "HEALTH_REPORTER_AUTO_DUMP"))
        got.setdefault(handle(a), []).append(item)
    assert got == reference("devlink.health-show.json")["health"]


def _size(v: int):
    return "unlimited" if v == U64_MAX else v


def _resource(r: list[Field]) -> dict:
    out = {"name": val(r, "RESOURCE_NAME"), "size": _size(val(r, "RESOURCE_SIZE")),
           "unit": low(r, "RESOURCE_UNIT"), "size_min": _size(val(r, "RESOURCE_SIZE_MIN")),
           "size_max": _size(val(r, "RESOURCE_SIZE_MAX")), "size_gran": val(r, "RESOURCE_SIZE_GRAN")}
    if one(r, "RESOURCE_OCC") is not None:
        out["occ"] = val(r, "RESOURCE_OCC")
    sub = one(r, "RESOURCE_LIST")
    if sub is not None:
        out["resources"] = [_resource(c.children) for c in each(sub.children, "RESOURCE")]
    return out


def _without_dpipe(r: dict) -> dict:
    out = {k: v for k, v in r.items() if k != "dpipe_tables"}
    if "resources" in out:
        out["resources"] = [_without_dpipe(c) for c in out["resources"]]
    return out


def test_resources():
    got = {}
    for a in replies("devlink.resource-show.json", "RESOURCE_DUMP"):  # after a DPIPE_TABLE_GET
        got[handle(a)] = [_resource(r.children) for r in each(one(a, "RESOURCE_LIST").children, "RESOURCE")]
    want = {h: [_without_dpipe(r) for r in rs]
            for h, rs in reference("devlink.resource-show.json")["resources"].items()}
    assert got == want
    assert [r["name"] for r in got["netdevsim/netdevsim1"]] == ["IPv4", "IPv6", "nexthops"]


def test_regions():
    got = {}
    for a in replies("devlink.region-show.json"):
        snaps = one(a, "REGION_SNAPSHOTS")
        ids = [val(s.children, "REGION_SNAPSHOT_ID") for s in each(snaps.children if snaps else [],
                                                                   "REGION_SNAPSHOT")]
        got[f"{handle(a)}/{val(a, 'REGION_NAME')}"] = {
            "size": val(a, "REGION_SIZE"), "snapshot": ids, "max": val(a, "REGION_MAX_SNAPSHOTS")}
    assert got == reference("devlink.region-show.json")["regions"]


def test_traps_groups_and_policers():
    traps: dict[str, list] = {}
    for a in replies("devlink.trap-show.json"):
        traps.setdefault(handle(a), []).append({
            "name": val(a, "TRAP_NAME"), "type": low(a, "TRAP_TYPE"),
            "generic": one(a, "TRAP_GENERIC") is not None, "action": low(a, "TRAP_ACTION"),
            "group": val(a, "TRAP_GROUP_NAME")})
        stats = one(a, "STATS").children  # its own attribute space, not the top level
        assert {f.name for f in stats} == {"DEVLINK_ATTR_STATS_RX_PACKETS", "DEVLINK_ATTR_STATS_RX_BYTES",
                                           "DEVLINK_ATTR_STATS_RX_DROPPED"}
        meta = [f.name.removeprefix("DEVLINK_ATTR_TRAP_METADATA_TYPE_") for f in one(a, "TRAP_METADATA").children]
        assert meta in (["IN_PORT"], ["IN_PORT", "FA_COOKIE"]), meta
    assert traps == reference("devlink.trap-show.json")["trap"]
    assert len(traps["netdevsim/netdevsim1"]) == 14

    groups: dict[str, list] = {}
    for a in replies("devlink.trap-group-show.json"):
        g = {"name": val(a, "TRAP_GROUP_NAME"), "generic": one(a, "TRAP_GENERIC") is not None}
        if val(a, "TRAP_POLICER_ID"):
            g["policer"] = val(a, "TRAP_POLICER_ID")
        groups.setdefault(handle(a), []).append(g)
    assert groups == reference("devlink.trap-group-show.json")["trap_group"]

    policers: dict[str, list] = {}
    for a in replies("devlink.trap-policer-show.json"):
        policers.setdefault(handle(a), []).append({
            "policer": val(a, "TRAP_POLICER_ID"), "rate": val(a, "TRAP_POLICER_RATE"),
            "burst": val(a, "TRAP_POLICER_BURST")})
    assert policers == reference("devlink.trap-policer-show.json")["trap_policer"]


def test_monitor_notifications_decoded():
    """`devlink monitor` saw NEW and DEL notifications (port, param, trap, region ...)."""
    notes = [m for m in devlink_messages() if m.seq == 0 and m.pid == 0]
    kinds = {m.type_name for m in notes}
    assert {"devlink NEW", "devlink DEL", "devlink PORT_NEW", "devlink PORT_DEL", "devlink PARAM_NEW",
            "devlink TRAP_NEW", "devlink TRAP_GROUP_NEW", "devlink TRAP_POLICER_NEW",
            "devlink REGION_NEW"} <= kinds
    text = (SAMPLES / "devlink.monitor.txt").read_text()
    assert text.count("[param,new]") == sum(m.type_name == "devlink PARAM_NEW" for m in notes)
