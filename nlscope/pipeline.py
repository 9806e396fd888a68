"""The one pipeline: source -> messages (lazy, noted in capture order) -> transactions
-> filter -> sinks. Every command, capture/trace's live output and the public API
(`nlscope.open`) go through it.

Pairing, by what the sinks and the filter need:
  "stream"  each message goes out as soon as it is read, with its transaction as
            known so far (text lines; anything on a live source: nothing waits for a
            message that may never come);
  "final"   each message goes out once its transaction is final (JSON's reply_in,
            latency; `--transactions`; filters on txn.*): messages wait, undecoded,
            behind the oldest open transaction, within the Tracker's bounds.
Decoding happens only when a sink or the filter asks a message for its tree or
summary: header-only filters and sinks never decode a payload.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .analysis.lookahead import FinalStore, with_final
from .analysis.transactions import Tracker, correlate
from .capture.frame import Frame
from .decode.decoder import Decoder, scan_frame
from .decode.model import Message
from .output.sinks import Sink


class Pipeline:
    """Messages of frames, paired and filtered, to sinks.

    Pull (`pairs(frames)`, `run(frames)`) for files and streams read in order; push
    (`push(frame)`, `finish()`) for live sources that hand frames as they come.
    """

    def __init__(self, decoder: Decoder, *, flt: Any = None, sinks: Iterable[Sink] = (),
                 count: int | None = None, final: bool | None = None, live: bool = False):
        self.decoder = decoder
        self.flt = flt
        self.sinks = list(sinks)
        self.count = count
        if final is None:
            final = not live and (any(s.needs_txn or s.per_txn for s in self.sinks)
                                  or bool(flt is not None and flt.needs_txn))
        self.final = final
        self.per_txn = any(s.per_txn for s in self.sinks)
        # A transaction keeps its members only for those who look at them all.
        members = any(s.needs_members for s in self.sinks) or bool(
            self.per_txn and flt is not None)
        self.tracker = Tracker(registry=decoder.registry, keep_messages=members)
        closers = [s.closed for s in self.sinks if hasattr(s, "closed")]
        if closers:  # sinks that count transactions as they close (stats)
            self.tracker.on_close = lambda t: [c(t) for c in closers]
        self.first_number = 1  # the first message's number (a worker's part starts later)
        self.seen = 0  # messages read (before the filter)
        self.shown = 0  # messages (or transactions) that passed it
        self.first_ns: int | None = None
        self._frames = 0
        self._match = self._matcher(flt)
        # What each transaction became, from a first pass over a file (FinalStore): then
        # "final" needs no waiting. Only for sinks that do not read every member.
        self.lookahead: Any = None

    @property
    def wants_lookahead(self) -> bool:
        return self.final and not self.tracker.keep_messages

    @staticmethod
    def _matcher(flt: Any) -> Callable[[Message, Any], bool] | None:
        if flt is None:
            return None
        if not flt.needs_decode:  # header-only: read from the lazy message's header
            return lambda m, t: flt.match_header(m)
        return flt

    # -- pull ------------------------------------------------------------------------
    def messages(self, frames: Iterable[Frame]) -> Iterator[Message]:
        it = self.decoder.messages(frames, self.first_number)
        if self.count:
            it = itertools.islice(it, self.count)
        for m in it:
            self._count(m)
            yield m

    def _count(self, m: Message) -> None:
        """One more message read; the first gives the sinks their time origin."""
        self.seen += 1
        if self.first_ns is None:
            self.first_ns = m.frame.ts_ns
            for s in self.sinks:
                s.first_ns = self.first_ns

    def pairs(self, frames: Iterable[Frame]) -> Iterator[tuple[Message, Any]]:
        """(message, transaction) for every message that passes the filter (for a
        per-transaction sink: for the first message of each transaction any of whose
        messages passes)."""
        msgs = self.messages(frames)
        if self.final and self.lookahead is not None:
            # the transactions open before the first message: a worker's part
            it = with_final(msgs, self.lookahead, self.tracker.open_transactions(),
                            self.tracker.on_close)
        elif self.final:
            it = correlate(msgs, self.tracker)
        else:
            feed = self.tracker.feed
            it = ((m, feed(m)) for m in msgs)
        match = self._match
        for m, t in it:
            if self.per_txn:
                if t is not None and m is not t.first:
                    continue
                members = t.messages if t is not None else (m,)
                if match is not None and not any(match(x, t) for x in members):
                    continue
            elif match is not None and not match(m, t):
                continue
            # m.transaction is left to the API (open_messages): a message and its
            # transaction pointing at each other are a cycle the garbage collector,
            # not the reference count, would have to free, for every message
            self.shown += 1
            yield m, t

    def look_ahead(self, frames: Iterable[Frame]) -> None:
        """The first pass over a file (another reader of it): what each transaction
        becomes, so that the second pass gives it at once (as `tshark -2`)."""
        dec = Decoder(self.decoder.registry)
        it = dec.messages(frames)
        if self.count:
            it = itertools.islice(it, self.count)
        self.lookahead = FinalStore.build(it, self.decoder.registry)

    def run(self, frames: Iterable[Frame]) -> int:
        """Everything to the sinks; returns the number of messages read."""
        sinks = self.sinks
        try:
            for m, t in self.pairs(frames):
                for s in sinks:
                    s.write(m, t)
        finally:
            if not self.final and self.lookahead is None:
                self.tracker.flush()
            for s in sinks:
                s.close()
        return self.seen

    # -- push (live) --------------------------------------------------------------
    def push(self, frame: Frame) -> None:
        """One live frame: its messages go to the sinks now, paired as known so far."""
        self._frames += 1
        if not frame.number:
            frame.number = self._frames
        dec = self.decoder
        for m in scan_frame(frame, dec):
            self._count(m)
            m.number = self.seen
            dec.note(m)
            t = self.tracker.feed(m)
            if self._match is not None and not self._match(m, t):
                continue
            self.shown += 1
            for s in self.sinks:
                s.write(m, t)

    def finish(self) -> None:
        self.tracker.flush()
        for s in self.sinks:
            s.close()


def open_messages(source: Any, *, filter: str | Any = None, registry: Any = None,
                  final: bool = True, on_warning: Callable[[str], None] | None = None
                  ) -> Iterator[Message]:
    """The library's entry point (`nlscope.open`): lazy messages of a capture file
    (path) or binary stream, each with `.transaction` (final for a file, as known so
    far when final=False), `.tree`, `.summary` and `.to_json()`, filtered by a display
    filter (text or compiled)."""
    from .analysis.filter import compile_filter
    from .capture.pcapio import CaptureReader
    from .decode.registry import default_registry
    registry = registry or default_registry()
    flt = compile_filter(filter, registry) if isinstance(filter, str) else filter
    reader = CaptureReader(source, on_warning=on_warning)
    pipe = Pipeline(Decoder(registry), flt=flt, final=final)
    if pipe.wants_lookahead and reader.seekable:
        with CaptureReader(source) as first:
            pipe.look_ahead(first)
    try:
        for m, t in pipe.pairs(reader):
            m.transaction = t
            yield m
    finally:
        reader.close()
