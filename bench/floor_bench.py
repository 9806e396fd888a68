#!/usr/bin/env python3
"""How fast pure Python can go at all, beside tshark, in one run: the floors under
issue 10's targets (read >= tshark -r; header-only commands >= 2x tshark -r) and
issue 11's (export at 3x tshark -T json; read -V at 1x tshark -V).

    .venv/bin/python bench/floor_bench.py                      # bench/out/real-250k.pcapng
    .venv/bin/python bench/floor_bench.py --capture FILE --repeat 3

Each floor is a loop that does strictly less than any nlscope command must do, run in
its own process and measured like bench/core_bench.py rows (CPU user+sys from wait4,
best of --repeat):

  blocks     walk the pcapng blocks and slice each packet's bytes (a minimal reader:
             little-endian, EPBs only; no Frame object, no options, no checks)
  headers    + walk each frame's nlmsghdrs and count messages per type: the least a
             `stats` or a header-only filter can do (no transactions, no names)
  pairs      headers + the least pairing of answers with requests: a request (flag
             NLM_F_REQUEST) opens (protocol, seq), an answer looks it up and counts the
             latency, NLMSG_DONE or an ACK/error closes it. `stats` reports transactions
             and latencies, a header-only filter on an error names its request: both pair
  attrs      + walk the framing of every attribute the message's fixed header leaves
             (nla_len/nla_type; into nests flagged NLA_F_NESTED only): the least a
             summary line can do, since tshark -r dissects every attribute and says
             "Malformed" on any bad one, and so must we
  lines      headers + one formatted line per message (header columns only, no Info)
  attrs-lines  attrs and lines together: the least `read` can do (no names, no Info,
             no pairing)
  nlscope-reader  nlscope's CaptureReader + scan_frame: what nlscope pays before any
             naming, pairing or decoding
  startup    nlscope's imports and tables (the registry with its YNL specs), no
             message: what every command pays once before its first
  json       attrs, and every attribute's value (an int for 1/2/4/8 bytes, else hex)
             into a dict per nest keyed by type number, the header as a dict, one
             orjson line per message: the least an export can do (it names every
             attribute, enum and flag too), beside `tshark -T json`
  tree-lines  attrs, and one line per attribute with its value (an int for 1/2/4/8
             bytes, else hex) indented by depth, under a line of header fields per
             message: the least `read -V` can print (it names every attribute, enum and
             flag, and nests tshark walks without NLA_F_NESTED), beside `tshark -V`
  export-frame  nlscope's own `export --format jsonl -j 1` with no payload decoded:
             its reader, look-ahead, transactions and each message's record (header,
             txn, raw) as written, the payload left empty. Not a floor of Python but
             of nlscope's pipeline around the decoder: what an export costs before
             the first attribute, beside the export target's budget

If `headers` alone costs more than half of `tshark -r`, no pure-Python design meets the
2x header-only target; if `attrs` or `lines` costs more than `tshark -r`, none meets
read >= tshark -r. The table gives each floor's microseconds per message beside
tshark's and nlscope's (read, stats). Output: markdown on stdout, JSON in
bench/out/floor_bench.json.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

FLOORS = ["blocks", "headers", "pairs", "attrs", "lines", "attrs-lines", "nlscope-reader",
          "startup", "json", "tree-lines", "export-frame"]


# ------------------------------------------------------------------ the floors (children)
# Deliberately not nlscope's reader: the least code that gets the bytes, to show where
# CPython's per-item cost alone stands.

def _packets(path: str):
    data = Path(path).read_bytes()
    head = struct.Struct("<II").unpack_from
    epb = struct.Struct("<IIIII").unpack_from
    pos, end = 0, len(data)
    while pos + 8 <= end:
        btype, blen = head(data, pos)
        if blen < 12:
            break
        if btype == 6:
            _if, _hi, _lo, cap, _orig = epb(data, pos + 8)
            yield data, pos + 28, pos + 28 + cap
        pos += blen


def floor_blocks(path: str) -> int:
    n = 0
    for buf, a, b in _packets(path):
        raw = buf[a:b]
        n += len(raw) > 0
    return n


def _fixed_sizes():
    """(protocol, type) -> bytes of the fixed header before attributes (nlscope's tables:
    the floor walks what the decoder would); None when unknown (not walked)."""
    from nlscope.decode.decoder import resolve_type
    from nlscope.decode.registry import default_registry
    reg = default_registry()
    cache: dict[tuple[int, int], int | None] = {}

    def size(proto: int, mtype: int) -> int | None:
        key = (proto, mtype)
        if key not in cache:
            p = reg.get(proto)
            if proto == 16 and mtype >= 16:
                cache[key] = 4  # genlmsghdr
            else:
                found = resolve_type(p, mtype) if p is not None else None
                spec = found[2] if found else None
                h = getattr(spec, "header", None) if spec is not None else None
                cache[key] = ((h.size + 3) & ~3) if h is not None else None
        return cache[key]
    return size


def _walk(path: str, pairs: bool = False, attrs: bool = False, lines: bool = False) -> int:
    """The nlmsghdr walk every floor but `blocks` makes, with what each adds (one loop:
    a skipped part costs a test per message, ~0.02 us)."""
    hdr = struct.Struct("<IHHII").unpack_from
    nla = struct.Struct("<HH").unpack_from
    ts_of = struct.Struct("<II").unpack_from
    size = _fixed_sizes() if attrs else None
    write = sys.stdout.write
    counts: dict[int, int] = {}
    open_: dict[tuple[int, int], int] = {}
    lat = n = 0
    for buf, a, b in _packets(path):
        raw = buf[a:b]
        proto = (raw[14] << 8) | raw[15]
        if pairs:
            hi, lo = ts_of(buf, a - 16)  # the EPB's timestamp
            ts = (hi << 32) | lo
        pos, end = 16, len(raw)
        while end - pos >= 16:
            ln, ty, fl, seq, pid = hdr(raw, pos)
            if ln < 16:  # zero fill after the last message, or a bad one: stop
                break
            counts[ty] = counts.get(ty, 0) + 1
            n += 1
            if pairs:
                key = (proto, seq)
                if fl & 1:
                    open_[key] = ts
                else:
                    t0 = open_.get(key)
                    if t0 is not None:
                        lat += ts - t0
                        if ty <= 3:
                            del open_[key]
            if lines:
                write(f"{n:>6} {0.0:>12} {'route':<9} {ty:<20} {fl:<24} {seq:>10} {pid:>10} {ln:>5}  \n")
            if attrs and ty >= 16:
                fixed = size(proto, ty)
                if fixed is not None:
                    stack = [(pos + 16 + fixed, min(pos + ln, end))]
                    while stack:
                        p, e = stack.pop()
                        while e - p >= 4:
                            alen, atype = nla(raw, p)
                            if alen < 4 or p + alen > e:
                                break
                            if atype & 0x8000:
                                stack.append((p + 4, p + alen))
                            p += (alen + 3) & ~3
            pos += (ln + 3) & ~3
    return n


def floor_headers(path: str) -> int:
    return _walk(path)


def floor_pairs(path: str) -> int:
    return _walk(path, pairs=True)


def floor_attrs(path: str) -> int:
    return _walk(path, attrs=True)


def floor_lines(path: str) -> int:
    return _walk(path, lines=True)


def floor_attrs_lines(path: str) -> int:
    return _walk(path, attrs=True, lines=True)


def floor_startup(path: str) -> int:
    from nlscope.decode.decoder import Decoder
    from nlscope.decode.registry import default_registry
    from nlscope.pipeline import Pipeline
    Pipeline(Decoder(default_registry()))
    return 0


def floor_json(path: str) -> int:
    return _payload_floor(path, tree=False)


def floor_tree_lines(path: str) -> int:
    return _payload_floor(path, tree=True)


def _payload_floor(path: str, tree: bool) -> int:
    """Every attribute's value (an int for 1/2/4/8 bytes, else hex; into nests flagged
    NLA_F_NESTED), per message: one orjson line of dicts keyed by type number (`json`),
    or a line per attribute indented by depth under a header line (`tree-lines`)."""
    import orjson
    hdr = struct.Struct("<IHHII").unpack_from
    nla = struct.Struct("<HH").unpack_from
    size = _fixed_sizes()
    write_bytes, write_text = sys.stdout.buffer.write, sys.stdout.write
    dumps = orjson.dumps
    ints = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}
    n = 0

    def walk(raw: bytes, p: int, e: int) -> dict:
        out: dict[str, object] = {}
        while e - p >= 4:
            alen, atype = nla(raw, p)
            if alen < 4 or p + alen > e:
                break
            k = str(atype & 0x3FFF)
            if atype & 0x8000:
                out[k] = walk(raw, p + 4, p + alen)
            else:
                f = ints.get(alen - 4)
                out[k] = struct.unpack_from(f, raw, p + 4)[0] if f else raw[p + 4:p + alen].hex()
            p += (alen + 3) & ~3
        return out

    def lines(raw: bytes, p: int, e: int, indent: str, out: list[str]) -> None:
        while e - p >= 4:
            alen, atype = nla(raw, p)
            if alen < 4 or p + alen > e:
                break
            if atype & 0x8000:
                out.append(f"{indent}type {atype & 0x3FFF}")
                lines(raw, p + 4, p + alen, indent + "    ", out)
            else:
                f = ints.get(alen - 4)
                v = struct.unpack_from(f, raw, p + 4)[0] if f else raw[p + 4:p + alen].hex()
                out.append(f"{indent}type {atype & 0x3FFF}: {v}")
            p += (alen + 3) & ~3

    for buf, a, b in _packets(path):
        raw = buf[a:b]
        proto = (raw[14] << 8) | raw[15]
        pos, end = 16, len(raw)
        while end - pos >= 16:
            ln, ty, fl, seq, pid = hdr(raw, pos)
            if ln < 16:
                break
            n += 1
            fixed = size(proto, ty) if ty >= 16 else None
            if tree:
                out = [f"Message {n}: family {proto}, len {ln}, type {ty}, flags 0x{fl:x}, "
                       f"seq {seq}, pid {pid}"]
                if fixed is not None:
                    lines(raw, pos + 16 + fixed, min(pos + ln, end), "    ", out)
                out.append("")
                write_text("\n".join(out))
            else:
                rec = {"number": n, "family": proto, "offset": pos,
                       "header": {"len": ln, "type": ty, "flags": fl, "seq": seq, "pid": pid}}
                if fixed is not None:
                    rec["payload"] = walk(raw, pos + 16 + fixed, min(pos + ln, end))
                rec["raw"] = raw[pos:pos + ln].hex()
                write_bytes(dumps(rec) + b"\n")
            pos += (ln + 3) & ~3
    return n


def floor_export_frame(path: str) -> int:
    from nlscope.cli.main import main as nlscope_main
    from nlscope.decode.decoder import Decoder

    def header_only(self, msg) -> None:
        msg._tree = [self._header_fields(msg)]
        msg._summary = ""
    Decoder._decode = header_only
    return nlscope_main(["export", "--format", "jsonl", "-j", "1", path])


def floor_nlscope_reader(path: str) -> int:
    from nlscope.capture.pcapio import CaptureReader
    from nlscope.decode.decoder import scan_frame
    n = 0
    for fr in CaptureReader(path):
        n += len(scan_frame(fr))
    return n


# ------------------------------------------------------------------ the bench (parent)

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--capture", help="default: bench/out/real-250k.pcapng (built if missing)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per row; the least CPU counts")
    ap.add_argument("--floor", choices=FLOORS, help=argparse.SUPPRESS)  # a child's job
    ap.add_argument("--no-nlscope", action="store_true", help="skip nlscope's own rows")
    ap.add_argument("--json", default=str(HERE / "out" / "floor_bench.json"))
    a = ap.parse_args(argv)
    if a.floor:
        fn = globals()["floor_" + a.floor.replace("-", "_")]
        print(fn(a.capture), file=sys.stderr)
        return 0

    import core_bench as cb
    import make_real_capture as mrc
    cap = Path(a.capture) if a.capture else cb.OUT_DIR / "real-250k.pcapng"
    if not cap.exists():
        if a.capture:
            raise SystemExit(f"{cap}: no such file")
        mrc.build(250_000, cap)
    total = mrc.capture_info(cap)["messages"]
    py = sys.executable
    env = dict(cb.bytecode_env(os.environ), PYTHONPATH=str(ROOT))

    def best(argv: list[str]) -> "cb.Run":
        runs = [cb.run_one(argv, 3600, 4096, total, env) for _ in range(max(1, a.repeat))]
        bad = [r for r in runs if not r.ok]
        if bad:
            raise SystemExit(f"{' '.join(argv)}: {bad[0].status}\n{bad[0].stderr_tail}")
        return min(runs, key=lambda r: r.cpu)

    rows: list[tuple[str, str, "cb.Run"]] = []

    def row(name: str, what: str, argv: list[str]) -> None:
        r = best(argv)
        rows.append((name, what, r))
        print(f"  {name:<16} cpu {r.cpu:7.2f} s  {r.cpu / total * 1e6:7.2f} us/msg", flush=True)

    print(f"capture {cap}: {total:,} messages", flush=True)
    row("tshark -r", "tshark, one summary line per frame", ["tshark", "-r", str(cap)])
    row("tshark -T json", "tshark, every frame dissected, as JSON",
        ["tshark", "-T", "json", "-r", str(cap)])
    row("tshark -V", "tshark, every frame dissected, as a tree", ["tshark", "-V", "-r", str(cap)])
    for f in FLOORS:
        row(f"floor {f}", "pure Python floor", [py, str(Path(__file__).resolve()), "--floor", f,
                                                "--capture", str(cap)])
    if not a.no_nlscope:
        row("nlscope read", "nlscope", [py, "-m", "nlscope", "read", str(cap)])
        row("nlscope stats", "nlscope", [py, "-m", "nlscope", "stats", str(cap)])
        row("nlscope read -V", "nlscope", [py, "-m", "nlscope", "read", "-V", "-j", "1", str(cap)])
        row("nlscope export", "nlscope", [py, "-m", "nlscope", "export", "--format", "jsonl",
                                          "-j", "1", str(cap)])

    ref = rows[0][2].cpu
    lines = [f"Capture `{cap.name}`: {total:,} messages. CPU time (user+sys), best of "
             f"{max(1, a.repeat)}; 'x tshark -r' = CPU / tshark -r's CPU.", "",
             "| row | CPU s | us/message | x tshark -r |", "|---|---:|---:|---:|"]
    for name, _what, r in rows:
        lines.append(f"| {name} | {r.cpu:.2f} | {r.cpu / total * 1e6:.2f} | {r.cpu / ref:.2f}x |")
    by = {name: r.cpu for name, _w, r in rows}
    lines += ["", f"- header-only target (2x tshark -r): at most {ref / 2 / total * 1e6:.2f} us/message; "
              f"floor `headers` alone: {by['floor headers'] / total * 1e6:.2f} us/message "
              f"({'within' if by['floor headers'] <= ref / 2 else 'above'} it), with the least "
              f"pairing (`pairs`): {by['floor pairs'] / total * 1e6:.2f} "
              f"({'within' if by['floor pairs'] <= ref / 2 else 'above'} it)",
              f"- read target (1x tshark -r): at most {ref / total * 1e6:.2f} us/message; floor `attrs-lines` "
              f"(attribute framing and a line per message, what read does at least): "
              f"{by['floor attrs-lines'] / total * 1e6:.2f} us/message "
              f"({'within' if by['floor attrs-lines'] <= ref else 'above'} it)",
              f"- start-up (imports and tables, no message): {by['floor startup']:.2f} s CPU, "
              f"{by['floor startup'] / total * 1e6:.2f} us/message on this capture; with the least "
              f"pairing: {(by['floor startup'] + by['floor pairs']) / total * 1e6:.2f} us/message "
              f"({'within' if by['floor startup'] + by['floor pairs'] <= ref / 2 else 'above'} "
              f"the header-only target)",
              f"- export target (3x tshark -T json): at most "
              f"{by['tshark -T json'] / 3 / total * 1e6:.2f} us/message; floor `json` (values "
              f"unnamed): {by['floor json'] / total * 1e6:.2f} us/message; nlscope's export with "
              f"no payload decoded (`export-frame`): {by['floor export-frame'] / total * 1e6:.2f} "
              f"us/message ({'within' if by['floor export-frame'] <= by['tshark -T json'] / 3 else 'above'} "
              f"it before the first attribute)",
              f"- read -V target (1x tshark -V): at most {by['tshark -V'] / total * 1e6:.2f} "
              f"us/message; floor `tree-lines` (a line per attribute, unnamed): "
              f"{by['floor tree-lines'] / total * 1e6:.2f} us/message"]
    table = "\n".join(lines)
    print("\n" + table)
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps({
        "capture": str(cap), "messages": total, "repeat": a.repeat,
        "rows": [{"name": n, "what": w, **r.to_json()} for n, w, r in rows]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
