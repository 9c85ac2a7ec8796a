// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf buffer objects: allocation backends, lifetime, sync, and the
 * buffer fd with its ioctls.
 *
 * Cached memory is gdmabuf's own, mapped for the buffer's device; coherent
 * and write-combine memory is the device's, from its DMA allocator:
 * - cached, contiguous: up to the page allocator's largest block, split
 *   pages from a zone the device reaches; larger, CMA, by dma_alloc_pages()
 *   for gdmabuf's own device; mapped with dma_map_page_attrs() for any other
 *   device (and for its own, when not from CMA), synced with
 *   dma_sync_single_range_for_{cpu,device}();
 * - cached, scatter-gather: zeroed page blocks of the highest order the
 *   page allocator gives, naturally aligned in the buffer, from memory the
 *   device reaches without bounce buffers, mapped with dma_map_sgtable():
 *   behind an IOMMU as one range of device addresses where it allows;
 *   synced block by block;
 * - coherent and write-combine: dma_alloc_attrs(), mapped to userspace
 *   only by dma_mmap_attrs() so the user mapping has the kernel's
 *   attributes.
 *
 * Cached memory is mapped to userspace page by page (see mmap.c), so pipes
 * and I/O may hold its pages past the buffer: the page allocator frees
 * them when the last reference goes, and CMA memory waits for that.
 *
 * When a named device's driver unbinds or the device goes away, its
 * buffers are detached: nothing stays mapped for it, cached memory and its
 * user mappings stay, and the device's own memory is freed after its user
 * mappings are revoked.
 */

#include <linux/anon_inodes.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

/* Scatter-gather blocks: as large as the buddy allocator gives cheaply. */
#define GDMABUF_SG_MAX_ORDER	min_t(unsigned int, MAX_PAGE_ORDER, PMD_ORDER)

static const struct file_operations gdmabuf_buffer_fops;

/*
 * Buffers whose CMA memory a pipe or an I/O still referenced at release
 * (vmsplice(), O_DIRECT, io_uring): CMA cannot take back a page in use, so
 * the memory goes back once they let go, checked every
 * GDMABUF_LINGER_DELAY. Each holds a module reference.
 */
#define GDMABUF_LINGER_DELAY	(HZ / 10)
static LIST_HEAD(gdmabuf_lingering);
static DEFINE_MUTEX(gdmabuf_linger_lock);	/* gdmabuf_lingering */
static void gdmabuf_linger_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gdmabuf_linger_work, gdmabuf_linger_work_fn);

/**
 * struct gdmabuf_mm - an mm that mapped a buffer's revocable memory
 * @node: entry in the buffer's list, under its mm_lock
 * @mm: held with mmgrab()
 */
struct gdmabuf_mm {
	struct list_head node;
	struct mm_struct *mm;
};

/* DMA API attributes of coherent and write-combine memory. */
unsigned long gdmabuf_dma_attrs(const struct gdmabuf_buffer *buf)
{
	return buf->mem_type == GDMABUF_MEM_WRITE_COMBINE ?
	       DMA_ATTR_WRITE_COMBINE : 0;
}

static void gdmabuf_buffer_free_blocks(struct gdmabuf_buffer *buf,
				       unsigned int nsegs)
{
	unsigned int i;

	for (i = 0; i < nsegs; i++)
		__free_pages(pfn_to_page(buf->segs[i].pfn),
			     ilog2(buf->segs[i].npages));
}

/*
 * The zone scatter-gather blocks come from: where the device's mask does
 * not cover all memory and no IOMMU translates, one it reaches, as
 * dma-direct picks for its own allocations.
 */
static gfp_t gdmabuf_sg_zone(struct device *dev)
{
	u64 limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);

	if (gdmabuf_device_translated(dev) || !dma_addressing_limited(dev))
		return 0;
	if (IS_ENABLED(CONFIG_ZONE_DMA32) && limit >= DMA_BIT_MASK(32))
		return GFP_DMA32;
	return IS_ENABLED(CONFIG_ZONE_DMA) ? GFP_DMA : 0;
}

/*
 * Whether @dev reaches @size bytes at @page itself: through an IOMMU, or
 * directly. Checked before mapping, as dma-direct warns about memory a
 * device cannot reach where it has no bounce buffers.
 */
static bool gdmabuf_sg_reachable(struct device *dev, struct page *page,
				 size_t size)
{
	return gdmabuf_device_translated(dev) ||
	       dma_capable(dev, phys_to_dma(dev, page_to_phys(page)), size, true);
}

/* Mapped at a bounce buffer's address rather than its own. */
static bool gdmabuf_sg_bounced(struct device *dev, phys_addr_t phys,
			       dma_addr_t dma_addr)
{
	return !gdmabuf_device_translated(dev) && dma_addr != phys_to_dma(dev, phys);
}

/*
 * Contiguous cached memory from CMA: which GUP must not pin for long, and
 * which goes back only when no page of it is referenced.
 */
bool gdmabuf_buffer_from_cma(const struct gdmabuf_buffer *buf)
{
	return buf->mem_type == GDMABUF_MEM_CACHED &&
	       buf->layout == GDMABUF_LAYOUT_CONTIGUOUS && !buf->exact_pages;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_from_cma);

/* Contiguous memory mapped for @buf's device by dma_map_page_attrs(). */
static bool gdmabuf_contiguous_mapped(const struct gdmabuf_buffer *buf)
{
	return buf->named || buf->exact_pages;
}

/* Split pages are freed one by one, each when its last user lets go. */
static void gdmabuf_contiguous_free_pages(struct gdmabuf_buffer *buf,
					  struct page *page)
{
	if (buf->exact_pages)
		free_pages_exact(page_address(page), buf->size);
	else
		dma_free_pages(gdmabuf_own_device(), buf->size, page,
			       buf->own_dma_addr, DMA_BIDIRECTIONAL);
}

