// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the gdmabuf userspace API: the control device /dev/gdmabuf,
 * buffer allocation and its limits, the buffer fd's ioctls and mappings,
 * huge mappings, debugfs and the module's lifetime.
 *
 * Run as root with the gdmabuf module loaded; every test skips when the
 * device is absent.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* mremap(); lib.mk defines it already */
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/gdmabuf.h>
#include <linux/magic.h>

#include "../../../kselftest_harness.h"
#include "gdmabuf_util.h"

/* An unprivileged identity: nobody/nogroup. */
#define UNPRIV_ID	65534

/* Pages of the buffer fixture's buffer: scatter-gather makes 16 + 2 + 1. */
#define BUF_PAGES	19
static const unsigned int buf_sg_pages[] = { 16, 2, 1 };
#define PATTERN_SEED	0x5eed0000U
/* Bytes a debugger reads and writes through /proc/self/mem. */
#define MEM_SPAN	64

/*
 * The huge fixture: a buffer that x86-64 maps with 2 MiB PMDs where the
 * layout allows (scatter-gather); contiguous memory takes 4 KiB entries.
 */
#define HUGE_BUF_SIZE	(64UL << 20)
#define HUGE_PMD_SIZE	(2UL << 20)
#define HUGE_PAGE_4K	4096UL
/* Faults besides the buffer's that the measuring loop may take. */
#define HUGE_FAULT_SLACK	8
/*
 * Of a 64 MiB scatter-gather buffer in a fresh guest, the least share of
 * bytes in 2 MiB segments, in percent: all of it in the test guests.
 */
#define HUGE_SG_PMD_PERCENT	90
/* Contiguous memory above this comes from CMA, whose writes are tracked. */
#define HUGE_CMA_ABOVE	(4UL << 20)
/* Faults besides the buffer's when reading a huge_ops buffer. */
#define HUGE_OPS_FAULT_SLACK	64
/* Seconds for a huge_ops test: 64 MiB, 4 KiB at a time, many times. */
#define HUGE_OPS_TIMEOUT	120

/* ALLOC arguments for a read-write, cached, contiguous buffer. */
static struct gdmabuf_alloc alloc_args(__u64 size)
{
	return (struct gdmabuf_alloc){ .size = size, .fd_flags = O_RDWR };
}

/* The gdmabuf-id of /proc/self/fdinfo/@fd into @id; 0 or -1. */
static int fdinfo_id(int fd, __u64 *id)
{
	char value[32], *end;

	if (fdinfo_string(fd, "gdmabuf-id", value, sizeof(value)))
		return -1;
	*id = strtoull(value, &end, 10);
	return end != value && !*end ? 0 : -1;
}

static bool debugfs_mounted(void)
{
	struct statfs sfs;

	return !statfs(DEBUGFS_ROOT, &sfs) && sfs.f_type == DEBUGFS_MAGIC;
}

/*
 * From the debugfs buffer list: the bytes of all buffers into @total and
 * the number of buffers into @nr; 0, or -1 when the list cannot be read.
 */
static int debugfs_totals(unsigned long long *total, unsigned int *nr)
{
	char line[512];
	int ret = -1;
	FILE *f;

	*nr = 0;
	f = fopen(GDMABUF_DEBUGFS_BUFFERS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "total: %llu bytes", total) == 1)
			ret = 0;
		else if (isdigit((unsigned char)line[0]))
			(*nr)++;
	}
	fclose(f);
	return ret;
}

/* How many fds of this process are buffer fds, or -1. */
static int count_buffer_fds(void)
{
	char path[PATH_MAX], target[64];
	struct dirent *entry;
	int count = 0;
	ssize_t n;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((entry = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", entry->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		count += !strcmp(target, "anon_inode:[gdmabuf]");
	}
	closedir(dir);
	return count;
}

/* The lowest free fd number, which the next new fd gets, or -1. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* The field @name of /proc/meminfo, "MemFree" say, in bytes, or -1. */
static long long meminfo_bytes(const char *name)
{
	long long kib = -1;
	char line[128];
	size_t len = strlen(name);
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (kib < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			sscanf(line + len + 1, "%lld", &kib);
	fclose(f);
	return kib < 0 ? -1 : kib << 10;
}

/*
 * The physical address that DMA-API debugging recorded for the mapping of
 * @len bytes at device address @dma of gdmabuf's device into @phys; 0,
 * or -1 when there is no such mapping.
 */
static int dma_api_phys(__u64 dma, __u64 len, __u64 *phys)
{
	unsigned long long p, d, l;
	char line[512], dev[64];
	int ret = -1;
	FILE *f;

	f = fopen(DMA_API_DUMP, "r");
	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %63s %*s idx %*d P=%llx D=%llx L=%llx",
			   dev, &p, &d, &l) == 4 &&
		    !strcmp(dev, "gdmabuf") && d == dma && l == len) {
			*phys = p;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* The device address of byte @off of a buffer with @segs, or 0. */
static __u64 segment_addr_at(const struct gdmabuf_segment_desc *segs,
			     __u32 nr, __u64 off)
{
	__u32 i;

	for (i = 0; i < nr; off -= segs[i].len, i++)
		if (off < segs[i].len)
			return segs[i].dma_addr + off;
	return 0;
}

/* Module parameter @name into @buf without its newline; 0 or -errno. */
static int read_param(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), GDMABUF_SYSFS "/parameters/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n ? -errno : -ENODATA;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Set module parameter @name to @value; 0 or -errno. */
static int write_param(const char *name, const char *value)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), GDMABUF_SYSFS "/parameters/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : 0;
}

static int write_param_u64(const char *name, __u64 value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);
	return write_param(name, buf);
}

/*
 * Struct size handling of @cmd: @arg holds valid arguments in @size bytes,
 * this header's version, followed by a zero @tail; @first is the size of
 * the first version. Both versions work with nothing readable or writable
 * after them, the kernel writing back all of them and only them. One byte
 * short of the first is refused with EINVAL, the longer struct is accepted
 * with its tail zero and refused with E2BIG when a byte of the tail is not.
 */
static void check_struct_size(struct __test_metadata *_metadata, int fd,
			      unsigned long cmd, void *arg, size_t first,
			      size_t size, __u64 *tail)
{
	const size_t longer = size + sizeof(*tail);
	const size_t sizes[] = { first, size };
	void *expected, *guarded;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		expected = malloc(sizes[i]);
		ASSERT_NE(NULL, expected);
		memcpy(expected, arg, sizes[i]);
		ASSERT_EQ(0, ioctl_errno(fd, cmd_sized(cmd, sizes[i]), expected));
		guarded = guarded_copy(arg, sizes[i]);
		ASSERT_NE(NULL, guarded);
		EXPECT_EQ(0, ioctl_errno(fd, cmd_sized(cmd, sizes[i]), guarded)) {
			TH_LOG("%zu bytes before an unmapped page", sizes[i]);
		}
		EXPECT_TRUE(guarded_canary_intact(guarded));
		/* the same answer as with room after the struct */
		EXPECT_EQ(0, memcmp(expected, guarded, sizes[i]));
		guarded_free(guarded);
		free(expected);
	}

	EXPECT_EQ(EINVAL, ioctl_errno(fd, cmd_sized(cmd, first - 1), arg));
	EXPECT_EQ(0, ioctl_errno(fd, cmd_sized(cmd, longer), arg));
	*tail = 1ULL << 63;
	EXPECT_EQ(E2BIG, ioctl_errno(fd, cmd_sized(cmd, longer), arg));
}

FIXTURE(ctl) {
	int fd;
};

FIXTURE_SETUP(ctl)
{
	self->fd = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The node is a root-owned character device that only root can use. */
TEST_F(ctl, node_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	/* misc devices share major 10 */
	EXPECT_EQ(10, major(st.st_rdev));
}

/* Commands the control device does not know fail with ENOTTY. */
TEST_F(ctl, unknown_ioctl_enotty)
{
	const unsigned long cmds[] = {
		_IO(GDMABUF_IOCTL_MAGIC, 0x1f),
		_IOWR(GDMABUF_IOCTL_MAGIC, 0x1e, __u64),
		_IOR(GDMABUF_IOCTL_MAGIC, 0xff, __u32),
		_IOWR('H', 0x0, __u64),	/* the DMA-BUF heap magic */
		0,
	};
	__u64 arg = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &arg));
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("cmd %#lx", cmds[i]);
		}
	}
}

/* The device has no read or write: it is a command channel. */
TEST_F(ctl, read_write_refused)
{
	char byte = 0;

	EXPECT_EQ(-1, read(self->fd, &byte, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, &byte, 1));
	EXPECT_EQ(EINVAL, errno);
}

/* A process without root's identity cannot open the device. */
TEST_F(ctl, unprivileged_open_refused)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) || setgid(UNPRIV_ID) || setuid(UNPRIV_ID))
			_exit(2);
		fd = open(GDMABUF_DEV, O_RDWR);
		if (fd >= 0)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 2: could not drop root; 3: opened; 4: wrong errno */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ALLOC rounds the size up to whole pages and writes it back. */
TEST_F(ctl, alloc_rounds_size_up)
{
	const size_t page = page_size();
	const struct {
		__u64 size;
		__u64 rounded;
	} cases[] = {
		{ 1, page },
		{ page - 1, page },
		{ page, page },
		{ page + 1, 2 * page },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gdmabuf_alloc args = alloc_args(cases[i].size);
		struct gdmabuf_info info;

		ASSERT_EQ(0, ioctl_errno(self->fd, GDMABUF_IOCTL_ALLOC, &args));
		EXPECT_EQ(cases[i].rounded, args.size) {
			TH_LOG("asked for %llu bytes", cases[i].size);
		}
		ASSERT_EQ(0, get_info(args.fd, &info));
		EXPECT_EQ(cases[i].rounded, info.size);
		close(args.fd);
	}
}

/* A buffer of zero bytes is refused. */
TEST_F(ctl, alloc_zero_size_einval)
{
	EXPECT_EQ(EINVAL, alloc_errno(self->fd, alloc_args(0)));
}

/* ALLOC knows no flags yet: any flag is refused. */
TEST_F(ctl, alloc_unknown_flags_einval)
{
	const __u32 flags[] = { 1, 1U << 31 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct gdmabuf_alloc args = alloc_args(page_size());

		args.flags = flags[i];
		EXPECT_EQ(EINVAL, alloc_errno(self->fd, args)) {
			TH_LOG("flags %#x", flags[i]);
		}
	}
}

/* The reserved field must be zero. */
TEST_F(ctl, alloc_reserved_einval)
{
	const __u32 reserved[] = { 1, 1U << 31 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		struct gdmabuf_alloc args = alloc_args(page_size());

		args.reserved = reserved[i];
		EXPECT_EQ(EINVAL, alloc_errno(self->fd, args)) {
			TH_LOG("reserved %#x", reserved[i]);
		}
	}
}

/* fd is output only: a non-zero value on input is refused. */
TEST_F(ctl, alloc_fd_input_einval)
{
	const __s32 fds[] = { 1, -1, self->fd };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		struct gdmabuf_alloc args = alloc_args(page_size());

		args.fd = fds[i];
		EXPECT_EQ(EINVAL, alloc_errno(self->fd, args)) {
			TH_LOG("fd %d on input", fds[i]);
		}
	}
}

/* fd_flags other than O_RDWR or O_RDONLY, with O_CLOEXEC, are refused. */
TEST_F(ctl, alloc_bad_fd_flags_einval)
{
	const __u32 fd_flags[] = {
		O_WRONLY,
		O_ACCMODE,
		O_WRONLY | O_CLOEXEC,
		O_RDWR | O_NONBLOCK,
		O_RDWR | O_APPEND,
		O_RDWR | O_TRUNC,
		O_RDONLY | O_CREAT,
		O_RDWR | O_CLOEXEC | 1U << 31,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fd_flags); i++) {
		struct gdmabuf_alloc args = alloc_args(page_size());

		args.fd_flags = fd_flags[i];
		EXPECT_EQ(EINVAL, alloc_errno(self->fd, args)) {
			TH_LOG("fd_flags %#x", fd_flags[i]);
		}
	}
}

