"""`nlscope tui`: the interactive inspector (also `nlscope FILE`).

    nlscope tui FILE [-Y FILTER] [--follow]   a capture file (--follow: still growing)
    nlscope tui -                               pcap/pcapng streamed on stdin
    nlscope tui -i nlmon0                       live, through nlscope's capture source
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys

from ..capture.pcapio import CaptureError, CaptureReader
from .main import _protocol_number, _registry


class TuiError(Exception):
    pass


def add_parser(subparsers, common) -> None:
    p = subparsers.add_parser("tui", help="interactive inspector (Wireshark's panes, in a terminal)",
                              description="Interactive inspector: message list, detail tree, "
                                          "bytes, transactions, display filter, live follow.")
    p.add_argument("file", metavar="FILE", nargs="?",
                   help="pcap or pcapng capture ('-': a capture streamed on stdin)")
    p.add_argument("-i", dest="interface", metavar="IFACE",
                   help="capture live from this nlmon interface (via nlscope's capture source)")
    p.add_argument("-Y", dest="filter", metavar="FILTER", default="",
                   help="display filter to apply at start")
    p.add_argument("--follow", action="store_true",
                   help="keep reading FILE as it grows (a capture still being written)")
    p.add_argument("--dissector", action="append", metavar="FILE",
                   help="load a dissector plugin from a Python file (repeatable)")
    p.add_argument("--spec", action="append", metavar="FILE.yaml",
                   help="decode a family from its YNL spec (kernel YAML format; repeatable)")
    p.add_argument("--kmod-proto", action="append", type=_protocol_number, metavar="N",
                   help="decode protocol N as the nlgreet/rtmgr modules' raw protocol "
                        "(their proto= parameter; 31 is always on; repeatable)")
    p.set_defaults(func=cmd_tui)


def capture_argv(iface: str) -> list[str]:
    """The helper that captures: `nlscope capture -i IFACE -w -` streaming pcapng to us.
    It needs CAP_NET_RAW (and CAP_NET_ADMIN to create the interface); the TUI needs
    nothing, so without those the helper runs through `sudo -n`."""
    argv = [sys.executable, "-m", "nlscope", "capture", "-i", iface, "-w", "-", "-q"]
    try:
        from ..capture.nlmon import missing_caps
        missing = missing_caps(12, 13)  # CAP_NET_ADMIN, CAP_NET_RAW
    except ImportError:
        missing = [] if os.geteuid() == 0 else ["CAP_NET_RAW"]
    if missing and shutil.which("sudo"):
        argv = ["sudo", "-n", *argv]
    return argv


def _live_source(iface: str, decoder):
    from ..tui.source import StreamSource
    if importlib.util.find_spec("nlscope.cli.capture") is None:
        raise TuiError("live capture needs nlscope's capture command (not in this build); "
                       f"meanwhile: `tcpdump -i {iface} -w FILE` and `nlscope tui --follow FILE`")
    return StreamSource(None, decoder, argv=capture_argv(iface), label=iface)


def build_app(args):
    from ..decode.decoder import Decoder
    from ..tui.app import make_app
    from ..tui.source import StreamSource
    decoder = Decoder(_registry(args))  # the same dissectors, specs and kmod protocols as read
    if args.interface:
        if args.file:
            raise TuiError("give FILE or -i IFACE, not both")
        return make_app(source=_live_source(args.interface, decoder), filter_text=args.filter)
    if not args.file:
        raise TuiError("nothing to show: give a capture FILE, '-' for stdin, or -i IFACE")
    if args.file == "-":
        if sys.stdin.isatty():
            raise TuiError("'-' reads a capture from stdin, but stdin is a terminal")
        stream = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
        _reattach_tty()
        return make_app(source=StreamSource(stream, decoder), filter_text=args.filter)
    if not os.path.isfile(args.file):
        raise CaptureError(f"{args.file}: no such file")
    if not args.follow or os.path.getsize(args.file) >= 4:
        CaptureReader(args.file).close()  # one clear line for a file that is not a capture
    return make_app(args.file, follow=args.follow, decoder=decoder, filter_text=args.filter)


def _reattach_tty() -> None:
    """The capture came on stdin: the keyboard is the controlling terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        raise TuiError("no terminal to read keys from (/dev/tty)") from None
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdin = open(0, "r", closefd=False)


def cmd_tui(args: argparse.Namespace) -> int:
    try:
        app = build_app(args)
    except TuiError as e:
        print(f"nlscope: error: {e}", file=sys.stderr)
        return 2
    app.run()
    while app.open_next:  # "open recent" chose another capture
        args.file, args.interface, args.follow = app.open_next, None, False
        try:
            app = build_app(args)
        except (TuiError, CaptureError) as e:
            print(f"nlscope: error: {e}", file=sys.stderr)
            return 2
        app.run()
    return 0
