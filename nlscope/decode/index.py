"""The capture index: what every consumer knows about every message without decoding it.

A capture is indexed, not loaded. The one capture reader (nlscope.capture.pcapio)
hands frames with their offsets; the index keeps, per frame and per message, only
small integers in `array`s: where the frame's bytes are, its time, protocol,
direction and process, and each message's nlmsghdr (type, flags, seq, portid,
length, the error code of an NLMSG_ERROR/DONE). About 40 bytes per message: a
million messages fit in ~40 MB, and nothing is decoded until it is shown.

The messages of each frame come from the one nlmsghdr walk (scan_frame) and are noted
by the decoder in capture order as they are indexed (families learn then: generic
netlink ids from CTRL_CMD_NEWFAMILY...); `state_at(i)` is the decoder's state as
message i was seen, so a message decoded later, out of order, decodes as it would
have then. `add()` returns the frame's messages so that the pass that builds the
index can pair them (nlscope.analysis.txindex) without reading them again.

The file may grow while it is read (a live capture written to disk): the scanner
stops at the last whole record and `scan()` again resumes there.
"""
from __future__ import annotations

import os
import tempfile
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from bisect import bisect_right

from ..capture.frame import Frame
from ..capture.pcapio import LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NETLINK, CaptureReader
from .decoder import NLMSG_ERROR, Decoder, scan_frame
from .model import Message

LINKTYPES = (LINKTYPE_NETLINK, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2)
_LT_CODE = {lt: i for i, lt in enumerate(LINKTYPES)}
_DIR_CODE = {None: 0, "in": 1, "out": 2}
_DIR_NAME = (None, "in", "out")
NLM_F_REQUEST = 1


class RawStore:
    """Where frame bytes live: the capture file itself, or a spool for live frames."""

    def read(self, off: int, n: int) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        pass


class FileStore(RawStore):
    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDONLY)

    def read(self, off: int, n: int) -> bytes:
        return os.pread(self.fd, n, off)

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class SpoolStore(RawStore):
    """Live frames: their bytes go to an anonymous temporary file, not to memory."""

    def __init__(self):
        self.f = tempfile.TemporaryFile(prefix="nlscope-spool-")
        self.size = 0
        self.lock = threading.Lock()

    def append(self, raw: bytes) -> int:
        with self.lock:
            off = self.size
            os.pwrite(self.f.fileno(), raw, off)
            self.size += len(raw)
        return off

    def read(self, off: int, n: int) -> bytes:
        return os.pread(self.f.fileno(), n, off)

    def close(self) -> None:
        self.f.close()


