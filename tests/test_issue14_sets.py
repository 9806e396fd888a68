"""Issue 14, what was left: a real capture from the VM lab (tests/fixtures/issue14_sets/:
scenario.sh, made by make.py on Debian's 6.12 kernel with nftables 1.0.6 and iproute2 6.1)
of nftables sets and maps of every datatype nft accepts (concatenations, intervals, verdict
maps, typeof sets), chains on every hook of inet/netdev/arp, ct timeout objects; MPTCP
endpoints and a connected MPTCP socket (`ss -M`, the subflows' ULP info), an SCTP
association (`ss --sctp`) and vdpa management; and iwpmd's IWPM exchange over NETLINK_RDMA
as strace recorded it in the lab (tests/fixtures/issue14_iwpm/; nlmon does not tap
NETLINK_RDMA). Checked
against the tools' own output saved in the same run: `nft -j list ruleset` (the set's
"type", a list for concatenations, and "map"), `ip -j mptcp endpoint`, ss's text, strace of
iwpmd.
"""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from conftest import committed
from fixtures.make_fixtures import nla, nlmsg
from test_kmod_dissect import decode
from nlscope.analysis.coverage import Coverage
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import Field, find
from nlscope.decode.registry import default_registry
from nlscope.dissectors.nf_tables import SET_DATATYPES, set_type_name
from nlscope.dissectors.rdma import NETLINK_RDMA
from nlscope.output.export import message_to_json

FIX = Path(__file__).parent / "fixtures" / "issue14_sets"


@pytest.fixture(scope="module")
def msgs():
    return list(Decoder(default_registry(entry_points=False)).messages(CaptureReader(committed(FIX / "capture.pcap"))))


def ruleset(kind: str) -> list[dict]:
    return [e[kind] for e in json.loads(committed(FIX / "nft-ruleset.json").read_text())["nftables"] if kind in e]


def typeof_sets() -> list[dict]:
    """The typeof sets, each listed alone (nft-typeof-*.json); a listing nft could not
    make (a type it cannot name back) is no proof and is left out."""
    out = []
    for f in sorted(FIX.glob("nft-typeof-*.json")):
        try:
            out += [e["set"] for e in json.loads(f.read_text())["nftables"] if "set" in e]
        except ValueError:
            continue
    return out


def log_section(command: str) -> str:
    """The output of one `r COMMAND` of the scenario, from its log."""
    text = committed(FIX / "scenario.log").read_text()
    start = text.index(f"$ {command}\n") + len(command) + 3
    return text[start:text.index("[rc=", start)]


def kids(f: Field) -> dict[str, Field]:
    return {c.name: c for c in f.children or ()}


def newsets(msgs) -> dict[str, dict[str, Field]]:
    """Each set's attributes, from the kernel's NEWSET answer to nft's dump."""
    out = {}
    for m in msgs:
        if m.type_name == "NFT_MSG_NEWSET" and not m.flags & 1:
            a = kids(find(m.tree, "attributes"))
            out[a["NFTA_SET_NAME"].value] = a
    return out


def nft_type(t) -> str:
    """nft's JSON type: a name, a list for a concatenation (or a string with ' . ')."""
    return " . ".join(t) if isinstance(t, list) else t


# -- the whole capture ---------------------------------------------------------------------

def test_every_family_named_and_clean(msgs):
    """By the coverage report: every family's types and attributes named, nothing left as
    hex but opaque bytes, no problem on this valid traffic."""
    cov = Coverage()
    for m in msgs:
        cov.add(m)
    rows = {r["family"]: r for r in cov.to_json()["families"]}
    assert {"netfilter/nftables", "sock_diag", "generic/mptcp_pm", "generic/vdpa"} <= set(rows)
    for fam, r in rows.items():
        assert (fam, r["problems"], r["problem_samples"]) == (fam, 0, [])
        assert (fam, r["attributes"] - r["attributes_named"], r["left_hex"]) == (fam, 0, 0), r
        assert r["types"] == r["types_named"], r


# -- nft set types -------------------------------------------------------------------------

