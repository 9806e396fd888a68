"""Issue 14, "Bugs on valid traffic": regression tests on a real capture from the VM lab
(tests/fixtures/issue14/: scenario.sh, made by make.py on Debian's 6.12 kernel with
nftables 1.0.6 and iproute2 6.1), checked against the tools' own output saved in the
same run (`nft list hooks`, `nft -j list ruleset`, `nft monitor trace`, `ip -j rule`).

- nfnetlink_hook: NFNLA_CHAIN_FAMILY is a u8 (nla_put_u8), hook priorities are signed;
- FRA_SRC/FRA_DST of 0 bytes (iproute2's `from all`/`to all`) are valid;
- NFTA_CT_EXPECT_TIMEOUT and NFTA_TRACE_ID are host order (nla_put_u32/nla_get_u32);
- signed values (hook/chain/flowtable priorities, CTA_SEQADJ offsets, FRA_SUPPRESS_*) are
  signed in the JSON;
- sock_diag requests and replies of AF_TIPC, AF_VSOCK and AF_XDP with their own layouts
  (a TIPC reply is one TIPC_NLA_SOCK nest, no struct), checked against `ss`.
tshark 4.0 decodes none of these payloads (nfnetlink_hook, nftables, FIB rules, these
sock_diag families): it is compared on the headers only.
"""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from fixtures.make_fixtures import cooked

from nlscope.capture.frame import Frame
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import find
from nlscope.decode.registry import default_registry
from nlscope.output.export import message_to_json
from tshark import TSHARK, netlink_messages, tshark_frames

FIX = Path(__file__).parent / "fixtures" / "issue14"
FAMILY_WORD = {1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}
INET_HOOKS = ["prerouting", "input", "forward", "output", "postrouting"]
# nft's word for each hook -> enum nf_inet_hooks (linux/netfilter.h)
HOOK_NAMES = dict(zip(INET_HOOKS, ["NF_INET_PRE_ROUTING", "NF_INET_LOCAL_IN", "NF_INET_FORWARD",
                                   "NF_INET_LOCAL_OUT", "NF_INET_POST_ROUTING"]))


@pytest.fixture(scope="module")
def registry():
    return default_registry(entry_points=False)


@pytest.fixture(scope="module")
def msgs(registry):
    return list(Decoder(registry).messages(CaptureReader(FIX / "capture.pcap")))


def payload(m) -> dict:
    return message_to_json(m)["payload"]


def replies(msgs, type_name):
    return [m for m in msgs if m.type_name == type_name and not m.flags & 1]


def requests(msgs, type_name):
    return [m for m in msgs if m.type_name == type_name and m.flags & 1]


def test_capture_is_clean(msgs):
    assert {m.protocol for m in msgs} >= {0, 4, 12}
    assert [(m.number, m.type_name, p) for m in msgs for p in m.problems] == []
    assert not [m for m in msgs if m.type_name.startswith("UNKNOWN")]


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")
def test_headers_match_tshark(msgs):
    theirs = [t for t in (netlink_messages(layers) for layers in tshark_frames(str(FIX / "capture.pcap"))) if t]
    ours: dict[int, list] = {}
    for m in msgs:
        ours.setdefault(m.frame.number, []).append((m.nlmsg_len, m.type, m.flags, m.seq, m.pid))
    assert [[(t["len"], t["type"], t["flags"], t["seq"], t["pid"]) for t in f] for f in theirs] == \
        [ours[k] for k in sorted(ours)]


# -- 2. nfnetlink_hook ---------------------------------------------------------------------

def _nft_list_hooks() -> list[tuple]:
    """(family, hook, priority, what, module) per line of `nft list hooks`."""
    out, fam, hook = [], None, None
    for line in (FIX / "nft-list-hooks.txt").read_text().splitlines():
        if m := re.match(r"family (\w+) \{", line):
            fam = m.group(1)
        elif m := re.match(r"\s+hook (\w+) \{", line):
            hook = m.group(1)
        elif m := re.match(r"\s+([-+]\d+) (.+?)(?: \[(\w+)\])?$", line):
            out.append((fam, hook, int(m.group(1)), m.group(2), m.group(3)))
    return out


