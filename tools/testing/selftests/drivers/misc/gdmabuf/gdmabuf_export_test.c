// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of gdmabuf as a dma-buf exporter: GDMABUF_IOCTL_EXPORT and its
 * arguments, the dma-buf's mappings and syncs, its lifetime against the
 * buffer fd's and the module's, and import into vgem, with the system
 * DMA-BUF heap as a point of comparison.
 *
 * Run as root with the gdmabuf module loaded; every test skips when the
 * device is absent, the vgem tests when no vgem device exists.
 */

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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm/drm.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/gdmabuf.h>

#include "../../../kselftest_harness.h"
#include "gdmabuf_util.h"

#define DRM_CARD	"/dev/dri/card"
#define DRM_MAX_CARDS	16
#define SYSTEM_HEAP	"/dev/dma_heap/system"
#define DMABUF_BUFINFO	"/sys/kernel/debug/dma_buf/bufinfo"

/* Pages of the fixture's buffer: scatter-gather makes 16 + 2 + 1. */
#define BUF_PAGES	19
#define PATTERN_SEED	0x5eed0000U
/* written with no sync, to tell one memory from two copies */
#define SAME_SEED	0x5a3e0000U
/* exports of one buffer held at once; of those imported into vgem */
#define NR_EXPORTS	64
#define NR_IMPORTS	16

/* DMA_BUF_IOCTL_SYNC on @fd: 0 or the errno. */
static int dmabuf_sync_errno(int fd, __u64 flags)
{
	struct dma_buf_sync args = { .flags = flags };

	return ioctl_errno(fd, DMA_BUF_IOCTL_SYNC, &args);
}

/* DMA_BUF_IOCTL_SYNC on @fd, failing the test when it fails. */
static void dmabuf_sync(struct __test_metadata *_metadata, int fd, __u64 flags)
{
	ASSERT_EQ(0, dmabuf_sync_errno(fd, flags)) {
		TH_LOG("DMA_BUF_IOCTL_SYNC with flags %#llx",
		       (unsigned long long)flags);
	}
}

/*
 * Fill @map with the pattern as a dma-buf user does: between syncs, which
 * must succeed (whether they did anything, nothing here can see).
 */
