"""Issue 16 on the daemons' own traffic: a capture from the VM lab (tests/fixtures/
issue16_daemons/: scenario.sh, made by make.py on Debian's 6.12 kernel) of FRR (zebra +
staticd: ECMP routes through kernel nexthop groups, a VRF, link flaps), bird2 (~300 routes
exported, scans, a reconfigure), lldpd (veths, a vlan, a bridge, flaps), hostapd +
wpa_supplicant + iwd on mac80211_hwsim (connect, scan, channel switch, deauth), ulogd2
(NFLOG and conntrack events) and conntrackd, run one after the other under one nlmon
capture, with the tools' own views from the same run.

Each daemon's part of the capture is the span between the scenario's phase marks
(phases.txt: the guest's clock, as the capture's). Per daemon: no problem on valid
traffic, every family >= 99.5% of attributes named, every transaction paired or truly
unanswered (and saying why); for the whole capture, headers and values as tshark reads
them; and what the tools printed (ip -j, lldpcli -f json, iw, ulogd's log, conntrack -o xml).
"""
from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import attr_counts, committed, daemon_family
from tshark import TSHARK, netlink_messages, tshark_frames

from nlscope.analysis.transactions import correlate
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry
from nlscope.output.export import message_to_json

FIX = Path(__file__).parent / "fixtures" / "issue16_daemons"
CAPTURE = FIX / "capture.pcap"
DAEMONS = ["frr", "bird", "lldpd", "wifi", "ulogd"]
# the families each daemon's part must hold (what the daemon itself talks)
FAMILIES = {
    "frr": ["route"],
    "bird": ["route"],
    "lldpd": ["route"],
    "wifi": ["route", "nl80211", "nlctrl"],
    "ulogd": ["route", "nflog", "ctnetlink"],
}


def phases(fix: Path) -> list[tuple[str, float]]:
    """(daemon, start time) in the order the scenario ran them."""
    out = []
    for line in (fix / "phases.txt").read_text().splitlines():
        name, ts = line.split()
        out.append((name, float(ts)))
    return out


def phase_of(ts: float, marks: list[tuple[str, float]]) -> str:
    cur = "setup"
    for name, start in marks:
        if ts >= start:
            cur = name
    return cur


def by_daemon(msgs, fix: Path) -> dict[str, list]:
    marks = phases(fix)
    out: dict[str, list] = {}
    for m in msgs:
        out.setdefault(phase_of(m.frame.ts_ns / 1e9, marks), []).append(m)
    return out


@pytest.fixture(scope="module")
def registry():
    return default_registry(entry_points=False)


@pytest.fixture(scope="module")
def msgs(registry):
    return list(Decoder(registry).messages(CaptureReader(committed(CAPTURE))))


@pytest.fixture(scope="module")
def pairs(msgs, registry):
    return list(correlate(msgs, registry=registry))


@pytest.fixture(scope="module")
def parts(msgs):
    return by_daemon(msgs, FIX)


def table(parts, pairs) -> str:
    """The per-daemon table of the closing note."""
    txn_of = {id(m): t for m, t in pairs}
    lines = ["| daemon | messages | families (% attributes named) | problems | unpaired |"]
    for d in DAEMONS:
        ms = parts.get(d, [])
        fams: dict[str, list[int]] = {}
        for m in ms:
            n, t = attr_counts(m.tree)
            c = fams.setdefault(daemon_family(m), [0, 0])
            c[0] += n
            c[1] += t
        txns = {t.id: t for m in ms if (t := txn_of.get(id(m))) is not None}.values()
        unpaired = sum(t.status in ("orphan", "incomplete", "unanswered") for t in txns)
        fam_text = ", ".join(f"{f} {100 * n / t:.2f}%" if t else f"{f} (no attributes)"
                             for f, (n, t) in sorted(fams.items()))
        lines.append(f"| {d} | {len(ms)} | {fam_text} | {sum(bool(m.problems) for m in ms)} | {unpaired} |")
    return "\n".join(lines)


