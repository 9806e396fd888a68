"""The help screen: every key, read from the bindings themselves (so it cannot drift)."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .rows import legend

KEY_NAMES = {
    "slash": "/", "question_mark": "?", "colon": ":", "apostrophe": "'", "quotation_mark": '"',
    "left_square_bracket": "[", "right_square_bracket": "]", "plus": "+", "minus": "-",
    "asterisk": "*", "greater_than_sign": ">", "less_than_sign": "<", "equals_sign": "=",
    "underscore": "_", "escape": "Esc", "enter": "Enter", "tab": "Tab", "shift+tab": "Shift+Tab",
    "pagedown": "PgDn", "pageup": "PgUp", "home": "Home", "end": "End", "down": "↓", "up": "↑",
    "space": "Space",
}


def key_text(keys: str) -> str:
    return " ".join(KEY_NAMES.get(k, k.replace("ctrl+", "Ctrl+")) for k in keys.split(","))


def binding_rows(bindings) -> list[tuple[str, str]]:
    out = []
    for b in bindings:
        if isinstance(b, tuple):
            b = Binding(*b)
        if b.description:
            out.append((key_text(b.key), b.description))
    return out


def help_table(groups: list[tuple[str, list[tuple[str, str]]]]) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold #ffd787", no_wrap=True)
    t.add_column()
    for title, rows in groups:
        t.add_row(Text(title, "bold underline #87d7ff"), "")
        for k, d in rows:
            t.add_row(k, d)
        t.add_row("", "")
    return t


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > VerticalScroll {
        width: 90;
        max-width: 100%;
        max-height: 100%;
        border: thick $primary 70%;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close help")]

    def __init__(self, groups: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_subtitle = "↑↓ PgUp PgDn scroll · Esc closes"
            yield Static(Text("nlscope — keys  (mouse: click a row or a node, wheel scrolls)\n",
                              "bold"))
            yield Static(help_table(self.groups), id="help-keys")
            yield Static(Text("Colours", "bold underline #87d7ff"))
            yield Static(legend())

    def action_dismiss(self) -> None:
        self.dismiss(None)
