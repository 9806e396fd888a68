"""scapy layers for LINKTYPE_NETLINK (253): `import nlscope.scapy_layer`, then
`scapy.all.rdpcap("capture.pcapng")` gives packets dissected as NetlinkCooked /
NetlinkMessage / NetlinkMessage ... (one layer per nlmsghdr in the frame).

The layers carry the header fields; `pkt[NetlinkMessage].nlscope()` returns nlscope's
full decode of that message (family payload, attributes, summary).
"""
from __future__ import annotations

import struct

from scapy.config import conf
from scapy.fields import (FlagsField, LEIntField, LEShortEnumField, ShortEnumField, ShortField,
                          StrFixedLenField, StrLenField)
from scapy.packet import Packet, bind_layers

from .decode.decoder import CONTROL_NAMES, Decoder, scan_frame
from .capture.frame import PROTOCOL_NAMES, Frame
from .decode.model import Message
from .capture.pcapio import LINKTYPE_NETLINK

_FLAG_BITS = ["REQUEST", "MULTI", "ACK", "ECHO", "DUMP_INTR", "DUMP_FILTERED", "", "",
              "F8", "F9", "F10", "F11"]  # the high byte's names depend on the message kind
_decoder: Decoder | None = None


class NetlinkCooked(Packet):
    name = "Netlink cooked header"
    fields_desc = [
        ShortField("pkttype", 4),
        ShortField("hatype", 824),
        ShortField("halen", 0),
        StrFixedLenField("addr", b"\0" * 8, 8),
        ShortEnumField("protocol", 0, PROTOCOL_NAMES),
    ]

    def guess_payload_class(self, payload):
        return NetlinkMessage if len(payload) >= 16 else Packet.guess_payload_class(self, payload)


class NetlinkMessage(Packet):
    name = "Netlink message"
    fields_desc = [
        LEIntField("len", None),
        LEShortEnumField("type", 0, dict(CONTROL_NAMES)),
        FlagsField("flags", 0, -16, _FLAG_BITS),
        LEIntField("seq", 0),
        LEIntField("pid", 0),
        StrLenField("data", b"", length_from=lambda p: max(0, (p.len or 16) - 16)),
        StrLenField("pad", b"", length_from=lambda p: -(p.len or 16) % 4),
    ]

    def post_build(self, p, pay):
        if self.len is None:
            p = struct.pack("<I", 16 + len(self.data)) + p[4:]
        return p + pay

    def guess_payload_class(self, payload):
        return NetlinkMessage if len(payload) >= 16 else Packet.guess_payload_class(self, payload)

    def _protocol(self) -> int:
        layer = self.underlayer
        while layer is not None and not isinstance(layer, NetlinkCooked):
            layer = layer.underlayer
        return layer.protocol if layer is not None else 0

    def nlscope(self) -> Message:
        """nlscope's decode of this one message (the default registry, no capture state)."""
        global _decoder
        if _decoder is None:
            from .decode.registry import default_registry
            _decoder = Decoder(default_registry())
        raw = bytes(self)[:max(16, self.len or 16)]
        frame = Frame(1, 0, self._protocol(), bytes(16) + raw)
        return _decoder.decode(scan_frame(frame)[0])

    def mysummary(self):
        m = self.nlscope()
        return f"Netlink {m.family} {m.summary}"


conf.l2types.register(LINKTYPE_NETLINK, NetlinkCooked)
bind_layers(NetlinkCooked, NetlinkMessage)
