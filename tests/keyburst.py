"""Shared by the key-burst tests (pilot and tmux): a capture with 160 messages to jump,
filter and search in, and the key events a terminal sends for a burst of typing."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from fixtures.make_fixtures import _error, cooked, nla, nlmsg, pcap, rtmsg

MESSAGES = 160
EEXIST_NO = 60  # the only message `errno == EEXIST` shows
ENODEV_NO = 130  # the only message a search for ENODEV finds


def write_capture(path: Path) -> Path:
    """80 route adds, each ACKed; No. 60 is an EEXIST error, No. 130 an ENODEV one."""
    frames = []
    for k in range(MESSAGES // 2):
        seq = 5000 + k
        req = nlmsg(24, 0x605, seq, 0, rtmsg(24) + nla(1, bytes([10, k // 256, k % 256, 0])))
        err = {(EEXIST_NO - 2) // 2: -17, (ENODEV_NO - 2) // 2: -19}.get(k, 0)
        frames += [cooked(0) + req, cooked(0) + _error(err, req, capped=True, seq=seq, pid=4242)]
    path.write_bytes(pcap(frames))
    return path


def key_events(keys):
    """Textual Key events for `keys` (names like "enter", "ctrl+u" or single characters),
    built as the pilot builds them."""
    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    out = []
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        out.append(events.Key(key, char))
    return out


__all__ = ["EEXIST_NO", "ENODEV_NO", "MESSAGES", "key_events", "write_capture"]