def test_set_types_as_nft_lists_them(msgs):
    """Every set's and map's key and data type named as `nft -j list ruleset` names it."""
    ours = newsets(msgs)
    theirs = ruleset("set") + ruleset("map") + typeof_sets()
    assert len(theirs) >= 45
    for s in theirs:
        a = ours[s["name"]]
        assert (s["name"], a["NFTA_SET_KEY_TYPE"].meta) == (s["name"], nft_type(s["type"]))
        if "map" in s:
            assert (s["name"], a["NFTA_SET_DATA_TYPE"].meta) == (s["name"], nft_type(s["map"]))
        else:
            assert "NFTA_SET_DATA_TYPE" not in a
        fl = a.get("NFTA_SET_FLAGS")
        interval = fl is not None and "NFT_SET_INTERVAL" in (fl.meta or ())
        assert interval == ("interval" in s.get("flags", ())), s["name"]


def test_every_datatype_name_is_proven(msgs):
    """Each name of the table was seen on a set nft made and named itself; a
    concatenation's members are 6 bits each, the first the highest."""
    seen: set[int] = set()
    listed = {s["name"] for s in ruleset("set") + ruleset("map") + typeof_sets()}
    for s, a in newsets(msgs).items():
        if s not in listed:  # nft could not list it: not a proof
            continue
        for f in (a["NFTA_SET_KEY_TYPE"], a.get("NFTA_SET_DATA_TYPE")):
            if f is None or f.value == 0xFFFFFF00:
                continue
            words, v = f.meta.split(" . "), f.value
            assert SET_DATATYPES[v >> (6 * (len(words) - 1))] == words[0]  # the first member the highest
            while v:
                seen.add(v & 0x3F)
                v >>= 6
    assert set(SET_DATATYPES) == seen, sorted(set(SET_DATATYPES) ^ seen)
    assert set_type_name(0xFFFFFF00) == "verdict" and set_type_name(63) is None


def test_set_summary_reads_like_nft(msgs):
    m = next(m for m in msgs if m.type_name == "NFT_MSG_NEWSET" and "cvm" in m.summary)
    assert "type ipv4_addr . inet_proto . inet_service : verdict" in m.summary


# -- hooks, ct timeout objects -------------------------------------------------------------

HOOKS = {  # nft's word -> the kernel's name, by family (linux/netfilter.h, netfilter_arp.h)
    "inet": {"prerouting": "NF_INET_PRE_ROUTING", "input": "NF_INET_LOCAL_IN", "forward": "NF_INET_FORWARD",
             "output": "NF_INET_LOCAL_OUT", "postrouting": "NF_INET_POST_ROUTING"},
    "netdev": {"ingress": "NF_NETDEV_INGRESS", "egress": "NF_NETDEV_EGRESS"},
    "arp": {"input": "NF_ARP_IN", "output": "NF_ARP_OUT"}}


def test_hook_numbers_named_per_family(msgs):
    ours = {}
    for m in msgs:
        if m.type_name == "NFT_MSG_NEWCHAIN" and not m.flags & 1:
            p = message_to_json(m)["payload"]
            hook = p["attributes"].get("NFTA_CHAIN_HOOK")
            if hook:
                ours[p["attributes"]["NFTA_CHAIN_NAME"]] = hook["NFTA_HOOK_HOOKNUM"]["name"]
    chains = ruleset("chain")
    assert {c["family"] for c in chains} == {"inet", "netdev", "arp"}
    assert {c["name"]: ours[c["name"]] for c in chains} == {c["name"]: HOOKS[c["family"]][c["hook"]] for c in chains}
    assert len(set(ours.values())) == 8


def test_ct_timeout_policies(msgs):
    """NFTA_CT_TIMEOUT_DATA by the object's protocol: the states nft lists in its policy."""
    ours = {}
    for m in msgs:
        if m.type_name == "NFT_MSG_NEWOBJ" and not m.flags & 1:
            a = kids(find(m.tree, "attributes"))
            data = find(m.tree, "NFTA_CT_TIMEOUT_DATA")
            if data is not None:
                ours[a["NFTA_OBJ_NAME"].value] = {c.name: c.value for c in data.children}
    objs = ruleset("ct timeout")
    assert len(objs) == 2
    for o in objs:
        proto = o["protocol"].upper()
        for state, secs in o["policy"].items():
            assert ours[o["name"]][f"CTA_TIMEOUT_{proto}_{state.upper()}"] == secs


