// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for gdmabuf: the ioctl dispatcher, the control device, the
 * mapping arithmetic and the buffer paths KUnit can reach.
 */

#include <kunit/device.h>
#include <kunit/platform_device.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/kprobes.h>
#include <linux/scatterlist.h>
#include <linux/align.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/limits.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmap_lock.h>
#include <linux/overflow.h>
#include <linux/pgtable.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

/* A command that grew once: v0 had in/out, v1 added @extra. */
struct gdmabuf_kunit_args_v0 {
	__u32 in;
	__u32 out;
};

struct gdmabuf_kunit_args {
	__u32 in;
	__u32 out;
	__u64 extra;
};

/* What a caller built against a newer header passes. */
struct gdmabuf_kunit_args_v2 {
	struct gdmabuf_kunit_args v1;
	__u64 newer;
};

#define GDMABUF_KUNIT_CMD	_IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args)

static struct gdmabuf_kunit_args gdmabuf_kunit_seen;

/* kunit_vm_mmap() fails with 0 or with vm_mmap()'s negative errno. */
static bool gdmabuf_kunit_mmap_failed(unsigned long uaddr)
{
	return !uaddr || IS_ERR_VALUE(uaddr);
}

static long gdmabuf_kunit_handler(struct file *file, void *kdata,
				  struct gdmabuf_ioctl_ctx *ctx)
{
	struct gdmabuf_kunit_args *args = kdata;

	gdmabuf_kunit_seen = *args;
	args->out = args->in + 1;
	return 0;
}

static const struct gdmabuf_ioctl_desc gdmabuf_kunit_descs[] = {
	[_IOC_NR(GDMABUF_KUNIT_CMD)] = {
		.cmd = GDMABUF_KUNIT_CMD,
		.min_size = sizeof(struct gdmabuf_kunit_args_v0),
		.handler = gdmabuf_kunit_handler,
	},
};

static_assert(sizeof(struct gdmabuf_kunit_args) <= GDMABUF_IOCTL_MAX_SIZE);

struct gdmabuf_dispatch_case {
	const char *desc;
	unsigned int cmd;
	bool newer_nonzero;
	long expected;
	/* bytes the handler copies back */
	unsigned int copied;
};

static const struct gdmabuf_dispatch_case gdmabuf_dispatch_cases[] = {
	{ "current size", GDMABUF_KUNIT_CMD, false, 0,
	  sizeof(struct gdmabuf_kunit_args) },
	{ "first version", _IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args_v0),
	  false, 0, sizeof(struct gdmabuf_kunit_args_v0) },
	{ "newer, zero tail", _IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args_v2),
	  false, 0, sizeof(struct gdmabuf_kunit_args) },
	{ "newer, non-zero tail", _IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args_v2),
	  true, -E2BIG, 0 },
	{ "shorter than first version", _IOWR(GDMABUF_IOCTL_MAGIC, 1, __u32),
	  false, -EINVAL, 0 },
	{ "other magic", _IOWR('H', 1, struct gdmabuf_kunit_args), false, -ENOTTY, 0 },
	{ "unknown number", _IOWR(GDMABUF_IOCTL_MAGIC, 0, struct gdmabuf_kunit_args),
	  false, -ENOTTY, 0 },
	{ "number past the table", _IOWR(GDMABUF_IOCTL_MAGIC, 2, struct gdmabuf_kunit_args),
	  false, -ENOTTY, 0 },
	{ "read-only direction", _IOR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args),
	  false, -ENOTTY, 0 },
	{ "no argument", _IO(GDMABUF_IOCTL_MAGIC, 1), false, -ENOTTY, 0 },
};

static void gdmabuf_dispatch_case_desc(const struct gdmabuf_dispatch_case *c,
				       char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_dispatch, gdmabuf_dispatch_cases,
		  gdmabuf_dispatch_case_desc);

/*
 * Success: the dispatcher returns the expected errno, the handler sees the
 * caller's input zero-extended, and exactly the bytes the caller passed (and
 * the kernel knows) are written back.
 */
static void gdmabuf_ioctl_dispatch_sizes(struct kunit *test)
{
	const struct gdmabuf_dispatch_case *c = test->param_value;
	struct gdmabuf_kunit_args_v2 user_in = {
		.v1 = { .in = 41, .out = 0xdead, .extra = 0 },
		.newer = c->newer_nonzero ? 1 : 0,
	};
	struct gdmabuf_kunit_args_v2 user_out;
	unsigned long uaddr;
	long ret;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE_MSG(test, gdmabuf_kunit_mmap_failed(uaddr),
			       "no user memory for the test: %ld", (long)uaddr);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uaddr, &user_in,
					   sizeof(user_in)), 0);

	memset(&gdmabuf_kunit_seen, 0xff, sizeof(gdmabuf_kunit_seen));
	ret = gdmabuf_ioctl_dispatch(gdmabuf_kunit_descs,
				     ARRAY_SIZE(gdmabuf_kunit_descs), NULL,
				     c->cmd, uaddr);
	KUNIT_EXPECT_EQ(test, ret, c->expected);

	KUNIT_ASSERT_EQ(test, copy_from_user(&user_out, (void __user *)uaddr,
					     sizeof(user_out)), 0);
	if (c->expected) {
		KUNIT_EXPECT_MEMEQ(test, &user_out, &user_in, sizeof(user_in));
		return;
	}

	KUNIT_EXPECT_EQ(test, gdmabuf_kunit_seen.in, 41);
	KUNIT_EXPECT_EQ(test, gdmabuf_kunit_seen.extra, 0);
	KUNIT_EXPECT_EQ(test, user_out.v1.out, 42);
	/* Nothing past what was copied back changed. */
	KUNIT_EXPECT_MEMEQ(test, (u8 *)&user_out + c->copied,
			   (u8 *)&user_in + c->copied, sizeof(user_in) - c->copied);
}

/* Success: a NULL or unmapped argument pointer gives -EFAULT, not a crash. */
static void gdmabuf_ioctl_dispatch_bad_pointer(struct kunit *test)
{
	unsigned long uaddr;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE_MSG(test, gdmabuf_kunit_mmap_failed(uaddr),
			       "no user memory for the test: %ld", (long)uaddr);

	KUNIT_EXPECT_EQ(test, gdmabuf_ioctl_dispatch(gdmabuf_kunit_descs,
						     ARRAY_SIZE(gdmabuf_kunit_descs),
						     NULL, GDMABUF_KUNIT_CMD, 0),
			-EFAULT);
	/* Readable but not writable: the copy back fails. */
	KUNIT_EXPECT_EQ(test, gdmabuf_ioctl_dispatch(gdmabuf_kunit_descs,
						     ARRAY_SIZE(gdmabuf_kunit_descs),
						     NULL, GDMABUF_KUNIT_CMD, uaddr),
			-EFAULT);
}

/*
 * Success: the node devtmpfs makes for the control device is /dev/gdmabuf,
 * root-only (a mode of 0 would be devtmpfs' default, 0600, too).
 */
static void gdmabuf_init_root_only_node(struct kunit *test)
{
	struct device *dev = gdmabuf_misc.this_device;
	umode_t mode = 0;
	char *node;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_TRUE(test, dev->class && dev->class->devnode);
	/* what devtmpfs asks: a node name and mode, or NULL for dev_name() */
	node = dev->class->devnode(dev, &mode);
	KUNIT_EXPECT_STREQ(test, node ?: dev_name(dev), "gdmabuf");
	kfree(node);
	KUNIT_EXPECT_TRUE_MSG(test, !mode || mode == 0600, "node mode %#o", mode);
}

static const unsigned int gdmabuf_ctl_unknown_cmds[] = {
	_IO(GDMABUF_IOCTL_MAGIC, 0),
	_IOWR(GDMABUF_IOCTL_MAGIC, 0x1f, __u64),
	_IOR(GDMABUF_IOCTL_MAGIC, 0xff, __u32),
	_IOWR('H', 0, __u64),
	0,
};

/* Success: the control device answers every command it lacks with -ENOTTY. */
static void gdmabuf_ctl_ioctl_unknown(struct kunit *test)
{
	const struct file_operations *fops = gdmabuf_misc.fops;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, fops->unlocked_ioctl);
	for (i = 0; i < ARRAY_SIZE(gdmabuf_ctl_unknown_cmds); i++)
		KUNIT_EXPECT_EQ_MSG(test, fops->unlocked_ioctl(NULL,
							       gdmabuf_ctl_unknown_cmds[i], 0),
				    -ENOTTY, "cmd %#x", gdmabuf_ctl_unknown_cmds[i]);
}

static struct kunit_case gdmabuf_ioctl_cases[] = {
	KUNIT_CASE_PARAM(gdmabuf_ioctl_dispatch_sizes, gdmabuf_dispatch_gen_params),
	KUNIT_CASE(gdmabuf_ioctl_dispatch_bad_pointer),
	KUNIT_CASE(gdmabuf_init_root_only_node),
	KUNIT_CASE(gdmabuf_ctl_ioctl_unknown),
	{}
};

static struct kunit_suite gdmabuf_ioctl_suite = {
	.name = "gdmabuf_ioctl",
	.test_cases = gdmabuf_ioctl_cases,
};

struct gdmabuf_align_case {
	const char *desc;
	unsigned long addr;
	unsigned long phase;
	unsigned long expected;
};

static const struct gdmabuf_align_case gdmabuf_align_cases[] = {
	{ "aligned, phase 0", 4 * SZ_2M, 0, 4 * SZ_2M },
	{ "one page above, phase 0", 4 * SZ_2M + PAGE_SIZE, 0, 5 * SZ_2M },
	{ "one page below, phase 0", 4 * SZ_2M - PAGE_SIZE, 0, 4 * SZ_2M },
	{ "aligned, phase one page", 4 * SZ_2M, PAGE_SIZE, 4 * SZ_2M + PAGE_SIZE },
	{ "already in phase", 4 * SZ_2M + SZ_1M, SZ_1M, 4 * SZ_2M + SZ_1M },
	{ "just past the phase", 4 * SZ_2M + SZ_1M + PAGE_SIZE, SZ_1M, 5 * SZ_2M + SZ_1M },
	{ "last page of a block", 5 * SZ_2M - PAGE_SIZE, SZ_2M - PAGE_SIZE,
	  5 * SZ_2M - PAGE_SIZE },
};

static void gdmabuf_align_case_desc(const struct gdmabuf_align_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_align, gdmabuf_align_cases, gdmabuf_align_case_desc);

/*
 * Success: the address is the lowest one at or above the free range's start
 * that is congruent to the mapping's offset modulo 2 MiB.
 */
static void gdmabuf_align_addr_table(struct kunit *test)
{
	const struct gdmabuf_align_case *c = test->param_value;
	unsigned long got = gdmabuf_align_addr(c->addr, c->phase, SZ_2M);

	KUNIT_EXPECT_EQ(test, got, c->expected);
	KUNIT_EXPECT_EQ(test, got & (SZ_2M - 1), c->phase);
	KUNIT_EXPECT_GE(test, got, c->addr);
	KUNIT_EXPECT_LT(test, got - c->addr, SZ_2M);
}

