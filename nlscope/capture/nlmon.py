"""The nlmon source: live netlink traffic from an nlmon interface, over AF_PACKET.

    with NlmonCapture("nlmon0") as cap:      # creates nlmon0 if missing, removes it after
        for frame in cap: ...                  # Frames, LINKTYPE_NETLINK, ns timestamps

How, and why so:
* The interface: if it does not exist we create it with our own RTM_NEWLINK
  (IFLA_LINKINFO kind "nlmon", IFF_UP) over a NETLINK_ROUTE socket, and delete exactly
  that one (by index) on close. An existing interface is used as it is and left alone.
* Capture: socket(AF_PACKET, SOCK_RAW, 0) then bind((iface, ETH_P_ALL)), so nothing of
  another interface is ever queued. On nlmon the frame data is the netlink datagram
  itself (the device has no link-layer header) and sockaddr_ll carries pkttype
  (always PACKET_OUTGOING: nlmon frames pass the transmit tap), hatype 824 and
  protocol = the netlink family. We rebuild libpcap's 16-byte LINKTYPE_NETLINK header
  from those same fields (halen bytes of the address, zero-padded), so a frame's bytes
  equal what tcpdump writes (tests/vm/test_capture.py compares them all).
* Buffering, chosen by measurement (bench/capture_bench.py, 80k-frame burst in the VM):
  a TPACKET_V3 ring (PACKET_RX_RING, 128 MiB by default, -B) read in place through
  mmap. Per CPU second it handles ~1.8x the frames of recvmsg_into on a socket with a
  64 MiB SO_RCVBUFFORCE (19.5k vs 10.8k frames/CPU-s under TCG), and it holds far more
  frames per byte (a small frame takes ~128 bytes of ring, but ~1 KiB of skb truesize
  in a socket queue). Blocks are small (256 KiB) and many: a block is handed over when
  full or RETIRE_MS after its first frame, so a slow trickle leaves each nearly empty,
  and 64 blocks of 1 MiB held only ~1.3 s of a TCG burst for a reader kept off the CPU.
  A writer takes whole blocks (batches(): no Frame per frame, one pcapng write per
  block); Frames are made only for decoding consumers. The recvmsg path stays as
  mode="recv" (the benchmark's comparison).
* Timestamps: the ring's tp_sec/tp_nsec (recv mode: SO_TIMESTAMPNS), the kernel's
  receive time in ns.
* Drops: PACKET_STATISTICS (tp_packets, tp_drops; reading resets them, so we
  accumulate) is polled about once a second and at the end; `on_drops` is told of
  every new drop. Drops are never silent.
* Stop: stop() (from a signal handler too) wakes the poll loop through a pipe; the
  frame being handled is finished first, so a writer never leaves half a block, and
  what the kernel had queued before the stop is still read (tcpdump drops it).

Privileges: creating nlmon needs CAP_NET_ADMIN, the AF_PACKET socket CAP_NET_RAW,
entering a named netns CAP_SYS_ADMIN; each failure is one CaptureSetupError line.
"""
from __future__ import annotations

import errno
import mmap
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .frame import Frame
from .pcapio import ARPHRD_NETLINK, LINKTYPE_NETLINK, CaptureError

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_RCVBUFFORCE = 33
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
CLONE_NEWNET = 0x40000000
CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN = 12, 13, 21
CAP_NAMES = {CAP_NET_ADMIN: "CAP_NET_ADMIN", CAP_NET_RAW: "CAP_NET_RAW",
             CAP_SYS_ADMIN: "CAP_SYS_ADMIN"}

NETLINK_ROUTE, NETLINK_GENERIC = 0, 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_DUMP = 0x1, 0x4, 0x200, 0x400, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND = 3, 18, 1
IFF_UP = 0x1
GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, CTRL_CMD_GETFAMILY = 0x10, 1, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2

DEFAULT_BUFFER = 128 << 20
RETIRE_MS = 100  # the longest a frame waits in a block that is not full
SNAPLEN = 262144

