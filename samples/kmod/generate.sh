#!/usr/bin/env bash
# Regenerate the kmod sample captures (re-runnable; one VM boot):
#
#   samples/kmod/usersock.pcapng  nlgreet and rtmgr's raw protocol on protocol 2
#                                 (NETLINK_USERSOCK, tapped by nlmon): greetings
#                                 with and without NLM_F_REQUEST, CRUD, dump,
#                                 events on group 1, errors with extended ACKs
#   samples/kmod/usersock.log     rtmgrctl's output for every frame above
#   samples/kmod/genl.pcapng      the RTMGR generic netlink family: the
#                                 CTRL_CMD_GETFAMILY resolution, CRUD, dump,
#                                 "events" notifications, errors (policy, missing
#                                 attribute, strict validation, EEXIST, ENOENT)
#   samples/kmod/genl.log         rtmgrctl's output for every frame above
#
# Each log holds, per rtmgrctl run, a "$ rtmgrctl ARGS" line, its output
# (send/recv/event lines with seq, portid, type, flags, len and the decoded
# payload) and "# exit N"; the background monitor's output comes last.
#
# Needs the VM lab (bash scripts/setup-vm.sh), kernel headers for the kernel the
# lab boots, and tshark on the host (to keep one protocol's frames and write
# pcapng). Usage: bash samples/kmod/generate.sh [OUTDIR]   (default: beside this script)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DEST="${1:-$HERE}"
PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || PY=python3
command -v tshark >/dev/null || { echo "generate.sh: tshark missing (apt: tshark)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/nlscope-kmod-samples.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

REL="$(cd "$REPO" && "$PY" -c 'from tests.vm.lab import kernel_release; print(kernel_release())')"
KDIR="/lib/modules/$REL/build"
[ -d "$KDIR" ] || { echo "generate.sh: no headers for $REL (apt: linux-headers-$REL)" >&2; exit 1; }

echo "generate.sh: building kmod against $KDIR"
mkdir -p "$WORK/kmod"
(cd "$REPO/kmod" && tar --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
    --exclude='*.mod*' --exclude='rtmgr/rtmgrctl' -cf - .) | tar -C "$WORK/kmod" -xf -
make -s -C "$WORK/kmod" KDIR="$KDIR" > "$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; exit 1; }

cat > "$WORK/scenario.sh" <<'EOF'
exec 2>&1
K="$KMOD"; C="$K/rtmgr/rtmgrctl"
LOG=""
words() {   # the arguments as a shell would need them typed
    local w out=""
    for w in "$@"; do
        case "$w" in *[[:space:]]*) out+=" \"$w\"" ;; *) out+=" $w" ;; esac
    done
    echo "${out# }"
}
run() {   # run ARGS...: rtmgrctl with its output in the current log
    echo "\$ rtmgrctl $(words "$@")" >> "$LOG"
    timeout 60 "$C" "$@" >> "$LOG" 2>&1
    echo "# exit $?" >> "$LOG"
}
cap_start() {
    tcpdump --immediate-mode -U -n -i nlmon0 -w "$OUT/$1.pcap" 2> "$OUT/$1.tcpdump.err" &
    CAP=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$OUT/$1.tcpdump.err" 2>/dev/null && break; sleep 0.1; done
}
cap_stop() { sleep 1; kill -INT "$CAP"; wait "$CAP"; }
mon_start() {   # mon_start LOGFILE ARGS...
    local f="$1"; shift
    echo "\$ rtmgrctl $* monitor --count 7 --timeout 60" > "$f"
    timeout 90 "$C" "$@" monitor --count 7 --timeout 60 >> "$f" 2>&1 &
    MON=$!
    for _ in $(seq 1 100); do grep -q "monitor: listening" "$f" 2>/dev/null && break; sleep 0.1; done
}
mon_stop() { wait "$MON"; echo "# exit $?" >> "$1"; }

modprobe nlmon && ip link add nlmon0 type nlmon && ip link set nlmon0 up || exit 1

