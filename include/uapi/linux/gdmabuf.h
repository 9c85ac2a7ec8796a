/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gdmabuf: generic, mmap-able DMA buffers for userspace
 *
 * Userspace allocates buffers a device can DMA into on the control device
 * /dev/gdmabuf, maps them, syncs them and hands them to devices.
 */
#ifndef _UAPI_LINUX_GDMABUF_H
#define _UAPI_LINUX_GDMABUF_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every gdmabuf ioctl takes one struct of fixed-width fields and encodes
 * that struct's size in the command number. Structs only ever grow at
 * the end, so a program built against an older or newer header keeps
 * working:
 *
 * - a struct shorter than the kernel's is zero-extended, and the kernel
 *   writes back only as many bytes as the caller passed;
 * - a struct longer than the kernel's is accepted when every byte the
 *   kernel does not know is zero.
 *
 * Every struct has a ``flags`` field checked against the flags the kernel
 * knows, and reserved fields that must be zero.
 *
 * Errors common to every ioctl:
 *
 * - ``ENOTTY``: the command is not a gdmabuf command, or not one this file
 *   answers, or its direction bits are wrong;
 * - ``EINVAL``: the struct is shorter than its first version, a flag is
 *   unknown, a reserved field is not zero, or a value is out of range;
 * - ``E2BIG``: the struct is longer than the kernel's and a byte the kernel
 *   does not know is not zero;
 * - ``EFAULT``: the struct cannot be read or written.
 */

/* Registered in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define GDMABUF_IOCTL_MAGIC	0xB9

/**
 * enum gdmabuf_mem_type - what memory a buffer is and how the CPU maps it
 * @GDMABUF_MEM_CACHED: ordinary cacheable memory; userspace syncs around
 *	each device access with %GDMABUF_IOCTL_SYNC. The default.
 * @GDMABUF_MEM_COHERENT: memory from dma_alloc_coherent(), mapped the way
 *	the kernel maps it: cacheable on DMA-coherent devices, uncached
 *	otherwise. No sync is needed.
 * @GDMABUF_MEM_WRITE_COMBINE: coherent memory mapped write-combined on
 *	devices that do not snoop CPU caches: fast streaming writes, slow
 *	reads. On DMA-coherent devices (all of x86) the DMA API maps it
 *	cacheable, and %GDMABUF_IOCTL_INFO's cpu_mapping says so.
 */
enum gdmabuf_mem_type {
	GDMABUF_MEM_CACHED = 0,
	GDMABUF_MEM_COHERENT = 1,
	GDMABUF_MEM_WRITE_COMBINE = 2,
};

/**
 * enum gdmabuf_layout - how a buffer is laid out in device address space
 * @GDMABUF_LAYOUT_CONTIGUOUS: one DMA segment. Large sizes need CMA or an
 *	IOMMU. The default.
 * @GDMABUF_LAYOUT_SCATTER_GATHER: many segments, each physically and
 *	DMA-contiguous; no CMA needed. Only for %GDMABUF_MEM_CACHED.
 */
enum gdmabuf_layout {
	GDMABUF_LAYOUT_CONTIGUOUS = 0,
	GDMABUF_LAYOUT_SCATTER_GATHER = 1,
};

/**
 * enum gdmabuf_cpu_mapping - the CPU mapping a buffer actually has
 * @GDMABUF_CPU_CACHED: cacheable
 * @GDMABUF_CPU_UNCACHED: uncached
 * @GDMABUF_CPU_WRITE_COMBINE: write-combining
 */
enum gdmabuf_cpu_mapping {
	GDMABUF_CPU_CACHED = 0,
	GDMABUF_CPU_UNCACHED = 1,
	GDMABUF_CPU_WRITE_COMBINE = 2,
};

