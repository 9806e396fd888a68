"""Live capture and trace in a real kernel: one VM boot for every check of this module.

A Python start costs ~30 s in the VM (TCG, the root filesystem over 9p), so the
scenario starts every nlscope process at once, each in its own network namespace
(nlmon only sees its own namespace's traffic), and sequences only what must be:

  trace  (init ns) nlscope trace --via strace -- sh (the fallback; eBPF tracing is
         tests/vm/test_ebpf.py's): `ip -n t6 addr show` and rtmgrctl on protocol
         31 (rtmgr.ko), while nlscope captures nlmon0 in t6 (pre-existing, down: brought
         up, and left in place at the end). Done before "side" starts, since strace -yy
         itself talks sock_diag in the init namespace. Captures but "side" (the default
         128 MiB ring, measured) take -B 32: seven rings at once in a 2 GiB VM.
  side   (init ns) nlscope capture (creates nlmon0, removes it) and tcpdump side by
         side: real tools (ip link/addr/route, ss, rtmgrctl on 31 that nlmon misses),
         then a burst: ip -batch adding BURST routes, a dump, deleting them.
  sigint (t1) a capture stopped by SIGINT while traffic flows.
  drops  (t2) --format jsonl with a tiny buffer (-B 0.25) under a burst, tcpdump
         beside it: drops reported, captured + dropped = what tcpdump saw.
  pipe   (t3) `capture -w -` into `nlscope read -` through a FIFO, ended by SIGTERM.
  unpriv (t4) as nobody: the one-line errors naming CAP_NET_ADMIN, then CAP_NET_RAW.
The tests read what the scenario left in $OUT (tshark runs on the host afterwards).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nlscope.capture.nlmon import GENL_COMMENT_KEY
from nlscope.capture.pcapio import CaptureReader, parse_process_comment

from .lab import (REPO, VMResult, build_kmod, is_subsequence, kernel_release, lab_missing,
                  pcap_records, run_in_vm, vm_unavailable_reason)

pytestmark = pytest.mark.vm

BURST = 20000  # routes: 4 x BURST frames (request + ACK, add then delete)
DROP_BURST = 8000

SCENARIO = r"""
exec 2>&1
set -u
NL="$REPO/.venv/bin/nlscope"
export C="$KMOD/rtmgr/rtmgrctl"
# Work on a tmpfs: the shared $OUT (9p) has no FIFOs and makes each write a round trip
# to the host, which would slow tcpdump -U to a crawl. Copied to $OUT at the end.
export W=/run/nlscope-test
mkdir -p "$W" && mount -t tmpfs none "$W"
trap 'cp -a "$W"/. "$OUT"/' EXIT
F="$W/facts.txt"
: > "$F"
fact() { echo "$1=$2" >> "$F"; }
T0=$EPOCHREALTIME
say() { echo "[$(( (${EPOCHREALTIME/./} - ${T0/./}) / 1000000 ))s] $*"; }
# wait_for FILE REGEX [SECONDS]
wait_for() {
    local i
    for i in $(seq 1 $(( ${3:-240} * 10 ))); do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    say "timeout waiting for /$2/ in $1"; return 1
}
settle() {  # settle FILE: wait until FILE stops growing (a writer has caught up)
    local prev=-1 n
    for _ in $(seq 1 240); do
        n=$(stat -c %s "$1" 2>/dev/null || echo 0)
        [ "$n" = "$prev" ] && return 0
        prev=$n; sleep 1
    done
}
batch() {  # batch FILE VERB N DEV
    awk -v n="$3" -v verb="$2" -v dev="$4" 'BEGIN { for (i = 0; i < n; i++)
        printf "route %s 10.%d.%d.0/24 dev %s table 100\n", verb, int(i / 256) % 256, i % 256, dev }' > "$1"
}