def test_hook_dump_clean_and_as_nft_lists_it(msgs):
    hooks = replies(msgs, "NFNL_MSG_HOOK_GET")
    assert len(hooks) >= 20
    assert [(m.number, p) for m in hooks for p in m.problems] == []
    got = []
    for m in hooks:
        p = payload(m)
        a = p["attributes"]
        fam = FAMILY_WORD[p["nfgenmsg"]["nfgen_family"]["value"]]
        info = a.get("NFNLA_HOOK_CHAIN_INFO")
        if info is not None:
            desc = info["NFNLA_HOOK_INFO_DESC"]
            # the chain's family: one byte on the wire, named (inet, not the hook's ip/ip6)
            chain_fam = desc["NFNLA_CHAIN_FAMILY"]
            assert chain_fam == {"name": "NFPROTO_INET", "value": 1}
            what = f"chain {FAMILY_WORD[chain_fam['value']]} {desc['NFNLA_CHAIN_TABLE']} {desc['NFNLA_CHAIN_NAME']}"
        else:
            what = a["NFNLA_HOOK_FUNCTION_NAME"]
        prio = a["NFNLA_HOOK_PRIORITY"]
        assert isinstance(prio, int)  # a plain signed number, not {"name": "-300", ...}
        hook = a["NFNLA_HOOK_HOOKNUM"]  # named by the asked family's hooks (linux/netfilter.h)
        assert hook["name"] == HOOK_NAMES[INET_HOOKS[hook["value"]]]
        got.append((fam, INET_HOOKS[hook["value"]], prio, what, a.get("NFNLA_HOOK_MODULE_NAME")))
    assert sorted(got) == sorted(_nft_list_hooks() * 2)  # the scenario lists them twice
    assert ("ip", "prerouting", -300, "chain inet t pre", "nf_tables") in got


def test_chain_family_attribute_bytes(msgs):
    m = next(m for m in replies(msgs, "NFNL_MSG_HOOK_GET") if find(m.tree, "NFNLA_CHAIN_FAMILY"))
    f = find(m.tree, "NFNLA_CHAIN_FAMILY")
    assert f.end - f.start == 5  # nla_len 5: a u8 (padded to 8 on the wire)
    assert f.value == 1 and f.meta == "NFPROTO_INET"


# -- 5. signed priorities --------------------------------------------------------------

def _nft_ruleset() -> list[dict]:
    return json.loads((FIX / "nft-ruleset.json").read_text())["nftables"]


def test_chain_and_flowtable_priorities_signed_as_nft_j(msgs):
    want = {(o["chain"]["name"], o["chain"]["prio"]) for o in _nft_ruleset() if "chain" in o}
    assert want == {("pre", -300), ("out", -150)}
    for m in requests(msgs, "NFT_MSG_NEWCHAIN") + replies(msgs, "NFT_MSG_NEWCHAIN"):
        a = payload(m)["attributes"]
        if "NFTA_CHAIN_HOOK" in a:
            assert (a["NFTA_CHAIN_NAME"], a["NFTA_CHAIN_HOOK"]["NFTA_HOOK_PRIORITY"]) in want
    pre = next(m for m in replies(msgs, "NFT_MSG_NEWCHAIN") if "pre" in m.summary)
    assert "priority -300" in pre.summary
    ft = next(o["flowtable"] for o in _nft_ruleset() if "flowtable" in o)
    for m in requests(msgs, "NFT_MSG_NEWFLOWTABLE") + replies(msgs, "NFT_MSG_NEWFLOWTABLE"):
        hook = payload(m)["attributes"]["NFTA_FLOWTABLE_HOOK"]
        assert hook["NFTA_FLOWTABLE_HOOK_PRIORITY"] == ft["prio"] == -10


# -- 4. byte orders: ct expectation timeout, trace id --------------------------------------

