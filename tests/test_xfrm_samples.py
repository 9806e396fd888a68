"""xfrm on the real capture (samples/xfrm.pcapng, made by `ip xfrm` in the VM): every
message named, attributes named, summaries present, and the SAs and policies equal
to what `ip xfrm state/policy show` printed from the same dump replies."""
from __future__ import annotations

import re

import pytest
from conftest import SAMPLES

from nlscope.decode.decoder import Decoder
from nlscope.dissectors import xfrm
from nlscope.decode.model import find
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import Registry

CAPTURE = SAMPLES / "xfrm.pcapng"


@pytest.fixture(scope="module")
def msgs():
    reg = Registry()
    xfrm.register(reg)
    return [m for m in Decoder(reg).messages(CaptureReader(CAPTURE)) if m.protocol == 6]


def _block(command: str) -> list[str]:
    text = (SAMPLES / "xfrm.log").read_text()
    start = text.index(f"$ {command}\n")
    return text[start:text.index("[exit", start)].splitlines()[1:]


def test_all_named_and_summarised(msgs):
    assert len(msgs) > 40
    assert [m.type_name for m in msgs if not m.type_name.startswith(("XFRM_MSG_", "NLMSG_"))] == []
    assert [m.problems for m in msgs if m.problems] == []
    total = named = 0
    for m in msgs:
        assert m.summary
        for f in m.tree:
            if f.name == "attributes":
                for a in f.children:
                    total += 1
                    named += not a.name.startswith("UNKNOWN(")
    share = 100 * named / total
    print(f"\nxfrm.pcapng: {len(msgs)} messages, {named}/{total} attributes named ({share:.2f}%)")
    assert total > 40 and share >= 98
    summaries = [m.summary for m in msgs]
    assert ("XFRM_MSG_NEWSA 192.0.2.1 -> 192.0.2.2 esp spi 0x1000 reqid 1 mode tunnel enc cbc(aes) "
            "auth hmac(sha256)") in summaries
    assert "XFRM_MSG_NEWSADINFO count 3 buckets 8/1048576" in summaries or any(
        s.startswith("XFRM_MSG_NEWSADINFO count 3") for s in summaries)


def _ours_sa(m) -> dict:
    info = m.tree[1]
    get = {c.name: c for c in info.children}
    ident = {c.name: c for c in get["id"].children}
    out = {"src": get["saddr"].value, "dst": ident["daddr"].value, "proto": ident["proto"].meta,
           "spi": ident["spi"].value, "reqid": get["reqid"].value, "mode": get["mode"].meta, "algs": set()}
    for f in m.tree[2].children:
        if f.name.startswith("XFRMA_ALG_"):
            kids = {c.name: c.value for c in f.children}
            extra = kids.get("alg_trunc_len", kids.get("alg_icv_len"))
            out["algs"].add((f.name, kids["alg_name"], kids["alg_key"].hex(), extra))
    # the kernel sends XFRMA_ALG_AUTH beside XFRMA_ALG_AUTH_TRUNC for old readers; ip shows the latter
    if any(a[0] == "XFRMA_ALG_AUTH_TRUNC" for a in out["algs"]):
        out["algs"] = {a for a in out["algs"] if a[0] != "XFRMA_ALG_AUTH"}
    return out


def test_sas_equal_ip_xfrm_state_show(msgs):
    lines = _block("ip xfrm state show")
    want = []
    words = {"aead": "XFRMA_ALG_AEAD", "enc": "XFRMA_ALG_CRYPT", "auth-trunc": "XFRMA_ALG_AUTH_TRUNC",
             "auth": "XFRMA_ALG_AUTH"}
    for ln in lines:
        if ln.startswith("src "):
            _, src, _, dst = ln.split()
            want.append({"src": src, "dst": dst, "algs": set()})
        elif ln.strip().startswith("proto "):
            p = re.match(r"\s*proto (\w+) spi (0x[0-9a-f]+) reqid (\d+) mode (\w+)", ln).groups()
            want[-1].update(proto="IPPROTO_" + p[0].upper(), spi=int(p[1], 16), reqid=int(p[2]),
                            mode="XFRM_MODE_" + p[3].upper())
        elif ln.strip().split(" ")[0] in words:
            w = ln.split()
            extra = int(w[3]) if len(w) > 3 else None
            want[-1]["algs"].add((words[w[0]], w[1], w[2][2:], extra))
    # the first SA dump's replies are what this command printed
    first = next(i for i, m in enumerate(msgs) if m.summary == "XFRM_MSG_GETSA dump")
    got = []
    for m in msgs[first + 1:]:
        if m.type_name != "XFRM_MSG_NEWSA":
            break
        got.append(_ours_sa(m))
    assert len(want) == 3
    assert got == want


def _ours_policy(m) -> dict:
    info = m.tree[1]
    get = {c.name: c for c in info.children}
    sel = {c.name: c for c in get["sel"].children}
    tmpls = []
    for t in find(m.tree, "XFRMA_TMPL").children:
        tk = {c.name: c for c in t.children}
        ident = {c.name: c for c in tk["id"].children}
        tmpls.append((tk["saddr"].value, ident["daddr"].value, ident["proto"].meta, tk["reqid"].value,
                      tk["mode"].meta))
    return {"src": f"{sel['saddr'].value}/{sel['prefixlen_s'].value}",
            "dst": f"{sel['daddr'].value}/{sel['prefixlen_d'].value}",
            "dir": get["dir"].meta, "priority": get["priority"].value, "tmpl": tmpls}


def test_policies_equal_ip_xfrm_policy_show(msgs):
    want = []
    lines = _block("ip xfrm policy show")
    for i, ln in enumerate(lines):
        if ln.startswith("src "):
            w = ln.split()
            want.append({"src": w[1], "dst": w[3], "tmpl": []})
        elif ln.strip().startswith("dir "):
            w = ln.split()
            want[-1].update(dir="XFRM_POLICY_" + w[1].upper(), priority=int(w[3]))
        elif ln.strip().startswith("tmpl "):
            w = ln.split()
            p = re.match(r"\s*proto (\w+) reqid (\d+) mode (\w+)", lines[i + 1]).groups()
            want[-1]["tmpl"].append((w[2], w[4], "IPPROTO_" + p[0].upper(), int(p[1]),
                                     "XFRM_MODE_" + p[2].upper()))
    first = next(i for i, m in enumerate(msgs) if m.summary == "XFRM_MSG_GETPOLICY dump")
    got = []
    for m in msgs[first + 1:]:
        if m.type_name != "XFRM_MSG_NEWPOLICY":
            break
        got.append(_ours_policy(m))
    assert len(want) == 3
    assert got == want


def test_counts_equal_ip_xfrm_count(msgs):
    sad = int(_block("ip xfrm state count")[0].split()[-1])
    spd = [int(x) for x in re.findall(r"\d+", _block("ip xfrm policy count")[0])]
    cnt = next(m for m in msgs if m.type_name == "XFRM_MSG_NEWSADINFO")
    assert find(cnt.tree, "XFRMA_SAD_CNT").value == sad
    info = find(next(m for m in msgs if m.type_name == "XFRM_MSG_NEWSPDINFO").tree, "XFRMA_SPD_INFO")
    assert [c.value for c in info.children[:3]] == spd


