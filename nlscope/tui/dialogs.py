"""Small modal dialogs: go to a message, search, save the view.

Each opens with its text field focused (AUTO_FOCUS, while the dialog is composed), and
Enter in that field runs the dialog's `submit` action at once, so the dialog is gone
before the next key typed is handed out (the app hands keys out one at a time)."""
from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.content import Content
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from ..escape import escape

DIALOG_CSS = """
    {name} {{
        align: center middle;
        background: $background 60%;
    }}
    {name} > Vertical {{
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary 70%;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }}
    {name} Label {{
        width: 100%;
        margin-bottom: 1;
    }}
    {name} RadioSet {{
        layout: horizontal;
        width: 100%;
    }}
    {name} Horizontal {{
        height: auto;
        align-horizontal: right;
    }}
    {name} Button {{
        margin-left: 1;
    }}
"""


class DialogInput(Input):
    """A dialog's text field: Enter runs the dialog's `submit` action as the key is
    handled (Input's own Enter posts a Submitted message, handled after later keys)."""
    BINDINGS = [Binding("enter", "screen.submit", "Submit", show=False)]

    def on_mount(self) -> None:
        if getattr(self.app, "deterministic", False):  # snapshots: no blinking cursor
            self.cursor_blink = False


class GotoScreen(ModalScreen[int | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="GotoScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    AUTO_FOCUS = "#goto-input"

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_subtitle = "Enter goes · Esc cancels"
            yield Label("Go to message number")
            yield DialogInput(placeholder="No.", id="goto-input", type="integer")

    def action_submit(self) -> None:
        try:
            self.dismiss(int(self.query_one("#goto-input", Input).value))
        except ValueError:
            self.app.bell()


@dataclass(frozen=True, slots=True)
class SearchRequest:
    mode: str  # text, hex, field
    text: str


class SearchScreen(ModalScreen[SearchRequest | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="SearchScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    AUTO_FOCUS = "#search-input"
    MODES = ("text", "hex", "field")

    def __init__(self, last: SearchRequest | None = None):
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        mode = self.last.mode if self.last else "text"
        with Vertical() as box:
            box.border_subtitle = "Tab next field · ←→ mode · Enter searches · Esc cancels"
            yield Label("Search  (text: Info and tree; hex: bytes like 0a 09 00 fe; "
                        "field: NAME=VALUE or a value)")
            with RadioSet(id="search-mode") as rs:
                rs.border_title = "mode"
                for m in self.MODES:
                    yield RadioButton(m, value=m == mode, id=f"mode-{m}")
            yield DialogInput(value=self.last.text if self.last else "", placeholder="find…",
                              id="search-input")

    def _mode(self) -> str:
        rs = self.query_one(RadioSet)
        btn = rs.pressed_button
        return str(btn.label) if btn is not None else "text"

    def action_submit(self) -> None:
        value = self.query_one("#search-input", Input).value
        if value:
            self.dismiss(SearchRequest(self._mode(), value))


@dataclass(frozen=True, slots=True)
class SaveRequest:
    path: str
    format: str  # jsonl, json, pcapng, pcap
    scope: str  # shown, marked, all


class SaveScreen(ModalScreen[SaveRequest | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="SaveScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    AUTO_FOCUS = "#save-path"
    FORMATS = ("jsonl", "json", "pcapng", "pcap")
    SCOPES = ("shown", "marked", "all")

    def __init__(self, default_path: str = "nlscope-view.jsonl"):
        super().__init__()
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_subtitle = "Tab next field · ←→ choose · Enter saves · Esc cancels"
            yield Label("Save messages  (shown: what the filter shows)")
            with RadioSet(id="save-format") as rs:
                rs.border_title = "format"
                for f in self.FORMATS:
                    yield RadioButton(f, value=f == "jsonl", id=f"fmt-{f}")
            with RadioSet(id="save-scope") as rs:
                rs.border_title = "messages"
                for s in self.SCOPES:
                    yield RadioButton(s, value=s == "shown", id=f"scope-{s}")
            yield DialogInput(value=self.default_path, id="save-path")
            with Horizontal():
                yield Button("Save", variant="primary", id="save-ok")
                yield Button("Cancel", id="save-cancel")

    @on(RadioSet.Changed, "#save-format")
    def _fmt(self, event: RadioSet.Changed) -> None:
        inp = self.query_one("#save-path", Input)
        base, dot, ext = inp.value.rpartition(".")
        if dot and ext in self.FORMATS:
            inp.value = f"{base}.{event.pressed.label}"

    def _pressed(self, rs_id: str, default: str) -> str:
        btn = self.query_one(rs_id, RadioSet).pressed_button
        return str(btn.label) if btn is not None else default

    def _done(self) -> None:
        path = self.query_one("#save-path", Input).value.strip()
        if not path:
            self.app.bell()
            return
        self.dismiss(SaveRequest(path, self._pressed("#save-format", "jsonl"),
                                 self._pressed("#save-scope", "shown")))

    def action_submit(self) -> None:
        self._done()

    @on(Button.Pressed, "#save-ok")
    def _ok(self) -> None:
        self._done()

    @on(Button.Pressed, "#save-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class MessageScreen(ModalScreen[None]):
    """A problem the status bar cannot hold (a live capture that failed: no nlmon in
    the kernel, no permission), its whole text wrapped in a box."""
    DEFAULT_CSS = DIALOG_CSS.format(name="MessageScreen") + """
    MessageScreen #message-title {
        text-style: bold;
        color: #ff8787;
    }
    """
    BINDINGS = [Binding("escape,enter,q", "dismiss(None)", "Close")]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_subtitle = "Enter or Esc closes"
            # capture text: escaped, and a Content, never markup
            yield Label(Content(escape(self.title_text)), id="message-title")
            yield Label(Content(escape(self.text)), id="message-text")
