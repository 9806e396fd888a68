"""A summary line decodes LAZY (nests walked only as the family's summary reads them)
and then checks the nests it left for problems from their bytes (nla.attrs_clean):
what `read` prints, and what the tree holds, must be the full decode's, message for
message, on every capture the repository ships (clean and malformed ones). The fuzz
harness checks the same property on mutated frames (tests/fuzz/targets.py)."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, sample_captures
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode import nla
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import fields_to_json

CAPTURES = sample_captures() + sorted(
    p for p in FIXTURES.rglob("*.pcap*") if p.is_file() and p.name != "ethernet.pcap")


def _messages(path, registry):
    with CaptureReader(path) as reader:
        return list(Decoder(registry).messages(reader))


def _unread_nests(fields) -> int:
    stack, n = list(fields), 0
    while stack:
        f = stack.pop()
        if isinstance(f, nla.Lazy) and f._kids is None:
            n += f.name != "nlmsghdr"
        elif f.children:
            stack.extend(f.children)
    return n


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_summary_line_decode_is_the_full_decode(path, registry):
    full, lazy = _messages(path, registry), _messages(path, registry)
    assert len(full) == len(lazy) > 0
    for a, b in zip(full, lazy):
        tree = a.tree  # the full decode: every nest walked, every problem found
        assert (b.summary, b.problems) == (a.summary, a.problems), f"message {a.number}"
        assert fields_to_json(b.tree) == fields_to_json(tree), f"message {a.number}"


def test_clean_messages_stay_lazy_and_malformed_ones_decode_again(registry):
    """The check is what makes it pay: a clean message keeps its nests unread after
    its problems were asked for; one whose nest is malformed decodes again in full,
    so its problems come in the full decode's words and order."""
    from conftest import SAMPLES
    msgs = _messages(SAMPLES / "iproute2.pcapng", registry)
    kept = 0
    for m in msgs:
        assert m.summary and m.problems == []
        kept += _unread_nests(m.tree) > 0
    assert kept > len(msgs) // 4

    full = _messages(FIXTURES / "deep-nest.pcap", registry)
    lazy = _messages(FIXTURES / "deep-nest.pcap", registry)
    bad = 0
    for a, b in zip(full, lazy):
        b.summary  # noqa: B018 (the summary line's decode first)
        if a.problems:
            bad += 1
            assert b.problems == a.problems
            assert _unread_nests(b.tree) == 0  # decoded again in full
    assert bad, "deep-nest.pcap has no malformed message"


def test_decode_mode_is_per_thread(registry):
    """The TUI decodes its detail panes on a thread while rows decode LAZY on the UI
    thread: one thread's mode must not leak into the other's decode (a full decode
    made LAZY by another thread would miss its nests' problems)."""
    import threading

    inside, leave = threading.Event(), threading.Event()

    def other_thread():
        with nla.decoding(nla.LAZY):
            inside.set()
            leave.wait(60)

    t = threading.Thread(target=other_thread)
    t.start()
    try:
        assert inside.wait(60)
        full = _messages(FIXTURES / "deep-nest.pcap", registry)
        for m in full:
            m.decoder.decode(m)  # TREE, while the other thread is in LAZY
        assert nla.decode_mode() == nla.TREE
        assert sum(_unread_nests(m.tree) for m in full) == 0
        want = [m.problems for m in _messages(FIXTURES / "deep-nest.pcap", registry)]
    finally:
        leave.set()
        t.join()
    assert [m.problems for m in full] == want and any(want)


def test_a_family_choice_made_on_a_partial_walk_is_the_full_decodes():
    """Found by the fuzzer: an RTM_GETADDR dump whose attributes fit an ifinfomsg
    header only if the problems of a nest are not looked at. rtnl_addr tries the
    legacy header by walking the attributes; on the summary line's LAZY walk the nest
    hid its problem, so the line said "(ifinfomsg header)" where the full decode (-V)
    says otherwise. The summary of a message whose nests hold problems is the full
    decode's."""
    raw = bytes.fromhex(
        "000403380000000000000000000000003c00000016000506e810076b000000000000000000"
        "00000000000000000000000b00030064756d6d79320000100012000903000064756d6d79000000")
    full, lazy = _full_and_lazy(raw)
    assert full[0].problems
    assert (lazy[0].summary, lazy[0].problems) == (full[0].summary, full[0].problems)


