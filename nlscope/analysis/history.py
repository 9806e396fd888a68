"""Object history: every message of a capture that touched one kernel object (a link, an
address, a route, a neighbour, an nftables table/chain/rule/set, a conntrack entry),
in capture order, each with what it changed, field by field.

An object is named by a key read from a decoded message: its kind and the fields that
identify it to the kernel (OBJECT_KINDS, a table per family). Which messages can touch
it is known from the index's headers (protocol, type), so only those are decoded.
A request that does not name the object the way the kernel does (a create request
before the kernel picked the ifindex, an nft rule before its handle exists) belongs to
it when its transaction caused a notification about it; the ACK or error that ended
such a request is shown too.

What a message changed: the object's state is the last full picture the kernel sent
(a notification, a dump or GET reply, flattened to path -> value); a NEW/SET from the
kernel is compared with it, a request with the fields it sets, a DEL ends the object
(the kernel's notification, or the ACK of a delete request when none was captured).
Counters and timers (VOLATILE) change with every message and are not compared.

    hist = history_of(index, txns, i, names)     # the object message index i touches
    for e in hist.entries: e.index, e.action, e.note, e.changes
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..decode.model import Field, Message

# linux/rtnetlink.h, linux/netfilter/nfnetlink*.h, nf_tables.h, linux/ipv6_route.h, netlink.h
NETLINK_ROUTE, NETLINK_NETFILTER = 0, 12
RT_TABLE_UNSPEC, RT_TABLE_MAIN = 0, 254
AF_INET6 = 10
IP6_RT_PRIO_USER = 1024
NFNL_SUBSYS_CTNETLINK, NFNL_SUBSYS_NFTABLES = 1, 10
NLM_F_REQUEST, NLM_F_CREATE = 0x1, 0x400
NLMSG_ERROR = 2

MAX_ENTRIES = 5000  # the latest entries kept for one object
SCAN_BATCH = 4096


@dataclass(frozen=True, slots=True)
class ObjectKind:
    name: str
    protocol: int
    types: frozenset[int]  # nlmsg_type values of NEW, DEL, GET (and SET) for it
    key: Callable[[Message, Any], tuple | None]  # identity, from the decoded message
    label: Callable[[tuple], str]  # the key, for people
    # The key's part that is the fixed header's s32 at payload offset 4 (ifinfomsg's
    # ifi_index, ifaddrmsg's ifa_index, ndmsg's ndm_ifindex): read from the bytes, a
    # message of another ifindex is passed over undecoded.
    raw_ifindex: int | None = None


# -- reading a decoded message ------------------------------------------------------------

def _fixed(msg: Message, name: str) -> Any:
    """A field of the fixed header (ifinfomsg, rtmsg, nfgenmsg...)."""
    for f in msg.tree[1:]:
        if f.kind == "struct" and f.name != "attributes":
            c = f.get(name)
            if c is not None:
                return c.value
    return None


def _attrs(msg: Message) -> Field | None:
    for f in msg.tree[1:]:
        if f.name == "attributes":
            return f
    return None


def _attr(msg: Message, name: str) -> Any:
    a = _attrs(msg)
    c = a.get(name) if a is not None else None
    if c is None:
        return None
    return c.value if c.children is None else c


def _str(v: Any) -> Any:
    return None if v is None else str(v)


# -- identity, per object kind --------------------------------------------------------------

def _link_key(msg: Message, names: Any) -> tuple | None:
    idx = _fixed(msg, "ifi_index")
    if not idx:
        name = _attr(msg, "IFLA_IFNAME")
        if name is None or names is None:
            return None
        idx = names.ifindex_of(name, msg.number - 1)
        if idx is None:
            return None
    return (idx,)


def _addr_key(msg: Message, names: Any) -> tuple | None:
    local = _attr(msg, "IFA_LOCAL")
    addr = local if local is not None else _attr(msg, "IFA_ADDRESS")
    idx = _fixed(msg, "ifa_index")
    if addr is None or not idx:
        return None
    return (_fixed(msg, "ifa_family"), idx, str(addr), _fixed(msg, "ifa_prefixlen"))


def _route_key(msg: Message, names: Any) -> tuple | None:
    family = _fixed(msg, "rtm_family")
    if family is None:
        return None
    table = _attr(msg, "RTA_TABLE")
    if table is None:
        table = _fixed(msg, "rtm_table")
    if table == RT_TABLE_UNSPEC:
        table = RT_TABLE_MAIN  # what the kernel puts a route without a table in
    prio = _attr(msg, "RTA_PRIORITY")
    if prio is None:
        prio = IP6_RT_PRIO_USER if family == AF_INET6 else 0
    dst = _attr(msg, "RTA_DST")
    return (family, table, _str(dst), _fixed(msg, "rtm_dst_len"), _fixed(msg, "rtm_tos"), prio)


def _neigh_key(msg: Message, names: Any) -> tuple | None:
    idx = _fixed(msg, "ndm_ifindex")
    dst = _attr(msg, "NDA_DST")
    if dst is None:
        dst = _attr(msg, "NDA_LLADDR")  # a bridge FDB entry is its MAC
    if dst is None:
        return None
    return (_fixed(msg, "ndm_family"), idx, str(dst), _attr(msg, "NDA_VLAN"))


def _nft(*names: str):
    def key(msg: Message, _names: Any) -> tuple | None:
        vals = tuple(_str(_attr(msg, n)) for n in names)
        if any(v is None for v in vals):
            return None
        return (_fixed(msg, "nfgen_family"),) + vals
    return key


def _ct_key(msg: Message, names: Any) -> tuple | None:
    orig = _attr(msg, "CTA_TUPLE_ORIG")
    if not isinstance(orig, Field):
        return None
    tup = tuple((n.name, n.short()) for _, n in orig.walk() if n.children is None)
    return (_fixed(msg, "nfgen_family"), tup, _attr(msg, "CTA_ZONE"))


def _rt(*types: int) -> frozenset[int]:
    return frozenset(types)


def _nf(subsys: int, *msgs: int) -> frozenset[int]:
    return frozenset(subsys << 8 | m for m in msgs)


def _fam(v: Any) -> str:
    return {2: "inet", 10: "inet6", 7: "bridge", 1: "inet", 0: "any"}.get(v, str(v))


OBJECT_KINDS: tuple[ObjectKind, ...] = (
    ObjectKind("link", NETLINK_ROUTE, _rt(16, 17, 18, 19), _link_key, lambda k: f"ifindex {k[0]}", 0),
    ObjectKind("address", NETLINK_ROUTE, _rt(20, 21, 22), _addr_key,
               lambda k: f"{k[2]}/{k[3]} dev {k[1]}", 1),
    ObjectKind("route", NETLINK_ROUTE, _rt(24, 25, 26), _route_key,
               lambda k: f"{_fam(k[0])} {k[2] or 'default'}/{k[3]} table {k[1]} tos {k[4]} metric {k[5]}"),
    ObjectKind("neighbour", NETLINK_ROUTE, _rt(28, 29, 30), _neigh_key,
               lambda k: f"{k[2]} dev {k[1]}" + (f" vlan {k[3]}" if k[3] is not None else ""), 1),
    # nf_tables: NEW/GET/DEL of tables 0-2, chains 3-5, rules 6-8, sets 9-11
    ObjectKind("nft table", NETLINK_NETFILTER, _nf(NFNL_SUBSYS_NFTABLES, 0, 1, 2),
               _nft("NFTA_TABLE_NAME"), lambda k: f"table {k[1]}"),
    ObjectKind("nft chain", NETLINK_NETFILTER, _nf(NFNL_SUBSYS_NFTABLES, 3, 4, 5),
               _nft("NFTA_CHAIN_TABLE", "NFTA_CHAIN_NAME"), lambda k: f"chain {k[1]} {k[2]}"),
    ObjectKind("nft rule", NETLINK_NETFILTER, _nf(NFNL_SUBSYS_NFTABLES, 6, 7, 8),
               _nft("NFTA_RULE_TABLE", "NFTA_RULE_CHAIN", "NFTA_RULE_HANDLE"),
               lambda k: f"rule {k[1]} {k[2]} handle {k[3]}"),
    ObjectKind("nft set", NETLINK_NETFILTER, _nf(NFNL_SUBSYS_NFTABLES, 9, 10, 11),
               _nft("NFTA_SET_TABLE", "NFTA_SET_NAME"), lambda k: f"set {k[1]} {k[2]}"),
    # ctnetlink: IPCTNL_MSG_CT_NEW, _GET, _DELETE
    ObjectKind("conntrack", NETLINK_NETFILTER, _nf(NFNL_SUBSYS_CTNETLINK, 0, 1, 2), _ct_key,
               lambda k: " ".join(f"{n.rsplit('_', 1)[-1].lower()}={v}" for n, v in k[1])),
)


def kind_of(protocol: int, mtype: int) -> ObjectKind | None:
    for k in OBJECT_KINDS:
        if k.protocol == protocol and mtype in k.types:
            return k
    return None


def object_key(msg: Message, names: Any = None) -> tuple[ObjectKind, tuple] | None:
    """(kind, key) of the object a decoded message is about, None if it names none."""
    if msg.type is None:
        return None
    kind = kind_of(msg.protocol, msg.type)
    if kind is None:
        return None
    try:
        key = kind.key(msg, names)
    except (AttributeError, TypeError, IndexError):  # a damaged message names nothing
        return None
    return (kind, key) if key is not None else None


# -- what changed ----------------------------------------------------------------------

# Counters, timers and caches: they differ in every message and are not a change.
VOLATILE = frozenset({
    "IFLA_STATS", "IFLA_STATS64", "IFLA_CARRIER_CHANGES", "IFLA_CARRIER_UP_COUNT",
    "IFLA_CARRIER_DOWN_COUNT", "IFLA_INET6_STATS", "IFLA_INET6_ICMP6STATS",
    "IFLA_INET6_CACHEINFO", "IFLA_OFFLOAD_XSTATS", "IFA_CACHEINFO", "RTA_CACHEINFO", "NDA_CACHEINFO",
    "NDA_PROBES", "CTA_COUNTERS_ORIG", "CTA_COUNTERS_REPLY", "CTA_TIMEOUT", "CTA_TIMESTAMP",
    "ifi_change", "NFTA_COUNTER_BYTES", "NFTA_COUNTER_PACKETS",
    "res_id",  # nfgenmsg's: the ruleset generation in nf_tables notifications
})
_SKIP = frozenset({"nlmsghdr", "nfnl_subsys_id", "nfnl_msg_type"})


def flatten(msg: Message, request: bool = False) -> dict[str, str]:
    """path -> shown value of every leaf of the payload (a repeated name gets [k]).
    request: a fixed-header field of 0 is left out (a request's 0 means "not set")."""
    out: dict[str, str] = {}

    def walk(fields: list[Field], prefix: str) -> None:
        seen: dict[str, int] = {}
        for f in fields:
            if f.name in VOLATILE:
                continue
            n = seen.get(f.name, 0)
            seen[f.name] = n + 1
            name = f.name if not n else f"{f.name}[{n}]"
            path = name if not prefix else f"{prefix}.{name}"
            if f.children is not None and f.value is None:
                walk(f.children, path)
            else:
                out[path] = f.display()

    for f in msg.tree:
        if f.name in _SKIP:
            continue
        if f.name == "attributes":
            walk(f.children or [], "")
        elif f.children is not None and f.value is None:
            if request:
                walk([c for c in f.children if c.children is not None or c.value != 0], f.name)
            else:
                walk(f.children, f.name)
        else:
            out[f.name] = f.display()
    return out


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    old: str | None  # None: the field appears
    new: str | None  # None: the field goes


def diff(old: dict[str, str], new: dict[str, str], only_new: bool = False) -> list[Change]:
    """What differs from old to new; only_new: just the fields new has (a request)."""
    out = [Change(p, old.get(p), v) for p, v in new.items() if old.get(p) != v]
    if not only_new:
        out += [Change(p, v, None) for p, v in old.items() if p not in new]
    return out


@dataclass(slots=True)
class Entry:
    index: int  # the message's index (0-based)
    action: str  # new, set, del, get, ack, error
    role: str  # request, state (the kernel's picture), answer
    note: str
    changes: list[Change] = field(default_factory=list)
    type_name: str = ""
    summary: str = ""
    ts_ns: int = 0


@dataclass(slots=True)
class History:
    kind: ObjectKind
    key: tuple
    entries: list[Entry]
    dropped: int = 0  # earlier entries not kept (MAX_ENTRIES)
    complete: bool = True  # False: cancelled before the end of the capture

    @property
    def label(self) -> str:
        return f"{self.kind.name} {self.kind.label(self.key)}"


def _action(msg: Message) -> str:
    k = msg.kind
    if k in ("new", "del", "get"):
        return k
    return "set"


def key_for(ix: Any, txns: Any, i: int, names: Any = None) -> tuple[ObjectKind, tuple] | None:
    """The object message i is about: its own key; for an ACK/error or a request that
    names nothing, its transaction's request, else the first notification it caused."""
    got = object_key(ix.fresh(i), names)
    if got is not None or txns is None:
        return got
    t = txns.of(i)
    if t < 0:
        return None
    cands = [txns.t_first[t]] + [txns.t_first[e] for e in txns.events.get(t, ())]
    cause = txns.t_cause[t]
    if cause >= 0:
        cands.append(txns.t_first[cause])
    for j in cands:
        if j != i:
            got = object_key(ix.fresh(j), names)
            if got is not None:
                return got
    return None


def history(ix: Any, txns: Any, kind: ObjectKind, key: tuple, names: Any = None,
            cancelled: Callable[[], bool] = lambda: False,
            progress: Callable[[float], None] | None = None,
            max_entries: int = MAX_ENTRIES) -> History:
    """Every message of the index that touched the object (see the module docstring)."""
    count = ix.count
    m_type, m_frame, fr_proto, m_flags = ix.m_type, ix.m_frame, ix.fr_proto, ix.m_flags
    hits: list[int] = []
    others: list[int] = []  # requests of this kind naming another (or no) object
    want_ifindex = key[kind.raw_ifindex] if kind.raw_ifindex is not None else None
    complete = True
    for i in range(count):
        if not i % SCAN_BATCH:
            if cancelled():
                complete = False
                break
            if progress is not None:
                progress(i / max(count, 1))
        if m_type[i] not in kind.types or fr_proto[m_frame[i]] != kind.protocol:
            continue
        if want_ifindex is not None:
            other = _raw_ifindex(ix, i)
            if other and other != want_ifindex:
                if m_flags[i] & NLM_F_REQUEST:
                    others.append(i)
                continue
        m = ix.fresh(i)
        got = object_key(m, names)
        if got is not None and got[1] == key:
            hits.append(i)
        elif m_flags[i] & NLM_F_REQUEST:
            others.append(i)
    # requests that caused a notification about it, and the ACK/error that ended them
    mine = set(hits)
    if txns is not None:
        for i in others:
            t = txns.of(i)
            if t >= 0 and any(txns.t_first[e] in mine for e in txns.events.get(t, ())):
                hits.append(i)
        for i in list(hits):
            t = txns.of(i)
            if t >= 0 and txns.t_first[t] == i and m_flags[i] & NLM_F_REQUEST:
                end = txns.t_end[t]
                if end >= 0 and m_type[end] == NLMSG_ERROR:
                    hits.append(end)
    hits = sorted(set(hits))
    dropped = max(0, len(hits) - max_entries)
    entries = _judge(ix, hits[dropped:], txns.request_of if txns is not None else None)
    return History(kind, key, entries, dropped, complete)


_S32 = {o: struct.Struct(o + "i") for o in "<>"}


def _raw_ifindex(ix: Any, i: int) -> int:
    """The s32 at payload offset 4 of message i, from its bytes (0: too short)."""
    fi = ix.m_frame[i]
    m = ix.frame_messages(fi)[i - ix.fr_first[fi]]
    p = m.start + 16 + 4
    if p + 4 > min(m.end, len(m.frame.raw)):
        return 0
    return _S32[m.order].unpack_from(m.frame.raw, p)[0]


def _judge(ix: Any, hits: list[int], request_of: Callable[[int], int] | None) -> list[Entry]:
    state: dict[str, str] | None = None
    gone = False  # the object was deleted and not seen since
    deletes: set[int] = set()  # the delete requests seen
    out: list[Entry] = []
    for i in hits:
        m = ix.fresh(i)
        if m.type == NLMSG_ERROR:
            code = m.error_code or 0
            if code:
                e = Entry(i, "error", "answer", m.summary)
            elif request_of is not None and request_of(i) in deletes and not gone:
                # nlmon sees the kernel's DEL notification only when some socket listens
                # to its group: the ACK of the delete is then the one sign of the end
                e = Entry(i, "ack", "answer", "deleted (the kernel ACKed the delete request)")
                state, gone = None, True
            else:
                e = Entry(i, "ack", "answer", "ACK")
        else:
            if m.flags & NLM_F_REQUEST and _action(m) == "del":
                deletes.add(i)
            e, state = _judge_one(m, i, state, gone)
            if e.role == "state":
                gone = e.action == "del"
        e.type_name, e.summary, e.ts_ns = m.type_name or "?", m.summary, m.frame.ts_ns
        out.append(e)
    return out


def _judge_one(m: Message, i: int, state: dict[str, str] | None, gone: bool
               ) -> tuple[Entry, dict[str, str] | None]:
    """The entry of request or kernel message i and the object's state after it."""
    act = _action(m)
    if m.flags & NLM_F_REQUEST:
        if act == "get":
            return Entry(i, act, "request", "asks for it"), state
        if act == "del":
            return Entry(i, act, "request", "asks to delete it"), state
        ch = diff(state or {}, flatten(m, request=True), only_new=True)
        note = "asks to change" if state is not None else "asks to create or set"
        return Entry(i, act, "request", note if ch else "asks for no change", ch), state
    if act == "del":
        return Entry(i, act, "state", "deleted"), None
    fields = flatten(m)
    if state is None:
        if gone:
            note = "created again"
        elif m.flags & NLM_F_CREATE:
            note = "created"
        else:
            note = f"first seen ({len(fields)} fields)"
        return Entry(i, act, "state", note), fields
    ch = diff(state, fields)
    return Entry(i, act, "state", f"{len(ch)} changed" if ch else "no change", ch), fields
