"""The generic netlink name tables agree with the kernel UAPI headers on this machine:
every enum member the header has is named the same at the same number. The newest
headers found are used (linux-headers-*-common ships include/uapi; linux-libc-dev
/usr/include/linux may be older); a table may know more than an older header."""
from __future__ import annotations

import glob
import os
import re

import pytest

from nlscope.dissectors import genl_ctrl, genl_devlink, genl_ethtool, genl_misc, genl_mptcp
from nlscope.dissectors import genl_nl80211_tables as NL
from nlscope.dissectors import genl_rtmgr, genl_taskstats, genl_wireguard


def _header_dirs() -> list[str]:
    dirs = sorted(glob.glob("/usr/src/linux-headers-*-common/include/uapi/linux"),
                  key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p)], reverse=True)
    if os.path.isdir("/usr/include/linux"):
        dirs.append("/usr/include/linux")
    return dirs


def header(name: str) -> str | None:
    for d in _header_dirs():
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def _eval(expr: str, env: dict[str, int]) -> int:
    expr = re.sub(r"\b(\d+)[uUlL]+\b", r"\1", " ".join(expr.split()))
    expr = re.sub(r"\b_?BITU?L?\((\d+)\)", r"(1 << \1)", expr)
    for name in sorted(set(re.findall(r"\b[A-Za-z_]\w*", expr)), key=len, reverse=True):
        if name not in env:
            raise KeyError(name)
        expr = re.sub(rf"\b{name}\b", str(env[name]), expr)
    if not re.fullmatch(r"[\d\sxa-fA-F()+\-|<>~*]*", expr):
        raise ValueError(expr)
    return eval(expr, {"__builtins__": {}})  # digits and operators only (checked above)


