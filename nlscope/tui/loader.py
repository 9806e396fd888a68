"""Decoding for the detail panes off the UI thread (issue 13 part 3).

The UI asks for the selected message with `request(i)`; one daemon thread decodes it
(the library's lazy decode is pure Python: a 1.4 kB RTM_NEWLINK is tens of ms on a
loaded host), with its library transaction and the transaction pane's text, and posts
the result back as a `Ready` message. Only the latest request counts: a cursor that
moved on while a decode ran gets its own next, and a result for a message no longer
selected is kept in the cache, not shown. When idle, the thread decodes the selected
message's neighbours, so the next j/k finds them ready. Bounded LRU cache.

The thread decodes messages of its own (`CaptureIndex.frame_messages`), never the
index's cached ones the list renders on the UI thread: one Message is decoded by one
thread.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.message import Message as TMessage

from ..analysis.txindex import TxnIndex
from ..decode.index import CaptureIndex
from ..decode.model import Message
from .txn_panel import txn_text

CACHE = 64  # decoded messages kept (a screenful of j/k and the jumps back)


@dataclass(slots=True)
class Details:
    """What the detail, bytes and transaction panes show for message index `i`."""
    i: int
    msg: Message
    lib_txn: Any
    txn_head: Text
    txn_rows: Text
    key: tuple  # the transaction's growth when made: stale once it grew


class Ready(TMessage):
    """Details decoded for a requested message (posted from the loader's thread)."""

    def __init__(self, details: Details):
        super().__init__()
        self.details = details


class DetailLoader:
    def __init__(self, index: CaptureIndex, txns: TxnIndex, library_txns,
                 post: Callable[[Details], None], size: int = CACHE):
        self.index = index
        self.txns = txns
        self.library_txns = library_txns
        self.post = post
        self.size = size
        self._cache: OrderedDict[int, Details] = OrderedDict()
        self._cv = threading.Condition()
        self._want: int | None = None
        self._prefetch: deque[int] = deque()
        self._closed = False
        self.decoded = 0  # messages decoded (tests: prefetch and cache at work)
        self._thread = threading.Thread(target=self._run, name="nlscope-details", daemon=True)
        self._thread.start()

    # -- UI thread ------------------------------------------------------------------------
    def get(self, i: int) -> Details | None:
        """The cached details of message i, when still current."""
        with self._cv:
            d = self._cache.get(i)
            if d is None or d.key != self._key(i):
                return None
            self._cache.move_to_end(i)
            return d

    def request(self, i: int, neighbours: list[int] = ()) -> None:
        """Decode message i next (replacing any earlier request not started yet), then
        the neighbours when there is nothing newer to do."""
        with self._cv:
            self._want = i
            self._prefetch.clear()
            self._prefetch.extend(n for n in neighbours if n not in self._cache)
            self._cv.notify()

    def prefetch(self, neighbours: list[int]) -> None:
        with self._cv:
            self._prefetch.clear()
            self._prefetch.extend(n for n in neighbours if n not in self._cache)
            self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify()

    # -- the thread -----------------------------------------------------------------------
    def _key(self, i: int) -> tuple:
        txns = self.txns
        t = txns.of(i) if i < len(txns.m_txn) else -1
        if t < 0:
            return (-1, txns.done > i)
        return (t, int(txns.t_count[t]), txns.is_open(t))

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._want is None and not self._prefetch and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                if self._want is not None:
                    i, wanted = self._want, True
                    self._want = None
                else:
                    i, wanted = self._prefetch.popleft(), False
                d = self._cache.get(i)
                if d is not None and d.key != self._key(i):
                    d = None
            if d is None:
                try:
                    d = self._load(i)
                except Exception as e:  # never kill the thread: the pane says what failed
                    d = self._failed(i, e)
                with self._cv:
                    self._cache[i] = d
                    self._cache.move_to_end(i)
                    while len(self._cache) > self.size:
                        self._cache.popitem(last=False)
            if wanted:
                self.post(d)

    def _load(self, i: int) -> Details:
        ix, txns = self.index, self.txns
        key = self._key(i)
        lib_txn = None
        msg = None
        if self.library_txns is not None and self.library_txns.available:
            try:
                msg, lib_txn = self.library_txns.for_message(i)
            except Exception:  # the library's view is a bonus; the index's stands
                msg, lib_txn = None, None
        if msg is None:
            msg = ix.fresh(i)
        msg.tree  # decoded here, not on the UI thread
        t = txns.of(i) if i < len(txns.m_txn) else -1
        info = txns.info(t) if t >= 0 else None
        cache: dict[int, Message] = {i: msg}

        def message(j: int) -> Message:
            m = cache.get(j)
            if m is None:
                m = cache[j] = ix.fresh(j)
            return m
        head, rows = txn_text(ix, info, i, lib_txn, message=message)
        self.decoded += 1
        return Details(i, msg, lib_txn, head, rows, key)

    def _failed(self, i: int, e: Exception) -> Details:
        msg = self.index.fresh(i)  # undecoded header at worst
        head = Text(f"decoding failed: {type(e).__name__}: {e}")
        return Details(i, msg, None, head, Text(), ("failed", i))
