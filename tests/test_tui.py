"""The TUI driven by Textual's pilot: keys, filter, jumps, follow, save, stats, help."""
from __future__ import annotations

import asyncio
import json
import threading
import subprocess
import sys
import time

import pytest
from conftest import FIXTURES
from waiting import aio, panes, ready, until

from nlscope.capture.pcapio import CaptureReader
from nlscope.tui.app import NlscopeApp, make_app, new_decoder
from nlscope.tui.detail import DetailTree
from nlscope.tui.dialogs import GotoScreen, SaveScreen, SearchScreen
from nlscope.tui.filter_bar import FilterBar, FilterInput
from nlscope.tui.help import HelpScreen, key_text
from nlscope.tui.hexview import HexView
from nlscope.tui.source import FileSource, FrameSource
from nlscope.tui.stats_screen import StatsScreen
from nlscope.tui.txn_panel import TransactionPanel

GOLDEN = str(FIXTURES / "golden.pcapng")


SIZE = (160, 45)


def body(widget) -> str:
    """The text a Static-backed pane shows (all its Statics, in order)."""
    out = []
    for static in widget.query("Static"):
        r = static.render()
        out.append(getattr(r, "plain", str(r)))
    return "\n".join(out)


@aio
async def test_opens_with_three_panes_and_every_message():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        lst = app.message_list
        assert lst.row_count == 13 and lst.cursor == 0
        tree = app.query_one(DetailTree)
        assert tree.message_number == 1
        assert "RTM_GETLINK" in str(tree.root.label) or tree.root.children
        assert "0010  20 00 00 00 12 00" in app.query_one(HexView).text
        assert "Transaction 1" in body(app.query_one(TransactionPanel))


@aio
async def test_vim_keys_move_the_cursor_and_the_panes_follow():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        lst = app.message_list
        await pilot.press("j", "j", "down")
        assert lst.cursor == 3
        await pilot.press("k")
        assert lst.cursor == 2
        await pilot.press("G")
        assert lst.cursor == 12
        await pilot.press("g")
        assert lst.cursor == 0
        await pilot.press("end")
        await panes(app, pilot)
        assert lst.cursor == 12 and app.query_one(DetailTree).message_number == 13
        await pilot.press("home", "pagedown")
        assert lst.cursor == 12  # a page is longer than the capture


@aio
async def test_tree_node_highlights_its_bytes():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "j", "j", "j", "j")  # message 6: the error with extack
        await panes(app, pilot)
        tree = app.query_one(DetailTree)
        tree.focus()
        await pilot.pause()
        hexv = app.query_one(HexView)
        seen = set()
        for _ in range(40):
            node = tree.cursor_node
            if node is not None and "NLMSGERR_ATTR_MSG" in str(node.label):
                break
            await pilot.press("down")
            seen.add(hexv.span)
        node = tree.cursor_node
        assert "NLMSGERR_ATTR_MSG" in str(node.label)
        await pilot.pause()
        assert hexv.span == node.data and hexv.span[1] - hexv.span[0] > 20
        assert len(seen) > 5  # every node moved the highlight


@aio
async def test_click_selects_a_row():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.click("#list-pane", offset=(20, 4))  # header is line 0
        assert app.message_list.cursor == 3


@aio
async def test_filter_bar_validates_completes_applies_and_remembers():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        inp = app.query_one(FilterInput)
        assert app.focused is inp
        for ch in "type ==":
            await pilot.press(ch if ch != " " else "space")
        await pilot.pause()
        bar = app.query_one(FilterBar)
        assert inp.has_class("-invalid") and bar.error is not None
        assert bar.error.column == 7
        await pilot.press("enter")  # an invalid filter is not applied
        assert app.view.predicate is None
        inp.value = ""
        for ch in "errn":
            await pilot.press(ch)
        await pilot.pause()
        await pilot.press("tab")  # completes a field name
        assert inp.value == "errno"
        inp.value = "errno == EEXIST || errno == ENETUNREACH"
        await pilot.pause()
        assert inp.has_class("-valid")
        await pilot.press("enter")
        while app.view.filtering:
            await asyncio.sleep(0.01)
        app.tick()
        await pilot.pause()
        assert [app.view.message_at(r) + 1 for r in range(len(app.view))] == [6, 10]
        assert app.focused is app.message_list
        await pilot.press("slash")
        inp.value = ""
        await pilot.press("up")  # history
        assert inp.value == "errno == EEXIST || errno == ENETUNREACH"
        await pilot.press("escape")
        assert app.focused is app.message_list


