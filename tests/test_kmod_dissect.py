"""The project's kernel modules: nlgreet/rtmgr on their raw protocol (31, another
number with --kmod-proto, NETLINK_USERSOCK by validation) and the RTMGR genl family.
Wire formats: kmod/include/nlgreet.h, kmod/include/rtmgr.h."""
from __future__ import annotations

import socket
import struct

import pytest
from fixtures.make_fixtures import cooked, nla, nlmsg
from test_genl import decode as genl_decode
from test_genl import genl, newfamily

from nlscope.cli.main import main
from nlscope.decode.decoder import Decoder
from nlscope.capture.frame import Frame
from nlscope.decode.model import find
from nlscope.capture.pcapio import PcapngWriter
from nlscope.decode.registry import default_registry
from nlscope.dissectors.kmod import add_protocol

REQ_ACK = 0x5


def route(dest="10.1.0.0", mask=24, gw="10.0.0.1", metric=5, oif=b"eth0", pad=b"\0\0\0") -> bytes:
    return (socket.inet_aton(dest) + bytes([mask]) + pad + socket.inet_aton(gw)
            + struct.pack("<I", metric) + oif.ljust(32, b"\0"))


def decode(proto: int, *msgs: bytes, registry=None):
    d = Decoder(registry or default_registry(entry_points=False))
    return list(d.messages([Frame(0, i, proto, cooked(proto) + m) for i, m in enumerate(msgs)]))


def test_route_struct_is_48_bytes_as_in_rtmgr_h():
    assert len(route()) == 48


def test_nlgreet_request_and_reply():
    req, rep = decode(31, nlmsg(20, REQ_ACK, 7, 0, b"hello\0"),
                      nlmsg(20, 0, 7, 4242, b"Hello 4242, kernel got: hello\0"))
    assert (req.family, req.type_name, req.summary) == ("kmod", "NLGREET", 'NLGREET "hello"')
    assert rep.summary == 'NLGREET "Hello 4242, kernel got: hello"'
    text = find(req.tree, "text")
    assert (text.value, text.end - text.start) == ("hello", 6)
    assert not req.problems and not rep.problems


def test_nlgreet_without_nul_is_flagged():
    m, = decode(31, nlmsg(20, REQ_ACK, 7, 0, b"abcd"))
    assert m.summary == 'NLGREET "abcd"'
    assert m.problems == ["NLGREET: string is not NUL-terminated"]


def test_rt_create_summary_and_fields():
    m, = decode(31, nlmsg(21, REQ_ACK | 0x600, 8, 0, route()))
    assert m.type_name == "RT_CREATE" and m.kind == "new"
    assert m.summary == "RT_CREATE 10.1.0.0/24 via 10.0.0.1 dev eth0 metric 5"
    assert m.flag_names == ["REQUEST", "ACK", "EXCL", "CREATE"]
    r = find(m.tree, "rtmgr_route")
    assert [(c.name, c.value) for c in r.children] == [
        ("dest", "10.1.0.0"), ("mask", 24), ("pad", b"\0\0\0"), ("gw", "10.0.0.1"),
        ("metric", 5), ("oif", "eth0")]


def test_rt_types_and_kinds():
    msgs = decode(31, nlmsg(22, REQ_ACK, 1, 0, route(gw="0.0.0.0", metric=9)),
                  nlmsg(23, REQ_ACK, 2, 0, route()), nlmsg(24, REQ_ACK, 3, 0, route()),
                  nlmsg(24, 0, 3, 99, route()), nlmsg(24, 0x301, 4, 0))
    assert [(m.type_name, m.kind) for m in msgs] == [
        ("RT_UPDATE", "other"), ("RT_DELETE", "del"), ("RT_GET", "get"), ("RT_GET", "get"),
        ("RT_GET", "get")]
    assert msgs[0].summary == "RT_UPDATE 10.1.0.0/24 dev eth0 metric 9"  # gw 0.0.0.0: connected
    assert msgs[1].summary == "RT_DELETE 10.1.0.0/24"  # requests carry the key only
    assert msgs[3].summary == "RT_GET 10.1.0.0/24 via 10.0.0.1 dev eth0 metric 5"  # the reply
    assert msgs[4].summary == "RT_GET (dump)" and msgs[4].flag_names == ["REQUEST", "DUMP"]
    assert not any(m.problems for m in msgs)


def test_bad_route_payloads_are_flagged():
    short, padded = decode(31, nlmsg(21, REQ_ACK, 1, 0, b"\x0a\x01"),
                           nlmsg(21, REQ_ACK, 2, 0, route(pad=b"\x01\0\0")))
    assert short.problems == ["RT_CREATE: struct rtmgr_route needs 48 bytes, message has 2"]
    assert padded.problems == ["RT_CREATE: rtmgr_route.pad is not zero (010000)"]


def test_error_extack_offset_names_the_route_field():
    req = nlmsg(21, REQ_ACK, 8, 0, route(mask=33))
    tlvs = nla(1, b"rtmgr: mask: prefix length must be 0..32\0") + nla(2, struct.pack("<I", 16 + 4))
    err = nlmsg(2, 0x200, 8, 4242, struct.pack("<i", -22) + req + tlvs)
    m, = decode(31, err)
    assert m.summary == 'error -22 EINVAL to RT_CREATE seq 8: "rtmgr: mask: prefix length must be 0..32" at mask'


def test_ack_to_a_capped_request_is_named():
    m, = decode(31, nlmsg(2, 0x100, 8, 4242, struct.pack("<i", 0) + nlmsg(23, REQ_ACK, 8, 0, route())[:16]))
    assert m.summary == "ACK to RT_DELETE seq 8"


