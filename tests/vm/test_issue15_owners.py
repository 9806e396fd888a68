"""eBPF capture: a socket opened before the probes attach has its owner from the first
message on (issue 15, after item 4). The program learns a socket's owner from its
send/receive calls; a listener already waiting (rtmgrctl monitor polls, then reads)
gets its first event delivered before its next call. At start the capture reads the
owners of the open netlink sockets from /proc (ebpf.socket_owners).

One lab boot on the newest kernel: rtmgr.ko on protocol 25; `rtmgrctl monitor` started
first, then `nlscope capture --ebpf --proto 25`, then one route created by another
rtmgrctl: the event delivered to the monitor's socket names the monitor's pid and comm.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nlscope.capture.ebpf import parse_socket_comment
from nlscope.capture.pcapio import CaptureReader

from .lab import _installed_kernels, build_kmod, lab_missing, run_in_vm, vm_unavailable_reason

pytestmark = pytest.mark.vm

SCENARIO = r"""
exec 2>&1
set -u
NL="$REPO/.venv/bin/nlscope"
C="$KMOD/rtmgr/rtmgrctl"
wait_for() {
    local i
    for i in $(seq 1 3000); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timeout waiting for /$2/ in $1"; return 1
}
insmod "$KMOD/rtmgr/rtmgr.ko" proto=25 || exit 90
"$C" --proto 25 monitor --count 1 --timeout 900 > "$OUT/monitor.txt" 2>&1 & M=$!
echo "$M" > "$OUT/monitor.pid"
wait_for "$OUT/monitor.txt" "^open proto=25"
S=$EPOCHREALTIME
"$NL" capture --ebpf --proto 25 -w "$OUT/owners.pcapng" 2> "$OUT/capture.err" & P=$!
wait_for "$OUT/capture.err" "capturing with eBPF"
echo "capture_start_us=$(( ${EPOCHREALTIME/./} - ${S/./} ))"
"$C" --proto 25 create 10.5.0.0/16 via 10.0.0.1 dev eth0 > "$OUT/create.txt" 2>&1
wait $M; echo "monitor_rc=$?"
sleep 1
kill -INT $P; wait $P; echo "capture_rc=$?"
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Path:
    reason = vm_unavailable_reason()
    if reason:
        lab_missing(reason)
    for tool in ("make", "gcc", "clang"):
        if shutil.which(tool) is None:
            lab_missing(f"{tool} missing (bash scripts/setup.sh --test)")
    rels = [r for r in _installed_kernels() if Path("/lib/modules", r, "build").is_dir()]
    if not rels:
        lab_missing("no kernel with headers installed (bash scripts/setup-vm.sh)")
    from nlscope.capture import ebpf
    ebpf.build()
    out = tmp_path_factory.mktemp("owners")
    build_kmod(out / "kmod", Path("/lib/modules") / rels[0] / "build")
    vm = run_in_vm(SCENARIO, outdir=out, timeout=1800, env={"KMOD": str(out / "kmod")})
    print(vm.stdout[-2000:])
    assert vm.rc == 0 and "monitor_rc=0" in vm.stdout and "capture_rc=0" in vm.stdout, vm.stdout[-3000:]
    return out


def test_first_event_of_a_socket_open_before_the_probes_has_its_owner(lab):
    monitor_pid = int((lab / "monitor.pid").read_text())
    portid = int(re.search(r"^open proto=25 portid=(\d+)", (lab / "monitor.txt").read_text(),
                           re.M).group(1))
    event = re.search(r"^event seq=(\d+) .*type=RT_CREATE", (lab / "monitor.txt").read_text(), re.M)
    assert event, (lab / "monitor.txt").read_text()
    creator = int(re.search(r"^open proto=25 portid=(\d+)", (lab / "create.txt").read_text(),
                            re.M).group(1))
    frames = list(CaptureReader(lab / "owners.pcapng"))
    to_monitor = [f for f in frames if f.direction == "in" and parse_socket_comment(f.comment)
                  and parse_socket_comment(f.comment)[1] == portid]
    assert len(to_monitor) == 1, [(f.number, f.comment) for f in frames]
    assert (to_monitor[0].pid, to_monitor[0].comm) == (monitor_pid, "rtmgrctl")
    # the creator's own request, sent after the probes attached, names it as before
    sent = [f for f in frames if f.direction == "out" and parse_socket_comment(f.comment)[1] == creator]
    assert sent and all(f.comm == "rtmgrctl" and f.pid != monitor_pid for f in sent)
