// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf buffer objects: allocation backends, lifetime, sync, and the
 * buffer fd with its ioctls.
 *
 * Memory comes from the DMA API for the buffer's device:
 * - cached, contiguous: dma_alloc_pages(), synced with
 *   dma_sync_single_range_for_{cpu,device}();
 * - cached, scatter-gather: zeroed page blocks of the highest order the
 *   page allocator gives, naturally aligned in the buffer, from memory the
 *   device reaches without bounce buffers, each mapped with
 *   dma_map_page_attrs() and synced on its own;
 * - coherent and write-combine: dma_alloc_attrs(), mapped to userspace
 *   only by dma_mmap_attrs() so the user mapping has the kernel's
 *   attributes.
 */

#include <linux/anon_inodes.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
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
#include <kunit/visibility.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

/* Scatter-gather blocks: as large as the buddy allocator gives cheaply. */
#define GDMABUF_SG_MAX_ORDER	min_t(unsigned int, MAX_PAGE_ORDER, PMD_ORDER)

static const struct file_operations gdmabuf_buffer_fops;

/* DMA API attributes of coherent and write-combine memory. */
unsigned long gdmabuf_dma_attrs(const struct gdmabuf_buffer *buf)
{
	return buf->mem_type == GDMABUF_MEM_WRITE_COMBINE ?
	       DMA_ATTR_WRITE_COMBINE : 0;
}

static void gdmabuf_buffer_free_sg(struct gdmabuf_buffer *buf, unsigned int nsegs)
{
	unsigned int i;

	for (i = 0; i < nsegs; i++) {
		struct gdmabuf_segment *seg = &buf->segs[i];

		dma_unmap_page(buf->dev, seg->dma_addr,
			       seg->npages << PAGE_SHIFT, DMA_BIDIRECTIONAL);
		__free_pages(pfn_to_page(seg->pfn), ilog2(seg->npages));
	}
}

static void gdmabuf_buffer_free_memory(struct gdmabuf_buffer *buf)
{
	struct gdmabuf_segment *seg = &buf->segs[0];

	if (buf->mem_type != GDMABUF_MEM_CACHED)
		dma_free_attrs(buf->dev, buf->size, buf->cpu_addr,
			       seg->dma_addr, gdmabuf_dma_attrs(buf));
	else if (buf->layout == GDMABUF_LAYOUT_CONTIGUOUS)
		dma_free_pages(buf->dev, buf->size, pfn_to_page(seg->pfn),
			       seg->dma_addr, DMA_BIDIRECTIONAL);
	else
		gdmabuf_buffer_free_sg(buf, buf->nsegs);
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

	page = dma_alloc_pages(buf->dev, buf->size, &seg->dma_addr,
			       DMA_BIDIRECTIONAL, gfp);
	if (!page)
		return -ENOMEM;
	seg->pfn = page_to_pfn(page);
	/* It was zeroed through the cache: the device owns it from here. */
	dma_sync_single_for_device(buf->dev, seg->dma_addr, buf->size,
				   DMA_BIDIRECTIONAL);
	return 0;
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
 * The zone scatter-gather blocks come from: where the device's mask does
 * not cover all memory and no IOMMU translates, one it reaches, as
 * dma-direct picks for its own allocations.
 */
static gfp_t gdmabuf_sg_zone(struct device *dev)
{
	u64 limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);

	if (device_iommu_mapped(dev) || !dma_addressing_limited(dev))
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
	return device_iommu_mapped(dev) ||
	       dma_capable(dev, phys_to_dma(dev, page_to_phys(page)), size, true);
}

/* Mapped at a bounce buffer's address rather than its own. */
static bool gdmabuf_sg_bounced(struct device *dev, struct page *page,
			       dma_addr_t dma_addr)
{
	return !device_iommu_mapped(dev) &&
	       dma_addr != phys_to_dma(dev, page_to_phys(page));
}

/*
 * Allocate and map one block of at most 2^@order pages for @seg: the
 * largest order that succeeds, never one that needs a bounce buffer,
 * which would hold its slots for the buffer's life.
 */
static int gdmabuf_sg_alloc_block(struct gdmabuf_buffer *buf,
				  unsigned int order, gfp_t zone,
				  struct gdmabuf_segment *seg)
{
	struct device *dev = buf->dev;

