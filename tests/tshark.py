"""Run tshark (the reference decoder) on a capture and pull out what it decoded.

tshark's JSON repeats keys (one "netlink-route" layer per message in a frame, one
"Attribute: ..." per attribute), so it is parsed into ordered (key, value) pairs.
"""
from __future__ import annotations

import functools
import json
import shutil
import subprocess
from typing import Any

Pairs = list[tuple[str, Any]]

TSHARK = shutil.which("tshark")


@functools.lru_cache(maxsize=64)
def tshark_frames(path: str) -> tuple[Pairs, ...]:
    """Per frame, its layers as (name, pairs), frame layer included."""
    out = subprocess.run([TSHARK, "-r", path, "-T", "json"], capture_output=True, check=True).stdout
    pkts = json.loads(out, object_pairs_hook=lambda p: p)
    frames = []
    for pkt in pkts:
        src = dict(pkt)["_source"]
        frames.append(dict(src)["layers"])
    return tuple(frames)


def is_pairs(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and isinstance(v[0], tuple)


def _header(pairs: Pairs) -> dict[str, int]:
    h: dict[str, int] = {}
    for k, v in pairs:
        if k == "netlink.hdr_len":
            h["len"] = int(v)
        elif k in ("netlink.hdr_type", "genl.family_id") or k.endswith(".nltype"):
            h["type"] = int(v, 0)
        elif k == "netlink.hdr_flags":
            h["flags"] = int(v, 0)
        elif k == "netlink.hdr_seq":
            h["seq"] = int(v)
        elif k == "netlink.hdr_pid":
            h["pid"] = int(v)
    return h


def netlink_messages(layers: Pairs) -> list[dict[str, Any]]:
    """The top-level netlink messages tshark found in one frame, in order: header
    fields, family number and (for NLMSG_ERROR) the errno."""
    family = None
    msgs: list[dict[str, Any]] = []
    for name, pairs in layers:
        if name == "netlink":
            for k, v in pairs:
                if k == "netlink.family":
                    family = int(v, 0)
            continue
        if name in ("frame", "pkt_comment") or not is_pairs(pairs):
            continue
        current = None
        for k, v in pairs:
            if k.startswith("Netlink message header") and is_pairs(v):
                if current is not None and "error" in current and "original" not in current:
                    current["original"] = _header(v)  # embedded header of an NLMSG_ERROR
                    continue
                current = _header(v)
                current["family"] = family
                current["layer"] = name
                msgs.append(current)
            elif k == "netlink.error" and current is not None:
                current["error"] = int(v)
    return msgs


def find_all(pairs: Pairs, key: str) -> list[Any]:
    """Every value of `key` anywhere under pairs, in document order."""
    out = []
    for k, v in pairs:
        if k == key:
            out.append(v)
        if is_pairs(v):
            out.extend(find_all(v, key))
    return out
