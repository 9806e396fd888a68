"""Issue 16: a daemon and its peer in other network namespaces, seen at once.

nlmon taps one network namespace; `nlscope capture --ebpf` sees every one. Two bird2
instances, each in its own netns (linked by a veth), export static routes to their
kernels, are reconfigured and see their link flap, while one system-wide eBPF capture runs
in the initial netns and nlmon+tcpdump runs inside each of the two (the reference: what a
user would get by capturing in each). Checked on this run's files:

- the eBPF capture holds both birds' traffic, told apart by netns (the socket comment),
  with pid and comm;
- per netns, the ROUTE messages while its nlmon listened (bird's, the kernel's, the
  scenario's) are the ones that nlmon saw, byte for byte;
- all of it decodes with no problem, every family >= 99.5% named, every transaction
  paired by socket or truly unanswered; each bird's RTM_NEWROUTE requests are the routes
  `ip -j route show proto bird` lists in its netns.
"""
from __future__ import annotations

import json
import re
import shutil
import struct
from collections import Counter

import pytest

from nlscope.analysis.transactions import correlate
from nlscope.capture.ebpf import parse_socket_comment
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry

from .lab import lab_missing, pcap_records, run_in_vm, vm_unavailable_reason

pytestmark = pytest.mark.vm

ROUTES = {"na": 12, "nb": 7}

SCENARIO = r"""
exec 2>&1
set -u
NL="$REPO/.venv/bin/nlscope"
W=/run/nlscope-netns; mkdir -p $W; chmod 777 $W
wait_for() {  # wait_for FILE REGEX (bounded; fails loudly)
    for _ in $(seq 1 3000); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timeout waiting for /$2/ in $1"; exit 3
}
settle() {  # settle FILE: until its writer has caught up (size stable for 1 s)
    local prev=-1 n same=0
    for _ in $(seq 1 1200); do
        n=$(stat -c %s "$1" 2>/dev/null || echo 0)
        if [ "$n" = "$prev" ]; then same=$((same + 1)); [ $same -ge 4 ] && return 0; else same=0; fi
        prev=$n; sleep 0.25
    done
}
"$NL" capture --ebpf --proto route -w "$OUT/ebpf.pcapng" 2> "$OUT/ebpf.err" & PE=$!
wait_for "$OUT/ebpf.err" "capturing with eBPF"
modprobe nlmon
ip netns add na; ip netns add nb
ip link add va type veth peer name vb
ip link set va netns na; ip link set vb netns nb
for ns in na nb; do
    ip -n $ns link set lo up
    stat -L -c %i /run/netns/$ns > "$OUT/$ns.ino"
    ip -n $ns link add nlmon0 type nlmon; ip -n $ns link set nlmon0 up
    ip netns exec $ns tcpdump -U -n -s 0 -B 32768 -i nlmon0 -w "$OUT/$ns.pcap" 2> "$OUT/$ns.tcpdump.err" &
    echo $! > $W/$ns.tcpdump.pid
    wait_for "$OUT/$ns.tcpdump.err" "listening on"
done
ip -n na addr add 10.31.0.1/24 dev va; ip -n na link set va up
ip -n nb addr add 10.31.0.2/24 dev vb; ip -n nb link set vb up
birdconf() {  # birdconf ROUTER-ID DEV FIRST-OCTET COUNT
    cat <<CONF
router id $1;
protocol device { scan time 2; }
protocol kernel { ipv4 { export all; import none; }; scan time 2; learn; }
protocol static {
    ipv4;
CONF
    for i in $(seq 1 "$4"); do echo "    route 10.$3.$i.0/24 via \"$2\";"; done
    echo "}"
}
birdconf 10.31.0.1 va 61 ${ROUTES_NA} > $W/na.conf
birdconf 10.31.0.2 vb 62 $((ROUTES_NB + 3)) > $W/nb.conf
for ns in na nb; do
    ip netns exec $ns bird -c $W/$ns.conf -s $W/$ns.ctl -P $W/$ns.pid > $W/$ns.log 2>&1 || exit 4
done
sleep 6
birdconf 10.31.0.2 vb 62 ${ROUTES_NB} > $W/nb.conf
birdc -s $W/nb.ctl configure
sleep 3
ip -n na link set va down; sleep 2; ip -n na link set va up; sleep 5
for ns in na nb; do
    birdc -s $W/$ns.ctl show protocols
    ip -n $ns -j route show proto bird > "$OUT/$ns-routes.json"
done
for ns in na nb; do birdc -s $W/$ns.ctl down; done
sleep 2
for ns in na nb; do settle "$OUT/$ns.pcap"; kill -INT "$(cat $W/$ns.tcpdump.pid)"; done
wait_for "$OUT/nb.tcpdump.err" "dropped by kernel"
wait_for "$OUT/na.tcpdump.err" "dropped by kernel"
settle "$OUT/ebpf.pcapng"
kill -INT $PE; wait $PE; echo "ebpf_rc=$?" > "$OUT/ebpf.rc"
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    reason = vm_unavailable_reason()
    if reason:
        lab_missing(reason)
    for tool in ("bird", "birdc", "tcpdump", "clang"):
        if shutil.which(tool) is None:
            lab_missing(f"{tool} missing (bash scripts/setup.sh --test)")
    from nlscope.capture import ebpf
    ebpf.build()
    out = tmp_path_factory.mktemp("netnsvm")
    vm = run_in_vm(SCENARIO, outdir=out, timeout=1800,
                   env={"ROUTES_NA": str(ROUTES["na"]), "ROUTES_NB": str(ROUTES["nb"])})
    (out / "vm-stdout.txt").write_text(vm.stdout)
    assert vm.rc == 0, vm.stdout[-4000:]
    assert (out / "ebpf.rc").read_text().strip() == "ebpf_rc=0", vm.stdout[-3000:]
    return out


@pytest.fixture(scope="module")
def ebpf(lab):
    reader = CaptureReader(lab / "ebpf.pcapng")
    frames = list(reader)
    assert not reader.warnings, reader.warnings
    return frames


def _ino(lab, ns: str) -> int:
    return int((lab / f"{ns}.ino").read_text())


def _bird_ports(frames, ino: int) -> set[int]:
    out = set()
    for f in frames:
        sock = parse_socket_comment(f.comment)
        if f.comm == "bird" and sock is not None and sock[0] == ino:
            out.add(sock[1])
    return out


def _messages(raw: bytes):
    """(nlmsg_pid, bytes) of each netlink message of a frame's payload."""
    p = 0
    while p + 16 <= len(raw):
        ln, _t, _f, _s, pid = struct.unpack_from("=IHHII", raw, p)
        if ln < 16:
            break
        yield pid, raw[p:p + ln]
        p += (ln + 3) & ~3


