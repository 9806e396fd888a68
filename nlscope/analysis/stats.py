"""Capture statistics (`nlscope stats`): counts and bytes per family and message type,
transactions by status, errors by errno with their extended ACK messages, latency
percentiles per request type, unanswered requests, top talkers by port id and process.

Streaming: `Stats.add_message(msg, txn)` per message and `Stats.add_transaction(txn)` per
final transaction (as `nlscope.analysis.transactions.correlate` yields them); only aggregates are
kept (plus one latency number per answered request, for exact percentiles).
"""
from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from typing import Any

from ..decode.decoder import errno_name
from ..escape import escape  # the one escaping of every text output
from ..decode.model import Message
from .transactions import (INCOMPLETE, NLMSG_DONE, NLMSG_ERROR, OPEN, STATUSES, UNANSWERED,
                           Transaction, _error_code, _extack)

LIST_LIMIT = 1000  # unanswered/incomplete requests kept by name (the count is always exact)


def _keep_first(records: list[dict[str, Any]], rec: dict[str, Any]) -> None:
    """Keep the LIST_LIMIT first requests by number, whatever order they close in."""
    records.append(rec)
    if len(records) > LIST_LIMIT:
        records.sort(key=lambda r: r["number"])
        records.pop()


def percentile(sorted_values: list[int], p: float) -> int:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        raise ValueError("no values")
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


class _Talker:
    __slots__ = ("messages", "bytes", "requests", "errors", "pid", "comm")

    def __init__(self) -> None:
        self.messages = self.bytes = self.requests = self.errors = 0
        self.pid: int | None = None
        self.comm: str | None = None


