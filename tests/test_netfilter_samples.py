"""netfilter on the real capture (samples/netfilter.pcapng: nft and conntrack in the
VM): every message named, attributes named, summaries present, and values equal
to what the tools printed from the same messages (conntrack -L / -E, nft -j)."""
from __future__ import annotations

import json
import re

import pytest
from conftest import SAMPLES, attribute_coverage

from nlscope.decode.decoder import Decoder
from nlscope.dissectors import netfilter
from nlscope.decode.model import find
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import Registry

CAPTURE = SAMPLES / "netfilter.pcapng"


@pytest.fixture(scope="module")
def msgs():
    reg = Registry()
    netfilter.register(reg)
    return [m for m in Decoder(reg).messages(CaptureReader(CAPTURE)) if m.protocol == 12]


def test_all_named_and_summarised(msgs):
    assert len(msgs) > 300
    assert [m.type_name for m in msgs if m.type_name.startswith("UNKNOWN")] == []
    assert [m.problems for m in msgs if m.problems] == []
    assert all(m.summary for m in msgs)
    named, total = attribute_coverage(msgs)
    share = 100 * named / total
    print(f"\nnetfilter.pcapng: {len(msgs)} messages, {named}/{total} attributes named ({share:.2f}%)")
    assert total > 1000 and share >= 98
    rules = [m.summary for m in msgs if m.type_name == "NFT_MSG_NEWRULE" and m.flags & 0x2]
    assert "NFT_MSG_NEWRULE inet nls input handle 7: ct state, bitwise, cmp neq 0x00000000, counter, accept" \
        in rules
    assert any(s.startswith("NFNL_MSG_BATCH_BEGIN nftables") for s in (m.summary for m in msgs))


def _ct_fields(m) -> dict:
    """What conntrack prints of one entry, from the decoded tree."""
    def tup(name):
        t = find(m.tree, name)
        out = {}
        for f in t.children:
            for a in f.children or ():
                key = {"CTA_IP_V4_SRC": "src", "CTA_IP_V4_DST": "dst", "CTA_IP_V6_SRC": "src",
                       "CTA_IP_V6_DST": "dst", "CTA_PROTO_SRC_PORT": "sport", "CTA_PROTO_DST_PORT": "dport",
                       "CTA_PROTO_ICMP_ID": "id", "CTA_PROTO_ICMP_TYPE": "type",
                       "CTA_PROTO_ICMP_CODE": "code"}.get(a.name)
                if key:
                    out[key] = str(a.value)
        return out
    status = find(m.tree, "CTA_STATUS").meta
    state = find(m.tree, "CTA_PROTOINFO_TCP_STATE")
    return {"proto": find(m.tree, "CTA_PROTO_NUM").meta, "timeout": find(m.tree, "CTA_TIMEOUT").value,
            "state": state.meta.removeprefix("TCP_CONNTRACK_") if state is not None else None,
            "orig": tup("CTA_TUPLE_ORIG"), "reply": tup("CTA_TUPLE_REPLY"),
            "unreplied": "IPS_SEEN_REPLY" not in status, "assured": "IPS_ASSURED" in status}


def _parse_ct_line(line: str) -> dict:
    words = line.split()
    proto, timeout = words[0], int(words[2])
    state = words[3] if "=" not in words[3] and not words[3].startswith("[") else None
    tuples, cur = [], None
    for w in words[3:]:
        k, _, v = w.partition("=")
        if k == "src":
            cur = {}
            tuples.append(cur)
        if v and cur is not None and k in ("src", "dst", "sport", "dport", "id", "type", "code"):
            cur[k] = v
    return {"proto": proto, "timeout": timeout, "state": state, "orig": tuples[0], "reply": tuples[1],
            "unreplied": "[UNREPLIED]" in words, "assured": "[ASSURED]" in words}


def test_events_equal_conntrack_E(msgs):
    """`conntrack -E` printed one line per event message the kernel multicast."""
    lines = [ln.split("\t", 1)[1].strip() for ln in (SAMPLES / "netfilter.conntrack-events.txt").read_text()
             .splitlines() if ln.startswith("[")]
    want = []
    for ln in lines:
        ev, rest = re.match(r"\[(\w+)\]\s+(.*)", ln).groups()
        want.append((ev, _parse_ct_line(rest)))
    got = []
    for m in msgs:
        ev = re.match(r"IPCTNL_MSG_CT_\w+ \[(\w+)\]", m.summary)
        if ev:
            got.append((ev.group(1), _ct_fields(m)))
    assert len(want) == 11
    assert got == want


def test_dump_equals_conntrack_L(msgs):
    log = (SAMPLES / "netfilter.log").read_text()
    printed = [ln for ln in log.splitlines() if re.match(r"(tcp|udp|icmp)\s+\d+ \d+ ", ln)]
    replies = [_ct_fields(m) for m in msgs if m.type_name == "IPCTNL_MSG_CT_NEW" and m.flags & 0x2]
    assert len(printed) >= 5
    for ln in printed:
        assert _parse_ct_line(ln) in replies, ln


def test_nft_objects_equal_nft_json(msgs):
    """The table, chains, sets and rules (with handles) `nft -j list ruleset` printed
    are the ones in the dump replies."""
    ruleset = json.loads((SAMPLES / "netfilter.nft-ruleset.json").read_text())["nftables"]
    want = set()
    for obj in ruleset:
        (kind, o), = obj.items()
        if kind == "rule":
            want.add(("rule", o["chain"], o["handle"]))
        elif kind == "chain":
            want.add(("chain", o["name"], o["handle"]))
        elif kind in ("set", "map"):
            want.add(("set", o["name"], o["handle"]))
        elif kind == "table":
            want.add(("table", o["name"], o["handle"]))
    got = set()
    for m in msgs:
        if not m.flags & 0x2:  # dump replies only
            continue
        v = {f.name: f.value for f in m.tree[-1].children or ()} if m.tree[-1].name == "attributes" else {}
        if m.type_name == "NFT_MSG_NEWRULE":
            got.add(("rule", v["NFTA_RULE_CHAIN"], v["NFTA_RULE_HANDLE"]))
        elif m.type_name == "NFT_MSG_NEWCHAIN":
            got.add(("chain", v["NFTA_CHAIN_NAME"], v["NFTA_CHAIN_HANDLE"]))
        elif m.type_name == "NFT_MSG_NEWSET":
            got.add(("set", v["NFTA_SET_NAME"], v["NFTA_SET_HANDLE"]))
        elif m.type_name == "NFT_MSG_NEWTABLE":
            got.add(("table", v["NFTA_TABLE_NAME"], v["NFTA_TABLE_HANDLE"]))
    assert len(want) >= 9
    assert want <= got
