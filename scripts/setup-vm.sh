#!/usr/bin/env bash
# Install everything the nlscope VM lab needs on a Debian 12 machine.
#
#   bash scripts/setup-vm.sh [VENV]
#
# VENV defaults to the repository's .venv. Idempotent and non-interactive:
# safe to run on every CI start (never prompts, no stdin needed).
#
# What it brings:
#   * a Debian kernel image + headers (the VM boots it; modules build against it)
#   * qemu (TCG is enough; KVM is not required)
#   * the real netlink peers the sample corpus runs: iproute2, iw, wireguard-tools,
#     nftables, conntrack, ethtool, tcpdump, strace, plus tshark/editcap, and the
#     daemons of tests/fixtures/issue16 and issue16_daemons (openvswitch-switch, keepalived,
#     ipvsadm, ipset, frr, bird2, lldpd, hostapd, wpasupplicant, iwd, ulogd2, conntrackd;
#     the lab runs them by hand)
#   * stress-ng (CPU hogs for the capture-under-load test), clang and libbpf (eBPF)
#   * virtme-ng (pip) into VENV
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$REPO/.venv}"

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo -n"
fi

APT_PKGS=(
    linux-image-amd64 linux-headers-amd64
    linux-image-6.12-amd64 linux-headers-6.12-amd64
    qemu-system-x86
    busybox-static kmod udev
    tcpdump tshark
    iproute2 iputils-ping iw wireguard-tools nftables conntrack ethtool rdma-core
    strace dwarves build-essential
    openvswitch-switch keepalived ipvsadm ipset
    frr bird2 lldpd hostapd wpasupplicant iwd ulogd2 conntrackd
    stress-ng clang libbpf-dev libbpf1
)

missing=()
for p in "${APT_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup-vm: installing: ${missing[*]}"
    # tshark asks whether non-root users may capture; answer it up front.
    echo "wireshark-common wireshark-common/install-setuid boolean false" \
        | $SUDO debconf-set-selections || true
    # Wait for a concurrent apt/dpkg instead of failing on its lock.
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    # INITRD=No: the kernel's postinst skips mkinitramfs (vng builds its own
    # initramfs), which saves about a minute per kernel on a fresh machine.
    $SUDO env DEBIAN_FRONTEND=noninteractive INITRD=No apt-get install -y -qq \
        -o DPkg::Lock::Timeout=900 \
        --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null
else
    echo "setup-vm: apt packages already present"
fi

# virtme-ng into the venv
if [ ! -x "$VENV/bin/python" ]; then
    echo "setup-vm: creating venv $VENV"
    python3 -m venv "$VENV"
fi
if [ ! -x "$VENV/bin/vng" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check 'virtme-ng>=1.40,<2' </dev/null
else
    echo "setup-vm: virtme-ng already in $VENV"
fi

# Report what the lab will boot.
kver="$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|.*/vmlinuz-||' | sort -V | tail -n1 || true)"
if [ -z "$kver" ]; then
    echo "setup-vm: ERROR: no /boot/vmlinuz-* after install" >&2
    exit 1
fi
echo "setup-vm: kernel $kver, qemu $(command -v qemu-system-x86_64), vng $VENV/bin/vng"
