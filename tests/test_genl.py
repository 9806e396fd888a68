"""Generic netlink core and controller: family-id resolution (fixed, learned from
CTRL_CMD_NEWFAMILY, seeded from a pcapng section comment), unknown families kept,
genlmsghdr, command names and kinds, nlctrl attributes (ops, groups, policies)."""
from __future__ import annotations

import struct

import pytest
from fixtures.make_fixtures import cooked, nla, nlmsg

from nlscope.decode.decoder import Decoder
from nlscope.capture.frame import Frame
from nlscope.decode.model import find
from nlscope.capture.pcapio import CaptureReader, PcapngWriter
from nlscope.decode.registry import default_registry
from nlscope.dissectors.genl import (COMMENT_KEY, GenlFamily, add_family, cmd_kind,
                                     genl_family_map_comment, parse_family_map_comment)

NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300


def u16(v: int) -> bytes:
    return struct.pack("<H", v)


def u32(v: int) -> bytes:
    return struct.pack("<I", v)


def genl(fid: int, cmd: int, attrs: bytes = b"", flags: int = 0, seq: int = 1, pid: int = 0,
         version: int = 1) -> bytes:
    return nlmsg(fid, flags, seq, pid, struct.pack("<BBH", cmd, version, 0) + attrs)


def newfamily(name: str, fid: int, groups: dict[str, int] | None = None,
              ops: dict[int, int] | None = None, cmd: int = 1) -> bytes:
    attrs = nla(1, u16(fid)) + nla(2, name.encode() + b"\0") + nla(3, u32(1)) + nla(4, u32(0)) \
        + nla(5, u32(300))
    if ops:
        attrs += nla(6, b"".join(nla(i, nla(1, u32(op)) + nla(2, u32(fl)), nested=True)
                                 for i, (op, fl) in enumerate(ops.items(), 1)), nested=True)
    if groups:
        attrs += nla(7, b"".join(nla(i, nla(1, g.encode() + b"\0") + nla(2, u32(gid)), nested=True)
                                 for i, (g, gid) in enumerate(groups.items(), 1)), nested=True)
    return genl(0x10, cmd, attrs)


def decode(*msgs: bytes, registry=None, comments: list[str] = ()):
    d = Decoder(registry or default_registry(entry_points=False))
    for c in comments:
        d.note_comment(c)
    frames = [Frame(0, i, 16, cooked(16) + m) for i, m in enumerate(msgs)]
    return list(d.messages(frames))


def attr(msg, name):
    return find(msg.tree, name)


# -- family id resolution ----------------------------------------------------------------

def test_newfamily_teaches_the_id_then_messages_of_that_family_are_named():
    before = genl(33, 7, nla(4, b"wlan0\0"))
    learn = newfamily("nl80211", 33, groups={"config": 5, "scan": 6})
    after = genl(33, 7, nla(3, u32(4)) + nla(4, b"wlan0\0") + nla(5, u32(2)))
    m0, m1, m2 = decode(before, learn, after)
    assert m0.type_name == "genl family 0x21 cmd 7"  # not known yet: kept, not lost
    assert m1.type_name == "nlctrl NEWFAMILY"
    assert m1.summary == "nlctrl NEWFAMILY nl80211 id 33 (2 mcast groups)"
    assert m2.type_name == "nl80211 NEW_INTERFACE"
    assert m2.kind == "new"
    assert m2.summary == "nl80211 NEW_INTERFACE wlan0 type station"
    assert attr(m2, "NL80211_ATTR_IFTYPE").meta == "STATION"
    hdr = m2.tree[1]
    assert hdr.name == "genlmsghdr"
    assert [(c.name, c.value) for c in hdr.children] == [("cmd", 7), ("version", 1), ("reserved", 0)]
    assert hdr.children[0].meta == "NEW_INTERFACE"


def test_unknown_family_keeps_genlmsghdr_and_attributes():
    m, = decode(genl(0x1c, 3, nla(1, u32(4)) + nla(2, b"x\0"), flags=NLM_F_REQUEST | NLM_F_ACK))
    assert m.type_name == "genl family 0x1c cmd 3"
    assert m.summary == "genl family 0x1c cmd 3"
    assert not m.problems
    hdr = m.tree[1]
    assert (hdr.name, hdr.children[0].value, hdr.children[1].value) == ("genlmsghdr", 3, 1)
    names = [a.name for a in m.tree[2].children]
    assert names == ["UNKNOWN(1)", "UNKNOWN(2)"]
    assert m.tree[2].children[0].value == u32(4)


def test_unknown_family_payload_that_is_not_attributes_stays_raw_without_problems():
    m, = decode(genl(0x1d, 1, b"\x01\x02\x03\x04\xff\xff\x00\x00"))
    assert not m.problems
    assert m.tree[-1].name == "data" and m.tree[-1].value == b"\x01\x02\x03\x04\xff\xff\x00\x00"


