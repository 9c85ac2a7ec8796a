#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the driver's KUnit suites the way a reviewer does:
#   tools/testing/kunit/kunit.py run --arch=x86_64 --kunitconfig=drivers/misc/gdmabuf
# in the patched tree; kunit.py's exit status and summary are passed through.
. "$(dirname "$0")/lib.sh"

[ -d "$PATCHED" ] || die "no patched tree; run 'make apply' first"
KUNIT_ARCH=${KUNIT_ARCH:-x86_64}
args=(run --kunitconfig=drivers/misc/gdmabuf --jobs="$JOBS" --timeout=900
      --build_dir="$BUILD/kunit-$KUNIT_ARCH" --make_options "CC=$(cc_wrapper)")
[ "$KUNIT_ARCH" = um ] || args+=(--arch="$KUNIT_ARCH")

LOG=$LOGS/kunit-$KUNIT_ARCH.log
msg "kunit.py ${args[*]}"
rc=0
(cd "$PATCHED" && python3 tools/testing/kunit/kunit.py "${args[@]}") >"$LOG" 2>&1 || rc=$?
# the parsed results, without the build noise
sed -n '/=====/,$p' "$LOG" | grep -v '^\[..:..:..\] \(Building\|Configuring\)' | tail -n 60
summary=$(grep -o 'Ran [0-9]* tests: .*' "$LOG" | tail -n1 | sed 's/\x1b\[[0-9;]*m//g' || true)
passed=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$summary")
failed=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$summary")
skipped=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$summary")
errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$summary")
failed=$(( ${failed:-0} + ${errors:-0} ))
echo "${passed:-0} $failed ${skipped:-0}" >"$LOG.counts"
echo "kunit ($KUNIT_ARCH): ${passed:-0} passed, $failed failed, ${skipped:-0} skipped"
[ $rc = 0 ] || die "kunit.py exited with $rc; full log: $LOG"
[ "${passed:-0}" -gt 0 ] || die "kunit.py ran no passing test; full log: $LOG"
