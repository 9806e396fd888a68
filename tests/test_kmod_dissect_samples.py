"""The kmod sample captures (samples/kmod/, made by samples/kmod/generate.sh in the VM):
nlgreet and rtmgr's raw protocol on NETLINK_USERSOCK (2) and the RTMGR genl family.
Every message named, summaries as the modules' README describes, values equal to what
rtmgrctl printed (the .log beside each capture), and kmod/rtmgr/rtmgr.yaml decoding the
genl capture exactly like the hand-written dissector."""
from __future__ import annotations

import collections
import re
from functools import lru_cache

from conftest import ROOT, SAMPLES, committed

from nlscope.decode.decoder import Decoder
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import default_registry
from nlscope.decode.ynl import load_spec

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


committed(USERSOCK), committed(GENL)


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


def test_rtmgr_genl_capture_is_named_and_summarised():
    msgs = [m for m in decoded(GENL) if m.protocol == 16]
    names = collections.Counter(m.type_name for m in msgs)
    print(f"\nkmod/genl.pcapng: {len(msgs)} messages: {dict(names)}")
    assert {"RTMGR CREATE", "RTMGR UPDATE", "RTMGR DELETE", "RTMGR GET"} <= set(names)
    unknown = [n for n in names if n.startswith(("genl family", "UNKNOWN")) or re.search(r" cmd \d+$", n)]
    # the one unknown is sent on purpose: `rtmgrctl --genl send 9` (no such command)
    assert unknown == ["RTMGR cmd 9"] and "cmd=UNKNOWN(9)" in (KMOD / "genl.log").read_text()
    summaries = [m.summary for m in msgs]
    assert "RTMGR CREATE 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10" in summaries
    assert not [(m.number, m.problems) for m in msgs if m.problems and m.type_name != "NLMSG_ERROR"]


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


# -- rtmgrctl's own account of every message (the .log beside each capture) --------------

LINE = re.compile(r"^(send|recv|event) seq=(\d+) portid=(\d+)(?: group=\d+)? type=([^( ]+)\((\w+)\) "
                  r"flags=(0x[0-9a-f]+)\([^)]*\) len=(\d+)(.*)$")
KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def log_lines(path):
    out = []
    for line in path.read_text().splitlines():
        m = LINE.match(line)
        if not m:
            continue
        kind, seq, portid, tname, tnum, flags, ln, rest = m.groups()
        kv = {k: (v[1:-1] if v.startswith('"') else v) for k, v in KV.findall(rest)}
        out.append(dict(kind=kind, seq=int(seq), portid=int(portid), tname=tname, type=int(tnum, 0),
                        flags=int(flags, 16), len=int(ln), kv=kv, line=line))
    return out


def _find(msgs, start, want):
    for i in range(start, len(msgs)):
        m = msgs[i]
        if (m.type, m.seq, m.nlmsg_len, m.flags) == (want["type"], want["seq"], want["len"], want["flags"]) \
                and (want["kind"] == "send" or m.pid == want["portid"]):
            return i
    return None


def _fields(m):
    """name -> Field over the payload (first occurrence, depth first)."""
    out = {}

    def walk(fs):
        for f in fs:
            out.setdefault(f.name, f)
            if f.children:
                walk(f.children)
    walk(m.tree[1:])
    return out


def _route_of(f):
    def v(*names):
        for n in names:
            if n in f:
                return f[n].value
        return None
    return v("dest", "RTMGR_A_DEST"), v("mask", "RTMGR_A_MASK"), v("gw", "RTMGR_A_GW"), \
        v("oif", "RTMGR_A_OIF"), v("metric", "RTMGR_A_METRIC")


def check_against_log(capture, log):
    msgs = [m for m in decoded(capture) if not m.is_fragment]
    lines = log_lines(log)
    assert len(lines) > 20
    matched: set[int] = set()
    compared = 0
    for want in sorted(lines, key=lambda w: w["kind"] == "event"):  # events: the monitor's, logged last
        i = _find(msgs, 0, want) if want["kind"] == "event" else None
        if i is None:
            i = next((j for j in range(len(msgs)) if j not in matched and _find(msgs, j, want) == j), None)
        assert i is not None, f"no message for: {want['line']}"
        matched.add(i)
        m, f, kv = msgs[i], _fields(msgs[i]), want["kv"]
        # the type, named as rtmgrctl names it
        if want["tname"] in ("nlctrl", "RTMGR"):
            cmd, num = kv["cmd"].rstrip(")").split("(")
            cmd = f"cmd {num}" if cmd == "UNKNOWN" else cmd.removeprefix("CTRL_CMD_")
            assert m.type_name == f"{want['tname']} {cmd}", want["line"]
        elif want["tname"] == "UNKNOWN":
            assert m.type_name == f"UNKNOWN({want['type']})", want["line"]
        else:
            assert m.type_name == want["tname"], want["line"]
        if "text" in kv:
            assert f["text"].value == kv["text"].replace('\\"', '"'), want["line"]
        if "route" in kv:
            dest, mask = kv["route"].split("/")
            d, mk, gw, oif, metric = _route_of(f)
            assert (d, mk) == (dest, int(mask)), want["line"]
            assert gw == kv.get("gw", gw) and oif == kv.get("oif", oif), want["line"]
            if "metric" in kv:
                assert metric == int(kv["metric"]), want["line"]
            compared += 1
        if "error" in kv:
            assert f["error"].value == int(kv["error"]), want["line"]
            orig = f["original"].children
            assert (orig[1].value, orig[3].value) == (int(kv["req_type"]), int(kv["req_seq"])), want["line"]
            if "extack" in kv:
                assert f["NLMSGERR_ATTR_MSG"].value == kv["extack"], want["line"]
            if "offs" in kv:
                assert f["NLMSGERR_ATTR_OFFS"].value == int(kv["offs"]), want["line"]
            compared += 1
        if "status" in kv:
            assert f["value"].value == int(kv["status"]), want["line"]
        if want["tname"] == "nlctrl" and "id" in kv:
            assert f["CTRL_ATTR_FAMILY_ID"].value == int(kv["id"]) and f["CTRL_ATTR_FAMILY_NAME"].value == kv["name"]
            group, gid = kv["mcast_group"].split(":")
            assert (f["CTRL_ATTR_MCAST_GRP_NAME"].value, f["CTRL_ATTR_MCAST_GRP_ID"].value) == (group, int(gid))
            compared += 1
    unmatched = [(m.number, m.type_name) for j, m in enumerate(msgs) if j not in matched]
    print(f"\n{log.name}: {len(lines)} logged messages found in {capture.name}, "
          f"{compared} payloads compared; capture messages rtmgrctl did not log: {unmatched or 'none'}")
    assert not unmatched
    return compared


def test_usersock_capture_equals_rtmgrctl_log():
    assert check_against_log(USERSOCK, KMOD / "usersock.log") > 20


def test_genl_capture_equals_rtmgrctl_log():
    assert check_against_log(GENL, KMOD / "genl.log") > 20