static void fill_synced(struct __test_metadata *_metadata, int sync_fd,
			void *map, size_t len, __u32 seed)
{
	dmabuf_sync(_metadata, sync_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(map, 0, len, seed);
	dmabuf_sync(_metadata, sync_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* Check the pattern in @map as a dma-buf user reads it: between syncs. */
static void check_synced(struct __test_metadata *_metadata, int sync_fd,
			 const void *map, size_t len, __u32 seed)
{
	dmabuf_sync(_metadata, sync_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	EXPECT_EQ(-1, pattern_mismatch(map, 0, len, seed)) {
		TH_LOG("seed %#x, mapping at %p", seed, map);
	}
	dmabuf_sync(_metadata, sync_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/*
 * @a and @b map the same @len bytes of memory, not copies of it: what is
 * written through one reads back through the other at once, with no sync
 * in between, each way. Only the CPU touches the memory in these guests,
 * so this, not the data after a sync, is what a round trip can prove.
 */
static void check_same_memory(struct __test_metadata *_metadata, void *a,
			      void *b, size_t len)
{
	fill_pattern(a, 0, len, SAME_SEED);
	EXPECT_EQ(-1, pattern_mismatch(b, 0, len, SAME_SEED)) {
		TH_LOG("write through %p not seen through %p: a copy?", a, b);
	}
	fill_pattern(b, 0, len, ~SAME_SEED);
	EXPECT_EQ(-1, pattern_mismatch(a, 0, len, ~SAME_SEED)) {
		TH_LOG("write through %p not seen through %p: a copy?", b, a);
	}
}

/*
 * The round trip between @mine and @theirs as a dma-buf user writes it,
 * between DMA_BUF_IOCTL_SYNC calls on @sync_fd. No device accesses the
 * memory in these guests (x86_64 is DMA-coherent; arm64's device is not,
 * but TCG has no caches), so a sync that does nothing passes too: this
 * checks only that each sync succeeds and leaves the data alone. That the
 * syncs do the cache maintenance is proven on arm64 by the KUnit case
 * gdmabuf_buffer_sync_maintenance; that a device sees the data, by a
 * device test (QEMU's edu, to come).
 */
static void check_synced_round_trip(struct __test_metadata *_metadata,
				    int sync_fd, void *mine, void *theirs,
				    size_t len)
{
	fill_synced(_metadata, sync_fd, mine, len, PATTERN_SEED);
	check_synced(_metadata, sync_fd, theirs, len, PATTERN_SEED);
	fill_synced(_metadata, sync_fd, theirs, len, ~PATTERN_SEED);
	check_synced(_metadata, sync_fd, mine, len, ~PATTERN_SEED);
}

/* Both: the same memory first, before any sync, then synced. */
static void check_round_trip(struct __test_metadata *_metadata, int sync_fd,
			     void *mine, void *theirs, size_t len)
{
	check_same_memory(_metadata, mine, theirs, len);
	check_synced_round_trip(_metadata, sync_fd, mine, theirs, len);
}

/* The lowest fd number free: a new fd leaked by a failed call takes it. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Whether @a and @b are fds of the same open file's inode. */
static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether the DRM device @fd is vgem. */
static bool is_vgem(int fd)
{
	char name[16] = "";
	struct drm_version version = {
		.name_len = sizeof(name) - 1,
		.name = name,
	};

	if (ioctl(fd, DRM_IOCTL_VERSION, &version))
		return false;
	/* name_len comes back as the full length of the driver's name */
	return version.name_len == strlen("vgem") && !strcmp(name, "vgem");
}

/* An fd of the first vgem device, or -1. */
static int open_vgem(void)
{
	char path[32];
	int i, fd;

	for (i = 0; i < DRM_MAX_CARDS; i++) {
		snprintf(path, sizeof(path), DRM_CARD "%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_vgem(fd))
			return fd;
		close(fd);
	}
	return -1;
}

/* Import the dma-buf @dmabuf into vgem as @handle: 0 or the errno. */
static int vgem_import(int vgem, int dmabuf, __u32 *handle)
{
	struct drm_prime_handle args = { .fd = dmabuf };

	if (ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args))
		return errno;
	*handle = args.handle;
	return 0;
}

/*
 * A new fd of the dma-buf vgem holds for the imported @handle, or -1.
 *
 * vgem cannot map an imported object itself: drm_gem_dumb_map_offset()
 * refuses DRM_IOCTL_MODE_MAP_DUMB on imported objects with EINVAL. The
 * dma-buf it hands back for the handle is the way to the memory through
 * vgem; it lives as long as vgem's import does.
 */
static int vgem_dmabuf(int vgem, __u32 handle)
{
	struct drm_prime_handle args = {
		.handle = handle,
		.flags = DRM_CLOEXEC | DRM_RDWR,
	};

	if (ioctl(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &args))
		return -1;
	return args.fd;
}

/* DRM_IOCTL_MODE_MAP_DUMB of the GEM handle @handle: 0 or the errno. */
static int vgem_map_dumb_errno(int vgem, __u32 handle)
{
	struct drm_mode_map_dumb args = { .handle = handle };

	return ioctl_errno(vgem, DRM_IOCTL_MODE_MAP_DUMB, &args);
}

/* Close the GEM handle @handle: 0 or the errno. */
static int vgem_close_errno(int vgem, __u32 handle)
{
	struct drm_gem_close args = { .handle = handle };

	return ioctl_errno(vgem, DRM_IOCTL_GEM_CLOSE, &args);
}

/* One dma-buf as the dma-buf core's debugfs file bufinfo lists it. */
struct bufinfo {
	unsigned long ino;
	long count;	/* references to its file */
	int attached;	/* importers' attachments */
};

/*
 * Scan bufinfo for dma-bufs of inode @ino (0: any) and exporter @exp_name
 * (NULL: any): how many there are, the last into @found (may be NULL), or
 * -1 when bufinfo cannot be read.
 */
static int bufinfo_scan(unsigned long ino, const char *exp_name,
			struct bufinfo *found)
{
	struct bufinfo cur = { .attached = -1 };
	char line[512], name[64];
	bool inside = false;
	int n = 0, end;
	FILE *f;

	f = fopen(DMABUF_BUFINFO, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int flags, mode;
		size_t size;

		if (sscanf(line, "%zu %x %x %ld %63s %lu", &size, &flags, &mode,
			   &cur.count, name, &cur.ino) == 6) {
			inside = (!ino || cur.ino == ino) &&
				 (!exp_name || !strcmp(name, exp_name));
			cur.attached = -1;
			n += inside;
			continue;
		}
		end = 0;
		if (inside &&
		    sscanf(line, "Total %d devices attached%n", &cur.attached,
			   &end) == 1 && end) {
			if (found)
				*found = cur;
			inside = false;
		}
	}
	fclose(f);
	return n;
}

/* The inode of the file of @fd, or 0. */
static unsigned long fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* The id of the buffer of @fd, or 0 (ids start at 1). */
static __u64 buffer_id(int fd)
{
	struct gdmabuf_info info = {};

	return ioctl(fd, GDMABUF_IOCTL_INFO, &info) ? 0 : info.id;
}

/* Whether the dma-buf core's debugfs file is there. */
static bool debugfs_readable(void)
{
	return !access(DMABUF_BUFINFO, R_OK);
}

/*
 * The number of importer attachments bufinfo shows for the dma-buf of
 * @fd, or -1 when it does not list it.
 */
static int attachments(int fd)
{
	struct bufinfo bi = {};

	if (bufinfo_scan(fd_ino(fd), NULL, &bi) != 1)
		return -1;
	return bi.attached;
}

/*
 * Import @dmabuf, of @len bytes mapped at @mine, into @vgem. The import
 * attaches (bufinfo shows it) and the dma-buf vgem gives back for the
 * handle is the same one. vgem cannot map an import itself, so that
 * dma-buf's mapping is vgem's view: it is the memory of @mine, and the
 * syncs around a round trip succeed with vgem attached and after the
 * handle is closed (detached).
 */
static void check_vgem_round_trip(struct __test_metadata *_metadata,
				  int vgem, int dmabuf, void *mine, size_t len)
{
	void *theirs;
	__u32 handle = 0;
	int back;

	ASSERT_EQ(0, attachments(dmabuf));
	ASSERT_EQ(0, vgem_import(vgem, dmabuf, &handle));
	EXPECT_EQ(1, attachments(dmabuf));
	back = vgem_dmabuf(vgem, handle);
	ASSERT_LE(0, back) {
		TH_LOG("PRIME_HANDLE_TO_FD: %s", strerror(errno));
	}
	EXPECT_TRUE(same_inode(dmabuf, back));
	EXPECT_EQ(EINVAL, vgem_map_dumb_errno(vgem, handle)) {
		TH_LOG("vgem maps imports now: check its own mapping here");
	}

	theirs = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, back, 0);
	ASSERT_NE(MAP_FAILED, theirs);
	check_round_trip(_metadata, back, mine, theirs, len);

	EXPECT_EQ(0, vgem_close_errno(vgem, handle));
	/* A closed handle is gone: closing it again fails. */
	EXPECT_EQ(EINVAL, vgem_close_errno(vgem, handle));
	EXPECT_EQ(0, attachments(dmabuf));
	/* The detached dma-buf keeps working. */
	check_round_trip(_metadata, back, mine, theirs, len);
	munmap(theirs, len);
	close(back);
}

/* One buffer of every memory type and layout, with its buffer fd. */
FIXTURE(export) {
	int ctl;
	int fd;
	size_t page;
	size_t size;
};

FIXTURE_VARIANT(export) {
	__u32 mem_type;
	__u32 layout;
};

FIXTURE_VARIANT_ADD(export, cached_contiguous) {
	.mem_type = GDMABUF_MEM_CACHED,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
};

FIXTURE_VARIANT_ADD(export, cached_scatter_gather) {
	.mem_type = GDMABUF_MEM_CACHED,
	.layout = GDMABUF_LAYOUT_SCATTER_GATHER,
};

FIXTURE_VARIANT_ADD(export, coherent_contiguous) {
	.mem_type = GDMABUF_MEM_COHERENT,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
};

FIXTURE_VARIANT_ADD(export, write_combine_contiguous) {
	.mem_type = GDMABUF_MEM_WRITE_COMBINE,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
};

FIXTURE_SETUP(export)
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

FIXTURE_TEARDOWN(export)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->ctl >= 0)
		close(self->ctl);
}

/* The dma-buf's fdinfo names gdmabuf as its exporter, with the size. */
TEST_F(export, fdinfo_names_gdmabuf)
{
	char value[64];
	int dmabuf;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf) {
		TH_LOG("EXPORT: %s", strerror(errno));
	}
	ASSERT_EQ(0, fdinfo_string(dmabuf, "exp_name", value, sizeof(value))) {
		TH_LOG("no exp_name in /proc/self/fdinfo/%d: not a dma-buf?",
		       dmabuf);
	}
	EXPECT_STREQ("gdmabuf", value);
	ASSERT_EQ(0, fdinfo_string(dmabuf, "size", value, sizeof(value)));
	EXPECT_EQ(self->size, strtoull(value, NULL, 10)) {
		TH_LOG("fdinfo size: %s", value);
	}
	EXPECT_EQ((off_t)self->size, lseek(dmabuf, 0, SEEK_END));
	close(dmabuf);
}

/* The dma-buf fd has the access mode and close-on-exec flag asked for. */
TEST_F(export, fd_flags_applied)
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
		int dmabuf;

		dmabuf = export_buffer(self->fd, fd_flags[i]);
		ASSERT_LE(0, dmabuf) {
			TH_LOG("fd_flags %#x: %s", fd_flags[i], strerror(errno));
		}
		EXPECT_EQ(accmode, fcntl(dmabuf, F_GETFL) & O_ACCMODE) {
			TH_LOG("fd_flags %#x", fd_flags[i]);
		}
		EXPECT_EQ(cloexec, !!(fcntl(dmabuf, F_GETFD) & FD_CLOEXEC)) {
			TH_LOG("fd_flags %#x", fd_flags[i]);
		}
		close(dmabuf);
	}
}

/*
 * A read-only dma-buf maps for reading, showing the buffer, and not for
 * writing, not even later through mprotect().
 */