/*
 * The mapping arithmetic. Sizes and addresses are written in pages and huge
 * blocks, so the tables hold for every page size and page table geometry.
 */

/* A small buffer for the byte range tables. */
#define GDMABUF_KUNIT_SIZE	(4 * PAGE_SIZE)

struct gdmabuf_range_case {
	const char *desc;
	u64 size;
	u64 offset;
	u64 len;
	bool valid;
};

static const struct gdmabuf_range_case gdmabuf_range_cases[] = {
	{ "whole buffer", GDMABUF_KUNIT_SIZE, 0, GDMABUF_KUNIT_SIZE, true },
	{ "first byte", GDMABUF_KUNIT_SIZE, 0, 1, true },
	{ "last byte", GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE - 1, 1, true },
	{ "last page", GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE - PAGE_SIZE,
	  PAGE_SIZE, true },
	{ "middle to the end", GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE / 2,
	  GDMABUF_KUNIT_SIZE / 2, true },
	{ "zero length at the start", GDMABUF_KUNIT_SIZE, 0, 0, false },
	{ "zero length inside", GDMABUF_KUNIT_SIZE, PAGE_SIZE, 0, false },
	{ "zero length at the end", GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE, 0,
	  false },
	{ "len one past the end", GDMABUF_KUNIT_SIZE, 0, GDMABUF_KUNIT_SIZE + 1,
	  false },
	{ "len one past the end from the middle", GDMABUF_KUNIT_SIZE,
	  GDMABUF_KUNIT_SIZE / 2, GDMABUF_KUNIT_SIZE / 2 + 1, false },
	{ "last byte and one more", GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE - 1,
	  2, false },
	{ "offset == size", GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE, 1, false },
	{ "offset past size", GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE + 1, 1,
	  false },
	{ "empty buffer", 0, 0, 1, false },
	{ "empty buffer, zero length", 0, 0, 0, false },
	{ "offset U64_MAX", GDMABUF_KUNIT_SIZE, U64_MAX, 1, false },
	{ "offset U64_MAX, zero length", GDMABUF_KUNIT_SIZE, U64_MAX, 0, false },
	{ "len U64_MAX", GDMABUF_KUNIT_SIZE, 0, U64_MAX, false },
	{ "offset + len wraps to 0", GDMABUF_KUNIT_SIZE, 1, U64_MAX, false },
	{ "offset + len wraps into the buffer", GDMABUF_KUNIT_SIZE, PAGE_SIZE,
	  U64_MAX - PAGE_SIZE + 2, false },
	{ "offset and len U64_MAX", GDMABUF_KUNIT_SIZE, U64_MAX, U64_MAX, false },
	{ "size U64_MAX, whole buffer", U64_MAX, 0, U64_MAX, true },
	{ "size U64_MAX, last byte", U64_MAX, U64_MAX - 1, 1, true },
	{ "size U64_MAX, offset U64_MAX", U64_MAX, U64_MAX, 1, false },
	{ "size U64_MAX, offset + len wraps to 0", U64_MAX, U64_MAX - 1, 2,
	  false },
	{ "size U64_MAX, len U64_MAX from 1", U64_MAX, 1, U64_MAX, false },
};

static void gdmabuf_range_case_desc(const struct gdmabuf_range_case *c,
				    char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_range, gdmabuf_range_cases, gdmabuf_range_case_desc);

/* Success: each range is accepted exactly when it is non-empty and inside. */
static void gdmabuf_range_valid_table(struct kunit *test)
{
	const struct gdmabuf_range_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, gdmabuf_range_valid(c->size, c->offset, c->len),
			c->valid);
}

/* Values around every edge: 0, a page, half of u64 and U64_MAX. */
static const u64 gdmabuf_range_values[] = {
	0, 1, 2, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, U64_MAX / 2,
	U64_MAX / 2 + 1, U64_MAX - PAGE_SIZE, U64_MAX - 1, U64_MAX,
};

/*
 * Success: for every combination of the edge values as size, offset and
 * len, the answer matches a check done with check_add_overflow().
 */
static void gdmabuf_range_valid_exhaustive(struct kunit *test)
{
	unsigned int i, j, k;

	for (i = 0; i < ARRAY_SIZE(gdmabuf_range_values); i++) {
		for (j = 0; j < ARRAY_SIZE(gdmabuf_range_values); j++) {
			for (k = 0; k < ARRAY_SIZE(gdmabuf_range_values); k++) {
				u64 size = gdmabuf_range_values[i];
				u64 offset = gdmabuf_range_values[j];
				u64 len = gdmabuf_range_values[k];
				bool expected;
				u64 end;

				expected = len && !check_add_overflow(offset, len, &end) &&
					   end <= size;
				KUNIT_EXPECT_EQ_MSG(test,
						    gdmabuf_range_valid(size, offset, len),
						    expected,
						    "size %#llx offset %#llx len %#llx",
						    size, offset, len);
			}
		}
	}
}

/* One physically contiguous buffer of 1024 pages. */
static const struct gdmabuf_segment gdmabuf_kunit_contig_segs[] = {
	{ .pgoff = 0, .pfn = 0x80000, .npages = 1024, .dma_addr = 0xfe000000 },
};

/*
 * A scatter-gather buffer of 544 pages: segments of one page, a few pages
 * and many pages, frames in no particular order, an odd count so that the
 * binary search meets uneven halves.
 */
static const struct gdmabuf_segment gdmabuf_kunit_sg_segs[] = {
	{ .pgoff = 0, .pfn = 0x1000, .npages = 1, .dma_addr = 0x10000000 },
	{ .pgoff = 1, .pfn = 0x2003, .npages = 3, .dma_addr = 0x10001000 },
	{ .pgoff = 4, .pfn = 0x40000, .npages = 512, .dma_addr = 0x20000000 },
	{ .pgoff = 516, .pfn = 0x1001, .npages = 2, .dma_addr = 0x10004000 },
	{ .pgoff = 518, .pfn = 0x7fff0, .npages = 16, .dma_addr = 0x30000000 },
	{ .pgoff = 534, .pfn = 0x3000, .npages = 1, .dma_addr = 0x10006000 },
	{ .pgoff = 535, .pfn = 0x50000, .npages = 9, .dma_addr = 0x40000000 },
};

/* What gdmabuf_pgoff_to_pfn() leaves in *pfn and *contig when it fails. */
#define GDMABUF_KUNIT_UNTOUCHED	0x5a5a5a5aUL

struct gdmabuf_pgoff_case {
	const char *desc;
	pgoff_t pgoff;
	/* segment index or -ERANGE */
	int index;
	unsigned long pfn;
	unsigned long contig;
};

static const struct gdmabuf_pgoff_case gdmabuf_pgoff_contig_cases[] = {
	{ "first page", 0, 0, 0x80000, 1024 },
	{ "second page", 1, 0, 0x80001, 1023 },
	{ "middle page", 512, 0, 0x80200, 512 },
	{ "last page", 1023, 0, 0x803ff, 1 },
	{ "one past the end", 1024, -ERANGE },
	{ "far past the end", ULONG_MAX, -ERANGE },
};

static const struct gdmabuf_pgoff_case gdmabuf_pgoff_sg_cases[] = {
	{ "segment 0, only page", 0, 0, 0x1000, 1 },
	{ "segment 1, first page", 1, 1, 0x2003, 3 },
	{ "segment 1, last page", 3, 1, 0x2005, 1 },
	{ "segment 2, first page", 4, 2, 0x40000, 512 },
	{ "segment 2, middle page", 260, 2, 0x40100, 256 },
	{ "segment 2, last page", 515, 2, 0x401ff, 1 },
	{ "segment 3, first page", 516, 3, 0x1001, 2 },
	{ "segment 3, last page", 517, 3, 0x1002, 1 },
	{ "segment 4, first page", 518, 4, 0x7fff0, 16 },
	{ "segment 4, last page", 533, 4, 0x7ffff, 1 },
	{ "segment 5, only page", 534, 5, 0x3000, 1 },
	{ "segment 6, first page", 535, 6, 0x50000, 9 },
	{ "segment 6, last page", 543, 6, 0x50008, 1 },
	{ "one past the end", 544, -ERANGE },
	{ "far past the end", ULONG_MAX, -ERANGE },
};

static void gdmabuf_pgoff_case_desc(const struct gdmabuf_pgoff_case *c,
				    char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_pgoff_contig, gdmabuf_pgoff_contig_cases,
		  gdmabuf_pgoff_case_desc);
KUNIT_ARRAY_PARAM(gdmabuf_pgoff_sg, gdmabuf_pgoff_sg_cases,
		  gdmabuf_pgoff_case_desc);

static void gdmabuf_pgoff_check(struct kunit *test,
				const struct gdmabuf_segment *segs,
				unsigned int nsegs)
{
	const struct gdmabuf_pgoff_case *c = test->param_value;
	unsigned long pfn = GDMABUF_KUNIT_UNTOUCHED;
	unsigned long contig = GDMABUF_KUNIT_UNTOUCHED;

	KUNIT_ASSERT_EQ(test, gdmabuf_pgoff_to_pfn(segs, nsegs, c->pgoff, &pfn,
						   &contig), c->index);
	if (c->index < 0) {
		KUNIT_EXPECT_EQ(test, pfn, GDMABUF_KUNIT_UNTOUCHED);
		KUNIT_EXPECT_EQ(test, contig, GDMABUF_KUNIT_UNTOUCHED);
		return;
	}
	KUNIT_EXPECT_EQ(test, pfn, c->pfn);
	KUNIT_EXPECT_EQ(test, contig, c->contig);
}

/*
 * Success: in a one-segment buffer every page maps to the matching frame
 * with the rest of the buffer contiguous, and pages past the end give
 * -ERANGE and leave the outputs alone.
 */
static void gdmabuf_pgoff_to_pfn_contiguous(struct kunit *test)
{
	gdmabuf_pgoff_check(test, gdmabuf_kunit_contig_segs,
			    ARRAY_SIZE(gdmabuf_kunit_contig_segs));
}

/*
 * Success: the first and last page of every segment map to the right
 * segment, frame and remaining length; pages past the end give -ERANGE.
 */
static void gdmabuf_pgoff_to_pfn_scatter_gather(struct kunit *test)
{
	gdmabuf_pgoff_check(test, gdmabuf_kunit_sg_segs,
			    ARRAY_SIZE(gdmabuf_kunit_sg_segs));
}

/* Success: a table without segments holds no page, with or without a base. */
static void gdmabuf_pgoff_to_pfn_empty(struct kunit *test)
{
	static const pgoff_t pgoffs[] = { 0, 1, ULONG_MAX };
	unsigned long pfn = GDMABUF_KUNIT_UNTOUCHED;
	unsigned long contig = GDMABUF_KUNIT_UNTOUCHED;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pgoffs); i++) {
		KUNIT_EXPECT_EQ(test, gdmabuf_pgoff_to_pfn(NULL, 0, pgoffs[i],
							   &pfn, &contig),
				-ERANGE);
		KUNIT_EXPECT_EQ(test, gdmabuf_pgoff_to_pfn(gdmabuf_kunit_sg_segs, 0,
							   pgoffs[i], &pfn, &contig),
				-ERANGE);
	}
	KUNIT_EXPECT_EQ(test, pfn, GDMABUF_KUNIT_UNTOUCHED);
	KUNIT_EXPECT_EQ(test, contig, GDMABUF_KUNIT_UNTOUCHED);
}

