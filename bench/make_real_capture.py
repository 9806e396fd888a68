#!/usr/bin/env python3
"""Build a large benchmark capture from REAL netlink traffic (the bundled samples).

    .venv/bin/python bench/make_real_capture.py                    # 1,000,000 messages
    .venv/bin/python bench/make_real_capture.py --messages 250k    # or 500k, 1M, 36650 ...
    .venv/bin/python bench/make_real_capture.py --messages 250k -o /tmp/x.pcapng
    .venv/bin/python bench/make_real_capture.py --info FILE        # count a capture only

The samples (samples/*.pcapng and samples/kmod/*.pcapng: real traffic of ip, tc, bridge,
ss, nft, conntrack, ip xfrm, iw, wg, ethtool, devlink and the course's kernel modules,
captured on nlmon in the VM lab) are concatenated in name order and repeated until the
file holds at least N netlink messages (top-level nlmsghdrs); it stops at the first frame
boundary at or past N. Frames are copied byte for byte; only timestamps change: each
file keeps its own spacing and starts 1 ms (--gap-ms) after the previous file ended, so
time always advances. Same samples and arguments, same bytes.

Each copy of each sample gets its own pcapng section (SHB + IDB) carrying that sample's
section comments, plus one line naming the copy. A sample's comment may hold the
generic netlink family-id map of the boot it came from (`nlscope-genl-families: {...}`);
ids differ between boots, so the maps are never merged: a reader notes each map when it
reaches that section, right before the frames it applies to.

Written with nlscope's own writer (nlscope.capture.pcapio.PcapngWriter). Output goes to
bench/out/ (git-ignored), default bench/out/real-<N>.pcapng, with a sidecar
<name>.meta.json (frames, messages, sections, what went in) that bench/core_bench.py
reads instead of walking the file again.

Library use (bench/core_bench.py): `capture_info(path)` -> frames, messages and the frame
count holding the first K messages, cached in the sidecar keyed by the file's size and
mtime; `parse_count("250k")` -> 250000; `build(n, out)`.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlscope.capture.frame import Frame  # noqa: E402
from nlscope.capture.pcapio import CaptureReader, PcapngWriter  # noqa: E402

DEFAULT_SAMPLES = ["samples/*.pcapng", "samples/kmod/*.pcapng"]
# Messages/frame counts asked for by core_bench's `read -c` row; stored in the sidecar.
CUT_POINTS = (1_000, 10_000, 100_000)
_HDR_LE = struct.Struct("<IHHII")
_HDR_BE = struct.Struct(">IHHII")


# --------------------------------------------------------------------------- counting


def _walk(payload, hdr: struct.Struct) -> tuple[int, bool]:
    n_left = len(payload)
    off = count = 0
    while off + 16 <= n_left:
        length = hdr.unpack_from(payload, off)[0]
        if length < 16 or off + length > n_left:
            break
        count += 1
        off += (length + 3) & ~3
    return count, off >= n_left


def count_nlmsgs(payload: bytes | memoryview) -> int:
    """Top-level nlmsghdrs in one frame's netlink payload, by nlmsg_len alone. The byte
    order is the capturing host's: guess it from which reading fits the bytes left."""
    le, le_whole = _walk(payload, _HDR_LE)
    if le_whole:
        return le
    be, be_whole = _walk(payload, _HDR_BE)
    return be if be_whole and be else le


