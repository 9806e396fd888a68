#!/bin/bash
# Traffic control via tc: htb with classes, fq_codel leaves, u32 and flower
# filters, clsact with an action, stats dumps, change/replace, error cases.
. "$(dirname "$0")/common.sh"

run ip link add dummy1 type dummy
run ip link set dummy1 up

note "qdiscs and classes"
run tc qdisc add dev dummy1 root handle 1: htb default 10 r2q 10
run tc class add dev dummy1 parent 1: classid 1:1 htb rate 100mbit burst 15k
run tc class add dev dummy1 parent 1:1 classid 1:10 htb rate 10mbit ceil 100mbit
run tc class add dev dummy1 parent 1:1 classid 1:20 htb rate 20mbit ceil 50mbit prio 1
run tc qdisc add dev dummy1 parent 1:10 handle 10: fq_codel
run tc qdisc add dev dummy1 parent 1:20 handle 20: fq_codel limit 1000 target 3ms interval 50ms ecn
run tc qdisc change dev dummy1 parent 1:10 handle 10: fq_codel limit 2000

note "filters"
run tc filter add dev dummy1 parent 1: protocol ip prio 1 u32 match ip dst 192.0.2.0/24 flowid 1:20
run tc filter add dev dummy1 parent 1: protocol ip prio 2 u32 match ip protocol 17 0xff match ip dport 53 0xffff flowid 1:10
run tc filter add dev dummy1 parent 1: protocol ip prio 3 flower ip_proto tcp dst_port 443 classid 1:20
run tc filter add dev dummy1 parent 1: protocol ipv6 prio 4 flower dst_ip 2001:db8::/32 classid 1:10
run tc qdisc add dev dummy1 clsact
run tc filter add dev dummy1 ingress protocol ip prio 1 flower src_ip 198.51.100.0/24 action drop
run tc filter add dev dummy1 egress protocol ip prio 1 matchall action pass

note "dumps"
run tc qdisc show
run tc -s qdisc show dev dummy1
run tc class show dev dummy1
run tc -s -d class show dev dummy1
run tc filter show dev dummy1
run tc filter show dev dummy1 ingress
run tc filter show dev dummy1 egress
run tc -j qdisc show dev dummy1
run tc actions list action gact

note "error cases"
# root qdisc with the same handle already there -> EEXIST
run tc qdisc add dev dummy1 root handle 1: htb
# class under a missing parent
run tc class add dev dummy1 parent 9: classid 9:1 htb rate 1mbit
# delete a filter priority that has no filter -> ENOENT
run tc filter del dev dummy1 parent 1: prio 77
# unknown device: tc resolves the name itself (no request)
run tc qdisc add dev nosuchdev root fq_codel

note "teardown"
run tc filter del dev dummy1 parent 1: prio 1
run tc qdisc del dev dummy1 clsact
run tc qdisc del dev dummy1 root
run tc qdisc show dev dummy1
run ip link del dummy1
exit 0
