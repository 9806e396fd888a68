"""Time formats of a message list, as tshark's `-t`: r (relative to the first message,
or to a time reference), a (absolute, UTC), d (delta from the previous message), e
(epoch). Used by the TUI's time column; the text output has r, a and e alike."""
from __future__ import annotations

import datetime as _dt

MODES = ("r", "a", "d", "e")
NAMES = {"r": "relative", "a": "absolute (UTC)", "d": "delta", "e": "epoch"}
WIDTH = {"r": 12, "a": 15, "d": 12, "e": 17}  # what a column needs at µs precision


def _secs(d: int, digits: int) -> str:
    sign = "-" if d < 0 else ""
    s, rest = divmod(abs(d), 1_000_000_000)
    return f"{sign}{s}.{rest // 10 ** (9 - digits):0{digits}d}"


def format_time(ts_ns: int, mode: str, base_ns: int = 0, prev_ns: int | None = None,
                digits: int = 6) -> str:
    """ts_ns in `mode`: r is relative to base_ns (the first message, or the time
    reference: negative before it), d to prev_ns (0 for the first message)."""
    if mode == "a":
        t = _dt.datetime.fromtimestamp(ts_ns // 1_000_000_000, _dt.timezone.utc)
        return t.strftime("%H:%M:%S.") + f"{ts_ns % 1_000_000_000 // 10 ** (9 - digits):0{digits}d}"
    if mode == "e":
        return _secs(ts_ns, digits)
    if mode == "d":
        return _secs(0 if prev_ns is None else ts_ns - prev_ns, digits)
    if mode == "r":
        return _secs(ts_ns - base_ns, digits)
    raise ValueError(f"time format {mode!r}: one of r, a, d, e")


def next_mode(mode: str) -> str:
    return MODES[(MODES.index(mode) + 1) % len(MODES)]
