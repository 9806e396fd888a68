"""Transactions: pairing requests with replies, DONE, ACKs, errors and notifications.

Hand-made captures (tests/fixtures/make_txn_fixtures.py) hold the hard cases with the
pairing known by construction; the real captures in samples/ are checked against what
the tools printed (their logs and JSON outputs)."""
from __future__ import annotations

import gc
import itertools
import json
import os
import re
import subprocess
import sys
import weakref

import pytest
from conftest import FIXTURES, ROOT, SAMPLES, committed
from construct import Int8un, Int32sn, Int32un, Int16un, Struct
from fixtures import make_txn_fixtures as mk

from nlscope.decode.decoder import Decoder
from nlscope.output.export import message_to_json
from nlscope.capture.frame import Frame
from nlscope.decode.nla import Attr, AttrSet, FixedHeader
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import MessageType, Protocol, Registry, default_registry
from nlscope.analysis.transactions import Tracker, correlate, link_json, transactions

# A route family of the test's own (kinds and a few attributes), so pairing is tested
# apart from the rtnetlink dissector's tables.
RTMSG = FixedHeader("rtmsg", Struct("rtm_family" / Int8un, "rtm_dst_len" / Int8un, "rtm_src_len" / Int8un,
                                    "rtm_tos" / Int8un, "rtm_table" / Int8un, "rtm_protocol" / Int8un,
                                    "rtm_scope" / Int8un, "rtm_type" / Int8un, "rtm_flags" / Int32un))
IFI = FixedHeader("ifinfomsg", Struct("ifi_family" / Int8un, "pad" / Int8un, "ifi_type" / Int16un,
                                      "ifi_index" / Int32sn, "ifi_flags" / Int32un, "ifi_change" / Int32un))
RTA = AttrSet("rta", {1: Attr("RTA_DST", "ipaddr"), 4: Attr("RTA_OIF", "u32"), 5: Attr("RTA_GATEWAY", "ipaddr")})
IFLA = AttrSet("ifla", {3: Attr("IFLA_IFNAME", "string")})


def route_registry() -> Registry:
    reg = Registry()
    kinds = {16: ("RTM_NEWLINK", "new", IFI, IFLA), 18: ("RTM_GETLINK", "get", IFI, IFLA),
             20: ("RTM_NEWADDR", "new", None, None), 21: ("RTM_DELADDR", "del", None, None),
             22: ("RTM_GETADDR", "get", None, None), 24: ("RTM_NEWROUTE", "new", RTMSG, RTA),
             25: ("RTM_DELROUTE", "del", RTMSG, RTA), 26: ("RTM_GETROUTE", "get", RTMSG, RTA),
             28: ("RTM_NEWNEIGH", "new", None, None), 30: ("RTM_GETNEIGH", "get", None, None)}
    reg.add(Protocol(0, "route", {t: MessageType(n, k, h, a) for t, (n, k, h, a) in kinds.items()}))
    return reg


def decoded(path, registry=None):
    return Decoder(registry or route_registry()).messages(CaptureReader(path))


@pytest.fixture(scope="module")
def hard():
    return list(transactions(decoded(FIXTURES / "txn-hard.pcap")))


def test_fixtures_are_what_the_generator_makes():
    for name, data in mk.build().items():
        assert (FIXTURES / name).read_bytes() == data, f"re-run tests/fixtures/make_txn_fixtures.py ({name})"


def test_hard_cases_pair_as_built(hard):
    assert len(hard) == len(mk.EXPECTED_HARD)
    for t, want in zip(hard, mk.EXPECTED_HARD):
        got = {"kind": t.kind, "type": t.type_name, "seq": t.seq, "status": t.status,
               "msgs": [m.number for m in t.messages]}
        if "portid" in want:
            got["portid"] = t.portid
        for extra in ("replies", "latency_ns", "first_latency_ns", "errno", "errno_name", "extack",
                      "error_attr", "events", "caused_by"):
            if extra in want:
                got[extra] = getattr(t, extra)
        assert got == want, f"transaction {t.id}"