# -- MPTCP, SCTP ---------------------------------------------------------------------------

def _ss_blocks(text: str) -> list[tuple[str, str]]:
    """(socket line, detail line) pairs of `ss -i` output."""
    lines = [line for line in text.splitlines()[1:] if line.strip()]
    return [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2) if lines[i + 1].startswith("\t")]


def answer(msgs, req):
    """The dump's replies up to its DONE (ss gives every request the same sequence number)."""
    out = []
    for m in msgs[msgs.index(req) + 1:]:
        if m.type_name == "NLMSG_DONE":
            return out
        if not m.flags & 1:
            out.append(m)
    return out


def test_mptcp_sockets_as_ss_shows_them(msgs):
    req = next(m for m in msgs if m.type_name == "SOCK_DIAG_BY_FAMILY" and m.flags & 1
               and find(m.tree, "INET_DIAG_REQ_PROTOCOL") is not None)
    rp = find(req.tree, "INET_DIAG_REQ_PROTOCOL")
    assert (rp.value, rp.meta) == (262, "IPPROTO_MPTCP") and " mptcp " in req.summary
    infos = {}
    for m in answer(msgs, req):
        if m.type_name == "SOCK_DIAG_BY_FAMILY":
            assert " mptcp " in m.summary
            info = find(m.tree, "INET_DIAG_INFO")
            if info is not None and kids(info)["mptcpi_token"].value:
                infos[kids(info)["mptcpi_token"].value] = kids(info)
    theirs = {}
    for _, detail in _ss_blocks(committed(FIX / "ss-mptcp.txt").read_text()):
        words = dict(w.split(":", 1) for w in detail.split() if ":" in w)
        if "token" in words:
            theirs[int(words["token"], 16)] = words
    assert len(theirs) == 2 and set(infos) == set(theirs)
    for tok, w in theirs.items():
        i = infos[tok]
        for k in ("write_seq", "snd_una", "rcv_nxt"):
            assert i["mptcpi_" + k].value == int(w[k], 16)
        for k in ("subflows_max", "add_addr_signal_max", "add_addr_accepted_max", "add_addr_signal",
                  "add_addr_accepted"):
            assert i["mptcpi_" + k].value == int(w.get(k, 0))


def test_mptcp_subflow_ulp_info(msgs):
    """INET_ULP_INFO_MPTCP of the subflows as `ss -tie` prints it (tcp-ulp-mptcp ...)."""
    ours = []
    for m in msgs:
        u = find(m.tree or [], "INET_ULP_INFO_MPTCP")
        if u is not None:
            a = {k: f.value for k, f in kids(u).items()}
            ours.append((a["MPTCP_SUBFLOW_ATTR_TOKEN_REM"], a["MPTCP_SUBFLOW_ATTR_ID_REM"],
                         a["MPTCP_SUBFLOW_ATTR_TOKEN_LOC"], a["MPTCP_SUBFLOW_ATTR_ID_LOC"],
                         a["MPTCP_SUBFLOW_ATTR_MAP_SEQ"], a["MPTCP_SUBFLOW_ATTR_MAP_SFSEQ"],
                         a["MPTCP_SUBFLOW_ATTR_SSN_OFFSET"], a["MPTCP_SUBFLOW_ATTR_MAP_DATALEN"]))
    theirs = []
    for line in committed(FIX / "ss-tcp-ulp.txt").read_text().splitlines():
        m = re.search(r"tcp-ulp-mptcp flags:\S+ token:(\w+)\(id:(\d+)\)/(\w+)\(id:(\d+)\) seq:(\w+) "
                      r"sfseq:(\d+) ssnoff:(\w+) maplen:(\d+)", line)
        if m:
            g = m.groups()
            theirs.append((int(g[0], 16), int(g[1]), int(g[2], 16), int(g[3]), int(g[4], 16), int(g[5]),
                           int(g[6], 16), int(g[7])))
    assert len(theirs) == 2 and set(theirs) <= set(ours)


