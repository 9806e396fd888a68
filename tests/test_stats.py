"""`nlscope stats`: counts, bytes, errors with extack, latency percentiles, unanswered
requests, talkers; checked on the hand-made pairing capture and on the real samples
against the figures samples/generate.py recorded with tshark (MANIFEST.json)."""
from __future__ import annotations

import json
import random
from collections import Counter
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, SAMPLES, committed
from fixtures import make_txn_fixtures as mk
from test_transactions import route_registry

from nlscope.decode.decoder import Decoder
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import default_registry
from nlscope.analysis.stats import Stats, percentile
from nlscope.analysis.transactions import correlate

HARD = FIXTURES / "txn-hard.pcap"


def stats_of(path, registry=None) -> Stats:
    st = Stats(top=50)
    for m, t in correlate(Decoder(registry or route_registry()).messages(CaptureReader(path))):
        if t is not None and m is t.messages[0]:
            st.add_transaction(t)
        st.add_message(m, t)
    return st


@pytest.fixture(scope="module")
def hard():
    return stats_of(HARD).to_json()


def test_percentile_is_nearest_rank():
    rnd = random.Random(7)
    for n in (1, 2, 3, 10, 99, 100, 101, 1000):
        vals = sorted(rnd.randrange(10**6) for _ in range(n))
        for p in (50, 95, 99, 100):
            k = -(-p * n // 100)  # ceil
            assert percentile(vals, p) == vals[max(k, 1) - 1]
    assert percentile([1, 3, 5], 50) == 3
    with pytest.raises(ValueError):
        percentile([], 50)


def test_totals_and_types(hard):
    msgs = list(Decoder(route_registry()).messages(CaptureReader(HARD)))
    c = hard["capture"]
    assert c["messages"] == len(msgs) == 48
    assert c["frames"] == len({m.frame.number for m in msgs})
    assert c["bytes"] == sum(m.end - m.start for m in msgs)
    assert c["duration_ns"] == msgs[-1].frame.ts_ns - msgs[0].frame.ts_ns
    types = {(r["family"], r["type"]): r["messages"] for r in hard["types"]}
    assert types[("route", "NLMSG_ERROR")] == 7 and types[("route", "NLMSG_DONE")] == 6
    assert sum(types.values()) == 48
    assert hard["families"] == [{"family": "route", "messages": 48, "bytes": c["bytes"]}]


def test_transactions_and_roles(hard):
    assert hard["transactions"] == {"ok": 10, "error": 3, "unanswered": 1, "no_reply": 1, "incomplete": 1,
                                    "orphan": 1, "event": 3}
    assert hard["roles"] == dict(sorted(Counter(mk.EXPECTED_ROLES).items()))


def test_errors_by_errno_with_extack(hard):
    errs = {e["errno"]["name"]: e for e in hard["errors"]}
    assert set(errs) == {"EINVAL", "EEXIST", "ESRCH"}
    assert errs["EINVAL"] == {"errno": {"name": "EINVAL", "value": 22}, "count": 1,
                              "requests": {"RTM_NEWROUTE": 1},
                              "extack": {"Nexthop has invalid gateway (at RTA_GATEWAY)": 1}}
    assert errs["ESRCH"]["requests"] == {"RTM_DELROUTE": 1} and errs["ESRCH"]["extack"] == {}
    assert errs["EEXIST"]["extack"] == {"Address already assigned": 1}


def test_latency_percentiles_per_request_type(hard):
    rows = {(r["request"], r["dump"]): r for r in hard["latency"]}
    # RTM_NEWROUTE: seq 7 (300 us), 500 (1.5 ms, error), 600 (200 us), 900 (200 us)
    r = rows[("RTM_NEWROUTE", False)]
    assert (r["count"], r["p50_ns"], r["p95_ns"], r["p99_ns"], r["max_ns"]) == (4, 200_000, 1_500_000,
                                                                                  1_500_000, 1_500_000)
    assert r["mean_ns"] == (300_000 + 1_500_000 + 200_000 + 200_000) // 4
    d = rows[("RTM_GETLINK", True)]
    assert d["count"] == 2 and d["max_ns"] == 600_000 and d["p50_ns"] == 200_000
    assert ("RTM_GETLINK", False) in rows and ("RTM_NEWLINK", False) not in rows  # unanswered: no latency
    assert ("RTM_GETROUTE", True) in rows and rows[("RTM_GETROUTE", True)]["count"] == 1  # the incomplete one is out


def test_unanswered_and_incomplete_listed(hard):
    assert hard["unanswered"] == {"count": 1, "requests": [
        {"number": 45, "family": "route", "type": "RTM_NEWLINK", "seq": 1000, "portid": None,
         "expects": "ack", "replies": 0}]}
    assert hard["incomplete"]["count"] == 1
    assert hard["incomplete"]["requests"][0]["number"] == 46


def test_top_talkers(hard):
    top = hard["talkers"]
    assert top[0]["portid"] == 8001
    assert top[0]["requests"] == 6 and top[0]["errors"] == 2
    assert sum(t["messages"] for t in top) == 48


def test_cli_text_and_json():
    r = subprocess.run([sys.executable, "-m", "nlscope", "stats", str(HARD), "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["capture"]["messages"] == 48 and j["unanswered"]["count"] == 1
    r = subprocess.run([sys.executable, "-m", "nlscope", "stats", str(HARD)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    for heading in ("Messages by family", "Messages by type", "Transactions:", "Errors by errno",
                    "Latency by request type", "Unanswered requests: 1", "Top talkers by port id"):
        assert heading in r.stdout
    assert '"Nexthop has invalid gateway' in r.stdout


def test_cli_filter_restricts_counts():
    r = subprocess.run([sys.executable, "-m", "nlscope", "stats", str(HARD), "--format", "json", "-Y", "seq == 1"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["capture"]["messages"] == 7
    assert j["transactions"]["ok"] == 2 and sum(j["transactions"].values()) == 2


@pytest.mark.parametrize("name", ["iproute2", "tc", "sock_diag", "genl", "netfilter", "xfrm", "mixed"])
def test_samples_match_the_manifest(name):
    """Messages and error frames as samples/generate.py counted them with tshark."""
    path = SAMPLES / f"{name}.pcapng"
    manifest = SAMPLES / "MANIFEST.json"
    committed(path), committed(manifest)
    want = json.loads(manifest.read_text())["files"][name]
    st = stats_of(path, default_registry())
    j = st.to_json()
    fragments = sum(1 for m in Decoder(default_registry()).messages(CaptureReader(path)) if m.is_fragment)
    assert j["capture"]["frames"] == want["frames"]
    assert j["capture"]["messages"] - fragments == want["messages"]
    assert sum(e["count"] for e in j["errors"]) == want["tshark_error_frames"]
    assert j["unanswered"]["count"] == 0
    assert {f["family"] for f in j["families"]} <= {
        {"0": "route", "4": "sock_diag", "6": "xfrm", "12": "netfilter", "16": "generic"}[k] for k in want["families"]}


def test_sample_iproute2_errors_and_latency():
    path = committed(SAMPLES / "iproute2.pcapng")
    j = stats_of(path, default_registry()).to_json()
    errs = {e["errno"]["name"]: e for e in j["errors"]}
    assert errs["ENETUNREACH"]["extack"] == {"Nexthop has invalid gateway": 1}
    assert errs["ERANGE"]["extack"] == {"8021q: Invalid VLAN id": 1}
    assert errs["EADDRNOTAVAIL"]["requests"] == {"RTM_DELADDR": 1}
    lat = {(r["request"], r["dump"]): r for r in j["latency"]}
    r = lat[("RTM_GETLINK", True)]
    assert r["count"] >= 5 and 0 < r["p50_ns"] <= r["p95_ns"] <= r["p99_ns"] <= r["max_ns"] < 1_000_000_000


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.pcapng")) + sorted(SAMPLES.glob("kmod/*.pcapng"))
                         + [HARD, FIXTURES / "golden.pcapng", FIXTURES / "txn-expire.pcap"],
                         ids=lambda p: p.name)
@pytest.mark.parametrize("flt", [None, "type == NLMSG_ERROR", "txn.status == error"])
def test_one_pass_stats_equal_stats_over_final_transactions(path, flt):
    """`nlscope stats` counts in one pass (a transaction when it closes, a request's
    share of its socket once an answer names it); the report equals counting each
    message with its final transaction, at the first message."""
    import json
    import subprocess
    import sys

    from nlscope.analysis.filter import compile_filter
    reg = default_registry()
    st = Stats(top=10)
    f = compile_filter(flt, reg) if flt else None
    for m, t in correlate(Decoder(reg).messages(CaptureReader(path)), registry=reg):
        if t is not None and m is t.messages[0] and (f is None or any(f(x, t) for x in t.messages)):
            st.add_transaction(t)
        if f is None or f(m, t):
            st.add_message(m, t)
    args = [sys.executable, "-m", "nlscope", "stats", "--format", "json", str(path)]
    if flt:
        args[4:4] = ["-Y", flt]
    cli = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert cli == json.loads(json.dumps(st.to_json()))
