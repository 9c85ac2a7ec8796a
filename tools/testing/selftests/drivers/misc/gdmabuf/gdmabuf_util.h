/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the gdmabuf kselftests.
 */
#ifndef __GDMABUF_UTIL_H
#define __GDMABUF_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/gdmabuf.h>
#include <linux/loop.h>

#define DEBUGFS_ROOT		"/sys/kernel/debug"
#define GDMABUF_DEBUGFS_BUFFERS	DEBUGFS_ROOT "/gdmabuf/buffers"
/* Every DMA mapping, with its physical address, under DMA-API debugging. */
#define DMA_API_DUMP		DEBUGFS_ROOT "/dma-api/dump"

#define GDMABUF_DEV	"/dev/gdmabuf"
#define GDMABUF_SYSFS	"/sys/module/gdmabuf"

/* The system page size. */
static inline size_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* ioctl() returning 0 or the errno, for EXPECT_EQ(EINVAL, ...). */
static inline int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/*
 * @cmd as a header whose struct has @size bytes builds it: the same as
 * _IOWR(GDMABUF_IOCTL_MAGIC, nr, struct of @size bytes) for an _IOWR
 * command.
 */
static inline unsigned long cmd_sized(unsigned long cmd, size_t size)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

static inline int get_info(int fd, struct gdmabuf_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl_errno(fd, GDMABUF_IOCTL_INFO, info);
}

/* Every segment of @fd in a new array, @nr of them; NULL on failure. */
static inline struct gdmabuf_segment_desc *get_segments(int fd, __u32 *nr)
{
	struct gdmabuf_segments args = {};
	struct gdmabuf_segment_desc *segs;

	if (ioctl(fd, GDMABUF_IOCTL_SEGMENTS, &args))
		return NULL;
	segs = calloc(args.nr_segments + 1, sizeof(*segs));
	if (!segs)
		return NULL;
	args.count = args.nr_segments;
	args.segments_ptr = (uintptr_t)segs;
	if (ioctl(fd, GDMABUF_IOCTL_SEGMENTS, &args) ||
	    args.count != args.nr_segments) {
		free(segs);
		return NULL;
	}
	*nr = args.count;
	return segs;
}

static inline int sync_errno(int fd, __u64 offset, __u64 len, __u32 flags)
{
	struct gdmabuf_sync args = {
		.offset = offset,
		.len = len,
		.flags = flags,
	};

	return ioctl_errno(fd, GDMABUF_IOCTL_SYNC, &args);
}

/* A new buffer fd, or -1 with errno set. */
static inline int alloc_buffer(int ctl, __u64 size, __u32 mem_type,
			       __u32 layout, __u32 fd_flags)
{
	struct gdmabuf_alloc args = {
		.size = size,
		.mem_type = mem_type,
		.layout = layout,
		.fd_flags = fd_flags,
	};

	if (ioctl(ctl, GDMABUF_IOCTL_ALLOC, &args))
		return -1;
	return args.fd;
}

/* ALLOC with @args: 0, closing the new buffer fd, or the errno. */
static inline int alloc_errno(int ctl, struct gdmabuf_alloc args)
{
	if (ioctl(ctl, GDMABUF_IOCTL_ALLOC, &args))
		return errno;
	close(args.fd);
	return 0;
}

/* Offset of the first non-zero byte of @map, or -1. */
static inline ssize_t first_nonzero(const void *map, size_t len)
{
	const __u8 *byte = map;
	size_t i;

	for (i = 0; i < len; i++)
		if (byte[i])
			return i;
	return -1;
}

/* EXPORT arguments for a dma-buf fd with @fd_flags. */
static inline struct gdmabuf_export export_args(__u32 fd_flags)
{
	return (struct gdmabuf_export){ .fd_flags = fd_flags };
}

/* EXPORT with @args: 0, closing the new dma-buf fd, or the errno. */
static inline int export_errno(int fd, struct gdmabuf_export args)
{
	if (ioctl(fd, GDMABUF_IOCTL_EXPORT, &args))
		return errno;
	close(args.fd);
	return 0;
}

