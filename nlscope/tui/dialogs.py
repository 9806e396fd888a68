"""Small modal dialogs: go to a message, search, save the view."""
from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

DIALOG_CSS = """
    {name} {{
        align: center middle;
        background: $background 60%;
    }}
    {name} > Vertical {{
        width: 72;
        height: auto;
        border: thick $primary 70%;
        background: $surface;
        padding: 1 2;
    }}
    {name} Label {{
        margin-bottom: 1;
    }}
    {name} RadioSet {{
        layout: horizontal;
        width: 100%;
        margin-bottom: 1;
    }}
    {name} Horizontal {{
        height: auto;
        align-horizontal: right;
    }}
    {name} Button {{
        margin-left: 1;
    }}
"""


class GotoScreen(ModalScreen[int | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="GotoScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Go to message number")
            yield Input(placeholder="No.", id="goto-input", type="integer")

    @on(Input.Submitted, "#goto-input")
    def _submit(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(int(event.value))
        except ValueError:
            self.app.bell()


@dataclass(frozen=True, slots=True)
class SearchRequest:
    mode: str  # text, hex, field
    text: str


class SearchScreen(ModalScreen[SearchRequest | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="SearchScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    MODES = ("text", "hex", "field")

    def __init__(self, last: SearchRequest | None = None):
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        mode = self.last.mode if self.last else "text"
        with Vertical():
            yield Label("Search  (text: Info and tree; hex: bytes like 0a 09 00 fe; "
                        "field: NAME=VALUE or a value)")
            with RadioSet(id="search-mode"):
                for m in self.MODES:
                    yield RadioButton(m, value=m == mode, id=f"mode-{m}")
            yield Input(value=self.last.text if self.last else "", placeholder="find…",
                        id="search-input")

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()

    def _mode(self) -> str:
        rs = self.query_one(RadioSet)
        btn = rs.pressed_button
        return str(btn.label) if btn is not None else "text"

    @on(Input.Submitted, "#search-input")
    def _submit(self, event: Input.Submitted) -> None:
        if event.value:
            self.dismiss(SearchRequest(self._mode(), event.value))


@dataclass(frozen=True, slots=True)
class SaveRequest:
    path: str
    format: str  # jsonl, json, pcapng, pcap
    scope: str  # shown, marked, all


class SaveScreen(ModalScreen[SaveRequest | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="SaveScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    FORMATS = ("jsonl", "json", "pcapng", "pcap")
    SCOPES = ("shown", "marked", "all")

    def __init__(self, default_path: str = "nlscope-view.jsonl"):
        super().__init__()
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Save messages  (shown: what the filter shows)")
            with RadioSet(id="save-format"):
                for f in self.FORMATS:
                    yield RadioButton(f, value=f == "jsonl", id=f"fmt-{f}")
            with RadioSet(id="save-scope"):
                for s in self.SCOPES:
                    yield RadioButton(s, value=s == "shown", id=f"scope-{s}")
            yield Input(value=self.default_path, id="save-path")
            with Horizontal():
                yield Button("Save", variant="primary", id="save-ok")
                yield Button("Cancel", id="save-cancel")

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

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

    @on(Input.Submitted, "#save-path")
    def _submit(self) -> None:
        self._done()

    @on(Button.Pressed, "#save-ok")
    def _ok(self) -> None:
        self._done()

    @on(Button.Pressed, "#save-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
