"""The nlscope TUI: Wireshark's three panes for netlink, plus transactions.

    make_app(path) / make_app(source=...)  build the app (tests use this directly)

Layout: the filter bar, the message list (virtual, Line API), the detail tree beside
the transaction pane, the bytes pane, a legend and a status bar. The app only draws:
indexing, filtering, searching, statistics and saving run in worker threads.
"""
from __future__ import annotations

import gc
import os
import sys
import time
from collections import deque

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from ..decode.decoder import Decoder
from ..output.sinks import SinkOptions, get_sink
from ..capture.pcapio import open_writer
from ..decode.registry import default_registry
from .detail import DetailTree
from .dialogs import (GotoScreen, MessageScreen, SaveRequest, SaveScreen, SearchRequest,
                      SearchScreen)
from .filter_bar import FilterBar, FilterInput
from .filters import FilterProblem, compile_filter
from .flow import open_flow
from .history import open_history
from .help import HelpScreen, binding_rows
from .hexview import HexView
from .layout import Panes
from ..decode.index import CaptureIndex
from .message_list import MessageList
from .source import FileSource, Source
from .stats_screen import StatsScreen, compute_stats
from .status import Legend, RateMeter, StatusBar
from .txn_panel import TransactionPanel
from .libtxn import LibraryTxns
from .loader import DetailLoader, Details, Ready
from .expert import ExpertScreen
from . import recent
from ..analysis.colors import ColorRules
from ..analysis.expert import expert_items
from ..analysis.fieldexpr import column_for, filter_for
from ..analysis.timefmt import NAMES as TIME_NAMES, next_mode
from ..escape import escape
from ..analysis.txindex import TxnIndex
from .view import Marks, MessageView, make_matcher, search_rows


