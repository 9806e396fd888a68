"""JSON / JSONL export of decoded messages (schema in README.md, "JSON schema").

Streaming: one message is serialised at a time, even for the JSON array format.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

from ..decode.model import _UNSET, Message
from .sinks import Sink, sink

SCHEMA_VERSION = 1


def message_to_json(msg: Message, txn: Any = _UNSET) -> dict[str, Any]:
    """One message as JSON (Message.to_json); given its transaction (None for none),
    with a "txn" object."""
    return msg.to_json(txn)


def dumps(obj: Any) -> str:
    """Compact JSON text, UTF-8 kept. orjson writes the same text as the stdlib at a
    fraction of the cost; what it refuses (an integer wider than 64 bits, a lone
    surrogate) goes to the stdlib, which takes anything the records hold."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@sink("jsonl")
class JsonlSink(Sink):
    """One JSON object per line, each with its transaction."""

    needs_txn = True

    def write(self, msg: Message, txn: Any) -> None:
        self.out.write(dumps(msg.to_json(txn)))
        self.out.write("\n")
        if self.opts.flush:
            self.out.flush()


@sink("json")
class JsonSink(Sink):
    """A JSON array, written as it goes (never held whole)."""

    needs_txn = True
    _n = 0

    def write(self, msg: Message, txn: Any) -> None:
        self.out.write(",\n" if self._n else "[\n")
        self.out.write(dumps(msg.to_json(txn)))
        self._n += 1

    def close(self) -> None:
        self.out.write("\n]\n" if self._n else "[\n]\n")
