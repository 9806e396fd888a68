"""Names users know from iproute2's own files: route protocols (rt_protos and
rt_protos.d/*.conf: FRR's 196 "static", bird, zebra, ...), routing tables (rt_tables,
rt_tables.d/*.conf) and realms (rt_realms), read where `ip route` reads them.

iproute2 (lib/rt_names.c) reads the main file from /etc/iproute2, or when it is absent
(iproute2 >= 6.5 ships its defaults there) from /usr/share/iproute2 (/usr/lib/iproute2
on some builds); then the *.conf files of the `.d` directories, the shipped ones before
the local ones, a later line winning. Each line is `NUMBER NAME` (decimal or 0x hex),
`#` starts a comment. The kernel's own names (RTPROT_*, RT_TABLE_*) stay the fallback.

These are the names of the machine reading the capture, as `ip route` shows a capture's
routes only on the machine it runs on: a capture from elsewhere may say other names.
Files are read once per process, each bounded (MAX_BYTES, MAX_ENTRIES).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

DIRS = ("/etc/iproute2", "/usr/share/iproute2", "/usr/lib/iproute2")
MAX_BYTES = 1 << 20  # per file: a names file is a few hundred bytes
MAX_ENTRIES = 4096  # per table (table ids are 32-bit: bound what a file may add)
_LINE = re.compile(r"\s*(0x[0-9a-fA-F]+|\d+)\s+([^\s#]+)")

# the kernel's names, as iproute2 prints them (linux/rtnetlink.h), when no file says
KERNEL_PROTOS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra",
                 10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp",
                 17: "mrouted", 18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis",
                 188: "ospf", 189: "rip", 192: "eigrp"}
KERNEL_TABLES = {0: "unspec", 252: "compat", 253: "default", 254: "main", 255: "local"}


def parse(text: str, limit: int, out: dict[int, str]) -> None:
    """Add the `NUMBER NAME` lines of one file to `out` (ids below `limit`)."""
    for line in text.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        n = int(m.group(1), 0)
        if n < limit and (n in out or len(out) < MAX_ENTRIES):
            out[n] = m.group(2)


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


def load(name: str, limit: int, dirs: Iterable[str] | None = None, base: Mapping[int, str] = {}
         ) -> dict[int, str]:
    """The names of one iproute2 table: `name` from the first directory that has it,
    then `name`.d/*.conf of each directory, the last directory first."""
    dirs = list(DIRS if dirs is None else dirs)
    out = dict(base)
    for d in dirs:
        text = _read(os.path.join(d, name))
        if text is not None:
            parse(text, limit, out)
            break
    for d in reversed(dirs):
        sub = os.path.join(d, name + ".d")
        try:
            confs = sorted(e for e in os.listdir(sub) if e.endswith(".conf"))
        except OSError:
            continue
        for e in confs[:256]:
            text = _read(os.path.join(sub, e))
            if text is not None:
                parse(text, limit, out)
    return out


@lru_cache(maxsize=1)
def protocols() -> dict[int, str]:
    return load("rt_protos", 256, base=KERNEL_PROTOS)


@lru_cache(maxsize=1)
def tables() -> dict[int, str]:
    return load("rt_tables", 1 << 32, base=KERNEL_TABLES)


@lru_cache(maxsize=1)
def realms() -> dict[int, str]:
    return load("rt_realms", 256)


def proto_word(n: int) -> str | int:
    return protocols().get(n, n)


def table_word(n: int) -> str | int:
    return tables().get(n, n)


def realm_word(n: int) -> str | int:
    return realms().get(n, n)


def realms_text(flow: int) -> str:
    """RTA_FLOW: the source realm in the high 16 bits, the destination in the low, as
    `ip route` shows them (realms FROM/TO, or realm TO when there is no source)."""
    src, dst = flow >> 16, flow & 0xFFFF
    if src:
        return f"realms {realm_word(src)}/{realm_word(dst)}"
    return f"realm {realm_word(dst)}"
