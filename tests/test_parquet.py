"""The parquet sink: every sample written, read back with pyarrow and queried with
DuckDB, row by row equal to the JSONL export's records; row groups written as they
fill (bounded memory); the error when pyarrow is missing."""
from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES, SAMPLES

from nlscope.analysis.transactions import correlate
from nlscope.capture.pcapio import CaptureReader, PcapngWriter
from nlscope.capture.trace import StraceParser
from nlscope.decode.decoder import Decoder
from nlscope.output import parquet as pqsink
from nlscope.output.export import message_to_json
from nlscope.output.sinks import SinkError, SinkOptions, get_sink

# Every key of the JSON record and of its "txn" object has a column (a new key fails here).
RECORD_KEYS = {"number", "frame", "index", "ts_ns", "timestamp", "family", "direction",
               "byteorder", "offset", "pid", "comm", "header", "summary", "txn", "payload",
               "problems", "raw"}
TXN_KEYS = {"id", "role", "status", "expects", "reply_in", "end_in", "replies", "events",
            "reply_to", "caused_by", "latency_ns", "first_latency_ns", "portid", "errno",
            "extack", "error_attr"}


def expected_row(rec: dict) -> dict:
    """What each column holds, read from the JSON record (README, JSON schema)."""
    assert set(rec) <= RECORD_KEYS
    h = rec["header"] or {}
    t = rec["txn"] or {}
    assert set(t) <= TXN_KEYS
    err = t.get("errno") or {}
    return {
        "number": rec["number"], "frame": rec["frame"], "index_in_frame": rec["index"],
        "ts_ns": rec["ts_ns"], "family": rec["family"]["name"], "protocol": rec["family"]["value"],
        "direction": rec["direction"], "byteorder": rec["byteorder"],
        "offset_in_frame": rec["offset"],
        "pid": rec.get("pid"), "comm": rec.get("comm"),
        "header_len": h.get("len"),
        "header_type": h["type"]["value"] if h else None,
        "header_type_name": h["type"]["name"] if h else None,
        "header_flags": h["flags"]["value"] if h else None,
        "header_flags_names": h["flags"]["names"] if h else None,
        "header_seq": h.get("seq"), "header_portid": h.get("pid"),
        "summary": rec["summary"], "problems": rec["problems"],
        "txn_id": t.get("id"), "txn_role": t.get("role"), "txn_status": t.get("status"),
        "txn_expects": t.get("expects"), "txn_reply_in": t.get("reply_in"),
        "txn_end_in": t.get("end_in"), "txn_replies": t.get("replies"),
        "txn_events": t.get("events", []) if t.get("role") == "request" else None,
        "txn_reply_to": t.get("reply_to"), "txn_caused_by": t.get("caused_by"),
        "txn_latency_ns": t.get("latency_ns"), "txn_first_latency_ns": t.get("first_latency_ns"),
        "txn_portid": t.get("portid"), "txn_errno": err.get("value"),
        "txn_errno_name": err.get("name"), "txn_extack": t.get("extack"),
        "txn_error_attr": t.get("error_attr"),
    }


def _trace_capture(directory: Path) -> Path:
    """A capture of the trace source (pid, comm and direction on every frame)."""
    frames = StraceParser().parse((FIXTURES / "trace" / "client.strace").read_text().splitlines())
    path = directory / "trace.pcapng"
    with open(path, "wb") as f:
        w = PcapngWriter(f, ifname="trace")
        for fr in frames:
            w.write(fr)
    return path


def _pairs(path: Path, registry) -> list:
    msgs = Decoder(registry).messages(CaptureReader(str(path)))
    return list(correlate(msgs, registry=registry))


def _write(pairs, out, **extra):
    s = get_sink("parquet")(out, SinkOptions(extra=extra))
    for m, t in pairs:
        s.write(m, t)
    s.close()
    return s


@pytest.fixture(scope="module")
def written(tmp_path_factory, registry):
    """Each capture (the samples, a trace capture with pid/comm, one with fragments)
    as a parquet file and the JSON records of the same messages."""
    d = tmp_path_factory.mktemp("parquet")
    caps = sorted(SAMPLES.glob("*.pcapng")) + [_trace_capture(d), FIXTURES / "malformed.pcap"]
    out = []
    for cap in caps:
        pairs = _pairs(cap, registry)
        path = d / f"{cap.stem}.parquet"
        with open(path, "wb") as f:
            _write(pairs, f)
        records = [message_to_json(m, t) for m, t in pairs]
        out.append((cap, path, records))
    return out


