"""The flow screen: the ladder of nlscope.analysis.flow (sockets <-> kernel <-> multicast),
one arrow per message around the selected one, as sngrep draws a call flow. Enter on
an arrow opens its message; `c` moves to the request it answers or was caused by."""
from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..analysis.flow import Arrow, Flow, flow
from ..escape import escape
from .rows import fmt_time

ROLE_STYLES = {
    "request": Style(color="#5fafff", bold=True),
    "reply": Style(color="#87d75f"),
    "done": Style(color="#87d75f"),
    "ack": Style(color="#87d75f", dim=True),
    "error": Style(color="#ff5f5f", bold=True),
    "event": Style(color="#d787d7"),
    "other": Style(color="#bcbcbc"),
}
LANE_STYLE = Style(color="#585858")
LEFT = 19  # "No." and time columns before the ladder
INFO_MIN = 24


@dataclass(slots=True)
class Row:
    arrow: Arrow
    number: int
    time: str
    type_name: str
    summary: str


def build_rows(ix, txns, flw: Flow, names=None) -> list[Row]:
    """The text of each arrow (decodes the messages of the window: a worker's job)."""
    t0 = ix.fr_ts[0] if ix.frames else 0
    out = []
    for a in flw.arrows:
        m = ix.fresh(a.index)
        text = names.annotate(m.summary, a.index) if names is not None else m.summary
        out.append(Row(a, a.index + 1, fmt_time(ix.ts(a.index) - t0), m.type_name or "?", text))
    return out


def lane_width(lanes: int, width: int) -> int:
    return max(8, min(24, (width - LEFT - INFO_MIN) // max(lanes, 1)))


def header_line(flw: Flow, cw: int) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis", end="")
    t.append(f"{'No.':>7} {'Time':>10} ", "bold")
    for name in flw.lanes:
        label = escape(name)
        if len(label) > cw - 1:
            label = label[:cw - 2] + "…"
        t.append(label.center(cw), Style(bold=True, color="#ffffff" if name != "kernel" else "#ffd75f"))
    t.append(" Info", "bold")
    return t


def arrow_line(row: Row, flw: Flow, cw: int) -> Text:
    """One row: the lanes' lifelines, the arrow between its two lanes with the message
    type on it, then the summary and its links."""
    a = row.arrow
    n = len(flw.lanes)
    cells = [" "] * (n * cw)
    for k in range(n):
        cells[k * cw + cw // 2] = "│"
    s, d = a.src * cw + cw // 2, a.dst * cw + cw // 2
    lo, hi = min(s, d), max(s, d)
    for x in range(lo + 1, hi):
        cells[x] = "─"
    if d > s:
        cells[d - 1] = "▶"
    else:
        cells[d + 1] = "◀"
    label = escape(row.type_name)
    room = hi - lo - 3
    if room >= 3:
        if len(label) > room:
            label = label[:room - 1] + "…"
        at = lo + 2 + (room - len(label)) // 2
        cells[at:at + len(label)] = list(label)
    style = ROLE_STYLES.get(a.role, ROLE_STYLES["other"])
    t = Text(no_wrap=True, overflow="ellipsis", end="")
    t.append(f"{row.number:>7} {row.time:>10} ")
    ladder = "".join(cells)
    t.append(ladder[:lo + 1], LANE_STYLE)
    t.append(ladder[lo + 1:hi + 1] if d > s else ladder[lo:hi], style)
    t.append(ladder[hi + 1:] if d > s else ladder[hi:], LANE_STYLE)
    info = Text(" ")
    if a.reply_to is not None:
        info.append(f"↩{a.reply_to + 1} ", "dim")
    if a.caused_by is not None:
        info.append(f"⇠ caused by {a.caused_by + 1} ", "bold #d787d7")
    if a.socket and a.role in ("request", "other"):
        info.append(f"{escape(a.socket)}: ", "dim")
    info.append(escape(row.summary))
    t.append_text(info)
    return t


class FlowScreen(ModalScreen[int | None]):
    """Returns the message index chosen with Enter (None: closed)."""

    DEFAULT_CSS = """
    FlowScreen {
        background: $background 60%;
    }
    FlowScreen > Vertical {
        border: thick $primary 70%;
        background: $surface;
    }
    FlowScreen #flow-title, FlowScreen #flow-head, FlowScreen #flow-foot {
        height: 1;
    }
    FlowScreen #flow-list {
        height: 1fr;
        border: none;
        padding: 0;
        text-wrap: nowrap;  /* lines are cut to the width already: never fold them */
        text-overflow: ellipsis;
    }
    """
    BINDINGS = [
        Binding("escape,q,F", "dismiss(None)", "Close the flow"),
        Binding("c", "related", "Go to the request it answers / was caused by"),
    ]

    def __init__(self, flw: Flow, rows: list[Row], title: str, select: int | None = None,
                 width: int = 120):
        super().__init__()
        self.flw = flw
        self.rows = rows
        self.title_text = title
        self.select = select
        self.line_width = max(20, width - 4)  # inside the border, beside the scrollbar
        self.cw = lane_width(len(flw.lanes), self.line_width)
        self.list = OptionList(*[Option(self._line(arrow_line(r, flw, self.cw)), id=str(r.arrow.index))
                                 for r in rows], id="flow-list")

    def _line(self, t: Text) -> Text:
        t.truncate(self.line_width, overflow="ellipsis")  # one row per arrow, never wrapped
        return t

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, "bold", no_wrap=True, overflow="ellipsis"), id="flow-title")
            yield Static(self._line(header_line(self.flw, self.cw)), id="flow-head")
            yield self.list
            yield Static(Text(" Enter: open the message   c: its request / cause   Esc: close",
                              "dim", no_wrap=True, overflow="ellipsis"), id="flow-foot")

    def on_mount(self) -> None:
        self.list.focus()
        if self.select is not None:
            self.highlight_message(self.select)

    def highlight_message(self, i: int) -> bool:
        for k, r in enumerate(self.rows):
            if r.arrow.index == i:
                self.list.highlighted = k
                return True
        return False

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))

    def action_related(self) -> None:
        k = self.list.highlighted
        if k is None:
            return
        a = self.rows[k].arrow
        target = a.reply_to if a.reply_to is not None else a.caused_by
        if target is None or not self.highlight_message(target):
            self.app.bell()


def open_flow(app) -> None:
    """The `F` key: build the flow around the selected message in a worker, then show it."""
    i = app.message_list.selected_message
    if i is None:
        app.bell()
        return
    app.busy = "building the flow…"
    rows = app.view.rows
    rows = list(rows) if rows is not None else None
    width = app.size.width

    def work() -> None:
        flw = flow(app.index, app.txns, rows, i)
        built = build_rows(app.index, app.txns, flw, app.source.names)
        first, last = (built[0].number, built[-1].number) if built else (0, 0)
        title = (f" Flow — messages {first}-{last} of {app.index.count}, "
                 f"{len(flw.lanes) - 2} socket lane(s), kernel, multicast")
        app.call_from_thread(show, FlowScreen(flw, built, title, i, width))

    def show(screen: FlowScreen) -> None:
        app.busy = None

        def done(chosen: int | None) -> None:
            if chosen is not None:
                app.goto_message(chosen)
        app.push_screen(screen, done)
    app.run_worker(work, thread=True, exclusive=True, group="flow", exit_on_error=False)
