"""WireGuard (generic netlink family "wireguard"), linux/wireguard.h.

WG_CMD_GET_DEVICE (a dump, one or more replies per device when peers overflow a
message) and WG_CMD_SET_DEVICE; WGDEVICE_A_* with peers as a nested array of
WGPEER_A_*, each with allowed IPs as a nested array of WGALLOWEDIP_A_* and its
endpoint as a struct sockaddr_in or sockaddr_in6. Keys are shown as wg shows them
(base64) in the summary; the tree keeps their bytes.
"""
from __future__ import annotations

import base64
import socket
import struct

import construct as cs

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader
from nlscope.decode import summary_fields as sf

from .genl import GenlFamily, add_family, attrs_of, join

WG_CMDS = {0: "GET_DEVICE", 1: "SET_DEVICE"}
WGDEVICE_FLAGS = {1: "REPLACE_PEERS"}
WGPEER_FLAGS = {1: "REMOVE_ME", 2: "REPLACE_ALLOWEDIPS", 4: "UPDATE_ONLY"}
AF = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}

SOCKADDR_IN = FixedHeader("sockaddr_in", cs.Struct(
    "sin_family" / cs.Int16un, "sin_port" / cs.Int16ub, "sin_addr" / cs.Bytes(4),
    "sin_zero" / cs.Bytes(8)), enums={"sin_family": AF}, kinds={"sin_addr": "ipv4"})
SOCKADDR_IN6 = FixedHeader("sockaddr_in6", cs.Struct(
    "sin6_family" / cs.Int16un, "sin6_port" / cs.Int16ub, "sin6_flowinfo" / cs.Int32ub,
    "sin6_addr" / cs.Bytes(16), "sin6_scope_id" / cs.Int32un),
    enums={"sin6_family": AF}, kinds={"sin6_addr": "ipv6"})
TIMESPEC = FixedHeader("__kernel_timespec", cs.Struct("tv_sec" / cs.Int64sn, "tv_nsec" / cs.Int64sn))


class Sockaddr(FixedHeader):
    """struct sockaddr_in or sockaddr_in6, chosen by the family field it starts with."""

    def __init__(self):
        super().__init__("sockaddr", cs.Struct("family" / cs.Int16un), enums={"family": AF})
        self.size = SOCKADDR_IN.size  # the shorter one: the engine checks this many bytes

    def parse(self, buf: bytes, start: int, order: str) -> list[Field]:
        family = struct.unpack_from(order + "H", buf, start)[0]
        if family == socket.AF_INET6 and len(buf) - start >= SOCKADDR_IN6.size:
            return SOCKADDR_IN6.parse(buf, start, order)
        if family == socket.AF_INET:
            return SOCKADDR_IN.parse(buf, start, order)
        return super().parse(buf, start, order)


SOCKADDR = Sockaddr()

ALLOWEDIP = AttrSet("wgallowedip", {
    1: Attr("WGALLOWEDIP_A_FAMILY", "u16", enum=AF),
    2: Attr("WGALLOWEDIP_A_IPADDR", "ipaddr"),
    3: Attr("WGALLOWEDIP_A_CIDR_MASK", "u8"),
})
PEER = AttrSet("wgpeer", {
    1: Attr("WGPEER_A_PUBLIC_KEY", "binary"),
    2: Attr("WGPEER_A_PRESHARED_KEY", "binary"),
    3: Attr("WGPEER_A_FLAGS", "u32", flags=WGPEER_FLAGS),
    4: Attr("WGPEER_A_ENDPOINT", "struct", struct=SOCKADDR),
    5: Attr("WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", "u16"),
    6: Attr("WGPEER_A_LAST_HANDSHAKE_TIME", "struct", struct=TIMESPEC),
    7: Attr("WGPEER_A_RX_BYTES", "u64"),
    8: Attr("WGPEER_A_TX_BYTES", "u64"),
    9: Attr("WGPEER_A_ALLOWEDIPS", "nested-array", nested=ALLOWEDIP),
    10: Attr("WGPEER_A_PROTOCOL_VERSION", "u32"),
})
DEVICE = AttrSet("wgdevice", {
    1: Attr("WGDEVICE_A_IFINDEX", "u32"),
    2: Attr("WGDEVICE_A_IFNAME", "string"),
    3: Attr("WGDEVICE_A_PRIVATE_KEY", "binary"),
    4: Attr("WGDEVICE_A_PUBLIC_KEY", "binary"),
    5: Attr("WGDEVICE_A_FLAGS", "u32", flags=WGDEVICE_FLAGS),
    6: Attr("WGDEVICE_A_LISTEN_PORT", "u16"),
    7: Attr("WGDEVICE_A_FWMARK", "u32"),
    8: Attr("WGDEVICE_A_PEERS", "nested-array", nested=PEER),
})


