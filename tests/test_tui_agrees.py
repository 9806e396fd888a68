"""The TUI and the CLI say the same of every message (issue 10: one message model).

The TUI decodes from its own index on its own threads and pairs with its TxnIndex; `read`
streams through the pipeline and the Tracker. The Info of every row is the library's
summary, on every sample and on the daemons' lab capture, whose answers can be named only
from their requests (capped genl ACKs, nl80211's wiped echoes). The one difference is the
TUI's own: a malformed message's row ends with its first problem.
"""
from __future__ import annotations

import pytest
from conftest import FIXTURES, committed, sample_captures
from waiting import aio, ready

from nlscope import open as nl_open
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry
from nlscope.tui.app import make_app
from nlscope.tui.rows import cells_for_message

DAEMONS = FIXTURES / "issue16_daemons" / "capture.pcap"


@pytest.mark.parametrize("path", [*sample_captures(), DAEMONS], ids=lambda p: p.name
                         if p != DAEMONS else "issue16_daemons")
@aio
async def test_every_row_says_what_read_says(path):
    path = committed(path)
    want = {}
    for m in nl_open(str(path), registry=default_registry(entry_points=False)):
        info = m.summary
        if m.problems and "malformed" not in info:
            info += f"  [malformed: {m.problems[0]}]"
        want[m.number - 1] = info
    app = make_app(str(path), decoder=Decoder(default_registry(entry_points=False)),
                   deterministic=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        ix, txns = app.index, app.source.txns
        got = {i: cells_for_message(ix, txns, i, None)["info"] for i in range(ix.count)}
    assert len(got) == len(want)
    assert [(i + 1, want[i], got[i]) for i in want if got[i] != want[i]] == []
