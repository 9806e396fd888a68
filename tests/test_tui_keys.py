"""Keys typed in a burst land whole and in order, in the list and in every dialog.

Two ways to type: `burst` queues every key with the app at once, as a terminal's read of
a fast typist (or `tmux send-keys`) delivers them; `press` is the pilot's own press().
Each scenario waits (polling, with a deadline that fails the test) for the state the keys
must produce, then asserts all of it."""
from __future__ import annotations

import json
import time

import pytest
from keyburst import EEXIST_NO, ENODEV_NO, MESSAGES, key_events, write_capture

from nlscope.tui.app import NlscopeApp, make_app
from nlscope.tui.dialogs import GotoScreen
from nlscope.tui.filter_bar import FilterInput
from nlscope.tui.help import HelpScreen
from waiting import aio

SIZE = (160, 45)
DEADLINE = 30.0  # seconds; generous for a busy 2-core machine, reached only on failure
FILTER = "errno == EEXIST"


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    return str(write_capture(tmp_path_factory.mktemp("keys") / "keys.pcap"))


async def until(pilot, cond, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.01)


async def started(app: NlscopeApp, pilot) -> None:
    await until(pilot, lambda: app.index.complete and app.source.finished
                and app.message_list.row_count == MESSAGES, "the capture to load")


async def type_keys(how: str, app: NlscopeApp, pilot, keys: list[str]) -> None:
    if how == "burst":
        for event in key_events(keys):
            event.set_sender(app)
            app._driver.send_message(event)
    else:
        await pilot.press(*keys)


def text(s: str) -> list[str]:
    return list(s)


def settled(app: NlscopeApp) -> bool:
    return not app.view.filtering and app.busy is None and len(app.screen_stack) == 1


def shown(app: NlscopeApp) -> list[int]:
    return [app.view.message_at(r) + 1 for r in range(len(app.view))]


HOW = pytest.mark.parametrize("how", ["burst", "press"])


@HOW
@aio
async def test_filter_typed_right_after_the_list_keys(capture, how):
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await type_keys(how, app, pilot, ["j", "e", "slash", *text(FILTER), "enter", "G"])
        await until(pilot, lambda: app.view.filter_text == FILTER and settled(app),
                    "the filter to be applied")
        assert shown(app) == [EEXIST_NO]
        assert app.query_one(FilterInput).value == FILTER
        assert app.focused is app.message_list
        assert app.message_list.selected_message == EEXIST_NO - 1


@HOW
@aio
async def test_goto_typed_at_once_and_the_keys_after_it_move_the_list(capture, how):
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await type_keys(how, app, pilot, ["colon", "1", "0", "0", "enter", "j", "j"])
        await until(pilot, lambda: app.message_list.selected_message == 101 and settled(app),
                    "the cursor on message 102")
        assert app.focused is app.message_list
        await type_keys(how, app, pilot, ["ctrl+g", "7", "escape", "k"])  # cancelled
        await until(pilot, lambda: app.message_list.selected_message == 100 and settled(app),
                    "the cursor on message 101")
        assert not isinstance(app.screen, GotoScreen)


@HOW
@aio
async def test_search_typed_at_once(capture, how):
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await type_keys(how, app, pilot, ["s", *text("ENODEV"), "enter"])
        await until(pilot, lambda: app.message_list.selected_message == ENODEV_NO - 1
                    and settled(app), "the search to land on ENODEV")
        assert app.last_search is not None and app.last_search.text == "ENODEV"
        # The dialog offers the last search again: Ctrl+U clears it before the new text.
        await type_keys(how, app, pilot, ["g", "s", "ctrl+u", *text("EEXIST"), "enter"])
        await until(pilot, lambda: app.message_list.selected_message == EEXIST_NO - 1
                    and settled(app), "the search to land on EEXIST")
        assert app.last_search.text == "EEXIST"