class CaptureIndex:
    """Per-frame and per-message arrays of a capture, growing as frames arrive.

    Readers on other threads see a consistent prefix: `count` and `frames` are
    published after the arrays they cover are filled.
    """

    def __init__(self, decoder: Decoder, store: RawStore | None = None):
        self.decoder = decoder
        self.store = store
        # per frame
        self.fr_off = array("q")
        self.fr_len = array("I")
        self.fr_orig = array("I")
        self.fr_ts = array("q")
        self.fr_proto = array("i")
        self.fr_info = array("B")  # linktype code | direction code << 2
        self.fr_first = array("I")  # number (index) of its first message
        self.fr_extra: dict[int, tuple[str | None, int | None, str | None]] = {}  # comment, pid, comm
        # per message
        self.m_frame = array("I")
        self.m_type = array("i")  # -1: a fragment too short for a header
        self.m_flags = array("H")
        self.m_seq = array("I")
        self.m_pid = array("I")
        self.m_len = array("I")
        self.m_err = array("i")  # NLMSG_ERROR / NLMSG_DONE code, else 0
        self.m_odd: set[int] = set()  # messages whose nlmsg_len is < 16 or past the frame
        self.count = 0
        self.frames = 0
        self.warnings: list[str] = []
        self.skipped = 0
        self.complete = False  # the source has no more frames (file read to its end)
        self._states: list[tuple[int, dict]] = [(0, decoder.state)]
        self._starts: list[int] = []
        self.listeners: list[Callable[[int, int], None]] = []
        # message index -> the index of the request it answers, or -1: set by whoever
        # pairs the messages beside the index (the TUI's TxnIndex), so that an answer
        # decodes as the pipeline's does ("ACK to RTMGR CREATE", not "ACK to RTMGR")
        self.request_of: Callable[[int], int] | None = None
        self._cache: OrderedDict[int, list[Message]] = OrderedDict()
        self._lock = threading.RLock()

    # -- building ----------------------------------------------------------------
    def add(self, frame: Frame, raw_off: int | None = None) -> list[Message]:
        """Index one frame (its bytes are in the store at `raw_off`, by default the
        frame's offset in the file); return its messages, numbered and noted."""
        fi = self.frames
        raw = frame.raw
        self.fr_off.append(frame.offset if raw_off is None else raw_off)
        self.fr_len.append(len(raw))
        self.fr_orig.append(frame.orig_len)
        self.fr_ts.append(frame.ts_ns)
        self.fr_proto.append(frame.protocol)
        self.fr_info.append(_LT_CODE.get(frame.linktype, 0) | (_DIR_CODE.get(frame.direction, 0) << 2))
        self.fr_first.append(self.count)
        if frame.comment is not None or frame.pid is not None or frame.comm is not None:
            self.fr_extra[fi] = (frame.comment, frame.pid, frame.comm)
        frame.number = fi + 1
        dec = self.decoder
        msgs = scan_frame(frame, dec)
        mf, mt, mfl, ms, mp, ml, me = (self.m_frame, self.m_type, self.m_flags, self.m_seq,
                                       self.m_pid, self.m_len, self.m_err)
        n = self.count
        for m in msgs:
            m.number = n + 1
            version = dec.state_version
            dec.note(m)
            if m.type is None:
                mf.append(fi); mt.append(-1); mfl.append(0); ms.append(0); mp.append(0)
                ml.append(m.end - m.start); me.append(0)
            else:
                mf.append(fi); mt.append(m.type); mfl.append(m.flags); ms.append(m.seq)
                mp.append(m.pid); ml.append(m.nlmsg_len)
                code = m.error_code
                me.append(code or 0)
                if m.scan_problems:
                    self.m_odd.add(n)  # its decode reads past nlmsg_len's promise
            if dec.state_version != version:  # what it taught counts from the next one on
                self._states.append((n + 1, dec.state))
            n += 1
        self.frames = fi + 1
        self.count = n
        return msgs

    def state_at(self, i: int) -> dict:
        """The decoder's state as message i was seen."""
        k = bisect_right(self._starts, i) if len(self._starts) == len(self._states) else None
        if k is None:
            self._starts = [s for s, _ in self._states]
            k = bisect_right(self._starts, i)
        return self._states[k - 1][1]

    def note_comment(self, text: str) -> None:
        self.decoder.note_comment(text)
        self._states.append((self.count, self.decoder.state))

    @property
    def state_version(self) -> int:
        return self.decoder.state_version

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    # -- reading -------------------------------------------------------------------
    def frame(self, fi: int) -> Frame:
        info = self.fr_info[fi]
        lt = LINKTYPES[info & 3]
        raw = self.store.read(self.fr_off[fi], self.fr_len[fi])
        comment, pid, comm = self.fr_extra.get(fi, (None, None, None))
        return Frame(number=fi + 1, ts_ns=self.fr_ts[fi], protocol=self.fr_proto[fi], raw=raw,
                     nl_offset=20 if lt == LINKTYPE_LINUX_SLL2 else 16,
                     orig_len=self.fr_orig[fi], linktype=lt, comment=comment,
                     direction=_DIR_NAME[info >> 2], pid=pid, comm=comm)

    def frame_messages(self, fi: int) -> list[Message]:
        """The messages of frame `fi`, numbered (not decoded)."""
        msgs = scan_frame(self.frame(fi), self.decoder)
        first = self.fr_first[fi]
        for k, m in enumerate(msgs):
            m.number = first + k + 1
            m.state = self.state_at(first + k)
        return msgs

    def message(self, i: int) -> Message:
        """Message number i+1, decoded; recent frames are cached."""
        fi = self.m_frame[i]
        # Each message decodes with the state it was seen with: a cached one stays right
        # whatever the decoder learns later, so the cache is never dropped for that.
        with self._lock:
            msgs = self._cache.get(fi)
            if msgs is None:
                msgs = self.frame_messages(fi)
                self._cache[fi] = msgs
                if len(self._cache) > 512:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(fi)
        return self._decode(i, msgs[i - self.fr_first[fi]])

    def fresh(self, i: int) -> Message:
        """Message number i+1, decoded apart from the cache (for another thread)."""
        fi = self.m_frame[i]
        return self._decode(i, self.frame_messages(fi)[i - self.fr_first[fi]])

    def _decode(self, i: int, m: Message) -> Message:
        if self.request_of is not None and m.type == NLMSG_ERROR and m.request is None:
            r = self.request_of(i)
            if 0 <= r < i:
                # its own copy (the cached one may be decoding on another thread), decoded
                # only as far as the answer reads it: its name, or the tree an extack
                # offset points into
                fr = self.m_frame[r]
                m.request = self.frame_messages(fr)[r - self.fr_first[fr]]
        return self.decoder.decode(m)

    def iter_messages(self, start: int = 0, stop: int | None = None):
        """Decode messages [start, stop) in order, uncached (for workers)."""
        stop = self.count if stop is None else stop
        i = start
        while i < stop:
            fi = self.m_frame[i]
            msgs = self.frame_messages(fi)
            k = i - self.fr_first[fi]
            for m in msgs[k:]:
                if i >= stop:
                    return
                yield i, self._decode(i, m)
                i += 1

    def ts(self, i: int) -> int:
        return self.fr_ts[self.m_frame[i]]

    def is_request(self, i: int) -> bool:
        return self.m_type[i] >= 0 and bool(self.m_flags[i] & NLM_F_REQUEST)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def memory_bytes(self) -> int:
        arrays = (self.fr_off, self.fr_len, self.fr_orig, self.fr_ts, self.fr_proto, self.fr_info,
                  self.fr_first, self.m_frame, self.m_type, self.m_flags, self.m_seq, self.m_pid,
                  self.m_len, self.m_err)
        return sum(a.buffer_info()[1] * a.itemsize for a in arrays)


