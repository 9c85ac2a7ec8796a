#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# boot.sh MODE: boot the $ARCH test kernel and initramfs under QEMU (TCG) with
# gdmabuf_bench=MODE, under a time bound; the serial log goes to
# build/logs/guest-$ARCH-MODE.log and is checked by scripts/guestlog.py.
. "$(dirname "$0")/lib.sh"

MODE=${1:?usage: boot.sh selftest|demo}
TIMEOUT=${GUEST_TIMEOUT:-1200}
OBJ=$BUILD/obj-$ARCH
LOG=$LOGS/guest-$ARCH-$MODE.log
APPEND="console=ttyS0 panic=-1 gdmabuf_bench=$MODE"

case $ARCH in
x86_64)
	# la57=off: with 5-level paging, KASAN reports wild accesses from
	# interrupts that arrive while the boot CPU is still being set up
	QEMU=(qemu-system-x86_64 -M pc -cpu max,la57=off -bios /usr/share/qemu/qboot.rom
	      -kernel "$OBJ/arch/x86/boot/bzImage")
	;;
*)
	die "no QEMU setup for ARCH=$ARCH"
	;;
esac

msg "booting $ARCH guest ($MODE), at most ${TIMEOUT}s; log: $LOG"
rc=0
timeout --foreground -k 10 "$TIMEOUT" "${QEMU[@]}" -m 2G -smp 2 \
	-display none -monitor none -serial "file:$LOG" -no-reboot \
	-initrd "$BUILD/initramfs-$ARCH.cpio" -append "$APPEND" </dev/null || rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
	tail -n 30 "$LOG" >&2
	die "the guest did not finish within ${TIMEOUT}s; log: $LOG"
fi
[ $rc = 0 ] || die "QEMU exited with $rc; log: $LOG"
python3 "$ROOT/scripts/guestlog.py" "$MODE" "$LOG"
