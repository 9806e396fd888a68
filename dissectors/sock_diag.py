"""NETLINK_SOCK_DIAG (4): socket dumps as `ss` makes them.

The payload's layout depends on the address family (its first byte) and on the
direction (NLM_F_REQUEST: a *_diag_req; otherwise a *_diag_msg reply), so
message_type() peeks at both. A reply does not say its IP protocol; it is taken
from INET_DIAG_PROTOCOL when present, else from the request with the same
sequence number seen earlier in the capture.
AF_TIPC, AF_VSOCK and AF_XDP have their own request structs; a TIPC reply has no
struct at all, only one TIPC_NLA_SOCK nest (its first byte is no family).
Facts: linux/sock_diag.h, inet_diag.h, unix_diag.h, netlink_diag.h, packet_diag.h,
tipc_sockets_diag.h, vm_sockets_diag.h, xdp_diag.h.
"""
from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from nlscope.decode.model import Field, Message, find
from nlscope.decode.nla import AttrSet, FixedHeader, flag_names, walk_attrs
from nlscope.decode import summary_fields as sf
from nlscope.decode.registry import DecodeCtx, MessageType, Protocol

from . import sock_diag_structs as S
from .nf_common import IPPROTO

TCPDIAG_GETSOCK, DCCPDIAG_GETSOCK, SOCK_DIAG_BY_FAMILY, SOCK_DESTROY = 18, 19, 20, 21
NAMES = {TCPDIAG_GETSOCK: "TCPDIAG_GETSOCK", DCCPDIAG_GETSOCK: "DCCPDIAG_GETSOCK",
         SOCK_DIAG_BY_FAMILY: "SOCK_DIAG_BY_FAMILY", SOCK_DESTROY: "SOCK_DESTROY"}
NLM_F_REQUEST = 0x1
# Bounds: message types built per (type, family, direction, protocol), least recently
# used dropped past TYPE_CACHE; request protocols remembered per sequence number, the
# oldest dropped past SEQ_MEMORY (a reply answers one of the latest requests).
TYPE_CACHE = 512
SEQ_MEMORY = 1024
MEMINFO_ATTRS = {"INET_DIAG_SKMEMINFO", "UNIX_DIAG_MEMINFO", "NETLINK_DIAG_MEMINFO", "PACKET_DIAG_MEMINFO",
                 "XDP_DIAG_MEMINFO"}


def _fixups(buf: bytes, attrs: list[Field], order: str, proto: int | None = None) -> None:
    """What the declarative tables cannot say: INET_DIAG_INFO by the request's protocol
    (struct mptcp_info, sctp_info, else tcp_info) and length, named meminfo arrays, unix
    socket names (abstract ones start with a NUL: shown as '@')."""
    for f in attrs:
        if f.name == "INET_DIAG_INFO" and f.kind == "bytes":
            layout = {S.IPPROTO_MPTCP: S.MPTCP_INFO_LAYOUT, S.IPPROTO_SCTP: S.SCTP_INFO_LAYOUT}.get(proto)
            kids = (S.layout_fields(buf, f.start + 4, f.end, order, layout) if layout is not None
                    else S.tcp_info_fields(buf, f.start + 4, f.end, order))
            if kids:
                f.kind, f.value, f.children = "struct", None, kids
        elif f.name in MEMINFO_ATTRS and f.children:
            S.meminfo_names(f)
        elif f.name == "UNIX_DIAG_NAME" and f.kind == "bytes":
            raw = f.value
            f.kind = "str"
            f.value = ("@" + raw[1:].decode("utf-8", "replace")) if raw[:1] == b"\0" else \
                raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _decoder(header: FixedHeader, attrs: AttrSet, proto: int | None = None) -> Callable[[DecodeCtx], list[Field]]:
    def decode(ctx: DecodeCtx) -> list[Field]:
        pos, end = ctx.start, ctx.end
        if end - pos < header.size:
            ctx.problems.append(f"{header.name}: needs {header.size} bytes, message has {end - pos}")
            return [Field("data", "bytes", bytes(ctx.buf[pos:end]), pos, end)] if end > pos else []
        kids = header.parse(ctx.buf, pos, ctx.order)
        if ctx.order == ">":  # cookie[0] is the low half of the u64 on every host
            for c in kids:
                if c.name.endswith("_cookie") and c.kind == "enum":
                    v = c.value
                    c.value = ((v & 0xFFFFFFFF) << 32) | (v >> 32)
                    c.meta = S.cookie_text(c.value)
        out = [Field(header.name, "struct", None, pos, pos + header.size, children=kids)]
        pos += (header.size + 3) & ~3
        if pos < end:
            fields = walk_attrs(ctx.buf, pos, end, attrs, ctx.order, ctx.problems)
            _fixups(ctx.buf, fields, ctx.order, proto)
            if proto == S.IPPROTO_SCTP and any(f.name == "INET_DIAG_PEERS" for f in fields):
                # an association (only they have peers): idiag_state is its sctp_state
                st = _kid(out[0], "idiag_state")
                if st is not None:
                    st.meta = S.SCTP_STATES.get(st.value)
            out.append(Field("attributes", "nest", None, pos, end, children=fields))
        return out
    return decode