# nlmon taps only these protocols (net/netlink/af_netlink.c, netlink_filter_tap).
NLMON_PROTOCOLS = ("route", "usersock", "sock_diag", "nflog", "xfrm", "fib_lookup",
                   "netfilter", "generic")
NLMON_LIMITS = ("nlmon sees only the " + ", ".join(NLMON_PROTOCOLS) + " protocols, "
                "in its own network namespace; for other protocols (e.g. a kernel module "
                "on 31) use `nlscope trace -- CMD`")


class CaptureSetupError(CaptureError):
    """The capture could not start (privileges, no such netns, no nlmon...)."""


def effective_caps() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return None


def missing_caps(*caps: int) -> list[str]:
    eff = effective_caps()
    if eff is None:
        return []
    return [CAP_NAMES[c] for c in caps if not eff >> c & 1]


ROOT_HINT = "run nlscope as root (sudo nlscope ...)"


# -- a minimal netlink client (requests of our own: create nlmon, genl ids) -----------

def _nla(atype: int, payload: bytes) -> bytes:
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, atype) + payload + b"\0" * (-ln % 4)


def _attrs(buf: bytes, pos: int, end: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    while pos + 4 <= end:
        ln, atype = struct.unpack_from("=HH", buf, pos)
        if ln < 4:
            break
        out.setdefault(atype & 0x3FFF, buf[pos + 4:pos + ln])
        pos += (ln + 3) & ~3
    return out


class NetlinkClient:
    """Send one request, collect its replies (until ACK, error or NLMSG_DONE)."""

    def __init__(self, protocol: int):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                                  protocol)
        self.sock.bind((0, 0))
        self.seq = int(time.time()) & 0xFFFFFF

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> NetlinkClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, mtype: int, flags: int, payload: bytes) -> list[tuple[int, bytes]]:
        """[(nlmsg_type, message bytes)] of the replies; OSError(errno) on a NLMSG_ERROR."""
        self.seq += 1
        seq = self.seq
        msg = struct.pack("=IHHII", 16 + len(payload), mtype, flags | NLM_F_REQUEST, seq, 0)
        self.sock.send(msg + payload)
        out: list[tuple[int, bytes]] = []
        while True:
            data = self.sock.recv(1 << 16)
            pos = 0
            while pos + 16 <= len(data):
                ln, t, _fl, s, _pid = struct.unpack_from("=IHHII", data, pos)
                if ln < 16:
                    break
                body = data[pos:pos + ln]
                pos += (ln + 3) & ~3
                if s != seq:
                    continue
                if t == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body, 16)[0]
                    if err:
                        raise OSError(err, os.strerror(err))
                    return out
                if t == NLMSG_DONE:
                    return out
                out.append((t, body))
                if not flags & NLM_F_DUMP and not flags & NLM_F_ACK:
                    return out


def genl_families() -> dict[str, int]:
    """The live kernel's generic netlink families: {name: id} (CTRL_CMD_GETFAMILY dump)."""
    with NetlinkClient(NETLINK_GENERIC) as nl:
        replies = nl.request(GENL_ID_CTRL, NLM_F_DUMP, struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0))
    out: dict[str, int] = {}
    for _t, body in replies:
        a = _attrs(body, 20, len(body))
        if CTRL_ATTR_FAMILY_ID in a and CTRL_ATTR_FAMILY_NAME in a:
            name = a[CTRL_ATTR_FAMILY_NAME].split(b"\0", 1)[0].decode("utf-8", "replace")
            out[name] = struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID][:2])[0]
    return out


GENL_COMMENT_KEY = "nlscope-genl-families"


def family_map_comment(ids: dict[str, int]) -> str:
    """The section comment saving the family ids, in the genl dissector's format
    (dissectors.genl.genl_family_map_comment; a test holds them equal). Written here:
    importing the dissector pulls in the decoding stack, 5.5 s of a capture's start
    under the lab's TCG for a line of JSON (issue 15)."""
    import json
    clean = {str(k): int(v) for k, v in sorted(ids.items())}
    return f"{GENL_COMMENT_KEY}: {json.dumps(clean, separators=(', ', ': '))}"


