#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what the bench needs from Debian's archive, once.
. "$(dirname "$0")/lib.sh"

PKGS=(linux-source-6.12 quilt busybox-static sparse ccache
      qemu-system-x86 qemu-system-data
      gcc make bc bison flex libelf-dev libssl-dev dwarves cpio xz-utils
      kmod rsync python3 perl git file patch codespell)

missing=()
for p in "${PKGS[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"ok installed"* ]] ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run 'make deps' as root"
msg "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run_logged apt-update apt-get update
run_logged apt-install apt-get install -y --no-install-recommends "${missing[@]}"
