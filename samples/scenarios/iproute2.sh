#!/bin/bash
# rtnetlink via iproute2: links (dummy, veth, bridge, vlan, vxlan), addresses,
# routes (incl. multipath, IPv6, blackhole, a second table), neighbours, rules,
# bridge fdb, JSON dumps, and error cases. An `ip monitor` runs alongside so
# the capture also holds the kernel's multicast notifications.
. "$(dirname "$0")/common.sh"

ip -ts monitor all > "$OUT/iproute2.monitor.txt" 2>&1 &
MON=$!
sleep 0.5

note "links"
run ip link add dummy0 type dummy
run ip link set dummy0 address 02:00:00:00:00:01
run ip link set dummy0 mtu 1400
run ip link set dummy0 up
run ip link add veth0 type veth peer name veth1
run ip link set veth0 up
run ip link set veth1 up
run ip link add br0 type bridge
run ip link set veth1 master br0
run ip link set br0 up
run ip link add link dummy0 name dummy0.100 type vlan id 100
run ip link set dummy0.100 up
run ip link add vxlan42 type vxlan id 42 dstport 4789 local 192.0.2.1 dev dummy0
run ip link show
run ip -d link show vxlan42
run ip -s link show dev dummy0
run ip link show master br0

note "addresses"
run ip addr add 192.0.2.1/24 dev dummy0
run ip addr add 192.0.2.10/24 dev dummy0 label dummy0:sec
run ip addr add 2001:db8:1::1/64 dev dummy0 nodad
run ip addr add 198.51.100.1/24 dev veth0
run ip addr add 198.51.100.2/24 dev br0
run ip addr add 203.0.113.1/28 dev dummy0.100
run ip addr show
run ip -4 addr show dev dummy0
run ip -6 addr show dev dummy0
run ip addr del 192.0.2.10/24 dev dummy0

note "routes"
run ip route add 203.0.113.0/25 via 192.0.2.254
run ip route add 203.0.113.128/25 nexthop via 192.0.2.254 weight 1 nexthop via 198.51.100.254 weight 2
run ip route add blackhole 198.18.0.0/15
run ip route add 192.0.2.128/25 dev dummy0 metric 50 proto static
run ip route add default via 192.0.2.254 table 100
run ip -6 route add 2001:db8:2::/64 via 2001:db8:1::fe dev dummy0
run ip route show
run ip route show table 100
run ip -6 route show
run ip route get 203.0.113.200
run ip route replace 203.0.113.0/25 via 198.51.100.254
run ip route del 192.0.2.128/25 dev dummy0

note "neighbours"
run ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev dummy0 nud permanent
run ip neigh add 2001:db8:1::2 lladdr 02:00:00:00:00:02 dev dummy0 nud reachable
run ip neigh show
run ip neigh del 192.0.2.2 dev dummy0

note "rules"
run ip rule add from 192.0.2.0/24 table 100 priority 1000
run ip rule add fwmark 0x10 lookup 100 priority 1001
run ip rule show
run ip rule del priority 1001

note "bridge"
run bridge fdb add 02:00:00:00:00:aa dev veth1 master static
run bridge fdb show br br0
run bridge link show
run bridge vlan show

note "JSON dumps (saved beside the capture)"
save iproute2.ip-addr.json ip -j -p addr show
save iproute2.ip-route.json ip -j -p route show
save iproute2.ip-link.json ip -j -p link show

note "error cases"
# gateway not on any connected network -> EINVAL "Nexthop has invalid gateway"
run ip route add 203.0.113.64/26 via 100.64.0.1
# address that is not there -> EADDRNOTAVAIL
run ip addr del 192.0.2.99/24 dev dummy0
# link that already exists -> EEXIST
run ip link add dummy0 type dummy
# route that does not exist -> ESRCH
run ip route del 203.0.113.240/28
# neighbour on a missing device (ip resolves the name itself: no request)
run ip neigh add 192.0.2.3 lladdr 02:00:00:00:00:03 dev nosuchdev
# delete a link that does not exist (the name goes to the kernel) -> ENODEV
run ip link del nosuchdev
# vlan id out of range (kernel extack)
run ip link add link dummy0 name dummy0.5000 type vlan id 5000

note "teardown"
run ip rule del priority 1000
run ip route flush table 100
run ip link del vxlan42
run ip link del dummy0.100
run ip link del br0
run ip link del veth0
run ip link del dummy0
run ip link show

sleep 0.5
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null
exit 0