def test_every_message_has_its_role():
    pairs = list(correlate(decoded(FIXTURES / "txn-hard.pcap")))
    assert [m.number for m, _ in pairs] == list(range(1, len(mk.EXPECTED_ROLES) + 1))  # capture order
    assert [t.role_of(m) for m, t in pairs] == mk.EXPECTED_ROLES


def test_port_id_learned_from_first_reply(hard):
    t = hard[0]
    assert t.request.pid == 0 and t.portid == 5001
    assert link_json(t.request, t)["portid"] == 5001


def test_capped_error_offset_named_from_paired_request():
    pairs = list(correlate(decoded(FIXTURES / "txn-hard.pcap")))
    err, t = pairs[27]
    assert err.flag_names == ["CAPPED", "ACK_TLVS"]
    assert t.error_attr == "RTA_GATEWAY"
    assert err.summary.endswith('"Nexthop has invalid gateway" at RTA_GATEWAY')
    j = message_to_json(err, t)
    assert j["payload"]["extack"]["NLMSGERR_ATTR_OFFS"] == {"name": "RTA_GATEWAY", "value": 36}
    assert j["txn"]["error_attr"] == "RTA_GATEWAY" and j["txn"]["reply_to"] == 27


def test_uncapped_error_offset_comes_from_the_core():
    # golden.pcapng: RTM_NEWROUTE seq 1002 fails with the request inside the error.
    t = next(t for t in transactions(decoded(FIXTURES / "golden.pcapng")) if t.seq == 1002)
    assert (t.status, t.errno_name, t.error_attr, t.extack) == (
        "error", "ENETUNREACH", "RTA_GATEWAY", "Nexthop has invalid gateway")


def test_golden_capture_transactions():
    ts = list(transactions(decoded(FIXTURES / "golden.pcapng")))
    assert [(t.type_name, t.status, t.expects, [m.number for m in t.messages]) for t in ts] == [
        ("RTM_GETLINK", "ok", "dump", [1, 2, 3, 4]),
        ("RTM_NEWROUTE", "error", "ack", [5, 6]),
        ("RTM_NEWROUTE", "ok", "ack", [7, 8]),
        ("RTM_DELADDR", "error", "ack", [9, 10]),
        ("UNKNOWN(20)", "unanswered", "ack", [13]),
    ]


def test_json_links_both_ways():
    pairs = {m.number: (m, t) for m, t in correlate(decoded(FIXTURES / "txn-hard.pcap"))}
    req = link_json(*pairs[16])  # the route dump
    assert req == {"id": req["id"], "role": "request", "status": "ok", "expects": "dump", "reply_in": 18,
                   "end_in": 24, "replies": 3, "latency_ns": 800_000, "first_latency_ns": 200_000,
                   "portid": 7001}
    assert link_json(*pairs[20])["reply_to"] == 16 and link_json(*pairs[24])["role"] == "done"
    ev = link_json(*pairs[32])
    assert ev["role"] == "event" and ev["caused_by"] == 29 and "reply_to" not in ev
    assert link_json(*pairs[29])["events"] == [30]
    assert link_json(*pairs[45])["status"] == "unanswered"


def test_a_slow_answer_is_not_expired():
    """A request answered 10 s later (module autoload under TCG took 6-16 s in the lab)
    keeps its answer: no 5 s clock ends it; the request that expects nothing does end."""
    ts = list(transactions(decoded(FIXTURES / "txn-expire.pcap")))
    assert [(t.type_name, t.status, t.closed_by) for t in ts] == [
        ("RTM_NEWROUTE", "ok", "ack"),
        ("RTM_DELADDR", "no_reply", "expired"),
        ("RTM_NEWROUTE", "ok", "ack"),
    ]
    assert ts[0].latency_ns == 10_002 * mk.MS


