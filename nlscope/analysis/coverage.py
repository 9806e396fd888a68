"""How much of a capture nlscope decodes, per family (`nlscope stats --coverage FILE`):
messages, % message types named, % attributes named, values left as hex, enum values
without a name, problems.

A "family" is the protocol, split where one protocol carries several: generic netlink
by its family (the first word of the type name, "nl80211 GET_WIPHY"), nfnetlink by
subsystem, NETLINK_RDMA by client. Control messages (ERROR, DONE) count under the
protocol alone.

An attribute is a decoded field that is not a member of a fixed struct (nlmsghdr,
ifinfomsg, ...) nor one of the decoder's header words below; it is named unless the
decoder had to call it UNKNOWN(n). A value "left hex" is an attribute or struct member
shown as bytes that is not padding nor opaque by nature (keys, user data, patterns,
payload copies): those are counted apart, as "opaque".
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..decode.model import Field, Message
from ..escape import escape

# Fields a decoder adds around the attributes: not attributes themselves.
HEADER_WORDS = frozenset({"attributes", "nfnl_subsys_id", "nfnl_msg_type", "error", "value",
                          "original", "payload"})
# Bytes that are bytes by nature: cryptographic keys, user data the kernel stores blindly,
# match patterns, tunnel option and schema data, size and rate tables, BPF programs,
# bitmaps, Wi-Fi capability blobs, copies of packets or headers, padding, binary blobs of the tools.
_OPAQUE = re.compile(r"(^|_)(PAD|PADDING|padding|USERDATA|KEY|KEYS|ALG_KEY|alg_key|pattern|PATTERN|"
                     r"PAYLOAD|PACKET|LL_HEADER|NETWORK_HEADER|TRANSPORT_HEADER|XSTATS|STAB_DATA|"
                     r"GROUPS|TEMPLATE|STAB|BYTECODE|RTAB|CTAB|PTAB|sin_zero|BITSET_VALUE|BITSET_MASK|DIAG_FILTER|"
                     r"MCS_SET|CAP_MAC|CAP_PHY|CAP_PPE|CAPA|KEYID|GENEVE_DATA|SC_DATA|DATA_VALUE|MATCH_INFO|TARGET_INFO|SECCTX|SEC_CTX|"
                     r"COOKIE|HMAC|SECRET|SALT|KEY_ID|CERT|IE|IES|FRAME|BEACON_HEAD|BEACON_TAIL)$")
SAMPLES = 5  # problem and hex paths kept per family, for the report


def family_of(msg: Message) -> str:
    fam = msg.family
    name = msg.type_name or ""
    if name.startswith("NLMSG_"):
        return fam
    if fam == "generic" and " " in name:
        return "generic/" + name.split(" ", 1)[0]
    if fam == "netfilter" and msg.tree:
        for f in msg.tree[:3]:
            if f.name == "nfnl_subsys_id":
                sub = f.meta or f"subsys {f.value}"
                return "netfilter/" + sub.removeprefix("NFNL_SUBSYS_").lower()
    if fam == "rdma" and name.startswith("RDMA_"):
        parts = name.split("_")
        client = parts[2] if parts[1] == "NL" and len(parts) > 2 else parts[1]
        return "rdma/" + client.lower()
    return fam


def is_opaque(name: str) -> bool:
    return bool(_OPAQUE.search(name))


class _Family:
    __slots__ = ("messages", "types", "types_named", "attrs", "attrs_named", "hex", "opaque",
                 "problems", "hex_paths", "problem_samples", "unnamed_paths", "enums", "enum_paths")

    def __init__(self) -> None:
        self.messages = self.types = self.types_named = self.attrs = self.attrs_named = 0
        self.hex = self.opaque = self.problems = self.enums = 0
        self.enum_paths: Counter[str] = Counter()
        self.hex_paths: Counter[str] = Counter()
        self.unnamed_paths: Counter[str] = Counter()
        self.problem_samples: list[str] = []


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


class Coverage:
    """Fed one decoded message at a time (`add`); `to_json()` and `text()` report."""

    def __init__(self) -> None:
        self.families: dict[str, _Family] = {}

    def add(self, msg: Message) -> None:
        key = family_of(msg)
        fam = self.families.get(key)
        if fam is None:
            fam = self.families[key] = _Family()
        fam.messages += 1
        name = msg.type_name or ""
        if not name.startswith("NLMSG_"):
            fam.types += 1
            fam.types_named += "UNKNOWN" not in name
        for p in msg.problems:
            fam.problems += 1
            if len(fam.problem_samples) < SAMPLES:
                fam.problem_samples.append(f"#{msg.number} {name}: {p}")
        self._walk(fam, msg.tree or (), "", False)

    def _walk(self, fam: _Family, fields: list[Field], path: str, in_struct: bool) -> None:
        for f in fields:
            here = path + f.name
            if not in_struct and f.name not in HEADER_WORDS and f.kind != "struct":
                fam.attrs += 1
                if f.name.startswith("UNKNOWN("):
                    fam.unnamed_paths[here] += 1
                else:
                    fam.attrs_named += 1
            if f.kind == "enum" and f.meta is None:
                fam.enums += 1
                fam.enum_paths[f"{here}={f.value}"] += 1
            if f.kind == "bytes":
                if f.name.startswith("UNKNOWN(") or not is_opaque(f.name):
                    fam.hex += 1
                    fam.hex_paths[here] += 1
                else:
                    fam.opaque += 1
            if f.children:
                self._walk(fam, f.children, here + ".", f.kind == "struct")

    # -- reports -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        rows = []
        for key in sorted(self.families):
            f = self.families[key]
            rows.append({
                "family": key, "messages": f.messages,
                "types": f.types, "types_named": f.types_named, "types_named_pct": _pct(f.types_named, f.types),
                "attributes": f.attrs, "attributes_named": f.attrs_named,
                "attributes_named_pct": _pct(f.attrs_named, f.attrs),
                "left_hex": f.hex, "opaque": f.opaque, "unnamed_values": f.enums, "problems": f.problems,
                "left_hex_paths": dict(f.hex_paths.most_common(SAMPLES)),
                "unnamed_paths": dict(f.unnamed_paths.most_common(SAMPLES)),
                "unnamed_value_paths": dict(f.enum_paths.most_common(SAMPLES)),
                "problem_samples": list(f.problem_samples)})
        total = {k: sum(r[k] for r in rows) for k in (
            "messages", "types", "types_named", "attributes", "attributes_named", "left_hex", "opaque", "unnamed_values", "problems")}
        total["types_named_pct"] = _pct(total["types_named"], total["types"])
        total["attributes_named_pct"] = _pct(total["attributes_named"], total["attributes"])
        return {"families": rows, "total": total}

    def text(self) -> str:
        data = self.to_json()
        head = f"{'family':<28} {'msgs':>7} {'types':>8} {'attrs':>8} {'named':>8} {'hex':>6} {'noname':>6} {'problems':>8}"
        lines = ["Coverage per family (types and attributes named; values left as hex; enum values"
                 " without a name)", head,
                 "-" * len(head)]

        def pct(v: float | None) -> str:
            return "-" if v is None else f"{v:.2f}%".replace("100.00%", "100%")

        for r in data["families"] + [dict(data["total"], family="total")]:
            if r["family"] == "total":
                lines.append("-" * len(head))
            lines.append(f"{escape(r['family']):<28} {r['messages']:>7} {pct(r['types_named_pct']):>8} "
                         f"{r['attributes']:>8} {pct(r['attributes_named_pct']):>8} {r['left_hex']:>6} {r['unnamed_values']:>6} "
                         f"{r['problems']:>8}")
        details = []
        for r in data["families"]:
            for what, items in (("unnamed", r["unnamed_paths"]), ("hex", r["left_hex_paths"]),
                                ("value without a name", r["unnamed_value_paths"])):
                for p, n in items.items():
                    details.append(f"  {escape(r['family'])}: {what} {escape(p)} x{n}")
            for s in r["problem_samples"]:
                details.append(f"  {escape(r['family'])}: problem {escape(s)}")
        if details:
            lines += ["", "Details (first few per family):"] + details
        return "\n".join(lines) + "\n"