TEST_F(export, rdonly_maps_read_only)
{
	void *mine, *ro;
	int dmabuf;

	mine = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, mine);
	fill_pattern(mine, 0, self->size, PATTERN_SEED);

	dmabuf = export_buffer(self->fd, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	EXPECT_EQ(EACCES, mmap_errno(dmabuf, self->size, PROT_READ | PROT_WRITE,
				     MAP_SHARED, 0));
	ro = mmap(NULL, self->size, PROT_READ, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, ro);
	check_synced(_metadata, dmabuf, ro, self->size, PATTERN_SEED);
	EXPECT_EQ(-1, mprotect(ro, self->size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(ro, self->size);
	munmap(mine, self->size);
	close(dmabuf);
}

/* A read-only buffer fd exports read-only dma-bufs only. */
TEST_F(export, rdonly_buffer_exports_rdonly_only)
{
	int ro, dmabuf;

	ro = alloc_buffer(self->ctl, self->size, variant->mem_type,
			  variant->layout, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-1, export_buffer(ro, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EACCES, errno);
	dmabuf = export_buffer(ro, O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, dmabuf);
	close(dmabuf);
	close(ro);
}

/* EXPORT knows no flags yet: any flag is refused. */
TEST_F(export, flags_einval)
{
	const __u32 flags[] = { 1, 1U << 31 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct gdmabuf_export args = export_args(O_RDWR);

		args.flags = flags[i];
		EXPECT_EQ(EINVAL, export_errno(self->fd, args)) {
			TH_LOG("flags %#x", flags[i]);
		}
	}
}

/* The reserved field must be zero. */
TEST_F(export, reserved_einval)
{
	const __u32 reserved[] = { 1, 1U << 31 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		struct gdmabuf_export args = export_args(O_RDWR);

		args.reserved = reserved[i];
		EXPECT_EQ(EINVAL, export_errno(self->fd, args)) {
			TH_LOG("reserved %#x", reserved[i]);
		}
	}
}

/* fd is output only: a non-zero value on input is refused. */
TEST_F(export, fd_input_einval)
{
	const __s32 fds[] = { 1, -1, self->fd };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		struct gdmabuf_export args = export_args(O_RDWR);

		args.fd = fds[i];
		EXPECT_EQ(EINVAL, export_errno(self->fd, args)) {
			TH_LOG("fd %d on input", fds[i]);
		}
	}
}

/* fd_flags other than O_RDWR or O_RDONLY, with O_CLOEXEC, are refused. */
TEST_F(export, bad_fd_flags_einval)
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
	const int next_fd = lowest_free_fd();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fd_flags); i++) {
		EXPECT_EQ(EINVAL, export_errno(self->fd, export_args(fd_flags[i]))) {
			TH_LOG("fd_flags %#x", fd_flags[i]);
		}
	}
	EXPECT_EQ(next_fd, lowest_free_fd());
}

/*
 * EXPORT's struct is extensible: one byte short of the first version is
 * refused with EINVAL, a longer one is accepted with its tail zero and
 * refused with E2BIG when a byte of the tail is not.
 */
TEST_F(export, struct_size)
{
	const unsigned long cmd = GDMABUF_IOCTL_EXPORT;
	struct {
		struct gdmabuf_export args;
		__u64 future;
	} big = { .args = export_args(O_RDWR | O_CLOEXEC) };
	char value[64];

	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, cmd_sized(cmd, sizeof(big.args) - 1),
				      &big));
	ASSERT_EQ(0, ioctl_errno(self->fd, cmd_sized(cmd, sizeof(big)), &big));
	ASSERT_LE(0, big.args.fd);
	EXPECT_EQ(0, fdinfo_string(big.args.fd, "exp_name", value, sizeof(value)));
	EXPECT_STREQ("gdmabuf", value);
	close(big.args.fd);

	big.args = export_args(O_RDWR | O_CLOEXEC);
	big.future = 1ULL << 63;
	EXPECT_EQ(E2BIG, ioctl_errno(self->fd, cmd_sized(cmd, sizeof(big)), &big));
}

/* An EXPORT struct that cannot be read fails with EFAULT. */
TEST_F(export, bad_pointer_efault)
{
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, GDMABUF_IOCTL_EXPORT, NULL));
}

/*
 * An EXPORT struct that can be read but not written back fails with
 * EFAULT, and leaves no dma-buf fd behind: the fd is installed only once
 * the caller has been told its number.
 */
TEST_F(export, copy_back_efault_no_fd)
{
	struct gdmabuf_export *args;
	int next_fd;

	args = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, args);
	*args = export_args(O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, mprotect(args, self->page, PROT_READ));

	next_fd = lowest_free_fd();
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, GDMABUF_IOCTL_EXPORT, args));
	EXPECT_EQ(next_fd, lowest_free_fd());
	munmap(args, self->page);
}

/* Set the soft RLIMIT_NOFILE to @cur: 0 or the errno. */
static int set_nofile(rlim_t cur)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim))
		return errno;
	lim.rlim_cur = cur;
	return setrlimit(RLIMIT_NOFILE, &lim) ? errno : 0;
}

/*
 * EXPORT with no fd free: EMFILE, in both modes, with the limit at the
 * lowest free fd number.
 */
static void check_export_emfile(struct __test_metadata *_metadata, int fd)
{
	struct rlimit saved;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &saved));
	ASSERT_EQ(0, set_nofile(lowest_free_fd()));
	EXPECT_EQ(EMFILE, export_errno(fd, export_args(O_RDWR | O_CLOEXEC)));
	EXPECT_EQ(EMFILE, export_errno(fd, export_args(O_RDONLY)));
	ASSERT_EQ(0, set_nofile(saved.rlim_cur));
}

/*
 * With no fd free, EXPORT fails with EMFILE and leaks nothing: the
 * dma-buf it made for the call is gone from bufinfo, one that existed
 * keeps its reference count, the buffer is freed (leaves gdmabuf's
 * debugfs list) when its fd closes, and with the limit raised EXPORT
 * works again.
 */
TEST_F(export, export_emfile_no_leak)
{
	struct bufinfo before = {}, after = {};
	int dmabuf, gdmabufs;
	unsigned long ino;
	__u64 id;

	if (!debugfs_readable())
		SKIP(return, "no " DMABUF_BUFINFO " (debugfs not mounted?)");
	id = buffer_id(self->fd);
	ASSERT_NE(0, id);
	ASSERT_EQ(1, debugfs_lists(id));
	gdmabufs = bufinfo_scan(0, "gdmabuf", NULL);
	ASSERT_LE(0, gdmabufs);

	/* No dma-buf of the buffer yet: the call makes one and drops it. */
	check_export_emfile(_metadata, self->fd);
	EXPECT_EQ(gdmabufs, bufinfo_scan(0, "gdmabuf", NULL));

	/* One exists: the call takes a reference on it and drops it. */
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	ino = fd_ino(dmabuf);
	ASSERT_EQ(1, bufinfo_scan(ino, "gdmabuf", &before));
	check_export_emfile(_metadata, self->fd);
	ASSERT_EQ(1, bufinfo_scan(ino, "gdmabuf", &after));
	EXPECT_EQ(before.count, after.count);
	EXPECT_EQ(0, close(dmabuf));
	EXPECT_EQ(0, bufinfo_scan(ino, NULL, NULL));
	EXPECT_EQ(gdmabufs, bufinfo_scan(0, "gdmabuf", NULL));

	/* With fds free again, EXPORT works. */
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf) {
		TH_LOG("EXPORT after EMFILE: %s", strerror(errno));
	}
	EXPECT_EQ(gdmabufs + 1, bufinfo_scan(0, "gdmabuf", NULL));
	EXPECT_EQ(0, close(dmabuf));
	EXPECT_EQ(gdmabufs, bufinfo_scan(0, "gdmabuf", NULL));

	/* No reference on the buffer was left behind. */
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, debugfs_lists(id)) {
		TH_LOG("buffer %llu outlives its last fd", (unsigned long long)id);
	}
}

/* EXPORT with the wrong direction bits fails with ENOTTY. */
TEST_F(export, wrong_direction_enotty)
{
	const unsigned int nr = _IOC_NR(GDMABUF_IOCTL_EXPORT);
	const unsigned long cmds[] = {
		_IO(GDMABUF_IOCTL_MAGIC, nr),
		_IOR(GDMABUF_IOCTL_MAGIC, nr, struct gdmabuf_export),
		_IOW(GDMABUF_IOCTL_MAGIC, nr, struct gdmabuf_export),
	};
	struct gdmabuf_export args;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		args = export_args(O_RDWR | O_CLOEXEC);
		EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, cmds[i], &args)) {
			TH_LOG("cmd %#lx", cmds[i]);
		}
	}
}