def test_every_daemon_ran_and_talked(parts, pairs):
    print("\n" + table(parts, pairs))
    for d, fams in FAMILIES.items():
        seen = Counter(daemon_family(m) for m in parts.get(d, []))
        for fam in fams:
            assert seen[fam] > 0, (d, fam, seen)


def problems(ms) -> list:
    return [(m.number, m.summary, m.problems) for m in ms if m.problems]


def poorly_named(ms) -> dict[str, tuple[int, int]]:
    """Families under 99.5% of attributes named: {family: (named, all)}."""
    fams: dict[str, list[int]] = {}
    for m in ms:
        n, t = attr_counts(m.tree)
        c = fams.setdefault(daemon_family(m), [0, 0])
        c[0] += n
        c[1] += t
    return {f: (n, t) for f, (n, t) in fams.items() if t and n / t < 0.995}


TAIL_NS = 1_000_000_000  # tcpdump drops what it still queues when stopped (DESIGN.md)


def unpaired(ms, pairs) -> tuple[list, int]:
    """(transactions neither paired nor truly unanswered with a reason, requests answered):
    no orphan, no incomplete dump, an unanswered request only where it says why, or
    where the capture ended before its answer could be written (its last second)."""
    mine = {id(m) for m in ms}
    end_ns = max((m.frame.ts_ns for m, _ in pairs), default=0)
    txns = {t.id: t for m, t in pairs if t is not None and id(m) in mine}.values()

    def cut_by_the_end(t) -> bool:
        return (t.closed_by == "end" and t.request is not None
                and end_ns - t.request.frame.ts_ns < TAIL_NS)
    bad = [(t.number, t.type_name, t.status, t.seq, t.portid) for t in txns
           if t.status in ("orphan", "incomplete")
           or (t.status == "unanswered" and not t.said_note and not cut_by_the_end(t))]
    return bad, sum(t.kind == "request" and bool(t.replies) for t in txns)


@pytest.mark.parametrize("daemon", DAEMONS)
def test_no_problems_on_valid_traffic(parts, daemon):
    assert problems(parts[daemon]) == []


@pytest.mark.parametrize("daemon", DAEMONS)
def test_attributes_named(parts, daemon):
    assert parts[daemon] and poorly_named(parts[daemon]) == {}


@pytest.mark.parametrize("daemon", DAEMONS)
def test_every_transaction_paired(parts, pairs, daemon):
    bad, answered = unpaired(parts[daemon], pairs)
    assert bad == [] and answered > 0


# -- tshark ------------------------------------------------------------------------------------

needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")


@needs_tshark
def test_headers_match_tshark(msgs):
    theirs = [t for t in (netlink_messages(layers) for layers in tshark_frames(str(CAPTURE))) if t]
    ours: dict[int, list] = {}
    for m in msgs:
        ours.setdefault(m.frame.number, []).append((m.nlmsg_len, m.type, m.flags, m.seq, m.pid))
    assert [[(t["len"], t["type"], t["flags"], t["seq"], t["pid"]) for t in f] for f in theirs] == \
        [ours[k] for k in sorted(ours)]


def _ifinfomsg_getaddr_ok(msgs, mismatches: list[str]) -> list[str]:
    """The mismatches left once tshark's reading of an RTM_GETADDR that carries an
    ifinfomsg (FRR, lldpd: bug 2) is checked byte by byte: tshark reads an ifaddrmsg
    there; nlscope reads the ifinfomsg the kernel reads. Both must have read the same bytes
    (family, index), and tshark's other ifaddrmsg fields are the ifinfomsg's pad/type bytes."""
    by_number = {m.number: m for m in msgs}
    at = {"ifa_family": (0, "B"), "ifa_prefixlen": (1, "B"), "ifa_flags": (2, "B"), "ifa_scope": (3, "B"),
          "ifa_index": (4, "I")}
    left = []
    for x in mismatches:
        hit = re.match(r"\S+ #(\d+) RTM_GETADDR netlink-route\.(ifa_\w+): tshark '(\d+)', nlscope None$", x)
        m = by_number.get(int(hit.group(1))) if hit else None
        if m is None or "(ifinfomsg header)" not in m.summary:
            left.append(x)
            continue
        off, fmt = at[hit.group(2)]
        raw = m.frame.raw[m.start + 16 + off:m.start + 16 + off + (4 if fmt == "I" else 1)]
        if int.from_bytes(raw, "little" if m.order == "<" else "big") != int(hit.group(3)):
            left.append(x)
    return left


