"""The detail pane: the decoded tree of one message (Message.tree), as Wireshark's
packet details. Selecting a node tells the hex pane which bytes to highlight."""
from __future__ import annotations

from collections import OrderedDict

from rich.cells import cell_len
from rich.text import Span as StyleSpan, Text
from textual.binding import Binding
from textual.message import Message as TMessage
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..analysis.names import IfNames
from ..decode.model import Field, Message
from ..escape import escape
from .rows import ERROR_STYLE, family_color

Span = tuple[int, int]
OPEN_STATES = 4096


def node_label(f: Field, ifname: str | None = None) -> Text:
    # Names and values can come from the capture (strings, YNL specs): escaped, and
    # always in Text (a str label would be read as Rich markup). One string and its
    # spans: Text.append costs a control-code strip per part (~260 nodes a tree).
    name = escape(f.name)
    spans = [StyleSpan(0, len(name), "bold")] if f.children is not None and name else []
    if f.children is not None and f.value is None:
        plain = name
    else:
        shown = escape(f.display())
        at = len(name) + 2
        plain = f"{name}: {shown}"
        style = _value_style(f)
        if style and shown:
            spans.append(StyleSpan(at, at + len(shown), style))
        if ifname is not None:  # learned from the capture (analysis.names)
            note = f" ({escape(ifname)})"
            at = len(plain)
            plain += note
            spans.append(StyleSpan(at, at + len(note), "#87d787"))
    at = len(plain)
    if f.name.startswith("NLMSGERR_ATTR_MSG"):
        spans.append(StyleSpan(0, at, "bold #ffaf5f"))
    plain += f"  [{f.start}:{f.end}]"
    spans.append(StyleSpan(at, len(plain), "dim"))
    return Text(plain, no_wrap=True, spans=spans)


def _value_style(f: Field) -> str:
    if f.kind == "enum" and f.name in ("error", "value") and isinstance(f.value, int) and f.value < 0:
        return "bold #ff5f5f"
    if f.kind in ("enum", "flags"):
        return "#87d7ff"
    if f.kind == "str":
        return "#d7d787"
    if f.kind in ("addr", "mac"):
        return "#87d787"
    return ""


