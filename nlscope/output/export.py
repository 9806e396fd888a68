"""JSON / JSONL export of decoded messages (schema in README.md, "JSON schema").

Streaming: one message is serialised at a time, even for the JSON array format.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from ..decode.model import Message, fields_to_json
from ..analysis.transactions import Transaction, link_json

SCHEMA_VERSION = 1


_NO_TXN: Any = object()


def message_to_json(msg: Message, txn: Transaction | None = _NO_TXN) -> dict[str, Any]:
    """One message as JSON; given its transaction (None for none), with a "txn" object."""
    fr = msg.frame
    out: dict[str, Any] = {
        "number": msg.number,
        "frame": fr.number,
        "index": msg.index,
        "ts_ns": fr.ts_ns,
        "timestamp": f"{fr.ts_ns // 1_000_000_000}.{fr.ts_ns % 1_000_000_000:09d}",
        "family": {"name": msg.family, "value": fr.protocol},
        "direction": msg.direction,
        "byteorder": "little" if msg.order == "<" else "big",
        "offset": msg.start,
    }
    if fr.pid is not None:
        out["pid"] = fr.pid
    if fr.comm is not None:
        out["comm"] = fr.comm
    if msg.is_fragment:
        out["header"] = None
    else:
        out["header"] = {
            "len": msg.nlmsg_len,
            "type": {"name": msg.type_name, "value": msg.type},
            "flags": {"value": msg.flags, "names": msg.flag_names},
            "seq": msg.seq,
            "pid": msg.pid,
        }
    out["summary"] = msg.summary
    if txn is not _NO_TXN:
        out["txn"] = link_json(msg, txn)
    out["payload"] = fields_to_json(msg.tree[1:])
    out["problems"] = list(msg.problems)
    out["raw"] = msg.raw.hex()
    return out


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _to_json(item: Message | tuple[Message, Transaction | None]) -> dict[str, Any]:
    """A message, or a (message, transaction) pair as nlscope.analysis.transactions.correlate gives."""
    if type(item) is tuple:
        return message_to_json(item[0], item[1])
    return message_to_json(item)


def write_jsonl(messages: Iterable[Message], out: TextIO, flush: bool = False) -> int:
    n = 0
    for m in messages:
        out.write(dumps(_to_json(m)))
        out.write("\n")
        if flush:
            out.flush()
        n += 1
    return n


def write_json(messages: Iterable[Message], out: TextIO) -> int:
    n = 0
    out.write("[")
    for m in messages:
        out.write(",\n" if n else "\n")
        out.write(json.dumps(_to_json(m), ensure_ascii=False, indent=None))
        n += 1
    out.write("\n]\n")
    return n
