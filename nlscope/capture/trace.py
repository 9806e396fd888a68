"""The trace source: every netlink message one command (and its children) sends and
receives, on any protocol, with the process and the direction known exactly.

Why strace, and how
-------------------
nlmon only taps eight protocols of its own network namespace (DESIGN.md); a module on
protocol 31 is invisible to it. The syscalls of the process see everything. We run

    strace -f --seccomp-bpf -Y --timestamps=unix,ns -xx -s 0 -yy
           -e trace=%network,read,write,readv,writev,clone,clone3,fork,vfork
           -e verbose=clone,clone3 -e signal=none -e read=all -e write=all
           -o FIFO -- CMD ARGS...

and parse its output as it is written. Choices, and why:

* strace rather than our own ptrace or seccomp-notify tracer: it is packaged
  everywhere, already follows forks and threads (-f) correctly, copes with
  restarted and interrupted syscalls, and its data dumps are bounded by what the
  kernel really copied (return values, iovec lengths). A tracer of our own would
  have to redo all of that per architecture, in Python, at a fraction of the speed.
* Bytes come from strace's I/O dumps (-e read=all -e write=all: ``| 00000  20 00 ...``
  lines after each syscall), not from its netlink decoder: the dumps are the exact
  bytes, in every iovec (``* N bytes in buffer I``) and every mmsghdr
  (``= N buffers in vector I``), whatever the protocol. -e verbose=none (all but the
  clone calls) stops strace decoding the payloads, so its lines stay short and fast.
* The socket's protocol: -yy prints ``3<NETLINK:[ROUTE:1234]>`` once the socket is
  bound and ``3<NETLINK:[98765]>`` (its inode) before; socket() lines give
  inode -> protocol, so both forms resolve, and so does a protocol strace has no name
  for (31).
* The process: -f prints thread ids; clone/clone3 lines (CLONE_THREAD or not) map
  each thread to its process, so a frame carries the pid of the process and -Y the
  command name (comm) of the thread.
* Direction is exact: send*/write* are "out" (user to kernel), recv*/read* "in".
  recv with MSG_PEEK is skipped (the same bytes are read again); MSG_TRUNC recvs keep
  what the buffer held and record the true length as the frame's original length.
* Order: frames are released in time order: a send is stamped when it entered the
  kernel, a receive when it returned, and a receive that completed while another
  thread's send was still in the kernel waits for that send (its reply cannot come
  before it).

Cost: strace stops the process at every traced syscall (--seccomp-bpf spares the
others), and hex-dumps every read and write too (so that netlink sockets driven by read()/write() are not missed): a
command that reads big files runs slower under trace. It is a debugging tool.
"""
from __future__ import annotations

import errno
import heapq
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .ebpf import socket_comment
from .frame import PROTOCOL_NAMES, Frame
from .pcapio import CaptureError, cooked_header

STRACE_OPTIONS = [
    "-f", "--seccomp-bpf", "-Y", "--timestamps=unix,ns", "-xx", "-s", "0", "-yy",
    "-e", "trace=%network,read,write,readv,writev,clone,clone3,fork,vfork",
    "-e", "verbose=clone,clone3", "-e", "signal=none",
    "-e", "read=all", "-e", "write=all",
]

SEND_CALLS = frozenset({"sendto", "sendmsg", "send", "write", "writev", "pwritev", "pwritev2"})
RECV_CALLS = frozenset({"recvfrom", "recvmsg", "recv", "read", "readv", "preadv", "preadv2"})
MMSG_CALLS = {"sendmmsg": "out", "recvmmsg": "in"}
FORK_CALLS = frozenset({"clone", "clone3", "fork", "vfork"})
# Argument index of the buffer size (single-buffer calls) and of the flags (recv calls).
BUFSIZE_ARG = {"recvfrom": 2, "recv": 2, "read": 2}
FLAGS_ARG = {"recvfrom": 3, "recv": 3, "recvmsg": 2, "recvmmsg": 3}

# strace's names for netlink protocols (NETLINK_* without the prefix), and aliases.
_PROTO_BY_NAME = {name.upper(): num for num, name in PROTOCOL_NAMES.items()}
_PROTO_BY_NAME.update({"INET_DIAG": 4, "W1": 24, "NETFILTER": 12, "KOBJECT_UEVENT": 15})

