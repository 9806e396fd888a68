"""The views no other tool has, driven by the pilot and pinned by snapshots: the flow
graph (F), the object history (H), interface names learned from the capture in Info
and the tree. Each screen shows what the library computes (analysis.flow, .history,
.names), nothing of its own."""
from __future__ import annotations


import pytest
from conftest import SAMPLES

from nlscope.analysis.flow import flow
from nlscope.analysis.history import history, key_for
from nlscope.tui.app import NlscopeApp, make_app
from nlscope.tui.detail import DetailTree
from nlscope.tui.flow import FlowScreen, arrow_line, lane_width
from nlscope.tui.history import HistoryScreen
from nlscope.tui.rows import cells_for_message
from waiting import aio

IPROUTE2 = str(SAMPLES / "iproute2.pcapng")
SIZE = (160, 45)


async def until(pilot, cond) -> None:
    """Let the app's workers finish and the app handle what they sent, then expect
    cond() (no clock: a loaded host only makes it slower)."""
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if cond():
            return
    assert cond(), "the app never got there"


async def ready(app: NlscopeApp, pilot) -> None:
    await until(pilot, lambda: app.index.complete and app.source.finished)
    app.tick()
    await pilot.pause()


def first(app: NlscopeApp, text: str) -> int:
    ix = app.index
    return next(i for i in range(ix.count) if text in ix.message(i).summary)


def option_texts(screen) -> list[str]:
    lst = screen.query_one("OptionList")
    return [lst.get_option_at_index(k).prompt.plain for k in range(lst.option_count)]


@aio
async def test_flow_screen_is_the_librarys_ladder():
    app = make_app(IPROUTE2, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        i = first(app, "RTM_NEWLINK dummy0 type dummy")  # ip link add dummy0 (a request)
        app.goto_message(i)
        await pilot.pause()
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, FlowScreen))
        screen = app.screen
        want = flow(app.index, app.txns, None, i)
        assert [r.arrow for r in screen.rows] == want.arrows
        assert screen.flw.lanes[-2:] == ["kernel", "multicast"]
        texts = option_texts(screen)
        row = {r.arrow.index: k for k, r in enumerate(screen.rows)}
        # the request goes right to the kernel, its ACK comes back left, the link's
        # notification goes from the kernel to the multicast lane
        req = texts[row[i]]
        assert "▶" in req and "RTM_NEWLINK" in req and str(i + 1) in req
        ack = next(a for a in want.arrows if a.reply_to == i and a.role == "ack")
        assert "◀" in texts[row[ack.index]] and f"↩{i + 1}" in texts[row[ack.index]]
        assert ack.src == want.kernel and want.arrows[row[i]].dst == want.kernel
        event = next(a for a in want.arrows if a.role == "event" and a.index > i)
        assert event.dst == len(want.lanes) - 1 and "▶" in texts[row[event.index]]
        # the selected message is highlighted; c goes from the ACK to its request
        lst = screen.query_one("OptionList")
        assert lst.highlighted == row[i]
        lst.highlighted = row[ack.index]
        await pilot.press("c")
        await until(pilot, lambda: lst.highlighted == row[i])
        # Enter opens the highlighted arrow's message in the main screen
        lst.highlighted = row[ack.index]
        await pilot.press("enter")
        await until(pilot, lambda: app.message_list.selected_message == ack.index)
        assert not isinstance(app.screen, FlowScreen)


@aio
async def test_history_screen_shows_each_change():
    app = make_app(IPROUTE2, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        i = first(app, "RTM_NEWLINK 3: dummy0")
        app.goto_message(i)
        await pilot.pause()
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        lib = history(app.index, app.txns, *key_for(app.index, app.txns, i, app.source.names),
                      app.source.names)
        assert [e.index for e in screen.hist.entries] == [e.index for e in lib.entries]
        assert "History of link ifindex 3 (dummy0): " in screen.title_text
        texts = option_texts(screen)
        mtu = next(k for k, t in enumerate(texts) if "~ IFLA_MTU: 1500 → 1400" in t)
        assert texts[0].split()[0] == str(lib.entries[0].index + 1)
        lst = screen.query_one("OptionList")
        lst.highlighted = mtu
        await pilot.press("enter")
        await until(pilot, lambda: app.message_list.selected_message == lib.entries[mtu].index)
        assert not isinstance(app.screen, HistoryScreen)


@aio
async def test_history_of_a_message_without_object_says_so():
    app = make_app(str(SAMPLES / "genl.pcapng"), deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("H")
        await until(pilot, lambda: app.note is not None and "names no object" in app.note)
        assert not isinstance(app.screen, HistoryScreen)


@aio
async def test_names_in_info_and_tree():
    app = make_app(str(SAMPLES / "tc.pcapng"), deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        i = first(app, "RTM_NEWQDISC dev 3 ")
        cells = cells_for_message(app.index, app.txns, i, None, app.view.names)
        assert cells["info"].startswith("RTM_NEWQDISC dev 3 (dummy1) ")
        app.goto_message(i)
        await until(pilot, lambda: not app.details_pending)
        tree = app.query_one(DetailTree)
        labels = [n.label.plain for n in tree.root.children]
        labels += [c.label.plain for n in tree.root.children for c in n.children]
        assert any(lab.startswith("tcm_ifindex: 3 (dummy1)") for lab in labels)


def test_arrow_line_escapes_and_fits():
    """A socket or summary from the capture reaches the screen escaped; the label is cut
    with an ellipsis inside its arrow."""
    from nlscope.analysis.flow import Arrow, Flow
    from nlscope.tui.flow import Row
    flw = Flow(["port 7", "kernel", "multicast"], [], 1)
    a = Arrow(0, 0, 1, "request", None, None, "evil\x1b[2J[7]")
    row = Row(a, 1, "0.000001", "RTM_NEWLINK_WITH_A_VERY_LONG_NAME", "dummy\x1b]0;x\x07")
    t = arrow_line(row, flw, lane_width(3, 80)).plain
    assert "\x1b" not in t and "\x07" not in t and "\\x1b" in t
    assert "…" in t and "▶" in t


def settle(*keys: str, screen=None):
    async def run(pilot):
        app = pilot.app
        await ready(app, pilot)
        for k in keys:
            await pilot.press(k)
        if screen is not None:
            await until(pilot, lambda: isinstance(app.screen, screen))
        await until(pilot, lambda: not app.details_pending)
        await pilot.pause()
    return run


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")])
def test_flow_snapshot(snap_compare, size):
    # message 9: `ip link add dummy0 type dummy`
    assert snap_compare(make_app(IPROUTE2, deterministic=True), terminal_size=size,
                        run_before=settle(*(["j"] * 8), "F", screen=FlowScreen))


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")])
def test_history_snapshot(snap_compare, size):
    # message 12: the kernel's RTM_NEWLINK for dummy0
    assert snap_compare(make_app(IPROUTE2, deterministic=True), terminal_size=size,
                        run_before=settle(*(["j"] * 11), "H", screen=HistoryScreen))
