"""Identifier-locator addressing's generic netlink family "ila" (linux/ila.h; kinds from
net/ipv6/ila/ila_main.c's policy: locators and identifiers are 64-bit values carried in
network order, shown as `ip ila` does: four 16-bit hex groups)."""
from __future__ import annotations

from .genl import GenlFamily, K, add_family, join, table_set, top

COMMANDS = {1: "ADD", 2: "DEL", 3: "GET", 4: "FLUSH"}
CSUM_MODES = {0: "ADJUST_TRANSPORT", 1: "NEUTRAL_MAP", 2: "NO_ACTION", 3: "NEUTRAL_MAP_AUTO"}
IDENT_TYPES = {0: "IID", 1: "LUID", 2: "VIRT_V4", 3: "VIRT_UNI_V6", 4: "VIRT_MULTI_V6",
               5: "NONLOCAL_ADDR", 6: "RSVD_1", 7: "RSVD_2", 32: "USE_FORMAT"}
HOOK_TYPES = {0: "ROUTE_OUTPUT", 1: "ROUTE_INPUT"}
DIRS = {1: "IN", 2: "OUT"}  # ILA_DIR_IN, ILA_DIR_OUT


def locator(v: int) -> str:
    return ":".join(f"{(v >> s) & 0xFFFF:x}" for s in (48, 32, 16, 0))


LOC = K("be64", fmt=locator)
ATTRS = table_set("ila_attrs", "ILA_ATTR_", {
    1: "LOCATOR", 2: "IDENTIFIER", 3: "LOCATOR_MATCH", 4: "IFINDEX", 5: "DIR", 6: "PAD",
    7: "CSUM_MODE", 8: "IDENT_TYPE", 9: "HOOK_TYPE"},
    {"LOCATOR": LOC, "IDENTIFIER": LOC, "LOCATOR_MATCH": LOC, "IFINDEX": "s32",
     "DIR": K("u32", flags=DIRS), "CSUM_MODE": K("u8", enum=CSUM_MODES),
     "IDENT_TYPE": K("u8", enum=IDENT_TYPES), "HOOK_TYPE": K("u8", enum=HOOK_TYPES)})


def _summary(cmd: str, fields) -> str:
    match, loc = top(fields, "ILA_ATTR_LOCATOR_MATCH"), top(fields, "ILA_ATTR_LOCATOR")
    return join(f"loc_match {match.short()}" if match is not None else None,
                f"loc {loc.short()}" if loc is not None else None)


def register(registry) -> None:
    add_family(registry, GenlFamily("ila", COMMANDS, attrs=ATTRS, summary=_summary))
