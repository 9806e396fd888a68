"""NETLINK_XFRM (6): IPsec SAs and policies as `ip xfrm` makes and shows them.
Facts: linux/xfrm.h (message types, fixed headers per type as the kernel's
xfrm_msg_min, XFRMA_* attributes). Layouts are in xfrm_structs.py.
"""
from __future__ import annotations

from collections.abc import Callable

from nlscope.decode.model import Field
from nlscope.decode.nla import FixedHeader, ip_text, walk_attrs
from nlscope.decode.registry import DecodeCtx, MessageType, Protocol
from nlscope.decode.summary_fields import attr, child, hexnum, num, show, text, word

from . import xfrm_structs as X
from .nf_common import IPPROTO

MSGS = {i + 0x10: "XFRM_MSG_" + n for i, n in enumerate([
    "NEWSA", "DELSA", "GETSA", "NEWPOLICY", "DELPOLICY", "GETPOLICY", "ALLOCSPI", "ACQUIRE", "EXPIRE",
    "UPDPOLICY", "UPDSA", "POLEXPIRE", "FLUSHSA", "FLUSHPOLICY", "NEWAE", "GETAE", "REPORT", "MIGRATE",
    "NEWSADINFO", "GETSADINFO", "NEWSPDINFO", "GETSPDINFO", "MAPPING", "SETDEFAULT", "GETDEFAULT"])}
GETSA, GETPOLICY = 0x12, 0x15

# fixed header of each type (the kernel's xfrm_msg_min), its attribute table
HEADERS: dict[str, FixedHeader | None] = {
    "NEWSA": X.H_USERSA_INFO, "UPDSA": X.H_USERSA_INFO, "DELSA": X.H_USERSA_ID, "GETSA": X.H_USERSA_ID,
    "NEWPOLICY": X.H_USERPOLICY_INFO, "UPDPOLICY": X.H_USERPOLICY_INFO,
    "DELPOLICY": X.H_USERPOLICY_ID, "GETPOLICY": X.H_USERPOLICY_ID, "ALLOCSPI": X.H_USERSPI_INFO,
    "ACQUIRE": X.H_ACQUIRE, "EXPIRE": X.H_EXPIRE, "POLEXPIRE": X.H_POLEXPIRE, "FLUSHSA": X.H_FLUSH,
    "FLUSHPOLICY": None, "NEWAE": X.H_AEVENT_ID, "GETAE": X.H_AEVENT_ID, "REPORT": X.H_REPORT,
    "MIGRATE": X.H_USERPOLICY_ID, "NEWSADINFO": X.H_INFO_FLAGS, "GETSADINFO": X.H_INFO_FLAGS,
    "NEWSPDINFO": X.H_INFO_FLAGS, "GETSPDINFO": X.H_INFO_FLAGS, "MAPPING": X.H_MAPPING,
    "SETDEFAULT": X.H_DEFAULT, "GETDEFAULT": X.H_DEFAULT}
ATTRS = {"NEWSADINFO": X.SAD, "GETSADINFO": X.SAD, "NEWSPDINFO": X.SPD, "GETSPDINFO": X.SPD}
KINDS = {"NEW": "new", "UPD": "new", "DEL": "del", "GET": "get", "FLU": "del", "ALL": "new", "SET": "new"}
AF_INET = 2


# -- fix-ups the tables cannot say -------------------------------------------------------
def _family_of(f: Field) -> int | None:
    for c in f.children or ():
        if c.name == "family" and c.kind == "enum":
            return c.value
    for c in f.children or ():  # a struct whose family sits in an inner struct (aevent_id, mapping)
        if c.name in ("sa_id", "id", "sel") and c.children:
            v = _family_of(c)
            if v is not None:
                return v
    return None


def _addresses(buf: bytes, fields: list[Field], family: int | None) -> None:
    """xfrm_address_t is 16 bytes; an AF_INET address uses the first 4."""
    for f in fields:
        if f.kind == "addr" and f.end - f.start == 16 or (f.kind == "addr" and f.end - f.start == 20):
            fam = family
            if f.name.startswith("old_") or f.name.startswith("new_"):
                fam = None  # xfrm_user_migrate: decided by its own old_/new_family below
            if fam == AF_INET:
                a = f.end - 16
                f.value = ip_text(bytes(buf[a:a + 4]))
        elif f.children:
            own = _family_of(f)  # a selector of AF_UNSPEC takes its SA's family, as ip xfrm shows it
            _addresses(buf, f.children, own if own else family)
            if f.name == "xfrm_user_migrate":
                fams = {c.name: c.value for c in f.children if c.name.endswith("_family")}
                for c in f.children:
                    if c.kind == "addr" and fams.get(c.name[:3] + "_family") == AF_INET:
                        c.value = ip_text(bytes(buf[c.start:c.start + 4]))