/* EXPORT is the buffer fd's: the control device answers ENOTTY. */
TEST_F(export, ctl_enotty)
{
	struct gdmabuf_export args = export_args(O_RDWR | O_CLOEXEC);

	EXPECT_EQ(ENOTTY, ioctl_errno(self->ctl, GDMABUF_IOCTL_EXPORT, &args));
}

/*
 * A mapping of the dma-buf is the memory of the buffer fd's mapping: a
 * write through either shows through the other before any sync; the
 * syncs of a round trip succeed and keep the data.
 */
TEST_F(export, mmap_shares_buffer)
{
	void *mine, *theirs;
	int dmabuf;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	mine = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, mine);
	theirs = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      dmabuf, 0);
	ASSERT_NE(MAP_FAILED, theirs);

	check_round_trip(_metadata, dmabuf, mine, theirs, self->size);
	munmap(theirs, self->size);
	munmap(mine, self->size);
	close(dmabuf);
}

/* A mapping of the dma-buf at a page offset shows the buffer from there. */
TEST_F(export, mmap_at_offset)
{
	const size_t tail = 3 * self->page;
	void *whole, *part;
	size_t offset;
	int dmabuf;

	whole = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->fd, 0);
	ASSERT_NE(MAP_FAILED, whole);
	fill_pattern(whole, 0, self->size, PATTERN_SEED);
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);

	for (offset = 0; offset < self->size; offset += self->page) {
		part = mmap(NULL, self->page, PROT_READ, MAP_SHARED, dmabuf,
			    offset);
		ASSERT_NE(MAP_FAILED, part);
		EXPECT_EQ(-1, pattern_mismatch(part, offset, self->page,
					       PATTERN_SEED)) {
			TH_LOG("page at offset %zu", offset);
		}
		munmap(part, self->page);
	}

	part = mmap(NULL, tail, PROT_READ, MAP_SHARED, dmabuf,
		    self->size - tail);
	ASSERT_NE(MAP_FAILED, part);
	EXPECT_EQ(-1, pattern_mismatch(part, self->size - tail, tail,
				       PATTERN_SEED));
	munmap(part, tail);
	munmap(whole, self->size);
	close(dmabuf);
}

/* MAP_PRIVATE of the dma-buf is refused, as on the buffer fd. */
TEST_F(export, mmap_private_einval)
{
	int dmabuf;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	EXPECT_EQ(EINVAL, mmap_errno(dmabuf, self->size, PROT_READ,
				     MAP_PRIVATE, 0));
	EXPECT_EQ(EINVAL, mmap_errno(dmabuf, self->size,
				     PROT_READ | PROT_WRITE, MAP_PRIVATE, 0));
	close(dmabuf);
}

/* A mapping of the dma-buf reaching past its end is refused. */
TEST_F(export, mmap_out_of_range_einval)
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
	int dmabuf;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(EINVAL, mmap_errno(dmabuf, cases[i].len, PROT_READ,
					     MAP_SHARED, cases[i].offset)) {
			TH_LOG("offset %jd, len %zu",
			       (intmax_t)cases[i].offset, cases[i].len);
		}
	}
	close(dmabuf);
}

/* The whole dma-buf of the fixture's buffer mapped read-write, filled. */
static __u8 *map_filled_dmabuf(int fd, size_t size, int *dmabuf)
{
	__u8 *map;

	*dmabuf = export_buffer(fd, O_RDWR | O_CLOEXEC);
	if (*dmabuf < 0)
		return MAP_FAILED;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *dmabuf, 0);
	if (map != MAP_FAILED)
		fill_pattern(map, 0, size, PATTERN_SEED);
	return map;
}

/* mincore() of @len bytes at @addr: 0, or the errno (ENOMEM: unmapped). */
static int mincore_errno(void *addr, size_t len)
{
	unsigned char vec[2 * BUF_PAGES];

	if (len > sizeof(vec) * page_size())
		return E2BIG;
	return mincore(addr, len, vec) ? errno : 0;
}

/*
 * Whether a forked child is killed with SIGSEGV when it writes back the
 * byte at @addr (the same value: the memory is shared).
 */
static bool write_segv(__u8 *addr)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		/* no core dump of the mapping */
		prctl(PR_SET_DUMPABLE, 0);
		__atomic_store_n(addr, __atomic_load_n(addr, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

/* Pages [@first, @first + @count) of a mapping of the whole buffer. */
struct pages {
	size_t first;
	size_t count;
};

/*
 * Each page of @map, the whole buffer, outside @holes holds the pattern
 * of @seed, then takes that of ~@seed, which the buffer fd @fd sees there.
 */
static void check_pages_outside(struct __test_metadata *_metadata, __u8 *map,
				int fd, size_t page, const struct pages *holes,
				unsigned int nr, __u32 seed)
{
	__u8 *view;
	size_t i;
	unsigned int h;

	view = mmap(NULL, BUF_PAGES * page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, view);
	for (i = 0; i < BUF_PAGES; i++) {
		bool in_hole = false;

		for (h = 0; h < nr; h++)
			in_hole |= i >= holes[h].first &&
				   i < holes[h].first + holes[h].count;
		if (in_hole)
			continue;
		EXPECT_EQ(-1, pattern_mismatch(map + i * page, i * page, page,
					       seed)) {
			TH_LOG("page %zu beside the holes", i);
		}
		fill_pattern(map + i * page, i * page, page, ~seed);
		EXPECT_EQ(-1, pattern_mismatch(view + i * page, i * page, page,
					       ~seed)) {
			TH_LOG("page %zu: write not in the buffer", i);
		}
	}
	munmap(view, BUF_PAGES * page);
}

/*
 * mremap() moves sub-ranges of a dma-buf mapping, same length, to fixed
 * addresses at and off 2 MiB alignment: the new address shows the data of
 * its offset and takes writes, which the buffer fd sees; the old range is
 * unmapped and the pages around it keep working. A target that is not
 * page aligned is EINVAL and moves nothing.
 */
TEST_F(export, dmabuf_mremap_moves_sub_range)
{
	const size_t pmd = 2UL << 20, room = 2 * pmd;
	/* from page first, count pages, to page to[i] of a 2 MiB block */
	const struct pages moves[] = { { 2, 3 }, { 8, 2 }, { 18, 1 } };
	const size_t to[] = { 0, 5, 33 };
	__u8 *map, *reserved, *base, *bad;
	unsigned int i;
	int dmabuf;

	map = map_filled_dmabuf(self->fd, self->size, &dmabuf);
	ASSERT_NE(MAP_FAILED, map);
	reserved = mmap(NULL, room, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, reserved);
	base = (__u8 *)(((uintptr_t)reserved + pmd - 1) & ~(pmd - 1));

	for (i = 0; i < ARRAY_SIZE(moves); i++) {
		const size_t off = moves[i].first * self->page;
		const size_t len = moves[i].count * self->page;
		__u8 *old = map + off, *new = base + to[i] * self->page, *view;

		ASSERT_EQ(new, mremap(old, len, len,
				      MREMAP_MAYMOVE | MREMAP_FIXED, new)) {
			TH_LOG("move %u: %s", i, strerror(errno));
		}
		EXPECT_EQ(ENOMEM, mincore_errno(old, len));
		EXPECT_EQ(-1, pattern_mismatch(new, off, len, PATTERN_SEED)) {
			TH_LOG("move %u", i);
		}
		fill_pattern(new, off, len, ~PATTERN_SEED);
		view = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, off);
		ASSERT_NE(MAP_FAILED, view);
		EXPECT_EQ(-1, pattern_mismatch(view, off, len, ~PATTERN_SEED)) {
			TH_LOG("move %u: write not in the buffer", i);
		}
		munmap(view, len);
	}

	bad = base + 40 * self->page + 1;
	EXPECT_EQ(MAP_FAILED, mremap(map + 10 * self->page, self->page,
				     self->page, MREMAP_MAYMOVE | MREMAP_FIXED,
				     bad));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, mincore_errno(map + 10 * self->page, self->page));

	check_pages_outside(_metadata, map, self->fd, self->page, moves,
			    ARRAY_SIZE(moves), PATTERN_SEED);
	munmap(reserved, room);
	munmap(map, self->size);
	close(dmabuf);
}