/*
 * Success: for every table made of the first n scatter-gather segments
 * (n = 0 to all of them) and every page up to one past the end, the binary
 * search agrees with a linear scan.
 */
static void gdmabuf_pgoff_to_pfn_every_page(struct kunit *test)
{
	const struct gdmabuf_segment *segs = gdmabuf_kunit_sg_segs;
	unsigned int n, i;

	for (n = 0; n <= ARRAY_SIZE(gdmabuf_kunit_sg_segs); n++) {
		pgoff_t npages = n ? segs[n - 1].pgoff + segs[n - 1].npages : 0;
		pgoff_t pgoff;

		for (pgoff = 0; pgoff <= npages; pgoff++) {
			unsigned long pfn = GDMABUF_KUNIT_UNTOUCHED;
			unsigned long contig = GDMABUF_KUNIT_UNTOUCHED;
			unsigned long skip;
			int index = -ERANGE;
			int ret;

			for (i = 0; i < n; i++) {
				if (pgoff - segs[i].pgoff < segs[i].npages)
					index = i;
			}

			ret = gdmabuf_pgoff_to_pfn(segs, n, pgoff, &pfn, &contig);
			KUNIT_ASSERT_EQ_MSG(test, ret, index, "%u segments, page %lu",
					    n, pgoff);
			if (index < 0)
				continue;
			skip = pgoff - segs[index].pgoff;
			KUNIT_ASSERT_EQ_MSG(test, pfn, segs[index].pfn + skip,
					    "%u segments, page %lu", n, pgoff);
			KUNIT_ASSERT_EQ_MSG(test, contig, segs[index].npages - skip,
					    "%u segments, page %lu", n, pgoff);
		}
	}
}

struct gdmabuf_sync_case {
	const char *desc;
	u64 offset;
	u64 len;
	u64 size;
	unsigned int align;
	u64 start;
	u64 end;
};

static const struct gdmabuf_sync_case gdmabuf_sync_cases[] = {
	{ "64: aligned start and end", 64, 128, GDMABUF_KUNIT_SIZE, 64, 64, 192 },
	{ "64: whole buffer", 0, GDMABUF_KUNIT_SIZE, GDMABUF_KUNIT_SIZE, 64, 0,
	  GDMABUF_KUNIT_SIZE },
	{ "64: unaligned start", 65, 63, GDMABUF_KUNIT_SIZE, 64, 64, 128 },
	{ "64: unaligned end", 64, 65, GDMABUF_KUNIT_SIZE, 64, 64, 192 },
	{ "64: unaligned start and end", 100, 100, GDMABUF_KUNIT_SIZE, 64, 64,
	  256 },
	{ "64: first byte", 0, 1, GDMABUF_KUNIT_SIZE, 64, 0, 64 },
	{ "64: last byte of a line", 127, 1, GDMABUF_KUNIT_SIZE, 64, 64, 128 },
	{ "64: first byte of a line", 128, 1, GDMABUF_KUNIT_SIZE, 64, 128, 192 },
	{ "64: last byte", GDMABUF_KUNIT_SIZE - 1, 1, GDMABUF_KUNIT_SIZE, 64,
	  GDMABUF_KUNIT_SIZE - 64, GDMABUF_KUNIT_SIZE },
	{ "64: across a page boundary", PAGE_SIZE - 10, 20, GDMABUF_KUNIT_SIZE,
	  64, PAGE_SIZE - 64, PAGE_SIZE + 64 },
	{ "64: end clamped to an unaligned size", 900, 100, 1000, 64, 896, 1000 },
	{ "64: last byte of an unaligned size", 999, 1, 1000, 64, 960, 1000 },
	{ "64: end clamped to U64_MAX", U64_MAX - 10, 10, U64_MAX, 64,
	  U64_MAX - 63, U64_MAX },
	{ "128: aligned start and end", 128, 256, GDMABUF_KUNIT_SIZE, 128, 128,
	  384 },
	{ "128: start and end aligned to 64 only", 64, 128, GDMABUF_KUNIT_SIZE,
	  128, 0, 256 },
	{ "128: unaligned start", 129, 127, GDMABUF_KUNIT_SIZE, 128, 128, 256 },
	{ "128: unaligned end", 128, 129, GDMABUF_KUNIT_SIZE, 128, 128, 384 },
	{ "128: unaligned start and end", 100, 100, GDMABUF_KUNIT_SIZE, 128, 0,
	  256 },
	{ "128: last byte of a line", 127, 1, GDMABUF_KUNIT_SIZE, 128, 0, 128 },
	{ "128: last byte", GDMABUF_KUNIT_SIZE - 1, 1, GDMABUF_KUNIT_SIZE, 128,
	  GDMABUF_KUNIT_SIZE - 128, GDMABUF_KUNIT_SIZE },
	{ "128: end clamped to a size aligned to 64 only", PAGE_SIZE + 1, 1,
	  PAGE_SIZE + 64, 128, PAGE_SIZE, PAGE_SIZE + 64 },
	{ "128: end clamped to an unaligned size", 900, 100, 1000, 128, 896,
	  1000 },
	{ "128: end below U64_MAX not clamped", U64_MAX - 200, 10, U64_MAX, 128,
	  U64_MAX - 255, U64_MAX - 127 },
	{ "128: end clamped to U64_MAX", U64_MAX - 1, 1, U64_MAX, 128,
	  U64_MAX - 127, U64_MAX },
	{ "1: nothing widened", 100, 100, GDMABUF_KUNIT_SIZE, 1, 100, 200 },
	{ "0: taken as 1", 100, 100, GDMABUF_KUNIT_SIZE, 0, 100, 200 },
	{ "page: widened to whole pages", PAGE_SIZE + 100, 100,
	  GDMABUF_KUNIT_SIZE, PAGE_SIZE, PAGE_SIZE, 2 * PAGE_SIZE },
};

static void gdmabuf_sync_case_desc(const struct gdmabuf_sync_case *c,
				   char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_sync, gdmabuf_sync_cases, gdmabuf_sync_case_desc);

/* Success: start and end are the expected aligned, clamped bounds. */
static void gdmabuf_sync_range_align_table(struct kunit *test)
{
	const struct gdmabuf_sync_case *c = test->param_value;
	u64 start, end;

	KUNIT_ASSERT_TRUE(test, gdmabuf_range_valid(c->size, c->offset, c->len));
	gdmabuf_sync_range_align(c->offset, c->len, c->size, c->align, &start,
				 &end);
	KUNIT_EXPECT_EQ(test, start, c->start);
	KUNIT_EXPECT_EQ(test, end, c->end);
}

/*
 * Success: for every power of two up to 256, two buffer sizes (a multiple
 * of every such alignment and one that is not) and every valid range,
 * start and end match round_down() and round_up() clamped to the size.
 */
static void gdmabuf_sync_range_align_exhaustive(struct kunit *test)
{
	static const u64 sizes[] = { 256, 250 };
	unsigned int align, i;

	for (align = 1; align <= 256; align *= 2) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			u64 size = sizes[i];
			u64 offset, len;

			for (offset = 0; offset < size; offset++) {
				for (len = 1; len <= size - offset; len++) {
					u64 exp_start = round_down(offset, (u64)align);
					u64 exp_end = min(round_up(offset + len, (u64)align),
							  size);
					u64 start, end;

					gdmabuf_sync_range_align(offset, len, size, align,
								 &start, &end);
					if (start == exp_start && end == exp_end)
						continue;
					KUNIT_FAIL(test,
						   "align %u size %llu [%llu, +%llu): got [%llu, %llu), expected [%llu, %llu)",
						   align, size, offset, len, start, end,
						   exp_start, exp_end);
					return;
				}
			}
		}
	}
}

/* Success: a range past the end, though a caller bug, never syncs past it. */
static void gdmabuf_sync_range_align_unchecked(struct kunit *test)
{
	u64 start, end;

	gdmabuf_sync_range_align(PAGE_SIZE, 2 * PAGE_SIZE, PAGE_SIZE, 64,
				 &start, &end);
	KUNIT_EXPECT_EQ(test, start, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, end, PAGE_SIZE);
	gdmabuf_sync_range_align(1, U64_MAX, PAGE_SIZE, 64, &start, &end);
	KUNIT_EXPECT_EQ(test, start, 0);
	KUNIT_EXPECT_EQ(test, end, PAGE_SIZE);
}

static struct kunit_case gdmabuf_mapping_cases[] = {
	KUNIT_CASE_PARAM(gdmabuf_align_addr_table, gdmabuf_align_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_range_valid_table, gdmabuf_range_gen_params),
	KUNIT_CASE(gdmabuf_range_valid_exhaustive),
	KUNIT_CASE_PARAM(gdmabuf_pgoff_to_pfn_contiguous,
			 gdmabuf_pgoff_contig_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_pgoff_to_pfn_scatter_gather,
			 gdmabuf_pgoff_sg_gen_params),
	KUNIT_CASE(gdmabuf_pgoff_to_pfn_empty),
	KUNIT_CASE(gdmabuf_pgoff_to_pfn_every_page),
	KUNIT_CASE_PARAM(gdmabuf_sync_range_align_table, gdmabuf_sync_gen_params),
	KUNIT_CASE(gdmabuf_sync_range_align_exhaustive),
	KUNIT_CASE(gdmabuf_sync_range_align_unchecked),
	{}
};

static struct kunit_suite gdmabuf_mapping_suite = {
	.name = "gdmabuf_mapping",
	.test_cases = gdmabuf_mapping_cases,
};

struct gdmabuf_kind {
	const char *desc;
	u32 mem_type;
	u32 layout;
};

static const struct gdmabuf_kind gdmabuf_kinds[] = {
	{ "cached, contiguous", GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS },
	{ "cached, scatter-gather", GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_SCATTER_GATHER },
	{ "coherent", GDMABUF_MEM_COHERENT, GDMABUF_LAYOUT_CONTIGUOUS },
	{ "write-combine", GDMABUF_MEM_WRITE_COMBINE, GDMABUF_LAYOUT_CONTIGUOUS },
};

static void gdmabuf_kind_desc(const struct gdmabuf_kind *k, char *desc)
{
	strscpy(desc, k->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_kind, gdmabuf_kinds, gdmabuf_kind_desc);

#define GDMABUF_KUNIT_BUF_SIZE	(SZ_2M + 3 * PAGE_SIZE)

static void gdmabuf_kunit_put(void *buf)
{
	gdmabuf_buffer_put(buf);
}

static struct gdmabuf_buffer *gdmabuf_kunit_create(struct kunit *test,
						   const struct gdmabuf_kind *k)
{
	struct gdmabuf_buffer *buf;

	buf = gdmabuf_buffer_create(gdmabuf_own_device(), GDMABUF_KUNIT_BUF_SIZE,
				    k->mem_type, k->layout);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_put, buf), 0);
	return buf;
}

