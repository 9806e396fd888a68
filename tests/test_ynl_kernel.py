"""The kernel's own YNL specs (Documentation/netlink/specs of the newest kernel source
Debian ships, linux-source-6.12, installed by scripts/setup.sh --test and found through
the spec search path; none is copied into the repository):

- every spec loads, with no part left undecoded (no warnings);
- a spec in front of the hand-written dissectors only fills in: on every sample capture
  each field decodes as without it, and only UNKNOWN(n) attributes may gain names
  (rt-link.yaml keeps IFLA_INFO_DATA decoded);
- for each family the samples exercise, the spec alone and the hand-written dissector
  agree: every value both decode at the same bytes is the same value.
"""
from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import find
from nlscope.decode.registry import default_registry
from nlscope.decode.ynl import GENL_PROTOCOLS, load_spec, read_spec, register_spec, spec_dirs

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
# family spec -> the sample capture that exercises it
EXERCISED = {"rt_link": "iproute2", "rt_addr": "iproute2", "rt_route": "iproute2", "tc": "tc",
             "devlink": "devlink", "ethtool": "genl", "nlctrl": "genl", "mptcp_pm": "genl",
             "nftables": "netfilter"}


# Where a 6.12 spec and the kernel's code disagree, the hand-written dissector follows the
# code (the nla_get_*/nla_put_* calls); these are the spec's errors, found by this test.
# Structs the spec makes shorter than what the 6.12 kernel sends are listed too.
ERRATA: dict[str, dict[str, str]] = {
    "rt_link": {
        "IFLA_BR_VLAN_PROTOCOL": "spec: u16; kernel: nla_put_be16(IFLA_BR_VLAN_PROTOCOL, vlan_proto)",
        "prio": "struct ifla_bridge_id.prio is __u8[2] in network order; spec: a host-order u16",
        "CONF": "IFLA_INET6_CONF: the spec's ipv6-devconf has fewer members than DEVCONF_MAX (6.12)",
        "ICMP6_STATS": "IFLA_INET6_ICMP6STATS: ICMP6_MIB_MAX counters; the spec lists fewer",
        "STATS": "IFLA_INET6_STATS: IPSTATS_MIB_MAX counters; the spec lists fewer",
    },
    "rt_route": {
        "RTA_CACHEINFO": "struct rta_cacheinfo has 8 __u32 (32 bytes); the spec lists 5",
    },
    "tc": {
        "PARMS": "tc-ratespec: the spec has overhead, cell-align, mpu as u8 (struct tc_ratespec: "
                 "__u16, short, __u16), so tc-htb-opt is 38 bytes, not 44",
        "PCNT": "struct tc_u32_pcnt ends in a flexible array of hit counters",
        "SEL": "struct tc_u32_sel ends in a flexible array of keys",
    },
    "nftables": {
        "NFTA_SET_ID": "spec: u32; kernel: ntohl(nla_get_be32(nla[NFTA_SET_ID]))",
        "NFTA_SET_ELEM_LIST_SET_ID": "spec: u32; kernel: ntohl(nla_get_be32(...SET_ID))",
    },
}


@pytest.fixture(scope="module")
def specs() -> Path:
    dirs = spec_dirs()
    if not dirs:
        pytest.fail("no kernel YNL specs found: install linux-source-6.12 (scripts/setup.sh --test) "
                    "or point NLSCOPE_SPEC_PATH at a kernel tree")
    return Path(dirs[0])


def _decode(registry, capture: str):
    return list(Decoder(registry).messages(CaptureReader(SAMPLES / f"{capture}.pcapng")))


def _leaves(fields, out=None):
    """(start, end) -> value of every leaf field (a field without children)."""
    out = {} if out is None else out
    for f in fields:
        if f.children:
            _leaves(f.children, out)
        else:
            out.setdefault((f.start, f.end), f)
    return out


def _structs(fields):
    """Attributes decoded as a struct (their payload starts 4 bytes in)."""
    for f in fields:
        if f.kind == "struct" and f.children and f.children[0].start == f.start + 4:
            yield f
        yield from _structs(f.children or [])


