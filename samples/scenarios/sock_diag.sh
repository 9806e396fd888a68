#!/bin/bash
# NETLINK_SOCK_DIAG via ss: inet (TCP/UDP, v4 and v6), unix, netlink and
# packet sockets, with a listening TCP socket, an established connection,
# a bound UDP socket and a unix listener present.
. "$(dirname "$0")/common.sh"

# ss -e names each socket's cgroup: give it a cgroup2 mount (`ip netns exec`
# runs us in a private mount namespace, so this stays here)
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true

READY="$OUT/.sock_diag.ready"
rm -f "$READY"
python3 - "$READY" <<'PY' &
import os, socket, sys, time
ready = sys.argv[1]
socks = []
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 8080)); ls.listen(16); socks.append(ls)
l6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l6.bind(("::1", 8443)); l6.listen(4); socks.append(l6)
c = socket.create_connection(("127.0.0.1", 8080)); socks.append(c)
a, _ = ls.accept(); socks.append(a)
c.sendall(b"hello nlscope\n")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 5353)); socks.append(u)
ux = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
path = "/run/nlscope-sample.sock"
if os.path.exists(path):
    os.unlink(path)
ux.bind(path); ux.listen(1); socks.append(ux)
open(ready, "w").write(str(os.getpid()))
time.sleep(60)
PY
PY_PID=$!
for i in $(seq 1 100); do [ -f "$READY" ] && break; sleep 0.1; done
note "socket holder pid $PY_PID: tcp 127.0.0.1:8080 (listen + one connection), tcp [::1]:8443, udp 127.0.0.1:5353, unix /run/nlscope-sample.sock"

run ss -tuanp
run ss -x
run ss -xl
run ss -tlnp
run ss -tin state established
run ss -tmn
run ss -6 -tan
run ss -uan
run ss -A netlink
run ss -0 -a
run ss -tan dst 127.0.0.1
run ss -tan sport = :8080
run ss -ti -e -a

run ss -w -a

note "SOCK_DESTROY on the established connection (may be refused: EOPNOTSUPP without CONFIG_INET_DIAG_DESTROY)"
run ss -K -tn sport = :8080
run ss -tan

kill "$PY_PID" 2>/dev/null
wait "$PY_PID" 2>/dev/null
rm -f "$READY" /run/nlscope-sample.sock
exit 0