/*
 * Success: a buffer of each type and layout is allocated, its segments
 * cover it exactly and in order, and it is freed without a leak.
 */
static void gdmabuf_buffer_create_kinds(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	unsigned long pages = 0;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, buf->size, GDMABUF_KUNIT_BUF_SIZE);
	KUNIT_EXPECT_NE(test, buf->id, 0);
	if (k->layout == GDMABUF_LAYOUT_CONTIGUOUS)
		KUNIT_EXPECT_EQ(test, buf->nsegs, 1);
	else
		KUNIT_EXPECT_GE(test, buf->nsegs, 2);
	for (i = 0; i < buf->nsegs; i++) {
		KUNIT_EXPECT_EQ(test, buf->segs[i].pgoff, pages);
		KUNIT_EXPECT_NE(test, buf->segs[i].npages, 0);
		pages += buf->segs[i].npages;
	}
	KUNIT_EXPECT_EQ(test, pages, GDMABUF_KUNIT_BUF_SIZE >> PAGE_SHIFT);
	if (buf->coherent)
		KUNIT_EXPECT_EQ(test, buf->cpu_mapping, GDMABUF_CPU_CACHED);
}

static const unsigned int gdmabuf_narrow_mask_bits[] = { 32, 30, 24 };

static void gdmabuf_narrow_mask_desc(const unsigned int *bits, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u-bit mask", *bits);
}

KUNIT_ARRAY_PARAM(gdmabuf_narrow_mask, gdmabuf_narrow_mask_bits, gdmabuf_narrow_mask_desc);

/*
 * Success: for a device whose DMA mask does not cover all memory, every
 * scatter-gather block lies where the device reaches it, at its own
 * address (never in a bounce buffer). Where no zone is that low (x86
 * without ZONE_DMA; arm64 virt, whose RAM starts at 1 GiB), it may fail
 * with -ENOMEM, quietly.
 */
static void gdmabuf_buffer_create_narrow_mask(struct kunit *test)
{
	const unsigned int *bits = test->param_value;
	struct device *dev = kunit_device_register(test, "gdmabuf-narrow");
	u64 mask = DMA_BIT_MASK(*bits);
	struct gdmabuf_buffer *buf;
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->coherent_dma_mask = mask;
	dev->dma_mask = &dev->coherent_dma_mask;
	if (device_iommu_mapped(dev))
		kunit_skip(test, "the device is behind an IOMMU");

	buf = gdmabuf_buffer_create(dev, SZ_4M + 3 * PAGE_SIZE, GDMABUF_MEM_CACHED,
				    GDMABUF_LAYOUT_SCATTER_GATHER);
	/* x86's ZONE_DMA is the low 16 MiB: every mask of 24 bits reaches it */
	if (!(*bits >= 32 && IS_ENABLED(CONFIG_ZONE_DMA32)) &&
	    !(IS_ENABLED(CONFIG_X86) && IS_ENABLED(CONFIG_ZONE_DMA)) &&
	    PTR_ERR_OR_ZERO(buf) == -ENOMEM)
		return;
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_put, buf), 0);
	for (i = 0; i < buf->nsegs; i++) {
		const struct gdmabuf_segment *seg = &buf->segs[i];

		KUNIT_EXPECT_LE_MSG(test, seg->dma_addr + (seg->npages << PAGE_SHIFT) - 1,
				    mask, "segment %u", i);
		KUNIT_EXPECT_EQ_MSG(test, seg->dma_addr, phys_to_dma(dev, PFN_PHYS(seg->pfn)),
				    "segment %u bounced", i);
	}
}

static void gdmabuf_kunit_dma_buf_put(void *dmabuf)
{
	dma_buf_put(dmabuf);
}

static struct dma_buf *gdmabuf_kunit_export(struct kunit *test,
					    struct gdmabuf_buffer *buf)
{
	struct dma_buf *dmabuf = gdmabuf_buffer_export(buf, O_RDWR);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_dma_buf_put,
							dmabuf), 0);
	return dmabuf;
}

/* An importer with the given DMA mask, on the KUnit bus. */
static struct device *gdmabuf_kunit_importer(struct kunit *test, u64 mask)
{
	struct device *dev = kunit_device_register(test, "gdmabuf-importer");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	/* Set directly: dma_set_mask() refuses masks this small. */
	dev->coherent_dma_mask = mask;
	dev->dma_mask = &dev->coherent_dma_mask;
	return dev;
}

/* Map @buf read-write and shared into the test's mm, through a buffer file. */
static unsigned long gdmabuf_kunit_map(struct kunit *test, struct gdmabuf_buffer *buf)
{
	unsigned long uaddr;
	struct file *file;

	/* The file owns a reference from here on. */
	kref_get(&buf->ref);
	file = gdmabuf_buffer_file(buf, O_RDWR);
	if (IS_ERR(file))
		gdmabuf_buffer_put(buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);

	uaddr = kunit_vm_mmap(test, file, 0, buf->size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, 0);
	fput(file);
	KUNIT_ASSERT_FALSE_MSG(test, gdmabuf_kunit_mmap_failed(uaddr),
			       "vm_mmap of the buffer failed: %ld", (long)uaddr);
	return uaddr;
}

/*
 * Success: a buffer mapped with vm_mmap() through its file reads as zeros,
 * keeps what is written through the mapping, and the mapping is counted.
 */
static void gdmabuf_buffer_mmap_kinds(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	unsigned long uaddr = gdmabuf_kunit_map(test, buf);
	unsigned long last = GDMABUF_KUNIT_BUF_SIZE - sizeof(u64);
	u64 val = 1;

	KUNIT_EXPECT_EQ(test, atomic_read(&buf->mappings), 1);
	KUNIT_ASSERT_EQ(test, get_user(val, (u64 __user *)(uaddr + last)), 0);
	KUNIT_EXPECT_EQ(test, val, 0);
	KUNIT_ASSERT_EQ(test, put_user(0x67646d6162756621ULL,
				       (u64 __user *)(uaddr + last)), 0);
	KUNIT_ASSERT_EQ(test, get_user(val, (u64 __user *)(uaddr + last)), 0);
	KUNIT_EXPECT_EQ(test, val, 0x67646d6162756621ULL);
}

/*
 * The page-protection bits that choose the memory type (cacheable,
 * uncached, write-combining), on the architectures whose bits we know.
 */
static bool gdmabuf_kunit_memtype(pgprot_t prot, u64 *memtype)
{
#if defined(CONFIG_X86)
	*memtype = pgprot_val(prot) & _PAGE_CACHE_MASK;
	return true;
#elif defined(CONFIG_ARM64)
	*memtype = pgprot_val(prot) & PTE_ATTRINDX_MASK;
	return true;
#else
	return false;
#endif
}

/* The kernel's page protection for memory the CPU maps as @cpu_mapping. */
static pgprot_t gdmabuf_kunit_kernel_prot(u32 cpu_mapping)
{
	switch (cpu_mapping) {
	case GDMABUF_CPU_UNCACHED:
		/* what dma_alloc_attrs() gives a non-coherent device */
		return pgprot_dmacoherent(PAGE_KERNEL);
	case GDMABUF_CPU_WRITE_COMBINE:
		return pgprot_writecombine(PAGE_KERNEL);
	default:
		return PAGE_KERNEL;
	}
}

/* The page protection of the user page at @uaddr, faulted in already. */
static pgprot_t gdmabuf_kunit_user_prot(struct kunit *test, unsigned long uaddr)
{
	struct follow_pfnmap_args args = { .address = uaddr };
	struct mm_struct *mm = current->mm;
	pgprot_t prot;
	int ret;

	mmap_read_lock(mm);
	args.vma = vma_lookup(mm, uaddr);
	if (args.vma && !(args.vma->vm_flags & (VM_IO | VM_PFNMAP))) {
		/* pages, which the core maps with the VMA's protection */
		prot = args.vma->vm_page_prot;
		ret = 0;
	} else {
		ret = args.vma ? follow_pfnmap_start(&args) : -EFAULT;
		if (!ret) {
			prot = args.pgprot;
			follow_pfnmap_end(&args);
		}
	}
	mmap_read_unlock(mm);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "nothing mapped at the user address");
	return prot;
}

/*
 * Success: INFO reports a buffer device-coherent exactly where its device
 * snoops CPU caches, whatever the memory type. For gdmabuf's own device,
 * which no firmware describes, that is x86 and UML; on arm64 it is not,
 * and the memory-type and cache-maintenance tests below take the
 * non-coherent paths (the latter may not skip there).
 */
static void gdmabuf_buffer_ioctl_info_coherent(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	struct gdmabuf_info __user *uinfo;
	struct gdmabuf_info info = {};
	unsigned long uaddr;
	struct file *file;
	long ret;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE_MSG(test, gdmabuf_kunit_mmap_failed(uaddr),
			       "no user memory for the test: %ld", (long)uaddr);
	uinfo = (struct gdmabuf_info __user *)uaddr;
	KUNIT_ASSERT_EQ(test, copy_to_user(uinfo, &info, sizeof(info)), 0);

	/* The file owns a reference from here on. */
	kref_get(&buf->ref);
	file = gdmabuf_buffer_file(buf, O_RDWR);
	if (IS_ERR(file))
		gdmabuf_buffer_put(buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	ret = file->f_op->unlocked_ioctl(file, GDMABUF_IOCTL_INFO, uaddr);
	fput(file);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&info, uinfo, sizeof(info)), 0);

	KUNIT_EXPECT_EQ(test, !!(info.attrs & GDMABUF_ATTR_DEVICE_COHERENT),
			dev_is_dma_coherent(buf->dev));
}

/*
 * Success: the user mapping has the memory type that INFO reports, which
 * for coherent and write-combine memory is the kernel's own: cacheable
 * only where the device snoops CPU caches. On a non-coherent device, a
 * cacheable alias of uncached memory fails here.
 */
static void gdmabuf_buffer_mmap_memtype(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	bool coherent = dev_is_dma_coherent(buf->dev);
	u64 cacheable, expected, actual;
	unsigned long uaddr, last;
	u64 val;

	if (!gdmabuf_kunit_memtype(PAGE_KERNEL, &cacheable))
		kunit_skip(test, "memory-type bits of this architecture not known here");

	if (k->mem_type == GDMABUF_MEM_CACHED || coherent)
		KUNIT_EXPECT_EQ(test, buf->cpu_mapping, GDMABUF_CPU_CACHED);
	else if (k->mem_type == GDMABUF_MEM_COHERENT)
		KUNIT_EXPECT_EQ(test, buf->cpu_mapping, GDMABUF_CPU_UNCACHED);
	else
		KUNIT_EXPECT_EQ(test, buf->cpu_mapping, GDMABUF_CPU_WRITE_COMBINE);

	uaddr = gdmabuf_kunit_map(test, buf);
	/* The last page: a 4K entry, as the tail past 2 MiB is shorter than a PMD. */
	last = uaddr + buf->size - PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, get_user(val, (u64 __user *)last), 0);
	KUNIT_EXPECT_EQ(test, val, 0);

	gdmabuf_kunit_memtype(gdmabuf_kunit_user_prot(test, last), &actual);
	gdmabuf_kunit_memtype(gdmabuf_kunit_kernel_prot(buf->cpu_mapping), &expected);
	KUNIT_EXPECT_EQ(test, actual, expected);
	if (!coherent && k->mem_type != GDMABUF_MEM_CACHED)
		KUNIT_EXPECT_NE_MSG(test, actual, cacheable,
				    "cacheable alias of memory the device does not snoop");
}

