"""The bytes pane: the whole frame (Frame.raw) in hex and ASCII, the current message
in full colour, the rest of the frame dim, the selected field's [start, end) reversed."""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..decode.model import Message

HL = Style(bgcolor="#5f87af", color="#ffffff", bold=True)
OUTSIDE = Style(dim=True)
LINK = Style(color="#8a8a8a", italic=True)


def hex_text(raw: bytes, msg_span: tuple[int, int], hl: tuple[int, int] | None,
             nl_offset: int = 16) -> Text:
    out = Text(no_wrap=True, end="")
    ms, me = msg_span
    hs, he = hl if hl else (-1, -1)

    def style(i: int) -> Style | None:
        if hs <= i < he:
            return HL
        if i < nl_offset:
            return LINK
        if not ms <= i < me:
            return OUTSIDE
        return None

    # Bytes of one style go in as one run: a span per byte made the pane cost ~70% of
    # showing a 1.4 kB message on the UI thread (Static.update converts every span).
    run: list[str] = []
    run_style: list = [None]

    def put(text: str, st) -> None:
        if st != run_style[0] and run:
            out.append("".join(run), run_style[0])
            run.clear()
        run_style[0] = st
        run.append(text)

    for base in range(0, len(raw), 16):
        chunk = raw[base:base + 16]
        put(f"{base:04x}  ", "#8a8a8a")
        for k, b in enumerate(chunk):
            put(f"{b:02x}", style(base + k))
            sep = "  " if k == 7 else " "
            # the gap stays highlighted inside a highlighted run
            put(sep, HL if hs <= base + k < he - 1 and k != 15 else None)
        put("   " * (16 - len(chunk)) + (" " if len(chunk) <= 8 else ""), None)
        put(" ", None)
        for k, b in enumerate(chunk):
            put(chr(b) if 32 <= b < 127 else ".", style(base + k))
        put("\n", None)
    if run:
        out.append("".join(run), run_style[0])
    return out


class HexView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    HexView {
        height: 1fr;
        background: $surface;
        padding: 0 1;
    }
    HexView > Static {
        width: auto;
    }
    """

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
    ]

    def __init__(self, **kw):
        super().__init__(**kw)
        self._msg: Message | None = None
        self.span: tuple[int, int] | None = None

    def compose(self):
        yield Static(id="hex-body")

    def show(self, msg: Message | None, span: tuple[int, int] | None = None) -> None:
        self._msg = msg
        self.span = span
        body = self.query_one("#hex-body", Static)
        if msg is None:
            body.update("")
            return
        fr = msg.frame
        body.update(hex_text(fr.raw, (msg.start, msg.end), span, fr.nl_offset))
        if span is not None:
            line = span[0] // 16
            h = self.scrollable_content_region.height
            if not self.scroll_y <= line < self.scroll_y + max(h, 1):
                self.scroll_to(y=max(0, line - 1), animate=False, immediate=True)

    def highlight(self, span: tuple[int, int] | None) -> None:
        self.show(self._msg, span)
