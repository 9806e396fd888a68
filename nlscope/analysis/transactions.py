"""Transactions: each request paired with what it caused (replies, DONE, ACK or error,
notifications), with a status and latencies.

Pairing key: netlink protocol, nlmsg_seq and the socket's port id. A request usually
says port id 0 (the kernel fills in the socket's); the first answer carries the real one
and the transaction learns it. Two processes may use the same seq: answers then go to
the open request whose learned port id matches, else to one that has not learned its
port id yet, preferring the one the answer fits (an NLMSG_ERROR repeats the request's
header; a rtnetlink reply is in the request's group of four types), else the oldest.
With a trace source (Frame.pid/direction known) the process and direction must match;
when the source knows the socket (trace, eBPF: an `nlsock netns= portid=` frame comment)
the socket must match, and an answer the
kernel delivered to that process or socket is its answer even when it says port id 0.
Families that answer with port id 0 (nfnetlink_hook dumps) are declared here.

Streaming: `Tracker.feed()` takes messages in capture order and keeps only open
transactions (and, for linking late notifications, a bounded map of recently closed
requests). A transaction stays open until its answer ends it (DONE, ACK/error, the one
reply of a GET, the echo), until nothing has happened to it for a while of capture
time or capture messages (then it expires), or until `flush()` at the end of the capture:
an open dump is then `incomplete`, an open request `unanswered` (or `no_reply` when it
expected nothing). `correlate()` yields every message with its transaction, in capture
order, each once its transaction is final; it buffers only from the oldest open
transaction on. `transactions()` yields the transactions themselves, in the order of
their first message.
"""
from __future__ import annotations

import struct
from array import array
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..capture.ebpf import parse_socket_comment
from ..decode.model import Field, Message

NLMSG_ERROR, NLMSG_DONE = 2, 3
F_REQUEST, F_MULTI, F_ACK, F_ECHO = 0x1, 0x2, 0x4, 0x8
F_DUMP = 0x300  # ROOT | MATCH on a GET
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200

# Statuses.
OK, ERROR, UNANSWERED, NO_REPLY, INCOMPLETE, ORPHAN, EVENT, OPEN = (
    "ok", "error", "unanswered", "no_reply", "incomplete", "orphan", "event", "open")
STATUSES = (OK, ERROR, UNANSWERED, NO_REPLY, INCOMPLETE, ORPHAN, EVENT)
ROLES = ("request", "reply", "ack", "error", "done", "event", "other")

# Families whose notifications repeat the requester's seq and port id (rtnetlink and
# nfnetlink call rtnl_notify/nfnetlink_send with them; openvswitch's genl_notify; our
# kmod/rtmgr on NETLINK_USERSOCK and as genl family RTMGR): there a NEW/DEL request gets
# no data reply unless it asked for an echo, so a message with its seq is a notification
# it caused. Elsewhere (most generic netlink families: nl80211 answers NEW_INTERFACE
# with the new interface) any command may answer with one message. nlmon shows no
# difference between the two: it is the family's habit, declared here, or by the
# family's dissector: a Protocol may define notifies_with_request(msg) -> bool | None
# (True: this request gets notifications, not replies; False: replies; None: default),
# used when the Tracker is given the registry.
NOTIFYING_PROTOCOLS = {0, 12}  # a SET-like ("other") request may still get a reply of its own type
NOTIFYING_GENL_FAMILIES = {"ovs_datapath", "ovs_vport", "ovs_flow", "RTMGR"}  # ovs_meter replies
# kmod/rtmgr's raw protocol (NETLINK_USERSOCK, or the number it was loaded on)
NOTIFYING_TYPES = {"RT_CREATE", "RT_UPDATE", "RT_DELETE"}

# Dump requests whose replies carry nlmsg_pid 0 instead of the requester's port id:
# (protocol, request type) -> what the transaction says. nfnl_hook_dump_one() puts
# NETLINK_CB(skb).portid of the dump skb, which the kernel never set (its DONE, from
# netlink_dump(), carries the real one).
ZERO_PORTID_DUMPS = {
    (12, 0x0C00): "replies carry port id 0 (nfnetlink_hook)",  # NFNL_SUBSYS_HOOK, NFNL_MSG_HOOK_GET
}
# Requests the kernel may leave without any answer by design, and why (said when it did).
# tc_get_qdisc() ignores qdisc_get_notify(), which sends nothing for a built-in qdisc
# (noop, noqueue: TCQ_F_BUILTIN), and returns 0: without NLM_F_ACK nothing comes back.
SILENT_REQUESTS = {
    (0, 38): "the kernel answers nothing for a built-in qdisc",  # RTM_GETQDISC
}

_HDR = {o: struct.Struct(o + "IHHII") for o in "<>"}


