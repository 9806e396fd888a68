"""The history screen: every message that touched the selected message's object (a link,
address, route, neighbour, nft table/chain/rule/set or conntrack entry), each with
the fields it changed (nlscope.analysis.history). Enter opens the message."""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..analysis.history import OBJECT_KINDS, Entry, History, history, key_for
from ..escape import escape
from .rows import fmt_time

MAX_CHANGES_SHOWN = 12  # per entry; the rest is counted
ROLE_STYLES = {
    "request": Style(color="#5fafff", bold=True),
    "state": Style(color="#87d75f"),
    "answer": Style(color="#bcbcbc"),
}
ERROR = Style(color="#ff5f5f", bold=True)


def entry_text(e: Entry, t0: int, width: int = 200) -> Text:
    """An entry: its message and what it did, then one line per changed field (each
    line cut to `width`, never wrapped)."""
    head = Text(end="")
    head.append(f"{e.index + 1:>7} {fmt_time(e.ts_ns - t0):>12}  ")
    style = ERROR if e.action == "error" else ROLE_STYLES.get(e.role, Style())
    head.append(f"{escape(e.type_name):<22} ", style)
    head.append(f"{e.role:<8} ", "dim")
    head.append(escape(e.note), "bold" if e.changes else "")
    if e.role != "answer":
        head.append(f"  {escape(e.summary)}", "dim")
    lines = [head]
    for c in e.changes[:MAX_CHANGES_SHOWN]:
        t = Text(" " * 24, end="")
        path = escape(c.path)
        if c.old is None:
            t.append(f"+ {path}: ", "#87d75f")
            t.append(escape(c.new or ""))
        elif c.new is None:
            t.append(f"- {path}: ", "#ff8787")
            t.append(escape(c.old))
        else:
            t.append(f"~ {path}: ", "#ffd75f")
            t.append(escape(c.old), "dim")
            t.append(" → ")
            t.append(escape(c.new), "bold")
        lines.append(t)
    if len(e.changes) > MAX_CHANGES_SHOWN:
        lines.append(Text(" " * 24 + f"… {len(e.changes) - MAX_CHANGES_SHOWN} more fields", "dim"))
    for t in lines:
        t.truncate(width, overflow="ellipsis")
    return Text("\n", end="").join(lines)


def title_of(hist: History, count: int, names=None, at: int | None = None) -> str:
    label = names.annotate(hist.label, at) if names is not None else hist.label
    text = f" History of {escape(label)}: {len(hist.entries)} message(s) of {count}"
    if hist.dropped:
        text += f" (the latest; {hist.dropped} earlier not shown)"
    if not hist.complete:
        text += " (stopped before the end)"
    return text


class HistoryScreen(ModalScreen[int | None]):
    """Returns the message index chosen with Enter (None: closed)."""

    DEFAULT_CSS = """
    HistoryScreen {
        background: $background 60%;
    }
    HistoryScreen > Vertical {
        border: thick $primary 70%;
        background: $surface;
    }
    HistoryScreen #history-title, HistoryScreen #history-foot {
        height: 1;
    }
    HistoryScreen #history-list {
        height: 1fr;
        border: none;
        padding: 0;
        text-wrap: nowrap;  /* lines are cut to the width already: never fold them */
        text-overflow: ellipsis;
    }
    """
    BINDINGS = [Binding("escape,q,H", "dismiss(None)", "Close the history")]

    def __init__(self, hist: History, title: str, t0: int, select: int | None = None,
                 width: int = 120):
        super().__init__()
        self.line_width = max(20, width - 4)  # inside the border, beside the scrollbar
        self.list = OptionList(*[Option(entry_text(e, t0, self.line_width), id=str(e.index))
                                 for e in hist.entries], id="history-list")
        self.hist = hist
        self.title_text = title
        self.t0 = t0
        self.select = select

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, "bold", no_wrap=True, overflow="ellipsis"),
                         id="history-title")
            yield self.list
            yield Static(Text(" Enter: open the message   Esc: close   counters and timers are "
                              "not compared", "dim", no_wrap=True, overflow="ellipsis"),
                         id="history-foot")

    def on_mount(self) -> None:
        lst = self.list
        lst.focus()
        for k, e in enumerate(self.hist.entries):
            if e.index == self.select:
                lst.highlighted = k
                break

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))


def open_history(app) -> None:
    """The `H` key: find the selected message's object and its history in a worker."""
    i = app.message_list.selected_message
    if i is None:
        app.bell()
        return
    app.busy = "following the object's history…"
    ix, txns, names = app.index, app.txns, app.source.names
    width = app.size.width

    def work() -> None:
        from textual.worker import get_current_worker
        worker = get_current_worker()
        got = key_for(ix, txns, i, names)
        if got is None:
            kinds = ", ".join(k.name for k in OBJECT_KINDS)
            app.call_from_thread(nothing, f"message {i + 1} names no object to follow ({kinds})")
            return
        hist = history(ix, txns, *got, names, cancelled=lambda: worker.is_cancelled)
        if worker.is_cancelled:
            return
        t0 = ix.fr_ts[0] if ix.frames else 0
        app.call_from_thread(show, HistoryScreen(hist, title_of(hist, ix.count, names, i), t0, i, width))

    def nothing(note: str) -> None:
        app.busy = None
        app.note = note
        app.bell()
        app.update_status()

    def show(screen: HistoryScreen) -> None:
        app.busy = None

        def done(chosen: int | None) -> None:
            if chosen is not None:
                app.goto_message(chosen)
        app.push_screen(screen, done)
    app.run_worker(work, thread=True, exclusive=True, group="history", exit_on_error=False)
