"""nlscope.analysis.transactions' Transaction objects for the detail pane and for filters that
read `txn.*` fields.

The index (txns.TxnIndex) runs the library's Tracker over the whole capture but keeps
only arrays. For one transaction's full object (expects, extack, the request attribute
an error points at, events, caused by), its messages are decoded and judged again by
a Tracker, with those of the transactions linked to it (its request's, its events),
in capture order. Recent ones are cached.
"""
from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from typing import Any

from ..decode.model import Message
from ..decode.index import CaptureIndex
from ..analysis.txindex import TxnIndex


def _library():
    try:
        return importlib.import_module("nlscope.analysis.transactions")
    except ImportError:
        return None


class LibraryTxns:
    def __init__(self, index: CaptureIndex, txns: TxnIndex, size: int = 256):
        self.index = index
        self.txns = txns
        self.lib = _library()
        self.size = size
        self._cache: OrderedDict[tuple[int, int], dict[int, tuple[Message, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.lib is not None

    def _group(self, t: int) -> dict[int, tuple[Message, Any]]:
        txns = self.txns
        related = txns.related(t)
        # a growing (live) group, or one that got events, is judged again
        key = (t, tuple(int(txns.t_count[r]) for r in related), txns.is_open(t))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        out: dict[int, tuple[Message, Any]] = {}
        ix = self.index
        tracker = (self.lib.Tracker(registry=ix.decoder.registry) if self.lib is not None
                   else None)
        mine = set(txns.members(t))
        for j in sorted(j for r in related for j in txns.members(r)):
            m = ix.fresh(j)
            lt = tracker.feed(m) if tracker is not None else None
            if j in mine:
                out[j] = (m, lt)
        if tracker is not None:
            tracker.flush()  # still open: judged as if the capture ended now, as the list shows it
        with self._lock:
            self._cache[key] = out
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return out

    def for_message(self, i: int) -> tuple[Message, Any]:
        """(the decoded message, its library Transaction or None)."""
        t = self.txns.of(i)
        if t < 0:
            return self.index.fresh(i), None
        return self._group(t)[i]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