@needs_tshark
def test_route_values_match_tshark(msgs):
    """Every rtnetlink field tshark decodes has nlscope's value (test_rtnetlink_samples)."""
    from test_rtnetlink_samples import Check, compare_with_tshark, report
    chk = Check()
    compare_with_tshark(chk, CAPTURE, msgs)
    print("\n" + report(chk, CAPTURE.name))
    assert sum(chk.compared.values()) > 10000
    legacy = [m for m in msgs if m.type_name == "RTM_GETADDR" and "(ifinfomsg header)" in m.summary]
    assert legacy, "FRR's and lldpd's RTM_GETADDR with an ifinfomsg header (bug 2)"
    assert _ifinfomsg_getaddr_ok(msgs, chk.mismatches) == []
    assert chk.unmapped == set()


@needs_tshark
def test_netfilter_values_match_tshark():
    """NFLOG packets, conntrack events and dumps, field by field (test_netfilter_sock_diag_tshark)."""
    from test_netfilter_sock_diag_tshark import compare
    compared, wrong, unmatched = compare(CAPTURE, "netlink-netfilter.", 12)
    assert sum(compared.values()) > 100
    assert wrong == []
    assert not unmatched


def _nl80211_check():
    """test_genl_samples' Check, taught two things tshark 4.0 does with nl80211 frames:
    it hands a frame or IE blob (NL80211_ATTR_FRAME, IE, HT/VHT_CAPABILITY) to its 802.11
    dissector ("Attribute Value", wlan.tag...: nlscope keeps these as bytes; not compared),
    and after the NL80211_ATTR_FRAME of a CONTROL_PORT_FRAME(_TX_STATUS) it lists
    no more attributes (the 802.11 dissector took the rest of the buffer)."""
    from test_genl_samples import Check

    class Nl80211Check(Check):
        blobs = stopped = 0

        def attrs(self, theirs, ours, raw, where):
            kept = []
            for k, v in theirs:
                inner = [(kk, vv) for kk, vv in v if kk != "Attribute Value"]
                self.blobs += len(v) - len(inner)
                kept.append((k, inner))
            if kept and len(kept) < len(ours) and kept[-1][0] == "Attribute: NL80211_ATTR_FRAME" \
                    and ours[len(kept) - 1].name == "NL80211_ATTR_FRAME":
                self.stopped += 1
                ours = ours[:len(kept)]
            super().attrs(kept, ours, raw, where)
    return Nl80211Check()


@needs_tshark
def test_nl80211_values_match_tshark(msgs):
    """hostapd's, wpa_supplicant's and iwd's nl80211 and nlctrl traffic (test_genl_samples)."""
    from test_genl_samples import _attrs, _tshark_messages
    ours: dict[int, list] = {}
    for m in msgs:
        if m.protocol == 16 and m.type >= 16 and daemon_family(m) in ("nlctrl", "nl80211"):
            ours.setdefault(m.frame.number, []).append(m)
    check = _nl80211_check()
    compared = 0
    for n, layers in enumerate(tshark_frames(str(CAPTURE)), 1):
        theirs = [t for t in _tshark_messages(layers) if t["family"] in ("nlctrl", "nl80211")]
        mine = ours.get(n, [])
        assert len(theirs) == len(mine), f"frame {n}"
        for t, o in zip(theirs, mine):
            attrs = next((f.children or [] for f in o.tree if f.name == "attributes"), [])
            check.attrs(_attrs(t["pairs"]), attrs, o.frame.raw, f"frame {n} {o.type_name}")
            compared += 1
    print(f"\nnl80211/nlctrl: {compared} messages, {check.values} values ({check.semantic} decoded alike, "
          f"{check.same_bytes} same bytes), {check.blobs} blobs tshark dissects as 802.11, "
          f"{check.stopped} messages where tshark stops after the frame; fields tshark decodes "
          f"inside 802.11 blobs: {dict(check.not_decoded)}")
    assert compared > 500 and check.semantic > 5000
    assert check.mismatches == []
    assert set(check.not_decoded) <= {"wlan.tag", "wlan.ext_tag"}  # IEs inside NL80211_ATTR_IE blobs


