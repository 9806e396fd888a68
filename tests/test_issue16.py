"""Issue 16: what routing, VRRP, LLDP, Wi-Fi, virtual-switch and IPVS/ipset/NFLOG daemons
really send. Hand-built messages are laid out with struct.pack from the UAPI headers
(not from nlscope's tables), so a wrong table shows up as a wrong name or value."""
from __future__ import annotations

import struct

import pytest
from fixtures.make_fixtures import nla, nlmsg

from nlscope.capture.frame import Frame
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry
from nlscope.output.export import message_to_json

REQ, ACK, DUMP, MULTI = 0x1, 0x4, 0x300, 0x2


@pytest.fixture(scope="module")
def reg():
    return default_registry(entry_points=False)


def decode(reg, *msgs: bytes, protocol: int = 0):
    fr = Frame(1, 0, protocol, bytes(16) + b"".join(msgs))
    return list(Decoder(reg).messages([fr]))


def one(reg, mtype: int, flags: int, body: bytes, protocol: int = 0, pid: int | None = None):
    (m,) = decode(reg, nlmsg(mtype, flags, 7, (0 if flags & REQ else 4242) if pid is None else pid, body),
                  protocol=protocol)
    return m


def payload(m):
    return message_to_json(m)["payload"]


def u32(v):
    return struct.pack("<I", v)


def ifinfomsg(family=0, ifi_type=0, index=0, flags=0, change=0):
    return struct.pack("<BxHiII", family, ifi_type, index, flags, change)


def ifaddrmsg(family, plen=0, flags=0, scope=0, index=0):
    return struct.pack("<BBBBI", family, plen, flags, scope, index)


# -- bug 2: RTM_GETADDR dump with a legacy ifinfomsg header -------------------------------

def test_getaddr_with_ifinfomsg_and_ext_mask_is_not_malformed(reg):
    # keepalived: ifinfomsg(AF_UNSPEC) + IFLA_EXT_MASK(RTEXT_FILTER_VF)
    m = one(reg, 22, REQ | DUMP, ifinfomsg(0) + nla(29, u32(1)))
    assert m.problems == []
    p = payload(m)
    assert "ifaddrmsg" not in p and p["ifinfomsg"]["ifi_family"]["name"] == "AF_UNSPEC"
    assert p["attributes"]["IFLA_EXT_MASK"] == {"value": 1, "names": ["RTEXT_FILTER_VF"]}
    assert m.summary == "RTM_GETADDR dump (ifinfomsg header)"


def test_getaddr_with_bare_ifinfomsg_names_its_family(reg):
    # FRR / lldpd: a bare 16-byte ifinfomsg asking for AF_INET6
    m = one(reg, 22, REQ | DUMP, ifinfomsg(10))
    assert m.problems == []
    assert payload(m)["ifinfomsg"]["ifi_family"]["name"] == "AF_INET6"
    assert m.summary == "RTM_GETADDR dump inet6 (ifinfomsg header)"


def test_getaddr_with_ifaddrmsg_and_attributes_stays_ifaddrmsg(reg):
    # 16 bytes too, but an ifaddrmsg and a valid IFA_TARGET_NETNSID
    m = one(reg, 22, REQ | DUMP, ifaddrmsg(10) + nla(10, struct.pack("<i", 1)))
    assert m.problems == [] and payload(m)["attributes"]["IFA_TARGET_NETNSID"] == 1
    assert m.summary == "RTM_GETADDR dump inet6"
    m = one(reg, 22, REQ | DUMP, ifaddrmsg(2, index=3))
    assert m.problems == [] and m.summary == "RTM_GETADDR dump inet dev 3"


def test_getaddr_reply_with_zeros_after_ifaddrmsg_is_still_malformed(reg):
    # only a dump request may carry the other header: a reply is an ifaddrmsg
    m = one(reg, 20, MULTI, ifaddrmsg(2, 24) + bytes(8))
    assert m.problems and "ifaddrmsg" in payload(m)


# -- pairing: what daemons and families really do ------------------------------------------

from conftest import FIXTURES  # noqa: E402
from fixtures import make_txn_fixtures as mk  # noqa: E402

from nlscope.analysis.transactions import correlate, transactions, txn_line  # noqa: E402
from nlscope.capture.pcapio import CaptureReader  # noqa: E402


def frame(n, ts, proto, *msgs, pid=None, comm=None, direction=None, sock=None):
    raw = mk.cooked(proto) + b"".join(msgs)
    return Frame(n, mk.T0 + ts, proto, raw, orig_len=len(raw), pid=pid, comm=comm, direction=direction,
                 sock=sock)


def pairs_of(reg, frames):
    return list(correlate(Decoder(reg).messages(frames), registry=reg))


