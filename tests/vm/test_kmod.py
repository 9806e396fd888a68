"""The kernel modules (kmod/) in a real Debian kernel: one VM boot for everything.

The module fixture copies kmod/ into a fresh directory, builds it on this host
against the headers of the kernel the lab boots (no warnings allowed), boots the
VM once and runs SCENARIO, which leaves one ``<step>.out`` / ``<step>.rc`` pair
per rtmgrctl invocation under ``$OUT/res/<group>/``, pcaps of nlmon0, slab
snapshots and dmesg. The tests below only read those files.

Phases of the scenario:
  A  rtmgr on protocol 31 + nlgreet on 2 (both loaded together): the CRUD/error
     suite over raw 31 and over genl, greetings on both protocols, bad input.
  B  swapped: rtmgr on 2 (USERSOCK, visible to nlmon) + nlgreet on 31.
  C  leaks: 10k create/delete cycles per transport, 100 load/unload rounds,
     slab figures before and after (kmemleak too when the kernel has it).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from .lab import REPO, VMResult, kernel_release, lab_missing, run_in_vm, vm_unavailable_reason

KMOD = REPO / "kmod"
LINKTYPE_NETLINK = 253
NETLINK_USERSOCK = 2
NETLINK_GENERIC = 16

EEXIST, ENOENT, EINVAL, ERANGE, EOPNOTSUPP = 17, 2, 22, 34, 95

CYCLES = 10000
LOAD_ROUNDS = 100
LONG_DEV = "x" * 32  # fills the 32-byte oif field: no room for the NUL

SCENARIO = r"""
exec 2>&1
set -u
K="$KMOD"
C="$K/rtmgr/rtmgrctl"
R="$OUT/res"
mkdir -p "$R"
T0=$EPOCHREALTIME
# elapsed seconds since T0 (bash arithmetic on $EPOCHREALTIME: no process spawned)
since() { local a=${1/./} b=${EPOCHREALTIME/./}; echo "$(( (b - a) / 1000000 )).$(( (b - a) / 100000 % 10 ))"; }
phase() { echo "== $* ($(since $T0) s)"; }

# step GROUP NAME CMD...: run CMD (2 min at most), keep its output, exit status, time
step() {
    local d="$R/$1" n="$2" t=$EPOCHREALTIME; shift 2
    mkdir -p "$d"
    timeout 120 "$@" > "$d/$n.out" 2>&1
    echo $? > "$d/$n.rc"
    since $t > "$d/$n.time"
}
fact() { echo "$1=$2" >> "$R/facts.txt"; }

cap_start() {   # cap_start NAME: tcpdump on nlmon0 into $OUT/NAME.pcap
    tcpdump --immediate-mode -U -n -i nlmon0 -w "$OUT/$1.pcap" 2> "$OUT/$1.tcpdump.err" &
    CAP=$!
    for _ in $(seq 1 100); do
        grep -q "listening on" "$OUT/$1.tcpdump.err" 2>/dev/null && break
        sleep 0.1
    done
}
cap_stop() { sleep 1; kill -INT "$CAP"; wait "$CAP"; }

monitor_start() {   # monitor_start GROUP ARGS...: background event monitor
    local d="$R/$1"; shift
    mkdir -p "$d"
    "$C" "$@" monitor --count 5 --timeout 120 > "$d/monitor.out" 2>&1 &
    MON=$!
    for _ in $(seq 1 100); do
        grep -q "monitor: listening" "$d/monitor.out" 2>/dev/null && break
        sleep 0.1
    done
}
monitor_wait() { wait "$MON"; echo $? > "$R/$1/monitor.rc"; }

