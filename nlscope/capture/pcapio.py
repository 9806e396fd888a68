"""Streaming pcap / pcapng reader and writer for netlink captures.

The reader never holds the file: it reads one record at a time and yields Frames.
Problems (truncated records, foreign link types) become warnings, never exceptions,
once the file is known to be a capture.
"""
from __future__ import annotations

import io
import os
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .frame import Frame

LINKTYPE_LINUX_SLL = 113
LINKTYPE_NETLINK = 253
LINKTYPE_LINUX_SLL2 = 276
ARPHRD_NETLINK = 824
PACKET_OUTGOING = 4

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_BOM = 0x1A2B3C4D
PCAPNG_IDB = 1
PCAPNG_PB = 2  # obsolete Packet Block
PCAPNG_SPB = 3
PCAPNG_EPB = 6
OPT_ENDOFOPT = 0
OPT_COMMENT = 1
IF_NAME = 2
IF_TSRESOL = 9
EPB_FLAGS = 2
SHB_USERAPPL = 4

NETLINK_LINKTYPES = frozenset({LINKTYPE_NETLINK, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2})
LINKTYPE_NAMES = {LINKTYPE_NETLINK: "NETLINK", LINKTYPE_LINUX_SLL: "LINUX_SLL",
                  LINKTYPE_LINUX_SLL2: "LINUX_SLL2", 1: "EN10MB", 0: "NULL", 101: "RAW"}


class CaptureError(Exception):
    """The file cannot be read as a capture at all (one clear line for the user)."""


# The process of a frame (trace captures), kept as an EPB comment Wireshark shows too.
_PROCESS_COMMENT = re.compile(r"pid=(\d{1,10})(?: comm=(.*))?\Z", re.S)


def process_comment(pid: int, comm: str | None) -> str:
    return f"pid={pid}" + (f" comm={comm}" if comm is not None else "")


def parse_process_comment(text: str) -> tuple[int, str | None] | None:
    m = _PROCESS_COMMENT.match(text)
    return (int(m.group(1)), m.group(2)) if m else None


class _Prefixed:
    """A sequential binary stream with bytes already read put back in front (a pipe
    cannot seek back over the magic number)."""

    def __init__(self, f: BinaryIO, head: bytes):
        self._f, self._head, self._pos = f, head, 0

    def read(self, n: int) -> bytes:
        out = b""
        if self._head:
            out, self._head = self._head[:n], self._head[n:]
        while len(out) < n:
            chunk = self._f.read(n - len(out))
            if not chunk:
                break
            out += chunk
        self._pos += len(out)
        return out

    def tell(self) -> int:
        return self._pos

    @property
    def closed(self) -> bool:
        return self._f.closed

    def close(self) -> None:
        self._f.close()


def linktype_name(lt: int) -> str:
    return LINKTYPE_NAMES.get(lt, str(lt))


@dataclass(slots=True)
class _Interface:
    linktype: int
    snaplen: int
    units_per_s: int = 1_000_000  # pcapng default resolution: microseconds
    name: str | None = None
    tsres_pow2: int | None = None
    warned: bool = False


_TS_MAX = (1 << 64) - 1


