"""The flow of messages between sockets, the kernel and multicast groups, as a ladder
(sngrep's call flow for netlink): one arrow per message, from the lane that sent it to
the lane that got it, with its transaction's links (an answer's request, the request
a notification was caused by).

Lanes: each user socket (its port id, learned from the answers when the request says 0;
the process when the capture knows it), the kernel, and "multicast" for notifications
sent to groups. Built from the index's headers and the transaction index: nothing is
decoded. A flow covers a window of messages around one, so any capture size costs the
same.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .txindex import EVENT, REQUEST

KERNEL, MULTICAST = "kernel", "multicast"
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST = 0x1
MAX_SOCKETS = 6  # socket lanes at once; past that they share one
OTHER = "other sockets"
WINDOW = 400  # messages around the chosen one


@dataclass(frozen=True, slots=True)
class Arrow:
    index: int  # the message (0-based index)
    src: int  # lane numbers
    dst: int
    role: str  # request, reply, ack, error, done, event, other
    reply_to: int | None  # an answer: its request's message index
    caused_by: int | None  # a notification: the request that caused it
    socket: str = ""  # the user socket (empty: a notification to a group)


@dataclass(slots=True)
class Flow:
    lanes: list[str]
    arrows: list[Arrow]
    kernel: int  # the kernel's lane number

    def arrow_of(self, i: int) -> Arrow | None:
        for a in self.arrows:
            if a.index == i:
                return a
        return None


def _role(ix: Any, txns: Any, i: int) -> tuple[str, int | None, int | None]:
    t = txns.of(i)
    if t < 0:
        return "other", None, None
    first = txns.t_first[t]
    cause = txns.t_cause[t]
    caused_by = txns.t_first[cause] if cause >= 0 else None
    kind = txns.t_kind[t]
    if kind == EVENT:
        return "event", None, caused_by
    if kind == REQUEST and first == i:
        return "request", None, None
    mt = ix.m_type[i]
    reply_to = first if kind == REQUEST else None
    if mt == NLMSG_ERROR:
        return ("error" if ix.m_err[i] else "ack"), reply_to, None
    if mt == NLMSG_DONE:
        return "done", reply_to, None
    return "reply", reply_to, caused_by


def _socket(ix: Any, txns: Any, i: int, role: str) -> str:
    """The user socket a message came from or went to."""
    fr = ix.m_frame[i]
    pid = None
    extra = ix.fr_extra.get(fr)
    if extra is not None:
        _, pid, comm = extra
    port = ix.m_pid[i]
    if role == "request" and not port:
        t = txns.of(i)
        if t >= 0:  # the port id the kernel answered to
            for j in txns.members(t)[1:]:
                if ix.m_pid[j]:
                    port = ix.m_pid[j]
                    break
    who = f"{comm or '?'}[{pid}]" if pid is not None else ""
    where = f"port {port}" if port else "port ?"
    return f"{who} {where}".strip()


def flow(ix: Any, txns: Any, rows: Sequence[int] | None, around: int, window: int = WINDOW) -> Flow:
    """The ladder of the shown messages (`rows`, message indices; None: all) within
    `window` of message index `around`."""
    if rows is None:
        lo = max(0, around - window // 2)
        chosen: Sequence[int] = range(lo, min(ix.count, lo + window))
    else:
        from bisect import bisect_left
        k = bisect_left(rows, around)
        lo = max(0, k - window // 2)
        chosen = rows[lo:lo + window]
    plan: list[tuple[int, str, str, int | None, int | None, bool]] = []
    last: dict[str, int] = {}  # socket -> its last position in the window
    for k, i in enumerate(chosen):
        role, reply_to, caused_by = _role(ix, txns, i)
        from_user = role == "request" or (role == "other" and bool(ix.m_flags[i] & NLM_F_REQUEST))
        to_group = role == "event" and not from_user
        sock = "" if to_group else _socket(ix, txns, i, "request" if from_user else role)
        if sock:
            last[sock] = k
        plan.append((i, role, sock, reply_to, caused_by, from_user))
    # A socket holds a lane from its first message to its last in the window; a lane
    # freed is given to the next new socket (most tools use one socket per command).
    slot_of: dict[str, int] = {}
    free = list(range(MAX_SOCKETS))
    held: list[list[str]] = [[] for _ in range(MAX_SOCKETS)]
    overflow = False
    lanes_used: list[tuple[int, int]] = []  # (arrow k, slot) to resolve afterwards
    for k, (i, role, sock, *_rest) in enumerate(plan):
        if not sock:
            continue
        slot = slot_of.get(sock)
        if slot is None:
            if free:
                slot = free.pop(0)
                held[slot].append(sock)
            else:
                slot = MAX_SOCKETS  # no lane left: the shared one
                overflow = True
            slot_of[sock] = slot
        lanes_used.append((k, slot))
        if last[sock] == k and slot < MAX_SOCKETS:
            free.append(slot)
            free.sort()
    used = sorted({slot for _, slot in lanes_used})
    lane_no = {slot: n for n, slot in enumerate(used)}
    lanes = []
    for slot in used:
        if slot == MAX_SOCKETS:
            lanes.append(OTHER)
        else:
            lanes.append(held[slot][0] if len(held[slot]) == 1 else f"sockets ({len(held[slot])})")
    kernel = len(lanes)
    lanes += [KERNEL, MULTICAST]
    group = kernel + 1
    user_lane = dict((k, lane_no[slot]) for k, slot in lanes_used)
    arrows = []
    for k, (i, role, sock, reply_to, caused_by, from_user) in enumerate(plan):
        user = user_lane.get(k, group)
        src, dst = (user, kernel) if from_user else (kernel, user)
        arrows.append(Arrow(i, src, dst, role, reply_to, caused_by, sock))
    return Flow(lanes, arrows, kernel)