# The CRUD + error suite over one transport; five changes for the monitor.
suite() {
    local g="$1"; shift
    monitor_start "$g" "$@"
    step "$g" create          "$C" "$@" create 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10
    step "$g" create_dup      "$C" "$@" create 10.1.0.0/16 via 192.168.0.1 dev eth0 metric 10
    step "$g" create2         "$C" "$@" create 10.2.0.0/16 via 192.168.0.2 dev eth1 metric 20
    step "$g" get             "$C" "$@" get 10.1.0.0/16
    step "$g" get_missing     "$C" "$@" get 10.9.0.0/16
    step "$g" update          "$C" "$@" update 10.1.0.0/16 via 192.168.0.254 dev eth2 metric 11
    step "$g" update_missing  "$C" "$@" update 10.9.0.0/16 via 192.168.0.1 dev eth0 metric 1
    step "$g" dump            "$C" "$@" dump
    step "$g" delete          "$C" "$@" delete 10.2.0.0/16
    step "$g" delete_missing  "$C" "$@" delete 10.2.0.0/16
    step "$g" bad_mask        "$C" "$@" create 10.3.0.0/40 via 192.168.0.1 dev eth0
    step "$g" bad_hostbits    "$C" "$@" create 10.3.0.1/16 via 192.168.0.1 dev eth0
    step "$g" bad_nodev       "$C" "$@" create 10.3.0.0/16 via 192.168.0.1
    step "$g" bad_longdev     "$C" "$@" create 10.3.0.0/16 via 192.168.0.1 dev "$LONG_DEV"
    step "$g" get_after       "$C" "$@" get 10.1.0.0/16
    step "$g" delete_last     "$C" "$@" delete 10.1.0.0/16
    step "$g" dump_empty      "$C" "$@" dump
    monitor_wait "$g"
}

# Malformed input on a raw protocol served by rtmgr.
ROUTE_HEX_BADPAD="0a030000 10 010000 c0a80001 00000000 65746830$(printf '0%.0s' $(seq 1 56))"
raw_bad() {
    local g="$1"; shift
    step "$g" unknown_type    "$C" "$@" send 99 0102
    step "$g" short_payload   "$C" "$@" send 21 0a010000
    step "$g" bad_pad         "$C" "$@" send 21 "$ROUTE_HEX_BADPAD"
    step "$g" greet_unterm    "$C" "$@" send 20 41424344
    step "$g" greet_empty     "$C" "$@" send 20
    step "$g" short_dgram     "$C" "$@" senddgram 0800000014000000
    step "$g" len_overflow    "$C" "$@" senddgram 40000000140005000700000000000000
}

# Greetings (and bad greetings) on one protocol, whichever module serves it.
greet() {
    local g="$1"; shift
    step "$g" greet           "$C" "$@" greet "hello kernel"
    step "$g" greet_noreq     "$C" "$@" --no-request greet "course style"
    step "$g" greet_noack     "$C" "$@" --flags 1 greet "no ack"
    step "$g" greet_unterm    "$C" "$@" send 20 41424344
    step "$g" greet_empty     "$C" "$@" send 20
    step "$g" unknown_type    "$C" "$@" send 77 00000000
    step "$g" short_dgram     "$C" "$@" senddgram 0800000014000000
}

slab() {   # slab NAME: memory figures into $R/slab-NAME.txt
    sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1
    { grep -E '^(Slab|SReclaimable|SUnreclaim):' /proc/meminfo; cat /proc/slabinfo; } > "$R/slab-$1.txt"
}

LONG_DEV=$(printf 'x%.0s' $(seq 1 32))

phase "setup"
fact kernel "$(uname -r)"
modprobe nlmon && ip link add nlmon0 type nlmon && ip link set nlmon0 up && fact nlmon up
mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ -e /sys/kernel/debug/kmemleak ]; then fact kmemleak yes; else fact kmemleak no; fi

phase "A: rtmgr proto 31 + nlgreet proto 2"
insmod "$K/rtmgr/rtmgr.ko";              fact insmod_A_rtmgr $?
insmod "$K/nlgreet/nlgreet.ko" proto=2;  fact insmod_A_nlgreet $?
insmod "$K/nlgreet/nlgreet.ko" 2>/dev/null; fact insmod_A_dup $?
cat /sys/module/rtmgr/parameters/proto > "$R/A_rtmgr_proto.txt"

cap_start A_raw31
suite raw31 --proto 31
raw_bad raw31_bad --proto 31
greet greet_rtmgr31 --proto 31
cap_stop

cap_start A_usersock
greet greet_nlgreet2 --proto 2
cap_stop

cap_start A_genl
suite genl --genl
step genl_bad unknown_attr "$C" --genl send 1 0800010000000000050002001000000008000400657468000800090001000000
step genl_bad unknown_cmd  "$C" --genl send 9
step genl_bad get_nodest   "$C" --genl send 4
step genl_bad short_dest   "$C" --genl send 4 060001000a0300000500020010000000
step genl_bad update_empty "$C" --genl update 10.1.0.0/16
cap_stop

