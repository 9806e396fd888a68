"""The test suite's own rules (issue 12, "the test suite itself"): a missing committed
file fails, a wait that runs out fails, a lab that cannot run in CI fails."""
from __future__ import annotations

import asyncio
import re

import pytest
from conftest import ROOT, SAMPLES, committed

import waiting
from vm.lab import lab_missing


def test_a_missing_committed_file_fails_the_test():
    assert committed(SAMPLES / "mixed.pcapng") == SAMPLES / "mixed.pcapng"
    with pytest.raises(pytest.fail.Exception, match="samples/renamed.pcapng is missing, though it is committed"):
        committed(SAMPLES / "renamed.pcapng")


def test_no_test_skips_on_a_missing_sample_or_imports_its_own_modules_optionally():
    bad = []
    for p in sorted((ROOT / "tests").rglob("*.py")):
        text = p.read_text(encoding="utf-8")
        for pat in (r"not generated", r"importorskip\([\"'](nlscope|yaml|construct|textual|re2|scapy)",
                    r"skip\(f?[\"'][^\"']*\bmissing\)?[\"']\)"):
            bad += [f"{p.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pat, text)
                    if p.name != "test_suite_rules.py"]
    assert bad == []


def test_a_wait_that_runs_out_fails(monkeypatch):
    monkeypatch.setattr(waiting, "DEADLINE", 0.05)
    with pytest.raises(AssertionError, match="timed out waiting for the moon"):
        asyncio.run(waiting.until(lambda: False, "the moon"))
    asyncio.run(waiting.until(lambda: True, "now"))  # a condition that holds returns at once


def test_the_lab_missing_skips_here_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="qemu gone"):
        lab_missing("qemu gone")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="the VM lab cannot run in CI: qemu gone"):
        lab_missing("qemu gone")
