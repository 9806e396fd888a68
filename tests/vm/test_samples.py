"""The committed sample corpus (samples/) is complete and well-formed.

No VM needed: these read the files samples/generate.py wrote. The pcapng
blocks are walked with struct here on purpose (no dependency on nlscope).
"""

from __future__ import annotations

import json
import struct

import pytest

from .lab import REPO

SAMPLES = REPO / "samples"
NAMES = ["iproute2", "tc", "sock_diag", "genl", "netfilter", "xfrm", "mixed"]
LINKTYPE_NETLINK = 253


def pcapng_blocks(path):
    """Yield (block_type, body bytes) of a pcapng file (one section)."""
    data = path.read_bytes()
    assert data[:4] == b"\x0a\x0d\x0d\x0a", "not a pcapng file (no SHB)"
    bom = data[8:12]
    endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
    assert struct.unpack_from(endian + "I", data, 8)[0] == 0x1A2B3C4D
    off = 0
    while off < len(data):
        btype, blen = struct.unpack_from(endian + "II", data, off)
        assert blen >= 12 and blen % 4 == 0 and off + blen <= len(data), f"bad block at {off}"
        assert struct.unpack_from(endian + "I", data, off + blen - 4)[0] == blen
        yield endian, btype, data[off + 8:off + blen - 4]
        off += blen


def manifest():
    return json.loads((SAMPLES / "MANIFEST.json").read_text())


@pytest.mark.parametrize("name", NAMES)
def test_capture_is_netlink_pcapng_and_matches_manifest(name):
    path = SAMPLES / f"{name}.pcapng"
    assert path.exists(), f"{path} missing: run samples/generate.py"
    linktypes, packets, protocols = [], 0, set()
    for endian, btype, body in pcapng_blocks(path):
        if btype == 1:  # IDB
            linktypes.append(struct.unpack_from(endian + "H", body, 0)[0])
        elif btype == 6:  # EPB: if_id, ts_hi, ts_lo, caplen, origlen, data
            packets += 1
            caplen = struct.unpack_from(endian + "I", body, 12)[0]
            frame = body[20:20 + caplen]
            assert struct.unpack_from(">H", frame, 2)[0] == 824  # ARPHRD_NETLINK
            protocols.add(struct.unpack_from(">H", frame, 14)[0])
    assert linktypes == [LINKTYPE_NETLINK]
    entry = manifest()["files"][name]
    assert packets == entry["frames"]
    assert sorted(protocols) == sorted(int(k) for k in entry["families"])


def test_mixed_is_small_and_has_every_family():
    path = SAMPLES / "mixed.pcapng"
    assert path.stat().st_size < 300 * 1024
    assert set(manifest()["files"]["mixed"]["families"]) >= {"0", "4", "6", "12", "16"}


@pytest.mark.parametrize("name", NAMES)
def test_log_beside_each_capture(name):
    log = (SAMPLES / f"{name}.log").read_text()
    assert log.count("[exit ") >= 5
    assert "[exit 0;" in log


def test_iproute2_json_side_files():
    addrs = json.loads((SAMPLES / "iproute2.ip-addr.json").read_text())
    routes = json.loads((SAMPLES / "iproute2.ip-route.json").read_text())
    local = {a["local"] for link in addrs for a in link.get("addr_info", [])}
    assert {"192.0.2.1", "2001:db8:1::1", "198.51.100.1"} <= local
    assert any(r.get("dst") == "203.0.113.128/25" and len(r.get("nexthops", [])) == 2
               for r in routes)


def test_versions_recorded():
    text = (SAMPLES / "versions.txt").read_text()
    assert text.startswith("kernel: ")
    assert manifest()["versions"]["kernel"] in (SAMPLES / "README.md").read_text()