/*
 * A dma-buf mapping cannot grow: VM_DONTEXPAND makes 6.12's mremap()
 * fail with EFAULT, in place or moving, for part of the buffer or all of
 * it, and refuse MREMAP_DONTUNMAP with EINVAL. Each failure leaves the
 * mapping as it was. Shrinking works and unmaps the tail.
 */
TEST_F(export, dmabuf_mremap_grow_efault)
{
	const size_t lens[] = { self->size - self->page, self->size };
	const int flags[] = { 0, MREMAP_MAYMOVE };
	const size_t shrunk = self->size - 2 * self->page;
	unsigned int i, f;
	__u8 *map;
	void *ret;
	int dmabuf;

	map = map_filled_dmabuf(self->fd, self->size, &dmabuf);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		for (f = 0; f < ARRAY_SIZE(flags); f++) {
			ret = mremap(map, lens[i], lens[i] + self->page,
				     flags[f]);
			EXPECT_EQ(MAP_FAILED, ret) {
				TH_LOG("%zu bytes grew by a page, flags %#x",
				       lens[i], flags[f]);
			}
			EXPECT_EQ(EFAULT, errno) {
				TH_LOG("%zu bytes, flags %#x", lens[i],
				       flags[f]);
			}
			/* a grown mapping is lost with the test */
			ASSERT_EQ(MAP_FAILED, ret);
		}
	}
	ret = mremap(map, self->size, self->size,
		     MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	EXPECT_EQ(MAP_FAILED, ret);
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, ret);
	EXPECT_EQ(-1, pattern_mismatch(map, 0, self->size, PATTERN_SEED));

	ASSERT_EQ(map, mremap(map, self->size, shrunk, 0));
	EXPECT_EQ(ENOMEM, mincore_errno(map + shrunk, self->size - shrunk));
	EXPECT_EQ(-1, pattern_mismatch(map, 0, shrunk, PATTERN_SEED));
	munmap(map, shrunk);
	close(dmabuf);
}

/*
 * A forked child inherits the dma-buf mapping, MAP_SHARED: it reads the
 * parent's pattern and writes its own on every other page, which the
 * parent then sees through the mapping and the buffer fd.
 */
TEST_F(export, dmabuf_fork_shares_mapping)
{
	__u8 *map, *view;
	int dmabuf, status;
	pid_t pid;
	size_t i;

	map = map_filled_dmabuf(self->fd, self->size, &dmabuf);
	ASSERT_NE(MAP_FAILED, map);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (pattern_mismatch(map, 0, self->size, PATTERN_SEED) != -1)
			_exit(2);
		for (i = 1; i < BUF_PAGES; i += 2)
			fill_pattern(map + i * self->page, i * self->page,
				     self->page, ~PATTERN_SEED);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("child killed by signal %d", WTERMSIG(status));
	}
	/* 2: the child did not see the parent's pattern */
	EXPECT_EQ(0, WEXITSTATUS(status));

	view = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, view);
	for (i = 0; i < BUF_PAGES; i++) {
		const __u32 seed = i % 2 ? ~PATTERN_SEED : PATTERN_SEED;
		const size_t off = i * self->page;

		EXPECT_EQ(-1, pattern_mismatch(map + off, off, self->page,
					       seed)) {
			TH_LOG("page %zu through the dma-buf", i);
		}
		EXPECT_EQ(-1, pattern_mismatch(view + off, off, self->page,
					       seed)) {
			TH_LOG("page %zu through the buffer fd", i);
		}
	}
	munmap(view, self->size);
	munmap(map, self->size);
	close(dmabuf);
}

/*
 * munmap() of sub-ranges in the middle of a dma-buf mapping unmaps just
 * them: the pages on both sides keep the data and take writes, and the
 * memory under the holes keeps its data too.
 */
TEST_F(export, dmabuf_munmap_middle_keeps_rest)
{
	const struct pages holes[] = { { 5, 2 }, { 12, 1 } };
	__u8 *map, *view;
	unsigned int h;
	int dmabuf;

	map = map_filled_dmabuf(self->fd, self->size, &dmabuf);
	ASSERT_NE(MAP_FAILED, map);
	for (h = 0; h < ARRAY_SIZE(holes); h++) {
		const size_t off = holes[h].first * self->page;
		const size_t len = holes[h].count * self->page;

		ASSERT_EQ(0, munmap(map + off, len));
		EXPECT_EQ(ENOMEM, mincore_errno(map + off, len));
	}
	check_pages_outside(_metadata, map, self->fd, self->page, holes,
			    ARRAY_SIZE(holes), PATTERN_SEED);

	view = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, view);
	for (h = 0; h < ARRAY_SIZE(holes); h++) {
		const size_t off = holes[h].first * self->page;
		const size_t len = holes[h].count * self->page;

		EXPECT_EQ(-1, pattern_mismatch(view + off, off, len,
					       PATTERN_SEED)) {
			TH_LOG("hole %u", h);
		}
	}
	munmap(view, self->size);
	munmap(map, self->size);
	close(dmabuf);
}

/*
 * mprotect() of a sub-range of a dma-buf mapping to read-only: it reads,
 * a write there faults while the pages on both sides take writes; made
 * writable again, it takes writes too.
 */
TEST_F(export, dmabuf_mprotect_sub_range)
{
	const struct pages ro = { 4, 3 };
	const size_t off = ro.first * self->page, len = ro.count * self->page;
	__u8 *map;
	int dmabuf;

	map = map_filled_dmabuf(self->fd, self->size, &dmabuf);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + off, len, PROT_READ));
	EXPECT_EQ(-1, pattern_mismatch(map + off, off, len, PATTERN_SEED));
	EXPECT_TRUE(write_segv(map + off));
	EXPECT_TRUE(write_segv(map + off + len - 1));
	EXPECT_FALSE(write_segv(map + off - 1));
	EXPECT_FALSE(write_segv(map + off + len));
	check_pages_outside(_metadata, map, self->fd, self->page, &ro, 1,
			    PATTERN_SEED);

	ASSERT_EQ(0, mprotect(map + off, len, PROT_READ | PROT_WRITE));
	EXPECT_FALSE(write_segv(map + off));
	fill_pattern(map + off, off, len, ~PATTERN_SEED);
	check_pages_outside(_metadata, map, self->fd, self->page, NULL, 0,
			    ~PATTERN_SEED);
	munmap(map, self->size);
	close(dmabuf);
}

/*
 * DMA_BUF_IOCTL_SYNC takes reads, writes or both, starting or ending, on
 * every memory type (a no-op where nothing needs syncing), through a
 * read-write and a read-only dma-buf alike: the dma-buf core does not
 * refuse write syncs on a read-only one, and gdmabuf's docs do not either.
 */
TEST_F(export, sync_every_direction)
{
	const __u32 modes[] = { O_RDWR, O_RDONLY };
	const __u64 flags[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	unsigned int i, m;
	int dmabuf;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		dmabuf = export_buffer(self->fd, modes[m] | O_CLOEXEC);
		ASSERT_LE(0, dmabuf);
		for (i = 0; i < ARRAY_SIZE(flags); i++) {
			EXPECT_EQ(0, dmabuf_sync_errno(dmabuf, flags[i])) {
				TH_LOG("flags %#llx, fd mode %#x",
				       (unsigned long long)flags[i], modes[m]);
			}
		}
		close(dmabuf);
	}
}