def test_rekey_offload_keys_nested(msgs):
    """wpa_supplicant's SET_REKEY_OFFLOAD: NL80211_ATTR_REKEY_DATA is a nest (KEK, KCK, an
    8-byte replay counter: nl80211.c nl80211_rekey_policy), not one blob."""
    rekeys = [m for m in msgs if m.type_name == "nl80211 SET_REKEY_OFFLOAD"]
    assert rekeys
    for m in rekeys:
        rk = _payload(m)["attributes"]["NL80211_ATTR_REKEY_DATA"]
        assert {"NL80211_REKEY_DATA_KEK", "NL80211_REKEY_DATA_KCK", "NL80211_REKEY_DATA_REPLAY_CTR"} <= set(rk)
        assert len(bytes.fromhex(rk["NL80211_REKEY_DATA_REPLAY_CTR"])) == 8


# -- the tools' own views ------------------------------------------------------------------------

def _payload(m):
    return message_to_json(m)["payload"]


def _attrs_of(m) -> dict:
    return _payload(m).get("attributes", {})


def _sent_by_kernel(m) -> bool:
    return not m.flags & 1  # NLM_F_REQUEST: the daemon's request; else the kernel's answer/event


def test_frr_nexthop_groups_as_ip_shows_them(parts):
    """zebra's ECMP route sits on a kernel nexthop group: every group and gateway
    nexthop `ip -j nexthop show` listed was announced in the capture with the same members."""
    shown = json.loads(committed(FIX / "frr-ip-nexthop.json").read_text())
    groups, gws = {}, {}
    for m in parts["frr"]:
        if m.type_name == "RTM_NEWNEXTHOP" and _sent_by_kernel(m):
            a = _attrs_of(m)
            if "NHA_GROUP" in a:
                groups[a["NHA_ID"]] = [g["id"] for g in a["NHA_GROUP"]]
            if "NHA_GATEWAY" in a:
                gws[a["NHA_ID"]] = a["NHA_GATEWAY"]
    want_groups = {n["id"]: [g["id"] for g in n["group"]] for n in shown if "group" in n}
    want_gws = {n["id"]: n["gateway"] for n in shown if "gateway" in n}
    assert want_groups and len(next(iter(want_groups.values()))) == 2
    assert {k: groups.get(k) for k in want_groups} == want_groups
    assert {k: gws.get(k) for k in want_gws} == want_gws


def test_frr_vrf_route_in_its_table(parts):
    """staticd's route in VRF red (table 10) is installed there: RTA_TABLE 10."""
    routes = [_payload(m) for m in parts["frr"] if m.type_name == "RTM_NEWROUTE" and m.flags & 1]
    assert any(p["attributes"].get("RTA_DST") == "10.31.0.0" and p["rtmsg"]["rtm_table"]["value"] == 10
               for p in routes), routes


def _routes(ms, mtype: str) -> set[str]:
    out = set()
    for m in ms:
        if m.type_name == mtype and m.flags & 1:
            p = _payload(m)
            dst = p.get("attributes", {}).get("RTA_DST")
            if dst is not None:
                out.add(f"{dst}/{p['rtmsg']['rtm_dst_len']}")
    return out


def test_bird_routes_as_ip_shows_them(parts):
    """Every route `ip -j route show proto bird` listed was sent by bird (RTM_NEWROUTE);
    the ten the reconfigure dropped were deleted (RTM_DELROUTE)."""
    before = {r["dst"] for r in json.loads(committed(FIX / "bird-ip-route.json").read_text())}
    after = {r["dst"] for r in json.loads((FIX / "bird-ip-route-after.json").read_text())}
    added, deleted = _routes(parts["bird"], "RTM_NEWROUTE"), _routes(parts["bird"], "RTM_DELROUTE")
    assert len(before) > 30 and before <= added
    assert len(before - after) == 10 and before - after <= deleted


