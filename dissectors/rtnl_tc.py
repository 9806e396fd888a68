"""rtnetlink traffic control: struct tcmsg and TCA_* (linux/rtnetlink.h) for qdiscs,
classes, filters and chains, with TCA_OPTIONS/TCA_XSTATS by TCA_KIND (linux/pkt_sched.h,
linux/pkt_cls.h), TCA_STATS2 (linux/gen_stats.h), and actions (struct tcamsg,
TCA_ROOT_*, TCA_ACT_*, linux/tc_act/*.h).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from construct import Int8un, Int16sn, Int32sn, Int32un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, FixedHeader, child_count, walk_attrs
from nlscope.decode import summary_fields as sf

from .rtnl_common import (AF_NAMES, ETH_WORD, A, View, dump_line, hdr, is_dump_request, kept_raw,
                          message, tc_handle)
from .tc_act import actions, tc_act_text
from .tc_cls import FILTER_OPTIONS
from .tc_qdisc import QDISC_OPTIONS, TC_LINKLAYER, XSTATS
from .tc_stats import TC_ESTIMATOR, TC_STATS, STATS2, stats2

TC_H_INGRESS = 0xFFFFFFF1

TCMSG = hdr("tcmsg", Struct(
    "tcm_family" / Int8un, Padding(3), "tcm_ifindex" / Int32sn, "tcm_handle" / Int32un,
    "tcm_parent" / Int32un, "tcm_info" / Int32un),
    enums={"tcm_family": AF_NAMES}, fmts={"tcm_handle": tc_handle, "tcm_parent": tc_handle})

def _kind(siblings: list[Field]) -> str | None:
    return next((f.value for f in siblings if f.name == "TCA_KIND"), None)


def layout(spec: AttrSet | FixedHeader | object | None):
    """A custom decoder for a payload laid out as `spec`: nested attributes (an AttrSet),
    a bare struct (a FixedHeader), its own custom decoder, or unknown (None)."""
    def decode(name, buf, start, end, order, problems, path, siblings) -> Field:
        p0 = start + 4
        if isinstance(spec, AttrSet):
            return Field(name, "nest", None, start, end,
                         children=walk_attrs(buf, p0, end, spec, order, problems, path + "."))
        if isinstance(spec, FixedHeader):
            if end - p0 < spec.size:
                return kept_raw(name, buf, start, end, problems,
                                f"{path}: {spec.name} needs {spec.size} bytes, got {end - p0}")
            return Field(name, "struct", None, start, end, children=spec.parse(buf, p0, order))
        if callable(spec):
            return spec(name, buf, start, end, order, problems, path, siblings)
        scratch: list[str] = []  # an unknown kind: nested attributes if they walk cleanly
        kids = walk_attrs(buf, p0, end, None, order, scratch, path + ".")
        if end > p0 and not scratch:
            return Field(name, "nest", None, start, end, children=kids)
        return Field(name, "bytes", bytes(buf[p0:end]), start, end)
    return decode


def by_kind(table: Mapping[str, AttrSet | FixedHeader | object]):
    """TCA_OPTIONS / TCA_XSTATS: laid out as the sibling TCA_KIND says."""
    decoders = {kind: layout(spec) for kind, spec in table.items()}
    unknown = layout(None)

    def decode(name, buf, start, end, order, problems, path, siblings) -> Field:
        return decoders.get(_kind(siblings), unknown)(name, buf, start, end, order, problems, path, siblings)
    return decode


# TCA_STATS2's TCA_STATS_APP is the kind's xstats too; TCA_KIND is a sibling of TCA_STATS2.
STATS2_BY_KIND = {kind: stats2(A("TCA_STATS_APP", "custom", decode=layout(spec)))
                  for kind, spec in XSTATS.items()}


def _stats2(siblings: list[Field]) -> AttrSet:
    return STATS2_BY_KIND.get(_kind(siblings), STATS2)


TCA_DUMP_FLAGS = {1: "TCA_DUMP_FLAGS_TERSE"}


def _tca(name: str, options: Mapping) -> AttrSet:
    return AttrSet(name, {
        1: A("TCA_KIND", "string"),
        2: A("TCA_OPTIONS", "custom", decode=by_kind(options)),
        3: A("TCA_STATS", "struct", struct=TC_STATS),
        4: A("TCA_XSTATS", "custom", decode=by_kind(XSTATS)),
        5: A("TCA_RATE", "struct", struct=TC_ESTIMATOR),
        6: A("TCA_FCNT", "u32"),
        7: A("TCA_STATS2", "nested", nested=_stats2),
        8: A("TCA_STAB", "nested", nested=AttrSet("tca_stab", {
            1: A("TCA_STAB_BASE", "struct", struct=hdr("tc_sizespec", Struct(
                "cell_log" / Int8un, "size_log" / Int8un, "cell_align" / Int16sn, "overhead" / Int32sn,
                "linklayer" / Int32un, "mpu" / Int32un, "mtu" / Int32un, "tsize" / Int32un),
                enums={"linklayer": TC_LINKLAYER})),
            2: A("TCA_STAB_DATA", "binary")})),
        9: A("TCA_PAD", "binary"),
        10: A("TCA_DUMP_INVISIBLE", "flag"),
        11: A("TCA_CHAIN", "u32"),
        12: A("TCA_HW_OFFLOAD", "u8"),
        13: A("TCA_INGRESS_BLOCK", "u32"),
        14: A("TCA_EGRESS_BLOCK", "u32"),
        15: A("TCA_DUMP_FLAGS", "bitfield32", flags=TCA_DUMP_FLAGS),
        16: A("TCA_EXT_WARN_MSG", "string"),
    })


TCA_QDISC = _tca("tca(qdisc)", QDISC_OPTIONS)
TCA_FILTER = _tca("tca(filter)", FILTER_OPTIONS)


# -- summaries ------------------------------------------------------------------------------
def _parent_text(parent: int) -> str:
    if parent == 0xFFFFFFFF:
        return "root"
    if parent == TC_H_INGRESS:  # ingress and clsact qdiscs hang here
        return "parent ffff:fff1"
    if parent == 0xFFFFFFF2:  # TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS): tc says "ingress"
        return "ingress"
    if parent == 0xFFFFFFF3:
        return "egress"
    return f"parent {tc_handle(parent)}"


def mask_len(mask: str) -> int:
    """The prefix length of a netmask given as an address (255.255.255.0 -> 24)."""
    return bin(int(ipaddress.ip_address(mask))).count("1")


def _rate(v: int | None) -> str:
    """Bytes per second as tc prints bits per second ('?' when the value was not read)."""
    if v is None:
        return "?"
    bits = v * 8
    for unit, div in (("Gbit", 10**9), ("Mbit", 10**6), ("Kbit", 10**3)):
        if bits >= div and bits % div == 0:
            return f"{bits // div}{unit}"
    return f"{bits}bit"


def _options_detail(kind: str | None, opts: Field | None) -> list[str]:
    if opts is None or not opts.children:
        return []
    out = []
    if kind == "htb":
        glob = opts.get("TCA_HTB_INIT")
        if glob is not None and glob.get("defcls") is not None:
            out.append(f"r2q {glob.get('rate2quantum').value} default 0x{glob.get('defcls').value:x}")
        parms = opts.get("TCA_HTB_PARMS")
        if parms is not None and parms.get("rate") is not None:
            rate64, ceil64 = opts.get("TCA_HTB_RATE64"), opts.get("TCA_HTB_CEIL64")
            rate = sf.num(rate64) if rate64 is not None else sf.num(sf.child(parms, "rate", "rate"))
            ceil = sf.num(ceil64) if ceil64 is not None else sf.num(sf.child(parms, "ceil", "rate"))
            out.append(f"rate {_rate(rate)} ceil {_rate(ceil)}")
            if parms.get("prio").value:
                out.append(f"prio {parms.get('prio').value}")
    elif kind == "tbf":
        parms = opts.get("TCA_TBF_PARMS")
        if parms is not None and parms.get("rate") is not None:
            rate64 = opts.get("TCA_TBF_RATE64")
            rate = sf.num(rate64) if rate64 is not None else sf.num(sf.child(parms, "rate", "rate"))
            out.append(f"rate {_rate(rate)}")
            out.append(f"limit {parms.get('limit').value}b")
    elif kind == "fq_codel":
        for key, word in (("TCA_FQ_CODEL_LIMIT", "limit"), ("TCA_FQ_CODEL_FLOWS", "flows"),
                          ("TCA_FQ_CODEL_TARGET", "target"), ("TCA_FQ_CODEL_INTERVAL", "interval")):
            f = opts.get(key)
            if f is not None:
                out.append(f"{word} {f.value}" + ("us" if word in ("target", "interval") else ""))
        ecn = opts.get("TCA_FQ_CODEL_ECN")
        if ecn is not None and ecn.value:
            out.append("ecn")
    elif kind == "cake" and opts.get("TCA_CAKE_BASE_RATE64") is not None:
        out.append(f"bandwidth {_rate(sf.num(opts.get('TCA_CAKE_BASE_RATE64')))}")
        mode = opts.get("TCA_CAKE_DIFFSERV_MODE")
        if mode is not None and mode.meta:
            out.append(mode.meta.removeprefix("CAKE_DIFFSERV_").lower())
    elif kind == "fq":
        for key, word in (("TCA_FQ_PLIMIT", "limit"), ("TCA_FQ_FLOW_PLIMIT", "flow_limit")):
            if opts.get(key) is not None:
                out.append(f"{word} {opts.get(key).value}p")
    elif kind == "netem" and opts.get("tc_netem_qopt") is not None:
        out.append(f"limit {opts.get('tc_netem_qopt').get('limit').value}")
        attrs = opts.get("attributes")
        lat = attrs.get("TCA_NETEM_LATENCY64") if attrs is not None else None
        if lat is not None and lat.value:
            out.append(f"delay {lat.value / 1e6:g}ms")
    elif kind == "red" and opts.get("TCA_RED_PARMS") is not None:
        parms = opts.get("TCA_RED_PARMS")
        out.append(" ".join(f"{w} {parms.get(k).value}b" for k, w in (("limit", "limit"), ("qth_min", "min"),
                                                                    ("qth_max", "max"))))
    elif kind == "ets" and opts.get("TCA_ETS_NBANDS") is not None:
        out.append(f"bands {opts.get('TCA_ETS_NBANDS').value}")
        if opts.get("TCA_ETS_NSTRICT") is not None:
            out.append(f"strict {opts.get('TCA_ETS_NSTRICT').value}")
    elif kind in ("mqprio", "taprio"):
        qopt = opts.get("tc_mqprio_qopt") or opts.get("TCA_TAPRIO_ATTR_PRIOMAP")
        if qopt is not None and qopt.get("num_tc") is not None:
            out.append(f"tc {qopt.get('num_tc').value}")
    elif kind == "hfsc" and opts.get("defcls") is not None:
        out.append(f"default {opts.get('defcls').value:x}")
    elif kind in ("u32", "flower", "matchall", "basic", "fw", "bpf", "route", "flow"):
        for c in opts.children:
            if c.name.endswith("_CLASSID"):
                out.append(f"classid {c.meta or c.value}")
            elif c.name == "TCA_U32_SEL":
                keys = c.get("keys")
                out.append(f"keys {child_count(keys) if keys is not None else 0}")
            elif c.name.endswith("_ACT") and c.kind == "list":
                for act in c.children or ():
                    out.extend(_action_words(act))
        if kind == "flower":
            for key, word in (("TCA_FLOWER_KEY_ETH_TYPE", "protocol"), ("TCA_FLOWER_KEY_IP_PROTO", "ip_proto"),
                              ("TCA_FLOWER_KEY_IPV4_SRC", "src_ip"), ("TCA_FLOWER_KEY_IPV4_DST", "dst_ip"),
                              ("TCA_FLOWER_KEY_IPV6_SRC", "src_ip"), ("TCA_FLOWER_KEY_IPV6_DST", "dst_ip"),
                              ("TCA_FLOWER_KEY_TCP_SRC", "src_port"), ("TCA_FLOWER_KEY_TCP_DST", "dst_port"),
                              ("TCA_FLOWER_KEY_UDP_SRC", "src_port"), ("TCA_FLOWER_KEY_UDP_DST", "dst_port")):
                f = opts.get(key)
                if f is None or key == "TCA_FLOWER_KEY_ETH_TYPE":
                    continue
                text = f.short().removeprefix("IPPROTO_").lower() if f.kind == "enum" else f.value
                mask = opts.get(key + "_MASK")
                if f.kind == "addr" and mask is not None and mask.kind == "addr":
                    text = f"{text}/{mask_len(mask.value)}"
                out.append(f"{word} {text}")
    return out


def _is_parms(name: str) -> bool:
    """The action's tc_gen struct (index, verdict), whatever its kind calls it."""
    return name.endswith(("_PARMS", "_PARMS_EX")) or name in ("TCA_POLICE_TBF", "TCA_CTINFO_ACT")