_LINE = re.compile(r"(\d+)(?:<([^>]*)>)?\s+(\d+)\.(\d+)\s(.*)\Z", re.S)
_UNFINISHED = " <unfinished ...>"
_RESUMED = re.compile(r"<\.\.\. ([\w]+) resumed>(.*)\Z", re.S)
_CALL = re.compile(r"([\w]+)\((.*)\Z", re.S)
_NLFD = re.compile(r"(\d+)<NETLINK:\[([^\]]*)\]>\Z")
_DUMP = re.compile(r" \| ([0-9a-f]+)  ")
_DUMP_BUF = re.compile(r" \* (\d+) bytes in buffer (\d+)")
_DUMP_VEC = re.compile(r" = (\d+) buffers in vector (\d+)")
_HEXESC = re.compile(r"\\x([0-9a-fA-F]{2})")


class TraceError(CaptureError):
    """The trace could not run (no strace, ...): one clear line for the user."""


def unescape(text: str) -> str:
    """Undo strace -xx escaping (\\x69\\x70 -> ip)."""
    if "\\" not in text:
        return text
    out = bytearray()
    pos = 0
    for m in _HEXESC.finditer(text):
        out += text[pos:m.start()].encode()
        out.append(int(m.group(1), 16))
        pos = m.end()
    out += text[pos:].encode()
    return out.decode("utf-8", "replace")


def split_args(text: str) -> list[str]:
    """Split a syscall's argument text on top-level commas (brackets, braces and
    quoted strings nest)."""
    out: list[str] = []
    depth = 0
    quote = False
    cur: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            cur.append(c)
            if c == "\\" and i + 1 < n:
                cur.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                quote = False
        elif c == '"':
            quote = True
            cur.append(c)
        elif c in "[{(":
            depth += 1
            cur.append(c)
        elif c in "]})":
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    last = "".join(cur).strip()
    if last or out:
        out.append(last)
    return out


@dataclass
class _Call:
    pid: int
    comm: str | None
    name: str
    args: list[str]
    ret: int | None
    ts_entry: int
    ts_exit: int
    # Dumped data: a list of vectors (mmsg), each a list of buffers.
    vectors: list[list[bytearray]] = field(default_factory=list)
    expect: int | None = None  # bytes announced for the buffer being filled
    fd: int = -1
    annotation: str = ""  # what -yy printed inside NETLINK:[...]

    def buffer(self) -> bytearray:
        if not self.vectors:
            self.vectors.append([])
        vec = self.vectors[-1]
        if not vec:
            vec.append(bytearray())
        return vec[-1]


@dataclass
class TraceStats:
    lines: int = 0
    calls: int = 0        # netlink send/recv calls that returned data
    frames: int = 0
    peeks: int = 0        # MSG_PEEK receives skipped (their bytes come again)
    truncated: int = 0    # receives whose datagram was longer than the buffer
    unknown_protocol: int = 0
    bad_dumps: int = 0