/* The buffer fd has the access mode and close-on-exec flag asked for. */
TEST_F(ctl, alloc_fd_flags_applied)
{
	const __u32 fd_flags[] = {
		O_RDWR,
		O_RDONLY,
		O_RDWR | O_CLOEXEC,
		O_RDONLY | O_CLOEXEC,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fd_flags); i++) {
		const int accmode = fd_flags[i] & O_ACCMODE;
		const bool cloexec = fd_flags[i] & O_CLOEXEC;
		int fd;

		fd = alloc_buffer(self->fd, page_size(), GDMABUF_MEM_CACHED,
				  GDMABUF_LAYOUT_CONTIGUOUS, fd_flags[i]);
		ASSERT_LE(0, fd) {
			TH_LOG("fd_flags %#x: %s", fd_flags[i], strerror(errno));
		}
		EXPECT_EQ(accmode, fcntl(fd, F_GETFL) & O_ACCMODE) {
			TH_LOG("fd_flags %#x", fd_flags[i]);
		}
		EXPECT_EQ(cloexec, !!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
			TH_LOG("fd_flags %#x", fd_flags[i]);
		}
		close(fd);
	}
}

/* Memory types past GDMABUF_MEM_WRITE_COMBINE are refused. */
TEST_F(ctl, alloc_unknown_mem_type_einval)
{
	const __u32 mem_types[] = { GDMABUF_MEM_WRITE_COMBINE + 1, UINT32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mem_types); i++) {
		struct gdmabuf_alloc args = alloc_args(page_size());

		args.mem_type = mem_types[i];
		EXPECT_EQ(EINVAL, alloc_errno(self->fd, args)) {
			TH_LOG("mem_type %u", mem_types[i]);
		}
	}
}

/* Layouts past GDMABUF_LAYOUT_SCATTER_GATHER are refused. */
TEST_F(ctl, alloc_unknown_layout_einval)
{
	const __u32 layouts[] = { GDMABUF_LAYOUT_SCATTER_GATHER + 1, UINT32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(layouts); i++) {
		struct gdmabuf_alloc args = alloc_args(page_size());

		args.layout = layouts[i];
		EXPECT_EQ(EINVAL, alloc_errno(self->fd, args)) {
			TH_LOG("layout %u", layouts[i]);
		}
	}
}

/* Scatter-gather is for cached memory only. */
TEST_F(ctl, alloc_sg_uncached_einval)
{
	const __u32 mem_types[] = {
		GDMABUF_MEM_COHERENT,
		GDMABUF_MEM_WRITE_COMBINE,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mem_types); i++) {
		struct gdmabuf_alloc args = alloc_args(page_size());

		args.mem_type = mem_types[i];
		args.layout = GDMABUF_LAYOUT_SCATTER_GATHER;
		EXPECT_EQ(EINVAL, alloc_errno(self->fd, args)) {
			TH_LOG("mem_type %u", mem_types[i]);
		}
	}
}

/* An ALLOC struct that cannot be read fails with EFAULT. */
TEST_F(ctl, alloc_bad_pointer_efault)
{
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, GDMABUF_IOCTL_ALLOC, NULL));
}

/*
 * ALLOC's struct is extensible: the first version (no device name) and
 * this header's work with nothing readable or writable after them and get
 * their size and fd written back, one byte short of the first is refused
 * with EINVAL, a longer one is accepted with its tail zero and refused
 * with E2BIG when a byte of the tail is not.
 */
TEST_F(ctl, alloc_struct_size)
{
	const unsigned long cmd = GDMABUF_IOCTL_ALLOC;
	const size_t sizes[] = { GDMABUF_ALLOC_SIZE_VER0, sizeof(struct gdmabuf_alloc) };
	struct gdmabuf_alloc first = alloc_args(page_size() + 1), *guarded;
	struct {
		struct gdmabuf_alloc args;
		__u64 future;
	} big = { .args = alloc_args(page_size()) };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		guarded = guarded_copy(&first, sizes[i]);
		ASSERT_NE(NULL, guarded);
		EXPECT_EQ(0, ioctl_errno(self->fd, cmd_sized(cmd, sizes[i]),
					 guarded)) {
			TH_LOG("%zu bytes before an unmapped page", sizes[i]);
		}
		EXPECT_TRUE(guarded_canary_intact(guarded));
		EXPECT_EQ(2 * page_size(), guarded->size);
		EXPECT_LE(0, guarded->fd);
		if (guarded->fd >= 0)
			close(guarded->fd);
		guarded_free(guarded);
	}

	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, cmd_sized(cmd, GDMABUF_ALLOC_SIZE_VER0 - 1),
				      &big));
	ASSERT_EQ(0, ioctl_errno(self->fd, cmd_sized(cmd, sizeof(big)), &big));
	EXPECT_LE(0, big.args.fd);
	close(big.args.fd);

	big.args = alloc_args(page_size());
	big.future = 1ULL << 63;
	EXPECT_EQ(E2BIG, ioctl_errno(self->fd, cmd_sized(cmd, sizeof(big)), &big));
}

/* Every buffer gets an id of its own. */
TEST_F(ctl, alloc_ids_unique)
{
	struct gdmabuf_info a, b;
	int fd_a, fd_b;

	fd_a = alloc_buffer(self->fd, page_size(), GDMABUF_MEM_CACHED,
			    GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, fd_a);
	fd_b = alloc_buffer(self->fd, page_size(), GDMABUF_MEM_CACHED,
			    GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, fd_b);
	ASSERT_EQ(0, get_info(fd_a, &a));
	ASSERT_EQ(0, get_info(fd_b, &b));
	EXPECT_NE(a.id, b.id);
	close(fd_a);
	close(fd_b);
}

/* The buffer fd commands are not the control device's: ENOTTY. */
TEST_F(ctl, buffer_ioctls_enotty)
{
	const unsigned long cmds[] = {
		GDMABUF_IOCTL_INFO,
		GDMABUF_IOCTL_SEGMENTS,
		GDMABUF_IOCTL_SYNC,
		GDMABUF_IOCTL_EXPORT,
	};
	__u64 arg[16] = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, cmds[i], arg)) {
			TH_LOG("cmd %#lx", cmds[i]);
		}
	}
}

/* A buffer fd holds a module reference, dropped when it is closed. */
TEST_F(ctl, buffer_holds_module_ref)
{
	long with, without;
	int fd;

	if (access(GDMABUF_SYSFS "/refcnt", F_OK))
		SKIP(return, "gdmabuf is built in");

	fd = alloc_buffer(self->fd, page_size(), GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, fd);
	with = read_refcnt();
	ASSERT_LE(1, with);
	close(fd);
	without = read_refcnt();
	EXPECT_EQ(with - 1, without);
}

/* The module cannot be unloaded while a buffer exists. */
TEST_F(ctl, unload_refused_with_buffer)
{
	int fd, ret;

	if (access(GDMABUF_SYSFS "/refcnt", F_OK))
		SKIP(return, "gdmabuf is built in");
	if (module_has_holders())
		SKIP(return, "another module depends on gdmabuf");

	fd = alloc_buffer(self->fd, page_size(), GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, fd);
	/* Leave the buffer alone holding the module. */
	close(self->fd);
	self->fd = -1;

	ret = syscall(__NR_delete_module, "gdmabuf", O_NONBLOCK);
	if (ret && errno == EPERM)
		SKIP(return, "module unloading not permitted");
	ASSERT_EQ(-1, ret) {
		TH_LOG("gdmabuf was unloaded with a buffer open");
	}
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	close(fd);
}

/*
 * A buffer mapped but with no fd left, not even the control device's,
 * holds the module: unloading it is refused, and the mapping's reference
 * goes with munmap().
 */
TEST_F(ctl, unload_refused_with_mapping_only)
{
	long with, without;
	int fd, ret;
	__u8 *map;

	if (access(GDMABUF_SYSFS "/refcnt", F_OK))
		SKIP(return, "gdmabuf is built in");
	if (module_has_holders())
		SKIP(return, "another module depends on gdmabuf");

	fd = alloc_buffer(self->fd, page_size(), GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 0x5a;
	close(fd);
	close(self->fd);
	self->fd = -1;

	/* Never ask for the unload unless something holds the module. */
	with = read_refcnt();
	ASSERT_LE(1, with) {
		TH_LOG("refcnt %ld with a mapping: not trying to unload", with);
	}
	ret = syscall(__NR_delete_module, "gdmabuf", O_NONBLOCK);
	if (ret && errno == EPERM)
		SKIP(return, "module unloading not permitted");
	ASSERT_EQ(-1, ret) {
		TH_LOG("gdmabuf was unloaded with a buffer mapped: later tests have no device");
	}
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	EXPECT_EQ(0x5a, map[0]);
	ASSERT_EQ(0, munmap(map, page_size()));
	without = read_refcnt();
	EXPECT_EQ(with - 1, without);
}

/*
 * With no fd number free, ALLOC fails with EMFILE and leaves nothing
 * behind: no fd, no buffer, no bytes charged.
 */
TEST_F(ctl, alloc_no_free_fd_emfile)
{
	struct gdmabuf_alloc args = alloc_args(16 * page_size());
	unsigned long long total_before, total_after;
	unsigned int nr_before, nr_after;
	struct rlimit old, none;
	int lowest, ret, err;

	if (!debugfs_mounted())
		SKIP(return, "debugfs not mounted at " DEBUGFS_ROOT);
	ASSERT_EQ(0, debugfs_totals(&total_before, &nr_before));
	lowest = lowest_free_fd();
	ASSERT_LE(0, lowest);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));

	/* every fd below the lowest free one is taken */
	none = old;
	none.rlim_cur = lowest;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &none));
	ret = ioctl(self->fd, GDMABUF_IOCTL_ALLOC, &args);
	err = errno;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	if (!ret)
		close(args.fd);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EMFILE, err) {
		TH_LOG("ALLOC with fds up to %d taken: %s", lowest - 1,
		       strerror(err));
	}
	EXPECT_EQ(0, args.fd);

	EXPECT_EQ(0, count_buffer_fds());
	EXPECT_EQ(lowest, lowest_free_fd());
	ASSERT_EQ(0, debugfs_totals(&total_after, &nr_after));
	EXPECT_EQ(total_before, total_after);
	EXPECT_EQ(nr_before, nr_after);
}

/*
 * An ALLOC struct that can be read but not written: the buffer is made,
 * but the copy back fails with EFAULT, and the buffer goes again without
 * an fd ever having been installed.
 */
TEST_F(ctl, alloc_copy_back_efault)
{
	unsigned long long total_before, total_after;
	unsigned int nr_before, nr_after;
	struct gdmabuf_alloc *args;
	int lowest, fd;

	if (!debugfs_mounted())
		SKIP(return, "debugfs not mounted at " DEBUGFS_ROOT);
	ASSERT_EQ(0, debugfs_totals(&total_before, &nr_before));
	args = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, args);
	*args = alloc_args(16 * page_size());
	ASSERT_EQ(0, mprotect(args, page_size(), PROT_READ));
	lowest = lowest_free_fd();
	ASSERT_LE(0, lowest);

	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, GDMABUF_IOCTL_ALLOC, args));
	EXPECT_EQ(0, args->fd);
	EXPECT_EQ(0, count_buffer_fds());
	/* the fd the buffer would have had is free again */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	EXPECT_EQ(lowest, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, debugfs_totals(&total_after, &nr_after));
	EXPECT_EQ(total_before, total_after);
	EXPECT_EQ(nr_before, nr_after);
	munmap(args, page_size());
}

/* A scatter-gather allocation that a SIGKILL interrupts. */
#define KILL_SIZE		(1024ULL << 20)
#define KILL_TRIES		3
/* Seconds: a try that is not aborted allocates and frees 1 GiB. */
#define KILL_TIMEOUT		120
/*
 * Free memory may be short by this much after the kill: per-CPU free
 * lists keep some freed 2 MiB blocks (up to 37 MiB seen on x86_64). The
 * allocation is killed holding at least twice this, so a leak shows.
 */
#define KILL_FREE_SLACK		(64LL << 20)

