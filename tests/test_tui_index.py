"""The TUI's model without Textual: capture index, transactions, view, search."""
from __future__ import annotations

import shutil
import struct

import pytest
from conftest import FIXTURES, sample_captures

from nlscope.decode.decoder import Decoder
from nlscope.capture.frame import Frame
from nlscope.capture.pcapio import CaptureError, CaptureReader
from nlscope.tui.filters import FilterProblem, compile_filter
from nlscope.decode.index import CaptureIndex, FrameFeeder, open_file_index
from nlscope.analysis.txindex import ACKED, DONE, ERROR, NOTIFY, PENDING, TxnIndex
from nlscope.tui.view import Marks, MessageView, make_matcher, search_rows

GOLDEN = FIXTURES / "golden.pcapng"
CAPTURES = sorted(p for p in FIXTURES.glob("*.pcap*") if p.name != "ethernet.pcap")


def _index(path, registry):
    ix, sc = open_file_index(str(path), Decoder(registry))
    sc.scan(final=True)
    return ix


def _key(m):
    return (m.number, m.frame.number, m.index, m.start, m.end, m.frame.ts_ns, m.frame.protocol,
            m.frame.raw, m.frame.direction, m.frame.comment, m.type_name, m.flag_names,
            m.summary, m.problems)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_index_gives_the_messages_the_reader_gives(path, registry):
    ref = list(Decoder(registry).messages(CaptureReader(path)))
    ix = _index(path, registry)
    assert ix.complete
    assert ix.count == len(ref)
    assert [_key(ix.message(i)) for i in range(ix.count)] == [_key(m) for m in ref]
    assert [i for i, _ in ix.iter_messages()] == list(range(ix.count))


def test_index_rejects_what_is_not_a_capture(registry):
    with pytest.raises(CaptureError):
        _index(FIXTURES / "not-a-capture.txt", registry)
    with pytest.raises(CaptureError, match="not netlink"):
        _index(FIXTURES / "ethernet.pcap", registry)


def test_index_warns_like_the_reader(registry):
    ix = _index(FIXTURES / "truncated.pcap", registry)
    assert any("truncated" in w for w in ix.warnings)
    ix = _index(GOLDEN, registry)
    assert any("EN10MB" in w for w in ix.warnings)


def test_growing_file_is_indexed_up_to_its_last_whole_record(tmp_path, registry):
    data = GOLDEN.read_bytes()
    path = tmp_path / "growing.pcapng"
    cut = len(data) - 30  # in the middle of the last record
    path.write_bytes(data[:cut])
    ix, sc = open_file_index(str(path), Decoder(registry))
    sc.scan(final=False)
    partial = ix.count
    assert 0 < partial < 13 and not ix.warnings[1:] and not ix.complete
    with open(path, "ab") as f:
        f.write(data[cut:])
    sc.scan(final=True)
    assert ix.count == 13 and ix.complete
    assert not any("truncated" in w for w in ix.warnings)


def test_empty_file_then_data(tmp_path, registry):
    path = tmp_path / "live.pcapng"
    path.write_bytes(b"")
    ix, sc = open_file_index(str(path), Decoder(registry))
    assert sc.scan() == 0
    path.write_bytes(GOLDEN.read_bytes())
    assert sc.scan(final=True) == 13


def _golden_frames():
    return list(CaptureReader(GOLDEN))


def test_frames_fed_live_are_indexed_unchanged(registry):
    frames = _golden_frames()
    frames[0].pid, frames[0].comm = 77, "ip"
    ix = CaptureIndex(Decoder(registry))
    feeder = FrameFeeder(ix)
    feeder.feed_all(iter(frames))
    assert ix.complete and ix.count == 13 and ix.frames == len(frames)
    m = ix.message(0)
    assert (m.frame.pid, m.frame.comm, m.frame.raw) == (77, "ip", frames[0].raw)
    ref = list(Decoder(registry).messages(iter(_golden_frames())))
    assert [ix.message(i).summary for i in range(13)] == [r.summary for r in ref]