def test_both_birds_are_in_the_one_capture(lab, ebpf):
    assert "the kernel dropped 0" in (lab / "ebpf.err").read_text()
    inos = {_ino(lab, ns) for ns in ROUTES}
    seen = {parse_socket_comment(f.comment)[0] for f in ebpf
            if f.comm == "bird" and parse_socket_comment(f.comment) is not None}
    assert inos <= seen, (inos, seen)
    assert all(f.pid for f in ebpf if f.comm == "bird")


@pytest.mark.parametrize("ns", sorted(ROUTES))
def test_each_netns_traffic_is_what_its_nlmon_saw(lab, ebpf, ns):
    """Every ROUTE message of the netns while its tcpdump ran (bird's requests, the
    kernel's answers and notifications, the scenario's `ip -n`), byte for byte."""
    ino = _ino(lab, ns)
    ports = _bird_ports(ebpf, ino)
    assert ports, ns
    assert "0 packets dropped by kernel" in (lab / f"{ns}.tcpdump.err").read_text()
    ours = [m for f in ebpf if (s := parse_socket_comment(f.comment)) and s[0] == ino
            for _pid, m in _messages(bytes(f.payload))]
    theirs = [m for r in pcap_records(lab / f"{ns}.pcap")
              if struct.unpack_from(">H", r, 14)[0] == 0  # NETLINK_ROUTE
              for _pid, m in _messages(r[16:])]
    # ours started first and ended last: compare where both listened (the order of
    # deliveries on different CPUs may differ between the two taps: as multisets)
    assert theirs[0] in ours and theirs[-1] in ours
    first = ours.index(theirs[0])
    last = len(ours) - 1 - ours[::-1].index(theirs[-1])
    assert Counter(ours[first:last + 1]) == Counter(theirs)
    birds = sum(1 for m in theirs if struct.unpack_from("=I", m, 12)[0] in ports)
    assert birds > 2 * ROUTES[ns]  # bird's dumps and ACKs are in it


@pytest.fixture(scope="module")
def decoded(lab):
    reg = default_registry(entry_points=False)
    msgs = list(Decoder(reg).messages(CaptureReader(lab / "ebpf.pcapng")))
    return msgs, list(correlate(msgs, registry=reg))


def test_all_of_it_decodes_and_pairs_by_socket(decoded):
    from conftest import daemon_family
    from test_issue16_daemons import poorly_named, problems, unpaired
    msgs, pairs = decoded
    birds = [m for m in msgs if m.frame.comm == "bird"]
    assert Counter(daemon_family(m) for m in birds)["route"] > 0
    assert problems(msgs) == []
    assert poorly_named(msgs) == {}
    bad, answered = unpaired(birds, pairs)
    assert bad == [] and answered > 0


@pytest.mark.parametrize("ns", sorted(ROUTES))
def test_each_birds_routes_are_the_ones_its_kernel_lists(lab, decoded, ns):
    msgs, _ = decoded
    ino = _ino(lab, ns)
    listed = {r["dst"] for r in json.loads((lab / f"{ns}-routes.json").read_text())}
    assert len(listed) == ROUTES[ns]
    sent = {re.search(r"\d+\.\d+\.\d+\.\d+/\d+", m.summary)[0] for m in msgs
            if m.frame.comm == "bird" and m.type_name == "RTM_NEWROUTE"
            and m.flags & 1 and parse_socket_comment(m.frame.comment)[0] == ino}
    assert listed <= sent
    other = "nb" if ns == "na" else "na"
    theirs = {r["dst"] for r in json.loads((lab / f"{other}-routes.json").read_text())}
    assert not listed & theirs  # each netns's routes are its own bird's
