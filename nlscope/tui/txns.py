"""Transactions over the capture index: which request each message belongs to, with
status and latency, from header fields alone (no decoding), incrementally as the
index grows. Arrays of ints, like the index: a million messages cost ~8 MB more.

Pairing (netlink semantics): a message with NLM_F_REQUEST opens a transaction keyed by
(protocol, seq). A kernel message with that key joins the most recent open one whose
portid is unknown (0) or equal: replies (NLM_F_MULTI parts of a dump, single replies),
then NLMSG_DONE, or NLMSG_ERROR (an ACK when the code is 0) which closes it. A kernel
message no request explains is a notification, a transaction of its own.

nlscope.transactions (the library's correlator) is the reference for the detail view
when it is installed; this index gives the list its status colours and the one row
per transaction mode at any capture size.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

from .index import CaptureIndex

NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_DUMP = 0x300

# transaction status; names as nlscope.transactions (and the filter's txn.status) say
PENDING, ACKED, ERROR, DONE, REPLIED, NOTIFY, SENT, ORPHAN, INCOMPLETE = range(9)
STATUS_NAMES = {PENDING: "unanswered", ACKED: "ok", ERROR: "error", DONE: "ok", REPLIED: "ok",
                NOTIFY: "event", SENT: "no_reply", ORPHAN: "orphan", INCOMPLETE: "incomplete"}
HOW = {ACKED: "ack", DONE: "done", REPLIED: "reply"}  # how an ok transaction ended
WAITING = frozenset({PENDING, INCOMPLETE})


@dataclass(slots=True)
class TxnInfo:
    """One transaction, for the detail pane."""

    id: int
    status: str
    error: int
    members: list[int]  # message indices in capture order
    request: int | None  # message index of the request
    end: int | None  # the ACK / error / DONE
    latency_ns: int | None  # request to last answer
    replies: int


class TxnIndex:
    def __init__(self, index: CaptureIndex):
        self.index = index
        self.m_txn = array("i")
        self.m_next = array("i")
        self.t_first = array("I")
        self.t_last = array("I")
        self.t_status = array("B")
        self.t_err = array("i")
        self.t_count = array("I")
        self.t_expect = array("B")  # bit0 ack expected, bit1 dump, bit2 got a reply
        self._open: dict[tuple[int, int], list[int]] = {}
        self.done = 0

    def __len__(self) -> int:
        return len(self.t_first)

    def update(self, stop: int | None = None) -> int:
        """Pair messages [done, stop). Run on the thread that grows the index."""
        ix = self.index
        stop = ix.count if stop is None else stop
        m_type, m_flags, m_seq, m_pid, m_err, m_frame = (ix.m_type, ix.m_flags, ix.m_seq,
                                                         ix.m_pid, ix.m_err, ix.m_frame)
        fr_proto = ix.fr_proto
        opened = self._open
        i = self.done
        while i < stop:
            mtype = m_type[i]
            flags = m_flags[i]
            if mtype < 0:
                self._new(i, ORPHAN, 0)
                i += 1
                continue
            key = (fr_proto[m_frame[i]], m_seq[i])
            if flags & NLM_F_REQUEST:
                t = self._new(i, PENDING, 0)
                dump = (flags & NLM_F_DUMP) == NLM_F_DUMP
                self.t_expect[t] = (1 if flags & NLM_F_ACK else 0) | (2 if dump else 0)
                opened.setdefault(key, []).append(t)
                i += 1
                continue
            t = self._match(key, m_pid[i])
            if t < 0:
                self._new(i, ERROR if mtype == NLMSG_ERROR and m_err[i] else NOTIFY, m_err[i])
                i += 1
                continue
            self._join(t, i)
            exp = self.t_expect[t]
            if mtype == NLMSG_ERROR:
                err = m_err[i]
                self._close(t, key, ERROR if err else (ACKED if not exp & 4 or exp & 1 else REPLIED), err)
            elif mtype == NLMSG_DONE:
                err = m_err[i]
                self._close(t, key, ERROR if err < 0 else DONE, err)
            else:
                self.t_expect[t] = exp | 4
                if not flags & NLM_F_MULTI and not exp & 1:
                    self._close(t, key, REPLIED, 0)
            i += 1
        self.done = i
        return i

    def _new(self, i: int, status: int, err: int) -> int:
        t = len(self.t_first)
        self.t_first.append(i)
        self.t_last.append(i)
        self.t_status.append(status)
        self.t_err.append(err)
        self.t_count.append(1)
        self.t_expect.append(0)
        self.m_txn.append(t)
        self.m_next.append(-1)
        return t

    def _join(self, t: int, i: int) -> None:
        self.m_next[self.t_last[t]] = i
        self.t_last[t] = i
        self.t_count[t] += 1
        self.m_txn.append(t)
        self.m_next.append(-1)

    def _match(self, key: tuple[int, int], pid: int) -> int:
        lst = self._open.get(key)
        if not lst:
            return -1
        ix = self.index
        for t in reversed(lst):
            rp = ix.m_pid[self.t_first[t]]
            if rp == 0 or rp == pid:
                return t
        return -1

    def _close(self, t: int, key: tuple[int, int], status: int, err: int) -> None:
        self.t_status[t] = status
        self.t_err[t] = err
        lst = self._open.get(key)
        if lst is not None:
            try:
                lst.remove(t)
            except ValueError:
                pass
            if not lst:
                del self._open[key]

    # -- queries ---------------------------------------------------------------------
    def status(self, t: int) -> int:
        """The status as shown: a request still open is `unanswered`, unless it
        expects nothing back (no ACK flag, not a GET) and got nothing: `sent`."""
        s = self.t_status[t]
        if s == PENDING:
            exp = self.t_expect[t]
            if exp & 4:
                return INCOMPLETE  # replies came, the end did not
            if not exp & 3 and not self._is_get(t):
                return SENT
        return s

    def _is_get(self, t: int) -> bool:
        # rtnetlink GET types are 18, 22, 26, ... ((type - 16) % 4 == 2); other families
        # have no such rule, so a request without ACK elsewhere counts as "sent".
        ix = self.index
        i = self.t_first[t]
        mt = ix.m_type[i]
        return ix.fr_proto[ix.m_frame[i]] == 0 and mt >= 16 and (mt - 16) % 4 == 2

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
        req = first if ix.is_request(first) else None
        st = self.status(t)
        last = mem[-1]
        end = last if ix.m_type[last] in (NLMSG_ERROR, NLMSG_DONE) and last != req else None
        lat = ix.ts(last) - ix.ts(first) if req is not None and len(mem) > 1 else None
        replies = sum(1 for i in mem[1:] if ix.m_type[i] not in (NLMSG_ERROR, NLMSG_DONE))
        return TxnInfo(t, STATUS_NAMES[st], self.t_err[t], mem, req, end, lat, replies)

    def count_waiting(self) -> int:
        return sum(1 for t in range(len(self.t_first)) if self.t_status[t] == PENDING
                   and self.status(t) in WAITING)

    def of(self, i: int) -> int:
        return self.m_txn[i] if i < len(self.m_txn) else -1
