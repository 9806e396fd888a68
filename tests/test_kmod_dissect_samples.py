"""The kmod sample captures (samples/kmod/, made by samples/kmod/generate.sh in the VM):
nlgreet and rtmgr's raw protocol on NETLINK_USERSOCK (2) and the RTMGR genl family.
Every message named, summaries as the modules' README describes, values equal to what
rtmgrctl printed (the .log beside each capture), and kmod/rtmgr/rtmgr.yaml decoding the
genl capture exactly like the hand-written dissector."""
from __future__ import annotations

import collections
import re
from functools import lru_cache

import pytest
from conftest import ROOT, SAMPLES

from nlscope.decode import Decoder
from nlscope.pcapio import CaptureReader
from nlscope.registry import default_registry
from nlscope.ynl import load_spec

KMOD = SAMPLES / "kmod"
USERSOCK = KMOD / "usersock.pcapng"
GENL = KMOD / "genl.pcapng"
RTMGR_YAML = ROOT / "kmod" / "rtmgr" / "rtmgr.yaml"


@lru_cache(maxsize=8)
def decoded(path, spec: bool = False, kmod_proto: int | None = None):
    reg = default_registry(entry_points=False)
    if spec:
        load_spec(reg, RTMGR_YAML)
    if kmod_proto is not None:
        from nlscope.dissectors.kmod import add_protocol
        add_protocol(reg, kmod_proto)
    return tuple(Decoder(reg).messages(CaptureReader(path)))


needs_usersock = pytest.mark.skipif(not USERSOCK.exists(), reason="samples/kmod/usersock.pcapng not generated yet")
needs_genl = pytest.mark.skipif(not GENL.exists(), reason="samples/kmod/genl.pcapng not generated yet")


@needs_usersock
def test_usersock_capture_is_named_without_options():
    msgs = decoded(USERSOCK)
    assert msgs and all(m.protocol == 2 for m in msgs)
    names = collections.Counter(m.type_name for m in msgs)
    print(f"\nusersock.pcapng: {len(msgs)} messages: {dict(names)}")
    assert {"NLGREET", "RT_CREATE", "RT_UPDATE", "RT_DELETE", "RT_GET", "NLMSG_ERROR", "NLMSG_DONE"} <= set(names)
    # only what the scenario sends on purpose stays unnamed: an unknown type, a datagram
    # shorter than a header
    odd = {n for n in names if n.startswith(("UNKNOWN", "FRAGMENT", "NLMSG_RESERVED"))}
    assert odd <= {"UNKNOWN(42)", "FRAGMENT"}, odd
    # the option gives the same names (strict decoding from the first message on)
    assert [m.type_name for m in decoded(USERSOCK, kmod_proto=2)] == [m.type_name for m in msgs]


@needs_usersock
def test_usersock_summaries():
    msgs = decoded(USERSOCK)
    summaries = [m.summary for m in msgs]
    assert 'NLGREET "hello kernel"' in summaries
    assert any(s.startswith('NLGREET "Hello ') and s.endswith(', kernel got: hello kernel"') for s in summaries)
    assert "RT_CREATE 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10" in summaries
    assert "RT_UPDATE 10.1.0.0/16 via 192.168.0.254 dev eth2 metric 11" in summaries
    assert "RT_CREATE 10.4.0.0/16 dev eth3 metric 0" in summaries
    assert "RT_DELETE 10.2.0.0/16" in summaries
    assert "RT_GET (dump)" in summaries
    errors = [s for s in summaries if s.startswith("error")]
    assert any("EEXIST to RT_CREATE" in s and "already exists" in s for s in errors)
    assert any("EINVAL to RT_CREATE" in s and "prefix length must be 0..32" in s and s.endswith(" at mask")
               for s in errors)
    assert any("EINVAL to RT_CREATE" in s and "host bits" in s and s.endswith(" at dest") for s in errors)
    assert any("EINVAL to NLGREET" in s and "not NUL-terminated" in s for s in errors)


@needs_genl
def test_rtmgr_genl_capture_is_named_and_summarised():
    msgs = [m for m in decoded(GENL) if m.protocol == 16]
    names = collections.Counter(m.type_name for m in msgs)
    print(f"\nkmod/genl.pcapng: {len(msgs)} messages: {dict(names)}")
    assert {"RTMGR CREATE", "RTMGR UPDATE", "RTMGR DELETE", "RTMGR GET"} <= set(names)
    assert not [n for n in names if n.startswith(("genl family", "UNKNOWN")) or re.search(r" cmd \d+$", n)]
    summaries = [m.summary for m in msgs]
    assert "RTMGR CREATE 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10" in summaries
    assert not [(m.number, m.problems) for m in msgs if m.problems and m.type_name != "NLMSG_ERROR"]


@needs_genl
def test_rtmgr_yaml_decodes_the_capture_like_the_hand_written_dissector():
    hand = decoded(GENL)
    spec = decoded(GENL, spec=True)
    compared = 0
    for h, s in zip(hand, spec):
        assert h.type_name == s.type_name
        if not h.type_name.startswith("RTMGR"):
            continue
        ha = [(f.name, f.kind, f.value) for f in h.tree[2].children] if len(h.tree) > 2 else []
        sa = [(f.name, f.kind, f.value) for f in s.tree[2].children] if len(s.tree) > 2 else []
        assert ha == sa, h.number
        compared += len(ha)
    print(f"\nrtmgr.yaml vs hand-written: {compared} attributes compared, all equal")
    assert compared > 20
