"""Transactions over the capture index, as nlscope.analysis.transactions pairs them,
kept as arrays of ints beside the index (a million messages cost ~12 MB more).

The library's streaming Tracker is fed every message in capture order, by the pass
that builds the index (`feed`, with the lazy messages the index just scanned) or
afterwards (`update`, reading them from the index). It reads their headers: the
nlmsghdr, the frame's time, direction and process, the type's name and kind, the
error code; it decodes only an error carrying an extended ACK (and the request
attribute the ACK points at). So the TUI's colours, its one row per transaction
mode and its transaction pane, and the CLI's look-ahead, show the library's
transactions: the same pairing, status, port-id learning, notifications "caused by"
a request, expiry, orphans, as `nlscope read --transactions`.

Open transactions are followed until the Tracker closes them (an answer, expiry by
capture time or messages, or `finish()` at the end of the capture), then their final
status is written and the library's object dropped.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

from ..decode.index import CaptureIndex
from ..decode.model import Message
from .transactions import OPEN, Tracker

NLMSG_ERROR, NLMSG_DONE = 2, 3

# transaction status; names as nlscope.analysis.transactions (and the filter's txn.status) say
PENDING, ACKED, ERROR, DONE, REPLIED, NOTIFY, SENT, ORPHAN, INCOMPLETE = range(9)
STATUS_NAMES = {PENDING: "unanswered", ACKED: "ok", ERROR: "error", DONE: "ok", REPLIED: "ok",
                NOTIFY: "event", SENT: "no_reply", ORPHAN: "orphan", INCOMPLETE: "incomplete"}
HOW = {ACKED: "ack", DONE: "done", REPLIED: "reply"}  # how an ok transaction ended
WAITING = frozenset({PENDING, INCOMPLETE})

# what a transaction is (t_kind): the library's kinds, and messages it leaves out
# (fragments, NLMSG_NOOP...), which get a transaction of their own here
REQUEST, EVENT, ORPHAN_KIND, NONE = range(4)
_KINDS = {"request": REQUEST, "event": EVENT, "orphan": ORPHAN_KIND}
# t_expect bits while open: what the request waits for, and whether anything came
EXP_ACK, EXP_DUMP, EXP_ANSWERED, EXP_REPLY = 1, 2, 4, 8
_CLOSED = {"error": ERROR, "unanswered": PENDING, "no_reply": SENT, "incomplete": INCOMPLETE,
           "orphan": ORPHAN, "event": NOTIFY}
_OK_HOW = {"ack": ACKED, "done": DONE, "reply": REPLIED}


@dataclass(slots=True)
class TxnInfo:
    """One transaction, for the detail pane."""

    id: int
    status: str
    error: int
    members: list[int]  # message indices in capture order
    request: int | None  # message index of the request
    end: int | None  # the ACK / error / DONE / reply that ended it
    latency_ns: int | None  # request to last answer
    replies: int
    caused_by: int | None = None  # an event: the message index of its request


class TxnIndex:
    def __init__(self, index: CaptureIndex):
        self.index = index
        self.m_txn = array("i")
        self.m_next = array("i")
        self.t_first = array("I")
        self.t_last = array("I")
        self.t_status = array("B")
        self.t_err = array("i")  # the error code (negative errno) of an error
        self.t_count = array("I")
        self.t_expect = array("B")
        self.t_kind = array("B")
        self.t_end = array("i")  # message index of the end (-1: none)
        self.t_replies = array("I")
        self.t_cause = array("i")  # an event: the transaction of the request it names
        self.events: dict[int, list[int]] = {}  # request transaction -> its events
        self.done = 0
        self.finished = False
        self.tracker = Tracker(registry=index.decoder.registry, keep_messages=False)
        self._of_lib = array("I")  # library transaction id - 1 -> ours
        self._open: dict[int, Any] = {}  # ours -> the library's Transaction, still open

    def __len__(self) -> int:
        return len(self.t_first)

    # -- growing -----------------------------------------------------------------------
    def feed(self, msgs: list[Message]) -> None:
        """Pair the next messages, in capture order (the index pass's own)."""
        for m in msgs:
            if m.number - 1 != self.done:  # not the next one: catch up from the index first
                if m.number - 1 < self.done:
                    continue
                self.update(m.number - 1)
            self._take(m)

    def update(self, stop: int | None = None) -> int:
        """Pair messages [done, stop) read from the index. Run on the thread that
        grows the index."""
        ix = self.index
        stop = ix.count if stop is None else stop
        i = self.done
        while i < stop:
            fi = ix.m_frame[i]
            msgs = ix.frame_messages(fi)
            for m in msgs[i - ix.fr_first[fi]:]:
                if i >= stop:
                    break
                self._take(m)
                i += 1
        self._sweep()
        return i

    def _take(self, m: Message) -> None:
        i = self.done
        if not i & 2047:
            self._sweep()  # keep what is followed here to what the Tracker has open
        of_lib = self._of_lib
        lt = self.tracker.feed(m)
        if lt is None:  # a fragment, NLMSG_NOOP: no transaction in the library
            self._new(i, ORPHAN if m.type is None else NOTIFY, NONE)
        elif lt.id <= len(of_lib):
            self._join(of_lib[lt.id - 1], i)
        else:
            t = self._new(i, PENDING, _KINDS.get(lt.kind, NONE))
            of_lib.append(t)
            self._open[t] = lt
            if lt.cause_id is not None and lt.cause_id <= len(of_lib):
                cause = of_lib[lt.cause_id - 1]
                self.t_cause[t] = cause
                self.events.setdefault(cause, []).append(t)
        self.done = i + 1

    def finish(self) -> None:
        """The capture ended: what is still open is unanswered, incomplete..."""
        if not self.finished:
            self.update()
            self.tracker.flush()
            self._sweep()
            self.finished = True

    def _new(self, i: int, status: int, kind: int) -> int:
        t = len(self.t_first)
        self.t_first.append(i)
        self.t_last.append(i)
        self.t_status.append(status)
        self.t_err.append(0)
        self.t_count.append(1)
        self.t_expect.append(0)
        self.t_kind.append(kind)
        self.t_end.append(-1)
        self.t_replies.append(0)
        self.t_cause.append(-1)
        self.m_txn.append(t)
        self.m_next.append(-1)
        return t

    def _join(self, t: int, i: int) -> None:
        self.m_next[self.t_last[t]] = i
        self.t_last[t] = i
        self.t_count[t] += 1
        self.m_txn.append(t)
        self.m_next.append(-1)

    def _sweep(self) -> None:
        """Write what the library now knows of the transactions still open here."""
        for t, lt in list(self._open.items()):
            self.t_replies[t] = lt.replies
            if lt.end is not None:
                self.t_end[t] = lt.end - 1
            if lt.status == OPEN:
                self.t_expect[t] = ((EXP_ACK if lt.want_ack else 0) | (EXP_DUMP if lt.dump else 0)
                                    | (EXP_ANSWERED if lt.first_answer is not None else 0)
                                    | (EXP_REPLY if lt.want_reply or lt.want_echo else 0))
                continue
            if lt.status == "ok":
                st = _OK_HOW.get(lt.closed_by, REPLIED)
            else:
                st = _CLOSED.get(lt.status, PENDING)
            if lt.errno:
                self.t_err[t] = -lt.errno
            self.t_expect[t] = 0
            self.t_status[t] = st
            del self._open[t]

    # -- queries ---------------------------------------------------------------------
    def status(self, t: int) -> int:
        """The status as shown; a transaction still open shows as `unanswered`, as
        `incomplete` once part of its answer came, as `no_reply` when it waits for
        nothing (a NEW/DEL/SET without ACK: an error may still come)."""
        s = self.t_status[t]
        if s == PENDING and t in self._open:
            exp = self.t_expect[t]
            if exp & EXP_ANSWERED:
                return INCOMPLETE
            if not exp & (EXP_ACK | EXP_DUMP | EXP_REPLY):
                return SENT
        return s

    def is_open(self, t: int) -> bool:
        return t in self._open

    def is_request(self, i: int) -> bool:
        """Message index i is the request of its transaction."""
        t = self.of(i)
        return t >= 0 and self.t_kind[t] == REQUEST and self.t_first[t] == i

    def members(self, t: int) -> list[int]:
        out = []
        i = self.t_first[t]
        while i >= 0:
            out.append(i)
            i = self.m_next[i]
        return out

    def info(self, t: int) -> TxnInfo:
        ix = self.index
        mem = self.members(t)
        first = mem[0]
        req = first if self.t_kind[t] == REQUEST else None
        end = self.t_end[t]
        last = mem[-1]
        lat = ix.ts(last) - ix.ts(first) if req is not None and len(mem) > 1 else None
        cause = self.t_cause[t]
        return TxnInfo(t, STATUS_NAMES[self.status(t)], self.t_err[t], mem, req,
                       end if end >= 0 else None, lat, self.t_replies[t],
                       self.t_first[cause] if cause >= 0 else None)

    def related(self, t: int) -> list[int]:
        """t with the transactions linked to it: its request's (an event), its events."""
        out = [t]
        cause = self.t_cause[t]
        if cause >= 0:
            out.append(cause)
        out.extend(self.events.get(t, ()))
        return out

    def count_waiting(self) -> int:
        return sum(1 for t in range(len(self.t_first)) if self.t_status[t] == PENDING
                   and self.t_kind[t] == REQUEST and self.status(t) in WAITING)

    def of(self, i: int) -> int:
        return self.m_txn[i] if i < len(self.m_txn) else -1

    def request_of(self, i: int) -> int:
        """The request message i answers (its transaction's first), or -1."""
        t = self.of(i)
        if t < 0 or self.t_kind[t] != REQUEST:
            return -1
        r = self.t_first[t]
        return r if r != i else -1
