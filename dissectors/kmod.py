"""The project's kernel modules on their raw netlink protocol (kmod/include/nlgreet.h,
kmod/include/rtmgr.h): nlgreet.ko and rtmgr.ko.

  type 20  NLGREET     a NUL-terminated string (request and reply)
  type 21  RT_CREATE   struct rtmgr_route (48 bytes), and as an "events" notification
  type 22  RT_UPDATE   "
  type 23  RT_DELETE   "
  type 24  RT_GET      "; a dump request (NLM_F_DUMP) may carry no payload

The protocol number is the modules' `proto` parameter (default 31). How a user picks it:
  * 31 is registered by default (strictly: these types are the protocol);
  * `--kmod-proto N` (repeatable; `add_protocol(registry, N)`) registers it on N too,
    e.g. 2 = NETLINK_USERSOCK, the number nlmon can see;
  * on NETLINK_USERSOCK (2), which has no format of its own, a message is taken for a
    kmod message without the option when it validates strictly (a type 20..24 with a
    payload of exactly that shape); once one has, the capture is taken to carry the
    modules on 2 and later messages of types 20..24 decode as such even when malformed
    (their problems then say why). Before that, anything else there stays raw.
The RTMGR generic netlink family is in genl_rtmgr.py.
"""
from __future__ import annotations

import construct as cs

from nlscope.decode.decoder import trailing_fields
from nlscope.decode.model import Field, Message, find
from nlscope.decode.nla import FixedHeader
from nlscope.decode import summary_fields as sf
from nlscope.decode.registry import DecodeCtx, MessageType, Protocol

DEFAULT_PROTO = 31
NETLINK_USERSOCK = 2
NLGREET_MSG_GREET = 20
RTMGR_ROUTE_SIZE = 48
NLM_F_DUMP = 0x300

RTMGR_ROUTE = FixedHeader("rtmgr_route", cs.Struct(
    "dest" / cs.Bytes(4),
    "mask" / cs.Int8un,
    "pad" / cs.Bytes(3),
    "gw" / cs.Bytes(4),
    "metric" / cs.Int32un,  # host byte order
    "oif" / cs.Bytes(32),
), kinds={"dest": "ipv4", "gw": "ipv4", "oif": "string"})
assert RTMGR_ROUTE.size == RTMGR_ROUTE_SIZE


def route_text(dest: str | None, mask: int | None, gw: str | None, oif: str | None,
               metric: int | None) -> str:
    """'10.1.0.0/24 via 10.0.0.1 dev eth0 metric 5' (ip route style); parts left out
    when absent, 'via' when the gateway is 0.0.0.0."""
    parts = []
    if dest is not None:
        parts.append(f"{dest}/{mask}" if mask is not None else dest)
    if gw is not None and gw != "0.0.0.0":
        parts.append(f"via {gw}")
    if oif:
        parts.append(f"dev {oif}")
    if metric is not None:
        parts.append(f"metric {metric}")
    return " ".join(parts)


def _greet_decode(ctx: DecodeCtx) -> list[Field]:
    raw = bytes(ctx.buf[ctx.start:ctx.end])
    if not raw:
        ctx.problems.append("NLGREET: no payload (expected a NUL-terminated string)")
        return []
    nul = raw.find(b"\0")
    if nul < 0:
        ctx.problems.append("NLGREET: string is not NUL-terminated")
        text, end = raw, ctx.end
    else:
        text, end = raw[:nul], ctx.start + nul + 1
    out = [Field("text", "str", text.decode("utf-8", "replace"), ctx.start, end)]
    if end < ctx.end and raw[nul + 1:].strip(b"\0"):
        out.append(Field("trailing", "bytes", raw[nul + 1:], end, ctx.end))
    return out


def _greet_summary(msg: Message, fields: list[Field]) -> str:
    text = fields[0].value if fields and fields[0].name == "text" else None
    return f'NLGREET "{text}"' if text is not None else "NLGREET"


