"""The fuzzing harness (tests/fuzz) in a short pass bounded by iterations, not time:
the same inputs on every run (fixed seeds), so pass or fail does not depend on the
host's speed. Every target must end with no traceback, no span violation and no
other finding (a summary error, text a terminal would interpret, a bad error line).
Longer runs: python -m tests.fuzz.run all --seconds 600 (see tests/fuzz/run.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from fuzz.run import fuzz

# About a minute in all on a busy 2-core machine.
ITERATIONS = {"frames": 4000, "containers": 250, "filters": 600, "ynl": 40}


@pytest.mark.parametrize("target", list(ITERATIONS))
def test_bounded_fuzz_pass(target):
    rep = fuzz(target, ITERATIONS[target], None, seed=12, out=None)
    assert rep["counts"]["inputs"] == ITERATIONS[target]
    assert rep["findings"] == {}, "\n\n".join(rep["examples"].values())
    # the inputs reached the code under test, not only the first length check
    if target == "frames":
        assert rep["counts"]["messages"] >= ITERATIONS[target]
        assert 0 < rep["counts"]["malformed"] < rep["counts"]["messages"]
    elif target == "containers":
        assert rep["counts"]["frames"] > 10 * ITERATIONS[target]
        assert 0 < rep["counts"].get("refused", 0) < ITERATIONS[target] // 2
    elif target == "filters":
        assert 0 < rep["counts"]["rejected"] < ITERATIONS[target]
    else:
        assert 0 < rep["counts"]["rejected"] < ITERATIONS[target] and rep["counts"]["frames"] > 0


def test_coverage_guided_mode_runs():
    r = subprocess.run([sys.executable, "-m", "tests.fuzz.run", "frames", "--atheris", "--",
                        "-runs=100", "-seed=1"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Done 100 runs" in r.stderr and " cov: " in r.stderr  # coverage reached us
