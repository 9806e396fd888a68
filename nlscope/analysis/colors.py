"""Colouring rules for a message list, as Wireshark's coloring rules: one rule a line,

    FILTER -> STYLE

FILTER in the display filter language, STYLE a Rich style ("bold yellow on #303000",
"dim", "#ff8700 italic"); `#` starts a comment line. The first rule that matches a
message gives its row's style. The file is ~/.config/nlscope/colors ($XDG_CONFIG_HOME
honoured); without one the DEFAULTS below apply (errors, unanswered requests,
notifications, malformed messages). A rule that does not parse is reported with its
line number and left out; the others still apply.

Rules reading `txn.*` get the transaction from the capture's TxnIndex (IndexTxn: the
status, kind, size and latency the index keeps), so colouring a row never decodes
other messages.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.errors import StyleSyntaxError

from .filter import FilterError, compile_filter
from .txindex import EVENT, ORPHAN_KIND, REQUEST, STATUS_NAMES, TxnIndex

DEFAULTS = """\
# nlscope colouring rules: FILTER -> STYLE, the first rule that matches wins.
error -> #ffd7d7 on #5f0000
txn.status == error && flags.request -> #ffd7d7 on #5f0000
txn.status in {unanswered incomplete} && flags.request -> #ffd787 on #4e3800
txn.kind == event -> dim
!type -> #ff8700 italic
"""


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "nlscope" / "colors"


@dataclass(frozen=True)
class Rule:
    text: str
    style: Style
    pred: Any
    line: int


class ColorRules:
    def __init__(self, rules: list[Rule], problems: list[str], source: str):
        self.rules = rules
        self.problems = problems  # "line N: why", for the status bar
        self.source = source
        self.needs_txn = any(getattr(r.pred, "needs_txn", False) for r in rules)

    @classmethod
    def parse(cls, text: str, registry: Any = None, source: str = "defaults") -> ColorRules:
        rules: list[Rule] = []
        problems: list[str] = []
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            filt, sep, style = line.rpartition("->")
            if not sep or not filt.strip() or not style.strip():
                problems.append(f"line {n}: want FILTER -> STYLE")
                continue
            try:
                st = Style.parse(style.strip())
            except StyleSyntaxError as e:
                problems.append(f"line {n}: style: {e}")
                continue
            try:
                pred = compile_filter(filt.strip(), registry)
            except FilterError as e:
                problems.append(f"line {n}: filter: {e.msg}")
                continue
            rules.append(Rule(filt.strip(), st, pred, n))
        return cls(rules, problems, source)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, registry: Any = None) -> ColorRules:
        """The user's file when there is one, else the defaults (path "": the
        defaults, whatever the user has); an unreadable file is a problem reported,
        and the defaults apply."""
        if path == "":
            return cls.parse(DEFAULTS, registry)
        p = Path(path) if path is not None else config_path()
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls.parse(DEFAULTS, registry)
        except (OSError, UnicodeDecodeError) as e:
            rules = cls.parse(DEFAULTS, registry)
            rules.problems.append(f"{p}: {e}")
            return rules
        return cls.parse(text, registry, str(p))

    def style_for(self, msg: Any, txn: Any = None) -> Style | None:
        for r in self.rules:
            try:
                if r.pred(msg, txn):
                    return r.style
            except Exception:  # a field the transaction view lacks: no match
                continue
        return None


_KIND_NAMES = {REQUEST: "request", EVENT: "event", ORPHAN_KIND: "orphan"}


class IndexTxn:
    """A transaction as TxnIndex keeps it, with the attributes filters read
    (txn.status, txn.kind, txn.id, txn.replies, txn.messages, txn.latency)."""

    __slots__ = ("id", "status", "kind", "replies", "size", "latency_ns")

    def __init__(self, txns: TxnIndex, t: int):
        info = txns.info(t)
        self.id = t
        self.status = STATUS_NAMES[txns.status(t)]
        self.kind = _KIND_NAMES.get(txns.t_kind[t], "other")
        self.replies = info.replies
        self.size = len(info.members)
        self.latency_ns = info.latency_ns
