"""The capture reader on damaged and hostile containers (issue 12, items 2, 3 and 9):
each reproducer file is made here, from the bytes a fuzzer found; each must give a
warning and every whole record, or one line and exit 2 when nothing is usable, and
never a traceback or a huge allocation."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading

import pytest
from conftest import SAMPLES

from nlscope.capture.pcapio import CaptureReader

NLMSG = struct.pack("<IHHII", 20, 16, 0x301, 7, 0) + b"\0" * 4  # RTM_GETLINK dump request
COOKED = struct.pack(">HHH8sH", 4, 824, 0, b"", 0)


def block(btype: int, body: bytes, length: int | None = None) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12 if length is None else length
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def shb(length: int | None = None) -> bytes:
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1), length)


def idb(tsresol: int | None = 9) -> bytes:
    opts = b""
    if tsresol is not None:
        opts = struct.pack("<HH", 9, 1) + bytes([tsresol]) + b"\0\0\0" + b"\0" * 4
    return block(1, struct.pack("<HHI", 253, 0, 0) + opts)


def epb(data: bytes = COOKED + NLMSG, ts: int = 1_700_000_000_000_000_000, opts: bytes = b"",
        cap: int | None = None) -> bytes:
    cap = len(data) if cap is None else cap
    body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, cap, len(data)) + data
    body += b"\0" * (-len(body) % 4) + opts
    return block(6, body)


def comment(text: bytes) -> bytes:
    return struct.pack("<HH", 1, len(text)) + text + b"\0" * (-len(text) % 4) + b"\0" * 4


def nlscope(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nlscope", *args], capture_output=True,
                          text=True, timeout=300, **kw)


def _good_then(tmp_path, bad: bytes, name: str):
    """A good frame, the bad block, a good frame: both good frames must be read."""
    path = tmp_path / name
    path.write_bytes(shb() + idb() + epb() + bad + epb())
    return path


@pytest.mark.parametrize("bad,what", [
    (block(6, b"", 12), "EPB of 12 bytes"),
    (block(6, b"\0" * 4), "EPB of 16 bytes"),
    (block(1, b"", 12), "IDB of 12 bytes"),
    (block(3, b"", 12), "SPB of 12 bytes"),
    (epb(cap=4000), "EPB whose caplen runs past its block"),
])
def test_short_or_overlong_blocks_are_skipped_with_a_warning(tmp_path, bad, what):
    path = _good_then(tmp_path, bad, "bad.pcapng")
    r = nlscope("read", str(path))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "warning" in r.stderr, (what, r.stderr)
    lines = r.stdout.splitlines()[1:]
    assert [ln.split()[0] for ln in lines] == ["1", "2"], (what, r.stdout)
    assert "FRAGMENT" not in r.stdout  # a block's trailer is never read as a message


@pytest.mark.parametrize("length", [8, 0, 0xFFFFFFF0])
def test_a_first_section_header_with_a_bad_length_is_unusable(tmp_path, length):
    path = tmp_path / "shb.pcapng"
    path.write_bytes(shb(length) + idb() + epb())
    r = nlscope("read", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "bad length" in r.stderr


def test_a_later_section_header_claiming_4_gb_is_not_allocated(tmp_path):
    path = tmp_path / "shb2.pcapng"
    path.write_bytes(shb() + idb() + epb() + shb(0xFFFFFFF0) + b"\0" * 64)
    # a 256 MB address-space limit: reading 4 GB would fail with MemoryError
    r = nlscope("read", str(path), preexec_fn=lambda: __import__("resource").setrlimit(
        __import__("resource").RLIMIT_AS, (1 << 30, 1 << 30)))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "bad length" in r.stderr and len(r.stdout.splitlines()) == 2


def test_coarse_timestamps_at_the_top_of_64_bits(tmp_path):
    path = tmp_path / "ts.pcapng"
    path.write_bytes(shb() + idb(tsresol=0) + epb(ts=(1 << 64) - 1))
    for args in (["-t", "a"], ["-t", "e"], ["-w", str(tmp_path / "out.pcapng")]):
        r = nlscope("read", *args, str(path))
        assert r.returncode == 0 and "Traceback" not in r.stderr, (args, r.stderr)
    back = list(CaptureReader(str(tmp_path / "out.pcapng")))
    assert len(back) == 1 and back[0].ts_ns == (1 << 64) - 1


def test_a_pid_comment_with_thousands_of_digits_is_a_plain_comment(tmp_path):
    path = tmp_path / "pid.pcapng"
    path.write_bytes(shb() + idb() + epb(opts=comment(b"pid=" + b"9" * 5000)))
    fr = next(iter(CaptureReader(str(path))))
    assert fr.pid is None and fr.comment.startswith("pid=999")
    r = nlscope("read", "-V", str(path))
    assert r.returncode == 0 and "Traceback" not in r.stderr


def test_a_fifo_holding_a_capture_is_read(tmp_path):
    fifo = tmp_path / "cap.fifo"
    os.mkfifo(fifo)
    data = (SAMPLES / "mixed.pcapng").read_bytes()

    def feed():
        with open(fifo, "wb") as f:
            f.write(data)
    t = threading.Thread(target=feed)
    t.start()
    r = nlscope("read", str(fifo))
    t.join(timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == nlscope("read", str(SAMPLES / "mixed.pcapng")).stdout
