"""`nlscope stats --coverage FILE`: per family, messages, % types and attributes named,
values left as hex, enum values without a name, problems (nlscope/analysis/coverage.py).
Checked against counts made here by plain walks of the decoded trees, on committed lab
captures: the issue 16 capture (real UNKNOWN(n) attributes in an OVS vport's link info),
the issue 14 genl capture, and the malformed fixture (problems)."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
from conftest import FIXTURES, ROOT, committed

from nlscope.analysis.coverage import Coverage, family_of, is_opaque
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry

GENL = FIXTURES / "issue14_genl" / "genl.pcap"
OVS = FIXTURES / "issue16" / "capture.pcap"
MALFORMED = FIXTURES / "malformed.pcap"


def decoded(path):
    return list(Decoder(default_registry(entry_points=False)).messages(CaptureReader(committed(path))))


def report(msgs) -> dict:
    cov = Coverage()
    for m in msgs:
        cov.add(m)
    return cov.to_json()


def walk(fields):
    for f in fields:
        yield f
        yield from walk(f.children or ())


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nlscope", "stats", "--coverage", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_counts_match_plain_walks():
    """Messages, problems and UNKNOWN(n) attributes per family equal what a walk finds."""
    msgs = decoded(OVS)
    rows = {r["family"]: r for r in report(msgs)["families"]}
    msgs_by, problems_by, unknown_by = Counter(), Counter(), Counter()
    for m in msgs:
        k = family_of(m)
        msgs_by[k] += 1
        problems_by[k] += len(m.problems)
        unknown_by[k] += sum(f.name.startswith("UNKNOWN(") for f in walk(m.tree or ()))
    assert {k: r["messages"] for k, r in rows.items()} == dict(msgs_by)
    assert {k: r["problems"] for k, r in rows.items()} == dict(problems_by)
    assert {k: r["attributes"] - r["attributes_named"] for k, r in rows.items()} == dict(unknown_by)
    assert unknown_by["route"] > 0  # the capture's vport link data the table lacks
    assert any("UNKNOWN(" in p for p in rows["route"]["unnamed_paths"])
    # genl families apart, by the family the type names
    assert {"generic/ovs_flow", "generic/ovs_vport", "generic/nlctrl"} <= set(rows)


def test_left_hex_are_bytes_fields_that_are_not_opaque():
    msgs = decoded(OVS)
    rows = {r["family"]: r for r in report(msgs)["families"]}
    hex_by = Counter()
    for m in msgs:
        hex_by[family_of(m)] += sum(f.kind == "bytes" and (f.name.startswith("UNKNOWN(") or not is_opaque(f.name))
                                    for f in walk(m.tree or ()))
    assert {k: r["left_hex"] for k, r in rows.items()} == dict(hex_by)
    assert rows["generic/ovs_flow"]["left_hex"] > 0  # OVS_FLOW_ATTR_UFID: a 128-bit id, bytes
    assert is_opaque("TCA_TUNNEL_KEY_ENC_OPT_GENEVE_DATA") and is_opaque("NFTA_SET_USERDATA")
    assert not is_opaque("NFTA_CT_TIMEOUT_DATA") and not is_opaque("INET_DIAG_LOCALS")


def test_problems_of_malformed_messages():
    msgs = decoded(MALFORMED)
    data = report(msgs)
    assert data["total"]["problems"] == sum(len(m.problems) for m in msgs) > 0
    assert all(r["problem_samples"] for r in data["families"] if r["problems"])


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_cli(fmt):
    r = cli(GENL, "--format", fmt)
    assert r.returncode == 0, r.stderr
    msgs = decoded(GENL)
    if fmt == "json":
        data = json.loads(r.stdout)
        assert data["total"]["messages"] == len(msgs)
        assert data == report(msgs)
    else:
        lines = r.stdout.splitlines()
        assert lines[0].startswith("Coverage per family")
        total = next(line for line in lines if line.startswith("total"))
        assert total.split()[1] == str(len(msgs))
        assert any(line.startswith("generic/l2tp ") for line in lines)


def test_cli_filter_and_bad_file(tmp_path):
    r = cli(GENL, "--format", "json", "-Y", "seq == 1")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"]["messages"] == sum(m.seq == 1 for m in decoded(GENL))
    bad = tmp_path / "x.pcap"
    bad.write_bytes(b"not a capture")
    r = cli(bad)
    assert r.returncode != 0 and "Traceback" not in r.stderr and r.stderr.strip()
