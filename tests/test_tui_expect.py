"""Issue 13 part 5 (what Wireshark/termshark users expect) and part 3 (decoding off
the UI thread), driven by the pilot as a user would: a tree field applied or prepared
as a filter, added as a column and removed, copied; the time formats and a time
reference (checked against tshark -t); colouring rules from a file; expert info;
open recent. Part 3: the tree follows the latest cursor, never a stale one, no key
lost, neighbours prefetched; a decoder state change keeps rows and tree."""
from __future__ import annotations

import datetime as dt
import subprocess
import threading

import pytest
import waiting
from conftest import FIXTURES
from tshark import TSHARK

from nlscope.analysis.colors import ColorRules
from nlscope.tui import recent
from nlscope.tui.app import NlscopeApp, make_app
from nlscope.tui.dialogs import MessageScreen
from nlscope.tui.expert import ExpertScreen
from nlscope.tui.filter_bar import FilterInput
from waiting import aio, panes, ready

GOLDEN = str(FIXTURES / "golden.pcapng")
SIZE = (120, 40)


async def until(pilot, cond, what: str) -> None:
    await waiting.until(cond, what, pilot=pilot)


def row(app: NlscopeApp, r: int) -> str:
    """List row r (0: the first message) as drawn."""
    lst = app.message_list
    return lst.render_line(r + 1 - int(lst.scroll_y)).text


def header(app: NlscopeApp) -> str:
    return app.message_list.render_line(0).text


async def to_field(app: NlscopeApp, pilot, message: int, *names: str) -> None:
    """Select message number `message` and put the tree's cursor on the field path."""
    app.goto_message(message - 1)
    await panes(app, pilot)
    tree = app._panes["tree"]
    node = next(n for n, p in tree._fields.items() if tuple(f.name for f in p) == names)
    tree.focus()
    tree.move_cursor(node)
    await pilot.pause()
    assert tree.cursor_node is node


# -- part 5 -------------------------------------------------------------------------------

@aio
async def test_apply_a_tree_field_as_the_filter():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        # message 6: the ENETUNREACH error, its extack text
        await to_field(app, pilot, 6, "extack", "NLMSGERR_ATTR_MSG")
        await pilot.press("a")
        await until(pilot, lambda: not app.view.filtering, "the filter to run")
        want = 'attr.extack.NLMSGERR_ATTR_MSG == "Nexthop has invalid gateway"'
        assert app.query_one(FilterInput).value == want
        assert app.view.filter_text == want and list(app.view.rows) == [5]
        assert app.focused is app.message_list


@aio
async def test_prepare_as_filter_fills_the_bar_without_applying():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await to_field(app, pilot, 2, "attributes", "IFLA_IFNAME")  # lo
        await pilot.press("p")
        inp = app.query_one(FilterInput)
        assert inp.value == 'attr.IFLA_IFNAME == "lo"' and app.focused is inp
        assert app.view.predicate is None and len(app.view) == 13  # not applied
        await pilot.press("enter")  # the user applies it
        await until(pilot, lambda: app.view.predicate is not None and not app.view.filtering,
                    "the filter to run")
        assert [i + 1 for i in app.view.rows] == [2]  # the dump's reply for lo


@aio
async def test_a_field_as_a_column_and_removed():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        await to_field(app, pilot, 2, "attributes", "IFLA_IFNAME")
        await pilot.press("c")
        await pilot.pause()
        assert app.view.columns == ["attr.IFLA_IFNAME"] and "IFLA_IFNAME" in header(app)
        col = header(app).index("IFLA_IFNAME")
        cells = [row(app, r)[col:col + 14].strip() for r in (1, 2, 5)]
        assert cells == ["lo", "eth0", ""]  # the fixture's maker; a route error has none
        await pilot.press("c")  # again on the same field: removed
        await pilot.pause()
        assert app.view.columns == [] and "IFLA_IFNAME" not in header(app)


@aio
async def test_copy_a_field_value():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await to_field(app, pilot, 6, "original", "attributes", "RTA_GATEWAY")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MessageScreen), "the copy dialog")
        assert app.clipboard == "10.9.0.254"  # what OSC 52 sent to the terminal
        assert "10.9.0.254" in app.screen.text  # the fallback: shown, to select by hand
        await pilot.press("escape")
        assert not isinstance(app.screen, MessageScreen)