def _attrs_only_decoder(attrs: AttrSet) -> Callable[[DecodeCtx], list[Field]]:
    """A reply that is attributes only (AF_TIPC)."""
    def decode(ctx: DecodeCtx) -> list[Field]:
        if ctx.end <= ctx.start:
            return []
        fields = walk_attrs(ctx.buf, ctx.start, ctx.end, attrs, ctx.order, ctx.problems)
        return [Field("attributes", "nest", None, ctx.start, ctx.end, children=fields)]
    return decode


def _is_tipc_reply(ctx: DecodeCtx) -> bool:
    """One TIPC_NLA_SOCK attribute spanning the whole payload."""
    if ctx.end - ctx.start < 4:
        return False
    nla_len, nla_type = struct.unpack_from(ctx.order + "HH", ctx.buf, ctx.start)
    return nla_len == ctx.end - ctx.start and nla_type & 0x3FFF == S.TIPC_NLA_SOCK


# -- summaries -------------------------------------------------------------------------
def _kid(f: Field, name: str) -> Field | None:
    for c in f.children or ():
        if c.name == name:
            return c
    return None


def _attr(fields: list[Field], name: str) -> Field | None:
    for f in fields:
        if f.name == "attributes":
            for a in f.children or ():
                if a.name == name:
                    return a
    return None


def _endpoint(addr: Field, port: Field) -> str:
    a = addr.value
    host = f"[{a}]" if ":" in a else a
    return f"{host}:{port.value or '*'}"


def _states(v: int) -> str:
    v &= ~1  # bit 0 is no TCP state (ss sets it as SS_UNKNOWN)
    if v & S.ALL_STATES == S.ALL_STATES:
        return "ALL"
    names = [n.removeprefix("TCPF_") for n in flag_names(v, S.TCPF_STATES)]
    return ",".join(names) or "none"


def _proto_word(num: int | None) -> str:
    if num == S.IPPROTO_MPTCP:
        return "mptcp"
    return IPPROTO.get(num, str(num)) if num is not None else "?"


def inet_request_summary(msg: Message, fields: list[Field], proto: int | None = None) -> str:
    h = fields[0]
    fam = _kid(h, "sdiag_family") or _kid(h, "idiag_family")
    p = _kid(h, "sdiag_protocol")
    num = sf.num(_attr(fields, "INET_DIAG_REQ_PROTOCOL"), p.value if p is not None else proto)
    parts = [msg.type_name]
    if msg.flags & 0x300 == 0x300:
        parts.append("dump")
    parts += [S.FAMILY_WORD.get(fam.value, str(fam.value)), _proto_word(num)]
    states = _kid(h, "idiag_states")
    if msg.flags & 0x300 == 0x300:
        parts += ["states", _states(states.value)]
    else:
        parts += [_endpoint(_kid(h, "idiag_src"), _kid(h, "idiag_sport")), "->",
                  _endpoint(_kid(h, "idiag_dst"), _kid(h, "idiag_dport"))]
    if _attr(fields, "INET_DIAG_REQ_BYTECODE") is not None:
        parts.append("filter")
    return " ".join(parts)


def inet_reply_summary(msg: Message, fields: list[Field], proto: int | None = None) -> str:
    """`SOCK_DIAG_BY_FAMILY inet tcp LISTEN 0.0.0.0:22 -> 0.0.0.0:*`, like an ss line."""
    h = fields[0]
    fam = _kid(h, "idiag_family")
    pa = _attr(fields, "INET_DIAG_PROTOCOL")  # a u8: MPTCP's 262 comes as 6
    num = proto if proto is not None and proto > 255 else sf.num(pa, proto)
    state = _kid(h, "idiag_state")
    parts = [msg.type_name, S.FAMILY_WORD.get(fam.value, str(fam.value)), _proto_word(num),
             (state.meta or str(state.value)).removeprefix("TCP_").removeprefix("SCTP_STATE_"),
             _endpoint(_kid(h, "idiag_src"), _kid(h, "idiag_sport")), "->",
             _endpoint(_kid(h, "idiag_dst"), _kid(h, "idiag_dport"))]
    cong = _attr(fields, "INET_DIAG_CONG")
    if sf.text(cong):
        parts.append(sf.text(cong))
    return " ".join(parts)