def test_memory_per_message_is_small(registry):
    ix = _index(GOLDEN, registry)
    assert ix.memory_bytes() / ix.count < 80


def test_genl_family_ids_learned_in_the_scan(registry):
    """A genl message decoded out of order still resolves ids taught by nlctrl."""
    from fixtures.make_fixtures import cooked, nla, nlmsg
    newfam = nlmsg(0x10, 0, 1, 99, bytes([1, 2, 0, 0]) + nla(2, b"nl80211\0")
                   + nla(1, struct.pack("<H", 0x21)))
    user = nlmsg(0x21, 0x5, 2, 0, bytes([5, 0, 0, 0]))  # nl80211 cmd 5 (GET_INTERFACE...)
    frames = [Frame(0, 1000, 16, cooked(16) + newfam), Frame(0, 2000, 16, cooked(16) + user)]
    ix = CaptureIndex(Decoder(registry))
    FrameFeeder(ix).feed_all(frames)
    assert ix.state_version >= 1
    m = ix.message(1)  # decoded without decoding message 0 first on screen
    assert "nl80211" in m.type_name


# -- transactions --------------------------------------------------------------------------

@pytest.fixture
def golden(registry):
    ix = _index(GOLDEN, registry)
    tx = TxnIndex(ix)
    tx.update()
    return ix, tx


def test_transactions_pair_requests_with_replies_acks_and_errors(golden):
    ix, tx = golden
    # messages (0-based): 0 GETLINK dump, 1-2 NEWLINK, 3 DONE; 4 NEWROUTE, 5 error;
    # 6 NEWROUTE, 7 ACK; 8 DELADDR, 9 error; 10 NOOP, 11 OVERRUN; 12 usersock request
    assert tx.members(tx.of(0)) == [0, 1, 2, 3]
    assert tx.status(tx.of(0)) == DONE
    assert tx.members(tx.of(5)) == [4, 5] and tx.status(tx.of(4)) == ERROR
    assert tx.t_err[tx.of(4)] == -101
    assert tx.status(tx.of(7)) == ACKED
    assert tx.status(tx.of(8)) == ERROR and tx.t_err[tx.of(8)] == -17
    assert tx.status(tx.of(10)) == NOTIFY and tx.status(tx.of(11)) == NOTIFY
    assert tx.status(tx.of(12)) == PENDING  # REQUEST|ACK, never answered
    info = tx.info(tx.of(2))
    assert (info.request, info.end, info.replies) == (0, 3, 2)
    assert info.latency_ns == ix.ts(3) - ix.ts(0)
    assert len(tx) == 7


def test_transactions_grow_incrementally(golden, registry):
    ix, whole = golden
    tx = TxnIndex(ix)
    for stop in range(1, ix.count + 1):
        tx.update(stop)
    assert list(tx.m_txn) == list(whole.m_txn)
    assert [tx.status(t) for t in range(len(tx))] == [whole.status(t) for t in range(len(whole))]


# -- view, filter, search, marks ------------------------------------------------------------

def test_view_filter_and_transaction_rows(golden):
    ix, tx = golden
    v = MessageView(ix, tx)
    assert len(v) == 13 and v.message_at(3) == 3
    v.start_filter("error", compile_filter("error"))
    v.run_filter(lambda: False)
    assert list(v.rows) == [5, 9] and not v.filtering
    assert v.row_of(9) == 1 and v.row_of(4) is None and v.nearest_row(6) == 1
    v.set_by_txn(True)
    assert len(v) == 2 and v.message_at(0) == 4 and v.message_at(1) == 8
    v.start_filter("", None)
    assert len(v) == 7  # one row per transaction
    assert [v.message_at(r) for r in range(7)] == [0, 4, 6, 8, 10, 11, 12]
    assert v.row_of(2) == 0 and v.row_of(7) == 2