def test_genl_message_too_short_for_genlmsghdr_is_flagged_not_lost():
    m, = decode(nlmsg(0x10, 0, 1, 0, b"\x03\x01"))
    assert m.type_name == "nlctrl"
    assert any("genlmsghdr" in p for p in m.problems)
    assert (m.tree[-1].name, m.tree[-1].value) == ("data", b"\x03\x01")


def test_delfamily_forgets_the_id():
    msgs = decode(newfamily("wireguard", 40), genl(40, 0), newfamily("wireguard", 40, cmd=2),
                  genl(40, 0))
    assert [m.type_name for m in msgs] == ["nlctrl NEWFAMILY", "wireguard GET_DEVICE",
                                           "nlctrl DELFAMILY", "genl family 0x28 cmd 0"]


def test_family_known_by_id_but_not_described_is_named_by_name():
    m0, m1 = decode(newfamily("nosuchdissector", 50), genl(50, 2, nla(1, u32(1))))
    assert m1.type_name == "nosuchdissector cmd 2"
    assert m1.tree[2].children[0].name == "UNKNOWN(1)"


def test_section_comment_map_seeds_the_decoder(tmp_path):
    path = tmp_path / "seeded.pcapng"
    comment = genl_family_map_comment({"nl80211": 35, "wireguard": 41})
    assert comment == f'{COMMENT_KEY}: {{"nl80211": 35, "wireguard": 41}}'
    with open(path, "wb") as f:
        w = PcapngWriter(f, comments=["captured by nlscope", comment])
        for i, m in enumerate([genl(35, 5, nla(3, u32(2)), flags=NLM_F_REQUEST | NLM_F_ACK),
                               genl(41, 0, flags=NLM_F_REQUEST | NLM_F_DUMP)]):
            w.write(Frame(0, 1000 + i, 16, cooked(16) + m))
    reader = CaptureReader(path)
    msgs = list(Decoder(default_registry(entry_points=False)).messages(reader))
    assert comment in reader.section_comments
    assert [m.type_name for m in msgs] == ["nl80211 GET_INTERFACE", "wireguard GET_DEVICE"]
    assert msgs[1].flag_names == ["REQUEST", "DUMP"]


