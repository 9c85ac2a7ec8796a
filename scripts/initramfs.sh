#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the kselftests with the kernel's own selftest Makefiles, and pack
# them, the module, busybox-static and scripts/guest-init into an initramfs.
. "$(dirname "$0")/lib.sh"

OBJ=$BUILD/obj-$ARCH
KSFT=$BUILD/kselftest-$ARCH
ROOTFS=$BUILD/rootfs-$ARCH
[ -f "$OBJ/.config" ] || die "no $ARCH kernel; run scripts/kernel.sh first"

run_logged "headers-$ARCH" make -C "$PATCHED" O="$OBJ" headers
rm -rf "$KSFT"
msg "building kselftests (TARGETS=drivers/misc/gdmabuf)"
run_logged "kselftest-build-$ARCH" make -C "$PATCHED/tools/testing/selftests" \
	O="$BUILD/kselftest-obj-$ARCH" TARGETS=drivers/misc/gdmabuf \
	KHDR_INCLUDES="-isystem $OBJ/usr/include" USERCFLAGS=-Werror \
	USERLDFLAGS=-static INSTALL_PATH="$KSFT" install
[ -x "$KSFT/run_kselftest.sh" ] || die "kselftest install produced no runner"

rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"/{bin,dev,proc,sys,tmp,lib/modules}
cp /bin/busybox "$ROOTFS/bin/busybox"
[[ $(file "$ROOTFS/bin/busybox") == *"statically linked"* ]] ||
	die "/bin/busybox is not static; install busybox-static"
cp "$ROOT/scripts/guest-init" "$ROOTFS/init"
chmod +x "$ROOTFS/init"
find "$OBJ/drivers/misc/gdmabuf" -name '*.ko' -exec cp {} "$ROOTFS/lib/modules/" \;
[ -f "$ROOTFS/lib/modules/gdmabuf.ko" ] || die "gdmabuf.ko was not built"
cp -a "$KSFT" "$ROOTFS/kselftest"
(cd "$ROOTFS" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
	>"$BUILD/initramfs-$ARCH.cpio"
msg "initramfs: $BUILD/initramfs-$ARCH.cpio"
