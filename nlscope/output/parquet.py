"""Parquet export (`--format parquet`): one row per message, the header and transaction
fields as typed columns, the payload as JSON text, the bytes as binary, so a fleet's
captures can be queried with DuckDB, Spark or pandas.

Every value comes from the message's JSON record (nlscope.output.export.message_to_json,
README "JSON schema"), so a column means exactly what the same key means in the JSONL
export. Streaming: rows are gathered in small Arrow batches and written as a row group
as soon as one is full (ROW_GROUP_ROWS rows, or ROW_GROUP_BYTES of Arrow data, whichever
comes first); the sink never holds more than one row group.

pyarrow is an optional extra (`pip install 'nlscope[parquet]'`), imported only when a
parquet sink is built.
"""
from __future__ import annotations

from typing import IO, Any

from .export import SCHEMA_VERSION, dumps, message_to_json
from .sinks import Sink, SinkError, SinkOptions, sink

ROW_GROUP_ROWS = 65536  # rows per row group (opts.extra["row_group_size"])
ROW_GROUP_BYTES = 16 << 20  # ... or once its Arrow data is this big (opts.extra["row_group_bytes"])
BATCH_ROWS = 1024  # Python rows turned into one Arrow batch (bounds the per-row objects)
COMPRESSION = "zstd"  # opts.extra["compression"]: zstd, snappy, gzip, lz4, brotli, none

# (column, type): the file's schema, in order. Types are spelled for _arrow_type;
# "?" marks a nullable column.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "uint64"),               # message number in the capture, from 1
    ("frame", "uint64"),                # frame number, from 1
    ("index_in_frame", "uint32"),       # index: the message's index in its frame
    ("ts", "timestamp"),                # capture time, ns, UTC
    ("ts_ns", "int64"),                 # the same, integer ns since the epoch
    ("family", "string"),               # family.name: route, generic, ...
    ("protocol", "int32"),              # family.value: the netlink protocol number
                                        # (-1: a frame too short for its link header)
    ("direction", "string"),            # out (user to kernel), in
    ("byteorder", "string"),            # little, big
    ("offset_in_frame", "uint32"),      # offset: its byte offset in the frame (link header
                                        # included; OFFSET is an SQL keyword)
    ("pid", "int32?"),                  # the process, when the source knows it
    ("comm", "string?"),
    ("header_len", "uint32?"),          # header.*: null for a fragment too short for one
    ("header_type", "uint16?"),
    ("header_type_name", "string?"),
    ("header_flags", "uint16?"),
    ("header_flags_names", "list<string>?"),
    ("header_seq", "uint32?"),
    ("header_portid", "uint32?"),       # header.pid (nlmsg_pid), not the process
    ("summary", "string"),
    ("problems", "list<string>"),
    ("txn_id", "uint64?"),              # txn.*: null for a message without a transaction
    ("txn_role", "string?"),
    ("txn_status", "string?"),
    ("txn_expects", "string?"),         # requests only
    ("txn_reply_in", "uint64?"),        # requests only
    ("txn_end_in", "uint64?"),          # requests only
    ("txn_replies", "uint64?"),         # requests only
    ("txn_events", "list<uint64>?"),    # requests only (empty when none)
    ("txn_reply_to", "uint64?"),        # answers only
    ("txn_caused_by", "uint64?"),       # notifications caused by a request
    ("txn_latency_ns", "int64?"),
    ("txn_first_latency_ns", "int64?"),
    ("txn_portid", "uint32?"),          # learned from the answers
    ("txn_errno", "int32?"),            # positive errno
    ("txn_errno_name", "string?"),
    ("txn_extack", "string?"),
    ("txn_error_attr", "string?"),
    ("payload", "string"),              # the "payload" object as JSON text
    ("raw", "binary"),                  # the message's bytes
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)

MISSING_PYARROW = "parquet output needs pyarrow: pip install 'nlscope[parquet]'"


def _import_pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise SinkError(MISSING_PYARROW) from None
    return pa, pq


def _memory_pool(pa: Any) -> Any:
    """jemalloc where pyarrow has it: with mimalloc (pyarrow's default on Linux) the same
    export kept ~20 MB more resident (freed pages are not given back as soon)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.system_memory_pool()


def _arrow_type(pa: Any, spec: str) -> Any:
    if spec == "timestamp":
        return pa.timestamp("ns", tz="UTC")
    if spec.startswith("list<"):
        return pa.list_(_arrow_type(pa, spec[5:-1]))
    return getattr(pa, spec)()


def arrow_schema(pa: Any | None = None) -> Any:
    """The file's Arrow schema (the same for every capture: files of a fleet concatenate)."""
    if pa is None:
        pa, _ = _import_pyarrow()
    return pa.schema([pa.field(name, _arrow_type(pa, spec.rstrip("?")), nullable=spec.endswith("?"))
                      for name, spec in COLUMNS],
                     metadata={"nlscope.schema_version": str(SCHEMA_VERSION)})


