"""Core decoding: split a frame into nlmsghdr messages, then decode each one (header,
flags named for its kind, control messages, the family payload via the registry).
"""
from __future__ import annotations

import copy
import struct
from collections.abc import Iterable, Iterator
from typing import Any

from ..capture.frame import Frame, protocol_name
from .errnos import errno_name
from .model import Field, Message
from .nla import JSON, LAZY, TREE, Attr, AttrSet, Lazy, decode_mode, decoding, walk_attrs
from .registry import DecodeCtx, MessageType, Protocol, Registry, plugin_failure

NLMSG_HDRLEN = 16
NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN = 1, 2, 3, 4
CONTROL_NAMES = {NLMSG_NOOP: "NLMSG_NOOP", NLMSG_ERROR: "NLMSG_ERROR",
                 NLMSG_DONE: "NLMSG_DONE", NLMSG_OVERRUN: "NLMSG_OVERRUN"}

NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_ECHO = 0x1, 0x2, 0x4, 0x8
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
COMMON_FLAGS = {0x1: "REQUEST", 0x2: "MULTI", 0x4: "ACK", 0x8: "ECHO",
                0x10: "DUMP_INTR", 0x20: "DUMP_FILTERED"}
# The high byte means different things by message kind (linux/netlink.h).
KIND_FLAGS = {
    "get": {0x300: "DUMP", 0x100: "ROOT", 0x200: "MATCH", 0x400: "ATOMIC"},
    "new": {0x100: "REPLACE", 0x200: "EXCL", 0x400: "CREATE", 0x800: "APPEND"},
    "del": {0x100: "NONREC", 0x200: "BULK"},
    "ack": {0x100: "CAPPED", 0x200: "ACK_TLVS"},
}

def name_flags(flags: int, kind: str) -> list[str]:
    """The flags' names for a message of this kind (a new list: callers may keep it).
    A capture uses a handful of (flags, kind) pairs: remembered, bounded."""
    hit = _FLAG_NAMES.get((flags, kind))
    if hit is None:
        if len(_FLAG_NAMES) >= 4096:
            _FLAG_NAMES.clear()
        hit = _FLAG_NAMES[(flags, kind)] = tuple(_name_flags(flags, kind))
    return list(hit)


_FLAG_NAMES: dict[tuple[int, str], tuple[str, ...]] = {}


def _name_flags(flags: int, kind: str) -> list[str]:
    out = [n for bit, n in COMMON_FLAGS.items() if flags & bit]
    rest = flags & ~0x3F
    for bit, n in KIND_FLAGS.get(kind, {}).items():
        if rest & bit == bit:
            out.append(n)
            rest &= ~bit
    if rest:
        out.append(f"0x{rest:x}")
    return out


_HDR = {o: struct.Struct(o + "IHHII") for o in "<>"}

def resolve_type(proto: Protocol | None, mtype: int, ctx: DecodeCtx | None = None
                 ) -> tuple[str, str, MessageType | None] | None:
    """(type name, kind, MessageType) of a message type: control types, reserved ones,
    the family's table. Without `ctx` (header-only callers), None when the protocol
    must see the payload to choose (it overrides message_type, as genl does)."""
    if mtype in CONTROL_NAMES:
        return CONTROL_NAMES[mtype], "ack" if mtype in (NLMSG_ERROR, NLMSG_DONE) else "other", None
    if mtype < 16:
        return f"NLMSG_RESERVED({mtype})", "other", None
    if proto is None:
        return f"UNKNOWN({mtype})", "other", None
    if ctx is not None:
        try:
            spec = proto.message_type(ctx)
        except (Exception, SystemExit) as e:  # a plugin's bug: shown unknown, with a note
            ctx.problems.append(f"dissector error: {proto.name} message_type(): {plugin_failure(e)}")
            spec = None
    elif type(proto).message_type is Protocol.message_type:
        spec = proto.messages.get(mtype)
    else:
        return None
    if spec is None:
        try:
            kind = proto.default_kind(mtype)
        except (Exception, SystemExit):
            kind = "other"
        return f"UNKNOWN({mtype})", kind, None
    return spec.name, spec.kind, spec