/**
 * struct gdmabuf_alloc - argument of %GDMABUF_IOCTL_ALLOC
 * @size: in: bytes, rounded up to whole pages; out: the rounded size
 * @flags: in: must be zero
 * @mem_type: in: an &enum gdmabuf_mem_type
 * @layout: in: an &enum gdmabuf_layout
 * @fd_flags: in: flags of the new buffer fd: %O_RDWR or %O_RDONLY,
 *	optionally with %O_CLOEXEC. A read-only fd cannot be mapped writable.
 * @fd: out: the buffer fd
 * @reserved: must be zero
 * @device_name_ptr: in: user pointer to the name of the device the buffer
 *	is for, "<bus>/<device>" as under /sys/bus (for example
 *	"pci/0000:00:04.0"), NUL-terminated; zero for gdmabuf's own device.
 *	Naming a device needs %CAP_SYS_RAWIO.
 * @device_name_len: in: bytes at @device_name_ptr including the NUL, at
 *	most %GDMABUF_DEVICE_NAME_MAX; zero when @device_name_ptr is zero
 * @reserved2: must be zero
 *
 * The first version of this struct ended at @reserved
 * (%GDMABUF_ALLOC_SIZE_VER0 bytes): its callers get gdmabuf's own device.
 */
struct gdmabuf_alloc {
	__u64 size;
	__u32 flags;
	__u32 mem_type;
	__u32 layout;
	__u32 fd_flags;
	__s32 fd;
	__u32 reserved;
	__u64 device_name_ptr;
	__u32 device_name_len;
	__u32 reserved2;
};

#define GDMABUF_ALLOC_SIZE_VER0		32
/* Longest device name, with its NUL. */
#define GDMABUF_DEVICE_NAME_MAX		256

/* Set in gdmabuf_info.attrs. */
/* The device snoops CPU caches: no cache maintenance happens on sync. */
#define GDMABUF_ATTR_DEVICE_COHERENT	_BITUL(0)
/* dma_addr and the segment addresses are shown: the allocator had CAP_SYS_RAWIO. */
#define GDMABUF_ATTR_DMA_ADDR_VISIBLE	_BITUL(1)
/* The device sees the buffer as one DMA segment, at dma_addr. */
#define GDMABUF_ATTR_DMA_CONTIGUOUS	_BITUL(2)
/* The device went away or its driver unbound: no DMA mapping is left. */
#define GDMABUF_ATTR_DETACHED		_BITUL(3)

/**
 * struct gdmabuf_info - argument of %GDMABUF_IOCTL_INFO
 * @flags: in: must be zero
 * @attrs: out: %GDMABUF_ATTR_* bits
 * @size: out: bytes
 * @id: out: the buffer's id, as debugfs and fdinfo show it
 * @reserved: must be zero
 * @dma_addr: out: device address of a buffer the device sees as one DMA
 *	segment (%GDMABUF_ATTR_DMA_CONTIGUOUS): every contiguous buffer,
 *	and a scatter-gather one that an IOMMU maps as one range. Zero
 *	otherwise, once detached, and unless the process that allocated
 *	the buffer had %CAP_SYS_RAWIO
 * @mem_type: out: the &enum gdmabuf_mem_type asked for
 * @layout: out: the &enum gdmabuf_layout
 * @cpu_mapping: out: the &enum gdmabuf_cpu_mapping that mmap() gives
 * @nr_segments: out: number of DMA segments, as %GDMABUF_IOCTL_SEGMENTS
 *	lists them; zero once detached
 * @nr_blocks: out: number of physically contiguous blocks of memory that
 *	the CPU maps (1 when contiguous); an IOMMU may join many blocks into
 *	one DMA segment
 * @reserved2: must be zero
 *
 * The first version of this struct ended at @nr_segments
 * (%GDMABUF_INFO_SIZE_VER0 bytes).
 */
struct gdmabuf_info {
	__u32 flags;
	__u32 attrs;
	__u64 size;
	__u64 id;
	__u64 reserved;
	__u64 dma_addr;
	__u32 mem_type;
	__u32 layout;
	__u32 cpu_mapping;
	__u32 nr_segments;
	__u32 nr_blocks;
	__u32 reserved2;
};

