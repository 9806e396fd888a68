"""Interface names learned from the capture (nlscope.analysis.names), checked against the
tools' own JSON (ip -j link) and against other families that state a name beside an
ifindex (nl80211, ethtool, wireguard, devlink), on the samples and crafted captures."""
from __future__ import annotations

import json
import struct

import pytest

from nlscope.analysis.names import IfNames, link_name_of
from nlscope.capture.frame import Frame
from nlscope.decode.index import CaptureIndex, FrameFeeder, open_file_index
from nlscope.tui.app import new_decoder

from conftest import SAMPLES

# names stated beside an ifindex in one nest, by other families (decoded trees)
PAIRS = (("NL80211_ATTR_IFINDEX", "NL80211_ATTR_IFNAME"),
         ("ETHTOOL_A_HEADER_DEV_INDEX", "ETHTOOL_A_HEADER_DEV_NAME"),
         ("WGDEVICE_A_IFINDEX", "WGDEVICE_A_IFNAME"),
         ("DEVLINK_ATTR_PORT_NETDEV_IFINDEX", "DEVLINK_ATTR_PORT_NETDEV_NAME"))


def _index(path):
    ix, sc = open_file_index(str(path), new_decoder())
    sc.scan(final=True)
    return ix


def test_names_match_ip_link_json():
    """The names learned from iproute2.pcapng are those `ip -j link` printed at the end."""
    ix = _index(SAMPLES / "iproute2.pcapng")
    names = IfNames()
    assert names.update(ix) == ix.count
    links = json.loads((SAMPLES / "iproute2.ip-link.json").read_text())
    assert links
    for link in links:
        assert names.name(link["ifindex"]) == link["ifname"], link["ifindex"]


@pytest.mark.parametrize("sample", ["genl.pcapng", "mixed.pcapng", "devlink.pcapng"])
def test_names_agree_with_other_families(sample):
    """Wherever nl80211/ethtool/wireguard/devlink name an ifindex, the name learned from
    link messages at that message is the same (or the link was never seen)."""
    ix = _index(SAMPLES / sample)
    names = IfNames()
    names.update(ix)
    checked = 0
    for i in range(ix.count):
        for f in ix.message(i).tree:
            for _, node in f.walk():
                kids = {c.name: c for c in node.children or ()}
                for idx_name, name_name in PAIRS:
                    if idx_name in kids and name_name in kids:
                        learned = names.name(kids[idx_name].value, i)
                        if learned is not None:
                            assert learned == kids[name_name].value, (i, idx_name)
                            checked += 1
    if sample == "genl.pcapng":
        assert checked >= 10  # nl80211 and ethtool both name devices there


def test_annotate_summaries_and_fields():
    ix = _index(SAMPLES / "tc.pcapng")
    names = IfNames()
    names.update(ix)
    hits = [i for i in range(ix.count) if "RTM_NEWQDISC dev 3 " in ix.message(i).summary]
    assert hits
    i = hits[0]
    assert names.annotate(ix.message(i).summary, i).startswith("RTM_NEWQDISC dev 3 (dummy1) ")
    tcm = ix.message(i).tree[1].get("tcm_ifindex")
    assert names.field_name(tcm, i) == "dummy1"
    assert names.field_name(ix.message(i).tree[1].get("tcm_handle"), i) is None
    # an unknown ifindex, a number that is not one, a name already there: unchanged
    assert names.annotate("RTM_NEWROUTE 10.0.0.0/8 oif 99 metric 3", i) == "RTM_NEWROUTE 10.0.0.0/8 oif 99 metric 3"
    assert names.annotate("FRA oif eth0 dev 3:", i) == "FRA oif eth0 dev 3:"


# -- crafted captures ------------------------------------------------------------------

def _nla(t: int, data: bytes) -> bytes:
    b = struct.pack("<HH", 4 + len(data), t) + data
    return b + b"\0" * (-len(b) % 4)


def _link(mtype: int, ifindex: int, name: bytes | None, flags: int = 0, cut: int = 0) -> bytes:
    body = struct.pack("<BBHiII", 0, 0, 1, ifindex, 0, 0)
    if name is not None:
        body += _nla(3, name + b"\0")
    msg = struct.pack("<IHHII", 16 + len(body), mtype, flags, 1, 0) + body
    return msg[:len(msg) - cut] if cut else msg


def _capture(msgs: list[bytes]) -> CaptureIndex:
    ix = CaptureIndex(new_decoder())
    feed = FrameFeeder(ix)
    for k, m in enumerate(msgs):
        raw = struct.pack(">HHH8sH", 4, 824, 0, b"", 0) + m
        feed.feed(Frame(number=k + 1, ts_ns=k * 1000, protocol=0, raw=raw))
    return ix


