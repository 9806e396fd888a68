"""SVG snapshots of the main screens (pytest-textual-snapshot), at 80x24 (the smallest
terminal it must be usable in) and 120x40. Deterministic: the index is complete before
the shot, no clock is shown, the cursor does not blink.

After a deliberate change of the look (or of a dissector's Info text), regenerate and
look at the pictures before committing them:
    .venv/bin/python -m pytest tests/test_tui_snapshots.py --snapshot-update
"""
from __future__ import annotations


import pytest
from conftest import FIXTURES, SAMPLES
from waiting import until

from nlscope.tui.app import make_app
from nlscope.tui.dialogs import GotoScreen, SaveScreen, SearchScreen
from nlscope.tui.stats_screen import StatsScreen

GOLDEN = str(FIXTURES / "golden.pcapng")
MIXED = SAMPLES / "mixed.pcapng"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _hex_follows_tree(app) -> bool:
    """The hex pane shows the bytes of the tree's cursor node (or of what an extack
    offset there points at): the tree tells it by a message, handled a frame later."""
    tree, hexp = app._panes["tree"], app._panes["hex"]
    node = tree.cursor_node
    if node is None or node.data is None:
        return True
    return hexp.span == tree.span_of(node)


def settle(*keys: str, wait_for=None):
    async def run(pilot):
        app = pilot.app
        await until(lambda: app.index.complete and app.source.finished and not app.view.filtering,
                    "the index to complete")
        # the first message's panes shown (and the tree's highlight on the hex pane)
        # before any key: a dialog then covers a settled screen, whatever the timing
        await until(lambda: not app.details_pending and _hex_follows_tree(app), "the first panes")
        app.tick()
        await pilot.pause()
        await pilot.pause()
        for k in keys:
            await pilot.press(k)
        if wait_for is not None:
            await until(lambda: wait_for(app), "the screen the keys open")
        await until(lambda: not app.view.filtering and app.busy is None
                    and not app.details_pending and _hex_follows_tree(app), "the view to settle")
        app.tick()
        await pilot.pause()
    return run


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, size):
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=size,
                        run_before=settle("j", "j", "j", "j", "j"))


@pytest.mark.parametrize("size", SIZES)
def test_detail_node_highlights_bytes(snap_compare, size):
    # message 6 (error with extack), tree focused, cursor on a nested attribute
    keys = ["j"] * 5 + ["tab"] + ["down"] * 14
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=size,
                        run_before=settle(*keys))


@pytest.mark.parametrize("size", SIZES)
def test_transaction_rows(snap_compare, size):
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=size,
                        run_before=settle("t", "j"))


@pytest.mark.parametrize("size", SIZES)
def test_filter_error_shown_while_typing(snap_compare, size):
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=size,
                        run_before=settle("slash", *"type", "space", "=", "=", "space", "("))


@pytest.mark.parametrize("size", SIZES)
def test_filtered_view(snap_compare, size):
    assert snap_compare(make_app(GOLDEN, deterministic=True, filter_text="txn.status == error"),
                        terminal_size=size, run_before=settle())


@pytest.mark.parametrize("size", SIZES)
def test_statistics_screen(snap_compare, size):
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=size,
                        run_before=settle("S", wait_for=lambda a: isinstance(a.screen, StatsScreen)))


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, size):
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=size,
                        run_before=settle("question_mark"))


@pytest.mark.parametrize("key,screen", [("colon", GotoScreen), ("s", SearchScreen),
                                        ("w", SaveScreen)], ids=["goto", "search", "save"])
def test_dialog_at_80x24(snap_compare, key, screen):
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=(80, 24),
                        run_before=settle(key, wait_for=lambda a: isinstance(a.screen, screen)))


@pytest.mark.parametrize("size", SIZES)
def test_mixed_sample(snap_compare, size):
    assert snap_compare(make_app(str(MIXED), deterministic=True), terminal_size=size,
                        run_before=settle("G"))


def test_expert_info_at_80x24(snap_compare):
    from nlscope.tui.expert import ExpertScreen
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=(80, 24),
                        run_before=settle("E", wait_for=lambda a: isinstance(a.screen, ExpertScreen)))


def test_delta_times_and_a_field_column_at_80x24(snap_compare):
    """T twice: delta times; a column from the tree (c on IFLA_IFNAME of message 2)."""
    async def run(pilot):
        app = pilot.app
        await settle("j", "T", "T")(pilot)
        tree = app._panes["tree"]
        node = next(n for n, p in tree._fields.items()
                    if tuple(f.name for f in p) == ("attributes", "IFLA_IFNAME"))
        tree.focus()
        tree.move_cursor(node)
        await pilot.pause()
        await pilot.press("c", "shift+tab")
        await pilot.pause()
    assert snap_compare(make_app(GOLDEN, deterministic=True), terminal_size=(80, 24), run_before=run)
