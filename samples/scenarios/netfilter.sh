#!/bin/bash
# NETLINK_NETFILTER: nftables (tables, chains, rules, sets, maps, JSON),
# conntrack (list, events, stats, delete) with entries made by a ping and a
# TCP connection on loopback after a `ct state` rule loaded nf_conntrack.
. "$(dirname "$0")/common.sh"

note "nftables"
run nft add table inet nls
run nft add chain inet nls input '{ type filter hook input priority 0; policy accept; }'
run nft add chain inet nls output '{ type filter hook output priority 0; policy accept; }'
run nft add set inet nls blocked '{ type ipv4_addr; flags interval; }'
run nft add element inet nls blocked '{ 192.0.2.0/24, 198.51.100.7 }'
run nft add map inet nls portmap '{ type inet_service : verdict; }'
run nft add element inet nls portmap '{ 22 : accept, 23 : drop }'
run nft add rule inet nls input ct state established,related counter accept
run nft add rule inet nls input iif lo accept
run nft add rule inet nls input ip saddr @blocked counter drop
run nft add rule inet nls input tcp dport vmap @portmap
run nft add rule inet nls output ct state new counter
run nft list ruleset
run nft -a list chain inet nls input
run nft list set inet nls blocked
save netfilter.nft-ruleset.json nft -j list ruleset
note "nftables error cases"
run nft add rule inet nls nosuchchain accept
run nft delete table ip nosuchtable
run nft add element inet nls blocked '{ 192.0.2.5 }'

note "conntrack"
conntrack -E -o timestamp > "$OUT/netfilter.conntrack-events.txt" 2>&1 &
CTEV=$!
sleep 0.5
run ping -c 3 -i 0.2 127.0.0.1
READY="$OUT/.netfilter.ready"
rm -f "$READY"
python3 - "$READY" <<'PY' &
import os, socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 8080)); ls.listen(1)
c = socket.create_connection(("127.0.0.1", 8080)); a, _ = ls.accept()
c.sendall(b"x"); a.recv(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b"q", ("127.0.0.1", 5353))
open(sys.argv[1], "w").write("ok")
time.sleep(30)
PY
PY_PID=$!
for i in $(seq 1 100); do [ -f "$READY" ] && break; sleep 0.1; done
run conntrack -L
run conntrack -L -p tcp
run conntrack -L -p icmp -o extended
run conntrack -C
run conntrack -S
run conntrack -G -p tcp -s 127.0.0.1 -d 127.0.0.1 --dport 8080 --sport 1
run conntrack -D -p icmp
run conntrack -D -p udp
run conntrack -L
note "conntrack error case: nothing to delete"
run conntrack -D -p icmp
kill "$PY_PID" 2>/dev/null
wait "$PY_PID" 2>/dev/null
rm -f "$READY"
sleep 0.5
kill "$CTEV" 2>/dev/null
wait "$CTEV" 2>/dev/null

note "teardown"
run nft flush chain inet nls input
run nft delete table inet nls
run nft list tables
exit 0
