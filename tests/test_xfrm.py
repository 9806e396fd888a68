"""xfrm dissector on hand-built messages: SAs, policies with templates, ids, flush,
info and expire; addresses by family; algorithm keys."""
from __future__ import annotations

import socket
import struct

import pytest
from fixtures.make_fixtures import cooked, nla, nlmsg

from nlscope.decode.decoder import Decoder
from nlscope.dissectors import xfrm
from nlscope.capture.frame import Frame
from nlscope.decode.model import find
from nlscope.decode.registry import Registry


@pytest.fixture(scope="module")
def registry():
    reg = Registry()
    xfrm.register(reg)
    return reg


def decode(registry, *msgs: bytes):
    return list(Decoder(registry).messages([Frame(1, 0, 6, cooked(6) + b"".join(msgs))]))


def addr(a: str) -> bytes:
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    raw = socket.inet_pton(fam, a)
    return raw + b"\0" * (16 - len(raw))


def selector(src="0.0.0.0", dst="0.0.0.0", family=2, plen_s=0, plen_d=0, proto=0, sport=0, dport=0):
    return (addr(dst) + addr(src) + struct.pack(">HHHH", dport, 0xFFFF if dport else 0, sport,
                                                0xFFFF if sport else 0)
            + struct.pack("<HBBB3xiI", family, plen_d, plen_s, proto, 0, 0))


LFT = struct.pack("<8Q", *([2**64 - 1] * 4 + [0] * 4))
CUR = struct.pack("<4Q", 0, 0, 1_795_625_269, 0)


def usersa_info(src, dst, spi, proto=50, family=2, mode=1, reqid=1, flags=0):
    return (selector(family=family) + addr(dst) + struct.pack(">I", spi) + struct.pack("<B3x", proto) + addr(src)
            + LFT + CUR + struct.pack("<3I", 0, 0, 0) + struct.pack("<IIHBBB7x", 0, reqid, family, mode, 32, flags))


def algo(name: str, key: bytes, extra: int | None = None) -> bytes:
    out = name.encode().ljust(64, b"\0") + struct.pack("<I", len(key) * 8)
    if extra is not None:
        out += struct.pack("<I", extra)
    return out + key


def tmpl(src, dst, spi=0, proto=50, family=2, reqid=1, mode=1):
    return (addr(dst) + struct.pack(">I", spi) + struct.pack("<B3x", proto) + struct.pack("<H2x", family)
            + addr(src) + struct.pack("<IBBBx3I", reqid, mode, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF))


def test_newsa_tunnel_with_algorithms(registry):
    enc_key = bytes(range(16))
    auth_key = bytes(range(0x10, 0x30))
    msg = nlmsg(0x10, 0x405, 1, 0, usersa_info("10.0.0.1", "10.0.0.2", 0x1000)
                + nla(2, algo("cbc(aes)", enc_key)) + nla(20, algo("hmac(sha256)", auth_key, 128))
                + nla(21, struct.pack("<II", 7, 0xFF)) + nla(31, struct.pack("<I", 42))
                + nla(4, struct.pack("<H", 2) + struct.pack(">HH2x", 4500, 4500) + addr("0.0.0.0")))
    (m,) = decode(registry, msg)
    assert not m.problems
    assert m.type_name == "XFRM_MSG_NEWSA" and m.kind == "new" and "CREATE" in m.flag_names
    assert m.summary == ("XFRM_MSG_NEWSA 10.0.0.1 -> 10.0.0.2 esp spi 0x1000 reqid 1 mode tunnel "
                         "enc cbc(aes) auth hmac(sha256)")
    t = m.tree
    info = t[1]
    assert info.name == "xfrm_usersa_info"
    assert find(t, "spi").value == 0x1000
    assert find(t, "mode").meta == "XFRM_MODE_TUNNEL"
    assert find(t, "proto").meta == "IPPROTO_IP"  # the selector's proto comes first
    assert find(info.children, "id").children[2].meta == "IPPROTO_ESP"
    assert find(info.children, "id").children[0].value == "10.0.0.2"  # AF_INET: first 4 bytes
    assert find(t, "sel").children[0].value == "0.0.0.0"
    assert find(t, "hard_byte_limit").value == 2**64 - 1
    enc = find(t, "XFRMA_ALG_CRYPT")
    assert find(enc.children, "alg_name").value == "cbc(aes)"
    assert find(enc.children, "alg_key_len").value == 128
    assert find(enc.children, "alg_key").value == enc_key
    auth = find(t, "XFRMA_ALG_AUTH_TRUNC")
    assert find(auth.children, "alg_trunc_len").value == 128
    assert find(auth.children, "alg_key").value == auth_key
    assert [c.value for c in find(t, "XFRMA_MARK").children] == [7, 0xFF]
    assert find(t, "XFRMA_IF_ID").value == 42
    encap = find(t, "XFRMA_ENCAP")
    assert find(encap.children, "encap_type").meta == "UDP_ENCAP_ESPINUDP"
    assert find(encap.children, "encap_dport").value == 4500
    assert find(encap.children, "encap_oa").value == "0.0.0.0"


