"""nlscope's JSON agrees with tshark -T json on every nlmsghdr field, family and errno."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest
from conftest import FIXTURES, sample_captures
from tshark import TSHARK, netlink_messages, tshark_frames

from nlscope.output.export import message_to_json

pytestmark = [pytest.mark.tshark,
              pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")]

FIXTURE_FILES = ["golden.pcapng", "golden-be-section.pcapng", "golden-le-us.pcap",
                 "golden-be-ns.pcap", "spb.pcapng", "sll.pcap"]
# sll2.pcap is left out: tshark 4.0 shows LINUX_SLL2 frames of hatype 824 as data, not netlink.
CAPTURES = [FIXTURES / f for f in FIXTURE_FILES] + sample_captures()


def _ours(decode_file, path):
    msgs, _ = decode_file(path)
    by_frame = defaultdict(list)
    for m in msgs:
        by_frame[m.frame.number].append(json.loads(json.dumps(message_to_json(m))))
    return [by_frame[k] for k in sorted(by_frame)]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_headers_match_tshark(decode_file, path):
    theirs = [netlink_messages(layers) for layers in tshark_frames(str(path))]
    theirs = [t for t in theirs if t]  # frames tshark saw as netlink (ours skip the rest)
    ours = _ours(decode_file, path)
    assert len(ours) == len(theirs), "frame count differs"
    compared = 0
    for n, (o_frame, t_frame) in enumerate(zip(ours, theirs), 1):
        assert len(o_frame) == len(t_frame), f"frame {n}: message count"
        for o, t in zip(o_frame, t_frame):
            h = o["header"]
            assert o["family"]["value"] == t["family"], f"frame {n}: family"
            assert (h["len"], h["type"]["value"], h["flags"]["value"], h["seq"], h["pid"]) == \
                   (t["len"], t["type"], t["flags"], t["seq"], t["pid"]), f"frame {n}"
            if "error" in t:
                assert o["payload"]["error"]["value"] == t["error"], f"frame {n}: errno"
                if "original" in t:
                    orig = o["payload"]["original"]
                    assert (orig["nlmsg_len"], orig["nlmsg_type"]["value"], orig["nlmsg_seq"]) == \
                           (t["original"]["len"], t["original"]["type"], t["original"]["seq"])
            compared += 1
    assert compared > 0
