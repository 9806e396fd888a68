"""Where the TUI's messages come from. Each source grows a CaptureIndex from a worker
thread, and the transaction index with it:

  FileSource    a capture file, indexed by a background scan; with `follow`, a file
                that is still being written (tcpdump -w, a capture process) keeps
                being read as it grows
  StreamSource  pcap/pcapng bytes from a pipe (a capture child process's stdout,
                stdin): spooled to a temporary file, indexed as it grows
  FrameSource   Frames from any iterator (nlscope.capture.nlmon's live source, a test's
                generator): spooled and indexed unchanged

The TUI itself never needs privileges: whatever captures runs elsewhere.
"""
from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import BinaryIO

from ..decode.decoder import Decoder
from ..capture.frame import Frame
from ..decode.index import CaptureIndex, FileScanner, FileStore, FrameFeeder
from ..analysis.names import IfNames
from ..analysis.txindex import TxnIndex

BATCH = 2_000  # messages indexed between two transaction updates (and GIL yields)


class Source:
    live = False
    label = ""

    def __init__(self, decoder: Decoder):
        self.decoder = decoder
        self.index = CaptureIndex(decoder)
        self.txns = TxnIndex(self.index)
        self.index.request_of = self.txns.request_of
        self.names = IfNames()  # interface names, learned in the same pass
        self.stop = threading.Event()
        self.error: str | None = None
        self.finished = False
        self.unanswered = 0  # requests still waiting (counted by the worker, not the UI)
        self._counted_at = 0.0

    @property
    def drops(self) -> int | None:
        return None

    def run(self) -> None:
        """Grow the index until the source ends or stop is set (worker thread)."""
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        self.index.close()

    def _pair(self, final: bool = False) -> None:
        self.txns.update()
        self.names.update(self.index)
        if final and self.index.complete:
            self.txns.finish()  # the end of the capture closes what is still open
        now = time.monotonic()
        if final or (self.live and now - self._counted_at > 2.0):
            self.unanswered = self.txns.count_waiting()
            self._counted_at = now


class FileSource(Source):
    def __init__(self, path: str, decoder: Decoder, follow: bool = False, poll: float = 0.2):
        super().__init__(decoder)
        self.path = path
        self.live = follow
        self.poll = poll
        self.label = os.path.basename(path)
        self.index.store = FileStore(path)
        self.scanner = FileScanner(path, self.index)

    def run(self) -> None:
        sc = self.scanner
        try:
            while not self.stop.is_set():
                added = sc.scan(final=not self.live, budget=BATCH, stop=self.stop,
                                on_messages=self.txns.feed)
                self._pair()
                if added:
                    time.sleep(0)  # let the UI thread have the GIL
                    continue
                if not self.live or self.index.complete:
                    break
                time.sleep(self.poll)
        finally:
            if not self.live:
                self.index.complete = True
            self._pair(final=True)
            self.finished = True

    def end_follow(self) -> None:
        """The writer is done: read what is left, then stop."""
        self.live = False


# What `nlscope capture` says on stderr (cmd_capture.py): ready, drops while running,
# and the totals at the end.
_CAPTURING = re.compile(r"^nlscope: capturing on ")
_DROPS_SO_FAR = re.compile(r"dropped \d+ frames .*?, (\d+) so far")
_DROPS_TOTAL = re.compile(r"frames captured on .*; the kernel dropped (\d+)")


