"""The detail pane: the decoded tree of one message (Message.tree), as Wireshark's
packet details. Selecting a node tells the hex pane which bytes to highlight."""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message as TMessage
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..analysis.names import IfNames
from ..decode.model import Field, Message
from ..escape import escape
from .rows import ERROR_STYLE, family_color

Span = tuple[int, int]


def node_label(f: Field, ifname: str | None = None) -> Text:
    t = Text(no_wrap=True)
    # Names and values can come from the capture (strings, YNL specs): escaped, and
    # always in Text (a str label would be read as Rich markup).
    t.append(escape(f.name), "bold" if f.children is not None else "")
    if not (f.children is not None and f.value is None):
        t.append(": ")
        style = ""
        if f.kind == "enum" and f.name in ("error", "value") and isinstance(f.value, int) and f.value < 0:
            style = "bold #ff5f5f"
        elif f.kind in ("enum", "flags"):
            style = "#87d7ff"
        elif f.kind == "str":
            style = "#d7d787"
        elif f.kind in ("addr", "mac"):
            style = "#87d787"
        t.append(escape(f.display()), style)
        if ifname is not None:  # learned from the capture (analysis.names)
            t.append(f" ({escape(ifname)})", "#87d787")
    if f.name.startswith("NLMSGERR_ATTR_MSG"):
        t.stylize("bold #ffaf5f")
    t.append(f"  [{f.start}:{f.end}]", "dim")
    return t


class DetailTree(Tree[Span], can_focus=True):
    DEFAULT_CSS = """
    DetailTree {
        height: 1fr;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
        Binding("asterisk", "expand_all", "Expand all", show=False),
        Binding("minus", "collapse_all", "Collapse all", show=False),
        Binding("l", "expand_node", "Expand", show=False),
        Binding("h", "collapse_node", "Collapse", show=False),
    ]

    class SpanSelected(TMessage):
        def __init__(self, span: Span | None):
            super().__init__()
            self.span = span

    def __init__(self, **kw):
        super().__init__("no message", **kw)
        self.show_root = True
        self.guide_depth = 2
        self.message_number: int | None = None
        self._names: IfNames | None = None

    def show_message(self, msg: Message | None, names: IfNames | None = None) -> None:
        self.clear()
        self._names = names
        if msg is None:
            self.root.set_label("no message")
            self.message_number = None
            return
        self.message_number = msg.number
        fr = msg.frame
        label = Text(no_wrap=True)
        label.append(f"Message {msg.number}", "bold")
        label.append(f": frame {fr.number} message {msg.index + 1}, bytes {msg.start}-{msg.end}, ")
        label.append(escape(msg.family), f"bold {family_color(msg.family)}")
        label.append(f" ({fr.protocol}), {'little' if msg.order == '<' else 'big'}-endian, "
                     f"direction {msg.direction}")
        self.root.set_label(label)
        self.root.data = (msg.start, msg.end)
        if fr.pid is not None:
            self.root.add_leaf(Text(escape(f"Process: {fr.pid} ({fr.comm})")), data=None)
        if fr.comment:
            self.root.add_leaf(Text(escape(f"Comment: {fr.comment}"), "italic"), data=None)
        for f in msg.tree:
            self._add(self.root, f, 0)
        for p in msg.problems:
            self.root.add_leaf(Text(escape(f"[Malformed: {p}]"), ERROR_STYLE), data=(msg.start, msg.end))
        info = Text("Info: ", "bold")
        info.append(escape(msg.summary))
        self.root.add_leaf(info, data=(msg.start, msg.end))
        self.root.expand()
        self.move_cursor(self.root)

    def _add(self, parent: TreeNode[Span], f: Field, depth: int) -> None:
        if f.children:
            node = parent.add(node_label(f), data=(f.start, f.end), expand=True)
            for c in f.children:
                self._add(node, c, depth + 1)
        else:
            note = self._names.field_name(f, self.message_number - 1) if self._names else None
            parent.add_leaf(node_label(f, note), data=(f.start, f.end))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self.post_message(self.SpanSelected(event.node.data))

    def action_expand_all(self) -> None:
        self.root.expand_all()

    def action_collapse_all(self) -> None:
        for c in self.root.children:
            c.collapse_all()

    def action_expand_node(self) -> None:
        if self.cursor_node is not None:
            self.cursor_node.expand()

    def action_collapse_node(self) -> None:
        if self.cursor_node is not None:
            self.cursor_node.collapse()