/* A new dma-buf fd for the buffer of @fd, or -1 with errno set. */
static inline int export_buffer(int fd, __u32 fd_flags)
{
	struct gdmabuf_export args = export_args(fd_flags);

	if (ioctl(fd, GDMABUF_IOCTL_EXPORT, &args))
		return -1;
	return args.fd;
}

/* mmap(): 0, unmapping again, or the errno. */
static inline int mmap_errno(int fd, size_t len, int prot, int flags,
			     off_t offset)
{
	void *map = mmap(NULL, len, prot, flags, fd, offset);

	if (map == MAP_FAILED)
		return errno;
	munmap(map, len);
	return 0;
}

/* Fill @map, which shows the buffer from byte @offset, with the pattern. */
static inline void fill_pattern(void *map, size_t offset, size_t len,
				__u32 seed)
{
	__u32 *word = map;
	size_t i;

	/* Every word holds its own offset: a misplaced page shows. */
	for (i = 0; i < len / sizeof(*word); i++)
		word[i] = (offset + i * sizeof(*word)) ^ seed;
}

/* Offset in @map of the first word off the pattern, or -1. */
static inline ssize_t pattern_mismatch(const void *map, size_t offset,
				       size_t len, __u32 seed)
{
	const __u32 *word = map;
	size_t i;

	for (i = 0; i < len / sizeof(*word); i++)
		if (word[i] != ((offset + i * sizeof(*word)) ^ seed))
			return i * sizeof(*word);
	return -1;
}

/* What the guard bytes before a guarded struct hold. */
#define GUARD_CANARY	0xa5

/*
 * A copy of the @size bytes at @arg that ends where a page ends, with
 * canary bytes before it and an inaccessible page after it: reading or
 * writing past @size bytes faults, writing before them shows. NULL on
 * failure.
 */
static inline void *guarded_copy(const void *arg, size_t size)
{
	const size_t page = page_size();
	__u8 *base;

	base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base + page, page, PROT_NONE)) {
		munmap(base, 2 * page);
		return NULL;
	}
	memset(base, GUARD_CANARY, page);
	return memcpy(base + page - size, arg, size);
}

static inline __u8 *guarded_base(const void *copy)
{
	return (__u8 *)((uintptr_t)copy & ~(uintptr_t)(page_size() - 1));
}

/* Whether the canary bytes before @copy, from guarded_copy(), are intact. */
static inline bool guarded_canary_intact(const void *copy)
{
	const __u8 *byte;

	for (byte = guarded_base(copy); byte < (const __u8 *)copy; byte++)
		if (*byte != GUARD_CANARY)
			return false;
	return true;
}

static inline void guarded_free(void *copy)
{
	munmap(guarded_base(copy), 2 * page_size());
}

/* Read the capability sets of this thread; 0 or -1. */
static inline int get_caps(struct __user_cap_header_struct *hdr,
			   struct __user_cap_data_struct *data)
{
	hdr->version = _LINUX_CAPABILITY_VERSION_3;
	hdr->pid = 0;
	return syscall(SYS_capget, hdr, data);
}

/* Whether CAP_SYS_RAWIO is in this thread's effective set. */
static inline bool has_rawio(void)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct __user_cap_header_struct hdr;

	if (get_caps(&hdr, data))
		return false;
	return data[CAP_TO_INDEX(CAP_SYS_RAWIO)].effective &
	       CAP_TO_MASK(CAP_SYS_RAWIO);
}

/* Drop CAP_SYS_RAWIO from the effective set; 0 or -1. */
static inline int drop_rawio(void)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct __user_cap_header_struct hdr;

	if (get_caps(&hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_RAWIO)].effective &=
		~CAP_TO_MASK(CAP_SYS_RAWIO);
	return syscall(SYS_capset, &hdr, data);
}

/* The module's reference count, or -1. */
static inline long read_refcnt(void)
{
	long refcnt = -1;
	FILE *f;

	f = fopen(GDMABUF_SYSFS "/refcnt", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &refcnt) != 1)
		refcnt = -1;
	fclose(f);
	return refcnt;
}