def test_ipv6_aead_transport(registry):
    key = bytes(range(20))
    msg = nlmsg(0x10, 0x405, 2, 0, usersa_info("2001:db8::1", "2001:db8::2", 0x2000, family=10, mode=0, reqid=2)
                + nla(18, algo("rfc4106(gcm(aes))", key, 128)))
    (m,) = decode(registry, msg)
    assert m.summary == ("XFRM_MSG_NEWSA 2001:db8::1 -> 2001:db8::2 esp spi 0x2000 reqid 2 mode transport "
                         "aead rfc4106(gcm(aes))")
    aead = find(m.tree, "XFRMA_ALG_AEAD")
    assert find(aead.children, "alg_icv_len").value == 128
    assert find(aead.children, "alg_key").value == key


def test_policy_with_templates(registry):
    pol = (selector("198.51.100.0", "203.0.113.0", plen_s=24, plen_d=24) + LFT + CUR
           + struct.pack("<IIBBBB4x", 100, 8, 1, 0, 0, 0))
    tmpls = tmpl("192.0.2.1", "192.0.2.2") + tmpl("::", "::", family=10, mode=0, reqid=2, proto=51)
    msg = nlmsg(0x13, 0x405, 3, 0, pol + nla(5, tmpls) + nla(16, struct.pack("<B5x", 0)))
    (m,) = decode(registry, msg)
    assert not m.problems
    assert m.summary == ("XFRM_MSG_NEWPOLICY 198.51.100.0/24 -> 203.0.113.0/24 dir out priority 100 "
                         "tmpl esp tunnel 192.0.2.1 -> 192.0.2.2 reqid 1 tmpl ah transport reqid 2")
    tl = find(m.tree, "XFRMA_TMPL")
    assert tl.kind == "list" and [c.name for c in tl.children] == ["xfrm_user_tmpl"] * 2
    assert find(tl.children[0].children, "saddr").value == "192.0.2.1"
    assert find(tl.children[1].children, "family").meta == "AF_INET6"
    assert find(m.tree, "dir").meta == "XFRM_POLICY_OUT"
    assert find(m.tree, "XFRMA_POLICY_TYPE").children[0].meta == "XFRM_POLICY_TYPE_MAIN"


def test_ids_dumps_flush_and_info(registry):
    getsa = nlmsg(0x12, 0x1, 4, 0, addr("192.0.2.2") + struct.pack(">I", 0x1000) + struct.pack("<HBx", 2, 50)
                  + nla(13, addr("192.0.2.1")))
    dump = nlmsg(0x12, 0x301, 5, 0, nla(26, addr("0.0.0.0") * 2 + struct.pack("<HBB", 0, 0, 0)))
    pdump = nlmsg(0x15, 0x301, 6, 0)
    delpol = nlmsg(0x14, 0x5, 7, 0, selector("192.0.2.0", "192.0.2.0", plen_s=24, plen_d=24)
                   + struct.pack("<IB3x", 0, 2))
    flush = nlmsg(0x1C, 0x5, 8, 0, b"\xff")
    sadinfo = nlmsg(0x22, 0, 9, 1, struct.pack("<I", 0) + nla(1, struct.pack("<I", 3))
                    + nla(2, struct.pack("<II", 8, 1048576)))
    spdinfo = nlmsg(0x24, 0, 10, 1, struct.pack("<I", 0) + nla(1, struct.pack("<6I", 1, 2, 0, 0, 0, 0)))
    msgs = decode(registry, getsa, dump, pdump, delpol, flush, sadinfo, spdinfo)
    assert [m.summary for m in msgs] == [
        "XFRM_MSG_GETSA 192.0.2.1 -> 192.0.2.2 esp spi 0x1000",
        "XFRM_MSG_GETSA dump",
        "XFRM_MSG_GETPOLICY dump",
        "XFRM_MSG_DELPOLICY 192.0.2.0/24 -> 192.0.2.0/24 dir fwd",
        "XFRM_MSG_FLUSHSA proto any",
        "XFRM_MSG_NEWSADINFO count 3 buckets 8/1048576",
        "XFRM_MSG_NEWSPDINFO in 1 out 2 fwd 0",
    ]
    assert all(not m.problems for m in msgs)
    assert find(msgs[1].tree, "XFRMA_ADDRESS_FILTER") is not None  # a dump has no fixed header
    assert find(msgs[0].tree, "XFRMA_SRCADDR").value == "192.0.2.1"


def test_expire_and_every_type_named(registry):
    exp = nlmsg(0x18, 0, 0, 0, usersa_info("10.0.0.1", "10.0.0.2", 0x77) + struct.pack("<B7x", 1))
    (m,) = decode(registry, exp)
    assert m.summary == "XFRM_MSG_EXPIRE hard 10.0.0.1 -> 10.0.0.2 esp spi 0x77 reqid 1 mode tunnel"
    for t in range(0x10, 0x29):
        (m,) = decode(registry, nlmsg(t, 0x1, 1, 0))
        assert m.type_name.startswith("XFRM_MSG_"), t
    assert decode(registry, nlmsg(0x1D, 0x5, 1, 0))[0].summary == "XFRM_MSG_FLUSHPOLICY"
    short = decode(registry, nlmsg(0x10, 0x5, 1, 0, b"\0" * 10))[0]
    assert any("xfrm_usersa_info" in p for p in short.problems)