def _ts_to_ns(ts: int, iface: _Interface) -> int:
    """Nanoseconds since the epoch, within 64 bits (a coarse resolution may claim more)."""
    if iface.units_per_s == 1_000_000 and iface.tsres_pow2 is None:  # the default
        ns = ts * 1000
        return ns if ns <= _TS_MAX else _TS_MAX
    if iface.tsres_pow2 is not None:
        ns = (ts * 1_000_000_000) >> iface.tsres_pow2
    elif iface.units_per_s <= 1_000_000_000:
        ns = ts * (1_000_000_000 // iface.units_per_s)
    else:
        ns = ts // (iface.units_per_s // 1_000_000_000)
    return min(ns, _TS_MAX)


def netlink_offset(linktype: int, raw: bytes) -> tuple[int, int] | str:
    """(nl_offset, protocol) of a frame of this link type, or why it is not netlink."""
    if linktype == LINKTYPE_NETLINK:
        if len(raw) < 16:
            return 16, -1
        return 16, struct.unpack_from(">H", raw, 14)[0]
    if linktype == LINKTYPE_LINUX_SLL:
        if len(raw) < 16:
            return 16, -1
        hatype = struct.unpack_from(">H", raw, 2)[0]
        if hatype != ARPHRD_NETLINK:
            return f"LINUX_SLL frame with hatype {hatype}, not netlink ({ARPHRD_NETLINK})"
        return 16, struct.unpack_from(">H", raw, 14)[0]
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(raw) < 20:
            return 20, -1
        hatype = struct.unpack_from(">H", raw, 8)[0]
        if hatype != ARPHRD_NETLINK:
            return f"LINUX_SLL2 frame with hatype {hatype}, not netlink ({ARPHRD_NETLINK})"
        return 20, struct.unpack_from(">H", raw, 0)[0]
    return f"link type {linktype_name(linktype)} is not netlink"


class _Incomplete(Exception):
    """A record not wholly in the file yet (follow mode): read it again later."""


class _End(Exception):
    """Nothing more can be read (end of file, or a problem that stops the reader)."""


_BLOCK_HEAD = {e: struct.Struct(e + "II") for e in "<>"}
_EPB_FIELDS = {e: struct.Struct(e + "IIIII") for e in "<>"}
_FIXED = {PCAPNG_IDB: 8, PCAPNG_EPB: 20, PCAPNG_PB: 20, PCAPNG_SPB: 4}  # bytes after the header

MAX_BLOCK = 0x8000000  # 128 MiB: no real record is larger; a length past it is damage


class CaptureReader:
    """Iterate the netlink Frames of a pcap or pcapng file or stream, in order, one
    record at a time (never the whole file in memory). Each Frame has its `offset`
    in the file or stream. This is nlscope's one capture reader: commands, the
    pipeline and the TUI's index all read through it.

    `warnings` collects what was skipped or cut; `skipped` counts frames of foreign
    link types. `on_warning` (if given) is called as each warning happens.

    follow=True (a file still being written): iterating stops quietly at the last
    whole record and a later iteration goes on from there; set `final = True` once
    the writer is done, and a record cut short is then reported as truncated.
    """

    def __init__(self, path: str | os.PathLike | BinaryIO,
                 on_warning: Callable[[str], None] | None = None, follow: bool = False):
        # `path` may be an open binary stream, e.g. the stdout of `nlscope capture -w -`
        # run as a child: it is read strictly in order and frames come as they arrive.
        stream = hasattr(path, "read")
        name = getattr(path, "name", None) if stream else None
        self.path = (name if isinstance(name, str) else "<stream>") if stream else os.fspath(path)
        self.warnings: list[str] = []
        self.skipped = 0
        self.records = 0
        self.frames = 0  # netlink frames yielded
        self.on_warning = on_warning
        self.section_comments: list[str] = []
        self.follow = follow
        self.final = not follow
        self.format: str | None = None
        self.ended = False
        self._ifaces: list[_Interface] = []
        self._e = "<"
        self._pos = 0  # where the next record starts (no tell() per record)
        # Records are cut from a buffer of whole chunks (one read per ~1 MiB of a file,
        # not two per record); it keeps everything from the record being read on, so a
        # record not whole yet (follow mode, a pipe) is read again from its start.
        self._buf = b""
        self._base = 0  # file offset of _buf[0]
        self._mark = 0  # file offset of the record being read
        self._chunk = 1 << 20
        if not stream:
            try:
                f = open(self.path, "rb")
            except OSError as e:
                raise CaptureError(f"{self.path}: {e.strerror}") from None
            if os.path.isdir(self.path):
                f.close()
                raise CaptureError(f"{self.path}: is a directory")
            if not f.seekable():  # a FIFO, <(...): read it as the stream it is
                stream, path = True, f
            else:
                self._f: BinaryIO = f
                self.size = os.fstat(f.fileno()).st_size
        if stream:
            self._f = _Prefixed(path, b"")  # type: ignore[arg-type,assignment]
            self.size = 0
            self._chunk = 0  # a pipe: read only what the record needs (never wait for more)
        self._seekable = not stream
        if not follow:
            self._start()

    def _start(self) -> bool:
        """Read the file's magic (and a pcap file header). False: not enough bytes yet."""
        f = self._f
        if not self._fill(4, 0):
            if self.follow and not self.final:
                return False
            f.close()
            raise CaptureError(f"{self.path}: not a pcap or pcapng file "
                               f"(only {len(self._buf)} bytes)")
        head = self._buf[:4]
        magic_le = struct.unpack("<I", head)[0]
        magic_be = struct.unpack(">I", head)[0]
        if magic_le == PCAPNG_SHB:
            self.format = "pcapng"
        elif PCAP_MAGIC_US in (magic_le, magic_be) or PCAP_MAGIC_NS in (magic_le, magic_be):
            if not self._fill(24, 0):
                if self.follow and not self.final:
                    return False
                hdr = self._buf
                f.close()
                raise CaptureError(f"{self.path}: truncated pcap file header ({len(hdr)} of 24 bytes)")
            self._pcap_header(self._buf[:24])
            self._pos = 24
            self.format = "pcap"
        else:
            f.close()
            raise CaptureError(f"{self.path}: not a pcap or pcapng file (magic 0x{magic_be:08x})")
        return True

    # -- plumbing -------------------------------------------------------------
    @property
    def seekable(self) -> bool:
        """A regular file (it can be read again: a first pass, an index)."""
        return self._seekable

    def tell(self) -> int:
        return self._pos

    def checkpoint(self) -> dict:
        """Where the next record starts and what reading it needs (the section's byte
        order and interfaces): `resume` on another reader of the same file goes on from
        there (workers that each read a part of the file)."""
        cp = {k: getattr(self, k) for k in ("format", "_pos", "_e", "_frac_ns", "_rec", "_pcap_iface")
              if hasattr(self, k)}
        cp["_ifaces"] = list(self._ifaces)
        return cp

    def resume(self, cp: dict) -> None:
        """Go on from a checkpoint of another reader of this file (seekable only)."""
        for k, v in cp.items():
            setattr(self, k, v)
        self._ifaces = list(cp["_ifaces"])
        self._buf, self._base = b"", self._pos
        self._f.seek(self._pos)

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        try:
            while True:
                fr = self.next_frame()
                if fr is None:
                    return
                yield fr
        finally:
            if not self.follow or self.final:
                self._f.close()

    def next_frame(self) -> Frame | None:
        """The next netlink frame; None at the end (for now, in follow mode)."""
        if self.ended or self._f.closed:
            return None
        if self.format is None and not self._start():
            return None
        read = self._pcap_record if self.format == "pcap" else self._pcapng_block
        while True:
            start = self._mark = self._pos
            try:
                fr = read()
            except _Incomplete:
                self._pos = start  # still buffered: read again from there later
                return None
            except _End:
                self.ended = True
                return None
            if fr is not None:
                self.frames += 1
                return fr

    def _fill(self, n: int, start: int) -> bool:
        """Have the n bytes from file offset `start` buffered; False when the source
        has fewer for now. Bytes before the current record are dropped."""
        buf, base = self._buf, self._base
        have = base + len(buf) - start
        if have >= n:
            return True
        keep = self._mark  # the record being read stays whole: it may be read again
        if keep > base:
            buf = buf[keep - base:]
            base = keep
        while True:
            more = self._f.read(max(self._chunk, n - have))
            if not more:
                break
            buf += more
            have += len(more)
            if have >= n:
                break
        self._buf, self._base = buf, base
        return have >= n

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        if self.on_warning:
            self.on_warning(text)

    def _make_frame(self, iface: _Interface, ifidx: int, ts_ns: int, raw: bytes, offset: int,
                    orig_len: int, comment: str | None = None, direction: str | None = None,
                    pid: int | None = None, comm: str | None = None) -> Frame | None:
        self.records += 1
        if iface.linktype == LINKTYPE_NETLINK and len(raw) >= 16:  # nlmon's: the usual case
            return Frame(0, ts_ns, (raw[14] << 8) | raw[15], raw, 16, orig_len, LINKTYPE_NETLINK,
                         ifidx, comment, direction, pid, comm, offset)
        where = netlink_offset(iface.linktype, raw)
        if isinstance(where, str):
            self.skipped += 1
            if not iface.warned:
                iface.warned = True
                self._warn(f"record {self.records}: {where}; skipping such frames")
            return None
        off, proto = where
        return Frame(number=0, ts_ns=ts_ns, protocol=proto, raw=raw, nl_offset=off,
                     orig_len=orig_len, linktype=iface.linktype, interface=ifidx,
                     comment=comment, direction=direction, pid=pid, comm=comm, offset=offset)

    def _read(self, n: int, what: str) -> bytes:
        pos = self._pos
        if not self._fill(n, pos):
            got = self._base + len(self._buf) - pos
            if self.follow and not self.final:
                raise _Incomplete
            self._pos = pos + got
            if got:
                self._warn(f"truncated {what} at byte {pos}: {got} of {n} bytes; stopped there")
            raise _End
        i = pos - self._base
        self._pos = pos + n
        return self._buf[i:i + n]

    def _stop(self, text: str) -> None:
        self._warn(text)
        raise _End

    # -- pcap -------------------------------------------------------------------
    def _pcap_header(self, hdr: bytes) -> None:
        magic = struct.unpack("<I", hdr[:4])[0]
        self._e = "<" if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS) else ">"
        magic = struct.unpack(self._e + "I", hdr[:4])[0]
        self._frac_ns = 1 if magic == PCAP_MAGIC_NS else 1000
        _, _, _, _, snaplen, network = struct.unpack_from(self._e + "HHiIII", hdr, 4)
        lt = network & 0x0FFFFFFF
        if lt not in NETLINK_LINKTYPES:
            self._f.close()
            raise CaptureError(f"{self.path}: link type {linktype_name(lt)} is not netlink "
                               f"(expected NETLINK 253, LINUX_SLL 113 or LINUX_SLL2 276)")
        self._pcap_iface = _Interface(linktype=lt, snaplen=snaplen)
        self._rec = struct.Struct(self._e + "IIII")

    def _pcap_record(self) -> Frame | None:
        head = self._read(16, "pcap record header")
        sec, frac, incl, orig = self._rec.unpack(head)
        if incl > 0x4000000:
            self._stop(f"record at byte {self._pos - 16}: implausible length {incl}; stopped")
        at = self._pos
        raw = self._read(incl, f"pcap record ({incl} bytes)")
        return self._make_frame(self._pcap_iface, 0, sec * 1_000_000_000 + frac * self._frac_ns,
                                raw, at, orig)

    # -- pcapng -----------------------------------------------------------------
    def _pcapng_block(self) -> Frame | None:
        at = self._pos
        buf, i = self._buf, at - self._base
        if len(buf) - i < 8:
            if not self._fill(8, at):
                self._read(8, "pcapng block header")  # reports what is missing
            buf, i = self._buf, at - self._base
        if struct.unpack_from("<I", buf, i)[0] == PCAPNG_SHB:
            self._pos = at + 8
            return self._section(buf[i:i + 8], at)
        e = self._e
        btype, blen = _BLOCK_HEAD[e].unpack_from(buf, i)
        if blen < 12 or blen % 4 or blen > MAX_BLOCK:
            self._pos = at + 8
            self._stop(f"pcapng block at byte {at}: bad length {blen}; stopped")
        if len(buf) - i < blen:
            if not self._fill(blen, at):
                self._pos = at + 8
                self._read(blen - 8, f"pcapng block (type {btype}, {blen} bytes)")
            buf, i = self._buf, at - self._base
        # The whole block is buffered: its fields are read in place (offsets into buf).
        self._pos = at + blen
        body = i + 8
        end = i + blen - 4
        if end - body < _FIXED.get(btype, 0):
            self._warn(f"pcapng block at byte {at} (type {btype}): {blen} bytes, shorter than "
                       f"its fixed fields; skipped")
            return None
        if btype == PCAPNG_EPB:
            ifidx, hi, lo, cap, orig = _EPB_FIELDS[e].unpack_from(buf, body)
        elif btype == PCAPNG_PB:
            ifidx, _drops, hi, lo, cap, orig = struct.unpack_from(e + "HHIIII", buf, body)
        elif btype == PCAPNG_IDB:
            return self._interface(buf, body, end, e)
        elif btype == PCAPNG_SPB:
            if not self._ifaces:
                self._warn("simple packet block before any interface; skipped")
                return None
            orig = struct.unpack_from(e + "I", buf, body)[0]
            iface = self._ifaces[0]
            cap = min(orig, iface.snaplen or orig, end - body - 4)
            return self._make_frame(iface, 0, 0, buf[body + 4:body + 4 + cap], at + 12, orig)
        else:
            return None  # name resolution, statistics, custom blocks: nothing we decode
        if ifidx >= len(self._ifaces):
            self._warn(f"packet block for unknown interface {ifidx}; skipped")
            return None
        data = body + 20
        data_end = data + cap
        if data_end > end:
            self._warn(f"pcapng block at byte {at}: captured length {cap} runs past its "
                       f"{blen}-byte block; skipped")
            return None
        raw = buf[data:data_end]
        comment = direction = pid = comm = None
        opts = (data_end + 3) & ~3
        if opts + 4 <= end:
            for code, val in _options(buf, opts, end, e):
                if code == OPT_COMMENT:
                    text = val.decode("utf-8", "replace")
                    proc = parse_process_comment(text)
                    if proc is not None:
                        pid, comm = proc
                    else:
                        comment = text
                elif code == EPB_FLAGS and btype == PCAPNG_EPB and len(val) >= 4:
                    d = struct.unpack(e + "I", val[:4])[0] & 3
                    direction = {1: "in", 2: "out"}.get(d)
        iface = self._ifaces[ifidx]
        return self._make_frame(iface, ifidx, _ts_to_ns((hi << 32) | lo, iface), raw, at + 28,
                                orig, comment, direction, pid, comm)

    def _interface(self, buf: bytes, body: int, end: int, e: str) -> None:
        lt, _, snap = struct.unpack_from(e + "HHI", buf, body)
        iface = _Interface(linktype=lt, snaplen=snap)
        for code, val in _options(buf, body + 8, end, e):
            if code == IF_TSRESOL and val:
                r = val[0]
                if r & 0x80:
                    iface.tsres_pow2 = min(r & 0x7F, 64)
                else:
                    iface.units_per_s = 10 ** min(r, 18)
            elif code == IF_NAME:
                iface.name = val.decode("utf-8", "replace")
        self._ifaces.append(iface)
        return None

    def _section(self, head: bytes, at: int) -> None:
        bom = self._read(4, "pcapng section header")
        e = "<" if struct.unpack("<I", bom)[0] == PCAPNG_BOM else ">"
        if struct.unpack(e + "I", bom)[0] != PCAPNG_BOM:
            self._stop("bad pcapng byte-order magic; stopped")
        blen = struct.unpack(e + "I", head[4:])[0]
        if blen < 28 or blen % 4 or blen > MAX_BLOCK:
            if at == 0:  # not even the first section header: nothing here is usable
                self._f.close()
                raise CaptureError(f"{self.path}: pcapng section header has a bad length ({blen})")
            self._stop(f"pcapng section header at byte {at}: bad length {blen}; stopped")
        body = self._read(blen - 12, "pcapng section header")
        self._e = e
        self._ifaces = []
        for code, val in _options(body, 12, len(body) - 4, e):
            if code == OPT_COMMENT:
                self.section_comments.append(val.decode("utf-8", "replace"))
        return None


