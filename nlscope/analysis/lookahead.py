"""Look-ahead for capture files, as `tshark -2` does: a first pass pairs every message
(headers only) and keeps, in arrays, what each transaction became; the second pass,
which writes, pairs again the same way and gives each message its transaction as it
ends up (reply_in, end_in, status, latency, events), with nothing held back: no
message waits for its transaction's end. ~70 bytes per transaction.

The Tracker is deterministic, so both passes give a transaction the same id.
"""
from __future__ import annotations

import copy
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from ..decode.model import Message
from .transactions import OPEN, Tracker, Transaction

_STATUS = ("ok", "error", "unanswered", "no_reply", "incomplete", "orphan", "event")
_HOW = ("done", "ack", "error", "reply", "expired", "end", "superseded", "event")


class FinalStore:
    """What each transaction of a capture became, by transaction id."""

    def __init__(self) -> None:
        self.status = array("B")
        self.how = array("B")
        self.replies = array("I")
        self.multipart = array("B")
        self.first = array("q")  # first answer's message number, -1: none
        self.first_ts = array("q")
        self.last = array("q")
        self.last_ts = array("q")
        self.end = array("q")
        self.end_type = array("i")
        self.errno = array("i")  # -1: none
        self.portid = array("q")  # -1: unknown
        self.count = array("I")
        self.text: dict[int, tuple[str | None, str | None, str | None]] = {}  # extack, attr, errno name
        self.events: dict[int, list[int]] = {}

    def record(self, t: Transaction) -> None:
        k = t.id - 1
        grow = k + 1 - len(self.status)
        if grow > 0:
            for a in (self.status, self.how, self.replies, self.multipart, self.first, self.first_ts,
                      self.last, self.last_ts, self.end, self.end_type, self.errno, self.portid,
                      self.count):
                a.extend([0] * grow)
        self.status[k] = _STATUS.index(t.status)
        self.how[k] = _HOW.index(t.closed_by) if t.closed_by in _HOW else 0
        self.replies[k] = t.replies
        self.multipart[k] = t.multipart
        self.first[k] = -1 if t.first_answer is None else t.first_answer
        self.first_ts[k] = t.first_ts
        self.last[k] = -1 if t.last_answer is None else t.last_answer
        self.last_ts[k] = t.last_ts
        self.end[k] = -1 if t.end is None else t.end
        self.end_type[k] = -1 if t.end_type is None else t.end_type
        self.errno[k] = -1 if t.errno is None else t.errno
        self.portid[k] = -1 if t.portid is None else t.portid
        self.count[k] = len(t.numbers)
        if t.extack is not None or t.error_attr is not None or t.errno_name is not None:
            self.text[t.id] = (t.extack, t.error_attr, t.errno_name)
        if t.events:
            self.events[t.id] = list(t.events)

    def final(self, t: Transaction) -> Transaction:
        """A copy of the open transaction `t` as it ends up."""
        k = t.id - 1
        if k >= len(self.status):
            return t  # the first pass ended before it (e.g. -c N): as known now
        f = copy.copy(t)
        f.status = _STATUS[self.status[k]]
        f.closed_by = _HOW[self.how[k]]
        f.replies = self.replies[k]
        f.multipart = bool(self.multipart[k])
        f.first_answer = None if self.first[k] < 0 else self.first[k]
        f.first_ts = self.first_ts[k]
        f.last_answer = None if self.last[k] < 0 else self.last[k]
        f.last_ts = self.last_ts[k]
        f.end = None if self.end[k] < 0 else self.end[k]
        f.end_type = None if self.end_type[k] < 0 else self.end_type[k]
        f.errno = None if self.errno[k] < 0 else self.errno[k]
        f.portid = None if self.portid[k] < 0 else self.portid[k]
        f.extack, f.error_attr, f.errno_name = self.text.get(t.id, (None, None, None))
        f.events = self.events.get(t.id, [])
        f.numbers = array("I", t.numbers)
        f.total = self.count[k]
        return f

    @classmethod
    def build(cls, messages: Iterable[Message], registry: Any) -> FinalStore:
        """The first pass: pair every message (headers only), keep what each became."""
        store = cls()
        tracker = Tracker(registry=registry, keep_messages=False)
        tracker.on_close = store.record
        for m in messages:
            tracker.feed(m)
        tracker.flush()
        return store


def with_final(messages: Iterable[Message], tracker: Tracker, store: FinalStore
               ) -> Iterator[tuple[Message, Transaction | None]]:
    """The second pass: each message paired by `tracker` as it comes, its transaction
    as it ends up (a copy while it is still open here, one per open transaction)."""
    finals: dict[int, Transaction] = {}
    listener = tracker.on_close  # keep whoever else listens to the closes

    def closed(t: Transaction) -> None:
        finals.pop(t.id, None)
        if listener is not None:
            listener(t)
    tracker.on_close = closed
    feed = tracker.feed
    for m in messages:
        t = feed(m)
        if t is not None and t.status == OPEN:
            f = finals.get(t.id)
            if f is None:
                f = finals[t.id] = store.final(t)
            elif len(f.numbers) != len(t.numbers):
                f.numbers = array("I", t.numbers)
            yield m, f
        else:
            yield m, t
    tracker.flush()