/* The id a new buffer gets, from one allocated and freed; 0 on failure. */
static __u64 new_buffer_id(int ctl)
{
	struct gdmabuf_info info;
	int fd;

	fd = alloc_buffer(ctl, page_size(), GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (get_info(fd, &info))
		info.id = 0;
	close(fd);
	return info.id;
}

/*
 * A child starts a scatter-gather ALLOC of @size bytes; once MemFree has
 * dropped by @under_way bytes, into @taken, it is killed. 1: the kill
 * landed while the ioctl ran, as the byte the child writes after it never
 * came, and aborted it, as no buffer was made (ids are given out in
 * order); 0: the ALLOC finished; -1: the child could not start or its
 * ALLOC failed.
 */
static int kill_during_alloc(int ctl, __u64 size, long long under_way,
			     long long *taken)
{
	struct pollfd pfd = { .events = POLLIN };
	int pipefd[2], status, landed = -1;
	long long start, now;
	__u64 id;
	char byte = 0;
	pid_t pid;

	id = new_buffer_id(ctl);
	if (!id || pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct gdmabuf_alloc args = alloc_args(size);

		close(pipefd[0]);
		args.layout = GDMABUF_LAYOUT_SCATTER_GATHER;
		byte = 's';
		if (write(pipefd[1], &byte, 1) != 1)
			_exit(1);
		byte = ioctl(ctl, GDMABUF_IOCTL_ALLOC, &args) ? 'e' : 'd';
		if (write(pipefd[1], &byte, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	pfd.fd = pipefd[0];
	start = meminfo_bytes("MemFree");
	*taken = 0;
	if (start >= 0 && read(pipefd[0], &byte, 1) == 1 && byte == 's') {
		/* poll for the byte after the ioctl, watching free memory */
		do {
			now = meminfo_bytes("MemFree");
			*taken = start - now;
		} while (now >= 0 && *taken < under_way && !poll(&pfd, 1, 1));
		landed = 1;
	}
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL)
		landed = -1;
	/* only EOF: the child died inside the ioctl */
	if (landed == 1 && read(pipefd[0], &byte, 1) == 1)
		landed = byte == 'd' ? 0 : -1;
	close(pipefd[0]);
	/* made, but the kill came before its fd was returned */
	if (landed == 1 && new_buffer_id(ctl) != id + 1)
		landed = 0;
	return landed;
}

/*
 * A fatal signal during a large scatter-gather allocation aborts it
 * (EINTR for a process that is dying anyway) and leaks nothing: no
 * buffer, no bytes charged, the memory back.
 */
TEST_F_TIMEOUT(ctl, alloc_sg_killed_frees_all, KILL_TIMEOUT)
{
	unsigned long long total_before, total_after;
	long long free_before, cma_before, taken = 0;
	unsigned int nr_before, nr_after, i;
	int landed = 0;

	if (!debugfs_mounted())
		SKIP(return, "debugfs not mounted at " DEBUGFS_ROOT);
	ASSERT_EQ(0, debugfs_totals(&total_before, &nr_before));
	free_before = meminfo_bytes("MemFree");
	ASSERT_LE(0, free_before);
	cma_before = meminfo_bytes("CmaFree");

	/* when it finished first, kill earlier, but never before 2 * slack */
	for (i = 0; i < KILL_TRIES && landed == 0; i++)
		landed = kill_during_alloc(self->fd, KILL_SIZE,
					   i ? 2 * KILL_FREE_SLACK : KILL_SIZE / 4,
					   &taken);
	ASSERT_EQ(1, landed) {
		TH_LOG("%u tries: the %llu-byte ALLOC %s", i, KILL_SIZE,
		       landed ? "failed" : "always finished despite the kill");
	}

	ASSERT_EQ(0, debugfs_totals(&total_after, &nr_after));
	EXPECT_EQ(total_before, total_after);
	EXPECT_EQ(nr_before, nr_after);
	EXPECT_GE(KILL_FREE_SLACK, free_before - meminfo_bytes("MemFree")) {
		TH_LOG("MemFree %lld before, %lld after a kill %lld bytes in",
		       free_before, meminfo_bytes("MemFree"), taken);
	}
	EXPECT_GE(KILL_FREE_SLACK, cma_before - meminfo_bytes("CmaFree"));
}

/* The size limits, put back as they were after every test. */
FIXTURE(limits) {
	int fd;
	char max_buffer_size[32];
	char max_total_size[32];
};

FIXTURE_SETUP(limits)
{
	self->fd = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, read_param("max_buffer_size", self->max_buffer_size,
				sizeof(self->max_buffer_size)));
	ASSERT_EQ(0, read_param("max_total_size", self->max_total_size,
				sizeof(self->max_total_size)));
}

/* Runs after a failed test too: restore the limits. */
FIXTURE_TEARDOWN(limits)
{
	EXPECT_EQ(0, write_param("max_buffer_size", self->max_buffer_size));
	EXPECT_EQ(0, write_param("max_total_size", self->max_total_size));
	if (self->fd >= 0)
		close(self->fd);
}

/* A size above max_buffer_size fails with E2BIG; one at it succeeds. */
TEST_F(limits, buffer_limit_e2big)
{
	const size_t limit = 16 * page_size();

	ASSERT_EQ(0, write_param_u64("max_buffer_size", limit));
	ASSERT_EQ(0, write_param("max_total_size", "0"));
	EXPECT_EQ(0, alloc_errno(self->fd, alloc_args(limit)));
	EXPECT_EQ(E2BIG, alloc_errno(self->fd, alloc_args(limit + 1)));
	EXPECT_EQ(E2BIG, alloc_errno(self->fd, alloc_args(UINT64_MAX)));
}

/* max_buffer_size 0 means half of RAM. */
TEST_F(limits, default_buffer_limit_half_ram)
{
	struct sysinfo si;
	__u64 half;

	ASSERT_EQ(0, write_param("max_buffer_size", "0"));
	ASSERT_EQ(0, write_param("max_total_size", "0"));
	ASSERT_EQ(0, sysinfo(&si));
	half = (__u64)si.totalram * si.mem_unit / 2;

	EXPECT_EQ(E2BIG, alloc_errno(self->fd, alloc_args(half + 1))) {
		TH_LOG("RAM: %llu bytes", (unsigned long long)half * 2);
	}
	EXPECT_EQ(0, alloc_errno(self->fd, alloc_args(page_size())));
}

/*
 * A size that rounding up to pages would wrap to zero is refused, even
 * with the largest limit: the buffer must hold what was asked for.
 */
TEST_F(limits, size_not_wrapped_by_rounding)
{
	struct gdmabuf_alloc args = alloc_args(UINT64_MAX);
	int ret;

	ASSERT_EQ(0, write_param_u64("max_buffer_size", ULONG_MAX));
	ASSERT_EQ(0, write_param("max_total_size", "0"));
	/* Scatter-gather allocates nothing for a wrapped size of 0. */
	args.layout = GDMABUF_LAYOUT_SCATTER_GATHER;
	ret = ioctl(self->fd, GDMABUF_IOCTL_ALLOC, &args);
	if (!ret)
		close(args.fd);
	EXPECT_EQ(-1, ret) {
		TH_LOG("asked for %llu bytes, got a buffer of %llu",
		       (unsigned long long)UINT64_MAX, args.size);
	}
}

/* Allocations past max_total_size fail with ENOMEM. */
TEST_F(limits, total_limit_enomem)
{
	const size_t page = page_size();
	int a, b;

	ASSERT_EQ(0, write_param_u64("max_total_size", 8 * page));
	ASSERT_EQ(0, write_param("max_buffer_size", "0"));
	a = alloc_buffer(self->fd, 4 * page, GDMABUF_MEM_CACHED,
			 GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, a) {
		TH_LOG("%s: do other buffers exist?", strerror(errno));
	}
	b = alloc_buffer(self->fd, 4 * page, GDMABUF_MEM_CACHED,
			 GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, b);
	EXPECT_EQ(ENOMEM, alloc_errno(self->fd, alloc_args(page)));
	close(a);
	close(b);
}

/* Closing a buffer's last fd gives its bytes back to the total. */
TEST_F(limits, total_limit_freed_on_close)
{
	const size_t page = page_size();
	int fd;

	ASSERT_EQ(0, write_param_u64("max_total_size", 4 * page));
	ASSERT_EQ(0, write_param("max_buffer_size", "0"));
	fd = alloc_buffer(self->fd, 4 * page, GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, fd) {
		TH_LOG("%s: do other buffers exist?", strerror(errno));
	}
	EXPECT_EQ(ENOMEM, alloc_errno(self->fd, alloc_args(page)));
	close(fd);
	EXPECT_EQ(0, alloc_errno(self->fd, alloc_args(4 * page)));
}

/* A mapping keeps its buffer, and its bytes, until it is unmapped. */
TEST_F(limits, total_limit_held_by_mapping)
{
	const size_t page = page_size();
	void *map;
	int fd;

	ASSERT_EQ(0, write_param_u64("max_total_size", 4 * page));
	ASSERT_EQ(0, write_param("max_buffer_size", "0"));
	fd = alloc_buffer(self->fd, 4 * page, GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR);
	ASSERT_LE(0, fd) {
		TH_LOG("%s: do other buffers exist?", strerror(errno));
	}
	map = mmap(NULL, 4 * page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(fd);
	EXPECT_EQ(ENOMEM, alloc_errno(self->fd, alloc_args(page)));
	ASSERT_EQ(0, munmap(map, 4 * page));
	EXPECT_EQ(0, alloc_errno(self->fd, alloc_args(4 * page)));
}

/* One buffer of every memory type and layout, with its buffer fd. */
FIXTURE(buffer) {
	int ctl;
	int fd;
	size_t page;
	size_t size;
};

FIXTURE_VARIANT(buffer) {
	__u32 mem_type;
	__u32 layout;
	/* INFO's cpu_mapping unless the device is coherent */
	__u32 cpu_mapping;
};

FIXTURE_VARIANT_ADD(buffer, cached_contiguous) {
	.mem_type = GDMABUF_MEM_CACHED,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.cpu_mapping = GDMABUF_CPU_CACHED,
};

FIXTURE_VARIANT_ADD(buffer, cached_scatter_gather) {
	.mem_type = GDMABUF_MEM_CACHED,
	.layout = GDMABUF_LAYOUT_SCATTER_GATHER,
	.cpu_mapping = GDMABUF_CPU_CACHED,
};

FIXTURE_VARIANT_ADD(buffer, coherent_contiguous) {
	.mem_type = GDMABUF_MEM_COHERENT,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.cpu_mapping = GDMABUF_CPU_UNCACHED,
};

FIXTURE_VARIANT_ADD(buffer, write_combine_contiguous) {
	.mem_type = GDMABUF_MEM_WRITE_COMBINE,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.cpu_mapping = GDMABUF_CPU_WRITE_COMBINE,
};

FIXTURE_SETUP(buffer)
{
	self->fd = -1;
	self->ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->ctl < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->ctl);

	self->page = page_size();
	self->size = BUF_PAGES * self->page;
	self->fd = alloc_buffer(self->ctl, self->size, variant->mem_type,
				variant->layout, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) {
		TH_LOG("ALLOC of %zu bytes: %s", self->size, strerror(errno));
	}
}

FIXTURE_TEARDOWN(buffer)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->ctl >= 0)
		close(self->ctl);
}

/* INFO describes the buffer as it was allocated. */
TEST_F(buffer, info_describes_buffer)
{
	struct gdmabuf_info info;

	ASSERT_EQ(0, get_info(self->fd, &info));
	EXPECT_EQ(self->size, info.size);
	EXPECT_EQ(variant->mem_type, info.mem_type);
	EXPECT_EQ(variant->layout, info.layout);
	EXPECT_EQ(variant->layout == GDMABUF_LAYOUT_CONTIGUOUS ? 1 :
		  ARRAY_SIZE(buf_sg_pages), info.nr_segments);
	/* gdmabuf's own device has no IOMMU: a segment per block */
	EXPECT_EQ(info.nr_segments, info.nr_blocks);
	EXPECT_EQ(variant->layout == GDMABUF_LAYOUT_CONTIGUOUS,
		  !!(info.attrs & GDMABUF_ATTR_DMA_CONTIGUOUS));
	EXPECT_FALSE(info.attrs & GDMABUF_ATTR_DETACHED);
	EXPECT_EQ(0, info.reserved2);
}

/*
 * fdinfo names the buffer's device, gdmabuf's own platform device for a
 * buffer that names none, and says it is attached.
 */
TEST_F(buffer, fdinfo_names_own_device)
{
	char value[128];

	ASSERT_EQ(0, fdinfo_string(self->fd, "gdmabuf-device", value, sizeof(value)));
	EXPECT_STREQ("platform/gdmabuf", value);
	ASSERT_EQ(0, fdinfo_string(self->fd, "gdmabuf-state", value, sizeof(value)));
	EXPECT_STREQ("attached", value);
	ASSERT_EQ(0, fdinfo_string(self->fd, "gdmabuf-blocks", value, sizeof(value)));
	EXPECT_EQ(variant->layout == GDMABUF_LAYOUT_CONTIGUOUS ? 1 :
		  ARRAY_SIZE(buf_sg_pages), strtoul(value, NULL, 10));
}

/*
 * The segments are the largest naturally aligned blocks that fit, as a
 * fresh guest's page allocator gives them: the whole buffer when
 * contiguous, 16 + 2 + 1 pages when scatter-gather.
 */
