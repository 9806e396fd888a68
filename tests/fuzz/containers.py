"""Structure-aware mutation of pcap and pcapng files: blocks and records are taken
apart, damaged where readers go wrong (length fields at their edges, blocks shorter
than their fixed fields, caplen past the block, odd timestamp resolutions, options,
byte order changes between sections, truncation), and put back together."""
from __future__ import annotations

import random
import struct

SHB, IDB, EPB, SPB, PB = 0x0A0D0D0A, 1, 6, 3, 2
EDGE32 = (0, 1, 4, 8, 11, 12, 13, 15, 16, 20, 28, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF)
LINKTYPES = (253, 113, 276, 1, 0, 0xFFFF, 147)


def _blocks(data: bytes) -> tuple[str, list[list]] | None:
    """pcapng blocks as [type, body]; None if it does not walk."""
    out: list[list] = []
    pos, e = 0, "<"
    while pos + 12 <= len(data):
        if struct.unpack_from("<I", data, pos)[0] == SHB:
            e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        t, ln = struct.unpack_from(e + "II", data, pos)
        if ln < 12 or pos + ln > len(data):
            return None
        out.append([t, data[pos + 8:pos + ln - 4]])
        pos += ln
    return e, out


def _block(t: int, body: bytes, e: str) -> bytes:
    body += b"\0" * (-len(body) % 4)
    ln = 12 + len(body)
    return struct.pack(e + "II", t, ln) + body + struct.pack(e + "I", ln)


def _option(code: int, val: bytes, e: str) -> bytes:
    return struct.pack(e + "HH", code, len(val)) + val + b"\0" * (-len(val) % 4)


def _pcapng(data: bytes, rng: random.Random, frames) -> bytes:
    parsed = _blocks(data)
    if parsed is None:
        return _bytes(data, rng)
    e, blocks = parsed
    for _ in range(rng.choice((1, 1, 2, 3))):
        i = rng.randrange(len(blocks))
        t, body = blocks[i][0], blocks[i][1]
        op = rng.randrange(11)
        if op == 0:  # shorter than its fixed fields
            blocks[i][1] = body[:rng.choice((0, 1, 4, 8, 12, 16, 19))]
        elif op == 1 and t == EPB and len(body) >= 20:  # caplen / interface / timestamp at edges
            field = rng.choice((0, 4, 8, 12, 16))
            v = rng.choice(EDGE32) if field != 0 else rng.choice((0, 1, 2, 255, 0xFFFFFFFF))
            blocks[i][1] = body[:field] + struct.pack(e + "I", v) + body[field + 4:]
        elif op == 2 and t == IDB and len(body) >= 8:  # link type, snaplen, if_tsresol
            lt = rng.choice(LINKTYPES)
            res = _option(9, bytes([rng.choice((0, 3, 6, 9, 19, 63, 64, 0x80, 0x80 | 63, 0xFF))]), e)
            blocks[i][1] = struct.pack(e + "HHI", lt, 0, rng.choice(EDGE32)) + res + _option(0, b"", e)
        elif op == 3:  # dropped, repeated, moved
            r = rng.random()
            if r < 0.3 and len(blocks) > 1:
                del blocks[i]
            elif r < 0.6:
                blocks.insert(i, [t, body])
            else:
                blocks.insert(rng.randrange(len(blocks) + 1), blocks.pop(i))
        elif op == 4 and t == EPB and len(body) >= 20 and frames:  # another (mutated) frame
            from .frames import mutate_frame
            c = rng.choice(frames)
            if c.seeds:
                s = rng.choice(c.seeds)
                pkt = mutate_frame(s, rng, c.donors.get(s.protocol, []))
                blocks[i][1] = body[:12] + struct.pack(e + "II", len(pkt), len(pkt)) + pkt + b"\0" * (-len(pkt) % 4)
        elif op == 5 and t == EPB and len(body) >= 20:  # comments: control bytes, huge pid=
            text = rng.choice((b"pid=" + b"9" * rng.choice((5, 20, 5000)) + b" comm=x",
                               b"pid=12 comm=\x1b[2J\x1b]0;t\x07", b"\xff\xfe", b"pid=-1"))
            caplen = struct.unpack_from(e + "I", body, 12)[0]
            end = min(len(body), 20 + caplen + (-caplen % 4))
            blocks[i][1] = body[:end] + _option(1, text, e) + _option(0, b"", e)
        elif op == 6:  # a new section, maybe in the other byte order, with a length
            e2 = rng.choice("<>")
            shb = struct.pack(e2 + "IHHq", 0x1A2B3C4D, 1, 0, rng.choice((-1, 0, 1 << 40)))
            blocks.insert(i, [SHB, shb, e2])
        elif op == 7:  # an SPB or obsolete PB from an EPB
            if t == EPB and len(body) >= 20:
                caplen = struct.unpack_from(e + "I", body, 12)[0]
                blocks[i] = [SPB, struct.pack(e + "I", rng.choice((caplen, 0, 0xFFFFFFFF))) + body[20:20 + caplen]]
        elif op == 8:  # options with lengths past the block
            blocks[i][1] = body + struct.pack(e + "HH", rng.choice((1, 2, 9, 0xFFFF)), rng.choice((0xFFFF, 200, 3)))
        elif op == 9:  # unknown block type
            blocks[i][0] = rng.choice((0, 5, 0x80000001, 0x0A0D0D0A, 0xFFFFFFFF))
        else:
            blocks[i][1] = _bytes(body, rng) if body else body
    out = bytearray()
    for b in blocks:
        be = b[2] if len(b) > 2 else e
        out += _block(b[0], b[1], be)
    if rng.random() < 0.3:  # a length field at an edge
        i = rng.randrange(0, max(1, len(out) - 4), 4)
        struct.pack_into(e + "I", out, i, rng.choice(EDGE32))
    if rng.random() < 0.2:
        del out[rng.randrange(len(out) + 1):]
    return bytes(out)