/*
 * Flags without READ or WRITE, or with unknown bits, are refused with
 * EINVAL (dma-buf.c), through a read-write and a read-only dma-buf.
 */
TEST_F(export, sync_bad_flags_einval)
{
	const __u32 modes[] = { O_RDWR, O_RDONLY };
	const __u64 flags[] = {
		DMA_BUF_SYNC_START,
		DMA_BUF_SYNC_END,
		1ULL << 3,
		DMA_BUF_SYNC_RW | 1ULL << 3,
		DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END | 1ULL << 63,
		UINT64_MAX,
	};
	unsigned int i, m;
	int dmabuf;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		dmabuf = export_buffer(self->fd, modes[m] | O_CLOEXEC);
		ASSERT_LE(0, dmabuf);
		for (i = 0; i < ARRAY_SIZE(flags); i++) {
			EXPECT_EQ(EINVAL, dmabuf_sync_errno(dmabuf, flags[i])) {
				TH_LOG("flags %#llx, fd mode %#x",
				       (unsigned long long)flags[i], modes[m]);
			}
		}
		close(dmabuf);
	}
}

/* A DMA_BUF_IOCTL_SYNC struct that cannot be read fails with EFAULT. */
TEST_F(export, sync_bad_pointer_efault)
{
	int dmabuf;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	EXPECT_EQ(EFAULT, ioctl_errno(dmabuf, DMA_BUF_IOCTL_SYNC, NULL));
	close(dmabuf);
}

/*
 * With the buffer fd and its mapping gone, the dma-buf still holds the
 * buffer: a new mapping of it shows the data and takes writes.
 */
TEST_F(export, dmabuf_outlives_buffer_fd)
{
	void *map;
	int dmabuf;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, 0, self->size, PATTERN_SEED);
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, munmap(map, self->size));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dmabuf, 0);
	ASSERT_NE(MAP_FAILED, map);
	check_synced(_metadata, dmabuf, map, self->size, PATTERN_SEED);
	fill_synced(_metadata, dmabuf, map, self->size, ~PATTERN_SEED);
	check_synced(_metadata, dmabuf, map, self->size, ~PATTERN_SEED);
	munmap(map, self->size);
	close(dmabuf);
}

/*
 * With the dma-buf and its mapping gone, the buffer fd still works: it
 * describes the buffer, maps the data written through the dma-buf and
 * exports again.
 */
TEST_F(export, buffer_outlives_dmabuf)
{
	struct gdmabuf_info info = {};
	void *map;
	int dmabuf;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dmabuf, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_synced(_metadata, dmabuf, map, self->size, PATTERN_SEED);
	ASSERT_EQ(0, munmap(map, self->size));
	ASSERT_EQ(0, close(dmabuf));

	ASSERT_EQ(0, ioctl_errno(self->fd, GDMABUF_IOCTL_INFO, &info));
	EXPECT_EQ(self->size, info.size);
	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, pattern_mismatch(map, 0, self->size, PATTERN_SEED));
	munmap(map, self->size);
	EXPECT_EQ(0, export_errno(self->fd, export_args(O_RDWR | O_CLOEXEC)));
}

/* A dma-buf mapping keeps working after the dma-buf and buffer fds close. */
TEST_F(export, mapping_outlives_every_fd)
{
	void *map;
	int dmabuf;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dmabuf, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, close(dmabuf));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	/* Nothing was faulted in before the closes. */
	fill_pattern(map, 0, self->size, PATTERN_SEED);
	EXPECT_EQ(-1, pattern_mismatch(map, 0, self->size, PATTERN_SEED));
	munmap(map, self->size);
}

/*
 * Many exports of one buffer in one mode are fds of one dma-buf: each
 * maps the buffer, sees what the others wrote, and all close cleanly.
 */
TEST_F(export, many_exports_share_memory)
{
	const size_t words_per_page = self->page / sizeof(__u32);
	__u32 *maps[NR_EXPORTS], *mine;
	int fds[NR_EXPORTS];
	size_t word[NR_EXPORTS];
	unsigned int i;

	/* Export i writes one word, in page i % BUF_PAGES. */
	for (i = 0; i < NR_EXPORTS; i++)
		word[i] = (i % BUF_PAGES) * words_per_page + i / BUF_PAGES;

	for (i = 0; i < NR_EXPORTS; i++) {
		fds[i] = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]) {
			TH_LOG("export %u: %s", i, strerror(errno));
		}
		ASSERT_TRUE(same_inode(fds[0], fds[i])) {
			TH_LOG("export %u is not export 0's dma-buf", i);
		}
		maps[i] = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fds[i], 0);
		ASSERT_NE(MAP_FAILED, maps[i]) {
			TH_LOG("export %u: %s", i, strerror(errno));
		}
		maps[i][word[i]] = i ^ PATTERN_SEED;
	}

	mine = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, mine);
	for (i = 0; i < NR_EXPORTS; i++) {
		const unsigned int next = (i + 1) % NR_EXPORTS;

		EXPECT_EQ(i ^ PATTERN_SEED, mine[word[i]]) {
			TH_LOG("export %u's word through the buffer fd", i);
		}
		EXPECT_EQ(next ^ PATTERN_SEED, maps[i][word[next]]) {
			TH_LOG("export %u's word through export %u", next, i);
		}
	}
	munmap(mine, self->size);

	for (i = 0; i < NR_EXPORTS; i++) {
		EXPECT_EQ(0, munmap(maps[i], self->size));
		EXPECT_EQ(0, close(fds[i]));
	}
}

/* The "ino" of /proc/self/fdinfo/@fd, or 0. */
static unsigned long fdinfo_ino(int fd)
{
	char value[32];

	if (fdinfo_string(fd, "ino", value, sizeof(value)))
		return 0;
	return strtoul(value, NULL, 10);
}

/*
 * Exports in one access mode are fds of one dma-buf, as fstat() and
 * fdinfo show, each fd with its own close-on-exec flag; the other mode is
 * another dma-buf.
 */
TEST_F(export, same_mode_same_dmabuf)
{
	const __u32 fd_flags[] = {
		O_RDWR | O_CLOEXEC, O_RDWR, O_RDONLY | O_CLOEXEC, O_RDONLY,
	};
	int fds[ARRAY_SIZE(fd_flags)];
	char name[32];
	struct stat st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fd_flags); i++) {
		fds[i] = export_buffer(self->fd, fd_flags[i]);
		ASSERT_LE(0, fds[i]) {
			TH_LOG("fd_flags %#x: %s", fd_flags[i], strerror(errno));
		}
		EXPECT_EQ(!!(fd_flags[i] & O_CLOEXEC),
			  !!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC));
		ASSERT_EQ(0, fstat(fds[i], &st));
		EXPECT_EQ(st.st_ino, fdinfo_ino(fds[i]));
		ASSERT_EQ(0, fdinfo_string(fds[i], "exp_name", name, sizeof(name)));
		EXPECT_STREQ("gdmabuf", name);
	}
	EXPECT_TRUE(same_inode(fds[0], fds[1]));
	EXPECT_TRUE(same_inode(fds[2], fds[3]));
	EXPECT_FALSE(same_inode(fds[0], fds[2]));
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		close(fds[i]);
}

/*
 * A mapping of a dma-buf whose fds are all closed still holds it: a new
 * export in its mode is that dma-buf again (its inode, still in use, is
 * not another's), in the other mode it is not.
 */
TEST_F(export, mapping_keeps_dmabuf_for_export)
{
	struct stat before, after;
	int dmabuf, ro;
	void *map;

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, fstat(dmabuf, &before));
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dmabuf, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, close(dmabuf));

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, fstat(dmabuf, &after));
	EXPECT_EQ(before.st_dev, after.st_dev);
	EXPECT_EQ(before.st_ino, after.st_ino);
	ro = export_buffer(self->fd, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_FALSE(same_inode(dmabuf, ro));
	close(ro);
	munmap(map, self->size);
	close(dmabuf);
}

