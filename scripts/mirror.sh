#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# mirror.sh check: every file the series adds equals its mirror copy, and
# the mirror holds nothing else. mirror.sh update: copy them from $PATCHED.
. "$(dirname "$0")/lib.sh"

MIRROR_DIRS=(drivers include tools Documentation)

added_files() {
	# "new file" entries of every patch, as paths in the tree
	series_patches | xargs awk '
		/^diff --git / { path = $4; sub(/^b\//, "", path) }
		/^new file mode/ { print path }' | sort -u
}

mirror_files() {
	(cd "$ROOT" && find "${MIRROR_DIRS[@]}" -type f 2>/dev/null | sort)
}

[ -d "$PATCHED" ] || die "no patched tree; run 'make apply' first"

case ${1:-check} in
update)
	(cd "$ROOT" && rm -rf "${MIRROR_DIRS[@]}")
	added_files | while read -r f; do
		mkdir -p "$ROOT/$(dirname "$f")"
		cp "$PATCHED/$f" "$ROOT/$f"
	done
	msg "mirror updated: $(added_files | wc -l) files"
	;;
check)
	bad=0
	diff <(added_files) <(mirror_files) >"$LOGS/mirror-list.diff" || {
		sed -n 's/^< /  added by the series, missing from the mirror: /p;
			s/^> /  in the mirror, not added by the series: /p' \
			"$LOGS/mirror-list.diff" >&2
		bad=1
	}
	while read -r f; do
		[ -f "$ROOT/$f" ] || continue
		if ! cmp -s "$PATCHED/$f" "$ROOT/$f"; then
			echo "  differs from the series: $f" >&2
			bad=1
		fi
	done < <(added_files)
	[ $bad = 0 ] || die "mirror and series disagree; regenerate with 'make regen'"
	msg "mirror matches the series ($(added_files | wc -l) files)"
	;;
*)
	die "usage: mirror.sh check|update"
	;;
esac