def unix_request_summary(msg: Message, fields: list[Field], proto=None) -> str:
    h = fields[0]
    parts = [msg.type_name] + (["dump"] if msg.flags & 0x300 == 0x300 else []) + ["unix"]
    parts += ["states", _states(_kid(h, "udiag_states").value)]
    ino = _kid(h, "udiag_ino").value
    if ino:
        parts += ["ino", str(ino)]
    return " ".join(parts)


def unix_reply_summary(msg: Message, fields: list[Field], proto=None) -> str:
    h = fields[0]
    t, st = _kid(h, "udiag_type"), _kid(h, "udiag_state")
    parts = [msg.type_name, "unix", (t.meta or str(t.value)).removeprefix("SOCK_").lower(),
             (st.meta or str(st.value)).removeprefix("TCP_")]
    name = _attr(fields, "UNIX_DIAG_NAME")
    parts.append(sf.text(name, "*"))
    parts += ["ino", str(_kid(h, "udiag_ino").value)]
    peer = _attr(fields, "UNIX_DIAG_PEER")
    if peer is not None:
        parts += ["peer", str(peer.value)]
    return " ".join(parts)


def netlink_request_summary(msg: Message, fields: list[Field], proto=None) -> str:
    p = _kid(fields[0], "sdiag_protocol")
    parts = [msg.type_name] + (["dump"] if msg.flags & 0x300 == 0x300 else []) + ["netlink"]
    parts.append("all" if p.value == 255 else (p.meta or str(p.value)).removeprefix("NETLINK_").lower())
    return " ".join(parts)


def netlink_reply_summary(msg: Message, fields: list[Field], proto=None) -> str:
    h = fields[0]
    p = _kid(h, "ndiag_protocol")
    parts = [msg.type_name, "netlink", (p.meta or str(p.value)).removeprefix("NETLINK_").lower(),
             f"portid {_kid(h, 'ndiag_portid').value}"]
    dst = _kid(h, "ndiag_dst_portid").value
    if dst:
        parts.append(f"-> {dst}")
    parts += ["ino", str(_kid(h, "ndiag_ino").value)]
    return " ".join(parts)


def packet_request_summary(msg: Message, fields: list[Field], proto=None) -> str:
    return " ".join([msg.type_name] + (["dump"] if msg.flags & 0x300 == 0x300 else []) + ["packet"])


def packet_reply_summary(msg: Message, fields: list[Field], proto=None) -> str:
    h = fields[0]
    t = _kid(h, "pdiag_type")
    parts = [msg.type_name, "packet", (t.meta or str(t.value)).removeprefix("SOCK_").lower(),
             f"proto 0x{_kid(h, 'pdiag_num').value:04x}", "ino", str(_kid(h, "pdiag_ino").value)]
    info = _attr(fields, "PACKET_DIAG_INFO")
    if info is not None:
        parts += ["ifindex", sf.show(sf.num(sf.child(info, "pdi_index")))]
    return " ".join(parts)


def _dump_word(msg: Message) -> list[str]:
    return ["dump"] if msg.flags & 0x300 == 0x300 else []


def tipc_request_summary(msg: Message, fields: list[Field], proto=None) -> str:
    return " ".join([msg.type_name, *_dump_word(msg), "tipc", "states",
                     _states(_kid(fields[0], "tidiag_states").value)])


def tipc_reply_summary(msg: Message, fields: list[Field], proto=None) -> str:
    """`SOCK_DIAG_BY_FAMILY tipc rdm CLOSE 0:4210292085 ino 440` (addr:ref as ss)."""
    parts = [msg.type_name, "tipc"]
    t, st = find(fields, "TIPC_NLA_SOCK_TYPE"), find(fields, "TIPC_NLA_SOCK_TIPC_STATE")
    if t is not None:
        parts.append((t.meta or str(t.value)).removeprefix("SOCK_").lower())
    if st is not None:
        parts.append((st.meta or str(st.value)).removeprefix("TCP_"))
    addr, ref = find(fields, "TIPC_NLA_SOCK_ADDR"), find(fields, "TIPC_NLA_SOCK_REF")
    if addr is not None and ref is not None:
        parts.append(f"{addr.value}:{ref.value}")
    ino = find(fields, "TIPC_NLA_SOCK_INO")
    if ino is not None:
        parts += ["ino", str(ino.value)]
    return " ".join(parts)


