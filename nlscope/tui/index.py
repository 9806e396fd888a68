"""The capture index: what the TUI knows about every message without decoding it.

A capture is indexed, not loaded. A background scan walks the records of a pcap or
pcapng file (or takes Frames from a live source) and keeps, per frame and per message,
only small integers in `array`s: where the frame's bytes are, its time and protocol,
and each message's nlmsghdr (type, flags, seq, portid, length). About 40 bytes per
message: a million messages fit in ~40 MB, and nothing is decoded until it is shown.

The file may grow while it is scanned (a live capture written to disk): `scan()` stops
at the last whole record and `scan()` again resumes there.

Generic netlink decoding is stateful (family ids learn from CTRL_CMD_NEWFAMILY): the
scan fully decodes those few nlctrl messages, in order, with the shared Decoder, so a
message decoded later on screen sees every id the capture taught before... or after
(`state_version` changes when an id is learned; the view drops its decode cache).
"""
from __future__ import annotations

import os
import struct
import tempfile
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ..decode.decoder import Decoder, guess_order, scan_frame
from ..capture.frame import Frame
from ..decode.model import Message
from ..capture.pcapio import (LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NETLINK, PCAP_MAGIC_NS,
                      PCAP_MAGIC_US, PCAPNG_BOM, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_PB, PCAPNG_SHB,
                      PCAPNG_SPB, CaptureError, _Interface, _options, _ts_to_ns, linktype_name,
                      netlink_offset)