/*
 * Zeroed contiguous memory that the buffer's device reaches without bounce
 * buffers, each page with its own reference, as GUP takes them: up to the
 * page allocator's largest block, split pages from a zone the device
 * reaches, which never come from CMA; larger, gdmabuf's own device's CMA,
 * the only source of blocks that size (the page allocator's fallback in
 * dma_alloc_pages() cannot give one).
 */
static struct page *gdmabuf_contiguous_pages(struct gdmabuf_buffer *buf,
					     gfp_t gfp)
{
	struct device *own = gdmabuf_own_device();
	struct page *page;
	void *vaddr;

	if (get_order(buf->size) > MAX_PAGE_ORDER) {
		page = dma_alloc_pages(own, buf->size, &buf->own_dma_addr,
				       DMA_BIDIRECTIONAL, gfp);
		if (page && gdmabuf_sg_reachable(buf->dev, page, buf->size))
			return page;
		if (page)
			dma_free_pages(own, buf->size, page, buf->own_dma_addr,
				       DMA_BIDIRECTIONAL);
		return NULL;
	}

	vaddr = alloc_pages_exact(buf->size, gfp | __GFP_ZERO |
				  gdmabuf_sg_zone(buf->dev));
	if (!vaddr)
		return NULL;
	page = virt_to_page(vaddr);
	if (gdmabuf_sg_reachable(buf->dev, page, buf->size)) {
		buf->exact_pages = true;
		return page;
	}
	free_pages_exact(vaddr, buf->size);
	return NULL;
}