modprobe nlmon
insmod "$KMOD/rtmgr/rtmgr.ko"; fact insmod_rtmgr $?
for ns in t1 t2 t3 t4 t5 t6 t7; do ip netns add $ns; ip -n $ns link set lo up; done
batch "$W/add.batch" add "$BURST" dummy0
batch "$W/del.batch" del "$BURST" dummy0
batch "$W/add2.batch" add "$DROP_BURST" dummy2
ip link add dummy0 type dummy && ip link set dummy0 up
ip -n t2 link add dummy2 type dummy && ip -n t2 link set dummy2 up
ip -n t6 link add nlmon0 type nlmon   # pre-existing and down: brought up, left alone
say setup

# ---- start every slow thing at once -------------------------------------------------
"$NL" capture -B 32 --netns t6 -w "$W/t6.pcapng" 2> "$W/t6.err" & P6=$!
"$NL" trace --via strace -w "$W/trace.pcapng" -- sh -c '
    while [ ! -e "$W/go-trace" ]; do sleep 0.2; done
    ip -n t6 addr show > "$W/trace-ip.txt"
    "$C" --proto 31 greet "hello kernel" > "$W/greet.txt"
    "$C" --proto 31 create 10.99.0.0/16 via 10.0.0.1 dev lo metric 7 > "$W/create.txt"
    "$C" --proto 31 dump > "$W/dump.txt"
    "$C" --proto 31 delete 10.99.0.0/16 > "$W/delete.txt"
    exit 7' > "$W/trace.out" 2> "$W/trace.err" & PT=$!
"$NL" capture -B 32 --netns t1 -w "$W/sigint.pcapng" 2> "$W/sigint.err" & P1=$!
"$NL" capture --netns t2 -B 0.25 --format jsonl > "$W/drops.jsonl" 2> "$W/drops.err" & P2=$!
mkfifo "$W/pipe"
PYTHONUNBUFFERED=1 "$NL" read - < "$W/pipe" > "$W/pipe.txt" 2> "$W/piperead.err" & PR=$!
"$NL" capture -B 32 --netns t3 -w - > "$W/pipe" 2> "$W/pipecap.err" & P3=$!
ip netns exec t5 "$NL" read -i nlmon0 -c 4 > "$W/readlive.txt" 2> "$W/readlive.err" & PL=$!
"$NL" capture -B 32 --netns t7 -a duration:40 > "$W/text.txt" 2> "$W/text.err" & PX=$!
(
    ip netns exec t4 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$NL" capture -c 1 > /dev/null 2> "$W/unpriv1.err"
    echo $? > "$W/unpriv1.rc"
    ip -n t4 link add nlmon0 type nlmon && ip -n t4 link set nlmon0 up
    ip netns exec t4 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$NL" capture -c 1 > /dev/null 2> "$W/unpriv2.err"
    echo $? > "$W/unpriv2.rc"
) & PU=$!

# ---- trace: protocol 31 and ip, with nlmon in t6 --------------------------------------
wait_for "$W/t6.err" "capturing on"
sleep 1   # the trace has started its command once strace wrote anything
touch "$W/go-trace"
wait $PT; fact trace_rc $?
say trace done
sleep 1
kill -INT $P6; wait $P6; fact t6_rc $?
ip -n t6 link show nlmon0 > /dev/null 2>&1 && fact t6_iface_left yes || fact t6_iface_left no

# ---- side by side in the init namespace ------------------------------------------------
"$NL" capture -w "$W/side.pcapng" 2> "$W/side.err" & PA=$!

# meanwhile, in t1: SIGINT while traffic flows
wait_for "$W/sigint.err" "capturing on"
ip -n t1 link add t1dev type dummy
( while [ ! -e "$W/stop-t1" ]; do ip -n t1 link show > /dev/null; ip -n t1 addr show > /dev/null; done ) & L1=$!
sleep 3
kill -INT $P1; wait $P1; fact sigint_rc $?
touch "$W/stop-t1"; wait $L1
say sigint done