class Transaction:
    """A request and everything it caused, or a notification standing alone (`kind`
    "event"), or answers whose request is not in the capture (`kind` "orphan")."""

    __slots__ = ("id", "kind", "protocol", "family", "request", "seq", "portid", "pid", "comm",
                 "dump", "want_ack", "want_echo", "want_reply", "multipart", "messages", "first", "numbers",
                 "replies", "first_answer", "first_ts", "last_answer", "last_ts", "end", "end_type",
                 "status", "errno",
                 "errno_name", "extack", "error_attr", "events", "caused_by", "cause_id",
                 "closed_by", "last_ts", "last_no", "notifying", "total", "sock", "zero_portid", "note",
                 "__weakref__")

    def __init__(self, tid: int, kind: str, msg: Message):
        self.id = tid
        self.kind = kind
        self.protocol = msg.protocol
        self.family = msg.family
        self.request: Message | None = msg if kind == "request" else None
        self.seq = msg.seq
        self.sock = frame_socket(msg.frame)  # (netns, port id), when the source knows it
        # learned from the first answer if 0 (a known socket is the port id)
        self.portid: int | None = msg.pid or (self.sock[1] if self.sock else None) or None
        self.pid = msg.frame.pid
        self.comm = msg.frame.comm
        self.zero_portid = False  # its family answers with nlmsg_pid 0 (ZERO_PORTID_DUMPS)
        self.note: str | None = None  # what pairing it took to say (shown with the status)
        self.dump = self.want_ack = self.want_echo = self.want_reply = False
        self.multipart = False
        self.first = msg  # its first message (the request's, for a request)
        self.numbers = array("I", (msg.number,))  # every member's number, in order
        # Its members, when the Tracker keeps them (keep_messages): a consumer that looks
        # at every member (any member matches a filter). Else just the first: a dump of
        # 200k routes must not hold 200k messages.
        self.messages: list[Message] = [msg]
        self.replies = 0  # data replies (dump parts, the GET's answer, echoes)
        # Answers by message number and time (no message held: a closed transaction can
        # be kept, or rebuilt from the index, for what it became)
        self.first_answer: int | None = None
        self.first_ts = 0
        self.last_answer: int | None = None
        self.last_ts = 0
        self.end: int | None = None  # the DONE / ACK / error / reply that closed it
        self.end_type: int | None = None
        self.status = OPEN
        self.errno: int | None = None  # positive errno when status is error
        self.errno_name: str | None = None
        self.extack: str | None = None
        self.error_attr: str | None = None  # request attribute NLMSGERR_ATTR_OFFS points at
        self.events: list[int] = []  # numbers of notifications it caused while open
        self.caused_by: int | None = None  # for an event: the request's message number
        self.cause_id: int | None = None  # ... and its transaction id
        self.closed_by: str | None = None  # done, ack, error, reply, expired, end
        self.last_ts = msg.frame.ts_ns
        self.last_no = msg.number
        self.total: int | None = None  # its number of messages, when known ahead (look-ahead)
        self.notifying = 0  # set by the tracker for requests: 0 replies, 1 rtnetlink-like, 2 notifies

    # -- what it is ----------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self.status != OPEN

    @property
    def type_name(self) -> str | None:
        m = self.request or self.first
        return m.type_name

    @property
    def expects(self) -> str:
        """What the request asked for: dump, reply (a GET), echo, ack, or none."""
        if self.kind != "request":
            return "none"
        if self.dump:
            return "dump"
        if self.want_reply:
            return "reply"
        if self.want_echo:
            return "echo"
        if self.want_ack:
            return "ack"
        return "none"

    @property
    def said_note(self) -> str | None:
        """The note, when what it says happened: replies with port id 0 came, or a
        request the kernel may leave unanswered got nothing."""
        if self.note is None:
            return None
        if self.zero_portid:
            return self.note if self.replies else None
        return self.note if self.status == UNANSWERED else None

    @property
    def size(self) -> int:
        """How many messages it has (all of them, when known ahead of the last)."""
        return self.total if self.total is not None else len(self.numbers)

    @property
    def number(self) -> int:
        """The number of its first message (the request's, for a request)."""
        return self.first.number

    @property
    def latency_ns(self) -> int | None:
        """Request to its last answer (the DONE, ACK or error when there is one)."""
        if self.request is None or self.last_answer is None:
            return None
        return self.last_ts - self.request.frame.ts_ns

    @property
    def first_latency_ns(self) -> int | None:
        if self.request is None or self.first_answer is None:
            return None
        return self.first_ts - self.request.frame.ts_ns

    def role_of(self, msg: Message) -> str:
        if msg is self.request:
            return "request"
        if self.kind == "event":
            return "done" if msg.type == NLMSG_DONE else "event"
        if msg.type == NLMSG_ERROR:
            return "error" if _error_code(msg) else "ack"
        if msg.type == NLMSG_DONE:
            return "done"
        return "reply"

    def link_json(self, msg: Message) -> dict[str, Any]:
        """The `txn` object of one of its messages in the JSON export (README, JSON schema)."""
        txn = self
        role = txn.role_of(msg)
        out: dict[str, Any] = {"id": txn.id, "role": role, "status": txn.status}
        if role == "request":
            out["expects"] = txn.expects
            out["reply_in"] = txn.first_answer
            out["end_in"] = txn.end
            out["replies"] = txn.replies
            if txn.events:
                out["events"] = list(txn.events)
        elif role != "event" and txn.request is not None:
            out["reply_to"] = txn.request.number
        if txn.caused_by is not None:
            out["caused_by"] = txn.caused_by
        if txn.request is not None and role != "event":
            out["latency_ns"] = txn.latency_ns
            out["first_latency_ns"] = txn.first_latency_ns
        if txn.portid is not None and txn.request is not None and not txn.request.pid:
            out["portid"] = txn.portid  # learned from the answers
        if txn.said_note is not None:
            out["note"] = txn.said_note
        txn._error_json(out)
        return out

    def _error_json(self, out: dict[str, Any]) -> None:
        """errno, extack and error_attr, when there are, into a JSON object."""
        if self.errno is not None:
            out["errno"] = {"name": self.errno_name, "value": self.errno}
        if self.extack is not None:
            out["extack"] = self.extack
        if self.error_attr is not None:
            out["error_attr"] = self.error_attr

    def __repr__(self) -> str:
        return (f"Transaction(#{self.id} {self.kind} {self.family} {self.type_name} seq={self.seq} "
                f"portid={self.portid} {self.status} msgs={list(self.numbers)})")

    # -- output ------------------------------------------------------------------------
    def describe(self) -> str:
        """One line: what was asked and how it ended (the `read --transactions` line)."""
        if self.kind == "event":
            text = "event"
            if self.caused_by is not None:
                text += f" (caused by {self.caused_by})"
            if self.size > 1:  # a batch the kernel sent in one datagram
                done = self.end_type == NLMSG_DONE
                text += f" batch of {self.size - done}" + (", DONE" if done else "")
            return text
        parts: list[str] = []
        if self.kind == "request":
            head = {"dump": "dump", "reply": "get", "echo": "echo", "ack": "ack"}.get(self.expects, "no ack")
        else:
            head = "answers without their request"
        if self.replies:
            parts.append(f"{self.replies} repl{'y' if self.replies == 1 else 'ies'}")
        if self.errno:
            err = f"{self.errno_name or '?'} (-{self.errno})"
            if self.extack:
                err += f' "{self.extack}"'
            if self.error_attr:
                err += f" at {self.error_attr}"
            parts.append(err)
        elif self.end_type == NLMSG_DONE:
            parts.append("DONE")
        elif self.end_type == NLMSG_ERROR:
            parts.append("ACK" + (f' (warning: "{self.extack}")' if self.extack else ""))
        lat = self.latency_ns
        if lat is not None:
            parts.append(format_duration(lat))
        if self.events:
            parts.append(f"{len(self.events)} event{'s' if len(self.events) > 1 else ''}")
        if self.said_note:
            parts.append(self.said_note)
        return f"{head} -> {', '.join(parts) if parts else 'nothing'} {self.status}"

    def to_json(self) -> dict[str, Any]:
        """The transaction as a whole (stats and `export --transactions`-style consumers)."""
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "family": self.family,
            "type": self.type_name,
            "seq": self.seq,
            "portid": self.portid,
            "expects": self.expects,
            "request": self.request.number if self.request is not None else None,
            "messages": list(self.numbers),
            "replies": self.replies,
            "end": self.end,
            "latency_ns": self.latency_ns,
            "first_latency_ns": self.first_latency_ns,
        }
        if self.pid is not None:
            out["pid"] = self.pid
            out["comm"] = self.comm
        self._error_json(out)
        if self.said_note is not None:
            out["note"] = self.said_note
        if self.events:
            out["events"] = list(self.events)
        if self.caused_by is not None:
            out["caused_by"] = self.caused_by
        return out


