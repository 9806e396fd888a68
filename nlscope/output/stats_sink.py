"""The statistics report as a sink (`nlscope stats`, the TUI's stats screen)."""
from __future__ import annotations

import json
from typing import Any

from ..analysis.stats import Stats
from .sinks import Sink, SinkOptions, sink


@sink("stats")
class StatsSink(Sink):
    """Counts every message that passes; a transaction counts once, when any of its
    messages passes (the sink filters: opts.extra["filter"], a matcher; the pipeline
    gives it every message).

    One pass, flat memory: a message counts as it comes, a transaction when it
    closes (`closed`, which the pipeline calls from the Tracker). Only a filter that
    reads transaction fields (opts.extra["txn_filter"]) needs each transaction as it
    ends up, at its first message, with all its messages."""

    def __init__(self, out, opts: SinkOptions):
        super().__init__(out, opts)
        self.stats = Stats(top=opts.top)
        self._flt = opts.extra.get("filter")
        self.needs_txn = self.needs_members = bool(opts.extra.get("txn_filter"))
        self._matched: set[int] = set()
        self._closed: list[Any] = []

    def write(self, msg: Any, txn: Any) -> None:
        st, match = self.stats, self._flt
        hit = match is None or match(msg, txn)
        if self.needs_txn:
            if txn is not None and msg is txn.first and (
                    hit or any(match(x, txn) for x in txn.messages)):
                st.add_transaction(txn)
        elif txn is not None:
            if txn.kind == "event":  # born final: the Tracker never closes it
                if hit:
                    st.add_transaction(txn)
            elif hit:
                self._matched.add(txn.id)
        if hit:
            st.add_message(msg, txn)
        self._settle()

    def closed(self, txn: Any) -> None:
        """The Tracker closed `txn` (while pairing the message about to be written, or
        at the end): counted once that message has been seen."""
        self._closed.append(txn)

    def _settle(self) -> None:
        for t in self._closed:
            self.stats.settle(t)
            if not self.needs_txn and (self._flt is None or t.id in self._matched):
                self.stats.add_transaction(t)
            self._matched.discard(t.id)
        self._closed.clear()

    def close(self) -> None:
        self._settle()
        if self.opts.extra.get("format") == "json":
            self.out.write(json.dumps(self.stats.to_json(), indent=2, ensure_ascii=False) + "\n")
        else:
            self.out.write(self.stats.text())


@sink("coverage")
class CoverageSink(Sink):
    """`nlscope stats --coverage`: per family, how much is decoded (analysis.coverage)."""

    def __init__(self, out, opts: SinkOptions):
        super().__init__(out, opts)
        from ..analysis.coverage import Coverage
        self.coverage = Coverage()
        self._flt = opts.extra.get("filter")

    def write(self, msg: Any, txn: Any) -> None:
        if self._flt is None or self._flt(msg, txn):
            self.coverage.add(msg)

    def close(self) -> None:
        if self.opts.extra.get("format") == "json":
            self.out.write(json.dumps(self.coverage.to_json(), indent=2, ensure_ascii=False) + "\n")
        else:
            self.out.write(self.coverage.text())
