// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf mapping arithmetic: range checks, page offset to page frame
 * through the segment table, sync range alignment and huge mapping
 * placement.
 *
 * Everything here is pure: no locks, no allocation, no MM or DMA API calls,
 * results only through the return value and the output arguments. That is
 * what lets gdmabuf_kunit.c test it exhaustively.
 */

#include <linux/align.h>
#include <linux/bitops.h>
#include <linux/bsearch.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <asm/page.h>
#include <kunit/visibility.h>

#include "gdmabuf.h"

/**
 * gdmabuf_range_valid() - check a byte range against a buffer
 * @size: size of the buffer in bytes
 * @offset: first byte of the range
 * @len: length of the range in bytes
 *
 * Never computes @offset + @len, so any u64 values are safe.
 *
 * Return: true when [@offset, @offset + @len) is non-empty and lies wholly
 * inside a buffer of @size bytes.
 */
bool gdmabuf_range_valid(u64 size, u64 offset, u64 len)
{
	return len && offset < size && len <= size - offset;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_range_valid);

/* Orders a page offset against a segment: before it, inside it, after it. */
static int gdmabuf_segment_cmp(const void *key, const void *elt)
{
	pgoff_t pgoff = *(const pgoff_t *)key;
	const struct gdmabuf_segment *seg = elt;

	if (pgoff < seg->pgoff)
		return -1;
	return pgoff - seg->pgoff < seg->npages ? 0 : 1;
}

/**
 * gdmabuf_pgoff_to_pfn() - find the page frame backing a page of a buffer
 * @segs: the buffer's segments, sorted by page offset and without holes
 * @nsegs: number of segments, at most INT_MAX; may be 0
 * @pgoff: page offset in the buffer
 * @pfn: set to the page frame backing @pgoff
 * @contig: set to the number of physically contiguous pages from @pgoff to
 *	the end of its segment, at least 1
 *
 * A binary search, so a fault costs O(log @nsegs) whatever the layout.
 * @pfn and @contig are left alone on failure.
 *
 * Return: the index of the segment holding @pgoff, or -ERANGE when no
 * segment holds it (past the end of the buffer, or no segments at all).
 */
int gdmabuf_pgoff_to_pfn(const struct gdmabuf_segment *segs,
			 unsigned int nsegs, pgoff_t pgoff,
			 unsigned long *pfn, unsigned long *contig)
{
	const struct gdmabuf_segment *seg;
	unsigned long skip;

	seg = bsearch(&pgoff, segs, nsegs, sizeof(*segs), gdmabuf_segment_cmp);
	if (!seg)
		return -ERANGE;

	skip = pgoff - seg->pgoff;
	*pfn = seg->pfn + skip;
	*contig = seg->npages - skip;
	return seg - segs;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_pgoff_to_pfn);

/**
 * gdmabuf_sync_range_align() - widen a sync range to whole cache lines
 * @offset: first byte of the range
 * @len: length of the range in bytes
 * @size: size of the buffer in bytes
 * @align: alignment, a power of two such as dma_get_cache_alignment();
 *	0 is taken as 1
 * @start: set to @offset rounded down to @align
 * @end: set to @offset + @len rounded up to @align, but at most @size
 *	(exclusive)
 *
 * The range must have passed gdmabuf_range_valid() for @size. The end is
 * rounded without computing a sum that could wrap, so a buffer reaching
 * U64_MAX is fine, and is never past @size even for a range that was not
 * checked.
 */
void gdmabuf_sync_range_align(u64 offset, u64 len, u64 size,
			      unsigned int align, u64 *start, u64 *end)
{
	u64 mask = align ? align - 1 : 0;
	u64 last, pad;

	*start = offset & ~mask;
	*end = size;
	/* Not a valid range after all: still never sync past the buffer. */
	if (offset > size || len > size - offset)
		return;

	last = offset + len;
	pad = -last & mask;
	if (pad < size - last)
		*end = last + pad;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_sync_range_align);

/**
 * gdmabuf_align_addr() - place a mapping congruent to its offset
 * @addr: start of a free range at least @align bytes longer than needed
 * @phase: the mapping's offset modulo @align
 * @align: huge page size, a power of two
 *
 * Return: the lowest address at or above @addr that is @phase modulo
 * @align; it lies less than @align above @addr.
 */
unsigned long gdmabuf_align_addr(unsigned long addr, unsigned long phase,
				 unsigned long align)
{
	return addr + ((phase - addr) & (align - 1));
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_align_addr);
