"""Proof that the VM lab works: one boot, nlmon, tcpdump, a LINKTYPE_NETLINK pcap.

The pcap is checked with plain struct reads here on purpose: this test must not
depend on the nlscope package.
"""

from __future__ import annotations

import struct

import pytest

from .lab import (
    REPO,
    VMResult,
    _version_key,
    kernel_release,
    vm_fixture,
    vm_unavailable_reason,
)

LINKTYPE_NETLINK = 253
ARPHRD_NETLINK = 824
NETLINK_ROUTE = 0
EXIT_MARK = 42  # the script ends with this code, to prove rc passes through

SCRIPT = r"""
exec 2>&1
echo "kernel=$(uname -r)" > "$OUT/facts.txt"
echo "repo=$REPO" >> "$OUT/facts.txt"
echo "greeting=$LAB_GREETING" >> "$OUT/facts.txt"
[ -f "$REPO/tests/vm/lab.py" ] && echo "repo_visible=yes" >> "$OUT/facts.txt"

modprobe nlmon && echo nlmon_loaded=yes >> "$OUT/facts.txt"
ip link add nlmon0 type nlmon && ip link set nlmon0 up && echo nlmon_up=yes >> "$OUT/facts.txt"

tcpdump -U -n -i nlmon0 -w "$OUT/link.pcap" 2> "$OUT/tcpdump.err" &
tpid=$!
for i in $(seq 1 100); do grep -q "listening on" "$OUT/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add 192.0.2.1/24 dev dummy0
ip link show > "$OUT/ip-link.txt"
ip addr show > "$OUT/ip-addr.txt"
ip link del dummy0
sleep 1
kill -INT $tpid
wait $tpid
echo "tcpdump_rc=$?" >> "$OUT/facts.txt"
exit 42
"""

lab_run = vm_fixture(SCRIPT, env={"LAB_GREETING": "hello from the host"})


def _facts(res: VMResult) -> dict[str, str]:
    out = {}
    for line in (res.outdir / "facts.txt").read_text().splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def _read_pcap(path):
    """Return (linktype, [record bytes]) of a classic pcap file."""
    data = path.read_bytes()
    assert len(data) >= 24, "pcap shorter than its global header"
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise AssertionError(f"not a pcap file: magic {magic.hex()}")
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    records, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        records.append(data[off:off + incl])
        off += incl
    assert off == len(data), "trailing bytes after the last pcap record"
    return linktype, records


# --------------------------------------------------------------------- no VM needed


def test_version_key_orders_debian_releases():
    rels = ["6.1.0-9-amd64", "6.12.117+deb12-amd64", "6.1.0-41-amd64", "6.1.0-56-amd64"]
    assert sorted(rels, key=_version_key)[-1] == "6.12.117+deb12-amd64"
    assert sorted(rels, key=_version_key)[0] == "6.1.0-9-amd64"


def test_unavailable_reason_is_none_or_clear():
    reason = vm_unavailable_reason()
    assert reason is None or "setup-vm.sh" in reason or "NLSCOPE_VM_KERNEL" in reason


# --------------------------------------------------------------------- one boot


@pytest.mark.vm
def test_script_runs_as_root_with_out_repo_env(lab_run):
    assert lab_run.rc == EXIT_MARK, lab_run.stdout + lab_run.stderr
    facts = _facts(lab_run)
    assert facts["kernel"] == kernel_release()
    assert facts["repo"] == str(REPO)
    assert facts["repo_visible"] == "yes"
    assert facts["greeting"] == "hello from the host"


@pytest.mark.vm
def test_nlmon_comes_up(lab_run):
    facts = _facts(lab_run)
    assert facts.get("nlmon_loaded") == "yes", lab_run.stdout
    assert facts.get("nlmon_up") == "yes", lab_run.stdout
    assert "dummy0" in (lab_run.outdir / "ip-link.txt").read_text()
    assert "192.0.2.1/24" in (lab_run.outdir / "ip-addr.txt").read_text()


@pytest.mark.vm
def test_tcpdump_capture_is_linktype_netlink(lab_run):
    facts = _facts(lab_run)
    assert facts.get("tcpdump_rc") == "0", (lab_run.outdir / "tcpdump.err").read_text()
    linktype, records = _read_pcap(lab_run.outdir / "link.pcap")
    assert linktype == LINKTYPE_NETLINK
    # ip link add/set/show, ip addr add/show, ip link del: requests, replies, dumps
    assert len(records) >= 10, f"only {len(records)} frames captured"
    protocols = set()
    for rec in records:
        assert len(rec) >= 16 + 16, "frame shorter than cooked header + nlmsghdr"
        _pkttype, hatype, _halen = struct.unpack_from(">HHH", rec, 0)
        assert hatype == ARPHRD_NETLINK
        protocols.add(struct.unpack_from(">H", rec, 14)[0])
    assert NETLINK_ROUTE in protocols


@pytest.mark.vm
def test_capture_saw_the_link_being_created(lab_run):
    # nlmsghdr (host order: little-endian on x86): len u32, type u16, flags u16
    _, records = _read_pcap(lab_run.outdir / "link.pcap")
    types = set()
    for rec in records:
        if struct.unpack_from(">H", rec, 14)[0] != NETLINK_ROUTE:
            continue
        off = 16
        while off + 16 <= len(rec):
            length, mtype = struct.unpack_from("<IH", rec, off)
            types.add(mtype)
            if length < 16:
                break
            off += (length + 3) & ~3
    RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR = 16, 17, 20
    assert {RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR} <= types, sorted(types)