def _frames_pcap(tmp_path, frames) -> str:
    path = tmp_path / "t.pcap"
    path.write_bytes(mk.pcap_ns(frames))
    return str(path)


def test_a_request_ends_when_its_socket_moves_on(tmp_path):
    """The kernel answers one socket's requests in order: once a later request of the
    same socket (its port id in its own header here) is answered, an earlier one that
    got nothing never will be; it is unanswered at once, not after a clock."""
    pid = 5150
    first = mk.route_req(1, mk.REQ | mk.ACK)
    first = first[:12] + pid.to_bytes(4, "little") + first[16:]
    second = mk.route_req(2, mk.REQ | mk.ACK)
    second = second[:12] + pid.to_bytes(4, "little") + second[16:]
    other = mk.route_req(3, mk.REQ | mk.ACK)  # port id 0: its socket is unknown
    path = _frames_pcap(tmp_path, [(0, 0, first), (1 * mk.MS, 0, other), (2 * mk.MS, 0, second),
                                   (3 * mk.MS, 0, mk.error(0, second, pid))])
    seen = []
    for m, t in correlate(decoded(path)):
        seen.append((m.number, t.status, t.closed_by))
    assert seen[0] == (1, "unanswered", "superseded")
    assert seen[1] == (2, "unanswered", "end")  # nothing says its socket moved on: the end does
    assert seen[2:] == [(3, "ok", "ack"), (4, "ok", "ack")]


def test_expiry_mid_capture(tmp_path):
    """Past the time bound, an unanswered request expires mid-capture, and an answer
    after that is an orphan."""
    req = mk.route_req(1, mk.REQ | mk.ACK | mk.CREATE | mk.EXCL)
    later = mk.route_req(2, mk.REQ | mk.ACK | mk.CREATE | mk.EXCL)
    path = _frames_pcap(tmp_path, [(0, 0, req), (140_000 * mk.MS, 0, later),
                                   (140_001 * mk.MS, 0, mk.error(0, later, 4242)),
                                   (140_002 * mk.MS, 0, mk.error(0, req, 4242))])
    ts = list(transactions(decoded(path)))
    assert [(t.type_name, t.status, t.closed_by) for t in ts] == [
        ("RTM_NEWROUTE", "unanswered", "expired"),
        ("RTM_NEWROUTE", "ok", "ack"),
        ("NLMSG_ERROR", "orphan", "ack"),  # the late ACK found no open request
    ]


def test_count_limit_is_the_end_of_the_capture():
    msgs = itertools.islice(decoded(FIXTURES / "golden.pcapng"), 2)
    (t,) = transactions(msgs)
    assert (t.status, t.replies, t.closed_by) == ("incomplete", 1, "end")


# -- a trace source knows the process and direction: pairing uses them exactly ------------

def _frame(n, ts, data, pid, comm, direction):
    raw = mk.cooked(0) + data
    return Frame(n, mk.T0 + ts, 0, raw, orig_len=len(raw), pid=pid, comm=comm, direction=direction)


def test_trace_source_pairs_by_process():
    # Two processes dump links with the same seq; the kernel answers the second first.
    # nlmon alone cannot tell them apart (port id 0 in both requests); the trace can.
    get = mk.nlmsg(mk.GETLINK, mk.REQ | mk.DUMP, 1, 0, mk.ifinfomsg(0))
    frames = [
        _frame(1, 0, get, 100, "ip", "out"),
        _frame(2, 10, get, 200, "ip", "out"),
        _frame(3, 20, mk.link(1, 2002, 1, b"lo"), 200, "ip", "in"),
        _frame(4, 30, mk.done(1, 2002), 200, "ip", "in"),
        _frame(5, 40, mk.link(1, 1001, 1, b"lo"), 100, "ip", "in"),
        _frame(6, 50, mk.done(1, 1001), 100, "ip", "in"),
    ]
    ts = list(transactions(Decoder(route_registry()).messages(frames)))
    assert [(t.pid, t.portid, [m.number for m in t.messages], t.status) for t in ts] == [
        (100, 1001, [1, 5, 6], "ok"), (200, 2002, [2, 3, 4], "ok")]


