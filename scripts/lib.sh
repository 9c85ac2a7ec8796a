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

cc_wrapper() {
	if command -v ccache >/dev/null; then
		echo "ccache ${CROSS_COMPILE}gcc"
	else
		echo "${CROSS_COMPILE}gcc"
	fi
}

# kunit_summary LOG: "passed failed skipped" from kunit.py's summary line in
# LOG; errors (crashed or unparsable tests) count as failures.
kunit_summary() {
	local summary passed failed skipped errors
	summary=$(grep -o 'Ran [0-9]* tests: .*' "$1" | tail -n1 | sed 's/\x1b\[[0-9;]*m//g' || true)
	passed=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$summary")
	failed=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$summary")
	skipped=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$summary")
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$summary")
	echo "${passed:-0} $(( ${failed:-0} + ${errors:-0} )) ${skipped:-0}"
}