def key_text(f: Field | None) -> str | None:
    if f is None or f.kind != "bytes":
        return None
    return base64.b64encode(f.value).decode()


def endpoint_text(f: Field) -> str:
    kids = {c.name: c for c in f.children or ()}
    if "sin_addr" in kids:
        return f"{kids['sin_addr'].value}:{kids['sin_port'].value}"
    if "sin6_addr" in kids:
        return f"[{kids['sin6_addr'].value}]:{kids['sin6_port'].value}"
    return "?"


def allowed_ips(f: Field) -> list[str]:
    out = []
    for ip in f.children or ():
        addr = ip.get("WGALLOWEDIP_A_IPADDR")
        mask = ip.get("WGALLOWEDIP_A_CIDR_MASK")
        if addr is not None:
            out.append(f"{addr.value}/{mask.value}" if mask is not None else str(addr.value))
    return out


def peer_text(p: Field) -> str:
    k = {c.name: c for c in p.children or ()}
    pub = key_text(k.get("WGPEER_A_PUBLIC_KEY"))
    flags = k.get("WGPEER_A_FLAGS")
    ips = k.get("WGPEER_A_ALLOWEDIPS")
    ep = k.get("WGPEER_A_ENDPOINT")
    extra = [
        "remove" if sf.num(flags, 0) & 1 else None,
        "psk" if "WGPEER_A_PRESHARED_KEY" in k else None,
        f"endpoint {endpoint_text(ep)}" if ep is not None and ep.children else None,
        f"allowed-ips {','.join(allowed_ips(ips))}" if ips is not None and ips.children else None,
    ]
    detail = join(*extra)
    return f"peer {pub or '?'}" + (f" ({detail})" if detail else "")


def summary(cmd: str, fields: list[Field]) -> str:
    a = {f.name: f for f in attrs_of(fields)}
    name = a.get("WGDEVICE_A_IFNAME")
    idx = a.get("WGDEVICE_A_IFINDEX")
    port = a.get("WGDEVICE_A_LISTEN_PORT")
    mark = a.get("WGDEVICE_A_FWMARK")
    peers = a.get("WGDEVICE_A_PEERS")
    plist = list(peers.children or ()) if peers is not None else []
    parts = [sf.text(name) or (f"ifindex {sf.num(idx)}" if sf.num(idx) is not None else None),
             "private-key" if "WGDEVICE_A_PRIVATE_KEY" in a and cmd == "SET_DEVICE" else None,
             f"public-key {key_text(a['WGDEVICE_A_PUBLIC_KEY'])}" if "WGDEVICE_A_PUBLIC_KEY" in a else None,
             f"listen-port {sf.num(port)}" if sf.num(port) is not None else None,
             f"fwmark {sf.hexnum(mark)}" if sf.num(mark) else None]
    if len(plist) == 1:
        parts.append(peer_text(plist[0]))
    elif plist:
        parts.append(f"{len(plist)} peers")
    return join(*parts)


def register(registry) -> None:
    add_family(registry, GenlFamily("wireguard", WG_CMDS, attrs=DEVICE, summary=summary))