# both transports share one table, events cross over
monitor_start cross --proto 31
step cross genl_create "$C" --genl create 10.7.0.0/16 via 10.0.0.1 dev br0 metric 3
step cross raw_get     "$C" --proto 31 get 10.7.0.0/16
step cross raw_update  "$C" --proto 31 update 10.7.0.0/16 via 10.0.0.2 dev br1 metric 4
step cross genl_get    "$C" --genl get 10.7.0.0/16
step cross genl_delete "$C" --genl delete 10.7.0.0/16
step cross raw_create  "$C" --proto 31 create 10.8.0.0/16 via 10.0.0.1 dev br0
step cross genl_dump   "$C" --genl dump
step cross raw_delete  "$C" --proto 31 delete 10.8.0.0/16
monitor_wait cross

rmmod nlgreet; fact rmmod_A_nlgreet $?
rmmod rtmgr;   fact rmmod_A_rtmgr $?

phase "B: rtmgr proto 2 + nlgreet proto 31"
insmod "$K/rtmgr/rtmgr.ko" proto=2;  fact insmod_B_rtmgr $?
insmod "$K/nlgreet/nlgreet.ko";      fact insmod_B_nlgreet $?
cap_start B_raw2
suite raw2 --proto 2
raw_bad raw2_bad --proto 2
greet greet_rtmgr2 --proto 2
cap_stop
greet greet_nlgreet31 --proto 31
rmmod nlgreet; fact rmmod_B_nlgreet $?
rmmod rtmgr;   fact rmmod_B_rtmgr $?

phase "C: leaks"
insmod "$K/rtmgr/rtmgr.ko"
"$C" --quiet cycle 200 10.200.0.0/16 via 10.0.0.1 dev warm0 > /dev/null   # warm the caches
"$C" --genl --quiet cycle 200 10.200.0.0/16 via 10.0.0.1 dev warm0 > /dev/null
slab cycles_before
step leak cycle_raw  "$C" --quiet --timeout 30 cycle $CYCLES 10.100.0.0/16 via 10.0.0.1 dev leak0 metric 1
phase "raw cycles done"
step leak cycle_genl "$C" --genl --quiet --timeout 30 cycle $CYCLES 10.101.0.0/16 via 10.0.0.1 dev leak1 metric 1
phase "genl cycles done"
slab cycles_after
step leak dump_after_cycles "$C" dump
rmmod rtmgr

slab load_before
fails=0
for i in $(seq 1 $LOAD_ROUNDS); do
    insmod "$K/rtmgr/rtmgr.ko" || fails=$((fails+1))
    insmod "$K/nlgreet/nlgreet.ko" proto=2 || fails=$((fails+1))
    "$C" --quiet create 10.$((i % 250)).0.0/16 via 10.0.0.1 dev load0 > /dev/null || fails=$((fails+1))
    rmmod nlgreet || fails=$((fails+1))
    rmmod rtmgr || fails=$((fails+1))
done
fact load_rounds $LOAD_ROUNDS
fact load_failures $fails
slab load_after
phase "load/unload done"
lsmod > "$R/lsmod.txt"
if [ -e /sys/kernel/debug/kmemleak ]; then
    echo scan > /sys/kernel/debug/kmemleak; sleep 5; echo scan > /sys/kernel/debug/kmemleak
    cat /sys/kernel/debug/kmemleak > "$R/kmemleak.txt"
fi

dmesg > "$OUT/dmesg.txt"
phase "end"
"""

SLAB_CACHES = ("kmalloc-64", "kmalloc-cg-64", "skbuff_head_cache", "kmalloc-512",
               "kmalloc-1k", "kmalloc-2k", "kmalloc-4k", "kmalloc-8k")


# --------------------------------------------------------------------------- fixture


def _kernel_build_dir(release: str) -> Path:
    return Path("/lib/modules") / release / "build"


def build_kmod(dest: Path, kdir: Path) -> str:
    """Copy kmod/ (sources only) to dest and build it; return make's output."""
    shutil.copytree(
        KMOD, dest,
        ignore=shutil.ignore_patterns("*.o", "*.ko", "*.mod", "*.mod.c", ".*.cmd",
                                      "*.symvers", "*.order", "rtmgrctl"),
    )
    proc = subprocess.run(
        ["make", "-C", str(dest), f"KDIR={kdir}"],
        capture_output=True, text=True, timeout=600,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"make -C kmod KDIR={kdir} failed:\n{out[-4000:]}")
    return out