/*
 * Once every fd and mapping of a dma-buf is gone, a new export makes one
 * that works: it shows the data written through the old one and shares
 * the buffer with the buffer fd's mapping.
 */
TEST_F(export, export_after_last_close)
{
	void *mine, *theirs;
	int dmabuf;

	mine = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, mine);
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	theirs = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      dmabuf, 0);
	ASSERT_NE(MAP_FAILED, theirs);
	fill_synced(_metadata, dmabuf, theirs, self->size, PATTERN_SEED);
	ASSERT_EQ(0, munmap(theirs, self->size));
	ASSERT_EQ(0, close(dmabuf));

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf) {
		TH_LOG("EXPORT after the last close: %s", strerror(errno));
	}
	theirs = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      dmabuf, 0);
	ASSERT_NE(MAP_FAILED, theirs);
	check_synced(_metadata, dmabuf, theirs, self->size, PATTERN_SEED);
	check_round_trip(_metadata, dmabuf, mine, theirs, self->size);
	munmap(theirs, self->size);
	munmap(mine, self->size);
	close(dmabuf);
}

/*
 * vgem imports the dma-buf (attaching and mapping it for its device);
 * the dma-buf vgem hands back for the handle is this one, a mapping of it
 * is the buffer fd's memory, and the syncs of a round trip succeed with
 * the attachment mapped and after the handle is closed.
 */
TEST_F(export, vgem_import_round_trip)
{
	void *mine;
	int vgem, dmabuf;

	vgem = open_vgem();
	if (vgem < 0)
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM)");
	if (!debugfs_readable())
		SKIP(return, "no " DMABUF_BUFINFO " (debugfs not mounted?)");
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	mine = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, mine);

	check_vgem_round_trip(_metadata, vgem, dmabuf, mine, self->size);
	munmap(mine, self->size);
	close(dmabuf);
	close(vgem);
}

/*
 * Two vgem files import the dma-buf: two attachments, both mapped, as
 * bufinfo shows. The memory is the same and syncs succeed with both, and
 * closing one handle detaches only that one and leaves the other working.
 */
TEST_F(export, vgem_two_importers)
{
	void *mine, *theirs;
	int vgem[2], dmabuf, back;
	__u32 handle[2] = {};

	vgem[0] = open_vgem();
	if (vgem[0] < 0)
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM)");
	if (!debugfs_readable())
		SKIP(return, "no " DMABUF_BUFINFO " (debugfs not mounted?)");
	vgem[1] = open_vgem();
	ASSERT_LE(0, vgem[1]);
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, vgem_import(vgem[0], dmabuf, &handle[0]));
	ASSERT_EQ(0, vgem_import(vgem[1], dmabuf, &handle[1]));
	EXPECT_EQ(2, attachments(dmabuf));

	mine = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, mine);
	back = vgem_dmabuf(vgem[1], handle[1]);
	ASSERT_LE(0, back);
	theirs = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      back, 0);
	ASSERT_NE(MAP_FAILED, theirs);
	check_round_trip(_metadata, back, mine, theirs, self->size);

	EXPECT_EQ(0, vgem_close_errno(vgem[0], handle[0]));
	EXPECT_EQ(1, attachments(dmabuf));
	check_round_trip(_metadata, back, mine, theirs, self->size);
	EXPECT_EQ(0, vgem_close_errno(vgem[1], handle[1]));
	EXPECT_EQ(0, attachments(dmabuf));

	munmap(theirs, self->size);
	munmap(mine, self->size);
	close(back);
	close(dmabuf);
	close(vgem[1]);
	close(vgem[0]);
}

/*
 * With vgem's attachment mapped (bufinfo shows it), DMA_BUF_IOCTL_SYNC
 * succeeds in each direction, starting and ending, on our dma-buf fd and
 * on the one vgem hands back, and data written between the syncs through
 * one side's mapping reads back through the other's, both ways. That the
 * syncs reach the importer's mapping is for KUnit to see.
 */
TEST_F(export, vgem_mapped_sync_every_direction)
{
	/* the writer's direction, then the reader's */
	const __u64 dirs[][2] = {
		{ DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_READ },
		{ DMA_BUF_SYNC_RW, DMA_BUF_SYNC_RW },
		{ DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW },
		{ DMA_BUF_SYNC_RW, DMA_BUF_SYNC_READ },
	};
	int vgem, dmabuf, back, fds[2];
	void *maps[2];
	__u32 handle = 0;
	unsigned int i, w;

	vgem = open_vgem();
	if (vgem < 0)
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM)");
	if (!debugfs_readable())
		SKIP(return, "no " DMABUF_BUFINFO " (debugfs not mounted?)");
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, vgem_import(vgem, dmabuf, &handle));
	ASSERT_EQ(1, attachments(dmabuf));
	back = vgem_dmabuf(vgem, handle);
	ASSERT_LE(0, back);

	/* ours: the buffer fd's mapping; the importer's: its dma-buf's */
	fds[0] = dmabuf;
	fds[1] = back;
	maps[0] = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);
	ASSERT_NE(MAP_FAILED, maps[0]);
	maps[1] = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       back, 0);
	ASSERT_NE(MAP_FAILED, maps[1]);

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		for (w = 0; w < 2; w++) {
			const __u32 seed = PATTERN_SEED + 2 * i + w;
			const unsigned int r = !w;

			dmabuf_sync(_metadata, fds[w], DMA_BUF_SYNC_START | dirs[i][0]);
			fill_pattern(maps[w], 0, self->size, seed);
			dmabuf_sync(_metadata, fds[w], DMA_BUF_SYNC_END | dirs[i][0]);
			dmabuf_sync(_metadata, fds[r], DMA_BUF_SYNC_START | dirs[i][1]);
			EXPECT_EQ(-1, pattern_mismatch(maps[r], 0, self->size,
						       seed)) {
				TH_LOG("flags %#llx then %#llx, %s to %s",
				       (unsigned long long)dirs[i][0],
				       (unsigned long long)dirs[i][1],
				       w ? "vgem" : "us", w ? "us" : "vgem");
			}
			dmabuf_sync(_metadata, fds[r], DMA_BUF_SYNC_END | dirs[i][1]);
		}
	}
	EXPECT_EQ(1, attachments(dmabuf));

	EXPECT_EQ(0, vgem_close_errno(vgem, handle));
	munmap(maps[1], self->size);
	munmap(maps[0], self->size);
	close(back);
	close(dmabuf);
	close(vgem);
}

/*
 * Exports in one mode are one dma-buf to an importer too: vgem gives them
 * all one handle, which one close releases. With every fd closed, vgem's
 * import alone holds the dma-buf, and a new export is it again.
 */
TEST_F(export, vgem_one_handle_for_exports)
{
	__u32 handles[NR_IMPORTS] = {}, handle = 0;
	int vgem, fds[NR_IMPORTS], dmabuf, back;
	unsigned int i;

	vgem = open_vgem();
	if (vgem < 0)
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM)");
	for (i = 0; i < NR_IMPORTS; i++) {
		fds[i] = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, vgem_import(vgem, fds[i], &handles[i]));
		EXPECT_EQ(handles[0], handles[i]) {
			TH_LOG("export %u", i);
		}
	}
	for (i = 0; i < NR_IMPORTS; i++)
		close(fds[i]);

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	back = vgem_dmabuf(vgem, handles[0]);
	ASSERT_LE(0, back) {
		TH_LOG("PRIME_HANDLE_TO_FD: %s", strerror(errno));
	}
	EXPECT_TRUE(same_inode(dmabuf, back));
	ASSERT_EQ(0, vgem_import(vgem, dmabuf, &handle));
	EXPECT_EQ(handles[0], handle);

	EXPECT_EQ(0, vgem_close_errno(vgem, handle));
	EXPECT_EQ(EINVAL, vgem_close_errno(vgem, handle));
	close(back);
	close(dmabuf);
	close(vgem);
}

