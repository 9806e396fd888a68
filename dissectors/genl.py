"""Generic netlink (NETLINK_GENERIC, protocol 16): genlmsghdr, the family registry
keyed by family NAME, and family-id resolution (linux/genetlink.h).

A family module describes itself as a GenlFamily and calls `add_family(registry, fam)`
from its register(); families live in `registry.extras["genl"]` keyed by name, so
module load order does not matter. The numeric id of a family is per host and per
boot, so it is resolved per capture:
  * GENL_ID_CTRL (0x10) is always "nlctrl";
  * CTRL_CMD_NEWFAMILY messages seen in the capture teach id -> name (`learn`);
  * a map saved with the capture: a pcapng section comment line
        nlscope-genl-families: {"nl80211": 33, "ethtool": 20}
    (written by `genl_family_map_comment`, read by `capture_comment`).
A message of an id nobody taught is still decoded: `genl family 0x1c cmd 3`, its
genlmsghdr and its attributes as UNKNOWN(n).
"""
from __future__ import annotations

import json
import struct
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import construct as cs

from nlscope.decode.model import Field, Message
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, walk_attrs
from nlscope.decode.registry import DecodeCtx, MessageType, Protocol

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
NLMSG_HDRLEN = 16
GENL_HDRLEN = 4
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2  # linux/genetlink.h
_U16 = {o: struct.Struct(o + "H") for o in "<>"}
CTRL_CMD_NEWFAMILY, CTRL_CMD_DELFAMILY = 1, 2
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
# Message types built per (family, command, direction): a least-recently-used cache of
# this many. A capture of random family ids and commands must not grow it without end.
TYPE_CACHE = 1024

# registry.extras[FILL_KEY]: (name, family or None) -> a GenlFamily with attribute
# tables for a family that has none, or None (nlscope.decode.ynl.spec_filler)
FILL_KEY = "genl_fill"
STATE_KEY = "genl_ids"  # per-capture state: {family id: family name}
COMMENT_KEY = "nlscope-genl-families"

GENLMSGHDR_STRUCT = cs.Struct(
    "cmd" / cs.Int8un,
    "version" / cs.Int8un,
    "reserved" / cs.Int16un,
)
GENLMSGHDR = FixedHeader("genlmsghdr", GENLMSGHDR_STRUCT)
EMPTY = AttrSet("unknown")

# summary(command name, payload fields) -> the text after "<family> <CMD>"
FamilySummary = Callable[[str, list[Field]], str]


@dataclass(eq=False)
class GenlFamily:
    """One generic netlink family, described as data.

    name      the kernel's family name (CTRL_ATTR_FAMILY_NAME), the registry key
    commands  cmd number -> name without prefix ("NEW_INTERFACE"); user -> kernel, and
              both directions unless `replies` is given
    replies   kernel -> user names when the family numbers them apart (ethtool)
    attrs     the attribute space shared by the commands (None: UNKNOWN(n) attributes)
    cmd_attrs command name -> its own attribute space (ethtool: one per message)
    summary   the Info text after "<family> <CMD>"
    kinds     command name -> "get"/"new"/"del"/"other" where the name does not tell
    header    a family header after genlmsghdr (e.g. struct ovs_header)
    cmd_headers command name -> its own family header, where commands differ
    cmd_decoders command name -> its own payload decoder (DecodeCtx -> fields), for a
              payload that is not header + attributes (nl80211's wiped echo)
    fixed_id  a family id fixed by the kernel (nlctrl: 0x10)
    """

    name: str
    commands: Mapping[int, str]
    attrs: AttrSet | None = None
    replies: Mapping[int, str] | None = None
    cmd_attrs: Mapping[str, AttrSet] = field(default_factory=dict)
    summary: FamilySummary | None = None
    kinds: Mapping[str, str] = field(default_factory=dict)
    header: FixedHeader | None = None
    fixed_id: int | None = None
    cmd_headers: Mapping[str, FixedHeader] = field(default_factory=dict)
    label: str | None = None  # shown name, default `name`
    cmd_decoders: Mapping[str, Callable[[DecodeCtx], list[Field]]] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return self.label or self.name

    def command_name(self, cmd: int, request: bool) -> str | None:
        names = self.commands if request or self.replies is None else self.replies
        return names.get(cmd)


_GET = ("GET", "DUMP", "LIST", "QUERY", "SHOW")
_NEW = ("NEW", "ADD", "CREATE")
_DEL = ("DEL", "DELETE", "REMOVE", "DESTROY", "FLUSH")


