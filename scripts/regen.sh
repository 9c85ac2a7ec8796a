#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate patches/, series and the mirror from the commits on top of
# gdmabuf-base in build/tree. The cover letter's text is scripts/cover-letter.txt
# (first line: subject; then the body).
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no $TREE; run 'make tree' first"
git -C "$TREE" diff --quiet HEAD || die "$TREE has uncommitted changes"

rm -f "$ROOT"/patches/*.patch
git -C "$TREE" format-patch -q --no-signature --zero-commit --cover-letter \
	-o "$ROOT/patches" gdmabuf-base..HEAD

cover=$ROOT/patches/0000-cover-letter.patch
python3 - "$cover" "$ROOT/scripts/cover-letter.txt" "$(base_version)" <<'PY'
import sys
cover, text, base = sys.argv[1], open(sys.argv[2]).read().strip('\n'), sys.argv[3]
subject, _, body = text.partition('\n')
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', subject.strip())
s = s.replace('*** BLURB HERE ***', body.strip('\n') + '\n\nBase: ' + base + '.')
open(cover, 'w').write(s)
PY

(cd "$ROOT/patches" && ls [0-9]*.patch | grep -v '^0000-cover-letter') >"$ROOT/series"
"$ROOT/scripts/apply.sh"
"$ROOT/scripts/mirror.sh" update
msg "regenerated $(wc -l <"$ROOT/series") patches, the cover letter and the mirror"