class StraceParser:
    """Turns strace output (see STRACE_OPTIONS) into Frames, line by line.

    feed(line) returns the frames that are ready (in time order); finish() the rest.
    `warnings` collects what could not be understood (never an exception).
    """

    def __init__(self, on_warning: Callable[[str], None] | None = None):
        self.stats = TraceStats()
        self.warnings: list[str] = []
        self.on_warning = on_warning
        self._pending: dict[int, tuple[str, str, int, str | None]] = {}  # tid -> (name, args, ts, comm)
        self._pending_sends: dict[int, int] = {}  # tid -> entry ts of a send still in the kernel
        self._call: _Call | None = None  # the completed call that dump lines belong to
        self._inodes: dict[int, int] = {}  # socket inode -> netlink protocol
        self._fds: dict[tuple[int, int], int] = {}  # (tgid, fd) -> netlink protocol
        self._tgid: dict[int, int] = {}
        self._heap: list[tuple[int, int, Frame]] = []
        self._order = 0

    # -- public -------------------------------------------------------------------
    def feed(self, line: str) -> list[Frame]:
        self.stats.lines += 1
        line = line.rstrip("\n")
        if line.startswith(" "):
            self._dump_line(line)
            return []
        self._close_call()
        m = _LINE.match(line)
        if not m:
            if line.strip():
                self._warn(f"strace line not understood: {line[:120]}")
            return []
        tid = int(m.group(1))
        comm = unescape(m.group(2)) if m.group(2) is not None else None
        ts = int(m.group(3)) * 1_000_000_000 + int(m.group(4).ljust(9, "0")[:9])
        rest = m.group(5)
        if rest.startswith("+++") or rest.startswith("---"):
            self._pending.pop(tid, None)
            self._pending_sends.pop(tid, None)
            return self._ready()
        r = _RESUMED.match(rest)
        if r:
            entry = self._pending.pop(tid, None)
            # A resumed send stays "in the kernel" until its frame exists (_close_call).
            if entry is None or entry[0] != r.group(1):
                self._pending_sends.pop(tid, None)
                self._warn(f"resumed {r.group(1)} of pid {tid} without its start")
                return self._ready()
            name, head, ts_entry, _ = entry
            self._complete(tid, comm, name, head + r.group(2), ts_entry, ts)
            return self._ready()
        c = _CALL.match(rest)
        if not c:
            self._warn(f"strace line not understood: {line[:120]}")
            return []
        name, body = c.group(1), c.group(2)
        if body.endswith(_UNFINISHED):
            head = body[:-len(_UNFINISHED)]
            self._pending[tid] = (name, head, ts, comm)
            if name in SEND_CALLS or name == "sendmmsg":
                self._pending_sends[tid] = ts
            return []
        self._complete(tid, comm, name, body, ts, ts)
        return self._ready()

    def finish(self) -> list[Frame]:
        self._close_call()
        self._pending_sends.clear()
        out = [f for _, _, f in sorted(self._heap)]
        self._heap.clear()
        self.stats.frames += len(out)
        return out

    def parse(self, lines: Iterable[str]) -> Iterator[Frame]:
        for line in lines:
            yield from self.feed(line)
        yield from self.finish()

    # -- internals ----------------------------------------------------------------
    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        if self.on_warning:
            self.on_warning(text)

    def tgid(self, tid: int) -> int:
        return self._tgid.get(tid, tid)

    def _complete(self, tid: int, comm: str | None, name: str, body: str, ts_entry: int,
                  ts_exit: int) -> None:
        self._complete_call(tid, comm, name, body, ts_entry, ts_exit)
        if self._call is None or self._call.pid != tid:
            self._pending_sends.pop(tid, None)

    def _complete_call(self, tid: int, comm: str | None, name: str, body: str, ts_entry: int,
                       ts_exit: int) -> None:
        # The return is after the last ") = "; arguments never contain it unescaped
        # (-xx escapes every string byte), but search from the right to be safe.
        idx = body.rfind(") = ")
        if idx < 0:
            return  # e.g. "= ?" after the process died: nothing was transferred
        args_text, ret_text = body[:idx], body[idx + 4:]
        mret = re.match(r"(-?\d+)", ret_text)
        ret = int(mret.group(1)) if mret else None
        args = split_args(args_text)
        if name in FORK_CALLS:
            if ret is not None and ret > 0:
                parent = self.tgid(tid)
                if "CLONE_THREAD" in args_text:
                    self._tgid[ret] = parent
                else:
                    self._tgid[ret] = ret
                    for (g, fd), proto in list(self._fds.items()):
                        if g == parent:
                            self._fds[(ret, fd)] = proto
            return
        if name == "socket":
            self._socket(tid, args, ret_text)
            return
        if ret is None or ret <= 0 or not args:
            return
        if name not in SEND_CALLS and name not in RECV_CALLS and name not in MMSG_CALLS:
            return
        fdm = _NLFD.match(args[0])
        if fdm is None:
            return
        self._call = _Call(tid, comm, name, args, ret, ts_entry, ts_exit,
                           fd=int(fdm.group(1)), annotation=fdm.group(2))
        return

    def _socket(self, tid: int, args: list[str], ret_text: str) -> None:
        if len(args) < 3 or args[0] not in ("AF_NETLINK", "PF_NETLINK", "16"):
            return
        proto = _proto_number(args[2])
        m = re.match(r"(\d+)(?:<NETLINK:\[(\d+)\]>)?", ret_text)
        if proto is None or m is None:
            return
        self._fds[(self.tgid(tid), int(m.group(1)))] = proto
        if m.group(2):
            self._inodes[int(m.group(2))] = proto

    def _dump_line(self, line: str) -> None:
        call = self._call
        if call is None:
            return  # a dump of a call we do not keep (a file read, a TCP socket, ...)
        m = _DUMP.match(line)
        if m:
            area = line[m.end():m.end() + 49]
            try:
                data = bytes.fromhex(area)
            except ValueError:
                self.stats.bad_dumps += 1
                self._warn(f"bad hex dump line after {call.name} of pid {call.pid}: {line[:80]}")
                return
            buf = call.buffer()
            off = int(m.group(1), 16)
            if off != len(buf):
                self.stats.bad_dumps += 1
                self._warn(f"hex dump of {call.name} (pid {call.pid}) jumps from "
                           f"{len(buf)} to offset {off}")
            buf += data
            return
        m = _DUMP_BUF.match(line)
        if m:
            if not call.vectors:
                call.vectors.append([])
            call.vectors[-1].append(bytearray())
            call.expect = int(m.group(1))
            return
        m = _DUMP_VEC.match(line)
        if m:
            call.vectors.append([])
            return
        self._warn(f"unexpected line after {call.name}: {line[:80]}")

    def _close_call(self) -> None:
        call = self._call
        if call is None:
            return
        self._call = None
        self._pending_sends.pop(call.pid, None)
        fd, annotation = call.fd, call.annotation
        tgid = self.tgid(call.pid)
        proto = self._resolve(tgid, fd, annotation)
        if call.name in MMSG_CALLS:
            direction = MMSG_CALLS[call.name]
            ts = call.ts_entry if direction == "out" else call.ts_exit
            for vec in call.vectors:
                data = b"".join(vec)
                self._emit(call, tgid, proto, direction, ts, data, len(data))
            return
        direction = "out" if call.name in SEND_CALLS else "in"
        if direction == "in":
            fi = FLAGS_ARG.get(call.name)
            flags = call.args[fi] if fi is not None and fi < len(call.args) else ""
            if "MSG_PEEK" in flags:
                self.stats.peeks += 1
                return
        data = b"".join(b for vec in call.vectors for b in vec)
        wire_len = call.ret
        bi = BUFSIZE_ARG.get(call.name)
        if bi is not None and bi < len(call.args):
            try:
                size = int(call.args[bi], 0)
            except ValueError:
                size = len(data)
            data = data[:size]  # strace dumps `ret` bytes even past a short buffer
        data = data[:wire_len]
        if len(data) < wire_len:
            self.stats.truncated += 1
        ts = call.ts_entry if direction == "out" else call.ts_exit
        self._emit(call, tgid, proto, direction, ts, data, wire_len)

    def _resolve(self, tgid: int, fd: int, annotation: str) -> int:
        head, sep, _ = annotation.partition(":")
        if sep:
            p = _proto_number(head)
            if p is not None:
                self._fds[(tgid, fd)] = p
                return p
        elif head.isdigit():
            n = int(head)
            if n in self._inodes:
                return self._inodes[n]
            if (tgid, fd) in self._fds:
                return self._fds[(tgid, fd)]
            if n < 32:  # strace prints an unnamed protocol as its number
                return n
        if (tgid, fd) in self._fds:
            return self._fds[(tgid, fd)]
        self.stats.unknown_protocol += 1
        if self.stats.unknown_protocol == 1:
            self._warn(f"netlink protocol of fd {fd} (pid {tgid}) unknown ({annotation}); "
                       f"its frames carry protocol 65535")
        return 0xFFFF

    def _emit(self, call: _Call, tgid: int, proto: int, direction: str, ts: int,
              data: bytes, wire_len: int) -> None:
        self.stats.calls += 1
        raw = cooked_header(proto) + data
        # -yy names a bound socket's port id (NETLINK:[ROUTE:1234]); the netns it does
        # not know (0). A socket not bound yet (its first send) has no port id to give.
        _, sep, port = call.annotation.partition(":")
        comment = socket_comment(0, int(port)) if sep and port.isdigit() else None
        fr = Frame(number=0, ts_ns=ts, protocol=proto, raw=raw, nl_offset=16,
                   orig_len=16 + wire_len, direction=direction, pid=tgid, comm=call.comm,
                   comment=comment)
        self._order += 1
        heapq.heappush(self._heap, (ts, self._order, fr))

    def _ready(self) -> list[Frame]:
        """Frames no send still in the kernel can precede."""
        if not self._heap:
            return []
        limit = min(self._pending_sends.values()) if self._pending_sends else None
        out = []
        while self._heap and (limit is None or self._heap[0][0] < limit):
            out.append(heapq.heappop(self._heap)[2])
        self.stats.frames += len(out)
        return out


