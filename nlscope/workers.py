"""All cores for a capture file: the first pass (headers only, as `tshark -2`) pairs
every message and cuts the file into chunks at frame boundaries; worker processes
decode the chunks at the same time, each writing its part of the output, and the
parts are written out in order. The workers start while the first pass goes on: a
chunk is handed out once every transaction its messages belong to has closed. The
output is the same, byte for byte, as one process's.

What a worker needs to start in the middle of the file is kept at each chunk's
start by the first pass: the reader's place (byte offset, the section's byte order
and interfaces), the decoder's learned state (genl family ids...) and a copy of the
Tracker (the transactions open there, with their requests). Which transaction each
message belongs to, and what each becomes, comes from the first pass's FinalStore;
where a sink shows transactions as known so far (text), the copy pairs the worker's
messages exactly as one pass would. A worker is forked for each chunk when it is
ready: it shares these by copy-on-write, nothing is sent to it but a chunk number,
and nothing it does waits on another worker (the parts are merged by the parent as
they are finished).
"""
from __future__ import annotations

import copy
import io
import itertools
import multiprocessing
import multiprocessing.connection
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from .analysis.lookahead import FinalStore
from .analysis.transactions import Tracker
from .capture.frame import Frame
from .capture.pcapio import CaptureReader
from .decode.decoder import Decoder

# Sinks whose outputs for consecutive parts of a capture join into the output of the
# whole: (what one part's output starts with, what separates two parts, what the
# whole ends with, the whole output when nothing was written).
# None: what the sink writes when it is made (a column header) is its head, and parts
# join as they are.
JOINABLE: dict[str, tuple[str, str, str, str] | None] = {
    "jsonl": ("", "", "", ""),
    "json": ("[\n", ",\n", "\n]\n", "[\n]\n"),
    "text": None,
    "verbose": None,
    "transactions": None,
}


def _joining(fmt: str, make_sink: Callable[[IO[str]], Any]) -> tuple[str, str, str, str]:
    how = JOINABLE[fmt]
    if how is None:
        made = io.StringIO()
        make_sink(made)
        head = made.getvalue()
        how = (head, "", "", head)
    return how


def jobs_default() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class Chunk:
    number: int
    checkpoint: dict  # the reader's place before the chunk's first frame
    first_frame: int  # its first frame's number
    first_message: int
    state: Any  # the decoder's learned state there
    tracker: Tracker  # a copy of the first pass's Tracker there (transactions open)
    first_ns: int = 0  # its first message's time
    messages: int = 0
    end_offset: int = 0  # where the chunk ends in the file (progress)


class _Frames:
    """A reader's frames, numbered from `first`, with the checkpoint taken before each
    (the one of the frame last handed out is `current`)."""

    def __init__(self, reader: CaptureReader, first: int = 1, limit: int | None = None):
        self.reader = reader
        self.section_comments = reader.section_comments  # Decoder.messages notes them
        self.number = first
        self.limit = limit
        self.current: dict | None = None

    def __iter__(self) -> Iterator[Frame]:
        rd = self.reader
        left = self.limit
        while left is None or left > 0:
            cp = rd.checkpoint()
            fr = rd.next_frame()
            if fr is None:
                return
            fr.number = self.number
            self.number += 1
            self.current = cp
            if left is not None:
                left -= 1
            yield fr


class FirstPass:
    """The first pass, run a stretch at a time (`run`) so that workers can start on the
    chunks it has cut while it goes on: pairs every message (headers only) and cuts
    the capture into chunks of about `chunk_messages` messages, ending at frame
    boundaries."""

    def __init__(self, path: str, registry: Any, chunk_messages: int, count: int | None = None,
                 on_warning: Callable[[str], None] | None = None):
        self.store = FinalStore()
        self.tracker = Tracker(registry=registry, keep_messages=False)
        self.tracker.on_close = self.store.record
        self.registry = registry
        self.chunk_messages = chunk_messages
        self.count = count
        self.reader = CaptureReader(path, on_warning=on_warning)
        self.chunks: list[Chunk] = []
        # by chunk: the transactions made by its end (their ids run from 1)
        self.made: list[int] = []
        self.done = False

    def run(self, step: int = 2000) -> Iterator[None]:
        """Pair the messages, pausing after every `step` of them."""
        store, tracker, chunks, made = self.store, self.tracker, self.chunks, self.made
        dec = Decoder(self.registry)
        frames = _Frames(self.reader)
        last_frame = None
        msgs = dec.messages(frames)
        if self.count:
            msgs = itertools.islice(msgs, self.count)
        # Shared, not copied, with the Tracker: what does not change (the decoder, the
        # registry, every message's state: the decoder never changes a state it gave).
        keep = {id(self.registry): self.registry, id(dec): dec}
        left = step
        for m in msgs:
            if m.frame is not last_frame:
                last_frame = m.frame
                if not chunks or chunks[-1].messages >= self.chunk_messages:
                    if chunks:
                        chunks[-1].end_offset = frames.current["_pos"]
                        made.append(tracker.count)
                    tracker.on_close = None
                    snap = copy.deepcopy(tracker, dict(keep))
                    tracker.on_close = store.record
                    chunks.append(Chunk(len(chunks), frames.current, m.frame.number, m.number,
                                        dec.state, snap, m.frame.ts_ns))
                if left <= 0:
                    left = step
                    yield
            chunks[-1].messages += 1
            left -= 1
            store.pair(tracker, m)
        tracker.flush()
        if chunks:
            chunks[-1].end_offset = self.reader.tell()
            made.append(tracker.count)
        self.reader.close()
        self.done = True
        yield

    def ready(self, k: int) -> bool:
        """Chunk k is cut, and every transaction any of its messages belongs to has
        closed: what each became is in the store."""
        if self.done:
            return k < len(self.chunks)
        if k >= len(self.made):
            return False
        opened = self.tracker.open_transactions()
        oldest = min(t.id for t in opened) if opened else self.tracker.count + 1
        return self.made[k] < oldest