@pytest.mark.parametrize("edit", [
    pytest.param(["slash", *text("junk"), "ctrl+u", *text(FILTER), "enter"], id="ctrl+u"),
    pytest.param(["slash", *text("== EEXIST"), "home", *text("errno "), "enter"], id="home"),
    pytest.param(["slash", *text("errno = EEXISTT"), "backspace", "home", *["right"] * 7, "=",
                  "end", "enter"], id="backspace-right-end"),
    pytest.param(["slash", *text("errno == EEXIST"), "ctrl+w", *text("EEXIST"), "enter"],
                 id="ctrl+w"),
])
@HOW
@aio
async def test_editing_keys_in_the_filter_keep_their_place(capture, how, edit):
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await type_keys(how, app, pilot, edit)
        await until(pilot, lambda: app.view.filter_text == FILTER and settled(app),
                    "the edited filter to be applied")
        assert app.query_one(FilterInput).value == FILTER
        assert shown(app) == [EEXIST_NO]


@HOW
@aio
async def test_escape_restores_the_filter_and_the_keys_after_it_move_the_list(capture, how):
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await type_keys(how, app, pilot, ["slash", *text("junk"), "escape", "j", "j"])
        await until(pilot, lambda: app.message_list.selected_message == 2 and settled(app),
                    "the cursor on message 3")
        assert app.query_one(FilterInput).value == "" and app.view.filter_text == ""
        assert app.focused is app.message_list


@HOW
@aio
async def test_save_path_typed_at_once(capture, how, tmp_path):
    out = tmp_path / "burst-view.jsonl"
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await type_keys(how, app, pilot, ["w", "ctrl+u", *text(str(out)), "enter", "j"])
        await until(pilot, lambda: app.saved and settled(app)
                    and app.message_list.selected_message == 1, "the save, then 'j'")
        assert app.saved == [str(out)]
    numbers = [json.loads(line)["number"] for line in out.read_text().splitlines()]
    assert numbers == list(range(1, MESSAGES + 1))


@HOW
@aio
async def test_help_opened_and_closed_in_one_burst(capture, how):
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await type_keys(how, app, pilot, ["question_mark", "escape", "j", "question_mark"])
        # The help is up again only after 'j' moved the list (the first help had closed).
        await until(pilot, lambda: isinstance(app.screen, HelpScreen)
                    and app.message_list.selected_message == 1, "the help screen again")
        assert len(app.screen_stack) == 2
        await type_keys(how, app, pilot, ["escape", "G"])
        await until(pilot, lambda: app.message_list.selected_message == MESSAGES - 1
                    and settled(app), "the cursor on the last message")


@aio
async def test_twenty_bursts_in_a_row_in_one_session(capture):
    """Every dialog in turn, each iteration typed as one burst, twenty times."""
    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        inp = app.query_one(FilterInput)
        for i in range(20):
            target = 90 + i
            keys = ["g", "colon", *text(str(target)), "enter",
                    "slash", "ctrl+u", *text("== EEXIST"), "home", *text("errno "), "enter"]
            await type_keys("burst", app, pilot, keys)
            await until(pilot, lambda: app.view.filter_text == FILTER and settled(app),
                        f"iteration {i}: the filter")
            assert shown(app) == [EEXIST_NO] and inp.value == FILTER
            await type_keys("burst", app, pilot, ["slash", "ctrl+u", "enter", "colon",
                                                  *text(str(target)), "enter"])
            await until(pilot, lambda: app.view.filter_text == "" and settled(app)
                        and app.message_list.selected_message == target - 1,
                        f"iteration {i}: go to {target}")
            await type_keys("burst", app, pilot, ["g", "s", "ctrl+u", *text("ENODEV"), "enter"])
            await until(pilot, lambda: app.message_list.selected_message == ENODEV_NO - 1
                        and settled(app), f"iteration {i}: the search")
            assert app.focused is app.message_list and len(app.view) == MESSAGES


@aio
async def test_paste_between_keys_keeps_its_place(capture):
    from textual import events

    app = make_app(capture, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        burst = [*key_events(["slash", "ctrl+u"]), events.Paste("== EEXIST"),
                 *key_events(["home", *text("errno "), "enter", "j"])]
        for event in burst:
            event.set_sender(app)
            app._driver.send_message(event)
        await until(pilot, lambda: app.view.filter_text == FILTER and settled(app),
                    "the pasted filter to be applied")
        assert app.query_one(FilterInput).value == FILTER and shown(app) == [EEXIST_NO]
        assert app.focused is app.message_list
