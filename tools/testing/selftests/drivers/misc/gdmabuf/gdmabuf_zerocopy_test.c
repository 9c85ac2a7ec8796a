// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of zero-copy I/O from gdmabuf mappings: O_DIRECT on a block device,
 * io_uring with plain and registered (fixed) buffers, vmsplice() and
 * process_vm_readv()/process_vm_writev() take the pages of a cached
 * buffer's mapping; the pins they hold keep the memory until they drop it,
 * whatever is closed first; coherent and write-combine memory refuses them
 * with EFAULT.
 *
 * Run as root with the gdmabuf module loaded and a loop driver; every test
 * skips when the device is absent.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* vmsplice(), process_vm_readv(); lib.mk defines it */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/gdmabuf.h>
#include <linux/io_uring.h>

#include "../../../kselftest_harness.h"
#include "gdmabuf_util.h"

#define SEED		0x2e20c0deU
#define SEED_OTHER	0x0dd5eedU
/* Bytes of a buffer that one vmsplice() puts in the pipe. */
#define PIPE_SPAN	(1024 * 1024UL)
/* A lingering CMA buffer is freed within this after its last user. */
#define LINGER_MS	2000
/* The share of a scatter-gather buffer mapped with PMDs, in percent. */
#define SG_PMD_PERCENT	75
/* One bio, issued within io_uring_enter() (see io_uring_release_in_flight). */
#define IN_FLIGHT_SPAN	(64UL << 10)

/* A minimal io_uring: one submission at a time, waited for. */
struct ring {
	int fd;
	void *sq_map, *cq_map;
	size_t sq_map_len, cq_map_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

static void ring_close(struct ring *r)
{
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map)
		munmap(r->sq_map, r->sq_map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* A ring of 8 entries in @r: 0, or -1 with errno. */
static int ring_open(struct ring *r)
{
	struct io_uring_params p = {};
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = syscall(__NR_io_uring_setup, 8, &p);
	if (r->fd < 0)
		return -1;
	r->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(__u32);
	r->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_map_len > r->sq_map_len)
			r->sq_map_len = r->cq_map_len;
		r->cq_map_len = r->sq_map_len;
	}
	r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED) {
		r->sq_map = NULL;
		goto fail;
	}
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_map = r->sq_map;
	} else {
		r->cq_map = mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, r->fd,
				 IORING_OFF_CQ_RING);
		if (r->cq_map == MAP_FAILED) {
			r->cq_map = NULL;
			goto fail;
		}
	}
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED) {
		r->sqes = NULL;
		goto fail;
	}
	r->sq_tail = (unsigned int *)((char *)r->sq_map + p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq_map + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq_map + p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq_map + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq_map + p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq_map + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_map + p.cq_off.cqes);
	return 0;
fail:
	err = errno;
	ring_close(r);
	errno = err;
	return -1;
}

/* Queue @op of @len bytes at @buf, disk offset @off: 0, or -errno. */
static int ring_submit(struct ring *r, __u8 op, int fd, void *buf, size_t len,
		       __u64 off, __u16 buf_index)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	sqe->buf_index = buf_index;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) != 1)
		return -errno;
	return 0;
}