def test_trace_source_tells_echo_from_multicast_copy():
    req = mk.route_req(5, mk.REQ | mk.ACK | mk.ECHO | mk.CREATE)
    note = mk.nlmsg(mk.NEWROUTE, 0, 5, 3003, req[16:])
    frames = [
        _frame(1, 0, req, 300, "ip", "out"),
        _frame(2, 10, note, 400, "ip-monitor", "in"),  # the copy a listener got
        _frame(3, 20, note, 300, "ip", "in"),  # the echo
        _frame(4, 30, mk.error(0, req, 3003), 300, "ip", "in"),
    ]
    pairs = list(correlate(Decoder(route_registry()).messages(frames)))
    assert [t.role_of(m) for m, t in pairs] == ["request", "event", "reply", "ack"]
    assert pairs[1][1].caused_by == 1 and pairs[0][1].replies == 1


# -- streaming -------------------------------------------------------------------------

def _busy_frames(n_txn: int):
    """n_txn route adds with ACKs from ten processes, seqs reused, a notification each."""
    n = 0
    for i in range(n_txn):
        seq = i % 50
        portid = 1000 + i % 10
        req = mk.route_req(seq, mk.REQ | mk.ACK | mk.CREATE)
        for data in (req, mk.nlmsg(mk.NEWROUTE, 0, seq, portid, req[16:]), mk.error(0, req, portid)):
            n += 1
            yield Frame(n, mk.T0 + n * 1000, 0, mk.cooked(0) + data)
    # one request that never gets an answer, in the middle of nothing


def test_streaming_keeps_only_open_transactions():
    tr = Tracker()
    lag = 0
    fed = 0

    def counting(it):
        nonlocal fed
        for m in it:
            fed += 1
            yield m
    done = 0
    for m, t in correlate(counting(Decoder(route_registry()).messages(_busy_frames(5_000))), tr):
        lag = max(lag, fed - m.number)
        assert tr.open_count <= 2
        if t.kind == "request" and m is t.request:
            done += 1
            assert t.status == "ok" and len(t.messages) == 2 and len(t.events) == 1
    assert done == 5_000 and lag <= 3  # nothing waits longer than its own transaction
    assert len(tr._recent) <= tr.recent_max


def test_emitted_transactions_are_released():
    tr = Tracker()
    refs = []
    for i, (m, t) in enumerate(correlate(Decoder(route_registry()).messages(_busy_frames(3_000)), tr)):
        if i % 300 == 0:
            refs.append(weakref.ref(t))
        assert len(tr._open) <= 2
    del m, t
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert not alive, alive


def test_an_open_request_blocks_output_only_until_it_expires():
    req = mk.route_req(9, mk.REQ | mk.ACK)
    frames = [Frame(1, mk.T0, 0, mk.cooked(0) + req)]
    frames += [Frame(i, mk.T0 + i * 1000, 0, mk.cooked(0) + mk.link(0, 0, i, b"x", flags=0))
               for i in range(2, 60)]
    tr = Tracker(max_gap=20)
    out = []
    fed = 0

    def counting(it):
        nonlocal fed
        for m in it:
            fed += 1
            yield m
    for m, t in correlate(counting(Decoder(route_registry()).messages(frames)), tr):
        out.append((m.number, fed))
    assert out[0] == (1, 22)  # released after 21 more messages, not at the end (59)
    assert out[0][0] == 1 and [n for n, _ in out] == list(range(1, 60))


# -- real captures (samples/, made in the VM lab by samples/generate.py) ------------------

SAMPLE_NAMES = ["iproute2", "tc", "sock_diag", "genl", "netfilter", "xfrm", "mixed"]


def _sample(name):
    path = SAMPLES / f"{name}.pcapng"
    return committed(path)


