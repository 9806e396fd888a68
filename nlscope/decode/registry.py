"""The dissector registry: families register by netlink protocol number, then by
message type. The core never imports a family; families (built-in, entry points,
files given with --dissector) call `registry.add(...)` from their `register()`.
"""
from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import Field, Message
from .nla import AttrSet, FixedHeader

ENTRY_POINT_GROUP = "nlscope.dissectors"


class PluginError(Exception):
    pass


@dataclass(slots=True)
class DecodeCtx:
    """What a payload decoder sees: the frame bytes, its payload span, byte order,
    the message header values, where to put problems, and per-capture state."""

    buf: bytes
    start: int
    end: int
    order: str
    protocol: int
    mtype: int
    flags: int
    problems: list[str]
    state: dict[str, Any]
    registry: Registry


# summary(msg, fields) -> one line (the Info column)
Summary = Callable[[Message, list[Field]], str]


@dataclass(frozen=True, slots=True)
class MessageType:
    """One message type of a family: its name, its kind (which picks the names of the
    high flag bits: get, new, del, or other), its fixed header, its attributes, and
    its summary line. `decode` replaces header+attrs for payloads that are neither."""

    name: str
    kind: str = "other"
    header: FixedHeader | None = None
    attrs: AttrSet | Callable[[list[Field]], AttrSet | None] | None = None
    summary: Summary | None = None
    decode: Callable[[DecodeCtx], list[Field]] | None = None

    def __deepcopy__(self, memo: dict) -> MessageType:
        # A table, shared: a copied message (the workers' snapshot of the Tracker holds
        # requests) names the same type.
        return self


class Protocol:
    """A netlink protocol (family number). Subclass and override `message_type` when
    the type alone does not decide (generic netlink resolves family ids)."""

    def __init__(self, number: int, name: str, messages: dict[int, MessageType] | None = None):
        self.number = number
        self.name = name
        self.messages: dict[int, MessageType] = dict(messages or {})

    def message_type(self, ctx: DecodeCtx) -> MessageType | None:
        return self.messages.get(ctx.mtype)

    def default_kind(self, mtype: int) -> str:
        return "other"

    def learns_anything(self) -> bool:
        return type(self).learn is not Protocol.learn

    def learns_from(self, msg: Message) -> bool:
        """Whether `learn` needs this message (it is then decoded in capture order, as
        it is scanned); decided from the header. By default: every message, when the
        family learns at all."""
        return True

    def learn(self, msg: Message, state: dict[str, Any]) -> None:
        """Called, in capture order, with each message `learns_from` chose (its tree is
        decoded when read): update per-capture state in place (e.g. generic netlink
        family ids from CTRL_CMD_NEWFAMILY)."""

    def learned(self, msg: Message, state: dict[str, Any]) -> dict[str, Any] | None:
        """The state after `msg`, as a new dict when it changed, else None: messages
        seen earlier keep the state they were seen with. By default `learn` on a deep
        copy; a family that learns often and cheaply (from the bytes) overrides this."""
        new = copy.deepcopy(state)
        self.learn(msg, new)
        return new if new != state else None

    def capture_comment(self, text: str, state: dict[str, Any]) -> None:
        """Called with each capture-level comment (pcapng section comment) before the
        frames after it are decoded: seed per-capture state from what the capture
        saved (e.g. generic netlink family ids)."""


@dataclass
class Registry:
    protocols: dict[int, Protocol] = field(default_factory=dict)
    loaded: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # family-specific tables (genl, ...)

    def add(self, proto: Protocol, number: int | None = None) -> None:
        """Register `proto` for its number (or another one: a module parameter may move
        a custom family to a different protocol number)."""
        self.protocols[proto.number if number is None else number] = proto

    def get(self, number: int) -> Protocol | None:
        return self.protocols.get(number)

    # -- plugins ---------------------------------------------------------------------
    def _run(self, obj: Any, origin: str) -> None:
        """Call a plugin's register(registry). If it fails, what it registered is taken
        back and PluginError names the plugin and the failure in one line."""
        reg = getattr(obj, "register", obj)
        if not callable(reg):
            raise PluginError(f"{origin}: has no register(registry) function")
        protocols, extras = dict(self.protocols), dict(self.extras)
        try:
            reg(self)
        except (Exception, SystemExit) as e:  # sys.exit() in a plugin must not end the run silently
            self.protocols, self.extras = protocols, extras
            raise PluginError(f"{origin}: register() failed: {plugin_failure(e)}") from None
        self.loaded.append(origin)

    def load_builtin(self) -> None:
        from .. import dissectors
        self._run(dissectors, "builtin")

    def load_entry_points(self) -> None:
        """Installed plugins (entry point group nlscope.dissectors); a broken one is a
        one-line warning and is left out: nlscope runs without it."""
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            origin = f"dissector plugin {ep.name!r} ({ep.value})"
            try:
                try:
                    obj = ep.load()
                except (Exception, SystemExit) as e:
                    raise PluginError(f"{origin}: cannot import: {plugin_failure(e)}") from None
                self._run(obj, origin)
            except PluginError as e:
                print(f"nlscope: warning: {e}", file=sys.stderr)

    def load_file(self, path: str) -> None:
        if not os.path.isfile(path):
            raise PluginError(f"{path}: no such dissector file")
        name = "nlscope_plugin_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise PluginError(f"{path}: cannot load as Python")
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except (Exception, SystemExit) as e:  # SyntaxError, ValueError (NUL bytes), exit() ...
            raise PluginError(f"{path}: cannot load: {plugin_failure(e)}") from None
        self._run(mod, path)


def plugin_failure(e: BaseException) -> str:
    """One line for what a plugin raised (or the status it tried to exit with)."""
    if isinstance(e, SystemExit):
        return f"called sys.exit({e.code!r})"
    text = " ".join(str(e).split())
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def default_registry(files: list[str] = (), entry_points: bool = True) -> Registry:
    reg = Registry()
    reg.load_builtin()
    if entry_points:
        reg.load_entry_points()
    for f in files:
        reg.load_file(f)
    return reg
