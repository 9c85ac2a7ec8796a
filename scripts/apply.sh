#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Apply the series to a fresh copy of the pristine tree with quilt at fuzz 0,
# then check that 'git am' takes the same series.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/source.sh"
msg "kernel: Linux $(kernel_version "$PRISTINE") from Debian's linux-source-6.12"

rm -rf "$PATCHED"
cp -a "$PRISTINE" "$PATCHED"

msg "quilt push -a --fuzz=0 ($(series_patches | wc -l) patches) onto $(base_version)"
[ "$(base_version)" = "$(series_base)" ] ||
	msg "note: the cover letter records another base: $(series_base)"
log=$LOGS/quilt.log
if ! (cd "$PATCHED" && QUILT_PATCHES="$ROOT/patches" QUILT_SERIES="$ROOT/series" \
      quilt push -a --fuzz=0 --quiltrc=/dev/null) >"$log" 2>&1; then
	cat "$log" >&2
	die "the series does not apply with quilt at fuzz 0; log: $log"
fi
if grep -E 'fuzz|FAILED|rej|Reversed' "$log" >&2; then
	die "quilt applied the series with fuzz or rejects; log: $log"
fi
# quilt's bookkeeping is not part of the tree
rm -rf "$PATCHED/.pc"

# git am needs only the files the series touches, as the pristine tree has them.
msg "git am"
am=$BUILD/git-am
rm -rf "$am"
mkdir -p "$am"
series_patches | xargs grep -h '^--- a/' | sed 's|^--- a/||' | sort -u |
	while read -r f; do
		[ -f "$PRISTINE/$f" ] || continue	# added by an earlier patch
		mkdir -p "$am/$(dirname "$f")"
		cp "$PRISTINE/$f" "$am/$f"
	done
(
	cd "$am"
	git init -q
	git add -A -f .
	git -c user.name=bench -c user.email=bench@localhost commit -q --allow-empty -m pristine
	series_patches | xargs git -c user.name=bench -c user.email=bench@localhost am -q --whitespace=error-all
) >"$LOGS/git-am.log" 2>&1 || { cat "$LOGS/git-am.log" >&2; die "git am failed; log: $LOGS/git-am.log"; }
# both ways must give the same files
series_patches | xargs grep -h '^+++ b/' | sed 's|^+++ b/||' | sort -u |
	while read -r f; do
		cmp -s "$am/$f" "$PATCHED/$f" || die "git am and quilt disagree on $f"
	done
msg "applied: $PATCHED"
