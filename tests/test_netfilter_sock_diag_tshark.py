"""netfilter and sock_diag against tshark on the real captures, field by field.

tshark -T json -x gives every decoded field with its byte span in the frame; each
one is matched to the nlscope field with the same span (an attribute's span minus
its 4-byte header) and the values compared. A tshark field with no nlscope field
at its span is a field tshark decodes that nlscope does not: there must be none.
"""
from __future__ import annotations

import json
import struct
import subprocess
from collections import Counter
from datetime import datetime, timezone

import pytest
from conftest import SAMPLES, committed
from tshark import TSHARK

from nlscope.decode.decoder import Decoder
from nlscope.dissectors import netfilter, sock_diag
from nlscope.decode.model import Field
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import Registry

pytestmark = [pytest.mark.tshark,
              pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")]

CASES = [("netfilter.pcapng", "netlink-netfilter.", 12), ("sock_diag.pcapng", "netlink-sock_diag.", 4),
         ("mixed.pcapng", "netlink-netfilter.", 12), ("mixed.pcapng", "netlink-sock_diag.", 4)]
# tshark fields that name the attribute type (its nla_type bits), not a value
TYPE_FIELDS = {"netlink-netfilter.ct.attr", "netlink-netfilter.exp.attr", "netlink-netfilter.nfct_tuple",
               "netlink-netfilter.nfct_tuple.ip", "netlink-netfilter.nfct_tuple.proto",
               "netlink-netfilter.ct_help_attr", "netlink-netfilter.ct_seqadj_attr",
               "netlink-netfilter.queue.attr", "netlink-netfilter.queue.config_attr",
               "netlink-netfilter.ipset_attr", "netlink-netfilter.ipset_cadt_attr",
               "netlink-netfilter.ipset_adt_attr", "netlink-netfilter.ipset_ip_attr",
               "netlink-netfilter.nfexp.nat", "netlink-sock_diag.inet_attr", "netlink-sock_diag.unix_attr",
               "netlink-sock_diag.netlink_attr"}
# nlmsg_type halves: nlscope shows them as nfnl_subsys_id / nfnl_msg_type
# fields tshark 4.0 reads in the wrong byte order: compared byte-swapped
SWAPPED = {
    # the kernel tests idiag_states as (1 << sk_state) in host order; tshark reads it
    # big-endian (ss -tln sends 0x480 = LISTEN|CLOSE, tshark shows 0x80040000)
    "netlink-sock_diag.inet_states": 4,
    # nfqnl_recv_config reads these with ntohl(); tshark reads them in host order
    "netlink-netfilter.queue.config.queue_maxlen": 4,
    "netlink-netfilter.queue.config.mask": 4,
    "netlink-netfilter.queue.config.flags": 4,
}
HEADER_FIELDS = {"netlink-netfilter.subsys", "netlink-netfilter.exp_type", "netlink-netfilter.queue_type",
                 "netlink-netfilter.ulog_type", "netlink-netfilter.ipset_command", "netlink-sock_diag.nltype"}


def tshark_fields(path: str, prefix: str) -> dict[int, list[tuple[str, str, int, int, int]]]:
    """Per frame number: (field, value, offset, length, bitmask) of every field of
    the family that tshark decoded."""
    out = subprocess.run([TSHARK, "-r", path, "-T", "json", "-x"], capture_output=True, check=True).stdout
    pkts = json.loads(out, object_pairs_hook=lambda p: p)
    frames: dict[int, list] = {}
    for i, pkt in enumerate(pkts, 1):
        got: list = []

        def walk(pairs):
            raw: dict[str, list] = {}  # tshark puts "<field>_raw" just before "<field>"
            for k, v in pairs:
                if isinstance(v, list) and v and isinstance(v[0], tuple):
                    walk(v)
                elif k.endswith("_raw") and isinstance(v, list) and len(v) >= 4:
                    raw[k[:-4]] = v
                elif k.startswith(prefix) and k in raw:
                    r = raw.pop(k)
                    got.append((k, v, r[1], r[2], r[3]))
        walk(dict(pkt)["_source"])
        frames[i] = got
    return frames


def _spans(fields: list[Field], index: dict, attr_types: set) -> None:
    for f in fields:
        leaf = not f.children
        if f.kind not in ("nest", "list") or f.name == "attributes":
            index.setdefault((f.start, f.end), []).append(f)
        # an attribute: its value span is after the 4-byte header; its type at +2
        if f.name.isupper() or f.name.startswith("UNKNOWN("):
            index.setdefault((f.start + 4, f.end), []).append(f)
            attr_types.add(f.start + 2)
        if not leaf:
            _spans(f.children, index, attr_types)


def _same(ours: Field, value: str, mask: int) -> bool:
    v = ours.value
    if ours.kind == "struct" and [c.name for c in ours.children or ()] == ["sec", "usec"]:
        # nfqnl_msg_packet_timestamp {be64 sec; be64 usec}: tshark prints the usec as nanoseconds
        when = datetime.strptime(value[:value.index(".")], "%b %d, %Y %H:%M:%S").replace(tzinfo=timezone.utc)
        frac = int(value[value.index(".") + 1:].split()[0])
        return (int(when.timestamp()), frac) == (ours.children[0].value, ours.children[1].value)
    if ours.kind in ("int", "enum", "flags"):
        try:
            t = int(value, 0)
        except ValueError:
            return False
        if mask:
            shift = (mask & -mask).bit_length() - 1
            return (v & mask) >> shift == t
        return v == t
    if ours.kind == "bool":
        return value in ("1", "True", "true")
    if ours.kind == "bytes":
        return v.hex() == value.replace(":", "")
    return str(v) == value


def compare(path, prefix: str, proto: int) -> tuple[Counter, list, Counter]:
    """(values compared per tshark field, differences, tshark values without an nlscope field)."""
    reg = Registry()
    netfilter.register(reg)
    sock_diag.register(reg)
    ours: dict[int, tuple[dict, set]] = {}
    for m in Decoder(reg).messages(CaptureReader(path)):
        if m.protocol != proto:
            continue
        idx, types = ours.setdefault(m.frame.number, ({}, set()))
        _spans(m.tree, idx, types)
    compared, unmatched, wrong = Counter(), Counter(), []
    for frame, fields in tshark_fields(str(path), prefix).items():
        idx, types = ours.get(frame, ({}, set()))
        for fname, value, off, ln, mask in fields:
            if fname in TYPE_FIELDS or fname in HEADER_FIELDS or off in types:
                continue
            cands = idx.get((off, off + ln), [])
            if not cands:
                unmatched[fname] += 1
                continue
            compared[fname] += 1
            if fname in SWAPPED:
                value = str(int.from_bytes(int(value, 0).to_bytes(SWAPPED[fname], "big"), "little"))
            if not any(_same(c, value, mask) for c in cands):
                wrong.append((frame, fname, value, [(c.name, c.value) for c in cands]))
    print(f"\n{path.name}: {sum(compared.values())} tshark values compared over {len(compared)} fields, "
          f"{len(wrong)} differ, {sum(unmatched.values())} tshark values with no nlscope field")
    return compared, wrong, unmatched


@pytest.mark.parametrize("name,prefix,proto", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_values_equal_tshark(name, prefix, proto):
    path = committed(SAMPLES / name)
    compared, wrong, unmatched = compare(path, prefix, proto)
    for k, n in sorted(compared.items()):
        print(f"  {k}: {n}")
    assert compared, "tshark decoded nothing to compare"
    assert not wrong, wrong[:40]
    assert not unmatched, f"fields tshark decodes that nlscope does not: {dict(unmatched)}"


def test_hand_built_subsystems_equal_tshark(tmp_path):
    """What the samples lack (expectations, queue, log, ipset, unix/netlink/packet
    replies with attributes), built by hand and read by both decoders."""
    import test_netfilter as nf
    import test_sock_diag as sd
    from fixtures.make_fixtures import cooked, nla, nlmsg, pcap

    be16, be32, nest, nfgen = nf.be16, nf.be32, nf.nest, nf.nfgen
    tup = nf.tuple_v4("10.0.0.1", "10.0.0.2", 6, 1000, 21)
    exp = nlmsg(0x200, 0x2, 1, 5, nfgen(2) + nest(1, tup) + nest(2, tup) + nest(3, tup) + nla(4, be32(300))
                + nla(5, be32(9)) + nla(6, b"ftp\0") + nla(7, be16(0)) + nla(8, be32(1)) + nla(9, be32(0))
                + nest(10, nla(1, be32(1)), nest(2, tup)) + nla(11, b"fn\0"))
    ct = nlmsg(0x100, 0x2, 1, 5, nfgen(2) + nest(1, tup) + nla(3, be32(0x18E)) + nla(7, be32(5))
               + nest(5, nla(1, b"ftp\0")) + nest(15, nla(1, be32(7)), nla(2, be32(1)), nla(3, be32(2))))
    pkt = nlmsg(0x300, 0, 0, 0, nfgen(2, 3) + nla(1, be32(7) + be16(0x0800) + b"\x01") + nla(3, be32(5))
                + nla(4, struct.pack(">QQ", 1700000000, 5)) + nla(5, be32(1)) + nla(6, be32(2))
                + nla(9, be16(6) + b"\0\0" + bytes(range(8))) + nla(12, be32(2)) + nla(13, be32(84))
                + nla(16, be32(0)) + nla(17, be32(0)) + nla(10, b"E" * 20))
    v6 = nest(1, nla(3, bytes(15) + b"\x01"), nla(4, b"\x20\x01\x0d\xb8" + bytes(11) + b"\x02"))
    ct6 = nlmsg(0x100, 0x2, 1, 5, nfgen(10) + nest(1, v6, nest(2, nla(1, b"\x11"), nla(2, be16(53)),
                                                            nla(3, be16(53))), nla(3, be16(4))))
    pkt2 = nlmsg(0x300, 0, 0, 0, nfgen(7, 3) + nla(1, be32(8) + be16(0x86DD) + b"\x02") + nla(7, be32(3))
                 + nla(8, be32(4)))
    ip6set = nlmsg(0x60A, 0x5, 6, 0, nfgen(10) + nla(2, b"v6\0")
                   + nla(7 | 0x8000, nla(1 | 0x8000, nla(2 | 0x4000, bytes(15) + b"\x01"))))
    cfg = nlmsg(0x302, 0x5, 2, 0, nfgen(0, 3) + nla(1, b"\x01\x00" + be16(2)) + nla(2, be32(0xFFFF) + b"\x02")
                + nla(3, be32(1024)) + nla(4, be32(1)) + nla(5, be32(1)))
    verdict = nlmsg(0x301, 0x1, 3, 0, nfgen(0, 3) + nla(2, be32(1) + be32(7)) + nla(3, be32(9)))
    ulog = nlmsg(0x400, 0, 0, 0, nfgen(2, 1) + nla(1, be16(0x0800) + b"\x03\0") + nla(10, b"p: \0"))
    ip = nla(1 | 0x8000, nla(1 | 0x4000, bytes([192, 0, 2, 5])))
    ipset = nlmsg(0x609, 0x5, 4, 0, nfgen(2) + nla(1, b"\x07") + nla(2, b"myset\0")
                  + nla(7 | 0x8000, ip + nla(3, b"\x20") + nla(6 | 0x4000, be32(600))
                        + nla(8 | 0x4000, be32(0x10)) + nla(26, b"hi\0")))
    create = nlmsg(0x602, 0x5, 5, 0, nfgen(2) + nla(1, b"\x07") + nla(2, b"s2\0") + nla(3, b"hash:ip\0")
                   + nla(4, b"\x04") + nla(5, b"\x02") + nla(6 | 0x4000, be32(0)))
    unix = nlmsg(20, 0x2, 1, 5, struct.pack("<BBBBIII", 1, 1, 10, 0, 4242, 1, 0) + nla(0, b"/run/x.sock\0")
                 + nla(1, struct.pack("<II", 99, 8)) + nla(2, struct.pack("<I", 77))
                 + nla(3, struct.pack("<II", 5, 6)) + nla(4, struct.pack("<II", 0, 128))
                 + nla(5, struct.pack("<9I", *range(9))) + nla(6, b"\x01"))
    ureq = nlmsg(20, 0x301, 1, 0, struct.pack("<BBHIIIII", 1, 0, 0, 0xFFFFFFFF, 0, 0x3F, 0xFFFFFFFF, 0xFFFFFFFF))
    nreq = nlmsg(20, 0x301, 1, 0, struct.pack("<BBHIIII", 16, 255, 0, 0, 7, 0xFFFFFFFF, 0xFFFFFFFF))
    nrep = nlmsg(20, 0x2, 1, 5, struct.pack("<BBBBIIIIII", 16, 3, 0, 1, 612, 5, 0, 999, 1, 2)
                 + nla(0, struct.pack("<9I", *range(9))) + nla(1, b"\x01" + b"\0" * 7) + nla(4, struct.pack("<I", 2)))
    preq = nlmsg(20, 0x301, 1, 0, struct.pack("<BBHIIII", 17, 0, 0, 0, 0x3F, 0, 0))
    prep = nlmsg(20, 0x2, 1, 5, struct.pack("<BBHIII", 17, 3, 0x0003, 55, 0, 0)
                 + nla(0, struct.pack("<6I", 2, 0, 0, 0, 0, 1)) + nla(5, struct.pack("<I", 0))
                 + nla(6, struct.pack("<9I", *range(9))))
    inet = nlmsg(20, 0x2, 1, 5, sd.inet_msg(2, 1, 8080, 40000, "127.0.0.1", "127.0.0.1")
                 + nla(1, struct.pack("<4I", 1, 2, 3, 4)) + nla(5, b"\x10") + nla(8, b"\x03")
                 + nla(15, struct.pack("<I", 9)) + nla(10, b"\x06"))
    nf_path, sd_path = tmp_path / "nf.pcap", tmp_path / "sd.pcap"
    nf_path.write_bytes(pcap([cooked(12) + m for m in (exp, ct, ct6, pkt, pkt2, cfg, verdict, ulog, ipset, ip6set,
                                                                create)]))
    sd_path.write_bytes(pcap([cooked(4) + m for m in (unix, ureq, nreq, nrep, preq, prep, inet)]))
    for path, prefix, proto in ((nf_path, "netlink-netfilter.", 12), (sd_path, "netlink-sock_diag.", 4)):
        compared, wrong, unmatched = compare(path, prefix, proto)
        for k, n in sorted(compared.items()):
            print(f"  {k}: {n}")
        assert len(compared) > 20
        assert not wrong, wrong[:40]
        assert not unmatched, f"fields tshark decodes that nlscope does not: {dict(unmatched)}"
