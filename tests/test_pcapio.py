"""Capture files: every pcap/pcapng variant reads to the same frames; writers round-trip."""
from __future__ import annotations

import io
import subprocess

import pytest
from conftest import FIXTURES
from fixtures.make_fixtures import GOLDEN_FRAMES, T0, cooked
from tshark import TSHARK

from nlscope.capture.pcapio import CaptureError, CaptureReader, PcapngWriter, PcapWriter, open_writer

GOLDEN_NL = [cooked(p) + d for p, d in GOLDEN_FRAMES]


def frames(name):
    r = CaptureReader(FIXTURES / name)
    return list(r), r


@pytest.mark.parametrize("name", ["golden.pcapng", "golden-be-section.pcapng",
                                  "golden-le-us.pcap", "golden-be-ns.pcap"])
def test_golden_variants_give_the_same_frames(name):
    fr, r = frames(name)
    assert [f.raw for f in fr] == GOLDEN_NL
    assert [f.protocol for f in fr] == [p for p, _ in GOLDEN_FRAMES]
    assert all(f.nl_offset == 16 and f.linktype == 253 for f in fr)
    assert fr[0].ts_ns // 1_000_000_000 == T0


def test_timestamps_per_resolution():
    ns, _ = frames("golden-be-ns.pcap")
    us, _ = frames("golden-le-us.pcap")
    png, _ = frames("golden.pcapng")
    assert ns[2].ts_ns == (T0 + 2) * 10**9 + 3007          # ns magic keeps nanoseconds
    assert us[2].ts_ns == (T0 + 2) * 10**9 + 3000          # µs magic: 3 µs
    assert png[3].ts_ns == T0 * 10**9 + 3 * 1_000_123      # if_tsresol 9


def test_pcapng_skips_foreign_interface_with_one_warning_and_keeps_options():
    fr, r = frames("golden.pcapng")
    assert r.skipped == 1 and len(r.warnings) == 1 and "EN10MB" in r.warnings[0]
    assert r.section_comments == ["nlscope test fixture"]
    assert fr[0].comment == "first request" and fr[0].direction == "out"
    assert fr[1].comment is None and fr[1].direction is None
    assert {f.interface for f in fr} == {1}


def test_simple_packet_block():
    fr, _ = frames("spb.pcapng")
    assert len(fr) == 1 and fr[0].protocol == 0 and fr[0].raw[16:20] == b"\x20\0\0\0"


def test_sll_and_sll2():
    fr, r = frames("sll.pcap")
    assert len(fr) == 2 and r.skipped == 1 and "hatype 1" in r.warnings[0]
    fr2, _ = frames("sll2.pcap")
    assert [(f.nl_offset, f.protocol) for f in fr2] == [(20, 0), (20, 16)]


def test_truncated_file_yields_every_whole_record_and_warns():
    fr, r = frames("truncated.pcap")
    assert [f.raw for f in fr] == GOLDEN_NL[:-1]
    assert len(r.warnings) == 1 and "truncated" in r.warnings[0]


@pytest.mark.parametrize("name,needle", [("ethernet.pcap", "EN10MB is not netlink"),
                                         ("not-a-capture.txt", "not a pcap or pcapng"),
                                         ("does-not-exist.pcap", "No such file")])
def test_unreadable_files_raise_one_clear_error(name, needle):
    with pytest.raises(CaptureError, match=needle):
        CaptureReader(FIXTURES / name)


def test_reader_streams(tmp_path):
    """A file much larger than what is read so far is never loaded whole."""
    path = tmp_path / "big.pcapng"
    with open(path, "wb") as f:
        w = PcapngWriter(f)
        src, _ = frames("golden.pcapng")
        for i in range(20000):
            fr = src[i % len(src)]
            fr.ts_ns += 1
            w.write(fr)
    r = CaptureReader(path)
    it = iter(r)
    next(it)
    assert r.tell() < 64 * 1024 < r.size


@pytest.mark.parametrize("fmt", ["pcapng", "pcap"])
def test_writer_round_trip(tmp_path, fmt):
    src, _ = frames("golden.pcapng")
    out = tmp_path / f"rt.{fmt}"
    with open(out, "wb") as f:
        w = open_writer(f, fmt)
        for fr in src:
            w.write(fr)
    back, r = frames(out)
    assert [(b.raw, b.ts_ns, b.protocol) for b in back] == [(s.raw, s.ts_ns, s.protocol) for s in src]
    if fmt == "pcapng":
        assert back[0].comment == "first request" and back[0].direction == "out"
    assert not r.warnings


def test_writer_converts_sll2_to_netlink_linktype(tmp_path):
    src, _ = frames("sll2.pcap")
    buf = io.BytesIO()
    w = PcapWriter(buf)
    for fr in src:
        w.write(fr)
    p = tmp_path / "x.pcap"
    p.write_bytes(buf.getvalue())
    back, _ = frames(p)
    assert [(b.linktype, b.protocol, bytes(b.payload)) for b in back] == \
           [(253, s.protocol, bytes(s.payload)) for s in src]


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
@pytest.mark.parametrize("fmt", ["pcapng", "pcap"])
def test_tshark_reads_what_we_write(tmp_path, fmt):
    src, _ = frames("golden.pcapng")
    out = tmp_path / f"w.{fmt}"
    with open(out, "wb") as f:
        w = open_writer(f, fmt)
        for fr in src:
            w.write(fr)
    res = subprocess.run([TSHARK, "-r", str(out), "-T", "fields", "-e", "frame.number",
                          "-e", "netlink.hdr_seq", "-e", "frame.comment"],
                         capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    assert len(rows) == len(src)
    # 13 messages in 11 frames, plus the 3 requests echoed in NLMSG_ERRORs
    seqs = [s for row in rows for s in row[1].split(",") if s]
    assert len(seqs) == 13 + 3
    if fmt == "pcapng":
        assert rows[0][2] == "first request"
