# SPDX-License-Identifier: GPL-2.0-only
# Shared settings and helpers of the gdmabuf bench. Sourced, not run.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOGS=$BUILD/logs
export ARCH=${ARCH:-x86_64}
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
	if command -v ccache >/dev/null; then echo "ccache gcc"; else echo gcc; fi
}
