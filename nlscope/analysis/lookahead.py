"""Look-ahead for capture files, as `tshark -2` does: a first pass pairs every message
(headers only) and keeps, in arrays, which transaction each message belongs to and
what each transaction became; the second pass, which writes, pairs nothing again: it
gives each message its transaction as it ends up (reply_in, end_in, status, latency,
events), with nothing held back: no message waits for its transaction's end.
4 bytes per message and 65 per transaction.
"""
from __future__ import annotations

import copy
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..decode.model import Message
from .transactions import EVENT, Tracker, Transaction

_STATUS = ("ok", "error", "unanswered", "no_reply", "incomplete", "orphan", "event")
_HOW = ("done", "ack", "error", "reply", "expired", "end", "superseded", "event")
_KIND = ("request", "event", "orphan")
_STATUS_CODE, _HOW_CODE, _KIND_CODE = ({name: i for i, name in enumerate(names)}
                                       for names in (_STATUS, _HOW, _KIND))
# What a request asked for (Transaction fields the Tracker sets when it opens): bits
# 0-4 dump, want_reply, want_ack, want_echo, zero_portid; notifying << 5


class FinalStore:
    """What each transaction of a capture became, by transaction id, and each message's
    transaction, by message number."""

    def __init__(self) -> None:
        self.txn = array("I")  # by message number - 1: its transaction's id, 0: none
        self.kind = array("B")
        self.asked = array("B")
        # message numbers and transaction ids count from 1: 0 is none
        self.caused_by = array("I")  # an event's request's message number
        self.cause_id = array("I")
        self.status = array("B")
        self.how = array("B")
        self.replies = array("I")
        self.multipart = array("B")
        self.first = array("I")  # first answer's message number
        self.first_ts = array("q")
        self.last = array("I")
        self.last_ts = array("q")
        self.end = array("I")
        self.end_type = array("i")
        self.errno = array("i")  # -1: none
        self.portid = array("q")  # -1: unknown
        self.count = array("I")
        self.text: dict[int, tuple[str | None, str | None, str | None]] = {}  # extack, attr, errno name
        self.events: dict[int, list[int]] = {}
        self.notes: dict[int, str] = {}
        # what pairing found wrong with a message (a family's plugin failing), by number
        self.problems: dict[int, list[str]] = {}

    def record(self, t: Transaction) -> None:
        k = t.id - 1
        grow = k + 1 - len(self.status)
        if grow > 0:
            for a in (self.kind, self.asked, self.caused_by, self.cause_id, self.status, self.how,
                      self.replies, self.multipart, self.first, self.first_ts, self.last,
                      self.last_ts, self.end, self.end_type, self.errno, self.portid, self.count):
                a.extend([0] * grow)
        self.kind[k] = _KIND_CODE[t.kind]
        self.asked[k] = (t.dump | t.want_reply << 1 | t.want_ack << 2 | t.want_echo << 3
                         | t.zero_portid << 4 | t.notifying << 5)
        self.caused_by[k] = t.caused_by or 0
        self.cause_id[k] = t.cause_id or 0
        self.status[k] = _STATUS_CODE[t.status]
        self.how[k] = _HOW_CODE.get(t.closed_by, 0)
        self.replies[k] = t.replies
        self.multipart[k] = t.multipart
        self.first[k] = t.first_answer or 0
        self.first_ts[k] = t.first_ts
        self.last[k] = t.last_answer or 0
        self.last_ts[k] = t.last_ts
        self.end[k] = t.end or 0
        self.end_type[k] = -1 if t.end_type is None else t.end_type
        self.errno[k] = -1 if t.errno is None else t.errno
        self.portid[k] = -1 if t.portid is None else t.portid
        self.count[k] = len(t.numbers)
        if t.extack is not None or t.error_attr is not None or t.errno_name is not None:
            self.text[t.id] = (t.extack, t.error_attr, t.errno_name)
        if t.events:
            self.events[t.id] = list(t.events)
        if t.note is not None:
            self.notes[t.id] = t.note

    def pair(self, tracker: Tracker, m: Message) -> None:
        """The first pass: `tracker` (whose closes this store records) pairs the next
        message; its transaction's id is kept, and the problems pairing noted on it
        (the Tracker adds one when a family's hook fails)."""
        problems = m.scan_count
        t = tracker.feed(m)
        self.txn.append(0 if t is None else t.id)
        if m.scan_count > problems:
            self.problems[m.number] = m.scan_problems[problems:]
        if t is not None and t.status == EVENT and t.first is m:
            self.record(t)  # born final: the Tracker never closes it

    def final(self, t: Transaction) -> Transaction:
        """A copy of the open transaction `t` as it ends up."""
        k = t.id - 1
        if k >= len(self.status):
            return t  # the first pass ended before it (e.g. -c N): as known now
        f = copy.copy(t)
        self._ends(f, k)
        f.numbers = array("I", t.numbers)
        return f

    def opened(self, tid: int, m: Message) -> Transaction | None:
        """Transaction `tid` as it ends up, at its first message `m`: as the Tracker
        opened it, with what it became."""
        k = tid - 1
        if k >= len(self.status):
            return None
        t = Transaction(tid, _KIND[self.kind[k]], m)
        asked = self.asked[k]
        t.dump, t.want_reply, t.want_ack = bool(asked & 1), bool(asked & 2), bool(asked & 4)
        t.want_echo, t.zero_portid, t.notifying = bool(asked & 8), bool(asked & 16), asked >> 5
        t.note = self.notes.get(tid)
        t.caused_by = self.caused_by[k] or None
        t.cause_id = self.cause_id[k] or None
        self._ends(t, k)
        return t

    def _ends(self, f: Transaction, k: int) -> None:
        f.status = _STATUS[self.status[k]]
        f.closed_by = _HOW[self.how[k]]
        f.replies = self.replies[k]
        f.multipart = bool(self.multipart[k])
        f.first_answer = self.first[k] or None
        f.first_ts = self.first_ts[k]
        f.last_answer = self.last[k] or None
        f.last_ts = self.last_ts[k]
        f.end = self.end[k] or None
        f.end_type = None if self.end_type[k] < 0 else self.end_type[k]
        f.errno = None if self.errno[k] < 0 else self.errno[k]
        f.portid = None if self.portid[k] < 0 else self.portid[k]
        tid = k + 1
        f.extack, f.error_attr, f.errno_name = self.text.get(tid, (None, None, None))
        f.events = self.events.get(tid, [])
        f.total = self.count[k]

    @classmethod
    def build(cls, messages: Iterable[Message], registry: Any) -> FinalStore:
        """The first pass: pair every message (headers only), keep what each became."""
        store = cls()
        tracker = Tracker(registry=registry, keep_messages=False)
        tracker.on_close = store.record
        for m in messages:
            store.pair(tracker, m)
        tracker.flush()
        return store


