// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf_demo: show what gdmabuf does, step by step, on a running kernel.
 *
 * For each memory type it allocates an 8 MiB buffer, and one more
 * scatter-gather, then prints what INFO and SEGMENTS say about it, maps
 * it, counts the page faults of a first touch of every page, and writes
 * and reads back a pattern with a sync around each access.
 *
 * Usage: gdmabuf_demo [device]   (default /dev/gdmabuf)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/gdmabuf.h>

#define DEMO_SIZE		(8UL << 20)
/* 8 MiB of contiguous memory needs CMA: on ENOMEM, halve down to this. */
#define DEMO_MIN_SIZE		(DEMO_SIZE / 8)
#define DEMO_SEGMENTS_SHOWN	4
#define DEMO_SEED		0x600dcafeU

struct demo_buffer {
	__u32 mem_type;
	__u32 layout;
};

static const struct demo_buffer demo_buffers[] = {
	{ GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS },
	{ GDMABUF_MEM_COHERENT, GDMABUF_LAYOUT_CONTIGUOUS },
	{ GDMABUF_MEM_WRITE_COMBINE, GDMABUF_LAYOUT_CONTIGUOUS },
	{ GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_SCATTER_GATHER },
};

static const char * const mem_type_names[] = {
	[GDMABUF_MEM_CACHED] = "cached",
	[GDMABUF_MEM_COHERENT] = "coherent",
	[GDMABUF_MEM_WRITE_COMBINE] = "write-combine",
};

static const char * const layout_names[] = {
	[GDMABUF_LAYOUT_CONTIGUOUS] = "contiguous",
	[GDMABUF_LAYOUT_SCATTER_GATHER] = "scatter-gather",
};

static const char * const cpu_mapping_names[] = {
	[GDMABUF_CPU_CACHED] = "cached",
	[GDMABUF_CPU_UNCACHED] = "uncached",
	[GDMABUF_CPU_WRITE_COMBINE] = "write-combine",
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char * const *names, size_t count, __u32 i)
{
	return i < count && names[i] ? names[i] : "unknown";
}

static const char *mem_type_name(__u32 mem_type)
{
	return name_of(mem_type_names, ARRAY_SIZE(mem_type_names), mem_type);
}

static const char *layout_name(__u32 layout)
{
	return name_of(layout_names, ARRAY_SIZE(layout_names), layout);
}

static const char *cpu_mapping_name(__u32 cpu_mapping)
{
	return name_of(cpu_mapping_names, ARRAY_SIZE(cpu_mapping_names),
		       cpu_mapping);
}

/*
 * Allocate a buffer of DEMO_SIZE bytes, or, when memory runs
 * out, of the largest power of two down to DEMO_MIN_SIZE that fits.
 * Returns the buffer fd, or -1.
 */
