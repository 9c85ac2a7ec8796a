// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf user mappings.
 *
 * Cached memory is ordinary kernel memory, mapped by its pages as they are
 * faulted in, with references, as the page cache is: so get_user_pages()
 * takes them, and O_DIRECT, vmsplice(), io_uring fixed buffers and
 * process_vm_readv() work on the mapping. 6.12 maps such pages with a PMD
 * entry only when they form a folio of exactly PMD order: scatter-gather
 * blocks do, and get PMD entries where the VMA allows; contiguous memory
 * (split pages, or CMA's) gets 4K entries. A VM_PFNMAP mapping could map it
 * with PMDs, but no GUP would take it. Pages outlive their buffer while a
 * pipe or an I/O holds them: see gdmabuf_buffer_free_pages().
 *
 * Coherent and write-combine memory is mapped whole at mmap() time by
 * dma_mmap_attrs(), with the attributes of the kernel's own mapping. That
 * of a named device is revoked when the device goes: its mappings are
 * zapped, and touching them raises SIGBUS, as they have no fault handler.
 *
 * Every mapping holds the buffer file, so the buffer lives until the last
 * fd and the last mapping are gone. ->mmap runs with mmap_lock held.
 */

#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <kunit/visibility.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

static void gdmabuf_vm_open(struct vm_area_struct *vma)
{
	struct gdmabuf_buffer *buf = vma->vm_private_data;

	atomic_inc(&buf->mappings);
}

static void gdmabuf_vm_close(struct vm_area_struct *vma)
{
	struct gdmabuf_buffer *buf = vma->vm_private_data;

	atomic_dec(&buf->mappings);
}

/*
 * Cached memory: the page at the fault's offset, with a reference that its
 * entry keeps. Where the page is in a PMD-sized block (a scatter-gather
 * block of PMD order) and the VMA is aligned for it, the core maps the
 * whole block with one PMD entry, as for a huge page of the page cache. A
 * fault past the buffer, after a partial mremap() or similar, is SIGBUS.
 */
static vm_fault_t gdmabuf_vm_fault(struct vm_fault *vmf)
{
	struct gdmabuf_buffer *buf = vmf->vma->vm_private_data;
	unsigned long pfn, contig;

	if (gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs, vmf->pgoff, &pfn,
				 &contig) < 0)
		return VM_FAULT_SIGBUS;
	vmf->page = pfn_to_page(pfn);
	get_page(vmf->page);
	return 0;
}

/*
 * Memory from CMA only. With a page_mkwrite handler the mapping counts as
 * dirty-tracked, so GUP refuses writable long-term pins of it (io_uring
 * fixed buffers, RDMA, VFIO) with EFAULT: 6.12 would first try to migrate
 * the pages out of CMA, and retry forever, as a driver's pages never
 * migrate. The write itself needs nothing: the page stays where it is.
 */
static vm_fault_t gdmabuf_vm_page_mkwrite(struct vm_fault *vmf)
{
	folio_lock(page_folio(vmf->page));
	return VM_FAULT_LOCKED;
}

/* Copy one piece of @buf from @offset, within one page of cached memory. */
static int gdmabuf_vm_access_page(struct gdmabuf_buffer *buf, u64 offset,
				  void *data, int len, int write)
{
	unsigned long pfn, contig;
	void *vaddr;

	if (buf->mem_type != GDMABUF_MEM_CACHED) {
		vaddr = buf->cpu_addr + offset;
	} else {
		if (gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs,
					 offset >> PAGE_SHIFT, &pfn, &contig) < 0)
			return -EFAULT;
		len = min_t(u64, len, PAGE_SIZE - offset_in_page(offset));
		vaddr = kmap_local_pfn(pfn) + offset_in_page(offset);
	}
	if (write)
		memcpy(vaddr, data, len);
	else
		memcpy(data, vaddr, len);
	if (buf->mem_type == GDMABUF_MEM_CACHED)
		kunmap_local(vaddr);
	return len;
}

/*
 * ptrace(), /proc/pid/mem and so gdb: get_user_pages() cannot reach a PFN
 * mapping, so copy through the kernel's mapping of the memory, which has
 * the attributes of the user's. Writes need a writable mapping, as for
 * generic_access_phys().
 */
static int gdmabuf_vm_access(struct vm_area_struct *vma, unsigned long addr,
			     void *data, int len, int write)
{
	struct gdmabuf_buffer *buf = vma->vm_private_data;
	u64 offset = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	int done = 0, ret;

	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	/* The device's own memory may be gone; cached memory stays. */
	guard(rwsem_read)(&buf->mem_lock);
	if (buf->mem_type != GDMABUF_MEM_CACHED && !buf->cpu_addr)
		return -EFAULT;
	len = min3((u64)len, (u64)(vma->vm_end - addr),
		   offset < buf->size ? buf->size - offset : 0);
	while (done < len) {
		ret = gdmabuf_vm_access_page(buf, offset + done, data + done,
					     len - done, write);
		if (ret < 0)
			return done ?: ret;
		done += ret;
	}
	return done;
}

