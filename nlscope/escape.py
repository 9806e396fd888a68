r"""Text from a capture, made safe for a terminal and for one line (as tshark does).

Interface names, extended ACK messages, string attributes, EPB comments, process names:
all come from the capture and may hold ESC sequences (clear the screen, set the title),
CR/LF (forge lines) or bidi controls (U+202E reorders what follows). Every text output
(the text, verbose, transactions and fields sinks, the stats report) passes its lines or
values through `escape` once:

  backslash        \\
  LF, TAB, CR      \n \t \r
  C0, DEL, C1      \xNN
  other characters that are not printable (format such as U+202E, line and paragraph
  separators, surrogates, private use, unassigned)   \uNNNN (\UNNNNNNNN above U+FFFF)

Printable characters of any script stay as they are. JSON output needs none of this (the
encoder escapes control characters itself).
"""
from __future__ import annotations

import re

__all__ = ["escape", "escape_lines"]

_BAD = re.compile(r"[^\x20-\x5b\x5d-\x7e]")  # anything but printable ASCII without '\'
_SHORT = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _esc_char(m: re.Match) -> str:
    c = m.group()
    e = _SHORT.get(c)
    if e is not None:
        return e
    n = ord(c)
    if n < 0x20 or 0x7F <= n <= 0x9F:
        return f"\\x{n:02x}"
    if c.isprintable():
        return c  # letters, digits, symbols of any script
    return f"\\u{n:04x}" if n <= 0xFFFF else f"\\U{n:08x}"


def escape(text: str) -> str:
    """`text` safe for one line on a terminal (see the module's docstring)."""
    if _BAD.search(text) is None:
        return text
    return _BAD.sub(_esc_char, text)


def escape_lines(lines: list[str]) -> list[str]:
    """Each line escaped (the lines themselves are joined by the caller)."""
    if _BAD.search(" ".join(lines)) is None:  # the usual case: one search, not one per line
        return lines
    return [escape(s) for s in lines]
