// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf as a dma-buf exporter, so that DRM, V4L2 and every other
 * importer can use gdmabuf buffers.
 *
 * A buffer has at most one dma-buf per access mode, holding a reference on
 * the buffer; exporting again hands out another fd of it, so importers
 * that look a dma-buf up (DRM PRIME) find the one they hold. Importers get
 * an sg_table of the buffer's segments, split to their maximum segment and
 * mapping size and boundary and mapped for their own device. Cached memory
 * is synced for gdmabuf's device in begin/end_cpu_access, and so is every
 * mapped attachment that needs it (a non-coherent or bouncing importer),
 * whatever the memory type. mmap() goes through the same fault path as the
 * buffer fd; a read-only dma-buf never maps writable.
 *
 * Locking: buf->lock protects the attachment list, the exports and the
 * kernel mapping; the dma-buf core serialises map/unmap of one attachment.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <kunit/visibility.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

/**
 * struct gdmabuf_attachment - one importer's view of a buffer
 * @dev: the importer's device
 * @sgt: the buffer's segments, mapped for @dev while @mapped
 * @node: entry in the buffer's attachment list, under buf->lock
 * @dir: the direction @sgt is mapped with
 * @mapped: @sgt is mapped for @dev; under buf->lock
 * @need_sync: @sgt, as mapped, needs cache maintenance or bouncing
 */
struct gdmabuf_attachment {
	struct device *dev;
	struct sg_table sgt;
	struct list_head node;
	enum dma_data_direction dir;
	bool mapped;
	bool need_sync;
};

/*
 * Whether @dev can address a contiguous buffer directly: behind an IOMMU it
 * always can; otherwise its mask must cover the buffer's memory. Coherent
 * memory, which only gdmabuf's own device exports, is at its own address
 * for that device.
 */
static bool gdmabuf_dmabuf_reachable(const struct gdmabuf_buffer *buf,
				     struct device *dev)
{
	dma_addr_t start = buf->segs[0].dma_addr;

	if (buf->layout != GDMABUF_LAYOUT_CONTIGUOUS || gdmabuf_device_translated(dev))
		return true;
	if (buf->mem_type == GDMABUF_MEM_CACHED)
		start = phys_to_dma(dev, PFN_PHYS(buf->segs[0].pfn));
	return start + buf->size - 1 <= dma_get_mask(dev);
}

/*
 * The longest entry @dev takes that starts at @phys and is at most @len:
 * within its maximum segment size, the most it can map at once (a bounce
 * buffer's slot) and its segment boundary. Physical
 * addresses stand in for the importer's DMA addresses, which exist only
 * once mapped; they are the same where no IOMMU or offset is in the way.
 */
static unsigned long gdmabuf_dmabuf_chunk(struct device *dev, phys_addr_t phys,
					  unsigned long len)
{
	unsigned long max_seg = min_t(size_t, dma_get_max_seg_size(dev),
				      dma_max_mapping_size(dev));
	unsigned long boundary = dma_get_seg_boundary(dev);
	unsigned long to_boundary = boundary - (phys & boundary) + 1;

	max_seg = max_t(unsigned long, PAGE_SIZE, rounddown(max_seg, PAGE_SIZE));

	len = min(len, max_seg);
	/* wraps to 0 only for an all-ones mask at address 0: no limit */
	if (to_boundary)
		len = min(len, max_t(unsigned long, to_boundary, PAGE_SIZE));
	return len;
}

/*
 * Add the run of @len bytes from @page to @sg, split as @dev needs,
 * advancing @sg; with *@sg NULL, only count the entries.
 */
static unsigned int gdmabuf_dmabuf_add_run(struct device *dev, struct page *page,
					   unsigned long len, struct scatterlist **sg)
{
	unsigned long off = 0;
	unsigned int n = 0;

	while (len) {
		unsigned long chunk = gdmabuf_dmabuf_chunk(dev, page_to_phys(page) + off,
							   len);

		if (*sg) {
			sg_set_page(*sg, nth_page(page, off >> PAGE_SHIFT), chunk, 0);
			*sg = sg_next(*sg);
		}
		off += chunk;
		len -= chunk;
		n++;
	}
	return n;
}

