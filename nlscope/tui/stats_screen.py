"""The statistics screen: the library's statistics (nlscope.analysis.stats, the same
report as `nlscope stats`) over the shown rows (the filter applies)."""
from __future__ import annotations

import io

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import ModalScreen
from textual.widgets import Static

from ..analysis.stats import Stats
from ..analysis.transactions import Tracker
from ..decode.index import CaptureIndex
from ..output.sinks import SinkOptions
from ..output.stats_sink import StatsSink


def compute_stats(ix: CaptureIndex, rows=None, cancelled=lambda: False) -> Stats | None:
    """nlscope.analysis.stats over the shown rows, exactly as `nlscope stats -Y` counts:
    every message of the capture is paired (the library's Tracker, on the index's lazy
    messages: headers only), and the shown ones are counted; a transaction counts when
    any of its messages is shown (the view's filter already ran: rows). None when
    cancelled."""
    shown: bytearray | None = None
    if rows is not None:
        shown = bytearray(ix.count)
        for i in rows:
            shown[i] = 1
    match = None if shown is None else (lambda m, t: shown[m.number - 1] == 1)
    sink = StatsSink(io.StringIO(), SinkOptions(extra={"filter": match}))
    count = ix.count

    def messages():
        i = 0
        while i < count:
            if i % 5000 < 1 and cancelled():
                return
            fi = ix.m_frame[i]
            for m in ix.frame_messages(fi)[i - ix.fr_first[fi]:]:
                if i >= count:
                    return
                yield m
                i += 1
    tracker = Tracker(registry=ix.decoder.registry, keep_messages=False)
    tracker.on_close = sink.closed
    for m in messages():
        sink.write(m, tracker.feed(m))
    tracker.flush()
    sink.close()
    return None if cancelled() else sink.stats


def stats_renderable(st: Stats, title: str) -> Text:
    """The library's report, as `nlscope stats` prints it, under a title."""
    out = Text(f"{title}\n\n", "bold")
    out.append(st.text())
    return out


class StatsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StatsScreen {
        align: center middle;
        background: $background 60%;
    }
    StatsScreen > ScrollableContainer {
        width: 95%;
        height: 90%;
        border: thick $primary 70%;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    StatsScreen #stats-body {
        width: auto;
        text-wrap: nowrap;
    }
    """
    BINDINGS = [Binding("escape,q,S", "dismiss", "Close statistics")]

    def __init__(self, stats: Stats, title: str):  # nlscope.analysis.stats.Stats
        super().__init__()
        self.stats = stats
        self.title_text = title

    def compose(self) -> ComposeResult:
        with ScrollableContainer() as box:
            box.border_subtitle = "arrows scroll · Esc closes"
            yield Static(stats_renderable(self.stats, self.title_text), id="stats-body", markup=False)

    def action_dismiss(self) -> None:
        self.dismiss(None)