def cmd_kind(name: str | None) -> str:
    """The message kind a command name implies (which names the high flag bits): the
    first GET/NEW/DEL-like word decides. Replies and notifications carry objects, like
    rtnetlink's NEW types. Glued names (nlctrl's GETFAMILY) are declared by the family."""
    if not name:
        return "other"
    words = name.split("_")
    if words[-1] in ("REPLY", "NTF"):
        return "new"
    for w in words:
        if w in _GET:
            return "get"
        if w in _NEW:
            return "new"
        if w in _DEL:
            return "del"
    return "other"


def family_map(registry) -> dict[str, GenlFamily]:
    return registry.extras.setdefault("genl", {})


def add_family(registry, fam: GenlFamily) -> None:
    """Register `fam` (by name; a later one of the same name replaces it) and make
    sure protocol 16 is dissected as generic netlink."""
    family_map(registry)[fam.name] = fam
    proto = registry.get(NETLINK_GENERIC)
    if not isinstance(proto, GenlProtocol):
        proto = GenlProtocol(registry)
        registry.add(proto)
    proto.invalidate()


def seed_ids(state: dict[str, Any], ids: Mapping[str, int]) -> None:
    """Teach the per-capture state family ids known from elsewhere (a saved map,
    the live kernel): {name: id}."""
    known = state.setdefault(STATE_KEY, {})
    for name, fid in ids.items():
        known[int(fid)] = str(name)


def genl_family_map_comment(ids: Mapping[str, int]) -> str:
    """The pcapng section comment that saves a capture's family ids, e.g.
    'nlscope-genl-families: {"ethtool": 20, "nl80211": 33}'. A capture writer puts it
    in the SHB; the reader seeds the decoder with it."""
    clean = {str(k): int(v) for k, v in sorted(ids.items(), key=lambda kv: kv[0])}
    return f"{COMMENT_KEY}: {json.dumps(clean, separators=(', ', ': '))}"


def parse_family_map_comment(text: str) -> dict[str, int] | None:
    """The {name: id} map of a section comment, or None if the comment has none.
    Any line of the comment may carry it; bad JSON yields None, never raises."""
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith(COMMENT_KEY + ":"):
            continue
        try:
            data = json.loads(line[len(COMMENT_KEY) + 1:])
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        out = {}
        for k, v in data.items():
            if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 0x10000:
                out[str(k)] = v
        return out
    return None


def _hdr_for(names: Mapping[int, str]) -> FixedHeader:
    return FixedHeader("genlmsghdr", GENLMSGHDR_STRUCT, enums={"cmd": names})


