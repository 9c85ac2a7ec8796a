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
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
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
 * struct gdmabuf_segment - one physically and DMA-contiguous block of a
 * buffer, or (in the DMA segment list) one DMA-contiguous run of blocks
 * @pgoff: offset of the block in the buffer, in pages
 * @pfn: first page frame; 0 for coherent and write-combine memory, which
 *	only the DMA API maps, and in the DMA segment list
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
void gdmabuf_sync_range_align(u64 offset, u64 len, u64 size,
			      unsigned int align, u64 *start, u64 *end);
unsigned long gdmabuf_align_addr(unsigned long addr, unsigned long phase,
				 unsigned long align);

/**
 * struct gdmabuf_buffer - one buffer
 * @ref: held by the buffer file and every dma-buf; the memory is freed
 *	with the last ref
 * @dev: the device the memory is allocated and mapped for
 * @named: @dev is not gdmabuf's own device: the buffer holds a reference
 *	on it and is detached when its driver unbinds or it goes away
 * @node: entry in the list of every buffer, under gdmabuf_lock; after
 *	release, in the list of lingering ones, under gdmabuf_linger_lock
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
 * @segs: the blocks the CPU maps, in buffer order, each with its device
 *	address
 * @nr_dma_segs: entries in @dma_segs
 * @dma_segs: the DMA segments: @segs merged where @dev's IOMMU made them
 *	one range; the same as @segs otherwise
 * @sgt: a scatter-gather buffer's blocks as mapped for @dev, split to its
 *	segment limits into pieces of 1 << @piece_shift bytes at most
 * @piece_shift: the largest piece of a block that one DMA mapping entry
 *	holds, and so one sync call covers
 * @own_dma_addr: gdmabuf's own device's address of contiguous cached
 *	memory, which gdmabuf allocates for itself and maps for @dev
 * @exact_pages: contiguous cached memory comes from alloc_pages_exact(),
 *	from a zone @dev reaches, rather than from CMA
 * @mem_lock: held for reading by whoever uses @dev's mapping or memory
 *	that goes with it (sync, ->mmap, access to revocable memory), for
 *	writing to detach; faults of cached memory need it not, as that
 *	memory outlives a detach
 * @detach_node: entry in a detaching notifier's list, under its reference
 * @detached: @dev's driver unbound or @dev went away: nothing is mapped
 *	for it, and revocable memory is freed; under @mem_lock
 * @mapping: the buffer file's address space, which holds its user
 *	mappings, while the file exists; under @mem_lock
 * @mm_lock: protects @mms
 * @mms: every mm that mapped revocable memory (coherent and write-combine
 *	memory of a named device), held with mmgrab(), so that detaching
 *	can wait for mmap() calls that are still linking their VMA
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
	bool named;
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
	unsigned int nr_dma_segs;
	struct gdmabuf_segment *dma_segs;
	struct sg_table sgt;
	unsigned int piece_shift;
	dma_addr_t own_dma_addr;
	bool exact_pages;
	struct rw_semaphore mem_lock;	/* detached, and dev's mappings */
	bool detached;
	struct list_head detach_node;
	struct address_space *mapping;
	struct mutex mm_lock;	/* mms */
	struct list_head mms;
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
bool gdmabuf_buffer_revocable(const struct gdmabuf_buffer *buf);
bool gdmabuf_buffer_from_cma(const struct gdmabuf_buffer *buf);
void gdmabuf_buffers_exit(void);
int gdmabuf_buffer_add_mm(struct gdmabuf_buffer *buf, struct mm_struct *mm);
void gdmabuf_buffers_detach(struct device *dev);

/* The device a buffer is for, in device.c. */
struct device *gdmabuf_device_get(u64 uptr, u32 len);
int gdmabuf_device_init(void);
void gdmabuf_device_exit(void);
int gdmabuf_device_usable(struct device *dev, u32 mem_type);
bool gdmabuf_device_translated(struct device *dev);
#if IS_ENABLED(CONFIG_KUNIT)
char *gdmabuf_device_name_copy(u64 uptr, u32 len);
int gdmabuf_device_name_split(const char *name);
#endif

/* The buffer list, the limits and fd flags, in main.c. */
bool gdmabuf_fd_flags_valid(u32 fd_flags);
extern struct mutex gdmabuf_lock;
extern struct list_head gdmabuf_buffers;
int gdmabuf_charge(u64 size);
void gdmabuf_uncharge(u64 size);
void gdmabuf_list_add(struct gdmabuf_buffer *buf);
void gdmabuf_list_del(struct gdmabuf_buffer *buf);
struct device *gdmabuf_own_device(void);

#if IS_ENABLED(CONFIG_KUNIT)
extern struct miscdevice gdmabuf_misc;
#endif

#endif /* _GDMABUF_H */