/*
 * Success: get_user_pages() pins the user mapping of cached memory, page
 * for page the buffer's own, as O_DIRECT and io_uring do; a writable
 * long-term pin of CMA memory, and any pin of coherent and write-combine
 * memory (the DMA API's page frames), is EFAULT.
 */
static void gdmabuf_buffer_mmap_pin(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	unsigned long uaddr = gdmabuf_kunit_map(test, buf);
	pgoff_t last = (buf->size >> PAGE_SHIFT) - 1;
	unsigned long pfn, contig;
	struct page *page;
	int ret;

	ret = pin_user_pages_fast(uaddr + (last << PAGE_SHIFT), 1, FOLL_WRITE,
				  &page);
	if (k->mem_type != GDMABUF_MEM_CACHED) {
		KUNIT_EXPECT_EQ(test, ret, -EFAULT);
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 1);
	KUNIT_ASSERT_GE(test, gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs, last,
						   &pfn, &contig), 0);
	KUNIT_EXPECT_EQ(test, page_to_pfn(page), pfn);
	unpin_user_page(page);

	ret = pin_user_pages_fast(uaddr, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	if (gdmabuf_buffer_from_cma(buf)) {
		KUNIT_EXPECT_EQ(test, ret, -EFAULT);
		return;
	}
	KUNIT_EXPECT_EQ(test, ret, 1);
	if (ret == 1)
		unpin_user_page(page);
}

/* Success: sync accepts valid ranges and flags and refuses the rest. */
static void gdmabuf_buffer_sync_kinds(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	u64 size = buf->size;

	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 0, size, GDMABUF_SYNC_RW, true), 0);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 0, size,
						  GDMABUF_SYNC_RW | GDMABUF_SYNC_END, true), 0);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 1, 1, GDMABUF_SYNC_READ, true), 0);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, size - 1, 1,
						  GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END, true), 0);
	/* across the first scatter-gather segment boundary */
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, SZ_2M - 8, 16,
						  GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END, true), 0);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 0, 0, GDMABUF_SYNC_RW, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, size, 1, GDMABUF_SYNC_RW, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 1, U64_MAX, GDMABUF_SYNC_RW, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 0, size, GDMABUF_SYNC_END, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 0, size, 1U << 3, true), -EINVAL);
}

#if IS_ENABLED(CONFIG_KPROBES) && IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) && \
	IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE)
/* One arch_sync_dma_for_{cpu,device}() call: physical range, direction. */
struct gdmabuf_kunit_call {
	phys_addr_t paddr;
	size_t size;
	unsigned long dir;
};

/* Calls kept in order; more are counted, and fail the exact checks. */
#define GDMABUF_KUNIT_MAINT_LOG	1024

/*
 * Cache maintenance as the architecture does it for the DMA API: a kprobe
 * on arch_sync_dma_for_{cpu,device}() counts the calls the test thread
 * makes, the physical range they cover and their directions, and logs
 * each of them.
 */
struct gdmabuf_kunit_maint {
	struct kprobe kp;
	struct task_struct *task;
	unsigned int calls;
	u64 bytes;
	phys_addr_t lo;
	phys_addr_t hi;
	unsigned int dirs;
	struct gdmabuf_kunit_call *log;
};

static int gdmabuf_kunit_maint_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct gdmabuf_kunit_maint *m = container_of(kp, struct gdmabuf_kunit_maint, kp);
	phys_addr_t paddr = regs_get_kernel_argument(regs, 0);
	size_t size = regs_get_kernel_argument(regs, 1);
	unsigned long dir = regs_get_kernel_argument(regs, 2);

	if (current != m->task)
		return 0;
	if (m->calls < GDMABUF_KUNIT_MAINT_LOG)
		m->log[m->calls] = (struct gdmabuf_kunit_call){ paddr, size, dir };
	m->dirs |= BIT(min_t(unsigned long, dir, 31));
	m->calls++;
	m->bytes += size;
	m->lo = min(m->lo, paddr);
	m->hi = max(m->hi, paddr + size);
	return 0;
}

static void gdmabuf_kunit_maint_reset(struct gdmabuf_kunit_maint *m)
{
	m->calls = 0;
	m->bytes = 0;
	m->lo = PHYS_ADDR_MAX;
	m->hi = 0;
	m->dirs = 0;
}

static void gdmabuf_kunit_unregister_kprobe(void *kp)
{
	unregister_kprobe(kp);
}

static struct gdmabuf_kunit_maint *gdmabuf_kunit_maint_probe(struct kunit *test,
							     const char *symbol)
{
	struct gdmabuf_kunit_maint *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->log = kunit_kcalloc(test, GDMABUF_KUNIT_MAINT_LOG, sizeof(*m->log), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->log);
	m->kp.symbol_name = symbol;
	m->kp.pre_handler = gdmabuf_kunit_maint_hit;
	m->task = current;
	gdmabuf_kunit_maint_reset(m);
	KUNIT_ASSERT_EQ_MSG(test, register_kprobe(&m->kp), 0, "cannot probe %s", symbol);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_unregister_kprobe,
							&m->kp), 0);
	return m;
}

/*
 * Expect @calls calls, all in direction @dir, covering exactly
 * [@lo, @lo + @bytes).
 */
static void gdmabuf_kunit_maint_check(struct kunit *test, struct gdmabuf_kunit_maint *m,
				      unsigned int calls, enum dma_data_direction dir,
				      phys_addr_t lo, u64 bytes)
{
	KUNIT_EXPECT_EQ_MSG(test, m->calls, calls, "%s", m->kp.symbol_name);
	KUNIT_EXPECT_EQ_MSG(test, m->dirs, calls ? BIT(dir) : 0, "%s directions",
			    m->kp.symbol_name);
	KUNIT_EXPECT_EQ_MSG(test, m->bytes, bytes, "%s", m->kp.symbol_name);
	if (calls)
		KUNIT_EXPECT_EQ_MSG(test, m->lo, lo, "%s", m->kp.symbol_name);
	gdmabuf_kunit_maint_reset(m);
}

/* The calls a test expects, in order. */
struct gdmabuf_kunit_calls {
	struct gdmabuf_kunit_call *c;
	unsigned int n;
};

static void gdmabuf_kunit_calls_add(struct kunit *test, struct gdmabuf_kunit_calls *e,
				    phys_addr_t paddr, size_t size,
				    enum dma_data_direction dir)
{
	KUNIT_ASSERT_LT_MSG(test, e->n, GDMABUF_KUNIT_MAINT_LOG, "too many calls to expect");
	e->c[e->n++] = (struct gdmabuf_kunit_call){ paddr, size, dir };
}

/* A sync of all of @buf for gdmabuf's device: cached memory, per segment. */
static void gdmabuf_kunit_calls_own(struct kunit *test, struct gdmabuf_kunit_calls *e,
				    struct gdmabuf_buffer *buf, enum dma_data_direction dir)
{
	unsigned int i;

	if (buf->mem_type != GDMABUF_MEM_CACHED)
		return;
	for (i = 0; i < buf->nsegs; i++)
		gdmabuf_kunit_calls_add(test, e, PFN_PHYS(buf->segs[i].pfn),
					buf->segs[i].npages << PAGE_SHIFT, dir);
}

/* A sync of an importer's mapping: each DMA entry, where it points. */
static void gdmabuf_kunit_calls_importer(struct kunit *test, struct gdmabuf_kunit_calls *e,
					 struct device *dev, struct sg_table *sgt,
					 enum dma_data_direction dir)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		gdmabuf_kunit_calls_add(test, e, dma_to_phys(dev, sg_dma_address(sg)),
					sg_dma_len(sg), dir);
}

static const char *gdmabuf_kunit_dir_name(unsigned long dir)
{
	static const char * const names[] = {
		[DMA_BIDIRECTIONAL] = "bidirectional",
		[DMA_TO_DEVICE] = "to device",
		[DMA_FROM_DEVICE] = "from device",
		[DMA_NONE] = "none",
	};

	return dir < ARRAY_SIZE(names) ? names[dir] : "invalid";
}

/*
 * Expect the calls @m logged in direction @dir (DMA_NONE: all of them) to
 * be exactly those of @e, in order.
 */
static void gdmabuf_kunit_maint_expect(struct kunit *test, struct gdmabuf_kunit_maint *m,
				       const char *what, const struct gdmabuf_kunit_calls *e,
				       enum dma_data_direction dir)
{
	unsigned int i, n = 0;

	KUNIT_ASSERT_LE_MSG(test, m->calls, GDMABUF_KUNIT_MAINT_LOG, "%s: %s: %u calls",
			    what, m->kp.symbol_name, m->calls);
	for (i = 0; i < m->calls; i++) {
		const struct gdmabuf_kunit_call *got = &m->log[i], *exp;

		if (dir != DMA_NONE && got->dir != dir)
			continue;
		exp = n < e->n ? &e->c[n] : NULL;
		n++;
		if (exp && got->paddr == exp->paddr && got->size == exp->size &&
		    got->dir == exp->dir)
			continue;
		if (exp)
			KUNIT_FAIL(test,
				   "%s: %s call %u: [%pa, +%#zx) %s, expected [%pa, +%#zx) %s",
				   what, m->kp.symbol_name, n - 1, &got->paddr, got->size,
				   gdmabuf_kunit_dir_name(got->dir), &exp->paddr, exp->size,
				   gdmabuf_kunit_dir_name(exp->dir));
		else
			KUNIT_FAIL(test, "%s: %s call %u: [%pa, +%#zx) %s, expected none",
				   what, m->kp.symbol_name, n - 1, &got->paddr, got->size,
				   gdmabuf_kunit_dir_name(got->dir));
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, n, e->n, "%s: %s calls, %s", what, m->kp.symbol_name,
			    dir == DMA_NONE ? "all" : gdmabuf_kunit_dir_name(dir));
}

/* Expect no call in either direction. */
static void gdmabuf_kunit_maint_none(struct kunit *test, const char *what,
				     struct gdmabuf_kunit_maint *for_cpu,
				     struct gdmabuf_kunit_maint *for_dev)
{
	const struct gdmabuf_kunit_calls none = {};

	gdmabuf_kunit_maint_expect(test, for_cpu, what, &none, DMA_NONE);
	gdmabuf_kunit_maint_expect(test, for_dev, what, &none, DMA_NONE);
	gdmabuf_kunit_maint_reset(for_cpu);
	gdmabuf_kunit_maint_reset(for_dev);
}

