"""Foo-over-UDP's generic netlink family "fou" (linux/fou.h; byte orders from
net/ipv4/fou_nl.c's policy and fou_core.c's nla_put_* calls: ports are be16, the IPv4
addresses are in_addr). The kernel's fou.yaml spec describes the same."""
from __future__ import annotations

from .genl import GenlFamily, K, add_family, join, table_set, top

COMMANDS = {1: "ADD", 2: "DEL", 3: "GET"}
ENCAP = {0: "UNSPEC", 1: "DIRECT", 2: "GUE"}
FAMILIES = {2: "AF_INET", 10: "AF_INET6"}

ATTRS = table_set("fou_attrs", "FOU_ATTR_", {
    1: "PORT", 2: "AF", 3: "IPPROTO", 4: "TYPE", 5: "REMCSUM_NOPARTIAL", 6: "LOCAL_V4",
    7: "LOCAL_V6", 8: "PEER_V4", 9: "PEER_V6", 10: "PEER_PORT", 11: "IFINDEX"},
    {"PORT": "be16", "AF": K("u8", enum=FAMILIES), "IPPROTO": "u8", "TYPE": K("u8", enum=ENCAP),
     "REMCSUM_NOPARTIAL": "flag", "LOCAL_V4": "ipv4", "LOCAL_V6": "ipv6", "PEER_V4": "ipv4",
     "PEER_V6": "ipv6", "PEER_PORT": "be16", "IFINDEX": "s32"})


def _summary(cmd: str, fields) -> str:
    """Like `ip fou show`: 'port 5555 ipproto 4' / 'port 5556 gue local 192.0.2.1'."""
    def v(name):
        f = top(fields, "FOU_ATTR_" + name)
        return f.value if f is not None else None
    typ = top(fields, "FOU_ATTR_TYPE")
    return join(f"port {v('PORT')}" if v("PORT") is not None else None,
                "gue" if typ is not None and typ.value == 2 else None,
                f"ipproto {v('IPPROTO')}" if v("IPPROTO") is not None else None,
                f"local {v('LOCAL_V4') or v('LOCAL_V6')}" if v("LOCAL_V4") or v("LOCAL_V6") else None,
                f"peer {v('PEER_V4') or v('PEER_V6')}" if v("PEER_V4") or v("PEER_V6") else None)


def register(registry) -> None:
    add_family(registry, GenlFamily("fou", COMMANDS, attrs=ATTRS, summary=_summary))
