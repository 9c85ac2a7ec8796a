#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Everything, in order; stops at the first failing step and names it.
# First the log judges themselves must fail on every defect they look for.
# The series is checked once (on x86_64 for the per-patch build), KUnit runs
# under kunit.py on UML, and every architecture in $ARCHES gets the guests
# scripts/guests lists for it, in its order but the benchmark: the debug
# guest (KUnit module, kselftests), the demo and the IOMMU guest (the edu
# test behind VT-d or SMMUv3), all with the same kernel. Ends with one line
# per run and a line totalling all test cases.
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
	for mode in $(guests | awk -v a="$a" '$1 == a && $2 != "bench" { print $2 }'); do
		if [ "$mode" = selftest ]; then
			# builds the kernel and initramfs every guest of $a boots
			step "selftest ($a)" env ARCH="$a" "$S/selftest.sh" selftest
		else
			step "$mode ($a)" env ARCH="$a" "$S/boot.sh" "$mode"
		fi
	done
done

msg "make check: all steps passed in $((SECONDS - start))s"
tp=0 tf=0 ts=0
count() {
	local p f s
	read -r p f s <"$2"
	printf '%-29s %4d passed, %d failed, %d skipped\n' "$1:" "$p" "$f" "$s"
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
}
count "kunit (um, kunit.py)" "$LOGS/kunit-um.log.counts"
for a in $ARCHES; do
	while read -r _ mode _ _ _ kunit _; do
		[ "$kunit" != yes ] || count "kunit ($a $mode)" "$LOGS/guest-$a-$mode.log.kunit-counts"
		count "kselftest ($a $mode)" "$LOGS/guest-$a-$mode.log.counts"
	done < <(guests | awk -v a="$a" '$1 == a && $2 != "bench" && $7 != "-"')
done
echo "total: $tp passed, $tf failed, $ts skipped"
echo "tested on: $(base_version), $(qemu-system-x86_64 --version | head -n1)"
[ "$(base_version)" = "$(series_base)" ] ||
	echo "note: the series was last regenerated on $(series_base)"
