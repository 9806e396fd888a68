#!/usr/bin/env bash
# Set up nlscope on a fresh Debian 12 machine, non-interactively.
#
#   bash scripts/setup.sh          # the venv (.venv) with nlscope installed
#   bash scripts/setup.sh --test   # plus what the tests need: tshark, the VM lab
#
# Idempotent: re-running only installs what is missing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
TEST=0
[ "${1:-}" = "--test" ] && TEST=1

export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -n"

apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "setup: apt installing ${missing[*]}"
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections || true
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=900 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null
}

if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install python3-venv
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip </dev/null

# `nlscope trace` runs the traced command under strace where eBPF cannot run; the eBPF
# source (capture --ebpf, trace) loads a program built here with clang through libbpf.
apt_install strace clang libbpf-dev libbpf1

if [ "$TEST" = 1 ]; then
    # the kernel's YNL specs (Documentation/netlink/specs) the spec tests load
    apt_install tshark tmux linux-source-6.12
    bash "$REPO/scripts/setup-vm.sh" "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$REPO[test]" </dev/null
else
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$REPO" </dev/null
fi
"$VENV/bin/python" -m nlscope.capture.ebpf build >/dev/null
echo "setup: ready ($VENV)"
