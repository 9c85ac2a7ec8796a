#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the kselftests with the kernel's own selftest Makefiles (static, with
# $CROSS_COMPILE), and pack them, the driver and KUnit modules,
# busybox-static, scripts/guest-init and scripts/guests into an initramfs.
. "$(dirname "$0")/lib.sh"

[ -f "$OBJ/.config" ] || die "no $ARCH kernel; run scripts/kernel.sh first"

run_logged "headers-$ARCH-$FLAVOR" make -C "$PATCHED" O="$OBJ" CROSS_COMPILE="$CROSS_COMPILE" headers
rm -rf "$KSFT"
msg "building kselftests (TARGETS=drivers/misc/gdmabuf)"
run_logged "kselftest-build-$ARCH-$FLAVOR" make -C "$PATCHED/tools/testing/selftests" \
	O="$KSFT-obj" TARGETS=drivers/misc/gdmabuf \
	KHDR_INCLUDES="-isystem $OBJ/usr/include" USERCFLAGS=-Werror \
	USERLDFLAGS=-static INSTALL_PATH="$KSFT" install
[ -x "$KSFT/run_kselftest.sh" ] || die "kselftest install produced no runner"
# x86_64 also runs the ioctl cases as i386 binaries, through compat_ioctl.
# kselftest_harness.h casts pointers to intmax_t in its comparisons, which
# -m32 warns about.
rm -rf "$KSFT-32"
if [ "$ARCH" = x86_64 ] && [ "$FLAVOR" = debug ]; then
	msg "building kselftests for i386 (-m32)"
	run_logged "kselftest-build-$ARCH-$FLAVOR-32" make -C "$PATCHED/tools/testing/selftests" \
		O="$KSFT-obj-32" TARGETS=drivers/misc/gdmabuf \
		KHDR_INCLUDES="-isystem $OBJ/usr/include" \
		USERCFLAGS="-Werror -m32 -Wno-pointer-to-int-cast" \
		USERLDFLAGS="-static -m32" INSTALL_PATH="$KSFT-32" install
	[[ $(file "$KSFT-32/drivers/misc/gdmabuf/gdmabuf_test") == *"ELF 32-bit"* ]] ||
		die "the -m32 kselftests are not 32-bit"
fi

rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"/{bin,dev,proc,sys,tmp,lib/modules}
bb=$(busybox_for "$ARCH")
[ -x "$bb" ] || die "no busybox for $ARCH at $bb; run 'make deps'"
[[ $(file -L "$bb") == *"statically linked"* ]] || die "$bb is not static; install busybox-static"
cp "$bb" "$ROOTFS/bin/busybox"
cp "$ROOT/scripts/guest-init" "$ROOTFS/init"
cp "$GUESTS" "$ROOTFS/guests"
chmod +x "$ROOTFS/init"
find "$OBJ/drivers/misc/gdmabuf" -name '*.ko' -exec cp {} "$ROOTFS/lib/modules/" \;
modules=(gdmabuf)
[ "$FLAVOR" != debug ] || modules+=(gdmabuf_kunit)
for ko in "${modules[@]}"; do
	[ -f "$ROOTFS/lib/modules/$ko.ko" ] || die "$ko.ko was not built"
done
cp -a "$KSFT" "$ROOTFS/kselftest"
[ ! -d "$KSFT-32" ] || cp -a "$KSFT-32" "$ROOTFS/kselftest-32"
(cd "$ROOTFS" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
	>"$INITRAMFS"
msg "initramfs: $INITRAMFS"
