// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf user mappings.
 *
 * Cached memory is ordinary kernel memory, mapped by its page frames as it
 * is faulted in: PMD entries wherever the user address, the frame and the
 * rest of the segment allow, 4K entries otherwise. For that, the mapping's
 * address is chosen congruent to the memory's physical address modulo the
 * PMD size. Never PUD entries: 6.12 cannot split a PUD PFN mapping for a
 * partial munmap(), mprotect(), madvise(), mremap() or fork().
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
#include <linux/pfn_t.h>
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

static vm_fault_t gdmabuf_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gdmabuf_buffer *buf = vma->vm_private_data;
	unsigned long addr = vmf->address & ~((PAGE_SIZE << order) - 1);
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	unsigned long pfn, contig;
	pgoff_t pgoff;

	if (addr < vma->vm_start)
		return VM_FAULT_FALLBACK;
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs, pgoff, &pfn, &contig) < 0)
		return order ? VM_FAULT_FALLBACK : VM_FAULT_SIGBUS;

	if (order && !gdmabuf_huge_fits(vmf->address, vma->vm_start,
					vma->vm_end, pfn, contig, order))
		return VM_FAULT_FALLBACK;

	/*
	 * A write fault maps a huge entry dirty: where the hardware does not
	 * set dirty bits (arm64 before v8.1), a clean entry faults again.
	 * 4K entries take that second fault, as no exported helper maps a
	 * PFN dirty.
	 */
	switch (order) {
	case 0:
		return vmf_insert_pfn(vma, vmf->address, pfn);
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	case PMD_ORDER:
		return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
#endif
	default:
		return VM_FAULT_FALLBACK;
	}
}

/* A fault past the buffer, after a partial mremap() or similar: SIGBUS. */
static vm_fault_t gdmabuf_vm_fault(struct vm_fault *vmf)
{
	return gdmabuf_vm_huge_fault(vmf, 0);
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

static const struct vm_operations_struct gdmabuf_vm_ops = {
	.open = gdmabuf_vm_open,
	.close = gdmabuf_vm_close,
	.fault = gdmabuf_vm_fault,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault = gdmabuf_vm_huge_fault,
#endif
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
		vm_flags_set(vma, VM_PFNMAP | VM_IO);
		vma->vm_ops = &gdmabuf_vm_ops;
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
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	if (len >= PMD_SIZE && has_transparent_hugepage())
		return PMD_SIZE;
#endif
	return 0;
}

/*
 * Pick an address congruent to the memory's physical address modulo the
 * PMD size, so that faults can map whole PMDs.
 */
unsigned long gdmabuf_buffer_get_unmapped_area(struct file *file,
					       unsigned long addr,
					       unsigned long len,
					       unsigned long pgoff,
					       unsigned long flags)
{
	struct gdmabuf_buffer *buf = file->private_data;
	unsigned long align = gdmabuf_huge_align(len);
	unsigned long pfn, contig, phase, ret;

	if (addr || (flags & MAP_FIXED) || !align ||
	    buf->mem_type != GDMABUF_MEM_CACHED ||
	    gdmabuf_pgoff_to_pfn(buf->segs, buf->nsegs, pgoff, &pfn, &contig) < 0)
		return mm_get_unmapped_area(current->mm, file, addr, len, pgoff,
					    flags);

	ret = mm_get_unmapped_area(current->mm, file, 0, len + align, pgoff,
				   flags);
	if (IS_ERR_VALUE(ret))
		return mm_get_unmapped_area(current->mm, file, 0, len, pgoff,
					    flags);
	phase = (pfn << PAGE_SHIFT) & (align - 1);
	return gdmabuf_align_addr(ret, phase, align);
}