LINKTYPES = (LINKTYPE_NETLINK, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2)
_LT_CODE = {lt: i for i, lt in enumerate(LINKTYPES)}
_DIR_CODE = {None: 0, "in": 1, "out": 2}
_DIR_NAME = (None, "in", "out")
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST = 1
GENERIC, GENL_ID_CTRL = 16, 0x10
_HDR = {o: struct.Struct(o + "IHHII") for o in "<>"}
_ERRNO = {o: struct.Struct(o + "i") for o in "<>"}


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
        self.state_version = 0
        self._ctrl_family = False
        self.listeners: list[Callable[[int, int], None]] = []
        self._cache: OrderedDict[int, list[Message]] = OrderedDict()
        self._cache_version = 0
        self._lock = threading.RLock()

    # -- building ----------------------------------------------------------------
    def add_frame(self, ts_ns: int, protocol: int, raw: bytes | memoryview, raw_off: int,
                  orig_len: int, linktype: int, direction: str | None = None,
                  comment: str | None = None, pid: int | None = None, comm: str | None = None,
                  buf_off: int = 0, cap_len: int | None = None) -> None:
        """Index one frame. `raw[buf_off:buf_off+cap_len]` are its bytes (a window in a
        bigger buffer during a file scan); `raw_off` is where the store keeps them."""
        n = len(raw) - buf_off if cap_len is None else cap_len
        fi = self.frames
        self.fr_off.append(raw_off)
        self.fr_len.append(n)
        self.fr_orig.append(orig_len)
        self.fr_ts.append(ts_ns)
        self.fr_proto.append(protocol)
        self.fr_info.append(_LT_CODE.get(linktype, 0) | (_DIR_CODE.get(direction, 0) << 2))
        self.fr_first.append(self.count)
        if comment is not None or pid is not None or comm is not None:
            self.fr_extra[fi] = (comment, pid, comm)
        nl_off = 20 if linktype == LINKTYPE_LINUX_SLL2 else 16
        added = self._walk(raw, buf_off + nl_off, buf_off + n, fi)
        if protocol == GENERIC and self._ctrl_family:
            self._ctrl_family = False
            self._genl_prepass(fi)
        self.frames = fi + 1
        self.count += added

    def _walk(self, buf, pos: int, end: int, fi: int) -> int:
        """The nlmsghdr walk of decode.scan_frame, into arrays (same message spans)."""
        mf, mt, mfl, ms, mp, ml, me = (self.m_frame, self.m_type, self.m_flags, self.m_seq,
                                       self.m_pid, self.m_len, self.m_err)
        if pos >= end:
            mf.append(fi); mt.append(-1); mfl.append(0); ms.append(0); mp.append(0)
            ml.append(0); me.append(0)
            return 1
        order = guess_order(buf, pos, end)
        hdr = _HDR[order]
        n = 0
        while pos < end:
            left = end - pos
            if left < 16:
                mf.append(fi); mt.append(-1); mfl.append(0); ms.append(0); mp.append(0)
                ml.append(left); me.append(0)
                return n + 1
            ln, mtype, flags, seq, pid = hdr.unpack_from(buf, pos)
            if ln == 0 and n and not any(buf[pos:end]):
                return n  # zero fill after the last message: its padding (as scan_frame)
            err = 0
            if (mtype == NLMSG_ERROR or mtype == NLMSG_DONE) and ln >= 20 and left >= 20:
                err = _ERRNO[order].unpack_from(buf, pos + 16)[0]
            elif mtype == GENL_ID_CTRL and ln >= 20 and left >= 20 and buf[pos + 16] in (1, 2):
                self._ctrl_family = True  # CTRL_CMD_NEWFAMILY / DELFAMILY: ids to learn
            mf.append(fi); mt.append(mtype); mfl.append(flags); ms.append(seq); mp.append(pid)
            ml.append(ln); me.append(err)
            if ln < 16 or ln > left:
                self.m_odd.add(self.count + n)  # its decode reads past nlmsg_len's promise
                return n + 1
            n += 1
            pos += (ln + 3) & ~3
        return n

    def _genl_prepass(self, fi: int) -> None:
        before = dict(self.decoder.state.get("genl_ids", {}))
        for m in scan_frame(self.frame(fi), self.decoder):
            if m.type == GENL_ID_CTRL:
                self.decoder.note(m)
        if self.decoder.state.get("genl_ids", {}) != before:
            self.state_version += 1

    def note_comment(self, text: str) -> None:
        self.decoder.note_comment(text)
        self.state_version += 1

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
        return msgs

    def message(self, i: int) -> Message:
        """Message number i+1, decoded; recent frames are cached."""
        fi = self.m_frame[i]
        with self._lock:
            if self._cache_version != self.state_version:
                self._cache.clear()
                self._cache_version = self.state_version
            msgs = self._cache.get(fi)
            if msgs is None:
                msgs = self.frame_messages(fi)
                self._cache[fi] = msgs
                if len(self._cache) > 512:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(fi)
        m = msgs[i - self.fr_first[fi]]
        if not m.decoded:
            self.decoder.decode(m)
        return m

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
                yield i, self.decoder.decode(m)
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
    """Indexes a pcap/pcapng file by its records, resumably: a file that is still being
    written is scanned up to its last whole record, and scanned again from there."""

    CHUNK = 1 << 18

    def __init__(self, path: str, index: CaptureIndex):
        self.path = path
        self.index = index
        index.store = index.store or FileStore(path)
        self.fd = os.open(path, os.O_RDONLY)
        self.pos = 0
        self.format: str | None = None
        self.e = "<"
        self.ifaces: list[_Interface] = []
        self.bytes_total = 0

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def _header(self) -> bool:
        head = os.pread(self.fd, 24, 0)
        if len(head) < 4:
            return False
        le, be = struct.unpack("<I", head[:4])[0], struct.unpack(">I", head[:4])[0]
        if le == PCAPNG_SHB:
            self.format = "pcapng"
            return True
        if PCAP_MAGIC_US in (le, be) or PCAP_MAGIC_NS in (le, be):
            if len(head) < 24:
                return False
            self.e = "<" if le in (PCAP_MAGIC_US, PCAP_MAGIC_NS) else ">"
            magic = struct.unpack(self.e + "I", head[:4])[0]
            self.frac_ns = 1 if magic == PCAP_MAGIC_NS else 1000
            snaplen, network = struct.unpack_from(self.e + "II", head, 16)
            lt = network & 0x0FFFFFFF
            if lt not in LINKTYPES:
                raise CaptureError(f"{self.path}: link type {linktype_name(lt)} is not netlink")
            self.ifaces = [_Interface(linktype=lt, snaplen=snaplen)]
            self.format = "pcap"
            self.pos = 24
            return True
        raise CaptureError(f"{self.path}: not a pcap or pcapng file (magic 0x{be:08x})")

    def scan(self, final: bool = False, budget: int | None = None,
             stop: threading.Event | None = None) -> int:
        """Index the whole records now in the file; returns how many messages were added.
        `final`: the file will not grow, so bytes left over are a truncated record."""
        ix = self.index
        before = ix.count
        if self.format is None and not self._header():
            if final:
                ix.complete = True
            return 0
        size = self.size()
        self.bytes_total = size
        step = self.CHUNK
        while self.pos < size:
            if stop is not None and stop.is_set():
                return ix.count - before
            want = min(size - self.pos, max(step, self.CHUNK))
            buf = os.pread(self.fd, want, self.pos)
            used = (self._pcap_records if self.format == "pcap" else self._pcapng_blocks)(buf, self.pos)
            if used is None:  # an unrecoverable problem: stop indexing this file
                break
            if used == 0:
                if len(buf) >= size - self.pos:
                    break  # an incomplete record at the end of the file
                step = self._need  # one record bigger than the chunk
                continue
            step = self.CHUNK
            self.pos += used
            if budget is not None and ix.count - before >= budget:
                return ix.count - before
        if final:
            left = size - self.pos
            if left > 0 and self.format is not None:
                ix.warn(f"truncated record at byte {self.pos}: {left} bytes; stopped there")
            ix.complete = True
        return ix.count - before

    def _pcap_records(self, buf: bytes, base: int) -> int | None:
        ix, e, iface = self.index, self.e, self.ifaces[0]
        lt, frac = iface.linktype, self.frac_ns
        rec = struct.Struct(e + "IIII")
        pos, n = 0, len(buf)
        proto_at = 0 if lt == LINKTYPE_LINUX_SLL2 else 14
        while pos + 16 <= n:
            sec, fr, incl, orig = rec.unpack_from(buf, pos)
            if incl > 0x4000000:
                ix.warn(f"record at byte {base + pos}: implausible length {incl}; stopped")
                return None
            if pos + 16 + incl > n:
                self._need = 16 + incl
                return pos
            d = pos + 16
            proto = self._proto(buf, d, incl, lt, proto_at)
            if proto is not None:
                ix.add_frame(sec * 1_000_000_000 + fr * frac, proto, buf, base + d, orig, lt,
                             buf_off=d, cap_len=incl)
            pos = d + incl
        self._need = 16
        return pos

    def _proto(self, buf, d: int, cap: int, lt: int, proto_at: int) -> int | None:
        if lt == LINKTYPE_NETLINK:
            return struct.unpack_from(">H", buf, d + 14)[0] if cap >= 16 else -1
        where = netlink_offset(lt, bytes(buf[d:d + min(cap, 20)]))
        if isinstance(where, str):
            self.index.skipped += 1
            if self.index.skipped == 1:
                self.index.warn(f"{where}; skipping such frames")
            return None
        return where[1]

    def _pcapng_blocks(self, buf: bytes, base: int) -> int | None:
        ix = self.index
        pos, n = 0, len(buf)
        while pos + 12 <= n:
            btype_le = struct.unpack_from("<I", buf, pos)[0]
            if btype_le == PCAPNG_SHB:
                bom = struct.unpack_from("<I", buf, pos + 8)[0]
                e = "<" if bom == PCAPNG_BOM else ">"
                if struct.unpack_from(e + "I", buf, pos + 8)[0] != PCAPNG_BOM:
                    ix.warn("bad pcapng byte-order magic; stopped")
                    return None
                self.e = e
            e = self.e
            btype, blen = struct.unpack_from(e + "II", buf, pos)
            if blen < 12 or blen % 4 or blen > 0x8000000:
                ix.warn(f"pcapng block at byte {base + pos}: bad length {blen}; stopped")
                return None
            if pos + blen > n:
                self._need = blen
                return pos
            body = pos + 8
            end = pos + blen - 4
            if btype == PCAPNG_SHB:
                self.ifaces = []
                for code, val in _options(buf, body + 16, end, e):
                    if code == 1:
                        ix.note_comment(val.decode("utf-8", "replace"))
            elif btype == PCAPNG_IDB:
                lt, _, snap = struct.unpack_from(e + "HHI", buf, body)
                iface = _Interface(linktype=lt, snaplen=snap)
                for code, val in _options(buf, body + 8, end, e):
                    if code == 9 and val:
                        r = val[0]
                        if r & 0x80:
                            iface.tsres_pow2 = r & 0x7F
                        else:
                            iface.units_per_s = 10 ** r
                ifaces = self.ifaces
                ifaces.append(iface)
            elif btype in (PCAPNG_EPB, PCAPNG_PB, PCAPNG_SPB):
                self._packet(buf, base, btype, body, end, e)
            pos += blen
        self._need = 12
        return pos

    def _packet(self, buf, base: int, btype: int, body: int, end: int, e: str) -> None:
        ix = self.index
        comment = direction = None
        if btype == PCAPNG_SPB:
            if not self.ifaces:
                ix.warn("simple packet block before any interface; skipped")
                return
            orig = struct.unpack_from(e + "I", buf, body)[0]
            iface = self.ifaces[0]
            cap = min(orig, iface.snaplen or orig, end - body - 4)
            d, ts = body + 4, 0
        else:
            if btype == PCAPNG_EPB:
                ifidx, hi, lo, cap, orig = struct.unpack_from(e + "IIIII", buf, body)
            else:
                ifidx, _drops, hi, lo, cap, orig = struct.unpack_from(e + "HHIIII", buf, body)
            if ifidx >= len(self.ifaces):
                ix.warn(f"packet block for unknown interface {ifidx}; skipped")
                return
            iface = self.ifaces[ifidx]
            d = body + 20
            ts = _ts_to_ns((hi << 32) | lo, iface)
            opt = (d + cap + 3) & ~3
            if opt < end:
                for code, val in _options(buf, opt, end, e):
                    if code == 1:
                        comment = val.decode("utf-8", "replace")
                    elif code == 2 and btype == PCAPNG_EPB and len(val) >= 4:
                        direction = {1: "in", 2: "out"}.get(struct.unpack(e + "I", val[:4])[0] & 3)
        lt = iface.linktype
        if lt not in _LT_CODE:
            ix.skipped += 1
            if not iface.warned:
                iface.warned = True
                ix.warn(f"link type {linktype_name(lt)} is not netlink; skipping such frames")
            return
        proto = self._proto(buf, d, cap, lt, 14)
        if proto is None:
            return
        ix.add_frame(ts, proto, buf, base + d, orig, lt, direction, comment, buf_off=d, cap_len=cap)


class FrameFeeder:
    """A live source: Frames as they arrive (from a capture process, a generator...)
    are spooled and indexed, unchanged."""

    def __init__(self, index: CaptureIndex):
        if index.store is None:
            index.store = SpoolStore()
        self.index = index
        self.store: SpoolStore = index.store  # type: ignore[assignment]
        self.drops = 0

    def feed(self, frame: Frame) -> None:
        raw = frame.raw
        off = self.store.append(raw)
        self.index.add_frame(frame.ts_ns, frame.protocol, raw, off,
                             frame.orig_len or len(raw), frame.linktype, frame.direction,
                             frame.comment, frame.pid, frame.comm)

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
