#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what the bench needs from Debian's archive, once.
. "$(dirname "$0")/lib.sh"

PKGS=(linux-source-6.12 quilt busybox-static sparse ccache
      qemu-system-x86 qemu-system-arm qemu-system-data
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      gcc libc6-dev gcc-12-multilib make bc bison flex libelf-dev libssl-dev dwarves cpio xz-utils
      kmod rsync python3 perl git file patch codespell)

# gcc-12-multilib, not gcc-multilib: that one conflicts with the cross compiler
missing=()
for p in "${PKGS[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"ok installed"* ]] ||
		missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run 'make deps' as root"
	msg "installing: ${missing[*]}"
	run_logged apt-update apt-get update
	run_logged apt-install apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The arm64 guest's busybox-static: unpacked from Debian's arm64 package
# into build/, as it cannot be installed beside the host's.
bb=$(busybox_for arm64)
if [ ! -x "$bb" ]; then
	if ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "busybox-static:arm64 unknown to apt; run 'make deps' as root"
		msg "adding arm64 to dpkg's architectures, for busybox-static:arm64"
		dpkg --add-architecture arm64
		run_logged apt-update apt-get update
	fi
	debs=$BUILD/debs
	rm -rf "$debs" "${bb%/bin/busybox}"
	mkdir -p "$debs"
	chmod 0777 "$debs"	# apt downloads as _apt
	# stale package lists name a version the archive no longer has
	if ! (cd "$debs" && apt-get download busybox-static:arm64) >"$LOGS/apt-download.log" 2>&1; then
		[ "$(id -u)" = 0 ] || die "apt-get download busybox-static:arm64 failed; run 'make deps' as root"
		run_logged apt-update apt-get update
		run_logged apt-download-busybox-arm64 \
			sh -c "cd '$debs' && apt-get download busybox-static:arm64"
	fi
	dpkg-deb -x "$debs"/busybox-static_*_arm64.deb "${bb%/bin/busybox}"
	[ -x "$bb" ] || die "busybox-static:arm64 holds no bin/busybox"
fi
