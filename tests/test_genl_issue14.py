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


# -- on a lab capture (tests/fixtures/issue14_genl: iproute2 on Debian's 6.12 kernel, nlmon)

import json  # noqa: E402
from pathlib import Path  # noqa: E402

from conftest import attribute_coverage, committed  # noqa: E402
from tshark import TSHARK, netlink_messages, tshark_frames  # noqa: E402

from nlscope.capture.pcapio import CaptureReader  # noqa: E402
from nlscope.decode.decoder import Decoder  # noqa: E402
from nlscope.decode.model import find  # noqa: E402
from nlscope.decode.registry import default_registry  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "issue14_genl"
LAB_FAMILIES = ["fou", "l2tp", "macsec", "ila", "IOAM6", "SEG6", "tcp_metrics", "TIPCv2"]


@pytest.fixture(scope="module")
def lab():
    cap = committed(FIX / "genl.pcap")
    return list(Decoder(default_registry(entry_points=False)).messages(CaptureReader(cap)))


def of(msgs, family, cmd=None, reply=None):
    out = [m for m in msgs if (m.type_name or "").startswith(family + " ")]
    if cmd is not None:
        out = [m for m in out if m.type_name == f"{family} {cmd}"]
    if reply is not None:
        out = [m for m in out if bool(m.flags & 1) != reply]
    return out


def tool(name):
    return json.loads(committed(FIX / name).read_text())


@pytest.mark.parametrize("family", LAB_FAMILIES)
def test_lab_family_is_named_whole_and_clean(lab, family):
    msgs = of(lab, family)
    assert len(msgs) >= 3
    assert all(" cmd " not in m.type_name for m in msgs)  # every command named
    named, total = attribute_coverage(msgs)
    assert total and named == total, (family, named, total)
    assert not [p for m in msgs for p in m.problems]
    dumps = [m for m in msgs if m.flags & 0x301 == 0x301]
    assert all("DUMP" in m.flag_names for m in dumps)


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")
def test_lab_headers_agree_with_tshark(lab):
    theirs = [h for layers in tshark_frames(str(FIX / "genl.pcap")) for h in netlink_messages(layers)]
    assert len(theirs) == len(lab)
    for m, t in zip(lab, theirs):
        assert (m.nlmsg_len, m.type, m.flags, m.seq, m.pid) == (t["len"], t["type"], t["flags"], t["seq"], t["pid"])


def test_fou_agrees_with_ip_fou_show(lab):
    shown = tool("fou.json")
    got = []
    for m in of(lab, "fou", "GET", reply=True):
        a = {f.name[len("FOU_ATTR_"):]: f for f in m.tree[2].children}
        got.append({"port": a["PORT"].value, "family": {"AF_INET": "inet", "AF_INET6": "inet6"}[a["AF"].meta],
                    "gue": a["TYPE"].meta == "GUE", "ipproto": a["IPPROTO"].value,
                    "local": a["LOCAL_V4"].value})
    assert len(got) == len(shown)
    for g, s in zip(got, shown):
        assert (g["port"], g["family"], g["gue"]) == (s["port"], s["family"], "gue" in s)
        assert g["ipproto"] == s.get("ipproto", 0) and g["local"] == s.get("local", "0.0.0.0")


def test_l2tp_agrees_with_ip_l2tp_show(lab):
    t = tool("l2tp-tunnel.json")[0]
    a = {f.name[len("L2TP_ATTR_"):]: f for f in of(lab, "l2tp", "TUNNEL_GET", reply=True)[0].tree[2].children}
    assert (a["CONN_ID"].value, a["PEER_CONN_ID"].value, a["ENCAP_TYPE"].meta) == (
        t["tunnel_id"], t["peer_tunnel"], t["encap"])
    assert (a["IP_SADDR"].value, a["IP_DADDR"].value) == (t["local"], t["peer"])
    assert (a["UDP_SPORT"].value, a["UDP_DPORT"].value) == (t["local_port"], t["peer_port"])
    assert bool(a["UDP_CSUM"].value) == t["checksum"]
    s = tool("l2tp-session.json")[0]
    a = {f.name[len("L2TP_ATTR_"):]: f for f in of(lab, "l2tp", "SESSION_GET", reply=True)[0].tree[2].children}
    assert (a["SESSION_ID"].value, a["CONN_ID"].value, a["PEER_SESSION_ID"].value,
            a["PEER_CONN_ID"].value, a["IFNAME"].value) == (
        s["session_id"], s["tunnel_id"], s["peer_session_id"], s["peer_tunnel_id"], s["interface"])


