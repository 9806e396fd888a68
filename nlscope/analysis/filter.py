"""The display-filter language (`-Y` on read/export/stats, and the TUI's filter bar).

    type == RTM_NEWROUTE and attr.RTA_DST == 10.10.0.0/16
    family == "route" && !flags.ack
    errno in {ENODEV EEXIST} or latency > 5ms
    attr.IFLA_IFNAME ~ "^veth" || netlink.hdr_seq == 1001

A hand-written tokenizer and recursive-descent parser turn the text into a tree of
Python closures (never eval). `compile_filter(text, registry=None)` returns a `Filter`,
a callable (message, transaction) -> bool; a bad filter raises `FilterError(msg,
column)`. `field_names()` lists every field name (for completion), `FIELDS` describes
them; `resolve_field(name, registry=None)` gives one field's definition (its getter,
what the `fields` output prints).

Fields are known by name, as in Wireshark: the core fields are registered once in
FIELDS (with Wireshark's netlink names as ALIASES); attribute fields (`attr.NAME`,
`attr.A.B`, a kernel name alone like `IFLA_IFNAME`, Wireshark's
`netlink-route.ifla_ifname`) must name, in every component, an attribute or struct
member some family of the registry can decode (nlscope.analysis.fields). An unknown
field is an error at its column, with the nearest known name as a suggestion.

Semantics, as in Wireshark: a field may occur several times (an attribute repeated or
nested at several depths); `==`, `<`, `contains`, `~` are true when any occurrence
matches; `!=` is `not ==`. A field alone is true when it is present (a flag or a
yes/no field: when it is set). An address compared with a prefix tests containment.

Header-only filters: a filter whose fields all come from the nlmsghdr and the frame
(number, frame, family, protocol, type, kind, flags, flags.*, seq, portid, len,
direction, pid, comm, error, errno, and their netlink.* aliases) has
`needs_decode == False` and can also be evaluated, with `match_header(view)`, on a
cheap stand-in for the message (the TUI's index keeps these as integers). The same
parser and operators run; only the fields are read from the view, which has the
Message's attributes number, protocol, family, type, type_name, kind, flags,
flag_names, seq, pid, nlmsg_len, direction, frame (.number, .pid, .comm), plus
`error_code`: the int in the first 4 payload bytes of an NLMSG_ERROR or NLMSG_DONE
(None when the message is too short to hold it), which is what `errno` and `error`
read from the decoded tree.

Hostile filters are errors at a column, never a traceback or a hang: parentheses nest
at most MAX_NESTING deep (any number of `!` is fine: read without recursion), a number
has at most MAX_DIGITS digits, and `~` (matches) runs on RE2 (google-re2), a
linear-time engine: no backreferences or lookaround, an unsupported pattern is an error.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import re2

from ..decode.errnos import BY_NAME as ERRNO_BY_NAME, errno_names
from ..decode.model import Field, Message
from ..decode.nla import may_hold
from . import fields as _known

__all__ = ["Filter", "FilterError", "compile_filter", "field_names", "resolve_field", "FieldDef", "FIELDS"]


class FilterError(Exception):
    """A filter that does not parse or does not make sense; column counts from 1."""

    def __init__(self, msg: str, column: int):
        super().__init__(f"filter: column {column}: {msg}")
        self.msg = msg
        self.column = column  # from 1, as the message says
        self.offset = column - 1  # from 0, an index into the text (for an editor's cursor)

    def caret(self, text: str, indent: str = "    ") -> str:
        """The filter text and a caret under the column (two lines)."""
        return f"{indent}{text}\n{indent}{' ' * (self.column - 1)}^"


# -- values ------------------------------------------------------------------------

class Named:
    """A number with a name: a message type, a family, an errno, an enum attribute."""

    __slots__ = ("value", "names")

    def __init__(self, value: int, *names: str | None):
        self.value = value
        self.names = tuple(n for n in names if n)

    def __repr__(self) -> str:
        return f"Named({self.value}, {self.names})"


class Flags:
    __slots__ = ("value", "names")

    def __init__(self, value: int, names):
        self.value = value
        self.names = tuple(names or ())


class _Node:
    """A nested attribute or struct: present, but not comparable (its name, for the
    `fields` output, which shows a node as its name, as tshark shows a protocol)."""

    __slots__ = ("name",)

    def __init__(self, name: str = ""):
        self.name = name

    def __repr__(self) -> str:
        return f"NODE({self.name})" if self.name else "NODE"


NODE = _Node()

MAX_NESTING = 64  # parentheses inside parentheses
MAX_DIGITS = 40  # in a number (a u64 has 20)
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the error is ours to report, not the library's log
_RE2_OPTIONS.case_sensitive = False

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
_DUR = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s)?$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class Lit:
    """A literal as written, with every reading of it that makes sense."""

    __slots__ = ("text", "col", "quoted", "int", "dur", "ip", "net", "lower", "too_long")

    def __init__(self, text: str, col: int, quoted: bool):
        self.text = text
        self.col = col
        self.quoted = quoted
        self.lower = text.lower()
        self.int: int | None = None
        self.dur: int | None = None
        self.ip = None
        self.net = None
        self.too_long = False
        if quoted:
            return
        if (len(text) > MAX_DIGITS and text.lstrip("+-.")[:1].isdigit()
                and sum(map(str.isdigit, text)) > MAX_DIGITS):
            self.too_long = True  # no number reading (check() says why, at its column)
            return
        try:
            self.int = int(text, 0)
        except ValueError:
            en = ERRNO_BY_NAME.get(text.upper()) if text[:1] in "eE" else None
            if isinstance(en, int):
                self.int = en  # errno names read as their number
        m = _DUR.match(text)
        if m:
            try:
                self.dur = int(float(m.group(1)) * _UNITS[m.group(2) or "s"])
            except OverflowError:  # only past MAX_DIGITS, which stops before this
                self.too_long = True
        if "." in text or ":" in text:
            try:
                if "/" in text:
                    self.net = ipaddress.ip_network(text, strict=False)
                else:
                    self.ip = ipaddress.ip_address(text)
            except ValueError:
                pass


def _atoms_of(f: Field) -> Any:
    k = f.kind
    if k == "int":
        return f.value
    if k == "enum":
        return Named(f.value, f.meta if isinstance(f.meta, str) else None)
    if k == "flags":
        return Flags(f.value, f.meta)
    if k == "str":
        return f.value
    if k == "addr":
        try:
            return ipaddress.ip_address(f.value)
        except ValueError:
            return f.value
    if k == "bool":
        return bool(f.value)
    if k in ("nest", "struct", "list"):
        return _Node(f.name)
    return f.value  # bytes, mac (text)


def _eq(a: Any, lit: Lit) -> bool:
    t = type(a)
    if t is int:
        return lit.int is not None and a == lit.int
    if t is str:
        return a == lit.text
    if t is Named:
        if lit.int is not None and (a.value == lit.int or (lit.int < 0 and a.value == -lit.int)):
            return True
        lo = lit.lower
        for n in a.names:
            nl = n.lower()
            if nl == lo or (" " in nl and nl.rsplit(" ", 1)[1] == lo):
                return True
        return False
    if t is bool:
        return (a and lit.lower in _TRUE) or (not a and lit.lower in _FALSE)
    if t is Flags:
        if lit.int is not None:
            return a.value == lit.int
        return set(lit.text.upper().split(",")) == set(a.names)
    if t is bytes:
        return a.hex() == lit.lower.replace(":", "").replace(" ", "")
    if isinstance(a, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        if lit.net is not None:
            return a.version == lit.net.version and a in lit.net
        if lit.ip is not None:
            return a == lit.ip
        return str(a) == lit.text
    return False


def _num(a: Any) -> int | None:
    t = type(a)
    if t is int:
        return a
    if t is Named or t is Flags:
        return a.value
    return None


def _order(a: Any, lit: Lit) -> tuple[Any, Any] | None:
    """The pair to compare with <, <=, >, >= (None when they do not compare)."""
    n = _num(a)
    if n is not None:
        return (n, lit.int) if lit.int is not None else None
    if type(a) is str:
        return a, lit.text
    if isinstance(a, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        if lit.ip is not None and lit.ip.version == a.version:
            return a, lit.ip
    return None


def _contains(a: Any, lit: Lit) -> bool:
    t = type(a)
    if t is str:
        return lit.text in a
    if t is Flags:
        return lit.text.upper() in a.names or (lit.int is not None and a.value & lit.int == lit.int)
    if t is Named:
        return any(lit.text in n for n in a.names)
    if t is bytes:
        return lit.lower.replace(":", "") in a.hex()
    if isinstance(a, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return False
    return False


def _text(a: Any) -> str:
    t = type(a)
    if t is Named:
        return a.names[0] if a.names else str(a.value)
    if t is Flags:
        return ",".join(a.names)
    if t is bytes:
        return a.hex()
    return str(a)


# -- fields ------------------------------------------------------------------------

Getter = Callable[[Message, Any], list]


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    type: str  # int, named, str, bool, flags, duration, any
    help: str
    get: Getter
    txn: bool = False  # needs the transaction
    header: Getter | None = None  # the getter on a header view (None: needs the decode)


def _payload(m: Message) -> list[Field]:
    return m.tree[1:] if m.tree else []


def _errno_of(m: Message) -> list:
    if m.type == 2 or m.type == 3:
        p = m.tree[1] if len(m.tree) > 1 else None
        if p is not None and p.name in ("error", "value") and isinstance(p.value, int):
            v = p.value
            if m.type == 3 and v >= 0:
                return []
            e = -v if v < 0 else v
            return [Named(e, *errno_names(e)) if e else Named(0, "OK")]
    return []


def _errno_of_code(m: Any) -> list:
    """_errno_of on a header view: the same answer, from `error_code`."""
    if m.type == 2 or m.type == 3:
        v = m.error_code
        if v is None or (m.type == 3 and v >= 0):
            return []
        e = -v if v < 0 else v
        return [Named(e, *errno_names(e)) if e else Named(0, "OK")]
    return []


def _is_error_of_code(m: Any) -> list:
    e = _errno_of_code(m)
    return [bool(e) and e[0].value != 0]


def _extack_field(m: Message, name: str) -> Field | None:
    if m.type not in (2, 3):
        return None
    for f in _payload(m):
        if f.name == "extack":
            for c in f.children or ():
                if c.name == name:
                    return c
    return None


def _extack_msg(m: Message) -> list:
    f = _extack_field(m, "NLMSGERR_ATTR_MSG")
    return [f.value] if f is not None else []


def _extack_attr(m: Message) -> list:
    f = _extack_field(m, "NLMSGERR_ATTR_OFFS")
    return [f.meta] if f is not None and f.kind == "enum" and f.meta else []


def _family(m: Message) -> list:
    out = [Named(m.protocol, m.family)]
    if m.protocol == 16 and m.type_name and m.type is not None and m.type >= 16:
        fam = m.type_name.split(" ", 1)[0]
        if fam != "genl":
            out.append(Named(m.protocol, fam))
    return out


def _genl_hdr(m: Message, child: str) -> list:
    if m.protocol != 16:
        return []
    for f in _payload(m)[:1]:
        if f.name == "genlmsghdr":
            for c in f.children or ():
                if c.name == child:
                    return [_atoms_of(c)]
    return []


def _is_error(m: Message) -> list:
    e = _errno_of(m)
    return [bool(e) and e[0].value != 0]


def _txn(fn: Callable[[Any, Message], Any]) -> Getter:
    def get(m: Message, t: Any) -> list:
        if t is None:
            return []
        v = fn(t, m)
        return [] if v is None else [v]
    return get


def _txn_errno(t: Any, m: Message) -> Any:
    if t.errno is None:
        return None
    return Named(t.errno, t.errno_name, *(n for n in errno_names(t.errno) if n != t.errno_name))


def _m(fn: Callable[[Message], Any]) -> Getter:
    def get(m: Message, t: Any) -> list:
        v = fn(m)
        return [] if v is None else [v]
    return get


# Low flag bits by name, and the high ones named for the message's kind.
_LOW_FLAGS = {"request": 0x1, "multi": 0x2, "ack": 0x4, "echo": 0x8, "dump_intr": 0x10,
              "dump_filtered": 0x20}
_HIGH_FLAGS = ("root", "match", "atomic", "dump", "replace", "excl", "create", "append",
               "nonrec", "bulk", "capped", "ack_tlvs")


def _flag_getter(name: str) -> Getter:
    bit = _LOW_FLAGS.get(name)
    if bit is not None:
        return lambda m, t: [] if m.flags is None else [bool(m.flags & bit)]
    up = name.upper()
    return lambda m, t: [] if m.flags is None else [up in m.flag_names]


def _build_fields() -> dict[str, FieldDef]:
    F: list[FieldDef] = [
        FieldDef("number", "int", "message number in the capture (from 1)", _m(lambda m: m.number)),
        FieldDef("frame", "int", "frame number (from 1)", _m(lambda m: m.frame.number)),
        FieldDef("family", "named", "netlink protocol by name or number (route, generic, 0, 16); "
                 "for generic netlink also the genl family (nl80211)", lambda m, t: _family(m)),
        FieldDef("protocol", "int", "netlink protocol number", _m(lambda m: m.protocol)),
        FieldDef("type", "named", "message type by name or number (RTM_NEWROUTE, 24)",
                 _m(lambda m: None if m.type is None else Named(m.type, m.type_name))),
        FieldDef("kind", "str", "message kind: get, new, del, ack, other", _m(lambda m: m.kind)),
        FieldDef("flags", "flags", "nlmsg_flags (number, or a flag name with contains)",
                 _m(lambda m: None if m.flags is None else Flags(m.flags, m.flag_names))),
        FieldDef("seq", "int", "nlmsg_seq", _m(lambda m: m.seq)),
        FieldDef("portid", "int", "nlmsg_pid (the socket's port id)", _m(lambda m: m.pid)),
        FieldDef("len", "int", "nlmsg_len", _m(lambda m: m.nlmsg_len)),
        FieldDef("direction", "str", "out (user to kernel) or in", _m(lambda m: m.direction)),
        FieldDef("summary", "str", "the Info text", _m(lambda m: m.summary)),
        FieldDef("malformed", "bool", "the message has problems", _m(lambda m: bool(m.problems))),
        FieldDef("problems", "str", "each problem found in the message", lambda m, t: list(m.problems)),
        FieldDef("error", "bool", "an NLMSG_ERROR with a non-zero error, or a failed dump's DONE",
                 lambda m, t: _is_error(m)),
        FieldDef("errno", "named", "the error of an NLMSG_ERROR (0 for an ACK) or failed DONE, "
                 "by name or number (ENODEV, 19, -19)", lambda m, t: _errno_of(m)),
        FieldDef("extack", "str", "the extended ACK message text", lambda m, t: _extack_msg(m)),
        FieldDef("extack.attr", "str", "the request attribute the extended ACK points at",
                 lambda m, t: _extack_attr(m)),
        FieldDef("pid", "int", "the process (trace captures)", _m(lambda m: m.frame.pid)),
        FieldDef("comm", "str", "the process name (trace captures)", _m(lambda m: m.frame.comm)),
        FieldDef("genl.cmd", "named", "generic netlink command by name or number",
                 lambda m, t: _genl_hdr(m, "cmd")),
        FieldDef("genl.version", "int", "generic netlink family version",
                 lambda m, t: _genl_hdr(m, "version")),
        FieldDef("role", "str", "the message's part in its transaction: request, reply, ack, "
                 "error, done, event, other",
                 lambda m, t: ["other" if t is None else t.role_of(m)], txn=True),
        FieldDef("latency", "duration", "request to its last answer (e.g. latency > 5ms)",
                 _txn(lambda t, m: t.latency_ns), txn=True),
        FieldDef("reply_to", "int", "an answer's request message number",
                 _txn(lambda t, m: t.request.number if t.request is not None and m is not t.request
                      and t.kind != "event" else None), txn=True),
        FieldDef("caused_by", "int", "a notification's request message number",
                 _txn(lambda t, m: t.caused_by), txn=True),
        FieldDef("txn.id", "int", "transaction id", _txn(lambda t, m: t.id), txn=True),
        FieldDef("txn.status", "str", "ok, error, unanswered, no_reply, incomplete, orphan, event",
                 _txn(lambda t, m: t.status), txn=True),
        FieldDef("txn.kind", "str", "request, event or orphan", _txn(lambda t, m: t.kind), txn=True),
        FieldDef("txn.expects", "str", "what the request asked for: dump, reply, echo, ack, none",
                 _txn(lambda t, m: t.expects), txn=True),
        FieldDef("txn.dump", "bool", "the transaction is a dump", _txn(lambda t, m: t.dump), txn=True),
        FieldDef("txn.replies", "int", "number of data replies", _txn(lambda t, m: t.replies), txn=True),
        FieldDef("txn.messages", "int", "number of messages in the transaction",
                 _txn(lambda t, m: t.size), txn=True),
        FieldDef("txn.latency", "duration", "request to its last answer", _txn(lambda t, m: t.latency_ns), txn=True),
        FieldDef("txn.latency_first", "duration", "request to its first answer",
                 _txn(lambda t, m: t.first_latency_ns), txn=True),
        FieldDef("txn.errno", "named", "the transaction's error", _txn(_txn_errno), txn=True),
        FieldDef("txn.extack", "str", "the transaction's extended ACK message", _txn(lambda t, m: t.extack), txn=True),
        FieldDef("txn.error_attr", "str", "the request attribute the error points at (path)",
                 _txn(lambda t, m: t.error_attr), txn=True),
        FieldDef("txn.request", "int", "the request's message number", _txn(
            lambda t, m: t.request.number if t.request is not None else None), txn=True),
        FieldDef("txn.end", "int", "the message number of the DONE/ACK/error/reply that ended it",
                 _txn(lambda t, m: t.end), txn=True),
        FieldDef("txn.portid", "int", "the requester's port id (learned from the answers)",
                 _txn(lambda t, m: t.portid), txn=True),
        FieldDef("txn.events", "int", "number of notifications the request caused",
                 _txn(lambda t, m: len(t.events)), txn=True),
    ]
    F += [FieldDef(f"flags.{n}", "bool", f"the {n.upper()} flag is set", _flag_getter(n))
          for n in (*_LOW_FLAGS, *_HIGH_FLAGS)]
    # Fields a header view answers: the same getter (it reads only what the view has),
    # or, for the error code, one that reads the view's error_code.
    own = {"error": lambda m, t: _is_error_of_code(m), "errno": lambda m, t: _errno_of_code(m)}
    F = [replace(f, header=own.get(f.name, f.get))
         if f.name in _HEADER_FIELDS or f.name.startswith("flags.") else f for f in F]
    return {f.name: f for f in F}


_HEADER_FIELDS = frozenset({"number", "frame", "family", "protocol", "type", "kind", "flags",
                            "seq", "portid", "len", "direction", "pid", "comm", "error", "errno"})


FIELDS: dict[str, FieldDef] = _build_fields()

# Wireshark's netlink field names, as aliases.
ALIASES: dict[str, str] = {
    "frame.number": "number",
    "netlink.family": "family",
    "netlink.hdr_len": "len",
    "netlink.hdr_type": "type",
    "netlink.hdr_flags": "flags",
    "netlink.hdr_seq": "seq",
    "netlink.hdr_pid": "portid",
    "netlink.error": "errno",
    "info": "summary",
    "txn.role": "role",
}
ALIASES.update({f"netlink.hdr_flags.{n}": f"flags.{n}" for n in (*_LOW_FLAGS, *_HIGH_FLAGS)})
# netlink-route.ifla_ifname, netlink-netfilter.ct_attr..., netlink-sock_diag...: attr.<rest>
_WS_FAMILY_PREFIXES = ("netlink-route.", "netlink-netfilter.", "netlink-sock_diag.", "genl.ctrl.",
                       "nl80211.")
_WS_SKIP = ("ipv4", "ipv6")  # netlink-route.ipv4.rta_dst: a component of the name, not of the tree
_ATTR_LIKE = re.compile(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$")


def field_names(registry: Any = None, *, attributes: bool = False) -> list[str]:
    """Every field name the language knows (canonical and aliases), sorted; `attr.`
    is a prefix for any attribute or struct member a family decodes. With
    `attributes`, also `attr.NAME` for each of them with `registry` (None: the
    built-in registry), for completion."""
    names = {*FIELDS, *ALIASES, "attr."}
    if attributes:
        names.update(_known.attribute_field_names(registry))
    return sorted(names)


def _attr_getter(path: list[str]) -> Getter:
    """All payload fields matching a dotted name path (each part anywhere below the
    previous one; case-insensitive between UPPER kernel names and lower struct names)."""
    parts = [_known.spellings(p) for p in path]
    prune = not path[0].isdigit()  # an element number: any list may have it

    def below(fields, names) -> Iterator[Field]:
        stack = list(reversed(fields))
        while stack:
            f = stack.pop()
            if f.name in names:
                yield f
            elif may_hold(f, names) and f.children:  # nests that cannot match stay undecoded
                stack.extend(reversed(f.children))

    def get(m: Message, t: Any) -> list:
        if not m.decoded and m.decoder is not None:
            # a message whose type's tables and code cannot make the first name has none
            if prune:
                can = _known.message_names(m)
                if can is not None and can.isdisjoint(parts[0]):
                    return []
            m.decoder.decode(m, partial=True)  # nests only as the names need them
        found = list(below(_payload(m), parts[0]))
        for names in parts[1:]:
            nxt: list[Field] = []
            for f in found:
                nxt.extend(below(f.children or (), names))
            found = nxt
        return [_atoms_of(f) for f in found]
    return get


class _Known:
    """The attribute names of a registry, looked up only when a filter names an
    attribute (a header-only filter never loads the families)."""

    __slots__ = ("registry", "_names")

    def __init__(self, registry: Any):
        self.registry = registry
        self._names: frozenset[str] | None = None

    @property
    def names(self) -> frozenset[str]:
        if self._names is None:
            self._names = _known.known_attribute_names(self.registry)
        return self._names


def _check_path(name: str, prefix: str, path: list[str], col: int, known: _Known,
                skip: tuple[str, ...] = ()) -> None:
    """Every component of an attribute path must be a name some family decodes."""
    names = known.names
    for i, part in enumerate(path):
        if part in skip:
            continue
        if not part:
            raise FilterError(f"unknown field {name!r} (an empty name between dots)", col)
        if _known.is_known_component(part, names):
            continue
        near = _known.suggest(part, names)
        hint = ""
        if near:
            fix = near[0].lower() if part.islower() else near[0]
            hint = f" (did you mean {prefix}{'.'.join([*path[:i], fix, *path[i + 1:]])}?)"
        where = "" if len(path) == 1 else f": no attribute or struct member is called {part!r}"
        raise FilterError(f"unknown field {name!r}{where}{hint}", col)


def _suggest_field(name: str, known: _Known) -> str:
    near = _known.suggest(name, [n for n in field_names() if not n.endswith(".")], cutoff=0.7)
    if near:
        return near[0]
    near = _known.suggest(name.removeprefix("attr."), known.names)
    return f"attr.{near[0]}" if near else ""


def _value_hint(name: str) -> str:
    """For a value written where a field goes: the test it likely meant."""
    if name.startswith(("RTM_", "NLMSG_")):
        return f"a message type is a value: type == {name}"
    if name.startswith("NLM_F_") and name[6:].lower() in (*_LOW_FLAGS, *_HIGH_FLAGS):
        return f"a flag: flags.{name[6:].lower()}"
    if name in ERRNO_BY_NAME:
        return f"an error is a value: errno == {name}"
    return ""


def _resolve(name: str, col: int, known: _Known) -> FieldDef:
    canon = ALIASES.get(name, name)
    fd = FIELDS.get(canon)
    if fd is not None:
        return fd
    low = name.lower()
    for pre in _WS_FAMILY_PREFIXES:
        if low.startswith(pre):
            parts = name[len(pre):].split(".")
            rest = [p for p in parts if p not in _WS_SKIP]
            if rest:
                _check_path(name, name[:len(pre)], parts, col, known, _WS_SKIP)
                return FieldDef(name, "any", "attribute", _attr_getter(rest))
    if low == "attr.":
        raise FilterError("'attr.' needs an attribute or struct member name after it "
                          "(like attr.IFLA_IFNAME)", col)
    if low.startswith("attr.") and len(name) > 5:
        path = name[5:].split(".")
        _check_path(name, name[:5], path, col, known)
        return FieldDef(name, "any", "attribute", _attr_getter(path))
    if _ATTR_LIKE.match(name):
        hint = _value_hint(name)
        if hint and not _known.is_known_component(name, known.names):
            raise FilterError(f"unknown field {name!r} ({hint})", col)
        _check_path(name, "", [name], col, known)
        return FieldDef(name, "any", "attribute", _attr_getter([name]))
    if low.startswith("flags.") or low.startswith("netlink.hdr_flags."):
        flag = name.rsplit(".", 1)[1]
        raise FilterError(f"unknown flag {flag!r} (flags: {', '.join((*_LOW_FLAGS, *_HIGH_FLAGS))})", col)
    value = _value_hint(name)
    if value:
        raise FilterError(f"unknown field {name!r} ({value})", col)
    near = _suggest_field(name, known)
    hint = f" (did you mean {near}?)" if near else " (attributes are attr.NAME)"
    raise FilterError(f"unknown field {name!r}{hint}", col)


def resolve_field(name: str, registry: Any = None) -> FieldDef:
    """The definition of one field by name (core, alias or attribute path), as the
    filter reads it: `get(message, transaction) -> list of values` (one per
    occurrence), `type`, `txn` (needs the transaction), `header` (the getter on the
    header alone, None when the payload must be decoded). An unknown field raises
    FilterError (column 1) with a suggestion."""
    return _resolve(name, 1, _Known(registry))


# -- tokens ------------------------------------------------------------------------

@dataclass(slots=True)
class Tok:
    kind: str  # word, str, op, punct, end
    text: str
    col: int


_WORD = re.compile(r"[\w.:/\-+]+")
_OPS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "~", "!")
_KEYWORD_OPS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
                "matches": "~", "contains": "contains", "in": "in"}
_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        col = i + 1
        if c.isspace():
            i += 1
            continue
        if c in "(){},":
            out.append(Tok("punct", c, col))
            i += 1
            continue
        if c in "\"'":
            j = i + 1
            buf = []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    e = text[j + 1]
                    if e == "x" and j + 3 < n + 1:
                        try:
                            buf.append(chr(int(text[j + 2:j + 4], 16)))
                            j += 4
                            continue
                        except ValueError:
                            raise FilterError("bad \\x escape in a string", j + 1) from None
                    buf.append(_ESC.get(e, "\\" + e))
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                raise FilterError("string not closed", col)
            out.append(Tok("str", "".join(buf), col))
            i = j + 1
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            out.append(Tok("op", op, col))
            i += len(op)
            continue
        if c == "=":
            raise FilterError("use '==' to compare", col)
        if c in "&|":
            raise FilterError(f"use '{c * 2}' (or '{'and' if c == '&' else 'or'}')", col)
        m = _WORD.match(text, i)
        if m is None:
            raise FilterError(f"unexpected character {c!r}", col)
        out.append(Tok("word", m.group(), col))
        i = m.end()
    out.append(Tok("end", "", n + 1))
    return out


# -- parser ------------------------------------------------------------------------

Pred = Callable[[Message, Any], bool]


class _NeedsDecode(Exception):
    """A header-only parse met a field the header view does not have."""


class _Parser:
    def __init__(self, text: str, header: bool = False, known: _Known | None = None):
        self.text = text
        self.known = known if known is not None else _Known(None)
        self.toks = tokenize(text)
        self.i = 0
        self.needs_txn = False
        self.depth = 0  # parentheses open
        self.header = header  # build the predicate with the fields' header getters

    def peek(self) -> Tok:
        return self.toks[self.i]

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def is_kw(self, tok: Tok, *words: str) -> bool:
        return tok.kind == "word" and tok.text.lower() in words

    def parse(self) -> Pred:
        if self.peek().kind == "end":
            raise FilterError("empty filter", 1)
        p = self.or_()
        t = self.peek()
        if t.kind != "end":
            if t.text == ")":
                raise FilterError("unexpected ')'", t.col)
            raise FilterError(f"expected 'and' or 'or' before {t.text!r}", t.col)
        return p

    def or_(self) -> Pred:
        parts = [self.and_()]
        while True:
            t = self.peek()
            if (t.kind == "op" and t.text == "||") or self.is_kw(t, "or"):
                self.next()
                parts.append(self.and_())
            else:
                break
        if len(parts) == 1:
            return parts[0]
        return lambda m, x, ps=tuple(parts): any(p(m, x) for p in ps)

    def and_(self) -> Pred:
        parts = [self.not_()]
        while True:
            t = self.peek()
            if (t.kind == "op" and t.text == "&&") or self.is_kw(t, "and"):
                self.next()
                parts.append(self.not_())
            else:
                break
        if len(parts) == 1:
            return parts[0]
        return lambda m, x, ps=tuple(parts): all(p(m, x) for p in ps)

    def not_(self) -> Pred:
        # A run of `!`/`not` is counted, not recursed into: any number of them is fine.
        negate = False
        while True:
            t = self.peek()
            if not ((t.kind == "op" and t.text == "!") or self.is_kw(t, "not")):
                break
            self.next()
            negate = not negate
            if self.peek().kind == "end":
                raise FilterError(f"expected a test after {t.text!r}", self.peek().col)
        inner = self.atom()
        if negate:
            return lambda m, x: not inner(m, x)
        return inner

    def atom(self) -> Pred:
        t = self.peek()
        if t.kind == "punct" and t.text == "(":
            self.next()
            if self.depth >= MAX_NESTING:
                raise FilterError(f"parentheses nested too deep (at most {MAX_NESTING})", t.col)
            if self.peek().kind == "end" or self.peek().text == ")":
                raise FilterError("expected a test after '('", self.peek().col)
            self.depth += 1
            inner = self.or_()
            self.depth -= 1
            close = self.peek()
            if not (close.kind == "punct" and close.text == ")"):
                raise FilterError(f"expected ')' to close the '(' at column {t.col}", close.col)
            self.next()
            return inner
        if t.kind == "end":
            raise FilterError("expected a test", t.col)
        if t.kind != "word" or t.text.lower() in ("and", "or", "not", "in", "contains", "matches"):
            raise FilterError(f"expected a field name, found {t.text!r}", t.col)
        return self.test()

    def test(self) -> Pred:
        ftok = self.next()
        fd = _resolve(ftok.text, ftok.col, self.known)
        if fd.txn:
            self.needs_txn = True
        get = fd.get
        if self.header:
            if fd.header is None:
                raise _NeedsDecode(fd.name)
            get = fd.header
        t = self.peek()
        op = None
        if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">=", "~"):
            op = t.text
        elif t.kind == "word" and t.text.lower() in _KEYWORD_OPS:
            op = _KEYWORD_OPS[t.text.lower()]
        if op is None:
            if t.kind == "str" or (t.kind == "word" and t.text.lower() not in ("and", "or")):
                raise FilterError(f"expected an operator (==, !=, <, <=, >, >=, ~, contains, in) "
                                  f"after {ftok.text!r}", t.col)
            return lambda m, x: any(a is not False for a in get(m, x))
        self.next()
        if op == "in":
            return self._in(fd, ftok, t, get)
        lit = self.value(t)
        self.check(fd, ftok, lit, op)
        if op == "~":
            rx = _regex(lit)
            return lambda m, x: any(type(a) is not _Node and rx.search(_text(a)) for a in get(m, x))
        if op == "contains":
            return lambda m, x: any(_contains(a, lit) for a in get(m, x))
        if fd.type == "duration":
            d = lit.dur
            if op == "!=":
                return lambda m, x: not any(a == d for a in get(m, x))
            cmp = _NUM_CMP[op]
            return lambda m, x: any(cmp(a, d) for a in get(m, x))
        if op == "==":
            return lambda m, x: any(_eq(a, lit) for a in get(m, x))
        if op == "!=":
            return lambda m, x: not any(_eq(a, lit) for a in get(m, x))
        cmp = _NUM_CMP[op]

        def ordered(m: Message, x: Any) -> bool:
            for a in get(m, x):
                pair = _order(a, lit)
                if pair is not None and cmp(*pair):
                    return True
            return False
        return ordered

    def _in(self, fd: FieldDef, ftok: Tok, optok: Tok, get: Getter) -> Pred:
        brace = self.peek()
        if not (brace.kind == "punct" and brace.text == "{"):
            raise FilterError("expected '{' after 'in'", brace.col)
        self.next()
        items: list[tuple[Lit, Lit | None]] = []
        while True:
            t = self.peek()
            if t.kind == "punct" and t.text == "}":
                self.next()
                break
            if t.kind == "punct" and t.text == ",":
                self.next()
                continue
            if t.kind == "end":
                raise FilterError("expected '}' to close the set", t.col)
            lit = self.value(optok)
            if not lit.quoted and ".." in lit.text and lit.ip is None and lit.net is None:
                lo, hi = lit.text.split("..", 1)
                a = Lit(lo, lit.col, False)
                b = Lit(hi, lit.col + len(lo) + 2, False)
                if not lo or not hi:
                    raise FilterError("a range needs both ends (like 1..5)", lit.col)
                self.check(fd, ftok, a, ">=")
                self.check(fd, ftok, b, "<=")
                items.append((a, b))
            else:
                self.check(fd, ftok, lit, "==")
                items.append((lit, None))
        if not items:
            raise FilterError("empty set", brace.col)

        def member(a: Any) -> bool:
            for lo, hi in items:
                if hi is None:
                    if fd.type == "duration" and type(a) is int and a == lo.dur:
                        return True
                    if _eq(a, lo):
                        return True
                else:
                    if fd.type == "duration":
                        if type(a) is int and lo.dur <= a <= hi.dur:
                            return True
                        continue
                    p1, p2 = _order(a, lo), _order(a, hi)
                    if p1 is not None and p2 is not None and p1[0] >= p1[1] and p2[0] <= p2[1]:
                        return True
            return False
        return lambda m, x: any(member(a) for a in get(m, x))

    def value(self, optok: Tok) -> Lit:
        t = self.peek()
        if t.kind == "str":
            self.next()
            return Lit(t.text, t.col, True)
        if t.kind == "word" and t.text.lower() not in ("and", "or", "not"):
            self.next()
            return Lit(t.text, t.col, False)
        what = optok.text
        raise FilterError(f"expected a value after {what!r}", t.col)

    def check(self, fd: FieldDef, ftok: Tok, lit: Lit, op: str) -> None:
        name = ftok.text
        if op == "~":
            return
        if lit.too_long and fd.type in ("int", "duration", "named", "flags"):
            raise FilterError(f"number too long: at most {MAX_DIGITS} digits", lit.col)
        if fd.type == "int" and lit.int is None and op != "contains":
            raise FilterError(f"{name} is a number: {lit.text!r} is not one", lit.col)
        if fd.type == "duration" and op != "contains":
            if lit.dur is None:
                raise FilterError(f"{name} is a time: write it like 5ms, 200us, 1.5s", lit.col)
        if fd.type == "bool" and lit.lower not in _TRUE | _FALSE:
            raise FilterError(f"{name} is yes/no: compare with true or false (or test it alone)", lit.col)
        if op == "contains" and fd.type in ("int", "bool", "duration"):
            raise FilterError(f"'contains' does not apply to {name}", lit.col)


def _regex(lit: Lit) -> Any:
    """`~`'s pattern on RE2 (linear time in the text, whatever the pattern);
    case-insensitive. What RE2 does not support (backreferences, lookaround) or a
    pattern too large for its memory budget is an error at the pattern's column."""
    try:
        return re2.compile(lit.text, _RE2_OPTIONS)
    except re2.error as e:
        why = e.args[0] if e.args else "invalid"
        if isinstance(why, bytes):
            why = why.decode("utf-8", "replace")
        raise FilterError(f"bad regular expression: {why} (RE2 syntax: no backreferences, "
                          "no lookaround)", lit.col + int(lit.quoted)) from None