# in t3: the pipe, live
wait_for "$W/pipecap.err" "capturing on"
ip -n t3 link add t3dev type dummy
ip -n t3 link show > /dev/null
wait_for "$W/pipe.txt" "t3dev" 30 && fact pipe_live yes || fact pipe_live no
kill -TERM $P3; wait $P3; fact pipecap_rc $?
wait $PR; fact piperead_rc $?
say pipe done

# t5: read -i (a live source for read), ends itself after 4 messages
wait_for "$W/readlive.err" "capturing on"
ip -n t5 link add t5dev type dummy
ip -n t5 link set t5dev up
wait $PL; fact readlive_rc $?
ip -n t5 link show nlmon0 > /dev/null 2>&1 && fact t5_iface_left yes || fact t5_iface_left no
# t7: the default text output; ends itself (-a duration)
wait_for "$W/text.err" "capturing on"
ip -n t7 link add t7dev type dummy
ip -n t7 addr show > /dev/null
say live sources done

# the init namespace: nlscope, then tcpdump, then the tools and the burst
wait_for "$W/side.err" "capturing on"
tcpdump -U -n -B 65536 -i nlmon0 -w "$W/side.pcap" 2> "$W/side.tcpdump.err" & TA=$!
wait_for "$W/side.tcpdump.err" "listening on"
say side ready
ip link add dummy9 type dummy
ip link set dummy9 up
ip addr add 192.0.2.1/24 dev dummy9
ip route add 198.51.100.0/24 via 192.0.2.254
ip -d link show > /dev/null
ip addr show > /dev/null
ip route show > /dev/null
ss -tan > /dev/null
"$C" --proto 31 greet "nlmon cannot see this" > "$W/greet-nlmon.txt"; fact greet_nlmon_rc $?
ip link del dummy9
B0=$EPOCHREALTIME
ip -batch "$W/add.batch"; fact burst_add_rc $?
ip route show table 100 > "$W/table100.txt"
ip -batch "$W/del.batch"; fact burst_del_rc $?
B1=$EPOCHREALTIME
fact burst_us $(( ${B1/./} - ${B0/./} ))
say burst done
settle "$W/side.pcap"
kill -INT $TA; wait $TA
kill -INT $PA; wait $PA; fact side_rc $?
ip link show nlmon0 > /dev/null 2>&1 && fact side_iface_left yes || fact side_iface_left no
say side done

# t2: forced drops (the jsonl decoder is slow, the buffer tiny)
wait_for "$W/drops.err" "capturing on"
ip netns exec t2 tcpdump -U -n -B 65536 -i nlmon0 -w "$W/drops.pcap" 2> "$W/drops.tcpdump.err" & T2=$!
wait_for "$W/drops.tcpdump.err" "listening on"
ip -n t2 -batch "$W/add2.batch"; fact drops_burst_rc $?
settle "$W/drops.pcap"
kill -INT $T2; wait $T2
# let the slow consumer finish what the kernel queued, then stop it
prev=-1
for _ in $(seq 1 120); do
    n=$(wc -l < "$W/drops.jsonl"); [ "$n" = "$prev" ] && break; prev=$n; sleep 1