static int gdmabuf_buffer_alloc_contiguous(struct gdmabuf_buffer *buf)
{
	/* Charged to the caller's memcg unless it comes from CMA. */
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
	struct gdmabuf_segment *seg = &buf->segs[0];
	struct page *page;

	seg->npages = buf->size >> PAGE_SHIFT;
	if (buf->mem_type != GDMABUF_MEM_CACHED) {
		buf->cpu_addr = dma_alloc_attrs(buf->dev, buf->size,
						&seg->dma_addr, gfp,
						gdmabuf_dma_attrs(buf));
		return buf->cpu_addr ? 0 : -ENOMEM;
	}

	page = gdmabuf_contiguous_pages(buf, gfp);
	if (!page)
		return -ENOMEM;
	seg->pfn = page_to_pfn(page);
	if (!gdmabuf_contiguous_mapped(buf)) {
		seg->dma_addr = buf->own_dma_addr;
		/* It was zeroed through the cache: the device owns it now. */
		dma_sync_single_for_device(buf->dev, seg->dma_addr, buf->size,
					   DMA_BIDIRECTIONAL);
		return 0;
	}

	/*
	 * gdmabuf's own device may hold the memory too: a second mapping may
	 * overlap it only without the implicit sync, so sync explicitly.
	 */
	seg->dma_addr = dma_map_page_attrs(buf->dev, page, 0, buf->size,
					   DMA_BIDIRECTIONAL,
					   DMA_ATTR_NO_WARN | DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(buf->dev, seg->dma_addr))
		goto free_pages;
	if (gdmabuf_sg_bounced(buf->dev, page_to_phys(page), seg->dma_addr)) {
		dma_unmap_page_attrs(buf->dev, seg->dma_addr, buf->size,
				     DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
		goto free_pages;
	}
	dma_sync_single_for_device(buf->dev, seg->dma_addr, buf->size,
				   DMA_BIDIRECTIONAL);
	return 0;

free_pages:
	gdmabuf_contiguous_free_pages(buf, page);
	return -ENOMEM;
}

/* Make room for one more segment, doubling the table as needed. */
static int gdmabuf_buffer_grow_segs(struct gdmabuf_buffer *buf, unsigned int n,
				    unsigned int *room)
{
	struct gdmabuf_segment *segs;

	if (n < *room)
		return 0;
	segs = kvrealloc(buf->segs, array_size(*room * 2, sizeof(*segs)),
			 GFP_KERNEL_ACCOUNT);
	if (!segs)
		return -ENOMEM;
	buf->segs = segs;
	*room *= 2;
	return 0;
}

/*
 * Allocate one block of at most 2^@order pages for @seg: the largest order
 * that succeeds, never one the device would need a bounce buffer for,
 * which would hold its slots for the buffer's life.
 */
static int gdmabuf_sg_alloc_block(struct gdmabuf_buffer *buf,
				  unsigned int order, gfp_t zone,
				  struct gdmabuf_segment *seg)
{
	for (;; order--) {
		gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | zone;
		struct page *page;

		/* compound, so importers may take references on any page */
		if (order)
			gfp |= __GFP_NORETRY | __GFP_COMP;
		page = alloc_pages(gfp, order);
		if (page && gdmabuf_sg_reachable(buf->dev, page, PAGE_SIZE << order)) {
			seg->pfn = page_to_pfn(page);
			seg->npages = 1UL << order;
			return 0;
		}
		if (page)
			__free_pages(page, order);
		if (!order)
			return -ENOMEM;
	}
}

/*
 * log2 of the largest piece of a block that one mapping entry for @dev
 * holds: within its maximum segment and mapping size and its segment
 * boundary. Blocks are naturally aligned powers of two, and so are their
 * pieces, which therefore never cross a boundary.
 */
static unsigned int gdmabuf_piece_shift(struct device *dev)
{
	size_t max = min_t(size_t, dma_get_max_seg_size(dev),
			   dma_max_mapping_size(dev));
	unsigned long boundary = dma_get_seg_boundary(dev);

	if (boundary != ULONG_MAX)
		max = min_t(size_t, max, boundary + 1);
	/* 0: not even a page fits in one entry, which no block can avoid */
	return max >= PAGE_SIZE ? ilog2(max) : 0;
}

/*
 * Give every block the device address of its first byte, from the mapped
 * table: DMA entries hold whole pieces, in order. A block must be one
 * linear range for the device, and without an IOMMU at its own address.
 */
static int gdmabuf_sg_assign_dma(struct gdmabuf_buffer *buf)
{
	struct scatterlist *sg, *dma_sg = buf->sgt.sgl;
	u64 dma_off = 0, block_off = 0;
	unsigned int i, block = 0;

	for_each_sgtable_sg(&buf->sgt, sg, i) {
		struct gdmabuf_segment *seg = &buf->segs[block];
		dma_addr_t addr;

		if (dma_off == sg_dma_len(dma_sg)) {
			dma_sg = sg_next(dma_sg);
			dma_off = 0;
		}
		if (!dma_sg || dma_off + sg->length > sg_dma_len(dma_sg))
			return -EIO;
		addr = sg_dma_address(dma_sg) + dma_off;
		dma_off += sg->length;
		if (gdmabuf_sg_bounced(buf->dev, sg_phys(sg), addr))
			return -ENOMEM;
		if (!block_off)
			seg->dma_addr = addr;
		else if (addr != seg->dma_addr + block_off)
			return -EIO;
		block_off += sg->length;
		if (block_off == (u64)seg->npages << PAGE_SHIFT) {
			block++;
			block_off = 0;
		}
	}
	return 0;
}

/*
 * The DMA segments: blocks merged where an IOMMU made their addresses one
 * range (videobuf2-dma-contig does the same for user pages), whatever the
 * device's maximum segment size, which a device without scatter-gather
 * does not care about; without an IOMMU, the blocks themselves.
 */
static int gdmabuf_sg_dma_segments(struct gdmabuf_buffer *buf)
{
	struct gdmabuf_segment *segs = buf->segs, *out;
	unsigned int i, n = 0;
	dma_addr_t end = 0;

	buf->dma_segs = buf->segs;
	buf->nr_dma_segs = buf->nsegs;
	if (!gdmabuf_device_translated(buf->dev))
		return 0;

	for (i = 0; i < buf->nsegs; i++) {
		if (!i || segs[i].dma_addr != end)
			n++;
		end = segs[i].dma_addr + ((u64)segs[i].npages << PAGE_SHIFT);
	}
	if (n == buf->nsegs)
		return 0;
	out = kvcalloc(n, sizeof(*out), GFP_KERNEL_ACCOUNT);
	if (!out)
		return -ENOMEM;
	for (i = 0, n = 0; i < buf->nsegs; i++) {
		if (!i || segs[i].dma_addr != end) {
			out[n].pgoff = segs[i].pgoff;
			out[n].dma_addr = segs[i].dma_addr;
			n++;
		}
		out[n - 1].npages += segs[i].npages;
		end = segs[i].dma_addr + ((u64)segs[i].npages << PAGE_SHIFT);
	}
	buf->dma_segs = out;
	buf->nr_dma_segs = n;
	return 0;
}

/*
 * Map the blocks for the device, split into pieces it takes, and list the
 * DMA segments that makes.
 */
static int gdmabuf_sg_map(struct gdmabuf_buffer *buf)
{
	unsigned int shift = gdmabuf_piece_shift(buf->dev);
	unsigned int i, n = 0;
	struct scatterlist *sg;
	int ret;

	if (!shift)
		return -ENOMEM;
	for (i = 0; i < buf->nsegs; i++)
		n += ((buf->segs[i].npages << PAGE_SHIFT) + (1UL << shift) - 1) >> shift;
	ret = sg_alloc_table(&buf->sgt, n, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	sg = buf->sgt.sgl;
	for (i = 0; i < buf->nsegs; i++) {
		unsigned long npages = buf->segs[i].npages, off;
		unsigned long piece = min(npages, 1UL << (shift - PAGE_SHIFT));

		for (off = 0; off < npages; off += piece) {
			sg_set_page(sg, pfn_to_page(buf->segs[i].pfn + off),
				    piece << PAGE_SHIFT, 0);
			sg = sg_next(sg);
		}
	}
	buf->piece_shift = shift;

	/* Mapping syncs the zeroed blocks for the device. */
	ret = dma_map_sgtable(buf->dev, &buf->sgt, DMA_BIDIRECTIONAL,
			      DMA_ATTR_NO_WARN);
	if (ret)
		goto free_table;
	ret = gdmabuf_sg_assign_dma(buf);
	if (ret)
		goto unmap;
	ret = gdmabuf_sg_dma_segments(buf);
	if (ret)
		goto unmap;
	return 0;

unmap:
	dma_unmap_sgtable(buf->dev, &buf->sgt, DMA_BIDIRECTIONAL, 0);
free_table:
	sg_free_table(&buf->sgt);
	return -ENOMEM;
}

/*
 * Blocks of the highest order that fits, each naturally aligned in the
 * buffer, so that all PMD-sized blocks are huge-mappable in one mapping.
 * A block that could not be had at full order costs only its own range:
 * the next aligned block tries the full order again.
 */
static int gdmabuf_buffer_alloc_sg(struct gdmabuf_buffer *buf)
{
	unsigned long left = buf->size >> PAGE_SHIFT;
	gfp_t zone = gdmabuf_sg_zone(buf->dev);
	unsigned int room = 1;
	pgoff_t pgoff = 0;
	unsigned int n = 0;
	int ret;

	while (left) {
		unsigned int order = min_t(unsigned long, GDMABUF_SG_MAX_ORDER,
					   ilog2(left));

		if (pgoff)
			order = min_t(unsigned long, order, __ffs(pgoff));
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto free_segments;
		}
		ret = gdmabuf_buffer_grow_segs(buf, n, &room);
		if (ret)
			goto free_segments;
		ret = gdmabuf_sg_alloc_block(buf, order, zone, &buf->segs[n]);
		if (ret)
			goto free_segments;
		buf->segs[n].pgoff = pgoff;
		/* the core maps a folio with a PMD only inside the file's size */
		page_folio(pfn_to_page(buf->segs[n].pfn))->index = pgoff;
		pgoff += buf->segs[n].npages;
		left -= buf->segs[n].npages;
		n++;
		cond_resched();
	}
	buf->nsegs = n;
	ret = gdmabuf_sg_map(buf);
	if (ret)
		goto free_segments;
	return 0;

free_segments:
	gdmabuf_buffer_free_blocks(buf, n);
	return ret;
}

/*
 * The device snoops CPU caches and no segment is bounced: sync can be
 * skipped. With DMA-API debugging dma_need_sync() is true for every
 * device the IOMMU translates for, whose memory is never bounced here
 * anyway (whole pages), so ask it only without translation.
 */
static bool gdmabuf_buffer_coherent(const struct gdmabuf_buffer *buf)
{
	unsigned int i;

	if (!dev_is_dma_coherent(buf->dev))
		return false;
	if (gdmabuf_device_translated(buf->dev))
		return true;
	for (i = 0; i < buf->nr_dma_segs; i++)
		if (dma_need_sync(buf->dev, buf->dma_segs[i].dma_addr))
			return false;
	return true;
}

/*
 * Coherent and write-combine memory of a named device is the device's:
 * it goes when the device does, and so do its user mappings.
 */
bool gdmabuf_buffer_revocable(const struct gdmabuf_buffer *buf)
{
	return buf->named && buf->mem_type != GDMABUF_MEM_CACHED;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_revocable);

static u32 gdmabuf_cpu_mapping(const struct gdmabuf_buffer *buf)
{
	/* The DMA API maps coherent memory cacheable on coherent devices. */
	if (buf->mem_type == GDMABUF_MEM_CACHED || buf->coherent)
		return GDMABUF_CPU_CACHED;
	if (buf->mem_type == GDMABUF_MEM_WRITE_COMBINE)
		return GDMABUF_CPU_WRITE_COMBINE;
	return GDMABUF_CPU_UNCACHED;
}

/*
 * Allocate a zeroed buffer of @size bytes (a non-zero multiple of
 * PAGE_SIZE no larger than max_buffer_size, checked by the caller) for
 * @dev, within the total limit. The buffer holds a reference on @dev
 * unless it is gdmabuf's own; a caller that is not KUnit holds its device
 * lock, so that its driver stays bound until the buffer is listed.
 */
struct gdmabuf_buffer *gdmabuf_buffer_create(struct device *dev, u64 size,
					     u32 mem_type, u32 layout)
{
	struct gdmabuf_buffer *buf;
	int ret;

	ret = gdmabuf_charge(size);
	if (ret)
		return ERR_PTR(ret);
	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf) {
		ret = -ENOMEM;
		goto uncharge;
	}
	buf->segs = kvzalloc(sizeof(*buf->segs), GFP_KERNEL_ACCOUNT);
	if (!buf->segs) {
		ret = -ENOMEM;
		goto free_buf;
	}
	kref_init(&buf->ref);
	INIT_LIST_HEAD(&buf->node);
	mutex_init(&buf->export_lock);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	init_rwsem(&buf->mem_lock);
	mutex_init(&buf->mm_lock);
	INIT_LIST_HEAD(&buf->mms);
	buf->dev = dev;
	buf->named = dev != gdmabuf_own_device();
	buf->piece_shift = BITS_PER_LONG - 1;
	buf->size = size;
	buf->mem_type = mem_type;
	buf->layout = layout;
	buf->nsegs = 1;
	/* debugfs is init's: the global pid */
	buf->owner_tgid = task_tgid_nr(current);
	get_task_comm(buf->owner_comm, current);

	if (layout == GDMABUF_LAYOUT_SCATTER_GATHER)
		ret = gdmabuf_buffer_alloc_sg(buf);
	else
		ret = gdmabuf_buffer_alloc_contiguous(buf);
	if (ret)
		goto free_segs;
	if (buf->layout == GDMABUF_LAYOUT_CONTIGUOUS) {
		buf->dma_segs = buf->segs;
		buf->nr_dma_segs = 1;
	}

	buf->coherent = gdmabuf_buffer_coherent(buf);
	buf->cpu_mapping = gdmabuf_cpu_mapping(buf);
	if (buf->named)
		get_device(dev);
	gdmabuf_list_add(buf);
	return buf;

free_segs:
	kvfree(buf->segs);
	mutex_destroy(&buf->mm_lock);
	mutex_destroy(&buf->lock);
	mutex_destroy(&buf->export_lock);
free_buf:
	kfree(buf);
uncharge:
	gdmabuf_uncharge(size);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_create);

