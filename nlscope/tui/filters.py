"""The display filter, as the TUI uses it: compile, validate (with the error's
column), field names for completion.

The language is nlscope.analysis.filter's: compile_filter(text, registry) -> Filter,
called with (message, transaction) and telling by `needs_txn` whether it reads the
transaction; FilterError(msg, column from 1); field_names(), here with every attribute
name the registry's families decode (`attr.IFLA_IFNAME`...). Pass the registry the app
decodes with (plugins, YNL specs); None is the built-in one. Without that module (a trimmed
build), a plain fallback keeps the bar working: every word must occur in the
message's line (family, type, flags, Info), case-insensitively; `!word` must not.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ..decode.model import Message

Predicate = Callable[..., bool]  # (message, transaction or None) -> bool; .needs_txn


@dataclass(slots=True)
class FilterProblem(Exception):
    message: str
    column: int | None = None  # 0-based position of the error in the text

    def __str__(self) -> str:
        return self.message


def _library():
    try:
        return importlib.import_module("nlscope.analysis.filter")
    except ImportError:
        return None


def have_library() -> bool:
    return _library() is not None


def compile_filter(text: str, registry=None) -> Predicate | None:
    """A predicate for `text`, None for an empty filter; FilterProblem if invalid."""
    if not text.strip():
        return None  # (positions count in the text as typed: no stripping)
    lib = _library()
    if lib is not None:
        try:
            pred = lib.compile_filter(text, registry)
        except lib.FilterError as e:
            col = getattr(e, "column", None)
            msg = getattr(e, "msg", None) or (e.args[0] if e.args else str(e))
            raise FilterProblem(str(msg), col - 1 if isinstance(col, int) and col > 0 else None) from None
        return pred
    return _fallback(text)


def _fallback(text: str) -> Predicate:
    want, reject = [], []
    for w in text.lower().split():
        if w.startswith("!") and len(w) > 1:
            reject.append(w[1:])
        elif w == "!":
            raise FilterProblem("'!' needs a word after it", text.index("!"))
        else:
            want.append(w)

    def pred(m: Message, txn=None) -> bool:
        line = " ".join((m.family, m.type_name or "", ",".join(m.flag_names), m.summary)).lower()
        return all(w in line for w in want) and not any(w in line for w in reject)
    pred.needs_txn = False  # type: ignore[attr-defined]
    return pred


_FALLBACK_FIELDS = ("family", "nlmsg.type", "nlmsg.flags", "nlmsg.seq", "nlmsg.pid", "nlmsg.len",
                    "error", "summary")


def field_names(registry=None) -> list[str]:
    """Names to complete: the core fields and `attr.NAME` for every attribute."""
    lib = _library()
    if lib is not None and hasattr(lib, "field_names"):
        try:
            return sorted(set(lib.field_names(registry, attributes=True)))
        except Exception:
            pass
    return list(_FALLBACK_FIELDS)
