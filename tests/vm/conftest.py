"""Fixtures for tests that need the VM lab (see lab.py).

* ``vm_required``: skips the test when qemu, a /boot kernel or vng is missing.
* ``vm_run``: a function ``vm_run(script, **kw) -> VMResult`` that boots once per
  call into a fresh temporary directory (skips when the lab is unavailable).
* For one boot shared by many tests, build a module fixture with
  ``lab.vm_fixture(script)`` (see its docstring); test_lab.py does so.

Mark such tests ``@pytest.mark.vm`` (the marker is registered in pyproject.toml;
it is also added here so the directory works on its own).
"""

from __future__ import annotations

import pytest

from .lab import lab_missing, run_in_vm, vm_unavailable_reason


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "vm: needs the VM lab (qemu + Debian kernel + virtme-ng); slow"
    )


@pytest.fixture(scope="session")
def vm_required() -> None:
    reason = vm_unavailable_reason()
    if reason:
        lab_missing(reason)


@pytest.fixture
def vm_run(vm_required, tmp_path_factory):
    def _run(script: str, **kw):
        kw.setdefault("outdir", tmp_path_factory.mktemp("vm"))
        return run_in_vm(script, **kw)

    return _run