def test_section_comment_seeding_also_from_the_cli(tmp_path, capsys):
    from nlscope.cli.main import main
    path = tmp_path / "seeded.pcapng"
    with open(path, "wb") as f:
        w = PcapngWriter(f, comments=[genl_family_map_comment({"ethtool": 22})])
        w.write(Frame(0, 1, 16, cooked(16) + genl(22, 2, nla(1, nla(2, b"veth2\0"), nested=True),
                                                   flags=NLM_F_REQUEST | NLM_F_ACK)))
    assert main(["read", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ethtool LINKINFO_GET veth2" in out


def test_learned_ids_win_over_a_seeded_map_when_the_capture_says_otherwise():
    msgs = decode(newfamily("ethtool", 23), genl(23, 2), comments=[genl_family_map_comment({"nl80211": 23})])
    assert msgs[1].type_name == "ethtool LINKINFO_GET_REPLY"


@pytest.mark.parametrize("text", [
    "no map here",
    f"{COMMENT_KEY}: not json",
    f"{COMMENT_KEY}: [1, 2]",
    f'{COMMENT_KEY}: {{"x": "33", "y": true, "z": 70000}}',
])
def test_bad_maps_are_ignored_never_raise(text):
    got = parse_family_map_comment(text)
    assert not got
    msgs = decode(genl(33, 1), comments=[text])
    assert msgs[0].type_name == "genl family 0x21 cmd 1"


def test_map_line_inside_a_multiline_comment():
    text = "scenario genl\nkernel 6.12\n" + genl_family_map_comment({"devlink": 23}) + "\n"
    assert parse_family_map_comment(text) == {"devlink": 23}


def test_capped_ack_with_extack_does_not_read_the_tlvs_as_a_genl_header():
    # NLMSG_ERROR, CAPPED|ACK_TLVS: the echoed request header only, then an extack message.
    req = genl(0x10, 3, nla(2, b"nosuchfamily\0"), flags=NLM_F_REQUEST | NLM_F_ACK, seq=9)
    body = struct.pack("<i", -2) + req[:16] + nla(1, b"Unknown family\0")
    err = nlmsg(2, 0x300, 9, 77, body)
    m, = decode(err)
    assert m.summary == 'error -2 ENOENT to nlctrl seq 9: "Unknown family"'


def test_late_registration_replaces_a_family_and_clears_the_cache():
    reg = default_registry(entry_points=False)
    first = decode(genl(0x10, 3), registry=reg)[0]
    assert first.type_name == "nlctrl GETFAMILY"
    add_family(reg, GenlFamily("nlctrl", {3: "ASK"}, fixed_id=0x10, label="ctl"))
    assert decode(genl(0x10, 3), registry=reg)[0].type_name == "ctl ASK"


@pytest.mark.parametrize("name,kind", [
    ("GET_WIPHY", "get"), ("NEW_INTERFACE", "new"), ("DEL_STATION", "del"), ("SET_REG", "other"),
    ("TRIGGER_SCAN", "other"), ("GETFAMILY", "other"),
    ("LINKINFO_GET", "get"), ("LINKINFO_GET_REPLY", "new"), ("FEATURES_NTF", "new"),
    ("TZ_GET_TEMP", "get"), ("ADD_ADDR", "new"), ("DELETE", "del"), ("CREATE", "new"),
    ("UPDATE", "other"), ("DELBA", "other"), (None, "other"),
])
def test_command_kind(name, kind):
    assert cmd_kind(name) == kind


def test_dump_flags_are_named_for_an_unknown_family_too():
    m, = decode(genl(0x30, 1, flags=NLM_F_REQUEST | NLM_F_DUMP))
    assert m.flag_names == ["REQUEST", "DUMP"]


# -- the controller ------------------------------------------------------------------------

def test_ctrl_ops_name_the_described_familys_commands():
    m, = decode(newfamily("nl80211", 33, ops={5: 0xe, 7: 0x3}))
    ops = attr(m, "CTRL_ATTR_OPS")
    assert ops.kind == "list" and len(ops.children) == 2
    first = ops.children[0]
    assert first.get("CTRL_ATTR_OP_ID").meta == "GET_INTERFACE"
    assert first.get("CTRL_ATTR_OP_FLAGS").meta == ["CMD_CAP_DO", "CMD_CAP_DUMP", "CMD_CAP_HASPOL"]
    assert ops.children[1].get("CTRL_ATTR_OP_ID").meta == "NEW_INTERFACE"
    assert m.summary == "nlctrl NEWFAMILY nl80211 id 33 (0 mcast groups)"


def test_ctrl_getfamily_requests():
    by_name, by_id, dump = decode(
        genl(0x10, 3, nla(2, b"nl80211\0"), flags=NLM_F_REQUEST | NLM_F_ACK),
        genl(0x10, 3, nla(1, u16(16)), flags=NLM_F_REQUEST | NLM_F_ACK),
        genl(0x10, 3, flags=NLM_F_REQUEST | NLM_F_DUMP))
    assert by_name.summary == "nlctrl GETFAMILY nl80211"
    assert by_id.summary == "nlctrl GETFAMILY id 16"
    assert dump.summary == "nlctrl GETFAMILY" and dump.kind == "get"


def test_ctrl_mcast_group_notification():
    grp = nla(7, nla(1, nla(1, b"events\0") + nla(2, u32(9)), nested=True), nested=True)
    m, = decode(genl(0x10, 7, nla(1, u16(30)) + nla(2, b"RTMGR\0") + grp))
    assert m.summary == "nlctrl NEWMCAST_GRP RTMGR id 30 group events (9)"


def test_ctrl_getpolicy_reply_decodes_policy_entries():
    # policy 0, attribute 5: U32, max 32; op policy: cmd 4 -> do 0, dump 1.
    entry = nla(1, u32(4)) + nla(5, struct.pack("<Q", 32))
    policy = nla(8, nla(0, nla(5, entry, nested=True), nested=True), nested=True)
    op_policy = nla(9, nla(4, nla(1, u32(0)) + nla(2, u32(1)), nested=True), nested=True)
    m1, m2 = decode(genl(0x10, 10, nla(1, u16(30)) + policy), genl(0x10, 10, nla(1, u16(30)) + op_policy))
    assert not m1.problems and not m2.problems
    pol = attr(m1, "CTRL_ATTR_POLICY")
    assert pol.children[0].name == "0" and pol.children[0].children[0].name == "5"
    assert attr(m1, "NL_POLICY_TYPE_ATTR_TYPE").meta == "U32"
    assert m1.summary == "nlctrl GETPOLICY id 30 policy 0 attr 5 U32 max 32"
    assert m2.summary == "nlctrl GETPOLICY id 30 op 4 do policy 0 dump policy 1"


def test_big_endian_host():
    def be_nla(t, data, nested=False):
        return nla(t, data, o=">", nested=nested)
    body = struct.pack(">BBH", 1, 2, 0) + be_nla(1, struct.pack(">H", 33)) + be_nla(2, b"nl80211\0")
    m, = decode(nlmsg(0x10, 0, 1, 0, body, o=">"))
    assert m.summary == "nlctrl NEWFAMILY nl80211 id 33"
