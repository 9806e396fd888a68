"""Structure-aware mutation of netlink frames.

A seed message is taken apart along the spans its own decode gives (nlmsghdr, fixed
header, attributes, nests), mutated as a tree, and put back together with consistent
lengths, so a mutant reaches the dissectors and their summaries instead of failing the
first length check. Some mutations then break the lengths on purpose (raw edits).
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

NLA_F_NESTED = 0x8000
EDGE_LENGTHS = (0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 20, 31, 32, 33, 64, 255, 256)
EDGE_INTS = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
             0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


@dataclass
class Nla:
    type: int  # with NLA_F_* bits
    data: bytes = b""
    kids: list[Nla] | None = None  # set when the payload walks as attributes

    def pack(self, o: str) -> bytes:
        body = b"".join(k.pack(o) for k in self.kids) if self.kids is not None else self.data
        return struct.pack(o + "HH", (4 + len(body)) & 0xFFFF, self.type & 0xFFFF) + body + b"\0" * (-len(body) % 4)

    def walk(self):
        yield self
        for k in self.kids or ():
            yield from k.walk()


@dataclass
class NlMsg:
    """One message as parts: header values, fixed-header bytes, attributes (None when
    what follows the fixed header is not attributes: kept as `tail`)."""

    mtype: int
    flags: int
    seq: int
    pid: int
    fixed: bytes = b""
    attrs: list[Nla] | None = None
    tail: bytes = b""
    order: str = "<"

    def pack(self) -> bytes:
        o = self.order
        body = self.fixed + b"\0" * (-len(self.fixed) % 4) if self.attrs is not None else self.fixed
        body += b"".join(a.pack(o) for a in self.attrs) if self.attrs is not None else self.tail
        ln = 16 + len(body)
        return struct.pack(o + "IHHII", ln, self.mtype, self.flags, self.seq, self.pid) + body + b"\0" * (-ln % 4)

    def all_attrs(self) -> list[tuple[list[Nla], int]]:
        """(containing list, index) of every attribute, nested ones included."""
        out: list[tuple[list[Nla], int]] = []
        stack = [self.attrs or []]
        while stack:
            lst = stack.pop()
            for i, a in enumerate(lst):
                out.append((lst, i))
                if a.kids is not None:
                    stack.append(a.kids)
        return out


def parse_attrs(buf: bytes, o: str, depth: int = 0) -> list[Nla] | None:
    """Attributes filling `buf` exactly, nests found by trying; None if it is not."""
    out: list[Nla] = []
    pos = 0
    while pos < len(buf):
        if len(buf) - pos < 4:
            return None if any(buf[pos:]) else out
        ln, t = struct.unpack_from(o + "HH", buf, pos)
        if ln < 4 or pos + ln > len(buf):
            return None
        data = buf[pos + 4:pos + ln]
        kids = None
        if depth < 8 and len(data) >= 4:  # a nest if it walks as attributes
            kids = parse_attrs(data, o, depth + 1) or None
        out.append(Nla(t, data, kids))
        pos += (ln + 3) & ~3
    return out


def split_message(raw: bytes, start: int, end: int, attrs_at: int | None, order: str) -> NlMsg:
    """A message from its bytes; `attrs_at` is where its decode found attributes."""
    ln, mtype, flags, seq, pid = struct.unpack_from(order + "IHHII", raw, start)
    body_end = min(start + max(ln, 16), end)
    if attrs_at is None or not start + 16 <= attrs_at <= body_end:
        return NlMsg(mtype, flags, seq, pid, raw[start + 16:body_end], None, b"", order)
    fixed = raw[start + 16:attrs_at]
    attrs = parse_attrs(raw[attrs_at:body_end], order)
    if attrs is None:
        return NlMsg(mtype, flags, seq, pid, raw[start + 16:body_end], None, b"", order)
    return NlMsg(mtype, flags, seq, pid, fixed, attrs, b"", order)


@dataclass
class Seed:
    """A seed frame: its protocol, link-layer header, and messages as parts."""

    protocol: int
    link: bytes
    msgs: list[NlMsg]
    types: list[int] = field(default_factory=list)  # message types seen for this protocol


def _rand_bytes(rng: random.Random, n: int) -> bytes:
    pick = rng.random()
    if pick < 0.3:
        return bytes(n)
    if pick < 0.45:
        return b"\xff" * n
    return rng.randbytes(n)


def mutate_message(m: NlMsg, rng: random.Random, donors: list[NlMsg], types: list[int]) -> None:
    """One structure-aware mutation of `m`, in place."""
    places = m.all_attrs()
    op = rng.randrange(12)
    if op == 0 and places:  # an attribute of another size
        lst, i = rng.choice(places)
        a = lst[i]
        n = rng.choice(EDGE_LENGTHS)
        base = a.pack(m.order)[4:] if a.kids is not None else a.data
        a.kids = None
        a.data = base[:n] if rng.random() < 0.5 and len(base) >= n else _rand_bytes(rng, n)
    elif op == 1 and places:  # dropped
        lst, i = rng.choice(places)
        del lst[i]
    elif op == 2 and places:  # repeated
        lst, i = rng.choice(places)
        lst.insert(i, Nla(lst[i].type, lst[i].data, None if lst[i].kids is None else list(lst[i].kids)))
    elif op == 3 and places:  # another type
        lst, i = rng.choice(places)
        a = lst[i]
        r = rng.random()
        a.type = (a.type ^ NLA_F_NESTED if r < 0.2 else (a.type & 0xC000) | rng.randrange(0, 0x4000) if r < 0.4
                  else max(0, a.type + rng.choice((-2, -1, 1, 2))) & 0xFFFF)
    elif op == 4 and m.fixed:  # fixed-header bytes
        b = bytearray(m.fixed)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            b[i] = rng.choice((0, 0xFF, 1, 0x80, rng.randrange(256)))
        m.fixed = bytes(b)
    elif op == 5:  # a fixed header too short (and nothing after it)
        m.fixed = m.fixed[:rng.randrange(len(m.fixed) + 1)]
        if rng.random() < 0.7:
            m.attrs, m.tail = None, b""
    elif op == 6:  # another message type / flags of the same protocol
        if types and rng.random() < 0.7:
            m.mtype = rng.choice(types)
        else:
            m.flags ^= rng.choice((0x1, 0x2, 0x100, 0x200, 0x300, 0x400, 0x800))
    elif op == 7 and donors:  # an attribute from another message
        d = rng.choice(donors)
        dp = d.all_attrs()
        if dp:
            lst, i = rng.choice(dp)
            a = lst[i]
            target = rng.choice(places)[0] if places else (m.attrs if m.attrs is not None else [])
            target.insert(rng.randrange(len(target) + 1), Nla(a.type, a.data, _copy_attrs(a.kids)))
            if m.attrs is None:
                m.attrs = target
    elif op == 8 and places:  # a deep nest around an attribute
        lst, i = rng.choice(places)
        t = lst[i].type | NLA_F_NESTED
        body = lst[i].pack(m.order)
        for _ in range(rng.choice((2, 8, 40, 300)) - 1):  # packed here: no recursion per level
            body = struct.pack(m.order + "HH", (4 + len(body)) & 0xFFFF, t) + body
        lst[i] = Nla(t, body)
    elif op == 9 and places:  # an integer attribute at an edge value
        lst, i = rng.choice(places)
        a = lst[i]
        n = rng.choice((1, 2, 4, 8))
        v = rng.choice(EDGE_INTS) & ((1 << (8 * n)) - 1)
        a.kids, a.data = None, v.to_bytes(n, "little" if m.order == "<" else "big")
    elif op == 10 and places:  # a string attribute: control bytes, no NUL, non-UTF-8
        lst, i = rng.choice(places)
        a = lst[i]
        a.kids = None
        a.data = rng.choice((b"\x1b]0;x\x07\x1b[2J", b"\xff\xfe\xc3", b"a" * rng.randrange(1, 300),
                             b"[bold]x[/]\r\n", b"\0\0", b"x"))
    else:  # the header's own fields
        r = rng.random()
        if r < 0.5:
            m.seq = rng.choice(EDGE_INTS)
        else:
            m.pid = rng.choice(EDGE_INTS)


def raw_mutation(buf: bytearray, rng: random.Random, nl_offset: int) -> None:
    """Byte-level damage that ignores structure: flips, lengths, cuts."""
    if len(buf) <= nl_offset:
        return
    op = rng.randrange(4)
    if op == 0:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(nl_offset, len(buf))
            buf[i] ^= 1 << rng.randrange(8)
    elif op == 1 and len(buf) >= nl_offset + 4:  # nlmsg_len at an edge value
        struct.pack_into("<I", buf, nl_offset, rng.choice((0, 1, 15, 16, 17, len(buf) - nl_offset + 4, 0xFFFFFFFF)))
    elif op == 2:
        del buf[rng.randrange(nl_offset, len(buf)):]
    else:  # an nla_len somewhere
        i = rng.randrange(nl_offset, len(buf) - 1)
        struct.pack_into("<H", buf, i, rng.choice((0, 3, 4, 5, 0xFFFF, rng.randrange(0x10000))))


def mutate_frame(seed: Seed, rng: random.Random, donors: list[NlMsg]) -> bytes:
    msgs = [NlMsg(m.mtype, m.flags, m.seq, m.pid, m.fixed, _copy_attrs(m.attrs), m.tail, m.order)
            for m in seed.msgs]
    for _ in range(rng.choice((1, 1, 1, 2, 3, 6))):
        mutate_message(rng.choice(msgs), rng, donors, seed.types)
    if rng.random() < 0.1 and len(msgs) < 8:  # several messages in one frame
        msgs.append(rng.choice(msgs))
    out = bytearray(seed.link + b"".join(m.pack() for m in msgs))
    if rng.random() < 0.2:
        raw_mutation(out, rng, len(seed.link))
    return bytes(out)


def _copy_attrs(attrs: list[Nla] | None) -> list[Nla] | None:
    if attrs is None:
        return None
    return [Nla(a.type, a.data, _copy_attrs(a.kids)) for a in attrs]
