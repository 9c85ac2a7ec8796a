#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# boot.sh MODE: boot the $ARCH test kernel and initramfs under QEMU (TCG) with
# gdmabuf_bench=MODE, on the machine scripts/guests names for $ARCH and MODE,
# under a time bound; the serial log goes to build/logs/guest-$ARCH-MODE.log
# and is checked by scripts/guestlog.py.
. "$(dirname "$0")/lib.sh"

MODE=${1:?usage: boot.sh selftest|demo|iommu|bench}
line=$(guest "$ARCH" "$MODE") || die "scripts/guests has no $ARCH guest of mode $MODE"
read -r machine iommu edu kunit programs <<<"$line"
TIMEOUT=${GUEST_TIMEOUT:-1800}
LOG=$LOGS/guest-$ARCH-$MODE.log
APPEND="panic=-1 gdmabuf_bench=$MODE"
MEM=2G
if [ "$MODE" = bench ]; then
	# The guest grows with the largest buffer, TOP MiB (the top of the
	# sweep, or BENCH_MIB's one size): CMA holds one contiguous buffer of
	# TOP (gdmabuf's cached contiguous or the CMA heap's, one at a time)
	# and a quarter more; the rest of RAM one buffer of any other subject
	# beside the kernel. udmabuf must be allowed TOP; THP where asked for.
	top=${BENCH_MIB:-${BENCH_MAX_MIB:-1024}}
	[[ $top =~ ^[1-9][0-9]*$ ]] || die "BENCH_MIB and BENCH_MAX_MIB are sizes in MiB, not '$top'"
	MEM=$((2 * top + 1024))M
	APPEND+=" cma=$((top + top / 4))M udmabuf.size_limit_mb=$top"
	APPEND+=" transparent_hugepage=madvise"
	if [ -n "$BENCH_MIB" ]; then
		APPEND+=" gdmabuf_bench_args=-s$top"
	else
		APPEND+=" gdmabuf_bench_args=-m$top"
	fi
	if [ -n "$BENCH_PASSES" ]; then
		[[ $BENCH_PASSES =~ ^[2-8]$ ]] || die "BENCH_PASSES is 2 to 8, not '$BENCH_PASSES'"
		APPEND+=",-p$BENCH_PASSES"
	fi
	# the whole sweep at 1 GiB took NNN s here
	TIMEOUT=${GUEST_TIMEOUT:-5400}
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

case $ARCH-$machine-$iommu in
x86_64-pc-- | x86_64-q35-- | x86_64-q35-vt-d)
	# la57=off: with 5-level paging, KASAN reports wild accesses from
	# interrupts that arrive while the boot CPU is still being set up
	# -nic none: no test uses a network, and the default NIC wants a ROM
	# qboot boots q35 too, and passes QEMU's ACPI tables (VT-d's DMAR)
	# VT-d: DMA and interrupt remapping (intremap wants the split irqchip)
	M=$machine VTD=()
	[ "$iommu" != vt-d ] || M+=,kernel-irqchip=split VTD=(-device intel-iommu,intremap=on)
	QEMU=(qemu-system-x86_64 -M "$M" -cpu max,la57=off -bios /usr/share/qemu/qboot.rom
		-nic none "${VTD[@]}")
	APPEND="console=ttyS0 $APPEND"
	[ "$iommu" != vt-d ] || APPEND+=" intel_iommu=on"
	# pc's ACPI routes PCI interrupts through an AML loop (_PRT) that this
	# kernel under TCG does not finish within ACPICA's 30 s limit: binding
	# a driver to edu took 35 s and ended in AE_AML_LOOP_TIMEOUT and no
	# IRQ. No test uses a PCI interrupt; q35's _PRT is a table, and fast.
	[ "$machine" != pc ] || APPEND+=" acpi=noirq"
	# TCG's TSC looks unstable to the clocksource watchdog, and tinyconfig
	# has no HPET to fall back on: jiffies would make times useless
	[ "$MODE" != bench ] || APPEND+=" tsc=reliable"
	;;
arm64-virt-- | arm64-virt-smmuv3)
	# pauth-impdef: QEMU's cheap pointer authentication, as kunit.py uses
	# -nic none: the default NIC wants efi-virtio.rom, which only an
	# unrelated package brings
	M=virt
	[ "$iommu" != smmuv3 ] || M+=,iommu=smmuv3
	QEMU=(qemu-system-aarch64 -M "$M" -cpu max,pauth-impdef=on -nic none)
	APPEND="console=ttyAMA0 $APPEND"
	;;
*)
	die "no QEMU setup for an $ARCH $machine machine with IOMMU '$iommu'"
	;;
esac
# edu: QEMU's educational PCI device, the DMA engine of gdmabuf_edu_test;
# 32-bit DMA addresses (its default of 28 bits is clamped silently)
[ "$edu" != yes ] || QEMU+=(-device edu,dma_mask=0xffffffff)

msg "booting $ARCH guest ($MODE: $machine, IOMMU $iommu, edu $edu), at most ${TIMEOUT}s; log: $LOG"
QEMU+=(-kernel "$OBJ/$KERNEL_IMAGE" -m "$MEM" -smp 2 -display none -monitor none
	-serial "file:$LOG" -no-reboot -initrd "$INITRAMFS" -append "$APPEND")
printf '%q ' "${QEMU[@]}" >"$LOG.qemu"
echo >>"$LOG.qemu"
rc=0
t=$SECONDS
# QEMU's own messages (VT-d logs each fault the guest is told of) go aside
timeout --foreground -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>"$LOG.qemu-stderr" || rc=$?
msg "the $ARCH $MODE guest ran $((SECONDS - t))s"
if [ $rc = 124 ] || [ $rc = 137 ]; then
	tail -n 30 "$LOG" >&2
	die "the guest did not finish within ${TIMEOUT}s; log: $LOG"
fi
if [ $rc != 0 ]; then
	cat "$LOG.qemu-stderr" >&2
	die "QEMU exited with $rc; log: $LOG"
fi
# the kselftest programs that must have run, as scripts/guests lists them
listed=$LOG.programs
: >"$listed"
for p in $programs; do
	case $p in
	-) ;;
	all) sed 's/^[^:]*://' "$KSFT/kselftest-list.txt" >>"$listed" ;;
	i386) [ -d "$KSFT-32" ] || die "no i386 kselftests for the $ARCH $MODE guest"
	      printf '%s\n' gdmabuf_test_32 gdmabuf_export_test_32 gdmabuf_stress_32 >>"$listed" ;;
	*) grep -q ":$p\$" "$KSFT/kselftest-list.txt" ||
		die "$p, which scripts/guests runs in the $ARCH $MODE guest, is not installed"
	   echo "$p" >>"$listed" ;;
	esac
done
python3 "$ROOT/scripts/guestlog.py" "$MODE" "$LOG" "$ARCH" "$listed"
[ "$kunit" = yes ] || exit 0

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