# The parent's first pass and job, inherited by the forked workers.
_JOB: dict[str, Any] = {}


def _work(k: int) -> tuple[str, int, int]:
    """Worker: decode chunk k into a file of its own; (that file, messages read,
    messages written)."""
    from .pipeline import Pipeline
    job = _JOB
    ch: Chunk = job["chunks"][k]
    reader = CaptureReader(job["path"])
    reader.resume(ch.checkpoint)
    dec = Decoder(job["registry"])
    dec.state = ch.state
    fd, name = tempfile.mkstemp(prefix=f"nlscope-part{k}-", dir=job["tmpdir"])
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        sink = job["make_sink"](out)
        pipe = Pipeline(dec, flt=job["filter"], sinks=[sink], count=ch.messages)
        pipe.tracker = ch.tracker  # as one pass's Tracker there
        if pipe.final:  # else each message goes with its transaction as known so far
            pipe.lookahead = job["store"]
        pipe.first_number = ch.first_message
        pipe.first_ns = sink.first_ns = job["first_ns"]  # times relative to the capture's start
        pipe.run(_Frames(reader, ch.first_frame))
    reader.close()
    return name, pipe.seen, pipe.shown


def run_parallel(path: str, registry: Any, *, fmt: str, make_sink: Callable[[IO[str]], Any],
                 out: IO[str], flt: Any = None, count: int | None = None, jobs: int = 2,
                 chunk_messages: int = 20_000, on_warning: Callable[[str], None] | None = None,
                 on_progress: Callable[[int], None] | None = None) -> tuple[int, CaptureReader]:
    """Write `path`'s messages through sinks made by `make_sink` (a JOINABLE format) to
    `out`, decoded by `jobs` worker processes; returns (messages read, the first
    pass's reader: its warnings, frames skipped).

    The first pass runs here while workers decode the chunks it has cut and settled
    (one core for it, the others for them); each worker is forked when its chunk is
    ready and so inherits what the first pass knows then."""
    head, sep, tail, empty = _joining(fmt, make_sink)
    fp = FirstPass(path, registry, chunk_messages, count, on_warning)
    chunks = fp.chunks
    ctx = multiprocessing.get_context("fork")
    running: dict[int, tuple[Any, Any]] = {}  # chunk -> (process, its end of the pipe)
    finished: dict[int, tuple[str, int, int]] = {}
    launched = written = wrote = 0

    def launch(limit: int) -> None:
        nonlocal launched
        # At most two parts per worker done and waiting: disk use stays bounded
        # however far the first workers run ahead.
        while (len(running) < limit and launched - written < 2 * jobs
               and fp.ready(launched)):
            _JOB["first_ns"] = chunks[0].first_ns
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_work_in_child, args=(launched, send), daemon=True)
            proc.start()
            send.close()
            running[launched] = (proc, recv)
            launched += 1

    def collect(block: bool) -> None:
        nonlocal written, wrote
        if running:
            ends = {recv: k for k, (_, recv) in running.items()}
            for recv in multiprocessing.connection.wait(list(ends), None if block else 0):
                k = ends[recv]
                proc, _ = running.pop(k)
                try:
                    result = recv.recv()
                except EOFError:
                    result = RuntimeError(f"worker for part {k} died (exit {proc.exitcode})")
                recv.close()
                proc.join()
                if isinstance(result, BaseException):
                    raise result
                finished[k] = result
        while written in finished:
            name, _read, shown = finished.pop(written)
            with open(name, encoding="utf-8") as part:
                if shown:
                    text = part.read(len(head))
                    assert text == head, "a part that does not start as the format does"
                    out.write(sep if wrote else head)
                    _copy_part(part, out, len(tail))
                    wrote += shown
            os.unlink(name)
            if on_progress is not None:
                on_progress(chunks[written].end_offset)
            written += 1

    with tempfile.TemporaryDirectory(prefix="nlscope-") as tmpdir:
        _JOB.update(path=path, registry=registry, chunks=chunks, store=fp.store, filter=flt,
                    make_sink=make_sink, tmpdir=tmpdir)
        try:
            for _ in fp.run():
                collect(False)
                launch(max(1, jobs - 1))  # this process pairs on one core meanwhile
            while written < len(chunks):
                launch(jobs)
                collect(True)
        finally:
            for proc, recv in running.values():
                proc.terminate()
                proc.join()
                recv.close()
            _JOB.clear()
    out.write(tail if wrote else empty)
    return sum(c.messages for c in chunks), fp.reader


def _work_in_child(k: int, send: Any) -> None:
    """A forked worker's life: chunk k decoded, what came of it sent to the parent."""
    try:
        result: Any = _work(k)
    except BaseException as e:  # the parent raises it
        result = RuntimeError(f"worker for part {k}: {type(e).__name__}: {e}")
    send.send(result)
    send.close()


def _copy_part(part: IO[str], out: IO[str], tail: int) -> None:
    """The rest of a part but its last `tail` characters (the format's ending)."""
    if not tail:
        shutil.copyfileobj(part, out, 1 << 20)
        return
    keep = ""
    while True:
        block = part.read(1 << 20)
        if not block:
            break
        block = keep + block
        out.write(block[:-tail])
        keep = block[-tail:]