def log_blocks(path):
    """(command, output, exit status, start time ns) for each command of a scenario log."""
    text = path.read_text()
    out = []
    for m in re.finditer(r"^\$ (.*?)\n(.*?)^\[exit (\d+); t=(\d+)\.(\d+)\]$", text, re.M | re.S):
        frac = m.group(5).ljust(9, "0")[:9]
        out.append((m.group(1), m.group(2), int(m.group(3)), int(m.group(4)) * 10**9 + int(frac)))
    return out


@pytest.fixture(scope="module")
def sample_txns():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = list(transactions(Decoder(default_registry()).messages(CaptureReader(_sample(name)))))
        return cache[name]
    return get


def _windows(name, txns):
    blocks = log_blocks(SAMPLES / f"{name}.log")
    for i, (cmd, output, rc, t0) in enumerate(blocks):
        t1 = blocks[i + 1][3] if i + 1 < len(blocks) else 1 << 80
        yield cmd, output, rc, [t for t in txns if t.request is not None and t0 <= t.request.frame.ts_ns < t1]


# What a tool printed about a kernel error -> (errno or None, extack text or None).
_TOOL_ERRORS = [
    (re.compile(r"^Error: (?!Could not process rule)(.*)\.$", re.M), lambda g: (None, g)),
    (re.compile(r"^RTNETLINK answers: (.*)$", re.M), lambda g: (g, None)),
    (re.compile(r"^Error: Could not process rule: (.*)$", re.M), lambda g: (g, None)),
    (re.compile(r"command failed: .*\((-\d+)\)$", re.M), lambda g: (os.strerror(-int(g)), None)),
    (re.compile(r"^netlink error: (.*?)(?: \(offset \d+\))?$", re.M), lambda g: (g, None)),
]


# Commands whose error the tool finds itself, before any netlink (iw resolves the
# interface name with if_nametoindex, as ip does for `ip neigh ... dev nosuchdev`).
_USERSPACE_ERRORS = re.compile(r"^iw dev nosuch\w* ")


def _expected_errors(cmd, output):
    if _USERSPACE_ERRORS.match(cmd):
        return
    for rx, make in _TOOL_ERRORS:
        for m in rx.finditer(output):
            yield m.group(0), make(m.group(1))


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_every_request_answered(name, sample_txns):
    ts = sample_txns(name)
    assert ts
    bad = [t for t in ts if t.status in ("unanswered", "incomplete", "orphan")]
    assert not bad, bad[:5]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_errors_the_tools_printed(name, sample_txns):
    """Every kernel error a tool printed is an error transaction of that command."""
    checked = 0
    for cmd, output, rc, mine in _windows(name, sample_txns(name)):
        for line, (strerror, extack) in _expected_errors(cmd, output):
            errs = [t for t in mine if t.status == "error"]
            ok = [t for t in errs
                  if (strerror is None or os.strerror(t.errno) == strerror or t.extack == strerror)
                  and (extack is None or t.extack == extack)]
            if strerror and strerror.startswith("requested channel count"):
                ok = [t for t in errs if t.extack == strerror]
            assert ok, f"{name}: `{cmd}` printed {line!r}; its errors: {[(t.errno_name, t.extack) for t in errs]}"
            checked += 1
    if name in ("iproute2", "tc", "genl", "xfrm", "netfilter", "mixed"):
        assert checked, "the log names errors: none checked"


def test_sample_ethtool_extack_offset_names_the_attribute(sample_txns):
    """ethtool printed `requested channel count exceeds maximum (offset 36)`."""
    (t,) = [t for t in sample_txns("genl") if t.extack == "requested channel count exceeds maximum"]
    assert t.errno_name == "EINVAL" and t.error_attr == "ETHTOOL_A_CHANNELS_RX_COUNT"
    end = next(m for m in t.messages if m.number == t.end)
    offs = [f for f in end.tree[-1].children if f.name == "NLMSGERR_ATTR_OFFS"]
    assert offs[0].value == 36