@aio
async def test_transaction_keys_jump_request_reply_error():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        lst = app.message_list
        await pilot.press("e")  # the dump's DONE
        assert lst.selected_message == 3
        await pilot.press("left_square_bracket")
        assert lst.selected_message == 2
        await pilot.press("r")
        assert lst.selected_message == 0
        await pilot.press("right_square_bracket")
        assert lst.selected_message == 1
        await pilot.press("colon")
        assert isinstance(app.screen, GotoScreen)
        await pilot.press("5", "enter")
        assert lst.selected_message == 4
        await pilot.press("e")
        assert lst.selected_message == 5
        panel = body(app.query_one(TransactionPanel))
        assert "error -101 ENETUNREACH" in panel and "Nexthop has invalid gateway" in panel
        await pilot.press("r")
        assert lst.selected_message == 4


@aio
async def test_one_row_per_transaction():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "j")
        await pilot.press("t")
        lst = app.message_list
        assert app.view.by_txn and lst.row_count == 7
        assert lst.cursor == 0 and lst.selected_message == 0  # message 3's transaction
        await pilot.press("G")
        assert lst.selected_message == 12
        await pilot.press("t")
        assert lst.row_count == 13 and lst.selected_message == 12


@aio
async def test_goto_out_of_range_says_so():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("colon", "9", "9", "enter")
        assert app.message_list.cursor == 0 and "no message 99" in app.note


@aio
async def test_marks_toggle_and_jump():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        lst = app.message_list
        await pilot.press("j", "m", "j", "j", "j", "m", "g")
        assert app.marks.sorted() == [1, 4]
        await pilot.press("apostrophe")
        assert lst.selected_message == 1
        await pilot.press("apostrophe")
        assert lst.selected_message == 4
        await pilot.press("quotation_mark")
        assert lst.selected_message == 1
        await pilot.press("m")
        assert app.marks.sorted() == [4]


@pytest.mark.parametrize("mode,text,row,after", [("text", "EEXIST", 9, 9),
                                                 ("hex", "ea 03 00 00", 4, 5),
                                                 ("field", "nlmsg_seq=1003", 6, 7)])
@aio
async def test_search(mode, text, row, after):
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("s")
        assert isinstance(app.screen, SearchScreen)
        await pilot.click(f"#mode-{mode}")
        app.screen.query_one("#search-input").value = text
        app.screen.query_one("#search-input").focus()
        await pilot.press("enter")
        await until(lambda: app.busy is None, "the search to end", pilot=pilot)
        assert app.message_list.cursor == row
        await pilot.press("n")  # the next match (EEXIST: wraps around to itself)
        await until(lambda: app.busy is None, "the search to end", pilot=pilot)
        assert app.message_list.cursor == after


