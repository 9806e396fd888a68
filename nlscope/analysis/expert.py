"""Expert info, as Wireshark's: every problem of a capture, grouped by severity.

  error    malformed messages (every problem the decode found), error replies
  warning  requests left unanswered (or answered in part), answers with no request
  note     ACKs and DONEs carrying an extack warning

Each item names its message (index), so a UI can jump to it. Read from the index's
arrays and transactions; messages are decoded once, in order, for their problems.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..decode.decoder import errno_name
from ..decode.index import CaptureIndex
from .txindex import ORPHAN, WAITING, TxnIndex

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True, slots=True)
class ExpertItem:
    severity: str
    group: str  # "malformed", "error reply", "unanswered", "orphan", "extack warning"
    message: int  # index of the message
    text: str


def expert_items(ix: CaptureIndex, txns: TxnIndex, cancelled: Callable[[], bool] = lambda: False,
                 progress: Callable[[int], None] | None = None) -> list[ExpertItem] | None:
    """Every item, in severity then capture order; None when cancelled."""
    out: list[ExpertItem] = []
    n = ix.count
    done = min(n, txns.done)
    for i, m in ix.iter_messages(0, n):
        if not i & 1023:
            if cancelled():
                return None
            if progress is not None:
                progress(i)
        for p in m.problems:
            out.append(ExpertItem("error", "malformed", i, f"{m.type_name or 'fragment'}: {p}"))
        mt, err = ix.m_type[i], ix.m_err[i]
        if (mt == 2 and err) or (mt == 3 and err < 0):
            name = errno_name(err) or str(err)
            out.append(ExpertItem("error", f"error reply {name}", i, m.summary))
        elif mt in (2, 3) and _extack(m):
            out.append(ExpertItem("note", "extack warning", i, m.summary))
        if i < done:
            t = txns.of(i)
            if t >= 0 and txns.is_request(i) and txns.status(t) in WAITING:
                out.append(ExpertItem("warning", "unanswered", i, m.summary))
            elif t >= 0 and txns.status(t) == ORPHAN and txns.t_first[t] == i:
                out.append(ExpertItem("warning", "orphan", i, f"answer with no request: {m.summary}"))
    out.sort(key=lambda e: (SEVERITIES.index(e.severity), e.message))
    return out


def _extack(m) -> bool:
    return any(f.name == "extack" and f.children for f in m.tree)


def counts(items: list[ExpertItem]) -> dict[str, dict[str, int]]:
    """severity -> group -> count."""
    out: dict[str, dict[str, int]] = {s: {} for s in SEVERITIES}
    for e in items:
        g = out[e.severity]
        g[e.group] = g.get(e.group, 0) + 1
    return out