_U32 = {o: struct.Struct(o + "I").unpack_from for o in "<>"}


def guess_order(buf: bytes, pos: int, end: int) -> str:
    """The capturing host's byte order: the one whose nlmsg_len fits the bytes left."""
    left = end - pos
    if left < 4 or NLMSG_HDRLEN <= _U32["<"](buf, pos)[0] <= left:
        return "<"
    return ">" if NLMSG_HDRLEN <= _U32[">"](buf, pos)[0] <= left else "<"


def scan_frame(frame: Frame, decoder: Decoder | None = None) -> list[Message]:
    """The messages of a frame (headers only; `decoder` decodes them when asked).
    Their spans, padding included, cover the frame's netlink bytes exactly; bytes
    that cannot be a message become a fragment with problems, so nothing is lost."""
    buf = frame.raw
    end = len(buf)
    pos = frame.nl_offset
    out: list[Message] = []
    if pos > end:
        problem = f"frame of {end} bytes is shorter than its {pos}-byte link-layer header"
        return [Message(frame, 0, end, end, None, None, None, None, None, "<", [problem], decoder)]
    if pos == end:
        return [Message(frame, 0, pos, end, None, None, None, None, None, "<", ["empty frame: no netlink message"], decoder)]
    order = guess_order(buf, pos, end)
    hdr = _HDR[order]
    while pos < end:
        left = end - pos
        idx = len(out)
        if left < NLMSG_HDRLEN:
            out.append(Message(frame, idx, pos, end, None, None, None, None, None, order,
                               [f"{left} trailing bytes, too short for an nlmsghdr (16)"], decoder))
            break
        ln, mtype, flags, seq, pid = hdr.unpack_from(buf, pos)
        problems: list[str] = []
        if ln == 0 and out and not any(buf[pos:end]):
            # Zero fill after the last message (iproute2 sends its whole request buffer);
            # the kernel stops at nlmsg_len 0, so it is padding of that message.
            out[-1].end = end
            break
        if ln < NLMSG_HDRLEN:
            problems.append(f"nlmsg_len {ln} < 16; rest of frame ({left} bytes) not walked")
            out.append(Message(frame, idx, pos, end, ln, mtype, flags, seq, pid, order, problems, decoder))
            break
        if ln > left:
            problems.append(f"nlmsg_len {ln} runs past the end of the frame ({left} bytes left)")
            out.append(Message(frame, idx, pos, end, ln, mtype, flags, seq, pid, order, problems, decoder))
            break
        nxt = min(pos + ((ln + 3) & ~3), end)
        out.append(Message(frame, idx, pos, nxt, ln, mtype, flags, seq, pid, order, problems, decoder))
        pos = nxt
    if frame.orig_len > end:  # frame.truncated
        out[-1].add_scan_problem(f"frame truncated by the capture: {len(buf)} of {frame.orig_len} bytes")
    return out


# -- extended ACK (linux/netlink.h: enum nlmsgerr_attrs, netlink_policy_type_attr) -----
ATTR_TYPES = {0: "INVALID", 1: "FLAG", 2: "U8", 3: "U16", 4: "U32", 5: "U64", 6: "S8",
              7: "S16", 8: "S32", 9: "S64", 10: "BINARY", 11: "STRING", 12: "NUL_STRING",
              13: "NESTED", 14: "NESTED_ARRAY", 15: "BITFIELD32", 16: "SINT", 17: "UINT"}
