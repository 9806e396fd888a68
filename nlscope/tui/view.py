"""What the list shows: every message, the messages a display filter kept, or one row
per transaction. Rows are message indices in an `array`, filled by a worker thread
while the UI draws what is there so far. No Textual here: tests drive it directly.
"""
from __future__ import annotations

import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable

from ..decode.model import Field, Message
from .filters import Predicate
from .headers import HeaderView
from ..decode.index import CaptureIndex
from ..analysis.txindex import TxnIndex


class MessageView:
    """Rows of the list. `rows is None` means all messages, unfiltered."""

    def __init__(self, index: CaptureIndex, txns: TxnIndex):
        self.index = index
        self.txns = txns
        self.rows: array | None = None
        self.predicate: Predicate | None = None
        self.filter_text = ""
        self.filtering = False
        self.filter_done = 0  # messages examined by the running filter
        self.filter_error: str | None = None
        self.by_txn = False
        self._txn_rows: array | None = None
        self._txn_done = 0
        self._txn_seen: set[int] = set()
        self.generation = 0  # changes whenever the rows are replaced
        self.fast_filter = False  # the filter runs on the index's headers, undecoded
        self.library_txns = None  # libtxn.LibraryTxns: transactions for txn.* filters
        self.names = None  # analysis.names.IfNames: interface names for Info
        # How rows look (issue 13 part 5); `look` changes whenever any of it does.
        self.time_mode = "r"  # analysis.timefmt: r, a, d, e (tshark -t)
        self.time_ref: int | None = None  # message index of the time reference
        self.columns: list[str] = []  # extra columns: filter field names
        self.colors = None  # analysis.colors.ColorRules
        self.registry = None  # the decoder's registry (extra columns' fields)
        self.look = 0

    def restyle(self) -> None:
        self.look += 1

    # -- rows -------------------------------------------------------------------------
    def _msg_rows_len(self) -> int:
        return self.index.count if self.rows is None else len(self.rows)

    def _msg_row(self, r: int) -> int:
        return r if self.rows is None else self.rows[r]

    def __len__(self) -> int:
        if self.by_txn:
            self._refresh_txn_rows()
            return len(self._txn_rows)
        return self._msg_rows_len()

    def message_at(self, r: int) -> int:
        """The message index shown at row r (the transaction's first message in
        transaction mode)."""
        if self.by_txn:
            return self.txns.t_first[self._txn_rows[r]]
        return self._msg_row(r)

    def txn_at(self, r: int) -> int:
        return self._txn_rows[r] if self.by_txn else self.txns.of(self._msg_row(r))

    def row_of(self, i: int) -> int | None:
        """The row showing message index i (its transaction's row in that mode)."""
        if self.by_txn:
            t = self.txns.of(i)
            if t < 0:
                return None
            self._refresh_txn_rows()
            rows = self._txn_rows
            k = bisect_left(rows, t)
            return k if k < len(rows) and rows[k] == t else None
        if self.rows is None:
            return i if 0 <= i < self.index.count else None
        k = bisect_left(self.rows, i)
        return k if k < len(self.rows) and self.rows[k] == i else None

    def nearest_row(self, i: int) -> int:
        """The row of message i, or of the first message after it that is shown."""
        if self.by_txn:
            t = self.txns.of(i)
            self._refresh_txn_rows()
            k = bisect_left(self._txn_rows, max(t, 0))
            return min(k, max(len(self._txn_rows) - 1, 0))
        if self.rows is None:
            return max(0, min(i, self.index.count - 1))
        k = bisect_left(self.rows, i)
        return min(k, max(len(self.rows) - 1, 0))

    def set_by_txn(self, on: bool) -> None:
        self.by_txn = on
        self._txn_rows = None
        self.generation += 1

    def _refresh_txn_rows(self) -> None:
        """Transactions with a member among the message rows, in order of their first
        message, kept up to date as rows and transactions grow."""
        if self._txn_rows is None:
            self._txn_rows = array("I")
            self._txn_done = 0
            self._txn_seen = set()
        n = min(self._msg_rows_len(), self.txns.done if self.rows is None else len(self.rows))
        if self._txn_done >= n:
            return
        seen, out, m_txn = self._txn_seen, self._txn_rows, self.txns.m_txn
        limit = len(m_txn)
        pending: list[int] = []
        r = self._txn_done
        while r < n:
            i = self._msg_row(r)
            if i >= limit:
                break
            t = m_txn[i]
            if t not in seen:
                seen.add(t)
                pending.append(t)
            r += 1
        self._txn_done = r
        if pending:
            if out and pending[0] < out[-1] or any(a > b for a, b in zip(pending, pending[1:])):
                merged = sorted(set(out) | set(pending))
                self._txn_rows = array("I", merged)
            else:
                out.extend(pending)

    # -- filtering --------------------------------------------------------------------
    def start_filter(self, text: str, predicate: Predicate | None) -> None:
        """Replace the rows (an empty, growing array) before a worker fills them."""
        self.filter_text = text
        self.predicate = predicate
        self.rows = None if predicate is None else array("I")
        self.filter_done = 0
        self.filtering = predicate is not None
        self.filter_error = None
        # header-only (nlscope.analysis.filter's needs_decode False): tested on the index's integers
        self.fast_filter = (predicate is not None and hasattr(predicate, "match_header")
                            and getattr(predicate, "needs_decode", True) is False)
        self._txn_rows = None
        self.generation += 1

    def run_filter(self, cancelled: Callable[[], bool], live: Callable[[], bool] | None = None,
                   batch: int = 2000) -> None:
        """Worker body: test messages in order, appending matches; keep going while the
        index grows (`live()` true), stop when cancelled or the capture is complete.
        A filter reading `txn.*` fields gets the message's library transaction."""
        pred, rows, ix = self.predicate, self.rows, self.index
        if pred is None or rows is None:
            self.filtering = False
            return
        gen = self.generation
        needs_txn = getattr(pred, "needs_txn", False)
        if self.fast_filter:
            return self._run_header_filter(cancelled, live, batch)
        try:
            while not cancelled() and gen == self.generation:
                stop = min(ix.count, self.filter_done + batch)
                if stop > self.filter_done:
                    for i, m in ix.iter_messages(self.filter_done, stop):
                        try:
                            if needs_txn and self.library_txns is not None:
                                ok = pred(*self.library_txns.for_message(i))
                            else:
                                ok = pred(m, None)
                        except Exception:  # a filter bug must not stop the scan
                            ok = False
                        if ok:
                            rows.append(i)
                        if not i & 127:
                            time.sleep(0)  # let the UI thread have the GIL
                    self.filter_done = stop
                    continue
                if ix.complete and not (live and live()):
                    break
                time.sleep(0.05)
        finally:
            if gen == self.generation:
                self.filtering = False

    def _run_header_filter(self, cancelled: Callable[[], bool], live: Callable[[], bool] | None,
                           batch: int) -> None:
        """run_filter for a header-only filter: each message is tested on a HeaderView
        of the index (no decode); what the index cannot vouch for, or a view that
        fails, is decoded and tested as the message."""
        pred, rows, ix, gen = self.predicate, self.rows, self.index, self.generation
        hv = HeaderView(ix)
        match, usable, at = pred.match_header, hv.usable, hv.at

        def decoded(i: int) -> bool:
            fi = ix.m_frame[i]
            m = ix.frame_messages(fi)[i - ix.fr_first[fi]]
            try:
                return bool(pred(ix.decoder.decode(m), None))
            except Exception:  # a filter bug must not stop the scan
                return False
        try:
            while not cancelled() and gen == self.generation:
                start = self.filter_done
                stop = min(ix.count, start + batch)
                if stop > start:
                    for i in range(start, stop):
                        if usable(i):
                            try:
                                ok = match(at(i))
                            except Exception:
                                ok = decoded(i)
                        else:
                            ok = decoded(i)
                        if ok:
                            rows.append(i)
                    self.filter_done = stop
                    time.sleep(0)  # let the UI thread have the GIL
                    continue
                if ix.complete and not (live and live()):
                    break
                time.sleep(0.05)
        finally:
            if gen == self.generation:
                self.filtering = False

    def filter_progress(self) -> float:
        total = self.index.count
        return 1.0 if not total else min(1.0, self.filter_done / total)