def genl_family_comment(on_warning: Callable[[str], None] | None = None) -> str | None:
    """The live kernel's family map as a pcapng section comment, or None (warned)."""
    try:
        ids = genl_families()
    except OSError as e:
        if on_warning:
            on_warning(f"could not read the generic netlink family ids: {e.strerror or e}; "
                       f"genl messages decode from what the capture itself shows")
        return None
    return family_map_comment(ids)


# -- links ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LinkInfo:
    index: int
    type: int
    flags: int
    kind: str | None


def _ifinfomsg(index: int = 0, flags: int = 0, change: int = 0) -> bytes:
    return struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, flags, change)


def link_info(name: str) -> LinkInfo | None:
    with NetlinkClient(NETLINK_ROUTE) as nl:
        try:
            replies = nl.request(RTM_GETLINK, 0, _ifinfomsg() + _nla(IFLA_IFNAME, name.encode() + b"\0"))
        except OSError as e:
            if e.errno in (errno.ENODEV, errno.ENOENT):
                return None
            raise
    for t, body in replies:
        if t != RTM_NEWLINK:
            continue
        _fam, itype, index, flags, _chg = struct.unpack_from("=BxHiII", body, 16)
        a = _attrs(body, 32, len(body))
        kind = None
        if IFLA_LINKINFO in a:
            li = _attrs(a[IFLA_LINKINFO], 0, len(a[IFLA_LINKINFO]))
            if IFLA_INFO_KIND in li:
                kind = li[IFLA_INFO_KIND].split(b"\0", 1)[0].decode()
        return LinkInfo(index, itype, flags, kind)
    return None


def create_nlmon(name: str) -> int:
    """Create and bring up an nlmon interface; its ifindex."""
    payload = (_ifinfomsg(0, IFF_UP, IFF_UP) + _nla(IFLA_IFNAME, name.encode() + b"\0")
               + _nla(IFLA_LINKINFO | 0x8000, _nla(IFLA_INFO_KIND, b"nlmon")))
    with NetlinkClient(NETLINK_ROUTE) as nl:
        nl.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, payload)
    info = link_info(name)
    if info is None:
        raise OSError(errno.ENODEV, f"{name} vanished after creation")
    if not info.flags & IFF_UP:
        set_up(info.index)
    return info.index


def set_up(index: int) -> None:
    with NetlinkClient(NETLINK_ROUTE) as nl:
        nl.request(RTM_NEWLINK, NLM_F_ACK, _ifinfomsg(index, IFF_UP, IFF_UP))


def delete_link(index: int) -> None:
    with NetlinkClient(NETLINK_ROUTE) as nl:
        nl.request(RTM_DELLINK, NLM_F_ACK, _ifinfomsg(index))