class Run:
    """What the scenario left behind."""

    def __init__(self, vm: VMResult, build_log: str):
        self.vm = vm
        self.build_log = build_log
        self.out = vm.outdir
        self.res = vm.outdir / "res"

    def step(self, group: str, name: str) -> tuple[int, str]:
        rc_file = self.res / group / f"{name}.rc"
        assert rc_file.exists(), f"step {group}/{name} did not run\n{self.vm.stdout[-3000:]}"
        return int(rc_file.read_text()), (self.res / group / f"{name}.out").read_text()

    def facts(self) -> dict[str, str]:
        out = {}
        for line in (self.res / "facts.txt").read_text().splitlines():
            k, _, v = line.partition("=")
            out[k] = v
        return out


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    reason = vm_unavailable_reason()
    if reason:
        lab_missing(reason)
    release = kernel_release()
    kdir = _kernel_build_dir(release)
    if not kdir.is_dir():
        lab_missing(f"no kernel headers for {release} (apt: linux-headers-{release})")
    if shutil.which("make") is None or shutil.which("gcc") is None:
        lab_missing("make/gcc missing (apt: build-essential)")
    outdir = tmp_path_factory.mktemp("kmodvm")
    build_log = build_kmod(outdir / "kmod", kdir)
    vm = run_in_vm(
        SCENARIO,
        outdir=outdir,
        timeout=1800,
        env={
            "KMOD": str(outdir / "kmod"),
            "CYCLES": str(CYCLES),
            "LOAD_ROUNDS": str(LOAD_ROUNDS),
        },
    )
    (outdir / "vm-stdout.txt").write_text(vm.stdout)
    return Run(vm, build_log)


# --------------------------------------------------------------------------- helpers


def kv(line: str) -> dict[str, str]:
    """key=value pairs of one rtmgrctl line (values may be "quoted")."""
    return {m.group(1): m.group(3) if m.group(3) is not None else m.group(2)
            for m in re.finditer(r'(\w+)=("((?:[^"\\]|\\.)*)"|\S+)', line)}


def lines(text: str, prefix: str) -> list[dict[str, str]]:
    return [kv(ln) for ln in text.splitlines() if ln.startswith(prefix + " ")]


def errors(text: str) -> list[dict[str, str]]:
    return [d for d in lines(text, "recv") if d.get("type", "").startswith("NLMSG_ERROR")]


def assert_ok(run: Run, group: str, name: str) -> str:
    rc, out = run.step(group, name)
    assert rc == 0, f"{group}/{name}: rc={rc}\n{out}"
    errs = errors(out)
    assert errs and all(e["error"] == "0" for e in errs), out
    return out


def assert_err(run: Run, group: str, name: str, errno: int, name_: str,
               extack: str | None = None) -> dict[str, str]:
    rc, out = run.step(group, name)
    assert rc == errno, f"{group}/{name}: rc={rc}, wanted {errno}\n{out}"
    errs = [e for e in errors(out) if e["error"] != "0"]
    assert len(errs) == 1, out
    e = errs[0]
    assert e["error"] == str(-errno) and e["errno"] == name_, out
    if extack is not None:
        assert extack in e.get("extack", ""), out
        assert "ACK_TLVS" in e["flags"], out
    return e


def routes(text: str) -> list[str]:
    return [f'{d["route"]} {d["gw"]} {d["oif"]} {d["metric"]}'
            for d in lines(text, "recv") if "route" in d]


def read_pcap(path: Path) -> list[int]:
    """Netlink protocol numbers of the frames of a LINKTYPE_NETLINK pcap."""
    data = path.read_bytes()
    assert data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"), "not a little-endian pcap"
    assert struct.unpack_from("<I", data, 20)[0] == LINKTYPE_NETLINK
    protos, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        frame = data[off + 16: off + 16 + incl]
        off += 16 + incl
        assert len(frame) >= 16
        protos.append(struct.unpack_from(">H", frame, 14)[0])
    return protos