POLICY_ATTRS = AttrSet("policy", {
    1: Attr("NL_POLICY_TYPE_ATTR_TYPE", "u32", enum=ATTR_TYPES),
    2: Attr("NL_POLICY_TYPE_ATTR_MIN_VALUE_S", "s64"),
    3: Attr("NL_POLICY_TYPE_ATTR_MAX_VALUE_S", "s64"),
    4: Attr("NL_POLICY_TYPE_ATTR_MIN_VALUE_U", "u64"),
    5: Attr("NL_POLICY_TYPE_ATTR_MAX_VALUE_U", "u64"),
    6: Attr("NL_POLICY_TYPE_ATTR_MIN_LENGTH", "u32"),
    7: Attr("NL_POLICY_TYPE_ATTR_MAX_LENGTH", "u32"),
    8: Attr("NL_POLICY_TYPE_ATTR_POLICY_IDX", "u32"),
    9: Attr("NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE", "u32"),
    10: Attr("NL_POLICY_TYPE_ATTR_BITFIELD32_MASK", "u32"),
    11: Attr("NL_POLICY_TYPE_ATTR_PAD", "binary"),
    12: Attr("NL_POLICY_TYPE_ATTR_MASK", "u64"),
})
EXTACK_ATTRS = AttrSet("extack", {
    1: Attr("NLMSGERR_ATTR_MSG", "string"),
    2: Attr("NLMSGERR_ATTR_OFFS", "u32"),
    3: Attr("NLMSGERR_ATTR_COOKIE", "binary"),
    4: Attr("NLMSGERR_ATTR_POLICY", "nested", nested=POLICY_ATTRS),
    5: Attr("NLMSGERR_ATTR_MISS_TYPE", "u32"),
    6: Attr("NLMSGERR_ATTR_MISS_NEST", "u32"),
})


