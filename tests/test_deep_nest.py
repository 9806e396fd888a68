"""Nests ~500 levels deep (issue 12, item 6): the message keeps its tree, summary and
other attributes; only the attribute past MAX_DEPTH stays bytes, with its problem.
Reproducer: tests/fixtures/deep-nest.pcap, made by tests/fixtures/make_deep_nest.py."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import FIXTURES, ROOT
from fixtures import make_deep_nest
from fixtures.make_fixtures import pcap

from nlscope.capture.pcapio import CaptureReader
from nlscope.decode import nla
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import fields_to_json

CAPTURE = FIXTURES / "deep-nest.pcap"


def _messages(registry):
    with CaptureReader(CAPTURE) as reader:
        return list(Decoder(registry).messages(reader))


def test_the_reproducer_is_what_its_script_makes():
    assert CAPTURE.read_bytes() == pcap(make_deep_nest.frames())


def test_deep_nests_cost_only_the_deep_attribute(registry):
    msgs = _messages(registry)
    assert len(msgs) == 3
    for m in msgs:
        assert m.summary.startswith(f"RTM_NEWLINK {m.number}: deep{m.number} "), m.summary
        assert not any("dissector error" in p or "cannot decode" in p for p in m.problems), m.problems
        attrs = m.to_json(None)["payload"]["attributes"]
        assert attrs["IFLA_IFNAME"] == f"deep{m.number}" and attrs["IFLA_MTU"] == 1500
        depth = max(d for f in m.tree for d, _ in f.walk())
        assert depth <= 3 * nla.MAX_DEPTH + 4
    # the veth chain: known tables all the way down, cut at MAX_DEPTH with one note
    veth = msgs[1]
    assert len(veth.problems) == 1
    assert f"nested more than {nla.MAX_DEPTH} levels deep, kept as bytes" in veth.problems[0]
    assert veth.problems[0].startswith("IFLA_LINKINFO.IFLA_INFO_DATA.VETH_INFO_PEER")
    assert len(veth.problems[0]) < 250
    # unknown nests: walked while they parse, the rest bytes; not a problem of the message
    assert msgs[0].problems == [] and msgs[2].problems == []


def test_deep_nests_both_products_agree(registry):
    tree = _messages(registry)
    direct = _messages(registry)
    for t, j in zip(tree, direct):
        want = fields_to_json(t.tree[1:])
        rec = j.to_json(None)
        assert rec["payload"] == want
        assert rec["problems"] == t.problems


def test_deep_nests_through_the_cli():
    for args in (["read", "-V"], ["export"]):
        r = subprocess.run([sys.executable, "-m", "nlscope", *args, str(CAPTURE)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr and "dissector error" not in r.stdout
    lines = r.stdout.splitlines()
    assert [json.loads(x)["summary"].split(" <")[0] for x in lines] == [
        "RTM_NEWLINK 1: deep1", "RTM_NEWLINK 2: deep2", "RTM_NEWLINK 3: deep3"]