def test_filter_errors_carry_their_position():
    with pytest.raises(FilterProblem) as e:
        compile_filter("type == ")
    assert e.value.column == 8  # 0-based, under the missing value
    assert compile_filter("  ") is None
    f = compile_filter("txn.status == unanswered")
    assert f.needs_txn


def test_fallback_filter_without_the_library(monkeypatch, golden):
    import nlscope.tui.filters as filters
    monkeypatch.setattr(filters, "_library", lambda: None)
    with pytest.raises(FilterProblem) as e:
        filters.compile_filter("route !")
    assert e.value.column == 6
    ix, _ = golden
    pred = filters.compile_filter("eexist !route6")
    assert [i for i in range(ix.count) if pred(ix.message(i))] == [9]


def test_txn_filter_uses_the_library_transactions(golden):
    from nlscope.tui.libtxn import LibraryTxns
    ix, tx = golden
    v = MessageView(ix, tx)
    v.library_txns = LibraryTxns(ix, tx)
    v.start_filter("x", compile_filter("txn.status == unanswered"))
    v.run_filter(lambda: False)
    assert list(v.rows) == [12]
    v.start_filter("x", compile_filter("txn.status == error && flags.request"))
    v.run_filter(lambda: False)
    assert list(v.rows) == [4, 8]


def test_search_text_hex_field(golden):
    ix, tx = golden
    v = MessageView(ix, tx)
    assert search_rows(v, 0, True, make_matcher("text", "eexist")) == 9
    assert search_rows(v, 9, True, make_matcher("text", "eexist")) == 9  # wraps to itself
    assert search_rows(v, 0, True, make_matcher("text", "no such thing")) is None
    assert search_rows(v, 0, True, make_matcher("hex", "e9 03 00 00")) == 1  # seq 1001
    assert search_rows(v, 5, False, make_matcher("hex", "0xea03")) == 4
    assert search_rows(v, 0, True, make_matcher("field", "nlmsg_seq=1003")) == 6
    assert search_rows(v, 0, True, make_matcher("field", "IFLA_IFNAME=eth0")) == 2
    with pytest.raises(ValueError):
        make_matcher("hex", "zz")


def test_marks_wrap_and_respect_the_filter(golden):
    ix, tx = golden
    v = MessageView(ix, tx)
    marks = Marks()
    for i in (2, 7, 11):
        marks.toggle(i)
    assert marks.next_after(2, v) == 7 and marks.next_after(11, v) == 2
    assert marks.next_after(2, v, forward=False) == 11
    v.start_filter("error", compile_filter("error"))
    v.run_filter(lambda: False)
    assert marks.next_after(0, v) is None
    assert not marks.toggle(7) and len(marks) == 2


def test_spooled_index_survives_copy(tmp_path, registry):
    """A file source reads frames from the file by offset: a copy of the capture gives
    the same bytes (offsets are the file's, not a reader's)."""
    p = tmp_path / "g.pcapng"
    shutil.copy(GOLDEN, p)
    ix = _index(p, registry)
    assert ix.frame(0).raw == next(iter(CaptureReader(GOLDEN))).raw


@pytest.mark.parametrize("path", sample_captures(), ids=lambda p: p.name)
@pytest.mark.parametrize("text", [None, "type == NLMSG_ERROR", "family == generic"])
def test_stats_screen_equals_the_cli_stats(path, text, registry):
    """One statistics: the TUI's screen is nlscope.analysis.stats over the shown rows,
    equal to `nlscope stats [-Y FILTER]` (genl types by command, frames, percentiles)."""
    import json
    import subprocess
    import sys

    from nlscope.analysis.filter import compile_filter
    from nlscope.tui.stats_screen import compute_stats
    ix, sc = open_file_index(str(path), Decoder(registry))
    sc.scan(final=True)
    rows = None
    args = [sys.executable, "-m", "nlscope", "stats", "--format", "json", str(path)]
    if text:
        flt = compile_filter(text)
        rows = [i for i in range(ix.count) if flt(ix.message(i))]
        args[4:4] = ["-Y", text]
    cli = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert compute_stats(ix, rows).to_json() == cli
