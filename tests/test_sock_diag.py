"""sock_diag dissector on hand-built requests and replies of each family."""
from __future__ import annotations

import socket
import struct

import pytest
from fixtures.make_fixtures import cooked, nla, nlmsg

from nlscope.decode.decoder import Decoder
from nlscope.dissectors import sock_diag
from nlscope.capture.frame import Frame
from nlscope.decode.model import find
from nlscope.decode.registry import Registry

DUMP = 0x301  # NLM_F_REQUEST | NLM_F_DUMP


@pytest.fixture(scope="module")
def registry():
    reg = Registry()
    sock_diag.register(reg)
    return reg


def decode(registry, *msgs: bytes):
    frames = [Frame(i, 0, 4, cooked(4) + m) for i, m in enumerate(msgs, 1)]
    return list(Decoder(registry).messages(frames))


def sockid(family, sport, dport, src, dst, ifindex=0, cookie=(0xFFFFFFFF, 0xFFFFFFFF)):
    def addr(a):
        raw = socket.inet_pton(family, a)
        return raw + b"\0" * (16 - len(raw))
    return struct.pack(">HH", sport, dport) + addr(src) + addr(dst) + struct.pack("<III", ifindex, *cookie)


def inet_req(family, proto, states, ext=0, sid=None):
    sid = sid or sockid(family, 0, 0, "0.0.0.0" if family == 2 else "::", "0.0.0.0" if family == 2 else "::")
    return struct.pack("<BBBBI", family, proto, ext, 0, states) + sid


def inet_msg(family, state, sport, dport, src, dst, inode=1234, cookie=(0x10, 0x2)):
    return (struct.pack("<BBBB", family, state, 0, 0) + sockid(family, sport, dport, src, dst, 0, cookie)
            + struct.pack("<IIIII", 0, 3, 0, 1000, inode))


def tcp_info(n: int) -> bytes:
    """A tcp_info of n bytes: state ESTABLISHED, options TS|SACK|WSCALE, wscales 7/9, rtt 150us..."""
    head = bytes([1, 0, 0, 0, 0, 7, 0x97, 0x01])
    u32 = [200000, 40000, 32768, 536, 0, 0, 0, 0, 0, 10, 0, 10, 10, 65535, 65483, 150, 75,
           0x7FFFFFFF, 10, 65483, 3, 0, 65483, 0]
    body = head + struct.pack("<24I", *u32) + struct.pack("<4Q", 10**9, 2**64 - 1, 14, 1)
    body += struct.pack("<6I", 5, 4, 0, 20, 1, 1) + struct.pack("<4Q", 0, 1000, 0, 0)
    body += struct.pack("<II2Q", 2, 0, 14, 0) + struct.pack("<6I", 0, 0, 0, 65536, 65483, 0)
    body += struct.pack("<HHI", 0, 0, 0)
    assert len(body) == 248
    return body[:n]


def test_inet_dump_request(registry):
    req = nlmsg(20, DUMP, 123456, 0, inet_req(2, 6, 0xFFFFFFFF, ext=0x2 | 0x40))
    (m,) = decode(registry, req)
    assert m.type_name == "SOCK_DIAG_BY_FAMILY" and m.kind == "get" and "DUMP" in m.flag_names
    assert m.summary == "SOCK_DIAG_BY_FAMILY dump inet tcp states ALL"
    assert find(m.tree, "sdiag_protocol").meta == "IPPROTO_TCP"
    assert find(m.tree, "idiag_ext").meta == ["INET_DIAG_INFO", "INET_DIAG_SKMEMINFO"]
    assert find(m.tree, "idiag_cookie").meta == "none"
    some = nlmsg(20, DUMP, 1, 0, inet_req(10, 17, (1 << 1) | (1 << 10)))
    (m2,) = decode(registry, some)
    assert m2.summary == "SOCK_DIAG_BY_FAMILY dump inet6 udp states ESTABLISHED,LISTEN"
    assert find(m2.tree, "idiag_states").meta == ["TCPF_ESTABLISHED", "TCPF_LISTEN"]


