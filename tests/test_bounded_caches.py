"""Hostile input must not grow memory without bound (issue 12, item 3): the per-type
caches of generic netlink and sock_diag, and sock_diag's per-sequence state."""
from __future__ import annotations

import random
import struct

from fixtures.make_fixtures import cooked, nlmsg

from nlscope.capture.frame import Frame
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry

import dissectors.genl as genl
import dissectors.sock_diag as sock_diag


def _frames(bodies: list[tuple[int, bytes]]):
    for i, (proto, body) in enumerate(bodies, 1):
        raw = cooked(proto) + body
        yield Frame(number=i, ts_ns=i * 1000, protocol=proto, raw=raw, orig_len=len(raw))


def test_genl_type_cache_stays_bounded():
    rnd = random.Random(12)
    n = genl.TYPE_CACHE * 4
    bodies = []
    for i in range(n):
        fid = rnd.randrange(0x11, 0x10000)  # ids nobody announced
        cmd = rnd.randrange(256)
        flags = rnd.choice((0x1, 0x301, 0x0, 0x2))
        bodies.append((16, nlmsg(fid, flags, i, 0, struct.pack("<BBH", cmd, 1, 0) + b"\x08\x00\x01\x00abcd")))
    dec = Decoder(default_registry(entry_points=False))
    proto = dec.registry.get(16)
    names = set()
    for m in dec.messages(_frames(bodies)):
        names.add(dec.names(m)[0])
        dec.decode(m)
        assert m.summary.startswith("genl family 0x")
        assert len(proto._types) <= genl.TYPE_CACHE
    assert len(names) > genl.TYPE_CACHE  # the cache was full and kept working
    assert len(proto._types) == genl.TYPE_CACHE


def _inet_req(seq: int, protocol: int) -> bytes:
    # inet_diag_req_v2: family, protocol, ext, pad, states, then a 48-byte sockid
    return nlmsg(20, 0x301, seq, 0, struct.pack("<BBBxI", 2, protocol, 0, 0xFFF) + bytes(48))


def test_sock_diag_state_and_cache_stay_bounded():
    rnd = random.Random(4)
    bodies = []
    for seq in range(sock_diag.SEQ_MEMORY * 3):
        bodies.append((4, _inet_req(seq, rnd.choice((6, 17, 132)))))
        # a reply of any family byte: a new cache key each time
        bodies.append((4, nlmsg(20, 0x2, seq, 77, struct.pack("<BBBB", rnd.randrange(256), 1, 0, 0) + bytes(68))))
    dec = Decoder(default_registry(entry_points=False))
    proto = dec.registry.get(4)
    for m in dec.messages(_frames(bodies)):
        dec.names(m)
        dec.decode(m)
        assert len(proto._cache) <= sock_diag.TYPE_CACHE
    seqs = dec.state["sock_diag.protocol"]
    assert len(seqs) == sock_diag.SEQ_MEMORY
    # the latest requests are the ones remembered
    assert min(seqs) == sock_diag.SEQ_MEMORY * 2 and max(seqs) == sock_diag.SEQ_MEMORY * 3 - 1


def test_sock_diag_reply_still_knows_its_request_protocol():
    bodies = [(4, _inet_req(5, 17)),
              (4, nlmsg(20, 0x2, 5, 77, struct.pack("<BBBB", 2, 7, 0, 0) + bytes(68)))]
    dec = Decoder(default_registry(entry_points=False))
    msgs = list(dec.messages(_frames(bodies)))
    assert dec.state["sock_diag.protocol"] == {5: 17}
    assert msgs[0].state.get("sock_diag.protocol") is None  # earlier messages keep theirs
    dec.decode(msgs[1])
    assert " udp " in msgs[1].summary, msgs[1].summary