def tshark_times(flag: str) -> list[str]:
    """tshark's time column for each frame of the golden capture with -t flag."""
    assert TSHARK, "tshark is installed by scripts/setup.sh --test"
    field = {"r": "frame.time_relative", "d": "frame.time_delta", "e": "frame.time_epoch"}[flag]
    out = subprocess.run([TSHARK, "-r", GOLDEN, "-T", "fields", "-e", field],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def usec(s: str) -> str:
    """tshark's ns value cut to the µs the list shows."""
    a, b = s.split(".")
    return f"{a}.{b[:6]}"


@aio
async def test_time_formats_match_tshark():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        ix = app.index
        firsts = [ix.fr_first[f] for f in range(ix.frames)]  # a frame's first message
        # tshark's frames by their epoch time (it also lists a frame nlscope skips)
        by_epoch = {e: (r, d) for e, r, d in zip(tshark_times("e"), tshark_times("r"),
                                                 tshark_times("d"))}
        epochs = [f"{ix.fr_ts[f] // 10**9}.{ix.fr_ts[f] % 10**9:09d}" for f in range(ix.frames)]
        assert all(e in by_epoch for e in epochs)

        def times() -> list[str]:
            return [row(app, i).split()[1] for i in firsts]
        assert times() == [usec(by_epoch[e][0]) for e in epochs]
        await pilot.press("T")
        assert times() == [dt.datetime.fromtimestamp(int(e.split(".")[0]), dt.timezone.utc)
                           .strftime("%H:%M:%S.") + usec(e).split(".")[1] for e in epochs]
        await pilot.press("T")
        assert app.view.time_mode == "d"
        assert times() == [usec(by_epoch[e][1]) for e in epochs]
        await pilot.press("T")
        assert times() == [usec(e) for e in epochs]
        await pilot.press("T")
        assert app.view.time_mode == "r"


@aio
async def test_time_reference():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        ix = app.index
        by_epoch = dict(zip(tshark_times("e"), tshark_times("r")))

        def rel_of(i: int) -> str:  # tshark -t r of message i's frame
            ts = ix.ts(i)
            return by_epoch[f"{ts // 10**9}.{ts % 10**9:09d}"]
        await pilot.press("j", "j", "j", "j")  # message 5
        await pilot.press("ctrl+t")
        assert row(app, 4).split()[1] == "*REF*"
        ref_ns = round(float(rel_of(4)) * 1e9)
        for i in (0, 5, 12):
            got = row(app, i).split()[1]
            want_ns = round(float(rel_of(i)) * 1e9) - ref_ns
            assert abs(float(got) * 1e9 - want_ns) < 1000, (i, got, want_ns)
        assert row(app, 0).split()[1].startswith("-")  # before the reference
        await pilot.press("ctrl+t")  # again: removed
        assert row(app, 4).split()[1] == usec(rel_of(4))


@aio
async def test_colouring_rules_from_a_file(tmp_path):
    rules = tmp_path / "colors"
    rules.write_text("# mine\ntype == RTM_NEWLINK && attr.IFLA_IFNAME == \"eth0\" -> bold magenta\n"
                     "no_such_field == 1 -> red\n")
    app = make_app(GOLDEN, deterministic=True, colors=str(rules))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        lst = app.message_list
        lst.set_cursor(12)
        await pilot.pause()

        def colours(r: int) -> set:
            return {s.style.color.name for s in lst.render_line(r + 1 - int(lst.scroll_y))
                    if s.style is not None and s.style.color is not None}
        assert "magenta" in colours(2) and "magenta" not in colours(1)
        assert app.note == "colors: line 3: filter: unknown field 'no_such_field'" or (
            app.note.startswith("colors: line 3: filter: unknown field"))


def test_default_colouring_rules_name_errors_unanswered_and_events():
    from nlscope.analysis.colors import DEFAULTS
    r = ColorRules.parse(DEFAULTS)
    assert not r.problems and len(r.rules) == 5
    texts = [x.text for x in r.rules]
    assert texts[0] == "error" and any("unanswered" in t for t in texts)
    assert any("event" in t for t in texts)


@aio
async def test_default_rules_colour_errors_and_the_unanswered_request():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        lst = app.message_list

        def bg(r: int) -> set:
            return {s.style.bgcolor.name for s in lst.render_line(r + 1)
                    if s.style is not None and s.style.bgcolor is not None}
        lst.set_cursor(0)
        await pilot.pause()
        assert "#5f0000" in bg(5) and "#5f0000" in bg(9)  # ENETUNREACH, EEXIST replies
        assert "#4e3800" in bg(12)  # NLGREET: never answered
        assert "#5f0000" not in bg(1) and "#4e3800" not in bg(1)


@aio
async def test_expert_info_lists_and_jumps():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("E")
        await until(pilot, lambda: isinstance(app.screen, ExpertScreen), "the expert screen")
        items = app.screen.items
        # the fixture's maker: two error replies (ENETUNREACH, EEXIST), NLGREET unanswered
        assert [(e.severity, e.message + 1) for e in items] == [
            ("error", 6), ("error", 10), ("warning", 13)]
        assert {e.group for e in items} == {"error reply ENETUNREACH", "error reply EEXIST",
                                           "unanswered"}
        await pilot.press("escape")
        assert not isinstance(app.screen, ExpertScreen)


@aio
async def test_expert_enter_jumps_to_the_first_error():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("E")
        await until(pilot, lambda: isinstance(app.screen, ExpertScreen), "the expert screen")
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ExpertScreen), "the jump")
        assert app.message_list.selected_message == 5
        await panes(app, pilot)
        assert app._panes["tree"].message_number == 6