def _same(a, b) -> bool:
    """The same value, whichever way each decoder shows it: a number either reads, an
    address as text, as an integer or as its bytes, an empty nest or empty bytes."""
    if a.value == b.value or (not a.value and not b.value):
        return True
    if isinstance(a.value, int) and isinstance(b.value, int):  # signed or not
        return any(a.value % m == b.value % m for m in (1 << 8, 1 << 16, 1 << 32, 1 << 64)
                   if -m // 2 <= min(a.value, b.value) and max(a.value, b.value) < m)
    for x, y in ((a.value, b.value), (b.value, a.value)):
        if isinstance(x, str) and isinstance(y, (int, bytes)):
            try:
                if isinstance(y, bytes) and len(y) in (4, 16):
                    return ipaddress.ip_address(x) == ipaddress.ip_address(y)
                if isinstance(y, bytes):
                    return x.replace(":", "") == y.hex()  # a MAC address
                return ipaddress.ip_address(x) == ipaddress.ip_address(y)
            except ValueError:
                return False
        if isinstance(x, bytes) and isinstance(y, int) and len(x) in (1, 2, 4, 8):
            return y in (int.from_bytes(x, "little"), int.from_bytes(x, "big"))
    return False


def test_every_kernel_spec_loads(specs):
    files = sorted(specs.glob("*.yaml"))
    assert len(files) >= 19, files  # 6.12 has 19
    for p in files:
        info = load_spec(default_registry(entry_points=False), p)
        assert not info.warnings, (p.name, info.warnings)
        assert info.operations, p.name


def test_the_spec_search_path_finds_the_newest_kernel_source(specs):
    assert (specs / "rt_link.yaml").is_file() and (specs / "tc.yaml").is_file()
    if not os.environ.get("NLSCOPE_SPEC_PATH"):
        assert "6.12" in str(specs) or any("6.1" in p for p in os.listdir(specs.parent))


@pytest.fixture(scope="module")
def with_every_spec(specs):
    reg = default_registry(entry_points=False)
    for p in sorted(specs.glob("*.yaml")):
        load_spec(reg, p)
    return reg


@pytest.mark.parametrize("capture", ["iproute2", "tc", "genl", "devlink", "netfilter"])
def test_specs_only_fill_in(with_every_spec, capture):
    hand = _decode(default_registry(entry_points=False), capture)
    spec = _decode(with_every_spec, capture)
    assert len(hand) == len(spec)
    same = 0
    for h, s in zip(hand, spec):
        assert (h.type_name, h.summary, h.problems) == (s.type_name, s.summary, s.problems)
        lh, ls = _leaves(h.tree), _leaves(s.tree)
        assert lh.keys() == ls.keys()
        for k, f in lh.items():
            g = ls[k]
            if f.name.startswith("UNKNOWN(") and not g.name.startswith("UNKNOWN("):
                continue  # named by a spec: what it is for
            assert (f.name, f.kind, f.value) == (g.name, g.kind, g.value), (h.type_name, f.name)
            same += 1
    assert same > 1000


def test_rt_link_spec_keeps_the_hand_written_link_info(with_every_spec):
    spec = _decode(with_every_spec, "iproute2")
    data = [find(m.tree, "IFLA_INFO_DATA") for m in spec]
    data = [d for d in data if d is not None]
    assert data and all(d.kind == "nest" and d.children for d in data)
    assert any(c.name.startswith("IFLA_") for d in data for c in d.children)


def _spec_alone(specs: Path, name: str):
    """A registry where the family is the spec's alone (the hand-written one removed)."""
    spec = read_spec(specs / f"{name}.yaml")
    reg = default_registry(entry_points=False)
    if spec.protocol in GENL_PROTOCOLS:
        old = reg.extras["genl"].pop(spec.name)
        info = register_spec(reg, spec)
        info.family.fixed_id = old.fixed_id  # nlctrl's id is fixed, not learned
        reg.get(16).invalidate()
    else:
        reg.protocols.pop(spec.protonum)
        register_spec(reg, spec)
    return spec, reg


def _spec_names_the_message(spec, m) -> bool:
    if spec.protocol in GENL_PROTOCOLS:
        return m.type_name.startswith(spec.name + " ") and " cmd " not in m.type_name
    return m.frame.protocol == spec.protonum and m.type in {**spec.requests, **spec.replies}


@pytest.mark.parametrize("name", sorted(EXERCISED))
def test_spec_alone_agrees_with_the_hand_written_dissector(specs, name):
    spec, reg = _spec_alone(specs, name)
    hand = _decode(default_registry(entry_points=False), EXERCISED[name])
    alone = _decode(reg, EXERCISED[name])
    msgs = agree = 0
    differ = set()
    for h, s in zip(hand, alone):
        if not _spec_names_the_message(spec, s):
            continue
        msgs += 1
        lh, ls = _leaves(h.tree[1:]), _leaves(s.tree[1:])
        for k in lh.keys() & ls.keys():
            if ls[k].name.startswith("UNKNOWN("):
                continue  # an attribute the spec does not describe
            if _same(lh[k], ls[k]):
                agree += 1
            elif lh[k].name not in ERRATA.get(name, {}):
                differ.add((h.type_name, lh[k].name, lh[k].value, ls[k].name, ls[k].value))
        # the kernel sends a struct whole (sizeof: tail padding to 8 bytes at most): a
        # spec struct shorter than that lacks members or has a wrong layout
        for f in _structs(s.tree[1:]):
            size, sent = max(c.end for c in f.children) - f.start - 4, f.end - f.start - 4
            if (size + 7) & ~7 < sent and f.name not in ERRATA.get(name, {}):
                differ.add((h.type_name, f.name, "struct of", size, "bytes, attribute of", sent))
        # rt-link describes IFLA_AF_SPEC per address family; AF_BRIDGE links nest
        # bridge attributes there instead, which only the hand-written dissector knows
        bridge = h.tree[1].name == "ifinfomsg" and h.tree[1].children[0].value == 7
        assert not s.problems or (bridge and all("IFLA_AF_SPEC" in p for p in s.problems)), s.problems
    assert not differ, sorted(differ, key=str)[:20]
    assert msgs >= 5 and agree >= 20, (msgs, agree)


def test_netdev_takes_the_kernels_spec_by_default(specs):
    """netdev has command names only in nlscope; its attributes come from the kernel's
    netdev.yaml found in the spec search path, with no option."""
    import struct

    from fixtures.make_fixtures import nla, nlmsg
    from test_genl import decode, newfamily
    reply = nlmsg(44, 2, 1, 99, struct.pack("<BBH", 1, 1, 0) + nla(1, struct.pack("<I", 2))
                  + nla(3, struct.pack("<Q", 0b111)) + nla(4, struct.pack("<I", 1)))
    _, m = decode(newfamily("netdev", 44), reply)
    assert m.type_name == "netdev DEV_GET" and not m.problems
    assert find(m.tree, "NETDEV_A_DEV_IFINDEX").value == 2
    assert find(m.tree, "NETDEV_A_DEV_XDP_FEATURES").meta == ["BASIC", "REDIRECT", "NDO_XMIT"]
    assert find(m.tree, "NETDEV_A_DEV_XDP_ZC_MAX_SEGS").value == 1
