/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gdmabuf internal interfaces, shared by the driver's files and its KUnit
 * tests.
 */
#ifndef _GDMABUF_H
#define _GDMABUF_H

#include <linux/atomic.h>
#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/types.h>

struct device;
struct dma_buf;
struct file;
struct miscdevice;
struct seq_file;
struct vm_area_struct;

/*
 * The dispatcher's buffer: every command's struct must fit, see the
 * static_assert() next to each table entry.
 */
#define GDMABUF_IOCTL_MAX_SIZE	128

/**
 * struct gdmabuf_ioctl_ctx - what a handler hands back besides its struct
 * @new_file: a file for a new fd, installed only once the struct has been
 *	copied back, and released otherwise
 * @new_fd: the reserved fd for @new_file
 */
struct gdmabuf_ioctl_ctx {
	struct file *new_file;
	int new_fd;
};

/**
 * struct gdmabuf_ioctl_desc - one entry of an ioctl dispatch table, which is
 * indexed by command number
 * @cmd: the command as this kernel defines it; its size is the kernel's
 *	struct size
 * @min_size: size of the first version of the struct
 * @handler: called with the struct copied in (zero-extended); returns a
 *	negative errno or a non-negative value for the ioctl to return
 */
struct gdmabuf_ioctl_desc {
	unsigned int cmd;
	unsigned int min_size;
	long (*handler)(struct file *file, void *kdata,
			struct gdmabuf_ioctl_ctx *ctx);
};

long gdmabuf_ioctl_dispatch(const struct gdmabuf_ioctl_desc *descs,
			    size_t count, struct file *file,
			    unsigned int cmd, unsigned long arg);

/**
 * struct gdmabuf_segment - one physically and DMA-contiguous piece of a
 * buffer
 * @pgoff: offset of the segment in the buffer, in pages
 * @pfn: first page frame; 0 for coherent and write-combine memory, which
 *	only the DMA API maps
 * @npages: length in pages
 * @dma_addr: device address of the first byte
 */
struct gdmabuf_segment {
	pgoff_t pgoff;
	unsigned long pfn;
	unsigned long npages;
	dma_addr_t dma_addr;
};

struct gdmabuf_buffer;
unsigned long gdmabuf_dma_attrs(const struct gdmabuf_buffer *buf);

bool gdmabuf_range_valid(u64 size, u64 offset, u64 len);
int gdmabuf_pgoff_to_pfn(const struct gdmabuf_segment *segs,
			 unsigned int nsegs, pgoff_t pgoff,
			 unsigned long *pfn, unsigned long *contig);
bool gdmabuf_huge_fits(unsigned long addr, unsigned long vm_start,
		       unsigned long vm_end, unsigned long pfn,
		       unsigned long contig, unsigned int order);
void gdmabuf_sync_range_align(u64 offset, u64 len, u64 size,
			      unsigned int align, u64 *start, u64 *end);
unsigned long gdmabuf_align_addr(unsigned long addr, unsigned long phase,
				 unsigned long align);

/**
 * struct gdmabuf_buffer - one buffer
 * @ref: held by the buffer file and every dma-buf; the memory is freed
 *	with the last ref
 * @dev: the device the memory is allocated and mapped for
 * @node: entry in the list of every buffer, under gdmabuf_lock
 * @id: unique, never reused while the module is loaded
 * @size: bytes, a multiple of PAGE_SIZE
 * @mem_type: an enum gdmabuf_mem_type
 * @layout: an enum gdmabuf_layout
 * @cpu_mapping: the enum gdmabuf_cpu_mapping that mmap() gives
 * @coherent: the device needs no cache maintenance for this memory
 * @cpu_addr: kernel address of coherent and write-combine memory
 * @mappings: number of VMAs mapping the buffer, for debugfs
 * @dma_addr_visible: the allocator had CAP_SYS_RAWIO: INFO and SEGMENTS
 *	show DMA addresses to every holder of the buffer fd
 * @owner_tgid: process that allocated the buffer, in the initial pid
 *	namespace
 * @owner_comm: its name at allocation time
 * @nsegs: entries in @segs
 * @segs: the segments, in buffer order
 * @export_lock: serialises exports, so that one access mode gets one
 *	dma-buf; held across dma_buf_export(), so never taken under a
 *	dma-buf's reservation lock (which @lock is, in map and vmap)
 * @lock: protects @attachments, @exports, @vmap_count and @vaddr
 * @attachments: the dma-buf attachments of every export of the buffer
 * @exports: the buffer's read-only and read-write dma-buf, if any; each
 *	holds a reference on the buffer, the buffer none on them
 * @vmap_count: users of @vaddr
 * @vaddr: kernel mapping of cached memory for dma-buf vmap
 */
struct gdmabuf_buffer {
	struct kref ref;
	struct device *dev;
	struct list_head node;
	u64 id;
	size_t size;
	u32 mem_type;
	u32 layout;
	u32 cpu_mapping;
	bool coherent;
	void *cpu_addr;
	atomic_t mappings;
	bool dma_addr_visible;
	pid_t owner_tgid;
	char owner_comm[TASK_COMM_LEN];
	unsigned int nsegs;
	struct gdmabuf_segment *segs;
	struct mutex export_lock;	/* serialises exports */
	struct mutex lock;	/* attachments, exports, vmap_count, vaddr */
	struct list_head attachments;
	struct dma_buf *exports[2];
	unsigned int vmap_count;
	void *vaddr;
};

struct gdmabuf_buffer *gdmabuf_buffer_create(struct device *dev, u64 size,
					     u32 mem_type, u32 layout);
void gdmabuf_buffer_put(struct gdmabuf_buffer *buf);
struct file *gdmabuf_buffer_file(struct gdmabuf_buffer *buf, u32 fd_flags);
int gdmabuf_buffer_sync(struct gdmabuf_buffer *buf, u64 offset, u64 len,
			u32 flags, bool may_write);
void gdmabuf_buffer_sync_dir(struct gdmabuf_buffer *buf,
			     enum dma_data_direction dir, bool for_cpu);
int gdmabuf_buffer_mmap(struct file *file, struct vm_area_struct *vma);
int gdmabuf_buffer_mmap_vma(struct gdmabuf_buffer *buf,
			    struct vm_area_struct *vma);
struct dma_buf *gdmabuf_buffer_export(struct gdmabuf_buffer *buf, u32 fd_flags);
unsigned long gdmabuf_buffer_get_unmapped_area(struct file *file,
					       unsigned long addr,
					       unsigned long len,
					       unsigned long pgoff,
					       unsigned long flags);
void gdmabuf_debugfs_show(struct seq_file *m);

/* The buffer list, the limits and fd flags, in main.c. */
bool gdmabuf_fd_flags_valid(u32 fd_flags);
extern struct mutex gdmabuf_lock;
extern struct list_head gdmabuf_buffers;
int gdmabuf_charge(u64 size);
void gdmabuf_uncharge(u64 size);
void gdmabuf_list_add(struct gdmabuf_buffer *buf);
void gdmabuf_list_del(struct gdmabuf_buffer *buf);

#if IS_ENABLED(CONFIG_KUNIT)
extern struct miscdevice gdmabuf_misc;
struct device *gdmabuf_default_device(void);
#endif

#endif /* _GDMABUF_H */