class DetailTree(Tree[Span], can_focus=True):
    DEFAULT_CSS = """
    DetailTree {
        height: 1fr;
        background: $surface;
        padding: 0 1;
    }
    """

    _building = False  # a class default: Tree.__init__ invalidates before ours runs

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
        Binding("asterisk", "expand_all", "Expand all", show=False),
        Binding("minus", "collapse_all", "Collapse all", show=False),
        Binding("l", "expand_node", "Expand", show=False),
        Binding("h", "collapse_node", "Collapse", show=False),
        Binding("a", "field('apply')", "Apply the field as the display filter", show=False),
        Binding("p", "field('prepare')", "Prepare as filter: fill the filter bar, not applied",
                show=False),
        Binding("c", "field('column')", "Add the field as a list column (again: remove it)",
                show=False),
        Binding("y", "field('copy')", "Copy the field's value (terminal clipboard)", show=False),
    ]

    class FieldAction(TMessage):
        """A key on a field: apply/prepare as filter, column, copy (the app acts)."""

        def __init__(self, action: str, msg: Message, path: tuple[Field, ...]):
            super().__init__()
            self.action = action
            self.msg = msg
            self.path = path

    class SpanSelected(TMessage):
        """The bytes of the highlighted node, of message `msg` (the one the tree showed
        then: the event may be handled after the tree moved to another)."""

        def __init__(self, span: Span | None, msg: Message | None):
            super().__init__()
            self.span = span
            self.msg = msg

    class OffsetOutside(TMessage):
        """An extack offset points past what the error quotes (a capped error): the
        attribute is in the request, `offset` bytes from its nlmsghdr."""

        def __init__(self, offset: int):
            super().__init__()
            self.offset = offset

    def __init__(self, **kw):
        super().__init__("no message", **kw)
        self.show_root = True
        self.guide_depth = 2
        self.message_number: int | None = None
        self._names: IfNames | None = None
        # Expanded or collapsed, per path of field names, as the user left it (Wireshark
        # keeps it per subtree too); bounded: names can come from the capture.
        self._open: OrderedDict[tuple[str, ...], bool] = OrderedDict()
        self._paths: dict[TreeNode[Span], tuple[str, ...]] = {}
        self._offs: dict[TreeNode[Span], int] = {}  # extack OFFS node -> byte it points at
        self._fields: dict[TreeNode[Span], tuple[Field, ...]] = {}  # node -> its Field path
        self._msg: Message | None = None

    # A 1.4 kB RTM_NEWLINK is ~260 nodes. Textual invalidates the whole tree on each
    # add, splits every label into lines and renders every label to measure its width:
    # done once per tree instead, and from the label's own width.
    def _invalidate(self) -> None:
        if not self._building:
            super()._invalidate()

    def process_label(self, label) -> Text:
        # node_label's Text is one line already (escape() leaves no line break)
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode[Span]) -> int:
        if not node.allow_expand:
            return node._label.cell_len
        icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        return cell_len(icon) + node._label.cell_len

    def show_message(self, msg: Message | None, names: IfNames | None = None) -> None:
        self._building = True
        try:
            self._show(msg, names)
        finally:
            self._building = False
        self._invalidate()
        if msg is not None:
            self.move_cursor(self.root)

    def _show(self, msg: Message | None, names: IfNames | None) -> None:
        self.clear()
        self._paths.clear()
        self._offs.clear()
        self._fields.clear()
        self._names = names
        self._msg = msg
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
        self._original = next((f for f in msg.tree if f.name == "original"), None)
        for f in msg.tree:
            self._add(self.root, f, (), ())
        for p in msg.problems:
            self.root.add_leaf(Text(escape(f"[Malformed: {p}]"), ERROR_STYLE), data=(msg.start, msg.end))
        info = Text("Info: ", "bold")
        info.append(escape(msg.summary))
        self.root.add_leaf(info, data=(msg.start, msg.end))
        self.root.expand()

    def show_pending(self, i: int) -> None:
        """Message index i is being decoded (the loader's thread): say so, show nothing
        stale."""
        self.clear()
        self._paths.clear()
        self._offs.clear()
        self._fields.clear()
        self._msg = None
        self.message_number = None
        self.root.set_label(Text(f"Message {i + 1}: decoding…", "dim"))
        self.root.data = None

    def _add(self, parent: TreeNode[Span], f: Field, path: tuple[str, ...],
             fpath: tuple[Field, ...]) -> None:
        path = (*path, f.name)
        fpath = (*fpath, f)
        if f.children:
            node = parent.add(node_label(f), data=(f.start, f.end),
                              expand=self._open.get(path, True))
            self._paths[node] = path
            self._fields[node] = fpath
            for c in f.children:
                self._add(node, c, path, fpath)
        else:
            note = self._names.field_name(f, self.message_number - 1) if self._names else None
            node = parent.add_leaf(node_label(f, note), data=(f.start, f.end))
            self._fields[node] = fpath
            if f.name == "NLMSGERR_ATTR_OFFS" and isinstance(f.value, int) and self._original:
                self._offs[node] = self._original.start + f.value

    def _remember(self, node: TreeNode[Span], expanded: bool) -> None:
        path = self._paths.get(node)
        if path is None:  # the root, or a node of a tree already replaced
            return
        self._open[path] = expanded
        self._open.move_to_end(path)
        while len(self._open) > OPEN_STATES:
            self._open.popitem(last=False)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        self._remember(event.node, True)

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed) -> None:
        self._remember(event.node, False)

    def _offs_target(self, node: TreeNode[Span]) -> TreeNode[Span] | None:
        """The node of the field an extack offset points at: the outermost one that
        starts at that byte inside the quoted request."""
        at = self._offs.get(node)
        if at is None:
            return None
        quoted = next((n for n, p in self._paths.items() if p == ("original",)), None)
        return _first_at(quoted, at) if quoted is not None else None

    def span_of(self, node: TreeNode[Span]) -> Span | None:
        """The bytes a node shows in the hex pane: its own, or for an extack offset
        those of what it points at."""
        target = self._offs_target(node)
        return target.data if target else node.data

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self.post_message(self.SpanSelected(self.span_of(event.node), self._msg))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        """Enter on an extack offset: to the attribute it points at (in the request
        when the error quotes only the request's header)."""
        if event.node not in self._offs:
            return
        event.stop()
        target = self._offs_target(event.node)
        if target is not None:
            self._go(target)
        elif self._original is not None:
            self.post_message(self.OffsetOutside(self._offs[event.node] - self._original.start))

    def select_offset(self, at: int) -> bool:
        """Put the cursor on the outermost node starting at byte `at` (frame offset)."""
        target = _first_at(self.root, at, skip_root=True)
        if target is not None:
            self._go(target)
        return target is not None

    def _go(self, node: TreeNode[Span]) -> None:
        p = node.parent
        while p is not None:
            p.expand()
            p = p.parent
        # a node's line is known once the tree has been laid out again
        self.call_after_refresh(self.move_cursor, node)

    def action_field(self, action: str) -> None:
        node = self.cursor_node
        path = self._fields.get(node) if node is not None else None
        if path is None or self._msg is None:
            self.app.bell()  # the root, a process or Info line: no field
            return
        self.post_message(self.FieldAction(action, self._msg, path))

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


def _first_at(top: TreeNode[Span], at: int, skip_root: bool = False) -> TreeNode[Span] | None:
    """The first node, depth first from `top`, whose span starts at byte `at`."""
    stack = list(reversed(top.children)) if skip_root else [top]
    while stack:
        n = stack.pop()
        if n.data is not None and n.data[0] == at:
            return n
        stack.extend(reversed(n.children))
    return None
