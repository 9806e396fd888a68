"""Issue 16: what routing, VRRP, LLDP, Wi-Fi, virtual-switch and IPVS/ipset/NFLOG daemons
really send. Hand-built messages are laid out with struct.pack from the UAPI headers
(not from nlscope's tables), so a wrong table shows up as a wrong name or value."""
from __future__ import annotations

import struct

import pytest
from fixtures.make_fixtures import nla, nlmsg

from nlscope.capture.frame import Frame
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry
from nlscope.output.export import message_to_json

REQ, ACK, DUMP, MULTI = 0x1, 0x4, 0x300, 0x2


@pytest.fixture(scope="module")
def reg():
    return default_registry(entry_points=False)


def decode(reg, *msgs: bytes, protocol: int = 0):
    fr = Frame(1, 0, protocol, bytes(16) + b"".join(msgs))
    return list(Decoder(reg).messages([fr]))


def one(reg, mtype: int, flags: int, body: bytes, protocol: int = 0, pid: int | None = None):
    (m,) = decode(reg, nlmsg(mtype, flags, 7, (0 if flags & REQ else 4242) if pid is None else pid, body),
                  protocol=protocol)
    return m


def payload(m):
    return message_to_json(m)["payload"]


def u32(v):
    return struct.pack("<I", v)


def ifinfomsg(family=0, ifi_type=0, index=0, flags=0, change=0):
    return struct.pack("<BxHiII", family, ifi_type, index, flags, change)


def ifaddrmsg(family, plen=0, flags=0, scope=0, index=0):
    return struct.pack("<BBBBI", family, plen, flags, scope, index)


# -- bug 2: RTM_GETADDR dump with a legacy ifinfomsg header -------------------------------

def test_getaddr_with_ifinfomsg_and_ext_mask_is_not_malformed(reg):
    # keepalived: ifinfomsg(AF_UNSPEC) + IFLA_EXT_MASK(RTEXT_FILTER_VF)
    m = one(reg, 22, REQ | DUMP, ifinfomsg(0) + nla(29, u32(1)))
    assert m.problems == []
    p = payload(m)
    assert "ifaddrmsg" not in p and p["ifinfomsg"]["ifi_family"]["name"] == "AF_UNSPEC"
    assert p["attributes"]["IFLA_EXT_MASK"] == {"value": 1, "names": ["RTEXT_FILTER_VF"]}
    assert m.summary == "RTM_GETADDR dump (ifinfomsg header)"


def test_getaddr_with_bare_ifinfomsg_names_its_family(reg):
    # FRR / lldpd: a bare 16-byte ifinfomsg asking for AF_INET6
    m = one(reg, 22, REQ | DUMP, ifinfomsg(10))
    assert m.problems == []
    assert payload(m)["ifinfomsg"]["ifi_family"]["name"] == "AF_INET6"
    assert m.summary == "RTM_GETADDR dump inet6 (ifinfomsg header)"


def test_getaddr_with_ifaddrmsg_and_attributes_stays_ifaddrmsg(reg):
    # 16 bytes too, but an ifaddrmsg and a valid IFA_TARGET_NETNSID
    m = one(reg, 22, REQ | DUMP, ifaddrmsg(10) + nla(10, struct.pack("<i", 1)))
    assert m.problems == [] and payload(m)["attributes"]["IFA_TARGET_NETNSID"] == 1
    assert m.summary == "RTM_GETADDR dump inet6"
    m = one(reg, 22, REQ | DUMP, ifaddrmsg(2, index=3))
    assert m.problems == [] and m.summary == "RTM_GETADDR dump inet dev 3"


def test_getaddr_reply_with_zeros_after_ifaddrmsg_is_still_malformed(reg):
    # only a dump request may carry the other header: a reply is an ifaddrmsg
    m = one(reg, 20, MULTI, ifaddrmsg(2, 24) + bytes(8))
    assert m.problems and "ifaddrmsg" in payload(m)