# -- sources -------------------------------------------------------------------------

class FileScanner:
    """Indexes a pcap/pcapng file through the one reader, resumably: a file that is
    still being written is read up to its last whole record, and again from there."""

    def __init__(self, path: str, index: CaptureIndex):
        self.path = path
        self.index = index
        index.store = index.store or FileStore(path)
        self.reader = CaptureReader(path, on_warning=index.warn, follow=True)
        self._comments = 0

    def close(self) -> None:
        self.reader.close()

    @property
    def bytes_total(self) -> int:
        try:
            return os.fstat(self.reader._f.fileno()).st_size
        except (OSError, ValueError):
            return 0

    def scan(self, final: bool = False, budget: int | None = None,
             stop: threading.Event | None = None,
             on_messages: Callable[[list[Message]], None] | None = None) -> int:
        """Index the whole records now in the file; returns how many messages were added.
        `final`: the file will not grow, so bytes left over are a truncated record.
        `on_messages` gets each frame's messages as they are indexed (pairing)."""
        ix, rd = self.index, self.reader
        rd.final = final
        before = ix.count
        fr = None
        while True:
            if stop is not None and stop.is_set():
                break
            fr = rd.next_frame()
            comments = rd.section_comments
            while self._comments < len(comments):
                ix.note_comment(comments[self._comments])
                self._comments += 1
            if fr is None:
                break
            msgs = ix.add(fr)
            if on_messages is not None:
                on_messages(msgs)
            if budget is not None and ix.count - before >= budget:
                break
        ix.skipped = rd.skipped
        if final and fr is None and not (stop is not None and stop.is_set()):
            ix.complete = True  # read to its end
        return ix.count - before


class FrameFeeder:
    """A live source: Frames as they arrive (from a capture process, a generator...)
    are spooled and indexed, unchanged."""

    def __init__(self, index: CaptureIndex):
        if index.store is None:
            index.store = SpoolStore()
        self.index = index
        self.store: SpoolStore = index.store  # type: ignore[assignment]
        self.drops = 0

    def feed(self, frame: Frame) -> list[Message]:
        off = self.store.append(frame.raw)
        if not frame.orig_len:
            frame.orig_len = len(frame.raw)
        return self.index.add(frame, off)

    def feed_all(self, frames: Iterable[Frame], stop: threading.Event | None = None) -> None:
        for fr in frames:
            if stop is not None and stop.is_set():
                return
            self.feed(fr)
        self.index.complete = True


def open_file_index(path: str, decoder: Decoder) -> tuple[CaptureIndex, FileScanner]:
    index = CaptureIndex(decoder, FileStore(path))
    return index, FileScanner(path, index)


def stats_of(index: CaptureIndex) -> dict[str, Any]:
    return {"messages": index.count, "frames": index.frames, "index_bytes": index.memory_bytes()}
