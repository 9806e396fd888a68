"""The TUI's transactions are nlscope.analysis.transactions': the index feeds the library's
Tracker with messages read from its arrays (decoding only what it must), and gets the
same groups, statuses, errors and links as `read --transactions` on every capture;
the detail pane's full Transaction (LibraryTxns) agrees too."""
from __future__ import annotations

import pytest
from conftest import FIXTURES, sample_captures

from nlscope.decode.decoder import Decoder
from nlscope.capture.pcapio import CaptureReader
from nlscope.analysis.transactions import correlate
from nlscope.decode.index import open_file_index
from nlscope.tui.libtxn import LibraryTxns
from nlscope.analysis.txindex import NONE, STATUS_NAMES, TxnIndex

CAPTURES = sorted([p for p in FIXTURES.glob("*.pcap*") if p.name != "ethernet.pcap"]
                  + sample_captures())


def _library(path, registry):
    out = {}
    for m, t in correlate(Decoder(registry).messages(CaptureReader(path)), registry=registry):
        out[m.number - 1] = t
    return out


def _tui(path, registry, step=None):
    ix, sc = open_file_index(str(path), Decoder(registry))
    sc.scan(final=True)
    tx = TxnIndex(ix)
    if step:
        for stop in range(step, ix.count + step, step):
            tx.update(min(stop, ix.count))
    tx.finish()
    return ix, tx


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_the_index_pairs_as_the_library(path, registry):
    lib = _library(path, registry)
    ix, tx = _tui(path, registry)
    assert tx.done == ix.count == len(lib)
    for i in range(ix.count):
        t, lt = tx.of(i), lib[i]
        info = tx.info(t)
        if lt is None:  # fragments, NLMSG_NOOP: a row of their own here
            assert tx.t_kind[t] == NONE and info.members == [i]
            continue
        assert [j + 1 for j in info.members] == [m.number for m in lt.messages], i
        assert info.status == lt.status, i
        assert tx.is_request(i) == (lt.request is not None and lt.request.number == i + 1)
        assert info.request == (lt.request.number - 1 if lt.request is not None else None)
        assert info.end == (lt.end - 1 if lt.end is not None else None)
        assert info.replies == lt.replies
        assert -tx.t_err[t] == (lt.errno or 0)
        assert info.caused_by == (lt.caused_by - 1 if lt.caused_by is not None else None)
        if lt.latency_ns is not None:
            assert info.latency_ns == lt.latency_ns
        if lt.status == "ok" and lt.closed_by in ("ack", "done", "reply"):
            assert STATUS_NAMES[tx.status(t)] == "ok"


@pytest.mark.parametrize("path", [FIXTURES / "txn-hard.pcap", FIXTURES / "txn-tc.pcap",
                                  FIXTURES / "txn-expire.pcap"], ids=lambda p: p.name)
def test_growing_in_steps_gives_the_same(path, registry):
    _, whole = _tui(path, registry)
    _, steps = _tui(path, registry, step=3)
    assert list(steps.m_txn) == list(whole.m_txn)
    assert [steps.status(t) for t in range(len(steps))] == [whole.status(t) for t in range(len(whole))]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_the_detail_panes_transaction_is_the_librarys(path, registry):
    lib = _library(path, registry)
    ix, tx = _tui(path, registry)
    lt_of = LibraryTxns(ix, tx)
    for i in range(ix.count):
        ref = lib[i]
        m, lt = lt_of.for_message(i)
        assert m.number == i + 1
        if ref is None or tx.t_kind[tx.of(i)] == NONE:
            continue
        assert lt is not None, i
        assert ([x.number for x in lt.messages], lt.status, lt.expects, lt.errno, lt.extack,
                lt.error_attr, lt.caused_by, lt.events) == \
            ([x.number for x in ref.messages], ref.status, ref.expects, ref.errno, ref.extack,
             ref.error_attr, ref.caused_by, ref.events), i


def test_only_errors_with_extack_are_decoded_to_pair(registry, monkeypatch):
    path = FIXTURES / "txn-hard.pcap"
    ix, sc = open_file_index(str(path), Decoder(registry))
    sc.scan(final=True)
    calls = []
    real = ix.decoder.decode
    monkeypatch.setattr(ix.decoder, "decode", lambda m: calls.append(m) or real(m))
    tx = TxnIndex(ix)
    tx.finish()
    assert ix.count == 48 and len(calls) < 12
    for m in calls:  # an error's extack (or the request it points into), or not vouched for
        assert m.type in (2, 3) or m.flags & 0x1 or m.protocol in (2, 4) or m.is_fragment, m