/*
 * Add every physically contiguous run of the buffer to @sg (NULL: count).
 * Lengths stay unsigned long until split, so runs of 4 GiB and more work.
 */
static unsigned int gdmabuf_dmabuf_add_runs(struct gdmabuf_buffer *buf,
					    struct device *dev,
					    struct sg_table *coherent_runs,
					    struct scatterlist *sg)
{
	struct scatterlist *run;
	unsigned int i, n = 0;

	if (buf->mem_type == GDMABUF_MEM_CACHED) {
		for (i = 0; i < buf->nsegs; i++)
			n += gdmabuf_dmabuf_add_run(dev, pfn_to_page(buf->segs[i].pfn),
						    buf->segs[i].npages << PAGE_SHIFT, &sg);
		return n;
	}
	/* One entry's length is an unsigned int: take the size instead. */
	if (coherent_runs->orig_nents == 1)
		return gdmabuf_dmabuf_add_run(dev, sg_page(coherent_runs->sgl),
					      buf->size, &sg);
	for_each_sgtable_sg(coherent_runs, run, i)
		n += gdmabuf_dmabuf_add_run(dev, sg_page(run), run->length, &sg);
	return n;
}

/* An sg_table of the buffer for @dev, split to its segment limits. */
static int gdmabuf_dmabuf_fill_sgt(struct gdmabuf_buffer *buf,
				   struct device *dev, struct sg_table *sgt)
{
	struct sg_table runs = {};
	unsigned int n;
	int ret;

	if (buf->mem_type != GDMABUF_MEM_CACHED) {
		ret = dma_get_sgtable_attrs(buf->dev, &runs, buf->cpu_addr,
					    buf->segs[0].dma_addr, buf->size,
					    gdmabuf_dma_attrs(buf));
		if (ret)
			return ret;
	}

	n = gdmabuf_dmabuf_add_runs(buf, dev, &runs, NULL);
	ret = sg_alloc_table(sgt, n, GFP_KERNEL);
	if (!ret)
		gdmabuf_dmabuf_add_runs(buf, dev, &runs, sgt->sgl);
	if (buf->mem_type != GDMABUF_MEM_CACHED)
		sg_free_table(&runs);
	return ret;
}

static int gdmabuf_dmabuf_attach(struct dma_buf *dmabuf,
				 struct dma_buf_attachment *attachment)
{
	struct gdmabuf_buffer *buf = dmabuf->priv;
	struct gdmabuf_attachment *a;
	int ret;

	if (!gdmabuf_dmabuf_reachable(buf, attachment->dev))
		return -ERANGE;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	ret = gdmabuf_dmabuf_fill_sgt(buf, attachment->dev, &a->sgt);
	if (ret) {
		kfree(a);
		return ret;
	}
	a->dev = attachment->dev;
	attachment->priv = a;

	mutex_lock(&buf->lock);
	list_add(&a->node, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;
}

static void gdmabuf_dmabuf_detach(struct dma_buf *dmabuf,
				  struct dma_buf_attachment *attachment)
{
	struct gdmabuf_buffer *buf = dmabuf->priv;
	struct gdmabuf_attachment *a = attachment->priv;

	mutex_lock(&buf->lock);
	list_del(&a->node);
	mutex_unlock(&buf->lock);

	sg_free_table(&a->sgt);
	kfree(a);
}

/*
 * Whether the importer's mapping needs syncs: cache maintenance on a
 * non-coherent device, or copies to and from bounce buffers whatever the
 * memory type.
 */
static bool gdmabuf_dmabuf_need_sync(struct gdmabuf_attachment *a)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(&a->sgt, sg, i)
		if (dma_need_sync(a->dev, sg_dma_address(sg)))
			return true;
	return false;
}

static struct sg_table *gdmabuf_dmabuf_map(struct dma_buf_attachment *attachment,
					   enum dma_data_direction dir)
{
	struct gdmabuf_buffer *buf = attachment->dmabuf->priv;
	struct gdmabuf_attachment *a = attachment->priv;
	int ret;

