#!/bin/bash
# devlink (generic netlink family "devlink") on a netdevsim device.
# Debian's kernel does not build netdevsim; samples/generate.py builds it from the
# kernel's own source (samples/build-netdevsim.sh) and passes its path
# in $NETDEVSIM_KO. The device is made from inside this scenario's network
# namespace, so its devlink instance lives here and nlmon0 sees its traffic.
# `devlink monitor` runs alongside for the NEW/DEL notifications; every show
# command also runs with -j, its JSON saved beside the capture (devlink.*.json),
# the reference values tests/test_devlink_sample.py compares the decoder with.
. "$(dirname "$0")/common.sh"

DL=netdevsim/netdevsim1

stdbuf -oL devlink monitor all > "$OUT/devlink.monitor.txt" 2>&1 &
MON=$!
sleep 0.5

note "netdevsim: bus device 1 with 2 ports, made in this netns"
run modprobe psample
if [ -n "$NETDEVSIM_KO" ] && [ -f "$NETDEVSIM_KO" ]; then
    run insmod "$NETDEVSIM_KO"
else
    run modprobe netdevsim
fi
run sh -c 'echo "1 2" > /sys/bus/netdevsim/new_device'
udevadm settle 2>/dev/null || sleep 1
sleep 0.5

note "devices"
run devlink dev show
run devlink dev show -s
run devlink dev info
run devlink dev eswitch show "$DL"

note "parameters"
run devlink dev param show
run devlink dev param set "$DL" name max_macs value 16 cmode driverinit
run devlink dev param set "$DL" name test1 value false cmode driverinit
run devlink dev param show "$DL" name max_macs

note "reload (the driverinit values take effect; reload statistics count it)"
run devlink dev reload "$DL"
sleep 0.5
run devlink dev show -s "$DL"

note "ports, health reporters, resources, regions, traps"
run devlink port show
run devlink port show "$DL/0"
run devlink health show
run devlink resource show "$DL"
run devlink region show
run devlink trap show
run devlink trap group show
run devlink trap policer show

note "error cases"
run devlink dev show netdevsim/netdevsim9
run devlink dev param show "$DL" name no_such_param
run devlink port show "$DL/77"

note "reference JSON (devlink -j) of the final state"
save devlink.dev-show.json devlink -j dev show -s
save devlink.dev-info.json devlink -j dev info
save devlink.param-show.json devlink -j dev param show
save devlink.port-show.json devlink -j port show
save devlink.health-show.json devlink -j health show
save devlink.resource-show.json devlink -j resource show "$DL"
save devlink.region-show.json devlink -j region show
save devlink.trap-show.json devlink -j trap show
save devlink.trap-group-show.json devlink -j trap group show
save devlink.trap-policer-show.json devlink -j trap policer show

note "remove the device (DEL notifications)"
run sh -c 'echo 1 > /sys/bus/netdevsim/del_device'
sleep 0.5
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null
exit 0