/* The result of the next completion, or -errno of waiting for it. */
static int ring_wait(struct ring *r)
{
	unsigned int head = *r->cq_head;
	int res;

	while (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		if (syscall(__NR_io_uring_enter, r->fd, 0, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR)
			return -errno;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* Submit and wait: the operation's result. */
static int ring_io(struct ring *r, __u8 op, int fd, void *buf, size_t len,
		   __u64 off, __u16 buf_index)
{
	int ret = ring_submit(r, op, fd, buf, len, off, buf_index);

	return ret ? ret : ring_wait(r);
}

/* Register @nr buffers: 0 or the errno. */
static int ring_register(struct ring *r, const struct iovec *iov,
			 unsigned int nr)
{
	return syscall(__NR_io_uring_register, r->fd,
		       IORING_REGISTER_BUFFERS, iov, nr) ? errno : 0;
}

static int ring_unregister(struct ring *r)
{
	return syscall(__NR_io_uring_register, r->fd,
		       IORING_UNREGISTER_BUFFERS, NULL, 0) ? errno : 0;
}

/* The buffer's id from INFO, or 0. */
static __u64 buffer_id(int fd)
{
	struct gdmabuf_info info;

	return get_info(fd, &info) ? 0 : info.id;
}

/*
 * What debugfs shows of buffer @id: 0 gone, 1 listed as live, 2 listed as
 * lingering (its CMA memory still in use), -1 no list.
 */
static int buffer_state(__u64 id)
{
	char line[512];
	int found = debugfs_buffer_line(id, line, sizeof(line));

	if (found <= 0)
		return found;
	return strstr(line, " lingering") ? 2 : 1;
}

/* Wait up to LINGER_MS for buffer @id to leave debugfs; its last state. */
static int wait_buffer_gone(__u64 id)
{
	struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };
	int state, waited;

	for (waited = 0; waited < LINGER_MS; waited += 50) {
		state = buffer_state(id);
		if (state <= 0)
			return state;
		nanosleep(&tick, NULL);
	}
	return buffer_state(id);
}

/* Of the mapping at @addr, the bytes /proc/self/smaps counts as @key. */
static long smaps_bytes(const void *addr, const char *key)
{
	size_t klen = strlen(key);
	unsigned long start, end;
	bool inside = false;
	char line[512];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (kb < 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			inside = start == (uintptr_t)addr;
		else if (inside && !strncmp(line, key, klen) &&
			 line[klen] == ':')
			kb = strtol(line + klen + 1, NULL, 10);
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* Anonymous memory of @len bytes, page-aligned for O_DIRECT, or NULL. */
static void *anon_map(size_t len)
{
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return map == MAP_FAILED ? NULL : map;
}

/* All @len bytes at @buf to @fd at @off, O_DIRECT: 0 or the errno. */
static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t done = pwrite(fd, buf, len, off);

	if (done < 0)
		return errno;
	return (size_t)done == len ? 0 : EIO;
}

static int read_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t done = pread(fd, buf, len, off);

	if (done < 0)
		return errno;
	return (size_t)done == len ? 0 : EIO;
}

/* Read exactly @len bytes from the pipe @fd: 0 or the errno. */
static int pipe_read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return n ? errno : EIO;
		got += n;
	}
	return 0;
}

/* vmsplice() all @len bytes at @map into @pipe_fd: 0 or the errno. */
static int vmsplice_all(int pipe_fd, void *map, size_t len)
{
	struct iovec iov = { .iov_base = map, .iov_len = len };
	ssize_t n;

	while (iov.iov_len) {
		n = vmsplice(pipe_fd, &iov, 1, 0);
		if (n <= 0)
			return n ? errno : EIO;
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= n;
	}
	return 0;
}

/* A pipe that holds PIPE_SPAN bytes: 0 or the errno. */
static int big_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC))
		return errno;
	if (fcntl(fds[1], F_SETPIPE_SZ, PIPE_SPAN) < (int)PIPE_SPAN) {
		close(fds[0]);
		close(fds[1]);
		return errno ? errno : ENOSPC;
	}
	return 0;
}

/* A new buffer of the fixture's kind mapped read-write into @map. */
static int map_buffer(int ctl, size_t size, __u32 mem_type, __u32 layout,
		      void **map)
{
	int fd = alloc_buffer(ctl, size, mem_type, layout, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(zerocopy) {
	int ctl;
	int fd;
	void *map;
	struct loop_dev loop;
};

FIXTURE_VARIANT(zerocopy) {
	__u32 layout;
	size_t size;
	/* CMA memory: GUP refuses writable long-term pins (EFAULT) */
	bool cma;
};

FIXTURE_VARIANT_ADD(zerocopy, cached_scatter_gather) {
	.layout = GDMABUF_LAYOUT_SCATTER_GATHER,
	.size = 8UL << 20,
};

/* From the page allocator: at most MAX_PAGE_ORDER. */
FIXTURE_VARIANT_ADD(zerocopy, cached_contiguous) {
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.size = 2UL << 20,
};

FIXTURE_VARIANT_ADD(zerocopy, cached_contiguous_cma) {
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.size = 8UL << 20,
	.cma = true,
};

FIXTURE_SETUP(zerocopy)
{
	self->fd = -1;
	self->map = MAP_FAILED;
	loop_dev_init(&self->loop);
	self->ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->ctl < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->ctl);
	if (loop_dev_open(&self->loop, variant->size) && errno == ENOENT)
		SKIP(return, "no loop driver for a block device");
	ASSERT_LE(0, self->loop.fd) {
		TH_LOG("loop device: %s", strerror(errno));
	}
	self->fd = map_buffer(self->ctl, variant->size, GDMABUF_MEM_CACHED,
			      variant->layout, &self->map);
	ASSERT_LE(0, self->fd) {
		TH_LOG("ALLOC and mmap of %zu bytes: %s", variant->size,
		       strerror(errno));
	}
	fill_pattern(self->map, 0, variant->size, SEED);
}

FIXTURE_TEARDOWN(zerocopy)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, variant->size);
	if (self->fd >= 0)
		close(self->fd);
	loop_dev_close(&self->loop);
	if (self->ctl >= 0)
		close(self->ctl);
}