/* Cached memory: page by page, or block by block, as it is touched. */
static const struct vm_operations_struct gdmabuf_vm_ops = {
	.open = gdmabuf_vm_open,
	.close = gdmabuf_vm_close,
	.fault = gdmabuf_vm_fault,
	.access = gdmabuf_vm_access,
};

/* Cached memory from CMA, which GUP must not pin for long. */
static const struct vm_operations_struct gdmabuf_vm_cma_ops = {
	.open = gdmabuf_vm_open,
	.close = gdmabuf_vm_close,
	.fault = gdmabuf_vm_fault,
	.page_mkwrite = gdmabuf_vm_page_mkwrite,
	.access = gdmabuf_vm_access,
};

/* Coherent memory: mapped once, whole, by the DMA API. */
static const struct vm_operations_struct gdmabuf_vm_dma_ops = {
	.open = gdmabuf_vm_open,
	.close = gdmabuf_vm_close,
	.access = gdmabuf_vm_access,
};

/*
 * Map @buf into @vma, for the buffer fd and for its dma-bufs alike; called
 * with mmap_lock held. The VMA's file keeps the buffer alive.
 */
int gdmabuf_buffer_mmap_vma(struct gdmabuf_buffer *buf, struct vm_area_struct *vma)
{
	u64 offset = (u64)vma->vm_pgoff << PAGE_SHIFT;
	int ret;

	/*
	 * A private copy of device memory would silently stop sharing.
	 * VM_MAYSHARE, as a read-only fd's MAP_SHARED mapping lacks VM_SHARED.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (!gdmabuf_range_valid(buf->size, offset, vma->vm_end - vma->vm_start))
		return -EINVAL;

	guard(rwsem_read)(&buf->mem_lock);
	if (buf->detached)
		return -ENODEV;
	/* so that a detach can wait for this VMA to be linked, and zap it */
	if (gdmabuf_buffer_revocable(buf)) {
		ret = gdmabuf_buffer_add_mm(buf, vma->vm_mm);
		if (ret)
			return ret;
	}

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_private_data = buf;
	if (buf->mem_type == GDMABUF_MEM_CACHED) {
		/* no VM_PFNMAP: GUP, and so O_DIRECT or vmsplice(), reach it */
		vma->vm_ops = gdmabuf_buffer_from_cma(buf) ? &gdmabuf_vm_cma_ops :
							     &gdmabuf_vm_ops;
	} else {
		/* dma_mmap_attrs() maps from vm_pgoff itself. */
		ret = dma_mmap_attrs(buf->dev, vma, buf->cpu_addr,
				     buf->segs[0].dma_addr, buf->size,
				     gdmabuf_dma_attrs(buf));
		if (ret)
			return ret;
		vma->vm_ops = &gdmabuf_vm_dma_ops;
	}
	gdmabuf_vm_open(vma);
	return 0;
}

/* mmap() of a buffer fd. */
int gdmabuf_buffer_mmap(struct file *file, struct vm_area_struct *vma)
{
	return gdmabuf_buffer_mmap_vma(file->private_data, vma);
}

/* The huge page size a mapping of @len bytes is aligned to, or 0. */
static unsigned long gdmabuf_huge_align(unsigned long len)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (len >= PMD_SIZE && has_transparent_hugepage())
		return PMD_SIZE;
#endif
	return 0;
}

/*
 * Pick an address congruent to the offset modulo the PMD size, as for a
 * huge page of the page cache: scatter-gather blocks of PMD order lie
 * naturally aligned in the buffer, and faults can map them whole.
 */
unsigned long gdmabuf_buffer_get_unmapped_area(struct file *file,
					       unsigned long addr,
					       unsigned long len,
					       unsigned long pgoff,
					       unsigned long flags)
{
	struct gdmabuf_buffer *buf = file->private_data;
	unsigned long align = gdmabuf_huge_align(len);
	unsigned long phase, ret;

	if (addr || (flags & MAP_FIXED) || !align ||
	    buf->mem_type != GDMABUF_MEM_CACHED ||
	    buf->layout != GDMABUF_LAYOUT_SCATTER_GATHER)
		return mm_get_unmapped_area(current->mm, file, addr, len, pgoff,
					    flags);

	ret = mm_get_unmapped_area(current->mm, file, 0, len + align, pgoff,
				   flags);
	if (IS_ERR_VALUE(ret))
		return mm_get_unmapped_area(current->mm, file, 0, len, pgoff,
					    flags);
	phase = (pgoff << PAGE_SHIFT) & (align - 1);
	return gdmabuf_align_addr(ret, phase, align);
}
