"""IPv6 extension-header families: "SEG6" (linux/seg6_genl.h, seg6_hmac.h; kinds from
net/ipv6/seg6.c's policy: SEG6_ATTR_DST an in6_addr, DSTLEN s32, HMACKEYID u32, SECRET
bytes, SECRETLEN and ALGID u8) and "IOAM6" (linux/ioam6_genl.h; kinds from
net/ipv6/ioam6.c)."""
from __future__ import annotations

from .genl import GenlFamily, K, add_family, join, table_set, top

SEG6_COMMANDS = {1: "SETHMAC", 2: "DUMPHMAC", 3: "SET_TUNSRC", 4: "GET_TUNSRC"}
HMAC_ALGOS = {1: "SHA1", 2: "SHA256"}
SEG6_NAMES = {1: "DST", 2: "DSTLEN", 3: "HMACKEYID", 4: "SECRET", 5: "SECRETLEN", 6: "ALGID",
              7: "HMACINFO"}
SEG6_KINDS = {"DST": "ipv6", "DSTLEN": "s32", "HMACKEYID": "u32", "SECRET": "binary",
              "SECRETLEN": "u8", "ALGID": K("u8", enum=HMAC_ALGOS)}
SEG6_HMACINFO = table_set("seg6_hmacinfo", "SEG6_ATTR_", SEG6_NAMES, SEG6_KINDS)
SEG6_ATTRS = table_set("seg6_attrs", "SEG6_ATTR_", SEG6_NAMES,
                       {**SEG6_KINDS, "HMACINFO": K("nested", nested=SEG6_HMACINFO)})

IOAM6_COMMANDS = {1: "ADD_NAMESPACE", 2: "DEL_NAMESPACE", 3: "DUMP_NAMESPACES", 4: "ADD_SCHEMA",
                  5: "DEL_SCHEMA", 6: "DUMP_SCHEMAS", 7: "NS_SET_SCHEMA"}
IOAM6_ATTRS = table_set("ioam6_attrs", "IOAM6_ATTR_", {
    1: "NS_ID", 2: "NS_DATA", 3: "NS_DATA_WIDE", 4: "SC_ID", 5: "SC_DATA", 6: "SC_NONE", 7: "PAD"},
    {"NS_ID": "u16", "NS_DATA": "u32", "NS_DATA_WIDE": "u64", "SC_ID": "u32", "SC_DATA": "binary",
     "SC_NONE": "flag"})


def _seg6_summary(cmd: str, fields) -> str:
    dst, key = top(fields, "SEG6_ATTR_DST"), top(fields, "SEG6_ATTR_HMACKEYID")
    algo = top(fields, "SEG6_ATTR_ALGID")
    return join(f"tunsrc {dst.value}" if dst is not None else None,
                f"hmac {key.value}" if key is not None else None,
                f"algo {algo.short()}" if algo is not None else None)


def _ioam6_summary(cmd: str, fields) -> str:
    ns, sc = top(fields, "IOAM6_ATTR_NS_ID"), top(fields, "IOAM6_ATTR_SC_ID")
    return join(f"namespace {ns.value}" if ns is not None else None,
                f"schema {sc.value}" if sc is not None else None)


def register(registry) -> None:
    add_family(registry, GenlFamily("SEG6", SEG6_COMMANDS, attrs=SEG6_ATTRS, summary=_seg6_summary,
                                    kinds={"SETHMAC": "other", "SET_TUNSRC": "other",
                                           "DUMPHMAC": "get"}))
    add_family(registry, GenlFamily("IOAM6", IOAM6_COMMANDS, attrs=IOAM6_ATTRS,
                                    summary=_ioam6_summary, kinds={"NS_SET_SCHEMA": "other"}))