@pytest.mark.parametrize("fmt", ["jsonl", "json", "pcapng", "pcap"])
@aio
async def test_save_the_filtered_view(tmp_path, fmt):
    out = tmp_path / f"view.{fmt}"
    app = make_app(GOLDEN, deterministic=True, filter_text="flags.request")
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        while app.view.filtering:
            await asyncio.sleep(0.01)
        await pilot.press("w")
        assert isinstance(app.screen, SaveScreen)
        await pilot.click(f"#fmt-{fmt}")
        app.screen.query_one("#save-path").value = str(out)
        await pilot.click("#save-ok")
        await until(lambda: app.saved, "the file to be saved")
        assert app.saved == [str(out)]
    want = [1, 5, 7, 9, 13]  # the requests
    if fmt == "jsonl":
        got = [json.loads(line)["number"] for line in out.read_text().splitlines()]
        assert got == want
    elif fmt == "json":
        assert [o["number"] for o in json.loads(out.read_text())] == want
    else:
        frames = list(CaptureReader(out))
        src = list(CaptureReader(GOLDEN))
        assert [f.raw for f in frames] == [src[i].raw for i in (0, 3, 5, 7, 10)]


@aio
async def test_save_marked_messages(tmp_path):
    out = tmp_path / "marked.jsonl"
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "m", "j", "j", "m", "w")
        await pilot.click("#scope-marked")
        app.screen.query_one("#save-path").value = str(out)
        await pilot.click("#save-ok")
        await until(lambda: app.saved, "the file to be saved")
    assert [json.loads(x)["number"] for x in out.read_text().splitlines()] == [2, 4]


@aio
async def test_statistics_screen():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("S")
        await until(lambda: isinstance(app.screen, StatsScreen), "the statistics screen")
        st = app.screen.stats  # the library's report, as `nlscope stats` computes it
        cli = subprocess.run([sys.executable, "-m", "nlscope", "stats", "--format", "json", GOLDEN],
                             capture_output=True, text=True, check=True).stdout
        assert st.to_json() == json.loads(cli)
        assert st.messages == 13 and {e["errno"]["name"] for e in st.to_json()["errors"]} == {
            "ENETUNREACH", "EEXIST"}
        body = str(app.screen.query_one("#stats-body").content)
        assert st.text() in body and "ENETUNREACH" in body
        await pilot.press("escape")
        assert not isinstance(app.screen, StatsScreen)