class Decoder:
    """Decodes messages, keeping per-capture state (e.g. the generic netlink family
    ids learned so far). Messages decode lazily (Message.tree/summary call `decode`);
    what a family learns is learned in capture order by `note`, which the scan calls
    for every message, decoding only those its family learns from."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.state: dict[str, Any] = {}
        self.state_version = 0  # changes whenever a family learned something
        self._families: dict[int, str] = {}
        self._names: dict[tuple[int, int], tuple[str, str, MessageType | None] | None] = {}
        self._learners: dict[int, Protocol | None] = {}
        self._notes: list[str] = []  # a family's failure on a capture comment: told on the next message

    # -- public --------------------------------------------------------------------
    def family_name(self, protocol: int) -> str:
        name = self._families.get(protocol)
        if name is None:
            proto = self.registry.get(protocol)
            name = self._families[protocol] = proto.name if proto is not None else protocol_name(protocol)
        return name

    def header_names(self, protocol: int, mtype: int) -> tuple[str, str, MessageType | None] | None:
        """(type name, kind, MessageType) when the header alone decides them; None when
        the family chooses by payload (generic netlink: family id and command). Cached."""
        key = (protocol, mtype)
        hit = self._names.get(key, False)
        if hit is False:
            if len(self._names) >= 4096:  # a capture of random types: stay bounded
                self._names.clear()
            hit = self._names[key] = resolve_type(self.registry.get(protocol), mtype)
        return hit

    def names(self, msg: Message) -> tuple[str, str, MessageType | None]:
        """(type name, kind, MessageType) of a message from its header; families that
        choose by payload peek at it (no attribute walk), with the state it was seen
        with. The message keeps them (Message._names)."""
        hit = self.header_names(msg.frame.protocol, msg.type)
        if hit is not None:
            return hit
        return self._by_payload(msg)

    def spec(self, msg: Message) -> MessageType | None:
        """The family's MessageType of a message (None for control types and types no
        family describes), chosen as `decode` would, without decoding."""
        if msg.type is None:
            return None
        n = msg._names
        if n is None:
            n = msg._names = self.names(msg)
        return n[2]

    def _by_payload(self, msg: Message) -> tuple[str, str, MessageType | None]:
        """resolve_type for a family that peeks at the payload, with the state the
        message was seen with."""
        ctx = self._ctx(msg.frame.raw, msg.start + NLMSG_HDRLEN, _body_end(msg), msg.order,
                        msg.frame.protocol, msg.type, msg.flags, [], msg.state)
        return resolve_type(self.registry.get(msg.frame.protocol), msg.type, ctx)

    def decode(self, msg: Message, json: bool = False, partial: bool | str = False) -> Message:
        """Decode the payload (once): tree, summary, the payload's problems. With
        `json`, what lies below the top-level attributes is built as its JSON and
        made into Fields only when read (nla.JSON): the same tree, for an export.
        With `partial` (a decoding filter), nests are walked only when read and
        their problems are not gathered: the message decodes again in full when
        its problems are asked for and its nests hold any (Message._settle).
        partial=SUMMARY (a summary line) makes the summary too."""
        if msg.decoded or msg._decoding:
            return msg
        msg._decoding = True
        if msg.decoder is None:
            msg.decoder = self
        try:
            if msg.is_fragment:
                msg._tree = []
                msg._summary = "malformed: " + "; ".join(msg._problems)
                return msg
            if partial and msg.type in (NLMSG_ERROR, NLMSG_DONE):
                partial = False  # small; and an echoed request's problems are a note, not ours
            try:
                msg._partial = partial  # _decode reads it: a filter's decode makes no summary
                with decoding(LAZY if partial else JSON if json else TREE):
                    self._decode(msg)
            except (Exception, SystemExit) as e:  # a dissector bug must not stop the rest of the capture
                msg._problems.append(f"dissector error: {type(e).__name__}: {e}")
                msg._summary = msg._summary or f"{msg.type_name or msg.type} (dissector error)"
                if msg._tree is None:
                    msg._tree = []
        finally:
            msg._decoding = False
        return msg

    def note(self, msg: Message) -> None:
        """Called for every message in capture order: a family that learns from this
        message (Protocol.learns_from) has it decoded now and learns."""
        if msg.type is None:
            return
        protocol = msg.frame.protocol
        proto = self._learners.get(protocol, False)
        if proto is False:
            p = self.registry.get(protocol)
            proto = self._learners[protocol] = p if p is not None and p.learns_anything() else None
        # The state as this message was seen (what it teaches counts from the next one
        # on): a message decoded later, out of order, decodes as it would have then.
        msg.state = self.state
        if self._notes:
            for text in self._notes:
                msg.add_scan_problem(text)
            self._notes = []
        if proto is None:
            return
        try:
            if proto.learns_from(msg):
                new = proto.learned(msg, self.state)  # a new dict: earlier messages keep theirs
                if new is not None:
                    self.state = new
                    self.state_version += 1
        except (Exception, SystemExit) as e:  # a plugin's bug costs what it learns from this one
            msg.add_scan_problem(f"dissector error: {proto.name} learning: {plugin_failure(e)}")

    def note_comment(self, text: str) -> None:
        """A capture-level comment (pcapng section comment): every protocol may seed
        its per-capture state from it (e.g. a saved genl family-id map)."""
        new = copy.deepcopy(self.state)
        for proto in self.registry.protocols.values():
            try:
                proto.capture_comment(text, new)
            except (Exception, SystemExit) as e:
                if len(self._notes) < 16:
                    self._notes.append(f"dissector error: {proto.name} capture_comment(): {plugin_failure(e)}")
        self.state = new
        self.state_version += 1

    def messages(self, frames: Iterable[Frame], start: int = 1) -> Iterator[Message]:
        """Number frames and messages, in order, each noted (see `note`), not decoded. A
        source that collects capture comments (CaptureReader.section_comments) has them
        noted as they come."""
        n = start
        comments = getattr(frames, "section_comments", None)
        noted = 0
        for i, fr in enumerate(frames, 1):
            if comments is not None and len(comments) > noted:
                for text in comments[noted:]:
                    self.note_comment(text)
                noted = len(comments)
            if not fr.number:
                fr.number = i
            for m in scan_frame(fr, self):
                m.number = n
                n += 1
                self.note(m)
                yield m

    # -- internals -----------------------------------------------------------------
    def _header_fields(self, msg: Message) -> Field:
        s = msg.start
        # the header's values, not the message: a tree holding its message is a cycle,
        # and every message would then wait for the garbage collector
        vals = (s, msg.nlmsg_len, msg.type, msg.type_name, msg.flags, msg.kind, msg.seq, msg.pid)
        if decode_mode() != TREE:  # the export writes the header from the message
            return Lazy("nlmsghdr", "struct", s, s + 16, (_header_kids, vals))
        return Field("nlmsghdr", "struct", None, s, s + 16, children=_header_kids(*vals, []))

    def _ctx(self, msg_buf: bytes, start: int, end: int, order: str, protocol: int,
             mtype: int, flags: int, problems: list[str], state: dict | None = None) -> DecodeCtx:
        return DecodeCtx(msg_buf, start, end, order, protocol, mtype, flags, problems,
                         self.state if state is None else state, self.registry)

    def _decode(self, msg: Message) -> None:
        proto = self.registry.get(msg.protocol)
        mtype = msg.type
        ctx = self._ctx(msg.frame.raw, msg.start + NLMSG_HDRLEN, _body_end(msg), msg.order,
                        msg.protocol, mtype, msg.flags, msg._problems, msg.state)
        name, kind, spec = resolve_type(proto, mtype, ctx)
        msg._names = (name, kind, spec)
        tree = [self._header_fields(msg)]
        if mtype == NLMSG_ERROR:
            payload, summary = self._error(msg, ctx, proto)
        elif mtype == NLMSG_DONE:
            payload, summary = self._done(msg, ctx, proto)
        elif mtype in CONTROL_NAMES or msg.nlmsg_len < NLMSG_HDRLEN:
            payload = _raw_rest(ctx)
            summary = name
        else:
            payload = self._payload(spec, ctx)
            # a summary may read msg.tree: it is the payload decoded so far
            msg._tree = [tree[0], *payload]
            # a filter's partial decode leaves the summary to the full one
            summary = name if msg._partial is True else _summary(spec, msg, payload, name)
        tree.extend(payload)
        pad_at = min(msg.start + ((msg.nlmsg_len + 3) & ~3), msg.end)
        if msg.nlmsg_len >= NLMSG_HDRLEN and msg.end - pad_at > 0 and not any(msg.frame.raw[pad_at:msg.end]):
            tree.append(Field("padding", "bytes", bytes(msg.frame.raw[pad_at:msg.end]), pad_at, msg.end))
        msg._summary = summary
        msg._tree = tree

    def _payload(self, spec: MessageType | None, ctx: DecodeCtx) -> list[Field]:
        """A family payload: fixed header then attributes, or the type's own decoder."""
        if spec is None:
            return _raw_rest(ctx)
        if spec.decode is not None:
            return spec.decode(ctx)
        out: list[Field] = []
        pos = ctx.start
        if spec.header is not None:
            h = spec.header
            if ctx.end - pos < h.size:
                ctx.problems.append(f"{h.name}: needs {h.size} bytes, message has {ctx.end - pos}")
                return _raw_rest(ctx)
            out.append(Field(h.name, "struct", None, pos, pos + h.size,
                             children=h.parse(ctx.buf, pos, ctx.order)))
            pos += (h.size + 3) & ~3
        if pos < ctx.end:
            if spec.attrs is None:  # a type without attributes: what follows is unexpected
                out.extend(trailing_fields(ctx.buf, pos, ctx.end, spec.header.name if spec.header else spec.name))
            else:
                aset = spec.attrs(out) if callable(spec.attrs) else spec.attrs
                attrs = walk_attrs(ctx.buf, pos, ctx.end, aset, ctx.order, ctx.problems)
                out.append(Field("attributes", "nest", None, pos, ctx.end, children=attrs))
        return out

    def _error(self, msg: Message, ctx: DecodeCtx, proto) -> tuple[list[Field], str]:
        buf, pos, end, order = ctx.buf, ctx.start, ctx.end, ctx.order
        if end - pos < 4:
            ctx.problems.append(f"NLMSG_ERROR: {end - pos} bytes, needs at least 4 for the error code")
            return _raw_rest(ctx), "NLMSG_ERROR (malformed)"
        err = struct.unpack_from(order + "i", buf, pos)[0]
        out = [Field("error", "enum", err, pos, pos + 4, errno_name(err) if err else "OK")]
        pos += 4
        orig_desc = ""
        orig_note = ""
        orig_fields: list[Field] = []
        orig_start = pos
        echo_type = msg.request.type if msg.request is not None else None
        if end - pos >= NLMSG_HDRLEN:
            oln, otype, oflags, oseq, opid = _HDR[order].unpack_from(buf, pos)
            capped = bool(msg.flags & NLM_F_CAPPED)
            # What the type's decoder may look at: the echoed request only (a capped
            # echo has no payload; extack TLVs after it are not the request's).
            o_lim = (pos + NLMSG_HDRLEN if msg.flags & NLM_F_CAPPED
                     else min(pos + max(oln, NLMSG_HDRLEN), end))
            octx = self._ctx(buf, pos + NLMSG_HDRLEN, o_lim, order, msg.protocol, otype, oflags,
                             ctx.problems, ctx.state)
            oname, okind, ospec = resolve_type(proto, otype, octx)
            orig_fields = [
                Field("nlmsg_len", "int", oln, pos, pos + 4),
                Field("nlmsg_type", "enum", otype, pos + 4, pos + 6, oname),
                Field("nlmsg_flags", "flags", oflags, pos + 6, pos + 8, name_flags(oflags, okind)),
                Field("nlmsg_seq", "int", oseq, pos + 8, pos + 12),
                Field("nlmsg_pid", "int", opid, pos + 12, pos + 16),
            ]
            orig_desc = _echo_desc(msg, oname, oseq)
            echo_type = otype
            if capped:
                o_end = pos + NLMSG_HDRLEN
            else:
                o_end = min(pos + max(oln, NLMSG_HDRLEN), end)
                if o_end > pos + NLMSG_HDRLEN and otype >= 16:
                    # the echoed request's faults are the request's, not this answer's
                    theirs: list[str] = []
                    octx = self._ctx(buf, pos + NLMSG_HDRLEN, o_end, order, msg.protocol, otype,
                                     oflags, theirs, ctx.state)
                    orig_fields.extend(self._payload(ospec, octx))
                    if theirs:
                        orig_note = "the echoed request is malformed: " + "; ".join(theirs)
                        orig_fields.append(Field("note", "note", orig_note, pos, o_end))
            out.append(Field("original", "struct", None, pos, o_end, children=orig_fields))
            pos = ctx.start + ((o_end - ctx.start + 3) & ~3)
        elif end > pos:
            ctx.problems.append(f"NLMSG_ERROR: {end - pos} bytes left, too short for the original header")
            out.append(Field("original", "bytes", bytes(buf[pos:end]), pos, end))
            pos = end
        own = getattr(proto, "errno_name", None)  # a family's private codes (ipset's)
        if err and own is not None and echo_type is not None and errno_name(err) is None:
            own_name = own(err, echo_type)
            if own_name is not None:
                out[0] = Field("error", "enum", err, out[0].start, out[0].end, own_name)
        ext: list[Field] = []
        if pos < end:
            if msg.flags & NLM_F_ACK_TLVS:
                ext = walk_attrs(buf, pos, end, EXTACK_ATTRS, order, ctx.problems)
                _point_offset(ext, orig_start, orig_fields, msg.request)
                out.append(Field("extack", "nest", None, pos, end, children=ext))
            else:
                out.append(Field("trailing", "bytes", bytes(buf[pos:end]), pos, end))
        summary = _error_summary(err, orig_desc, ext, out[0].meta)
        return out, f"{summary} (request malformed)" if orig_note else summary

    def _done(self, msg: Message, ctx: DecodeCtx, proto: Protocol | None = None) -> tuple[list[Field], str]:
        # a family whose DONE is not an errno (NFLOG ends a batch with an nfgenmsg)
        own = getattr(proto, "decode_done", None)
        got = own(ctx) if own is not None else None
        if got is not None:
            return got
        buf, pos, end = ctx.buf, ctx.start, ctx.end
        if end - pos < 4:  # some families end dumps with an empty DONE
            return _raw_rest(ctx), "NLMSG_DONE"
        v = struct.unpack_from(ctx.order + "i", buf, pos)[0]
        out = [Field("value", "enum" if v < 0 else "int", v, pos, pos + 4, errno_name(v) if v < 0 else None)]
        ext: list[Field] = []
        if end - pos > 4:
            if msg.flags & NLM_F_ACK_TLVS:
                ext = walk_attrs(buf, pos + 4, end, EXTACK_ATTRS, ctx.order, ctx.problems)
                out.append(Field("extack", "nest", None, pos + 4, end, children=ext))
            else:  # e.g. a module that answers with a DONE carrying its text
                out.extend(trailing_fields(buf, pos + 4, end, "the 4-byte status"))
                text = printable_text(bytes(buf[pos:end]))
                if text is not None:  # the whole payload is a text: it was never an errno
                    return out, f'NLMSG_DONE "{text}" (text, not a status)'
                return out, f"NLMSG_DONE {v} (+{end - pos - 4} bytes)"
        if v < 0:
            return out, "dump failed: " + _error_summary(v, "", ext)
        text = _extack_msg(ext)
        return out, f"NLMSG_DONE {v}" + (f' "{text}"' if text else "")


