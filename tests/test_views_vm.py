"""Names, object history and the flow on a lab capture (a Debian kernel in the VM lab):
a link renamed and its index reused, a route replaced and deleted, each checked
against what `ip -j` printed between the commands. One boot serves every test."""
from __future__ import annotations

import json
import re

import pytest
from vm.lab import vm_fixture

from nlscope.analysis.flow import flow
from nlscope.analysis.history import history, key_for
from nlscope.analysis.names import IfNames
from nlscope.analysis.txindex import TxnIndex
from nlscope.decode.index import open_file_index
from nlscope.tui.app import new_decoder

pytestmark = pytest.mark.vm

SCRIPT = r"""
exec 2>&1
. "$REPO/tests/vm/nlmon-capture.sh"
nlmon_capture_start "$OUT/views.pcap" --time-stamp-precision=nano
set -x
ip link add dummy0 type dummy
ip -j link show dummy0 > "$OUT/before.json"
ip link set dummy0 mtu 1400
ip link set dummy0 name wan0
ip link set wan0 up
ip -j link show wan0 > "$OUT/renamed.json"
ip addr add 192.0.2.1/24 dev wan0
ip route add 10.10.0.0/16 via 192.0.2.254
ip -j route show 10.10.0.0/16 > "$OUT/route1.json"
ip route replace 10.10.0.0/16 via 192.0.2.253
ip -j route show 10.10.0.0/16 > "$OUT/route2.json"
ip route del 10.10.0.0/16
ip link del wan0
ip link add dummy9 type dummy
ip -j link > "$OUT/after.json"
set +x
nlmon_capture_stop
echo done > "$OUT/ok"
"""

lab = vm_fixture(SCRIPT, timeout=900)


@pytest.fixture(scope="module")
def capture(lab):
    assert (lab.outdir / "ok").exists(), lab.stdout[-3000:]
    # tcpdump wrote every frame nlmon gave it (nlmon_capture_stop waited for it)
    said = (lab.outdir / "tcpdump.txt").read_text()
    n = {k: int(v) for v, k in re.findall(r"(\d+) packets? (captured|received by filter|dropped by kernel)", said)}
    assert n["captured"] == n["received by filter"] and n["dropped by kernel"] == 0, said
    ix, sc = open_file_index(str(lab.outdir / "views.pcap"), new_decoder())
    tx = TxnIndex(ix)
    sc.scan(final=True, on_messages=tx.feed)
    tx.finish()
    names = IfNames()
    names.update(ix)
    js = {n: json.loads((lab.outdir / f"{n}.json").read_text())
          for n in ("before", "renamed", "route1", "route2", "after")}
    return ix, tx, names, js


def _last(ix, pred) -> int:
    return max(i for i in range(ix.count) if pred(ix.message(i)))


def _ends_deleted(hist, tx) -> None:
    """The last delete request's ACK says "deleted", and no state of it comes after."""
    seen = "\n".join(f"{e.index} {e.role} {e.action} {e.note} | {e.summary}" for e in hist.entries)
    k = max(k for k, e in enumerate(hist.entries) if e.role == "request" and e.action == "del")
    after = hist.entries[k + 1:]
    ack = next((e for e in after if tx.of(e.index) == tx.of(hist.entries[k].index)), None)
    assert ack is not None and ack.action == "ack" and ack.note.startswith("deleted"), seen
    assert not any(e.role == "state" for e in after), seen


def test_names_follow_the_rename_and_the_reuse(capture):
    ix, tx, names, js = capture
    idx = js["before"][0]["ifindex"]
    assert js["renamed"][0]["ifindex"] == idx and js["renamed"][0]["ifname"] == "wan0"
    first = min(i for i in range(ix.count) if "dummy0" in ix.message(i).summary)
    # the first link message saying wan0 is `ip link set dummy0 name wan0`'s request
    renamed = min(i for i in range(ix.count) if "wan0" in ix.message(i).summary
                  and ix.message(i).type_name == "RTM_NEWLINK")
    assert ix.message(renamed).flags & 1
    assert names.name(idx, first) == "dummy0"
    assert names.name(idx, renamed - 1) == "dummy0" and names.name(idx, renamed) == "wan0"
    for link in js["after"]:  # the end of the capture: what ip -j link says
        assert names.name(link["ifindex"]) == link["ifname"]


def test_link_history_shows_the_rename_and_mtu(capture):
    ix, tx, names, js = capture
    idx = js["before"][0]["ifindex"]
    i = _last(ix, lambda m: m.type_name == "RTM_NEWLINK" and "wan0" in m.summary)
    kind, key = key_for(ix, tx, i, names)
    assert (kind.name, key) == ("link", (idx,))
    hist = history(ix, tx, kind, key, names)
    changes = {(c.path, c.old, c.new) for e in hist.entries if e.role == "state" for c in e.changes}
    assert ("IFLA_IFNAME", '"dummy0"', '"wan0"') in changes
    assert ("IFLA_MTU", str(js["before"][0]["mtu"]), "1400") in changes
    # nothing listens to RTNLGRP_LINK, so nlmon sees no RTM_DELLINK notification: the
    # history ends at `ip link del wan0` and the kernel's ACK of it
    _ends_deleted(hist, tx)
    # the create request (index 0, named dummy0) is in it, found by the learned name
    assert any(e.role == "request" and "dummy0 type dummy" in e.summary for e in hist.entries)


def test_route_history_shows_the_replace(capture):
    ix, tx, names, js = capture
    gw1, gw2 = js["route1"][0]["gateway"], js["route2"][0]["gateway"]
    assert (gw1, gw2) == ("192.0.2.254", "192.0.2.253")
    i = _last(ix, lambda m: m.type_name == "RTM_NEWROUTE" and m.summary.startswith("RTM_NEWROUTE 10.10.0.0/16"))
    kind, key = key_for(ix, tx, i, names)
    assert kind.name == "route" and key[2:4] == ("10.10.0.0", 16)
    hist = history(ix, tx, kind, key, names)
    changes = [(c.path, c.old, c.new) for e in hist.entries if e.role == "state" for c in e.changes]
    assert ("RTA_GATEWAY", gw1, gw2) in changes
    notes = [e.note for e in hist.entries if e.role == "state"]
    # "created" when the kernel flags its notification NLM_F_CREATE, which not every
    # kernel does; either way it comes after the add request
    assert notes[0] == "created" or notes[0].startswith("first seen")
    _ends_deleted(hist, tx)
    assert hist.entries[0].role == "request" and "via 192.0.2.254" in hist.entries[0].summary
    reqs = [e for e in hist.entries if e.role == "request"]
    assert len(reqs) == 3 and all(any(a.action == "ack" for a in hist.entries) for _ in reqs)


def test_flow_answers_go_back_to_their_requester(capture):
    ix, tx, names, js = capture
    flw = flow(ix, tx, None, ix.count // 2, window=ix.count)
    by_index = {a.index: a for a in flw.arrows}
    answered = 0
    for a in flw.arrows:
        if a.reply_to is not None and a.reply_to in by_index:
            req = by_index[a.reply_to]
            assert (a.src, a.dst) == (req.dst, req.src) == (flw.kernel, req.src)
            answered += 1
    assert answered >= 10
    assert all(a.dst == len(flw.lanes) - 1 for a in flw.arrows if a.role == "event")