/*
 * O_DIRECT writes the buffer to the disk from its mapping and reads it
 * back into a second buffer's: the block layer pins the pages of both.
 */
TEST_F(zerocopy, odirect_round_trip)
{
	void *map2;
	int fd2;

	ASSERT_EQ(0, write_all(self->loop.fd, self->map, variant->size, 0));
	fd2 = map_buffer(self->ctl, variant->size, GDMABUF_MEM_CACHED,
			 variant->layout, &map2);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, read_all(self->loop.fd, map2, variant->size, 0));
	EXPECT_EQ(-1, pattern_mismatch(map2, 0, variant->size, SEED));
	munmap(map2, variant->size);
	close(fd2);
}

/* O_DIRECT at an offset into the mapping, one page across a block end. */
TEST_F(zerocopy, odirect_partial_span)
{
	const size_t page = page_size(), off = variant->size / 2 - page;
	__u8 *disk;

	ASSERT_EQ(0, write_all(self->loop.fd, (__u8 *)self->map + off,
			       2 * page, 0));
	disk = anon_map(2 * page);
	ASSERT_NE(NULL, disk);
	EXPECT_EQ(0, read_all(self->loop.fd, disk, 2 * page, 0));
	EXPECT_EQ(-1, pattern_mismatch(disk, off, 2 * page, SEED));
	munmap(disk, 2 * page);
}

/*
 * The PMD entries of a scatter-gather mapping stay through O_DIRECT in
 * both directions: GUP takes the pages from them without splitting.
 * Contiguous memory is mapped with 4 KiB entries (its pages are not
 * 2 MiB folios) and shows none.
 */
TEST_F(zerocopy, odirect_keeps_pmd_mappings)
{
	bool pmds = page_size() == 4096 &&
		    !access("/sys/kernel/mm/transparent_hugepage", F_OK) &&
		    variant->layout == GDMABUF_LAYOUT_SCATTER_GATHER;
	long most = pmds ? (long)variant->size : 0;
	long least = most / 100 * SG_PMD_PERCENT;
	long before, after;

	before = smaps_bytes(self->map, "FilePmdMapped");
	ASSERT_LE(0, before);
	EXPECT_LE(least, before);
	EXPECT_GE(most, before);
	ASSERT_EQ(0, write_all(self->loop.fd, self->map, variant->size, 0));
	ASSERT_EQ(0, read_all(self->loop.fd, self->map, variant->size, 0));
	after = smaps_bytes(self->map, "FilePmdMapped");
	EXPECT_EQ(before, after);
	EXPECT_EQ(-1, pattern_mismatch(self->map, 0, variant->size, SEED));
}

/*
 * io_uring with the buffers registered: a write from one buffer and a
 * read into another, both fixed. Registering pins the pages long-term,
 * which GUP refuses for CMA memory with EFAULT (it could not migrate
 * them); plain io_uring reads and writes still work there.
 */
TEST_F(zerocopy, io_uring_fixed_round_trip)
{
	struct iovec iov[2];
	struct ring ring;
	void *map2;
	int fd2;

	ASSERT_EQ(0, ring_open(&ring));
	fd2 = map_buffer(self->ctl, variant->size, GDMABUF_MEM_CACHED,
			 variant->layout, &map2);
	ASSERT_LE(0, fd2);
	iov[0] = (struct iovec){ self->map, variant->size };
	iov[1] = (struct iovec){ map2, variant->size };
	if (variant->cma) {
		EXPECT_EQ(EFAULT, ring_register(&ring, iov, 2));
		EXPECT_EQ((int)variant->size,
			  ring_io(&ring, IORING_OP_WRITE, self->loop.fd,
				  self->map, variant->size, 0, 0));
		EXPECT_EQ((int)variant->size,
			  ring_io(&ring, IORING_OP_READ, self->loop.fd, map2,
				  variant->size, 0, 0));
	} else {
		ASSERT_EQ(0, ring_register(&ring, iov, 2));
		EXPECT_EQ((int)variant->size,
			  ring_io(&ring, IORING_OP_WRITE_FIXED, self->loop.fd,
				  self->map, variant->size, 0, 0));
		EXPECT_EQ((int)variant->size,
			  ring_io(&ring, IORING_OP_READ_FIXED, self->loop.fd,
				  map2, variant->size, 0, 1));
		EXPECT_EQ(0, ring_unregister(&ring));
	}
	EXPECT_EQ(-1, pattern_mismatch(map2, 0, variant->size, SEED));
	ring_close(&ring);
	munmap(map2, variant->size);
	close(fd2);
}