def extack_attrs(msg: Message) -> list[Field]:
    """The extended ACK TLVs of an NLMSG_ERROR / NLMSG_DONE flagged ACK_TLVS, walked
    alone: the echoed request is stepped over, not decoded (an offset stays a number;
    the full decode names the attribute it points at)."""
    if not msg.flags & NLM_F_ACK_TLVS or msg.nlmsg_len < 20:
        return []
    buf, order = msg.frame.raw, msg.order
    end = _body_end(msg)
    pos = msg.start + NLMSG_HDRLEN + 4
    if msg.type == NLMSG_ERROR:
        if end - pos < NLMSG_HDRLEN:
            return []
        oln = _HDR[order].unpack_from(buf, pos)[0]
        o_end = pos + NLMSG_HDRLEN if msg.flags & NLM_F_CAPPED else min(pos + max(oln, NLMSG_HDRLEN), end)
        start = msg.start + NLMSG_HDRLEN
        pos = start + ((o_end - start + 3) & ~3)
    if pos >= end:
        return []
    return walk_attrs(buf, pos, end, EXTACK_ATTRS, order, [])


def _echo_desc(msg: Message, oname: str, oseq: int) -> str:
    """The echoed request, named from the request the answer was paired with when the
    echo cannot name it: a capped echo of a genl request has no genlmsghdr ("ACK to
    RTMGR CREATE"); nl80211 zeroes a request that carried keys (NL80211_FLAG_CLEAR_SKB)
    before its error echoes it: the header stays, the payload names nothing."""
    req = msg.request
    if req is None:
        return f"{oname} seq {oseq}"
    if _wiped_echo(msg, req):
        return f"{req.type_name} seq {req.seq} (echo wiped by the kernel)"
    name = req.type_name
    if name and name.startswith(oname + " ") and req.seq == oseq:
        return f"{name} seq {oseq}"
    return f"{oname} seq {oseq}"