def test_macsec_agrees_with_ip_macsec_show(lab):
    s = tool("macsec.json")[0]
    m = of(lab, "macsec", "GET_TXSC", reply=True)[0]
    assert find(m.tree, "MACSEC_ATTR_IFINDEX").value == s["ifindex"]
    secy = {f.name[len("MACSEC_SECY_ATTR_"):]: f for f in find(m.tree, "MACSEC_ATTR_SECY").children}
    assert "0x" + secy["SCI"].meta == s["sci"]
    assert secy["CIPHER_SUITE"].meta.replace("_", "-") == s["cipher_suite"]
    assert secy["VALIDATE"].meta.lower() == s["validate"]
    assert (secy["ICV_LEN"].value, secy["ENCODING_SA"].value) == (s["icv_length"], s["encoding_sa"])
    for ours, theirs in (("PROTECT", "protect"), ("ENCRYPT", "encrypt"), ("INC_SCI", "send_sci"),
                         ("ES", "end_station"), ("SCB", "scb"), ("REPLAY", "replay")):
        assert bool(secy[ours].value) == s[theirs], ours
    assert find(m.tree, "MACSEC_OFFLOAD_ATTR_TYPE").meta.lower() == s["offload"]

    def sas(nest):
        return [{"an": sa.get("MACSEC_SA_ATTR_AN").value, "pn": sa.get("MACSEC_SA_ATTR_PN").value,
                 "active": bool(sa.get("MACSEC_SA_ATTR_ACTIVE").value),
                 "key": sa.get("MACSEC_SA_ATTR_KEYID").value.hex()} for sa in nest.children or ()]
    assert sas(find(m.tree, "MACSEC_ATTR_TXSA_LIST")) == s["sa_list"]
    rx = find(m.tree, "MACSEC_ATTR_RXSC_LIST").children
    assert [{"sci": "0x" + sc.get("MACSEC_RXSC_ATTR_SCI").meta,
             "active": bool(sc.get("MACSEC_RXSC_ATTR_ACTIVE").value),
             "sa_list": sas(sc.get("MACSEC_RXSC_ATTR_SA_LIST"))} for sc in rx] == s["rx_sc"]


def test_ila_shows_the_locators_configured(lab):
    # `ip ila add loc_match 2001:db8:1:2 loc 2001:db8:3:4 dev dummy0` (iproute2 6.1's
    # `ip ila list` prints these as garbage, so the command line is the reference)
    req = of(lab, "ila", "ADD", reply=False)[0]
    rep = of(lab, "ila", "GET", reply=True)[0]
    for m in (req, rep):
        assert find(m.tree, "ILA_ATTR_LOCATOR_MATCH").meta == "2001:db8:1:2"
        assert find(m.tree, "ILA_ATTR_LOCATOR").meta == "2001:db8:3:4"
    assert rep.summary == "ila GET loc_match 2001:db8:1:2 loc 2001:db8:3:4"