#define GDMABUF_INFO_SIZE_VER0		56

/**
 * struct gdmabuf_segment_desc - one DMA segment of a buffer: a run of the
 * buffer that is contiguous in the device's address space (adjacent
 * segments are merged, whatever the device's maximum segment size)
 * @dma_addr: device address; zero unless the process that allocated the
 *	buffer had %CAP_SYS_RAWIO
 * @len: bytes
 * @flags: none defined yet: zero
 * @reserved: zero
 */
struct gdmabuf_segment_desc {
	__u64 dma_addr;
	__u64 len;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct gdmabuf_segments - argument of %GDMABUF_IOCTL_SEGMENTS
 * @flags: in: must be zero
 * @first: in: index of the first segment to return
 * @count: in: entries @segments_ptr has room for; out: entries written,
 *	which is fewer when the list ends first
 * @nr_segments: out: number of segments of the buffer
 * @reserved: must be zero
 * @segments_ptr: in: user pointer to @count &struct gdmabuf_segment_desc
 */
struct gdmabuf_segments {
	__u32 flags;
	__u32 first;
	__u32 count;
	__u32 nr_segments;
	__u64 reserved;
	__u64 segments_ptr;
};

/* gdmabuf_sync.flags: the CPU's access, and whether it starts or ends. */
#define GDMABUF_SYNC_READ	_BITUL(0)
#define GDMABUF_SYNC_WRITE	_BITUL(1)
#define GDMABUF_SYNC_RW		(GDMABUF_SYNC_READ | GDMABUF_SYNC_WRITE)
#define GDMABUF_SYNC_START	0
#define GDMABUF_SYNC_END	_BITUL(2)

/**
 * struct gdmabuf_sync - argument of %GDMABUF_IOCTL_SYNC
 * @offset: in: first byte of the range
 * @len: in: bytes, at least one; the range is widened to cache lines
 * @flags: in: %GDMABUF_SYNC_READ, %GDMABUF_SYNC_WRITE or both, with
 *	%GDMABUF_SYNC_START before the CPU touches the range (after the
 *	device wrote it) or %GDMABUF_SYNC_END after (before the device
 *	reads it)
 * @reserved: must be zero
 */
struct gdmabuf_sync {
	__u64 offset;
	__u64 len;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct gdmabuf_export - argument of %GDMABUF_IOCTL_EXPORT
 * @flags: in: must be zero
 * @fd_flags: in: flags of the new dma-buf fd: %O_RDWR or %O_RDONLY,
 *	optionally with %O_CLOEXEC; %O_RDWR needs a writable buffer fd
 * @fd: out: the dma-buf fd
 * @reserved: must be zero
 */
struct gdmabuf_export {
	__u32 flags;
	__u32 fd_flags;
	__s32 fd;
	__u32 reserved;
};

/* On /dev/gdmabuf: allocate a buffer, returning a buffer fd. */
#define GDMABUF_IOCTL_ALLOC	_IOWR(GDMABUF_IOCTL_MAGIC, 0x00, struct gdmabuf_alloc)
/* On a buffer fd. */
#define GDMABUF_IOCTL_INFO	_IOWR(GDMABUF_IOCTL_MAGIC, 0x01, struct gdmabuf_info)
#define GDMABUF_IOCTL_SEGMENTS	_IOWR(GDMABUF_IOCTL_MAGIC, 0x02, struct gdmabuf_segments)
#define GDMABUF_IOCTL_SYNC	_IOW(GDMABUF_IOCTL_MAGIC, 0x03, struct gdmabuf_sync)
#define GDMABUF_IOCTL_EXPORT	_IOWR(GDMABUF_IOCTL_MAGIC, 0x04, struct gdmabuf_export)

#endif /* _UAPI_LINUX_GDMABUF_H */