def test_inet_reply_listen_and_established_with_tcp_info(registry):
    req = nlmsg(20, DUMP, 123456, 0, inet_req(2, 6, 0xFFFFFFFF))
    listen = nlmsg(20, 0x2, 123456, 999, inet_msg(2, 10, 22, 0, "0.0.0.0", "0.0.0.0"))
    est = nlmsg(20, 0x2, 123456, 999, inet_msg(2, 1, 8080, 40000, "127.0.0.1", "127.0.0.1")
                + nla(4, b"cubic\0") + nla(2, tcp_info(232))
                + nla(7, struct.pack("<9I", 0, 131072, 0, 16384, 4096, 0, 0, 0, 2))
                + nla(8, b"\x00"))
    _, m1, m2 = decode(registry, req, listen, est)
    assert m1.summary == "SOCK_DIAG_BY_FAMILY inet tcp LISTEN 0.0.0.0:22 -> 0.0.0.0:*"
    assert m2.summary == "SOCK_DIAG_BY_FAMILY inet tcp ESTABLISHED 127.0.0.1:8080 -> 127.0.0.1:40000 cubic"
    assert not m2.problems
    t = m2.tree
    assert find(t, "idiag_state").meta == "TCP_ESTABLISHED"
    assert find(t, "idiag_src").value == "127.0.0.1"
    assert find(t, "idiag_rqueue").value == 3 and find(t, "idiag_uid").value == 1000
    assert find(t, "idiag_cookie").value == 0x2_00000010
    info = find(t, "INET_DIAG_INFO")
    assert info.kind == "struct"
    assert find(t, "tcpi_options").meta == ["TCPI_OPT_TIMESTAMPS", "TCPI_OPT_SACK", "TCPI_OPT_WSCALE"]
    assert find(t, "tcpi_snd_wscale").value == 7 and find(t, "tcpi_rcv_wscale").value == 9
    assert find(t, "tcpi_delivery_rate_app_limited").value == 1
    assert find(t, "tcpi_rtt").value == 150 and find(t, "tcpi_snd_cwnd").value == 10
    assert find(t, "tcpi_max_pacing_rate").value == 2**64 - 1
    assert find(t, "tcpi_bytes_sent").value == 14
    assert find(t, "tcpi_snd_wnd").value == 65536
    assert find(t, "tcpi_rcv_wnd") is None  # 232 bytes: a 6.1-sized tcp_info stops here
    assert find(t, "SK_MEMINFO_RCVBUF").value == 131072
    assert find(t, "SK_MEMINFO_DROPS").value == 2
    # the field spans stay inside the attribute
    assert info.start < find(t, "tcpi_snd_wnd").start < info.end


def test_tcp_info_lengths(registry):
    for n, last in ((104, "tcpi_total_retrans"), (248, "tcpi_total_rto_time")):
        m, = decode(registry, nlmsg(20, 0x2, 5, 1, inet_msg(2, 1, 1, 2, "10.0.0.1", "10.0.0.2")
                                    + nla(2, tcp_info(n))))
        info = find(m.tree, "INET_DIAG_INFO")
        assert info.children[-1].name == last


def test_inet6_reply_protocol_from_attribute(registry):
    (m,) = decode(registry, nlmsg(20, 0x2, 77, 1, inet_msg(10, 10, 8443, 0, "::1", "::")
                                  + nla(10, b"\x06") + nla(11, b"\x01")))
    assert m.summary == "SOCK_DIAG_BY_FAMILY inet6 tcp LISTEN [::1]:8443 -> [::]:*"
    assert find(m.tree, "idiag_dst").value == "::"