def _options(body: bytes, pos: int, end: int, e: str) -> Iterator[tuple[int, bytes]]:
    while pos + 4 <= end:
        code, length = struct.unpack_from(e + "HH", body, pos)
        if code == OPT_ENDOFOPT:
            return
        yield code, body[pos + 4:pos + 4 + length]
        pos += 4 + ((length + 3) & ~3)


# -- writers ------------------------------------------------------------------------

def cooked_header(protocol: int) -> bytes:
    """The 16-byte LINKTYPE_NETLINK header nlmon produces."""
    return struct.pack(">HHH8sH", PACKET_OUTGOING, ARPHRD_NETLINK, 0, b"", protocol & 0xFFFF)


def as_netlink_linktype(frame: Frame) -> bytes:
    if frame.linktype == LINKTYPE_NETLINK:
        return frame.raw
    return cooked_header(frame.protocol) + bytes(frame.payload)


def _opt(code: int, val: bytes) -> bytes:
    return struct.pack("<HH", code, len(val)) + val + b"\0" * (-len(val) % 4)


def epb_options(comment: str | None, pid: int | None, comm: str | None,
                direction: str | None) -> bytes:
    """An EPB's options for a frame's comment, process and direction (b"" for none)."""
    opts = b""
    if comment:
        opts += _opt(OPT_COMMENT, comment.encode())
    if pid is not None:
        opts += _opt(OPT_COMMENT, process_comment(pid, comm).encode())
    if direction in ("in", "out"):
        opts += _opt(EPB_FLAGS, struct.pack("<I", 1 if direction == "in" else 2))
    if opts:
        opts += _opt(OPT_ENDOFOPT, b"")
    return opts


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