/*
 * vmsplice() puts references to the buffer's pages in the pipe, not a
 * copy: what the mapping holds when the pipe is read is what comes out.
 */
TEST_F(zerocopy, vmsplice_references_pages)
{
	size_t span = variant->size < PIPE_SPAN ? variant->size : PIPE_SPAN;
	int pipe_fds[2];
	__u8 *out;

	ASSERT_EQ(0, big_pipe(pipe_fds));
	out = anon_map(span);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, vmsplice_all(pipe_fds[1], self->map, span));
	fill_pattern(self->map, 0, span, SEED_OTHER);
	EXPECT_EQ(0, pipe_read_all(pipe_fds[0], out, span));
	EXPECT_EQ(-1, pattern_mismatch(out, 0, span, SEED_OTHER));
	munmap(out, span);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

/* process_vm_readv() and process_vm_writev() take the mapping's pages. */
TEST_F(zerocopy, process_vm_read_write)
{
	struct iovec local, remote = { self->map, variant->size };
	pid_t self_pid = getpid();
	__u8 *copy;

	copy = anon_map(variant->size);
	ASSERT_NE(NULL, copy);
	local = (struct iovec){ copy, variant->size };
	EXPECT_EQ((ssize_t)variant->size,
		  process_vm_readv(self_pid, &local, 1, &remote, 1, 0));
	EXPECT_EQ(-1, pattern_mismatch(copy, 0, variant->size, SEED));
	fill_pattern(copy, 0, variant->size, SEED_OTHER);
	EXPECT_EQ((ssize_t)variant->size,
		  process_vm_writev(self_pid, &local, 1, &remote, 1, 0));
	EXPECT_EQ(-1, pattern_mismatch(self->map, 0, variant->size,
				       SEED_OTHER));
	munmap(copy, variant->size);
}

enum zc_holder { HOLD_FD, HOLD_MAP, HOLD_PIPE, NR_HOLDERS };

static const enum zc_holder close_orders[][NR_HOLDERS] = {
	{ HOLD_FD, HOLD_MAP, HOLD_PIPE },
	{ HOLD_FD, HOLD_PIPE, HOLD_MAP },
	{ HOLD_MAP, HOLD_FD, HOLD_PIPE },
	{ HOLD_MAP, HOLD_PIPE, HOLD_FD },
	{ HOLD_PIPE, HOLD_FD, HOLD_MAP },
	{ HOLD_PIPE, HOLD_MAP, HOLD_FD },
};

/*
 * A pipe holding the buffer's pages outlives the buffer, in every order
 * of closing the fd, unmapping and reading the pipe: the data stays
 * right though new buffers are allocated and written meanwhile (freed
 * pages would be theirs). CMA memory, which the driver frees itself,
 * lingers in debugfs while the pipe holds it and goes once it is read;
 * other memory is freed by its last reference, and the buffer leaves
 * debugfs at once.
 */