def test_usersock_takes_only_messages_of_the_right_shape():
    other = decode(2, nlmsg(21, REQ_ACK, 4, 0, b"\x01\x02\x03\x04"), nlmsg(20, 0, 5, 0, b"\x01\x02\xff\x00"),
                   nlmsg(30, 0, 6, 0, b"x\0"), nlmsg(20, 0, 7, 0, b"abc"))
    assert [m.type_name for m in other] == ["UNKNOWN(21)", "UNKNOWN(20)", "UNKNOWN(30)", "UNKNOWN(20)"]
    assert not any(m.problems for m in other)
    good = decode(2, nlmsg(20, REQ_ACK, 1, 0, b"hi\0"), nlmsg(21, REQ_ACK, 2, 0, route()),
                  nlmsg(24, 0x301, 3, 0))
    assert [m.type_name for m in good] == ["NLGREET", "RT_CREATE", "RT_GET"]
    assert good[0].family == "usersock"


def test_usersock_once_shown_to_carry_the_modules_decodes_their_malformed_messages():
    first, bad_greet, short_route, unknown = decode(
        2, nlmsg(20, REQ_ACK, 1, 0, b"hello kernel\0"), nlmsg(20, REQ_ACK, 2, 0, b"ABCD"),
        nlmsg(21, REQ_ACK, 3, 0, b"\x0a\x01\x00\x00"), nlmsg(42, REQ_ACK, 4, 0, bytes(4)))
    assert first.summary == 'NLGREET "hello kernel"'
    assert (bad_greet.type_name, bad_greet.problems) == ("NLGREET", ["NLGREET: string is not NUL-terminated"])
    assert short_route.type_name == "RT_CREATE" and short_route.problems
    assert unknown.type_name == "UNKNOWN(42)"


def test_other_protocol_numbers_on_request():
    msg = nlmsg(21, REQ_ACK, 1, 0, b"\x01\x02")  # strict: a bad payload is still RT_CREATE
    assert decode(5, msg)[0].type_name == "UNKNOWN(21)"
    reg = default_registry(entry_points=False)
    add_protocol(reg, 5)
    m, = decode(5, msg, registry=reg)
    assert m.type_name == "RT_CREATE" and m.problems
    with pytest.raises(ValueError):
        add_protocol(reg, 32)


def test_cli_kmod_proto_option(tmp_path, capsys):
    path = tmp_path / "p7.pcapng"
    with open(path, "wb") as f:
        w = PcapngWriter(f)
        w.write(Frame(0, 1, 7, cooked(7) + nlmsg(20, REQ_ACK, 1, 0, b"hello\0")))
        w.write(Frame(0, 2, 7, cooked(7) + nlmsg(21, REQ_ACK, 2, 0, route())))
    assert main(["read", str(path)]) == 0
    assert "NLGREET" not in capsys.readouterr().out
    assert main(["read", "--kmod-proto", "7", "--kmod-proto", "9", str(path)]) == 0
    out = capsys.readouterr().out
    assert 'NLGREET "hello"' in out
    assert "RT_CREATE 10.1.0.0/24 via 10.0.0.1 dev eth0 metric 5" in out
    with pytest.raises(SystemExit):
        main(["read", "--kmod-proto", "40", str(path)])
    assert "not a netlink protocol number" in capsys.readouterr().err


# -- the RTMGR generic netlink family -----------------------------------------------------

def rtmgr_attrs(dest="10.1.0.0", mask=24, gw="10.0.0.1", oif=b"eth0", metric=5) -> bytes:
    out = nla(1, socket.inet_aton(dest)) + nla(2, bytes([mask]))
    if gw is not None:
        out += nla(3, socket.inet_aton(gw))
    if oif is not None:
        out += nla(4, oif + b"\0")
    if metric is not None:
        out += nla(5, struct.pack("<I", metric))
    return out


def test_rtmgr_genl_commands():
    msgs = genl_decode(newfamily("RTMGR", 30, groups={"events": 11}),
                       genl(30, 1, rtmgr_attrs(), flags=REQ_ACK),
                       genl(30, 1, rtmgr_attrs(), seq=0),  # the "events" notification
                       genl(30, 3, rtmgr_attrs(gw=None, oif=None, metric=None), flags=REQ_ACK),
                       genl(30, 4, flags=0x301), genl(30, 4, rtmgr_attrs(gw="0.0.0.0"), flags=2),
                       genl(30, 2, rtmgr_attrs(gw=None, oif=b"eth1", metric=None), flags=REQ_ACK))
    assert [m.summary for m in msgs[1:]] == [
        "RTMGR CREATE 10.1.0.0/24 via 10.0.0.1 dev eth0 metric 5",
        "RTMGR CREATE 10.1.0.0/24 via 10.0.0.1 dev eth0 metric 5",
        "RTMGR DELETE 10.1.0.0/24",
        "RTMGR GET",
        "RTMGR GET 10.1.0.0/24 dev eth0 metric 5",
        "RTMGR UPDATE 10.1.0.0/24 dev eth1",
    ]
    assert [m.kind for m in msgs[1:]] == ["new", "new", "del", "get", "get", "other"]
    assert msgs[4].flag_names == ["REQUEST", "DUMP"]
    names = [a.name for a in msgs[1].tree[2].children]
    assert names == ["RTMGR_A_DEST", "RTMGR_A_MASK", "RTMGR_A_GW", "RTMGR_A_OIF", "RTMGR_A_METRIC"]
    assert not any(m.problems for m in msgs)