	for (;; order--) {
		gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | zone;
		size_t size = PAGE_SIZE << order;
		struct page *page;

		/* compound, so importers may take references on any page */
		if (order)
			gfp |= __GFP_NORETRY | __GFP_COMP;
		page = alloc_pages(gfp, order);
		if (page && gdmabuf_sg_reachable(dev, page, size)) {
			seg->dma_addr = dma_map_page_attrs(dev, page, 0, size,
							   DMA_BIDIRECTIONAL,
							   DMA_ATTR_NO_WARN);
			if (!dma_mapping_error(dev, seg->dma_addr) &&
			    !gdmabuf_sg_bounced(dev, page, seg->dma_addr)) {
				seg->pfn = page_to_pfn(page);
				seg->npages = 1UL << order;
				return 0;
			}
			if (!dma_mapping_error(dev, seg->dma_addr))
				dma_unmap_page(dev, seg->dma_addr, size,
					       DMA_BIDIRECTIONAL);
		}
		if (page)
			__free_pages(page, order);
		if (!order)
			return -ENOMEM;
	}
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
		pgoff += buf->segs[n].npages;
		left -= buf->segs[n].npages;
		n++;
		cond_resched();
	}
	buf->nsegs = n;
	return 0;

free_segments:
	gdmabuf_buffer_free_sg(buf, n);
	return ret;
}

/* No segment needs cache maintenance or bouncing: sync can be skipped. */
static bool gdmabuf_buffer_coherent(const struct gdmabuf_buffer *buf)
{
	unsigned int i;

	for (i = 0; i < buf->nsegs; i++)
		if (dma_need_sync(buf->dev, buf->segs[i].dma_addr))
			return false;
	return true;
}

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
 * @dev, within the total limit.
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
	buf->dev = dev;
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

	buf->coherent = gdmabuf_buffer_coherent(buf);
	buf->cpu_mapping = gdmabuf_cpu_mapping(buf);
	gdmabuf_list_add(buf);
	return buf;

free_segs:
	kvfree(buf->segs);
	mutex_destroy(&buf->lock);
	mutex_destroy(&buf->export_lock);
free_buf:
	kfree(buf);
uncharge:
	gdmabuf_uncharge(size);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_create);

