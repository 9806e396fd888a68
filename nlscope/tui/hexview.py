"""The bytes pane: the whole frame (Frame.raw) in hex and ASCII, the current message
in full colour, the rest of the frame dim, the selected field's [start, end) reversed."""
from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..decode.model import Message

HL = Style(bgcolor="#5f87af", color="#ffffff", bold=True)
OUTSIDE = Style(dim=True)
LINK = Style(color="#8a8a8a", italic=True)


GREY = Style(color="#8a8a8a")
WIDTH = 72  # "0000  " + 16 x "xx " + 1 + " " + 16 characters


def hex_line(raw: bytes, base: int, msg_span: tuple[int, int], hl: tuple[int, int] | None,
             nl_offset: int = 16) -> list[Segment]:
    """The line of bytes [base, base + 16): offset, hex and ASCII, one segment per run
    of one style."""
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

    out: list[Segment] = []
    run: list[str] = []
    run_style: list = [None]

    def put(text: str, st) -> None:
        if st != run_style[0] and run:
            out.append(Segment("".join(run), run_style[0]))
            run.clear()
        run_style[0] = st
        run.append(text)

    chunk = raw[base:base + 16]
    put(f"{base:04x}  ", GREY)
    for k, b in enumerate(chunk):
        put(f"{b:02x}", style(base + k))
        # the gap stays highlighted inside a highlighted run
        put("  " if k == 7 else " ", HL if hs <= base + k < he - 1 and k != 15 else None)
    put("   " * (16 - len(chunk)) + (" " if len(chunk) <= 8 else ""), None)
    put(" ", None)
    for k, b in enumerate(chunk):
        put(chr(b) if 32 <= b < 127 else ".", style(base + k))
    if run:
        out.append(Segment("".join(run), run_style[0]))
    return out


def hex_text(raw: bytes, msg_span: tuple[int, int], hl: tuple[int, int] | None,
             nl_offset: int = 16) -> str:
    """The whole dump as plain text (what the pane shows, without its styles)."""
    return "\n".join("".join(seg.text for seg in hex_line(raw, base, msg_span, hl, nl_offset))
                     for base in range(0, len(raw), 16))


class HexView(ScrollView, can_focus=True):
    """Only the lines on screen are built (Line API): a dump batch's frame holds tens
    of kB, and building all of it on each cursor move cost ~100 ms for a 1.4 kB
    RTM_NEWLINK in a 30 kB frame."""

    DEFAULT_CSS = """
    HexView {
        height: 1fr;
        background: $surface;
        padding: 0 1;
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

    @property
    def message(self) -> Message | None:
        """The message whose bytes the pane shows."""
        return self._msg

    @property
    def text(self) -> str:
        """What the pane shows, as plain text."""
        m = self._msg
        if m is None:
            return ""
        return hex_text(m.frame.raw, (m.start, m.end), self.span, m.frame.nl_offset)

    def show(self, msg: Message | None, span: tuple[int, int] | None = None) -> None:
        new = msg is not self._msg
        self._msg = msg
        self.span = span
        n = 0 if msg is None else (len(msg.frame.raw) + 15) // 16
        self.virtual_size = Size(WIDTH if n else 0, n)
        self.refresh()
        if span is None:
            if msg is None:
                self.scroll_to(y=0, animate=False, immediate=True)
            return
        line = span[0] // 16
        h = max(self.scrollable_content_region.height, 1)
        if new or not self.scroll_y <= line < self.scroll_y + h:
            # with a line of what comes before (not from the pane's height: before the
            # first layout it is not known yet)
            self.scroll_to(y=max(0, line - 1), animate=False, immediate=True)

    def highlight(self, span: tuple[int, int] | None) -> None:
        self.show(self._msg, span)

    def render_line(self, y: int) -> Strip:
        sx, sy = self.scroll_offset
        m = self._msg
        width = self.scrollable_content_region.width
        base = (y + sy) * 16
        if m is None or base >= len(m.frame.raw):
            return Strip.blank(width, self.rich_style)
        segs = hex_line(m.frame.raw, base, (m.start, m.end), self.span, m.frame.nl_offset)
        return (Strip(segs).crop(sx, sx + width).extend_cell_length(width)
                .apply_style(self.rich_style))