def test_unix(registry):
    req = nlmsg(20, DUMP, 1, 0, struct.pack("<BBHIIIII", 1, 0, 0, 0xFFFFFFFF, 0, 0x1F, 0xFFFFFFFF, 0xFFFFFFFF))
    rep = nlmsg(20, 0x2, 1, 5, struct.pack("<BBBBIII", 1, 1, 10, 0, 4242, 1, 0)
                + nla(0, b"/run/x.sock\0") + nla(4, struct.pack("<II", 0, 128)) + nla(2, struct.pack("<I", 77)))
    abstract = nlmsg(20, 0x2, 1, 5, struct.pack("<BBBBIII", 1, 2, 7, 0, 4243, 2, 0) + nla(0, b"\0abc"))
    m1, m2, m3 = decode(registry, req, rep, abstract)
    assert m1.summary == "SOCK_DIAG_BY_FAMILY dump unix states ALL"
    assert find(m1.tree, "udiag_show").meta == ["UDIAG_SHOW_NAME", "UDIAG_SHOW_VFS", "UDIAG_SHOW_PEER",
                                                "UDIAG_SHOW_ICONS", "UDIAG_SHOW_RQLEN"]
    assert m2.summary == "SOCK_DIAG_BY_FAMILY unix stream LISTEN /run/x.sock ino 4242 peer 77"
    assert find(m2.tree, "udiag_wqueue").value == 128
    assert m3.summary == "SOCK_DIAG_BY_FAMILY unix dgram CLOSE @abc ino 4243"


def test_netlink_and_packet(registry):
    nreq = nlmsg(20, DUMP, 1, 0, struct.pack("<BBHIIII", 16, 255, 0, 0, 3, 0xFFFFFFFF, 0xFFFFFFFF))
    nrep = nlmsg(20, 0x2, 1, 5, struct.pack("<BBBBIIIIII", 16, 3, 0, 0, 612, 0, 0, 999, 0, 0)
                 + nla(0, struct.pack("<9I", *range(9))) + nla(1, b"\x01\0\0\0\0\0\0\0"))
    preq = nlmsg(20, DUMP, 1, 0, struct.pack("<BBHIIII", 17, 0, 0, 0, 1, 0, 0))
    prep = nlmsg(20, 0x2, 1, 5, struct.pack("<BBHIII", 17, 3, 0x0003, 55, 0, 0)
                 + nla(0, struct.pack("<6I", 2, 0, 0, 0, 0, 1)))
    m1, m2, m3, m4 = decode(registry, nreq, nrep, preq, prep)
    assert m1.summary == "SOCK_DIAG_BY_FAMILY dump netlink all"
    assert find(m1.tree, "ndiag_show").meta == ["NDIAG_SHOW_MEMINFO", "NDIAG_SHOW_GROUPS"]
    assert m2.summary == "SOCK_DIAG_BY_FAMILY netlink route portid 612 ino 999"
    assert find(m2.tree, "SK_MEMINFO_SNDBUF").value == 3
    assert m3.summary == "SOCK_DIAG_BY_FAMILY dump packet"
    assert m4.summary == "SOCK_DIAG_BY_FAMILY packet raw proto 0x0003 ino 55 ifindex 2"
    assert find(m4.tree, "pdi_flags").meta == ["PDI_RUNNING"]


def test_old_types_and_destroy(registry):
    old = nlmsg(18, DUMP, 1, 0, struct.pack("<BBBB", 2, 0, 0, 0)
                + sockid(2, 0, 0, "0.0.0.0", "0.0.0.0") + struct.pack("<II", 0xFFF, 0))
    destroy = nlmsg(21, 0x5, 2, 0, inet_req(2, 6, 0xFFFFFFFF,
                                           sid=sockid(2, 8080, 40000, "127.0.0.1", "127.0.0.1")))
    err = nlmsg(2, 0, 2, 1, struct.pack("<i", -95) + destroy)
    m1, m2, m3 = decode(registry, old, destroy, err)
    assert m1.type_name == "TCPDIAG_GETSOCK"
    assert m1.summary == "TCPDIAG_GETSOCK dump inet tcp states ALL"
    assert m2.type_name == "SOCK_DESTROY"
    assert m2.summary == "SOCK_DESTROY inet tcp 127.0.0.1:8080 -> 127.0.0.1:40000"
    assert m3.summary.startswith("error -95 ") and m3.summary.endswith(" to SOCK_DESTROY seq 2")
    assert find(m3.tree, "idiag_sport").value == 8080


def test_short_payload_is_a_problem_not_a_crash(registry):
    (m,) = decode(registry, nlmsg(20, 0x2, 1, 1, b"\x02\x01\x00"))
    assert m.type_name == "SOCK_DIAG_BY_FAMILY"
    assert any("inet_diag_msg" in p for p in m.problems)
