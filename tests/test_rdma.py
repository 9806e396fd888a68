"""NETLINK_RDMA (protocol 20): message types client << 10 | op and the nldev attributes
(rdma/rdma_netlink.h), on a capture of iproute2's `rdma` driving rdma_rxe in the VM lab
(tests/fixtures/issue14_genl: `nlscope trace`, since nlmon does not tap protocol 20),
checked against the tool's own output saved in the same run and tshark's headers."""
from __future__ import annotations

import json
import socket
import struct
from pathlib import Path

import pytest
from fixtures.make_fixtures import nla, nlmsg
from test_kmod_dissect import decode

from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.model import find
from nlscope.decode.registry import default_registry
from tshark import TSHARK, netlink_messages, tshark_frames

FIX = Path(__file__).parent / "fixtures" / "issue14_genl"
CAP = FIX / "rdma.pcapng"
NLDEV = 5 << 10
# how iproute2's rdma names node types (rdma/dev.c)
NODE_WORD = {"IB_CA": "ca", "IB_SWITCH": "switch", "IB_ROUTER": "router", "RNIC": "rnic",
             "USNIC": "usnic", "USNIC_UDP": "usnic_udp", "UNSPECIFIED": "unspecified"}


@pytest.fixture(scope="module")
def msgs():
    return list(Decoder(default_registry(entry_points=False)).messages(CaptureReader(CAP)))


def _names(fields):
    for f in fields:
        yield f.name
        yield from _names(f.children or [])


def attrs(m) -> dict:
    return {f.name.replace("RDMA_NLDEV_ATTR_", "").replace("RDMA_NLDEV_SYS_ATTR_", "SYS_"): f
            for f in m.tree[1].children} if len(m.tree) > 1 else {}


def replies(msgs, name):
    return [m for m in msgs if m.type_name == name and not m.flags & 1]


def test_every_message_is_named_and_whole(msgs):
    assert len(msgs) >= 40
    for m in msgs:
        assert m.family == "rdma"
        assert m.type_name.startswith(("RDMA_NLDEV_CMD_", "NLMSG_")), m.type_name
        assert not m.problems, (m.type_name, m.problems)
        assert not [n for n in _names(m.tree) if n.startswith("UNKNOWN(")], m.type_name
    dumps = [m for m in msgs if m.flags & 0x301 == 0x301]
    assert dumps and all("DUMP" in m.flag_names and "0x300" not in m.flag_names for m in dumps)
    assert {m.type_name for m in dumps} == {"RDMA_NLDEV_CMD_GET"}


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")
def test_headers_agree_with_tshark(msgs):
    theirs = [h for layers in tshark_frames(str(CAP)) for h in netlink_messages(layers)]
    assert len(theirs) == len(msgs)
    for m, t in zip(msgs, theirs):
        assert (m.nlmsg_len, m.type, m.flags, m.seq, m.pid) == (t["len"], t["type"], t["flags"], t["seq"], t["pid"])
        assert t["family"] == 20


def test_dev_show_agrees_with_rdma_json(msgs):
    tool = json.loads((FIX / "rdma-dev.json").read_text())
    ours = replies(msgs, "RDMA_NLDEV_CMD_GET")
    devs = [attrs(m) for m in ours if "DEV_NODE_TYPE" in attrs(m)]
    assert devs
    for a in devs:
        d = next(d for d in tool if d["ifname"] == a["DEV_NAME"].value)
        assert a["DEV_INDEX"].value == d["ifindex"]
        assert NODE_WORD[a["DEV_NODE_TYPE"].meta] == d["node_type"]
        assert a["NODE_GUID"].meta == d["node_guid"] and a["SYS_IMAGE_GUID"].meta == d["sys_image_guid"]
    m = next(m for m in ours if "DEV_NODE_TYPE" in attrs(m))
    assert m.summary.startswith(f"RDMA_NLDEV_CMD_GET {tool[0]['ifindex']}: {tool[0]['ifname']} ")
    assert f"node_guid {tool[0]['node_guid']}" in m.summary


def test_link_show_agrees_with_rdma_json(msgs):
    tool = json.loads((FIX / "rdma-link.json").read_text())[0]
    # the kernel answers PORT_GET with a message typed GET (nldev_port_get_doit)
    port = next(attrs(m) for m in replies(msgs, "RDMA_NLDEV_CMD_GET") if "PORT_STATE" in attrs(m))
    assert (port["DEV_NAME"].value, port["PORT_INDEX"].value) == (tool["ifname"], tool["port"])
    assert (port["PORT_STATE"].meta, port["PORT_PHYS_STATE"].meta) == (tool["state"], tool["physical_state"])
    assert (port["NDEV_NAME"].value, port["NDEV_INDEX"].value) == (tool["netdev"], tool["netdev_index"])


