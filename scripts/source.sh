#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Extract Debian's linux-source-6.12 once into build/src/linux.
. "$(dirname "$0")/lib.sh"

[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing; run 'make deps'"
stamp=$BUILD/src/.extracted
if [ ! -f "$stamp" ] || [ "$KSRC_TARBALL" -nt "$stamp" ]; then
	msg "extracting $KSRC_TARBALL"
	rm -rf "$BUILD/src"
	mkdir -p "$BUILD/src"
	tar -C "$BUILD/src" -xJf "$KSRC_TARBALL"
	mv "$BUILD"/src/linux-source-6.12 "$PRISTINE"
	touch "$stamp"
fi