	/* One sg_table per attachment: a second map would lose the first. */
	scoped_guard(mutex, &buf->lock)
		if (a->mapped)
			return ERR_PTR(-EBUSY);

	/*
	 * Several attachments may map the same memory for one device, so
	 * skip the DMA API's implicit sync (as DRM's PRIME helpers do) and
	 * sync explicitly where the mapping needs it.
	 */
	ret = dma_map_sgtable(a->dev, &a->sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		return ERR_PTR(ret);
	a->need_sync = gdmabuf_dmabuf_need_sync(a);
	if (a->need_sync)
		dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
	mutex_lock(&buf->lock);
	a->dir = dir;
	a->mapped = true;
	mutex_unlock(&buf->lock);
	return &a->sgt;
}

static void gdmabuf_dmabuf_unmap(struct dma_buf_attachment *attachment,
				 struct sg_table *sgt,
				 enum dma_data_direction dir)
{
	struct gdmabuf_buffer *buf = attachment->dmabuf->priv;
	struct gdmabuf_attachment *a = attachment->priv;

	mutex_lock(&buf->lock);
	a->mapped = false;
	mutex_unlock(&buf->lock);
	if (a->need_sync)
		dma_sync_sgtable_for_cpu(a->dev, sgt, dir);
	dma_unmap_sgtable(a->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * Sync the buffer for the CPU or for the devices everywhere it is mapped:
 * the kernel mapping and gdmabuf's device (cached memory only), then every
 * mapped importer that needs it. Importers come last for the CPU, so that
 * what a bouncing importer copies back is not invalidated.
 */
static int gdmabuf_dmabuf_cpu_access(struct dma_buf *dmabuf,
				     enum dma_data_direction dir, bool for_cpu)
{
	struct gdmabuf_buffer *buf = dmabuf->priv;
	struct gdmabuf_attachment *a;

	guard(mutex)(&buf->lock);
	/* as the sync ioctl: a reader must not discard a writer's lines */
	if (for_cpu && !(dmabuf->file->f_mode & FMODE_WRITE))
		gdmabuf_buffer_sync_dir(buf, DMA_TO_DEVICE, false);
	if (buf->vmap_count && for_cpu)
		invalidate_kernel_vmap_range(buf->vaddr, buf->size);
	else if (buf->vmap_count)
		flush_kernel_vmap_range(buf->vaddr, buf->size);
	gdmabuf_buffer_sync_dir(buf, dir, for_cpu);
	list_for_each_entry(a, &buf->attachments, node) {
		if (!a->mapped || !a->need_sync)
			continue;
		/* the DMA API wants the direction the table was mapped with */
		if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
		cond_resched();
	}
	return 0;
}

/* The CPU is about to touch the buffer. */
static int gdmabuf_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
					   enum dma_data_direction dir)
{
	return gdmabuf_dmabuf_cpu_access(dmabuf, dir, true);
}

/* The CPU is done with the buffer. */
static int gdmabuf_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
					 enum dma_data_direction dir)
{
	return gdmabuf_dmabuf_cpu_access(dmabuf, dir, false);
}

/*
 * The same path as the buffer fd. An importer's dma_buf_mmap() brings its
 * own file's VM_MAYWRITE: a read-only dma-buf must not map writable.
 */
static int gdmabuf_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	if (!(dmabuf->file->f_mode & FMODE_WRITE)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	return gdmabuf_buffer_mmap_vma(dmabuf->priv, vma);
}

/* A kernel mapping of cached memory, made once, shared by every vmap. */
static void *gdmabuf_dmabuf_vmap_pages(struct gdmabuf_buffer *buf)
{
	unsigned long npages = buf->size >> PAGE_SHIFT, n = 0, j;
	struct page **pages;
	unsigned int i;
	void *vaddr;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < buf->nsegs; i++)
		for (j = 0; j < buf->segs[i].npages; j++)
			pages[n++] = pfn_to_page(buf->segs[i].pfn + j);
	vaddr = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr ?: ERR_PTR(-ENOMEM);
}

