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
    """A frame; `sock`: the socket's port id as trace and eBPF record it (a comment)."""
    from nlscope.capture.ebpf import socket_comment
    raw = mk.cooked(proto) + b"".join(msgs)
    return Frame(n, mk.T0 + ts, proto, raw, orig_len=len(raw), pid=pid, comm=comm, direction=direction,
                 comment=socket_comment(4026531840, sock) if sock is not None else None)


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


def test_nflog_done_payload_is_an_nfgenmsg(reg):
    done = nlmsg(3, 0, 0, 0, nfgenmsg(0, 5))
    (_, _, m) = decode(reg, nflog_packet(b"a"), nflog_packet(b"b"), done, protocol=12)
    p = payload(m)
    assert m.problems == [] and "value" not in p
    assert p["nfgenmsg"]["res_id"] == 5 and p["nfgenmsg"]["nfgen_family"]["name"] == "NFPROTO_UNSPEC"
    assert m.summary == "NLMSG_DONE group 5"
    # a dump's DONE (NLM_F_MULTI) on netfilter stays an errno
    (d,) = decode(reg, nlmsg(3, MULTI, 9, 4242, struct.pack("<i", 0)), protocol=12)
    assert payload(d)["value"] == 0 and d.summary == "NLMSG_DONE 0"


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
    the socket (the frame's `nlsock` comment) decides, not the order."""
    req = nlmsg(0x11, REQ | ACK, 9, 0, b"hello\0\0\0")
    err_a = mk.error(-22, req, 0)
    ack_b = mk.error(0, req, 0)
    frames = [frame(1, 0, 2, req, pid=100, direction="out", sock=501),
              frame(2, 10, 2, req, pid=100, direction="out", sock=502),
              frame(3, 20, 2, ack_b, pid=100, direction="in", sock=502),
              frame(4, 30, 2, err_a, pid=100, direction="in", sock=501)]
    ts = list(transactions(Decoder(reg).messages(frames), registry=reg))
    got = {t.sock[1]: ([m.number for m in t.messages], t.status, t.portid) for t in ts}
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


# -- Open vSwitch ---------------------------------------------------------------------------

OVS_IDS = {"ovs_datapath": 0x20, "ovs_vport": 0x21, "ovs_flow": 0x22, "ovs_packet": 0x23,
           "ovs_meter": 0x24, "ovs_ct_limit": 0x25}


def ovs_decoder(reg):
    from dissectors.genl import genl_family_map_comment
    d = Decoder(reg)
    d.note_comment(genl_family_map_comment({**OVS_IDS, "nl80211": NL80211_ID}))
    return d


def ovs(reg, family, cmd, attrs, flags=REQ, dp=7, pid=0):
    body = struct.pack("<BBH", cmd, 1, 0) + struct.pack("<i", dp) + attrs
    (m,) = ovs_decoder(reg).messages([frame(1, 0, 16, nlmsg(OVS_IDS[family], flags, 5, pid, body))])
    return m


def be16(v):
    return struct.pack(">H", v)


def nest(t, *a):
    return nla(t, b"".join(a), nested=False)


def named_share(m) -> float:
    """Attributes named (not UNKNOWN) over all attributes, anywhere in the tree."""
    total = named = 0

    def walk(fields, in_attrs):
        nonlocal total, named
        for f in fields:
            if in_attrs and f.name not in ("attributes",) and not f.name.isdigit():
                total += 1
                named += "UNKNOWN" not in f.name
            walk(f.children or (), in_attrs or f.name == "attributes" or f.kind == "nest")
    walk(m.tree, False)
    return named / total if total else 1.0


def test_ovs_flow_put_key_mask_actions(reg):
    """A megaflow as ovs-vswitchd installs it: ufid, key (in_port, eth, ipv4, tcp, a
    VXLAN tunnel), mask, actions (set_masked eth, ct with NAT, recirc, output, userspace)."""
    eth = bytes.fromhex("020000000001") + bytes.fromhex("020000000002")
    ipv4 = bytes([10, 0, 0, 1, 10, 0, 0, 2, 6, 0, 64, 0])
    tunnel = nest(16, nla(0, struct.pack(">Q", 42)), nla(2, bytes([192, 0, 2, 9])), nla(10, be16(4789)),
                  nla(5, b""))
    key = nest(1, nla(20, u32(0)), nla(3, u32(2)), nla(4, eth), nla(6, be16(0x0800)), nla(7, ipv4),
               nla(9, be16(40000) + be16(80)), tunnel)
    mask = nest(7, nla(3, u32(0xFFFFFFFF)), nla(6, be16(0xFFFF)), nla(7, bytes(12)))
    set_masked = nla(11, nla(4, bytes.fromhex("0a0000000001" "000000000000") + bytes([0xFF] * 6) + bytes(6)))
    ct = nla(12, nla(1, b"") + nla(2, struct.pack("<H", 5)) + nla(6, nla(1, b"") + nla(3, bytes([10, 0, 0, 9]))))
    actions = nest(2, set_masked, ct, nla(7, u32(3)), nla(1, u32(4)), nla(2, nla(1, u32(3333))))
    ufid = nla(9, bytes(range(16)))
    m = ovs(reg, "ovs_flow", 1, ufid + key + mask + actions, flags=REQ | ACK | 0x400)
    assert m.problems == [] and m.type_name == "ovs_flow NEW"
    p = payload(m)
    assert p["ovs_header"]["dp_ifindex"] == 7
    a = p["attributes"]
    k = a["OVS_FLOW_ATTR_KEY"]
    assert k["OVS_KEY_ATTR_IN_PORT"] == 2
    assert k["OVS_KEY_ATTR_ETHERNET"] == {"eth_src": "02:00:00:00:00:01", "eth_dst": "02:00:00:00:00:02"}
    assert k["OVS_KEY_ATTR_ETHERTYPE"] == {"name": "ETH_P_IP", "value": 0x0800}
    assert k["OVS_KEY_ATTR_IPV4"]["ipv4_src"] == "10.0.0.1" and k["OVS_KEY_ATTR_IPV4"]["ipv4_ttl"] == 64
    assert k["OVS_KEY_ATTR_TCP"] == {"tcp_src": 40000, "tcp_dst": 80}
    t = k["OVS_KEY_ATTR_TUNNEL"]
    assert (t["OVS_TUNNEL_KEY_ATTR_ID"], t["OVS_TUNNEL_KEY_ATTR_IPV4_DST"], t["OVS_TUNNEL_KEY_ATTR_TP_DST"]) == \
        (42, "192.0.2.9", 4789)
    assert t["OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT"] is True
    assert a["OVS_FLOW_ATTR_MASK"]["OVS_KEY_ATTR_IN_PORT"] == 0xFFFFFFFF
    acts = a["OVS_FLOW_ATTR_ACTIONS"]
    sm = acts["OVS_ACTION_ATTR_SET_MASKED"]["OVS_KEY_ATTR_ETHERNET"]
    assert sm["value"]["eth_src"] == "0a:00:00:00:00:01" and sm["mask"]["eth_src"] == "ff:ff:ff:ff:ff:ff"
    assert acts["OVS_ACTION_ATTR_CT"]["OVS_CT_ATTR_ZONE"] == 5
    assert acts["OVS_ACTION_ATTR_CT"]["OVS_CT_ATTR_NAT"]["OVS_NAT_ATTR_IP_MIN"] == "10.0.0.9"
    assert acts["OVS_ACTION_ATTR_RECIRC"] == 3 and acts["OVS_ACTION_ATTR_OUTPUT"] == 4
    assert acts["OVS_ACTION_ATTR_USERSPACE"]["OVS_USERSPACE_ATTR_PID"] == 3333
    assert named_share(m) == 1.0
    assert m.summary == ("ovs_flow NEW dp 7 ufid:000102030405060708090a0b0c0d0e0f in_port(2),"
                         "eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0800),"
                         "ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6),tcp(src=40000,dst=80),"
                         "tunnel(tun_id=0x2a,dst=192.0.2.9) actions:set_masked,ct,recirc(3),4,userspace(pid=3333)")


def test_ovs_upcall_miss_and_execute(reg):
    """An upcall (kernel -> the handler's port id) carries the packet and its key; the
    handler's EXECUTE sends it back with actions."""
    pkt = bytes(60)
    key = nest(2, nla(2, u32(0)), nla(3, u32(1)), nla(15, u32(0)), nla(22, u32(0x21)), nla(23, struct.pack("<H", 0)))
    m = ovs(reg, "ovs_packet", 1, nla(1, pkt) + key + nla(10, u32(60)) + nla(11, struct.pack("<Q", 0x1234)),
            flags=0, pid=0)
    assert m.problems == [] and m.type_name == "ovs_packet MISS"
    a = payload(m)["attributes"]
    assert a["OVS_PACKET_ATTR_KEY"]["OVS_KEY_ATTR_CT_STATE"]["names"] == ["OVS_CS_F_NEW", "OVS_CS_F_TRACKED"]
    assert a["OVS_PACKET_ATTR_LEN"] == 60 and a["OVS_PACKET_ATTR_HASH"] == 0x1234
    assert "60 bytes" in m.summary and "in_port(1)" in m.summary
    ex = ovs(reg, "ovs_packet", 3, nla(1, pkt) + key + nest(3, nla(1, u32(2))) + nla(9, struct.pack("<H", 1500)))
    assert ex.problems == [] and payload(ex)["attributes"]["OVS_PACKET_ATTR_MRU"] == 1500
    assert ex.summary.endswith("actions:2 60 bytes")


def test_ovs_datapath_vport_meter_ct_limit(reg):
    stats = struct.pack("<4Q", 100, 5, 1, 3)
    mega = struct.pack("<QIIQQ", 90, 2, 0, 80, 0)
    dp = ovs(reg, "ovs_datapath", 1, nla(1, b"ovs-system\0") + nla(2, u32(0)) + nla(3, stats) + nla(4, mega)
             + nla(5, u32(0b1011)) + nla(7, u32(256)) + nla(8, u32(11) + u32(12)), flags=0, pid=900)
    assert dp.problems == []
    a = payload(dp)["attributes"]
    assert a["OVS_DP_ATTR_USER_FEATURES"]["names"] == ["OVS_DP_F_UNALIGNED", "OVS_DP_F_VPORT_PIDS",
                                                       "OVS_DP_F_DISPATCH_UPCALL_PER_CPU"]
    assert a["OVS_DP_ATTR_PER_CPU_PIDS"] == [11, 12] and a["OVS_DP_ATTR_MEGAFLOW_STATS"]["n_masks"] == 2
    assert dp.summary == "ovs_datapath NEW dp 7 ovs-system lookups: hit:100 missed:5 lost:1 flows: 3"
    vp = ovs(reg, "ovs_vport", 1, nla(1, u32(3)) + nla(2, u32(4)) + nla(3, b"vxlan_sys_4789\0")
             + nla(4, nla(1, struct.pack("<H", 4789)) + nla(2, nla(1, b""))) + nla(5, u32(77))
             + nla(6, struct.pack("<8Q", *range(8))) + nla(8, u32(9)) + nla(9, struct.pack("<i", -1))
             + nla(10, nla(0, struct.pack("<Q", 4)) + nla(1, struct.pack("<Q", 0))), flags=0, pid=900)
    assert vp.problems == [] and vp.summary == "ovs_vport NEW dp 7 port 3: vxlan_sys_4789 (vxlan)"
    a = payload(vp)["attributes"]
    assert a["OVS_VPORT_ATTR_OPTIONS"]["OVS_TUNNEL_ATTR_DST_PORT"] == 4789
    assert a["OVS_VPORT_ATTR_UPCALL_PID"] == [77] and a["OVS_VPORT_ATTR_NETNSID"] == -1
    assert a["OVS_VPORT_ATTR_UPCALL_STATS"] == {"OVS_VPORT_UPCALL_ATTR_SUCCESS": 4, "OVS_VPORT_UPCALL_ATTR_FAIL": 0}
    band = nla(0, nla(1, u32(1)) + nla(2, u32(1000)) + nla(3, u32(100)) + nla(4, struct.pack("<QQ", 2, 3)))
    mt = ovs(reg, "ovs_meter", 2, nla(1, u32(1)) + nla(2, b"") + nla(4, band), flags=REQ | ACK)
    assert mt.problems == []
    bands = payload(mt)["attributes"]["OVS_METER_ATTR_BANDS"]
    assert bands[0]["OVS_BAND_ATTR_TYPE"]["name"] == "OVS_METER_BAND_TYPE_DROP"
    assert bands[0]["OVS_BAND_ATTR_STATS"] == {"n_packets": 2, "n_bytes": 3}
    cl = ovs(reg, "ovs_ct_limit", 1, nla(1, struct.pack("<iII", -1, 10, 0) + struct.pack("<iII", 5, 3, 1)))
    assert cl.problems == [] and cl.summary == "ovs_ct_limit SET dp 7 zone default limit 10 count 0 zone 5 limit 3 count 1"


# -- IPVS -------------------------------------------------------------------------------------

IPVS_ID = 0x26


def ipvs(reg, cmd, attrs, flags=REQ | ACK):
    from dissectors.genl import genl_family_map_comment
    d = Decoder(reg)
    d.note_comment(genl_family_map_comment({"IPVS": IPVS_ID}))
    (m,) = d.messages([frame(1, 0, 16, nlmsg(IPVS_ID, flags, 3, 0, struct.pack("<BBH", cmd, 1, 0) + attrs))])
    return m


def u16(v):
    return struct.pack("<H", v)


def test_ipvs_service_and_destination(reg):
    """ipvsadm -A -t 10.0.0.1:80 -s rr -p 300; ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:8080 -g -w 2,
    laid out as libipvs sends them (16-byte nf_inet_addr, be16 ports, ip_vs_flags)."""
    svc = nla(1, nla(1, u16(2)) + nla(2, u16(6)) + nla(3, bytes([10, 0, 0, 1]) + bytes(12)) + nla(4, be16(80))
              + nla(6, b"rr\0") + nla(7, struct.pack("<II", 1, 0xFFFFFFFF)) + nla(8, u32(300))
              + nla(9, struct.pack(">I", 0xFFFFFFFF)))
    m = ipvs(reg, 1, svc)
    assert m.problems == [] and m.type_name == "IPVS NEW_SERVICE"
    s = payload(m)["attributes"]["IPVS_CMD_ATTR_SERVICE"]
    assert s["IPVS_SVC_ATTR_ADDR"] == "10.0.0.1" and s["IPVS_SVC_ATTR_PORT"] == 80
    assert s["IPVS_SVC_ATTR_PROTOCOL"]["name"] == "IPPROTO_TCP"
    assert s["IPVS_SVC_ATTR_FLAGS"]["flags"]["names"] == ["IP_VS_SVC_F_PERSISTENT"]
    assert m.summary == "IPVS NEW_SERVICE TCP 10.0.0.1:80 rr persistent 300"
    dest = nla(2, nla(1, bytes([10, 0, 1, 1]) + bytes(12)) + nla(2, be16(8080)) + nla(3, u32(3)) + nla(4, u32(2))
               + nla(5, u32(0)) + nla(6, u32(0)) + nla(11, u16(2)))
    d = ipvs(reg, 5, svc + dest)
    assert d.problems == []
    assert payload(d)["attributes"]["IPVS_CMD_ATTR_DEST"]["IPVS_DEST_ATTR_FWD_METHOD"]["name"] == "IP_VS_CONN_F_DROUTE"
    assert d.summary.endswith("-> 10.0.1.1:8080 Route weight 2")
    v6 = nla(1, nla(1, u16(10)) + nla(2, u16(17)) + nla(3, bytes.fromhex("20010db8" + "00" * 11 + "01"))
             + nla(4, be16(53)) + nla(6, b"wlc\0"))
    assert ipvs(reg, 1, v6).summary == "IPVS NEW_SERVICE UDP [2001:db8::1]:53 wlc"


def test_ipvs_dump_reply_stats_daemon_info_timeouts(reg):
    stats = nla(10, b"".join(nla(i, u32(i)) for i in (1, 2, 3, 6, 7, 8, 9, 10))
                + nla(4, struct.pack("<Q", 4000)) + nla(5, struct.pack("<Q", 5000)))
    stats64 = nla(12, b"".join(nla(i, struct.pack("<Q", i)) for i in range(1, 11)))
    svc = nla(1, nla(1, u16(2)) + nla(5, u32(7)) + nla(6, b"sh\0") + stats + stats64)
    r = ipvs(reg, 1, svc, flags=MULTI)
    assert r.problems == [] and r.summary == "IPVS NEW_SERVICE FWM 7 sh"
    s = payload(r)["attributes"]["IPVS_CMD_ATTR_SERVICE"]
    assert s["IPVS_SVC_ATTR_STATS"]["IPVS_STATS_ATTR_INBYTES"] == 4000
    assert s["IPVS_SVC_ATTR_STATS64"]["IPVS_STATS_ATTR_OUTBPS"] == 10
    daemon = nla(3, nla(1, u32(1)) + nla(2, b"eth0\0") + nla(3, u32(9)) + nla(4, u16(1472))
                 + nla(5, bytes([224, 0, 0, 81])) + nla(7, u16(8848)) + nla(8, bytes([1])))
    dm = ipvs(reg, 9, daemon)
    assert dm.problems == [] and dm.summary == "IPVS NEW_DAEMON master mcast-interface=eth0 syncid=9"
    assert payload(dm)["attributes"]["IPVS_CMD_ATTR_DAEMON"]["IPVS_DAEMON_ATTR_MCAST_GROUP"] == "224.0.0.81"
    info = ipvs(reg, 14, nla(1, u32(0x010201)) + nla(2, u32(4096)), flags=0)
    assert info.problems == [] and info.summary == "IPVS SET_INFO version 1.2.1 size=4096"
    cfg = ipvs(reg, 12, nla(4, u32(900)) + nla(5, u32(120)) + nla(6, u32(300)), flags=0)
    assert cfg.summary == "IPVS SET_CONFIG timeout 900 120 300"


# -- names from iproute2's files ----------------------------------------------------------------

def test_iproute2_names_read_as_ip_route_does(tmp_path, monkeypatch, reg):
    from nlscope.dissectors import iproute2_names as names  # the registry's copy
    etc, usr = tmp_path / "etc", tmp_path / "usr"
    for d in (etc / "rt_protos.d", usr / "rt_protos.d", usr / "rt_tables.d"):
        d.mkdir(parents=True)
    (usr / "rt_protos").write_text("# shipped\n4 static\n12 bird\n")
    (etc / "rt_protos").write_text("0x0c\tbird2   # local name wins over the shipped file\n4 static\n")
    (usr / "rt_protos.d" / "frr.conf").write_text("186 bgp\n196 static\n197 sharp\n")
    (etc / "rt_protos.d" / "local.conf").write_text("197 mysharp\n300 toobig\n")
    (etc / "rt_protos.d" / "ignored.txt").write_text("198 nope\n")
    (usr / "rt_tables").write_text("255 local\n254 main\n100 vrf-red\n")
    (usr / "rt_tables.d" / "big.conf").write_text("4000000000 huge\n")
    (etc / "rt_realms").write_text("0 cosmos\n7 campus\n")
    monkeypatch.setattr(names, "DIRS", (str(etc), str(usr)))
    for f in (names.protocols, names.tables, names.realms):
        f.cache_clear()
    try:
        assert names.proto_word(12) == "bird2"  # /etc's file, not /usr's
        assert names.proto_word(196) == "static" and names.proto_word(197) == "mysharp"
        assert names.proto_word(198) == 198 and names.proto_word(11) == "zebra"  # kernel fallback
        assert names.table_word(100) == "vrf-red" and names.table_word(4000000000) == "huge"
        assert names.realms_text((7 << 16) | 0) == "realms campus/cosmos"
        assert names.realms_text(7) == "realm campus"
        # a route installed by FRR's staticd, as `ip route` would word it
        rt = struct.pack("<BBBBBBBBI", 2, 24, 0, 0, 100, 196, 0, 1, 0)
        m = one(reg, 24, MULTI, rt + nla(1, bytes([10, 1, 0, 0])) + nla(11, u32(7)) + nla(15, u32(100)), pid=9)
        assert "table vrf-red" in m.summary and "proto static" in m.summary
        assert payload(m)["attributes"]["RTA_FLOW"]["name"] == "realm campus"
    finally:
        for f in (names.protocols, names.tables, names.realms):
            f.cache_clear()


# -- ipset's own error codes -------------------------------------------------------------------

def test_ipset_private_errors_named(reg):
    """`ipset add s 10.0.0.1` twice: the kernel answers -IPSET_ERR_EXIST (-4103); a
    bitmap:ip add out of range -IPSET_ERR_BITMAP_RANGE (-4352), whose number the hash and
    list types use for their own first error."""
    from nlscope.dissectors import nf_ipset
    assert nf_ipset.errno_name(-4103) == "IPSET_ERR_EXIST" and nf_ipset.errno_name(-4096) == "IPSET_ERR_PRIVATE"
    assert nf_ipset.errno_name(-4352, "bitmap:ip") == "IPSET_ERR_BITMAP_RANGE"
    assert nf_ipset.errno_name(-4352) == "IPSET_ERR_BITMAP_RANGE/IPSET_ERR_HASH_FULL/IPSET_ERR_NAME"
    assert nf_ipset.errno_name(-4357, "hash:net") == "IPSET_ERR_HASH_RANGE" and nf_ipset.errno_name(-4358) is None
    nfg = struct.pack("<BBH", 2, 0, 0)
    add = nlmsg((6 << 8) | 9, REQ | ACK, 40, 0, nfg + nla(1, bytes([7])) + nla(2, b"s\0")
                + nla(7, nla(1, nla(1, bytes([10, 0, 0, 1]), nested=False), nested=False)))
    err = nlmsg(2, 0, 40, 777, struct.pack("<i", -4103) + add)
    ps = list(correlate(Decoder(reg).messages([frame(1, 0, 12, add), frame(2, 10, 12, err)]), registry=reg))
    t = ps[0][1]
    assert ps[1][1] is t and (t.status, t.errno, t.errno_name) == ("error", 4103, "IPSET_ERR_EXIST")
    assert ps[1][0].summary.startswith("error -4103 IPSET_ERR_EXIST to IPSET_CMD_ADD")
    assert "IPSET_ERR_EXIST (-4103)" in t.describe()


def test_get_requests_reusing_seq_and_own_port_id_are_requests(reg):
    """ovs-vswitchd asks nlctrl for each family with seq 1 and its own port id: every
    GETFAMILY is a request with its own reply, none a 'copied' notification."""
    frames = []
    for i, fam in enumerate([b"ovs_datapath", b"ovs_vport", b"ovs_flow"]):
        req = nlmsg(0x10, REQ, 1, 203, struct.pack("<BBH", 3, 1, 0) + nla(2, fam + b"\0"))
        rep = nlmsg(0x10, 0, 1, 203, struct.pack("<BBH", 1, 2, 0) + nla(2, fam + b"\0") + nla(1, u16(36 + i)))
        frames += [frame(2 * i + 1, 10 * i, 16, req), frame(2 * i + 2, 10 * i + 5, 16, rep)]
    ps = pairs_of(reg, frames)
    assert [t.role_of(m) for m, t in ps] == ["request", "reply"] * 3
    assert all(t.status == "ok" for _, t in ps)


def test_getqdisc_of_a_builtin_qdisc_is_unanswered_and_says_why(reg):
    """RTM_GETQDISC with ECHO for br0's noop qdisc (ovs-vswitchd, 6.12): tc_get_qdisc()
    sends nothing for a TCQ_F_BUILTIN qdisc and no ACK was asked."""
    tcmsg = struct.pack("<BxxxiIII", 0, 6, 0, 0xFFFFFFFF, 0)
    get = nlmsg(38, REQ | 0x8, 17, 2255654272, tcmsg)
    later = nlmsg(37, REQ, 18, 2255654272, tcmsg)
    err = mk.error(-2, later, 2255654272)
    ps = pairs_of(reg, [frame(1, 0, 0, get), frame(2, 10, 0, later), frame(3, 20, 0, err)])
    t = ps[0][1]
    assert t.status == "unanswered"
    assert t.describe() == "get -> the kernel answers nothing for a built-in qdisc unanswered"
    assert t.to_json()["note"] == "the kernel answers nothing for a built-in qdisc"
    assert "note" not in ps[1][1].to_json()
