#!/bin/bash
# Runs inside the VM (started by samples/generate.py through tests/vm/lab.py).
# For each scenario in $SCENARIOS: a fresh network namespace with its own
# nlmon0 (the kernel taps netlink per namespace), tcpdump on it writing
# $OUT/raw/<name>.pcap, the scenario script with its log in $OUT/<name>.log.
# Extra files a scenario saves (JSON dumps, monitor output) land in $OUT too.
HERE=$(cd "$(dirname "$0")" && pwd)
SCENARIOS=${SCENARIOS:-"iproute2 tc sock_diag genl devlink netfilter xfrm mixed"}
RAW="$OUT/raw"
mkdir -p "$RAW"
exec 2>&1

{
    echo "kernel: $(uname -r)"
    echo "kernel_version: $(uname -v)"
    echo "iproute2: $(ip -V 2>&1)"
    echo "iw: $(iw --version 2>&1)"
    echo "wireguard-tools: $(wg --version 2>&1)"
    echo "nftables: $(nft --version 2>&1)"
    echo "conntrack: $(conntrack --version 2>&1)"
    echo "ethtool: $(ethtool --version 2>&1)"
    echo "devlink: $(devlink -V 2>&1)"
    echo "tcpdump: $(tcpdump --version 2>&1 | head -n1)"
} > "$OUT/versions.txt"
cat "$OUT/versions.txt"

modprobe nlmon || { echo "FATAL: modprobe nlmon failed"; exit 2; }
# Three simulated radios: two for the genl scenario, one for mixed.
modprobe mac80211_hwsim radios=3 || echo "WARN: mac80211_hwsim not loaded"
udevadm settle 2>/dev/null || sleep 1

phys() { ls /sys/class/ieee80211 2>/dev/null | sort -V; }

prepare_ns() {  # $1 = scenario, $2 = netns
    case "$1" in
        genl)  for p in $(phys | sed -n '1,2p'); do iw phy "$p" set netns name "$2" || echo "WARN: could not move $p into $2"; done ;;
        mixed) for p in $(phys | tail -n1); do iw phy "$p" set netns name "$2" || echo "WARN: could not move $p into $2"; done ;;
    esac
}

status=0
for name in $SCENARIOS; do
    script="$HERE/$name.sh"
    if [ ! -f "$script" ]; then
        echo "FATAL: no scenario $script"; status=2; continue
    fi
    ns="nls-$name"
    echo "=== $name (netns $ns) ==="
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    prepare_ns "$name" "$ns"
    ip -n "$ns" link add nlmon0 type nlmon && ip -n "$ns" link set nlmon0 up || { echo "FATAL: nlmon0 in $ns"; status=2; continue; }

    ip netns exec "$ns" tcpdump -U -n -Z root -B 32768 -s 0 --time-stamp-precision=nano \
        -i nlmon0 -w "$RAW/$name.pcap" 2> "$RAW/$name.tcpdump.txt" &
    tpid=$!
    for i in $(seq 1 200); do grep -q "listening on" "$RAW/$name.tcpdump.txt" 2>/dev/null && break; sleep 0.05; done
    sleep 0.2

    start=$(date +%s.%N)
    timeout 600 ip netns exec "$ns" bash "$script" > "$OUT/$name.log" 2>&1
    rc=$?
    end=$(date +%s.%N)
    sleep 1
    kill -INT "$tpid"; wait "$tpid"
    echo "scenario $name: rc=$rc, $(awk "BEGIN{printf \"%.1f\", $end-$start}") s; $(tr '\n' ' ' < "$RAW/$name.tcpdump.txt")"
    [ "$rc" -eq 0 ] || status=1
    ip netns del "$ns"
    sleep 0.2
done
exit $status
