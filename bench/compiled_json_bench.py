#!/usr/bin/env python3
"""Do compiled decode plans pay? Issue 11 item 1, measured before building it.

    .venv/bin/python bench/compiled_json_bench.py                       # real-250k, 20k msgs
    .venv/bin/python bench/compiled_json_bench.py --messages 50000 --repeat 5
    .venv/bin/python bench/compiled_json_bench.py --types "nlctrl NEWFAMILY" RTM_NEWLINK

The export builds each nest's JSON with nla.attrs_json: one loop over the attributes,
a table lookup per attribute in the set's compiled plan (kind, name, unpacker, enum).
The alternative the issue proposes is code made once per attribute set: here, Python
source generated per AttrSet and byte order (exec'd), with the attribute dispatch as a
binary decision tree on the type number, each attribute's unpacker, name and enum bound
as constants, the framing loop inlined (no attr_spans list, no plan tuple per
attribute). Everything the generated code does not cover (badly framed tails, custom
kinds, sets chosen by siblings) goes through the library's own code, so the two products
must be equal: the bench checks it on every message before it times anything.

Both run in this one process, alternating (the machine's speed drifts), on the same
messages decoded afresh each round (Message.to_json: the export's record). The table
gives the least CPU per message of each side over --repeat rounds, for all messages
and for the --types given (default: the costliest types of real traffic).
"""
from __future__ import annotations

import argparse
import gc
import itertools
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from nlscope.capture.pcapio import CaptureReader  # noqa: E402
from nlscope.decode import nla  # noqa: E402
from nlscope.decode.decoder import Decoder  # noqa: E402
from nlscope.decode.model import _Repeated  # noqa: E402
from nlscope.decode.registry import default_registry  # noqa: E402

_LIBRARY = nla.attrs_json  # the library's, restored between rounds


# ------------------------------------------------------------------ generated per-set code

def _generic(buf, at, a_end, raw_type, aset, order, problems, path):
    f = nla.decode_attr(buf, at, a_end, raw_type, aset, order, problems, path, [])
    return f.name, f.to_json()


def _nest_json(name, buf, at, a_end, sub, order, problems, path):
    here = path + name  # as attrs_json: too deep, or a table bug, leaves the bytes
    try:
        if nla._too_deep(path, here, problems):
            return bytes(buf[at + 4:a_end]).hex()
        return nla.attrs_json(buf, at + 4, a_end, sub, order, problems, here + ".")
    except Exception as e:
        problems.append(f"{here}: cannot decode ({type(e).__name__}: {e})")
        return bytes(buf[at + 4:a_end]).hex()


def _tail(out, buf, pos, end, aset, order, problems, path):
    """The attributes from the first badly framed one: the library's walk of them."""
    for at, a_end, raw_type in nla.nla_spans(buf, pos, end, order, problems, path):
        if raw_type < 0:
            name, v = nla._RAW_NAMES[raw_type], bytes(buf[at:a_end]).hex()
        else:
            p = nla._plan_of(aset)[0].get(raw_type & nla.NLA_TYPE_MASK)
            if p is not None and p[0] == nla._P_NEST:
                name, v = p[1], _nest_json(p[1], buf, at, a_end, p[4], order, problems, path)
            else:
                name, v = _generic(buf, at, a_end, raw_type, aset, order, problems, path)
        _put(out, name, v)


def _put(out, name, v):
    prev = out.get(name, nla._NOJSON)
    if prev is nla._NOJSON:
        out[name] = v
    elif type(prev) is _Repeated:
        prev.append(v)
    else:
        out[name] = _Repeated([prev, v])


_FALLBACK = "name, v = _generic(buf, at, a_end, rt, aset, order, problems, path)"


def _leaf(p: tuple, kind: str, k: int, env: dict, ind: str) -> list[str]:
    code = p[0]
    if code <= nla._P_FMT:  # an integer: named, enum, flags or formatted
        env[f"N{k}"] = nla._UNPACK[env["ORDER"] + kind].unpack_from
        env[f"B{k}"] = nla._UNPACK[">" + kind].unpack_from
        env[f"X{k}"] = p[4]
        value = {nla._P_INT: None, nla._P_ENUM: f"{{'name': X{k}.get(v), 'value': v}}",
                 nla._P_FLAGS: f"{{'value': v, 'names': flag_names(v, X{k})}}",
                 nla._P_FMT: f"{{'name': X{k}(v), 'value': v}}"}[code]
        return [f"{ind}if ln - 4 >= {p[2]}:",
                f"{ind}    v = (B{k} if rt & 0x4000 else N{k})(buf, at + 4)[0]",
                *([f"{ind}    v = {value}"] if value else []),
                f"{ind}    name = {p[1]!r}",
                f"{ind}else:",
                f"{ind}    {_FALLBACK}"]
    if code == nla._P_STR:
        return [f"{ind}name = {p[1]!r}",
                f"{ind}v = bytes(buf[at + 4:a_end]).split(b'\\0', 1)[0].decode('utf-8', 'replace')"]
    if code == nla._P_NEST:
        env[f"S{k}"] = p[4]
        return [f"{ind}name = {p[1]!r}",
                f"{ind}v = _nest_json(name, buf, at, a_end, S{k}, order, problems, path)"]
    return [f"{ind}{_FALLBACK}"]


