"""Sinks by name: where the pipeline's messages go (text, verbose, jsonl, json, pcapng,
pcap, fields, stats, parquet...). Every command and the TUI's save use these.

A sink is a class registered with `@sink("name")`. The pipeline builds it with the
output stream and the options, then calls `write(msg, txn)` for each message in
capture order (msg: a lazy nlscope.decode.model.Message, decoded only when the sink
asks for its tree or summary; txn: its nlscope.analysis.transactions.Transaction, or
None), and `close()` once at the end. A sink says what it needs, so the pipeline
does only that work:
  binary      it writes bytes (a capture file, parquet), not text
  needs_txn   it shows what a transaction became (status, reply_in, latency): a file
              is paired before it is written, a live stream after a bounded wait
  per_txn     it writes one row per transaction (`read --transactions`)
  needs_members  it reads all the messages of a transaction (else a Transaction keeps
              only its first message: flat memory on big dumps)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

SINKS: dict[str, type[Sink]] = {}


class SinkError(Exception):
    """Options a sink cannot work with (a usage error: one line, exit 2)."""


@dataclass
class SinkOptions:
    time: str = "r"  # r relative to the first message, a absolute UTC, e epoch
    hex: bool = False  # text/verbose: a hex dump after each message
    fields: list[str] = field(default_factory=list)  # fields sink: -e NAME...
    header: bool = False  # fields sink: -E header=y
    separator: str = "\t"  # fields sink: -E separator=
    occurrence: str = "a"  # fields sink: -E occurrence=f|l|a (first, last, all)
    aggregator: str = ","  # fields sink: -E aggregator=
    quote: str = "n"  # fields sink: -E quote=d|s|n
    comments: list[str] = field(default_factory=list)  # capture files: section comments
    flush: bool = False  # flush after every message (live sources, pipes)
    top: int = 10  # stats: talkers shown
    process: bool = False  # text: Dir and Process columns (trace captures)
    quiet: bool = False  # text: no column header
    extra: dict[str, Any] = field(default_factory=dict)


class Sink:
    name = ""
    binary = False
    needs_txn = False
    per_txn = False
    needs_members = False  # it reads every message of a transaction (Transaction.messages)
    first_ns: int | None = None  # the first message's time (set by the pipeline)

    def __init__(self, out: IO, opts: SinkOptions):
        self.out = out
        self.opts = opts

    def write(self, msg: Any, txn: Any) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """End of the messages: write what is left (a JSON array's end, a report)."""


def sink(name: str) -> Callable[[type[Sink]], type[Sink]]:
    def register(cls: type[Sink]) -> type[Sink]:
        cls.name = name
        SINKS[name] = cls
        return cls
    return register


def get_sink(name: str) -> type[Sink]:
    load_builtin()
    try:
        return SINKS[name]
    except KeyError:
        raise SinkError(f"unknown output format {name!r} (one of: {', '.join(sorted(SINKS))})") from None


_BUILTIN = ("text", "export", "capfile", "fields", "stats_sink", "parquet")


def load_builtin() -> None:
    """Import the built-in sink modules (each registers itself)."""
    import importlib
    for mod in _BUILTIN:
        try:
            importlib.import_module(f"{__package__}.{mod}")
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.{mod}":
                raise