TEST_F(buffer, segments_largest_blocks)
{
	struct gdmabuf_segment_desc *segs;
	__u32 i, nr;

	segs = get_segments(self->fd, &nr);
	ASSERT_NE(NULL, segs);
	if (variant->layout == GDMABUF_LAYOUT_CONTIGUOUS) {
		EXPECT_EQ(1, nr);
		EXPECT_EQ(self->size, segs[0].len);
	} else {
		EXPECT_EQ(ARRAY_SIZE(buf_sg_pages), nr);
		for (i = 0; i < nr && i < ARRAY_SIZE(buf_sg_pages); i++) {
			EXPECT_EQ(buf_sg_pages[i] * self->page, segs[i].len) {
				TH_LOG("segment %u", i);
			}
		}
	}
	free(segs);
}

/* SEGMENTS writes zero flags and reserved fields, and only @count entries. */
TEST_F(buffer, segments_flags_reserved_zero)
{
	struct gdmabuf_segment_desc segs[BUF_PAGES + 1];
	struct gdmabuf_segments args = {
		.count = ARRAY_SIZE(segs),
		.segments_ptr = (uintptr_t)segs,
	};
	__u32 i;

	memset(segs, 0xff, sizeof(segs));
	ASSERT_EQ(0, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS, &args));
	ASSERT_LE(1, args.count);
	ASSERT_GT(ARRAY_SIZE(segs), args.count);
	for (i = 0; i < args.count; i++) {
		EXPECT_EQ(0, segs[i].flags) {
			TH_LOG("segment %u", i);
		}
		EXPECT_EQ(0, segs[i].reserved) {
			TH_LOG("segment %u", i);
		}
	}
	EXPECT_EQ(UINT32_MAX, segs[args.count].flags);
	EXPECT_EQ(UINT32_MAX, segs[args.count].reserved);
}

/*
 * gdmabuf's own device has no IOMMU and no dma-ranges offset: the device
 * address of every segment, which root sees, is the physical address of
 * its memory, as DMA-API debugging recorded it when the memory was
 * allocated or mapped for the device.
 */
TEST_F(buffer, segments_are_physical_addresses)
{
	struct gdmabuf_segment_desc *segs;
	struct gdmabuf_info info;
	__u64 phys;
	__u32 i, nr;

	if (!has_rawio())
		SKIP(return, "needs CAP_SYS_RAWIO");
	if (access(DMA_API_DUMP, R_OK))
		SKIP(return, "no DMA-API debugging (" DMA_API_DUMP ")");
	ASSERT_EQ(0, get_info(self->fd, &info));
	ASSERT_TRUE(info.attrs & GDMABUF_ATTR_DMA_ADDR_VISIBLE);
	segs = get_segments(self->fd, &nr);
	ASSERT_NE(NULL, segs);
	for (i = 0; i < nr; i++) {
		phys = 0;
		EXPECT_EQ(0, dma_api_phys(segs[i].dma_addr, segs[i].len, &phys)) {
			TH_LOG("segment %u: no mapping of %#llx bytes at %#llx",
			       i, segs[i].len, segs[i].dma_addr);
		}
		EXPECT_EQ(segs[i].dma_addr, phys) {
			TH_LOG("segment %u", i);
		}
	}
	if (variant->layout == GDMABUF_LAYOUT_CONTIGUOUS)
		EXPECT_EQ(segs[0].dma_addr, info.dma_addr);
	free(segs);
}

/*
 * Buffers allocated, filled with ones and freed before a new one: at least
 * the first, then until one reuses a page, at most the second. Other
 * allocations on the CPU (page tables, kernel threads) may take a freed
 * page first, so a round need not reuse one.
 */
#define REUSE_ROUNDS_MIN	4
#define REUSE_ROUNDS_MAX	32

/*
 * A new buffer reads as zeros also when it reuses the memory of freed
 * ones that were filled with ones: at least some pages must be reused,
 * by their physical addresses (segments_are_physical_addresses), for
 * that to mean something. Cached contiguous memory is freed one page at a
 * time (a page may outlive its buffer, pinned for I/O), onto per-CPU
 * lists that only allocations of one page take from: there, buffers of
 * one page are allocated on one CPU.
 */
TEST_F(buffer, realloc_reused_memory_zeroed)
{
	bool one_page = variant->mem_type == GDMABUF_MEM_CACHED &&
			variant->layout == GDMABUF_LAYOUT_CONTIGUOUS;
	const size_t pages = one_page ? 1 : BUF_PAGES;
	__u64 phys[REUSE_ROUNDS_MAX][BUF_PAGES];
	unsigned int round, before, reused = 0;
	size_t i, j, size = pages * self->page;
	cpu_set_t cpus;
	int cpu;

	if (!has_rawio())
		SKIP(return, "needs CAP_SYS_RAWIO for device addresses");
	cpu = sched_getcpu();
	ASSERT_LE(0, cpu);
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	for (round = 0; round < REUSE_ROUNDS_MAX; round++) {
		struct gdmabuf_segment_desc *segs;
		__u8 *map;
		__u32 nr;
		int fd;

		fd = alloc_buffer(self->ctl, size, variant->mem_type,
				  variant->layout, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		EXPECT_EQ(-1, first_nonzero(map, size)) {
			TH_LOG("round %u", round);
		}
		segs = get_segments(fd, &nr);
		ASSERT_NE(NULL, segs);
		for (i = 0; i < pages; i++) {
			phys[round][i] = segment_addr_at(segs, nr, i * self->page);
			ASSERT_NE(0, phys[round][i]);
		}
		free(segs);
		for (i = 0; i < pages; i++) {
			for (before = 0; before < round; before++) {
				for (j = 0; j < pages; j++)
					if (phys[round][i] == phys[before][j])
						break;
				if (j < pages)
					break;
			}
			reused += before < round;
		}
		memset(map, 0xff, size);
		munmap(map, size);
		close(fd);
		if (reused && round + 1 >= REUSE_ROUNDS_MIN)
			break;
	}
	EXPECT_LT(0, reused) {
		TH_LOG("no page reused in %u rounds", round);
	}
}

/*
 * cpu_mapping is cacheable when the device is coherent, and otherwise
 * what the memory type asks for.
 */
TEST_F(buffer, info_cpu_mapping)
{
	struct gdmabuf_info info;
	__u32 expected;

	ASSERT_EQ(0, get_info(self->fd, &info));
	expected = variant->cpu_mapping;
	if (info.attrs & GDMABUF_ATTR_DEVICE_COHERENT)
		expected = GDMABUF_CPU_CACHED;
	EXPECT_EQ(expected, info.cpu_mapping) {
		TH_LOG("attrs %#x", info.attrs);
	}
}

/* INFO knows no flags yet: any flag is refused, and so is reserved. */
TEST_F(buffer, info_flags_einval)
{
	struct gdmabuf_info info = { .flags = 1 };
	struct gdmabuf_info reserved = { .reserved = 1 };

	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, GDMABUF_IOCTL_INFO, &info));
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, GDMABUF_IOCTL_INFO, &reserved));
}

/* An INFO struct that cannot be read fails with EFAULT. */
TEST_F(buffer, info_bad_pointer_efault)
{
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, GDMABUF_IOCTL_INFO, NULL));
}

/* INFO's id is the one fdinfo shows. */
TEST_F(buffer, info_id_matches_fdinfo)
{
	struct gdmabuf_info info;
	__u64 id;

	ASSERT_EQ(0, get_info(self->fd, &info));
	ASSERT_EQ(0, fdinfo_id(self->fd, &id)) {
		TH_LOG("no gdmabuf-id line in /proc/self/fdinfo/%d", self->fd);
	}
	EXPECT_EQ(info.id, id);
}

/*
 * With CAP_SYS_RAWIO the device addresses show: the buffer's own when it
 * is contiguous, and every segment's.
 */
TEST_F(buffer, dma_addr_visible_with_rawio)
{
	struct gdmabuf_segment_desc *segs;
	struct gdmabuf_info info;
	__u64 contiguous_addr;
	__u32 i, nr;

	if (!has_rawio())
		SKIP(return, "needs CAP_SYS_RAWIO");

	ASSERT_EQ(0, get_info(self->fd, &info));
	EXPECT_TRUE(info.attrs & GDMABUF_ATTR_DMA_ADDR_VISIBLE);
	segs = get_segments(self->fd, &nr);
	ASSERT_NE(NULL, segs);
	for (i = 0; i < nr; i++) {
		EXPECT_NE(0, segs[i].dma_addr) {
			TH_LOG("segment %u", i);
		}
	}
	/* A scatter-gather buffer has no address of its own. */
	contiguous_addr = segs[0].dma_addr;
	if (variant->layout != GDMABUF_LAYOUT_CONTIGUOUS)
		contiguous_addr = 0;
	EXPECT_EQ(contiguous_addr, info.dma_addr);
	free(segs);
}

/* Whether INFO and every segment of @fd show device addresses: 1, 0, or -1. */
static int dma_addr_shown(int fd)
{
	struct gdmabuf_segment_desc *segs;
	struct gdmabuf_info info;
	int shown, i;
	__u32 nr;

	if (get_info(fd, &info))
		return -1;
	segs = get_segments(fd, &nr);
	if (!segs)
		return -1;
	shown = !!(info.attrs & GDMABUF_ATTR_DMA_ADDR_VISIBLE);
	for (i = 0; i < (int)nr; i++)
		if (!!segs[i].dma_addr != shown)
			shown = -1;
	if (info.dma_addr && !shown)
		shown = -1;
	free(segs);
	return shown;
}

/*
 * The allocator's CAP_SYS_RAWIO decides, once, as file_ns_capable() would:
 * a buffer allocated without it never shows device addresses, one
 * allocated with it shows them to every holder of its fd.
 */
TEST_F(buffer, dma_addr_hidden_without_rawio)
{
	int status;
	pid_t pid;

	if (!has_rawio())
		SKIP(return, "needs CAP_SYS_RAWIO to compare");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (drop_rawio() || has_rawio())
			_exit(2);
		fd = alloc_buffer(self->ctl, self->size, variant->mem_type,
				  variant->layout, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(3);
		if (dma_addr_shown(fd) != 0)
			_exit(4);
		if (dma_addr_shown(self->fd) != 1)
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/*
	 * 2: could not drop CAP_SYS_RAWIO; 3: ALLOC failed; 4: its own
	 * buffer shows an address; 5: the inherited buffer hides them
	 */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * SEGMENTS lists every segment, as many as INFO says, each whole pages,
 * together the whole buffer.
 */
TEST_F(buffer, segments_cover_buffer)
{
	struct gdmabuf_segment_desc segs[BUF_PAGES + 1];
	struct gdmabuf_segments args = {
		.count = ARRAY_SIZE(segs),
		.segments_ptr = (uintptr_t)segs,
	};
	struct gdmabuf_info info;
	__u64 total = 0;
	__u32 i;

	ASSERT_EQ(0, get_info(self->fd, &info));
	ASSERT_EQ(0, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS, &args));
	EXPECT_EQ(info.nr_segments, args.nr_segments);
	ASSERT_EQ(args.nr_segments, args.count);
	for (i = 0; i < args.count; i++) {
		EXPECT_NE(0, segs[i].len);
		EXPECT_EQ(0, segs[i].len % self->page) {
			TH_LOG("segment %u: %llu bytes", i, segs[i].len);
		}
		total += segs[i].len;
	}
	EXPECT_EQ(self->size, total);
}

/*
 * A window of one entry from each index writes that entry and nothing
 * past it; from nr_segments it is empty.
 */
TEST_F(buffer, segments_window)
{
	struct gdmabuf_segment_desc all[BUF_PAGES], one[2];
	struct gdmabuf_segments args = {
		.count = ARRAY_SIZE(all),
		.segments_ptr = (uintptr_t)all,
	};
	__u32 first, nr;

	ASSERT_EQ(0, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS, &args));
	nr = args.nr_segments;
	ASSERT_EQ(nr, args.count);

	for (first = 0; first <= nr; first++) {
		memset(one, 0xff, sizeof(one));
		args = (struct gdmabuf_segments){
			.first = first,
			.count = 1,
			.segments_ptr = (uintptr_t)one,
		};
		ASSERT_EQ(0, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS, &args));
		EXPECT_EQ(nr, args.nr_segments);
		EXPECT_EQ(first < nr ? 1 : 0, args.count) {
			TH_LOG("first %u of %u", first, nr);
		}
		if (first < nr) {
			EXPECT_EQ(all[first].dma_addr, one[0].dma_addr);
			EXPECT_EQ(all[first].len, one[0].len);
		} else {
			EXPECT_EQ(UINT64_MAX, one[0].len);
		}
		EXPECT_EQ(UINT64_MAX, one[1].len) {
			TH_LOG("first %u: written past count", first);
		}
	}
}

