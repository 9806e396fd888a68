"""The display filter bar: validated as you type (green / red, with a caret under the
error's position), field names completed (Tab or →), previous filters with ↑/↓."""
from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.suggester import Suggester
from textual.widgets import Input, Static

from .filters import FilterProblem, compile_filter, field_names

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*$")


class FieldSuggester(Suggester):
    """Completes the word under the cursor with a field name."""

    def __init__(self, names: list[str]):
        super().__init__(use_cache=False, case_sensitive=True)
        self.names = sorted(names)

    async def get_suggestion(self, value: str) -> str | None:
        m = _TOKEN.search(value)
        if not m:
            return None
        word = m.group(0)
        for n in self.names:
            if n.startswith(word) and n != word:
                return value[:m.start()] + n
        low = word.lower()
        for n in self.names:
            if n.lower().startswith(low) and n != word:
                return value[:m.start()] + n
        return None


class FilterInput(Input):
    # Enter and Esc act on the app at once (apply or restore, then focus the list), not
    # through a message handled later: the keys typed behind them belong to the list.
    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("up", "history(-1)", "Previous filter", show=False),
        Binding("down", "history(1)", "Next filter", show=False),
        Binding("escape", "app.filter_cancel", "Cancel", show=False),
        Binding("enter", "app.filter_apply", "Apply the filter", show=False),
    ]

    def action_complete(self) -> None:
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()

    def action_history(self, step: int) -> None:
        self.parent_bar.history_step(step)

    @property
    def parent_bar(self) -> FilterBar:
        return self.parent.parent if isinstance(self.parent.parent, FilterBar) else self.parent  # type: ignore[return-value]


class FilterBar(Horizontal):
    DEFAULT_CSS = """
    FilterBar {
        height: auto;
        dock: top;
        background: $boost;
    }
    FilterBar > #filter-label {
        width: auto;
        padding: 0 1;
        color: $text-muted;
    }
    FilterBar > FilterInput {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0 1;
        background: $surface;
    }
    FilterBar > FilterInput:focus, FilterBar > FilterInput.-invalid,
    FilterBar > FilterInput.-invalid:focus {
        border: none;
    }
    FilterBar > FilterInput.-valid {
        background: #0f3d1a;
    }
    FilterBar > FilterInput.-invalid {
        background: #4a1010;
    }
    FilterBar > #filter-status {
        width: auto;
        max-width: 50%;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    FilterBar > #filter-status.-invalid {
        color: #ff8787;
    }
    """

    def __init__(self, registry=None, **kw):
        super().__init__(**kw)
        self.registry = registry  # the decoder's: attribute names of plugins and specs too
        self.history: list[str] = []
        self._hpos = 0
        self.applied = ""
        self.error: FilterProblem | None = None

    def compose(self) -> ComposeResult:
        yield Static("Filter:", id="filter-label")
        yield FilterInput(placeholder="display filter  (/ to edit, Enter to apply, Tab completes)",
                          id="filter-input", suggester=FieldSuggester(field_names(self.registry)))
        yield Static("", id="filter-status")

    @property
    def input(self) -> FilterInput:
        return self.query_one(FilterInput)

    def check(self, text: str) -> FilterProblem | None:
        try:
            compile_filter(text, self.registry)
        except FilterProblem as e:
            return e
        return None

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.validate(event.value)

    def validate(self, text: str) -> bool:
        inp = self.input
        status = self.query_one("#filter-status", Static)
        err = self.check(text)
        self.error = err
        inp.remove_class("-valid", "-invalid")
        status.remove_class("-invalid")
        if not text.strip():
            status.update("")
            return True
        if err is None:
            inp.add_class("-valid")
            status.update(Text("✓", "bold #87d787"))
            return True
        inp.add_class("-invalid")
        status.add_class("-invalid")
        col = err.column
        msg = Text(f"✗ {err.message}")
        if col is not None:
            msg.append(f" (col {col + 1})")
            msg.append("  " + text[:col], "dim")
            msg.append(text[col:col + 1] or "␣", "reverse bold")
            msg.append(text[col + 1:], "dim")
        status.update(msg)
        return False

    def submit(self) -> str | None:
        """The filter to apply (remembered in the history), or None when it is invalid
        (the bar shows why)."""
        text = self.input.value.strip()
        if not self.validate(text):
            self.app.bell()
            return None
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._hpos = len(self.history)
        self.applied = text
        return text

    def history_step(self, step: int) -> None:
        if not self.history:
            return
        current = self.input.value.strip()
        pos = self._hpos
        while True:  # an entry equal to what the bar shows (the filter in force) is no step
            pos = max(0, min(len(self.history), pos + step))
            value = self.history[pos] if pos < len(self.history) else ""
            if value != current or pos in (0, len(self.history)):
                break
        if value == current and pos != len(self.history):
            return  # nothing older than what is shown
        self._hpos = pos
        self.input.value = value
        self.input.cursor_position = len(value)

    def cancel(self) -> None:
        """Back to the filter in force."""
        self.input.value = self.applied
