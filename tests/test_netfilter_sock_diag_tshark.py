"""netfilter and sock_diag against tshark on the real captures, field by field.

tshark -T json -x gives every decoded field with its byte span in the frame; each
one is matched to the nlscope field with the same span (an attribute's span minus
its 4-byte header) and the values compared. A tshark field with no nlscope field
at its span is a field tshark decodes that nlscope does not: there must be none.
"""
from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest
from conftest import SAMPLES
from tshark import TSHARK

from nlscope.decode import Decoder
from nlscope.dissectors import netfilter, sock_diag
from nlscope.model import Field
from nlscope.pcapio import CaptureReader
from nlscope.registry import Registry

pytestmark = [pytest.mark.tshark,
              pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")]

CASES = [("netfilter.pcapng", "netlink-netfilter.", 12), ("sock_diag.pcapng", "netlink-sock_diag.", 4)]
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


@pytest.mark.parametrize("name,prefix,proto", CASES, ids=[c[0] for c in CASES])
def test_values_equal_tshark(name, prefix, proto):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} not generated yet")
    reg = Registry()
    netfilter.register(reg)
    sock_diag.register(reg)
    msgs = list(Decoder(reg).messages(CaptureReader(path)))
    ours: dict[int, tuple[dict, set]] = {}
    for m in msgs:
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
    print(f"\n{name}: {sum(compared.values())} tshark values compared over {len(compared)} fields, "
          f"{len(wrong)} differ, {sum(unmatched.values())} tshark values with no nlscope field")
    for k, n in sorted(compared.items()):
        print(f"  {k}: {n}")
    assert compared, "tshark decoded nothing to compare"
    assert not wrong, wrong[:40]
    assert not unmatched, f"fields tshark decodes that nlscope does not: {dict(unmatched)}"
