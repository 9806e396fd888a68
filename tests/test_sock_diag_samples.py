"""sock_diag on the real capture (samples/sock_diag.pcapng, made by `ss` in the VM):
every message named, attributes named, summaries present, and the decoded values
equal to what `ss` printed from the same replies (samples/sock_diag.log)."""
from __future__ import annotations

import re

import pytest
from conftest import SAMPLES, attribute_coverage

from nlscope.decode.decoder import Decoder
from nlscope.dissectors import sock_diag
from nlscope.decode.model import find
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import Registry

CAPTURE = SAMPLES / "sock_diag.pcapng"
LOG = SAMPLES / "sock_diag.log"


@pytest.fixture(scope="module")
def msgs():
    reg = Registry()
    sock_diag.register(reg)
    return [m for m in Decoder(reg).messages(CaptureReader(CAPTURE)) if m.protocol == 4]


def test_all_named_and_summarised(msgs):
    assert len(msgs) > 50
    unknown = [m for m in msgs if m.type_name is None or m.type_name.startswith("UNKNOWN")]
    assert unknown == []
    assert all(m.summary and m.summary != m.type_name for m in msgs if m.type == 20)
    assert [m.problems for m in msgs if m.problems] == []
    named, total = attribute_coverage(msgs)
    share = 100 * named / total
    print(f"\nsock_diag.pcapng: {len(msgs)} messages, {named}/{total} attributes named ({share:.2f}%)")
    assert total > 100 and share >= 98
    families = {m.summary.split()[1] for m in msgs if m.type == 20 and not m.flags & 1}
    assert {"inet", "inet6", "unix", "packet"} <= families
    assert any(m.summary.startswith("SOCK_DIAG_BY_FAMILY dump inet tcp states ALL") for m in msgs)
    assert any(re.fullmatch(r"SOCK_DIAG_BY_FAMILY inet tcp LISTEN 127\.0\.0\.1:8080 -> 0\.0\.0\.0:\*( cubic)?",
                            m.summary) for m in msgs)
    assert any(m.summary.startswith("SOCK_DIAG_BY_FAMILY inet6 tcp LISTEN [::1]:8443") for m in msgs)
    assert any(m.type_name == "SOCK_DESTROY" for m in msgs)


def _ss_blocks(command: str) -> list[tuple[str, str, str]]:
    """(local, peer, detail line) for each socket `ss <command>` printed."""
    text = LOG.read_text()
    start = text.index(f"$ ss {command}\n")
    block = text[start:text.index("[exit", start)].splitlines()[2:]
    out = []
    for head, detail in zip(block[::2], block[1::2]):
        cols = head.split()
        out.append((cols[-2], cols[-1], detail.strip()))
    return out


def _endpoints(m) -> tuple[str, str]:
    h = m.tree[1]
    get = {c.name: c for c in h.children}
    return (f"{get['idiag_src'].value}:{get['idiag_sport'].value}",
            f"{get['idiag_dst'].value}:{get['idiag_dport'].value}")


def test_tcp_info_equals_ss(msgs):
    """`ss -tin state established` printed these from INET_DIAG_INFO replies."""
    checked = 0
    for local, peer, detail in _ss_blocks("-tin state established"):
        want = dict(re.findall(r"\b(rto|ato|mss|pmtu|rcvmss|advmss|cwnd|rcv_space|snd_wnd|segs_in|"
                                r"bytes_received|bytes_sent):(\d+)", detail))
        rtt, rttvar = re.search(r"rtt:([\d.]+)/([\d.]+)", detail).groups()
        cands = [m for m in msgs if find(m.tree, "INET_DIAG_INFO") is not None
                 and find(m.tree, "INET_DIAG_INFO").children and _endpoints(m) == (local, peer)]
        assert cands, (local, peer)

        def info(m, n):
            return find(m.tree, "tcpi_" + n).value

        def matches(m):
            ours = {"rto": info(m, "rto") // 1000, "ato": info(m, "ato") // 1000, "mss": info(m, "snd_mss"),
                    "pmtu": info(m, "pmtu"), "rcvmss": info(m, "rcv_mss"), "advmss": info(m, "advmss"),
                    "cwnd": info(m, "snd_cwnd"), "rcv_space": info(m, "rcv_space"),
                    "snd_wnd": info(m, "snd_wnd"), "segs_in": info(m, "segs_in"),
                    "bytes_received": info(m, "bytes_received"), "bytes_sent": info(m, "bytes_sent")}
            return (all(ours[k] == int(v) for k, v in want.items())
                    and f"{info(m, 'rtt') / 1000:g}" == f"{float(rtt):g}"
                    and f"{info(m, 'rttvar') / 1000:g}" == f"{float(rttvar):g}")
        assert any(matches(m) for m in cands), (local, peer, want)
        checked += 1
    assert checked == 2


def test_skmeminfo_equals_ss(msgs):
    """`ss -tmn` prints INET_DIAG_SKMEMINFO as skmem:(r,rb,t,tb,f,w,o,bl,d)."""
    keys = ["SK_MEMINFO_RMEM_ALLOC", "SK_MEMINFO_RCVBUF", "SK_MEMINFO_WMEM_ALLOC", "SK_MEMINFO_SNDBUF",
            "SK_MEMINFO_FWD_ALLOC", "SK_MEMINFO_WMEM_QUEUED", "SK_MEMINFO_OPTMEM", "SK_MEMINFO_BACKLOG",
            "SK_MEMINFO_DROPS"]
    for local, peer, detail in _ss_blocks("-tmn"):
        want = [int(x) for x in re.findall(r"\d+", detail.split("skmem:(")[1].split(")")[0])]
        got = [[c.value for c in find(m.tree, "INET_DIAG_SKMEMINFO").children] for m in msgs
               if find(m.tree, "INET_DIAG_SKMEMINFO") is not None and _endpoints(m) == (local, peer)]
        assert want in got, (local, peer, want, got)
        m = next(m for m in msgs if find(m.tree, "INET_DIAG_SKMEMINFO") is not None)
        assert [c.name for c in find(m.tree, "INET_DIAG_SKMEMINFO").children] == keys