/*
 * Undo the mapping for the device, and free memory that is the device's;
 * with mem_lock held for writing, or the last reference. Cached memory
 * stays the CPU's: no sync, which could discard lines the CPU wrote.
 */
static void gdmabuf_buffer_unmap(struct gdmabuf_buffer *buf)
{
	struct gdmabuf_segment *seg = &buf->segs[0];

	lockdep_assert_held_write(&buf->mem_lock);

	if (buf->mem_type != GDMABUF_MEM_CACHED) {
		dma_free_attrs(buf->dev, buf->size, buf->cpu_addr,
			       seg->dma_addr, gdmabuf_dma_attrs(buf));
		buf->cpu_addr = NULL;
	} else if (buf->layout == GDMABUF_LAYOUT_SCATTER_GATHER) {
		dma_unmap_sgtable(buf->dev, &buf->sgt, DMA_BIDIRECTIONAL,
				  DMA_ATTR_SKIP_CPU_SYNC);
	} else if (gdmabuf_contiguous_mapped(buf)) {
		dma_unmap_page_attrs(buf->dev, seg->dma_addr, buf->size,
				     DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	}
}

/*
 * Free cached memory, which is gdmabuf's and outlives the mapping, and
 * @buf. Blocks and split pages in use elsewhere go when their last user
 * lets go; the caller has waited for CMA memory to be idle.
 */
static void gdmabuf_buffer_free(struct gdmabuf_buffer *buf)
{
	if (buf->mem_type == GDMABUF_MEM_CACHED &&
	    buf->layout == GDMABUF_LAYOUT_SCATTER_GATHER) {
		sg_free_table(&buf->sgt);
		gdmabuf_buffer_free_blocks(buf, buf->nsegs);
	} else if (buf->mem_type == GDMABUF_MEM_CACHED) {
		gdmabuf_contiguous_free_pages(buf, pfn_to_page(buf->segs[0].pfn));
	}
	kvfree(buf->segs);
	kfree(buf);
}

/* No page of @buf's CMA memory has a user but @buf. */
static bool gdmabuf_cma_idle(const struct gdmabuf_buffer *buf)
{
	struct page *page = pfn_to_page(buf->segs[0].pfn);
	unsigned long i;

	for (i = 0; i < buf->segs[0].npages; i++)
		if (page_ref_count(page + i) != 1)
			return false;
	return true;
}

static void gdmabuf_linger_work_fn(struct work_struct *work)
{
	struct gdmabuf_buffer *buf, *next;

	guard(mutex)(&gdmabuf_linger_lock);
	list_for_each_entry_safe(buf, next, &gdmabuf_lingering, node) {
		if (!gdmabuf_cma_idle(buf))
			continue;
		list_del(&buf->node);
		gdmabuf_buffer_free(buf);
		/* gdmabuf_buffers_exit() waits for this work to return */
		module_put(THIS_MODULE);
	}
	if (!list_empty(&gdmabuf_lingering))
		schedule_delayed_work(&gdmabuf_linger_work, GDMABUF_LINGER_DELAY);
}

/* Keep @buf's CMA memory until no page of it is in use. */
static void gdmabuf_buffer_linger(struct gdmabuf_buffer *buf)
{
	__module_get(THIS_MODULE);
	guard(mutex)(&gdmabuf_linger_lock);
	list_add_tail(&buf->node, &gdmabuf_lingering);
	schedule_delayed_work(&gdmabuf_linger_work, GDMABUF_LINGER_DELAY);
}

/* At module exit: every lingering buffer is gone, as each held the module. */
void gdmabuf_buffers_exit(void)
{
	cancel_delayed_work_sync(&gdmabuf_linger_work);
}

/* Drop the mms that mapped revocable memory, taking them off @buf. */
static void gdmabuf_buffer_drop_mms(struct gdmabuf_buffer *buf, bool wait)
{
	struct gdmabuf_mm *m, *next;
	LIST_HEAD(mms);

	/* not under mm_lock: mmap() takes that under mmap_lock */
	scoped_guard(mutex, &buf->mm_lock)
		list_splice_init(&buf->mms, &mms);
	list_for_each_entry_safe(m, next, &mms, node) {
		/* an mmap() holds it for writing until its VMA is linked */
		if (wait) {
			mmap_read_lock(m->mm);
			mmap_read_unlock(m->mm);
		}
		mmdrop(m->mm);
		kfree(m);
	}
}

/* Remember that @mm maps @buf's revocable memory; under mmap_lock. */
int gdmabuf_buffer_add_mm(struct gdmabuf_buffer *buf, struct mm_struct *mm)
{
	struct gdmabuf_mm *m, *next;

	mmap_assert_write_locked(mm);
	guard(mutex)(&buf->mm_lock);
	list_for_each_entry_safe(m, next, &buf->mms, node) {
		if (m->mm == mm)
			return 0;
		/* an mm that exited has no VMA left to wait for */
		if (!atomic_read(&m->mm->mm_users)) {
			list_del(&m->node);
			mmdrop(m->mm);
			kfree(m);
		}
	}
	m = kmalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	mmgrab(mm);
	m->mm = mm;
	list_add(&m->node, &buf->mms);
	return 0;
}

/*
 * Detach @buf from its device, which is going away: unmap cached memory
 * for it, which stays as it is for the CPU; revoke every user mapping of
 * the device's own memory and free it. Faults on cached memory need no
 * lock, as its pages stay.
 */
static void gdmabuf_buffer_detach(struct gdmabuf_buffer *buf)
{
	scoped_guard(rwsem_write, &buf->mem_lock) {
		if (buf->detached)
			return;
		buf->detached = true;
		if (!gdmabuf_buffer_revocable(buf)) {
			gdmabuf_buffer_unmap(buf);
			return;
		}
	}

	/* No mmap() maps it any more; those that did have linked VMAs. */
	gdmabuf_buffer_drop_mms(buf, true);
	scoped_guard(rwsem_write, &buf->mem_lock) {
		if (buf->mapping)
			unmap_mapping_range(buf->mapping, 0, 0, 1);
		gdmabuf_buffer_unmap(buf);
	}
}

/*
 * Detach every buffer of @dev, before its driver unbinds or it goes. Not
 * under gdmabuf_lock, as a detach may wait for other processes' mmap_lock:
 * the live buffers are taken off with a reference. One being released
 * still has its memory until it leaves the list, which waits for
 * gdmabuf_lock: detach it here, so that its release finds nothing mapped.
 */
void gdmabuf_buffers_detach(struct device *dev)
{
	struct gdmabuf_buffer *buf, *next;
	LIST_HEAD(live);

	scoped_guard(mutex, &gdmabuf_lock) {
		list_for_each_entry(buf, &gdmabuf_buffers, node) {
			if (buf->dev != dev)
				continue;
			if (kref_get_unless_zero(&buf->ref))
				list_add_tail(&buf->detach_node, &live);
			else
				gdmabuf_buffer_detach(buf);
		}
	}
	list_for_each_entry_safe(buf, next, &live, detach_node) {
		gdmabuf_buffer_detach(buf);
		gdmabuf_buffer_put(buf);
	}
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffers_detach);

static void gdmabuf_buffer_release(struct kref *ref)
{
	struct gdmabuf_buffer *buf = container_of(ref, struct gdmabuf_buffer, ref);

	/* Before leaving the list: a detach either did it or waits for it. */
	scoped_guard(rwsem_write, &buf->mem_lock) {
		if (!buf->detached)
			gdmabuf_buffer_unmap(buf);
		buf->detached = true;
	}
	gdmabuf_list_del(buf);
	gdmabuf_uncharge(buf->size);
	gdmabuf_buffer_drop_mms(buf, false);
	if (buf->named)
		put_device(buf->dev);
	if (buf->dma_segs != buf->segs)
		kvfree(buf->dma_segs);
	mutex_destroy(&buf->mm_lock);
	mutex_destroy(&buf->lock);
	mutex_destroy(&buf->export_lock);
	if (gdmabuf_buffer_from_cma(buf) && !gdmabuf_cma_idle(buf))
		gdmabuf_buffer_linger(buf);
	else
		gdmabuf_buffer_free(buf);
}

void gdmabuf_buffer_put(struct gdmabuf_buffer *buf)
{
	kref_put(&buf->ref, gdmabuf_buffer_release);
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_put);

/* Map the CPU's access onto the DMA API's direction. */
static enum dma_data_direction gdmabuf_sync_dir(u32 flags)
{
	switch (flags & GDMABUF_SYNC_RW) {
	case GDMABUF_SYNC_READ:
		return DMA_FROM_DEVICE;
	case GDMABUF_SYNC_WRITE:
		return DMA_TO_DEVICE;
	default:
		return DMA_BIDIRECTIONAL;
	}
}

/*
 * Sync the bytes [@start, @end) of cached memory, block by block, and in a
 * block piece by piece as each was mapped; with mem_lock held. A
 * scatter-gather buffer can have millions of blocks: find the first by
 * binary search, and let others run between blocks.
 */
static void gdmabuf_buffer_sync_range(struct gdmabuf_buffer *buf, u64 start,
				      u64 end, enum dma_data_direction dir,
				      bool for_cpu)
{
	unsigned long pfn, contig;
	unsigned int i;
	int first;

	lockdep_assert_held(&buf->mem_lock);
	/* Coherent and write-combine memory is never cached for the CPU. */
	if (buf->mem_type != GDMABUF_MEM_CACHED || buf->coherent || buf->detached)
		return;
	first = gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs, start >> PAGE_SHIFT,
				     &pfn, &contig);
	if (first < 0)
		return;

	for (i = first; i < buf->nsegs && start < end; i++) {
		const struct gdmabuf_segment *seg = &buf->segs[i];
		u64 seg_start = (u64)seg->pgoff << PAGE_SHIFT;
		u64 seg_end = seg_start + ((u64)seg->npages << PAGE_SHIFT);

		while (start < min(end, seg_end)) {
			u64 off = start - seg_start;
			u64 piece = round_down(off, 1ULL << buf->piece_shift);
			u64 chunk = min3(end, seg_end, seg_start + piece +
					 (1ULL << buf->piece_shift)) - start;

			if (for_cpu)
				dma_sync_single_range_for_cpu(buf->dev,
							      seg->dma_addr + piece,
							      off - piece, chunk, dir);
			else
				dma_sync_single_range_for_device(buf->dev,
								 seg->dma_addr + piece,
								 off - piece, chunk, dir);
			start += chunk;
		}
		cond_resched();
	}
}