def slab_figures(path: Path) -> dict[str, int]:
    """Slab/SUnreclaim (kB) and active objects of a few caches."""
    out: dict[str, int] = {}
    for ln in path.read_text().splitlines():
        m = re.match(r"^(Slab|SReclaimable|SUnreclaim):\s+(\d+) kB", ln)
        if m:
            out[m.group(1)] = int(m.group(2))
            continue
        parts = ln.split()
        if parts and parts[0] in SLAB_CACHES and len(parts) > 2:
            out[parts[0]] = int(parts[1])
    return out


# --------------------------------------------------------------------------- build (no VM)


def _header_trees() -> list[Path]:
    return sorted(p for p in Path("/lib/modules").glob("*/build") if p.is_dir())


@pytest.mark.parametrize("kdir", _header_trees() or [None],
                         ids=lambda p: p.parent.name if p else "none")
def test_builds_without_warnings_against_each_installed_kernel(kdir, tmp_path):
    """make -C kmod against every installed header tree (Debian 6.1, 6.12, ...)."""
    if kdir is None:
        lab_missing("no /lib/modules/*/build (apt: linux-headers-amd64)")
    if shutil.which("make") is None or shutil.which("gcc") is None:
        lab_missing("make/gcc missing (apt: build-essential)")
    log = build_kmod(tmp_path / "kmod", kdir)
    warnings = [ln for ln in log.splitlines() if re.search(r"\bwarning\b", ln, re.I)]
    assert not warnings, "\n".join(warnings)
    for ko in ("nlgreet/nlgreet.ko", "rtmgr/rtmgr.ko", "rtmgr/rtmgrctl"):
        assert (tmp_path / "kmod" / ko).exists(), ko
    usage = subprocess.run([tmp_path / "kmod" / "rtmgr" / "rtmgrctl", "--help"],
                           capture_output=True, text=True)
    assert usage.returncode == 0 and "monitor" in usage.stdout
    bad = subprocess.run([tmp_path / "kmod" / "rtmgr" / "rtmgrctl", "frobnicate"],
                         capture_output=True, text=True)
    assert bad.returncode == 100


def _header_enum(text: str, enum: str) -> dict[str, int]:
    body = re.search(r"enum " + enum + r" \{(.*?)\};", text, re.S).group(1)
    out, val = {}, -1
    for name, explicit in re.findall(r"^\s*(\w+)(?:\s*=\s*(\w+))?,", body, re.M):
        val = int(explicit, 0) if explicit and explicit[0].isdigit() else val + 1
        out[name] = val
    return out


def test_ynl_spec_matches_the_header():
    import yaml
    spec = yaml.safe_load((KMOD / "rtmgr" / "rtmgr.yaml").read_text())
    header = (KMOD / "include" / "rtmgr.h").read_text()
    assert spec["name"] == re.search(r'RTMGR_GENL_NAME\s+"(\w+)"', header).group(1)
    assert spec["protocol"] == "genetlink"
    cmds = _header_enum(header, "rtmgr_genl_cmd")
    attrs = _header_enum(header, "rtmgr_genl_attr")
    ops = {op["name"]: op for op in spec["operations"]["list"]}
    for name, op in ops.items():
        assert op["value"] == cmds[f"RTMGR_CMD_{name.upper()}"], name
    assert set(ops) == {"create", "update", "delete", "get"}
    assert "dump" in ops["get"] and "do" in ops["get"]
    for name in ("create", "update", "delete"):
        assert ops[name]["mcgrp"] == "events" and ops[name]["flags"] == ["admin-perm"]
    (aset,) = spec["attribute-sets"]
    for a in aset["attributes"]:
        assert a["value"] == attrs[f"RTMGR_A_{a['name'].upper()}"], a["name"]
    types = {a["name"]: a["type"] for a in aset["attributes"]}
    assert types == {"dest": "u32", "mask": "u8", "gw": "u32", "oif": "string", "metric": "u32"}
    assert [g["name"] for g in spec["mcast-groups"]["list"]] == ["events"]


# --------------------------------------------------------------------------- build (VM kernel)


@pytest.mark.vm
def test_build_has_no_warnings(run):
    warnings = [ln for ln in run.build_log.splitlines() if re.search(r"\bwarning\b", ln, re.I)]
    assert not warnings, "\n".join(warnings)
    assert (run.out / "kmod" / "nlgreet" / "nlgreet.ko").exists()
    assert (run.out / "kmod" / "rtmgr" / "rtmgr.ko").exists()


