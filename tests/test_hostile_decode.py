"""Hostile payloads found by the fuzzers (tests/fuzz): each reproducer is built here
from bytes, and must decode without a traceback, keep its tree, and say what is wrong
(issue 12: items 5 and 8, and what the fuzzing harness found)."""
from __future__ import annotations

import struct

from fixtures.make_fixtures import cooked, nla, nlmsg

from nlscope.capture.frame import Frame
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import MessageType, Protocol, Registry, default_registry


def frame(proto: int, *msgs: bytes) -> Frame:
    raw = cooked(proto) + b"".join(msgs)
    return Frame(1, 0, proto, raw, 16, len(raw))


def test_genl_ctrl_header_claiming_more_than_the_frame():
    # nlmsg_len 40 on nlctrl's id with only the 16-byte nlmsghdr captured: the learning
    # step peeked at the genl command past the frame's end (IndexError, uncaught).
    raw = struct.pack("<IHHII", 40, 0x10, 0, 1, 0)
    msgs = list(Decoder(default_registry()).messages([frame(16, raw)]))
    assert len(msgs) == 1
    assert "runs past the end of the frame" in msgs[0].problems[0]


def test_a_failing_summary_costs_the_summary_not_the_tree():
    from nlscope.decode.nla import Attr, AttrSet

    def broken(msg, fields):
        raise ValueError("summary bug")
    reg = Registry()
    reg.add(Protocol(30, "test", {20: MessageType("TEST_MSG", attrs=AttrSet("t", {1: Attr("T_NAME", "string")}),
                                                  summary=broken)}))
    m = next(Decoder(reg).messages([frame(30, nlmsg(20, 0, 1, 0, nla(1, b"eth0\0")))]))
    assert m.summary == "TEST_MSG (summary error)"
    assert m.problems == ["summary error: ValueError: summary bug"]
    assert m.to_json(txn=None)["payload"] == {"attributes": {"T_NAME": "eth0"}}
    assert [f.name for f in m.tree] == ["nlmsghdr", "attributes"]