def test_sctp_association_addresses_and_state(msgs):
    """INET_DIAG_LOCALS/PEERS as address lists, an association's state as SCTP's own, its
    sctp_info as `ss -i --sctp` prints it."""
    ss = log_section("ss -a -n -i --sctp")
    theirs = {}
    for sock, detail in _ss_blocks(ss):
        if sock.startswith("`- "):
            w = dict(x.split(":", 1) for x in detail.split() if ":" in x)
            theirs[re.sub(r"%\w+", "", sock.split()[4]) + ">" + sock.split()[5]] = w
    ours = {}
    for m in msgs:
        peers = find(m.tree or [], "INET_DIAG_PEERS")
        if m.type_name == "SOCK_DIAG_BY_FAMILY" and peers is not None and find(m.tree, "INET_DIAG_INFO"):
            h = m.tree[1]
            st = kids(h)["idiag_state"]
            assert st.meta == "SCTP_STATE_ESTABLISHED" and " ESTABLISHED " in m.summary
            locs = find(m.tree, "INET_DIAG_LOCALS")
            info = kids(find(m.tree, "INET_DIAG_INFO"))
            key = f"{kids(h)['idiag_src'].value}:{kids(h)['idiag_sport'].value}>" \
                  f"{kids(h)['idiag_dst'].value}:{kids(h)['idiag_dport'].value}"
            ours[key] = {"locals": ",".join(c.value.rsplit(":", 1)[0] for c in locs.children),
                         "peers": ",".join(c.value.rsplit(":", 1)[0] for c in peers.children),
                         "tag": f"{info['sctpi_tag'].value:08x}", "ptag": f"{info['sctpi_peer_tag'].value:08x}",
                         "rwnd": str(info["sctpi_rwnd"].value), "instrms": str(info["sctpi_instrms"].value),
                         "outstrms": str(info["sctpi_outstrms"].value), "maxseg": str(info["sctpi_maxseg"].value),
                         "state": info["sctpi_state"].meta}
    assert len(theirs) == 2 and set(ours) == set(theirs)
    for k, w in theirs.items():
        o = ours[k]
        assert o.pop("state") == "SCTP_STATE_ESTABLISHED" and w["state"] == "ESTAB"
        assert o == {x: w[x] for x in o}


# -- IWPM, vdpa, mptcp_pm ------------------------------------------------------------------

IWPM = FIX.parent / "issue14_iwpm"
_STRACE_NL = re.compile(r"(sendto|recvfrom)\(\d+, \[\{nlmsg_len=(\d+), nlmsg_type=(\w+)[^,]*, nlmsg_flags=(\w+), "
                        r"nlmsg_seq=(\d+), nlmsg_pid=(\d+)\}, (\"[^\"]*\"|-?\d+)\]")
_NL_CONST = {"NLMSG_DONE": 3, "NLM_F_REQUEST": 1, "NLM_F_MULTI": 2}


def strace_messages(text: str) -> list[tuple[str, bytes]]:
    """The netlink messages strace recorded iwpmd sending and receiving, as bytes again
    (little-endian host): strace's decoded header, then its payload bytes."""
    out = []
    for call, ln, typ, flags, seq, pid, body in _STRACE_NL.findall(text):
        payload = (bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-f]{2})", body)) if body.startswith('"')
                   else struct.pack("<i", int(body)))
        t = _NL_CONST.get(typ) if not typ.startswith("0x") else int(typ, 16)
        hdr = struct.pack("<IHHII", int(ln), t, _NL_CONST[flags], int(seq), int(pid))
        out.append(("out" if call == "sendto" else "in", hdr + payload))
    return out


def test_iwpm_exchange_recorded_by_strace():
    """iwpmd's HELLO and MAPINFO and the kernel's answer, from strace's record of a lab run
    (tests/fixtures/issue14_iwpm; nlmon does not tap NETLINK_RDMA): named per op and per
    direction (iwpmd's own port id on its messages, 0 on the kernel's)."""
    rec = strace_messages(committed(IWPM / "iwpmd.strace").read_text())
    assert [len(b) for _, b in rec] == [struct.unpack_from("<I", b)[0] for _, b in rec] and len(rec) == 5
    msgs = decode(NETLINK_RDMA, *(b for _, b in rec))
    assert [(m.type_name, m.problems) for m in msgs] == [
        ("RDMA_NL_IWPM_HELLO", []), ("RDMA_NL_IWPM_HELLO", []), ("RDMA_NL_IWPM_MAPINFO", []),
        ("NLMSG_DONE", []), ("NLMSG_DONE", [])]
    hello_out, hello_in, mapinfo = (message_to_json(m)["payload"]["attributes"] for m in msgs[:3])
    assert hello_out == hello_in == {"IWPM_NLA_HELLO_ABI_VERSION": 4}  # IWPM_UABI_VERSION
    assert mapinfo == {"IWPM_NLA_MAPINFO_ULIB_NAME": "iWarpPortMapperUser", "IWPM_NLA_MAPINFO_ULIB_VER": 4}
    assert (msgs[0].pid != 0, msgs[1].pid) == (True, 0)


