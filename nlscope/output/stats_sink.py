"""The statistics report as a sink (`nlscope stats`, the TUI's stats screen)."""
from __future__ import annotations

import json
from typing import Any

from ..analysis.stats import Stats
from .sinks import Sink, SinkOptions, sink


@sink("stats")
class StatsSink(Sink):
    """Counts every message that passes; a transaction counts once, at its first
    message, when any of its messages passes (the pipeline's filter sees them all:
    opts.extra["filter"])."""

    needs_txn = True
    needs_members = False  # True when a filter counts a transaction by any of its messages

    def __init__(self, out, opts: SinkOptions):
        super().__init__(out, opts)
        self.stats = Stats(top=opts.top)
        self._flt = opts.extra.get("filter")
        self.needs_members = self._flt is not None

    def write(self, msg: Any, txn: Any) -> None:
        st, match = self.stats, self._flt
        if txn is not None and msg is txn.first:
            if match is None or any(match(x, txn) for x in txn.messages):
                st.add_transaction(txn)
        if match is None or match(msg, txn):
            st.add_message(msg, txn)

    def close(self) -> None:
        if self.opts.extra.get("format") == "json":
            self.out.write(json.dumps(self.stats.to_json(), indent=2, ensure_ascii=False) + "\n")
        else:
            self.out.write(self.stats.text())
