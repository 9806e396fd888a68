"""Interface names learned from the capture, as Wireshark resolves names: ifindex -> name
from every rtnetlink link message (RTM_NEWLINK/DELLINK/GETLINK/SETLINK carrying both an
ifindex and IFLA_IFNAME), wherever it is in the capture.

Learning reads the link messages' own bytes (ifinfomsg and the top-level attributes),
never a decoded tree, so it runs in the index pass over a million messages. A name
holds from the message that showed it until the next one that shows another (a rename,
an index reused after a delete); before the first, the first one seen stands.

Memory is bounded: at most MAX_PER_IFINDEX names per ifindex and MAX_ENTRIES in all;
past that the ifindex changed longest ago is forgotten.

    names = IfNames(); names.update(index)      # learn what the index has so far
    names.name(3, at=i)                         # 'eth0' (None: never seen)
    names.annotate("... oif 3 ...", at=i)       # '... oif 3 (eth0) ...'
"""
from __future__ import annotations

import re
import struct
import threading
from bisect import bisect_right
from collections import OrderedDict
from typing import Any

from ..decode.model import Field, Message

# linux/rtnetlink.h, linux/if_link.h, linux/netlink.h, linux/if.h
NETLINK_ROUTE = 0
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
LINK_TYPES = frozenset((RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK))
IFLA_IFNAME = 3
NLA_TYPE_MASK = ~((1 << 15) | (1 << 14)) & 0xFFFF
NLMSG_HDRLEN, IFINFOMSG_LEN = 16, 16
MAX_NAME = 64  # IFNAMSIZ is 16; a damaged capture's longer "name" is cut here

MAX_PER_IFINDEX = 64
MAX_ENTRIES = 100_000

# Fields that hold an ifindex, by name, in every family's tree: exact names, and any
# integer field whose name ends in "ifindex" (NL80211_ATTR_IFINDEX, WGDEVICE_A_IFINDEX,
# NDA_IFINDEX, br_port_msg's ifindex...).
IFINDEX_FIELDS = frozenset({
    "ifi_index", "ifa_index", "ifal_index", "RTA_OIF", "RTA_IIF", "IFLA_LINK", "IFLA_MASTER",
    "NDA_MASTER", "NHA_OIF", "NHA_MASTER", "ETHTOOL_A_HEADER_DEV_INDEX",
})
IFINDEX_SUFFIX = "ifindex"

# Words after which the one-line summaries print an ifindex ("oif 3", "dev 3", "master 6").
_SUMMARY_IFINDEX = re.compile(r"\b(dev|oif|iif|master|ifindex) (\d+)\b(?![.:(\d])")

_HDR = {o: struct.Struct(o + "IHH") for o in "<>"}
_NLA = {o: struct.Struct(o + "HH") for o in "<>"}
_IDX = {o: struct.Struct(o + "i") for o in "<>"}


def link_name_of(msg: Message) -> tuple[int, str] | None:
    """(ifindex, name) a link message states, from its bytes; None when it states no
    both (a dump request, a create request before the kernel picked the index)."""
    if msg.type not in LINK_TYPES or msg.protocol != NETLINK_ROUTE or msg.nlmsg_len is None:
        return None
    raw, o = msg.frame.raw, msg.order
    end = min(msg.end, msg.start + msg.nlmsg_len, len(raw))
    p = msg.start + NLMSG_HDRLEN
    if p + IFINFOMSG_LEN > end:
        return None
    ifindex = _IDX[o].unpack_from(raw, p + 4)[0]
    if ifindex <= 0:
        return None
    p += IFINFOMSG_LEN
    while p + 4 <= end:
        nla_len, nla_type = _NLA[o].unpack_from(raw, p)
        if nla_len < 4 or p + nla_len > end:
            return None
        if nla_type & NLA_TYPE_MASK == IFLA_IFNAME:
            value = bytes(raw[p + 4:p + nla_len]).split(b"\0", 1)[0][:MAX_NAME]
            name = value.decode("utf-8", "replace")
            return (ifindex, name) if name else None
        p += (nla_len + 3) & ~3
    return None