def link_json(msg: Message, txn: Transaction | None) -> dict[str, Any] | None:
    """The `txn` object of a message in the JSON export; None without a transaction."""
    return txn.link_json(msg) if txn is not None else None


TXN_HEADER = f"{'No.':>6} {'Family':<9} {'Type':<24} {'Seq':>10} {'PortID':>10}  Transaction"


def txn_line(txn: Transaction | None, msg: Message | None = None) -> str:
    """One line per transaction (`read --transactions`), numbered by its first message;
    a message outside any transaction (a fragment, NLMSG_NOOP) shows its own summary."""
    m = txn.first if txn is not None else msg
    portid = txn.portid if txn is not None and txn.portid is not None else m.pid
    seq = "" if m.seq is None else m.seq
    portid = "" if portid is None else portid
    text = txn.describe() if txn is not None else m.summary
    if txn is not None and txn.kind != "request":
        text = f"{text}: {m.summary}" if m.summary else text
    return (f"{m.number:>6} {m.family:<9} {m.type_name or '?':<24} {seq:>10} {portid:>10}  {text}")


def format_duration(ns: int) -> str:
    if ns < 1_000:
        return f"{ns} ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:.1f} us"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e9:.3f} s"


# -- helpers on decoded messages -------------------------------------------------------

def _error_code(msg: Message) -> int:
    """NLMSG_ERROR's error (negative errno, 0 for an ACK); a DONE's value: from the
    header's bytes, no decode."""
    code = msg.error_code
    return code if code is not None else 0


def _extack(msg: Message) -> list[Field]:
    """The extended ACK's attributes. An error whose echo is whole names its offset
    itself: its TLVs are walked alone, the request not decoded. A capped error is
    decoded: the offset its tree shows is named from the paired request."""
    if not msg.flags & NLM_F_ACK_TLVS:
        return []
    if not msg.decoded and not msg.flags & NLM_F_CAPPED:
        from ..decode.decoder import extack_attrs
        return extack_attrs(msg)
    for f in msg.tree[1:]:
        if f.name == "extack":
            return f.children or []
    return []