def vsock_request_summary(msg: Message, fields: list[Field], proto=None) -> str:
    return " ".join([msg.type_name, *_dump_word(msg), "vsock", "states",
                     _states(_kid(fields[0], "vdiag_states").value)])


def _vsock_end(h: Field, side: str) -> str:
    cid, port = _kid(h, f"vdiag_{side}_cid").value, _kid(h, f"vdiag_{side}_port").value
    return f"{'*' if cid == 0xFFFFFFFF else cid}:{'*' if port == 0xFFFFFFFF else port}"


def vsock_reply_summary(msg: Message, fields: list[Field], proto=None) -> str:
    """`SOCK_DIAG_BY_FAMILY vsock stream LISTEN 1:5000 -> *:* ino 12`, like an ss line."""
    h = fields[0]
    t, st = _kid(h, "vdiag_type"), _kid(h, "vdiag_state")
    return " ".join([msg.type_name, "vsock", (t.meta or str(t.value)).removeprefix("SOCK_").lower(),
                     (st.meta or str(st.value)).removeprefix("TCP_"), _vsock_end(h, "src"), "->",
                     _vsock_end(h, "dst"), "ino", str(_kid(h, "vdiag_ino").value)])


def xdp_request_summary(msg: Message, fields: list[Field], proto=None) -> str:
    show = _kid(fields[0], "xdiag_show")
    parts = [msg.type_name, *_dump_word(msg), "xdp"]
    if show.value:
        parts += ["show", ",".join(n.removeprefix("XDP_SHOW_").lower() for n in show.meta)]
    return " ".join(parts)


def xdp_reply_summary(msg: Message, fields: list[Field], proto=None) -> str:
    h = fields[0]
    t = _kid(h, "xdiag_type")
    parts = [msg.type_name, "xdp", (t.meta or str(t.value)).removeprefix("SOCK_").lower(),
             "ino", str(_kid(h, "xdiag_ino").value)]
    info = _attr(fields, "XDP_DIAG_INFO")
    if info is not None:
        parts += ["ifindex", str(_kid(info, "ifindex").value), "queue", str(_kid(info, "queue_id").value)]
    return " ".join(parts)


def other_summary(msg: Message, fields: list[Field], proto=None) -> str:
    fam = _kid(fields[0], "sdiag_family") if fields and fields[0].children else None
    word = S.FAMILY_WORD.get(fam.value, str(fam.value)) if fam is not None else ""
    return " ".join(p for p in (msg.type_name, word) if p)


# (family, is_request) -> (header, attrs, summary); inet families are filled per v4/v6
_LAYOUTS: dict[tuple[int, bool], tuple[FixedHeader, AttrSet, Callable]] = {
    (S.AF_INET, True): (S.inet_req_v2(False), S.INET_REQ_ATTRS, inet_request_summary),
    (S.AF_INET6, True): (S.inet_req_v2(True), S.INET_REQ_ATTRS, inet_request_summary),
    (S.AF_INET, False): (S.inet_msg(False), S.INET_ATTRS, inet_reply_summary),
    (S.AF_INET6, False): (S.inet_msg(True), S.INET_ATTRS, inet_reply_summary),
    (S.AF_UNIX, True): (S.UNIX_REQ, S.EMPTY, unix_request_summary),
    (S.AF_UNIX, False): (S.UNIX_MSG, S.UNIX_ATTRS, unix_reply_summary),
    (S.AF_NETLINK, True): (S.NETLINK_REQ, S.EMPTY, netlink_request_summary),
    (S.AF_NETLINK, False): (S.NETLINK_MSG, S.NETLINK_ATTRS, netlink_reply_summary),
    (S.AF_PACKET, True): (S.PACKET_REQ, S.EMPTY, packet_request_summary),
    (S.AF_PACKET, False): (S.PACKET_MSG, S.PACKET_ATTRS, packet_reply_summary),
    (S.AF_TIPC, True): (S.TIPC_REQ, S.EMPTY, tipc_request_summary),
    (S.AF_VSOCK, True): (S.VSOCK_REQ, S.EMPTY, vsock_request_summary),
    (S.AF_VSOCK, False): (S.VSOCK_MSG, S.EMPTY, vsock_reply_summary),
    (S.AF_XDP, True): (S.XDP_REQ, S.EMPTY, xdp_request_summary),
    (S.AF_XDP, False): (S.XDP_MSG, S.XDP_ATTRS, xdp_reply_summary),
}
_OLD_REQ = {S.AF_INET: S.inet_req_v1(False), S.AF_INET6: S.inet_req_v1(True)}