@pytest.mark.parametrize("what,jsonfile,request_type,count", [
    ("link", "iproute2.ip-link.json", "RTM_GETLINK", lambda j: len(j)),
    ("addr", "iproute2.ip-addr.json", "RTM_GETADDR", lambda j: sum(len(i.get("addr_info", [])) for i in j)),
])
def test_sample_dump_replies_match_ip_json(what, jsonfile, request_type, count, sample_txns):
    """`ip -j -p link/addr show` printed what the dump's replies held, one per entry."""
    path = committed(SAMPLES / jsonfile)
    want = count(json.loads(path.read_text()))
    (mine,) = [m for c, _, _, m in _windows("iproute2", sample_txns("iproute2")) if c.startswith(f"ip -j -p {what} show")]
    dumps = [t for t in mine if t.type_name == request_type and t.dump]
    assert len(dumps) == 1 and dumps[0].status == "ok" and dumps[0].end_type == 3
    assert dumps[0].replies == want


def test_sample_notifications_linked_to_their_request(sample_txns):
    """With `ip monitor` listening, rtnetlink's notification of a change carries the
    requester's seq and port id: linked to the request (ip rule add/del, route add...)."""
    ts = sample_txns("iproute2")
    by_number = {t.number: t for t in ts}
    caused = [t for t in ts if t.kind == "event" and t.caused_by is not None]
    assert len(caused) >= 10
    for ev in caused:
        req = by_number[ev.caused_by]
        assert req.kind == "request" and req.seq == ev.seq and req.portid == ev.messages[0].pid
    # `ip route flush table 100` deletes without asking for an ACK: nothing expected, one event.
    flush = [t for t in ts if t.kind == "request" and t.type_name == "RTM_DELROUTE" and t.expects == "none"]
    assert flush and all(t.status == "no_reply" and t.events for t in flush)