done
kill -INT $P2; wait $P2; fact drops_rc $?
say drops done
wait $PX; fact text_rc $?
wait $PU
say end
"""




class Run:
    def __init__(self, vm: VMResult):
        self.vm = vm
        self.out = vm.outdir
        self.facts = {}
        path = self.out / "facts.txt"
        if path.exists():
            for line in path.read_text().splitlines():
                k, _, v = line.partition("=")
                self.facts[k] = v

    def text(self, name: str) -> str:
        p = self.out / name
        assert p.exists(), f"{name} missing\n{self.vm.stdout[-3000:]}"
        return p.read_text(errors="replace")

    def frames(self, name: str):
        reader = CaptureReader(self.out / name)
        frames = list(reader)
        assert not reader.warnings, reader.warnings
        return frames, reader


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    reason = vm_unavailable_reason()
    if reason:
        lab_missing(reason)
    rel = kernel_release()
    kdir = Path("/lib/modules") / rel / "build"
    if not kdir.is_dir():
        lab_missing(f"no kernel headers for {rel} (apt: linux-headers-{rel})")
    for tool in ("make", "gcc", "tcpdump", "strace"):
        if shutil.which(tool) is None:
            lab_missing(f"{tool} missing (bash scripts/setup-vm.sh)")
    out = tmp_path_factory.mktemp("capvm")
    build_kmod(out / "kmod", kdir)
    vm = run_in_vm(SCENARIO, outdir=out, timeout=3000,
                   env={"KMOD": str(out / "kmod"), "BURST": str(BURST),
                        "DROP_BURST": str(DROP_BURST)})
    (out / "vm-stdout.txt").write_text(vm.stdout)
    assert vm.rc == 0, vm.stdout[-4000:]
    return Run(vm)




def _stats(err: str) -> tuple[int, int]:
    m = re.search(r"(\d+) frames captured on \S+; the kernel dropped (\d+)", err)
    assert m, err
    return int(m.group(1)), int(m.group(2))


def _tcpdump_counts(err: str) -> tuple[int, int]:
    cap = int(re.search(r"(\d+) packets captured", err).group(1))
    drop = int(re.search(r"(\d+) packets dropped by kernel", err).group(1))
    return cap, drop


def _names(frames) -> set[str]:
    """Interface names in RTM_NEWLINK messages (IFLA_IFNAME), from the raw bytes."""
    import struct
    names = set()
    for f in frames:
        pos = 16
        raw = f.raw
        while pos + 16 <= len(raw):
            ln, t = struct.unpack_from("=IH", raw, pos)
            if ln < 16:
                break
            if f.protocol == 0 and t == 16:
                a = pos + 32
                while a + 4 <= pos + ln:
                    alen, atype = struct.unpack_from("=HH", raw, a)
                    if alen < 4:
                        break
                    if atype == 3:
                        names.add(raw[a + 4:a + alen].split(b"\0")[0].decode())
                    a += (alen + 3) & ~3
            pos += (ln + 3) & ~3
    return names


# ---- side by side with tcpdump --------------------------------------------------------



def test_side_by_side_same_frames_as_tcpdump(run):
    """Beside tcpdump on the same nlmon: every frame we kept is tcpdump's, byte for byte
    and in order, and what we did not keep the kernel reported as dropped: no silent
    loss. (On a loaded host the ring can overflow where tcpdump keeps up: that is a
    figure to improve, reported by test_burst_figures, not a silent difference.)"""
    ours, reader = run.frames("side.pcapng")
    theirs = pcap_records(run.out / "side.pcap")
    captured, dropped = _stats(run.text("side.err"))
    assert _tcpdump_counts(run.text("side.tcpdump.err"))[1] == 0
    assert captured == len(ours)
    assert len(ours) + dropped == len(theirs), (len(ours), dropped, len(theirs))
    assert is_subsequence([f.raw for f in ours], theirs)  # every byte, cooked header included
    assert len(theirs) >= 4 * BURST  # the burst is in it
    assert dropped or "dummy9" in _names(ours)  # (a dropped frame may have carried it)


def test_side_capture_is_complete_pcapng_with_genl_map(run):
    _, reader = run.frames("side.pcapng")
    comments = "\n".join(reader.section_comments)
    assert GENL_COMMENT_KEY in comments
    line = next(ln for ln in comments.splitlines() if ln.startswith(GENL_COMMENT_KEY))
    ids = json.loads(line.split(":", 1)[1])
    assert ids.get("nlctrl") == 16


def test_side_capture_warns_about_nlmon_limits_and_cleans_up(run):
    err = run.text("side.err")
    assert "nlscope trace" in err and "own network namespace" in err
    assert run.facts["side_rc"] == "0"
    assert run.facts["side_iface_left"] == "no"  # nlscope created nlmon0: it removed it


def test_nlmon_misses_protocol_31(run):
    assert run.facts["greet_nlmon_rc"] == "0", run.text("greet-nlmon.txt")
    ours, _ = run.frames("side.pcapng")
    assert {f.protocol for f in ours} >= {0, 4}  # route (ip), sock_diag (ss)
    assert 31 not in {f.protocol for f in ours}


def test_burst_figures(run, capsys):
    """The burst's figures, beside tcpdump's in the same run: drops are reported, and
    captured + dropped = what tcpdump saw (a slow host may drop; none may vanish)."""
    captured, dropped = _stats(run.text("side.err"))
    theirs = len(pcap_records(run.out / "side.pcap"))
    secs = int(run.facts["burst_us"]) / 1e6
    with capsys.disabled():
        print(f"\n[capture] side by side: {captured} frames, {dropped} drops reported "
              f"(tcpdump: {theirs} frames, 0 drops); burst of {4 * BURST} frames in "
              f"{secs:.1f} s ({4 * BURST / secs:.0f} frames/s under TCG)")
    assert captured + dropped == theirs


# ---- SIGINT while traffic flows ---------------------------------------------------------

def test_sigint_mid_capture_leaves_a_valid_pcapng(run):
    assert run.facts["sigint_rc"] == "0"
    frames, _ = run.frames("sigint.pcapng")
    captured, _ = _stats(run.text("sigint.err"))
    assert "stopped by SIGINT" in run.text("sigint.err")
    assert len(frames) == captured > 0
    if shutil.which("tshark"):
        r = subprocess.run(["tshark", "-r", str(run.out / "sigint.pcapng"), "-T", "fields",
                            "-e", "frame.number"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert len(r.stdout.split()) == captured
        assert "appears to have been cut short" not in r.stderr


def test_netns_capture_sees_only_its_namespace(run):
    t1, _ = run.frames("sigint.pcapng")
    names = _names(t1)
    assert "t1dev" in names
    assert not names & {"t3dev", "dummy0", "dummy9", "dummy2"}


# ---- read -i, and the default text output ----------------------------------------------

def test_read_live_interface(run):
    assert run.facts["readlive_rc"] == "0", run.text("readlive.err")
    lines = run.text("readlive.txt").splitlines()
    assert lines[0].split()[:3] == ["No.", "Time", "Family"]
    assert len(lines) == 1 + 4  # -c 4 messages
    assert any("RTM_NEWLINK" in ln and "t5dev" in ln for ln in lines[1:])
    assert "frames captured on nlmon0" in run.text("readlive.err")
    assert run.facts["t5_iface_left"] == "no"


def test_capture_text_output_and_duration(run):
    assert run.facts["text_rc"] == "0", run.text("text.err")
    text = run.text("text.txt")
    assert text.splitlines()[0].split()[:3] == ["No.", "Time", "Family"]
    assert "t7dev" in text and "RTM_GETADDR" in text
    assert "stopped by" not in run.text("text.err")  # -a duration, not a signal


# ---- forced drops ------------------------------------------------------------------------

def test_forced_drops_are_reported_honestly(run):
    err = run.text("drops.err")
    captured, dropped = _stats(err)
    assert dropped > 0, err
    assert re.search(r"warning: the kernel dropped \d+ frames on nlmon0", err)  # while running
    truth, truth_drops = _tcpdump_counts(run.text("drops.tcpdump.err"))
    assert truth_drops == 0
    assert captured + dropped == truth, (captured, dropped, truth)
    # the live jsonl: one object per message, each of a captured frame
    msgs = [json.loads(ln) for ln in run.text("drops.jsonl").splitlines()]
    assert len({m["frame"] for m in msgs}) == captured
    assert all(m["family"]["name"] == "route" for m in msgs if m["family"]["value"] == 0)


# ---- the pipe (privilege split) ------------------------------------------------------------

def test_pipe_stream_is_read_live_and_ends_cleanly(run):
    assert run.facts["pipe_live"] == "yes"  # read showed t3dev before the capture stopped
    assert run.facts["pipecap_rc"] == "0"
    assert run.facts["piperead_rc"] == "0", run.text("piperead.err")
    assert "stopped by SIGTERM" in run.text("pipecap.err")
    text = run.text("pipe.txt")
    assert "t3dev" in text and "t1dev" not in text
    assert "RTM_NEWLINK" in text


# ---- without privileges ------------------------------------------------------------------------

def test_unprivileged_gets_one_clear_line(run):
    for n, cap in ((1, "CAP_NET_ADMIN"), (2, "CAP_NET_RAW")):
        rc = int(run.text(f"unpriv{n}.rc"))
        err = run.text(f"unpriv{n}.err").strip().splitlines()
        assert rc != 0
        assert len(err) == 1, err
        assert err[0].startswith("nlscope: error:") and cap in err[0], err
        assert "Traceback" not in err[0] and "sudo" in err[0]


# ---- trace -------------------------------------------------------------------------------------

def test_trace_exit_status_is_the_commands(run):
    assert run.facts["trace_rc"] == "7", run.text("trace.err")


def test_trace_sees_protocol_31_with_pid_and_direction(run):
    frames, _ = run.frames("trace.pcapng")
    k = [f for f in frames if f.protocol == 31]
    assert k, run.text("trace.err")
    assert {f.comm for f in k} == {"rtmgrctl"}
    assert {f.direction for f in k} == {"out", "in"}
    # each rtmgrctl run is one process whose socket's port id is its pid
    portids = {int(m) for name in ("greet.txt", "create.txt", "dump.txt", "delete.txt")
               for m in re.findall(r"open proto=31 portid=(\d+)", run.text(name))}
    assert len(portids) == 4
    assert {f.pid for f in k} == portids
    greet = [f for f in k if b"hello kernel" in f.raw]
    assert [f.direction for f in greet][:2] == ["out", "in"]  # request, then the reply
    assert any(b"Hello " in f.raw and b"kernel got: hello kernel" in f.raw for f in k)


def test_trace_decodes_the_kmod_exchange(run):
    r = subprocess.run([str(REPO / ".venv" / "bin" / "nlscope"), "export",
                        str(run.out / "trace.pcapng")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    msgs = [json.loads(ln) for ln in r.stdout.splitlines()]
    k = [m for m in msgs if m["family"]["value"] == 31]
    assert k and all(m["comm"] == "rtmgrctl" and m["pid"] > 0 for m in k)
    assert {m["direction"] for m in k} == {"out", "in"}
    assert any(m["header"]["type"]["value"] == 20 and "Hello" in json.dumps(m) for m in k)
    acks = [m for m in k if m["header"]["type"]["name"] == "NLMSG_ERROR"]
    assert acks  # create/delete are acknowledged


def test_trace_of_ip_matches_nlmon(run):
    traced, _ = run.frames("trace.pcapng")
    ip = [f for f in traced if f.comm == "ip"]
    seen, _ = run.frames("t6.pcapng")
    route = [f for f in seen if f.protocol == 0]
    assert ip and [f.raw[16:] for f in ip] == [f.raw[16:] for f in route]
    assert all(f.protocol == 0 for f in ip)
    assert len({f.pid for f in ip}) == 1
    # what nlmon cannot know, the trace knows: requests out, replies in
    assert [f.direction for f in ip] == ["out" if f.raw[16 + 6] & 1 else "in" for f in ip]


def test_preexisting_interface_brought_up_and_left(run):
    assert run.facts["t6_rc"] == "0"
    assert run.facts["t6_iface_left"] == "yes"


def test_trace_frames_keep_process_in_pcapng_comment(run):
    frames, _ = run.frames("trace.pcapng")
    assert all(f.pid is not None and f.comm for f in frames)
    assert parse_process_comment(f"pid={frames[0].pid} comm={frames[0].comm}") == \
        (frames[0].pid, frames[0].comm)