/*
 * dma-buf CPU access, reading then writing, where no importer has the
 * buffer mapped: only gdmabuf's own device, for cached memory.
 */
static void gdmabuf_kunit_maint_own_access(struct kunit *test, const char *what,
					   struct gdmabuf_buffer *buf, struct dma_buf *dmabuf,
					   struct gdmabuf_kunit_maint *for_cpu,
					   struct gdmabuf_kunit_maint *for_dev,
					   struct gdmabuf_kunit_calls *e)
{
	const struct gdmabuf_kunit_calls none = {};

	KUNIT_ASSERT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE), 0);
	e->n = 0;
	gdmabuf_kunit_calls_own(test, e, buf, DMA_FROM_DEVICE);
	gdmabuf_kunit_maint_expect(test, for_cpu, what, e, DMA_NONE);
	gdmabuf_kunit_maint_expect(test, for_dev, what, &none, DMA_NONE);
	gdmabuf_kunit_maint_reset(for_cpu);
	gdmabuf_kunit_maint_reset(for_dev);

	KUNIT_ASSERT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_TO_DEVICE), 0);
	e->n = 0;
	gdmabuf_kunit_calls_own(test, e, buf, DMA_TO_DEVICE);
	gdmabuf_kunit_maint_expect(test, for_cpu, what, &none, DMA_NONE);
	gdmabuf_kunit_maint_expect(test, for_dev, what, e, DMA_NONE);
	gdmabuf_kunit_maint_reset(for_cpu);
	gdmabuf_kunit_maint_reset(for_dev);
}

/* An importer's mapping, for kunit_add_action_or_reset(). */
struct gdmabuf_kunit_mapping {
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
};

static void gdmabuf_kunit_unmap(void *p)
{
	struct gdmabuf_kunit_mapping *map = p;

	dma_buf_unmap_attachment_unlocked(map->attach, map->sgt, DMA_BIDIRECTIONAL);
}

static void gdmabuf_kunit_detach(void *p)
{
	struct dma_buf_attachment *attach = p;

	dma_buf_detach(attach->dmabuf, attach);
}

/*
 * An importer that does not snoop CPU caches maps the buffer both ways:
 * gdmabuf syncs its mapping (the DMA API's own sync is skipped) at map and
 * unmap, and at every CPU access while mapped, in the direction it was
 * mapped with, whatever the CPU asked. For the CPU, gdmabuf's device comes
 * first, so that the importer's part is not undone. Unmapped, and then
 * detached, the importer gets no more maintenance.
 */
static void gdmabuf_kunit_maint_importer(struct kunit *test, struct gdmabuf_buffer *buf,
					 struct dma_buf *dmabuf,
					 struct gdmabuf_kunit_maint *for_cpu,
					 struct gdmabuf_kunit_maint *for_dev,
					 struct gdmabuf_kunit_calls *e)
{
	struct device *dev = gdmabuf_kunit_importer(test, DMA_BIT_MASK(64));
	const struct gdmabuf_kunit_calls none = {};
	struct gdmabuf_kunit_mapping *map;
	struct gdmabuf_kunit_calls imp;
	u64 mapped = 0;
	unsigned int i;

	if (device_iommu_mapped(dev))
		kunit_skip(test, "the importer is behind an IOMMU");
	/* a device no firmware describes: the same as gdmabuf's own */
	KUNIT_ASSERT_FALSE_MSG(test, dev_is_dma_coherent(dev), "the importer snoops CPU caches");
	map = kunit_kzalloc(test, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	imp.c = kunit_kcalloc(test, GDMABUF_KUNIT_MAINT_LOG, sizeof(*imp.c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, imp.c);

	map->attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map->attach);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_detach,
							map->attach), 0);
	gdmabuf_kunit_maint_none(test, "attach", for_cpu, for_dev);

	map->sgt = dma_buf_map_attachment_unlocked(map->attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map->sgt);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_unmap, map), 0);
	imp.n = 0;
	gdmabuf_kunit_calls_importer(test, &imp, dev, map->sgt, DMA_BIDIRECTIONAL);
	for (i = 0; i < imp.n; i++)
		mapped += imp.c[i].size;
	KUNIT_ASSERT_EQ_MSG(test, mapped, buf->size, "bytes the importer has mapped");
	gdmabuf_kunit_maint_expect(test, for_cpu, "map", &none, DMA_NONE);
	gdmabuf_kunit_maint_expect(test, for_dev, "map", &imp, DMA_NONE);
	gdmabuf_kunit_maint_reset(for_cpu);
	gdmabuf_kunit_maint_reset(for_dev);

	/* for the CPU: gdmabuf's device, then the importer, in that order */
	KUNIT_ASSERT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE), 0);
	e->n = 0;
	gdmabuf_kunit_calls_own(test, e, buf, DMA_FROM_DEVICE);
	gdmabuf_kunit_calls_importer(test, e, dev, map->sgt, DMA_BIDIRECTIONAL);
	gdmabuf_kunit_maint_expect(test, for_cpu, "begin, mapped", e, DMA_NONE);
	gdmabuf_kunit_maint_expect(test, for_dev, "begin, mapped", &none, DMA_NONE);
	gdmabuf_kunit_maint_reset(for_cpu);
	gdmabuf_kunit_maint_reset(for_dev);

	/* for the devices: both, in either order (told apart by direction) */
	KUNIT_ASSERT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_TO_DEVICE), 0);
	e->n = 0;
	gdmabuf_kunit_calls_own(test, e, buf, DMA_TO_DEVICE);
	gdmabuf_kunit_maint_expect(test, for_cpu, "end, mapped", &none, DMA_NONE);
	gdmabuf_kunit_maint_expect(test, for_dev, "end, mapped, gdmabuf's device", e,
				   DMA_TO_DEVICE);
	gdmabuf_kunit_maint_expect(test, for_dev, "end, mapped, importer", &imp,
				   DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ_MSG(test, for_dev->calls, e->n + imp.n, "end, mapped: %s calls",
			    for_dev->kp.symbol_name);
	gdmabuf_kunit_maint_reset(for_cpu);
	gdmabuf_kunit_maint_reset(for_dev);

	kunit_release_action(test, gdmabuf_kunit_unmap, map);
	gdmabuf_kunit_maint_expect(test, for_cpu, "unmap", &imp, DMA_NONE);
	gdmabuf_kunit_maint_expect(test, for_dev, "unmap", &none, DMA_NONE);
	gdmabuf_kunit_maint_reset(for_cpu);
	gdmabuf_kunit_maint_reset(for_dev);
	gdmabuf_kunit_maint_own_access(test, "attached, unmapped", buf, dmabuf, for_cpu,
				       for_dev, e);

	kunit_release_action(test, gdmabuf_kunit_detach, map->attach);
	gdmabuf_kunit_maint_none(test, "detach", for_cpu, for_dev);
	gdmabuf_kunit_maint_own_access(test, "detached", buf, dmabuf, for_cpu, for_dev, e);
}

/*
 * Success: on a device that does not snoop CPU caches, syncing cached
 * memory does cache maintenance of exactly the cache lines asked for,
 * once per segment, in the direction asked for, from the sync ioctl and
 * from dma-buf CPU access alike; coherent and write-combine memory gets
 * none, as the CPU never caches it. dma-buf CPU access also syncs an
 * importer's mapping, of any memory type, exactly while it is mapped.
 */
static void gdmabuf_buffer_sync_maintenance(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	struct gdmabuf_kunit_maint *for_cpu, *for_dev;
	unsigned int align = dma_get_cache_alignment();
	bool cached = k->mem_type == GDMABUF_MEM_CACHED;
	struct gdmabuf_kunit_calls e = {};
	unsigned long pfn, contig;
	unsigned int whole_calls;
	struct dma_buf *dmabuf;
	phys_addr_t page1, lowest = PHYS_ADDR_MAX;
	u64 whole_bytes;
	unsigned int i;

	if (dev_is_dma_coherent(buf->dev))
		kunit_skip(test, "gdmabuf's device snoops CPU caches here");
	for_cpu = gdmabuf_kunit_maint_probe(test, "arch_sync_dma_for_cpu");
	for_dev = gdmabuf_kunit_maint_probe(test, "arch_sync_dma_for_device");
	e.c = kunit_kcalloc(test, GDMABUF_KUNIT_MAINT_LOG, sizeof(*e.c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e.c);
	KUNIT_ASSERT_EQ(test, gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs, 1, &pfn, &contig), 0);
	page1 = PFN_PHYS(pfn);
	for (i = 0; i < buf->nsegs; i++)
		lowest = min(lowest, PFN_PHYS(buf->segs[i].pfn));

	/* one byte: the cache line that holds it, and nothing else */
	KUNIT_ASSERT_EQ(test, gdmabuf_buffer_sync(buf, PAGE_SIZE + align + 1, 1,
						  GDMABUF_SYNC_READ, true), 0);
	gdmabuf_kunit_maint_check(test, for_cpu, cached, DMA_FROM_DEVICE, page1 + align,
				  cached ? align : 0);
	gdmabuf_kunit_maint_check(test, for_dev, 0, 0, 0, 0);
	KUNIT_ASSERT_EQ(test, gdmabuf_buffer_sync(buf, PAGE_SIZE + align + 1, 1,
						  GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END, true), 0);
	gdmabuf_kunit_maint_check(test, for_cpu, 0, 0, 0, 0);
	gdmabuf_kunit_maint_check(test, for_dev, cached, DMA_TO_DEVICE, page1 + align,
				  cached ? align : 0);

	/* a reader that may not write: dirty lines are written back first */
	KUNIT_ASSERT_EQ(test, gdmabuf_buffer_sync(buf, PAGE_SIZE + align + 1, 1,
						  GDMABUF_SYNC_READ, false), 0);
	gdmabuf_kunit_maint_check(test, for_dev, cached, DMA_TO_DEVICE, page1 + align,
				  cached ? align : 0);
	gdmabuf_kunit_maint_check(test, for_cpu, cached, DMA_FROM_DEVICE, page1 + align,
				  cached ? align : 0);

	/* the whole buffer: every segment once */
	whole_calls = cached ? buf->nsegs : 0;
	whole_bytes = cached ? buf->size : 0;
	KUNIT_ASSERT_EQ(test, gdmabuf_buffer_sync(buf, 0, buf->size, GDMABUF_SYNC_RW, true), 0);
	gdmabuf_kunit_maint_check(test, for_cpu, whole_calls, DMA_BIDIRECTIONAL, lowest,
				  whole_bytes);
	gdmabuf_kunit_maint_check(test, for_dev, 0, 0, 0, 0);
	KUNIT_ASSERT_EQ(test, gdmabuf_buffer_sync(buf, 0, buf->size,
						  GDMABUF_SYNC_RW | GDMABUF_SYNC_END, true), 0);
	gdmabuf_kunit_maint_check(test, for_cpu, 0, 0, 0, 0);
	gdmabuf_kunit_maint_check(test, for_dev, whole_calls, DMA_BIDIRECTIONAL, lowest,
				  whole_bytes);

	/* dma-buf CPU access, with no importer: the buffer's own device */
	dmabuf = gdmabuf_kunit_export(test, buf);
	gdmabuf_kunit_maint_own_access(test, "no importer", buf, dmabuf, for_cpu, for_dev, &e);

	gdmabuf_kunit_maint_importer(test, buf, dmabuf, for_cpu, for_dev, &e);
}
#else
static void gdmabuf_buffer_sync_maintenance(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU))
		kunit_skip(test, "DMA needs no CPU cache maintenance on this architecture");
	kunit_skip(test, "observing cache maintenance needs CONFIG_KPROBES");
}
#endif

