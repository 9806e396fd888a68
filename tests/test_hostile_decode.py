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


def _summaries_with_wrong_sizes(path, registry):
    """Every (family, type) of a sample once, each of its attributes (top level and one
    nest down) given a 1-byte payload in turn: what the summary then reads is raw."""
    import sys
    sys.path.insert(0, str(path.parents[1]))
    from fuzz.corpus import frame_corpora
    from fuzz.frames import NlMsg, Nla
    out = []
    for c in frame_corpora(registry, limit_per_file=400):
        seen = set()
        for s in c.seeds:
            for k, m in enumerate(s.msgs):
                if (s.protocol, m.mtype, m.flags & 1) in seen or m.attrs is None:
                    continue
                seen.add((s.protocol, m.mtype, m.flags & 1))
                for lst_i, (lst, i) in enumerate(m.all_attrs()[:40]):
                    a = lst[i]
                    lst[i] = Nla(a.type & 0x3FFF, b"\x01")
                    msgs = [NlMsg(x.mtype, x.flags, x.seq, x.pid, x.fixed, x.attrs, x.tail, x.order) for x in s.msgs]
                    raw = s.link + b"".join(x.pack() for x in msgs)
                    lst[i] = a
                    fr = Frame(1, 0, s.protocol, raw, len(s.link), len(raw))
                    out.append((c.decoder, fr))
    return out


def test_no_summary_fails_on_an_attribute_of_the_wrong_size(registry):
    from conftest import ROOT
    from nlscope.decode.decoder import scan_frame
    failed = []
    cases = _summaries_with_wrong_sizes(ROOT / "tests" / "fuzz" / "x", registry)
    assert len(cases) > 1000
    for dec, fr in cases:
        for m in scan_frame(fr, dec):
            dec.note(m)
            bad = [p for p in m.problems if p.startswith(("summary error", "dissector error"))]
            if bad:
                failed.append(f"{m.type_name}: {bad[0]}")
    assert failed == []


def test_nfqueue_headers_of_the_wrong_size():
    # NFQNL_MSG_PACKET (NFNL_SUBSYS_QUEUE << 8 | 0) with NFQA_PACKET_HDR and NFQA_VERDICT_HDR
    # of 3 bytes: the summary read packet_id/hook/id of a struct that was not there.
    nfgen = bytes([2, 0, 0, 0])
    body = nfgen + nla(1, b"\x01\x02\x03") + nla(2, b"\x01\x02\x03")
    m = next(Decoder(default_registry()).messages([frame(12, nlmsg(0x300, 0, 1, 0, body))]))
    assert m.summary == "NFQNL_MSG_PACKET queue 0 id ? hook ? id ? ?"
    assert not any(p.startswith(("summary error", "dissector error")) for p in m.problems)
    assert set(m.to_json(txn=None)["payload"]["attributes"]) == {"NFQA_PACKET_HDR", "NFQA_VERDICT_HDR"}


def test_tc_rates_of_the_wrong_size():
    # RTM_NEWQDISC htb whose TCA_HTB_RATE64 has 3 bytes: tc's rate text multiplied bytes.
    tcmsg = struct.pack("<BxxxiIII", 0, 1, 0x10000, 0xFFFFFFFF, 0)
    opts = nla(2, b"\x00" * 40) + nla(6, b"\x01\x02\x03")  # TCA_HTB_PARMS (short too), TCA_HTB_RATE64
    body = tcmsg + nla(1, b"htb\0") + nla(2, opts, nested=True)
    m = next(Decoder(default_registry()).messages([frame(0, nlmsg(36, 0x2, 1, 0, body))]))
    assert m.type_name == "RTM_NEWQDISC"
    assert not any(p.startswith(("summary error", "dissector error")) for p in m.problems), m.problems
    assert m.summary.startswith("RTM_NEWQDISC")