/*
 * Sync [@offset, @offset + @len), widened to cache lines, for the CPU
 * (GDMABUF_SYNC_START) or for the device (GDMABUF_SYNC_END). A caller
 * that may not write the buffer must not discard what a writer has not
 * synced yet: before invalidating for it, write dirty lines back.
 */
int gdmabuf_buffer_sync(struct gdmabuf_buffer *buf, u64 offset, u64 len,
			u32 flags, bool may_write)
{
	bool for_cpu = !(flags & GDMABUF_SYNC_END);
	enum dma_data_direction dir = gdmabuf_sync_dir(flags);
	u64 start, end;

	if (flags & ~(GDMABUF_SYNC_RW | GDMABUF_SYNC_END) ||
	    !(flags & GDMABUF_SYNC_RW) ||
	    !gdmabuf_range_valid(buf->size, offset, len))
		return -EINVAL;

	gdmabuf_sync_range_align(offset, len, buf->size,
				 dma_get_cache_alignment(), &start, &end);
	guard(rwsem_read)(&buf->mem_lock);
	if (buf->detached)
		return -ENODEV;
	if (for_cpu && !may_write)
		gdmabuf_buffer_sync_range(buf, start, end, DMA_TO_DEVICE, false);
	gdmabuf_buffer_sync_range(buf, start, end, dir, for_cpu);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_sync);

