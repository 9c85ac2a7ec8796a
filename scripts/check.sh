#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Everything, in order; stops at the first failing step and names it.
# First the log judges themselves must fail on every defect they look for.
# The series is checked once (on x86_64 for the per-patch build), KUnit runs
# under kunit.py on UML, and every architecture in $ARCHES gets its debug
# guest (KUnit module, kselftests) and the demo. Ends with one line per
# run and a line totalling all test cases.
. "$(dirname "$0")/lib.sh"

start=$SECONDS
step() {
	local t=$SECONDS name=$1
	shift
	msg "step: $name"
	"$@" || die "step '$name' failed (see above)"
	msg "step: $name done in $((SECONDS - t))s"
}
S=$ROOT/scripts

step judges python3 "$S/judges_test.py"
step deps "$S/deps.sh"
step apply "$S/apply.sh"
step mirror-check "$S/mirror.sh" check
step checkpatch "$S/checkpatch.sh"
step bisect env ARCH=x86_64 "$S/bisect.sh"
step "kunit (um)" env KUNIT_ARCH=um "$S/kunit.sh"
for a in $ARCHES; do
	step "selftest ($a)" env ARCH="$a" "$S/selftest.sh" selftest
	step "demo ($a)" env ARCH="$a" "$S/boot.sh" demo
done

msg "make check: all steps passed in $((SECONDS - start))s"
tp=0 tf=0 ts=0
count() {
	local p f s
	read -r p f s <"$2"
	printf '%-24s %4d passed, %d failed, %d skipped\n' "$1:" "$p" "$f" "$s"
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
}
count "kunit (um, kunit.py)" "$LOGS/kunit-um.log.counts"
for a in $ARCHES; do
	count "kunit ($a guest)" "$LOGS/guest-$a-selftest.log.kunit-counts"
	count "kselftest ($a guest)" "$LOGS/guest-$a-selftest.log.counts"
done
echo "total: $tp passed, $tf failed, $ts skipped"
echo "tested on: $(base_version), $(qemu-system-x86_64 --version | head -n1)"
[ "$(base_version)" = "$(series_base)" ] ||
	echo "note: the series was last regenerated on $(series_base)"