def enums(path: str) -> list[list[tuple[str, int]]]:
    """Every enum of a C header, as [(member, value)] in order (#defines inside skipped;
    headers it #includes with quotes are read first, for their constants)."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"\\\n", " ", text)
    for inc in re.findall(r'#include\s+"([^"]+)"', text):
        text = open(os.path.join(os.path.dirname(path), inc), encoding="utf-8").read() + "\n" + text
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    env: dict[str, int] = {}
    for m in re.finditer(r"#define\s+(\w+)[ \t]+([^\n]+)", text):
        try:
            env[m.group(1)] = _eval(m.group(2), env)
        except (KeyError, ValueError, SyntaxError):
            pass
    out = []
    for m in re.finditer(r"enum\s*\w*\s*\{(.*?)\}", text, flags=re.S):
        body = "\n".join(ln for ln in m.group(1).splitlines() if not ln.strip().startswith("#"))
        cur, members = -1, []
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            name, _, val = item.partition("=")
            name = name.strip()
            cur = _eval(val, env) if val else cur + 1
            env[name] = cur
            members.append((name, cur))
        out.append(members)
    return out


def enum_of(path: str, first: str) -> list[tuple[str, int]]:
    for e in enums(path):
        if any(n == first for n, _ in e):
            return e
    raise AssertionError(f"{path}: no enum with {first}")


def check(table: dict[int, str], path: str | None, first: str, prefix: str, full=lambda s: s) -> int:
    """Every real member of the header's enum (not __*, *_MAX aliases, NUM_*) is in
    `table` under the same number. Returns how many were checked."""
    if path is None:
        pytest.skip("UAPI header not installed (apt: linux-libc-dev or linux-headers-*-common)")
    members = enum_of(path, first)
    seen: set[int] = set()
    checked = 0
    for name, value in members:
        if name.startswith(("__", "NUM_", "MAX_")) or not name.startswith(prefix) or value in seen:
            continue
        seen.add(value)
        if name.endswith("_UNSPEC") and value not in table:
            continue
        assert full(table.get(value)) == name, f"{path}: {name} = {value}, table has {table.get(value)!r}"
        checked += 1
    return checked


NL80211_ENUMS = [  # (table, first member, prefix to drop)
    ("CMDS", "NL80211_CMD_UNSPEC", "NL80211_CMD_"), ("ATTR_NAMES", "NL80211_ATTR_UNSPEC", "NL80211_ATTR_"),
    ("IFTYPES", "NL80211_IFTYPE_UNSPECIFIED", "NL80211_IFTYPE_"),
    ("STA_INFO", "__NL80211_STA_INFO_INVALID", "NL80211_STA_INFO_"),
    ("RATE_INFO", "__NL80211_RATE_INFO_INVALID", "NL80211_RATE_INFO_"),
    ("BSS", "__NL80211_BSS_INVALID", "NL80211_BSS_"),
    ("BAND_ATTR", "__NL80211_BAND_ATTR_INVALID", "NL80211_BAND_ATTR_"),
    ("FREQ_ATTR", "__NL80211_FREQUENCY_ATTR_INVALID", "NL80211_FREQUENCY_ATTR_"),
    ("BITRATE_ATTR", "__NL80211_BITRATE_ATTR_INVALID", "NL80211_BITRATE_ATTR_"),
    ("REG_RULE_ATTR", "__NL80211_REG_RULE_ATTR_INVALID", "NL80211_"),
    ("IFACE_COMB", "NL80211_IFACE_COMB_UNSPEC", "NL80211_IFACE_COMB_"),
    ("IFACE_LIMIT", "NL80211_IFACE_LIMIT_UNSPEC", "NL80211_IFACE_LIMIT_"),
    ("BAND_IFTYPE", "__NL80211_BAND_IFTYPE_ATTR_INVALID", "NL80211_BAND_IFTYPE_ATTR_"),
    ("SURVEY_INFO", "__NL80211_SURVEY_INFO_INVALID", "NL80211_SURVEY_INFO_"),
    ("TXQ_STATS", "__NL80211_TXQ_STATS_INVALID", "NL80211_TXQ_STATS_"),
    ("KEY_ATTR", "__NL80211_KEY_INVALID", "NL80211_KEY_"),
    ("WMMR", "__NL80211_WMMR_INVALID", "NL80211_WMMR_"),
    ("CHAN_WIDTH", "NL80211_CHAN_WIDTH_20_NOHT", "NL80211_CHAN_WIDTH_"),
    ("RRF", "NL80211_RRF_NO_OFDM", "NL80211_RRF_"),
    ("FEATURE_FLAGS", "NL80211_FEATURE_SK_TX_STATUS", "NL80211_FEATURE_"),
    ("WOWLAN_TRIG", "__NL80211_WOWLAN_TRIG_INVALID", "NL80211_WOWLAN_TRIG_"),
    ("PMSR_FTM_CAPA", "__NL80211_PMSR_FTM_CAPA_ATTR_INVALID", "NL80211_PMSR_FTM_CAPA_ATTR_"),
]


@pytest.mark.parametrize("table,first,prefix", NL80211_ENUMS, ids=[e[0] for e in NL80211_ENUMS])
def test_nl80211_tables(table, first, prefix):
    names = getattr(NL, table)
    if table == "FREQ_ATTR":  # 4 is the header's __NL80211_FREQUENCY_ATTR_NO_IBSS
        names = {k: v for k, v in names.items() if k != 4}
    assert check(names, header("nl80211.h"), first, prefix, lambda s: s and prefix + s) > 0


def test_nl80211_every_attribute_and_command_is_named():
    path = header("nl80211.h")
    n_cmd = check(NL.CMDS, path, "NL80211_CMD_UNSPEC", "NL80211_CMD_", lambda s: s and "NL80211_CMD_" + s)
    n_attr = check(NL.ATTR_NAMES, path, "NL80211_ATTR_UNSPEC", "NL80211_ATTR_", lambda s: s and "NL80211_ATTR_" + s)
    assert n_cmd >= 130 and n_attr >= 300


ETHTOOL_SETS = [("CMDS", "ETHTOOL_MSG_USER_NONE", "ETHTOOL_MSG_"), ("REPLIES", "ETHTOOL_MSG_KERNEL_NONE", "ETHTOOL_MSG_"),
                ("HEADER", "ETHTOOL_A_HEADER_UNSPEC", "ETHTOOL_A_HEADER_"),
                ("LINKMODES", "ETHTOOL_A_LINKMODES_UNSPEC", "ETHTOOL_A_LINKMODES_"),
                ("FEATURES", "ETHTOOL_A_FEATURES_UNSPEC", "ETHTOOL_A_FEATURES_"),
                ("BITSET", "ETHTOOL_A_BITSET_UNSPEC", "ETHTOOL_A_BITSET_"),
                ("COALESCE", "ETHTOOL_A_COALESCE_UNSPEC", "ETHTOOL_A_COALESCE_"),
                ("RINGS", "ETHTOOL_A_RINGS_UNSPEC", "ETHTOOL_A_RINGS_")]


@pytest.mark.parametrize("table,first,prefix", ETHTOOL_SETS, ids=[e[0] for e in ETHTOOL_SETS])
def test_ethtool_tables(table, first, prefix):
    names = {k: v for k, v in getattr(genl_ethtool, table).items()}
    if table in ("CMDS", "REPLIES"):  # value 0 is a placeholder name, not a message
        names[0] = {"CMDS": "USER_NONE", "REPLIES": "KERNEL_NONE"}[table]
    assert check(names, header("ethtool_netlink.h"), first, prefix, lambda s: s and prefix + s) > 0


def test_devlink_tables():
    path = header("devlink.h")
    assert check(genl_devlink.CMDS, path, "DEVLINK_CMD_UNSPEC", "DEVLINK_CMD_",
                 lambda s: s and "DEVLINK_CMD_" + s) > 60
    assert check(genl_devlink.ATTR_NAMES, path, "DEVLINK_ATTR_UNSPEC", "DEVLINK_ATTR_",
                 lambda s: s and "DEVLINK_ATTR_" + s) > 150


def _attrset_names(aset):
    return {t: a.name for t, a in aset.attrs.items()}


def test_small_families():
    ctrl = genl_ctrl.ctrl_attrs({})
    path = header("genetlink.h")
    assert check(genl_ctrl.CTRL_CMDS, path, "CTRL_CMD_UNSPEC", "CTRL_CMD_", lambda s: s and "CTRL_CMD_" + s) == 11
    assert check(_attrset_names(ctrl), path, "CTRL_ATTR_UNSPEC", "CTRL_ATTR_") == 10
    wg = header("wireguard.h")
    assert check(genl_wireguard.WG_CMDS, wg, "WG_CMD_GET_DEVICE", "WG_CMD_", lambda s: s and "WG_CMD_" + s) == 2
    assert check(_attrset_names(genl_wireguard.DEVICE), wg, "WGDEVICE_A_UNSPEC", "WGDEVICE_A_") == 8
    assert check(_attrset_names(genl_wireguard.PEER), wg, "WGPEER_A_UNSPEC", "WGPEER_A_") == 10
    ts = header("taskstats.h")
    assert check({1: "GET", 2: "NEW"}, ts, "TASKSTATS_CMD_UNSPEC", "TASKSTATS_CMD_",
                 lambda s: s and "TASKSTATS_CMD_" + s) == 2
    assert {1: "GET", 2: "NEW"}.items() <= genl_taskstats.CMDS.items()
    assert check(_attrset_names(genl_taskstats.REPLY), ts, "TASKSTATS_TYPE_UNSPEC", "TASKSTATS_TYPE_") == 6
    mp = header("mptcp_pm.h") or header("mptcp.h")
    assert check(genl_mptcp.CMDS, mp, "MPTCP_PM_CMD_UNSPEC", "MPTCP_PM_CMD_",
                 lambda s: s and "MPTCP_PM_CMD_" + s) >= 9
    assert check(_attrset_names(genl_mptcp.ADDR), mp, "MPTCP_PM_ADDR_ATTR_UNSPEC", "MPTCP_PM_ADDR_ATTR_") == 7


MISC = [("thermal", "thermal.h", "THERMAL_GENL_CMD_UNSPEC", "THERMAL_GENL_CMD_"),
        ("ovs_datapath", "openvswitch.h", "OVS_DP_CMD_UNSPEC", "OVS_DP_CMD_"),
        ("NET_DM", "net_dropmon.h", "NET_DM_CMD_UNSPEC", "NET_DM_CMD_"),
        ("psample", "psample.h", "PSAMPLE_CMD_SAMPLE", "PSAMPLE_CMD_"),
        ("netdev", "netdev.h", "NETDEV_CMD_DEV_GET", "NETDEV_CMD_"),
        ("handshake", "handshake.h", "HANDSHAKE_CMD_READY", "HANDSHAKE_CMD_"),
        ("nfsd", "nfsd_netlink.h", "NFSD_CMD_RPC_STATUS_GET", "NFSD_CMD_")]


@pytest.mark.parametrize("family,hdr,first,prefix", MISC, ids=[m[0] for m in MISC])
def test_misc_family_commands(family, hdr, first, prefix):
    table = dict(genl_misc.FAMILY_COMMANDS[family])  # tcp_metrics, l2tp, ...: test_genl_issue14.py
    assert check(table, header(hdr), first, prefix, lambda s: s and prefix + s) >= 2


def test_rtmgr_matches_the_project_header():
    path = os.path.join(os.path.dirname(__file__), "..", "kmod", "include", "rtmgr.h")
    assert check(genl_rtmgr.CMDS, path, "RTMGR_CMD_UNSPEC", "RTMGR_CMD_", lambda s: s and "RTMGR_CMD_" + s) == 4
    assert check(_attrset_names(genl_rtmgr.ATTRS), path, "RTMGR_A_UNSPEC", "RTMGR_A_") == 5
