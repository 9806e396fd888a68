"""JSON / JSONL export of decoded messages (schema in README.md, "JSON schema").

Streaming: one message is serialised at a time, even for the JSON array format.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from .model import Message, fields_to_json

SCHEMA_VERSION = 1


def message_to_json(msg: Message) -> dict[str, Any]:
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
    out["payload"] = fields_to_json(msg.tree[1:])
    out["problems"] = list(msg.problems)
    out["raw"] = msg.raw.hex()
    return out


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(messages: Iterable[Message], out: TextIO, flush: bool = False) -> int:
    n = 0
    for m in messages:
        out.write(dumps(message_to_json(m)))
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
        out.write(json.dumps(message_to_json(m), ensure_ascii=False, indent=None))
        n += 1
    out.write("\n]\n")
    return n