/* With count 0 and no array, SEGMENTS only says how many there are. */
TEST_F(buffer, segments_count_only)
{
	struct gdmabuf_segments args = {};
	struct gdmabuf_info info;

	ASSERT_EQ(0, get_info(self->fd, &info));
	ASSERT_EQ(0, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS, &args));
	EXPECT_EQ(0, args.count);
	EXPECT_EQ(info.nr_segments, args.nr_segments);
}

/* A first index past the end of the list is refused. */
TEST_F(buffer, segments_first_past_end_einval)
{
	__u32 firsts[] = { 0, UINT32_MAX };
	struct gdmabuf_segment_desc seg;
	struct gdmabuf_info info;
	unsigned int i;

	ASSERT_EQ(0, get_info(self->fd, &info));
	firsts[0] = info.nr_segments + 1;

	for (i = 0; i < ARRAY_SIZE(firsts); i++) {
		struct gdmabuf_segments args = {
			.first = firsts[i],
			.count = 1,
			.segments_ptr = (uintptr_t)&seg,
		};

		EXPECT_EQ(EINVAL, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS,
					      &args)) {
			TH_LOG("first %u of %u", firsts[i], info.nr_segments);
		}
	}
}

/* SEGMENTS knows no flags yet: any flag is refused. */
TEST_F(buffer, segments_flags_einval)
{
	const __u32 flags[] = { 1, 1U << 31 };
	struct gdmabuf_segment_desc seg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct gdmabuf_segments args = {
			.flags = flags[i],
			.count = 1,
			.segments_ptr = (uintptr_t)&seg,
		};

		EXPECT_EQ(EINVAL, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS,
					      &args)) {
			TH_LOG("flags %#x", flags[i]);
		}
	}
	{
		struct gdmabuf_segments args = {
			.reserved = 1,
			.count = 1,
			.segments_ptr = (uintptr_t)&seg,
		};

		EXPECT_EQ(EINVAL, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS,
					      &args));
	}
}

/* An array SEGMENTS cannot write to fails with EFAULT. */
TEST_F(buffer, segments_bad_pointer_efault)
{
	struct gdmabuf_segments args = { .count = 1 };
	void *ro;

	ro = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	args.segments_ptr = (uintptr_t)ro;
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, GDMABUF_IOCTL_SEGMENTS, &args));
	munmap(ro, self->page);
}

/*
 * Reads, writes or both may start and end on any range inside the
 * buffer, on every memory type (a no-op where nothing needs syncing).
 */
TEST_F(buffer, sync_accepts_every_direction)
{
	const __u32 flags[] = {
		GDMABUF_SYNC_READ | GDMABUF_SYNC_START,
		GDMABUF_SYNC_WRITE | GDMABUF_SYNC_START,
		GDMABUF_SYNC_RW | GDMABUF_SYNC_START,
		GDMABUF_SYNC_READ | GDMABUF_SYNC_END,
		GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END,
		GDMABUF_SYNC_RW | GDMABUF_SYNC_END,
	};
	const struct {
		__u64 offset;
		__u64 len;
	} ranges[] = {
		{ 0, self->size },
		{ 1, 1 },
		{ self->page - 1, 2 },
		/* across the first scatter-gather segment's end */
		{ 16 * self->page - 1, 2 },
		{ self->size - 1, 1 },
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		for (j = 0; j < ARRAY_SIZE(ranges); j++) {
			EXPECT_EQ(0, sync_errno(self->fd, ranges[j].offset,
						ranges[j].len, flags[i])) {
				TH_LOG("flags %#x, offset %llu, len %llu",
				       flags[i], ranges[j].offset, ranges[j].len);
			}
		}
	}
}

/* Flags without READ or WRITE, or with unknown bits, are refused. */
TEST_F(buffer, sync_bad_flags_einval)
{
	const __u32 flags[] = {
		GDMABUF_SYNC_START,
		GDMABUF_SYNC_END,
		1U << 3,
		GDMABUF_SYNC_RW | 1U << 3,
		GDMABUF_SYNC_RW | GDMABUF_SYNC_END | 1U << 31,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(EINVAL, sync_errno(self->fd, 0, self->size, flags[i])) {
			TH_LOG("flags %#x", flags[i]);
		}
	}
}

/* The reserved field must be zero. */
TEST_F(buffer, sync_reserved_einval)
{
	struct gdmabuf_sync args = {
		.len = self->size,
		.flags = GDMABUF_SYNC_RW,
		.reserved = 1,
	};

	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, GDMABUF_IOCTL_SYNC, &args));
}

/* An empty range is refused, wherever it is. */
TEST_F(buffer, sync_zero_len_einval)
{
	const __u64 offsets[] = { 0, self->size - 1, self->size };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		EXPECT_EQ(EINVAL, sync_errno(self->fd, offsets[i], 0,
					     GDMABUF_SYNC_RW)) {
			TH_LOG("offset %llu", offsets[i]);
		}
	}
}

/* A range reaching past the end of the buffer is refused. */
TEST_F(buffer, sync_past_end_einval)
{
	const struct {
		__u64 offset;
		__u64 len;
	} ranges[] = {
		{ self->size, 1 },
		{ 0, self->size + 1 },
		{ self->size - 1, 2 },
		{ self->size + self->page, self->page },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		EXPECT_EQ(EINVAL, sync_errno(self->fd, ranges[i].offset,
					     ranges[i].len, GDMABUF_SYNC_RW)) {
			TH_LOG("offset %llu, len %llu",
			       ranges[i].offset, ranges[i].len);
		}
	}
}

/* A range whose end overflows 64 bits is refused, not wrapped. */
TEST_F(buffer, sync_overflow_einval)
{
	const struct {
		__u64 offset;
		__u64 len;
	} ranges[] = {
		{ UINT64_MAX, 1 },
		{ UINT64_MAX, 2 },
		{ 1, UINT64_MAX },
		/* offset + len is 2^64: 0 once wrapped */
		{ self->page, -(__u64)self->page },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		EXPECT_EQ(EINVAL, sync_errno(self->fd, ranges[i].offset,
					     ranges[i].len, GDMABUF_SYNC_RW)) {
			TH_LOG("offset %#llx, len %#llx",
			       ranges[i].offset, ranges[i].len);
		}
	}
}

/* INFO's struct is extensible, as the uapi header describes. */
TEST_F(buffer, info_struct_size)
{
	struct {
		struct gdmabuf_info info;
		__u64 future;
	} big = {};

	check_struct_size(_metadata, self->fd, GDMABUF_IOCTL_INFO, &big,
			  GDMABUF_INFO_SIZE_VER0, sizeof(big.info), &big.future);
}

/* SEGMENTS' struct is extensible, as the uapi header describes. */
TEST_F(buffer, segments_struct_size)
{
	struct {
		struct gdmabuf_segments segments;
		__u64 future;
	} big = {};

	check_struct_size(_metadata, self->fd, GDMABUF_IOCTL_SEGMENTS, &big,
			  sizeof(big.segments), sizeof(big.segments), &big.future);
}

/* SYNC's struct is extensible, as the uapi header describes. */
TEST_F(buffer, sync_struct_size)
{
	struct {
		struct gdmabuf_sync sync;
		__u64 future;
	} big = {
		.sync = { .len = 1, .flags = GDMABUF_SYNC_RW },
	};

	check_struct_size(_metadata, self->fd, GDMABUF_IOCTL_SYNC, &big,
			  sizeof(big.sync), sizeof(big.sync), &big.future);
}

/* ALLOC is the control device's: a buffer fd answers ENOTTY. */
TEST_F(buffer, alloc_enotty)
{
	struct gdmabuf_alloc args = alloc_args(self->page);

	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, GDMABUF_IOCTL_ALLOC, &args));
}

/* Commands a buffer fd does not know fail with ENOTTY. */
TEST_F(buffer, unknown_ioctl_enotty)
{
	const unsigned long cmds[] = {
		_IO(GDMABUF_IOCTL_MAGIC, 0x1f),
		_IOWR(GDMABUF_IOCTL_MAGIC, 0x05, struct gdmabuf_sync),
		_IOR(GDMABUF_IOCTL_MAGIC, 0xff, __u32),
		_IOWR('H', 0x0, __u64),	/* the DMA-BUF heap magic */
		0,
	};
	__u64 arg[16] = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, cmds[i], arg)) {
			TH_LOG("cmd %#lx", cmds[i]);
		}
	}
}

/* Known commands with the wrong direction bits fail with ENOTTY. */
TEST_F(buffer, wrong_direction_enotty)
{
	const unsigned long cmds[] = {
		_IO(GDMABUF_IOCTL_MAGIC, _IOC_NR(GDMABUF_IOCTL_INFO)),
		_IOR(GDMABUF_IOCTL_MAGIC, _IOC_NR(GDMABUF_IOCTL_INFO),
		     struct gdmabuf_info),
		_IOW(GDMABUF_IOCTL_MAGIC, _IOC_NR(GDMABUF_IOCTL_SEGMENTS),
		     struct gdmabuf_segments),
		_IOWR(GDMABUF_IOCTL_MAGIC, _IOC_NR(GDMABUF_IOCTL_SYNC),
		      struct gdmabuf_sync),
	};
	__u64 arg[16] = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, cmds[i], arg)) {
			TH_LOG("cmd %#lx", cmds[i]);
		}
	}
}

/* A new buffer reads as zeros. */
TEST_F(buffer, mmap_new_buffer_zeroed)
{
	void *map;

	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, first_nonzero(map, self->size));
	munmap(map, self->size);
}

/*
 * What is written through one mapping, with a sync around it, reads back
 * through another, with a sync around that.
 */
TEST_F(buffer, mmap_write_read_back)
{
	void *map;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, sync_errno(self->fd, 0, self->size,
				GDMABUF_SYNC_WRITE | GDMABUF_SYNC_START));
	fill_pattern(map, 0, self->size, PATTERN_SEED);
	ASSERT_EQ(0, sync_errno(self->fd, 0, self->size,
				GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END));
	ASSERT_EQ(0, munmap(map, self->size));

	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, sync_errno(self->fd, 0, self->size,
				GDMABUF_SYNC_READ | GDMABUF_SYNC_START));
	EXPECT_EQ(-1, pattern_mismatch(map, 0, self->size, PATTERN_SEED));
	ASSERT_EQ(0, sync_errno(self->fd, 0, self->size,
				GDMABUF_SYNC_READ | GDMABUF_SYNC_END));
	munmap(map, self->size);
}

/* A mapping at a page offset shows the buffer from that offset on. */
TEST_F(buffer, mmap_at_offset)
{
	const size_t tail = 3 * self->page;
	void *whole, *part;
	size_t offset;

	whole = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->fd, 0);
	ASSERT_NE(MAP_FAILED, whole);
	fill_pattern(whole, 0, self->size, PATTERN_SEED);

	for (offset = 0; offset < self->size; offset += self->page) {
		part = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd,
			    offset);
		ASSERT_NE(MAP_FAILED, part);
		EXPECT_EQ(-1, pattern_mismatch(part, offset, self->page,
					       PATTERN_SEED)) {
			TH_LOG("page at offset %zu", offset);
		}
		munmap(part, self->page);
	}

	part = mmap(NULL, tail, PROT_READ, MAP_SHARED, self->fd,
		    self->size - tail);
	ASSERT_NE(MAP_FAILED, part);
	EXPECT_EQ(-1, pattern_mismatch(part, self->size - tail, tail,
				       PATTERN_SEED));
	munmap(part, tail);
	munmap(whole, self->size);
}

/* MAP_PRIVATE is refused: a private copy would stop sharing. */
TEST_F(buffer, mmap_private_einval)
{
	EXPECT_EQ(EINVAL, mmap_errno(self->fd, self->size, PROT_READ,
				     MAP_PRIVATE, 0));
	EXPECT_EQ(EINVAL, mmap_errno(self->fd, self->size,
				     PROT_READ | PROT_WRITE, MAP_PRIVATE, 0));
}

/* A mapping reaching past the end of the buffer is refused. */
TEST_F(buffer, mmap_out_of_range_einval)
{
	const struct {
		off_t offset;
		size_t len;
	} cases[] = {
		{ self->size, self->page },
		{ 0, self->size + self->page },
		{ self->size - self->page, 2 * self->page },
		{ (off_t)1 << 40, self->page },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(EINVAL, mmap_errno(self->fd, cases[i].len, PROT_READ,
					     MAP_SHARED, cases[i].offset)) {
			TH_LOG("offset %jd, len %zu",
			       (intmax_t)cases[i].offset, cases[i].len);
		}
	}
}

