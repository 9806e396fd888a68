"""Issue 16 on real daemon traffic: a capture from the VM lab (tests/fixtures/issue16/:
scenario.sh, made by make.py on Debian's 6.12 kernel, Open vSwitch 3.1, keepalived 2.2.7)
of Open vSwitch (ovsdb-server + ovs-vswitchd: bridge, ports in two namespaces, a VXLAN
port, OpenFlow rules, policing, pings making upcalls), keepalived (VRRP, virtual routes,
an IPVS virtual server), ipvsadm and ipset, with the tools' own views from the same run.

Per family: no problem on valid traffic, >= 99.5% of attributes named, every request
paired (answered, or truly unanswered and said so), headers as tshark reads them, and
the values the tools printed (ovs-dpctl show, ipvsadm -L -n, ipset list).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import attr_counts, daemon_family

from nlscope.analysis.transactions import correlate
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry
from nlscope.output.export import message_to_json
from tshark import TSHARK, netlink_messages, tshark_frames

FIX = Path(__file__).parent / "fixtures" / "issue16"
CAPTURE = FIX / "capture.pcap"


@pytest.fixture(scope="module")
def registry():
    return default_registry(entry_points=False)


@pytest.fixture(scope="module")
def msgs(registry):
    return list(Decoder(registry).messages(CaptureReader(CAPTURE)))


@pytest.fixture(scope="module")
def pairs(msgs, registry):
    return list(correlate(msgs, registry=registry))


FAMILIES = ["ovs_datapath", "ovs_vport", "ovs_flow", "ovs_packet", "ovs_meter", "nlctrl", "route", "IPVS",
            "ipset"]


def test_capture_has_every_family(msgs):
    fams = Counter(daemon_family(m) for m in msgs)
    for fam in FAMILIES:
        assert fams[fam] > 0, (fam, fams)


def test_no_problems_on_valid_traffic(msgs):
    assert [(m.number, m.summary, m.problems) for m in msgs if m.problems] == []


@pytest.mark.parametrize("fam", FAMILIES)
def test_attributes_named(msgs, fam):
    named = total = 0
    for m in msgs:
        if daemon_family(m) == fam:
            n, t = attr_counts(m.tree)
            named, total = named + n, total + t
    assert total > 0 and named / total >= 0.995, (fam, named, total)


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")
def test_headers_match_tshark(msgs):
    theirs = [t for t in (netlink_messages(layers) for layers in tshark_frames(str(CAPTURE))) if t]
    ours: dict[int, list] = {}
    for m in msgs:
        ours.setdefault(m.frame.number, []).append((m.nlmsg_len, m.type, m.flags, m.seq, m.pid))
    assert [[(t["len"], t["type"], t["flags"], t["seq"], t["pid"]) for t in f] for f in theirs] == \
        [ours[k] for k in sorted(ours)]


def test_every_request_paired(pairs):
    """Every transaction is paired or truly unanswered: no orphan, no incomplete dump,
    and an unanswered request only where the kernel sends nothing by design, which the
    transaction says (a GETQDISC of a built-in qdisc)."""
    txns = {t.id: t for _, t in pairs if t is not None}.values()
    bad = [(t.number, t.type_name, t.status, t.seq, t.portid) for t in txns
           if t.status in ("orphan", "incomplete") or (t.status == "unanswered" and not t.said_note)]
    assert bad == []
    assert any(t.kind == "request" and t.replies for t in txns)


def _payload(m):
    return message_to_json(m)["payload"]


def test_ovs_vports_as_ovs_dpctl_shows_them(msgs):
    text = (FIX / "ovs-dpctl-show.txt").read_text()
    shown = set(re.findall(r"port (\d+): (\S+)", text))
    seen = set()
    for m in msgs:
        if daemon_family(m) == "ovs_vport" and not m.flags & 1:
            a = _payload(m).get("attributes", {})
            if "OVS_VPORT_ATTR_PORT_NO" in a and "OVS_VPORT_ATTR_NAME" in a:
                seen.add((str(a["OVS_VPORT_ATTR_PORT_NO"]), a["OVS_VPORT_ATTR_NAME"]))
    assert shown and shown <= seen


def test_ovs_vswitchd_getfamily_requests_are_requests(pairs):
    """ovs-vswitchd asks nlctrl for every family with seq 1 and its own port id."""
    gets = [t for m, t in pairs if t is not None and t.first is m and t.type_name == "nlctrl GETFAMILY"]
    assert len(gets) >= 6 and all(t.kind == "request" and t.status == "ok" for t in gets)


def test_ovs_upcalls_carry_keys_and_packets(msgs):
    misses = [m for m in msgs if m.type_name == "ovs_packet MISS"]
    assert misses
    for m in misses:
        a = _payload(m)["attributes"]
        assert "OVS_KEY_ATTR_IN_PORT" in a["OVS_PACKET_ATTR_KEY"] and a["OVS_PACKET_ATTR_PACKET"]


def test_ipset_errors_named(pairs):
    """`ipset add` of an element already there, and one outside a bitmap's range."""
    names = [t.errno_name for m, t in pairs if t is not None and t.first is m and t.errno and t.errno > 4095]
    assert "IPSET_ERR_EXIST" in names
    assert any(n and n.startswith("IPSET_ERR_BITMAP_RANGE") for n in names)


def test_ipset_error_names_in_tui_rows(registry):
    """The TUI's rows read each message fresh from the capture index (no transaction
    pass patches them): the decoder itself names ipset's private codes from the echoed
    request's type, so the Info column says IPSET_ERR_EXIST, not `?`."""
    from nlscope.analysis.txindex import TxnIndex
    from nlscope.decode.index import open_file_index
    from nlscope.tui.rows import cells_for_message
    ix, scanner = open_file_index(str(CAPTURE), Decoder(registry))
    scanner.scan()
    tx = TxnIndex(ix)
    tx.update()
    infos = [cells_for_message(ix, tx, i, None)["info"] for i in range(ix.count)
             if ix.message(i).type == 2 and ix.message(i).protocol == 12]
    errors = [s for s in infos if s.startswith("error -4")]
    assert any(s.startswith("error -4103 IPSET_ERR_EXIST to IPSET_CMD_ADD") for s in errors), errors
    assert errors and not any(" ? " in s for s in errors), errors