/*
 * Sync all of cached memory for the buffer's device, for dma-buf CPU
 * access; nothing once detached.
 */
void gdmabuf_buffer_sync_dir(struct gdmabuf_buffer *buf,
			     enum dma_data_direction dir, bool for_cpu)
{
	guard(rwsem_read)(&buf->mem_lock);
	gdmabuf_buffer_sync_range(buf, 0, buf->size, dir, for_cpu);
}

static bool gdmabuf_buffer_detached(struct gdmabuf_buffer *buf)
{
	guard(rwsem_read)(&buf->mem_lock);
	return buf->detached;
}

static long gdmabuf_buffer_ioctl_info(struct file *file, void *kdata,
				      struct gdmabuf_ioctl_ctx *ctx)
{
	struct gdmabuf_buffer *buf = file->private_data;
	bool detached = gdmabuf_buffer_detached(buf);
	bool contiguous = !detached && buf->nr_dma_segs == 1;
	struct gdmabuf_info *info = kdata;
	bool show_addr = buf->dma_addr_visible;

	if (info->flags || info->reserved || info->reserved2)
		return -EINVAL;
	info->attrs = (buf->coherent ? GDMABUF_ATTR_DEVICE_COHERENT : 0) |
		      (show_addr ? GDMABUF_ATTR_DMA_ADDR_VISIBLE : 0) |
		      (contiguous ? GDMABUF_ATTR_DMA_CONTIGUOUS : 0) |
		      (detached ? GDMABUF_ATTR_DETACHED : 0);
	info->size = buf->size;
	info->id = buf->id;
	info->dma_addr = 0;
	if (show_addr && contiguous)
		info->dma_addr = buf->dma_segs[0].dma_addr;
	info->mem_type = buf->mem_type;
	info->layout = buf->layout;
	info->cpu_mapping = buf->cpu_mapping;
	info->nr_segments = detached ? 0 : buf->nr_dma_segs;
	info->nr_blocks = buf->nsegs;
	return 0;
}

