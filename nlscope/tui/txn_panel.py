"""The transaction pane: the selected message's request, its replies, its ACK or error,
the latency, with the current message pointed at (keys jump between them)."""
from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..decode.index import CaptureIndex
from ..escape import escape
from .rows import ERROR_STYLE, UNANSWERED_STYLE, fmt_latency
from ..analysis.txindex import TxnIndex, TxnInfo

HEAD, TAIL = 6, 4


def txn_text(ix: CaptureIndex, info: TxnInfo | None, current: int | None, lib_txn=None) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    if info is None:
        t.append("no transaction", "dim")
        return t
    t.append(f"Transaction {info.id + 1}", "bold")
    t.append("  ")
    status = lib_txn.status if lib_txn is not None and lib_txn.status != "open" else info.status
    waiting = status in ("unanswered", "incomplete", "open")
    style = ERROR_STYLE if status == "error" else UNANSWERED_STYLE if waiting else "bold #87d787"
    label = status
    if status == "error" and info.error:
        from ..decode.decoder import errno_name
        label = f"error {info.error} {errno_name(info.error) or ''}".rstrip()
    t.append(f" {label} ", style)
    if info.latency_ns is not None:
        t.append(f"  latency {fmt_latency(info.latency_ns)}")
    t.append(f"\n{len(info.members)} messages, {info.replies} replies")
    if lib_txn is not None:
        t.append(f", expects {lib_txn.expects}\n")
        t.append(escape(lib_txn.describe()), "italic")
        if lib_txn.extack:
            t.append("\nextack: ", "bold")
            t.append(escape(lib_txn.extack), "bold #ffaf5f")
        if lib_txn.error_attr:
            t.append(escape(f"  at {lib_txn.error_attr}"), "bold #ffaf5f")
        if lib_txn.caused_by is not None:
            t.append(f"\ncaused by message {lib_txn.caused_by}")
    t.append("\n\n")
    mem = info.members
    shown: list[int | None]
    if len(mem) > HEAD + TAIL + 1:
        keep = set(mem[:HEAD]) | set(mem[-TAIL:])
        if current is not None:
            keep.add(current)
        shown = []
        for i in mem:
            if i in keep:
                shown.append(i)
            elif shown and shown[-1] is not None:
                shown.append(None)
    else:
        shown = list(mem)
    t0 = ix.ts(mem[0])
    for i in shown:
        if i is None:
            t.append("      …\n", "dim")
            continue
        m = ix.message(i)
        here = i == current
        arrow = "→" if ix.is_request(i) else "←"
        line = Text(no_wrap=True)
        line.append("▶ " if here else "  ", "bold #ffd700")
        line.append(f"{i + 1:>7} {arrow} ", "bold" if here else "")
        dt = ix.ts(i) - t0
        line.append(f"+{fmt_latency(dt) if dt else '0':>9}  ", "dim")
        role = ("request" if i == info.request else "end" if i == info.end else "reply")
        line.append(f"{role:<8}", "italic")
        summ = escape(m.summary)
        err = ix.m_type[i] == 2 and ix.m_err[i] != 0
        line.append(summ, ERROR_STYLE if err else ("bold" if here else ""))
        t.append_text(line)
        t.append("\n")
    t.append("\nr request  e end  [ ] previous/next  t one row per transaction", "dim")
    return t


class TransactionPanel(VerticalScroll):
    DEFAULT_CSS = """
    TransactionPanel {
        height: 1fr;
        background: $surface;
        padding: 0 1;
        border-left: vkey $primary 40%;
    }
    TransactionPanel > Static {
        width: auto;
    }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.info: TxnInfo | None = None
        self.current: int | None = None

    def compose(self):
        yield Static(id="txn-body")

    def show(self, ix: CaptureIndex, txns: TxnIndex, i: int | None, lib_txn=None) -> None:
        t = txns.of(i) if i is not None else -1
        self.info = txns.info(t) if t >= 0 else None
        self.current = i
        self.lib_txn = lib_txn
        self.query_one("#txn-body", Static).update(txn_text(ix, self.info, i, lib_txn))
