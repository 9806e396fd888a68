"""Capture file sinks: the frames of the messages that pass, each frame once."""
from __future__ import annotations

from typing import Any

from ..capture.pcapio import open_writer
from .sinks import Sink, SinkOptions, sink


class _FrameSink(Sink):
    binary = True
    fmt = ""

    def __init__(self, out, opts: SinkOptions):
        super().__init__(out, opts)
        kw = {"comments": opts.comments} if self.fmt == "pcapng" else {}
        self._w = open_writer(out, self.fmt, **kw)
        self._last = None
        self.frames = 0

    def write(self, msg: Any, txn: Any) -> None:
        fr = msg.frame
        if fr is not self._last:
            self._last = fr
            self._w.write(fr)
            self.frames += 1
            if self.opts.flush:
                self.out.flush()


@sink("pcapng")
class PcapngSink(_FrameSink):
    fmt = "pcapng"


@sink("pcap")
class PcapSink(_FrameSink):
    fmt = "pcap"