def _wiped_echo(msg: Message, req: Message) -> bool:
    """The error echoes the request's header, but its payload is zeros where the
    request's was not."""
    if msg.flags & NLM_F_CAPPED or req.nlmsg_len is None or req.nlmsg_len <= NLMSG_HDRLEN:
        return False
    raw, s = msg.frame.raw, msg.start + 4 + NLMSG_HDRLEN
    rraw, rs = req.frame.raw, req.start
    if s + NLMSG_HDRLEN > min(len(raw), msg.end) or raw[s:s + 16] != rraw[rs:rs + 16]:
        return False
    n = req.nlmsg_len - NLMSG_HDRLEN
    echo = raw[s + 16:min(s + 16 + n, msg.end)]
    return len(echo) == n and not any(echo) and any(rraw[rs + 16:rs + req.nlmsg_len])


def printable_text(raw: bytes) -> str | None:
    """`raw` as text when it is one: printable UTF-8 up to a NUL, only NULs after it."""
    body, _, tail = raw.partition(b"\0")
    if not body or tail.strip(b"\0"):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None


def trailing_fields(buf, start: int, end: int, what: str) -> list[Field]:
    """Bytes a message carries past the struct its type has: kept (as text when they
    are one) and said in a note; not a malformation, the struct itself decoded."""
    raw = bytes(buf[start:end])
    text = printable_text(raw)
    rest = Field("trailing", "str", text, start, end) if text is not None else \
        Field("trailing", "bytes", raw, start, end)
    return [rest, Field("note", "note", f"{end - start} bytes after {what}", start, end)]


