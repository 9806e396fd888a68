"""A message of the capture index as a header-only display filter sees it, without
decoding it: `Filter.match_header(view)` (nlscope.analysis.filter) reads the nlmsghdr fields
from the index's integer arrays, the error code of NLMSG_ERROR / NLMSG_DONE from
`m_err`, and the type's name and kind from the decoder (Decoder.header_names, else
Decoder.names on the message: the names its decode gives): control types by number,
a family's types by (protocol, type) when its Protocol does not choose by payload, else
by asking the Protocol with the message's bytes (generic netlink: family id and
command), which costs a frame read but no attribute walk.

`usable(i)` is False for what the index cannot vouch for, and the filter worker
decodes those: a fragment, a message whose nlmsg_len is below 16 or past its frame.
What families learn (generic netlink ids, sock_diag's protocols) was learned in
capture order by the index's pass; names are resolved with the state as message i
was seen (CaptureIndex.state_at).
"""
from __future__ import annotations

from ..decode.decoder import NLMSG_DONE, NLMSG_ERROR, name_flags
from ..decode.index import CaptureIndex
from ..decode.model import Message

_DIR_NAME = (None, "in", "out")


class FrameInfo:
    """The frame fields a filter reads (frame.number, pid, comm)."""

    __slots__ = ("number", "pid", "comm")

    def __init__(self, number: int, pid: int | None, comm: str | None):
        self.number = number
        self.pid = pid
        self.comm = comm


class HeaderView:
    """One reusable view: `at(i)` points it at message index i."""

    __slots__ = ("ix", "i", "fi", "_names", "_kind", "_frame_msgs")

    def __init__(self, index: CaptureIndex):
        self.ix = index
        self.i = 0
        self.fi = 0
        self._names: str | None = None
        self._kind: str | None = None
        self._frame_msgs: tuple[int, list[Message]] | None = None

    def usable(self, i: int) -> bool:
        ix = self.ix
        return ix.m_type[i] >= 0 and i not in ix.m_odd

    def at(self, i: int) -> HeaderView:
        self.i = i
        self.fi = self.ix.m_frame[i]
        self._names = None
        self._kind = None
        return self

    # -- the nlmsghdr and the frame -------------------------------------------------
    @property
    def number(self) -> int:
        return self.i + 1

    @property
    def protocol(self) -> int:
        return self.ix.fr_proto[self.fi]

    @property
    def family(self) -> str:
        return self.ix.decoder.family_name(self.protocol)

    @property
    def type(self) -> int:
        return self.ix.m_type[self.i]

    @property
    def flags(self) -> int:
        return self.ix.m_flags[self.i]

    @property
    def seq(self) -> int:
        return self.ix.m_seq[self.i]

    @property
    def pid(self) -> int:
        return self.ix.m_pid[self.i]

    @property
    def nlmsg_len(self) -> int:
        return self.ix.m_len[self.i]

    @property
    def error_code(self) -> int | None:
        """The code of an NLMSG_ERROR / NLMSG_DONE; None when nlmsg_len leaves no room
        for it (the index reads it exactly when nlmsg_len >= 20)."""
        ix, i = self.ix, self.i
        if ix.m_type[i] in (NLMSG_ERROR, NLMSG_DONE) and ix.m_len[i] >= 20:
            return ix.m_err[i]
        return None

    @property
    def direction(self) -> str:
        d = _DIR_NAME[self.ix.fr_info[self.fi] >> 2]
        if d:
            return d
        return "out" if self.ix.m_flags[self.i] & 1 else "in"

    @property
    def frame(self) -> FrameInfo:
        _comment, pid, comm = self.ix.fr_extra.get(self.fi, (None, None, None))
        return FrameInfo(self.fi + 1, pid, comm)

    # -- names, as the decoder gives them ------------------------------------------------
    @property
    def type_name(self) -> str:
        if self._names is None:
            self._resolve()
        return self._names

    @property
    def kind(self) -> str:
        if self._kind is None:
            self._resolve()
        return self._kind

    @property
    def flag_names(self) -> list[str]:
        return name_flags(self.flags, self.kind)

    def _resolve(self) -> None:
        """The decoder's names: from the header, else from a peek at the payload of
        the message (its frame read once), with the state it was seen with."""
        dec = self.ix.decoder
        hit = dec.header_names(self.protocol, self.type)
        if hit is None:
            hit = dec.names(self._message())
        self._names, self._kind = hit[0], hit[1]

    def _message(self) -> Message:
        """The message's bytes (its frame read once for all its messages)."""
        fm = self._frame_msgs
        if fm is None or fm[0] != self.fi:
            fm = self._frame_msgs = (self.fi, self.ix.frame_messages(self.fi))
        return fm[1][self.i - self.ix.fr_first[self.fi]]