def test_lldpd_interfaces_seen_in_its_link_traffic(parts):
    """The interfaces lldpcli lists are the ones lldpd's link dumps and events named."""
    shown = json.loads(committed(FIX / "lldpcli-interfaces.json").read_text())["lldp"]["interface"]
    names = {n for item in shown for n in item}
    seen = {_attrs_of(m).get("IFLA_IFNAME") for m in parts["lldpd"] if m.type_name == "RTM_NEWLINK"}
    assert {"lv0", "lv1", "lv3"} <= names <= seen


def test_wifi_connect_and_channel_switch_as_iw_shows_them(parts):
    """wpa_supplicant's association (`iw dev link`: the AP's MAC and frequency) is the
    CONNECT event's; hostapd's chan_switch ends on the channel `iw dev info` shows."""
    link = committed(FIX / "iw-link.txt").read_text()
    mac = re.search(r"Connected to (\S+)", link).group(1)
    connects = [_attrs_of(m) for m in parts["wifi"] if m.type_name == "nl80211 CONNECT" and _sent_by_kernel(m)]
    assert any(a.get("NL80211_ATTR_MAC") == mac and a.get("NL80211_ATTR_STATUS_CODE") == 0 for a in connects)
    freq = int(re.search(r"channel \d+ \((\d+) MHz\)", (FIX / "iw-ap-info.txt").read_text()).group(1))
    switched = [_attrs_of(m)["NL80211_ATTR_WIPHY_FREQ"]["value"] for m in parts["wifi"]
                if m.type_name == "nl80211 CH_SWITCH_NOTIFY"]
    assert switched and switched[-1] == freq


def test_ulogd_packets_are_the_nflog_messages(parts):
    """Each line ulogd wrote for an NFLOG packet (prefix, SRC, DST) is an
    NFULNL_MSG_PACKET of group 5 with that prefix and an IPv4 payload from SRC to DST."""
    logged = re.findall(r" (\S+)\s+IN=\S* OUT=.*? SRC=(\S+) DST=(\S+)",
                        committed(FIX / "ulogd-nflog.txt").read_text())
    seen = []
    for m in parts["ulogd"]:
        if m.type_name == "NFULNL_MSG_PACKET":
            p = _payload(m)
            ip = bytes.fromhex(p["attributes"]["NFULA_PAYLOAD"])
            seen.append((p["attributes"]["NFULA_PREFIX"].strip(), str(ipaddress.IPv4Address(ip[12:16])),
                         str(ipaddress.IPv4Address(ip[16:20]))))
            assert p["nfgenmsg"]["res_id"] == 5
    assert logged and sorted(logged) == sorted(seen)


def test_conntrack_events_and_dump_as_the_tools_show_them(parts):
    """ulogd's [NEW] lines are ctnetlink NEW events; the flows `conntrack -L -o xml`
    listed are in a ctnetlink dump answer of the same run."""
    ct = committed(FIX / "ulogd-ct.txt").read_text()
    logged = set(re.findall(r"\[NEW\] ORIG: SRC=(\S+) DST=(\S+)", ct))
    events, dumped = set(), set()
    for m in parts["ulogd"]:
        if m.type_name != "IPCTNL_MSG_CT_NEW" or not _sent_by_kernel(m):
            continue
        ip = _attrs_of(m)["CTA_TUPLE_ORIG"]["CTA_TUPLE_IP"]
        flow = (ip["CTA_IP_V4_SRC"], ip["CTA_IP_V4_DST"])
        (dumped if m.flags & 2 else events).add(flow)  # NLM_F_MULTI: a dump's answer
    assert logged and logged <= events
    xml = committed(FIX / "conntrack.xml").read_text()
    flows = set(re.findall(r'<meta direction="original"><layer3[^>]*><src>([^<]+)</src><dst>([^<]+)</dst>', xml))
    assert flows and flows <= dumped
