# SPDX-License-Identifier: GPL-2.0-only
# Shared settings and helpers of the gdmabuf bench. Sourced, not run.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOGS=$BUILD/logs
export ARCH=${ARCH:-x86_64}
# The architectures 'make check' boots, and what each is built and run with.
ARCHES=${ARCHES:-x86_64 arm64}
case $ARCH in
x86_64)	export CROSS_COMPILE= ; KERNEL_IMAGE=arch/x86/boot/bzImage ;;
arm64)	export CROSS_COMPILE=aarch64-linux-gnu- ; KERNEL_IMAGE=arch/arm64/boot/Image ;;
um)	export CROSS_COMPILE= ; KERNEL_IMAGE=linux ;;
*)	echo "FAILED: the bench knows no ARCH=$ARCH (x86_64, arm64, um)" >&2; exit 1 ;;
esac
# FLAVOR: 'debug', the test kernels (KASAN, lockdep, DMA-API debug...), or
# 'bench', the benchmark kernel (no debug options; udmabuf and the heaps)
export FLAVOR=${FLAVOR:-debug}
case $FLAVOR in
debug)	OBJ=$BUILD/obj-$ARCH ;;
bench)	OBJ=$BUILD/obj-$ARCH-bench ;;
*)	echo "FAILED: FLAVOR is debug or bench, not $FLAVOR" >&2; exit 1 ;;
esac
# what initramfs.sh builds for that kernel
KSFT=$OBJ-kselftest
ROOTFS=$OBJ-rootfs
INITRAMFS=$OBJ-initramfs.cpio
# The guests (scripts/guests): guest ARCH MODE prints the fields of that
# guest's line after arch and mode (machine iommu edu kunit programs...).
GUESTS=$ROOT/scripts/guests
guests() { grep -v '^[[:space:]]*\(#\|$\)' "$GUESTS"; }
guest() {
	guests | awk -v a="$1" -v m="$2" '$1 == a && $2 == m {
		$1 = $2 = ""; sub(/^ +/, ""); print; n++ } END { exit n != 1 }'
}
# busybox-static of the guest's architecture (arm64's comes from its .deb)
busybox_for() {
	if [ "$1" = x86_64 ]; then echo /bin/busybox; else echo "$BUILD/busybox-$1/bin/busybox"; fi
}
JOBS=${JOBS:-$(nproc)}
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
PRISTINE=$BUILD/src/linux      # extracted once, never modified
PATCHED=$BUILD/patched         # pristine + series, rebuilt by 'make apply'
TREE=$BUILD/tree               # git tree for editing patches ('make tree')
# outside the clone, so that a fresh clone (CI) still finds a warm cache
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gdmabuf-ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# hash paths relative to the clone, so that every clone shares the cache
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
export CCACHE_NOHASHDIR=true
export KBUILD_BUILD_USER=gdmabuf KBUILD_BUILD_HOST=bench

mkdir -p "$LOGS"

msg() { printf '>>> %s\n' "$*"; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

# run_logged NAME CMD...: run CMD with its output in $LOGS/NAME.log; on
# failure show the tail and say where the whole log is.
run_logged() {
	local name=$1 log=$LOGS/$1.log
	shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "step '$name' failed; full log: $log"
	fi
}

# The series' patches, in order, as paths.
series_patches() {
	grep -v '^[[:space:]]*\(#\|$\)' "$ROOT/series" | sed "s|^|$ROOT/patches/|"
}

kernel_version() {
	make -s -C "$1" kernelversion
}

# The kernel the bench tests on: whatever Debian ships today.
base_version() {
	echo "Linux $(kernel_version "$PRISTINE") (Debian linux-source-6.12" \
		"$(dpkg-query -W -f='${Version}' linux-source-6.12))"
}

# The base recorded in the cover letter when the series was last regenerated.
series_base() {
	sed -n 's/^Base: \(.*\)\.$/\1/p' "$ROOT/patches/0000-cover-letter.patch"
}

cc_wrapper() {
	if command -v ccache >/dev/null; then
		echo "ccache ${CROSS_COMPILE}gcc"
	else
		echo "${CROSS_COMPILE}gcc"
	fi
}

# check_config CONFIG FRAGMENT...: every option the fragments ask for is set
# so in CONFIG (an "=n" one is unset); names those that are not.
check_config() {
	local config=$1 line opt bad=0
	shift
	while IFS= read -r line; do
		opt=${line%%=*}
		if [ "${line#*=}" = n ]; then
			! grep -q "^$opt=" "$config" || { echo "  $line did not stick" >&2; bad=1; }
		else
			grep -qx "$line" "$config" || { echo "  $line did not stick" >&2; bad=1; }
		fi
	done < <(grep -h '^CONFIG_' "$@")
	return $bad
}