static long gdmabuf_buffer_ioctl_segments(struct file *file, void *kdata,
					  struct gdmabuf_ioctl_ctx *ctx)
{
	struct gdmabuf_buffer *buf = file->private_data;
	struct gdmabuf_segments *args = kdata;
	struct gdmabuf_segment_desc __user *out;
	bool show_addr = buf->dma_addr_visible;
	u32 i, n;

	if (args->flags || args->reserved || args->first > buf->nr_dma_segs)
		return -EINVAL;
	/*
	 * Not under mem_lock, as copy_to_user() may fault and take mmap_lock:
	 * the list stays until the buffer goes, and a detach racing with
	 * this is as if it came after.
	 */
	if (gdmabuf_buffer_detached(buf))
		return -ENODEV;
	out = u64_to_user_ptr(args->segments_ptr);
	n = min(args->count, buf->nr_dma_segs - args->first);
	for (i = 0; i < n; i++) {
		const struct gdmabuf_segment *seg = &buf->dma_segs[args->first + i];
		struct gdmabuf_segment_desc desc = {
			.dma_addr = show_addr ? seg->dma_addr : 0,
			.len = (u64)seg->npages << PAGE_SHIFT,
		};

		if (copy_to_user(&out[i], &desc, sizeof(desc)))
			return -EFAULT;
		/* a scatter-gather list can have millions of entries */
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	args->count = n;
	args->nr_segments = buf->nr_dma_segs;
	return 0;
}

static long gdmabuf_buffer_ioctl_sync(struct file *file, void *kdata,
				      struct gdmabuf_ioctl_ctx *ctx)
{
	struct gdmabuf_sync *args = kdata;

	if (args->reserved)
		return -EINVAL;
	return gdmabuf_buffer_sync(file->private_data, args->offset,
				   args->len, args->flags,
				   file->f_mode & FMODE_WRITE);
}

static long gdmabuf_buffer_ioctl_export(struct file *file, void *kdata,
					struct gdmabuf_ioctl_ctx *ctx)
{
	struct gdmabuf_buffer *buf = file->private_data;
	struct gdmabuf_export *args = kdata;
	struct dma_buf *dmabuf;
	int fd;

	if (args->flags || args->reserved || args->fd ||
	    !gdmabuf_fd_flags_valid(args->fd_flags))
		return -EINVAL;
	/* A read-only buffer fd must not become writable through a dma-buf. */
	if ((args->fd_flags & O_ACCMODE) == O_RDWR && !(file->f_mode & FMODE_WRITE))
		return -EACCES;
	/* 6.12 cannot revoke an importer's mapping of memory that goes. */
	if (gdmabuf_buffer_revocable(buf))
		return -EOPNOTSUPP;
	if (gdmabuf_buffer_detached(buf))
		return -ENODEV;