import operator as _op  # noqa: E402

_NUM_CMP = {"==": _op.eq, "!=": _op.ne, "<": _op.lt, "<=": _op.le, ">": _op.gt, ">=": _op.ge}


class Filter:
    """A compiled display filter: call it with (message, transaction or None).

    `needs_txn`: it reads transaction fields. `needs_decode`: it reads more than the
    header; when False, `match_header(view)` gives the same answer as calling it with
    the decoded message (see the module's docstring for the view)."""

    __slots__ = ("text", "registry", "needs_txn", "needs_decode", "_pred", "_hpred")

    def __init__(self, text: str, registry: Any = None):
        known = _Known(registry)
        p = _Parser(text, known=known)
        self._pred = p.parse()
        self.text = text
        self.registry = registry
        self.needs_txn = p.needs_txn
        self._hpred: Pred | None = None
        if not self.needs_txn:
            try:
                self._hpred = _Parser(text, header=True, known=known).parse()
            except _NeedsDecode:
                pass
        self.needs_decode = self._hpred is None

    def __call__(self, msg: Message, txn: Any = None) -> bool:
        return bool(self._pred(msg, txn))

    def match_header(self, view: Any) -> bool:
        """The filter on a header view (only when not `needs_decode`)."""
        if self._hpred is None:
            raise ValueError(f"filter {self.text!r} reads more than the message header")
        return bool(self._hpred(view, None))

    def __repr__(self) -> str:
        return f"Filter({self.text!r})"


def compile_filter(text: str, registry: Any = None) -> Filter:
    """Parse and compile a display filter; raises FilterError(msg, column). Attribute
    fields are checked against the names `registry`'s families decode (None: the
    built-in registry, nlscope.decode.registry.default_registry()): pass the registry
    the messages are decoded with when it has plugins or YNL specs loaded."""
    return Filter(text, registry)