class IfNames:
    """ifindex -> name over message indices (0-based, the capture index's)."""

    def __init__(self, max_per_ifindex: int = MAX_PER_IFINDEX, max_entries: int = MAX_ENTRIES):
        self.max_per_ifindex = max_per_ifindex
        self.max_entries = max_entries
        # ifindex -> ([message index...], [name...]), least recently changed first
        self._by_index: OrderedDict[int, tuple[list[int], list[str]]] = OrderedDict()
        self._entries = 0
        self.done = 0  # messages of the index looked at by update()
        self._lock = threading.Lock()  # learning runs in the index thread, reading in the UI's

    def __len__(self) -> int:
        return len(self._by_index)

    @property
    def entries(self) -> int:
        return self._entries

    # -- learning --------------------------------------------------------------------
    def learn(self, msg: Message) -> None:
        """Take one message (any: only link messages teach), in capture order."""
        got = link_name_of(msg)
        if got is not None:
            self.note(got[0], got[1], msg.number - 1)

    def note(self, ifindex: int, name: str, at: int) -> None:
        with self._lock:
            hist = self._by_index.get(ifindex)
            if hist is None:
                hist = self._by_index[ifindex] = ([], [])
            elif hist[1][-1] == name:
                return  # the same name again (every dump repeats it): nothing new
            else:
                self._by_index.move_to_end(ifindex)
            ats, names = hist
            k = bisect_right(ats, at)
            ats.insert(k, at)
            names.insert(k, name)
            self._entries += 1
            if len(ats) > self.max_per_ifindex:
                del ats[0], names[0]
                self._entries -= 1
            while self._entries > self.max_entries and len(self._by_index) > 1:
                _, (old, _) = self._by_index.popitem(last=False)
                self._entries -= len(old)

    def update(self, ix: Any, stop: int | None = None) -> int:
        """Learn from the index's messages [done, stop) (a CaptureIndex): the header
        arrays say which are link messages; only those are read."""
        stop = ix.count if stop is None else min(stop, ix.count)
        m_type, m_frame, fr_proto, fr_first = ix.m_type, ix.m_frame, ix.fr_proto, ix.fr_first
        for i in range(self.done, stop):
            if m_type[i] in LINK_TYPES:
                fi = m_frame[i]
                if fr_proto[fi] == NETLINK_ROUTE:
                    self.learn(ix.frame_messages(fi)[i - fr_first[fi]])
        self.done = max(self.done, stop)
        return self.done

    # -- asking ----------------------------------------------------------------------
    def name(self, ifindex: int, at: int | None = None) -> str | None:
        """The name of ifindex at message index `at` (the latest stated at or before
        it; before any, the first stated). `at` None: the latest."""
        with self._lock:
            hist = self._by_index.get(ifindex)
            if hist is None:
                return None
            ats, names = hist
            if at is None:
                return names[-1]
            k = bisect_right(ats, at)
            return names[k - 1] if k else names[0]

    def ifindex_of(self, name: str, at: int | None = None) -> int | None:
        """The ifindex called `name` at message index `at` (a request naming a device)."""
        with self._lock:
            keys = list(self._by_index)
        for ifindex in keys:
            if self.name(ifindex, at) == name:
                return ifindex
        return None

    def annotate(self, text: str, at: int | None = None) -> str:
        """A summary with the names of the ifindexes it prints: 'oif 3' -> 'oif 3 (eth0)'."""
        if not self._by_index:
            return text

        def sub(m: re.Match) -> str:
            name = self.name(int(m.group(2)), at)
            return m.group(0) if name is None else f"{m.group(0)} ({name})"
        return _SUMMARY_IFINDEX.sub(sub, text)

    def field_name(self, f: Field, at: int | None = None) -> str | None:
        """The interface name of a tree field holding an ifindex, else None."""
        if f.kind != "int" or not isinstance(f.value, int) or f.value <= 0:
            return None
        if f.name not in IFINDEX_FIELDS and not f.name.lower().endswith(IFINDEX_SUFFIX):
            return None
        return self.name(f.value, at)