/*
 * A read-only buffer fd maps for reading, not for writing, and its
 * mapping cannot be made writable later.
 */
TEST_F(buffer, mmap_rdonly_fd_refuses_write)
{
	__u8 *map;
	int fd;

	fd = alloc_buffer(self->ctl, self->page, variant->mem_type,
			  variant->layout, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, mmap_errno(fd, self->page, PROT_READ | PROT_WRITE,
				     MAP_SHARED, 0));

	map = mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, map[0]);
	EXPECT_EQ(-1, mprotect(map, self->page, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(map, self->page);
	close(fd);
}

/* A mapping cannot grow, even inside the buffer: mremap() fails. */
TEST_F(buffer, mremap_grow_efault)
{
	const size_t lens[] = { self->size - self->page, self->size };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		void *map, *grown;

		map = mmap(NULL, lens[i], PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		grown = mremap(map, lens[i], lens[i] + self->page,
			       MREMAP_MAYMOVE);
		EXPECT_EQ(MAP_FAILED, grown) {
			TH_LOG("%zu bytes grew by a page", lens[i]);
		}
		EXPECT_EQ(EFAULT, errno);
		if (grown == MAP_FAILED)
			munmap(map, lens[i]);
		else
			munmap(grown, lens[i] + self->page);
	}
}

/* A forked child shares the mapping: each sees the other's writes. */
TEST_F(buffer, fork_shares_mapping)
{
	__u8 *map;
	int status;
	pid_t pid;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 0x5a;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (map[0] != 0x5a)
			_exit(2);
		map[self->size - 1] = 0xa5;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 2: the child did not see the parent's write */
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0xa5, map[self->size - 1]);
	munmap(map, self->size);
}

/* A mapping keeps working after the buffer's last fd is closed. */
TEST_F(buffer, mapping_outlives_fd)
{
	void *map;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	/* Nothing was faulted in before the close. */
	fill_pattern(map, 0, self->size, PATTERN_SEED);
	EXPECT_EQ(-1, pattern_mismatch(map, 0, self->size, PATTERN_SEED));
	munmap(map, self->size);
}

/* Unmapping a page in the middle leaves the pages around it working. */
TEST_F(buffer, partial_munmap_keeps_rest)
{
	const size_t hole = 5 * self->page;
	const size_t after = hole + self->page;
	__u8 *map;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, 0, self->size, PATTERN_SEED);
	ASSERT_EQ(0, munmap(map + hole, self->page));

	EXPECT_EQ(-1, pattern_mismatch(map, 0, hole, PATTERN_SEED));
	EXPECT_EQ(-1, pattern_mismatch(map + after, after, self->size - after,
				       PATTERN_SEED));
	fill_pattern(map, 0, hole, ~PATTERN_SEED);
	fill_pattern(map + after, after, self->size - after, ~PATTERN_SEED);
	EXPECT_EQ(-1, pattern_mismatch(map, 0, hole, ~PATTERN_SEED));
	EXPECT_EQ(-1, pattern_mismatch(map + after, after, self->size - after,
				       ~PATTERN_SEED));
	munmap(map, hole);
	munmap(map + after, self->size - after);
}

/*
 * pread() or pwrite() of @len bytes at @addr through /proc/self/mem, as a
 * debugger reads and writes a process's memory: the bytes done, or -1.
 */
static ssize_t proc_mem_rw(void *addr, void *buf, size_t len, bool write)
{
	int mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (mem < 0)
		return -1;
	if (write)
		n = pwrite(mem, buf, len, (uintptr_t)addr);
	else
		n = pread(mem, buf, len, (uintptr_t)addr);
	close(mem);
	return n;
}

/*
 * /proc/self/mem reads the buffer's data through a mapping and writes it,
 * across a page boundary: the mapping sees the write, and only it.
 */
TEST_F(buffer, proc_mem_reads_writes_mapping)
{
	const size_t at = self->page - MEM_SPAN / 2, after = at + MEM_SPAN;
	__u32 bytes[MEM_SPAN / sizeof(__u32)];
	__u8 *map;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, 0, self->size, PATTERN_SEED);

	ASSERT_EQ(MEM_SPAN, proc_mem_rw(map + at, bytes, MEM_SPAN, false)) {
		TH_LOG("pread of /proc/self/mem: %s", strerror(errno));
	}
	EXPECT_EQ(-1, pattern_mismatch(bytes, at, MEM_SPAN, PATTERN_SEED));
	fill_pattern(bytes, at, MEM_SPAN, ~PATTERN_SEED);
	ASSERT_EQ(MEM_SPAN, proc_mem_rw(map + at, bytes, MEM_SPAN, true)) {
		TH_LOG("pwrite of /proc/self/mem: %s", strerror(errno));
	}
	EXPECT_EQ(-1, pattern_mismatch(map + at, at, MEM_SPAN, ~PATTERN_SEED));
	EXPECT_EQ(-1, pattern_mismatch(map, 0, at, PATTERN_SEED));
	EXPECT_EQ(-1, pattern_mismatch(map + after, after, self->size - after,
				       PATTERN_SEED));
	munmap(map, self->size);
}

/*
 * /proc/self/mem reads the read-only mapping of a buffer fd opened
 * O_RDONLY, but cannot write it: the buffer stays as it was.
 */
TEST_F(buffer, proc_mem_write_rdonly_refused)
{
	const size_t at = self->page - MEM_SPAN / 2;
	__u32 bytes[MEM_SPAN / sizeof(__u32)];
	__u8 *map;
	int fd;

	fd = alloc_buffer(self->ctl, self->size, variant->mem_type,
			  variant->layout, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* Fault it all in, as a debugged process would have. */
	EXPECT_EQ(-1, first_nonzero(map, self->size));

	ASSERT_EQ(MEM_SPAN, proc_mem_rw(map + at, bytes, MEM_SPAN, false)) {
		TH_LOG("pread of /proc/self/mem: %s", strerror(errno));
	}
	EXPECT_EQ(-1, first_nonzero(bytes, MEM_SPAN));
	fill_pattern(bytes, at, MEM_SPAN, PATTERN_SEED);
	EXPECT_EQ(-1, proc_mem_rw(map + at, bytes, MEM_SPAN, true));
	EXPECT_EQ(-1, first_nonzero(map, self->size));
	munmap(map, self->size);
	close(fd);
}

/* msync(), synchronous or not, succeeds on a mapping and keeps its data. */
TEST_F(buffer, msync_succeeds)
{
	const int flags[] = { MS_SYNC, MS_ASYNC };
	unsigned int i;
	void *map;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, 0, self->size, PATTERN_SEED);
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(0, msync(map, self->size, flags[i])) {
			TH_LOG("flags %#x: %s", flags[i], strerror(errno));
		}
	}
	EXPECT_EQ(-1, pattern_mismatch(map, 0, self->size, PATTERN_SEED));
	munmap(map, self->size);
}

/* debugfs lists the buffer: a line starts with its id. */
TEST_F(buffer, debugfs_lists_buffer)
{
	struct gdmabuf_info info;

	if (!debugfs_mounted())
		SKIP(return, "debugfs not mounted at " DEBUGFS_ROOT);

	ASSERT_EQ(0, get_info(self->fd, &info));
	EXPECT_EQ(1, debugfs_lists(info.id)) {
		TH_LOG("id %llu in " GDMABUF_DEBUGFS_BUFFERS, info.id);
	}
}

/* Once its last fd is closed, the buffer leaves the debugfs list. */
TEST_F(buffer, debugfs_drops_closed_buffer)
{
	struct gdmabuf_info info;

	if (!debugfs_mounted())
		SKIP(return, "debugfs not mounted at " DEBUGFS_ROOT);

	ASSERT_EQ(0, get_info(self->fd, &info));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, debugfs_lists(info.id)) {
		TH_LOG("id %llu in " GDMABUF_DEBUGFS_BUFFERS, info.id);
	}
}

/* A 64 MiB cached buffer, which x86-64 maps with 2 MiB PMDs if it can. */
FIXTURE(huge) {
	int ctl;
	int fd;
};

FIXTURE_VARIANT(huge) {
	__u32 layout;
};

FIXTURE_VARIANT_ADD(huge, cached_contiguous) {
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
};

FIXTURE_VARIANT_ADD(huge, cached_scatter_gather) {
	.layout = GDMABUF_LAYOUT_SCATTER_GATHER,
};

/* Why huge mappings cannot be tested here, or NULL. */
static const char *huge_unsupported(void)
{
	if (page_size() != HUGE_PAGE_4K)
		return "the fault count assumes 4 KiB pages, 2 MiB PMDs";
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK))
		return "no THP: the kernel maps PFNs with 4 KiB pages only";
	if (!has_rawio())
		return "the fault count needs the physical addresses: CAP_SYS_RAWIO";
	return NULL;
}

FIXTURE_SETUP(huge)
{
	const char *unsupported = huge_unsupported();

	self->ctl = -1;
	self->fd = -1;
	if (unsupported)
		SKIP(return, "%s", unsupported);

	self->ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->ctl < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->ctl);

	self->fd = alloc_buffer(self->ctl, HUGE_BUF_SIZE, GDMABUF_MEM_CACHED,
				variant->layout, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOMEM &&
	    variant->layout == GDMABUF_LAYOUT_CONTIGUOUS)
		SKIP(return, "no 64 MiB of contiguous memory (no CMA?)");
	if (self->fd < 0 && errno == ENOMEM)
		SKIP(return, "not enough free memory for 64 MiB");
	if (self->fd < 0 && errno == E2BIG)
		SKIP(return, "64 MiB is above max_buffer_size");
	ASSERT_LE(0, self->fd) {
		TH_LOG("ALLOC: %s", strerror(errno));
	}
}

FIXTURE_TEARDOWN(huge)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->ctl >= 0)
		close(self->ctl);
}

static uintptr_t align_up(uintptr_t addr, size_t align)
{
	return (addr + align - 1) & ~(uintptr_t)(align - 1);
}

/* Bytes of @segs in segments that are exactly one 2 MiB block. */
static __u64 pmd_segment_bytes(const struct gdmabuf_segment_desc *segs,
			       __u32 nr)
{
	__u64 bytes = 0;
	__u32 i;

	for (i = 0; i < nr; i++)
		if (segs[i].len == HUGE_PMD_SIZE)
			bytes += segs[i].len;
	return bytes;
}

/*
 * Page table entries that touching every page of @map, a mapping of all
 * of a buffer with segments @segs, must leave: for scatter-gather memory,
 * one 2 MiB entry for each 2 MiB block of the mapping inside one segment
 * whose device address, which is the physical address here (see
 * segments_are_physical_addresses), is congruent to the block's address;
 * one 4 KiB entry for every other page. 6.12 maps contiguous memory,
 * which is not made of 2 MiB folios, with 4 KiB entries only.
 */
static unsigned long huge_entries(const struct gdmabuf_segment_desc *segs,
				  __u32 nr, const void *map, __u32 layout)
{
	unsigned long entries = 0;
	uintptr_t va = (uintptr_t)map;
	__u32 i;

	if (layout == GDMABUF_LAYOUT_CONTIGUOUS)
		return segs[0].len / HUGE_PAGE_4K;
	for (i = 0; i < nr; va += segs[i].len, i++) {
		uintptr_t end = va + segs[i].len;
		uintptr_t first = align_up(va, HUGE_PMD_SIZE);
		uintptr_t last = end & ~(HUGE_PMD_SIZE - 1);

		if ((va - segs[i].dma_addr) % HUGE_PMD_SIZE || first >= last) {
			entries += segs[i].len / HUGE_PAGE_4K;
			continue;
		}
		entries += (last - first) / HUGE_PMD_SIZE +
			   (first - va + end - last) / HUGE_PAGE_4K;
	}
	return entries;
}

/*
 * The segments of the huge buffer @fd mapped at @map, and the entries
 * touching all of it must map. A scatter-gather buffer, allocated in a
 * fresh guest, is mostly 2 MiB blocks.
 */
