#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# boot.sh MODE: boot the $ARCH test kernel and initramfs under QEMU (TCG) with
# gdmabuf_bench=MODE, under a time bound; the serial log goes to
# build/logs/guest-$ARCH-MODE.log and is checked by scripts/guestlog.py.
. "$(dirname "$0")/lib.sh"

MODE=${1:?usage: boot.sh selftest|demo|bench}
TIMEOUT=${GUEST_TIMEOUT:-1800}
LOG=$LOGS/guest-$ARCH-$MODE.log
APPEND="panic=-1 gdmabuf_bench=$MODE"
MEM=2G
if [ "$MODE" = bench ]; then
	# room for a 256 MiB buffer in CMA and in udmabuf; THP where asked for
	MEM=3G
	APPEND+=" gdmabuf_bench_mib=${BENCH_MIB:-256} cma=640M udmabuf.size_limit_mb=1024"
	APPEND+=" transparent_hugepage=madvise"
fi

# Room for a 2 GiB contiguous buffer (half of RAM is the default limit),
# whose mm operations the kselftests try on every kind of sub-range: a
# partial munmap() of such a buffer crashed 6.12 when it was PUD-mapped.
# x86_64 puts CMA above 4 GiB; arm64 keeps it below, where its 6 GiB from
# 1 GiB up leave 3 GiB.
if [ "$MODE" = selftest ]; then
	MEM=6G
	case $ARCH in
	x86_64) APPEND+=" cma=2100M@4G" ;;
	*) APPEND+=" cma=2100M" ;;
	esac
fi

case $ARCH in
x86_64)
	# la57=off: with 5-level paging, KASAN reports wild accesses from
	# interrupts that arrive while the boot CPU is still being set up
	# -nic none: no test uses a network, and the default NIC wants a ROM
	QEMU=(qemu-system-x86_64 -M pc -cpu max,la57=off -bios /usr/share/qemu/qboot.rom -nic none)
	APPEND="console=ttyS0 $APPEND"
	# TCG's TSC looks unstable to the clocksource watchdog, and tinyconfig
	# has no HPET to fall back on: jiffies would make times useless
	[ "$MODE" != bench ] || APPEND+=" tsc=reliable"
	;;
arm64)
	# pauth-impdef: QEMU's cheap pointer authentication, as kunit.py uses
	# -nic none: the default NIC wants efi-virtio.rom, which only an
	# unrelated package brings
	QEMU=(qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -nic none)
	APPEND="console=ttyAMA0 $APPEND"
	;;
*)
	die "no QEMU setup for ARCH=$ARCH"
	;;
esac

msg "booting $ARCH guest ($MODE), at most ${TIMEOUT}s; log: $LOG"
rc=0
timeout --foreground -k 10 "$TIMEOUT" "${QEMU[@]}" -kernel "$OBJ/$KERNEL_IMAGE" -m "$MEM" -smp 2 \
	-display none -monitor none -serial "file:$LOG" -no-reboot \
	-initrd "$INITRAMFS" -append "$APPEND" </dev/null || rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
	tail -n 30 "$LOG" >&2
	die "the guest did not finish within ${TIMEOUT}s; log: $LOG"
fi
[ $rc = 0 ] || die "QEMU exited with $rc; log: $LOG"
# the kselftest programs that must have run: the runner's, and on x86_64 the
# 32-bit ones guest-init runs after it
programs=$LOG.programs
sed 's/^[^:]*://' "$KSFT/kselftest-list.txt" >"$programs"
[ ! -d "$KSFT-32" ] || printf '%s\n' gdmabuf_test_32 gdmabuf_export_test_32 gdmabuf_stress_32 >>"$programs"
python3 "$ROOT/scripts/guestlog.py" "$MODE" "$LOG" "$ARCH" "$programs"
[ "$MODE" = selftest ] || exit 0

# The KUnit module's results, parsed by kunit.py as on a reviewer's machine.
sed -n '/GDMABUF-BENCH: kunit begin/,/GDMABUF-BENCH: kunit end/p' "$LOG" >"$LOG.kunit"
rc=0
python3 "$PATCHED/tools/testing/kunit/kunit.py" parse --json="$LOG.kunit.json" "$LOG.kunit" \
	>"$LOG.kunit-parsed" 2>&1 || rc=$?
grep -E 'SKIPPED|FAILED|CRASHED|Testing complete' "$LOG.kunit-parsed" | grep -v '===' || true
[ $rc = 0 ] || die "kunit.py parse exited with $rc in the $ARCH guest; parsed: $LOG.kunit-parsed"
python3 "$ROOT/scripts/kunit_results.py" "$ARCH" "$LOG.kunit.json" "$LOG.kunit-parsed" \
	"$PATCHED/drivers/misc/gdmabuf" "$LOG.kunit-counts" ||
	die "KUnit failed in the $ARCH guest; parsed: $LOG.kunit-parsed, log: $LOG"