@pytest.mark.vm
def test_modules_load_together(run):
    f = run.facts()
    assert f["kernel"] == kernel_release()
    assert f["nlmon"] == "up"
    for k in ("insmod_A_rtmgr", "insmod_A_nlgreet", "rmmod_A_nlgreet", "rmmod_A_rtmgr",
              "insmod_B_rtmgr", "insmod_B_nlgreet", "rmmod_B_nlgreet", "rmmod_B_rtmgr"):
        assert f[k] == "0", k
    # a second module on a protocol already served is refused cleanly
    assert f["insmod_A_dup"] != "0"
    assert (run.res / "A_rtmgr_proto.txt").read_text().strip() == "31"


# --------------------------------------------------------------------------- CRUD


SUITES = ["raw31", "raw2", "genl"]


@pytest.mark.vm
@pytest.mark.parametrize("g", SUITES)
def test_crud(run, g):
    assert_ok(run, g, "create")
    assert_ok(run, g, "create2")
    out = assert_ok(run, g, "get")
    assert routes(out) == ['10.1.0.0/16 192.168.0.1 eth0 10']
    reply = [d for d in lines(out, "recv") if "route" in d][0]
    send = lines(out, "send")[-1]
    assert reply["seq"] == send["seq"] and reply["portid"] == send["portid"]
    assert_ok(run, g, "update")
    out = assert_ok(run, g, "get_after")
    assert routes(out) == ['10.1.0.0/16 192.168.0.254 eth2 11']
    assert_ok(run, g, "delete")
    assert_ok(run, g, "delete_last")


@pytest.mark.vm
@pytest.mark.parametrize("g", SUITES)
def test_dump(run, g):
    rc, out = run.step(g, "dump")
    assert rc == 0, out
    send = lines(out, "send")[-1]
    recv = [d for d in lines(out, "recv") if d["seq"] == send["seq"]]
    assert routes(out) == ['10.1.0.0/16 192.168.0.254 eth2 11', '10.2.0.0/16 192.168.0.2 eth1 20']
    assert all("MULTI" in d["flags"] for d in recv)
    assert recv[-1]["type"].startswith("NLMSG_DONE") and recv[-1]["status"] == "0"
    assert "ROOT|MATCH" in send["flags"]
    rc, out = run.step(g, "dump_empty")
    assert rc == 0 and routes(out) == []
    assert lines(out, "recv")[-1]["type"].startswith("NLMSG_DONE")


@pytest.mark.vm
@pytest.mark.parametrize("g", SUITES)
def test_errors(run, g):
    genl = g == "genl"
    e = assert_err(run, g, "create_dup", EEXIST, "EEXIST", "already exists")
    # the attribute / field at fault: DEST (genl: first attribute after the
    # 4-byte genlmsghdr, offset 16+4; raw: struct offset 0 after the header)
    assert e["offs"] == ("20" if genl else "16")
    assert_err(run, g, "get_missing", ENOENT, "ENOENT", "no route")
    assert_err(run, g, "update_missing", ENOENT, "ENOENT", "no route")
    assert_err(run, g, "delete_missing", ENOENT, "ENOENT", "no route")
    if genl:
        # the policy itself rejects MASK > 32 (NLA_POLICY_MAX): ERANGE + policy TLV
        e = assert_err(run, g, "bad_mask", ERANGE, "ERANGE", "out of range")
        assert e.get("policy") == "yes" and "offs" in e
        e = assert_err(run, g, "bad_nodev", EINVAL, "EINVAL", "missing attribute OIF")
        assert e["miss_type"] == "4"
        assert_err(run, g, "bad_longdev", EINVAL, "EINVAL")
    else:
        e = assert_err(run, g, "bad_mask", EINVAL, "EINVAL", "mask")
        assert e["offs"] == "20"
        assert_err(run, g, "bad_nodev", EINVAL, "EINVAL", "oif")
        e = assert_err(run, g, "bad_longdev", EINVAL, "EINVAL", "not NUL-terminated")
        assert e["offs"] == "32"
    e = assert_err(run, g, "bad_hostbits", EINVAL, "EINVAL", "dest: host bits")
    assert e["offs"] == ("20" if genl else "16")