def test_echo_repeating_a_request_with_its_own_port_id(reg):
    """ovs-vswitchd puts its own port id in RTM_NEWTFILTER; the kernel's notification
    repeats the whole header (seq, type, flags, port id): not a second request (bug 5)."""
    tcmsg = struct.pack("<BxxxiIII", 0, 2, 0, 0xFFFFFFF2, 0x00010300)
    add = nlmsg(44, REQ | ACK | 0x600, 31, 3001, tcmsg + nla(1, b"matchall\0"))
    ps = pairs_of(reg, [frame(1, 0, 0, add), frame(2, 1000, 0, add), frame(3, 2000, 0, mk.error(0, add, 3001))])
    assert [t.role_of(m) for m, t in ps] == ["request", "event", "ack"]
    req = ps[0][1]
    assert (req.status, req.events, ps[1][1].caused_by) == ("ok", [2], 1)


def test_a_second_request_with_other_flags_is_a_request(reg):
    tcmsg = struct.pack("<BxxxiIII", 0, 2, 0, 0xFFFFFFF2, 0x00010300)
    add = nlmsg(44, REQ | ACK | 0x600, 31, 3001, tcmsg + nla(1, b"matchall\0"))
    again = nlmsg(44, REQ | ACK, 31, 3001, tcmsg + nla(1, b"matchall\0"))
    ps = pairs_of(reg, [frame(1, 0, 0, add), frame(2, 1000, 0, again)])
    assert [t.role_of(m) for m, t in ps] == ["request", "request"]


def nfgenmsg(family=0, res_id=0):
    return struct.pack("<BBH", family, 0, socket_htons(res_id))


def socket_htons(v):
    return struct.unpack("<H", struct.pack(">H", v))[0]


def nflog_packet(prefix: bytes):
    # NFULNL_MSG_PACKET (subsys ULOG 4, msg 0), seq 0, port id 0, flags 0, as
    # __build_packet_message() puts it; NFULA_PACKET_HDR then NFULA_PREFIX
    body = nfgenmsg(2, 5) + nla(1, struct.pack(">HBx", 0x0800, 3)) + nla(10, prefix + b"\0")
    return nlmsg(0x0400, 0, 0, 0, body)


def test_nflog_batch_is_one_event_with_its_done(reg):
    """__nfulnl_send(): more than one packet in the buffer ends with an NLMSG_DONE (seq 0,
    port id 0) carrying an nfgenmsg; the batch is one event, DONE included (bug 4)."""
    done = nlmsg(3, 0, 0, 0, nfgenmsg(0, 5))
    frames = [frame(1, 0, 12, nflog_packet(b"a"), nflog_packet(b"b"), done),
              frame(2, 1000, 12, nflog_packet(b"c"))]  # one packet: no DONE
    ps = pairs_of(reg, frames)
    assert [t.role_of(m) for m, t in ps] == ["event", "event", "done", "event"]
    batch, single = ps[0][1], ps[3][1]
    assert ps[1][1] is batch and ps[2][1] is batch and single is not batch
    assert (batch.kind, batch.status, batch.closed_by, list(batch.numbers)) == ("event", "event", "done", [1, 2, 3])
    assert batch.describe() == "event batch of 2, DONE"
    assert (single.status, single.describe()) == ("event", "event")
    assert "orphan" not in [t.status for _, t in ps]


def test_nfnetlink_hook_dump_replies_with_port_id_0_pair():
    """`nft list hooks` (issue 14's lab capture): nfnl_hook_dump_one() says port id 0;
    every reply belongs to its dump, and the transaction says why (issue 14 bug 6)."""
    reg = default_registry(entry_points=False)
    msgs = list(Decoder(reg).messages(CaptureReader(FIXTURES / "issue14" / "capture.pcap")))
    hook_replies = [m for m in msgs if m.type == 0x0C00 and not m.flags & REQ]
    assert len(hook_replies) >= 20 and all(m.pid == 0 for m in hook_replies)
    ts = [t for _, t in correlate(msgs, registry=reg)]
    dumps = {t.id: t for t in ts if t.kind == "request" and t.type_name == "NFNL_MSG_HOOK_GET"}
    assert sum(t.replies for t in dumps.values()) == len(hook_replies)
    assert all(t.status in ("ok", "error") for t in dumps.values())
    assert not [t for t in ts if t.protocol == 12 and t.status == "orphan"]
    answered = [t for t in dumps.values() if t.replies]
    assert answered and all("port id 0" in t.describe() and t.to_json()["note"] for t in answered)


# -- trace / eBPF: the socket is known ------------------------------------------------------