static unsigned long check_huge_layout(struct __test_metadata *_metadata,
				       int fd, const void *map, size_t size,
				       __u32 layout)
{
	struct gdmabuf_segment_desc *segs;
	unsigned long entries;
	struct gdmabuf_info info;
	__u64 pmd_bytes;
	__u32 nr;

	EXPECT_EQ(0, get_info(fd, &info));
	EXPECT_TRUE(info.attrs & GDMABUF_ATTR_DMA_ADDR_VISIBLE);
	segs = get_segments(fd, &nr);
	EXPECT_NE(NULL, segs);
	if (!segs)
		return 0;
	if (layout == GDMABUF_LAYOUT_SCATTER_GATHER) {
		pmd_bytes = pmd_segment_bytes(segs, nr);
		EXPECT_LE(size / 100 * HUGE_SG_PMD_PERCENT, pmd_bytes) {
			TH_LOG("%llu of %zu bytes in 2 MiB segments, %u segments",
			       pmd_bytes, size, nr);
		}
	}
	entries = huge_entries(segs, nr, map, layout);
	free(segs);
	return entries;
}

/* Minor faults of reading (or writing) one byte of every 4 KiB page. */
static long touch_faults(__u8 *map, size_t len, bool write)
{
	struct rusage before, after;
	unsigned int sum = 0;
	size_t off;

	if (getrusage(RUSAGE_SELF, &before))
		return -1;
	for (off = 0; off < len; off += HUGE_PAGE_4K) {
		if (write)
			map[off] = 1;
		else
			sum += map[off];
	}
	/* the reads must happen: their sum is used */
	asm volatile("" : : "r" (sum));
	if (getrusage(RUSAGE_SELF, &after))
		return -1;
	return after.ru_minflt - before.ru_minflt;
}

/*
 * Reading every page takes one fault per entry it maps: about one per
 * 2 MiB where the buffer is mapped with PMDs. Writing it then takes none
 * where the read fault mapped the entry writable and the CPU sets dirty
 * bits, and one per entry where the CPU does not, or where writes are
 * tracked (CMA memory, so that GUP refuses long-term pins of it).
 */
TEST_F(huge, touch_faults_once_per_entry)
{
	long read_faults, write_faults;
	unsigned long entries;
	__u8 *map;

	map = mmap(NULL, HUGE_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	entries = check_huge_layout(_metadata, self->fd, map, HUGE_BUF_SIZE,
				    variant->layout);
	ASSERT_LT(0, entries);

	read_faults = touch_faults(map, HUGE_BUF_SIZE, false);
	ASSERT_LE(0, read_faults);
	EXPECT_LE(entries, read_faults);
	EXPECT_GE(entries + HUGE_FAULT_SLACK, read_faults) {
		TH_LOG("%ld read faults for %lu entries, mapped at %p",
		       read_faults, entries, map);
	}
	write_faults = touch_faults(map, HUGE_BUF_SIZE, true);
	ASSERT_LE(0, write_faults);
	if (variant->layout == GDMABUF_LAYOUT_CONTIGUOUS &&
	    HUGE_BUF_SIZE > HUGE_CMA_ABOVE) {
		/* the read fault mapped each page read-only */
		EXPECT_EQ(entries, write_faults);
		goto out;
	}
#if defined(__x86_64__)
	/*
	 * The mapping wants no write notification: the read fault maps the
	 * entry writable, and the CPU sets its dirty bit.
	 */
	EXPECT_EQ(0, write_faults) {
		TH_LOG("%ld write faults after reading %lu entries",
		       write_faults, entries);
	}
#elif defined(__aarch64__)
	/*
	 * The read fault maps it writable but clean (PTE_DBM, PTE_RDONLY):
	 * with hardware dirty bit management (ARM64_HW_AFDBM on a v8.1 CPU)
	 * the write just dirties it, without (as in the test guests) each
	 * entry takes one fault that marks it dirty.
	 */
	EXPECT_TRUE(write_faults == 0 || write_faults == (long)entries) {
		TH_LOG("%ld write faults after reading %lu entries",
		       write_faults, entries);
	}
#else
	/* At most one fault per entry, to mark a clean entry dirty. */
	EXPECT_GE(entries, write_faults) {
		TH_LOG("%ld write faults after reading %lu entries",
		       write_faults, entries);
	}
#endif
out:
	munmap(map, HUGE_BUF_SIZE);
}

/*
 * Unmapping a page inside a huge mapping splits it: the rest of the 2 MiB
 * block and the buffer keep their data and stay writable.
 */
TEST_F(huge, partial_munmap_keeps_rest)
{
	const size_t hole = HUGE_PMD_SIZE + 5 * HUGE_PAGE_4K;
	const size_t after = hole + HUGE_PAGE_4K;
	__u8 *map;

	map = mmap(NULL, HUGE_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, 0, HUGE_BUF_SIZE, PATTERN_SEED);
	ASSERT_EQ(0, munmap(map + hole, HUGE_PAGE_4K));

	EXPECT_EQ(-1, pattern_mismatch(map, 0, hole, PATTERN_SEED));
	EXPECT_EQ(-1, pattern_mismatch(map + after, after,
				       HUGE_BUF_SIZE - after, PATTERN_SEED));
	fill_pattern(map + after, after, HUGE_PMD_SIZE, ~PATTERN_SEED);
	EXPECT_EQ(-1, pattern_mismatch(map + after, after, HUGE_PMD_SIZE,
				       ~PATTERN_SEED));
	munmap(map, hole);
	munmap(map + after, HUGE_BUF_SIZE - after);
}

/* @len bytes of the buffer, and of a mapping of all of it, from @off. */
struct span {
	size_t off;
	size_t len;
};

/*
 * Fill (@fill) or check the pattern of @seed on the @size bytes of @map, a
 * mapping of the whole buffer, outside @holes, which are in order; the
 * offset of the first word off the pattern, or -1.
 */
static ssize_t pattern_outside(__u8 *map, size_t size, const struct span *holes,
			       unsigned int nr, __u32 seed, bool fill)
{
	size_t start = 0, end;
	unsigned int i;
	ssize_t bad;

	for (i = 0; i <= nr; i++) {
		end = i < nr ? holes[i].off : size;
		if (fill) {
			fill_pattern(map + start, start, end - start, seed);
		} else {
			bad = pattern_mismatch(map + start, start, end - start, seed);
			if (bad >= 0)
				return start + bad;
		}
		if (i < nr)
			start = holes[i].off + holes[i].len;
	}
	return -1;
}

/*
 * @map, a mapping of the whole buffer, shows the pattern outside @holes,
 * and the second pattern written there reads back: the rest is whole and
 * writable.
 */
static void check_rest(struct __test_metadata *_metadata, __u8 *map,
		       size_t size, const struct span *holes, unsigned int nr)
{
	EXPECT_EQ(-1, pattern_outside(map, size, holes, nr, PATTERN_SEED, false));
	pattern_outside(map, size, holes, nr, ~PATTERN_SEED, true);
	EXPECT_EQ(-1, pattern_outside(map, size, holes, nr, ~PATTERN_SEED, false));
}

/* mincore() of up to 2 MiB at @addr: 0, or the errno (ENOMEM: unmapped). */
static int mincore_errno(void *addr, size_t len)
{
	unsigned char vec[HUGE_PMD_SIZE / HUGE_PAGE_4K];

	if (len > HUGE_PMD_SIZE)
		return E2BIG;
	return mincore(addr, len, vec) ? errno : 0;
}

/* Whether a write to @addr kills a forked child with SIGSEGV. */
static bool write_segv(__u8 *addr)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		/* no core dump of the mapping */
		prctl(PR_SET_DUMPABLE, 0);
		*addr = 0;
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

/* Whether /proc/self/smaps lists @flag in VmFlags for the VMA at @addr. */
static bool vma_has_flag(const void *addr, const char *flag)
{
	bool inside = false, found = false;
	unsigned long start, end;
	char line[512], *tok;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			inside = start <= (uintptr_t)addr && (uintptr_t)addr < end;
		} else if (inside && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = '\0';
			for (tok = strtok(line + 8, " "); tok; tok = strtok(NULL, " "))
				found |= !strcmp(tok, flag);
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * In a forked child, each of @spans of @map is unmapped (@gone) or shows
 * the pattern, and the rest shows it; the child then writes the second
 * pattern on the page after each span. Exit codes say which step failed.
 */
static int fork_child(__u8 *map, size_t size, const struct span *spans,
		      unsigned int nr, bool gone)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (mincore_errno(map + spans[i].off, spans[i].len) !=
		    (gone ? ENOMEM : 0))
			return 2;
	if (pattern_outside(map, size, spans, gone ? nr : 0, PATTERN_SEED,
			    false) != -1)
		return 3;
	for (i = 0; i < nr; i++) {
		const size_t after = spans[i].off + spans[i].len;

		fill_pattern(map + after, after, HUGE_PAGE_4K, ~PATTERN_SEED);
	}
	return 0;
}

/*
 * fork(): the child finds @spans of @map gone (@gone) or there, and the
 * rest with the pattern; the parent, which keeps every span, sees what
 * the child wrote, and the whole mapping stays writable.
 */
static void check_fork(struct __test_metadata *_metadata, __u8 *map,
		       size_t size, const struct span *spans, unsigned int nr,
		       bool gone)
{
	unsigned int i;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(fork_child(map, size, spans, nr, gone));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("child killed by signal %d", WTERMSIG(status));
	}
	/* 2: a span is mapped, or not, as it should not be; 3: pattern off */
	EXPECT_EQ(0, WEXITSTATUS(status));
	for (i = 0; i < nr; i++) {
		const size_t after = spans[i].off + spans[i].len;

		EXPECT_EQ(-1, pattern_mismatch(map + after, after, HUGE_PAGE_4K,
					       ~PATTERN_SEED));
		fill_pattern(map + after, after, HUGE_PAGE_4K, PATTERN_SEED);
	}
	check_rest(_metadata, map, size, NULL, 0);
}

/*
 * A cached buffer mapped whole, with 2 MiB PMDs where the layout allows:
 * filled with the pattern, so every block is mapped, before each test
 * changes part of the mapping.
 */
FIXTURE(huge_ops) {
	int ctl;
	int fd;
	size_t size;
	__u8 *map;
	/*
	 * A 2 MiB aligned offset, and the sub-ranges the tests work on:
	 * 4 KiB there and 2 MiB from an unaligned offset, across a PMD
	 * boundary.
	 */
	size_t aligned;
	size_t unaligned;
	struct span spans[2];
};

FIXTURE_VARIANT(huge_ops) {
	size_t size;
	__u32 layout;
	const char *name;
	/* why to skip when there is no memory for the buffer */
	const char *enomem;
};

FIXTURE_VARIANT_ADD(huge_ops, cached_contiguous_64m) {
	.size = HUGE_BUF_SIZE,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.name = "64 MiB",
	.enomem = "no 64 MiB of contiguous memory (no CMA?)",
};

FIXTURE_VARIANT_ADD(huge_ops, cached_scatter_gather_64m) {
	.size = HUGE_BUF_SIZE,
	.layout = GDMABUF_LAYOUT_SCATTER_GATHER,
	.name = "64 MiB",
	.enomem = "not enough free memory for 64 MiB",
};

FIXTURE_SETUP(huge_ops)
{
	const char *unsupported = huge_unsupported();
	uintptr_t start, block;

	self->ctl = -1;
	self->fd = -1;
	self->map = MAP_FAILED;
	if (unsupported)
		SKIP(return, "%s", unsupported);
	self->ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->ctl < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->ctl);

	self->size = variant->size;
	self->fd = alloc_buffer(self->ctl, self->size, GDMABUF_MEM_CACHED,
				variant->layout, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOMEM)
		SKIP(return, "%s", variant->enomem);
	if (self->fd < 0 && errno == E2BIG)
		SKIP(return, "%s is above max_buffer_size", variant->name);
	ASSERT_LE(0, self->fd) {
		TH_LOG("ALLOC of %s: %s", variant->name, strerror(errno));
	}
	self->map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	fill_pattern(self->map, 0, self->size, PATTERN_SEED);

	start = (uintptr_t)self->map;
	block = align_up(start, HUGE_PMD_SIZE);
	self->aligned = block - start + HUGE_PMD_SIZE;
	self->unaligned = self->aligned + 4 * HUGE_PMD_SIZE + 5 * HUGE_PAGE_4K;
	self->spans[0] = (struct span){ self->aligned, HUGE_PAGE_4K };
	self->spans[1] = (struct span){ self->unaligned, HUGE_PMD_SIZE };
}

FIXTURE_TEARDOWN(huge_ops)
{
	/* whatever the test left of the mapping */
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	if (self->fd >= 0)
		close(self->fd);
	if (self->ctl >= 0)
		close(self->ctl);
}

/*
 * Reading every page of a new mapping takes about one fault per 2 MiB
 * where the buffer is mapped with PMDs, one per page elsewhere.
 */