def test_iwpm_kernel_side_tables():
    """The kernel's REG_PID and ADD_MAPPING (port id 0) against iwpmd's answers to them:
    the same op numbers, other tables (iwpm_msg.c's ibnl_put_attr calls and nla_policy)."""
    sa = struct.pack("<H", 2) + struct.pack(">H", 4791) + bytes([10, 0, 0, 1]) + bytes(120)
    k_reg = nlmsg(0x800, 1, 0, 0, nla(1, struct.pack("<I", 7)) + nla(2, b"eth0".ljust(16, b"\0"))
                  + nla(3, b"siw0".ljust(64, b"\0")) + nla(4, b"iw_cm".ljust(32, b"\0")))
    u_reg = nlmsg(0x800, 1, 0, 555, nla(1, struct.pack("<I", 7)) + nla(2, b"siw0\0") + nla(3, b"iwpmd\0")
                  + nla(4, struct.pack("<H", 4)) + nla(5, struct.pack("<H", 0)))
    k_add = nlmsg(0x801, 1, 0, 0, nla(1, struct.pack("<I", 8)) + nla(2, sa) + nla(3, struct.pack("<I", 0)))
    u_add = nlmsg(0x801, 1, 0, 555, nla(1, struct.pack("<I", 8)) + nla(2, sa) + nla(3, sa) + nla(4, b"\0\0"))
    got = [message_to_json(m)["payload"]["attributes"] for m in decode(NETLINK_RDMA, k_reg, u_reg, k_add, u_add)]
    assert got[0] == {"IWPM_NLA_REG_PID_SEQ": 7, "IWPM_NLA_REG_IF_NAME": "eth0", "IWPM_NLA_REG_IBDEV_NAME": "siw0",
                      "IWPM_NLA_REG_ULIB_NAME": "iw_cm"}
    assert got[1] == {"IWPM_NLA_RREG_PID_SEQ": 7, "IWPM_NLA_RREG_IBDEV_NAME": "siw0",
                      "IWPM_NLA_RREG_ULIB_NAME": "iwpmd", "IWPM_NLA_RREG_ULIB_VER": 4, "IWPM_NLA_RREG_PID_ERR": 0}
    assert got[2] == {"IWPM_NLA_MANAGE_MAPPING_SEQ": 8, "IWPM_NLA_MANAGE_ADDR": "10.0.0.1:4791",
                      "IWPM_NLA_MANAGE_FLAGS": 0}
    assert got[3] == {"IWPM_NLA_RMANAGE_MAPPING_SEQ": 8, "IWPM_NLA_RMANAGE_ADDR": "10.0.0.1:4791",
                      "IWPM_NLA_RMANAGE_MAPPED_LOC_ADDR": "10.0.0.1:4791", "IWPM_NLA_RMANAGE_MAPPING_ERR": 0}


def test_vdpa_and_mptcp_endpoints(msgs):
    assert {"vdpa MGMTDEV_GET", "vdpa DEV_GET"} <= {m.type_name for m in msgs}
    eps = json.loads(committed(FIX / "mptcp-endpoints.json").read_text())
    ours = set()
    for m in msgs:
        if m.type_name.startswith("mptcp_pm") and not m.flags & 1:
            a = find(m.tree, "MPTCP_PM_ATTR_ADDR")
            if a is not None:
                k = kids(a)
                ip = k.get("MPTCP_PM_ADDR_ATTR_ADDR4") or k.get("MPTCP_PM_ADDR_ATTR_ADDR6")
                ours.add((ip.value, k["MPTCP_PM_ADDR_ATTR_ID"].value))
    assert {(e["address"], e["id"]) for e in eps} <= ours