class SockDiagProtocol(Protocol):
    def __init__(self) -> None:
        super().__init__(4, "sock_diag", {})
        self._cache: OrderedDict[tuple, MessageType] = OrderedDict()  # LRU, TYPE_CACHE entries

    def message_type(self, ctx: DecodeCtx) -> MessageType | None:
        name = NAMES.get(ctx.mtype)
        if name is None:
            return None
        fam = ctx.buf[ctx.start] if ctx.end > ctx.start else -1
        request = bool(ctx.flags & NLM_F_REQUEST)
        proto = None
        if ctx.mtype in (TCPDIAG_GETSOCK, DCCPDIAG_GETSOCK):
            proto = 6 if ctx.mtype == TCPDIAG_GETSOCK else 33
        elif not request and fam in (S.AF_INET, S.AF_INET6):
            proto = ctx.state.get("sock_diag.protocol", {}).get(_seq(ctx))
        elif not request and (fam, False) not in _LAYOUTS and _is_tipc_reply(ctx):
            fam = S.AF_TIPC
        key = (ctx.mtype, fam, request, proto)
        cache = self._cache
        mt = cache.get(key)
        if mt is None:
            mt = cache[key] = self._build(ctx.mtype, name, fam, request, proto)
            if len(cache) > TYPE_CACHE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return mt

    @staticmethod
    def _build(mtype: int, name: str, fam: int, request: bool, proto: int | None) -> MessageType:
        kind = "del" if mtype == SOCK_DESTROY else "get"
        layout = _LAYOUTS.get((fam, request))
        if mtype in (TCPDIAG_GETSOCK, DCCPDIAG_GETSOCK) and request:
            hdr = _OLD_REQ.get(fam)
            layout = (hdr, S.EMPTY, inet_request_summary) if hdr else None
        if fam == S.AF_TIPC and not request:
            return MessageType(name, kind, decode=_attrs_only_decoder(S.TIPC_ATTRS),
                               summary=lambda msg, fields: tipc_reply_summary(msg, fields))
        if layout is None:
            header, attrs, summ = S.SOCK_DIAG_REQ, S.EMPTY, other_summary
        else:
            header, attrs, summ = layout

        def summary(msg: Message, fields: list[Field], _s=summ, _p=proto) -> str:
            if not fields or fields[0].kind != "struct":  # too short for its header
                return other_summary(msg, fields)
            return _s(msg, fields, _p)
        return MessageType(name, kind, decode=_decoder(header, attrs, proto), summary=summary)

    def learns_from(self, msg: Message) -> bool:
        return msg.type == SOCK_DIAG_BY_FAMILY and bool(msg.flags & NLM_F_REQUEST)

    def learned(self, msg: Message, state: dict[str, Any]) -> dict[str, Any] | None:
        """Copy on write of this family's own entry only (no deep copy of the whole
        state per request)."""
        old = state.get("sock_diag.protocol", {})
        new = dict(state)
        new["sock_diag.protocol"] = dict(old)
        self.learn(msg, new)
        return new if new["sock_diag.protocol"] != old else None

    def learn(self, msg: Message, state: dict[str, Any]) -> None:
        """Remember each inet request's protocol by sequence number (ss uses one
        fixed sequence number, so the latest request wins, as in capture order); the
        SEQ_MEMORY latest sequence numbers only."""
        if msg.type != SOCK_DIAG_BY_FAMILY or not msg.flags & NLM_F_REQUEST or len(msg.tree) < 2:
            return
        h = msg.tree[1]
        p = _kid(h, "sdiag_protocol") if h.children else None
        fam = _kid(h, "sdiag_family") if h.children else None
        if p is not None and fam is not None and fam.value in (S.AF_INET, S.AF_INET6):
            seqs = state.setdefault("sock_diag.protocol", {})
            seqs.pop(msg.seq, None)  # re-inserted: the latest request is the newest entry
            # a protocol past 255 (MPTCP) comes in INET_DIAG_REQ_PROTOCOL, sdiag_protocol
            # holding its low byte (inet_diag_get_protocol)
            seqs[msg.seq] = sf.num(_attr(msg.tree, "INET_DIAG_REQ_PROTOCOL"), p.value)
            while len(seqs) > SEQ_MEMORY:
                del seqs[next(iter(seqs))]


def _seq(ctx: DecodeCtx) -> int:
    return struct.unpack_from(ctx.order + "I", ctx.buf, ctx.start - 8)[0]


def register(registry) -> None:
    registry.add(SockDiagProtocol())
