#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# scripts/checkpatch.pl --strict on every patch of the series. Clean means no
# error, warning or check, with one exception: patches before the
# "MAINTAINERS:" patch add files that entry covers, so their
# FILE_PATH_CHANGES warning is expected; that every file the series adds is
# covered is verified here with get_maintainer.pl instead.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/source.sh"
CP="$PRISTINE/scripts/checkpatch.pl"
DICT=/usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt
[ -f "$DICT" ] || die "codespell's dictionary $DICT missing; run 'make deps'"
bad=0
seen_maintainers=0
mapfile -t patches < <(series_patches)
for p in "${patches[@]}"; do
	ignore=()
	if grep -q '^Subject: .*MAINTAINERS: ' "$p"; then
		seen_maintainers=1
	elif [ $seen_maintainers = 0 ]; then
		ignore=(--ignore FILE_PATH_CHANGES)
	fi
	out=$(cd "$PRISTINE" && "$CP" --strict --quiet --show-types \
		--codespell --codespellfile "$DICT" "${ignore[@]}" "$p" 2>&1) || true
	if [ -n "$out" ]; then
		echo "$out"
		echo "checkpatch: $(basename "$p"): not clean"
		bad=1
	else
		echo "checkpatch: $(basename "$p"): clean"
	fi
done
[ $seen_maintainers = 1 ] || { echo "no 'MAINTAINERS:' patch in the series"; bad=1; }

# Every file the series adds must have the gdmabuf MAINTAINERS entry.
if [ -d "$PATCHED" ]; then
	for p in "${patches[@]}"; do
		awk '/^diff --git / { path = $4; sub(/^b\//, "", path) }
		     /^new file mode/ { print path }' "$p"
	done | while read -r f; do
		# no pipe into grep -q: pipefail would see get_maintainer's SIGPIPE
		sections=$(cd "$PATCHED" && scripts/get_maintainer.pl --no-git \
			--no-rolestats --sections -f "$f" 2>/dev/null)
		grep -q '^GDMABUF' <<<"$sections" ||
			{ echo "MAINTAINERS: no GDMABUF entry covers $f"; exit 1; }
	done || bad=1
else
	die "no patched tree; run 'make apply' first"
fi
[ $bad = 0 ] || die "checkpatch --strict is not clean"
msg "checkpatch --strict: all ${#patches[@]} patches clean"
