"""Reading a decoded payload for a summary line, defensively by design.

A summary runs on whatever the capture holds: a fixed header too short to parse (the
payload is then raw `data`), an attribute of the wrong size (kept as raw bytes, with a
problem saying so), a nest that is missing or repeated. Summaries read values through
these functions: a value comes back only when it has the type asked for, else None
(or "?" where text is wanted), so a summary shows less on bad input and never fails.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Field

_NUMERIC = frozenset({"int", "enum", "flags"})
_TEXT = frozenset({"str", "addr", "mac"})


def child(f: Field | None, *path: str) -> Field | None:
    """f's child by name, then its child, ...; None as soon as one is missing."""
    for name in path:
        if f is None:
            return None
        f = next((c for c in f.children or () if c.name == name), None)
    return f


def attr(fields: Iterable[Field], *path: str) -> Field | None:
    """A top-level attribute by name (the first of a repeated one), then `path` below it."""
    for f in fields:
        if f.name == "attributes":
            return child(f, *path)
    return None


def struct(fields: Iterable[Field], name: str | None = None) -> Field | None:
    """The payload's fixed header (the first struct, or the one called `name`)."""
    for f in fields:
        if f.kind == "struct" and (name is None or f.name == name):
            return f
    return None


def num(f: Field | None, default: Any = None) -> Any:
    """An integer value (int, enum or flags field); `default` for anything else."""
    if f is not None and f.kind in _NUMERIC and isinstance(f.value, int):
        return f.value
    return default


def text(f: Field | None, default: Any = None) -> Any:
    """A textual value (string, address, MAC); `default` for anything else."""
    if f is not None and f.kind in _TEXT and isinstance(f.value, str):
        return f.value
    return default


def raw(f: Field | None) -> bytes | None:
    """The bytes of a binary field (keys, hashes); None for anything else."""
    return f.value if f is not None and f.kind == "bytes" and isinstance(f.value, bytes) else None


def word(f: Field | None, prefix: str = "", default: str = "?") -> str:
    """An enum's name without `prefix`, lower case (its number when unnamed); any other
    typed value as text; `default` when missing or raw."""
    if f is None or f.kind == "bytes":
        return default
    if f.kind == "enum":
        if isinstance(f.meta, str):
            return f.meta.removeprefix(prefix).lower()
        return str(f.value)
    if f.kind in _NUMERIC or f.kind in _TEXT or f.kind == "bool":
        return f.short()
    return default


def short(f: Field | None, default: str = "?") -> str:
    """A typed value as a summary shows it (Field.short: an enum's name, flags joined);
    `default` when missing or raw."""
    if f is None or f.kind == "bytes" or f.kind in ("nest", "struct", "list"):
        return default
    return f.short()


def hexnum(f: Field | None, width: int = 0, default: str = "?") -> str:
    """An integer as 0x... (zero-padded to `width` digits); `default` when not one."""
    v = num(f)
    return default if v is None else f"0x{v:0{width}x}"


def show(v: Any, default: str = "?") -> str:
    """A value read above, for a line: `default` when it was not there."""
    return default if v is None else str(v)