TEST_F(zerocopy, pipe_outlives_buffer)
{
	size_t span = variant->size < PIPE_SPAN ? variant->size : PIPE_SPAN;
	unsigned int order, step;
	__u8 *out;

	out = anon_map(span);
	ASSERT_NE(NULL, out);
	for (order = 0; order < ARRAY_SIZE(close_orders); order++) {
		bool fd_open = true, mapped = true;
		void *map, *scrub_map = MAP_FAILED;
		int fd, scrub = -1, pipe_fds[2];
		__u64 id;

		fd = map_buffer(self->ctl, variant->size, GDMABUF_MEM_CACHED,
				variant->layout, &map);
		ASSERT_LE(0, fd);
		id = buffer_id(fd);
		ASSERT_NE((__u64)0, id);
		fill_pattern(map, 0, span, SEED + order);
		ASSERT_EQ(0, big_pipe(pipe_fds));
		ASSERT_EQ(0, vmsplice_all(pipe_fds[1], map, span));
		for (step = 0; step < NR_HOLDERS; step++) {
			switch (close_orders[order][step]) {
			case HOLD_FD:
				close(fd);
				fd_open = false;
				break;
			case HOLD_MAP:
				munmap(map, variant->size);
				mapped = false;
				break;
			case HOLD_PIPE:
				if (!fd_open && !mapped) {
					EXPECT_EQ(variant->cma ? 2 : 0,
						  buffer_state(id)) {
						TH_LOG("order %u", order);
					}
					scrub = map_buffer(self->ctl, variant->size,
							   GDMABUF_MEM_CACHED,
							   variant->layout,
							   &scrub_map);
					ASSERT_LE(0, scrub);
					memset(scrub_map, 0xff, variant->size);
				}
				EXPECT_EQ(0, pipe_read_all(pipe_fds[0], out, span));
				EXPECT_EQ(-1, pattern_mismatch(out, 0, span,
							       SEED + order)) {
					TH_LOG("order %u", order);
				}
				close(pipe_fds[0]);
				close(pipe_fds[1]);
				break;
			default:
				break;
			}
		}
		EXPECT_EQ(0, wait_buffer_gone(id)) {
			TH_LOG("order %u: buffer %llu still listed", order,
			       (unsigned long long)id);
		}
		if (scrub >= 0) {
			munmap(scrub_map, variant->size);
			close(scrub);
		}
	}
	munmap(out, span);
}

/*
 * Whether the next completion of @r has not arrived yet: the request is
 * still in flight.
 */
static bool ring_pending(struct ring *r)
{
	return *r->cq_head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
}

/*
 * Closing the buffer while io_uring writes from it or reads into it: the
 * request keeps the pages until it completes, the write puts the right
 * data on the disk, and the buffer is freed after. The request is small
 * enough to be issued, and its pages pinned, within io_uring_enter(); the
 * loop device completes it later from its worker. CMA memory lingers
 * while the request is still in flight.
 */
TEST_F(zerocopy, io_uring_release_in_flight)
{
	bool write;

	for (write = true; ; write = false) {
		__u8 op = write ? IORING_OP_WRITE : IORING_OP_READ;
		void *map, *scrub_map;
		int fd, scrub, state;
		struct ring ring;
		__u8 *disk;
		__u64 id;

		fd = map_buffer(self->ctl, variant->size, GDMABUF_MEM_CACHED,
				variant->layout, &map);
		ASSERT_LE(0, fd);
		id = buffer_id(fd);
		ASSERT_NE((__u64)0, id);
		fill_pattern(map, 0, IN_FLIGHT_SPAN, SEED + write);
		ASSERT_EQ(0, ring_open(&ring));
		ASSERT_EQ(0, ring_submit(&ring, op, self->loop.fd, map,
					 IN_FLIGHT_SPAN, 0, 0));
		munmap(map, variant->size);
		close(fd);
		state = buffer_state(id);
		if (ring_pending(&ring))
			EXPECT_EQ(variant->cma ? 2 : 0, state);
		scrub = map_buffer(self->ctl, variant->size, GDMABUF_MEM_CACHED,
				   variant->layout, &scrub_map);
		ASSERT_LE(0, scrub);
		memset(scrub_map, 0xff, variant->size);
		EXPECT_EQ((int)IN_FLIGHT_SPAN, ring_wait(&ring));
		EXPECT_EQ(0, wait_buffer_gone(id));
		ring_close(&ring);
		munmap(scrub_map, variant->size);
		close(scrub);
		if (!write)
			break;

		disk = anon_map(IN_FLIGHT_SPAN);
		ASSERT_NE(NULL, disk);
		EXPECT_EQ(0, read_all(self->loop.fd, disk, IN_FLIGHT_SPAN, 0));
		EXPECT_EQ(-1, pattern_mismatch(disk, 0, IN_FLIGHT_SPAN,
					       SEED + write));
		munmap(disk, IN_FLIGHT_SPAN);
	}
}

/*
 * A registered buffer outlives the buffer's fd and mapping: its pages
 * stay pinned, and hold the data, until it is unregistered. CMA memory
 * cannot be registered (see io_uring_fixed_round_trip).
 */
