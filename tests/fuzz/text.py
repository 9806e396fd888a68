"""Structure-aware mutation of display filters (by token) and YNL specs (by YAML node)."""
from __future__ import annotations

import functools
import random
import re

import yaml

_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\d[\w.:]*|[A-Za-z_][\w.]*|==|!=|<=|>=|&&|\|\||[~!<>()&|{}\[\],]|\S')
_POOL = ["(", ")", "!", "not", "&&", "||", "and", "or", "==", "!=", "<", ">=", "~", "contains", "matches",
         "in", "{", "}", "[", "]", ",", "&", "type", "family", "seq", "flags", "summary", "txn.status",
         "txn.latency", "error.errno", "attr.IFLA_IFNAME", "IFLA_MTU", "nlmsg.len", "malformed",
         "0", "-1", "0x", "0xffffffffffffffff", "1e999", "1." + "9" * 50, "9" * 300, '""', '"\\"', '"(a+)+$"',
         '"^(\\w+\\s?)*$"', '"[[:alpha:]"', '"\\x1b[2J"', "\x00", "\u202e", "__import__", "lambda", "$(id)",
         "RTM_NEWLINK", "ENOENT", "route", "generic", "'single'"]


def mutate_filter(seed: str, rng: random.Random) -> str:
    toks = _TOKEN.findall(seed) or ["route"]
    for _ in range(rng.choice((1, 1, 2, 4))):
        op = rng.randrange(8)
        i = rng.randrange(len(toks) + 1)
        if op == 0:
            toks.insert(i, rng.choice(_POOL))
        elif op == 1 and toks:
            del toks[min(i, len(toks) - 1)]
        elif op == 2 and toks:
            j = min(i, len(toks) - 1)
            toks[j] = rng.choice(_POOL)
        elif op == 3:  # deep parentheses
            n = rng.choice((2, 63, 64, 65, 300))
            toks = ["("] * n + toks + [")"] * (n - rng.randrange(2))
        elif op == 4:  # a run of nots
            toks = ["!"] * rng.choice((1, 2, 999, 5000)) + toks
        elif op == 5:
            toks = toks + [rng.choice(("&&", "||"))] + _TOKEN.findall(rng.choice(_POOL + ["seq > 1"]))
        elif op == 6 and toks:  # cut mid-token
            s = " ".join(toks)
            return s[:rng.randrange(len(s) + 1)]
        else:
            toks.insert(i, "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(1, 6))))
    return " ".join(toks)


@functools.lru_cache(maxsize=256)
def _doc(text: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _nodes(doc, path=()):
    yield path, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _nodes(v, (*path, i))


_VALUES = ["x", "", 0, -1, 1, 63, 64, 10**10, 2**64, -(2**63) - 1, 1e10, 1.5, True, None, [], {}, ["a"],
           {"name": "z"}, [{"name": "n", "type": "u32"}], "abc", "\u202e\x1b[2J", "nest", "u32", "binary",
           "indexed-array", "nest-type-value", "flags", "enum", "struct", "genetlink-legacy", "netlink-raw"]


def _copy(doc):
    if isinstance(doc, dict):
        return {k: _copy(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_copy(v) for v in doc]
    return doc


def mutate_spec(seed: str, rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.04:  # an alias bomb
        levels = rng.randrange(3, 12)
        text = "name: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, levels)) + \
            f"definitions: [{{name: e, type: enum, entries: *a{levels - 1}}}]\n"
        return text.encode()
    if r < 0.07:  # deep nesting
        n = rng.choice((60, 200, 5000))
        return (f"name: deep\nx: {'[' * n}{']' * n}\n").encode()
    if r < 0.1:  # not text
        return rng.choice((bytes(rng.randbytes(200)), b"\x7fELF" + bytes(100), seed.encode()[:rng.randrange(1, 400)]))
    doc = _doc(seed)
    if doc is None:
        return seed.encode()
    doc = _copy(doc)
    for _ in range(rng.choice((1, 1, 2, 3))):
        nodes = list(_nodes(doc))
        path, node = rng.choice(nodes[1:] or nodes)
        if not path:
            break
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = rng.randrange(4)
        if op == 0:
            parent[key] = rng.choice(_VALUES)
        elif op == 1:
            del parent[key]
        elif op == 2 and isinstance(parent, list):
            parent.insert(key, _copy(node))
        else:  # a sibling key with an odd value
            if isinstance(parent, dict):
                parent[rng.choice(["value", "value-start", "type", "nested-attributes", "enum", "len",
                                   "entries", "attributes", "list", "fixed-header", "subset-of",
                                   "enum-model", "byte-order", "sub-type"])] = rng.choice(_VALUES)
    try:
        return yaml.safe_dump(doc, sort_keys=False).encode()
    except (yaml.YAMLError, RecursionError):
        return seed.encode()