class Stats:
    def __init__(self, top: int = 10):
        self.top = top
        self.messages = 0
        self.frames = 0
        self.bytes = 0
        self.malformed = 0
        self.first_ts: int | None = None
        self.last_ts: int | None = None
        self._last_frame = None
        self.families: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.types: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.roles: Counter[str] = Counter()
        self.txn_status: Counter[str] = Counter()
        self.transactions = 0
        # errno -> [count, Counter(request type), Counter(extack text)]
        self.errors: dict[int, list[Any]] = {}
        # one number per answered request (exact percentiles): 8 bytes each in an array,
        # not a Python int in a list (~36)
        self.latency: dict[tuple[str, str, bool], array] = defaultdict(lambda: array("q"))
        self.first_latency: dict[tuple[str, str, bool], array] = defaultdict(lambda: array("q"))
        self.unanswered: list[dict[str, Any]] = []
        self.incomplete: list[dict[str, Any]] = []
        self.n_unanswered = 0
        self.n_incomplete = 0
        self.talkers: dict[int, _Talker] = defaultdict(_Talker)
        self.processes: dict[tuple[int, str | None], list[int]] = defaultdict(lambda: [0, 0])
        self._unsettled: dict[int, list[tuple[Message, str, int]]] = {}

    # -- feeding ---------------------------------------------------------------------
    def add_message(self, msg: Message, txn: Transaction | None) -> None:
        size = msg.end - msg.start
        self.messages += 1
        self.bytes += size
        if msg.frame is not self._last_frame:
            self.frames += 1
            self._last_frame = msg.frame
        ts = msg.frame.ts_ns
        if self.first_ts is None:
            self.first_ts = ts
        self.last_ts = ts
        if msg.scan_problems:  # framing (lengths, truncation): known without decoding
            self.malformed += 1
        family = msg.family
        fam = self.families[family]
        fam[0] += 1
        fam[1] += size
        ty = self.types[(family, msg.type_name or "?")]
        ty[0] += 1
        ty[1] += size
        role = txn.role_of(msg) if txn is not None else "other"
        self.roles[role] += 1
        if msg.type in (NLMSG_ERROR, NLMSG_DONE):
            self._error(msg, txn)
        # Talkers: the socket (port id) a message goes to or comes from. A request that
        # said port id 0 is its socket's once an answer tells which: until its
        # transaction closes (settle), its share waits.
        if txn is not None and txn.kind != "event" and txn.portid is None and txn.status == OPEN:
            self._unsettled.setdefault(txn.id, []).append((msg, role, size))
            return
        self._talk(msg, txn, role, size)

    def settle(self, txn: Transaction) -> None:
        """A transaction closed: credit what waited for its socket."""
        for msg, role, size in self._unsettled.pop(txn.id, ()):
            self._talk(msg, txn, role, size)

    def _talk(self, msg: Message, txn: Transaction | None, role: str, size: int) -> None:
        if txn is not None and txn.kind != "event" and txn.portid is not None:
            portid = txn.portid
        else:
            portid = msg.pid or 0
        tk = self.talkers[portid]
        tk.messages += 1
        tk.bytes += size
        if role == "request":
            tk.requests += 1
        elif role == "error":
            tk.errors += 1
        if msg.frame.pid is not None:
            tk.pid, tk.comm = msg.frame.pid, msg.frame.comm
            pr = self.processes[(msg.frame.pid, msg.frame.comm)]
            pr[0] += 1
            pr[1] += size

    def _error(self, msg: Message, txn: Transaction | None) -> None:
        if msg.is_fragment or (msg.type == NLMSG_DONE and msg.nlmsg_len < 20):
            return
        code = _error_code(msg)
        if code == 0 or (msg.type == NLMSG_DONE and code > 0):
            return
        e = -code if code < 0 else code
        rec = self.errors.get(e)
        if rec is None:
            rec = self.errors[e] = [0, Counter(), Counter()]
        rec[0] += 1
        rec[1][_request_type(msg, txn)] += 1
        text = None
        for c in _extack(msg):  # decodes only an error that carries an extended ACK
            if c.name == "NLMSGERR_ATTR_MSG":
                text = c.value
        if text is not None:
            at = txn.error_attr if txn is not None and txn.error_attr else None
            rec[2][f"{text} (at {at})" if at else text] += 1

    def add_transaction(self, txn: Transaction) -> None:
        self.transactions += 1
        self.txn_status[txn.status] += 1
        if txn.kind != "request":
            return
        key = (txn.family, txn.type_name or "?", txn.dump)
        lat = txn.latency_ns
        if lat is not None and txn.status not in (UNANSWERED, INCOMPLETE):
            self.latency[key].append(lat)
            fl = txn.first_latency_ns
            if fl is not None:
                self.first_latency[key].append(fl)
        if txn.status in (UNANSWERED, INCOMPLETE):
            rec = {"number": txn.number, "family": txn.family, "type": txn.type_name,
                   "seq": txn.seq, "portid": txn.portid, "expects": txn.expects,
                   "replies": txn.replies}
            if txn.pid is not None:
                rec["pid"], rec["comm"] = txn.pid, txn.comm
            if txn.status == UNANSWERED:
                self.n_unanswered += 1
                _keep_first(self.unanswered, rec)
            else:
                self.n_incomplete += 1
                _keep_first(self.incomplete, rec)

    # -- output ------------------------------------------------------------------------
    def latency_rows(self) -> list[dict[str, Any]]:
        rows = []
        for (fam, typ, dump), vals in sorted(self.latency.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            vals = sorted(vals)
            firsts = sorted(self.first_latency.get((fam, typ, dump), ()))
            rows.append({
                "family": fam, "request": typ, "dump": dump, "count": len(vals),
                "p50_ns": percentile(vals, 50), "p95_ns": percentile(vals, 95),
                "p99_ns": percentile(vals, 99), "max_ns": vals[-1],
                "mean_ns": sum(vals) // len(vals),
                "first_p50_ns": percentile(firsts, 50) if firsts else None,
            })
        return rows

    def to_json(self) -> dict[str, Any]:
        dur = (self.last_ts - self.first_ts) if self.first_ts is not None else 0
        top = sorted(self.talkers.items(), key=lambda kv: (-kv[1].messages, kv[0]))[:self.top]
        return {
            "capture": {"messages": self.messages, "frames": self.frames, "bytes": self.bytes,
                        "malformed": self.malformed, "duration_ns": dur,
                        "first_ts_ns": self.first_ts, "transactions": self.transactions},
            "families": [{"family": f, "messages": v[0], "bytes": v[1]}
                         for f, v in sorted(self.families.items(), key=lambda kv: (-kv[1][0], kv[0]))],
            "types": [{"family": f, "type": t, "messages": v[0], "bytes": v[1]}
                      for (f, t), v in sorted(self.types.items(), key=lambda kv: (-kv[1][0], kv[0]))],
            "roles": dict(sorted(self.roles.items())),
            "transactions": {s: self.txn_status.get(s, 0) for s in STATUSES},
            "errors": [{"errno": {"name": errno_name(e), "value": e}, "count": r[0],
                        "requests": dict(r[1].most_common()), "extack": dict(r[2].most_common())}
                       for e, r in sorted(self.errors.items(), key=lambda kv: (-kv[1][0], kv[0]))],
            "latency": self.latency_rows(),
            "unanswered": {"count": self.n_unanswered,
                           "requests": sorted(self.unanswered, key=lambda r: r["number"])},
            "incomplete": {"count": self.n_incomplete,
                           "requests": sorted(self.incomplete, key=lambda r: r["number"])},
            "talkers": [{"portid": p, "messages": t.messages, "bytes": t.bytes,
                         "requests": t.requests, "errors": t.errors, "pid": t.pid, "comm": t.comm}
                        for p, t in top],
            "processes": [{"pid": pid, "comm": comm, "messages": v[0], "bytes": v[1]}
                          for (pid, comm), v in sorted(self.processes.items(),
                                                       key=lambda kv: (-kv[1][0], kv[0][0]))[:self.top]],
        }

    def text(self) -> str:
        """The report as text; every line escaped (type names, extack messages and
        process names come from the capture: no control character reaches a terminal)."""
        j = self.to_json()
        c = j["capture"]
        out: list[str] = []
        w = out.append
        w(f"Capture: {c['messages']} messages in {c['frames']} frames, {c['bytes']} bytes, "
          f"{c['duration_ns'] / 1e9:.6f} s, {c['transactions']} transactions"
          + (f", {c['malformed']} malformed (framing)" if c["malformed"] else ""))
        w("")
        w("Messages by family")
        w(f"  {'Family':<12} {'Msgs':>9} {'Bytes':>11}")
        for r in j["families"]:
            w(f"  {r['family']:<12} {r['messages']:>9} {r['bytes']:>11}")
        w("")
        w("Messages by type")
        w(f"  {'Family':<12} {'Type':<36} {'Msgs':>9} {'Bytes':>11}")
        for r in j["types"]:
            w(f"  {r['family']:<12} {r['type']:<36} {r['messages']:>9} {r['bytes']:>11}")
        w("")
        st = ", ".join(f"{n} {s}" for s, n in j["transactions"].items() if n)
        w(f"Transactions: {st or 'none'}")
        w("")
        w("Errors by errno")
        if not j["errors"]:
            w("  none")
        for r in j["errors"]:
            reqs = ", ".join(f"{t} x{n}" for t, n in r["requests"].items())
            name = r["errno"]["name"] or "?"
            label = f"{name} ({r['errno']['value']})"
            w(f"  {label:<24} {r['count']:>7}  {reqs}")
            for text, n in r["extack"].items():
                w(f"      \"{text}\" x{n}")
        w("")
        w("Latency by request type (request to last answer)")
        if not j["latency"]:
            w("  none")
        else:
            w(f"  {'Family':<12} {'Request':<36} {'Count':>7} {'p50':>10} {'p95':>10} {'p99':>10} {'max':>10}")
            for r in j["latency"]:
                name = r["request"] + (" dump" if r["dump"] else "")
                w(f"  {r['family']:<12} {name:<36} {r['count']:>7} " + " ".join(
                    f"{_ms(r[k]):>10}" for k in ("p50_ns", "p95_ns", "p99_ns", "max_ns")))
        for title, key in (("Unanswered requests", "unanswered"), ("Incomplete (no DONE / no ACK)", "incomplete")):
            block = j[key]
            w("")
            w(f"{title}: {block['count']}")
            if block["requests"]:
                w(f"  {'No.':>8} {'Family':<12} {'Type':<32} {'Seq':>10} {'PortID':>10}  Expects")
                for r in block["requests"][:50]:
                    proc = f"  {r['comm']}[{r['pid']}]" if r.get("pid") is not None else ""
                    w(f"  {r['number']:>8} {r['family']:<12} {r['type'] or '?':<32} {r['seq']:>10} "
                      f"{r['portid'] if r['portid'] is not None else '-':>10}  {r['expects']}{proc}")
                if block["count"] > 50:
                    w(f"  ... {block['count'] - 50} more (all in --format json, up to {LIST_LIMIT})")
        w("")
        w("Top talkers by port id (0: kernel notifications, requests never answered)")
        w(f"  {'PortID':>10} {'Msgs':>9} {'Bytes':>11} {'Requests':>9} {'Errors':>7}  Process")
        for r in j["talkers"]:
            proc = f"{r['comm']}[{r['pid']}]" if r["pid"] is not None else ""
            w(f"  {r['portid']:>10} {r['messages']:>9} {r['bytes']:>11} {r['requests']:>9} {r['errors']:>7}  {proc}")
        if j["processes"]:
            w("")
            w("Top processes")
            w(f"  {'PID':>8} {'Command':<16} {'Msgs':>9} {'Bytes':>11}")
            for r in j["processes"]:
                w(f"  {r['pid']:>8} {r['comm'] or '?':<16} {r['messages']:>9} {r['bytes']:>11}")
        return "\n".join([escape(s) for s in out]) + "\n"


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f}ms"


def _request_type(msg: Message, txn: Transaction | None) -> str:
    if txn is not None and txn.request is not None:
        return txn.request.type_name or "?"
    for f in msg.tree[1:]:
        if f.name == "original":
            for c in f.children or ():
                if c.name == "nlmsg_type":
                    return c.meta or str(c.value)
    return "?" if msg.type == NLMSG_ERROR else "dump"


__all__ = ["Stats", "percentile"]
