"""Object history (nlscope.analysis.history) on the samples, checked against what the
tools printed while the samples were made: the commands in iproute2.log, the
conntrack -E events, ip -j addr."""
from __future__ import annotations

import json
import re

import pytest
from conftest import SAMPLES

from nlscope.analysis.history import OBJECT_KINDS, flatten, history, key_for, object_key
from nlscope.analysis.names import IfNames
from nlscope.analysis.txindex import TxnIndex
from nlscope.decode.index import open_file_index
from nlscope.tui.app import new_decoder


@pytest.fixture(scope="module")
def captures():
    out = {}
    for name in ("iproute2", "netfilter", "mixed"):
        ix, sc = open_file_index(str(SAMPLES / f"{name}.pcapng"), new_decoder())
        tx = TxnIndex(ix)
        sc.scan(final=True, on_messages=tx.feed)
        tx.finish()
        names = IfNames()
        names.update(ix)
        out[name] = (ix, tx, names)
    return out


def _first(ix, text: str) -> int:
    return next(i for i in range(ix.count) if text in ix.message(i).summary)


def _changes(hist, suffix: str) -> list[tuple[str | None, str | None]]:
    return [(c.old, c.new) for e in hist.entries if e.role == "state" for c in e.changes
            if c.path.endswith(suffix)]


def test_link_history_follows_the_commands(captures):
    """ip link add dummy0; set address 02:00:00:00:00:01; set mtu 1400; set up
    (iproute2.log): the create request is found by its name, each change is one
    field-level diff in the kernel's notifications."""
    ix, tx, names = captures["iproute2"]
    log = (SAMPLES / "iproute2.log").read_text()
    assert "ip link set dummy0 address 02:00:00:00:00:01" in log and "ip link set dummy0 mtu 1400" in log
    i = _first(ix, "RTM_NEWLINK 3: dummy0")
    kind, key = key_for(ix, tx, i, names)
    assert (kind.name, key) == ("link", (3,))
    hist = history(ix, tx, kind, key, names)
    assert hist.complete and not hist.dropped
    first = hist.entries[0]
    assert (first.role, first.type_name) == ("request", "RTM_NEWLINK")
    assert {c.path: c.new for c in first.changes}["IFLA_IFNAME"] == '"dummy0"'
    assert hist.entries[1].note == "ACK" or hist.entries[1].role == "state"
    assert ("36:da:ad:8a:fb:30", "02:00:00:00:00:01") in _changes(hist, "IFLA_ADDRESS")
    assert ("1500", "1400") in _changes(hist, "IFLA_MTU")
    flags = _changes(hist, "ifinfomsg.ifi_flags")
    assert any("IFF_UP" in new and "IFF_UP" not in old for old, new in flags)
    # every request asking for a change is answered by an ACK in the history
    reqs = [e for e in hist.entries if e.role == "request" and e.action != "get"]
    acks = [e for e in hist.entries if e.action == "ack"]
    assert reqs and len(acks) >= len(reqs) - 1
    # the history is in capture order, and each state entry is about ifindex 3
    assert [e.index for e in hist.entries] == sorted({e.index for e in hist.entries})
    for e in hist.entries:
        if e.role == "state":
            assert object_key(ix.message(e.index), names)[1] == (3,)


def test_conntrack_history_is_conntrack_events(captures):
    """The TCP connection's states, one diff after another, are the [NEW]/[UPDATE] lines
    conntrack -E printed for it, in order."""
    ix, tx, names = captures["netfilter"]
    events = (SAMPLES / "netfilter.conntrack-events.txt").read_text().splitlines()
    want = [re.search(r"\b(SYN_SENT|SYN_RECV|ESTABLISHED|FIN_WAIT|LAST_ACK|TIME_WAIT|CLOSE)\b", line).group(1)
            for line in events if " tcp " in line and "sport=43740" in line]
    assert want[0] == "SYN_SENT" and len(want) >= 5
    i = _first(ix, "[NEW] tcp")
    kind, key = key_for(ix, tx, i, names)
    assert kind.name == "conntrack"
    hist = history(ix, tx, kind, key, names)
    first = flatten(ix.message(hist.entries[0].index))
    states = [first["CTA_PROTOINFO.CTA_PROTOINFO_TCP.CTA_PROTOINFO_TCP_STATE"]]
    states += [new for _, new in _changes(hist, "CTA_PROTOINFO_TCP_STATE")]
    assert [re.search(r"TCP_CONNTRACK_(\w+)", s).group(1) for s in states] == want
    assert hist.entries[0].note == "created"


def test_address_history_created_and_deleted(captures):
    ix, tx, names = captures["iproute2"]
    i = _first(ix, "RTM_NEWADDR 192.0.2.1/24")
    kind, key = key_for(ix, tx, i, names)
    assert kind.name == "address" and key[2:] == ("192.0.2.1", 24)
    hist = history(ix, tx, kind, key, names)
    roles = [(e.role, e.action) for e in hist.entries]
    assert roles[0] == ("request", "new") and ("answer", "ack") in roles
    assert hist.entries[-1].note == "deleted"
    # ip -j addr (taken before the delete) lists it on dummy0 = ifindex 3
    addrs = json.loads((SAMPLES / "iproute2.ip-addr.json").read_text())
    dev = next(a for a in addrs if any(x.get("local") == "192.0.2.1" for x in a["addr_info"]))
    assert (dev["ifindex"], names.name(key[1], i)) == (key[1], dev["ifname"])


def test_ack_leads_to_its_request_object(captures):
    """From the ACK of `ip addr add 192.0.2.1/24`, the history is that address's."""
    ix, tx, names = captures["iproute2"]
    got = key_for(ix, tx, _first(ix, "RTM_NEWADDR 192.0.2.1/24"), names)
    hist = history(ix, tx, *got, names)
    ack = next(e.index for e in hist.entries if e.action == "ack")
    assert ix.m_type[ack] == 2 and ix.message(ack).error_code == 0
    assert key_for(ix, tx, ack, names) == got


def test_nft_rule_by_handle(captures):
    ix, tx, names = captures["netfilter"]
    i = _first(ix, "NFT_MSG_NEWRULE inet nls input handle 7")
    kind, key = key_for(ix, tx, i, names)
    assert kind.name == "nft rule" and key[1:] == ("nls", "input", "7")
    hist = history(ix, tx, kind, key, names)
    assert all("handle 7" in e.summary for e in hist.entries if e.role == "state")
    assert len(hist.entries) >= 2


def test_bounded_and_cancellable(captures):
    ix, tx, names = captures["iproute2"]
    kind, key = key_for(ix, tx, _first(ix, "RTM_NEWLINK 3: dummy0"), names)
    full = history(ix, tx, kind, key, names)
    cut = history(ix, tx, kind, key, names, max_entries=5)
    assert len(cut.entries) == 5 and cut.dropped == len(full.entries) - 5
    assert [e.index for e in cut.entries] == [e.index for e in full.entries[-5:]]
    stopped = history(ix, tx, kind, key, names, cancelled=lambda: True)
    assert not stopped.complete and not stopped.entries


def test_messages_naming_no_object(captures):
    ix, tx, names = captures["mixed"]
    i = next(i for i in range(ix.count) if ix.message(i).family == "generic")
    assert key_for(ix, tx, i, names) is None
    assert all(k.types for k in OBJECT_KINDS)
