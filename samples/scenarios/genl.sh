#!/bin/bash
# Generic netlink: the ctrl family (genl ctrl list/get), nl80211 via iw on
# mac80211_hwsim radios (run-all.sh moves two hwsim phys into this netns),
# WireGuard via wg, ethtool's netlink interface on a veth, devlink, mptcp.
# `iw event` and `ethtool --monitor` run alongside to catch multicast events.
. "$(dirname "$0")/common.sh"

umask 077
printf '%s\n' "$WG_PRIV_A" > /run/wg-a.key
printf '%s\n' "$WG_PSK" > /run/wg-psk.key
WG_PUB_B=$(printf '%s\n' "$WG_PRIV_B" | wg pubkey)

stdbuf -oL iw event -t > "$OUT/genl.iw-event.txt" 2>&1 &
IWEV=$!
stdbuf -oL ethtool --monitor > "$OUT/genl.ethtool-monitor.txt" 2>&1 &
ETHMON=$!
sleep 0.5

note "generic netlink controller"
run genl ctrl list
run genl ctrl get name nl80211
run genl ctrl get id 16
run genl ctrl get name nosuchfamily

note "nl80211 (iw) on mac80211_hwsim"
WL=$(ls /sys/class/net | grep '^wlan' | head -n1)
WL2=$(ls /sys/class/net | grep '^wlan' | sed -n 2p)
PHY=$(cat /sys/class/net/$WL/phy80211/name 2>/dev/null)
note "wireless devices here: ${WL:-none} ${WL2:-none} (phy ${PHY:-none})"
run iw dev
run iw phy "$PHY" info
run iw list
run iw reg get
run iw dev "$WL" info
run ip link set "$WL" up
run iw dev "$WL" scan
run iw dev "$WL" scan dump
run iw dev "$WL" link
run iw dev "$WL" station dump
run ip link set "$WL" down
run iw dev "$WL" set type ibss
run iw dev "$WL" info
run iw dev "$WL" set type managed
run iw phy "$PHY" interface add mon0 type monitor
run iw dev
run iw dev mon0 del
run iw dev "$WL" set power_save on
run iw dev "$WL" get power_save
note "nl80211 error cases"
run iw dev "$WL" set type mesh_no_such_type
run iw dev nosuchwlan info
run iw phy "$PHY" set frag 100

note "wireguard (wg)"
run ip link add wg0 type wireguard
run wg set wg0 private-key /run/wg-a.key listen-port 51820 fwmark 0x42
run wg set wg0 peer "$WG_PUB_B" preshared-key /run/wg-psk.key allowed-ips 192.0.2.0/24,2001:db8:3::/48 endpoint 127.0.0.1:51821
run ip addr add 198.51.100.9/32 dev wg0
run wg show
run wg show wg0 dump
run wg showconf wg0
run wg set wg0 peer "$WG_PUB_B" remove
run wg show wg0
note "wireguard error case: not a wireguard device"
run ip link add dummy2 type dummy
run wg show dummy2
run ip link del dummy2
run ip link del wg0

note "ethtool (netlink interface) on a veth"
run ip link add veth2 type veth peer name veth3
run ip link set veth2 up
run ip link set veth3 up
run ethtool veth2
run ethtool -i veth2
run ethtool -k veth2
run ethtool -K veth2 tx off
run ethtool -k veth2
run ethtool -l veth2
run ethtool -g veth2
run ethtool -c veth2
run ethtool -a veth2
run ethtool --show-eee veth2
run ethtool --json -k veth2
note "ethtool error case: unsupported setting"
run ethtool -L veth2 rx 64
run ethtool -s veth2 speed 100000
run ip link del veth2

note "devlink and mptcp (small genl families)"
run devlink dev show
run ip mptcp limits show
run ip mptcp endpoint add 192.0.2.77 id 7 signal
run ip mptcp endpoint show
run ip mptcp endpoint delete id 7

sleep 0.5
kill "$IWEV" "$ETHMON" 2>/dev/null
wait "$IWEV" "$ETHMON" 2>/dev/null
rm -f /run/wg-a.key /run/wg-psk.key
exit 0
