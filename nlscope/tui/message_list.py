"""The packet list: a virtual list on Textual's Line API. Only the rows on screen are
rendered (and so decoded); a million rows cost nothing until they are scrolled to."""
from __future__ import annotations

import time
from collections import OrderedDict

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message as TMessage
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..decode.index import CaptureIndex
from .rows import (CURSOR_STYLE, MESSAGE_COLUMNS, TXN_COLUMNS, cells_for_message, cells_for_txn,
                   columns_for, render_header, render_row, row_style, time_cell, visible_columns)
from ..analysis.txindex import TxnIndex
from .view import Marks, MessageView


class MessageList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    MessageList {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
        overflow-x: hidden;
        border: none;
    }
    MessageList:focus {
        background-tint: $foreground 3%;
    }
    """

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=False, repaint=False)

    class Selected(TMessage):
        """The cursor is on another message."""

        def __init__(self, lst: MessageList, index: int | None):
            super().__init__()
            self.list = lst
            self.index = index

    class FollowChanged(TMessage):
        def __init__(self, follow: bool):
            super().__init__()
            self.follow = follow

    def __init__(self, view: MessageView, marks: Marks, **kw):
        super().__init__(**kw)
        self.view = view
        self.marks = marks
        self.follow = False
        self._rows_seen = 0
        self._generation = -1
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._selected: int | None = None
        self.first_row_painted_at: float | None = None  # perf_counter (benchmarks)

    @property
    def index(self) -> CaptureIndex:
        return self.view.index

    @property
    def txns(self) -> TxnIndex:
        return self.view.txns

    @property
    def row_count(self) -> int:
        return len(self.view)

    @property
    def selected_message(self) -> int | None:
        n = self.row_count
        if n == 0:
            return None
        return self.view.message_at(min(self.cursor, n - 1))

    # -- growth ---------------------------------------------------------------------
    def sync(self) -> None:
        """Take in rows that arrived (index scan, live capture, filter worker)."""
        n = len(self.view)
        regen = self._generation != self.view.generation
        if n == self._rows_seen and not regen:
            return
        self._generation = self.view.generation
        if regen:
            self._cache.clear()
        self._rows_seen = n
        self.virtual_size = Size(self.size.width, n + 1)
        if self.follow and n:
            self.set_cursor(n - 1, from_follow=True)
        elif n and (self._selected is None or regen):
            self.set_cursor(min(self.cursor, n - 1), force=True)
        self.refresh()

    def invalidate(self) -> None:
        self._cache.clear()
        self.refresh()

    # -- cursor -----------------------------------------------------------------------
    def set_cursor(self, row: int, from_follow: bool = False, force: bool = False,
                   center: bool = False) -> None:
        """center: a jump (go to, search, marks): the target lands mid-list with its
        neighbours in view, not on an edge, unless it is on screen already."""
        n = self.row_count
        if n == 0:
            return
        row = max(0, min(row, n - 1))
        if not from_follow and self.follow and row < n - 1:
            self.set_follow(False)
        changed = row != self.cursor
        self.cursor = row
        self._scroll_to_cursor(center)
        msg = self.view.message_at(row)
        if changed or force or msg != self._selected:
            self._selected = msg
            self.post_message(self.Selected(self, msg))
        self.refresh()

    def select_message(self, i: int, center: bool = False) -> bool:
        r = self.view.row_of(i)
        if r is None:
            return False
        self.set_cursor(r, center=center)
        return True

    def _scroll_to_cursor(self, center: bool = False) -> None:
        h = max(1, self.scrollable_content_region.height - 1)
        y = int(self.scroll_y)
        if center and not y <= self.cursor < y + h:
            self.scroll_to(y=max(0, self.cursor - h // 2), animate=False, immediate=True)
        elif self.cursor < y:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= y + h:
            self.scroll_to(y=self.cursor - h + 1, animate=False, immediate=True)

    def set_follow(self, on: bool) -> None:
        if on != self.follow:
            self.follow = on
            self.post_message(self.FollowChanged(on))
        if on and self.row_count:
            self.set_cursor(self.row_count - 1, from_follow=True)

    def action_cursor_down(self) -> None:
        self.set_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.set_cursor(self.cursor - 1)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_page_down(self) -> None:
        self.set_cursor(self.cursor + self._page())

    def action_page_up(self) -> None:
        self.set_cursor(self.cursor - self._page())

    def action_first(self) -> None:
        self.set_cursor(0)

    def action_last(self) -> None:
        self.set_cursor(self.row_count - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y <= 0:
            return
        self.focus()
        self.set_cursor(int(self.scroll_y) + event.y - 1)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.follow:
            self.set_follow(False)

    # -- rendering ----------------------------------------------------------------------
    def _columns(self, width: int):
        v = self.view
        base = TXN_COLUMNS if v.by_txn else MESSAGE_COLUMNS
        return visible_columns(columns_for(base, v.time_mode, v.columns), width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        cols = self._columns(width)
        if y == 0:
            return self._strip(render_header(cols, width), width)
        row = int(self.scroll_y) + y - 1
        if row >= len(self.view):
            return Strip.blank(width, self.rich_style)
        i = self.view.message_at(row)
        marked = i in self.marks
        by_txn = self.view.by_txn
        t = self.txns.of(i)
        prev = self.view.message_at(row - 1) if row > 0 and not by_txn else None
        # No state_version: a message decodes with the decoder's state as it was seen,
        # so what the decoder learns later never changes a row already drawn.
        key = (i, prev, width, marked, by_txn, self.view.generation, self.view.look,
               self.txns.status(t) if t >= 0 else -1, self.txns.t_count[t] if t >= 0 else 0,
               self.view.names.entries if self.view.names is not None else 0)
        text = self._cache.get(key)
        if text is None:
            if by_txn:
                cells = cells_for_txn(self.index, self.txns, self.view.txn_at(row))
                v = self.view
                cells["time"] = time_cell(self.index, i, v.time_mode, v.time_ref)
            else:
                cells = cells_for_message(self.index, self.txns, i, prev, self.view.names,
                                          self.view)
            style = row_style(self.index, self.txns, i, by_txn, self.view.colors)
            text = render_row(cols, cells, width, style, marked)
            self._cache[key] = text
            if len(self._cache) > 600:
                self._cache.popitem(last=False)
        strip = self._strip(text, width)
        if self.first_row_painted_at is None:
            self.first_row_painted_at = time.perf_counter()
        if row == self.cursor:
            strip = strip.apply_style(CURSOR_STYLE if self.has_focus else
                                      Style(bgcolor="#3a3a3a", bold=True))
        return strip

    def _strip(self, text, width: int) -> Strip:
        segs = list(text.render(self.app.console))
        segs = [s for s in segs if s.text != "\n"]
        return Strip(Segment.adjust_line_length(segs, width, self.rich_style), width)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self.view) + 1)
        self._cache.clear()
        self._scroll_to_cursor()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
