"""The TUI at 80x24 and wide: panes share the height by priority, columns drop in
order with Info last, cut text shows an ellipsis, dialogs and help fit (issue 13 part 2)."""
from __future__ import annotations


import pytest
from conftest import FIXTURES, SAMPLES
from waiting import aio, ready, until

from nlscope.tui.app import NlscopeApp, make_app
from nlscope.tui.layout import HEX_MAX, LIST_MIN, TREE_MIN, pane_heights
from nlscope.tui.rows import MESSAGE_COLUMNS, TXN_COLUMNS, info_min, visible_columns

GOLDEN = str(FIXTURES / "golden.pcapng")
MIXED = str(SAMPLES / "mixed.pcapng")


def lines(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


def test_pane_heights_share_by_priority():
    for total in range(0, 80):
        lst, mid, hexh = pane_heights(total, 45)
        assert lst + mid + hexh == total
        assert lst >= min(total, LIST_MIN)  # the list is served first
        if hexh:  # the bytes pane only once the tree has its minimum
            assert mid >= TREE_MIN and hexh <= HEX_MAX
        if total >= LIST_MIN + TREE_MIN:
            assert mid >= TREE_MIN
    assert all(pane_heights(21, 45))  # 80x24: the three panes all get rows


def test_columns_drop_in_order_info_last():
    for columns in (MESSAGE_COLUMNS, TXN_COLUMNS):
        prev = None
        for width in range(200, 59, -1):
            cols = visible_columns(columns, width)
            keys = [c.key for c in cols]
            assert keys[-1] == "info"
            fixed = sum(c.width + 1 for c in cols if c.width)
            assert width - fixed >= info_min(width) or not any(c.drop for c in cols)
            if prev is not None:  # narrower: the same columns or fewer, never others
                assert set(keys) <= set(prev)
            prev = keys
        assert {c.key for c in visible_columns(columns, 200)} == {c.key for c in columns}
    at80 = [c.key for c in visible_columns(MESSAGE_COLUMNS, 80)]
    assert at80 == ["mark", "no", "time", "family", "type", "info"]
    at80 = [c.key for c in visible_columns(TXN_COLUMNS, 80)]
    assert at80 == ["mark", "no", "delta", "type", "flags", "info"]  # latency and status stay


@aio
async def test_80x24_every_pane_has_rows():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        lst, tree, hexv = app.message_list, app._panes["tree"], app._panes["hex"]
        assert lst.scrollable_content_region.height >= 5  # header + 4 rows at least
        assert tree.size.height >= 4 and hexv.size.height >= 2
        assert app._panes["txn"].size.height >= 4
        rows = lines(lst)
        assert rows[1].split()[:2] == ["1", "0.000000"] and "RTM_GETLINK" in rows[1]
        # Info does not repeat the type the Type column shows
        assert rows[1].split()[-1] == "dump"
        h = lst.size.height
        await pilot.press("plus")
        await pilot.pause()
        assert lst.size.height > h and tree.size.height >= 4


@aio
async def test_long_text_ends_in_an_ellipsis_at_200_columns():
    app = make_app(MIXED, deterministic=True)
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(app, pilot)
        await pilot.press(*"jjjjjjj")  # message 8: an RTM_NEWLINK with a long Info
        await pilot.pause()
        summary = app.index.message(7).summary
        row = lines(app.message_list)[8]
        assert len(summary) > 100 and row.endswith("…")
        info = summary.removeprefix("RTM_NEWLINK ")
        shown = row[row.index("3: dummy0"):-1]
        assert info.startswith(shown) and len(shown) < len(info)  # cut, and says so
        txn_rows = lines(app.query_one("#txn-rows"))
        mine = next(r for r in txn_rows if r.startswith("▶"))
        assert mine.endswith("…") and "RTM_NEWLINK 3: dummy0" in mine


@aio
async def test_txn_pane_names_the_error_attribute_once():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press(*"jjjjj")  # message 6: error with extack at RTA_GATEWAY
        await pilot.pause()
        head = "\n".join(lines(app.query_one("#txn-head")))
        assert head.count("RTA_GATEWAY") == 1 and head.count("Nexthop") == 1
        assert "Nexthop has invalid" in head  # wrapped to the pane, not cut


@pytest.mark.parametrize("key", ["question_mark", "colon", "s", "w", "S"])
@aio
async def test_dialogs_and_help_fit_80x24(key):
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        main = app.screen
        await pilot.press(key)
        await until(lambda: app.screen is not main, "the dialog", pilot=pilot)
        box = app.screen.children[0]
        r = box.region
        assert r.x >= 0 and r.y >= 0 and r.right <= 80 and r.bottom <= 24
        assert box.border_subtitle  # the dialog's keys, on its frame
        for label in app.screen.query("Label"):  # every help text whole, wrapped inside
            assert label.region.right <= r.right and label.size.height >= 1
            assert label.max_scroll_x == 0
