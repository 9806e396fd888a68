"""README's two set-up commands are real: CI runs the test one, the sample exists."""
from __future__ import annotations

import re

from conftest import ROOT


def readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^    (bash scripts/setup\.sh.*)$", text, re.M)


def test_ci_runs_the_readme_test_command():
    run, test = readme_commands()[:2]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci
    assert "--test" in test and "pytest" in test


def test_readme_sample_capture_exists():
    run = readme_commands()[0]
    sample = re.search(r"(samples/\S+\.pcapng)", run).group(1)
    assert (ROOT / sample).is_file()
