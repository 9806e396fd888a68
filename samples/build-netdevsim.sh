#!/bin/bash
# Build netdevsim.ko for kernel release $1 into directory $2 (runs on the host,
# called by samples/generate.py for the devlink scenario). Debian's kernels do
# not build netdevsim (CONFIG_NETDEVSIM is not set), so it is compiled out of
# tree from the kernel's own source, package linux-source-<major.minor>
# (apt-get install linux-source-6.12), against /lib/modules/<release>/build
# (linux-headers-<release>). Prints the path of the module on its last line.
set -euo pipefail
rel=${1:?usage: build-netdevsim.sh RELEASE OUTDIR}
out=${2:?usage: build-netdevsim.sh RELEASE OUTDIR}
mm=$(printf '%s\n' "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
tarball=/usr/src/linux-source-$mm.tar.xz
kdir=/lib/modules/$rel/build
if [ ! -f "$tarball" ]; then
    echo "build-netdevsim: $tarball missing: apt-get install linux-source-$mm" >&2
    exit 1
fi
if [ ! -d "$kdir" ]; then
    echo "build-netdevsim: $kdir missing: apt-get install linux-headers-$rel" >&2
    exit 1
fi
mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=4 --wildcards "linux-source-$mm/drivers/net/netdevsim/*"
extra=()
command -v pahole >/dev/null || extra+=("CONFIG_DEBUG_INFO_BTF_MODULES=")
make -s -C "$kdir" M="$out" CONFIG_NETDEVSIM=m "${extra[@]}" modules >&2
echo "$out/netdevsim.ko"