def _embedded_header(msg: Message) -> bytes | None:
    """The request header an NLMSG_ERROR repeats (16 bytes after the error code)."""
    s = msg.start + 20
    raw = msg.frame.raw
    return raw[s:s + 16] if s + 16 <= min(len(raw), msg.end) else None


def field_path_at(fields: list[Field], pos: int, path: tuple[str, ...] = ()) -> tuple[Field, str] | None:
    """The deepest field starting at byte `pos` (an attribute, not the 'attributes' list),
    with its dotted path of attribute names."""
    best = None
    for f in fields:
        here = path if f.name in ("attributes",) else path + (f.name,)
        if f.start == pos and f.name != "attributes":
            best = (f, ".".join(p for p in here if p not in ("nlmsghdr",)))
        if f.children and f.start <= pos < f.end:
            inner = field_path_at(f.children, pos, here)
            if inner is not None:
                best = inner
    return best


def _notifying(msg: Message) -> int:
    """Does this request's family send notifications with the requester's seq and port
    id instead of replies? 0 no; 1 yes for NEW/DEL (rtnetlink, nfnetlink); 2 yes for
    every request but a GET."""
    if msg.protocol in NOTIFYING_PROTOCOLS:
        return 1
    name = msg.type_name or ""
    if msg.protocol == 16 and name.split(" ", 1)[0] in NOTIFYING_GENL_FAMILIES:
        return 2
    if msg.protocol != 16 and name in NOTIFYING_TYPES:
        return 2
    return 0


def _types_fit(protocol: int, req_type: int, reply_type: int) -> bool:
    if protocol == 0 and req_type >= 16 and reply_type >= 16:  # rtnetlink: NEW/DEL/GET/SET groups
        return (req_type - 16) >> 2 == (reply_type - 16) >> 2
    if protocol == 12:  # nfnetlink: the subsystem is the high byte
        return req_type >> 8 == reply_type >> 8
    return req_type == reply_type


def frame_socket(frame) -> tuple[int, int] | None:
    """(netns, port id) of the socket a trace or eBPF frame went through (its comment)."""
    c = frame.comment
    return parse_socket_comment(c) if c is not None else None


def _frame_key(msg: Message) -> tuple[int, int]:
    return msg.frame.number, msg.frame.ts_ns


def _batch_key(msg: Message) -> tuple:
    return _frame_key(msg), msg.protocol, msg.seq, msg.pid


def _last_header(msg: Message) -> tuple[int, int, int, int] | None:
    """(type, seq, port id, start) of the last message in `msg`'s datagram, from the
    headers from `msg` on; None when one is damaged."""
    raw, unpack = msg.frame.raw, _HDR[msg.order].unpack_from
    p, end, last = msg.start, len(msg.frame.raw), None
    while end - p >= 16:
        ln, typ, _fl, seq, pid = unpack(raw, p)
        if ln < 16:
            return None
        last = (typ, seq, pid, p)
        p += (ln + 3) & ~3
    return last


# -- the tracker ---------------------------------------------------------------------