def _action_words(act: Field) -> list[str]:
    kind = act.get("TCA_ACT_KIND")
    if kind is None:
        return []
    out = [f"action {kind.value}"]
    opts = act.get("TCA_ACT_OPTIONS")
    parms = None
    if opts is not None:
        parms = next((c for c in opts.children or ()
                      if _is_parms(c.name)), None)
    if parms is not None and parms.get("eaction") is not None:  # mirred: `egress redirect dev 3`
        ea = parms.get("eaction")
        words = {1: "egress redirect", 2: "egress mirror", 3: "ingress redirect", 4: "ingress mirror"}
        out.append(words.get(ea.value, str(ea.value)))
        out.append(f"dev {parms.get('ifindex').value}")
    if parms is not None and parms.get("action") is not None:
        out.append(tc_act_text(parms.get("action").value))
    return out


def tc_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    kind = v.av("TCA_KIND")
    dev = v.hv("tcm_ifindex")
    if is_dump_request(msg):
        extra = []
        if dev:
            extra.append(f"dev {dev}")
        if "tcm_parent" in v.h and v.hv("tcm_parent"):
            extra.append(_parent_text(v.hv("tcm_parent")))
        if "TCA_CHAIN" in v.a:
            extra.append(f"chain {v.av('TCA_CHAIN')}")
        return dump_line(msg, v, " ".join(extra))
    parts = [msg.type_name]
    if dev == -1 and "tcm_parent" in v.h:  # TCM_IFINDEX_MAGIC_BLOCK
        parts.append(f"block {v.hv('tcm_parent')}")
    elif dev:
        parts.append(f"dev {dev}")
    handle, parent, info = v.hv("tcm_handle", 0), v.hv("tcm_parent", 0), v.hv("tcm_info", 0)
    filt = msg.type in (44, 45, 46, 100, 101, 102)
    if filt:
        if parent:
            parts.append(_parent_text(parent))
        proto = info & 0xFFFF
        proto = ((proto & 0xFF) << 8) | (proto >> 8)  # the protocol is htons(ETH_P_*)
        if proto:
            parts.append(f"protocol {ETH_WORD.get(proto, f'0x{proto:04x}')}")
        if info >> 16:
            parts.append(f"pref {info >> 16}")
        if kind:
            parts.append(kind)
        if "TCA_CHAIN" in v.a:
            parts.append(f"chain {v.av('TCA_CHAIN')}")
        if handle:
            if kind == "u32":
                parts.append(f"fh {handle >> 20:x}:{(handle >> 12) & 0xFF:x}:{handle & 0xFFF:x}")
            else:
                parts.append(f"handle 0x{handle:x}")
    else:
        if kind:
            parts.append(kind)
        if handle or not parent:
            parts.append(tc_handle(handle))
        if parent:
            parts.append(_parent_text(parent))
    parts.extend(_options_detail(kind, v.a.get("TCA_OPTIONS")))
    if len(parts) == 1:
        parts.append(f"handle {tc_handle(handle)}")
    return " ".join(str(p) for p in parts)


