"""Seeds for the fuzzers, taken from what the repository ships: the lab captures in
samples/, the hand-made captures in tests/fixtures/, the YNL spec in kmod/, filters
from the README; kernel YNL specs from Debian's linux-source tarball when installed."""
from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from nlscope.capture.pcapio import CaptureError, CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import Registry, default_registry

from .frames import NlMsg, Seed, split_message

ROOT = Path(__file__).resolve().parents[2]


def capture_files() -> list[Path]:
    out = sorted(p for p in (ROOT / "samples").rglob("*.pcap*") if p.is_file())
    out += sorted(p for p in (ROOT / "tests" / "fixtures").rglob("*.pcap*") if p.is_file())
    return out


@dataclass
class FrameCorpus:
    """Seed frames of one capture, with a decoder that has read the whole capture (so
    generic netlink family ids it taught are known to mutants of its frames)."""

    name: str
    decoder: Decoder
    seeds: list[Seed]
    donors: dict[int, list[NlMsg]]  # per protocol: messages to take attributes from


def frame_corpora(registry: Registry | None = None, limit_per_file: int = 400) -> list[FrameCorpus]:
    registry = registry or default_registry()
    out = []
    for path in sorted(p for p in (ROOT / "samples").rglob("*.pcap*") if p.is_file()):
        dec = Decoder(registry)
        seeds: list[Seed] = []
        donors: dict[int, list[NlMsg]] = {}
        types: dict[int, set[int]] = {}
        frames: dict[int, list] = {}
        try:
            with CaptureReader(str(path)) as reader:
                for m in dec.messages(reader):
                    frames.setdefault(id(m.frame), [m.frame]).append(m)
        except CaptureError:
            continue
        for fr, *msgs in frames.values():
            if len(seeds) >= limit_per_file:
                break
            seed = seed_of(fr, msgs)
            if seed is not None:
                seeds.append(seed)
                for m, nm in zip((m for m in msgs if not m.is_fragment and m.nlmsg_len >= 16), seed.msgs):
                    types.setdefault(fr.protocol, set()).add(m.type)
                    donors.setdefault(fr.protocol, []).append(nm)
        for s in seeds:
            s.types = sorted(types.get(s.protocol, ()))
        out.append(FrameCorpus(path.name, dec, seeds, donors))
    return out


def seed_of(fr, msgs) -> Seed | None:
    """A frame's messages as parts, split where their decode found attributes."""
    parts = []
    for m in msgs:
        if m.is_fragment or m.nlmsg_len < 16:
            continue
        at = next((f.start for f in m.tree if f.name == "attributes"), None)
        parts.append(split_message(fr.raw, m.start, m.end, at, m.order))
    return Seed(fr.protocol, bytes(fr.raw[:fr.nl_offset]), parts) if parts else None


def container_seeds() -> list[tuple[str, bytes]]:
    out = []
    for p in capture_files():
        data = p.read_bytes()
        if len(data) > 64_000:  # mutants of big files cost time, not coverage of the reader
            continue
        out.append((p.name, data))
    return out


def filter_seeds() -> list[str]:
    """Display filters quoted in the README (lines of `-Y '...'`), and a few of every
    operator."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"-Y\s+'([^']+)'", text) + re.findall(r'-Y\s+"([^"]+)"', text)
    base = [
        'route', 'family == "generic"', "type == RTM_NEWLINK && seq > 3", "!malformed",
        'summary ~ "eth[0-9]+"', "error.errno == ENOENT || txn.latency > 0.5",
        "IFLA_IFNAME contains lo", 'nlmsg.len >= 32 and (flags & 0x300)', "attr.IFLA_MTU == 1500",
        "txn.status == error", 'comm == "ip"', "not (seq in {1 2 3})",
    ]
    return list(dict.fromkeys(found + base))


def ynl_seeds(kernel_specs: bool = False) -> list[tuple[str, str]]:
    """The repository's own spec; with `kernel_specs`, the kernel's from Debian's
    linux-source tarball (read in place; slow: the tarball is large)."""
    out = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "kmod").rglob("*.yaml"))]
    if kernel_specs:
        for tar in sorted(Path("/usr/src").glob("linux-source-*.tar.*")):
            with tarfile.open(tar) as tf:
                for ti in tf:
                    if "/Documentation/netlink/specs/" in ti.name and ti.name.endswith(".yaml") and ti.isfile():
                        f = tf.extractfile(ti)
                        if f is not None:
                            out.append((Path(ti.name).name, f.read().decode("utf-8", "replace")))
            break
    return out
