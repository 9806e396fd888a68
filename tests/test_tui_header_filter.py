"""Header-only display filters in the TUI: evaluated on the capture index's integers
(nlscope.tui.headers.HeaderView, Filter.match_header), they select exactly what the
same filter selects on the decoded messages; and the index agrees with the reader
message for message (zero fill after the last message of a frame included)."""
from __future__ import annotations

import pytest
from conftest import FIXTURES, sample_captures

from nlscope.decode.decoder import Decoder
from nlscope.analysis.filter import compile_filter
from nlscope.capture.pcapio import CaptureReader
from nlscope.tui.headers import HeaderView
from nlscope.decode.index import open_file_index
from nlscope.analysis.txindex import TxnIndex
from nlscope.tui.view import MessageView

CAPTURES = sorted([p for p in FIXTURES.glob("*.pcap*") if p.name != "ethernet.pcap"]
                  + sample_captures())

HEADER_FILTERS = [
    "type == NLMSG_ERROR", "type == RTM_NEWLINK", "type == RTM_NEWROUTE and flags.request",
    "type ~ \"^RTM_(NEW|DEL)\"", "type contains GET", "type == 16", "type in {16..30}",
    "netlink.hdr_type == 2", "type == NLMSG_DONE", "type == CTRL_CMD_NEWFAMILY",
    "type == NEW_INTERFACE", "type ~ \"^nl80211\"",
    "family == route", "family == generic", "family == nl80211", "family == 12",
    "family == \"netfilter\" && !flags.ack", "netlink.family == sock_diag", "protocol == 16",
    "kind == get", "kind == new", "kind == ack", "direction == out", "direction == in",
    "flags == 0", "flags == 0x301", "flags contains DUMP", "flags contains CREATE",
    "flags == \"REQUEST,ACK\"", "flags > 0x100",
    "flags.request", "flags.multi", "flags.ack", "flags.echo", "flags.dump", "flags.root",
    "flags.create or flags.excl", "flags.replace", "flags.nonrec", "flags.capped",
    "flags.ack_tlvs", "netlink.hdr_flags.dump", "flags.atomic", "flags.dump_intr",
    "error", "!error", "error == true", "errno", "errno == 0", "errno == OK", "errno == ENODEV",
    "errno in {ENOENT EEXIST ENODEV 1..5}", "netlink.error == -17", "errno > 10",
    "errno ~ \"^E(NO|EX)\"", "type == NLMSG_DONE and errno", "errno != 0",
    "seq > 1000", "seq == 0", "netlink.hdr_seq in {1..100}", "portid == 0", "portid != 0",
    "netlink.hdr_pid > 100000", "len >= 100", "netlink.hdr_len < 32", "len in {20 36}",
    "number in {1..10}", "frame > 5", "frame.number == 3", "pid", "comm == ip",
    "pid > 0 and comm ~ \"^i\"",
    "not (type == NLMSG_ERROR or flags.request) && seq != 0",
    "(family == route || family == generic) and !(errno == 0) and len > 16",
]


def _index(path, registry):
    ix, sc = open_file_index(str(path), Decoder(registry))
    sc.scan(final=True)
    return ix


def _slow(ix, f) -> list[int]:
    return [i for i, m in ix.iter_messages() if f(m, None)]


def _fast(ix, f) -> list[int]:
    view = MessageView(ix, TxnIndex(ix))
    view.start_filter(f.text, f)
    assert view.fast_filter
    view.run_filter(lambda: False)
    assert not view.filtering and view.filter_done == ix.count
    return list(view.rows)


@pytest.mark.parametrize("text", HEADER_FILTERS)
def test_filters_are_header_only(text):
    f = compile_filter(text)
    assert f.needs_decode is False and f.needs_txn is False


@pytest.mark.parametrize("text", ["attr.IFLA_IFNAME == lo", "summary ~ dummy", "malformed",
                                  "extack", "genl.cmd == 3", "txn.status == ok", "latency > 1ms",
                                  "seq == 5 and problems", "IFLA_MTU > 1000"])
def test_other_filters_need_the_decode(text):
    f = compile_filter(text)
    assert f.needs_decode is True
    with pytest.raises(ValueError):
        f.match_header(object())


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_header_path_selects_what_the_decoded_path_selects(path, registry):
    hits = 0
    for text in HEADER_FILTERS:
        f = compile_filter(text)
        # each on a fresh index: nothing decoded before (families that learn as they go)
        slow = _slow(_index(path, registry), f)
        assert _fast(_index(path, registry), f) == slow, text
        hits += bool(slow)
    assert hits >= 8  # the filters select something on every capture


