"""How the main screen's panes share the height: by priority, list, then tree, then hex.

A small terminal (80x24) gives every pane a usable slice before any pane gets more: the
list keeps its header and a few rows, the tree (beside the transaction pane) some rows,
and the bytes pane takes what is left up to a third of it; the bytes pane is the first
to shrink and to go.
"""
from __future__ import annotations

from textual import events
from textual.containers import Vertical

LIST_MIN = 6  # header + 4 rows + the separator line
TREE_MIN = 5  # 4 rows + the separator line
HEX_MIN = 2
HEX_MAX = 12  # a 192-byte window of the frame; it scrolls to the selected field


def pane_heights(total: int, list_pct: int) -> tuple[int, int, int]:
    """(list, middle, hex) rows for `total` rows, the list wanting `list_pct`% of them.
    Each pane gets its minimum in priority order before any pane grows."""
    total = max(0, total)
    lst = min(total, max(LIST_MIN, round(total * list_pct / 100)))
    rest = total - lst
    if rest < TREE_MIN:  # too small for a tree: the list keeps a tree row at most
        return lst, rest, 0
    hexh = min(HEX_MAX, (rest - TREE_MIN) // 2, rest // 3)
    if hexh < HEX_MIN:
        hexh = 0
    return lst, rest - hexh, hexh


class Panes(Vertical):
    """The message list, the middle row (tree and transaction pane) and the bytes pane,
    sized by pane_heights on every resize and when the list is made taller or shorter."""

    def __init__(self, *children, list_pct: int = 45, **kw):
        super().__init__(*children, **kw)
        self.list_pct = list_pct

    def on_resize(self, event: events.Resize) -> None:
        self.relayout()

    def relayout(self) -> None:
        kids = [c for c in self.children if c.id in ("list-pane", "middle", "hex")]
        if len(kids) != 3 or not self.size.height:
            return  # not laid out yet: hiding a pane now would take the focus away
        heights = pane_heights(self.size.height, self.list_pct)
        for w, h in zip(kids, heights):
            w.styles.height = h
            w.display = h > 0

    def resize_list(self, step: int) -> None:
        self.list_pct = max(15, min(85, self.list_pct + 5 * step))
        self.relayout()