TEST_F(zerocopy, io_uring_registered_outlives_buffer)
{
	struct iovec iov = { self->map, variant->size };
	void *scrub_map, *addr = self->map;
	__u64 id = buffer_id(self->fd);
	struct ring ring;
	__u8 *disk;
	int scrub;

	ASSERT_NE((__u64)0, id);
	ASSERT_EQ(0, ring_open(&ring));
	if (variant->cma) {
		EXPECT_EQ(EFAULT, ring_register(&ring, &iov, 1));
		ring_close(&ring);
		return;
	}
	ASSERT_EQ(0, ring_register(&ring, &iov, 1));
	munmap(self->map, variant->size);
	self->map = MAP_FAILED;
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, buffer_state(id));

	scrub = map_buffer(self->ctl, variant->size, GDMABUF_MEM_CACHED,
			   variant->layout, &scrub_map);
	ASSERT_LE(0, scrub);
	memset(scrub_map, 0xff, variant->size);
	EXPECT_EQ((int)variant->size,
		  ring_io(&ring, IORING_OP_WRITE_FIXED, self->loop.fd, addr,
			  variant->size, 0, 0));
	disk = anon_map(variant->size);
	ASSERT_NE(NULL, disk);
	EXPECT_EQ(0, read_all(self->loop.fd, disk, variant->size, 0));
	EXPECT_EQ(-1, pattern_mismatch(disk, 0, variant->size, SEED));
	EXPECT_EQ(0, ring_unregister(&ring));
	ring_close(&ring);
	munmap(disk, variant->size);
	munmap(scrub_map, variant->size);
	close(scrub);
}

/*
 * Coherent and write-combine memory is mapped by PFN (VM_PFNMAP), which
 * nothing can pin: every zero-copy path fails with EFAULT.
 */
FIXTURE(uncached) {
	int ctl;
	int fd;
	void *map;
	size_t size;
	struct loop_dev loop;
};

FIXTURE_VARIANT(uncached) {
	__u32 mem_type;
};

FIXTURE_VARIANT_ADD(uncached, coherent) {
	.mem_type = GDMABUF_MEM_COHERENT,
};

FIXTURE_VARIANT_ADD(uncached, write_combine) {
	.mem_type = GDMABUF_MEM_WRITE_COMBINE,
};

FIXTURE_SETUP(uncached)
{
	self->fd = -1;
	self->map = MAP_FAILED;
	self->size = 16 * page_size();
	loop_dev_init(&self->loop);
	self->ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->ctl < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->ctl);
	if (loop_dev_open(&self->loop, self->size) && errno == ENOENT)
		SKIP(return, "no loop driver for a block device");
	ASSERT_LE(0, self->loop.fd);
	self->fd = map_buffer(self->ctl, self->size, variant->mem_type,
			      GDMABUF_LAYOUT_CONTIGUOUS, &self->map);
	ASSERT_LE(0, self->fd);
	fill_pattern(self->map, 0, self->size, SEED);
}

FIXTURE_TEARDOWN(uncached)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	if (self->fd >= 0)
		close(self->fd);
	loop_dev_close(&self->loop);
	if (self->ctl >= 0)
		close(self->ctl);
}

TEST_F(uncached, odirect_efault)
{
	EXPECT_EQ(EFAULT, write_all(self->loop.fd, self->map, self->size, 0));
	EXPECT_EQ(EFAULT, read_all(self->loop.fd, self->map, self->size, 0));
	EXPECT_EQ(-1, pattern_mismatch(self->map, 0, self->size, SEED));
}

TEST_F(uncached, vmsplice_efault)
{
	struct iovec iov = { self->map, self->size };
	int pipe_fds[2];

	ASSERT_EQ(0, pipe2(pipe_fds, O_CLOEXEC));
	EXPECT_EQ(-1, vmsplice(pipe_fds[1], &iov, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

TEST_F(uncached, io_uring_register_efault)
{
	struct iovec iov = { self->map, self->size };
	struct ring ring;

	ASSERT_EQ(0, ring_open(&ring));
	EXPECT_EQ(EFAULT, ring_register(&ring, &iov, 1));
	EXPECT_EQ(-EFAULT, ring_io(&ring, IORING_OP_WRITE, self->loop.fd,
				   self->map, self->size, 0, 0));
	ring_close(&ring);
}

TEST_F(uncached, process_vm_readv_efault)
{
	struct iovec local, remote = { self->map, self->size };
	__u8 *copy = anon_map(self->size);

	ASSERT_NE(NULL, copy);
	local = (struct iovec){ copy, self->size };
	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	munmap(copy, self->size);
}

TEST_HARNESS_MAIN