static struct kunit_case gdmabuf_buffer_cases[] = {
	KUNIT_CASE_PARAM(gdmabuf_buffer_create_kinds, gdmabuf_kind_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_buffer_create_narrow_mask, gdmabuf_narrow_mask_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_buffer_mmap_kinds, gdmabuf_kind_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_buffer_ioctl_info_coherent, gdmabuf_kind_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_buffer_mmap_memtype, gdmabuf_kind_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_buffer_mmap_pin, gdmabuf_kind_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_buffer_sync_kinds, gdmabuf_kind_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_buffer_sync_maintenance, gdmabuf_kind_gen_params),
	{}
};

static struct kunit_suite gdmabuf_buffer_suite = {
	.name = "gdmabuf_buffer",
	.test_cases = gdmabuf_buffer_cases,
};

/*
 * Success: an importer with a 64-bit mask gets an sg_table that covers the
 * buffer; for cached memory it lists the buffer's segments, in order, split
 * to the importer's maximum segment size, at the DMA addresses gdmabuf's
 * own device sees (no IOMMU here).
 */
static void gdmabuf_dmabuf_map_kinds(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	struct device *dev = gdmabuf_kunit_importer(test, DMA_BIT_MASK(64));
	struct dma_buf *dmabuf = gdmabuf_kunit_export(test, buf);
	struct dma_buf_attachment *attach;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 total = 0;
	unsigned int i;

	KUNIT_EXPECT_STREQ(test, dmabuf->exp_name, "gdmabuf");
	KUNIT_EXPECT_EQ(test, dmabuf->size, buf->size);

	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	for_each_sgtable_dma_sg(sgt, sg, i)
		total += sg_dma_len(sg);
	KUNIT_EXPECT_EQ(test, total, buf->size);
	/* Entries split the segments, in order, to the importer's limit. */
	if (k->mem_type == GDMABUF_MEM_CACHED && !device_iommu_mapped(dev)) {
		unsigned long off = 0;
		unsigned int seg = 0;

		for_each_sgtable_sg(sgt, sg, i) {
			KUNIT_ASSERT_LT(test, seg, buf->nsegs);
			/* not sg_page(): CONFIG_DMABUF_DEBUG mangles it for importers */
			KUNIT_EXPECT_LE(test, sg->length, dma_get_max_seg_size(dev));
			KUNIT_EXPECT_EQ(test, sg_dma_address(sg),
					buf->segs[seg].dma_addr + off);
			off += sg->length;
			if (off == buf->segs[seg].npages << PAGE_SHIFT) {
				seg++;
				off = 0;
			}
		}
		KUNIT_EXPECT_EQ(test, seg, buf->nsegs);
	}

	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_TO_DEVICE), 0);
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, attach);
}

/*
 * Success: an importer whose DMA mask cannot reach a contiguous buffer is
 * refused at attach with -ERANGE.
 */
static void gdmabuf_dmabuf_attach_mask_too_small(struct kunit *test)
{
	const struct gdmabuf_kind k = {
		"cached, contiguous", GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS,
	};
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, &k);
	/* 1 MiB: below any buffer larger than 1 MiB, wherever it lies */
	struct device *dev = gdmabuf_kunit_importer(test, DMA_BIT_MASK(20));
	struct dma_buf *dmabuf = gdmabuf_kunit_export(test, buf);
	struct dma_buf_attachment *attach;

	if (device_iommu_mapped(dev))
		kunit_skip(test, "the importer is behind an IOMMU");
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(attach), -ERANGE);
	if (!IS_ERR(attach))
		dma_buf_detach(dmabuf, attach);
}

/*
 * Success: exporting a buffer again with the same access mode gives the
 * same dma-buf, with one more reference; the other mode gives another.
 */
static void gdmabuf_dmabuf_export_once_per_mode(struct kunit *test)
{
	const struct gdmabuf_kind k = {
		"cached, contiguous", GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS,
	};
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, &k);
	struct dma_buf *rw = gdmabuf_kunit_export(test, buf);
	struct dma_buf *again, *ro;

	again = gdmabuf_buffer_export(buf, O_RDWR | O_CLOEXEC);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, again);
	KUNIT_EXPECT_PTR_EQ(test, again, rw);
	dma_buf_put(again);
	ro = gdmabuf_buffer_export(buf, O_RDONLY);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ro);
	KUNIT_EXPECT_PTR_NE(test, ro, rw);
	KUNIT_EXPECT_FALSE(test, ro->file->f_mode & FMODE_WRITE);
	dma_buf_put(ro);
}

/* An importer's mmap(): its own, writable file, mapping the dma-buf. */
static int gdmabuf_kunit_importer_mmap(struct file *file, struct vm_area_struct *vma)
{
	return dma_buf_mmap(file->private_data, vma, 0);
}

static const struct file_operations gdmabuf_kunit_importer_fops = {
	.mmap = gdmabuf_kunit_importer_mmap,
};

static void gdmabuf_kunit_fput(void *file)
{
	fput(file);
}

/*
 * Success: a read-only dma-buf mapped through an importer's writable file
 * refuses a writable mapping, and a read-only one cannot become writable.
 */
static void gdmabuf_dmabuf_mmap_rdonly_via_importer(struct kunit *test)
{
	const struct gdmabuf_kind k = {
		"cached, contiguous", GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS,
	};
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, &k);
	struct dma_buf *ro = gdmabuf_buffer_export(buf, O_RDONLY);
	struct vm_area_struct *vma;
	unsigned long uaddr;
	struct file *file;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ro);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_dma_buf_put, ro), 0);
	file = anon_inode_getfile("gdmabuf-kunit-importer", &gdmabuf_kunit_importer_fops,
				  ro, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_fput, file), 0);

	uaddr = kunit_vm_mmap(test, file, 0, buf->size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_EXPECT_EQ(test, (long)uaddr, -EACCES);
	uaddr = kunit_vm_mmap(test, file, 0, buf->size, PROT_READ, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(uaddr));
	mmap_read_lock(current->mm);
	vma = find_vma(current->mm, uaddr);
	KUNIT_EXPECT_NOT_NULL(test, vma);
	if (vma)
		KUNIT_EXPECT_FALSE(test, vma->vm_flags & VM_MAYWRITE);
	mmap_read_unlock(current->mm);
}

/*
 * Success: vmap gives a kernel mapping of the buffer's memory that sees
 * what the CPU wrote through the page frames, one mapping shared by both
 * dma-bufs of the buffer (the read-only and the read-write one) and kept
 * until the last of them unmaps it.
 */
static void gdmabuf_dmabuf_vmap_kinds(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct gdmabuf_buffer *buf = gdmabuf_kunit_create(test, k);
	struct dma_buf *dmabuf = gdmabuf_kunit_export(test, buf);
	bool cached = k->mem_type == GDMABUF_MEM_CACHED;
	struct iosys_map map, map2;
	struct dma_buf *ro;
	u32 *vaddr;

	ro = gdmabuf_buffer_export(buf, O_RDONLY);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ro);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_dma_buf_put, ro), 0);

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &map), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(ro, &map2), 0);
	/* another dma-buf: the dma-buf core asks gdmabuf again */
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, map2.vaddr);
	if (cached)
		KUNIT_EXPECT_EQ(test, buf->vmap_count, 2);
	vaddr = map.vaddr;
	KUNIT_EXPECT_EQ(test, vaddr[0], 0);
	vaddr[buf->size / sizeof(u32) - 1] = 0x67646d61;
	if (cached) {
		const struct gdmabuf_segment *last = &buf->segs[buf->nsegs - 1];
		u32 *kaddr = page_address(pfn_to_page(last->pfn + last->npages - 1));

		KUNIT_EXPECT_EQ(test, kaddr[PAGE_SIZE / sizeof(u32) - 1], 0x67646d61);
	}
	dma_buf_vunmap_unlocked(ro, &map2);
	if (cached) {
		/* still mapped for the read-write dma-buf */
		KUNIT_EXPECT_EQ(test, buf->vmap_count, 1);
		KUNIT_EXPECT_PTR_EQ(test, buf->vaddr, map.vaddr);
	}
	dma_buf_vunmap_unlocked(dmabuf, &map);
	KUNIT_EXPECT_EQ(test, buf->vmap_count, 0);
	KUNIT_EXPECT_NULL(test, buf->vaddr);
}

static struct kunit_case gdmabuf_dmabuf_cases[] = {
	KUNIT_CASE_PARAM(gdmabuf_dmabuf_map_kinds, gdmabuf_kind_gen_params),
	KUNIT_CASE(gdmabuf_dmabuf_attach_mask_too_small),
	KUNIT_CASE(gdmabuf_dmabuf_export_once_per_mode),
	KUNIT_CASE(gdmabuf_dmabuf_mmap_rdonly_via_importer),
	KUNIT_CASE_PARAM(gdmabuf_dmabuf_vmap_kinds, gdmabuf_kind_gen_params),
	{}
};

static struct kunit_suite gdmabuf_dmabuf_suite = {
	.name = "gdmabuf_dmabuf",
	.test_cases = gdmabuf_dmabuf_cases,
};

/*
 * The device a buffer is for: name parsing, which devices can have
 * buffers, and detaching when a driver unbinds.
 */
struct gdmabuf_name_case {
	const char *desc;
	const char *name;	/* copied to user memory; NULL: no pointer */
	u32 len;		/* bytes passed; with @name NULL, len alone */
	bool bad_pointer;	/* pass an address that cannot be read */
	int expected;		/* 0: the name comes back; 1: NULL */
};

static const struct gdmabuf_name_case gdmabuf_name_cases[] = {
	{ "no name", NULL, 0, false, 1 },
	{ "length without pointer", NULL, 4, false, -EINVAL },
	{ "pointer without length", "pci", 0, false, -EINVAL },
	{ "NUL-terminated", "pci/0000:00:03.0", 17, false, 0 },
	{ "only the NUL", "", 1, false, 0 },
	{ "not NUL-terminated", "pci/0000:00:03.0", 16, false, -EINVAL },
	{ "NUL before the end", "pci\0/0000:00:03.0", 18, false, -EINVAL },
	{ "longest", "a...", GDMABUF_DEVICE_NAME_MAX, false, 0 },
	{ "too long", "a...", GDMABUF_DEVICE_NAME_MAX + 1, false, -ENAMETOOLONG },
	{ "unreadable", NULL, 8, true, -EFAULT },
};