class NlscopeApp(App[None]):
    TITLE = "nlscope"
    # The list from the first moment: keys typed while the app starts are list keys
    # (the default, the first focusable widget, is the filter bar).
    AUTO_FOCUS = "#list-pane"
    CSS = """
    Screen {
        layout: vertical;
    }
    #panes {
        height: 1fr;
    }
    #list-pane {
        border-bottom: hkey $primary 50%;
    }
    #middle {
        border-bottom: hkey $primary 50%;
    }
    #detail {
        width: 3fr;
    }
    #txn {
        width: 2fr;
    }
    .hidden {
        display: none;
    }
    """

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help (this screen)"),
        Binding("slash", "filter", "Display filter (Enter applies, Esc leaves)"),
        Binding("escape", "focus_list", "Back to the message list", show=False),
        Binding("s", "search", "Search: text, hex bytes, field value"),
        Binding("n", "search_next", "Next search match"),
        Binding("N", "search_prev", "Previous search match"),
        Binding("colon,ctrl+g", "goto", "Go to message number"),
        Binding("m", "mark", "Mark / unmark the message"),
        Binding("apostrophe", "next_mark", "Next marked message"),
        Binding("quotation_mark", "prev_mark", "Previous marked message"),
        Binding("t", "toggle_txn", "One row per transaction / per message"),
        Binding("r", "goto_request", "Go to the transaction's request"),
        Binding("e", "goto_end", "Go to the transaction's ACK / error / DONE"),
        Binding("right_square_bracket", "txn_step(1)", "Next message of the transaction"),
        Binding("left_square_bracket", "txn_step(-1)", "Previous message of the transaction"),
        Binding("f", "follow", "Follow new messages (live) on/off"),
        Binding("S", "stats", "Statistics"),
        Binding("w,ctrl+s", "save", "Save shown / marked / all messages (JSONL, JSON, pcapng)"),
        Binding("z", "zoom", "Maximise / restore the focused pane"),
        Binding("plus", "resize(1)", "Message list taller"),
        Binding("minus", "resize(-1)", "Message list shorter"),
        Binding("L", "legend", "Show / hide the colour legend"),
        Binding("F", "flow", "Flow graph: sockets, kernel, multicast around the message"),
        Binding("H", "history", "History of the message's object (link, route, rule...)"),
        Binding("T", "time_format", "Time format: relative, absolute, delta, epoch (tshark -t)"),
        Binding("ctrl+t", "time_ref", "Set / unset the message as the time reference"),
        Binding("E", "expert", "Expert info: every problem, error, unanswered request"),
        Binding("O", "recent", "Open recent capture files"),
    ]

    def __init__(self, source: Source, deterministic: bool = False, filter_text: str = "",
                 colors: str | None = None, recent_path=None):
        super().__init__()
        self.colors_path = colors  # None: ~/.config/nlscope/colors, or the defaults
        self.recent_path = recent_path  # None: files opened are not remembered
        self.open_next: str | None = None  # a recent file chosen: the CLI opens it next
        self.source = source
        self.index: CaptureIndex = source.index
        self.txns: TxnIndex = source.txns
        self.view = MessageView(self.index, self.txns)
        self.library_txns = LibraryTxns(self.index, self.txns)
        self.view.library_txns = self.library_txns
        self.view.names = source.names
        self.marks = Marks()
        self.deterministic = deterministic
        self.initial_filter = filter_text
        self.rate = RateMeter()
        self.last_search: SearchRequest | None = None
        self.busy: str | None = None
        self.note: str | None = None
        self._detail_for: int | None = None
        # Decoding for the panes runs on the loader's thread (issue 13 part 3): the
        # message the panes wait for, the loader key of what they show, and what to do
        # once it is shown (a jump to a field).
        self._pending: int | None = None
        self._shown_key: tuple | None = None
        self._after_paint = None
        self.loader = DetailLoader(self.index, self.txns, self.library_txns, self._post_ready)
        # In transaction mode, the member the panes show while its transaction's row is
        # selected (], [, r, e move within the row); None: the row's first message.
        self._member: int | None = None
        self._error_shown: str | None = None
        self._errors = 0
        self._unanswered = 0
        self._counted = 0
        self.saved: list[str] = []
        self._keys: deque[events.Key | events.Paste] = deque()
        self._key_owner: MessagePump | None = None

    # -- keys: one at a time, in the order typed ------------------------------------------
    # Textual hands a key to the widget focused when the app dequeues it, and runs a
    # non-priority binding only when the key has bubbled back up to the app. Keys typed
    # behind one that moves focus ('/', ':', 's', Enter or Esc in a dialog) were therefore
    # already handed to the old widget, and an Input's bindings (Ctrl+U, Home, Backspace)
    # ran after the characters typed behind them. Here the app looks up each key's binding
    # when the key arrives, runs it there, and hands the next key out only when the widget
    # that owns the keys now (the one focused after the action, or the one given the key)
    # has processed everything sent to it so far.
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._keys.append(event)
            await self._next_key()
            return
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        # A key handed to a widget and not stopped there bubbles back here. Its binding was
        # looked up when it arrived; looking again now would use a focus it never had.
        event.prevent_default()

    async def _next_key(self) -> None:
        if self._key_owner is not None:
            if not _pump_gone(self._key_owner):
                return
            self._key_owner = None
        if not self._keys:
            return
        if self._closing or not self.screen_stack:  # quitting: nothing left to type into
            self._keys.clear()
            return
        owner = await self._route_key(self._keys.popleft())
        # The next key goes out when the owner has processed what it was sent, and after
        # the app's own pending callbacks (a dialog's result) have run.
        self._key_owner = owner
        if not owner.call_later(self.call_later, self._key_done, owner):
            self._key_owner = None
            self.call_next(self._next_key)

    async def _key_done(self, owner: MessagePump) -> None:
        if self._key_owner is owner:
            self._key_owner = None
        await self._next_key()

    async def _route_key(self, event: events.Key | events.Paste) -> MessagePump:
        """Run the key's binding, or hand the key (or paste) to the focused widget; return
        the widget that owns the keys now."""
        if isinstance(event, events.Key):
            if not self.app_focus:
                self.app_focus = True
            screen = self.screen
            if (screen.maximized is not None and event.key == "escape"
                    and self.escape_to_minimize):
                screen.minimize()
                return self.focused or self.screen
            if self.focused:
                try:
                    screen._clear_tooltip()
                except NoScreen:
                    pass
            if (await self._check_bindings(event.key, priority=True)
                    or await self._check_bindings(event.key)):
                return self.focused or self.screen
        target = self.focused or self.screen
        target._forward_event(event)
        return target

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield FilterBar(self.source.decoder.registry, id="filter")
        with Panes(id="panes"):
            yield MessageList(self.view, self.marks, id="list-pane")
            with Horizontal(id="middle"):
                yield DetailTree(id="detail")
                yield TransactionPanel(id="txn")
            yield HexView(id="hex")
        yield Legend(id="legend")
        yield StatusBar(id="status")

    @property
    def message_list(self) -> MessageList:
        return self._panes["list"]

    def on_mount(self) -> None:
        # The main screen's widgets, kept: queries from the app look at the top screen,
        # which may be a dialog.
        self._panes = {"list": self.query_one(MessageList), "tree": self.query_one(DetailTree),
                       "hex": self.query_one(HexView), "txn": self.query_one(TransactionPanel),
                       "status": self.query_one(StatusBar), "legend": self.query_one(Legend),
                       "filter": self.query_one(FilterInput)}
        # Workers are CPU-bound Python threads: hand the GIL back to the UI often, so a
        # key press waits a millisecond, not the default 5 ms per event-loop turn.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        # Each tree shown is ~260 Textual nodes in parent/child cycles: the collector runs
        # often, and a full pass over everything the app holds (tables, widgets) took
        # 90-130 ms, the slowest key presses. What exists now stays (frozen, never
        # traversed again); young objects are collected in larger, rarer batches.
        self._gc_threshold = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(20000, 20, 10)
        self.mounted_at = time.perf_counter()
        self.title = f"nlscope — {self.source.label}"
        if self.deterministic:
            for inp in self.query("Input"):
                inp.cursor_blink = False
        self.view.registry = self.source.decoder.registry
        rules = ColorRules.load(self.colors_path, self.view.registry)
        self.view.colors = rules
        if rules.problems:
            self.note = f"colors: {rules.problems[0]}"
        if self.recent_path is not None and isinstance(self.source, FileSource):
            recent.remember(self.recent_path, self.source.path)
        lst = self.message_list
        lst.follow = self.source.live  # focused already (AUTO_FOCUS)
        self.run_index()
        self.set_interval(0.1, self.tick)
        if self.initial_filter:
            self._panes["filter"].value = self.initial_filter
            self.apply_filter(self.initial_filter)

    # -- background: index ------------------------------------------------------------
    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def run_index(self) -> None:
        self.source.run()

    def tick(self) -> None:
        if not getattr(self, "_panes", None) or not self.is_running:
            return
        if self._key_owner is not None and _pump_gone(self._key_owner):
            self.call_next(self._next_key)  # the owner closed before it answered
        # What the decoder learns later (genl family ids) never changes a message
        # already indexed (each decodes with the state it was seen with): rows and
        # trees stay. A transaction that grew shows again.
        i = self._detail_for
        if (i is not None and self._pending is None and self._shown_key is not None
                and self._shown_key != self.loader._key(i)):
            self.show_selected(i)
        self._count_status()
        self._show_source_error()
        self.message_list.sync()
        if self._detail_for is None and self.message_list.selected_message is not None:
            self.show_selected(self.message_list.selected_message)
        self.update_status()

    def _show_source_error(self) -> None:
        err = self.source.error
        if err and err != self._error_shown:
            self._error_shown = err
            self.push_screen(MessageScreen(f"{self.source.label}: the capture failed", err))

    def _count_status(self) -> None:
        """Errors and unanswered requests, counted incrementally from the index."""
        txns = self.txns
        n = txns.done
        if n == self._counted:
            self._unanswered = self.source.unanswered
            return
        ix = self.index
        for i in range(self._counted, n):
            mt = ix.m_type[i]
            if (mt == 2 and ix.m_err[i]) or (mt == 3 and ix.m_err[i] < 0):
                self._errors += 1
        self._counted = n
        self._unanswered = self.source.unanswered

    def update_status(self) -> None:
        src = self.source
        ix = self.index
        rate = self.rate.add(ix.count) if src.live and not self.deterministic else None
        busy = self.busy
        if self.view.filtering:
            busy = f"filtering {self.view.filter_progress():.0%}" + (f"  {busy}" if busy else "")
        if getattr(src, "starting", False):
            busy = "starting the capture…" + (f"  {busy}" if busy else "")
        note = self.note
        if src.error:
            note = f"source: {src.error}"
        elif ix.warnings and not note:
            note = f"warning: {ix.warnings[-1]}"
        self._panes["status"].show(
            label=src.label, messages=ix.count, frames=ix.frames, shown=len(self.view),
            filtered=self.view.predicate is not None, errors=self._errors,
            unanswered=self._unanswered, live=src.live, rate=rate, drops=src.drops,
            follow=self.message_list.follow, indexing=not ix.complete and not src.live,
            busy=busy, marks=len(self.marks),
            mode="transactions" if self.view.by_txn else "messages", note=note)

    # -- selection ------------------------------------------------------------------------
    @on(MessageList.Selected)
    def _selected(self, event: MessageList.Selected) -> None:
        i, member = event.index, self._member
        if (member is not None and i is not None and self.view.by_txn
                and self.txns.of(member) == self.txns.of(i)):
            i = member  # the row of the member just jumped to: keep showing the member
        else:
            self._member = None
        if i is not None and i == self._detail_for:
            return  # shown already: the tree keeps its cursor
        self.show_selected(i)

    def show_selected(self, i: int | None) -> None:
        try:
            self._show_selected(i)
        except NoMatches:  # a selection still queued while the app closes: panes are gone
            pass

    def _show_selected(self, i: int | None) -> None:
        self._detail_for = i
        if i is None:
            self._pending = self._shown_key = None
            self._panes["tree"].show_message(None)
            self._panes["hex"].show(None)
            self._panes["txn"].show(self.index, self.txns, None)
            return
        near = self._neighbours(i)
        d = self.loader.get(i)
        if d is not None:
            self._paint(d)
            self.loader.prefetch(near)
            return
        # The list has moved already; the panes say what they wait for until the
        # loader's thread posts it (a later key's request replaces this one).
        self._pending = i
        self._shown_key = None
        self._panes["tree"].show_pending(i)
        self.loader.request(i, near)

    def _neighbours(self, i: int) -> list[int]:
        """The messages a j/k/]/[ from message i shows next: prefetched."""
        out = []
        r = self.view.row_of(i)
        if r is not None and not self.view.by_txn:
            n = len(self.view)
            out = [self.view.message_at(k) for k in (r + 1, r - 1, r + 2) if 0 <= k < n]
        else:
            t = self.txns.of(i)
            if t >= 0:
                mem = self.txns.members(t)
                out = [j for j in mem if j != i][:3]
        return out

    def _post_ready(self, d: Details) -> None:
        """From the loader's thread."""
        self.post_message(Ready(d))

    @on(Ready)
    def _details_ready(self, event: Ready) -> None:
        d = event.details
        if d.i != self._pending or d.i != self._detail_for:
            return  # the cursor moved on: kept in the loader's cache, not shown
        try:
            self._paint(d)
        except NoMatches:
            pass

    def _paint(self, d: Details) -> None:
        self._pending = None
        self._shown_key = d.key
        msg = d.msg
        self._panes["tree"].show_message(msg, self.source.names)
        self._panes["hex"].show(msg, (msg.start, msg.end))
        self._panes["txn"].show(self.index, self.txns, d.i, d.lib_txn, (d.txn_head, d.txn_rows))
        then, self._after_paint = self._after_paint, None
        if then is not None and then[0] == d.i:
            then[1]()

    @property
    def details_pending(self) -> bool:
        """The panes wait for the loader (tests wait on this, never on time)."""
        return self._pending is not None

    @on(DetailTree.OffsetOutside)
    def _offset_outside(self, event: DetailTree.OffsetOutside) -> None:
        i = self._detail_for
        t = self.txns.of(i) if i is not None else -1
        req = self.txns.info(t).request if t >= 0 else None
        if req is None:
            self.note = "the request this error answers is not in the capture"
            self.bell()
            return
        tree = self._panes["tree"]
        msg = self.index.message(req)

        def jump() -> None:
            if tree.select_offset(msg.start + event.offset):
                tree.focus()
        self._after_paint = (req, jump)
        self.goto_message(req)
        if self._detail_for != req:
            self.show_selected(req)

    @on(DetailTree.SpanSelected)
    def _span(self, event: DetailTree.SpanSelected) -> None:
        hexp = self._panes["hex"]
        if event.msg is hexp.message:  # a node of a tree shown before: not these bytes
            hexp.highlight(event.span)

    @on(MessageList.FollowChanged)
    def _follow_changed(self, event: MessageList.FollowChanged) -> None:
        self.update_status()

    # -- filter ---------------------------------------------------------------------------
    def action_filter(self) -> None:
        # At once, not via focus()'s call_later: keys typed right after '/' (a paste,
        # tmux send-keys) must land in the filter, not run as list bindings.
        self.set_focus(self._panes["filter"])

    def action_focus_list(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        self.set_focus(self.message_list)

    def action_filter_apply(self) -> None:
        text = self._panes["filter"].parent_bar.submit()
        if text is None:
            return
        self.apply_filter(text)
        self.set_focus(self.message_list)

    def action_filter_cancel(self) -> None:
        self._panes["filter"].parent_bar.cancel()
        self.set_focus(self.message_list)

    def apply_filter(self, text: str) -> bool:
        try:
            pred = compile_filter(text, self.source.decoder.registry)
        except FilterProblem as e:
            self.note = f"filter: {e.message}"
            self.bell()
            return False
        keep = self.message_list.selected_message
        self.note = None  # whatever it said was about the view being replaced
        self.view.start_filter(text.strip(), pred)
        self._keep_after_filter = keep
        if pred is not None:
            self.filter_worker()
        self.message_list.sync()
        if keep is not None:
            self.message_list.set_cursor(self.view.nearest_row(keep), force=True)
        return True

    @work(thread=True, exclusive=True, group="filter", exit_on_error=False)
    def filter_worker(self) -> None:
        worker = get_current_worker()
        self.view.run_filter(lambda: worker.is_cancelled, lambda: self.source.live
                             and not self.source.finished)
        self.call_from_thread(self._filter_finished)

    def _filter_finished(self) -> None:
        lst = self.message_list
        lst.sync()
        keep = getattr(self, "_keep_after_filter", None)
        if keep is not None and not lst.follow:
            lst.set_cursor(self.view.nearest_row(keep), force=True)
        self.update_status()

    # -- transactions ------------------------------------------------------------------------
    def action_toggle_txn(self) -> None:
        keep = self.message_list.selected_message
        self.view.set_by_txn(not self.view.by_txn)
        self.message_list.sync()
        if keep is not None:
            self.message_list.set_cursor(self.view.nearest_row(keep), force=True)

    def _txn_jump(self, pick) -> None:
        i = self._detail_for if self._detail_for is not None else self.message_list.selected_message
        if i is None:
            return
        t = self.txns.of(i)
        if t < 0:
            self.bell()
            return
        info = self.txns.info(t)
        target = pick(info, i)
        if target is None:
            self.bell()
            return
        self.goto_message(target)

    def action_goto_request(self) -> None:
        self._txn_jump(lambda info, i: info.request)

    def action_goto_end(self) -> None:
        self._txn_jump(lambda info, i: info.end)

    def action_txn_step(self, step: int) -> None:
        def pick(info, i):
            mem = info.members
            k = mem.index(i) if i in mem else 0
            k += step
            return mem[k] if 0 <= k < len(mem) else None
        self._txn_jump(pick)

    def goto_message(self, i: int) -> bool:
        """Put the cursor on message index i (in transaction mode, its transaction's row);
        a message the filter hides is shown anyway in the detail panes."""
        lst = self.message_list
        self._member = i if self.view.by_txn else None
        if lst.select_message(i, center=True):
            if self.view.by_txn:
                self.show_selected(i)
            return True
        self.note = f"message {i + 1} is hidden by the filter"
        self.show_selected(i)
        return False

    # -- go to, marks ------------------------------------------------------------------------
    def action_goto(self) -> None:
        def done(n: int | None) -> None:
            if n is None:
                return
            if not 1 <= n <= self.index.count:
                self.note = f"no message {n} (1-{self.index.count})"
                self.bell()
                return
            self.goto_message(n - 1)
        self.push_screen(GotoScreen(), done)

    def action_mark(self) -> None:
        i = self.message_list.selected_message
        if i is not None:
            self.marks.toggle(i)
            self.message_list.invalidate()

    def _mark_jump(self, forward: bool) -> None:
        i = self.message_list.selected_message
        if i is None:
            return
        m = self.marks.next_after(i, self.view, forward)
        if m is None:
            self.bell()
            return
        self.goto_message(m)

    def action_next_mark(self) -> None:
        self._mark_jump(True)

    def action_prev_mark(self) -> None:
        self._mark_jump(False)

    # -- search ----------------------------------------------------------------------------------
    def action_search(self) -> None:
        def done(req: SearchRequest | None) -> None:
            if req is None:
                return
            self.last_search = req
            self.search(req, True)
        self.push_screen(SearchScreen(self.last_search), done)

    def action_search_next(self) -> None:
        if self.last_search:
            self.search(self.last_search, True)

    def action_search_prev(self) -> None:
        if self.last_search:
            self.search(self.last_search, False)

    def search(self, req: SearchRequest, forward: bool) -> None:
        try:
            match = make_matcher(req.mode, req.text)
        except ValueError as e:
            self.note = f"search: {e}"
            self.bell()
            return
        self.busy = f"searching {req.mode} {req.text!r}…"
        self.search_worker(match, self.message_list.cursor, forward, req)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search_worker(self, match, start: int, forward: bool, req: SearchRequest) -> None:
        worker = get_current_worker()
        row = search_rows(self.view, start, forward, match, lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.call_from_thread(self._search_done, row, req)

    def _search_done(self, row: int | None, req: SearchRequest) -> None:
        self.busy = None
        if row is None:
            self.note = f"not found: {req.text!r}"
            self.bell()
        else:
            self.note = None
            self.message_list.set_cursor(row, center=True)
        self.update_status()

    # -- follow ------------------------------------------------------------------------------
    def action_follow(self) -> None:
        lst = self.message_list
        lst.set_follow(not lst.follow)
        self.update_status()

    # -- statistics ----------------------------------------------------------------------------
    def action_stats(self) -> None:
        self.busy = "computing statistics…"
        self.stats_worker()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def stats_worker(self) -> None:
        worker = get_current_worker()
        rows = self.view.rows
        st = compute_stats(self.index, rows, lambda: worker.is_cancelled)
        if st is not None and not worker.is_cancelled:
            self.call_from_thread(self._stats_done, st)

    def _stats_done(self, st) -> None:
        self.busy = None
        title = f"Statistics — {self.source.label}"
        if self.view.filter_text:
            title += f"  (filter: {self.view.filter_text})"
        self.push_screen(StatsScreen(st, title))

    # -- save ------------------------------------------------------------------------------------
    def action_save(self) -> None:
        base = os.path.splitext(self.source.label)[0] or "nlscope"

        def done(req: SaveRequest | None) -> None:
            if req is not None:
                self.busy = f"saving {req.path}…"
                self.save_worker(req)
        self.push_screen(SaveScreen(f"{base}-view.jsonl"), done)

    def messages_for(self, scope: str) -> list[int] | range:
        if scope == "marked":
            return self.marks.sorted()
        if scope == "all" or self.view.rows is None:
            return range(self.index.count)
        return list(self.view.rows)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def save_worker(self, req: SaveRequest) -> None:
        try:
            n = save_messages(self.index, self.messages_for(req.scope), req.path, req.format)
        except OSError as e:
            self.call_from_thread(self._save_done, req, None, e.strerror or str(e))
            return
        self.call_from_thread(self._save_done, req, n, None)

    def _save_done(self, req: SaveRequest, n: int | None, err: str | None) -> None:
        self.busy = None
        if err:
            self.note = f"save failed: {req.path}: {err}"
            self.bell()
        else:
            self.saved.append(req.path)
            self.note = f"saved {n} {'frames' if req.format.startswith('pcap') else 'messages'} to {req.path}"
        self.update_status()

    # -- panes ---------------------------------------------------------------------------------
    def action_zoom(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        w = self.focused
        while w is not None and w.id not in ("list-pane", "detail", "txn", "hex"):
            w = w.parent
        if w is not None:
            self.screen.maximize(w, container=False)

    def action_resize(self, step: int) -> None:
        self.query_one(Panes).resize_list(step)

    def action_legend(self) -> None:
        self._panes["legend"].toggle_class("hidden")

    def action_flow(self) -> None:
        open_flow(self)

    def action_history(self) -> None:
        open_history(self)

    # -- issue 13 part 5: what Wireshark users expect ------------------------------------
    @on(DetailTree.FieldAction)
    def _field_action(self, event: DetailTree.FieldAction) -> None:
        registry = self.source.decoder.registry
        f = event.path[-1]
        if event.action == "copy":
            value = escape(f.short() if f.value is not None else f.name)
            self.copy_to_clipboard(value)  # OSC 52: terminals that allow it take it
            self.push_screen(MessageScreen(
                f"{f.name}: sent to the terminal's clipboard (OSC 52)",
                f"{value}\n\nIf the terminal does not take OSC 52, select the value here."))
            return
        if event.action == "column":
            name = column_for(event.msg, event.path, registry)
            if name is None:
                self.note = f"no filter field names {f.name}"
                self.bell()
                return
            cols = self.view.columns
            if name in cols:
                cols.remove(name)
                self.note = f"column {name} removed"
            else:
                cols.append(name)
                self.note = f"column {name} added (c on the field again removes it)"
            self.view.restyle()
            self.message_list.refresh()
            return
        text = filter_for(event.msg, event.path, registry)
        if text is None:
            self.note = f"no filter selects {f.name} in this message"
            self.bell()
            return
        bar = self._panes["filter"]
        bar.value = text
        bar.cursor_position = len(text)
        if event.action == "apply":
            self.apply_filter(text)
            self.set_focus(self.message_list)
        else:  # prepare: in the filter bar, for the user to edit and apply
            self.set_focus(bar)

    def action_time_format(self) -> None:
        v = self.view
        v.time_mode = next_mode(v.time_mode)
        v.restyle()
        self.note = f"time: {TIME_NAMES[v.time_mode]} (tshark -t {v.time_mode})"
        self.message_list.refresh()

    def action_time_ref(self) -> None:
        i = self.message_list.selected_message
        if i is None:
            return
        v = self.view
        v.time_ref = None if v.time_ref == i else i
        if v.time_ref is not None and v.time_mode != "r":
            v.time_mode = "r"
        v.restyle()
        self.note = (f"time reference: message {i + 1}" if v.time_ref is not None
                     else "time reference removed")
        self.message_list.refresh()

    def action_expert(self) -> None:
        self.busy = "expert info…"
        self.expert_worker()

    @work(thread=True, exclusive=True, group="expert", exit_on_error=False)
    def expert_worker(self) -> None:
        worker = get_current_worker()
        items = expert_items(self.index, self.txns, lambda: worker.is_cancelled)
        if items is not None and not worker.is_cancelled:
            self.call_from_thread(self._expert_done, items)

    def _expert_done(self, items) -> None:
        self.busy = None

        def done(i: int | None) -> None:
            if i is not None:
                self.goto_message(i)
        self.push_screen(ExpertScreen(items, f"Expert info — {self.source.label}"), done)

    def action_recent(self) -> None:
        files = recent.load(self.recent_path or recent.default_path())

        def done(path: str | None) -> None:
            if path is None:
                return
            if not os.path.isfile(path):
                self.note = f"{path}: no such file"
                self.bell()
                return
            self.open_next = path
            self.exit()
        self.push_screen(recent.RecentScreen(files), done)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_groups()))

    def on_unmount(self) -> None:
        self.loader.close()
        self.source.close()
        sys.setswitchinterval(getattr(self, "_switch_interval", 0.005))
        if hasattr(self, "_gc_threshold"):
            gc.set_threshold(*self._gc_threshold)
            gc.unfreeze()


def _pump_gone(pump: MessagePump) -> bool:
    """The pump has stopped processing messages (it will never answer a callback)."""
    task = getattr(pump, "_task", None)
    return bool(getattr(pump, "_closed", False)) or (task is not None and task.done())


def help_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    app_rows = binding_rows(NlscopeApp.BINDINGS)
    nav = binding_rows(MessageList.BINDINGS)
    tree = binding_rows(DetailTree.BINDINGS)
    filt = binding_rows(FilterInput.BINDINGS)
    return [("Message list", nav), ("Everywhere", app_rows), ("Detail tree", tree
            + [("Enter Space", "Expand / collapse the node")]),
            ("Filter bar", filt),
            ("Panes", [("Tab Shift+Tab", "Next / previous pane")])]


def save_messages(ix: CaptureIndex, which, path: str, fmt: str) -> int:
    """Write the messages `which` (indices) as JSONL/JSON, or their frames as
    pcapng/pcap (a frame once, even when several of its messages are chosen)."""
    if fmt in ("jsonl", "json"):
        n = 0
        with open(path, "w", encoding="utf-8") as f:
            out = get_sink(fmt)(f, SinkOptions())
            for i in which:
                out.write(_fresh(ix, i), None)
                n += 1
            out.close()
        return n
    n = 0
    last = -1
    with open(path, "wb") as f:
        w = open_writer(f, fmt)
        for i in which:
            fi = ix.m_frame[i]
            if fi == last:
                continue
            last = fi
            w.write(ix.frame(fi))
            n += 1
    return n


def _fresh(ix: CaptureIndex, i: int):
    """A decoded message from the worker thread without touching the UI's cache."""
    fi = ix.m_frame[i]
    m = ix.frame_messages(fi)[i - ix.fr_first[fi]]
    return ix.decoder.decode(m)


def make_app(path: str | None = None, *, source: Source | None = None, follow: bool = False,
             dissectors: list[str] | None = None, decoder: Decoder | None = None,
             deterministic: bool = False, filter_text: str = "", colors: str | None = None,
             recent_path=None) -> NlscopeApp:
    """The TUI over a capture file (`path`) or any Source (live, stream, frames);
    `decoder`: one with more than the built-in dissectors (the CLI's --spec, --kmod-proto);
    `colors`: a colouring rules file (default ~/.config/nlscope/colors; deterministic:
    the built-in rules); `recent_path`: where opened files are remembered (default
    ~/.local/state/nlscope/recent; deterministic: not remembered)."""
    if colors is None and deterministic:
        colors = ""  # the built-in rules: a test's screen never depends on ~/.config
    if recent_path is None and not deterministic:
        recent_path = recent.default_path()
    if source is None:
        if path is None:
            raise ValueError("make_app needs a path or a source")
        source = FileSource(path, decoder or new_decoder(dissectors), follow=follow)
    return NlscopeApp(source, deterministic=deterministic, filter_text=filter_text,
                      colors=colors, recent_path=recent_path)


def new_decoder(dissectors: list[str] | None = None) -> Decoder:
    return Decoder(default_registry(files=dissectors or []))


__all__ = ["NlscopeApp", "make_app", "new_decoder", "save_messages"]
