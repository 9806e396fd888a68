#!/bin/bash
# A small mix of every family (rtnetlink, tc, sock_diag, generic netlink with
# nl80211 / wireguard / ethtool, nftables, conntrack, xfrm) with successes,
# dumps and errors: the bundled sample the README's first command opens.
. "$(dirname "$0")/common.sh"

umask 077
printf '%s\n' "$WG_PRIV_A" > /run/wg-a.key
WG_PUB_B=$(printf '%s\n' "$WG_PRIV_B" | wg pubkey)

note "rtnetlink"
run ip link add dummy0 type dummy
run ip link set dummy0 up
run ip addr add 192.0.2.1/24 dev dummy0
run ip addr add 2001:db8:1::1/64 dev dummy0 nodad
run ip route add 203.0.113.0/24 via 192.0.2.254
run ip addr show dev dummy0
run ip route show
run ip link add dummy0 type dummy
run ip route add 203.0.113.64/26 via 100.64.0.1

note "tc"
run tc qdisc add dev dummy0 root handle 1: htb default 10
run tc class add dev dummy0 parent 1: classid 1:10 htb rate 10mbit
run tc filter add dev dummy0 parent 1: protocol ip prio 1 u32 match ip dst 192.0.2.0/24 flowid 1:10
run tc -s qdisc show dev dummy0

note "sock_diag"
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",8080)); s.listen(1); time.sleep(30)' &
PY_PID=$!
sleep 1
run ss -tlnp
run ss -xl

note "generic netlink"
WL=$(ls /sys/class/net | grep '^wlan' | head -n1)
run genl ctrl get name nl80211
run iw dev
run iw dev "$WL" info
run iw dev nosuchwlan info
run ip link add wg0 type wireguard
run wg set wg0 private-key /run/wg-a.key listen-port 51820 peer "$WG_PUB_B" allowed-ips 192.0.2.0/24 endpoint 127.0.0.1:51821
run wg show wg0
run ethtool -k dummy0

note "netfilter"
run nft add table inet nls
run nft add chain inet nls input '{ type filter hook input priority 0; policy accept; }'
run nft add rule inet nls input ct state established,related accept
run nft list ruleset
run ping -c 2 -i 0.2 127.0.0.1
run conntrack -L -p icmp
run nft delete table ip nosuchtable

note "xfrm"
run ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel \
    aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128
run ip xfrm state show
run ip xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x9999

note "teardown"
kill "$PY_PID" 2>/dev/null
wait "$PY_PID" 2>/dev/null
run ip xfrm state flush
run nft delete table inet nls
run ip link del wg0
run ip link del dummy0
rm -f /run/wg-a.key
exit 0
