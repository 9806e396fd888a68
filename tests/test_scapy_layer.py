"""scapy users: rdpcap on a netlink capture gives dissected packets."""
from __future__ import annotations

from conftest import FIXTURES
from scapy.utils import rdpcap

import nlscope.scapy_layer  # noqa: F401  (registers link type 253)
from nlscope.scapy_layer import NetlinkCooked, NetlinkMessage


def messages(pkt):
    out, layer = [], pkt.getlayer(NetlinkMessage)
    while isinstance(layer, NetlinkMessage):
        out.append(layer)
        layer = layer.payload
    return out


def test_rdpcap_dissects_every_message():
    pkts = rdpcap(str(FIXTURES / "golden.pcapng"))
    nl = [p for p in pkts if p.haslayer(NetlinkCooked)]
    assert len(nl) == 11
    msgs = [m for p in nl for m in messages(p)]
    assert [(m.type, m.seq, m.pid) for m in msgs][:4] == [(18, 1001, 0), (16, 1001, 4242), (16, 1001, 4242), (3, 1001, 4242)]
    assert len(msgs) == 13
    assert nl[0][NetlinkCooked].protocol == 0 and nl[-1][NetlinkCooked].protocol == 2
    assert msgs[0].flags.REQUEST and not msgs[0].flags.ACK


def test_summary_uses_nlscope_decode():
    pkts = rdpcap(str(FIXTURES / "golden.pcapng"))
    err = messages(pkts[5])[0]
    assert err.type == 2
    assert "ENETUNREACH" in err.mysummary()
    assert err.nlscope().type_name == "NLMSG_ERROR"


def test_build_round_trip():
    pkt = NetlinkCooked(protocol=0) / NetlinkMessage(type=18, flags=0x301, seq=5, data=b"\0" * 16)
    raw = bytes(pkt)
    assert len(raw) == 16 + 32 and raw[16:20] == b"\x20\0\0\0"
    back = NetlinkCooked(raw)
    assert back[NetlinkMessage].seq == 5 and back[NetlinkMessage].len == 32