def record_row(rec: dict[str, Any], raw: bytes) -> tuple:
    """One row, in COLUMNS order, from a message's JSON record and its bytes."""
    hdr = rec["header"]
    t = rec["txn"]
    if hdr is not None:
        htype, hflags = hdr["type"], hdr["flags"]
        header = (hdr["len"], htype["value"], htype["name"], hflags["value"], hflags["names"],
                  hdr["seq"], hdr["pid"])
    else:
        header = (None,) * 7
    if t is not None:
        get = t.get
        request = t["role"] == "request"
        err = get("errno")
        txn = (t["id"], t["role"], t["status"], get("expects"), get("reply_in"), get("end_in"),
               get("replies"), get("events", []) if request else None, get("reply_to"),
               get("caused_by"), get("latency_ns"), get("first_latency_ns"), get("portid"),
               err["value"] if err is not None else None, err["name"] if err is not None else None,
               get("extack"), get("error_attr"))
    else:
        txn = (None,) * 17
    ts = rec["ts_ns"]
    fam = rec["family"]
    return (rec["number"], rec["frame"], rec["index"], ts, ts, fam["name"], fam["value"],
            rec["direction"], rec["byteorder"], rec["offset"], rec.get("pid"), rec.get("comm"),
            *header, rec["summary"], rec["problems"], *txn, dumps(rec["payload"]), raw)


@sink("parquet")
class ParquetSink(Sink):
    """Rows of messages in a Parquet file, written a row group at a time.

    opts.extra: "row_group_size" (rows, default ROW_GROUP_ROWS), "row_group_bytes"
    (default ROW_GROUP_BYTES), "compression" (default zstd).
    """

    binary = True
    needs_txn = True

    def __init__(self, out: IO[bytes], opts: SinkOptions):
        super().__init__(out, opts)
        pa, pq = _import_pyarrow()
        self._pa = pa
        ex = opts.extra
        self.row_group_size = int(ex.get("row_group_size") or ROW_GROUP_ROWS)
        self.row_group_bytes = int(ex.get("row_group_bytes") or ROW_GROUP_BYTES)
        if self.row_group_size < 1 or self.row_group_bytes < 1:
            raise SinkError("parquet: row groups need at least one row and one byte")
        self._batch_rows = min(BATCH_ROWS, self.row_group_size)
        compression = ex.get("compression") or COMPRESSION
        self.schema = arrow_schema(pa)
        self._pool = _memory_pool(pa)
        try:
            self._writer = pq.ParquetWriter(out, self.schema, compression=compression,
                                            memory_pool=self._pool)
        except (ValueError, TypeError, pa.ArrowException) as e:
            raise SinkError(f"parquet: {e}") from None
        self._rows: list[tuple] = []  # rows not yet in an Arrow batch
        self._batches: list[Any] = []  # Arrow batches of the row group being filled
        self._group_rows = 0  # rows in self._batches
        self._group_bytes = 0
        self.rows_written = 0
        self.row_groups = 0

    @property
    def buffered_rows(self) -> int:
        """Rows held, not yet written (less than one row group)."""
        return self._group_rows + len(self._rows)

    def write(self, msg: Any, txn: Any) -> None:
        self._rows.append(record_row(message_to_json(msg, txn), msg.raw))
        if len(self._rows) >= self._batch_rows or self.buffered_rows >= self.row_group_size:
            self._to_batch()
            if self._group_rows >= self.row_group_size or self._group_bytes >= self.row_group_bytes:
                self._write_group()

    def _to_batch(self) -> None:
        if not self._rows:
            return
        cols = list(zip(*self._rows))
        self._rows = []
        pa, pool = self._pa, self._pool
        arrays = [pa.array(col, type=f.type, memory_pool=pool) for col, f in zip(cols, self.schema)]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self._batches.append(batch)
        self._group_rows += batch.num_rows
        self._group_bytes += batch.nbytes

    def _write_group(self) -> None:
        if not self._group_rows:
            return
        table = self._pa.Table.from_batches(self._batches, schema=self.schema)
        self._batches = []
        self._writer.write_table(table, row_group_size=table.num_rows)
        self.rows_written += table.num_rows
        self.row_groups += 1
        self._group_rows = self._group_bytes = 0

    def close(self) -> None:
        """Write the last row group and the file's footer (the stream stays open)."""
        if self._writer is None:
            return
        self._to_batch()
        self._write_group()
        self._writer.close()
        self._writer = None
        if self.opts.flush:
            self.out.flush()