def with_final(messages: Iterable[Message], store: FinalStore, open_at_start: Iterable[Transaction] = (),
               on_close: Callable[[Transaction], None] | None = None
               ) -> Iterator[tuple[Message, Transaction | None]]:
    """The second pass: each message with its transaction as it ends up, from the first
    pass's store, paired by nothing but the message's number. `open_at_start`: the
    transactions open before the first message (a worker's chunk in the middle of the
    file); `on_close` is told of each transaction after its last message."""
    finals = {t.id: store.final(t) for t in open_at_start}
    ids, problems = store.txn, store.problems
    known = len(ids)
    for m in messages:
        n = m.number
        if problems and n in problems:
            for p in problems[n]:
                m.add_scan_problem(p)
        tid = ids[n - 1] if n <= known else 0  # past the first pass (the file grew): none
        if not tid:
            yield m, None
            continue
        f = finals.get(tid)
        if f is None:
            f = store.opened(tid, m)
            if f is None:
                yield m, None
                continue
            if f.total > 1:
                finals[tid] = f
        else:
            f.numbers.append(n)
            req = f.request
            if req is not None and m.request is None and m is not req:
                m.pair(req)  # as the Tracker pairs an answer (an error's Info names it)
            if len(f.numbers) >= f.total:
                del finals[tid]
        if on_close is not None and len(f.numbers) >= f.total:
            on_close(f)
        yield m, f
    if on_close is not None:
        for f in finals.values():
            on_close(f)