def _summary(spec: MessageType | None, msg: Message, payload: list[Field], name: str) -> str:
    """The family's summary line; a summary that fails costs the line, never the tree."""
    if spec is None or spec.summary is None:
        return name
    try:
        return spec.summary(msg, payload)
    except Exception as e:  # a summary bug on odd input: keep the decoded payload
        msg._problems.append(f"summary error: {type(e).__name__}: {e}")
        return f"{name} (summary error)"


def _header_kids(s: int, nlmsg_len: int, mtype: int, type_name: str | None, flags: int,
                 kind: str, seq: int, pid: int, problems: list[str]) -> list[Field]:
    return [
        Field("nlmsg_len", "int", nlmsg_len, s, s + 4),
        Field("nlmsg_type", "enum", mtype, s + 4, s + 6, type_name),
        Field("nlmsg_flags", "flags", flags, s + 6, s + 8, name_flags(flags, kind)),
        Field("nlmsg_seq", "int", seq, s + 8, s + 12),
        Field("nlmsg_pid", "int", pid, s + 12, s + 16),
    ]


_header_kids.clean = True  # nla.fields_clean: its expansion reports no problem


def _body_end(msg: Message) -> int:
    return msg.end if msg.nlmsg_len < NLMSG_HDRLEN else min(msg.start + msg.nlmsg_len, msg.end)