@pytest.mark.vm
@pytest.mark.parametrize("g", ["raw31_bad", "raw2_bad"])
def test_raw_bad_input(run, g):
    assert_err(run, g, "unknown_type", EINVAL, "EINVAL", "unknown message type 99")
    assert_err(run, g, "short_payload", EINVAL, "EINVAL", "struct rtmgr_route is 48")
    e = assert_err(run, g, "bad_pad", EINVAL, "EINVAL", "pad")
    assert e["offs"] == "21"
    assert_err(run, g, "greet_unterm", EINVAL, "EINVAL", "not NUL-terminated")
    assert_err(run, g, "greet_empty", EINVAL, "EINVAL", "no payload")
    e = assert_err(run, g, "short_dgram", EINVAL, "EINVAL", "shorter than struct nlmsghdr")
    assert "CAPPED" in e["flags"]
    e = assert_err(run, g, "len_overflow", EINVAL, "EINVAL", "nlmsg_len 64 out of range")
    assert e["req_seq"] == "7" and "CAPPED" in e["flags"]


@pytest.mark.vm
def test_genl_bad_input(run):
    e = assert_err(run, "genl_bad", "unknown_attr", EINVAL, "EINVAL")
    assert "offs" in e  # strict validation points at the unknown attribute
    assert_err(run, "genl_bad", "unknown_cmd", EOPNOTSUPP, "EOPNOTSUPP")
    e = assert_err(run, "genl_bad", "get_nodest", EINVAL, "EINVAL", "missing attribute DEST")
    assert e["miss_type"] == "1"
    rc, out = run.step("genl_bad", "short_dest")
    assert rc in (EINVAL, ERANGE), out
    assert_err(run, "genl_bad", "update_empty", EINVAL, "EINVAL", "nothing to update")


@pytest.mark.vm
def test_genl_family_resolution(run):
    _, out = run.step("genl", "create")
    fam = [d for d in lines(out, "recv") if d.get("cmd", "").startswith("CTRL_CMD_NEWFAMILY")]
    assert fam and fam[0]["name"] == "RTMGR"
    assert fam[0]["mcast_group"].startswith("events:")


# --------------------------------------------------------------------------- events


@pytest.mark.vm
@pytest.mark.parametrize("g", SUITES)
def test_events(run, g):
    assert (run.res / g / "monitor.rc").read_text().strip() == "0"
    out = (run.res / g / "monitor.out").read_text()
    ev = lines(out, "event")
    kinds = [d.get("cmd", d["type"]).split("(")[0] for d in ev]
    if g == "genl":
        assert kinds == ["CREATE", "CREATE", "UPDATE", "DELETE", "DELETE"], out
    else:
        assert kinds == ["RT_CREATE", "RT_CREATE", "RT_UPDATE", "RT_DELETE", "RT_DELETE"], out
    assert [d["route"] for d in ev] == ["10.1.0.0/16", "10.2.0.0/16", "10.1.0.0/16",
                                        "10.2.0.0/16", "10.1.0.0/16"]
    assert ev[2]["metric"] == "11" and ev[2]["oif"] == "eth2"
    # a notification names the request that caused it
    _, create = run.step(g, "create")
    send = lines(create, "send")[-1]
    assert ev[0]["portid"] == send["portid"] and ev[0]["seq"] == send["seq"]


@pytest.mark.vm
def test_transports_share_one_table(run):
    for name in ("genl_create", "raw_update", "genl_delete", "raw_create", "raw_delete"):
        assert_ok(run, "cross", name)
    _, out = run.step("cross", "raw_get")
    assert routes(out) == ['10.7.0.0/16 10.0.0.1 br0 3']
    _, out = run.step("cross", "genl_get")
    assert routes(out) == ['10.7.0.0/16 10.0.0.2 br1 4']
    _, out = run.step("cross", "genl_dump")
    assert routes(out) == ['10.8.0.0/16 10.0.0.1 br0 0']
    ev = lines((run.res / "cross" / "monitor.out").read_text(), "event")
    assert [d["type"].split("(")[0] for d in ev] == [
        "RT_CREATE", "RT_UPDATE", "RT_DELETE", "RT_CREATE", "RT_DELETE"]


# --------------------------------------------------------------------------- greetings


