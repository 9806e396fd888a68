"""Issue 16 live: the daemons scenario of tests/fixtures/issue16_daemons (FRR, bird2,
lldpd, hostapd + wpa_supplicant + iwd on mac80211_hwsim, ulogd2, conntrackd), run short
(SHORT=1: 40 bird routes, 1 s pauses) in one lab boot, and the committed fixture's
properties asserted on this run's capture: per daemon, its families present, no problem,
every family >= 99.5% of attributes named, every transaction paired or truly unanswered.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nlscope.analysis.transactions import correlate
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry

from .lab import REPO, vm_fixture

SCENARIO = REPO / "tests" / "fixtures" / "issue16_daemons" / "scenario.sh"

lab = vm_fixture(SCENARIO.read_text(), env={"SHORT": "1"}, timeout=2400)


@pytest.fixture(scope="module")
def run(lab):
    from test_issue16_daemons import by_daemon
    out = Path(lab.outdir)
    assert lab.rc == 0, lab.stdout[-3000:]
    reg = default_registry(entry_points=False)
    msgs = list(Decoder(reg).messages(CaptureReader(out / "capture.pcap")))
    return by_daemon(msgs, out), list(correlate(msgs, registry=reg))


@pytest.mark.vm
def test_daemons_live(run):
    from conftest import daemon_family
    from test_issue16_daemons import DAEMONS, FAMILIES, poorly_named, problems, table, unpaired
    parts, pairs = run
    print("\n" + table(parts, pairs))
    for d in DAEMONS:
        ms = parts.get(d, [])
        seen = Counter(daemon_family(m) for m in ms)
        assert all(seen[f] for f in FAMILIES[d]), (d, seen)
        assert problems(ms) == [], d
        assert poorly_named(ms) == {}, d
        bad, answered = unpaired(ms, pairs)
        assert bad == [] and answered > 0, d
