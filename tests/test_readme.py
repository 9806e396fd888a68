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


def test_readme_python_api_example_runs_as_written(capsys, monkeypatch):
    """The README's Python API example, run as written (from the repository root)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.split()[1] == "NLMSG_ERROR" for line in lines)
    assert {line.split()[2] for line in lines} <= {"error", "ok"}