@aio
async def test_help_lists_every_key():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(f"{k} {d}" for _, rows in app.screen.groups for k, d in rows)
        for b in NlscopeApp.BINDINGS:
            if b.description:
                assert f"{key_text(b.key)} {b.description}" in text
        for key in ("j", "k", "g", "G", "/", "?", "z", "t", "r", "e", "[", "]", "S", "w", "f"):
            assert any(key in k.split() for _, rows in app.screen.groups for k, _ in rows), key
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@aio
async def test_zoom_and_resize_panes():
    app = make_app(GOLDEN, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("z")
        assert app.screen.maximized is app.message_list
        await pilot.press("z")
        assert app.screen.maximized is None
        h = app.message_list.size.height
        await pilot.press("plus")
        await pilot.pause()
        assert app.message_list.size.height > h
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert app.message_list.size.height < h
        await pilot.press("tab")
        await pilot.press("z")
        assert app.screen.maximized is app.query_one(DetailTree)


# -- live ---------------------------------------------------------------------------

class Gate:
    """A frame generator the test releases frame by frame."""

    def __init__(self, frames):
        self.frames = frames
        self.allowed = 0
        self.cv = threading.Condition()
        self.closed = False

    def release(self, n: int) -> None:
        with self.cv:
            self.allowed += n
            self.cv.notify_all()

    def close(self) -> None:
        with self.cv:
            self.closed = True
            self.cv.notify_all()

    def __iter__(self):
        sent = 0
        for fr in self.frames:
            with self.cv:
                while sent >= self.allowed and not self.closed:
                    self.cv.wait(0.05)
                if self.closed and sent >= self.allowed:
                    return
            sent += 1
            yield fr


async def wait_rows(app, pilot, n: int) -> None:
    await until(lambda: app.message_list.row_count >= n and app.index.count >= n, f"{n} rows", tick=app.tick)
    await asyncio.sleep(0.05)  # the source may still be adding the frame's other messages
    app.tick()
    await pilot.pause()


@aio
async def test_live_rows_arrive_follow_pauses_and_resumes():
    frames = list(CaptureReader(GOLDEN)) * 3  # 33 frames, 39 messages
    gate = Gate(frames)
    app = NlscopeApp(FrameSource(gate, new_decoder(), label="test-live"), deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        lst = app.message_list
        assert lst.follow
        gate.release(5)
        await wait_rows(app, pilot, 6)
        assert lst.row_count == 6 and lst.cursor == 5  # following: on the newest
        gate.release(5)
        await wait_rows(app, pilot, 12)
        assert lst.cursor == lst.row_count - 1
        await pilot.press("k")  # scrolling up pauses follow
        assert not lst.follow
        where = lst.cursor
        gate.release(10)
        await wait_rows(app, pilot, 20)
        assert lst.row_count > 20 and lst.cursor == where
        status = app.query_one("#status").render()
        assert "paused" in str(status)
        await pilot.press("f")  # resume
        assert lst.follow and lst.cursor == lst.row_count - 1
        gate.release(100)
        await wait_rows(app, pilot, 39)
        await until(lambda: app.source.finished, "the source to finish")
        app.tick()
        assert lst.row_count == 39 and lst.cursor == 38
        assert "drops 0" in str(app.query_one("#status").render())
        gate.close()


@aio
async def test_live_filter_keeps_up_with_arrivals():
    frames = list(CaptureReader(GOLDEN)) * 2
    gate = Gate(frames)
    app = NlscopeApp(FrameSource(gate, new_decoder(), label="test-live"), deterministic=True,
                     filter_text="errno == ENETUNREACH || errno == EEXIST")
    try:
        async with app.run_test(size=SIZE) as pilot:
            gate.release(11)
            await wait_rows(app, pilot, 2)
            assert len(app.view) == 2
            gate.release(11)
            await wait_rows(app, pilot, 4)
            assert [app.view.message_at(r) + 1 for r in range(len(app.view))] == [6, 10, 19, 23]
    finally:
        gate.close()


@aio
async def test_growing_file_is_followed(tmp_path):
    data = open(GOLDEN, "rb").read()
    path = tmp_path / "live.pcapng"
    cut = len(data) // 2
    path.write_bytes(data[:cut])
    src = FileSource(str(path), new_decoder(), follow=True, poll=0.02)
    app = NlscopeApp(src, deterministic=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 1)
        first = app.message_list.row_count
        assert 0 < first < 13
        with open(path, "ab") as f:
            f.write(data[cut:])
        await wait_rows(app, pilot, 13)
        assert app.message_list.row_count == 13
        assert app.message_list.cursor == 12  # follow mode
        src.end_follow()
        await until(lambda: src.finished, "the source to finish")


def test_cli_opens_the_tui_on_a_file(monkeypatch):
    from nlscope import cli
    seen = {}

    def fake_run(self, *a, **k):
        seen["label"] = self.source.label
    monkeypatch.setattr(NlscopeApp, "run", fake_run)
    assert cli.main([GOLDEN]) == 0
    assert seen["label"] == "golden.pcapng"
    seen.clear()
    assert cli.main(["tui", GOLDEN, "-Y", "errno"]) == 0 and seen


def test_cli_tui_errors_are_one_line(capsys):
    from nlscope import cli
    assert cli.main(["tui", str(FIXTURES / "not-a-capture.txt")]) == 2
    assert "not a pcap" in capsys.readouterr().err
    assert cli.main(["tui"]) == 2
    assert "nothing to show" in capsys.readouterr().err


def test_first_screen_is_fast():
    """Indexing is a background scan: the first rows are painted (how fast is
    bench/tui_bench.py's to say, not a test's: a busy host may be slow)."""
    t = time.perf_counter()
    app = make_app(GOLDEN, deterministic=True)

    async def run():
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            return app.message_list.first_row_painted_at
    painted = asyncio.run(run())
    assert painted is not None and painted >= t