# ---- usersock.pcap: protocol 2
LOG="$OUT/usersock.log"; : > "$LOG"
cap_start usersock
insmod "$K/nlgreet/nlgreet.ko" proto=2 || exit 1
echo "# nlgreet.ko proto=2" >> "$LOG"
run --proto 2 greet "hello kernel"
run --proto 2 --no-request greet "course style: NLM_F_ACK without NLM_F_REQUEST"
run --proto 2 --flags 1 greet "no ack wanted"
run --proto 2 send 20 41424344            # string without its NUL
run --proto 2 send 20                     # empty greeting
run --proto 2 send 42 00000000            # unknown type
# (a datagram shorter than a header is exercised by tests/vm/test_kmod.py only:
#  tshark does not show such a frame as netlink, so the tshark cross-check skips it)
rmmod nlgreet
insmod "$K/rtmgr/rtmgr.ko" proto=2 || exit 1
echo "# rtmgr.ko proto=2" >> "$LOG"
mon_start "$OUT/usersock-monitor.log" --proto 2
run --proto 2 create 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10
run --proto 2 create 10.2.0.0/16 via 192.168.0.2 dev eth1 metric 20
run --proto 2 create 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10   # EEXIST
run --proto 2 get 10.1.0.0/16
run --proto 2 get 10.9.0.0/16                                         # ENOENT
run --proto 2 update 10.1.0.0/16 via 192.168.0.254 dev eth2 metric 11
run --proto 2 dump
run --proto 2 delete 10.2.0.0/16
run --proto 2 delete 10.2.0.0/16                                      # ENOENT
run --proto 2 create 10.3.0.0/40 via 192.168.0.1 dev eth0             # EINVAL mask
run --proto 2 create 10.3.0.1/16 via 192.168.0.1 dev eth0             # EINVAL host bits
run --proto 2 send 21 0a010000                                        # EINVAL short payload
run --proto 2 greet "rtmgr answers greetings too"
run --proto 2 create 10.4.0.0/16 dev eth3
run --proto 2 delete 10.4.0.0/16
run --proto 2 delete 10.1.0.0/16
run --proto 2 dump
mon_stop "$OUT/usersock-monitor.log"
rmmod rtmgr
cap_stop

# ---- genl.pcap: protocol 16, family RTMGR
LOG="$OUT/genl.log"; : > "$LOG"
insmod "$K/rtmgr/rtmgr.ko" || exit 1
echo "# rtmgr.ko (genl family RTMGR)" >> "$LOG"
cap_start genl
mon_start "$OUT/genl-monitor.log" --genl
run --genl create 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10
run --genl create 10.2.0.0/16 via 192.168.0.2 dev eth1 metric 20
run --genl create 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10      # EEXIST
run --genl get 10.1.0.0/16
run --genl get 10.9.0.0/16                                            # ENOENT
run --genl update 10.1.0.0/16 metric 11                               # only METRIC
run --genl dump
run --genl delete 10.2.0.0/16
run --genl delete 10.2.0.0/16                                         # ENOENT
run --genl create 10.3.0.0/40 via 192.168.0.1 dev eth0                # ERANGE (policy)
run --genl create 10.3.0.1/16 via 192.168.0.1 dev eth0                # EINVAL host bits
run --genl create 10.3.0.0/16 via 192.168.0.1                         # EINVAL missing OIF
run --genl send 1 0800010000000000050002001000000008000400657468000800090001000000  # unknown attr 9
run --genl send 9                                                     # EOPNOTSUPP
run --genl create 10.4.0.0/16 dev eth3
run --genl delete 10.4.0.0/16
run --genl delete 10.1.0.0/16
run --genl dump
mon_stop "$OUT/genl-monitor.log"
cap_stop
rmmod rtmgr
dmesg | grep -E 'nlgreet|rtmgr|WARNING|BUG' > "$OUT/dmesg.txt"
EOF

echo "generate.sh: running the scenario in the VM (kernel $REL)"
(cd "$REPO" && "$PY" - "$WORK" <<'EOF'
import sys
from pathlib import Path
from tests.vm.lab import run_in_vm
work = Path(sys.argv[1])
res = run_in_vm((work / "scenario.sh").read_text(), outdir=work / "out",
                env={"KMOD": str(work / "kmod")}, timeout=900)
(work / "vm.log").write_text(res.stdout + res.stderr)
if res.rc != 0:
    print(res.stdout[-4000:], res.stderr[-4000:], sep="\n")
    sys.exit(f"scenario exited {res.rc}")
EOF
)

OUTD="$WORK/out"
if grep -E 'WARNING|BUG' "$OUTD/dmesg.txt"; then
    echo "generate.sh: kernel warnings, see above" >&2; exit 1
fi
mkdir -p "$DEST"
# keep only the protocol of interest (byte 14..15 of each frame's 16-byte
# LINKTYPE_NETLINK header), written as pcapng
tshark -r "$OUTD/usersock.pcap" -Y 'frame[14:2] == 00:02' -F pcapng -w "$DEST/usersock.pcapng" 2>/dev/null
tshark -r "$OUTD/genl.pcap" -Y 'frame[14:2] == 00:10' -F pcapng -w "$DEST/genl.pcapng" 2>/dev/null
{ cat "$OUTD/usersock.log"; echo; cat "$OUTD/usersock-monitor.log"; } > "$DEST/usersock.log"
{ cat "$OUTD/genl.log"; echo; cat "$OUTD/genl-monitor.log"; } > "$DEST/genl.log"
echo "# kernel $REL" | tee -a "$DEST/usersock.log" >> "$DEST/genl.log"

for f in usersock genl; do
    n=$(tshark -r "$DEST/$f.pcapng" 2>/dev/null | wc -l)
    echo "generate.sh: $DEST/$f.pcapng: $n frames; $DEST/$f.log: $(grep -c '^\(send\|recv\|event\) ' "$DEST/$f.log") message lines"
done