@aio
async def test_open_recent(tmp_path):
    state = tmp_path / "recent"
    mixed = str(FIXTURES.parent.parent / "samples" / "mixed.pcapng")
    recent.remember(state, mixed)
    app = make_app(GOLDEN, recent_path=state)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert recent.load(state) == [GOLDEN, mixed]  # newest first
        await pilot.press("O")
        await until(pilot, lambda: isinstance(app.screen, recent.RecentScreen), "the list")
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.open_next is not None, "the choice")
    assert app.open_next == mixed  # the CLI opens it next (cli/tui.py)


# -- part 3 -------------------------------------------------------------------------------

@aio
async def test_tree_follows_the_latest_cursor_never_a_stale_one():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        painted: list[int] = []
        paint = app._paint
        app._paint = lambda d: (painted.append(d.i), paint(d))[1]
        gate = threading.Event()
        load = app.loader._load
        app.loader._load = lambda i: (gate.wait(), load(i))[1]  # decoding takes its time
        app.loader._cache.clear()
        await pilot.press(*"jjjjjjj")  # a burst while nothing is decoded yet
        assert app.message_list.cursor == 7  # the list moved at once, no key lost
        assert app.details_pending and app._panes["tree"].message_number is None
        gate.set()
        await panes(app, pilot)
        assert app._panes["tree"].message_number == 8
        assert painted == [7]  # what was asked for in between was never shown


@aio
async def test_neighbours_are_prefetched():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j")
        await panes(app, pilot)
        await until(pilot, lambda: app.loader.get(2) is not None and app.loader.get(0) is not None,
                    "the neighbours decoded")
        await pilot.press("j")
        assert not app.details_pending and app._panes["tree"].message_number == 3


@aio
async def test_a_decoder_state_change_keeps_rows_and_tree():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        lst = app.message_list
        await pilot.pause()
        for r in range(13):
            row(app, r)  # drawn: cached
        cached = dict(lst._cache)
        tree_root = app._panes["tree"].root
        app.index.decoder.state_version += 1  # a family learned something
        app.tick()
        await pilot.pause()
        assert cached and all(k in lst._cache for k in cached)
        assert app._panes["tree"].root is tree_root and not app.details_pending


def test_read_t_d_matches_tshark():
    """The CLI shares the time formats: `read -t d` is tshark's -t d (frame.time_delta)
    on each frame's first message (the next ones in a frame: 0)."""
    import sys

    from nlscope.decode.index import CaptureIndex, FileScanner, FileStore
    from nlscope.tui.app import new_decoder
    out = subprocess.run([sys.executable, "-m", "nlscope", "read", GOLDEN, "-t", "d"],
                         capture_output=True, text=True, check=True).stdout.splitlines()[1:]
    by_epoch = dict(zip(tshark_times("e"), tshark_times("d")))
    ix = CaptureIndex(new_decoder())
    ix.store = FileStore(GOLDEN)
    FileScanner(GOLDEN, ix).scan(final=True)
    assert len(out) == ix.count
    firsts = set(ix.fr_first)
    for i, line in enumerate(out):
        ts = ix.ts(i)
        want = by_epoch[f"{ts // 10**9}.{ts % 10**9:09d}"] if i in firsts else "0.000000000"
        assert line.split()[1] == want, (i, line)