# -- RTM_*ACTION: struct tcamsg, TCA_ROOT_* ------------------------------------------------
TCAMSG = hdr("tcamsg", Struct("tca_family" / Int8un, Padding(3)), enums={"tca_family": AF_NAMES})
TCA_ROOT = AttrSet("tca_root", {
    1: actions("TCA_ROOT_TAB"),
    2: A("TCA_ROOT_FLAGS", "bitfield32", flags={1: "TCA_ACT_FLAG_LARGE_DUMP_ON", 2: "TCA_ACT_FLAG_TERSE_DUMP"}),
    3: A("TCA_ROOT_COUNT", "u32"),
    4: A("TCA_ROOT_TIME_DELTA", "u32"),
    5: A("TCA_ROOT_EXT_WARN_MSG", "string"),
})


def action_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    tab = v.a.get("TCA_ROOT_TAB")
    acts = [a for a in (tab.children or ()) if a.kind == "nest"] if tab is not None else []
    if is_dump_request(msg):
        kinds = [a.get("TCA_ACT_KIND").value for a in acts if a.get("TCA_ACT_KIND") is not None]
        return dump_line(msg, v, " ".join(f"action {k}" for k in kinds))
    parts = [msg.type_name]
    for a in acts:
        parts.extend(_action_words(a))
        idx = a.get("TCA_ACT_INDEX")
        if idx is None:
            opts = a.get("TCA_ACT_OPTIONS")
            parms = next((c for c in (opts.children or ()) if _is_parms(c.name)), None) if opts else None
            idx = parms.get("index") if parms is not None else None
        if idx is not None:
            parts.append(f"index {idx.value}")
    if "TCA_ROOT_COUNT" in v.a:
        parts.append(f"count {v.av('TCA_ROOT_COUNT')}")
    if len(parts) == 1:
        parts.append("(no actions)")
    return " ".join(str(p) for p in parts)


