#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Everything, in order; stops at the first failing step and names it.
# Ends with one line totalling the KUnit and kselftest cases.
. "$(dirname "$0")/lib.sh"

start=$SECONDS
step() {
	local t=$SECONDS
	msg "step: $1"
	"$ROOT/scripts/$2" "${@:3}" || die "step '$1' failed (see above)"
	msg "step: $1 done in $((SECONDS - t))s"
}

step deps deps.sh
step apply apply.sh
step mirror-check mirror.sh check
step checkpatch checkpatch.sh
step bisect bisect.sh
step kunit kunit.sh
step selftest selftest.sh selftest
step demo boot.sh demo

read -r kp kf ks <"$LOGS/kunit-x86_64.log.counts"
read -r sp sf ss <"$LOGS/guest-$ARCH-selftest.log.counts"
msg "make check: all steps passed in $((SECONDS - start))s"
echo "kunit: $kp passed, $kf failed, $ks skipped"
echo "kselftest: $sp passed, $sf failed, $ss skipped"
echo "total: $((kp + sp)) passed, $((kf + sf)) failed, $((ks + ss)) skipped"