def _raw_rest(ctx: DecodeCtx) -> list[Field]:
    if ctx.end > ctx.start:
        return [Field("data", "bytes", bytes(ctx.buf[ctx.start:ctx.end]), ctx.start, ctx.end)]
    return []


def _extack_msg(ext: list[Field]) -> str | None:
    for f in ext:
        if f.name == "NLMSGERR_ATTR_MSG":
            return f.value
    return None


def _point_offset(ext: list[Field], orig_start: int, orig_fields: list[Field],
                  req: Message | None) -> None:
    """NLMSGERR_ATTR_OFFS counts from the original nlmsghdr: name the attribute there,
    or, when the echo is capped, in the request the error was paired with."""
    for f in ext:
        if f.name == "NLMSGERR_ATTR_OFFS" and f.kind == "int":
            hit = _field_at(orig_fields, orig_start + f.value)
            if hit is None and req is not None:
                hit = _field_at(req.tree, req.start + f.value)
            if hit is not None:
                f.kind, f.meta = "enum", hit.name


def _field_at(fields: list[Field], pos: int) -> Field | None:
    best = None
    for f in fields:
        if f.start == pos and f.name not in ("attributes",) and f.kind != "note":
            best = f
        if f.children and f.start <= pos < f.end:
            inner = _field_at(f.children, pos)
            if inner is not None:
                best = inner
    return best


def _error_summary(err: int, orig: str, ext: list[Field], name: str | None = None) -> str:
    text = _extack_msg(ext)
    to = f" to {orig}" if orig else ""
    if err == 0:
        return f"ACK{to}" + (f' (warning: "{text}")' if text else "")
    name = name or errno_name(err) or "?"
    line = f"error {err} {name}{to}"
    if text:
        line += f': "{text}"'
    for f in ext:
        if f.name == "NLMSGERR_ATTR_OFFS" and f.kind == "enum":
            line += f" at {f.meta}"
        if f.name == "NLMSGERR_ATTR_MISS_TYPE":
            line += f" missing attribute {f.value}"
    return line