class StreamSource(Source):
    """pcap/pcapng bytes from a stream, spooled to a temporary file and indexed as
    they arrive. With `argv`, the stream is the stdout of that child process (a
    capture: `nlscope capture -w -`), whose stderr is read as it comes: `capturing`
    once it says it captures, `drops` the kernel's drops it reports (never hidden),
    `stderr` its last lines (a failing child's last line becomes `error`)."""

    def __init__(self, stream: BinaryIO | None, decoder: Decoder, argv: list[str] | None = None,
                 label: str = "stdin"):
        super().__init__(decoder)
        self.live = True
        self.label = label
        self.proc: subprocess.Popen | None = None
        self.capturing = threading.Event()
        self.stderr: deque[str] = deque(maxlen=50)
        self._drops: int | None = None
        self._stderr_done = threading.Event()
        if argv is not None:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL)
            stream = self.proc.stdout
            threading.Thread(target=self._read_stderr, name="nlscope-capture-stderr",
                             daemon=True).start()
        else:
            self.capturing.set()  # a stream: its bytes are the capture
            self._stderr_done.set()
        self.stream = stream
        fd, self.spool_path = tempfile.mkstemp(prefix="nlscope-live-", suffix=".pcap")
        self.spool = os.fdopen(fd, "wb")
        self.index.store = FileStore(self.spool_path)
        self.scanner = FileScanner(self.spool_path, self.index)
        self._eof = threading.Event()

    @property
    def drops(self) -> int | None:
        return self._drops if self.proc is not None else None

    @property
    def starting(self) -> bool:
        """A capture child that has not said it captures yet (nor ended)."""
        return not self.capturing.is_set() and not self.finished

    def _read_stderr(self) -> None:
        """The child's stderr, line by line, all along: a child whose stderr pipe
        filled up would block, and what it says there is the UI's to show."""
        try:
            for raw in self.proc.stderr:
                line = raw.decode(errors="replace").rstrip()
                if not line:
                    continue
                self.stderr.append(line)
                if _CAPTURING.match(line):
                    self.capturing.set()
                    if self._drops is None:
                        self._drops = 0
                m = _DROPS_SO_FAR.search(line) or _DROPS_TOTAL.search(line)
                if m:
                    self._drops = max(self._drops or 0, int(m.group(1)))
        except (OSError, ValueError):
            pass
        finally:
            self._stderr_done.set()

    def _pump(self) -> None:
        try:
            while not self.stop.is_set():
                chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536)
                if not chunk:
                    break
                self.spool.write(chunk)
                self.spool.flush()
        except (OSError, ValueError) as e:
            self.error = str(e)
        finally:
            self._eof.set()

    def run(self) -> None:
        pump = threading.Thread(target=self._pump, name="nlscope-spool", daemon=True)
        pump.start()
        try:
            while not self.stop.is_set():
                eof = self._eof.is_set()
                added = self.scanner.scan(final=eof, budget=BATCH, stop=self.stop,
                                          on_messages=self.txns.feed)
                self._pair()
                if added:
                    continue
                if eof:
                    break
                time.sleep(0.1)
        finally:
            self.index.complete = True
            self._pair(final=True)
            if self.proc is not None and not self.stop.is_set():
                try:
                    rc = self.proc.wait(5)  # its stdout ended: it is exiting
                except subprocess.TimeoutExpired:
                    rc = None
                self._stderr_done.wait(2)
                if rc:
                    last = self.stderr[-1] if self.stderr else ""
                    self.error = last or f"capture exited with {rc}"
            self.finished = True

    def close(self) -> None:
        super().close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # the capture ends cleanly (and removes an nlmon it made)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        try:
            self.spool.close()
            os.unlink(self.spool_path)
        except OSError:
            pass


class FrameSource(Source):
    """Frames from an iterator, e.g. nlscope.capture.nlmon's live source or a generator."""

    def __init__(self, frames: Iterable[Frame], decoder: Decoder, label: str = "live",
                 drops: Callable[[], int] | None = None):
        super().__init__(decoder)
        self.live = True
        self.label = label
        self.frames = frames
        self.feeder = FrameFeeder(self.index)
        self._drops = drops

    @property
    def drops(self) -> int | None:
        return self._drops() if self._drops else self.feeder.drops

    def _pull(self, q: queue.Queue) -> None:
        """Iterate the source on a daemon thread: a blocking live source (a socket
        waiting for traffic) never keeps the TUI from quitting."""
        try:
            for fr in self.frames:
                q.put(fr)
                if self.stop.is_set():
                    break
        except Exception as e:  # a live source failing must not take the UI down
            self.error = f"{type(e).__name__}: {e}"
        finally:
            q.put(None)

    def run(self) -> None:
        q: queue.Queue = queue.Queue(maxsize=4096)
        threading.Thread(target=self._pull, args=(q,), name="nlscope-live", daemon=True).start()
        try:
            while not self.stop.is_set():
                try:
                    fr = q.get(timeout=0.1)
                except queue.Empty:
                    continue
                if fr is None:
                    break
                self.txns.feed(self.feeder.feed(fr))
                if self.live:
                    self._pair()
        finally:
            self.index.complete = True
            self._pair(final=True)
            self.finished = True


def which(name: str) -> str | None:
    return shutil.which(name)
