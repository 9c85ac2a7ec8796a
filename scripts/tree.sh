#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Make build/tree: a git tree of the pristine kernel (tag gdmabuf-base) with
# the series applied as commits, for editing. 'make regen' turns it back
# into patches/ and the mirror.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/source.sh"
if [ -d "$TREE/.git" ]; then
	msg "$TREE exists; remove it to start again from the series"
	exit 0
fi
git_b() { git -C "$TREE" "$@"; }
cp -a "$PRISTINE" "$TREE"
git_b init -q -b gdmabuf
git_b add -A -f .
git_b commit -q -m "Linux $(kernel_version "$PRISTINE") (Debian linux-source-6.12)"
# Debian's tarball ignores everything at the top level; new files must show.
sed -i '/^# Debian packaging/,$d' "$TREE/.gitignore"
git_b commit -q -a -m "bench: drop Debian's ignore-everything .gitignore stanza"
git_b tag -f gdmabuf-base
series_patches | xargs git -C "$TREE" am -q
msg "tree ready: $TREE (edit, commit or 'git rebase -i gdmabuf-base', then 'make regen')"
