"""Open recent (key O): the capture files opened lately, newest first, kept in
$XDG_STATE_HOME/nlscope/recent (~/.local/state/nlscope/recent), one path a line."""
from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..escape import escape
from .dialogs import DIALOG_CSS

KEEP = 20


def default_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "nlscope" / "recent"


def load(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [ln for ln in dict.fromkeys(ln.strip() for ln in lines) if ln][:KEEP]


def remember(path: Path, capture: str) -> None:
    """Put `capture` first; a state file that cannot be written is no error."""
    capture = os.path.abspath(capture)
    files = [capture] + [f for f in load(path) if f != capture]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(files[:KEEP]) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


class RecentScreen(ModalScreen[str | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="RecentScreen") + """
    RecentScreen OptionList { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, files: list[str]):
        super().__init__()
        self.files = files

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Open recent"
            box.border_subtitle = "Enter opens, Esc closes"
            if not self.files:
                yield Label("no capture opened yet")
                return
            opts = []
            for f in self.files:
                t = Text(escape(f), no_wrap=True, overflow="ellipsis")
                if not os.path.exists(f):
                    t.append("  (gone)", "dim")
                opts.append(Option(t, id=None))
            yield OptionList(*opts, id="recent-list")

    def on_mount(self) -> None:
        for ol in self.query(OptionList):
            ol.highlighted = 0
            ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.files[event.option_index])