_EPB_HEAD = struct.Struct("<IIIIIII")  # type, length, interface, ts high, ts low, cap, orig
_U32 = struct.Struct("<I")
_PADS = (b"", b"\0", b"\0\0", b"\0\0\0")


class PcapngWriter:
    """Writes LINKTYPE_NETLINK frames with nanosecond timestamps, one interface."""

    def __init__(self, f: BinaryIO, comments: list[str] | None = None, ifname: str = "nlmon0"):
        self._f = f
        opts = b"".join(_opt(OPT_COMMENT, c.encode()) for c in comments or [])
        opts += _opt(SHB_USERAPPL, b"nlscope") + _opt(OPT_ENDOFOPT, b"")
        f.write(_block(PCAPNG_SHB, struct.pack("<IHHq", PCAPNG_BOM, 1, 0, -1) + opts))
        idb_opts = _opt(IF_NAME, ifname.encode()) + _opt(IF_TSRESOL, b"\x09") + _opt(OPT_ENDOFOPT, b"")
        f.write(_block(PCAPNG_IDB, struct.pack("<HHI", LINKTYPE_NETLINK, 0, 0) + idb_opts))

    def write(self, frame: Frame) -> None:
        # One pack and one write per frame: live captures call this for every frame.
        raw = frame.raw if frame.linktype == LINKTYPE_NETLINK else as_netlink_linktype(frame)
        opts = b""
        if frame.comment or frame.pid is not None or frame.direction:
            opts = epb_options(frame.comment, frame.pid, frame.comm, frame.direction)
        n = len(raw)
        ts = frame.ts_ns
        orig = max(frame.orig_len - frame.nl_offset, n - 16) + 16
        pad = -n % 4
        blen = 32 + n + pad + len(opts)
        self._f.write(_EPB_HEAD.pack(PCAPNG_EPB, blen, 0, ts >> 32, ts & 0xFFFFFFFF, n, orig)
                      + raw + _PADS[pad] + opts + _U32.pack(blen))

    def write_records(self, records: Iterable[tuple]) -> int:
        """A live capture's frames in bulk, one write: (ts_ns, protocol, raw, orig_len)
        with raw starting with its LINKTYPE_NETLINK header, no options; or, a whole
        batch so, (ts_ns, protocol, raw, orig_len, opts) with opts from epb_options()
        (the eBPF source: the same bytes as write() of its Frames). The bytes written."""
        head, u32, pads, epb = _EPB_HEAD.pack, _U32.pack, _PADS, PCAPNG_EPB
        parts: list[bytes] = []
        add = parts.append
        if not isinstance(records, list):
            records = list(records)
        if records and len(records[0]) == 5:
            for ts, _proto, raw, orig, opts in records:
                n = len(raw)
                pad = -n % 4
                blen = 32 + n + pad + len(opts)
                add(head(epb, blen, 0, ts >> 32, ts & 0xFFFFFFFF, n, max(orig, n)))
                add(raw)
                add(pads[pad] + opts + u32(blen))
            data = b"".join(parts)
            self._f.write(data)
            return len(data)
        for ts, _proto, raw, orig in records:
            n = len(raw)
            pad = -n % 4
            blen = 32 + n + pad
            add(head(epb, blen, 0, ts >> 32, ts & 0xFFFFFFFF, n, max(orig, n)))
            add(raw)
            add(pads[pad] + u32(blen))
        data = b"".join(parts)
        self._f.write(data)
        return len(data)


class PcapWriter:
    """Classic pcap, nanosecond magic, LINKTYPE_NETLINK."""

    def __init__(self, f: BinaryIO):
        self._f = f
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_NS, 2, 4, 0, 0, 262144, LINKTYPE_NETLINK))

    def write(self, frame: Frame) -> None:
        raw = as_netlink_linktype(frame)
        sec, ns = divmod(frame.ts_ns, 1_000_000_000)
        orig = max(frame.orig_len - frame.nl_offset, len(raw) - 16) + 16
        self._f.write(struct.pack("<IIII", sec, ns, len(raw), orig) + raw)


def open_writer(f: BinaryIO | io.BufferedWriter, fmt: str = "pcapng", **kw) -> PcapngWriter | PcapWriter:
    if fmt == "pcap":
        return PcapWriter(f)
    if fmt == "pcapng":
        return PcapngWriter(f, **kw)
    raise ValueError(f"unknown capture format {fmt!r} (pcap or pcapng)")

