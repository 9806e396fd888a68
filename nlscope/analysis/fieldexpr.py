"""From a field of a decoded message to the display filter and the column that name it
(Wireshark's "Apply as Filter", "Prepare as Filter" and "Apply as Column").

`filter_for(msg, path)` writes candidates from the most to the least precise (the
field's whole path, its parent and name, its name alone; its value in the forms the
language reads) and keeps the first that compiles and matches the message it was made
from: a filter made from a field always finds that field's message.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..decode.model import Field, Message
from .filter import FilterError, compile_filter, resolve_field

# nlmsghdr members are core fields of the language
_HEADER = {"nlmsg_len": "len", "nlmsg_type": "type", "nlmsg_flags": "flags",
           "nlmsg_seq": "seq", "nlmsg_pid": "portid"}
_CONTAINERS = {"attributes"}  # tree nodes that group attributes: not part of a name
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literals(f: Field) -> list[str]:
    """The value of f as the filter language may read it, preferred first."""
    out: list[str] = []
    if f.kind == "str" and isinstance(f.value, str):
        return [_quote(f.value)]
    short = f.short()
    if isinstance(f.value, bool):
        out.append("1" if f.value else "0")
    if f.kind in ("enum",) and short and _IDENT.match(short):
        out.append(short)
    if isinstance(f.value, int) and not isinstance(f.value, bool):
        out.append(str(f.value))
    if short:
        if _IDENT.match(short) or re.match(r"^[0-9a-fA-F:.]+(/\d+)?$", short):
            out.append(short)
        out.append(_quote(short))
    if isinstance(f.value, (bytes, bytearray)):
        out.append(bytes(f.value).hex(":") if f.value else '""')
    return list(dict.fromkeys(out))


def field_names(path: Sequence[Field]) -> list[str]:
    """Filter field names for the last field of `path` (root first), precise first."""
    names = [p.name for p in path]
    if names and names[0] == "nlmsghdr" and len(names) == 2 and names[1] in _HEADER:
        return [_HEADER[names[1]]]
    if names == ["error"]:
        return ["errno"]
    parts = [n for n in names if n not in _CONTAINERS and n != "nlmsghdr"]
    if not parts:
        return []
    out = [("attr." + ".".join(parts[k:])) for k in range(len(parts))]
    if len(parts) > 2:
        out = [out[0], "attr." + ".".join(parts[-2:]), out[-1]]
    return list(dict.fromkeys(out))


def filter_for(msg: Message, path: Sequence[Field], registry: Any = None) -> str | None:
    """A display filter that selects messages with this field and value (a nest:
    with this field); None when no candidate matches its own message."""
    f = path[-1]
    has_value = not (f.children is not None and f.value is None)
    for name in field_names(path):
        cands = [f"{name} == {lit}" for lit in _literals(f)] if has_value else []
        cands.append(name)  # the field is present
        for text in cands:
            try:
                pred = compile_filter(text, registry)
                if pred(msg, None):
                    return text
            except FilterError:
                continue
            except Exception:  # a getter failing on this message: try the next form
                continue
    return None


def column_for(msg: Message, path: Sequence[Field], registry: Any = None) -> str | None:
    """The field name a column shows for this field: the first of field_names that
    the language knows and that finds a value in `msg`."""
    for name in field_names(path):
        try:
            fd = resolve_field(name, registry)
            if fd.get(msg, None):
                return name
        except FilterError:
            continue
        except Exception:
            continue
    return None


def column_text(msg: Message, name: str, registry: Any = None, txn: Any = None) -> str:
    """The value(s) of field `name` in msg as `read -T fields -e NAME` prints them
    (several occurrences joined with ',')."""
    from ..output.fields import render
    try:
        fd = resolve_field(name, registry)
        vals = fd.get(msg, txn) or []
    except Exception:
        return ""
    return ",".join(render(v, fd) for v in vals)
