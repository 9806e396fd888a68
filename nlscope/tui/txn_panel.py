"""The transaction pane: the selected message's request, its replies, its ACK or error,
the latency, with the current message pointed at (keys jump between them)."""
from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..decode.decoder import errno_name
from ..decode.index import CaptureIndex
from ..escape import escape
from .rows import ERROR_STYLE, UNANSWERED_STYLE, fmt_latency
from ..analysis.txindex import TxnIndex, TxnInfo

HEAD, TAIL = 6, 4


def txn_text(ix: CaptureIndex, info: TxnInfo | None, current: int | None,
             lib_txn=None, message=None) -> tuple[Text, Text]:
    """(the head: status, counts, extack, wrapped to the pane; the message rows, one
    line each, cut with an ellipsis). `message(i)`: the decoded message i (default
    the index's cache; the loader's thread passes its own)."""
    message = message or ix.message
    head = Text()
    rows = Text(no_wrap=True, overflow="ellipsis")
    if info is None:
        head.append("no transaction", "dim")
        return head, rows
    head.append(f"Transaction {info.id + 1}", "bold")
    head.append("  ")
    status = lib_txn.status if lib_txn is not None and lib_txn.status != "open" else info.status
    waiting = status in ("unanswered", "incomplete", "open")
    style = ERROR_STYLE if status == "error" else UNANSWERED_STYLE if waiting else "bold #87d787"
    label = status
    if status == "error" and info.error:
        label = f"error {info.error} {errno_name(info.error) or ''}".rstrip()
    head.append(f" {label} ", style)
    if info.latency_ns is not None:
        head.append(f"  latency {fmt_latency(info.latency_ns)}")
    head.append(f"\n{len(info.members)} messages, {info.replies} replies")
    if lib_txn is not None:
        # the parts of describe() the lines above do not already show, each once
        head.append(f", expects {lib_txn.expects}")
        if lib_txn.events:
            head.append(f", {len(lib_txn.events)} event{'s' if len(lib_txn.events) > 1 else ''}")
        if lib_txn.extack:
            head.append("\nextack: " if lib_txn.errno else "\nwarning: ", "bold")
            head.append(escape(lib_txn.extack), "bold #ffaf5f")
        if lib_txn.error_attr:
            head.append("\nat ")
            head.append(escape(lib_txn.error_attr), "bold #ffaf5f")
        if lib_txn.caused_by is not None:
            head.append(f"\ncaused by message {lib_txn.caused_by}")
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
    nw = len(str(mem[-1] + 1))  # narrow panes (80 columns) keep room for the summary
    for i in shown:
        if i is None:
            rows.append(" " * (nw + 2) + "…\n", "dim")
            continue
        m = message(i)
        here = i == current
        arrow = "→" if ix.is_request(i) else "←"
        rows.append("▶ " if here else "  ", "bold #ffd700")
        rows.append(f"{i + 1:>{nw}} {arrow} ", "bold" if here else "")
        role = ("request" if i == info.request else "end" if i == info.end else "reply")
        rows.append(f"{role:<8}", "italic")
        dt = ix.ts(i) - t0
        rows.append(f"{'+' + fmt_latency(dt) if dt else '':>9} ", "dim")
        err = ix.m_type[i] == 2 and ix.m_err[i] != 0
        rows.append(escape(m.summary), ERROR_STYLE if err else ("bold" if here else ""))
        rows.append("\n")
    rows.append("\nr request  e end  [ ] previous/next  t one row per transaction", "dim")
    return head, rows


class TransactionPanel(VerticalScroll):
    DEFAULT_CSS = """
    TransactionPanel {
        height: 1fr;
        background: $surface;
        padding: 0 1;
        border-left: vkey $primary 40%;
    }
    TransactionPanel > #txn-head {
        margin-bottom: 1;
    }
    TransactionPanel > #txn-rows {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.info: TxnInfo | None = None
        self.current: int | None = None

    def compose(self):
        yield Static(id="txn-head")
        yield Static(id="txn-rows")

    def show(self, ix: CaptureIndex, txns: TxnIndex, i: int | None, lib_txn=None,
             text: tuple[Text, Text] | None = None) -> None:
        """text: (head, rows) made already (by the loader's thread)."""
        t = txns.of(i) if i is not None else -1
        self.info = txns.info(t) if t >= 0 else None
        self.current = i
        self.lib_txn = lib_txn
        head, rows = text or txn_text(ix, self.info, i, lib_txn)
        self.query_one("#txn-head", Static).update(head)
        self.query_one("#txn-rows", Static).update(rows)