def test_ct_expect_timeout_host_order_as_nft_j(msgs):
    exp = next(o["ct expectation"] for o in _nft_ruleset() if "ct expectation" in o)
    objs = [m for m in msgs if m.type_name == "NFT_MSG_NEWOBJ"]
    assert len(objs) >= 2  # the request and the dump reply
    for m in objs:
        data = payload(m)["attributes"]["NFTA_OBJ_DATA"]
        assert data["NFTA_CT_EXPECT_TIMEOUT"] == exp["timeout"] == 60000
        assert data["NFTA_CT_EXPECT_DPORT"] == exp["dport"]
        assert data["NFTA_CT_EXPECT_SIZE"] == exp["size"]
        f = find(m.tree, "NFTA_CT_EXPECT_TIMEOUT")
        assert bytes(m.frame.raw[f.start + 4:f.end]) == struct.pack("<I", 60000)  # 60 ea 00 00


def test_trace_id_host_order(msgs):
    """The kernel puts NFTA_TRACE_ID with nla_put_u32 (host order, 6.12); nft prints
    ntohl() of it, so its ids are ours byte-swapped on this little-endian capture."""
    traces = [m for m in msgs if m.type_name == "NFT_MSG_TRACE"]
    assert traces
    ours = {find(m.tree, "NFTA_TRACE_ID").value for m in traces}
    nft = {int(x, 16) for x in re.findall(r"trace id ([0-9a-f]+)", (FIX / "nft-trace.txt").read_text())}
    assert nft and nft <= {struct.unpack(">I", struct.pack("<I", v))[0] for v in ours}


# -- 3. FRA_SRC / FRA_DST of 0 bytes -------------------------------------------------------

def test_rule_from_all_and_to_all(msgs):
    reqs = [m for m in requests(msgs, "RTM_NEWRULE")]
    assert len(reqs) == 3
    by_prio = {}
    for m in reqs:
        assert m.problems == []
        a = payload(m)["attributes"]
        by_prio[a["FRA_PRIORITY"]] = (m, a)
    m, a = by_prio[500]
    assert a["FRA_SRC"] == "all" and "from all lookup 100" in m.summary
    f = find(m.tree, "FRA_SRC")
    assert f.end - f.start == 4  # nla_len 4: no address at all
    m, a = by_prio[501]
    assert a["FRA_DST"] == "all" and "from all to all lookup 101" in m.summary
    assert by_prio[502][1]["FRA_SRC"] == "all"
    # what ip -j rule shows for them afterwards
    ip = {r["priority"]: r for r in json.loads((FIX / "ip-rule.json").read_text())
          + json.loads((FIX / "ip6-rule.json").read_text())}
    for prio, (_, a) in by_prio.items():
        assert ip[prio]["src"] == "all" and ip[prio]["table"] == str(100 + prio - 500)


def test_rule_suppress_prefixlen_signed(msgs):
    """FRA_SUPPRESS_PREFIXLEN/IFGROUP are ints in struct fib_rule, -1 when unset."""
    dumped = [m for m in replies(msgs, "RTM_NEWRULE") if find(m.tree, "FRA_SUPPRESS_PREFIXLEN")]
    assert dumped
    for m in dumped:
        assert payload(m)["attributes"]["FRA_SUPPRESS_PREFIXLEN"] == -1
        assert "suppress_prefixlength" not in m.summary


# -- built bytes: what the capture cannot show ---------------------------------------------

def _nla(t: int, data: bytes, o: str = "<") -> bytes:
    return struct.pack(o + "HH", 4 + len(data), t) + data + b"\0" * (-len(data) % 4)


def _decode(registry, protocol: int, mtype: int, flags: int, payload_: bytes, o: str = "<"):
    msg = struct.pack(o + "IHHII", 16 + len(payload_), mtype, flags, 1, 0) + payload_
    (m,) = Decoder(registry).messages([Frame(1, 0, protocol, cooked(protocol) + msg)])
    return m


def test_seqadj_offsets_signed(registry):
    """struct nf_ct_seqadj: u32 correction_pos, s32 offset_before/after, each sent
    with nla_put_be32(htonl())."""
    seqadj = _nla(0x8000 | 15, _nla(1, struct.pack(">I", 1000)) + _nla(2, struct.pack(">i", -4))
                  + _nla(3, struct.pack(">i", -12)))
    m = _decode(registry, 12, (1 << 8) | 0, 0, bytes([2, 0, 0, 0]) + seqadj)
    assert m.problems == []
    j = payload(m)["attributes"]["CTA_SEQ_ADJ_ORIG"]
    assert j == {"CTA_SEQADJ_CORRECTION_POS": 1000, "CTA_SEQADJ_OFFSET_BEFORE": -4,
                 "CTA_SEQADJ_OFFSET_AFTER": -12}