def test_res_show_agrees_with_rdma_json(msgs):
    tool = json.loads((FIX / "rdma-res.json").read_text())[0]
    m = replies(msgs, "RDMA_NLDEV_CMD_RES_GET")[0]
    entries = find(m.tree, "RDMA_NLDEV_ATTR_RES_SUMMARY").children
    counts = {e.get("RDMA_NLDEV_ATTR_RES_SUMMARY_ENTRY_NAME").value:
              e.get("RDMA_NLDEV_ATTR_RES_SUMMARY_ENTRY_CURR").value for e in entries}
    assert counts == {k: v for k, v in tool.items() if k not in ("ifindex", "ifname")}
    assert m.summary.endswith(" ".join(f"{k} {v}" for k, v in counts.items()))


def test_sys_and_statistic_show_agree_with_rdma(msgs):
    words = (FIX / "rdma-sys.json").read_text().split()  # iproute2 6.1 prints text here
    sysm = attrs(replies(msgs, "RDMA_NLDEV_CMD_SYS_GET")[0])
    assert sysm["SYS_NETNS_MODE"].meta == words[words.index("netns") + 1]
    assert sysm["SYS_COPY_ON_FORK"].value == (words[words.index("copy-on-fork") + 1] == "on")
    tool = json.loads((FIX / "rdma-stat.json").read_text())[0]
    m = replies(msgs, "RDMA_NLDEV_CMD_STAT_GET")[0]
    counters = {e.get("RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_NAME").value:
                e.get("RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_VALUE").value
                for e in find(m.tree, "RDMA_NLDEV_ATTR_STAT_HWCOUNTERS").children}
    assert counters == {k: v for k, v in tool.items() if k not in ("ifname", "port")}


def test_link_add_and_delete(msgs):
    add = next(m for m in msgs if m.type_name == "RDMA_NLDEV_CMD_NEWLINK")
    assert add.summary == "RDMA_NLDEV_CMD_NEWLINK rxe0 type rxe netdev dummy0"
    assert "CREATE" not in add.flag_names  # rdma sends REQUEST|ACK only
    assert any(m.type_name == "RDMA_NLDEV_CMD_DELLINK" for m in msgs)


# -- crafted: the other clients, addresses, and what is not known ------------------------

def test_other_clients_and_unknown_ops():
    ls = (2 << 10) + 0, (4 << 10) + 2, (5 << 10) + 30, (7 << 10) + 1
    iw, lsm, odd, other = decode(20, *(nlmsg(t, 1, 1, 0) for t in ls))
    assert iw.type_name == "RDMA_NL_IWPM_REG_PID" and lsm.type_name == "RDMA_NL_LS_OP_IP_RESOLVE"
    assert odd.type_name == f"UNKNOWN({(5 << 10) + 30})" and other.type_name == f"UNKNOWN({(7 << 10) + 1})"
    hdr = b"mlx5_0".ljust(64, b"\0") + bytes([1, 2, 0, 0])
    m, = decode(20, nlmsg(4 << 10, 1, 1, 0, hdr + nla(2, struct.pack("<I", 1500))
                          + nla(4, socket.inet_pton(socket.AF_INET6, "fe80::1"))))
    assert not m.problems
    assert find(m.tree, "device_name").value == "mlx5_0" and find(m.tree, "path_use").meta == "GMP"
    assert find(m.tree, "LS_NLA_TYPE_TIMEOUT").value == 1500
    assert find(m.tree, "LS_NLA_TYPE_DGID").value == "fe80::1"


@pytest.mark.parametrize("fam,addr,port,text", [
    (socket.AF_INET, socket.inet_aton("192.0.2.5"), 4791, "192.0.2.5:4791"),
    (socket.AF_INET6, socket.inet_pton(socket.AF_INET6, "2001:db8::5"), 18515, "[2001:db8::5]:18515"),
])
def test_cm_id_addresses(fam, addr, port, text):
    if fam == socket.AF_INET:
        sa = struct.pack("<H", fam) + struct.pack(">H", port) + addr + bytes(120)
    else:
        sa = struct.pack("<H", fam) + struct.pack(">HI", port, 0) + addr + bytes(104)
    entry = nla(33, sa) + nla(32, struct.pack("<I", 0x106))
    m, = decode(20, nlmsg(NLDEV + 11, 2, 1, 5, nla(30, nla(31, entry, nested=True), nested=True)))
    assert not m.problems
    assert find(m.tree, "RDMA_NLDEV_ATTR_RES_SRC_ADDR").value == text
    assert find(m.tree, "RDMA_NLDEV_ATTR_RES_PS").meta == "TCP"


def test_truncated_nldev_attribute_is_a_problem_not_a_crash():
    m, = decode(20, nlmsg(NLDEV + 1, 2, 1, 5, nla(2, b"rxe0\0") + struct.pack("<HH", 40, 1) + b"\0\0"))
    assert m.type_name == "RDMA_NLDEV_CMD_GET" and m.problems