class GenlProtocol(Protocol):
    """Protocol 16: the family is the nlmsg_type (a per-boot id), the command is
    genlmsghdr.cmd; both are resolved per message against the per-capture state."""

    def __init__(self, registry):
        super().__init__(NETLINK_GENERIC, "generic")
        self.families = family_map(registry)
        self.registry = registry
        self._types: OrderedDict[tuple, MessageType] = OrderedDict()  # LRU, TYPE_CACHE entries
        self._fixed: dict[int, str] = {}

    def invalidate(self) -> None:
        self._types.clear()
        self._fixed = {f.fixed_id: n for n, f in self.families.items() if f.fixed_id is not None}

    def family_name(self, fid: int, state: dict[str, Any]) -> str | None:
        name = self._fixed.get(fid)
        if name is None:
            ids = state.get(STATE_KEY)
            if ids:
                name = ids.get(fid)
        return name

    def message_type(self, ctx: DecodeCtx) -> MessageType | None:
        fid = ctx.mtype
        name = self.family_name(fid, ctx.state)
        if ctx.end - ctx.start < GENL_HDRLEN:  # no room for genlmsghdr: say so, keep bytes
            label = name or f"genl family 0x{fid:x}"
            return MessageType(label, "other", header=GENLMSGHDR)
        cmd = ctx.buf[ctx.start]
        request = bool(ctx.flags & NLM_F_REQUEST)
        fam = self.families.get(name) if name else None
        if name and (fam is None or (fam.attrs is None and not fam.cmd_attrs)):
            fam = self._filled(name, fam)
        key = (fid if fam is None else None, name, request, cmd,
               (ctx.flags & NLM_F_DUMP) == NLM_F_DUMP and request)
        types = self._types
        mt = types.get(key)
        if mt is None:
            mt = types[key] = self._build(fid, name, fam, request, cmd, key[-1])
            if len(types) > TYPE_CACHE:
                types.popitem(last=False)
        else:
            types.move_to_end(key)
        return mt

    def _filled(self, name: str, fam: GenlFamily | None) -> GenlFamily | None:
        """A family nobody gave attribute tables, completed by the registry's filler (the
        kernel's YNL spec of that name, when installed), else as it was."""
        fill = self.registry.extras.get(FILL_KEY)
        new = fill(name, fam) if fill is not None else None
        if new is None:
            return fam
        self.families[name] = new
        return new

    def _build(self, fid: int, name: str | None, fam: GenlFamily | None, request: bool,
               cmd: int, dump_req: bool) -> MessageType:
        if fam is None:
            # Unknown family (or a family known by name only): genlmsghdr and the
            # attributes as UNKNOWN(n); bytes that do not walk as attributes stay data.
            tname = f"{name} cmd {cmd}" if name else f"genl family 0x{fid:x} cmd {cmd}"
            kind = "get" if dump_req else "other"
            return MessageType(tname, kind, decode=_unknown_decoder(),
                               summary=lambda msg, fields, t=tname: t)
        cname = fam.command_name(cmd, request)
        tname = f"{fam.shown} {cname}" if cname else f"{fam.shown} cmd {cmd}"
        kind = fam.kinds.get(cname) if cname else None
        kind = kind or (cmd_kind(cname) if cname else ("get" if dump_req else "other"))
        aset = fam.cmd_attrs.get(cname, fam.attrs) if cname else fam.attrs
        names = fam.commands if request or fam.replies is None else fam.replies
        hdr = _hdr_for(names)
        summary = _summary(tname, cname or f"cmd {cmd}", fam.summary)
        own = fam.cmd_decoders.get(cname) if cname else None
        if own is not None:
            return MessageType(tname, kind, decode=own, summary=summary)
        user = fam.cmd_headers.get(cname, fam.header) if cname else fam.header
        if user is not None:
            return MessageType(tname, kind, decode=_user_header_decoder(hdr, user, aset),
                               summary=summary)
        return MessageType(tname, kind, header=hdr, attrs=aset if aset is not None else EMPTY,
                           summary=summary)

    def default_kind(self, mtype: int) -> str:
        return "other"

    def learns_from(self, msg: Message) -> bool:
        if msg.type != GENL_ID_CTRL or min(msg.nlmsg_len, msg.end - msg.start) < NLMSG_HDRLEN + GENL_HDRLEN:
            return False  # (nlmsg_len may claim more than the frame holds)
        return msg.frame.raw[msg.start + NLMSG_HDRLEN] in (CTRL_CMD_NEWFAMILY, CTRL_CMD_DELFAMILY)

    def learned(self, msg: Message, state: dict[str, Any]) -> dict[str, Any] | None:
        """CTRL_CMD_NEWFAMILY / DELFAMILY teach (or take back) one id: read
        CTRL_ATTR_FAMILY_ID and _NAME straight from the top-level attributes (a reply
        with every op and policy is not decoded for two values); a new state only when
        the map changes."""
        found = _family_id_name(msg)
        if found is None:
            return None
        cmd, fid, fname = found
        known = state.get(STATE_KEY) or {}
        if cmd == CTRL_CMD_NEWFAMILY:
            if known.get(fid) == fname:
                return None
            ids = {**known, fid: fname}
        elif known.get(fid) == fname:
            ids = {k: v for k, v in known.items() if k != fid}
        else:
            return None
        return {**state, STATE_KEY: ids}

    def learn(self, msg: Message, state: dict[str, Any]) -> None:
        new = self.learned(msg, state)
        if new is not None:
            state[STATE_KEY] = new[STATE_KEY]

    def capture_comment(self, text: str, state: dict[str, Any]) -> None:
        ids = parse_family_map_comment(text)
        if ids:
            seed_ids(state, ids)


def _family_id_name(msg: Message) -> tuple[int, int, str] | None:
    """(cmd, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME) of an nlctrl NEWFAMILY/DELFAMILY,
    from its bytes; None when either is missing or malformed."""
    if msg.type != GENL_ID_CTRL or msg.nlmsg_len is None:
        return None
    buf, o = msg.frame.raw, msg.order
    pos = msg.start + NLMSG_HDRLEN
    end = min(msg.start + msg.nlmsg_len, msg.end)
    if end - pos < GENL_HDRLEN or buf[pos] not in (CTRL_CMD_NEWFAMILY, CTRL_CMD_DELFAMILY):
        return None
    cmd = buf[pos]
    pos += GENL_HDRLEN
    fid = fname = None
    u16 = _U16[o]
    while pos + 4 <= end:
        ln, typ = u16.unpack_from(buf, pos)[0], u16.unpack_from(buf, pos + 2)[0] & 0x3FFF
        if ln < 4 or pos + ln > end:
            break
        if typ == CTRL_ATTR_FAMILY_ID and ln >= 6:
            fid = u16.unpack_from(buf, pos + 4)[0]
        elif typ == CTRL_ATTR_FAMILY_NAME and ln > 4:
            fname = bytes(buf[pos + 4:pos + ln]).split(b"\0", 1)[0].decode("utf-8", "replace")
        pos += (ln + 3) & ~3
    if fid is None or not fname:
        return None
    return cmd, fid, fname