def _full_and_lazy(raw: bytes):
    """The messages of one frame twice: decoded in full (the tree read), and not yet."""
    from nlscope.capture.frame import Frame
    from nlscope.decode.decoder import scan_frame
    from nlscope.decode.registry import default_registry
    dec = Decoder(default_registry())
    fr = Frame(0, 0, 0, raw, 16, len(raw))
    full, lazy = scan_frame(fr, dec), scan_frame(fr, dec)
    for m in (*full, *lazy):
        dec.note(m)
    full[0].tree  # noqa: B018
    return full, lazy


@pytest.mark.parametrize("stats64, inet6_conf, bad", [
    (8 * 24, 4 * 60, False),
    (8 * 24 + 4, 4 * 60, True),  # top-level counter block, half a counter too long
    (8 * 24, 4 * 60 + 2, True),  # DEVCONF array two nests down, not whole either
])
def test_counter_blocks_are_checked_by_their_length(stats64, inet6_conf, bad):
    """A summary line reads a few of RTM_NEWLINK's attributes by name; the rest,
    counter blocks included, are checked from their lengths (a block's only problem is
    one that is not a whole number of counters): a bad one anywhere makes the line
    the full decode's, a clean message keeps its attributes unread."""
    import struct

    from fixtures.make_fixtures import cooked, ifinfomsg, nlmsg
    from fixtures.make_fixtures import nla as attr

    af_spec = attr(26, attr(10, attr(3, b"\1" * inet6_conf), nested=True), nested=True)  # AF_INET6
    attrs = (attr(3, b"eth0\0") + attr(4, struct.pack("<I", 1500))
             + attr(23, b"\0" * stats64) + af_spec)
    full, lazy = _full_and_lazy(cooked(0) + nlmsg(16, 0, 1, 0, ifinfomsg(2) + attrs))
    assert bool(full[0].problems) == bad
    assert "eth0" in lazy[0].summary and "mtu 1500" in lazy[0].summary
    assert (lazy[0].summary, lazy[0].problems) == (full[0].summary, full[0].problems)
    attributes = next(f for f in lazy[0].tree if f.name == "attributes")
    assert (isinstance(attributes, nla.Lazy) and attributes._kids is None) == (not bad)
    assert fields_to_json(lazy[0].tree) == fields_to_json(full[0].tree)


@pytest.mark.parametrize("mode", [nla.LAZY, nla.JSON])
@pytest.mark.parametrize("kind", ["nested", "nested-array"])
@pytest.mark.parametrize("inside", [b"", "two", "two+3 trailing", "two+bad nla_len"])
def test_child_count_is_the_number_of_children_a_decode_makes(mode, kind, inside):
    """Summaries count entries (bands, rules, mcast groups) with nla.child_count, from
    the spans: the count must be len(children) of the same nest, damaged ones too
    (bytes that are no attribute are a child), and nothing is decoded to count."""
    import struct

    def a(t: int, data: bytes) -> bytes:
        return struct.pack("<HH", 4 + len(data), t) + data + b"\0" * (-len(data) % 4)
    entry = a(1, struct.pack("<I", 7)) + a(2, b"x\0")
    body = {b"": b"", "two": a(1, entry) + a(2, entry),
            "two+3 trailing": a(1, entry) + a(2, entry) + b"\1\2\3",
            "two+bad nla_len": a(1, entry) + a(2, entry) + struct.pack("<HH", 2, 1)}[inside]
    sub = nla.AttrSet("entry", {1: nla.Attr("E_NUM", "u32"), 2: nla.Attr("E_NAME", "string")})
    parent = nla.AttrSet("parent", {1: nla.Attr("P_LIST", kind, nested=sub)})
    buf = a(1, body)
    with nla.decoding(mode):
        f = nla.decode_attr(buf, 0, len(buf), 1, parent, "<", [], "", [])
        assert isinstance(f, nla.Lazy) and f._kids is None
        n = nla.child_count(f)
        assert f._kids is None  # counted, not decoded
        assert n == len(f.children)
    assert n == {b"": 0, "two": 2, "two+3 trailing": 3, "two+bad nla_len": 3}[inside]
