"""What each fuzzer feeds its input to, and the properties checked on the way.

An exception that escapes a target is a finding (the runner keeps its traceback).
Properties that hold without an exception are checked here and reported as findings
by kind: span violations (a field outside its message, a child outside its parent,
messages not tiling the frame), summary errors (a summary that failed: item 5 of issue
12 wants none), and text that would reach a terminal unescaped.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
from collections import Counter

from nlscope.analysis.filter import FilterError, compile_filter
from nlscope.capture.frame import Frame
from nlscope.capture.pcapio import CaptureError, CaptureReader
from nlscope.decode.decoder import Decoder, scan_frame
from nlscope.decode.model import fields_to_json
from nlscope.decode.registry import PluginError, default_registry
from nlscope.output.text import summary_line, tree_lines

MAX_MESSAGES_PER_FILE = 500  # a container mutant is read up to here


class Finding(Exception):
    """A property broken without an exception (kind: a short name to count by)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


class Stats(Counter):
    """What a run counted: inputs, frames, messages, problems, dissector errors."""


def _check_spans(msgs, fr: Frame) -> None:
    pos = min(fr.nl_offset, len(fr.raw))  # a frame shorter than its link header: one empty fragment
    for m in msgs:
        if m.start != pos or m.end < m.start:
            raise Finding("span", f"message {m.index} spans {m.start}:{m.end}, expected to start at {pos}")
        pos = m.end
        stack = [(f, m.start, m.end) for f in m.tree]
        while stack:
            f, lo, hi = stack.pop()
            if not (lo <= f.start <= f.end <= hi):
                raise Finding("span", f"{f.name} {f.start}:{f.end} outside {lo}:{hi} in message {m.index} "
                                      f"({m.type_name})")
            for c in f.children or ():
                stack.append((c, f.start, f.end))
    if msgs and pos != len(fr.raw):
        raise Finding("span", f"messages end at {pos}, the frame at {len(fr.raw)}")


def _check_text(lines: list[str]) -> None:
    for line in lines:
        for ch in line:
            o = ord(ch)
            if o < 0x20 or 0x7F <= o < 0xA0:
                raise Finding("unescaped", repr(line[:120]))


def decode_messages(msgs, fr: Frame, stats: Stats, twins=None) -> None:
    """Everything a user can ask of the messages of one frame. `twins`: the same
    messages scanned again, read as a summary line reads them (LAZY, then checked):
    their summary, problems and tree must be the full decode's."""
    for i, m in enumerate(msgs):
        stats["messages"] += 1
        m.tree  # noqa: B018 (decodes)
        if twins is not None:
            _check_lazy(m, twins[i])
        problems = m.problems
        if problems:
            stats["malformed"] += 1
        for p in problems:
            if p.startswith("summary error"):
                raise Finding("summary", f"{m.type_name}: {p}")
            if p.startswith("dissector error"):
                stats["dissector errors"] += 1
        json.dumps(m.to_json(txn=None), allow_nan=False)
        _check_text([summary_line(m, "0.0"), *tree_lines(m)])
    _check_spans(msgs, fr)


def _check_lazy(full, lazy) -> None:
    got = (lazy.summary, list(lazy.problems))
    want = (full.summary, list(full.problems))
    if got != want:
        raise Finding("lazy", f"{full.type_name}: summary line decode {got!r} != full decode {want!r}")
    if fields_to_json(lazy.tree) != fields_to_json(full.tree):
        raise Finding("lazy", f"{full.type_name}: lazy tree differs from the full one")


def frame_target(decoder: Decoder, protocol: int, raw: bytes, stats: Stats) -> None:
    fr = Frame(0, 0, protocol, raw, 16, len(raw))
    msgs = scan_frame(fr, decoder)
    for m in msgs:
        decoder.note(m)
    twins = scan_frame(fr, decoder)
    for m, t in zip(msgs, twins):
        t.state, t.number = m.state, m.number
    stats["frames"] += 1
    decode_messages(msgs, fr, stats, twins)


def container_target(data: bytes, registry, stats: Stats) -> None:
    """A capture file: read as the CLI reads it; CaptureError is the one-line exit 2."""
    stats["files"] += 1
    dec = Decoder(registry)
    try:
        reader = CaptureReader(io.BytesIO(data))
    except CaptureError:
        stats["refused"] += 1
        return
    n = 0
    try:
        with reader:
            last = None
            for m in dec.messages(reader):
                if m.frame is not last:
                    stats["frames"] += 1
                    last = m.frame
                m.summary  # noqa: B018
                n += 1
                if n >= MAX_MESSAGES_PER_FILE:
                    break
    except CaptureError:
        stats["refused"] += 1
    stats["messages"] += n


def filter_target(text: str, messages, stats: Stats) -> None:
    """A display filter: compiled (FilterError is its one-line error), then run on
    messages of the samples."""
    stats["filters"] += 1
    try:
        flt = compile_filter(text)
    except FilterError as e:
        stats["rejected"] += 1
        text = str(e)
        if not text or "\n" in text or "\r" in text:  # the CLI prints it as one line
            raise Finding("filter-error", repr(text[:200]))
        return
    for m in messages:
        flt.matches(m) if hasattr(flt, "matches") else flt(m)


def ynl_target(text: bytes, stats: Stats, frames) -> None:
    """A YNL spec, loaded as --spec loads it (YnlError is its one-line error), then
    the samples' generic netlink frames decoded with it registered."""
    from nlscope.decode.ynl import load_spec
    stats["specs"] += 1
    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="nlscope-fuzz-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text)
        reg = default_registry(entry_points=False)
        try:
            load_spec(reg, path)
        except PluginError as e:
            stats["rejected"] += 1
            line = str(e)
            if "\n" in line or not line.startswith(path):
                raise Finding("spec-error", repr(line[:200]))
            return
    finally:
        os.unlink(path)
    dec = Decoder(reg)
    for protocol, raw in frames:
        frame_target(dec, protocol, raw, stats)