# -- search -----------------------------------------------------------------------------

def parse_hex(text: str) -> bytes:
    t = text.replace(" ", "").replace(":", "").lower()
    if t.startswith("0x"):
        t = t[2:]
    return bytes.fromhex(t)


def make_matcher(mode: str, text: str) -> Callable[[Message], bool]:
    """text: anywhere in the message's line and its tree; hex: these bytes in the
    message; field: NAME=VALUE (a field called NAME showing VALUE), or a value alone."""
    if mode == "hex":
        needle = parse_hex(text)
        return lambda m: needle in m.raw
    if mode == "field":
        name, sep, value = text.partition("=")
        name, value = (name.strip(), value.strip()) if sep else ("", text.strip())
        lv = value.lower()

        def fmatch(m: Message) -> bool:
            for f in m.tree:
                for _, node in f.walk():
                    if name and node.name != name:
                        continue
                    if _value_matches(node, lv):
                        return True
            return False
        return fmatch
    low = text.lower()

    def tmatch(m: Message) -> bool:
        if low in " ".join((m.family, m.type_name or "", m.summary)).lower():
            return True
        for f in m.tree:
            for _, node in f.walk():
                if low in node.name.lower() or low in node.display().lower():
                    return True
        return False
    return tmatch


def _value_matches(node: Field, lv: str) -> bool:
    if node.children is not None and node.value is None:
        return False
    if not lv:
        return True
    return lv == node.short().lower() or lv == str(node.value).lower() or lv in node.display().lower()


def search_rows(view: MessageView, start: int, forward: bool, match: Callable[[Message], bool],
                cancelled: Callable[[], bool] = lambda: False,
                progress: Callable[[int], None] | None = None) -> int | None:
    """The first row after (or before) `start` whose message matches, wrapping once."""
    n = len(view)
    if n == 0:
        return None
    ix = view.index
    step = 1 if forward else -1
    for k in range(1, n + 1):
        if cancelled():
            return None
        r = (start + step * k) % n
        i = view.message_at(r)
        if view.by_txn:
            if any(match(ix.message(j)) for j in view.txns.members(view.txns.of(i))):
                return r
        elif match(ix.message(i)):
            return r
        if progress is not None and k % 2000 == 0:
            progress(k)
    return None


class Marks:
    """Marked messages (by index), in order."""

    def __init__(self):
        self._set: set[int] = set()
        self._lock = threading.Lock()

    def toggle(self, i: int) -> bool:
        with self._lock:
            if i in self._set:
                self._set.discard(i)
                return False
            self._set.add(i)
            return True

    def __contains__(self, i: int) -> bool:
        return i in self._set

    def __len__(self) -> int:
        return len(self._set)

    def sorted(self) -> list[int]:
        return sorted(self._set)

    def next_after(self, i: int, view: MessageView, forward: bool = True) -> int | None:
        """The next marked message after i that the view shows, wrapping."""
        shown = [m for m in self.sorted() if view.row_of(m) is not None]
        if not shown:
            return None
        if forward:
            later = [m for m in shown if m > i]
            return later[0] if later else shown[0]
        earlier = [m for m in shown if m < i]
        return earlier[-1] if earlier else shown[-1]
