"""The bottom lines: a colour legend, and a status bar with totals, rate, drops,
follow state and the progress of whatever runs in the background."""
from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.widgets import Static

from ..escape import escape
from .rows import legend


class Legend(Static):
    DEFAULT_CSS = """
    Legend {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        background: $panel;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.update(legend())


class RateMeter:
    """Messages per second over the last few seconds."""

    def __init__(self, window: float = 3.0):
        self.samples: deque[tuple[float, int]] = deque()
        self.window = window

    def add(self, count: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        self.samples.append((now, count))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.popleft()
        t0, c0 = self.samples[0]
        return (count - c0) / (now - t0) if now > t0 else 0.0


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $primary-background;
        color: $text;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show(self, *, label: str, messages: int, frames: int, shown: int, filtered: bool,
             errors: int, unanswered: int, live: bool, rate: float | None, drops: int | None,
             follow: bool, indexing: bool, busy: str | None, marks: int, mode: str,
             note: str | None = None) -> None:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(escape(label), "bold")  # Text, never markup; escaped
        t.append(f"  {messages:,} msgs / {frames:,} frames")
        if filtered:
            t.append(f"  shown {shown:,}", "bold #87d787")
        if mode == "transactions":
            t.append(f"  {shown:,} transactions", "bold")
        if errors:
            t.append(f"  {errors:,} errors", "bold #ff5f5f")
        if unanswered:
            t.append(f"  {unanswered:,} unanswered", "#ffaf00")
        if marks:
            t.append(f"  {marks} marked", "#ffd700")
        if live:
            t.append(f"  {rate or 0:,.0f} msg/s")
            t.append(f"  drops {drops if drops is not None else 0}",
                     "bold #ff5f5f" if drops else "")
            t.append("  ● FOLLOW" if follow else "  ❚❚ paused (f: follow)",
                     "bold #87d787" if follow else "bold #ffaf00")
        if indexing:
            t.append("  indexing…", "italic")
        if busy:
            t.append(escape(f"  {busy}"), "italic #87d7ff")
        if note:
            t.append(escape(f"  {note}"), "#d7d787")
        self.update(t)