def _route_decode(name: str):
    def decode(ctx: DecodeCtx) -> list[Field]:
        n = ctx.end - ctx.start
        if n == 0 and ctx.flags & NLM_F_DUMP == NLM_F_DUMP:
            return []  # a dump request without a key
        if n < RTMGR_ROUTE_SIZE:
            ctx.problems.append(f"{name}: struct rtmgr_route needs {RTMGR_ROUTE_SIZE} bytes, "
                                f"message has {n}")
            return [Field("data", "bytes", bytes(ctx.buf[ctx.start:ctx.end]), ctx.start, ctx.end)] if n else []
        out = [Field("rtmgr_route", "struct", None, ctx.start, ctx.start + RTMGR_ROUTE_SIZE,
                     children=RTMGR_ROUTE.parse(ctx.buf, ctx.start, ctx.order))]
        pad = out[0].children[2]
        if pad.value != b"\0\0\0":
            ctx.problems.append(f"{name}: rtmgr_route.pad is not zero ({pad.value.hex()})")
        if n > RTMGR_ROUTE_SIZE:  # the module refuses it; the struct still reads
            out.extend(trailing_fields(ctx.buf, ctx.start + RTMGR_ROUTE_SIZE, ctx.end,
                                       "struct rtmgr_route"))
        return out
    return decode


def _route_summary(name: str):
    def summary(msg: Message, fields: list[Field]) -> str:
        r = find(fields, "rtmgr_route")
        if r is None:
            return f"{name} (dump)" if msg.flags & NLM_F_DUMP == NLM_F_DUMP else name
        def k(member: str, read=sf.text):
            return read(sf.child(r, member))
        dest_only = name in ("RT_DELETE", "RT_GET") and msg.flags & 1  # requests use the key only
        text = route_text(k("dest"), k("mask", sf.num), None if dest_only else k("gw"),
                          None if dest_only else k("oif"), None if dest_only else k("metric", sf.num))
        extra = find(fields, "trailing")
        return f"{name} {text}" + (f" (+{extra.end - extra.start} bytes)" if extra else "")
    return summary


ROUTE_TYPES = {21: ("RT_CREATE", "new"), 22: ("RT_UPDATE", "other"), 23: ("RT_DELETE", "del"),
               24: ("RT_GET", "get")}
_NAMES = frozenset({"NLGREET", *(n for n, _ in ROUTE_TYPES.values())})


def messages() -> dict[int, MessageType]:
    out = {NLGREET_MSG_GREET: MessageType("NLGREET", "other", decode=_greet_decode,
                                          summary=_greet_summary)}
    for t, (name, kind) in ROUTE_TYPES.items():
        out[t] = MessageType(name, kind, decode=_route_decode(name), summary=_route_summary(name))
    return out


class KmodProtocol(Protocol):
    """nlgreet/rtmgr on the number the modules were loaded with."""

    def default_kind(self, mtype: int) -> str:
        return ROUTE_TYPES.get(mtype, ("", "other"))[1]


STATE_KEY = "kmod_on_usersock"


class UsersockHeuristic(KmodProtocol):
    """NETLINK_USERSOCK: a message is a kmod message if its payload has exactly the
    shape its type needs, or if an earlier message of the capture was one."""

    def message_type(self, ctx: DecodeCtx) -> MessageType | None:
        spec = self.messages.get(ctx.mtype)
        if spec is None:
            return None
        if ctx.state.get(STATE_KEY):
            return spec
        n = ctx.end - ctx.start
        if n == 0:  # e.g. the capped echo of a request inside an ACK: the type decides
            return spec
        if ctx.mtype == NLGREET_MSG_GREET:
            raw = bytes(ctx.buf[ctx.start:ctx.end])
            nul = raw.find(b"\0")
            if nul < 0 or raw[nul:].strip(b"\0") or not raw[:nul].decode("utf-8", "replace").isprintable():
                return None
            return spec
        if n == RTMGR_ROUTE_SIZE:
            return spec
        return None

    def learn(self, msg: Message, state: dict) -> None:
        if not state.get(STATE_KEY) and msg.type in self.messages and msg.type_name in _NAMES \
                and not msg.problems:
            state[STATE_KEY] = True


def add_protocol(registry, number: int) -> None:
    """Decode `number` as the kmod raw protocol (the modules' proto= parameter)."""
    if not 0 <= number < 32:
        raise ValueError(f"netlink protocol numbers are 0..31, not {number}")
    registry.add(KmodProtocol(number, family_name(number), messages()), number)


def family_name(number: int) -> str:
    """'kmod' on the modules' default protocol, 'kmod25' on another: two protocols
    carrying the modules (rtmgr proto=25, nlgreet proto=26) stay apart in every view."""
    return "kmod" if number == DEFAULT_PROTO else f"kmod{number}"


def register(registry) -> None:
    registry.add(KmodProtocol(DEFAULT_PROTO, "kmod", messages()))
    if registry.get(NETLINK_USERSOCK) is None:
        registry.add(UsersockHeuristic(NETLINK_USERSOCK, "usersock", messages()))