/*
 * vgem imports a dma-buf whose buffer fd is already closed, and its
 * import alone then holds the buffer: with every other fd and mapping
 * gone, the dma-buf vgem hands back shows the data and takes writes.
 */
TEST_F(export, vgem_import_after_buffer_close)
{
	int vgem, dmabuf, back;
	__u32 handle = 0;
	void *map;

	vgem = open_vgem();
	if (vgem < 0)
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM)");
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, 0, self->size, PATTERN_SEED);
	ASSERT_EQ(0, munmap(map, self->size));
	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	ASSERT_EQ(0, vgem_import(vgem, dmabuf, &handle));
	ASSERT_EQ(0, close(dmabuf));

	back = vgem_dmabuf(vgem, handle);
	ASSERT_LE(0, back) {
		TH_LOG("PRIME_HANDLE_TO_FD: %s", strerror(errno));
	}
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   back, 0);
	ASSERT_NE(MAP_FAILED, map);
	check_synced(_metadata, back, map, self->size, PATTERN_SEED);
	fill_synced(_metadata, back, map, self->size, ~PATTERN_SEED);
	check_synced(_metadata, back, map, self->size, ~PATTERN_SEED);

	EXPECT_EQ(0, vgem_close_errno(vgem, handle));
	munmap(map, self->size);
	close(back);
	close(vgem);
}

/* A dma-buf holds a module reference, dropped when it is released. */
TEST_F(export, dmabuf_holds_module_ref)
{
	long with, without;
	int dmabuf;

	if (access(GDMABUF_SYSFS "/refcnt", F_OK))
		SKIP(return, "gdmabuf is built in");

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	/* Leave the dma-buf alone holding the buffer. */
	close(self->fd);
	self->fd = -1;
	with = read_refcnt();
	ASSERT_LE(1, with);
	close(dmabuf);
	without = read_refcnt();
	EXPECT_EQ(with - 1, without);
}

/* The module cannot be unloaded while only a dma-buf of a buffer remains. */
TEST_F(export, unload_refused_with_dmabuf)
{
	int dmabuf, ret;

	if (access(GDMABUF_SYSFS "/refcnt", F_OK))
		SKIP(return, "gdmabuf is built in");
	if (module_has_holders())
		SKIP(return, "another module depends on gdmabuf");

	dmabuf = export_buffer(self->fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	/* Leave the dma-buf alone holding the module. */
	close(self->fd);
	self->fd = -1;
	close(self->ctl);
	self->ctl = -1;

	ret = syscall(__NR_delete_module, "gdmabuf", O_NONBLOCK);
	if (ret && errno == EPERM)
		SKIP(return, "module unloading not permitted");
	ASSERT_EQ(-1, ret) {
		TH_LOG("gdmabuf was unloaded with a dma-buf open");
	}
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	close(dmabuf);
}

/*
 * A buffer whose only holder is vgem's import of its dma-buf: allocate,
 * export, import, then close the dma-buf, buffer and control fds. The
 * buffer's id into @id, the dma-buf's inode into @ino, vgem's handle into
 * @handle.
 */
static void hold_by_vgem_only(struct __test_metadata *_metadata,
			      __u32 mem_type, __u32 layout, size_t size,
			      int vgem, __u64 *id,
			      unsigned long *ino, __u32 *handle)
{
	int ctl, fd, dmabuf;

	ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	fd = alloc_buffer(ctl, size, mem_type, layout, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	*id = buffer_id(fd);
	ASSERT_NE(0, *id);
	dmabuf = export_buffer(fd, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dmabuf);
	*ino = fd_ino(dmabuf);
	ASSERT_EQ(0, vgem_import(vgem, dmabuf, handle));
	ASSERT_EQ(0, close(dmabuf));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, close(ctl));
}

/*
 * The module cannot be unloaded while only an importer holds a buffer:
 * vgem's GEM object, with every gdmabuf fd closed. Once vgem lets go, by
 * closing the handle and then, for a second buffer, by closing its fd,
 * the dma-buf and the buffer are freed and the module reference is
 * dropped.
 */
TEST_F(export, unload_refused_with_vgem_import)
{
	struct bufinfo bi = {};
	unsigned long ino;
	unsigned int round;
	__u32 handle = 0;
	long with;
	int vgem, ret;
	__u64 id;

	if (access(GDMABUF_SYSFS "/refcnt", F_OK))
		SKIP(return, "gdmabuf is built in");
	if (module_has_holders())
		SKIP(return, "another module depends on gdmabuf");
	if (!debugfs_readable())
		SKIP(return, "no " DMABUF_BUFINFO " (debugfs not mounted?)");
	vgem = open_vgem();
	if (vgem < 0)
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM)");
	close(self->fd);
	self->fd = -1;
	close(self->ctl);
	self->ctl = -1;

	for (round = 0; round < 2; round++) {
		const bool close_vgem_fd = round;

		hold_by_vgem_only(_metadata, variant->mem_type, variant->layout,
				  self->size, vgem, &id, &ino, &handle);
		with = read_refcnt();
		ASSERT_LE(1, with);
		ASSERT_EQ(1, bufinfo_scan(ino, "gdmabuf", &bi));
		EXPECT_EQ(1, bi.attached);
		EXPECT_LE(1, bi.count);
		EXPECT_EQ(1, debugfs_lists(id));

		ret = syscall(__NR_delete_module, "gdmabuf", O_NONBLOCK);
		if (ret && errno == EPERM)
			SKIP(return, "module unloading not permitted");
		ASSERT_EQ(-1, ret) {
			TH_LOG("gdmabuf was unloaded with a buffer imported");
		}
		EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) {
			TH_LOG("delete_module: %s", strerror(errno));
		}

		if (close_vgem_fd) {
			EXPECT_EQ(0, close(vgem));
			vgem = -1;
		} else {
			EXPECT_EQ(0, vgem_close_errno(vgem, handle));
		}
		EXPECT_EQ(with - 1, read_refcnt()) {
			TH_LOG("round %u", round);
		}
		EXPECT_EQ(0, bufinfo_scan(ino, NULL, NULL));
		EXPECT_EQ(0, debugfs_lists(id)) {
			TH_LOG("round %u: buffer %llu outlives vgem's import",
			       round, (unsigned long long)id);
		}
	}
}

/*
 * For comparison, the same checks with a dma-buf of the system DMA-BUF
 * heap imported into vgem.
 */
TEST(system_heap_vgem_round_trip)
{
	const size_t size = BUF_PAGES * page_size();
	struct dma_heap_allocation_data alloc = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap, vgem, dmabuf;
	void *mine;

	heap = open(SYSTEM_HEAP, O_RDWR | O_CLOEXEC);
	if (heap < 0 && errno == ENOENT)
		SKIP(return, SYSTEM_HEAP " not present (CONFIG_DMABUF_HEAPS_SYSTEM)");
	ASSERT_LE(0, heap);
	vgem = open_vgem();
	if (vgem < 0) {
		close(heap);
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM)");
	}
	if (!debugfs_readable()) {
		close(heap);
		close(vgem);
		SKIP(return, "no " DMABUF_BUFINFO " (debugfs not mounted?)");
	}
	ASSERT_EQ(0, ioctl_errno(heap, DMA_HEAP_IOCTL_ALLOC, &alloc));
	close(heap);
	dmabuf = alloc.fd;
	mine = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, mine);

	check_vgem_round_trip(_metadata, vgem, dmabuf, mine, size);
	munmap(mine, size);
	close(dmabuf);
	close(vgem);
}

TEST_HARNESS_MAIN