class Tracker:
    """Pairs messages into transactions, streaming (see the module docstring).

    timeout_ns: capture time without news after which a transaction waiting for an
        answer expires (unanswered, or incomplete when part of it came; 120 s: a vxlan
        link's module autoload under TCG on a loaded host took 30.03 s); before that, a
        request that got nothing ends when a later request of its socket is answered;
    quiet_ns: the same for a request that expects no answer (the kernel still sends an
        error if it fails, synchronously);
    max_gap: capture messages without news after which any open transaction expires
        (this bounds what a streaming consumer buffers);
    recent: how many closed requests are remembered to link later notifications;
    same_seq: how many requests may stay open with one (protocol, seq): past that
        the oldest closes (unanswered or no_reply, closed_by "superseded");
    keep_messages: each Transaction keeps all its messages (`messages`); without it,
        only the first (`numbers` has them all), so memory stays flat on big dumps.
    """

    def __init__(self, *, timeout_ns: int = 120_000_000_000, quiet_ns: int = 500_000_000,
                 max_gap: int = 100_000, recent: int = 4096, same_seq: int = 64,
                 keep_messages: bool = True, registry: Any = None):
        self.registry = registry
        self.keep_messages = keep_messages
        self.on_close: Callable[[Transaction], None] | None = None  # called as each closes
        self.same_seq_max = same_seq  # for the families' own notifies_with_request(msg)
        self.timeout_ns = timeout_ns
        self.quiet_ns = quiet_ns
        self.max_gap = max_gap
        self.recent_max = recent
        self._open: dict[tuple[int, int], list[Transaction]] = {}
        self._waiting: OrderedDict[int, Transaction] = OrderedDict()  # least recently active first
        self._quiet: OrderedDict[int, Transaction] = OrderedDict()
        # closed requests, for linking late notifications: key -> (txn id, request number)
        self._recent: OrderedDict[tuple[int, int, int | None], tuple[int, int, int]] = OrderedDict()
        self._by_socket: dict[tuple, list[Transaction]] = {}  # requests by their socket, if known
        self._batch: Transaction | None = None  # an open batch of notifications (one datagram)
        self._batch_key: tuple | None = None
        self._last_of_frame: tuple[tuple, tuple | None] | None = None  # frame -> its last header
        self._next_id = 1
        self._now_ts = 0
        self.count = 0  # transactions made

    # -- public --------------------------------------------------------------------
    def feed(self, msg: Message) -> Transaction | None:
        """Take the next message (decoded, in capture order); return the transaction it
        belongs to (None for fragments and NOOP/OVERRUN-like control messages)."""
        ts = msg.frame.ts_ns
        if ts > self._now_ts:
            self._now_ts = ts
        if self._batch is not None and self._batch_key[0] != _frame_key(msg):
            self._end_batch(None)  # its datagram ended without the DONE
        txn = self._place(msg)
        self._expire(msg.number)
        return txn

    def flush(self) -> None:
        """End of capture: close everything still open."""
        for q in (self._waiting, self._quiet):
            for t in list(q.values()):
                self._close_unfinished(t, "end")

    @property
    def open_count(self) -> int:
        return len(self._waiting) + len(self._quiet)

    def open_transactions(self) -> list[Transaction]:
        """The transactions open now (a batch of notifications included)."""
        return [*self._waiting.values(), *self._quiet.values()]

    # -- placing one message -------------------------------------------------------
    def _new(self, kind: str, msg: Message) -> Transaction:
        t = Transaction(self._next_id, kind, msg)
        self._next_id += 1
        self.count += 1
        return t

    def _place(self, msg: Message) -> Transaction | None:
        if msg.is_fragment or msg.type is None:
            return None
        d = msg.frame.direction
        # A request has NLM_F_REQUEST; a message with NLM_F_ACK but no NLM_F_REQUEST came
        # from user space too (the kernel never sets ACK on what it sends) and gets its
        # ACK: netlink_rcv_skb() skips such a message but acknowledges it.
        if msg.flags & (F_REQUEST | F_ACK) and msg.type >= 16 and d != "in":
            if not (d is None and msg.pid and self._copied_request(msg)):
                return self._request(msg)
        if msg.type == NLMSG_ERROR:
            return self._error(msg)
        if msg.type == NLMSG_DONE:
            return self._done(msg)
        if msg.type < 16:
            return None
        if d == "out":  # a trace source saw the process send it without REQUEST
            return self._event(msg, None)
        return self._data(msg)

    def _request(self, msg: Message) -> Transaction:
        t = self._new("request", msg)
        kind = msg.kind
        fl = msg.flags
        if kind == "get":
            t.dump = bool(fl & F_DUMP)
        elif kind == "other":
            t.dump = (fl & F_DUMP) == F_DUMP
        t.want_reply = kind == "get" and not t.dump
        t.want_ack = bool(fl & F_ACK) and not t.dump  # the kernel never ACKs a dump
        t.want_echo = bool(fl & F_ECHO)
        t.notifying = self._family_notifies(msg)
        if t.dump:
            note = ZERO_PORTID_DUMPS.get((msg.protocol, msg.type))
            if note is not None:
                t.zero_portid, t.note = True, note
        elif not t.want_ack:
            t.note = SILENT_REQUESTS.get((msg.protocol, msg.type))
        for key in self._socket_keys(t):
            self._by_socket.setdefault(key, []).append(t)
        lst = self._open.setdefault((msg.protocol, msg.seq), [])
        lst.append(t)
        self._queue(t).__setitem__(t.id, t)
        if len(lst) > self.same_seq_max:
            # Tools that reuse one seq (0, or a fixed one) would pile up requests that
            # expect nothing; each answer then weighs them all. The oldest gives way.
            self._close_unfinished(lst[0], "superseded")
        return t

    def _family_notifies(self, msg: Message) -> int:
        proto = self.registry.get(msg.protocol) if self.registry is not None else None
        hook = getattr(proto, "notifies_with_request", None)
        if hook is not None:
            try:
                said = hook(msg)
            except (Exception, SystemExit) as e:  # a plugin's bug: the common rules decide
                from ..decode.registry import plugin_failure
                msg.add_scan_problem(f"dissector error: {proto.name} notifies_with_request(): "
                                     f"{plugin_failure(e)}")
                said = None
            if said is not None:
                return 2 if said else 0
        return _notifying(msg)

    def _queue(self, t: Transaction) -> OrderedDict[int, Transaction]:
        """Waiting for an answer (expires after timeout_ns), or quiet (quiet_ns): nothing
        more is due, though an error may still come, or a GET's reply said MULTI and
        more parts may follow (ctnetlink answers IPCTNL_MSG_CT_GET_STATS so, with no DONE)."""
        expecting = (t.kind == "orphan" or t.dump or t.want_ack
                     or ((t.want_reply or t.want_echo) and not t.replies))
        return self._waiting if expecting else self._quiet

    def _touch(self, t: Transaction, msg: Message) -> None:
        t.last_ts = msg.frame.ts_ns
        t.last_no = msg.number
        q = self._queue(t)
        other = self._quiet if q is self._waiting else self._waiting
        other.pop(t.id, None)
        q[t.id] = t
        q.move_to_end(t.id)

    def _candidates(self, msg: Message, same_process: bool = True) -> list[Transaction]:
        """Open transactions this answer may belong to, best first. With a trace source,
        an answer goes to the process that asked (a notification may go to any)."""
        lst = self._open.get((msg.protocol, msg.seq))
        if not lst:
            return []
        fr = msg.frame
        pid = fr.pid if same_process else None
        sock = frame_socket(fr) if same_process else None
        # An answer saying port id 0 still answers: one the kernel delivered to this
        # process (trace) or socket (eBPF), a dump reply of a family that says 0.
        delivered = fr.direction == "in" and (pid is not None or sock is not None)
        multi = bool(msg.flags & F_MULTI)
        exact: list[Transaction] = []
        unknown: list[Transaction] = []
        other: list[Transaction] = []
        for t in lst:
            if pid is not None and t.pid is not None and pid != t.pid:
                continue
            if sock is not None and t.sock is not None and sock != t.sock:
                continue
            if t.portid == msg.pid or (not msg.pid and t.kind == "request"
                                       and (delivered or (multi and t.zero_portid))):
                exact.append(t)
            elif t.portid is None:
                # An answer to port id 0 comes from no user socket: it answers nothing.
                if t.kind == "request" and msg.pid:
                    unknown.append(t)
            elif t.kind == "request" and t.first_answer is None:
                other.append(t)  # said a port id in its header that is not its socket's?
        for group in (exact, unknown):
            if len(group) > 1:
                group.sort(key=lambda t: -self._fit(t, msg))  # stable: oldest first among equals
        if msg.type == NLMSG_ERROR and other:
            # Only an error repeating the request's header byte for byte goes there.
            unknown.extend(t for t in other if self._fit(t, msg) == 3)
        return exact + unknown

    def _fit(self, t: Transaction, msg: Message) -> int:
        req = t.request
        if req is None:
            return 0
        if msg.type == NLMSG_ERROR:
            emb = _embedded_header(msg)
            if emb is not None:
                if emb == req.frame.raw[req.start:req.start + 16]:
                    return 3
                ln, typ, fl, seq, pid = _HDR[msg.order].unpack_from(emb)
                return 1 if typ == req.type else 0
            return 0
        if msg.type == NLMSG_DONE:
            return 2 if (t.dump or t.multipart) else 0
        return 2 if _types_fit(msg.protocol, req.type, msg.type) else 0

    def _join(self, t: Transaction, msg: Message, answer: bool = True) -> None:
        t.numbers.append(msg.number)
        if answer and t.request is not None and msg.request is None:
            msg.pair(t.request)
        if self.keep_messages:
            t.messages.append(msg)
        if answer:
            first = t.first_answer is None
            if first:
                t.first_answer, t.first_ts = msg.number, msg.frame.ts_ns
            t.last_answer, t.last_ts = msg.number, msg.frame.ts_ns
            if t.portid is None and msg.pid:
                t.portid = msg.pid
            if first and t.kind == "request":
                self._moved_on(t)
        self._touch(t, msg)

    # The kernel handles one socket's requests in order, within sendmsg(): once a later
    # request of the same socket is answered, an earlier one that got nothing at all
    # never will. That, not a clock, ends such a request (a module autoload can take
    # 16 s before its ACK). A request's socket is known from a trace (the process), from
    # a port id it put in its own header, or from one learned from its answers.
    def _socket_keys(self, t: Transaction) -> list[tuple]:
        keys = []
        if t.pid is not None and t.sock is None:  # a process may have several sockets
            keys.append(("proc", t.protocol, t.pid))
        if t.portid is not None:
            keys.append(("port", t.protocol, t.portid))
        return keys

    def _moved_on(self, t: Transaction) -> None:
        for key in self._socket_keys(t):
            for old in self._by_socket.pop(key, ()):
                if (old is not t and old.status == OPEN and old.first_answer is None
                        and not old.dump and old.id < t.id):
                    self._close_unfinished(old, "superseded")

    def _error(self, msg: Message) -> Transaction:
        for t in self._candidates(msg):
            if t.kind == "request":
                self._join(t, msg)
                self._finish_error(t, msg)
                return t
        for t in self._candidates(msg):  # an error ending replies whose request we missed
            self._join(t, msg)
            self._finish_error(t, msg)
            return t
        t = self._orphan(msg)
        self._finish_error(t, msg)
        return t

    def _orphan(self, msg: Message) -> Transaction:
        """Answers whose request is not in the capture: `msg` is the first of them."""
        t = self._new("orphan", msg)
        t.portid = msg.pid or None
        t.first_answer = t.last_answer = msg.number
        t.first_ts = t.last_ts = msg.frame.ts_ns
        return t

    def _finish_error(self, t: Transaction, msg: Message) -> None:
        err = _error_code(msg)
        ext = _extack(msg)
        for f in ext:
            if f.name == "NLMSGERR_ATTR_MSG":
                t.extack = f.value
            elif f.name == "NLMSGERR_ATTR_OFFS":
                self._point(t, msg, f)
        if err:
            t.errno = -err if err < 0 else err
            t.errno_name = self._errno_name(err, t, msg)
            self._close(t, ERROR, "error", msg)
        else:
            self._close(t, OK, "ack", msg)

    def _errno_name(self, err: int, t: Transaction, msg: Message) -> str | None:
        """The errno's name, or the family's own for its private codes (ipset's past
        4096), asked of the protocol with the request's type."""
        from ..decode.decoder import errno_name
        name = errno_name(err)
        if name is None and self.registry is not None:
            hook = getattr(self.registry.get(msg.protocol), "errno_name", None)
            if hook is not None:
                emb = _embedded_header(msg)
                mtype = t.request.type if t.request is not None else (
                    _HDR[msg.order].unpack_from(emb)[1] if emb is not None else None)
                name = hook(err, mtype)
        return name

    def _point(self, t: Transaction, msg: Message, f: Field) -> None:
        """The path of the request attribute NLMSGERR_ATTR_OFFS points at. (The message's
        own Info names it: the decoder, from the echo or from the paired request.)"""
        if f.kind == "enum" and f.meta:
            t.error_attr = f.meta
        req = t.request
        if req is None or not isinstance(f.value, int):
            return
        hit = field_path_at(req.tree, req.start + f.value)  # a nested one: its path
        if hit is not None and (t.error_attr is None or hit[0].name == t.error_attr):
            t.error_attr = hit[1]

    def _done(self, msg: Message) -> Transaction:
        b = self._batch
        if b is not None and self._batch_key == _batch_key(msg):
            self._join(b, msg, answer=False)
            self._end_batch(msg)
            return b
        for t in self._candidates(msg):
            if t.kind == "orphan" or t.dump or t.multipart or t.replies:
                self._join(t, msg)
                self._finish_done(t, msg)
                return t
        t = self._orphan(msg)
        self._finish_done(t, msg)
        return t

    def _finish_done(self, t: Transaction, msg: Message) -> None:
        v = _error_code(msg) if msg.nlmsg_len >= 20 else 0
        for f in _extack(msg):
            if f.name == "NLMSGERR_ATTR_MSG":
                t.extack = f.value
        if v < 0:
            from ..decode.decoder import errno_name
            t.errno, t.errno_name = -v, errno_name(v)
            self._close(t, ERROR, "done", msg)
        else:
            self._close(t, OK, "done", msg)

    def _data(self, msg: Message) -> Transaction:
        multi = bool(msg.flags & F_MULTI)
        if not msg.pid and not multi:
            b = self._batch
            if b is not None and self._batch_key == _batch_key(msg):
                self._join(b, msg, answer=False)
                return b
            if self._ends_with_done(msg) and not any(t.kind == "request" for t in self._candidates(msg)):
                return self._open_batch(msg)
        caused: Transaction | tuple[int, int, int] | None = None
        for t in self._candidates(msg):
            if t.kind == "orphan":
                if multi:
                    self._reply(t, msg, multi)
                    return t
                continue
            if self._is_reply(t, msg, multi):
                self._reply(t, msg, multi)
                return t
            if caused is None and not multi:
                caused = t
        if caused is None and not multi and msg.frame.pid is not None:
            # A trace: another process's socket got a notification of this request.
            caused = next((t for t in self._candidates(msg, same_process=False)
                           if t.kind == "request"), None)
        if caused is None and not multi:
            caused = self._recent_cause(msg)
        if caused is None and multi:  # dump parts whose request was not captured
            t = self._orphan(msg)
            t.multipart = True
            t.replies = 1
            self._open.setdefault((msg.protocol, msg.seq), []).append(t)
            self._waiting[t.id] = t
            return t
        return self._event(msg, caused)

    def _is_reply(self, t: Transaction, msg: Message, multi: bool) -> bool:
        req = t.request
        if multi:
            return t.dump or t.multipart or req.kind in ("get", "other") or t.want_echo or not t.notifying
        if t.dump or t.multipart:
            return False  # a dump's parts are all MULTI: this is a notification
        if t.want_reply:
            return t.replies == 0
        if t.want_echo:
            return True  # nlmon cannot tell the echo from the multicast copies
        if t.notifying == 1:
            return req.kind == "other" and t.replies == 0 and msg.type == req.type
        if t.notifying:
            return False
        return t.replies == 0

    def _reply(self, t: Transaction, msg: Message, multi: bool) -> None:
        t.replies += 1
        if multi and not t.multipart:
            t.multipart = True
        self._join(t, msg)
        if not multi and not t.dump and not t.want_ack and t.kind == "request":
            self._close(t, OK, "reply", msg)

    def _event(self, msg: Message, cause: Transaction | tuple[int, int, int] | None) -> Transaction:
        t = self._new("event", msg)
        t.status = EVENT
        t.closed_by = "event"
        if isinstance(cause, tuple):  # a request closed already: (id, number, type)
            t.cause_id, t.caused_by = cause[0], cause[1]
        elif cause is not None:
            t.caused_by = cause.request.number if cause.request is not None else cause.number
            t.cause_id = cause.id
            cause.events.append(msg.number)
        return t

    def _copied_request(self, msg: Message) -> bool:
        """A kernel notification that repeats its request's flags (tc filters and actions:
        tcf_fill_node() is given the request's nlmsg_flags, NLM_F_REQUEST included). It
        carries the requester's port id where the request said 0, with the same seq and
        type as a request still open or just closed; where the request said its own port
        id (ovs-vswitchd), it repeats the request's header: seq, type, flags, port id.
        The kernel notifies changes only: a GET is always a request (ovs-vswitchd asks
        nlctrl for every family with seq 1 and its own port id)."""
        if msg.kind == "get":
            return False
        for t in self._open.get((msg.protocol, msg.seq), ()):
            req = t.request
            if req is None or req.type != msg.type:
                continue
            if not req.pid and t.portid in (None, msg.pid):
                return True
            if req.pid == msg.pid and req.flags == msg.flags:
                return True
        r = self._recent.get((msg.protocol, msg.seq, msg.pid))
        return r is not None and r[2] == msg.type

    # A batch: the kernel sends some notifications several to a datagram, ended by an
    # NLMSG_DONE with their seq and port id (NFLOG: __nfulnl_send() adds a DONE when
    # its buffer holds more than one packet; all say seq 0, port id 0). The batch is one
    # event transaction, its DONE included.
    def _ends_with_done(self, msg: Message) -> bool:
        key = _frame_key(msg)
        cached = self._last_of_frame
        if cached is None or cached[0] != key:
            cached = self._last_of_frame = (key, _last_header(msg))
        last = cached[1]
        return (last is not None and last[0] == NLMSG_DONE and last[1:3] == (msg.seq, msg.pid)
                and last[3] > msg.start)

    def _open_batch(self, msg: Message) -> Transaction:
        t = self._new("event", msg)
        t.multipart = True
        self._batch, self._batch_key = t, _batch_key(msg)
        self._quiet[t.id] = t
        return t

    def _end_batch(self, done: Message | None) -> None:
        t, self._batch, self._batch_key = self._batch, None, None
        self._close(t, EVENT, "done" if done is not None else "event", done)

    def _recent_cause(self, msg: Message) -> tuple[int, int, int] | None:
        r = self._recent
        return r.get((msg.protocol, msg.seq, msg.pid)) or r.get((msg.protocol, msg.seq, None))

    # -- closing -------------------------------------------------------------------
    def _close(self, t: Transaction, status: str, how: str, end: Message | None) -> None:
        if t.kind == "request":
            for key in self._socket_keys(t):
                waiting = self._by_socket.get(key)
                if waiting is not None and t in waiting:
                    waiting.remove(t)
                    if not waiting:
                        del self._by_socket[key]
        t.status = ORPHAN if t.kind == "orphan" else status
        t.closed_by = how
        if end is not None:
            t.end, t.end_type = end.number, end.type
        self._waiting.pop(t.id, None)
        self._quiet.pop(t.id, None)
        key = (t.protocol, t.seq)
        lst = self._open.get(key)
        if lst is not None:
            try:
                lst.remove(t)
            except ValueError:
                pass
            if not lst:
                del self._open[key]
        if t.kind == "request" and (t.seq or t.portid):
            rk = (t.protocol, t.seq, t.portid)
            self._recent[rk] = (t.id, t.request.number, t.request.type)
            self._recent.move_to_end(rk)
            if len(self._recent) > self.recent_max:
                self._recent.popitem(last=False)
        if self.on_close is not None:
            self.on_close(t)

    def _close_unfinished(self, t: Transaction, how: str) -> None:
        if t.kind == "orphan":
            status = ORPHAN
        elif t.kind == "event":  # a batch whose DONE did not come
            status = EVENT
            if t is self._batch:
                self._batch = self._batch_key = None
        elif t.dump:
            status = INCOMPLETE if t.replies else UNANSWERED
        elif t.first_answer is not None:
            # The reply came but its ACK did not: incomplete. A GET's reply flagged
            # MULTI with no DONE after it (ctnetlink's stats) answered it all the same.
            status = INCOMPLETE if t.want_ack else OK
        elif t.want_reply or t.want_ack or t.want_echo:
            status = UNANSWERED
        else:
            status = NO_REPLY
        self._close(t, status, how, None)

    def _expire(self, now_no: int) -> None:
        now_ts = self._now_ts
        for q, limit in ((self._waiting, self.timeout_ns), (self._quiet, self.quiet_ns)):
            while q:
                t = next(iter(q.values()))
                if now_ts - t.last_ts > limit or now_no - t.last_no > self.max_gap:
                    self._close_unfinished(t, "expired")
                else:
                    break


# -- streams ---------------------------------------------------------------------------

def correlate(messages: Iterable[Message], tracker: Tracker | None = None, registry: Any = None
              ) -> Iterator[tuple[Message, Transaction | None]]:
    """Every message with its (final) transaction, in capture order. Given the decoder's
    registry, families may say how they answer (Protocol.notifies_with_request)."""
    tr = tracker or Tracker(registry=registry)
    buf: deque[tuple[Message, Transaction | None]] = deque()
    for m in messages:
        t = tr.feed(m)
        if not buf and (t is None or t.status != OPEN):
            yield m, t
            continue
        buf.append((m, t))
        while buf:
            bt = buf[0][1]
            if bt is not None and bt.status == OPEN:
                break
            yield buf.popleft()
    tr.flush()
    while buf:
        yield buf.popleft()


def transactions(messages: Iterable[Message], tracker: Tracker | None = None,
                 registry: Any = None) -> Iterator[Transaction]:
    """Every transaction once final, in the order of its first message."""
    for m, t in correlate(messages, tracker, registry):
        if t is not None and t.first is m:
            yield t
