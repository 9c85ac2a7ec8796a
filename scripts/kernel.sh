#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the $FLAVOR kernel for $ARCH from the patched tree: tinyconfig plus
# the committed fragments in scripts/configs/. Output in $OBJ.
. "$(dirname "$0")/lib.sh"

[ -d "$PATCHED" ] || die "no patched tree; run 'make apply' first"
CONFIGS=$ROOT/scripts/configs
fragments=("$CONFIGS/common.config" "$CONFIGS/common-$FLAVOR.config" "$CONFIGS/$ARCH.config")
mkdir -p "$OBJ"

kmake() { make -C "$PATCHED" O="$OBJ" CC="$(cc_wrapper)" -j"$JOBS" "$@"; }

# Regenerate .config only when a fragment changed, so warm builds stay warm.
sum=$( (echo "ARCH=$ARCH FLAVOR=$FLAVOR"; cat "${fragments[@]}") | sha1sum | cut -d' ' -f1)
if [ ! -f "$OBJ/.config" ] || [ "$(cat "$OBJ/.fragments" 2>/dev/null)" != "$sum" ]; then
	msg "configuring $ARCH $FLAVOR kernel (tinyconfig + ${fragments[*]##*/})"
	run_logged "config-$ARCH-$FLAVOR" kmake tinyconfig
	run_logged "config-$ARCH-$FLAVOR-merge" "$PATCHED/scripts/kconfig/merge_config.sh" \
		-m -O "$OBJ" "$OBJ/.config" "${fragments[@]}"
	run_logged "config-$ARCH-$FLAVOR-olddefconfig" kmake olddefconfig
	echo "$sum" >"$OBJ/.fragments"
else
	run_logged "config-$ARCH-$FLAVOR-olddefconfig" kmake olddefconfig
fi

check_config "$OBJ/.config" "${fragments[@]}" ||
	die "the $ARCH kernel config lacks options the fragments ask for"

msg "building $ARCH $FLAVOR kernel (log: $LOGS/kernel-$ARCH-$FLAVOR.log)"
run_logged "kernel-$ARCH-$FLAVOR" kmake all
# modpost's complaints (section mismatches, missing exports) are warnings too
if grep -E '(warning|error):|^WARNING: |^ERROR: ' "$LOGS/kernel-$ARCH-$FLAVOR.log" >&2; then
	die "the $ARCH $FLAVOR kernel build warns; log: $LOGS/kernel-$ARCH-$FLAVOR.log"
fi
# The driver again, with W=1 (make bisect builds every patch so on x86_64).
rm -f "$OBJ"/drivers/misc/gdmabuf/*.o
log=$LOGS/kernel-$ARCH-$FLAVOR-w1.log
run_logged "kernel-$ARCH-$FLAVOR-w1" kmake W=1 drivers/misc/gdmabuf/
if grep -E '(warning|error):|^WARNING: |^ERROR: ' "$log" >&2; then
	die "gdmabuf has W=1 warnings on $ARCH; log: $log"
fi
