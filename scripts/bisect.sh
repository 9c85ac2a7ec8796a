#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every prefix of the series must build with W=1 and sparse (C=1) without a
# warning. The tree is built once at the pristine base with W=1; then each
# patch is pushed with quilt and the incremental W=1 C=1 build is checked:
# any warning or error it prints fails, as does a failed build.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/source.sh"
SRC=$BUILD/bisect-src
OBJ=$BUILD/obj-bisect
CONFIGS=$ROOT/scripts/configs
fragments=("$CONFIGS/common.config" "$CONFIGS/$ARCH.config" "$CONFIGS/bisect.config")

rm -rf "$SRC"
cp -a "$PRISTINE" "$SRC"
mkdir -p "$OBJ"
kmake() { make -C "$SRC" O="$OBJ" CC="$(cc_wrapper)" -j"$JOBS" W=1 "$@"; }
configure() {
	kmake tinyconfig >/dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "${fragments[@]}" >/dev/null
	kmake olddefconfig >/dev/null
}
# The fragments' options; the series' own count once their patch is in.
wanted_options() {
	local line sym
	grep -h '^CONFIG_' "${fragments[@]}" | while IFS= read -r line; do
		sym=${line%%=*}
		sym=${sym#CONFIG_}
		case $sym in
		GDMABUF*) grep -qsx "config $sym" "$SRC/drivers/misc/gdmabuf/Kconfig" || continue ;;
		esac
		echo "$line"
	done
}
pushq() {
	(cd "$SRC" && QUILT_PATCHES="$ROOT/patches" QUILT_SERIES="$ROOT/series" \
		quilt push --fuzz=0 --quiltrc=/dev/null "$@")
}

msg "bisect: base build of Linux $(kernel_version "$SRC") with W=1 (log: $LOGS/bisect-base.log)"
run_logged bisect-base-config configure
run_logged bisect-base kmake all

n=0
total=$(series_patches | wc -l)
while [ $n -lt "$total" ]; do
	n=$((n + 1))
	run_logged "bisect-push-$n" pushq
	name=$(cd "$SRC" && QUILT_PATCHES="$ROOT/patches" QUILT_SERIES="$ROOT/series" quilt top --quiltrc=/dev/null)
	log=$LOGS/bisect-$n.log
	configure
	wanted_options >"$OBJ/wanted.config"
	check_config "$OBJ/.config" "$OBJ/wanted.config" ||
		die "bisect $n/$total ($name): the config lacks options the fragments ask for"
	# a module left from an earlier patch or run must not pass for this one's
	rm -f "$OBJ"/drivers/misc/gdmabuf/*.ko
	if ! kmake C=1 all >"$log" 2>&1; then
		grep -E 'error|warning' "$log" | head -n 40 >&2
		die "bisect $n/$total ($name): build failed; log: $log"
	fi
	if grep -E '(warning|error):|^WARNING: |^ERROR: ' "$log" >&2; then
		die "bisect $n/$total ($name): W=1 C=1 warnings; log: $log"
	fi
	[ -f "$OBJ/drivers/misc/gdmabuf/gdmabuf.ko" ] || die "bisect $n ($name): gdmabuf.ko not built"
	echo "bisect: $n/$total $name: builds with W=1 C=1, no warnings"
done
msg "bisect: every prefix of the series builds cleanly"