/* Whether another module depends on gdmabuf (gdmabuf_kunit, say). */
static inline bool module_has_holders(void)
{
	struct dirent *entry;
	bool holders = false;
	DIR *dir;

	dir = opendir(GDMABUF_SYSFS "/holders");
	if (!dir)
		return false;
	while (!holders && (entry = readdir(dir)))
		holders = entry->d_name[0] != '.';
	closedir(dir);
	return holders;
}

/*
 * The line of gdmabuf's debugfs buffer list that starts with @id into
 * @line: 1, 0 when no line does, -1 when the list cannot be read.
 */
static inline int debugfs_buffer_line(__u64 id, char *line, size_t len)
{
	int found = 0;
	FILE *f;

	f = fopen(GDMABUF_DEBUGFS_BUFFERS, "r");
	if (!f)
		return -1;
	while (!found && fgets(line, len, f)) {
		char *end;
		unsigned long long value = strtoull(line, &end, 10);

		found = end != line && *end == ' ' && value == id;
	}
	fclose(f);
	return found;
}

/*
 * The value of @key in /proc/self/fdinfo/@fd into @value (at most @len
 * bytes with the NUL); 0, or -1 when there is no such line.
 */
static inline int fdinfo_string(int fd, const char *key, char *value, size_t len)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		snprintf(value, len, "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
		value[strcspn(value, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

/*
 * 1 when a line of gdmabuf's debugfs buffer list starts with @id, 0 when
 * none does, -1 when the list cannot be read.
 */
static inline int debugfs_lists(__u64 id)
{
	char line[512];

	return debugfs_buffer_line(id, line, sizeof(line));
}

/* A loop device on a memfd: a block device for O_DIRECT without a disk. */
struct loop_dev {
	int memfd;
	int nr;
	/* /dev/loop<nr>, opened O_RDWR | O_DIRECT */
	int fd;
};

/* @l as no device: loop_dev_close() then does nothing. */
static inline void loop_dev_init(struct loop_dev *l)
{
	l->fd = -1;
	l->nr = -1;
	l->memfd = -1;
}

static inline void loop_dev_close(struct loop_dev *l)
{
	int ctl;

	if (l->fd >= 0) {
		ioctl(l->fd, LOOP_CLR_FD);
		close(l->fd);
	}
	if (l->nr >= 0) {
		ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
		if (ctl >= 0) {
			ioctl(ctl, LOOP_CTL_REMOVE, l->nr);
			close(ctl);
		}
	}
	if (l->memfd >= 0)
		close(l->memfd);
	loop_dev_init(l);
}

/*
 * A loop device of @size bytes in @l: 0, or -1 with errno (ENOENT: no
 * loop driver). Undone by loop_dev_close().
 */
static inline int loop_dev_open(struct loop_dev *l, size_t size)
{
	struct loop_config config = { .block_size = 4096 };
	char path[32];
	int ctl, dev, err;

	loop_dev_init(l);
	l->memfd = memfd_create("gdmabuf-loop", MFD_CLOEXEC);
	if (l->memfd < 0 || ftruncate(l->memfd, size))
		goto fail;
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		goto fail;
	l->nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	err = errno;
	close(ctl);
	errno = err;
	if (l->nr < 0)
		goto fail;
	snprintf(path, sizeof(path), "/dev/loop%d", l->nr);
	dev = open(path, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		goto fail;
	config.fd = l->memfd;
	if (ioctl(dev, LOOP_CONFIGURE, &config)) {
		err = errno;
		close(dev);
		errno = err;
		goto fail;
	}
	l->fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	err = errno;
	/* the configured device stays until LOOP_CLR_FD */
	if (l->fd < 0)
		ioctl(dev, LOOP_CLR_FD);
	close(dev);
	errno = err;
	if (l->fd < 0)
		goto fail;
	return 0;
fail:
	err = errno;
	loop_dev_close(l);
	errno = err;
	return -1;
}

#endif /* __GDMABUF_UTIL_H */
