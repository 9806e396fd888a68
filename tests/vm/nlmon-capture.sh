# Sourced by the VM lab scenarios: nlmon plus tcpdump around a scenario.
#
#   . "$REPO/tests/vm/nlmon-capture.sh"
#   nlmon_capture_start "$OUT/capture.pcap" [more tcpdump options]
#   ... the scenario ...
#   nlmon_capture_stop        # every frame tcpdump was given is in the file
#
# tcpdump drops what it still holds unread when SIGINT comes: under a slow VM it can be
# seconds behind the scenario, and the capture then loses its end (a CI run lost the
# final `ip -j link` dump so). Stop only once the file has stopped growing.

nlmon_capture_start() {
    NLMON_PCAP=$1
    shift
    modprobe nlmon && ip link add nlmon0 type nlmon && ip link set nlmon0 up || exit 2
    tcpdump -U -n -s 0 -B 32768 "$@" -i nlmon0 -w "$NLMON_PCAP" 2> "$OUT/tcpdump.txt" &
    NLMON_TP=$!
    for _ in $(seq 1 400); do
        grep -q "listening on" "$OUT/tcpdump.txt" 2>/dev/null && break
        sleep 0.05
    done
}

nlmon_capture_stop() {
    local prev=-1 same=0 size
    # one second without growth, checked four times; 5 minutes at most (then the test's
    # own checks say what is missing)
    for _ in $(seq 1 1200); do
        size=$(stat -c %s "$NLMON_PCAP" 2>/dev/null || echo 0)
        if [ "$size" = "$prev" ]; then
            same=$((same + 1))
            [ $same -ge 4 ] && break
        else
            same=0
        fi
        prev=$size
        sleep 0.25
    done
    kill -INT "$NLMON_TP"
    wait "$NLMON_TP"
}