static void gdmabuf_name_case_desc(const struct gdmabuf_name_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_name, gdmabuf_name_cases, gdmabuf_name_case_desc);

/*
 * Success: a name is copied whole when NUL-terminated at its length, and
 * each malformed one gets its documented errno, reading no further.
 */
static void gdmabuf_device_name_copy_table(struct kunit *test)
{
	const struct gdmabuf_name_case *c = test->param_value;
	char *src = kunit_kzalloc(test, GDMABUF_DEVICE_NAME_MAX + 1, GFP_KERNEL);
	unsigned long uaddr = 0;
	char *name;

	KUNIT_ASSERT_NOT_NULL(test, src);
	/* "a...": that many bytes of 'a', then the NUL */
	if (c->name && !strcmp(c->name, "a..."))
		memset(src, 'a', c->len - 1);
	else if (c->name)
		memcpy(src, c->name, c->len);
	/* PROT_NONE where the copy must fault */
	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE,
			      c->bad_pointer ? PROT_NONE : PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE(test, gdmabuf_kunit_mmap_failed(uaddr));
	if (!c->bad_pointer)
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uaddr, src,
						   max_t(u32, c->len, 1)), 0);
	if (!c->name && !c->bad_pointer)
		uaddr = 0;

	name = gdmabuf_device_name_copy(uaddr, c->len);
	if (c->expected == 1) {
		KUNIT_EXPECT_NULL(test, name);
	} else if (c->expected) {
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(name), c->expected);
	} else {
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, name);
		KUNIT_EXPECT_STREQ(test, name, src);
		kfree(name);
	}
}

struct gdmabuf_split_case {
	const char *name;
	int expected;
};

static const struct gdmabuf_split_case gdmabuf_split_cases[] = {
	{ "pci/0000:00:03.0", 3 },
	{ "platform/a0000000.dma", 8 },
	{ "amba/9000000.pl011", 4 },
	{ "x/y", 1 },
	{ "", -EINVAL },
	{ "pci", -EINVAL },
	{ "/0000:00:03.0", -EINVAL },
	{ "pci/", -EINVAL },
	{ "pci/0000:00:03.0/", -EINVAL },
	{ "pci/a/b", -EINVAL },
};

static void gdmabuf_split_case_desc(const struct gdmabuf_split_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->name);
}

KUNIT_ARRAY_PARAM(gdmabuf_split, gdmabuf_split_cases, gdmabuf_split_case_desc);

/* Success: "<bus>/<device>" gives its bus part's length, anything else -EINVAL. */
static void gdmabuf_device_name_split_table(struct kunit *test)
{
	const struct gdmabuf_split_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, gdmabuf_device_name_split(c->name), c->expected);
}

static int gdmabuf_kunit_probe(struct platform_device *pdev)
{
	return 0;
}

static struct platform_driver gdmabuf_kunit_driver = {
	.probe = gdmabuf_kunit_probe,
	.driver = { .name = "gdmabuf-kunit-dev" },
};

static struct platform_driver gdmabuf_kunit_vfio_like_driver = {
	.probe = gdmabuf_kunit_probe,
	.driver = { .name = "gdmabuf-kunit-own-dma" },
	.driver_managed_dma = true,
};

/* A platform device called @name, bound to @drv unless it is NULL. */
static struct device *gdmabuf_kunit_pdev(struct kunit *test, const char *name,
					 struct platform_driver *drv)
{
	struct platform_device *pdev;

	pdev = kunit_platform_device_alloc(test, name, PLATFORM_DEVID_AUTO);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pdev);
	KUNIT_ASSERT_EQ(test, kunit_platform_device_add(test, pdev), 0);
	if (drv) {
		KUNIT_ASSERT_EQ(test, kunit_platform_driver_register(test, drv), 0);
		KUNIT_ASSERT_PTR_EQ(test, pdev->dev.driver, &drv->driver);
	}
	return &pdev->dev;
}

static int gdmabuf_kunit_usable(struct device *dev)
{
	int ret;

	device_lock(dev);
	ret = gdmabuf_device_usable(dev, GDMABUF_MEM_CACHED);
	device_unlock(dev);
	return ret;
}

/*
 * Success: a device gets buffers only with a driver bound that leaves DMA
 * to the DMA API, and with a DMA mask (and a coherent one for coherent
 * and write-combine memory).
 */
static void gdmabuf_device_usable_states(struct kunit *test)
{
	struct device *unbound = gdmabuf_kunit_pdev(test, "gdmabuf-kunit-none", NULL);
	struct device *own_dma = gdmabuf_kunit_pdev(test, "gdmabuf-kunit-own-dma",
						    &gdmabuf_kunit_vfio_like_driver);
	struct device *dev = gdmabuf_kunit_pdev(test, "gdmabuf-kunit-dev",
						&gdmabuf_kunit_driver);
	u64 *mask, coherent_mask;

	KUNIT_EXPECT_EQ(test, gdmabuf_kunit_usable(unbound), -ENXIO);
	KUNIT_EXPECT_EQ(test, gdmabuf_kunit_usable(own_dma), -EBUSY);
	KUNIT_EXPECT_EQ(test, gdmabuf_kunit_usable(dev), 0);

	device_lock(dev);
	mask = dev->dma_mask;
	dev->dma_mask = NULL;
	KUNIT_EXPECT_EQ(test, gdmabuf_device_usable(dev, GDMABUF_MEM_CACHED), -ENXIO);
	dev->dma_mask = mask;
	/* the device's own coherent memory needs a coherent mask too */
	coherent_mask = dev->coherent_dma_mask;
	dev->coherent_dma_mask = 0;
	KUNIT_EXPECT_EQ(test, gdmabuf_device_usable(dev, GDMABUF_MEM_CACHED), 0);
	KUNIT_EXPECT_EQ(test, gdmabuf_device_usable(dev, GDMABUF_MEM_COHERENT), -ENXIO);
	KUNIT_EXPECT_EQ(test, gdmabuf_device_usable(dev, GDMABUF_MEM_WRITE_COMBINE), -ENXIO);
	dev->coherent_dma_mask = coherent_mask;
	device_unlock(dev);
}

/*
 * Success: a buffer for a named device holds it, and is detached when its
 * driver unbinds: sync fails with -ENODEV, nothing stays mapped for it,
 * cached memory stays readable through the user mapping, and a user
 * mapping of the device's own memory is revoked.
 */
static void gdmabuf_buffer_detach_kinds(struct kunit *test)
{
	const struct gdmabuf_kind *k = test->param_value;
	struct device *dev = gdmabuf_kunit_pdev(test, "gdmabuf-kunit-dev",
						&gdmabuf_kunit_driver);
	unsigned int refs = kref_read(&dev->kobj.kref);
	struct gdmabuf_buffer *buf;
	unsigned long uaddr;
	u32 word = 0x5a5a5a5a;

	device_lock(dev);
	buf = gdmabuf_buffer_create(dev, GDMABUF_KUNIT_BUF_SIZE, k->mem_type, k->layout);
	device_unlock(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_put, buf), 0);
	KUNIT_EXPECT_TRUE(test, buf->named);
	KUNIT_EXPECT_EQ(test, kref_read(&dev->kobj.kref), refs + 1);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_revocable(buf),
			k->mem_type != GDMABUF_MEM_CACHED);

	uaddr = gdmabuf_kunit_map(test, buf);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uaddr + SZ_2M, &word,
					   sizeof(word)), 0);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 0, buf->size, GDMABUF_SYNC_RW,
						  true), 0);

	device_release_driver(dev);
	KUNIT_EXPECT_TRUE(test, buf->detached);
	KUNIT_EXPECT_EQ(test, gdmabuf_buffer_sync(buf, 0, buf->size, GDMABUF_SYNC_RW,
						  true), -ENODEV);
	word = 0;
	if (gdmabuf_buffer_revocable(buf)) {
		KUNIT_EXPECT_NULL(test, buf->cpu_addr);
		KUNIT_EXPECT_NE(test, copy_from_user(&word, (void __user *)uaddr + SZ_2M,
						     sizeof(word)), 0);
	} else {
		KUNIT_EXPECT_EQ(test, copy_from_user(&word, (void __user *)uaddr + SZ_2M,
						     sizeof(word)), 0);
		KUNIT_EXPECT_EQ(test, word, 0x5a5a5a5a);
	}
	/* a second unbind, or the device's removal, finds nothing to do */
	gdmabuf_buffers_detach(dev);
	KUNIT_EXPECT_TRUE(test, buf->detached);
}

/*
 * Success: contiguous cached memory for a named device with a 32-bit mask
 * lies below it and is mapped for it at its own address (no IOMMU), not
 * bounced; its memory is gdmabuf's, so it is not revocable.
 */
static void gdmabuf_buffer_create_named_contiguous(struct kunit *test)
{
	struct device *dev = gdmabuf_kunit_pdev(test, "gdmabuf-kunit-dev",
						&gdmabuf_kunit_driver);
	struct gdmabuf_buffer *buf;
	const struct gdmabuf_segment *seg;

	if (device_iommu_mapped(dev))
		kunit_skip(test, "the device is behind an IOMMU");
	KUNIT_ASSERT_EQ(test, dma_get_mask(dev), DMA_BIT_MASK(32));
	device_lock(dev);
	buf = gdmabuf_buffer_create(dev, SZ_1M, GDMABUF_MEM_CACHED,
				    GDMABUF_LAYOUT_CONTIGUOUS);
	device_unlock(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gdmabuf_kunit_put, buf), 0);
	seg = &buf->segs[0];
	KUNIT_EXPECT_EQ(test, buf->nr_dma_segs, 1);
	KUNIT_EXPECT_LE(test, seg->dma_addr + SZ_1M - 1, DMA_BIT_MASK(32));
	KUNIT_EXPECT_EQ(test, seg->dma_addr, phys_to_dma(dev, PFN_PHYS(seg->pfn)));
	KUNIT_EXPECT_FALSE(test, gdmabuf_buffer_revocable(buf));
}

static struct kunit_case gdmabuf_device_cases[] = {
	KUNIT_CASE_PARAM(gdmabuf_device_name_copy_table, gdmabuf_name_gen_params),
	KUNIT_CASE_PARAM(gdmabuf_device_name_split_table, gdmabuf_split_gen_params),
	KUNIT_CASE(gdmabuf_device_usable_states),
	KUNIT_CASE_PARAM(gdmabuf_buffer_detach_kinds, gdmabuf_kind_gen_params),
	KUNIT_CASE(gdmabuf_buffer_create_named_contiguous),
	{}
};

static struct kunit_suite gdmabuf_device_suite = {
	.name = "gdmabuf_device",
	.test_cases = gdmabuf_device_cases,
};

kunit_test_suites(&gdmabuf_ioctl_suite, &gdmabuf_mapping_suite, &gdmabuf_buffer_suite,
		  &gdmabuf_dmabuf_suite, &gdmabuf_device_suite);

MODULE_DESCRIPTION("KUnit tests for gdmabuf");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(DMA_BUF);