@pytest.mark.parametrize("path", [p for p in CAPTURES if p.suffix == ".pcapng"
                                  and p.parent.name in ("samples", "kmod")], ids=lambda p: p.name)
def test_header_view_has_the_decoded_header(path, registry):
    """Field by field, the view equals the decoded message (the reader's, in order)."""
    ix = _index(path, registry)
    ref = list(Decoder(registry).messages(CaptureReader(path)))
    hv = HeaderView(ix)
    assert len(ref) == ix.count
    for i, m in enumerate(ref):
        # Families that learn (the usersock heuristic, sock_diag) are vouched for too: the
        # index's pass learned in capture order, and names use the state as i was seen.
        clean = not m.is_fragment and 16 <= m.nlmsg_len <= m.end - m.start
        assert hv.usable(i) == clean
        if not hv.usable(i):
            continue
        v = hv.at(i)
        got = (v.number, v.protocol, v.family, v.type, v.type_name, v.kind, v.flags,
               v.flag_names, v.seq, v.pid, v.nlmsg_len, v.direction, v.frame.number,
               v.frame.pid, v.frame.comm)
        want = (m.number, m.protocol, m.family, m.type, m.type_name, m.kind, m.flags,
                m.flag_names, m.seq, m.pid, m.nlmsg_len, m.direction, m.frame.number,
                m.frame.pid, m.frame.comm)
        assert got == want, i
        if m.type in (2, 3):
            first = m.tree[1] if len(m.tree) > 1 else None
            code = first.value if first is not None and first.name in ("error", "value") else None
            assert v.error_code == code, i


def test_header_path_decodes_only_what_the_index_cannot_vouch_for(registry, monkeypatch):
    ix = _index(FIXTURES / "malformed.pcap", registry)
    hv = HeaderView(ix)
    odd = [i for i in range(ix.count) if not hv.usable(i)]
    assert odd and ix.m_odd  # fragments and nlmsg_len out of bounds
    calls = []
    real = ix.decoder.decode
    monkeypatch.setattr(ix.decoder, "decode", lambda m: calls.append(m.number) or real(m))
    f = compile_filter("type == NLMSG_ERROR or seq >= 0")
    _fast(ix, f)
    assert sorted(calls) == [i + 1 for i in odd]
    calls.clear()
    ix = _index(FIXTURES / "golden.pcapng", registry)
    hv = HeaderView(ix)
    monkeypatch.setattr(ix.decoder, "decode", lambda m: calls.append(m.number) or real(m))
    assert _fast(ix, compile_filter("errno == ENETUNREACH")) == [5]
    # what families learn was learned by the index pass in order: nothing left to decode
    assert calls == [i + 1 for i in range(ix.count) if not hv.usable(i)] == []


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_index_messages_are_the_readers(path, registry):
    """Same count and same spans as the reader (iproute2 pads its last message with
    zeros: that is padding, not a message)."""
    ref = list(Decoder(registry).messages(CaptureReader(path)))
    ix = _index(path, registry)
    assert ix.count == len(ref)
    for i in range(0, ix.count, max(1, ix.count // 200)):
        m = ix.message(i)
        assert (m.number, m.frame.number, m.start, m.end, m.type) == \
            (ref[i].number, ref[i].frame.number, ref[i].start, ref[i].end, ref[i].type)


def test_process_fields_agree_with_the_cli_on_a_trace_capture(tmp_path, registry):
    """pid/comm come from the one reader for every consumer (the index used to miss
    the EPB comment: `comm == "python3"` matched 37/37 in the CLI and 0/37 in the TUI)."""
    from nlscope.capture.pcapio import PcapngWriter
    out = tmp_path / "trace.pcapng"
    with open(out, "wb") as f:
        w = PcapngWriter(f)
        for k, fr in enumerate(CaptureReader(str(FIXTURES / "golden.pcapng"))):
            fr.pid, fr.comm = (4242, "python3") if k % 3 else (77, "ip")
            fr.direction = "out" if fr.raw[16 + 6] & 1 else "in"
            w.write(fr)
    import nlscope
    for text in ('comm == "python3"', "pid == 77", 'direction == "in"'):
        flt = compile_filter(text)
        cli = [m.number for m in nlscope.open(str(out), filter=text)]
        ix = _index(out, registry)
        hv = HeaderView(ix)
        tui = [i + 1 for i in range(ix.count) if flt.match_header(hv.at(i))]
        assert cli and tui == cli, text