static int demo_alloc(int ctl, const struct demo_buffer *b)
{
	struct gdmabuf_alloc alloc = {
		.size = DEMO_SIZE,
		.mem_type = b->mem_type,
		.layout = b->layout,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	while (ioctl(ctl, GDMABUF_IOCTL_ALLOC, &alloc)) {
		printf("  ALLOC %llu KiB: %s\n", alloc.size >> 10,
		       strerror(errno));
		if (errno != ENOMEM || alloc.size <= DEMO_MIN_SIZE)
			return -1;
		alloc.size /= 2;
	}
	printf("  ALLOC %llu KiB: buffer fd %d\n", alloc.size >> 10, alloc.fd);
	return alloc.fd;
}

/* Print what INFO says about the buffer; returns its size, 0 on error. */
static size_t demo_info(int fd)
{
	struct gdmabuf_info info = {};

	if (ioctl(fd, GDMABUF_IOCTL_INFO, &info)) {
		printf("  INFO: %s\n", strerror(errno));
		return 0;
	}
	printf("  INFO: id %llu, %llu bytes, %s, %s, %u segment(s)\n",
	       info.id, info.size, mem_type_name(info.mem_type),
	       layout_name(info.layout), info.nr_segments);
	printf("        CPU mapping %s, device %s\n",
	       cpu_mapping_name(info.cpu_mapping),
	       info.attrs & GDMABUF_ATTR_DEVICE_COHERENT ?
	       "coherent (sync does no cache maintenance)" :
	       "not coherent (sync maintains the caches)");
	if (!(info.attrs & GDMABUF_ATTR_DMA_ADDR_VISIBLE))
		printf("        dma_addr hidden (needs CAP_SYS_RAWIO)\n");
	else if (info.layout == GDMABUF_LAYOUT_CONTIGUOUS)
		printf("        dma_addr %#llx\n", info.dma_addr);
	else
		printf("        dma_addr: none, see the segments\n");
	return info.size;
}

/* Print the segment count and the first few segments. */
static int demo_segments(int fd)
{
	struct gdmabuf_segment_desc segs[DEMO_SEGMENTS_SHOWN];
	struct gdmabuf_segments args = {
		.count = DEMO_SEGMENTS_SHOWN,
		.segments_ptr = (uintptr_t)segs,
	};
	__u64 offset = 0;
	__u32 i;

	if (ioctl(fd, GDMABUF_IOCTL_SEGMENTS, &args)) {
		printf("  SEGMENTS: %s\n", strerror(errno));
		return -1;
	}
	printf("  SEGMENTS: %u in all, the first %u:\n", args.nr_segments,
	       args.count);
	for (i = 0; i < args.count; i++) {
		printf("    [%u] offset %#10llx, %6llu KiB, dma_addr %#llx\n",
		       i, offset, segs[i].len >> 10, segs[i].dma_addr);
		offset += segs[i].len;
	}
	return 0;
}

/* Touch every page of a fresh mapping once and count the minor faults. */
static int demo_faults(__u8 *map, size_t size)
{
	const size_t page = sysconf(_SC_PAGESIZE);
	struct rusage before, after;
	long faults;
	size_t off;

	if (getrusage(RUSAGE_SELF, &before))
		return -1;
	for (off = 0; off < size; off += page)
		map[off] = 0;
	if (getrusage(RUSAGE_SELF, &after))
		return -1;
	faults = after.ru_minflt - before.ru_minflt;
	printf("  first touch of %zu pages: %ld minor faults", size / page,
	       faults);
	if (faults > 0)
		printf(" (%zu KiB per fault)", (size_t)(size / faults) >> 10);
	printf("\n");
	return 0;
}

static int demo_sync(int fd, size_t size, __u32 flags)
{
	struct gdmabuf_sync sync = { .len = size, .flags = flags };

	if (ioctl(fd, GDMABUF_IOCTL_SYNC, &sync)) {
		printf("  SYNC %#x: %s\n", flags, strerror(errno));
		return -1;
	}
	return 0;
}

/* Write a pattern and read it back, each inside a sync START/END pair. */
static int demo_pattern(int fd, __u32 *map, size_t size)
{
	const size_t words = size / sizeof(*map);
	size_t i, bad = 0;

	if (demo_sync(fd, size, GDMABUF_SYNC_WRITE | GDMABUF_SYNC_START))
		return -1;
	for (i = 0; i < words; i++)
		map[i] = i ^ DEMO_SEED;
	if (demo_sync(fd, size, GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END))
		return -1;
	printf("  wrote %zu words between SYNC WRITE|START and WRITE|END\n",
	       words);

	if (demo_sync(fd, size, GDMABUF_SYNC_READ | GDMABUF_SYNC_START))
		return -1;
	for (i = 0; i < words; i++)
		bad += map[i] != (i ^ DEMO_SEED);
	if (demo_sync(fd, size, GDMABUF_SYNC_READ | GDMABUF_SYNC_END))
		return -1;
	printf("  read them back between SYNC READ|START and READ|END: %s\n",
	       bad ? "MISMATCH" : "all match");
	return bad ? -1 : 0;
}

/* One buffer, start to end. Returns 0, or -1 when a step failed. */
static int demo_one(int ctl, const struct demo_buffer *b)
{
	size_t size;
	void *map;
	int fd, ret;

	printf("\n%s, %s:\n", mem_type_name(b->mem_type),
	       layout_name(b->layout));
	fd = demo_alloc(ctl, b);
	if (fd < 0)
		return -1;
	size = demo_info(fd);
	if (!size || demo_segments(fd)) {
		close(fd);
		return -1;
	}

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		printf("  mmap: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	printf("  mapped %zu KiB at %p\n", size >> 10, map);
	ret = demo_faults(map, size);
	if (!ret)
		ret = demo_pattern(fd, map, size);
	munmap(map, size);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/gdmabuf";
	int failed = 0;
	struct stat st;
	size_t i;
	int fd;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", dev, strerror(errno));
		return EXIT_FAILURE;
	}
	if (fstat(fd, &st)) {
		perror("fstat");
		return EXIT_FAILURE;
	}
	printf("opened %s: char device %u:%u, mode %04o, owner %u:%u\n", dev,
	       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777,
	       st.st_uid, st.st_gid);

	if (ioctl(fd, _IO(GDMABUF_IOCTL_MAGIC, 0x1f)) == -1)
		printf("unknown command %#lx: %s (as documented)\n",
		       (unsigned long)_IO(GDMABUF_IOCTL_MAGIC, 0x1f),
		       strerror(errno));
	else
		printf("unknown command unexpectedly succeeded\n");

	for (i = 0; i < ARRAY_SIZE(demo_buffers); i++)
		failed += !!demo_one(fd, &demo_buffers[i]);

	close(fd);
	printf("\n%d of %zu buffers failed\n", failed,
	       ARRAY_SIZE(demo_buffers));
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