def test_rule_address_of_another_length_still_flagged(registry):
    hdr = bytes([2, 0, 24, 0, 0, 0, 0, 1]) + struct.pack("<I", 0)
    m = _decode(registry, 0, 32, 0x405, hdr + _nla(2, b"\xc0\x00\x02"))
    assert m.problems == ["FRA_SRC: address of 3 bytes"]
    assert find(m.tree, "FRA_SRC").kind == "bytes"


# -- 1. sock_diag: AF_TIPC, AF_VSOCK, AF_XDP ----------------------------------------------

def _ss(name: str) -> list[list[str]]:
    return [line.split() for line in (FIX / name).read_text().splitlines()[1:] if line[:1].isalpha()]


def _diag(msgs):
    return [m for m in msgs if m.type_name == "SOCK_DIAG_BY_FAMILY"]


def test_sock_diag_requests_have_their_family_struct(msgs):
    reqs = [m for m in _diag(msgs) if m.flags & 1]
    heads = {m.tree[1].name for m in reqs}
    assert heads == {"tipc_sock_diag_req", "vsock_diag_req", "xdp_diag_req"}
    for m in reqs:
        assert [f.name for f in m.tree[1:]] == [m.tree[1].name]  # a struct, no attributes
        assert m.nlmsg_len - 16 == {"tipc_sock_diag_req": 8, "vsock_diag_req": 24,
                                    "xdp_diag_req": 20}[m.tree[1].name]
    tipc = next(m for m in reqs if m.tree[1].name == "tipc_sock_diag_req")
    assert tipc.summary == "SOCK_DIAG_BY_FAMILY dump tipc states ALL"
    xdp = next(m for m in reqs if m.tree[1].name == "xdp_diag_req")
    assert payload(xdp)["xdp_diag_req"]["xdiag_show"]["names"] == [
        "XDP_SHOW_INFO", "XDP_SHOW_RING_CFG", "XDP_SHOW_UMEM", "XDP_SHOW_MEMINFO", "XDP_SHOW_STATS"]


def test_tipc_reply_is_attributes_only_as_ss(msgs):
    reps = [m for m in _diag(msgs) if not m.flags & 1 and find(m.tree, "TIPC_NLA_SOCK")]
    assert len(reps) == 6  # two sockets, three dumps
    assert all(m.tree[1].name == "attributes" for m in reps)
    state_word = {"TCP_CLOSE": "UNCONN", "TCP_LISTEN": "LISTEN"}
    got = set()
    for m in reps:
        a = payload(m)["attributes"]["TIPC_NLA_SOCK"]
        got.add((state_word[a["TIPC_NLA_SOCK_TIPC_STATE"]["name"]],
                 f"{a['TIPC_NLA_SOCK_ADDR']}:{a['TIPC_NLA_SOCK_REF']}"))
        assert a["TIPC_NLA_SOCK_STAT"]["TIPC_NLA_SOCK_STAT_RCVQ"] == 0
    assert got == {(row[0], row[3]) for row in _ss("ss-tipc.txt")}
    rdm = next(m for m in reps if find(m.tree, "TIPC_NLA_SOCK_TYPE").meta == "SOCK_RDM")
    assert rdm.summary.startswith("SOCK_DIAG_BY_FAMILY tipc rdm CLOSE 0:")


def test_vsock_reply_as_ss(msgs):
    reps = [m for m in _diag(msgs) if not m.flags & 1 and m.tree[1].name == "vsock_diag_msg"]
    assert len(reps) == 2
    (row,) = _ss("ss-vsock.txt")  # v_str LISTEN 0 0 1:5000 *:*
    for m in reps:
        h = payload(m)["vsock_diag_msg"]
        assert h["vdiag_type"]["name"] == "SOCK_STREAM" and h["vdiag_state"]["name"] == "TCP_LISTEN"
        assert h["vdiag_src_cid"] == {"name": "VMADDR_CID_LOCAL", "value": 1}
        assert h["vdiag_dst_port"]["name"] == "VMADDR_PORT_ANY"
        assert f"{h['vdiag_src_cid']['value']}:{h['vdiag_src_port']['value']}" == row[4]
        assert " LISTEN 1:5000 -> *:* " in m.summary