def test_ioam6_agrees_with_ip_ioam_show(lab):
    ns = tool("ioam-ns.json")[0]
    m = of(lab, "IOAM6", "DUMP_NAMESPACES", reply=True)[0]
    assert find(m.tree, "IOAM6_ATTR_NS_ID").value == ns["namespace"]
    assert find(m.tree, "IOAM6_ATTR_SC_ID").value == ns["schema"]
    assert f"{find(m.tree, 'IOAM6_ATTR_NS_DATA').value:x}" == ns["data"]
    assert hex(find(m.tree, "IOAM6_ATTR_NS_DATA_WIDE").value) == ns["wide"]
    # `ip -j ioam schema show` prints the data as a run of bytes under empty keys
    raw = committed(FIX / "ioam-schema.json").read_text()
    data = bytes(int(x) for x in raw.split('"data":null,')[1].rstrip("}]\n").replace('"":', "").split(","))
    m = of(lab, "IOAM6", "DUMP_SCHEMAS", reply=True)[0]
    assert find(m.tree, "IOAM6_ATTR_SC_DATA").value == data
    assert find(m.tree, "IOAM6_ATTR_SC_ID").value == tool("ioam-schema.json")[0]["schema"]


def test_seg6_agrees_with_ip_sr_show(lab):
    m = of(lab, "SEG6", "GET_TUNSRC", reply=True)[0]
    assert find(m.tree, "SEG6_ATTR_DST").value == tool("sr-tunsrc.json")[0]["tunsrc"]


def test_macsec_txsa_that_timed_out(lab):
    # under TCG the TX SA's cipher took longer than the kernel waits: ETIMEDOUT, a real
    # error reply, paired with its request; `ip macsec show` then lists no TX SA
    err = next(m for m in lab if m.type_name == "NLMSG_ERROR" and "ADD_TXSA" in m.summary)
    assert err.summary.startswith("error -110 ETIMEDOUT to macsec ADD_TXSA") and not err.problems
    assert tool("macsec.json")[0]["sa_list"] == []


def test_tcp_metrics_agrees_with_ip_tcp_metrics(lab):
    s = tool("tcp-metrics.json")[0]
    m = of(lab, "tcp_metrics", "GET", reply=True)[0]
    assert find(m.tree, "TCP_METRICS_ATTR_ADDR_IPV4").value == s["dst"]
    assert find(m.tree, "TCP_METRICS_ATTR_SADDR_IPV4").value == s["source"]
    assert find(m.tree, "TCP_METRICS_ATTR_AGE").value == round(s["age"] * 1000)  # ms on the wire
    assert find(m.tree, "TCP_METRIC_CWND").value == s["cwnd"]
    # the kernel sends srtt << 3 and mdev << 2 (tcp_metrics.c); ip unscales them to seconds
    assert find(m.tree, "TCP_METRIC_RTT_US").value >> 3 == round(s["rtt"] * 1e6)
    assert find(m.tree, "TCP_METRIC_RTTVAR_US").value >> 2 == round(s["rttvar"] * 1e6)
    assert m.summary == f"tcp_metrics GET {s['dst']} age {round(s['age'] * 1000)}ms source {s['source']}"


def test_tipc_agrees_with_the_tipc_tool(lab):
    assert [m.summary for m in of(lab, "TIPCv2", "BEARER_ENABLE", reply=False)] == [
        f"TIPCv2 BEARER_ENABLE bearer {committed(FIX / 'tipc-bearer.json').read_text().strip()}"]
    media = [find(m.tree, "TIPC_NLA_MEDIA_NAME").value for m in of(lab, "TIPCv2", "MEDIA_GET", reply=True)]
    assert media == committed(FIX / "tipc-media.json").read_text().split()
    links = {find(m.tree, "TIPC_NLA_LINK_NAME").value: find(m.tree, "TIPC_NLA_LINK_UP") is not None
             for m in of(lab, "TIPCv2", "LINK_GET", reply=True)}
    assert {k: "up" if v else "down" for k, v in links.items()} == tool("tipc-link.json")[0]
    net = of(lab, "TIPCv2", "NET_GET", reply=True)[0]
    set_ = of(lab, "TIPCv2", "NET_SET", reply=False)[0]
    assert find(net.tree, "TIPC_NLA_NET_ID").value == find(set_.tree, "TIPC_NLA_NET_ID").value == 4711