def _array(buf: bytes, f: Field, st: FixedHeader, order: str) -> None:
    """An attribute holding an array of one struct (XFRMA_TMPL, XFRMA_MIGRATE)."""
    p, end = f.start + 4, f.end
    kids = []
    while end - p >= st.size:
        kids.append(Field(st.name, "struct", None, p, p + st.size, children=st.parse(buf, p, order)))
        p += st.size
    if p < end:
        kids.append(Field("trailing", "bytes", bytes(buf[p:end]), p, end))
    f.kind, f.value, f.children = "list", None, kids


def _fixups(buf: bytes, attrs: list[Field], order: str, family: int | None) -> None:
    for f in attrs:
        if f.name == "XFRMA_TMPL" and f.kind == "bytes":
            _array(buf, f, X.TMPL, order)
        elif f.name == "XFRMA_MIGRATE" and f.kind == "bytes":
            _array(buf, f, X.MIGRATE, order)
        elif f.name.startswith("XFRMA_ALG_") and f.kind == "struct":
            head = 4 + {"XFRMA_ALG_AUTH_TRUNC": 72, "XFRMA_ALG_AEAD": 72}.get(f.name, 68)
            bits = next(c.value for c in f.children if c.name == "alg_key_len")
            a = f.start + head
            b = min(f.end, a + (bits + 7) // 8)
            f.children.append(Field("alg_key", "bytes", bytes(buf[a:b]), a, b))
        elif f.name == "XFRMA_SEC_CTX" and f.kind == "struct":
            a = f.start + 4 + 8
            f.children.append(Field("ctx_str", "str", bytes(buf[a:f.end]).split(b"\0", 1)[0]
                                    .decode("utf-8", "replace"), a, f.end))
        elif f.name == "XFRMA_REPLAY_ESN_VAL" and f.kind == "struct" and f.end - f.start > 28:
            a = f.start + 28
            f.children.append(Field("bmp", "bytes", bytes(buf[a:f.end]), a, f.end))
    _addresses(buf, attrs, family)


def _decoder(header: FixedHeader | None, attrs) -> Callable[[DecodeCtx], list[Field]]:
    def decode(ctx: DecodeCtx) -> list[Field]:
        pos, end = ctx.start, ctx.end
        out: list[Field] = []
        family = None
        if header is not None:
            if end - pos < header.size:
                ctx.problems.append(f"{header.name}: needs {header.size} bytes, message has {end - pos}")
                return [Field("data", "bytes", bytes(ctx.buf[pos:end]), pos, end)] if end > pos else []
            h = Field(header.name, "struct", None, pos, pos + header.size,
                      children=header.parse(ctx.buf, pos, ctx.order))
            family = _family_of(h)
            if family is None and header is X.H_ACQUIRE:
                family = _family_of(h.children[2])  # its selector
            _addresses(ctx.buf, [h], family)
            out.append(h)
            pos += (header.size + 3) & ~3
        if pos < end:
            fields = walk_attrs(ctx.buf, pos, end, attrs, ctx.order, ctx.problems)
            _fixups(ctx.buf, fields, ctx.order, family)
            out.append(Field("attributes", "nest", None, pos, end, children=fields))
        return out
    return decode


# -- summaries ---------------------------------------------------------------------------
_get = child  # summaries read through nlscope.decode.summary_fields: bad input shows less
_attr = attr


def _short(f: Field | None, prefix: str) -> str:
    return word(f, prefix)


def _proto(f: Field | None) -> str:
    v = num(f)
    if v is None:
        return "?"
    return {50: "esp", 51: "ah", 108: "comp", 43: "route2", 60: "hao", 255: "any", 0: "any"}.get(v, str(v))


def _selector(sel: Field | None) -> list[str]:
    if sel is None:
        return []
    s, d = _get(sel, "saddr"), _get(sel, "daddr")
    out = [f"{text(s, '?')}/{show(num(_get(sel, 'prefixlen_s')))}", "->", f"{text(d, '?')}/{show(num(_get(sel, 'prefixlen_d')))}"]
    proto = num(_get(sel, "proto"))
    if proto:
        out += ["proto", IPPROTO.get(proto, str(proto))]
        if proto in (1, 58):  # ICMP, ICMPv6: the type in sport, the code in dport (xfrm_flowi_sport)
            for key, word in (("sport", "type"), ("dport", "code")):
                if num(_get(sel, key + "_mask")):
                    out += [word, str(num(_get(sel, key)))]
            return out
        for key in ("sport", "dport"):
            v = num(_get(sel, key))
            if v:
                out += [key, str(v)]
    return out


def _algos(fields: list[Field]) -> list[str]:
    out = []
    for name, word in (("XFRMA_ALG_AEAD", "aead"), ("XFRMA_ALG_CRYPT", "enc"), ("XFRMA_ALG_AUTH_TRUNC", "auth"),
                       ("XFRMA_ALG_AUTH", "auth"), ("XFRMA_ALG_COMP", "comp")):
        a = _attr(fields, name)
        if a is not None and a.kind == "struct":
            if word == "auth" and "auth" in out:
                continue
            out += [word, text(_get(a, "alg_name"), '?')]
    return out


def _sa(info: Field, fields: list[Field]) -> list[str]:
    out = [text(_get(info, "saddr"), '?'), "->", text(_get(info, "id", "daddr"), '?'), _proto(_get(info, "id", "proto")),
           f"spi {hexnum(_get(info, 'id', 'spi'))}"]
    reqid = num(_get(info, "reqid"))
    if reqid:
        out.append(f"reqid {reqid}")
    out += ["mode", _short(_get(info, "mode"), "XFRM_MODE_")]
    return out + _algos(fields)


def _policy(pol: Field, fields: list[Field]) -> list[str]:
    out = _selector(_get(pol, "sel")) + ["dir", _short(_get(pol, "dir"), "XFRM_POLICY_")]
    prio = _get(pol, "priority")
    if num(prio):
        out += ["priority", str(num(prio))]
    if num(_get(pol, "action")):
        out.append("block")
    tmpl = _attr(fields, "XFRMA_TMPL")
    for t in (tmpl.children or []) if tmpl is not None and tmpl.kind == "list" else []:
        if t.name != "xfrm_user_tmpl":
            continue
        out += ["tmpl", _proto(_get(t, "id", "proto")), _short(_get(t, "mode"), "XFRM_MODE_")]
        src, dst = text(_get(t, "saddr"), '?'), text(_get(t, "id", "daddr"), '?')
        if src not in ("0.0.0.0", "::") or dst not in ("0.0.0.0", "::"):
            out += [src, "->", dst]
        if num(_get(t, "reqid")):
            out.append(f"reqid {show(num(_get(t, 'reqid')))}")
    return out


def summary(msg, fields: list[Field]) -> str:
    name = msg.type_name
    verb = name.removeprefix("XFRM_MSG_")
    parts = [name]
    h = fields[0] if fields and fields[0].name != "attributes" else None
    dump = msg.flags & 0x301 == 0x301
    if h is None or h.name == "flags" and not _attr(fields, "XFRMA_SAD_CNT") and not _attr(fields, "XFRMA_SPD_INFO"):
        if dump:
            parts.append("dump")
        f = _attr(fields, "XFRMA_PROTO")
        if f is not None:
            parts += ["proto", _proto(f)]
        return " ".join(parts)
    if h.name == "xfrm_usersa_info":
        parts += _sa(h, fields)
    elif h.name == "xfrm_usersa_id":
        src = _attr(fields, "XFRMA_SRCADDR")
        parts += ([text(src, "?"), "->"] if src is not None else ["dst"]) + [
            text(_get(h, "daddr"), '?'), _proto(_get(h, "proto")), f"spi {hexnum(_get(h, 'spi'))}"]
        sa = _attr(fields, "XFRMA_SA")
        if sa is not None and verb == "DELSA":
            parts += ["mode", _short(_get(sa, "mode"), "XFRM_MODE_")]
    elif h.name == "xfrm_userpolicy_info":
        parts += _policy(h, fields)
    elif h.name == "xfrm_userpolicy_id":
        pol = _attr(fields, "XFRMA_POLICY")
        if pol is not None and pol.kind == "struct":
            parts += _policy(pol, fields)
        else:
            index = num(_get(h, "index"))
            parts += _selector(_get(h, "sel")) + ["dir", _short(_get(h, "dir"), "XFRM_POLICY_")]
            if index:
                parts += ["index", str(index)]
    elif h.name == "xfrm_user_expire":
        parts += ["hard" if num(_get(h, "hard")) else "soft"] + _sa(_get(h, "state"), fields)
    elif h.name == "xfrm_user_polexpire":
        parts += ["hard" if num(_get(h, "hard")) else "soft"] + _policy(_get(h, "pol"), fields)
    elif h.name == "xfrm_user_acquire":
        parts += [text(_get(h, "saddr"), '?'), "->", text(_get(h, "id", "daddr"), '?'), _proto(_get(h, "id", "proto"))]
        parts += ["sel"] + _selector(_get(h, "sel"))
    elif h.name == "xfrm_userspi_info":
        info = _get(h, "info")
        parts += [text(_get(info, "saddr"), '?'), "->", text(_get(info, "id", "daddr"), '?'),
                  _proto(_get(info, "id", "proto")), f"spi {hexnum(_get(h, 'min'))}-{hexnum(_get(h, 'max'))}"]
    elif h.name == "xfrm_usersa_flush":
        parts += ["proto", _proto(_get(h, "proto"))]
    elif h.name == "xfrm_aevent_id":
        sa = _get(h, "sa_id")
        parts += [text(_get(sa, "daddr"), '?'), _proto(_get(sa, "proto")), f"spi {hexnum(_get(sa, 'spi'))}"]
    elif h.name == "flags":
        cnt, hinfo = _attr(fields, "XFRMA_SAD_CNT"), _attr(fields, "XFRMA_SAD_HINFO")
        if cnt is not None:
            parts += ["count", show(num(cnt))]
        if hinfo is not None:
            parts += ["buckets", f"{show(num(_get(hinfo, 'sadhcnt')))}/{show(num(_get(hinfo, 'sadhmcnt')))}"]
        info = _attr(fields, "XFRMA_SPD_INFO")
        if info is not None:
            parts += [f"{k} {show(num(_get(info, k + 'cnt')))}" for k in ("in", "out", "fwd")]
    elif h.name == "xfrm_user_mapping":
        parts += [f"{text(_get(h, 'old_saddr'), '?')}:{show(num(_get(h, 'old_sport')))}", "->",
                  f"{text(_get(h, 'new_saddr'), '?')}:{show(num(_get(h, 'new_sport')))}"]
    elif h.name == "xfrm_userpolicy_default":
        parts += [f"{k} {_short(_get(h, k), 'XFRM_USERPOLICY_')}" for k in ("in", "fwd", "out")]
    elif h.name == "xfrm_user_report":
        parts += [_proto(_get(h, "proto"))] + _selector(_get(h, "sel"))
    return " ".join(parts)


class XfrmProtocol(Protocol):
    def __init__(self) -> None:
        msgs = {}
        for t, name in MSGS.items():
            verb = name.removeprefix("XFRM_MSG_")
            msgs[t] = MessageType(name, KINDS.get(verb[:3], "other"),
                                  decode=_decoder(HEADERS[verb], ATTRS.get(verb, X.XFRMA)), summary=summary)
        super().__init__(6, "xfrm", msgs)
        # SA and policy dumps: the kernel reads attributes (XFRMA_ADDRESS_FILTER,
        # XFRMA_PROTO) straight after the nlmsghdr, with no fixed header
        self._dumps = {t: MessageType(MSGS[t], "get", decode=_decoder(None, X.XFRMA), summary=summary)
                       for t in (GETSA, GETPOLICY)}

    def message_type(self, ctx: DecodeCtx) -> MessageType | None:
        if ctx.mtype in self._dumps and ctx.flags & 0x301 == 0x301:
            return self._dumps[ctx.mtype]
        return self.messages.get(ctx.mtype)

    def default_kind(self, mtype: int) -> str:
        return "other"


def register(registry) -> None:
    registry.add(XfrmProtocol())