def test_every_sample_reads_back_with_pyarrow_equal_to_the_json_export(written):
    nulls = Counter()
    for cap, path, records in written:
        f = pq.ParquetFile(path)
        assert f.schema_arrow == pqsink.arrow_schema()
        assert f.schema_arrow.metadata[b"nlscope.schema_version"] == b"1"
        table = f.read()
        assert table.num_rows == len(records) > 0, cap.name
        ts = table.column("ts")
        assert ts.type == pa.timestamp("ns", tz="UTC")
        assert ts.cast(pa.int64()).to_pylist() == [r["ts_ns"] for r in records]
        rows = table.drop_columns(["ts"]).to_pylist()
        for row, rec in zip(rows, records):
            payload, raw = row.pop("payload"), row.pop("raw")
            assert row == expected_row(rec), (cap.name, rec["number"])
            assert json.loads(payload) == rec["payload"]
            assert raw.hex() == rec["raw"]
            nulls.update(k for k, v in row.items() if v is None)
    # the captures exercise both sides of the nullable columns
    for col in ("pid", "comm", "header_len", "txn_id", "txn_errno", "txn_extack",
                "txn_error_attr", "txn_caused_by", "txn_portid", "txn_reply_to"):
        assert nulls[col], col
    rows = [r for _, p, _ in written for r in pq.read_table(p).drop_columns(["ts"]).to_pylist()]
    for col in ("pid", "comm", "header_len", "txn_id", "txn_errno", "txn_extack",
                "txn_error_attr", "txn_caused_by", "txn_portid", "txn_reply_to", "txn_events"):
        assert any(r[col] for r in rows), col


def test_duckdb_reads_every_file_row_by_row(written):
    con = duckdb.connect()
    cols = [c for c in pqsink.COLUMN_NAMES if c not in ("ts", "payload", "raw")]
    for cap, path, records in written:
        cur = con.execute(f"SELECT {', '.join(cols)}, epoch_ns(ts) AS ts_epoch, payload, raw "
                          "FROM read_parquet(?) ORDER BY number", [str(path)])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
        assert len(rows) == len(records), cap.name
        for row, rec in zip(rows, records):
            # older DuckDB versions read a ns timestamp as microseconds
            assert row.pop("ts_epoch") // 1000 == rec["ts_ns"] // 1000
            assert json.loads(row.pop("payload")) == rec["payload"]
            assert bytes(row.pop("raw")).hex() == rec["raw"]
            assert row == expected_row(rec), (cap.name, rec["number"])


def test_duckdb_queries_as_users_write_them(written):
    con = duckdb.connect()
    files = [str(p) for _, p, _ in written]
    records = [r for _, _, recs in written for r in recs]

    # a fleet's files at once: one schema, so they read as one table
    got = dict(con.execute("SELECT header_type_name, count(*) FROM read_parquet(?) "
                           "GROUP BY header_type_name", [files]).fetchall())
    assert got == Counter(r["header"]["type"]["name"] if r["header"] else None for r in records)

    for _, path, recs in written:
        got = con.execute("SELECT number, txn_errno_name, txn_extack FROM read_parquet(?) "
                          "WHERE txn_status = 'error' ORDER BY number", [str(path)]).fetchall()
        assert got == [(r["number"], r["txn"].get("errno", {}).get("name"), r["txn"].get("extack"))
                       for r in recs if r["txn"] and r["txn"]["status"] == "error"]
    errors = con.execute("SELECT count(*) FROM read_parquet(?) WHERE txn_status = 'error'",
                         [files]).fetchone()[0]
    assert errors > 0

    # the payload is JSON text that DuckDB's JSON functions read
    got = con.execute("SELECT number, payload->>'$.error.name' FROM read_parquet(?) "
                      "WHERE header_type_name = 'NLMSG_ERROR' AND txn_role = 'error' "
                      "ORDER BY number", [written[0][1].as_posix()]).fetchall()
    recs = written[0][2]
    assert got and got == [(r["number"], r["payload"]["error"]["name"]) for r in recs
                           if r["header"] and r["header"]["type"]["name"] == "NLMSG_ERROR"
                           and r["txn"]["role"] == "error"]

    # latency per request type, in SQL (a typical fleet question)
    got = con.execute("SELECT header_type_name, max(txn_latency_ns) FROM read_parquet(?) "
                      "WHERE txn_role = 'request' GROUP BY 1", [files]).fetchall()
    want: dict = {}
    for r in records:
        if r["txn"] and r["txn"]["role"] == "request":
            k, v = r["header"]["type"]["name"], r["txn"].get("latency_ns")
            old = want.get(k)
            want[k] = v if old is None else old if v is None else max(old, v)
    assert dict(got) == want