def _dispatch(items: list[tuple], env: dict, depth: int) -> list[str]:
    """A binary decision tree on the type number, chains of at most 3 at its leaves."""
    ind = " " * (8 + 4 * depth)
    if len(items) <= 3:
        out = []
        for j, (t, p, kind, k) in enumerate(items):
            out.append(f"{ind}{'if' if j == 0 else 'elif'} t == {t}:")
            out += _leaf(p, kind, k, env, ind + "    ")
        return out + [f"{ind}else:", f"{ind}    {_FALLBACK}"]
    mid = len(items) // 2
    return ([f"{ind}if t < {items[mid][0]}:"] + _dispatch(items[:mid], env, depth + 1)
            + [f"{ind}else:"] + _dispatch(items[mid:], env, depth + 1))


def compile_set(aset: nla.AttrSet, order: str):
    plan, _siblings = nla._plan_of(aset)
    items = [(t, p, aset.attrs[t].kind, k) for k, (t, p) in enumerate(sorted(plan.items()))]
    env = {"ORDER": order, "HDR": nla._NLA_HDR[order], "aset": aset, "_generic": _generic,
           "_nest_json": _nest_json, "_tail": _tail, "_Repeated": _Repeated,
           "NOJ": nla._NOJSON, "flag_names": nla.flag_names}
    body = _dispatch(items, env, 0) if items else [f"        {_FALLBACK}"]
    src = "\n".join([
        "def attrs(buf, start, end, order, problems, path):",
        "    out = {}",
        "    pos = start",
        "    while end - pos >= 4:",
        "        ln, rt = HDR(buf, pos)",
        "        a_end = pos + ln",
        "        if ln < 4 or a_end > end:",
        "            break",
        "        at = pos",
        "        pos += (ln + 3) & ~3",
        "        t = rt & 0x3FFF",
        *body,
        "        prev = out.get(name, NOJ)",
        "        if prev is NOJ:",
        "            out[name] = v",
        "        elif type(prev) is _Repeated:",
        "            prev.append(v)",
        "        else:",
        "            out[name] = _Repeated([prev, v])",
        "    if pos < end:",
        "        _tail(out, buf, pos, end, aset, order, problems, path)",
        "    return out"])
    exec(compile(src, f"<attrs_json {aset.name} {order}>", "exec"), env)
    return env["attrs"]


_COMPILED: dict[tuple[int, str], tuple] = {}


def compiled_attrs_json(buf, start, end, aset, order, problems, path=""):
    """nla.attrs_json with a generated function per set (the library's for the sets it
    cannot cover: none, chosen by siblings, or choosing attributes its own way)."""
    if aset is None or type(aset).get is not nla.AttrSet.get or nla._plan_of(aset)[1]:
        return _LIBRARY(buf, start, end, aset, order, problems, path)
    key = (id(aset), order)
    hit = _COMPILED.get(key)
    if hit is None or hit[0] is not aset or hit[1] != len(aset.attrs):
        hit = _COMPILED[key] = (aset, len(aset.attrs), compile_set(aset, order))
    return hit[2](buf, start, end, order, problems, path)


# ------------------------------------------------------------------ the bench

def _messages(path: str, n: int, reg, types: set[str] | None):
    ms = itertools.islice(Decoder(reg).messages(CaptureReader(path)), n)
    return [m for m in ms if types is None or m.type_name in types]


def _records(path, n, reg, types, side):
    nla.attrs_json = compiled_attrs_json if side == "compiled" else _LIBRARY
    try:
        ms = _messages(path, n, reg, types)
        t0 = time.process_time()
        out = [m.to_json(None) for m in ms]
        return out, time.process_time() - t0
    finally:
        nla.attrs_json = _LIBRARY


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--capture", default=str(HERE / "out" / "real-250k.pcapng"))
    ap.add_argument("--messages", type=int, default=20000, help="the capture's first N")
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds per side")
    ap.add_argument("--types", nargs="*", default=["nlctrl NEWFAMILY", "RTM_NEWLINK",
                                                   "nl80211 NEW_WIPHY", "NFT_MSG_NEWRULE"])
    a = ap.parse_args(argv)
    if not Path(a.capture).exists():
        raise SystemExit(f"{a.capture}: no such file (bench/make_real_capture.py builds it)")
    gc.disable()  # the records are kept for the comparison: no collector passes in the timing
    reg = default_registry()
    rows = []
    for label, types in [("all messages", None), *((t, {t}) for t in a.types)]:
        lib = _records(a.capture, a.messages, reg, types, "library")[0]
        comp = _records(a.capture, a.messages, reg, types, "compiled")[0]
        if not lib:
            print(f"{label}: none in the first {a.messages} messages", file=sys.stderr)
            continue
        differ = sum(x != y for x, y in zip(lib, comp))
        if differ:
            raise SystemExit(f"{label}: {differ} of {len(lib)} records differ: not the same product")
        best = {"library": float("inf"), "compiled": float("inf")}
        for _ in range(a.repeat):
            for side in best:
                _out, cpu = _records(a.capture, a.messages, reg, types, side)
                best[side] = min(best[side], cpu / len(_out) * 1e6)
        rows.append((label, len(lib), best["library"], best["compiled"]))
        print(f"  {label:<22} {len(lib):6d} msgs  library {best['library']:7.1f}  "
              f"compiled {best['compiled']:7.1f} us/msg", flush=True)
    print("\n| messages | count | library us/msg | compiled us/msg | compiled / library |")
    print("|---|---:|---:|---:|---:|")
    for label, n, lib, comp in rows:
        print(f"| {label} | {n} | {lib:.1f} | {comp:.1f} | {comp / lib:.2f} |")
    print("\nBoth products equal on every message compared (Message.to_json).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