def _summary(tname: str, cname: str, detail: FamilySummary | None):
    if detail is None:
        return lambda msg, fields: tname

    def summary(msg: Message, fields: list[Field]) -> str:
        text = detail(cname, fields)
        return f"{tname} {text}" if text else tname
    return summary


def _genlmsghdr(ctx: DecodeCtx, hdr: FixedHeader) -> Field:
    p = ctx.start
    return Field(hdr.name, "struct", None, p, p + GENL_HDRLEN, children=hdr.parse(ctx.buf, p, ctx.order))


def _unknown_decoder():
    def decode(ctx: DecodeCtx) -> list[Field]:
        out = [_genlmsghdr(ctx, GENLMSGHDR)]
        pos, end = ctx.start + GENL_HDRLEN, ctx.end
        if pos < end:
            trial: list[str] = []
            attrs = walk_attrs(ctx.buf, pos, end, EMPTY, ctx.order, trial)
            if trial:  # not attributes (a family header we do not know?): raw bytes
                out.append(Field("data", "bytes", bytes(ctx.buf[pos:end]), pos, end))
            else:
                out.append(Field("attributes", "nest", None, pos, end, children=attrs))
        return out
    return decode


def _user_header_decoder(hdr: FixedHeader, user: FixedHeader, aset: AttrSet | None):
    def decode(ctx: DecodeCtx) -> list[Field]:
        out = [_genlmsghdr(ctx, hdr)]
        pos, end = ctx.start + GENL_HDRLEN, ctx.end
        if end - pos < user.size:
            ctx.problems.append(f"{user.name}: needs {user.size} bytes, message has {end - pos}")
            if pos < end:
                out.append(Field("data", "bytes", bytes(ctx.buf[pos:end]), pos, end))
            return out
        out.append(Field(user.name, "struct", None, pos, pos + user.size,
                         children=user.parse(ctx.buf, pos, ctx.order)))
        pos += (user.size + 3) & ~3
        if pos < end:
            attrs = walk_attrs(ctx.buf, pos, end, aset or EMPTY, ctx.order, ctx.problems)
            out.append(Field("attributes", "nest", None, pos, end, children=attrs))
        return out
    return decode


# -- helpers for family modules ---------------------------------------------------------

class IndexSet(AttrSet):
    """Attributes whose type is an index or an enum value (a band, an interface
    type, a policy's attribute number): every type is known, made by `make(t)`."""

    __slots__ = ("make",)

    def __init__(self, name: str, make: Callable[[int], Attr]):
        super().__init__(name, {})
        self.make = make

    def get(self, t: int) -> Attr | None:
        a = self.attrs.get(t)
        if a is None:
            a = self.attrs[t] = self.make(t)
        return a


def K(kind: str, **kw: Any) -> dict[str, Any]:
    """A kind with options, for `table_set`: K("u32", enum=IFTYPES)."""
    return dict(kind=kind, **kw)


def table_set(name: str, prefix: str, names: Mapping[int, str],
              kinds: Mapping[str, str | dict[str, Any]] | None = None,
              default: str = "binary") -> AttrSet:
    """An AttrSet from a name table ({number: short name}, e.g. generated from a UAPI
    enum) and a kind per short name; attributes named prefix + short name."""
    kinds = kinds or {}
    out: dict[int, Attr] = {}
    for t, short in names.items():
        k = kinds.get(short, default)
        out[t] = Attr(prefix + short, k) if isinstance(k, str) else Attr(prefix + short, **k)
    unknown = set(kinds) - set(names.values())
    if unknown:
        raise ValueError(f"{name}: kinds for names not in the table: {sorted(unknown)}")
    return AttrSet(name, out)


def flag_set(name: str, prefix: str, names: Mapping[int, str]) -> IndexSet:
    """A nest of flag attributes whose types are enum values (supported interface
    types, station flags, ...)."""
    return IndexSet(name, lambda t: Attr(prefix + names.get(t, str(t)), "flag"))


def bit_names(names: Mapping[int, str]) -> dict[int, str]:
    """{bit number: name} -> {1 << bit: name}, for flags shown from a bitmask."""
    return {1 << b: n for b, n in names.items()}

def attrs_of(fields: list[Field]) -> list[Field]:
    """The top-level attribute Fields of a genl payload."""
    for f in fields:
        if f.name == "attributes":
            return f.children or []
    return []


def top(fields: list[Field], name: str) -> Field | None:
    """A top-level attribute by name (cheaper and stricter than model.find)."""
    for f in attrs_of(fields):
        if f.name == name:
            return f
    return None


def join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def register(registry) -> None:
    """Protocol 16 exists even when no family module registers (unknown families
    are still decoded)."""
    if not isinstance(registry.get(NETLINK_GENERIC), GenlProtocol):
        registry.add(GenlProtocol(registry))
        registry.get(NETLINK_GENERIC).invalidate()