def enter_netns(name: str) -> None:
    """Move this thread (the whole capture) into the named network namespace."""
    path = name if "/" in name else os.path.join("/run/netns", name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise CaptureSetupError(f"no network namespace {name!r} ({path} missing; see "
                                f"`ip netns list`)") from None
    except PermissionError:
        raise CaptureSetupError(f"cannot open {path}: permission denied") from None
    try:
        setns = getattr(os, "setns", None)
        if setns is not None:
            setns(fd, CLONE_NEWNET)
        else:
            import ctypes  # Python < 3.12 has no os.setns
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
    except OSError as e:
        if e.errno == errno.EPERM:
            raise CaptureSetupError(f"entering network namespace {name!r} needs CAP_SYS_ADMIN: "
                                    f"run it as root (sudo nlscope capture --netns {name} ...)"
                                    ) from None
        raise CaptureSetupError(f"entering network namespace {name!r}: {e.strerror}") from None
    finally:
        os.close(fd)


# -- the capture ------------------------------------------------------------------------

@dataclass(slots=True)
class CaptureStats:
    captured: int = 0    # frames handed out
    received: int = 0    # frames the socket got (tp_packets, drops included)
    dropped: int = 0     # frames the kernel dropped (tp_drops): buffer full
    truncated: int = 0   # frames longer than the snapshot length (or a ring block)
    unread: int = 0      # frames still queued when the capture was closed


PACKET_RX_RING, PACKET_VERSION, TPACKET_V3 = 5, 10, 2
TP_STATUS_KERNEL, TP_STATUS_USER = 0, 1
_BLOCK = struct.Struct("=IIIII")          # tpacket_block_desc: version, offset_to_priv,
                                          # hdr.bh1: block_status, num_pkts, offset_to_first_pkt
_PKT = struct.Struct("=IIIIIIHH")         # tpacket3_hdr: next, sec, nsec, snaplen, len, status, mac, net
_SLL = struct.Struct("=HHiHBB8s")         # sockaddr_ll (sll_protocol in network order)
_SLL_AT = 48                              # TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
_COOKED = struct.Struct(">HHH8sH")        # the LINKTYPE_NETLINK header libpcap writes


def _ring_geometry(size: int) -> tuple[int, int]:
    """(block size, block count) for a ring of about `size` bytes. A block is handed
    over when full or RETIRE_MS after its first frame, so under a slow trickle every
    block holds little: many blocks of 256 KiB (a datagram longer than about that is
    cut, and counted) rather than few big ones keep a slow reader from dropping
    (64 blocks of 1 MiB held only ~1.3 s of a TCG burst). Tiny rings (the drop tests)
    use four smaller blocks."""
    page = mmap.PAGESIZE
    if size >= 4 << 20:
        block = 256 << 10
    else:
        block = max(page, (size // 4) // page * page)
    return block, max(2, size // block)


class NlmonCapture:
    """Frames from an nlmon interface. Use as a context manager, or call open()/close().

    buffer_size: the kernel buffer in bytes (a TPACKET_V3 ring; in "recv" mode, the
    socket receive buffer). on_warning(text): things the user should know (one line
    each). on_drops(new, total): called whenever the kernel reports new drops.
    on_idle(): called before waiting for more frames (the flush point for streams).
    """

    def __init__(self, iface: str = "nlmon0", *, netns: str | None = None,
                 buffer_size: int = DEFAULT_BUFFER, snaplen: int = SNAPLEN, create: bool = True,
                 genl_map: bool = True, mode: str = "ring",
                 on_warning: Callable[[str], None] | None = None,
                 on_drops: Callable[[int, int], None] | None = None,
                 on_idle: Callable[[], None] | None = None, stats_interval: float = 1.0):
        if mode not in ("ring", "recv"):
            raise ValueError(f"capture mode {mode!r}: ring or recv")
        self.iface = iface
        self.netns = netns
        self.buffer_size = buffer_size
        self.snaplen = snaplen
        self.create = create
        self.genl_map = genl_map
        self.mode = mode
        self.on_warning = on_warning
        self.on_drops = on_drops
        self.on_idle = on_idle
        self.stats_interval = stats_interval
        self.stats = CaptureStats()
        self.section_comments: list[str] = []
        self.warnings: list[str] = []
        self.created = False
        self.path = iface
        self.skipped = 0
        self.size = 0
        self._ifindex = 0
        self._sock: socket.socket | None = None
        self._ring: mmap.mmap | None = None
        self._block_size = self._block_nr = 0
        self._wake_r = self._wake_w = -1
        self._stopping = False
        self._target: int | None = None
        self._opened = False

    # -- setup ---------------------------------------------------------------------
    def open(self) -> NlmonCapture:
        if self._opened:
            return self
        if self.netns:
            enter_netns(self.netns)
        try:
            self._ensure_interface()
            if self.genl_map:
                c = genl_family_comment(self._warn)
                if c:
                    self.section_comments.append(c)
            self._open_socket()
        except BaseException:
            self._remove_interface()
            raise
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._opened = True
        return self

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        if self.on_warning:
            self.on_warning(text)

    def _ensure_interface(self) -> None:
        info = link_info(self.iface)
        if info is not None:
            if info.type != ARPHRD_NETLINK:
                raise CaptureSetupError(f"{self.iface} is not an nlmon interface (link type "
                                        f"{info.type}, nlmon is {ARPHRD_NETLINK})")
            self._ifindex = info.index
            if not info.flags & IFF_UP:
                try:
                    set_up(info.index)
                except PermissionError:
                    raise CaptureSetupError(
                        f"{self.iface} is down and bringing it up needs CAP_NET_ADMIN: "
                        f"{ROOT_HINT}") from None
            return
        if not self.create:
            raise CaptureSetupError(f"no interface {self.iface}")
        try:
            self._ifindex = create_nlmon(self.iface)
        except PermissionError:
            more = missing_caps(CAP_NET_RAW)
            also = f" (and capturing needs {more[0]})" if more else ""
            raise CaptureSetupError(
                f"creating {self.iface} needs CAP_NET_ADMIN{also}: {ROOT_HINT}, or create it "
                f"as root first: ip link add {self.iface} type nlmon; ip link set {self.iface} up"
            ) from None
        except OSError as e:
            if e.errno in (errno.EOPNOTSUPP, errno.ENOENT, errno.EINVAL):
                raise CaptureSetupError(
                    f"cannot create {self.iface}: this kernel has no nlmon support "
                    f"({e.strerror}; modprobe nlmon, or a kernel with CONFIG_NLMON)") from None
            if e.errno == errno.EEXIST:  # raced with someone creating it
                info = link_info(self.iface)
                if info:
                    self._ifindex = info.index
                    return
            raise CaptureSetupError(f"cannot create {self.iface}: {e.strerror}") from None
        self.created = True

    def _open_socket(self) -> None:
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except PermissionError:
            raise CaptureSetupError(f"capturing on {self.iface} needs CAP_NET_RAW: {ROOT_HINT}"
                                    ) from None
        try:
            if self.mode == "ring":
                self._setup_ring(sock)
            else:
                self._setup_rcvbuf(sock)
            # Bound with a protocol only now: nothing of another interface gets queued.
            sock.bind((self.iface, ETH_P_ALL))
            sock.setblocking(False)
        except OSError as e:
            sock.close()
            if self._ring is not None:
                self._ring.close()
                self._ring = None
            raise CaptureSetupError(f"cannot capture on {self.iface}: {e.strerror}") from None
        self._sock = sock

    def _setup_ring(self, sock: socket.socket) -> None:
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        size = self.buffer_size
        while True:
            block, nr = _ring_geometry(size)
            # tpacket_req3: block_size, block_nr, frame_size, frame_nr, retire_blk_tov (ms),
            # sizeof_priv, feature_req_word. A block is handed over when full or after
            # RETIRE_MS, so a quiet capture still shows frames soon.
            req = struct.pack("=IIIIIII", block, nr, 2048, block * nr // 2048, RETIRE_MS, 0, 0)
            try:
                sock.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
                break
            except OSError as e:
                if e.errno != errno.ENOMEM or size <= 1 << 20:
                    raise
                size //= 2
        if size < self.buffer_size:
            self._warn(f"capture buffer is {size >> 20} MiB, not {self.buffer_size >> 20} MiB "
                       f"(not enough memory); bursts may drop frames")
        self._block_size, self._block_nr = block, nr
        self._ring = mmap.mmap(sock.fileno(), block * nr, mmap.MAP_SHARED,
                               mmap.PROT_READ | mmap.PROT_WRITE)

    def _setup_rcvbuf(self, sock: socket.socket) -> None:
        for opt in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, self.buffer_size)
                break
            except PermissionError:
                continue
        got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        if got < self.buffer_size:
            self._warn(f"socket buffer is {got} bytes, not {self.buffer_size} "
                       f"(net.core.rmem_max); bursts may drop frames")
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)

    def close(self) -> None:
        if self._sock is not None:
            try:
                self.stats.unread = self._queued()
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
        self._remove_interface()
        self._opened = False

    def _remove_interface(self) -> None:
        if self.created and self._ifindex:
            try:
                delete_link(self._ifindex)
            except OSError as e:
                self._warn(f"could not remove {self.iface}: {e.strerror}")
            self.created = False

    def __enter__(self) -> NlmonCapture:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- running -------------------------------------------------------------------
    def stop(self) -> None:
        """End the capture once what the kernel already queued is read (safe from a
        signal handler or another thread)."""
        self._stopping = True
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    @property
    def stopping(self) -> bool:
        return self._stopping

    def _read_stats(self) -> int:
        """Fold PACKET_STATISTICS into self.stats; the number of new drops."""
        if self._sock is None:
            return 0
        raw = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 12)
        packets, drops = struct.unpack_from("=II", raw)
        self.stats.received += packets
        self.stats.dropped += drops
        if drops and self.on_drops:
            self.on_drops(drops, self.stats.dropped)
        return drops

    def _queued(self) -> int:
        """Frames the kernel accepted that we have not handed out yet."""
        self._read_stats()
        st = self.stats
        return max(0, st.received - st.dropped - st.captured)

    def _stop_target(self) -> int:
        """At stop: hand out what the kernel had queued by then, not what comes after
        (so a stop under a continuous flood still ends)."""
        if self._target is None:
            self._target = self.stats.captured + self._queued()
        return self._target

    def __iter__(self) -> Iterator[Frame]:
        """Frames until stop(); the capture is closed (and a created interface removed)
        when the iteration ends, however it ends."""
        self.open()
        try:
            yield from (self._ring_frames() if self.mode == "ring" else self._recv_frames())
        finally:
            self.close()

    def _wait(self, poller: select.poll, next_stats: float) -> float:
        """Idle: flush the consumer, fold in the statistics when due, sleep until
        frames come, stop() is called or the statistics are due again."""
        if self.on_idle:
            self.on_idle()
        now = time.monotonic()
        if now >= next_stats:
            self._read_stats()
            next_stats = now + self.stats_interval
        try:
            poller.poll(max(0, int((next_stats - now) * 1000)) + 1)
        except InterruptedError:
            pass
        return next_stats

    def _poller(self) -> select.poll:
        assert self._sock is not None
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        return poller

    def _ring_frames(self) -> Iterator[Frame]:
        stats = self.stats
        for block in self._ring_blocks():
            for ts, proto, raw, orig in block:
                stats.captured += 1
                yield Frame(number=0, ts_ns=ts, protocol=proto, raw=raw, nl_offset=16,
                            orig_len=orig, linktype=LINKTYPE_NETLINK)

    def batches(self, limit: int | None = None) -> Iterator[list[tuple[int, int, bytes, int]]]:
        """The frames block by block, as lists of (ts_ns, protocol, raw, orig_len), raw
        with its LINKTYPE_NETLINK header, at most `limit` in all: for a writer that
        takes them in bulk (no Frame objects). Stop and close as when iterating."""
        self.open()
        stats = self.stats
        try:
            if self.mode != "ring":
                for fr in self._recv_frames():
                    yield [(fr.ts_ns, fr.protocol, fr.raw, fr.orig_len)]
                    if limit and stats.captured >= limit:
                        return
                return
            for block in self._ring_blocks():
                if limit and stats.captured + len(block) >= limit:
                    block = block[:limit - stats.captured]
                    stats.captured += len(block)
                    yield block
                    return
                stats.captured += len(block)
                yield block
        finally:
            self.close()

    def _ring_blocks(self) -> Iterator[list[tuple[int, int, bytes, int]]]:
        ring = self._ring
        assert ring is not None
        bsize, bnr = self._block_size, self._block_nr
        poller = self._poller()
        stats = self.stats
        snaplen = self.snaplen
        blk_unpack, pkt_unpack, sll_unpack = _BLOCK.unpack_from, _PKT.unpack_from, _SLL.unpack_from
        cooked = _COOKED.pack
        ntohs = socket.ntohs
        next_stats = time.monotonic() + self.stats_interval
        blk = 0
        draining_until = 0.0
        while True:
            if self._stopping and stats.captured >= self._stop_target():
                break
            base = blk * bsize
            status = blk_unpack(ring, base)[2]
            if not status & TP_STATUS_USER:
                if self._stopping:
                    # The block being filled is handed over within its timeout.
                    if not draining_until:
                        draining_until = time.monotonic() + 2 * RETIRE_MS / 1000 + 0.3
                    elif time.monotonic() > draining_until:
                        break
                    time.sleep(0.005)
                    continue
                next_stats = self._wait(poller, next_stats)
                continue
            _v, _p, _st, num, off = blk_unpack(ring, base)
            off += base
            out = []
            append = out.append
            for _ in range(num):
                nxt, sec, nsec, cap, wire, _s, mac, _n = pkt_unpack(ring, off)
                _fam, proto, _ifi, hatype, pkttype, halen, addr = sll_unpack(ring, off + _SLL_AT)
                proto = ntohs(proto)
                if cap > snaplen:
                    cap = snaplen
                if cap < wire:
                    stats.truncated += 1
                # Only halen bytes of sll_addr are meaningful; the rest is stale ring
                # memory, which libpcap does not copy either.
                append((sec * 1_000_000_000 + nsec, proto,
                        cooked(pkttype, hatype, halen, addr[:halen], proto)
                        + ring[off + mac:off + mac + cap], 16 + wire))
                off += nxt
            yield out  # the consumer counts what it takes (stats.captured)
            struct.pack_into("=I", ring, base + 8, TP_STATUS_KERNEL)
            blk = (blk + 1) % bnr
            now = time.monotonic()
            if now >= next_stats:
                self._read_stats()
                next_stats = now + self.stats_interval

    def _recv_frames(self) -> Iterator[Frame]:
        sock = self._sock
        assert sock is not None
        buf = bytearray(self.snaplen)
        view = memoryview(buf)
        anc = socket.CMSG_SPACE(16)
        recv = sock.recvmsg_into
        cooked = _COOKED.pack
        ts_of = struct.Struct("=qq").unpack_from
        poller = self._poller()
        next_stats = time.monotonic() + self.stats_interval
        stats = self.stats
        msg_trunc = socket.MSG_TRUNC
        while True:
            if self._stopping and stats.captured >= self._stop_target():
                break
            try:
                n, ancdata, _flags, addr = recv([view], anc, msg_trunc)
            except BlockingIOError:
                if self._stopping:
                    break  # everything queued before the stop has been read
                next_stats = self._wait(poller, next_stats)
                continue
            except InterruptedError:
                continue
            ts = 0
            for level, ctype, cdata in ancdata:
                if level == socket.SOL_SOCKET and ctype == SCM_TIMESTAMPNS and len(cdata) >= 16:
                    sec, nsec = ts_of(cdata)
                    ts = sec * 1_000_000_000 + nsec
            if not ts:
                ts = time.time_ns()
            # addr: (ifname, protocol, pkttype, hatype, hwaddr)
            proto, pkttype, hatype, hw = addr[1], addr[2], addr[3], addr[4]
            cap = min(n, self.snaplen)
            if n > cap:
                stats.truncated += 1
            raw = cooked(pkttype, hatype, len(hw), hw, proto) + bytes(view[:cap])
            stats.captured += 1
            yield Frame(number=0, ts_ns=ts, protocol=proto, raw=raw, nl_offset=16,
                        orig_len=16 + n, linktype=LINKTYPE_NETLINK)
            if stats.captured & 0x3FF == 0:
                now = time.monotonic()
                if now >= next_stats:
                    self._read_stats()
                    next_stats = now + self.stats_interval

    def tell(self) -> int:
        return 0


def stream_command(iface: str = "nlmon0", *, netns: str | None = None,
                   sudo: bool | None = None, python: str | None = None) -> list[str]:
    """The argv of a root capture that streams pcapng to stdout, for a reader without
    privileges (the TUI):

        proc = subprocess.Popen(stream_command("nlmon0"), stdout=subprocess.PIPE)
        for frame in CaptureReader(proc.stdout): ...    # frames as they come
        proc.terminate()                                # the stream ends cleanly (EOF)

    `sudo` is prepended unless we are root already (sudo=None) or told not to. The
    interpreter is this one by absolute path, so sudo runs the same installation.
    """
    import sys
    argv = [python or sys.executable, "-m", "nlscope", "capture", "-i", iface, "-w", "-"]
    if netns:
        argv += ["--netns", netns]
    if sudo is None:
        sudo = os.geteuid() != 0
    return (["sudo", "--"] if sudo else []) + argv
