"""NETLINK_RDMA live in the VM lab: `nlscope trace` around iproute2's rdma driving
rdma_rxe (nlmon does not tap protocol 20), decoded and compared with `rdma -j dev show`
of the same run. tests/test_rdma.py checks more on the committed capture made the
same way (tests/fixtures/issue14_genl/make.py)."""
from __future__ import annotations

import json

import pytest

from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry

from .lab import lab_missing

pytestmark = pytest.mark.vm

SCRIPT = r"""
modprobe rdma_rxe || exit 3
ip link add dummy0 type dummy && ip link set dummy0 up
nlscope trace --via strace -w $OUT/rdma.pcapng -- bash -c "rdma link add rxe0 type rxe netdev dummy0; rdma -j dev show > $OUT/dev.json; rdma link delete rxe0" > $OUT/trace.log 2>&1
echo $? > $OUT/rc
"""


def test_rdma_dev_show_live(vm_run):
    res = vm_run(SCRIPT, timeout=1500)
    if res.rc == 3:
        lab_missing("this kernel has no rdma_rxe module")
    assert (res.outdir / "rc").read_text().strip() == "0", (res.outdir / "trace.log").read_text()
    msgs = list(Decoder(default_registry(entry_points=False)).messages(CaptureReader(res.outdir / "rdma.pcapng")))
    dev = json.loads((res.outdir / "dev.json").read_text())[0]
    assert all(not m.problems for m in msgs)
    assert [m.type_name for m in msgs if m.flags & 1][:2] == ["RDMA_NLDEV_CMD_GET", "RDMA_NLDEV_CMD_NEWLINK"]
    dumps = [m for m in msgs if m.flags & 0x301 == 0x301]
    assert dumps and all("DUMP" in m.flag_names for m in dumps)
    reply = next(m for m in msgs if m.type_name == "RDMA_NLDEV_CMD_GET" and not m.flags & 1
                 and "node_guid" in m.summary)
    assert reply.summary.startswith(f"RDMA_NLDEV_CMD_GET {dev['ifindex']}: {dev['ifname']} ")
    assert f"node_guid {dev['node_guid']}" in reply.summary
