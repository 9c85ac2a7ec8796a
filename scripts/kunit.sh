#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the driver's KUnit suites the way a reviewer does, on UML by default:
#   tools/testing/kunit/kunit.py run --kunitconfig=drivers/misc/gdmabuf
# (KUNIT_ARCH=x86_64 or arm64 adds --arch= and runs under QEMU) in the
# patched tree; kunit.py's exit status and summary are passed through.
. "$(dirname "$0")/lib.sh"

[ -d "$PATCHED" ] || die "no patched tree; run 'make apply' first"
KUNIT_ARCH=${KUNIT_ARCH:-um}
CROSS_COMPILE=
[ "$KUNIT_ARCH" != arm64 ] || CROSS_COMPILE=aarch64-linux-gnu-
LOG=$LOGS/kunit-$KUNIT_ARCH.log
args=(run --kunitconfig=drivers/misc/gdmabuf --jobs="$JOBS" --timeout=900 --json="$LOG.json"
      --build_dir="$BUILD/kunit-$KUNIT_ARCH" --make_options "CC=$(cc_wrapper)")
case $KUNIT_ARCH in
um) ;;
arm64) args+=(--arch=arm64 --cross_compile=aarch64-linux-gnu-) ;;
*) args+=(--arch="$KUNIT_ARCH") ;;
esac

rm -f "$LOG.json"
msg "kunit.py ${args[*]} on $(base_version)"
rc=0
(cd "$PATCHED" && python3 tools/testing/kunit/kunit.py "${args[@]}") >"$LOG" 2>&1 || rc=$?
# the parsed results, without the build noise
sed -n '/=====/,$p' "$LOG" | grep -v '^\[..:..:..\] \(Building\|Configuring\)' | tail -n 60
[ $rc = 0 ] || die "kunit.py exited with $rc; full log: $LOG"
python3 "$ROOT/scripts/kunit_results.py" "$KUNIT_ARCH" "$LOG.json" "$LOG" \
	"$PATCHED/drivers/misc/gdmabuf" "$LOG.counts" || die "KUnit ($KUNIT_ARCH) failed; full log: $LOG"
