# SPDX-License-Identifier: GPL-2.0-only
# The gdmabuf bench. 'make demo' shows the driver on a booted kernel;
# 'make check' runs every test. See README.md.

# ARCH: the guest of 'make selftest' and 'make demo' (x86_64 or arm64);
# 'make check' runs every one of ARCHES.
ARCH ?= x86_64
ARCHES ?= x86_64 arm64
KUNIT_ARCH ?= um
export ARCH ARCHES KUNIT_ARCH

.PHONY: all deps source apply mirror-check regen tree kunit kernel selftest \
	checkpatch bisect demo iommu bench check clean

all: check

deps:
	@scripts/deps.sh

source: deps
	@scripts/source.sh

apply: deps
	@scripts/apply.sh

mirror-check: apply
	@scripts/mirror.sh check

tree: deps
	@scripts/tree.sh

regen: deps
	@scripts/regen.sh

kunit: apply
	@scripts/kunit.sh

kernel: apply
	@scripts/kernel.sh

selftest: apply
	@scripts/selftest.sh selftest

checkpatch: apply
	@scripts/checkpatch.sh

bisect: deps
	@scripts/bisect.sh

demo: apply
	@scripts/selftest.sh demo

# the edu test behind the ARCH guest's IOMMU (q35 with VT-d, virt with SMMUv3)
iommu: apply
	@scripts/selftest.sh iommu

# not part of 'make check': numbers to compare, never a pass or a fail
bench: apply
	@FLAVOR=bench scripts/selftest.sh bench

check:
	@scripts/check.sh

clean:
	rm -rf build/patched build/bisect-src build/git-am build/obj-* build/kunit-* \
		build/logs build/debs build/busybox-*