MESSAGES = {
    36: message("RTM_NEWQDISC", TCMSG, TCA_QDISC, tc_summary),
    37: message("RTM_DELQDISC", TCMSG, TCA_QDISC, tc_summary),
    38: message("RTM_GETQDISC", TCMSG, TCA_QDISC, tc_summary),
    40: message("RTM_NEWTCLASS", TCMSG, TCA_QDISC, tc_summary),
    41: message("RTM_DELTCLASS", TCMSG, TCA_QDISC, tc_summary),
    42: message("RTM_GETTCLASS", TCMSG, TCA_QDISC, tc_summary),
    44: message("RTM_NEWTFILTER", TCMSG, TCA_FILTER, tc_summary),
    45: message("RTM_DELTFILTER", TCMSG, TCA_FILTER, tc_summary),
    46: message("RTM_GETTFILTER", TCMSG, TCA_FILTER, tc_summary),
    48: message("RTM_NEWACTION", TCAMSG, TCA_ROOT, action_summary),
    49: message("RTM_DELACTION", TCAMSG, TCA_ROOT, action_summary),
    50: message("RTM_GETACTION", TCAMSG, TCA_ROOT, action_summary),
    100: message("RTM_NEWCHAIN", TCMSG, TCA_FILTER, tc_summary),
    101: message("RTM_DELCHAIN", TCMSG, TCA_FILTER, tc_summary),
    102: message("RTM_GETCHAIN", TCMSG, TCA_FILTER, tc_summary),
}