TEST_F_TIMEOUT(huge_ops, read_faults_once_per_entry, HUGE_OPS_TIMEOUT)
{
	unsigned long entries;
	long faults;
	__u8 *map;

	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	entries = check_huge_layout(_metadata, self->fd, map, self->size,
				    variant->layout);
	ASSERT_LT(0, entries);

	faults = touch_faults(map, self->size, false);
	ASSERT_LE(0, faults);
	EXPECT_LE(entries, faults);
	EXPECT_GE(entries + HUGE_OPS_FAULT_SLACK, faults) {
		TH_LOG("%ld read faults for %lu entries, mapped at %p",
		       faults, entries, map);
	}
	munmap(map, self->size);
}

/*
 * munmap() of 4 KiB at a 2 MiB aligned address and at an unaligned one:
 * the pages are gone, the rest keeps its data and stays writable.
 */
TEST_F_TIMEOUT(huge_ops, munmap_4k_keeps_rest, HUGE_OPS_TIMEOUT)
{
	const struct span holes[] = {
		{ self->aligned, HUGE_PAGE_4K },
		{ self->unaligned, HUGE_PAGE_4K },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		__u8 *hole = self->map + holes[i].off;

		ASSERT_EQ(0, munmap(hole, holes[i].len));
		EXPECT_EQ(ENOMEM, mincore_errno(hole, holes[i].len));
	}
	check_rest(_metadata, self->map, self->size, holes, ARRAY_SIZE(holes));
}

/*
 * mprotect(PROT_READ) of sub-ranges: they keep the data and refuse writes
 * while the rest takes them; made writable again, they take writes too.
 */
TEST_F_TIMEOUT(huge_ops, mprotect_read_only_sub_range, HUGE_OPS_TIMEOUT)
{
	const unsigned int nr = ARRAY_SIZE(self->spans);
	const struct span *spans = self->spans;
	unsigned int i;

	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, mprotect(self->map + spans[i].off, spans[i].len,
				      PROT_READ));
	check_rest(_metadata, self->map, self->size, spans, nr);
	for (i = 0; i < nr; i++) {
		__u8 *at = self->map + spans[i].off;

		EXPECT_EQ(-1, pattern_mismatch(at, spans[i].off, spans[i].len,
					       PATTERN_SEED));
		EXPECT_TRUE(write_segv(at + spans[i].len - 1));
		ASSERT_EQ(0, mprotect(at, spans[i].len, PROT_READ | PROT_WRITE));
		fill_pattern(at, spans[i].off, spans[i].len, ~PATTERN_SEED);
		EXPECT_EQ(-1, pattern_mismatch(at, spans[i].off, spans[i].len,
					       ~PATTERN_SEED));
	}
}

/*
 * madvise(MADV_DONTNEED) of sub-ranges loses no data: they refault from
 * the buffer. 6.12 refuses it with EINVAL on VM_PFNMAP mappings.
 */
TEST_F_TIMEOUT(huge_ops, madv_dontneed_keeps_data, HUGE_OPS_TIMEOUT)
{
	const int expected = vma_has_flag(self->map, "pf") ? EINVAL : 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->spans); i++) {
		EXPECT_EQ(expected, madvise(self->map + self->spans[i].off,
					    self->spans[i].len, MADV_DONTNEED) ?
				    errno : 0);
	}
	check_rest(_metadata, self->map, self->size, NULL, 0);
}

/*
 * After madvise(MADV_DONTFORK) of sub-ranges, a forked child has the
 * rest of the mapping, with its data, but not them; the parent sees what
 * the child writes.
 */
TEST_F_TIMEOUT(huge_ops, madv_dontfork_sub_range, HUGE_OPS_TIMEOUT)
{
	const unsigned int nr = ARRAY_SIZE(self->spans);
	unsigned int i;

	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, madvise(self->map + self->spans[i].off,
				     self->spans[i].len, MADV_DONTFORK));
	check_fork(_metadata, self->map, self->size, self->spans, nr, true);
}

/*
 * madvise(MADV_DOFORK) undoes MADV_DONTFORK: a forked child has the whole
 * mapping again. 6.12 refuses it with EINVAL on VM_IO mappings, which
 * then stay out of the child.
 */
TEST_F_TIMEOUT(huge_ops, madv_dofork_undoes_dontfork, HUGE_OPS_TIMEOUT)
{
	const bool io = vma_has_flag(self->map, "io");
	const unsigned int nr = ARRAY_SIZE(self->spans);
	unsigned int i;

	for (i = 0; i < nr; i++) {
		__u8 *at = self->map + self->spans[i].off;

		ASSERT_EQ(0, madvise(at, self->spans[i].len, MADV_DONTFORK));
		EXPECT_EQ(io ? EINVAL : 0,
			  madvise(at, self->spans[i].len, MADV_DOFORK) ? errno : 0);
	}
	check_fork(_metadata, self->map, self->size, self->spans, nr, io);
}

/*
 * A forked child shares the whole huge mapping: it reads both sides of
 * the sub-ranges and them, and the parent sees what it writes.
 */
TEST_F_TIMEOUT(huge_ops, fork_shares_whole_mapping, HUGE_OPS_TIMEOUT)
{
	check_fork(_metadata, self->map, self->size, self->spans,
		   ARRAY_SIZE(self->spans), false);
}

/*
 * mremap() moves sub-ranges, same length, to new addresses at and off
 * 2 MiB alignment: 4 KiB at an aligned address, a whole PMD, and pages at
 * an unaligned one. The new addresses show the buffer's data and take
 * writes, the old ones are unmapped, the rest is untouched.
 */
TEST_F_TIMEOUT(huge_ops, mremap_moves_sub_range, HUGE_OPS_TIMEOUT)
{
	const size_t room = 8 * HUGE_PMD_SIZE;
	const struct span moves[] = {
		{ self->aligned, HUGE_PAGE_4K },
		{ self->aligned + 2 * HUGE_PMD_SIZE, HUGE_PMD_SIZE },
		{ self->unaligned, 3 * HUGE_PAGE_4K },
	};
	/* where each goes, from a 2 MiB aligned address */
	const size_t to[] = {
		5 * HUGE_PAGE_4K, 2 * HUGE_PMD_SIZE, 4 * HUGE_PMD_SIZE,
	};
	__u8 *reserved, *base;
	unsigned int i;

	reserved = mmap(NULL, room, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, reserved);
	base = (__u8 *)align_up((uintptr_t)reserved, HUGE_PMD_SIZE);

	for (i = 0; i < ARRAY_SIZE(moves); i++) {
		const size_t off = moves[i].off, len = moves[i].len;
		__u8 *old = self->map + off, *new = base + to[i], *view;

		ASSERT_EQ(new, mremap(old, len, len,
				      MREMAP_MAYMOVE | MREMAP_FIXED, new)) {
			TH_LOG("move %u: %s", i, strerror(errno));
		}
		EXPECT_EQ(ENOMEM, mincore_errno(old, len));
		EXPECT_EQ(-1, pattern_mismatch(new, off, len, PATTERN_SEED));
		fill_pattern(new, off, len, ~PATTERN_SEED);
		/* what was written there is in the buffer */
		view = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, off);
		ASSERT_NE(MAP_FAILED, view);
		EXPECT_EQ(-1, pattern_mismatch(view, off, len, ~PATTERN_SEED));
		munmap(view, len);
	}
	check_rest(_metadata, self->map, self->size, moves, ARRAY_SIZE(moves));
	munmap(reserved, room);
}

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_TEST	CGROUP_ROOT "/gdmabuf_test"
#define MEMCG_SIZE	(16UL << 20)

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static long long read_memory_current(void)
{
	char text[32] = "";
	int fd = open(CGROUP_TEST "/memory.current", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	return n > 0 ? atoll(text) : -1;
}

/*
 * Run in a child moved into a new memory cgroup: allocate a scatter-gather
 * buffer and check that memory.current grows by its size, and shrinks
 * again when the buffer is freed. Exit codes say which step failed.
 */
static int memcg_child(void)
{
	long long before, charged, after;
	char pid[16];
	int ctl, fd;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CGROUP_TEST "/cgroup.procs", pid))
		return 10;
	ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return 11;
	before = read_memory_current();
	fd = alloc_buffer(ctl, MEMCG_SIZE, GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_SCATTER_GATHER, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 12;
	charged = read_memory_current();
	close(fd);
	after = read_memory_current();
	close(ctl);
	if (before < 0 || charged - before < (long long)MEMCG_SIZE ||
	    /* back to where it was, give or take per-cpu charge caching */
	    after - before > (long long)MEMCG_SIZE / 16) {
		fprintf(stderr, "memory.current: %lld before, %lld with the buffer, %lld after\n",
			before, charged, after);
		return charged - before < (long long)MEMCG_SIZE ? 13 : 14;
	}
	return 0;
}

static bool file_contains(const char *path, const char *word)
{
	char text[256] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	return n > 0 && strstr(text, word);
}

/* Buffer memory is charged to the allocating process's memory cgroup. */
TEST(memcg_charges_buffer)
{
	bool mounted = false, enabled = false;
	struct stat st;
	int status;
	pid_t pid;

	if (stat(GDMABUF_DEV, &st))
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	if (stat(CGROUP_ROOT "/cgroup.controllers", &st)) {
		mkdir(CGROUP_ROOT, 0755);
		if (mount("none", CGROUP_ROOT, "cgroup2", 0, NULL))
			SKIP(return, "no cgroup2 file system");
		mounted = true;
	}
	if (!file_contains(CGROUP_ROOT "/cgroup.subtree_control", "memory")) {
		if (write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory")) {
			if (mounted)
				umount(CGROUP_ROOT);
			SKIP(return, "no memory controller");
		}
		enabled = true;
	}
	ASSERT_TRUE(mkdir(CGROUP_TEST, 0755) == 0 || errno == EEXIST);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(memcg_child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* leave the cgroup hierarchy as it was found */
	rmdir(CGROUP_TEST);
	if (enabled)
		write_file(CGROUP_ROOT "/cgroup.subtree_control", "-memory");
	if (mounted)
		umount(CGROUP_ROOT);
	ASSERT_TRUE(WIFEXITED(status));
	/* 10: no cgroup move; 11: open; 12: alloc; 13: not charged; 14: not uncharged */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

#define STRESS_THREADS		4
#define STRESS_ROUNDS		40

/* One thread's worth of allocate, map, touch, sync, export, close. */
static void *stress_thread(void *arg)
{
	static const __u32 kinds[][2] = {
		{ GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS },
		{ GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_SCATTER_GATHER },
		{ GDMABUF_MEM_COHERENT, GDMABUF_LAYOUT_CONTIGUOUS },
		{ GDMABUF_MEM_WRITE_COMBINE, GDMABUF_LAYOUT_CONTIGUOUS },
	};
	long id = (long)arg, failures = 0;
	size_t size = 3 * page_size();
	int ctl, i;

	ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return (void *)1L;
	for (i = 0; i < STRESS_ROUNDS; i++) {
		const __u32 *kind = kinds[(id + i) % 4];
		struct gdmabuf_sync sync = {
			.len = size, .flags = GDMABUF_SYNC_RW | GDMABUF_SYNC_END,
		};
		struct gdmabuf_export export = { .fd_flags = O_RDWR | O_CLOEXEC };
		__u32 *map;
		int fd;

		fd = alloc_buffer(ctl, size, kind[0], kind[1], O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			failures++;
			continue;
		}
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			failures++;
		} else {
			map[0] = i;
			map[size / sizeof(*map) - 1] = id;
			failures += map[0] != (__u32)i;
		}
		failures += !!ioctl(fd, GDMABUF_IOCTL_SYNC, &sync);
		if (ioctl(fd, GDMABUF_IOCTL_EXPORT, &export))
			failures++;
		else
			close(export.fd);
		/* close the fd before or after unmapping, by turns */
		if (i & 1)
			close(fd);
		if (map != MAP_FAILED)
			munmap(map, size);
		if (!(i & 1))
			close(fd);
	}
	close(ctl);
	return (void *)failures;
}

/*
 * Threads allocating, mapping, syncing, exporting and closing buffers of
 * every kind at once all succeed (and the debug kernel stays quiet).
 */
TEST(concurrent_buffers)
{
	pthread_t threads[STRESS_THREADS];
	struct stat st;
	long i;

	if (stat(GDMABUF_DEV, &st))
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	for (i = 0; i < STRESS_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, stress_thread, (void *)i));
	for (i = 0; i < STRESS_THREADS; i++) {
		void *failures;

		ASSERT_EQ(0, pthread_join(threads[i], &failures));
		EXPECT_EQ(0, (long)failures) {
			TH_LOG("thread %ld", i);
		}
	}
}

TEST_HARNESS_MAIN