def test_rename_and_reuse_over_time():
    ix = _capture([
        _link(16, 5, b"eth0"),            # 0
        _link(16, 5, b"eth0"),            # 1 the same again: no new entry
        _link(16, 5, b"wan"),             # 2 renamed
        _link(17, 5, b"wan"),             # 3 deleted
        _link(16, 5, b"veth9"),           # 4 index reused
        _link(18, 0, b"lookup"),          # 5 a GETLINK by name: no index, nothing learned
    ])
    names = IfNames()
    names.update(ix)
    assert names.entries == 3
    assert [names.name(5, i) for i in range(6)] == ["eth0", "eth0", "wan", "wan", "veth9", "veth9"]
    assert names.name(5) == "veth9"
    assert names.ifindex_of("wan", 3) == 5 and names.ifindex_of("wan", 4) is None
    assert names.name(6) is None


def test_damaged_link_messages_teach_nothing():
    ix = _capture([
        _link(16, 7, b"ok0"),
        _link(16, 8, b"cut", cut=4),      # attribute past nlmsg_len's end
        _link(16, 9, None),               # no IFLA_IFNAME
        _link(16, -3, b"neg"),            # a negative ifindex
        _link(16, 10, b""),               # an empty name
        struct.pack("<IHHII", 20, 16, 0, 1, 0) + b"\0" * 4,  # too short for ifinfomsg
    ])
    names = IfNames()
    names.update(ix)
    assert {k: names.name(k) for k in (7, 8, 9, -3, 10)} == {7: "ok0", 8: None, 9: None, -3: None, 10: None}
    for i in range(ix.count):
        fi = ix.m_frame[i]
        m = ix.frame_messages(fi)[i - ix.fr_first[fi]]
        if i:
            assert link_name_of(m) is None


def test_incremental_update_equals_one_pass():
    ix = _index(SAMPLES / "genl.pcapng")
    whole, parts = IfNames(), IfNames()
    whole.update(ix)
    for stop in range(0, ix.count + 300, 300):
        parts.update(ix, stop)
    assert parts.done == whole.done == ix.count
    assert {k: (v[0], v[1]) for k, v in parts._by_index.items()} == \
           {k: (v[0], v[1]) for k, v in whole._by_index.items()}


def test_memory_is_bounded():
    """Many interfaces, many renames: never more entries than the bound."""
    names = IfNames(max_per_ifindex=4, max_entries=1000)
    for k in range(20_000):
        names.note(k % 3000 + 1, f"if{k}", k)
        assert names.entries <= 1000
    assert names.entries == 1000
    assert names.name(2000) == "if19999"  # the latest stays
    assert names.name(1) is None  # the one changed longest ago went first
    one = IfNames(max_per_ifindex=4)
    for k in range(100):
        one.note(1, f"n{k}", k)
    assert one.entries == 4 and one.name(1, 0) == "n96"  # oldest names dropped


# -- the CLI: read -N ------------------------------------------------------------------

def _read(*args: str) -> list[str]:
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "nlscope", "read", *args], capture_output=True,
                         text=True, check=True)
    return out.stdout.splitlines()


def test_read_resolve_only_adds_names():
    """`read -N` (tshark -N) names ifindexes in Info; the plain output is unchanged and
    is the -N output with the names taken out."""
    import re
    path = str(SAMPLES / "tc.pcapng")
    plain, named = _read(path), _read("-N", path)
    assert len(plain) == len(named) and plain != named
    assert not any("(dummy1)" in line for line in plain)
    assert any(line.endswith("RTM_NEWLINK dev 3 (dummy1) up") for line in named)
    strip = re.compile(r"\b((?:dev|oif|iif|master|ifindex) \d+) \([^()]*\)")
    assert [strip.sub(r"\1", line) for line in named] == plain


def test_read_resolve_escapes_learned_names(tmp_path):
    """A name from the capture reaches the terminal escaped."""
    from nlscope.capture.pcapio import open_writer
    msgs = [_link(16, 4, b"ev\x1b[2Jil"),
            struct.pack("<IHHII", 32, 18, 1, 2, 0) + struct.pack("<BBHiII", 0, 0, 0, 4, 0, 0)]
    path = tmp_path / "esc.pcapng"
    with open(path, "wb") as f:
        w = open_writer(f, "pcapng")
        for k, m in enumerate(msgs):
            raw = struct.pack(">HHH8sH", 4, 824, 0, b"", 0) + m
            w.write(Frame(number=k + 1, ts_ns=k * 1000, protocol=0, raw=raw))
    lines = _read("-N", str(path))
    assert "\x1b" not in "\n".join(lines)
    assert lines[-1].endswith("dev 4 (ev\\x1b[2Jil)")