@pytest.mark.vm
@pytest.mark.parametrize("g", ["greet_rtmgr31", "greet_nlgreet2", "greet_rtmgr2", "greet_nlgreet31"])
def test_greet(run, g):
    for step, text, flags in (("greet", "hello kernel", "REQUEST|ACK"),
                              ("greet_noreq", "course style", "ACK")):
        out = assert_ok(run, g, step)
        send = lines(out, "send")[-1]
        assert send["flags"].endswith(f"({flags})")
        reply = [d for d in lines(out, "recv") if d["type"] == "NLGREET(20)"]
        assert len(reply) == 1, out
        assert reply[0]["text"] == f"Hello {send['portid']}, kernel got: {text}"
        assert reply[0]["seq"] == send["seq"] and reply[0]["portid"] == send["portid"]
    # without NLM_F_ACK: the greeting only, no ACK
    rc, out = run.step(g, "greet_noack")
    assert rc == 0, out
    assert [d["type"] for d in lines(out, "recv")] == ["NLGREET(20)"]
    assert_err(run, g, "greet_unterm", EINVAL, "EINVAL", "not NUL-terminated")
    assert_err(run, g, "greet_empty", EINVAL, "EINVAL", "no payload")
    assert_err(run, g, "unknown_type", EINVAL, "EINVAL", "unknown message type 77")
    assert_err(run, g, "short_dgram", EINVAL, "EINVAL", "shorter than struct nlmsghdr")


# --------------------------------------------------------------------------- captures


@pytest.mark.vm
def test_nlmon_sees_usersock_and_genl_but_not_31(run):
    raw31 = read_pcap(run.out / "A_raw31.pcap")
    assert 31 not in raw31
    usersock = read_pcap(run.out / "A_usersock.pcap")
    assert usersock.count(NETLINK_USERSOCK) >= 16  # requests, replies, ACKs, errors
    raw2 = read_pcap(run.out / "B_raw2.pcap")
    assert raw2.count(NETLINK_USERSOCK) >= 60
    genl = read_pcap(run.out / "A_genl.pcap")
    assert genl.count(NETLINK_GENERIC) >= 60


# --------------------------------------------------------------------------- health


@pytest.mark.vm
def test_dmesg_clean(run):
    dmesg = (run.out / "dmesg.txt").read_text()
    bad = [ln for ln in dmesg.splitlines()
           if re.search(r"WARNING:|BUG:|Oops|general protection|UBSAN|KASAN|"
                        r"list_(add|del) corruption|refcount_t:|double free|"
                        r"kernel BUG|Call Trace", ln)]
    assert not bad, "\n".join(bad)
    assert "nlgreet: nlmsghdr len=" in dmesg  # each received header is logged
    assert "rtmgr: serving netlink protocol 31" in dmesg


@pytest.mark.vm
def test_cycles_without_leak(run):
    for g in ("cycle_raw", "cycle_genl"):
        rc, out = run.step("leak", g)
        assert rc == 0, out
        m = re.search(r"cycle: (\d+) create/delete pairs ok, (\d+) failed", out)
        assert m and int(m.group(1)) == CYCLES and m.group(2) == "0", out
    _, out = run.step("leak", "dump_after_cycles")
    assert routes(out) == []
    before = slab_figures(run.res / "slab-cycles_before.txt")
    after = slab_figures(run.res / "slab-cycles_after.txt")
    # 2 x 10k leaked table entries would be >= 20000 objects in kmalloc-64 and
    # >= 1.2 MiB; leaked skbs would show in skbuff_head_cache
    assert after["SUnreclaim"] - before["SUnreclaim"] < 1024, (before, after)
    for cache in ("kmalloc-64", "kmalloc-cg-64", "skbuff_head_cache"):
        if cache in before and cache in after:
            assert after[cache] - before[cache] < 2000, (cache, before[cache], after[cache])
    if (run.res / "kmemleak.txt").exists():
        assert "rtmgr" not in (run.res / "kmemleak.txt").read_text()


@pytest.mark.vm
def test_load_unload_rounds(run):
    f = run.facts()
    assert f["load_rounds"] == str(LOAD_ROUNDS)
    assert f["load_failures"] == "0"
    lsmod = (run.res / "lsmod.txt").read_text()
    assert "rtmgr" not in lsmod and "nlgreet" not in lsmod
    before = slab_figures(run.res / "slab-load_before.txt")
    after = slab_figures(run.res / "slab-load_after.txt")
    assert after["SUnreclaim"] - before["SUnreclaim"] < 2048, (before, after)