static void gdmabuf_buffer_release(struct kref *ref)
{
	struct gdmabuf_buffer *buf = container_of(ref, struct gdmabuf_buffer, ref);

	gdmabuf_list_del(buf);
	gdmabuf_buffer_free_memory(buf);
	gdmabuf_uncharge(buf->size);
	kvfree(buf->segs);
	mutex_destroy(&buf->lock);
	mutex_destroy(&buf->export_lock);
	kfree(buf);
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
 * Sync the bytes [@start, @end) of cached memory, segment by segment. A
 * scatter-gather buffer can have millions of segments: find the first by
 * binary search, and let others run between segments.
 */
static void gdmabuf_buffer_sync_range(struct gdmabuf_buffer *buf, u64 start,
				      u64 end, enum dma_data_direction dir,
				      bool for_cpu)
{
	unsigned long pfn, contig;
	unsigned int i;
	int first;

	/* Coherent and write-combine memory is never cached for the CPU. */
	if (buf->mem_type != GDMABUF_MEM_CACHED || buf->coherent)
		return;
	first = gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs, start >> PAGE_SHIFT,
				     &pfn, &contig);
	if (first < 0)
		return;

	for (i = first; i < buf->nsegs && start < end; i++) {
		const struct gdmabuf_segment *seg = &buf->segs[i];
		u64 seg_start = (u64)seg->pgoff << PAGE_SHIFT;
		u64 seg_end = seg_start + ((u64)seg->npages << PAGE_SHIFT);
		u64 chunk = min(end, seg_end) - start;

		if (for_cpu)
			dma_sync_single_range_for_cpu(buf->dev, seg->dma_addr,
						      start - seg_start, chunk, dir);
		else
			dma_sync_single_range_for_device(buf->dev, seg->dma_addr,
							 start - seg_start, chunk, dir);
		start += chunk;
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
	if (for_cpu && !may_write)
		gdmabuf_buffer_sync_range(buf, start, end, DMA_TO_DEVICE, false);
	gdmabuf_buffer_sync_range(buf, start, end, dir, for_cpu);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_sync);

/* Sync all of cached memory for gdmabuf's device, for dma-buf CPU access. */
void gdmabuf_buffer_sync_dir(struct gdmabuf_buffer *buf,
			     enum dma_data_direction dir, bool for_cpu)
{
	gdmabuf_buffer_sync_range(buf, 0, buf->size, dir, for_cpu);
}

static long gdmabuf_buffer_ioctl_info(struct file *file, void *kdata,
				      struct gdmabuf_ioctl_ctx *ctx)
{
	struct gdmabuf_buffer *buf = file->private_data;
	struct gdmabuf_info *info = kdata;
	bool show_addr = buf->dma_addr_visible;

	if (info->flags || info->reserved)
		return -EINVAL;
	info->attrs = (buf->coherent ? GDMABUF_ATTR_DEVICE_COHERENT : 0) |
		      (show_addr ? GDMABUF_ATTR_DMA_ADDR_VISIBLE : 0);
	info->size = buf->size;
	info->id = buf->id;
	info->dma_addr = 0;
	if (show_addr && buf->layout == GDMABUF_LAYOUT_CONTIGUOUS)
		info->dma_addr = buf->segs[0].dma_addr;
	info->mem_type = buf->mem_type;
	info->layout = buf->layout;
	info->cpu_mapping = buf->cpu_mapping;
	info->nr_segments = buf->nsegs;
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

	if (args->flags || args->reserved || args->first > buf->nsegs)
		return -EINVAL;
	out = u64_to_user_ptr(args->segments_ptr);
	n = min(args->count, buf->nsegs - args->first);
	for (i = 0; i < n; i++) {
		const struct gdmabuf_segment *seg = &buf->segs[args->first + i];
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
	args->nr_segments = buf->nsegs;
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
	struct gdmabuf_export *args = kdata;
	struct dma_buf *dmabuf;
	int fd;

	if (args->flags || args->reserved || args->fd ||
	    !gdmabuf_fd_flags_valid(args->fd_flags))
		return -EINVAL;
	/* A read-only buffer fd must not become writable through a dma-buf. */
	if ((args->fd_flags & O_ACCMODE) == O_RDWR && !(file->f_mode & FMODE_WRITE))
		return -EACCES;

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
		.min_size = sizeof(struct gdmabuf_info),
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

	seq_printf(m, "gdmabuf-id:\t%llu\n", buf->id);
	seq_printf(m, "gdmabuf-size:\t%zu\n", buf->size);
	seq_printf(m, "gdmabuf-type:\t%s\n", gdmabuf_mem_type_names[buf->mem_type]);
	seq_printf(m, "gdmabuf-layout:\t%s\n", gdmabuf_layout_names[buf->layout]);
	seq_printf(m, "gdmabuf-segments:\t%u\n", buf->nsegs);
}

/* The last fd and the last mapping are gone: drop the file's reference. */
static int gdmabuf_buffer_file_release(struct inode *inode, struct file *file)
{
	gdmabuf_buffer_put(file->private_data);
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
 * access mode; O_CLOEXEC is the fd's business, not the file's.
 */
struct file *gdmabuf_buffer_file(struct gdmabuf_buffer *buf, u32 fd_flags)
{
	return anon_inode_getfile("[gdmabuf]", &gdmabuf_buffer_fops, buf,
				  fd_flags & O_ACCMODE);
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_file);

/* debugfs: one line per buffer, under gdmabuf_lock. */
void gdmabuf_debugfs_show(struct seq_file *m)
{
	struct gdmabuf_buffer *buf;

	lockdep_assert_held(&gdmabuf_lock);
	list_for_each_entry(buf, &gdmabuf_buffers, node)
		seq_printf(m, "%-8llu %14zu %-14s %-15s %8u %8d %7d %s\n",
			   buf->id, buf->size,
			   gdmabuf_mem_type_names[buf->mem_type],
			   gdmabuf_layout_names[buf->layout], buf->nsegs,
			   atomic_read(&buf->mappings), buf->owner_tgid,
			   buf->owner_comm);
}
