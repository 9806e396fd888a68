"""One decode, two products (issue 11): the full Field tree (-V, the TUI, filters) and
the export's JSON record built straight from the bytes (nla.JSON mode). On every
message of every sample they must agree: the same payload JSON, problems (same order)
and summary, and the tree of a JSON-mode decode, read to its leaves, is the full tree."""
from __future__ import annotations

import pytest
from conftest import sample_captures

from nlscope.capture.pcapio import CaptureReader
from nlscope.decode import nla
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import Field, fields_to_json

SAMPLES = sample_captures()


def _messages(registry, path):
    with CaptureReader(path) as reader:
        return list(Decoder(registry).messages(reader))


def _flat(fields: list[Field], depth: int = 0) -> list[tuple]:
    out = []
    for f in fields:
        v = f.value
        out.append((depth, f.name, f.kind, v, f.start, f.end,
                    tuple(f.meta) if isinstance(f.meta, list) else f.meta))
        if f.children is not None:
            out.extend(_flat(f.children, depth + 1))
    return out


def test_there_are_samples():
    assert len(SAMPLES) >= 8, "the committed samples are missing"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_tree_and_direct_json_agree(registry, path):
    tree_msgs = _messages(registry, path)
    json_msgs = _messages(registry, path)
    assert len(tree_msgs) == len(json_msgs) > 0
    lazy_seen = 0
    for t, j in zip(tree_msgs, json_msgs):
        full = t.tree  # TREE mode: every Field built
        want_payload = fields_to_json(full[1:])
        want_problems = list(t.problems)
        want_summary = t.summary
        rec = j.to_json(None)  # first touch: a JSON-mode decode
        where = f"{path.name} message {t.number} ({t.type_name})"
        assert rec["payload"] == want_payload, where
        assert rec["problems"] == want_problems, where
        assert rec["summary"] == want_summary, where
        lazy_seen += sum(isinstance(f, nla.Lazy) and f._kids is None for f in _tops(j._tree))
        # the JSON-mode tree, read to its leaves, is the same tree
        assert _flat(j.tree) == _flat(full), where
        assert j.problems == want_problems, where
    if any(m.type_name in ("RTM_NEWLINK", "nlctrl NEWFAMILY") for m in tree_msgs):
        assert lazy_seen, f"{path.name}: no nest went straight to JSON"


def _tops(tree: list[Field]) -> list[Field]:
    """The fields reachable without building a nest that is not built yet."""
    out, stack = [], list(tree)
    while stack:
        f = stack.pop()
        out.append(f)
        if not isinstance(f, nla.Lazy) or f._kids is not None:
            stack.extend(f.children or ())
    return out


def test_json_mode_builds_no_field_below_the_top(registry):
    """A JSON-mode decode of an RTM_NEWLINK reply leaves its nests unbuilt: their
    JSON comes from the bytes; reading a nest's children builds them then."""
    msgs = _messages(registry, SAMPLES[0].parent / "iproute2.pcapng")
    link = next(m for m in msgs if m.type_name == "RTM_NEWLINK" and m.nlmsg_len > 1000)
    rec = link.to_json(None)
    attrs = next(f for f in link._tree if f.name == "attributes")
    lazy = [c for c in attrs._kids if isinstance(c, nla.Lazy)] if isinstance(attrs, nla.Lazy) else \
        [c for c in attrs.children if isinstance(c, nla.Lazy)]
    assert {c.name for c in lazy} >= {"IFLA_STATS64", "IFLA_AF_SPEC"}
    assert all(c._kids is None for c in lazy if c.name != "IFLA_LINKINFO")
    stats = next(c for c in lazy if c.name == "IFLA_STATS64")
    assert stats.to_json() == rec["payload"]["attributes"]["IFLA_STATS64"]
    assert stats.get("rx_packets").value == rec["payload"]["attributes"]["IFLA_STATS64"]["rx_packets"]
    assert stats._kids is not None  # built when read


def test_a_nest_changed_in_place_exports_the_change(registry):
    """Family fixups rewrite Fields after the walk: a nest whose children were read
    exports them, not the JSON made from the bytes before."""
    msgs = _messages(registry, SAMPLES[0].parent / "iproute2.pcapng")
    link = next(m for m in msgs if m.type_name == "RTM_NEWLINK" and m.nlmsg_len > 1000)
    link.decoder.decode(link, json=True)
    stats = next(c for f in link.tree if f.name == "attributes" for c in f.children
                 if c.name == "IFLA_STATS64")
    stats.children[0].value = -1
    assert link.to_json(None)["payload"]["attributes"]["IFLA_STATS64"]["rx_packets"] == -1
