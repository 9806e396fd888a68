"""The expert info screen (key E): every problem of the capture from
nlscope.analysis.expert, grouped by severity then kind, as Wireshark's Expert
Information; Enter on an item goes to its message."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static, Tree

from ..analysis.expert import SEVERITIES, ExpertItem
from ..escape import escape

STYLES = {"error": "bold #ff8787", "warning": "bold #ffd787", "note": "bold #87d7ff"}
PER_GROUP = 2000  # items listed per group (the count says how many there are)


class ExpertScreen(Screen[int | None]):
    DEFAULT_CSS = """
    ExpertScreen #expert-head { height: 1; background: $primary 30%; padding: 0 1; }
    ExpertScreen Tree { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q", "dismiss(None)", "Close"),
                Binding("j", "cursor_down", "Down", show=False),
                Binding("k", "cursor_up", "Up", show=False)]

    def __init__(self, items: list[ExpertItem], title: str):
        super().__init__()
        self.items = items
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.title_text}  —  Enter: go to the message, Esc: back",
                          no_wrap=True, overflow="ellipsis"), id="expert-head")
        tree: Tree[int | None] = Tree("Expert info", id="expert-tree")
        tree.show_root = False
        groups: dict[str, dict[str, list[ExpertItem]]] = {s: {} for s in SEVERITIES}
        for e in self.items:
            groups[e.severity].setdefault(e.group, []).append(e)
        for sev in SEVERITIES:
            kinds = groups[sev]
            total = sum(len(v) for v in kinds.values())
            label = Text(f"{sev}  ({total})", STYLES[sev] if total else "dim")
            snode = tree.root.add(label, expand=bool(total) and sev != "note")
            for group, items in kinds.items():
                gnode = snode.add(Text(f"{escape(group)}  ({len(items)})", "bold"), expand=True)
                for e in items[:PER_GROUP]:
                    t = Text(no_wrap=True, overflow="ellipsis")
                    t.append(f"{e.message + 1:>7}  ", "dim")
                    t.append(escape(e.text))  # capture text
                    gnode.add_leaf(t, data=e.message)
                if len(items) > PER_GROUP:
                    gnode.add_leaf(Text(f"… {len(items) - PER_GROUP} more", "dim"))
        if not self.items:
            tree.root.add_leaf(Text("no problem, error or unanswered request", "dim"))
        yield tree

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.focus()
        # the first item of the most severe group, ready for Enter
        for node in tree.root.children:
            first = next((g.children[0] for g in node.children if g.children), None)
            if first is not None:
                tree.move_cursor(first)
                break

    def action_cursor_down(self) -> None:
        self.query_one(Tree).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(Tree).action_cursor_up()

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        if event.node.data is not None:
            event.stop()
            self.dismiss(event.node.data)
