from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(ROOT / "tests"))


def committed(path: Path) -> Path:
    """A file the repository ships (a sample, a fixture, a spec): if it is missing it
    was renamed or lost, which fails the test that needs it, never skips it."""
    if not path.is_file():
        pytest.fail(f"{path.relative_to(ROOT)} is missing, though it is committed "
                    "(renamed? samples/README.md says how each file is made)", pytrace=False)
    return path


def sample_captures() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*.pcap*") if p.is_file())


def attribute_coverage(messages) -> tuple[int, int]:
    """(named, total) attributes under the messages' "attributes" trees, nested ones
    included: the figure the families issue asks for (>= 98% named)."""
    total = named = 0
    for m in messages:
        stack = [c for f in m.tree if f.name == "attributes" for c in f.children or ()]
        while stack:
            a = stack.pop()
            total += 1
            named += not a.name.startswith("UNKNOWN(")
            if a.kind in ("nest", "list"):
                stack.extend(a.children or ())
    return named, total


def daemon_family(m) -> str:
    """The family a daemon talks to: genl families by name, nfnetlink by subsystem
    (issue 16's per-family figures)."""
    if m.protocol == 16 and m.type >= 16:
        return (m.type_name or "?").split(" ")[0]
    if m.protocol == 12 and m.type >= 16:
        return {1: "ctnetlink", 2: "ctnetlink", 4: "nflog", 6: "ipset", 10: "nftables"}.get(
            m.type >> 8, f"nfnl{m.type >> 8}")
    return m.family


def attr_counts(fields, inside=False) -> tuple[int, int]:
    """(named, all) attributes anywhere in a tree: children of an attributes list or a
    nest; list items (array indexes) are not attributes, their children are."""
    named = total = 0
    for f in fields:
        if inside:
            total += 1
            named += not f.name.startswith("UNKNOWN")
        if f.children:
            n, t = attr_counts(f.children, f.name == "attributes" or f.kind == "nest")
            named, total = named + n, total + t
    return named, total


@pytest.fixture(scope="session")
def registry():
    from nlscope.decode.registry import default_registry
    return default_registry()


@pytest.fixture
def decode_file(registry):
    """All messages of a capture, decoded, as a list."""
    from nlscope.decode.decoder import Decoder
    from nlscope.capture.pcapio import CaptureReader

    def run(path, extra_registry=None):
        reader = CaptureReader(path)
        msgs = list(Decoder(extra_registry or registry).messages(reader))
        return msgs, reader
    return run