def _proto_number(text: str) -> int | None:
    t = text.strip()
    if t.startswith("NETLINK_"):
        t = t[len("NETLINK_"):]
    if t.isdigit():
        return int(t)
    if t.startswith("0x"):
        try:
            return int(t, 16)
        except ValueError:
            return None
    return _PROTO_BY_NAME.get(t.upper())


# -- running strace ------------------------------------------------------------------

def find_strace() -> str:
    path = shutil.which("strace")
    if path is None:
        raise TraceError("trace needs strace, which is not installed "
                         "(apt install strace; or dnf/pacman install strace)")
    return path


class TraceSource:
    """Run a command under strace and yield the Frames of its netlink traffic as they
    happen. After iteration, `returncode` is the command's exit status.

    Like CaptureReader it has `section_comments` (the live kernel's generic netlink
    family ids, when they could be read) for the decoder, `warnings` and `skipped`.
    """

    def __init__(self, argv: list[str], on_warning: Callable[[str], None] | None = None,
                 strace: str | None = None, genl_map: bool = True, stdout: int | None = None,
                 on_idle: Callable[[], None] | None = None):
        if not argv:
            raise TraceError("trace: no command given (nlscope trace -- CMD ARGS...)")
        self.argv = list(argv)
        self.strace = strace or find_strace()
        self.on_warning = on_warning
        self.parser = StraceParser(on_warning=on_warning)
        self.returncode: int | None = None
        self.stdout = stdout  # where the command's stdout goes (None: ours)
        self.on_idle = on_idle  # called before waiting for strace (flush point)
        self.path = f"trace of {argv[0]}"
        self.skipped = 0
        self.size = 0
        self.section_comments: list[str] = []
        self._proc: subprocess.Popen | None = None
        self._stop_signal: int | None = None
        if genl_map:
            from .nlmon import genl_family_comment
            comment = genl_family_comment(on_warning)
            if comment:
                self.section_comments.append(comment)

    @property
    def warnings(self) -> list[str]:
        return self.parser.warnings

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Pass a stop request to strace (it ends the command and flushes)."""
        self._stop_signal = sig
        if self._proc and self._proc.poll() is None:
            try:
                self._proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def __iter__(self) -> Iterator[Frame]:
        tmp = tempfile.mkdtemp(prefix="nlscope-trace-")
        fifo = os.path.join(tmp, "strace.out")
        os.mkfifo(fifo, 0o600)
        # O_RDWR: never blocks, and never sees EOF; strace's exit ends the loop.
        rfd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        cmd = [self.strace, *STRACE_OPTIONS, "-o", fifo, "--", *self.argv]
        try:
            try:
                self._proc = subprocess.Popen(cmd, stdout=self.stdout)
            except OSError as e:
                raise TraceError(f"cannot run {self.strace}: {e.strerror}") from None
            yield from self._pump(rfd)
        finally:
            os.close(rfd)
            with _suppress():
                os.unlink(fifo)
            with _suppress():
                os.rmdir(tmp)
            self.close()

    def _pump(self, rfd: int) -> Iterator[Frame]:
        proc = self._proc
        assert proc is not None
        parser = self.parser
        partial = b""
        poller = select.poll()
        poller.register(rfd, select.POLLIN)
        done = False
        while True:
            exited = proc.poll() is not None
            if not exited:
                if self.on_idle:
                    self.on_idle()
                try:
                    poller.poll(200)
                except InterruptedError:
                    pass
            # Drain what is there (after exit: everything strace wrote).
            while True:
                try:
                    chunk = os.read(rfd, 1 << 16)
                except BlockingIOError:
                    break
                except OSError as e:
                    if e.errno == errno.EINTR:
                        continue
                    raise
                if not chunk:
                    break
                partial += chunk
                if b"\n" in partial:
                    *lines, partial = partial.split(b"\n")
                    for raw in lines:
                        for fr in parser.feed(raw.decode("utf-8", "replace")):
                            yield fr
            if exited:
                done = True
            if done:
                break
        if partial:
            for fr in parser.feed(partial.decode("utf-8", "replace")):
                yield fr
        for fr in parser.finish():
            yield fr
        self.returncode = proc.wait()


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)