def test_xdp_reply_as_ss(msgs):
    reps = [m for m in _diag(msgs) if not m.flags & 1 and m.tree[1].name == "xdp_diag_msg"]
    assert len(reps) == 2
    text = (FIX / "ss-xdp.txt").read_text()  # ... ino:440 sk:1002 / stats(rx dropped:0, ...)
    ino, cookie = re.search(r"ino:(\d+) sk:([0-9a-f]+)", text).groups()
    for m in reps:
        j = payload(m)
        assert j["xdp_diag_msg"]["xdiag_ino"] == int(ino)
        assert j["xdp_diag_msg"]["xdiag_cookie"]["value"] == int(cookie, 16)
        a = j["attributes"]
        assert find(m.tree, "XDP_DIAG_MEMINFO").get("SK_MEMINFO_RCVBUF").value > 0
        assert a["XDP_DIAG_STATS"]["n_rx_dropped"] == 0 and "rx dropped:0" in text


@pytest.mark.parametrize("o", ["<", ">"])
def test_tipc_reply_connected_in_a_group(registry, o):
    """What the capture lacks: TIPC_NLA_SOCK_CON and TIPC_NLA_SOCK_GROUP (whose enum,
    like the stat one, starts at 0), on either host byte order."""
    def u32(t, v):
        return _nla(t, struct.pack(o + "I", v), o)
    con = _nla(3, u32(2, 0x01001001) + u32(3, 77) + _nla(1, b"", o) + u32(4, 18888) + u32(5, 17), o)
    stat = _nla(5, u32(0, 1) + u32(1, 2) + u32(4, 3), o)
    group = _nla(12, u32(0, 7) + _nla(1, b"", o) + u32(4, 3) + u32(5, 9), o)
    sock = _nla(2, u32(2, 100) + u32(1, 0) + con + u32(6, 5) + u32(9, 1) + u32(7, 5) + u32(8, 0)
                + _nla(10, struct.pack(o + "Q", 42), o) + stat + group, o)
    m = _decode(registry, 4, 20, 0x2, sock, o)
    assert m.problems == []
    assert m.summary == "SOCK_DIAG_BY_FAMILY tipc seqpacket ESTABLISHED 0:100 ino 5"
    a = payload(m)["attributes"]["TIPC_NLA_SOCK"]
    assert a["TIPC_NLA_SOCK_CON"] == {"TIPC_NLA_CON_NODE": 0x01001001, "TIPC_NLA_CON_SOCK": 77,
                                      "TIPC_NLA_CON_FLAG": True, "TIPC_NLA_CON_TYPE": 18888,
                                      "TIPC_NLA_CON_INST": 17}
    assert a["TIPC_NLA_SOCK_STAT"] == {"TIPC_NLA_SOCK_STAT_RCVQ": 1, "TIPC_NLA_SOCK_STAT_SENDQ": 2,
                                       "TIPC_NLA_SOCK_STAT_DROP": 3}
    assert a["TIPC_NLA_SOCK_GROUP"] == {"TIPC_NLA_SOCK_GROUP_ID": 7, "TIPC_NLA_SOCK_GROUP_OPEN": True,
                                        "TIPC_NLA_SOCK_GROUP_INSTANCE": 3,
                                        "TIPC_NLA_SOCK_GROUP_BC_SEND_NEXT": 9}
    assert a["TIPC_NLA_SOCK_COOKIE"] == 42


@pytest.mark.parametrize("fam", [1, 16, 17, 30, 40, 44])
@pytest.mark.parametrize("flags", [0x301, 0x2])
def test_sock_diag_header_too_short_is_a_problem_not_a_dissector_error(registry, fam, flags):
    m = _decode(registry, 4, 20, flags, bytes([fam, 0, 0, 0]))
    assert m.summary in ("SOCK_DIAG_BY_FAMILY", "SOCK_DIAG_BY_FAMILY tipc")  # a TIPC reply has no header
    assert len(m.problems) == 1 and "dissector error" not in m.problems[0]