def test_samples_cli_and_library_agree():
    path = _sample("mixed")
    r = subprocess.run([sys.executable, "-m", "nlscope", "read", "--transactions", str(path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    numbers = [int(ln.split()[0]) for ln in r.stdout.splitlines()[1:]]
    pairs = list(correlate(Decoder(default_registry()).messages(CaptureReader(path))))
    want = [m.number for m, t in pairs if t is None or m is t.messages[0]]
    assert numbers == want


def test_real_trace_capture_pairs_within_the_process():
    """tests/fixtures/trace/client.strace: a client sending dumps and GETs every way
    the syscalls allow (sendmmsg, recvmmsg, MSG_PEEK...), traced with strace."""
    from nlscope.capture import trace
    path = committed(FIXTURES / "trace" / "client.strace")
    with open(path) as f:
        frames = list(trace.StraceParser().parse(f))
    ts = list(transactions(Decoder(default_registry()).messages(frames)))
    requests = [t for t in ts if t.kind == "request"]
    assert len(requests) >= 5 and all(t.status == "ok" for t in ts)
    for t in requests:
        assert t.pid is not None and all(m.frame.pid == t.pid for m in t.messages)
        assert t.portid is not None and [m.frame.direction for m in t.messages[1:]] == ["in"] * (len(t.messages) - 1)


def test_tc_notification_repeating_the_request_flags():
    """tc's notifications carry the request's flags, NLM_F_REQUEST too: with the
    requester's port id where the request said 0, they are notifications (or the echo)."""
    pairs = list(correlate(decoded(FIXTURES / "txn-tc.pcap", _tc_registry())))
    assert [t.role_of(m) for m, t in pairs] == ["request", "event", "ack", "event", "request", "reply", "ack"]
    assert [t.caused_by for m, t in pairs if t.kind == "event"] == [1, 1]
    assert pairs[0][1].events == [2] and pairs[4][1].replies == 1 and pairs[4][1].status == "ok"


def _tc_registry():
    reg = route_registry()
    reg.get(0).messages[44] = MessageType("RTM_NEWTFILTER", "new")
    return reg


def test_ack_without_request_flag_is_a_request():
    """netlink_rcv_skb() acknowledges a message without NLM_F_REQUEST that asks for an ACK
    (samples/kmod: `rtmgrctl --no-request`)."""
    req = mk.nlmsg(20, mk.ACK, 1, 0, b"hi\0")
    frames = [Frame(1, mk.T0, 2, mk.cooked(2) + req), Frame(2, mk.T0 + 1000, 2, mk.cooked(2) + mk.error(0, req, 305))]
    (t,) = transactions(Decoder(Registry()).messages(frames))
    assert (t.kind, t.status, t.portid, len(t.messages)) == ("request", "ok", 305, 2)


def kmod_log(path):
    """The client's own record of each exchange (rtmgrctl prints every message it sends
    and receives): [(send fields, [recv fields...])] in order."""
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"^(send|recv) (.*)$", line)
        if not m:
            continue
        fields = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', m.group(2)))
        fields = {k: v.strip('"') for k, v in fields.items()}
        if m.group(1) == "send":
            out.append((fields, []))
        else:
            assert out and out[-1][0]["seq"] == fields["seq"] and out[-1][0]["portid"] == fields["portid"]
            out[-1][1].append(fields)
    return out


@pytest.mark.parametrize("name", ["usersock", "genl"])
def test_kmod_samples_pair_as_the_client_saw(name):
    """samples/kmod: our own modules and client; the client logged what it sent and got
    (not the notifications of its changes, which go to listeners)."""
    path = SAMPLES / "kmod" / f"{name}.pcapng"
    log = SAMPLES / "kmod" / f"{name}.log"
    committed(path), committed(log)
    ts = [t for t in transactions(Decoder(default_registry()).messages(CaptureReader(path))) if t.kind == "request"]
    by_key = {(t.seq, t.portid): t for t in ts}
    checked = 0
    for sent, got in kmod_log(log):
        if not got:
            continue  # nothing came back: no port id to find it by
        where = f"{name}: {sent}"
        t = by_key.get((int(sent["seq"]), int(sent["portid"])))
        assert t is not None, where
        answers = [m for m in t.messages[1:]]
        assert [m.type for m in answers] == [int(g["type"].split("(")[1].rstrip(")"), 0) for g in got], where
        errors = [g for g in got if g.get("error", "0") != "0"]
        if errors:
            assert t.status == "error" and t.errno == -int(errors[0]["error"]), where
            assert t.extack == errors[0].get("extack"), where
        else:
            assert t.status == "ok", where
        checked += 1
    assert checked >= 15
    assert not [t for t in ts if t.status in ("unanswered", "incomplete")]


def test_a_family_says_whether_it_replies_or_notifies():
    """The same bytes: a NEW request, a message with its seq and port id, the ACK. For
    rtnetlink that message is a notification; a family that declares it answers NEW
    requests (as nl80211 does) gets it as the reply."""
    req = mk.route_req(5, mk.REQ | mk.ACK | mk.CREATE)
    frames = [Frame(1, mk.T0, 0, mk.cooked(0) + req),
              Frame(2, mk.T0 + 10, 0, mk.cooked(0) + mk.nlmsg(mk.NEWROUTE, 0, 5, 77, req[16:])),
              Frame(3, mk.T0 + 20, 0, mk.cooked(0) + mk.error(0, req, 77))]

    def roles(registry, pass_registry):
        pairs = correlate(Decoder(registry).messages(frames), registry=registry if pass_registry else None)
        return [t.role_of(m) for m, t in pairs]

    class Replying(Protocol):
        def notifies_with_request(self, msg):
            return False
    reg = route_registry()
    assert roles(reg, True) == ["request", "event", "ack"]
    reg.add(Replying(0, "route", reg.get(0).messages))
    assert roles(reg, True) == ["request", "reply", "ack"]
    assert roles(reg, False) == ["request", "event", "ack"]  # without the registry: the table's default