def parse_count(text: str | int) -> int:
    """'250k' -> 250000, '1M' -> 1000000, '36650' -> 36650."""
    if isinstance(text, int):
        return text
    t = text.strip().lower().replace("_", "").replace(",", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    return int(float(t) * mult)


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def meta_path(capture: Path) -> Path:
    return capture.with_name(capture.name.rsplit(".", 1)[0] + ".meta.json")


def _stamp(capture: Path) -> dict:
    st = capture.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def scan_capture(capture: Path, cuts: tuple[int, ...] = CUT_POINTS) -> dict:
    """Walk a capture (headers only): frames, messages, frames per cut."""
    frames = messages = 0
    cut_frames: dict[str, int] = {}
    pending = sorted(cuts)
    reader = CaptureReader(capture)
    for fr in reader:
        frames += 1
        messages += count_nlmsgs(fr.payload)
        while pending and messages >= pending[0]:
            cut_frames[str(pending.pop(0))] = frames
    for c in pending:  # fewer messages than the cut: all frames
        cut_frames[str(c)] = frames
    return {"frames": frames, "messages": messages,
            "section_comments": len(reader.section_comments),
            "skipped_records": reader.skipped, "warnings": reader.warnings[:5],
            "frames_for_messages": cut_frames}


def capture_info(capture: str | os.PathLike, cuts: tuple[int, ...] = CUT_POINTS) -> dict:
    """Counts of a capture, from its sidecar when it is current, else by walking it (and
    the sidecar is then written, keeping any other keys it had)."""
    capture = Path(capture)
    side = meta_path(capture)
    old: dict = {}
    if side.exists():
        try:
            old = json.loads(side.read_text())
        except ValueError:
            old = {}
        have = old.get("frames_for_messages", {})
        if old.get("stamp") == _stamp(capture) and all(str(c) in have for c in cuts):
            return old
    info = scan_capture(capture, tuple(sorted(set(cuts) | set(CUT_POINTS))))
    old.update(info)
    old["stamp"] = _stamp(capture)
    try:
        side.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only place: counts are still returned
    return old


# --------------------------------------------------------------------------- building


def _git_tracked() -> set[str] | None:
    """Absolute paths of the files git tracks under samples/ (None: not a git checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", "samples"], cwd=ROOT,
                             capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return {str(ROOT / f) for f in out.stdout.decode().split("\0") if f}


def sample_paths(patterns: list[str] | None = None, untracked: bool = False) -> list[str]:
    """The sample files: the patterns' matches in name order. With the default patterns
    only files git tracks are taken (a sample another engineer is still writing would
    change the bytes), unless `untracked`."""
    default = patterns is None
    tracked = _git_tracked() if default and not untracked else None
    paths: list[str] = []
    for pat in patterns or DEFAULT_SAMPLES:
        p = pat if os.path.isabs(pat) else str(ROOT / pat)
        found = sorted(glob.glob(p)) if any(c in pat for c in "*?[") else [p]
        if tracked is not None:
            found = [f for f in found if f in tracked]
        paths += [f for f in found if f not in paths]
    return paths


def fingerprint(paths: list[str]) -> str:
    """One hash of the sample files' names and bytes: the capture's recipe."""
    h = hashlib.sha256()
    for p in paths:
        h.update(os.path.relpath(p, ROOT).encode() + b"\0")
        with open(p, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def load_samples(paths: list[str]) -> list[dict]:
    """Each sample: path, its section comments, its frames (ts made relative to its
    first frame) and message counts."""
    samples = []
    for p in paths:
        reader = CaptureReader(p)
        frames = list(reader)
        if not frames:
            print(f"warning: {p}: no netlink frames; left out", file=sys.stderr)
            continue
        t0 = frames[0].ts_ns
        rel = []
        for fr in frames:
            # Keep each frame whole: raw bytes (link header included), comment, process.
            rel.append((max(0, fr.ts_ns - t0), fr, count_nlmsgs(fr.payload)))
        # Timestamps in a capture are not always monotonic; keep the file's order anyway.
        span = max(r[0] for r in rel)
        samples.append({
            "path": os.path.relpath(p, ROOT) if p.startswith(str(ROOT)) else p,
            "comments": list(reader.section_comments),
            "frames": rel,
            "span_ns": span,
            "n_frames": len(rel),
            "n_messages": sum(r[2] for r in rel),
        })
    if not samples:
        raise SystemExit(f"no sample captures found for {patterns}")
    return samples


class _SectionedWriter:
    """PcapngWriter writes one SHB+IDB when built; a new section is a new writer on the
    same file object."""

    def __init__(self, f):
        self._f = f
        self.writer: PcapngWriter | None = None
        self.sections = 0

    def section(self, comments: list[str]) -> PcapngWriter:
        self.writer = PcapngWriter(self._f, comments=comments)
        self.sections += 1
        return self.writer


def build(n_messages: int, out: Path, patterns: list[str] | None = None,
          gap_ms: float = 1.0, quiet: bool = False, untracked: bool = False) -> dict:
    paths = sample_paths(patterns, untracked)
    samples = load_samples(paths)
    per_cycle = sum(s["n_messages"] for s in samples)
    if per_cycle == 0:
        raise SystemExit("the samples hold no netlink messages")
    gap = int(gap_ms * 1_000_000)
    # Start at the earliest sample's own clock: deterministic, and plausible dates.
    cursor = min(s["frames"][0][1].ts_ns for s in samples)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    frames = messages = 0
    rep = 0
    t_start = time.monotonic()
    cut_frames: dict[str, int] = {}
    pending = sorted(CUT_POINTS)
    with open(tmp, "wb", buffering=1 << 20) as f:
        sw = _SectionedWriter(f)
        while messages < n_messages:
            rep += 1
            for s in samples:
                if messages >= n_messages:
                    break
                head = (f"nlscope bench: copy {rep} of {s['path']} "
                        f"(bench/make_real_capture.py --messages {n_messages})")
                w = sw.section([head, *s["comments"]])
                for rel_ts, fr, nmsg in s["frames"]:
                    w.write(Frame(number=0, ts_ns=cursor + rel_ts, protocol=fr.protocol,
                                  raw=fr.raw, nl_offset=fr.nl_offset, orig_len=fr.orig_len,
                                  linktype=fr.linktype, interface=0, comment=fr.comment,
                                  direction=fr.direction, pid=fr.pid, comm=fr.comm))
                    frames += 1
                    messages += nmsg
                    while pending and messages >= pending[0]:
                        cut_frames[str(pending.pop(0))] = frames
                    if messages >= n_messages:
                        break
                cursor += s["span_ns"] + gap
            if not quiet and rep % 50 == 0:
                print(f"  copy {rep}: {messages} messages, {frames} frames", file=sys.stderr)
    for c in pending:
        cut_frames[str(c)] = frames
    os.replace(tmp, out)
    meta = {
        "kind": "real-samples",
        "made_by": "bench/make_real_capture.py",
        "requested_messages": n_messages,
        "messages": messages,
        "frames": frames,
        "sections": sw.sections,
        "copies": rep,
        "gap_ms": gap_ms,
        "bytes": out.stat().st_size,
        "samples": [{"path": s["path"], "frames": s["n_frames"], "messages": s["n_messages"],
                     "genl_map": any("nlscope-genl-families:" in c for c in s["comments"])}
                    for s in samples],
        "messages_per_copy": per_cycle,
        "samples_fingerprint": fingerprint(paths),
        "frames_for_messages": cut_frames,
        "stamp": _stamp(out),
        "build_seconds": round(time.monotonic() - t_start, 2),
    }
    meta_path(out).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", "-n", default="1M",
                    help="at least this many messages: 250k, 500k, 1M or a number (default 1M)")
    ap.add_argument("-o", "--output", type=Path,
                    help="output file (default bench/out/real-<N>.pcapng)")
    ap.add_argument("--samples", nargs="+", metavar="GLOB",
                    help=f"sample captures, relative to the repo (default {' '.join(DEFAULT_SAMPLES)})")
    ap.add_argument("--untracked", action="store_true",
                    help="with the default samples, also take files git does not track")
    ap.add_argument("--gap-ms", type=float, default=1.0,
                    help="time between one sample copy's last frame and the next's first")
    ap.add_argument("--info", type=Path, metavar="FILE",
                    help="only count FILE's frames and messages (and cache them in its sidecar)")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.info:
        info = capture_info(a.info)
        print(json.dumps({k: info[k] for k in ("frames", "messages", "sections",
                                                 "section_comments", "frames_for_messages")
                          if k in info}, indent=2))
        return 0
    n = parse_count(a.messages)
    if n <= 0:
        ap.error("--messages must be positive")
    out = a.output or OUT_DIR / f"real-{label(n)}.pcapng"
    meta = build(n, out, a.samples, a.gap_ms, a.quiet, a.untracked)
    print(f"{out}: {meta['messages']} messages in {meta['frames']} frames, "
          f"{meta['sections']} sections ({meta['copies']} copies of {len(meta['samples'])} "
          f"samples, {meta['messages_per_copy']} messages each), "
          f"{meta['bytes'] / 1e6:.1f} MB, {meta['build_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
