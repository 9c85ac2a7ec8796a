#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# selftest.sh [selftest|demo|iommu|bench]: build the $ARCH $FLAVOR kernel and the
# kselftests, boot under QEMU and judge the log.
. "$(dirname "$0")/lib.sh"

MODE=${1:-selftest}
"$ROOT/scripts/kernel.sh"
"$ROOT/scripts/initramfs.sh"
"$ROOT/scripts/boot.sh" "$MODE"