	dmabuf = gdmabuf_buffer_export(file->private_data, args->fd_flags);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	fd = get_unused_fd_flags(args->fd_flags & O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	args->fd = fd;
	ctx->new_file = dmabuf->file;
	ctx->new_fd = fd;
	return 0;
}

/* Commands of a buffer fd, indexed by command number. */
static const struct gdmabuf_ioctl_desc gdmabuf_buffer_ioctls[] = {
	[_IOC_NR(GDMABUF_IOCTL_INFO)] = {
		.cmd = GDMABUF_IOCTL_INFO,
		.min_size = GDMABUF_INFO_SIZE_VER0,
		.handler = gdmabuf_buffer_ioctl_info,
	},
	[_IOC_NR(GDMABUF_IOCTL_SEGMENTS)] = {
		.cmd = GDMABUF_IOCTL_SEGMENTS,
		.min_size = sizeof(struct gdmabuf_segments),
		.handler = gdmabuf_buffer_ioctl_segments,
	},
	[_IOC_NR(GDMABUF_IOCTL_SYNC)] = {
		.cmd = GDMABUF_IOCTL_SYNC,
		.min_size = sizeof(struct gdmabuf_sync),
		.handler = gdmabuf_buffer_ioctl_sync,
	},
	[_IOC_NR(GDMABUF_IOCTL_EXPORT)] = {
		.cmd = GDMABUF_IOCTL_EXPORT,
		.min_size = sizeof(struct gdmabuf_export),
		.handler = gdmabuf_buffer_ioctl_export,
	},
};

static_assert(sizeof(struct gdmabuf_info) <= GDMABUF_IOCTL_MAX_SIZE);
static_assert(offsetofend(struct gdmabuf_info, nr_segments) == GDMABUF_INFO_SIZE_VER0);
static_assert(sizeof(struct gdmabuf_segments) <= GDMABUF_IOCTL_MAX_SIZE);
static_assert(sizeof(struct gdmabuf_sync) <= GDMABUF_IOCTL_MAX_SIZE);
static_assert(sizeof(struct gdmabuf_export) <= GDMABUF_IOCTL_MAX_SIZE);

/* Every buffer-fd ioctl goes through the dispatch table. */
static long gdmabuf_buffer_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	return gdmabuf_ioctl_dispatch(gdmabuf_buffer_ioctls,
				      ARRAY_SIZE(gdmabuf_buffer_ioctls),
				      file, cmd, arg);
}

static const char * const gdmabuf_mem_type_names[] = {
	[GDMABUF_MEM_CACHED] = "cached",
	[GDMABUF_MEM_COHERENT] = "coherent",
	[GDMABUF_MEM_WRITE_COMBINE] = "write-combine",
};

static const char * const gdmabuf_layout_names[] = {
	[GDMABUF_LAYOUT_CONTIGUOUS] = "contiguous",
	[GDMABUF_LAYOUT_SCATTER_GATHER] = "scatter-gather",
};

/* fdinfo: what the buffer is, for lsof-style tools. */
static void gdmabuf_buffer_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct gdmabuf_buffer *buf = file->private_data;
	bool detached = gdmabuf_buffer_detached(buf);

	seq_printf(m, "gdmabuf-id:\t%llu\n", buf->id);
	seq_printf(m, "gdmabuf-size:\t%zu\n", buf->size);
	seq_printf(m, "gdmabuf-type:\t%s\n", gdmabuf_mem_type_names[buf->mem_type]);
	seq_printf(m, "gdmabuf-layout:\t%s\n", gdmabuf_layout_names[buf->layout]);
	seq_printf(m, "gdmabuf-segments:\t%u\n", detached ? 0 : buf->nr_dma_segs);
	seq_printf(m, "gdmabuf-blocks:\t%u\n", buf->nsegs);
	seq_printf(m, "gdmabuf-device:\t%s/%s\n", buf->dev->bus->name,
		   dev_name(buf->dev));
	seq_printf(m, "gdmabuf-state:\t%s\n", detached ? "detached" : "attached");
}

/* The last fd and the last mapping are gone: drop the file's reference. */
static int gdmabuf_buffer_file_release(struct inode *inode, struct file *file)
{
	struct gdmabuf_buffer *buf = file->private_data;

	scoped_guard(rwsem_write, &buf->mem_lock)
		buf->mapping = NULL;
	gdmabuf_buffer_put(buf);
	return 0;
}

static const struct file_operations gdmabuf_buffer_fops = {
	.owner = THIS_MODULE,
	.release = gdmabuf_buffer_file_release,
	.mmap = gdmabuf_buffer_mmap,
	.get_unmapped_area = gdmabuf_buffer_get_unmapped_area,
	/* msync(): memory, not a file; the sync ioctl is what orders DMA */
	.fsync = noop_fsync,
	.unlocked_ioctl = gdmabuf_buffer_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = gdmabuf_buffer_show_fdinfo,
	.llseek = noop_llseek,
};

/*
 * A new file for @buf, owning the caller's reference. @fd_flags holds the
 * access mode; O_CLOEXEC is the fd's business, not the file's. Its own
 * inode, so that revoking its user mappings touches no other file's.
 */
struct file *gdmabuf_buffer_file(struct gdmabuf_buffer *buf, u32 fd_flags)
{
	struct file *file;

	file = anon_inode_create_getfile("[gdmabuf]", &gdmabuf_buffer_fops, buf,
					 fd_flags & O_ACCMODE, NULL);
	if (!IS_ERR(file)) {
		/* the size the core maps huge pages within, as for a dma-buf */
		i_size_write(file_inode(file), buf->size);
		guard(rwsem_write)(&buf->mem_lock);
		buf->mapping = file->f_mapping;
	}
	return file;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_file);

/* debugfs: one line per buffer, under gdmabuf_lock. */
void gdmabuf_debugfs_show(struct seq_file *m)
{
	struct gdmabuf_buffer *buf;

	lockdep_assert_held(&gdmabuf_lock);
	list_for_each_entry(buf, &gdmabuf_buffers, node) {
		bool detached = gdmabuf_buffer_detached(buf);

		seq_printf(m, "%-8llu %14zu %-14s %-15s %8u %8d %7d %-16s ",
			   buf->id, buf->size,
			   gdmabuf_mem_type_names[buf->mem_type],
			   gdmabuf_layout_names[buf->layout],
			   detached ? 0 : buf->nr_dma_segs,
			   atomic_read(&buf->mappings), buf->owner_tgid,
			   buf->owner_comm);
		seq_printf(m, "%s/%-*s %s\n", buf->dev->bus->name,
			   23 - (int)strlen(buf->dev->bus->name),
			   dev_name(buf->dev), detached ? "detached" : "attached");
	}
	/* released, with CMA memory a pipe or an I/O still holds */
	guard(mutex)(&gdmabuf_linger_lock);
	list_for_each_entry(buf, &gdmabuf_lingering, node)
		seq_printf(m, "%-8llu %14zu %-14s %-15s %8u %8d %7d %-16s %-24s %s\n",
			   buf->id, buf->size,
			   gdmabuf_mem_type_names[buf->mem_type],
			   gdmabuf_layout_names[buf->layout], 0, 0,
			   buf->owner_tgid, buf->owner_comm, "-", "lingering");
}