def test_row_groups_are_written_as_they_fill(registry):
    pairs = _pairs(SAMPLES / "genl.pcapng", registry)
    n = len(pairs)
    assert n > 300
    out = io.BytesIO()
    s = get_sink("parquet")(out, SinkOptions(extra={"row_group_size": 100}))
    sizes = []
    for i, (m, t) in enumerate(pairs, 1):
        s.write(m, t)
        assert s.buffered_rows == i % 100  # a full group leaves the sink at once
        assert s.rows_written == i - i % 100
        sizes.append(out.tell())
    assert sizes[98] < sizes[99] < sizes[199]  # bytes reach the stream before close
    s.close()
    assert s.buffered_rows == 0 and s.rows_written == n
    meta = pq.ParquetFile(io.BytesIO(out.getvalue())).metadata
    assert meta.num_row_groups == math.ceil(n / 100) == s.row_groups
    assert [meta.row_group(g).num_rows for g in range(meta.num_row_groups)] == \
           [100] * (n // 100) + ([n % 100] if n % 100 else [])


def test_a_row_group_is_also_bounded_by_its_bytes(registry):
    pairs = [p for cap in sorted(SAMPLES.glob("*.pcapng")) for p in _pairs(cap, registry)] * 2
    n = len(pairs)
    assert n > pqsink.BATCH_ROWS
    out = io.BytesIO()
    s = _write(pairs, out, row_group_size=10**9, row_group_bytes=1)
    meta = pq.ParquetFile(io.BytesIO(out.getvalue())).metadata
    b = pqsink.BATCH_ROWS
    assert [meta.row_group(g).num_rows for g in range(meta.num_row_groups)] == \
           [b] * (n // b) + ([n % b] if n % b else [])
    assert s.rows_written == n


def test_default_row_groups_and_an_empty_file(registry):
    out = io.BytesIO()
    _write(_pairs(SAMPLES / "mixed.pcapng", registry), out)
    assert pq.ParquetFile(io.BytesIO(out.getvalue())).metadata.num_row_groups == 1
    out = io.BytesIO()
    _write([], out)
    table = pq.read_table(io.BytesIO(out.getvalue()))
    assert table.num_rows == 0 and table.schema == pqsink.arrow_schema()


class _Pipe(io.RawIOBase):
    """A stream that cannot seek or tell (stdout into a pipe)."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def seekable(self):
        return False

    def tell(self):
        raise OSError("Illegal seek")

    def write(self, b):
        self.data += b
        return len(b)


def test_writes_to_a_stream_that_cannot_seek(registry):
    pairs = _pairs(SAMPLES / "xfrm.pcapng", registry)
    out = _Pipe()
    _write(pairs, out, row_group_size=16)
    assert not out.closed  # the caller closes its stream
    table = pq.read_table(io.BytesIO(bytes(out.data)))
    assert table.column("number").to_pylist() == [m.number for m, _ in pairs]


def test_the_sink_is_registered_and_bad_options_are_usage_errors():
    cls = get_sink("parquet")
    assert cls is pqsink.ParquetSink and cls.binary and cls.needs_txn
    with pytest.raises(SinkError, match="parquet: .*compression"):
        cls(io.BytesIO(), SinkOptions(extra={"compression": "nope"}))
    with pytest.raises(SinkError):
        cls(io.BytesIO(), SinkOptions(extra={"row_group_size": -1}))


def test_missing_pyarrow_is_a_one_line_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(SinkError) as e:
        get_sink("parquet")(io.BytesIO(), SinkOptions())
    assert str(e.value) == "parquet output needs pyarrow: pip install 'nlscope[parquet]'"


def test_nlscope_does_not_import_pyarrow_until_a_parquet_sink_is_built():
    code = ("import sys, nlscope.output.sinks as s; s.load_builtin(); s.get_sink('parquet'); "
            "assert 'pyarrow' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