static int gdmabuf_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct gdmabuf_buffer *buf = dmabuf->priv;
	void *vaddr;

	/* dma_alloc_attrs() already mapped it, with the right attributes. */
	if (buf->mem_type != GDMABUF_MEM_CACHED) {
		iosys_map_set_vaddr(map, buf->cpu_addr);
		return 0;
	}

	guard(mutex)(&buf->lock);
	if (!buf->vmap_count) {
		vaddr = gdmabuf_dmabuf_vmap_pages(buf);
		if (IS_ERR(vaddr))
			return PTR_ERR(vaddr);
		buf->vaddr = vaddr;
	}
	buf->vmap_count++;
	iosys_map_set_vaddr(map, buf->vaddr);
	return 0;
}

static void gdmabuf_dmabuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct gdmabuf_buffer *buf = dmabuf->priv;

	if (buf->mem_type != GDMABUF_MEM_CACHED)
		return;

	guard(mutex)(&buf->lock);
	if (!--buf->vmap_count) {
		vunmap(buf->vaddr);
		buf->vaddr = NULL;
	}
	iosys_map_clear(map);
}

/* The dma-buf's last reference is gone: drop its buffer reference. */
static void gdmabuf_dmabuf_release(struct dma_buf *dmabuf)
{
	struct gdmabuf_buffer *buf = dmabuf->priv;
	unsigned int i;

	scoped_guard(mutex, &buf->lock)
		for (i = 0; i < ARRAY_SIZE(buf->exports); i++)
			if (buf->exports[i] == dmabuf)
				buf->exports[i] = NULL;
	gdmabuf_buffer_put(buf);
}

static const struct dma_buf_ops gdmabuf_dmabuf_ops = {
	.attach = gdmabuf_dmabuf_attach,
	.detach = gdmabuf_dmabuf_detach,
	.map_dma_buf = gdmabuf_dmabuf_map,
	.unmap_dma_buf = gdmabuf_dmabuf_unmap,
	.begin_cpu_access = gdmabuf_dmabuf_begin_cpu_access,
	.end_cpu_access = gdmabuf_dmabuf_end_cpu_access,
	.mmap = gdmabuf_dmabuf_mmap,
	.vmap = gdmabuf_dmabuf_vmap,
	.vunmap = gdmabuf_dmabuf_vunmap,
	.release = gdmabuf_dmabuf_release,
};

/*
 * The dma-buf of @buf for the access mode in @fd_flags, with a reference
 * for the caller: the one that exists, or a new one holding a reference
 * on @buf.
 */
struct dma_buf *gdmabuf_buffer_export(struct gdmabuf_buffer *buf, u32 fd_flags)
{
	bool writable = (fd_flags & O_ACCMODE) == O_RDWR;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;

	/*
	 * Not buf->lock across dma_buf_export(): that takes the dma-buf
	 * core's debugfs list lock, which bufinfo holds while it takes
	 * reservation locks, under which map and vmap take buf->lock.
	 */
	guard(mutex)(&buf->export_lock);
	/*
	 * Its last reference may be gone with ->release still to come (it
	 * waits for buf->lock): then the file is dying, and a new one is due.
	 */
	scoped_guard(mutex, &buf->lock) {
		dmabuf = buf->exports[writable];
		if (dmabuf && get_file_active(&dmabuf->file))
			return dmabuf;
	}

	exp_info.exp_name = "gdmabuf";
	exp_info.owner = THIS_MODULE;
	exp_info.ops = &gdmabuf_dmabuf_ops;
	exp_info.size = buf->size;
	exp_info.flags = fd_flags & O_ACCMODE;
	exp_info.priv = buf;

	kref_get(&buf->ref);
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		gdmabuf_buffer_put(buf);
		return dmabuf;
	}
	scoped_guard(mutex, &buf->lock)
		buf->exports[writable] = dmabuf;
	return dmabuf;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_buffer_export);
