/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the gdmabuf kselftests.
 */
#ifndef __GDMABUF_UTIL_H
#define __GDMABUF_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/gdmabuf.h>

#define GDMABUF_DEBUGFS_BUFFERS	"/sys/kernel/debug/gdmabuf/buffers"

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
 * 1 when a line of gdmabuf's debugfs buffer list starts with @id, 0 when
 * none does, -1 when the list cannot be read.
 */
static inline int debugfs_lists(__u64 id)
{
	char line[512];
	int found = 0;
	FILE *f;

	f = fopen(GDMABUF_DEBUGFS_BUFFERS, "r");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
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

#endif /* __GDMABUF_UTIL_H */
