"""A message of the capture index as a header-only display filter sees it, without
decoding it: `Filter.match_header(view)` (nlscope.analysis.filter) reads the nlmsghdr fields
from the index's integer arrays, the error code of NLMSG_ERROR / NLMSG_DONE from
`m_err`, and the type's name and kind from the registry, as Decoder._decode names
them: control types by number, a family's types by (protocol, type) when its
Protocol does not choose by payload, else by asking the Protocol with the message's
bytes (generic netlink: family id and command), which costs a frame read but no
attribute walk.

`usable(i)` is False for what the index cannot vouch for, and the filter worker
decodes those: a fragment, a message whose nlmsg_len is below 16 or past its frame,
and a message of a family whose names depend on what earlier messages taught
(Protocol.learn: the usersock heuristic, sock_diag), since a decoded path teaches
the decoder as it goes. Generic netlink is the exception: the index's scan already
decodes every CTRL_CMD_NEWFAMILY/DELFAMILY, which is all it learns from.
"""
from __future__ import annotations

from ..decode.decoder import NLM_F_ACK_TLVS, NLMSG_DONE, NLMSG_ERROR, name_flags, resolve_type
from ..capture.frame import NETLINK_GENERIC, protocol_name
from ..decode.model import Field, Message
from ..decode.registry import DecodeCtx, Protocol
from .index import CaptureIndex

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

    __slots__ = ("ix", "registry", "state", "i", "fi", "_names", "_kind", "_frame_msgs",
                 "_types", "_vouched")

    def __init__(self, index: CaptureIndex):
        self.ix = index
        self.registry = index.decoder.registry
        self.state = index.decoder.state
        self.i = 0
        self.fi = 0
        self._names: str | None = None
        self._kind: str | None = None
        self._frame_msgs: tuple[int, list[Message]] | None = None
        self._types: dict[tuple[int, int], tuple[str, str] | None] = {}
        self._vouched: dict[int, bool] = {}

    def usable(self, i: int) -> bool:
        ix = self.ix
        if ix.m_type[i] < 0 or i in ix.m_odd:
            return False
        protocol = ix.fr_proto[ix.m_frame[i]]
        ok = self._vouched.get(protocol)
        if ok is None:
            proto = self.registry.get(protocol)
            ok = self._vouched[protocol] = (proto is None or protocol == NETLINK_GENERIC
                                            or type(proto).learn is Protocol.learn)
        return ok

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
        proto = self.registry.get(self.protocol)
        return proto.name if proto is not None else protocol_name(self.protocol)

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
        mtype = self.type
        protocol = self.protocol
        key = (protocol, mtype)
        hit = self._types.get(key)  # names that (protocol, type) decide alone
        if hit is not None:
            self._names, self._kind = hit
            return
        proto = self.registry.get(protocol)
        hit = resolve_type(proto, mtype)
        if hit is not None:
            self._names, self._kind = self._types[key] = hit[:2]
            return
        m = self._message()  # the Protocol chooses by payload (and per-capture state)
        body_end = min(m.start + m.nlmsg_len, m.end)
        ctx = DecodeCtx(m.frame.raw, m.start + 16, body_end, m.order, protocol, mtype, m.flags,
                        [], self.state, self.registry)
        self._names, self._kind, _ = resolve_type(proto, mtype, ctx)

    def _message(self) -> Message:
        """The message's bytes (its frame read once for all its messages)."""
        fm = self._frame_msgs
        if fm is None or fm[0] != self.fi:
            fm = self._frame_msgs = (self.fi, self.ix.frame_messages(self.fi))
        return fm[1][self.i - self.ix.fr_first[self.fi]]


class IndexFrame:
    """A frame of the index for nlscope.analysis.transactions: time, process, direction; its
    bytes and its scanned (undecoded) messages read once, when asked."""

    __slots__ = ("ix", "fi", "number", "ts_ns", "pid", "comm", "direction", "_msgs")

    def __init__(self, ix: CaptureIndex, fi: int):
        self.ix = ix
        self.fi = fi
        self.number = fi + 1
        self.ts_ns = ix.fr_ts[fi]
        _comment, self.pid, self.comm = ix.fr_extra.get(fi, (None, None, None))
        self.direction = _DIR_NAME[ix.fr_info[fi] >> 2]
        self._msgs: list[Message] | None = None

    def scanned(self) -> list[Message]:
        if self._msgs is None:
            self._msgs = self.ix.frame_messages(self.fi)
        return self._msgs

    @property
    def raw(self) -> bytes:
        return self.scanned()[0].frame.raw


class IndexMessage:
    """A message of the index standing in for a decoded Message where nlscope's
    transaction Tracker reads it: the header from the arrays, names (for requests)
    from the HeaderView, the error code of an NLMSG_ERROR / NLMSG_DONE without
    extended ACK as a one-field tree, spans from the frame's scan; anything else
    (an error's extack, a request's attributes an error points at, the summary)
    decodes the message, once. Only for messages HeaderView.usable() vouches for."""

    __slots__ = ("ix", "hv", "i", "frame", "number", "protocol", "type", "flags", "seq", "pid",
                 "nlmsg_len", "family", "_full")
    is_fragment = False

    def __init__(self, ix: CaptureIndex, hv: HeaderView, i: int, frame: IndexFrame):
        self.ix = ix
        self.hv = hv
        self.i = i
        self.frame = frame
        self.number = i + 1
        self.protocol = ix.fr_proto[frame.fi]
        self.type = ix.m_type[i]
        self.flags = ix.m_flags[i]
        self.seq = ix.m_seq[i]
        self.pid = ix.m_pid[i]
        self.nlmsg_len = ix.m_len[i]
        proto = hv.registry.get(self.protocol)
        self.family = proto.name if proto is not None else protocol_name(self.protocol)
        self._full: Message | None = None

    @property
    def kind(self) -> str:
        return self.hv.at(self.i).kind

    @property
    def type_name(self) -> str:
        return self.hv.at(self.i).type_name

    def _scanned(self) -> Message:
        return self.frame.scanned()[self.i - self.ix.fr_first[self.frame.fi]]

    @property
    def start(self) -> int:
        return self._scanned().start

    @property
    def end(self) -> int:
        return self._scanned().end

    @property
    def order(self) -> str:
        return self._scanned().order

    @property
    def error_code(self) -> int | None:
        return self.hv.at(self.i).error_code

    @property
    def tree(self) -> list:
        t = self.type
        if t in (NLMSG_ERROR, NLMSG_DONE) and not self.flags & NLM_F_ACK_TLVS:
            code = self.hv.at(self.i).error_code
            if code is None:
                return []
            return [None, Field("error" if t == NLMSG_ERROR else "value", "int", code, 0, 0)]
        return self.full().tree

    def full(self) -> Message:
        if self._full is None:
            m = self._scanned()
            self._full = self.ix.decoder.decode(m)
        return self._full

    @property
    def summary(self) -> str:
        return self.full().summary

    @summary.setter
    def summary(self, text: str) -> None:
        self.full().summary = text

    def __getattr__(self, name: str):  # whatever else a Tracker may read: the real thing
        return getattr(self.full(), name)