def test_trace_pairs_answers_with_port_id_0_within_the_process(reg):
    """The course module answers with nlmsg_pid 0; trace saw the client send the request
    and receive the answer: one transaction (issue 15 item 3)."""
    req = nlmsg(0x11, REQ, 1, 0, b"hello\0\0\0")
    reply = nlmsg(0x11, 0, 1, 0, b"hi back\0")
    done = nlmsg(3, 0, 1, 0, struct.pack("<i", 0))
    frames = [frame(1, 0, 2, req, pid=100, comm="client", direction="out"),
              frame(2, 1000, 2, reply, pid=100, comm="client", direction="in"),
              frame(3, 2000, 2, req, pid=200, comm="other", direction="out"),
              frame(4, 3000, 2, reply, pid=300, comm="listener", direction="in")]
    ps = pairs_of(reg, frames)
    first = ps[0][1]
    assert [m.number for m in first.messages] == [1, 2] and first.status == "ok"
    assert ps[3][1] is not ps[2][1]  # another process's copy answers nothing of pid 200
    # nlmon alone (no process): port id 0 answers nothing, as before
    bare = [frame(1, 0, 2, req), frame(2, 1000, 2, reply)]
    assert [t.role_of(m) for m, t in pairs_of(reg, bare)] == ["request", "event"]


def test_ebpf_socket_pairs_exactly_within_one_process(reg):
    """Two sockets of one process, same seq, answers with port id 0 in the other order:
    the socket (Frame.sock) decides, not the order."""
    req = nlmsg(0x11, REQ | ACK, 9, 0, b"hello\0\0\0")
    err_a = mk.error(-22, req, 0)
    ack_b = mk.error(0, req, 0)
    frames = [frame(1, 0, 2, req, pid=100, direction="out", sock=501),
              frame(2, 10, 2, req, pid=100, direction="out", sock=502),
              frame(3, 20, 2, ack_b, pid=100, direction="in", sock=502),
              frame(4, 30, 2, err_a, pid=100, direction="in", sock=501)]
    ts = list(transactions(Decoder(reg).messages(frames), registry=reg))
    got = {t.sock: ([m.number for m in t.messages], t.status, t.portid) for t in ts}
    assert got == {501: ([1, 4], "error", 501), 502: ([2, 3], "ok", 502)}


# -- bug 3: nl80211's wiped echo -------------------------------------------------------------

NL80211_ID = 0x1C


def genl_decoder(reg):
    from dissectors.genl import genl_family_map_comment
    d = Decoder(reg)
    d.note_comment(genl_family_map_comment({"nl80211": NL80211_ID}))
    return d


def test_nl80211_error_with_wiped_echo(reg):
    """NEW_KEY (cmd 11) carries a key: nl80211_post_doit() zeroes the request's payload
    (NL80211_FLAG_CLEAR_SKB), so the error echoes the header and zeros. No malformed note;
    the pairing names the request."""
    genl = struct.pack("<BBH", 11, 0, 0)
    attrs = nla(3, u32(4)) + nla(7, bytes(range(16))) + nla(8, struct.pack("<B", 0) + bytes(3))
    req = nlmsg(NL80211_ID, REQ | ACK, 77, 0, genl + attrs)
    wiped = req[:16] + bytes(len(req) - 16)
    err = nlmsg(2, 0, 77, 5151, struct.pack("<i", -22) + wiped)
    msgs = list(genl_decoder(reg).messages([frame(1, 0, 16, req), frame(2, 1000, 16, err)]))
    e = msgs[1]
    assert msgs[0].type_name == "nl80211 NEW_KEY"
    assert e.problems == []
    orig = payload(e)["original"]
    assert orig["genlmsghdr"]["cmd"] == 0 and orig["wiped"] == "00" * (len(req) - 20)
    ps = list(correlate(msgs))
    t = ps[0][1]
    assert ps[1][1] is t and (t.status, t.errno_name) == ("error", "EINVAL")
    assert e.summary == "error -22 EINVAL to nl80211 NEW_KEY seq 77 (echo wiped by the kernel)"


def test_nl80211_error_with_whole_echo_is_not_wiped(reg):
    genl = struct.pack("<BBH", 11, 0, 0)
    req = nlmsg(NL80211_ID, REQ | ACK, 78, 0, genl + nla(3, u32(4)))
    err = nlmsg(2, 0, 78, 5151, struct.pack("<i", -22) + req)
    msgs = list(genl_decoder(reg).messages([frame(1, 0, 16, req), frame(2, 1000, 16, err)]))
    list(correlate(msgs))
    assert msgs[1].summary == "error -22 EINVAL to nl80211 NEW_KEY seq 78"
    # cmd 0 with attributes is walked as usual
    odd = nlmsg(NL80211_ID, REQ, 79, 0, struct.pack("<BBH", 0, 0, 0) + nla(3, u32(4)))
    (m,) = genl_decoder(reg).messages([frame(1, 0, 16, odd)])
    assert payload(m)["attributes"]["NL80211_ATTR_IFINDEX"] == 4