def _pcap(data: bytes, rng: random.Random, frames) -> bytes:
    if len(data) < 24:
        return _bytes(data, rng)
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    head, recs, pos = bytearray(data[:24]), [], 24
    while pos + 16 <= len(data):
        ts, tu, cap, orig = struct.unpack_from(e + "IIII", data, pos)
        recs.append([ts, tu, cap, orig, data[pos + 16:pos + 16 + cap]])
        pos += 16 + cap
    for _ in range(rng.choice((1, 2, 3))):
        op = rng.randrange(6)
        if op == 0:  # link type, snaplen, version
            struct.pack_into(e + "I", head, rng.choice((8, 12, 16, 20)), rng.choice(EDGE32 + LINKTYPES))
        elif op == 1 and recs:  # caplen / origlen / timestamps at edges
            r = rng.choice(recs)
            r[rng.randrange(4)] = rng.choice(EDGE32)
        elif op == 2 and recs and frames:
            from .frames import mutate_frame
            c = rng.choice(frames)
            if c.seeds:
                s = rng.choice(c.seeds)
                pkt = mutate_frame(s, rng, c.donors.get(s.protocol, []))
                r = rng.choice(recs)
                r[2], r[3], r[4] = len(pkt), len(pkt), pkt
        elif op == 3 and recs:
            i = rng.randrange(len(recs))
            recs.insert(rng.randrange(len(recs) + 1), list(recs[i]))
        elif op == 4:  # the other magic: byte order / ns
            head[:4] = rng.choice((b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"))
        elif recs:
            r = rng.choice(recs)
            r[4] = _bytes(r[4], rng)
    out = bytearray(head)
    for ts, tu, cap, orig, pkt in recs:
        out += struct.pack(e + "IIII", ts, tu, cap, orig) + pkt
    if rng.random() < 0.2:
        del out[rng.randrange(len(out) + 1):]
    return bytes(out)


def _bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    if not b:
        return bytes(rng.randbytes(rng.randrange(64)))
    for _ in range(rng.randint(1, 8)):
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    return bytes(b)


def mutate(data: bytes, rng: random.Random, frames) -> bytes:
    if rng.random() < 0.03:  # not a capture at all, or nearly
        return rng.choice((b"", bytes(rng.randbytes(rng.randrange(1, 64))), data[:rng.randrange(1, 40)]))
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return _pcapng(data, rng, frames)
    return _pcap(data, rng, frames)
