// SPDX-License-Identifier: GPL-2.0-only
/*
 * A seeded, time-bounded stress test of gdmabuf. Worker threads allocate
 * buffers, map, write, verify, unmap, mprotect and madvise parts of them,
 * fork, export dma-bufs, map and sync those, and close everything, in
 * random orders, and throw random ioctls (gdmabuf's and dma-buf's magic
 * only) at the control fd, buffer fds and dma-buf fds. Every call must
 * succeed or fail with an errno the uAPI documents for it, and every page
 * read must hold what was last written to it through any mapping.
 *
 * When all is closed, gdmabuf lists no buffer of this process and its
 * total is back, no fd, mapping or child is left and the free page count
 * is back where it started.
 *
 * Usage: gdmabuf_stress [-s SEED] [-t SECONDS] [-j THREADS] [-v]
 * Each thread's operations follow from the seed and its index alone: run
 * again with the printed seed and the same -j to replay a failure; -v
 * prints every operation.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* lib.mk defines it already */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/gdmabuf.h>

#include "../../../kselftest.h"
#include "gdmabuf_util.h"

#define DEBUGFS_BUFFERS	"/sys/kernel/debug/gdmabuf/buffers"

#define DEFAULT_SECONDS	20
#define DEFAULT_THREADS	4
#define MAX_THREADS	16
/* Objects one thread holds at once. */
#define MAX_BUFS	12
#define MAX_MAPS	24
#define MAX_DMABUFS	8
/* Largest buffer; pages are at least 4K. */
#define MAX_BUF_SIZE	(4UL << 20)
#define MAX_BUF_PAGES	(MAX_BUF_SIZE / 4096)
#define PMD_SIZE_2M	(2UL << 20)
/* Live buffer bytes of all threads together: ENOMEM stays rare. */
#define LIVE_LIMIT	(256UL << 20)
/* Pages a write or verify touches at most. */
#define MAX_RUN		256
/* Room for any segment list, and for any struct size _IOC_SIZE holds. */
#define MAX_SEGS	2048
#define ARG_SCRATCH	16384
/* Failures printed; more are only counted. */
#define MAX_REPORTS	20

/*
 * The pages the run may hold for good: free pages are counted with those
 * on per-cpu lists (/proc/zoneinfo) and in slab caches, which KASAN's
 * quarantine keeps growing for a while (about 2800 pages in a 10 s run
 * of the x86_64 debug guest). What is left is page tables and the like:
 * in that guest the difference stayed below 50 pages; 512 leaves room.
 * With KASAN_VMALLOC (arm64), the shadow of vfree()d segment tables stays
 * until lazily freed areas reach 32 MiB per fls(CPUs), so up to 2048 more
 * pages on two CPUs (1464 seen). Both are far less than the run's 256 MiB.
 */
#define FREE_PAGES_SLACK	(512 + 2048)

/* Page state in a mapping. */
#define PG_MAPPED	1	/* mapped, readable */
#define PG_WRITE	2	/* mapped writable */
#define PG_DONTFORK	4	/* madvise(MADV_DONTFORK) */

enum op {
	OP_ALLOC,
	OP_MMAP,
	OP_MMAP_BAD,
	OP_WRITE,
	OP_VERIFY,
	OP_MUNMAP,
	OP_MPROTECT,
	OP_MADVISE,
	OP_FORK,
	OP_EXPORT,
	OP_DMABUF_MMAP,
	OP_DMABUF_SYNC,
	OP_SYNC,
	OP_SEGMENTS,
	OP_INFO,
	OP_CLOSE_BUF,
	OP_CLOSE_DMABUF,
	OP_FUZZ_CTL,
	OP_FUZZ_BUF,
	OP_FUZZ_DMABUF,
	NR_OPS
};

static const struct {
	const char *name;
	unsigned int weight;
} ops[NR_OPS] = {
	[OP_ALLOC] = { "alloc", 6 },
	[OP_MMAP] = { "mmap", 8 },
	[OP_MMAP_BAD] = { "mmap_bad", 2 },
	[OP_WRITE] = { "write", 10 },
	[OP_VERIFY] = { "verify", 10 },
	[OP_MUNMAP] = { "munmap", 5 },
	[OP_MPROTECT] = { "mprotect", 3 },
	[OP_MADVISE] = { "madvise", 2 },
	[OP_FORK] = { "fork", 2 },
	[OP_EXPORT] = { "export", 4 },
	[OP_DMABUF_MMAP] = { "dmabuf_mmap", 4 },
	[OP_DMABUF_SYNC] = { "dmabuf_sync", 3 },
	[OP_SYNC] = { "sync", 6 },
	[OP_SEGMENTS] = { "segments", 3 },
	[OP_INFO] = { "info", 3 },
	[OP_CLOSE_BUF] = { "close_buf", 3 },
	[OP_CLOSE_DMABUF] = { "close_dmabuf", 3 },
	[OP_FUZZ_CTL] = { "fuzz_ctl", 3 },
	[OP_FUZZ_BUF] = { "fuzz_buf", 4 },
	[OP_FUZZ_DMABUF] = { "fuzz_dmabuf", 4 },
};

/* What an operation came to. */
enum result {
	RES_NA,		/* nothing to do it on: not counted */
	RES_OK,		/* as documented for what was asked */
	RES_ERR,		/* failed with an errno the docs allow (ENOMEM...) */
	RES_BAD,		/* a failure, reported */
};

struct sbuf {
	bool used;
	int fd;			/* -1 once closed */
	bool writable;		/* the fd is O_RDWR */
	__u32 mem_type;
	__u32 layout;
	__u64 id;		/* the kernel's */
	size_t size;
	unsigned int npages;
	unsigned int nsegs;
	int refs;		/* our mappings and dma-buf fds */
	/* per access mode: our fds and mappings of its dma-buf, its inode */
	int exp_refs[2];
	ino_t exp_ino[2];
	/* per page: 0 zeroed, else the generation of the pattern it holds */
	__u8 gen[MAX_BUF_PAGES];
};

struct smap {
	bool used;
	int buf;
	int src;		/* -1: the buffer fd, else a dma-buf's mode */
	bool may_write;		/* its fd allows PROT_WRITE */
	char *addr;
	unsigned int first;	/* buffer page at addr */
	unsigned int npages;
	unsigned int live;	/* pages still mapped */
	__u8 state[MAX_BUF_PAGES];
};

struct sdmabuf {
	bool used;
	int fd;
	int buf;
	int mode;		/* 1: O_RDWR, 0: O_RDONLY */
};

/* What a forked child found wrong, for its parent to report. */
struct mismatch {
	__u32 page;		/* buffer page */
	__u32 word;		/* byte offset in it */
	__u32 expected;
	__u32 got;
};

struct worker {
	pthread_t thread;
	int idx;
	__u64 rng;
	unsigned long nops;
	enum op op;
	bool failed;
	size_t live;		/* bytes of our buffers */
	size_t budget;
	unsigned long ok[NR_OPS];
	unsigned long err[NR_OPS];
	struct sbuf bufs[MAX_BUFS];
	struct smap maps[MAX_MAPS];
	struct sdmabuf dmabufs[MAX_DMABUFS];
	__u8 child_gen[MAX_BUF_PAGES];
	/* ioctl arguments end at arg_end, where a PROT_NONE page starts */
	__u8 *arg_end;
	/* segment lists, MAX_SEGS entries followed by a PROT_NONE page */
	struct gdmabuf_segment_desc *segs;
	void *none_page;
	void *ro_page;
	void *scratch;
	size_t scratch_len;
	void *stack;
	size_t stack_len;
};

static unsigned long long seed;
static unsigned int seconds = DEFAULT_SECONDS;
static unsigned int nthreads = DEFAULT_THREADS;
static bool verbose;
static size_t ps;
static int ctl = -1;
static struct timespec deadline;
static int nr_failures;
static int nr_reports;

static __u64 splitmix64(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number below @n from the thread's generator; 0 for @n 0. */
static __u64 rnd(struct worker *w, __u64 n)
{
	__u64 r = splitmix64(&w->rng);

	return n ? r % n : 0;
}

static bool past_deadline(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static __printf(2, 3) void report(struct worker *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	w->failed = true;
	__atomic_add_fetch(&nr_failures, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&nr_reports, 1, __ATOMIC_RELAXED) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksft_print_msg("FAIL thread %d op #%lu %s: %s (seed %llu, -j %u)\n",
		       w->idx, w->nops, ops[w->op].name, msg, seed, nthreads);
}

static __printf(2, 3) void trace(struct worker *w, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksft_print_msg("t%d #%lu %s %s\n", w->idx, w->nops, ops[w->op].name,
		       msg);
}

/* Whether @err is in the 0-terminated @list. */
static bool errno_in(int err, const int *list)
{
	for (; *list; list++)
		if (err == *list)
			return true;
	return false;
}

/* The pattern key of generation @gen of @b. */
static __u32 pattern_key(const struct sbuf *b, __u8 gen)
{
	return ((__u32)b->id * 0x9e3779b1U) ^ (gen * 0x85ebca6bU) ^ 0x5eedU;
}

/*
 * Whether buffer page @pg of @b, mapped at @at, holds what was last
 * written to it; if not, what is wrong in @m. Safe in a forked child.
 */
static bool page_ok(const struct sbuf *b, unsigned int pg, const void *at,
		    struct mismatch *m)
{
	const size_t off = (size_t)pg * ps;
	const __u32 *word = at;
	const __u8 gen = b->gen[pg];
	__u32 key = pattern_key(b, gen);
	ssize_t bad = -1;
	size_t i;

	if (gen) {
		bad = pattern_mismatch(at, off, ps, key);
	} else {
		for (i = 0; i < ps / sizeof(*word) && bad < 0; i++)
			if (word[i])
				bad = i * sizeof(*word);
	}
	if (bad < 0)
		return true;
	m->page = pg;
	m->word = bad;
	m->expected = gen ? (__u32)(off + bad) ^ key : 0;
	m->got = word[bad / sizeof(*word)];
	return false;
}

static void report_mismatch(struct worker *w, const struct sbuf *b,
			    const struct mismatch *m, const char *via)
{
	report(w,
	       "buffer %llu (slot %ld, %zu bytes, type %u, layout %u) offset %#zx via %s: expected %#x, got %#x (generation %u)",
	       (unsigned long long)b->id, (long)(b - w->bufs), b->size,
	       b->mem_type, b->layout, (size_t)m->page * ps + m->word, via,
	       m->expected, m->got, b->gen[m->page]);
}

/* Write the next generation of the pattern to buffer page @pg at @at. */
static void write_page(struct sbuf *b, unsigned int pg, void *at, __u8 gen)
{
	fill_pattern(at, (size_t)pg * ps, ps, pattern_key(b, gen));
}

static __u8 next_gen(__u8 gen)
{
	return gen == 255 ? 1 : gen + 1;
}

/* A random one of the @n slots whose @ok is set, or -1. */
static int pick(struct worker *w, const bool *ok, int n)
{
	int cand[MAX_MAPS], nr = 0, i;

	for (i = 0; i < n; i++)
		if (ok[i])
			cand[nr++] = i;
	return nr ? cand[rnd(w, nr)] : -1;
}

/* A buffer whose fd is open. */
static int pick_buf(struct worker *w)
{
	bool ok[MAX_BUFS];
	int i;

	for (i = 0; i < MAX_BUFS; i++)
		ok[i] = w->bufs[i].used && w->bufs[i].fd >= 0;
	return pick(w, ok, MAX_BUFS);
}

static int pick_map(struct worker *w)
{
	bool ok[MAX_MAPS];
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		ok[i] = w->maps[i].used;
	return pick(w, ok, MAX_MAPS);
}

static int pick_dmabuf(struct worker *w)
{
	bool ok[MAX_DMABUFS];
	int i;

	for (i = 0; i < MAX_DMABUFS; i++)
		ok[i] = w->dmabufs[i].used;
	return pick(w, ok, MAX_DMABUFS);
}

/* The first free slot of @arr, or -1. */
#define FREE_SLOT(arr, n) ({						\
	int __i, __f = -1;						\
	for (__i = 0; __i < (n) && __f < 0; __i++)			\
		if (!(arr)[__i].used)					\
			__f = __i;					\
	__f;								\
})

/* Forget @b once neither its fd nor anything of ours holds it. */
static void buf_put(struct worker *w, struct sbuf *b)
{
	if (b->fd >= 0 || b->refs)
		return;
	w->live -= b->size;
	b->used = false;
}

static void map_release(struct worker *w, struct smap *m)
{
	struct sbuf *b = &w->bufs[m->buf];

	m->used = false;
	if (m->src >= 0)
		b->exp_refs[m->src]--;
	b->refs--;
	buf_put(w, b);
}

/*
 * The next run of mapped pages of @m from *@pos to before @end: its
 * start in *@pos and its length in *@len; false when there is none.
 */
static bool next_run(const struct smap *m, unsigned int *pos,
		     unsigned int end, unsigned int *len)
{
	unsigned int p = *pos;

	while (p < end && !(m->state[p] & PG_MAPPED))
		p++;
	if (p >= end)
		return false;
	*pos = p;
	*len = 0;
	while (p + *len < end && (m->state[p + *len] & PG_MAPPED))
		(*len)++;
	return true;
}

/* A random page range [*a, *b) of @m: sometimes all of it. */
static void map_range(struct worker *w, const struct smap *m,
		      unsigned int *a, unsigned int *b)
{
	if (!rnd(w, 4)) {
		*a = 0;
		*b = m->npages;
		return;
	}
	*a = rnd(w, m->npages);
	*b = *a + 1 + rnd(w, m->npages - *a);
}

static char *page_addr(const struct smap *m, unsigned int p)
{
	return m->addr + (size_t)p * ps;
}

static const char *map_name(const struct smap *m)
{
	if (m->src < 0)
		return "buffer fd mapping";
	return m->src ? "read-write dma-buf mapping" : "read-only dma-buf mapping";
}

/* What INFO must say of @b. */
static bool info_matches(struct worker *w, const struct sbuf *b,
			 const struct gdmabuf_info *info)
{
	__u32 cpu = GDMABUF_CPU_CACHED;

	if (b->mem_type != GDMABUF_MEM_CACHED &&
	    !(info->attrs & GDMABUF_ATTR_DEVICE_COHERENT))
		cpu = b->mem_type == GDMABUF_MEM_COHERENT ?
		      GDMABUF_CPU_UNCACHED : GDMABUF_CPU_WRITE_COMBINE;
	if (info->size == b->size && info->mem_type == b->mem_type &&
	    info->layout == b->layout && info->cpu_mapping == cpu &&
	    info->nr_segments >= 1 && info->nr_segments <= b->npages &&
	    (b->layout == GDMABUF_LAYOUT_SCATTER_GATHER || info->nr_segments == 1) &&
	    (!b->id || info->id == b->id))
		return true;
	report(w,
	       "INFO of buffer %llu (%zu bytes, type %u, layout %u): size %llu, id %llu, type %u, layout %u, cpu_mapping %u (want %u), attrs %#x, nr_segments %u",
	       (unsigned long long)b->id, b->size, b->mem_type, b->layout,
	       (unsigned long long)info->size, (unsigned long long)info->id,
	       info->mem_type, info->layout, info->cpu_mapping, cpu,
	       info->attrs, info->nr_segments);
	return false;
}

static enum result op_alloc(struct worker *w)
{
	const unsigned int max_pages = MAX_BUF_SIZE / ps;
	int slot = FREE_SLOT(w->bufs, MAX_BUFS);
	struct gdmabuf_info info;
	struct sbuf *b;
	size_t size;
	__u32 fd_flags;
	int fd, err;

	if (slot < 0)
		return RES_NA;
	b = &w->bufs[slot];
	memset(b, 0, sizeof(*b));
	b->mem_type = rnd(w, 3);
	b->layout = GDMABUF_LAYOUT_CONTIGUOUS;
	if (b->mem_type == GDMABUF_MEM_CACHED && rnd(w, 2))
		b->layout = GDMABUF_LAYOUT_SCATTER_GATHER;
	switch (rnd(w, 8)) {
	case 0:
	case 1:
		/* PMD-sized and -aligned: huge mappings */
		size = PMD_SIZE_2M * (1 + rnd(w, MAX_BUF_SIZE / PMD_SIZE_2M));
		break;
	case 2:
		size = ps;
		break;
	default:
		/* as many small as large buffers */
		size = ps * (1 + rnd(w, 1UL << rnd(w, __builtin_ctzl(max_pages) + 1)));
		break;
	}
	if (size > MAX_BUF_SIZE)
		size = MAX_BUF_SIZE;
	if (w->live + size > w->budget)
		return RES_NA;
	b->writable = rnd(w, 6);
	fd_flags = (b->writable ? O_RDWR : O_RDONLY) | (rnd(w, 2) ? O_CLOEXEC : 0);
	trace(w, "%zu bytes type %u layout %u fd_flags %#x", size, b->mem_type,
	      b->layout, fd_flags);

	fd = alloc_buffer(ctl, size, b->mem_type, b->layout, fd_flags);
	if (fd < 0) {
		err = errno;
		if (err == ENOMEM)
			return RES_ERR;
		report(w, "ALLOC of %zu bytes, type %u, layout %u, fd_flags %#x: %s",
		       size, b->mem_type, b->layout, fd_flags, strerror(err));
		return RES_BAD;
	}
	b->used = true;
	b->fd = fd;
	b->size = size;
	b->npages = size / ps;
	w->live += size;
	err = get_info(fd, &info);
	if (err) {
		report(w, "INFO of a new buffer: %s", strerror(err));
		return RES_BAD;
	}
	if (!info_matches(w, b, &info))
		return RES_BAD;
	b->id = info.id;
	b->nsegs = info.nr_segments;
	if (!!(fcntl(fd, F_GETFD) & FD_CLOEXEC) != !!(fd_flags & O_CLOEXEC)) {
		report(w, "buffer fd %d: FD_CLOEXEC is not as fd_flags %#x said",
		       fd, fd_flags);
		return RES_BAD;
	}
	return RES_OK;
}

/* mmap() a buffer fd, or with @via_dmabuf a dma-buf fd, in part or whole. */
static enum result op_mmap(struct worker *w, bool via_dmabuf)
{
	int slot = FREE_SLOT(w->maps, MAX_MAPS);
	unsigned int first, n, p;
	struct sdmabuf *d = NULL;
	struct smap *m;
	struct sbuf *b;
	int bi, fd, prot;
	bool may_write;
	char *addr;

	if (slot < 0)
		return RES_NA;
	if (via_dmabuf) {
		int di = pick_dmabuf(w);

		if (di < 0)
			return RES_NA;
		d = &w->dmabufs[di];
		bi = d->buf;
		fd = d->fd;
		may_write = d->mode;
	} else {
		bi = pick_buf(w);
		if (bi < 0)
			return RES_NA;
		fd = w->bufs[bi].fd;
		may_write = w->bufs[bi].writable;
	}
	b = &w->bufs[bi];
	first = rnd(w, 2) ? 0 : rnd(w, b->npages);
	n = !first && rnd(w, 2) ? b->npages : 1 + rnd(w, b->npages - first);
	prot = PROT_READ | (may_write && rnd(w, 4) ? PROT_WRITE : 0);
	trace(w, "buffer %llu pages [%u, %u) of %u prot %#x", (unsigned long long)b->id,
	      first, first + n, b->npages, prot);

	addr = mmap(NULL, (size_t)n * ps, prot, MAP_SHARED, fd, (off_t)first * ps);
	if (addr == MAP_FAILED) {
		report(w, "mmap of %s of buffer %llu (%zu bytes), pages [%u, %u), prot %#x: %s",
		       via_dmabuf ? "a dma-buf" : "the buffer fd",
		       (unsigned long long)b->id, b->size, first, first + n,
		       prot, strerror(errno));
		return RES_BAD;
	}
	m = &w->maps[slot];
	m->used = true;
	m->buf = bi;
	m->src = via_dmabuf ? d->mode : -1;
	m->may_write = may_write;
	m->addr = addr;
	m->first = first;
	m->npages = n;
	m->live = n;
	for (p = 0; p < n; p++)
		m->state[p] = PG_MAPPED | (prot & PROT_WRITE ? PG_WRITE : 0);
	b->refs++;
	if (via_dmabuf)
		b->exp_refs[d->mode]++;
	return RES_OK;
}

/* mmap() calls the docs refuse, with the errno they give. */
static enum result op_mmap_bad(struct worker *w)
{
	int fd, prot = PROT_READ, flags = MAP_SHARED, want = EINVAL, got;
	unsigned int first = 0, n;
	bool writable;
	struct sbuf *b;
	int bi, di;

	di = rnd(w, 2) ? pick_dmabuf(w) : -1;
	if (di >= 0) {
		bi = w->dmabufs[di].buf;
		fd = w->dmabufs[di].fd;
		writable = w->dmabufs[di].mode;
	} else {
		bi = pick_buf(w);
		if (bi < 0)
			return RES_NA;
		fd = w->bufs[bi].fd;
		writable = w->bufs[bi].writable;
	}
	b = &w->bufs[bi];
	n = b->npages;
	switch (rnd(w, 4)) {
	case 0:
		flags = MAP_PRIVATE;
		break;
	case 1:
		/* past the end */
		first = rnd(w, b->npages + 1);
		n = b->npages - first + 1 + rnd(w, 2);
		break;
	case 2:
		n = 0;
		break;
	default:
		if (writable) {
			flags = MAP_PRIVATE;
			prot |= PROT_WRITE;
		} else {
			prot |= PROT_WRITE;
			want = EACCES;
		}
		break;
	}
	trace(w, "buffer %llu %s pages [%u, %u) prot %#x flags %#x",
	      (unsigned long long)b->id, di >= 0 ? "dma-buf" : "fd", first,
	      first + n, prot, flags);
	got = mmap_errno(fd, (size_t)n * ps, prot, flags, (off_t)first * ps);
	if (got == want)
		return RES_OK;
	report(w,
	       "mmap of %s of buffer %llu (%u pages, %s), pages [%u, %u), prot %#x, flags %#x: %s, want %s",
	       di >= 0 ? "a dma-buf" : "the buffer fd", (unsigned long long)b->id,
	       b->npages, writable ? "read-write" : "read-only", first, first + n,
	       prot, flags, got ? strerror(got) : "success", strerror(want));
	return RES_BAD;
}

static enum result op_write(struct worker *w)
{
	int mi = pick_map(w);
	unsigned int p, n, max;
	struct smap *m;
	struct sbuf *b;

	if (mi < 0)
		return RES_NA;
	m = &w->maps[mi];
	b = &w->bufs[m->buf];
	for (p = rnd(w, m->npages); p < m->npages; p++)
		if (m->state[p] & PG_WRITE)
			break;
	if (p == m->npages)
		return RES_NA;
	max = 1 + rnd(w, MAX_RUN);
	for (n = 0; n < max && p + n < m->npages; n++) {
		unsigned int pg = m->first + p + n;

		if (!(m->state[p + n] & PG_WRITE))
			break;
		b->gen[pg] = next_gen(b->gen[pg]);
		write_page(b, pg, page_addr(m, p + n), b->gen[pg]);
	}
	trace(w, "buffer %llu pages [%u, %u)", (unsigned long long)b->id,
	      m->first + p, m->first + p + n);
	return RES_OK;
}

static enum result op_verify(struct worker *w)
{
	int mi = pick_map(w);
	unsigned int a, e, p, n;
	struct mismatch mm;
	struct smap *m;
	struct sbuf *b;

	if (mi < 0)
		return RES_NA;
	m = &w->maps[mi];
	b = &w->bufs[m->buf];
	map_range(w, m, &a, &e);
	if (e - a > MAX_RUN)
		e = a + MAX_RUN;
	trace(w, "buffer %llu pages [%u, %u)", (unsigned long long)b->id,
	      m->first + a, m->first + e);
	for (p = a; next_run(m, &p, e, &n); p += n) {
		unsigned int i;

		for (i = 0; i < n; i++) {
			if (!page_ok(b, m->first + p + i, page_addr(m, p + i), &mm)) {
				report_mismatch(w, b, &mm, map_name(m));
				return RES_BAD;
			}
		}
	}
	return RES_OK;
}

static enum result op_munmap(struct worker *w)
{
	int mi = pick_map(w);
	unsigned int a, e, p, n, i;
	struct smap *m;

	if (mi < 0)
		return RES_NA;
	m = &w->maps[mi];
	map_range(w, m, &a, &e);
	trace(w, "buffer %llu pages [%u, %u) of mapping [%u, %u)",
	      (unsigned long long)w->bufs[m->buf].id, m->first + a, m->first + e,
	      m->first, m->first + m->npages);
	/* only what is still ours: another thread may map into the holes */
	for (p = a; next_run(m, &p, e, &n); p += n) {
		if (munmap(page_addr(m, p), (size_t)n * ps)) {
			report(w, "munmap of pages [%u, %u) of a %u-page %s: %s",
			       p, p + n, m->npages, map_name(m), strerror(errno));
			return RES_BAD;
		}
		for (i = 0; i < n; i++)
			m->state[p + i] = 0;
		m->live -= n;
	}
	if (!m->live)
		map_release(w, m);
	return RES_OK;
}

static enum result op_mprotect(struct worker *w)
{
	int mi = pick_map(w);
	unsigned int a, e, p, n, i;
	int prot, want, got;
	struct smap *m;

	if (mi < 0)
		return RES_NA;
	m = &w->maps[mi];
	map_range(w, m, &a, &e);
	prot = PROT_READ | (rnd(w, 2) ? PROT_WRITE : 0);
	want = (prot & PROT_WRITE) && !m->may_write ? EACCES : 0;
	trace(w, "buffer %llu pages [%u, %u) prot %#x", (unsigned long long)w->bufs[m->buf].id,
	      m->first + a, m->first + e, prot);
	for (p = a; next_run(m, &p, e, &n); p += n) {
		got = mprotect(page_addr(m, p), (size_t)n * ps, prot) ? errno : 0;
		if (got != want) {
			report(w, "mprotect(%#x) of pages [%u, %u) of a %u-page %s: %s, want %s",
			       prot, p, p + n, m->npages, map_name(m),
			       got ? strerror(got) : "success",
			       want ? strerror(want) : "success");
			return RES_BAD;
		}
		if (got)
			continue;
		for (i = 0; i < n; i++)
			m->state[p + i] = (m->state[p + i] & ~PG_WRITE) |
					  (prot & PROT_WRITE ? PG_WRITE : 0);
	}
	return RES_OK;
}

/*
 * 6.12 refuses MADV_DONTNEED on VM_PFNMAP and MADV_DOFORK on VM_IO
 * mappings, which gdmabuf's are, with EINVAL.
 */
static enum result op_madvise(struct worker *w)
{
	static const int advices[] = { MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK };
	static const int zero_or_einval[] = { EINVAL, 0 };
	int mi = pick_map(w);
	unsigned int a, e, p, n, i;
	struct smap *m;
	int advice, got;

	if (mi < 0)
		return RES_NA;
	m = &w->maps[mi];
	map_range(w, m, &a, &e);
	advice = advices[rnd(w, 3)];
	trace(w, "buffer %llu pages [%u, %u) advice %d",
	      (unsigned long long)w->bufs[m->buf].id, m->first + a,
	      m->first + e, advice);
	for (p = a; next_run(m, &p, e, &n); p += n) {
		got = madvise(page_addr(m, p), (size_t)n * ps, advice) ? errno : 0;
		if (got && (advice == MADV_DONTFORK || !errno_in(got, zero_or_einval))) {
			report(w, "madvise(%d) of pages [%u, %u) of a %u-page %s: %s",
			       advice, p, p + n, m->npages, map_name(m),
			       strerror(got));
			return RES_BAD;
		}
		for (i = 0; !got && advice != MADV_DONTNEED && i < n; i++) {
			m->state[p + i] &= ~PG_DONTFORK;
			if (advice == MADV_DONTFORK)
				m->state[p + i] |= PG_DONTFORK;
		}
	}
	return RES_OK;
}

/*
 * The child checks pages of an inherited mapping and writes the next
 * generation to some; the parent then sees what it wrote.
 */
static enum result op_fork(struct worker *w)
{
	const __u8 inherited = PG_MAPPED | PG_DONTFORK;
	int mi = pick_map(w);
	unsigned int a, e, wa = 0, we = 0, p;
	struct mismatch mm;
	int pipefd[2], status;
	struct smap *m;
	struct sbuf *b;
	ssize_t got;
	pid_t pid;

	if (mi < 0)
		return RES_NA;
	m = &w->maps[mi];
	b = &w->bufs[m->buf];
	map_range(w, m, &a, &e);
	if (rnd(w, 2)) {
		wa = rnd(w, m->npages);
		for (we = wa; we < m->npages && we - wa < MAX_RUN; we++) {
			if ((m->state[we] & (PG_WRITE | PG_DONTFORK)) != PG_WRITE)
				break;
			w->child_gen[we] = next_gen(b->gen[m->first + we]);
		}
	}
	trace(w, "buffer %llu check [%u, %u) write [%u, %u)", (unsigned long long)b->id,
	      m->first + a, m->first + e, m->first + wa, m->first + we);
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK)) {
		report(w, "pipe2: %s", strerror(errno));
		return RES_BAD;
	}
	pid = fork();
	if (pid < 0) {
		report(w, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return RES_BAD;
	}
	if (!pid) {
		/* only async-signal-safe calls from here */
		for (p = a; p < e; p++) {
			if ((m->state[p] & inherited) != PG_MAPPED)
				continue;
			if (!page_ok(b, m->first + p, page_addr(m, p), &mm)) {
				if (write(pipefd[1], &mm, sizeof(mm)) != sizeof(mm))
					_exit(3);
				_exit(1);
			}
		}
		for (p = wa; p < we; p++)
			write_page(b, m->first + p, page_addr(m, p), w->child_gen[p]);
		_exit(0);
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			report(w, "waitpid: %s", strerror(errno));
			close(pipefd[0]);
			return RES_BAD;
		}
	}
	got = read(pipefd[0], &mm, sizeof(mm));
	close(pipefd[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (got == sizeof(mm))
			report_mismatch(w, b, &mm, "an inherited mapping in a child");
		else
			report(w, "child checking buffer %llu: %s %d",
			       (unsigned long long)b->id,
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return RES_BAD;
	}
	for (p = wa; p < we; p++) {
		b->gen[m->first + p] = w->child_gen[p];
		if (!page_ok(b, m->first + p, page_addr(m, p), &mm)) {
			report_mismatch(w, b, &mm, "the parent's mapping after a child wrote");
			return RES_BAD;
		}
	}
	return RES_OK;
}

static enum result op_export(struct worker *w)
{
	int slot = FREE_SLOT(w->dmabufs, MAX_DMABUFS);
	struct gdmabuf_export args = {};
	int bi, mode, want, got;
	struct sdmabuf *d;
	struct sbuf *b;
	struct stat st;

	if (slot < 0)
		return RES_NA;
	bi = pick_buf(w);
	if (bi < 0)
		return RES_NA;
	b = &w->bufs[bi];
	mode = rnd(w, 2);
	args.fd_flags = (mode ? O_RDWR : O_RDONLY) | (rnd(w, 2) ? O_CLOEXEC : 0);
	want = mode && !b->writable ? EACCES : 0;
	trace(w, "buffer %llu fd_flags %#x", (unsigned long long)b->id, args.fd_flags);
	got = ioctl_errno(b->fd, GDMABUF_IOCTL_EXPORT, &args);
	if (got != want) {
		if (!want && got == ENOMEM)
			return RES_ERR;
		report(w, "EXPORT of buffer %llu (%s fd), fd_flags %#x: %s, want %s",
		       (unsigned long long)b->id, b->writable ? "read-write" : "read-only",
		       args.fd_flags, got ? strerror(got) : "success",
		       want ? strerror(want) : "success");
		if (!got)
			close(args.fd);
		return RES_BAD;
	}
	if (got)
		return RES_OK;
	d = &w->dmabufs[slot];
	d->used = true;
	d->fd = args.fd;
	d->buf = bi;
	d->mode = mode;
	b->refs++;
	if (fstat(d->fd, &st)) {
		report(w, "fstat of a dma-buf: %s", strerror(errno));
		return RES_BAD;
	}
	/* one dma-buf per access mode while it exists */
	if (b->exp_refs[mode] && st.st_ino != b->exp_ino[mode]) {
		report(w,
		       "EXPORT of buffer %llu, fd_flags %#x: dma-buf inode %lu, but its dma-buf of that mode, inode %lu, is still held",
		       (unsigned long long)b->id, args.fd_flags,
		       (unsigned long)st.st_ino, (unsigned long)b->exp_ino[mode]);
		b->exp_refs[mode]++;
		return RES_BAD;
	}
	b->exp_ino[mode] = st.st_ino;
	b->exp_refs[mode]++;
	if (!!(fcntl(d->fd, F_GETFD) & FD_CLOEXEC) != !!(args.fd_flags & O_CLOEXEC)) {
		report(w, "dma-buf fd: FD_CLOEXEC is not as fd_flags %#x said",
		       args.fd_flags);
		return RES_BAD;
	}
	return RES_OK;
}

static int dmabuf_sync_errno(int fd, __u64 flags)
{
	struct dma_buf_sync args = { .flags = flags };

	return ioctl_errno(fd, DMA_BUF_IOCTL_SYNC, &args);
}

/*
 * Sync a dma-buf with valid or invalid flags. Before the CPU starts
 * reading, what it wrote is ended first, so that an invalidation on a
 * non-coherent device loses none of it.
 */
static enum result op_dmabuf_sync(struct worker *w)
{
	int di = pick_dmabuf(w);
	__u64 flags;
	int want = 0, got;

	if (di < 0)
		return RES_NA;
	flags = (rnd(w, 2) ? DMA_BUF_SYNC_END : DMA_BUF_SYNC_START) |
		(1 + rnd(w, 3));
	switch (rnd(w, 8)) {
	case 0:
		flags &= ~DMA_BUF_SYNC_RW;
		want = EINVAL;
		break;
	case 1:
		flags |= 1ULL << (3 + rnd(w, 61));
		want = EINVAL;
		break;
	}
	trace(w, "buffer %llu flags %#llx", (unsigned long long)w->bufs[w->dmabufs[di].buf].id,
	      (unsigned long long)flags);
	if (!want && !(flags & DMA_BUF_SYNC_END)) {
		got = dmabuf_sync_errno(w->dmabufs[di].fd,
					DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		if (got) {
			report(w, "DMA_BUF_IOCTL_SYNC(END | WRITE): %s", strerror(got));
			return RES_BAD;
		}
	}
	got = dmabuf_sync_errno(w->dmabufs[di].fd, flags);
	if (got == want)
		return RES_OK;
	report(w, "DMA_BUF_IOCTL_SYNC flags %#llx: %s, want %s",
	       (unsigned long long)flags, got ? strerror(got) : "success",
	       want ? strerror(want) : "success");
	return RES_BAD;
}

/* GDMABUF_IOCTL_SYNC with a random range and flags, valid or not. */
static enum result op_sync(struct worker *w)
{
	int bi = pick_buf(w);
	struct {
		struct gdmabuf_sync s;
		__u64 tail;
	} args = {};
	size_t size = sizeof(args.s);
	int want = 0, got;
	struct sbuf *b;

	if (bi < 0)
		return RES_NA;
	b = &w->bufs[bi];
	switch (rnd(w, 8)) {
	case 0:
		args.s.offset = rnd(w, b->size + 2 * ps);
		break;
	case 1:
		args.s.offset = ~0ULL - rnd(w, ps);
		break;
	default:
		args.s.offset = rnd(w, b->size);
		break;
	}
	switch (rnd(w, 8)) {
	case 0:
		args.s.len = rnd(w, 2);
		break;
	case 1:
		args.s.len = ~0ULL - rnd(w, ps);
		break;
	case 2:
		args.s.len = b->size - args.s.offset + rnd(w, 2);
		break;
	default:
		args.s.len = 1 + rnd(w, b->size - args.s.offset);
		break;
	}
	args.s.flags = (rnd(w, 2) ? GDMABUF_SYNC_END : GDMABUF_SYNC_START) |
		       (1 + rnd(w, 3));
	switch (rnd(w, 16)) {
	case 0:
		args.s.flags &= ~GDMABUF_SYNC_RW;
		break;
	case 1:
		args.s.flags |= 1U << (3 + rnd(w, 29));
		break;
	case 2:
		args.s.reserved = 1 + rnd(w, 0xffffffffU);
		break;
	}
	if (args.s.flags & ~(GDMABUF_SYNC_RW | GDMABUF_SYNC_END) ||
	    !(args.s.flags & GDMABUF_SYNC_RW) || args.s.reserved ||
	    !args.s.len || args.s.offset >= b->size ||
	    args.s.len > b->size - args.s.offset)
		want = EINVAL;
	/* a newer header's longer struct: its tail must be zero */
	switch (rnd(w, 8)) {
	case 0:
		size = sizeof(args);
		break;
	case 1:
		size = sizeof(args);
		args.tail = 1ULL << rnd(w, 64);
		want = E2BIG;
		break;
	}
	trace(w, "buffer %llu offset %#llx len %#llx flags %#x reserved %#x size %zu",
	      (unsigned long long)b->id, (unsigned long long)args.s.offset,
	      (unsigned long long)args.s.len, args.s.flags, args.s.reserved, size);
	if (!want && !(args.s.flags & GDMABUF_SYNC_END) && b->writable) {
		struct gdmabuf_sync end = args.s;

		end.flags = GDMABUF_SYNC_END | GDMABUF_SYNC_WRITE;
		got = ioctl_errno(b->fd, GDMABUF_IOCTL_SYNC, &end);
		if (got) {
			report(w, "SYNC(END | WRITE) of a valid range: %s", strerror(got));
			return RES_BAD;
		}
	}
	got = ioctl_errno(b->fd, cmd_sized(GDMABUF_IOCTL_SYNC, size), &args);
	if (got == want)
		return RES_OK;
	report(w,
	       "SYNC of buffer %llu (%zu bytes): offset %#llx, len %#llx, flags %#x, reserved %#x, struct size %zu, tail %#llx: %s, want %s",
	       (unsigned long long)b->id, b->size, (unsigned long long)args.s.offset,
	       (unsigned long long)args.s.len, args.s.flags, args.s.reserved,
	       size, (unsigned long long)args.tail, got ? strerror(got) : "success",
	       want ? strerror(want) : "success");
	return RES_BAD;
}

static enum result op_segments(struct worker *w)
{
	int bi = pick_buf(w);
	struct gdmabuf_segments args = {};
	unsigned int i, want_count;
	__u64 total = 0;
	struct sbuf *b;
	int want, got;

	if (bi < 0)
		return RES_NA;
	b = &w->bufs[bi];
	args.first = rnd(w, 4) ? 0 : rnd(w, b->nsegs + 2);
	args.count = rnd(w, 2) ? MAX_SEGS : rnd(w, b->nsegs + 2);
	args.segments_ptr = (uintptr_t)w->segs;
	want = args.first > b->nsegs ? EINVAL : 0;
	want_count = want ? 0 : b->nsegs - args.first;
	if (want_count > args.count)
		want_count = args.count;
	trace(w, "buffer %llu first %u count %u", (unsigned long long)b->id,
	      args.first, args.count);
	memset(w->segs, 0xa5, sizeof(*w->segs) * MAX_SEGS);
	got = ioctl_errno(b->fd, GDMABUF_IOCTL_SEGMENTS, &args);
	if (got != want) {
		report(w, "SEGMENTS of buffer %llu (%u segments), first %u, count %u: %s, want %s",
		       (unsigned long long)b->id, b->nsegs, args.first, args.count,
		       got ? strerror(got) : "success", want ? strerror(want) : "success");
		return RES_BAD;
	}
	if (got)
		return RES_OK;
	for (i = 0; i < args.count && i < MAX_SEGS; i++) {
		const struct gdmabuf_segment_desc *s = &w->segs[i];

		total += s->len;
		if (!s->len || s->len % ps || s->flags || s->reserved) {
			report(w,
			       "SEGMENTS of buffer %llu: segment %u has len %#llx, flags %#x, reserved %#x",
			       (unsigned long long)b->id, args.first + i,
			       (unsigned long long)s->len, s->flags, s->reserved);
			return RES_BAD;
		}
	}
	if (args.count != want_count || args.nr_segments != b->nsegs ||
	    (!args.first && want_count == b->nsegs && total != b->size)) {
		report(w,
		       "SEGMENTS of buffer %llu (%zu bytes, %u segments), first %u: count %u (want %u), nr_segments %u, %llu bytes",
		       (unsigned long long)b->id, b->size, b->nsegs, args.first,
		       args.count, want_count, args.nr_segments,
		       (unsigned long long)total);
		return RES_BAD;
	}
	return RES_OK;
}

static enum result op_info(struct worker *w)
{
	int bi = pick_buf(w);
	struct gdmabuf_info info;
	int got;

	if (bi < 0)
		return RES_NA;
	trace(w, "buffer %llu", (unsigned long long)w->bufs[bi].id);
	got = get_info(w->bufs[bi].fd, &info);
	if (got) {
		report(w, "INFO: %s", strerror(got));
		return RES_BAD;
	}
	return info_matches(w, &w->bufs[bi], &info) ? RES_OK : RES_BAD;
}

static enum result close_buf(struct worker *w, struct sbuf *b)
{
	int fd = b->fd;

	b->fd = -1;
	buf_put(w, b);
	if (!close(fd))
		return RES_OK;
	report(w, "close of buffer fd %d: %s", fd, strerror(errno));
	return RES_BAD;
}

static enum result close_dmabuf(struct worker *w, struct sdmabuf *d)
{
	struct sbuf *b = &w->bufs[d->buf];

	d->used = false;
	b->exp_refs[d->mode]--;
	b->refs--;
	buf_put(w, b);
	if (!close(d->fd))
		return RES_OK;
	report(w, "close of dma-buf fd %d: %s", d->fd, strerror(errno));
	return RES_BAD;
}

/* Unmap what is left of @m. */
static enum result unmap_all(struct worker *w, struct smap *m)
{
	unsigned int p, n;

	for (p = 0; next_run(m, &p, m->npages, &n); p += n) {
		if (munmap(page_addr(m, p), (size_t)n * ps)) {
			report(w, "munmap: %s", strerror(errno));
			return RES_BAD;
		}
	}
	map_release(w, m);
	return RES_OK;
}

/* Struct sizes of the commands, by command number; 0 for none. */
static const unsigned int gdmabuf_sizes[] = {
	sizeof(struct gdmabuf_alloc), sizeof(struct gdmabuf_info),
	sizeof(struct gdmabuf_segments), sizeof(struct gdmabuf_sync),
	sizeof(struct gdmabuf_export), 0,
};

/* The first versions: anything shorter is EINVAL. */
static const unsigned int gdmabuf_min_sizes[] = {
	GDMABUF_ALLOC_SIZE_VER0, GDMABUF_INFO_SIZE_VER0,
	sizeof(struct gdmabuf_segments), sizeof(struct gdmabuf_sync),
	sizeof(struct gdmabuf_export), 0,
};

static const unsigned int gdmabuf_dirs[] = {
	_IOC_READ | _IOC_WRITE, _IOC_READ | _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	_IOC_WRITE, _IOC_READ | _IOC_WRITE, 0,
};

enum fd_kind { FD_CTL, FD_BUF, FD_DMABUF };

/* A pointer the kernel cannot read or write all of. */
static void *bad_pointer(struct worker *w, size_t len)
{
	switch (rnd(w, 5)) {
	case 0:
		return NULL;
	case 1:
		return (void *)-4096L;	/* kernel space everywhere */
	case 2:
		return w->none_page;
	case 3:
		return w->ro_page;	/* readable zeros, not writable */
	default:
		/* straddles the guard page */
		return w->arg_end - (len ? rnd(w, len) : 0);
	}
}

/*
 * A random command of gdmabuf's or dma-buf's magic, with random bytes or
 * a mutated valid struct, at a good or bad address, on @kind of fd. It
 * must fail as the docs say, or succeed; a new fd it returns is closed.
 */
static enum result op_fuzz(struct worker *w, enum fd_kind kind)
{
	static const int gdmabuf_errs[] = { ENOTTY, EINVAL, E2BIG, EFAULT, 0 };
	/* and those of a device name: random pointers and lengths */
	static const int alloc_errs[] = { ENOMEM, EOPNOTSUPP, EMFILE, ENAMETOOLONG,
					  EPERM, ENODEV, ENXIO, EBUSY, 0 };
	static const int export_errs[] = { ENOMEM, EACCES, EMFILE, 0 };
	static const int dmabuf_errs[] = { EINVAL, EFAULT, 0 };
	unsigned int type, nr, dir, size, ksize = 0, i;
	bool known = false, dmabuf_cmd = false;
	const int *extra = NULL;
	unsigned long cmd;
	int fd, got, want = -1;
	struct sbuf *b = NULL;
	__u8 *arg;

	switch (kind) {
	case FD_CTL:
		fd = ctl;
		break;
	case FD_BUF: {
		int bi = pick_buf(w);

		if (bi < 0)
			return RES_NA;
		b = &w->bufs[bi];
		fd = b->fd;
		break;
	}
	default: {
		int di = pick_dmabuf(w);

		if (di < 0)
			return RES_NA;
		b = &w->bufs[w->dmabufs[di].buf];
		fd = w->dmabufs[di].fd;
		break;
	}
	}

	type = rnd(w, 2) ? GDMABUF_IOCTL_MAGIC : DMA_BUF_BASE;
	nr = rnd(w, 4) ? rnd(w, ARRAY_SIZE(gdmabuf_sizes)) : rnd(w, 256);
	dir = rnd(w, 4);
	if (type == GDMABUF_IOCTL_MAGIC && nr < ARRAY_SIZE(gdmabuf_sizes))
		ksize = gdmabuf_sizes[nr];
	else if (type == DMA_BUF_BASE && nr < 4)
		ksize = 8;
	switch (rnd(w, 4)) {
	case 0:
		size = rnd(w, 64);
		break;
	case 1:
		size = rnd(w, ARG_SCRATCH);
		break;
	default:
		size = ksize + 8 * rnd(w, 3) - (rnd(w, 4) ? 0 : rnd(w, 8));
		if (size >= ARG_SCRATCH)
			size = ksize;
		break;
	}
	cmd = _IOC(dir, type, nr, size);
	/* it makes a sync_file fd, which is not ours to fuzz */
	if (cmd == DMA_BUF_IOCTL_EXPORT_SYNC_FILE)
		cmd = _IOC(_IOC_NONE, type, nr, size);

	/* the struct: random bytes, zeros, or valid and then mutated */
	arg = w->arg_end - size;
	switch (rnd(w, 4)) {
	case 0:
		for (i = 0; i < size; i++)
			arg[i] = rnd(w, 256);
		break;
	case 1:
		memset(arg, 0, size);
		break;
	default:
		memset(arg, 0, size);
		if (type == GDMABUF_IOCTL_MAGIC && nr == 0 && size >= 32) {
			struct gdmabuf_alloc *a = (void *)arg;

			a->size = ps * (1 + rnd(w, 16));
			a->mem_type = rnd(w, 3);
			a->fd_flags = rnd(w, 2) ? O_RDWR : O_RDONLY;
		} else if (type == GDMABUF_IOCTL_MAGIC && nr == 3 && size >= 24 && b) {
			struct gdmabuf_sync *s = (void *)arg;

			s->offset = rnd(w, b->size);
			s->len = 1 + rnd(w, b->size - s->offset);
			s->flags = 1 + rnd(w, 3);
		} else if (type == GDMABUF_IOCTL_MAGIC && nr == 4 && size >= 16) {
			((struct gdmabuf_export *)arg)->fd_flags = rnd(w, 2) ? O_RDWR : O_RDONLY;
		} else if (type == DMA_BUF_BASE && size >= 8) {
			*(__u64 *)arg = rnd(w, 8);
		}
		for (i = rnd(w, 3); size && i; i--)
			arg[rnd(w, size)] = rnd(w, 256);
		break;
	}
	/* keep what a successful call could do small or harmless */
	if (type == GDMABUF_IOCTL_MAGIC && nr == 0 && size >= 8) {
		__u64 *sz = (void *)arg;

		*sz = rnd(w, 2) ? rnd(w, 1UL << 20) : *sz | (1ULL << 50);
	}
	if (type == GDMABUF_IOCTL_MAGIC && nr == 2 && size >= 32) {
		struct gdmabuf_segments *s = (void *)arg;

		s->segments_ptr = (uintptr_t)(rnd(w, 2) ? (void *)w->segs :
					      bad_pointer(w, 0));
		if (!rnd(w, 4))
			s->segments_ptr = (uintptr_t)(w->segs + MAX_SEGS) -
					  sizeof(*w->segs) * rnd(w, 4);
	}
	if (!rnd(w, 8))
		arg = bad_pointer(w, size);

	/* the errno that the command alone decides, else the ones allowed */
	if (type == GDMABUF_IOCTL_MAGIC && kind != FD_DMABUF) {
		if (kind == FD_CTL)
			known = nr == 0;
		else
			known = nr >= 1 && nr <= 4;
		if (!known || dir != gdmabuf_dirs[nr])
			want = ENOTTY;
		else if (size < gdmabuf_min_sizes[nr])
			want = EINVAL;
		if (known && kind == FD_CTL)
			extra = alloc_errs;
		else if (known && nr == 4)
			extra = export_errs;
	} else if (kind == FD_DMABUF && type == DMA_BUF_BASE) {
		dmabuf_cmd = cmd == DMA_BUF_IOCTL_SYNC || cmd == DMA_BUF_SET_NAME_A ||
			     cmd == DMA_BUF_SET_NAME_B ||
			     cmd == DMA_BUF_IOCTL_IMPORT_SYNC_FILE;
		if (!dmabuf_cmd)
			want = ENOTTY;
	} else {
		want = ENOTTY;
	}

	/* a sync that succeeds may invalidate: end the CPU's writes first */
	if (kind == FD_BUF && b->writable) {
		struct gdmabuf_sync end = {
			.len = b->size,
			.flags = GDMABUF_SYNC_END | GDMABUF_SYNC_WRITE,
		};

		ioctl(fd, GDMABUF_IOCTL_SYNC, &end);
	} else if (kind == FD_DMABUF) {
		dmabuf_sync_errno(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	}

	trace(w, "fd kind %d cmd %#lx arg %p", kind, cmd, arg);
	got = ioctl(fd, cmd, arg) ? errno : 0;
	if (want >= 0 ? got == want :
	    (!got || errno_in(got, dmabuf_cmd ? dmabuf_errs : gdmabuf_errs) ||
	     (extra && errno_in(got, extra)))) {
		if (!got && known && kind == FD_CTL)
			close(((struct gdmabuf_alloc *)arg)->fd);
		if (!got && known && nr == 4)
			close(((struct gdmabuf_export *)arg)->fd);
		return got && extra && errno_in(got, extra) ? RES_ERR : RES_OK;
	}
	report(w, "ioctl on %s fd: cmd %#lx (type %#x nr %u dir %u size %u), arg %p: %s, want %s",
	       kind == FD_CTL ? "the control" : kind == FD_BUF ? "a buffer" : "a dma-buf",
	       cmd, type, nr, dir, size, arg, got ? strerror(got) : "success",
	       want >= 0 ? (want ? strerror(want) : "success") : "a documented errno");
	return RES_BAD;
}

static enum result run_op(struct worker *w, enum op op)
{
	int i;

	switch (op) {
	case OP_ALLOC:
		return op_alloc(w);
	case OP_MMAP:
		return op_mmap(w, false);
	case OP_MMAP_BAD:
		return op_mmap_bad(w);
	case OP_WRITE:
		return op_write(w);
	case OP_VERIFY:
		return op_verify(w);
	case OP_MUNMAP:
		return op_munmap(w);
	case OP_MPROTECT:
		return op_mprotect(w);
	case OP_MADVISE:
		return op_madvise(w);
	case OP_FORK:
		return op_fork(w);
	case OP_EXPORT:
		return op_export(w);
	case OP_DMABUF_MMAP:
		return op_mmap(w, true);
	case OP_DMABUF_SYNC:
		return op_dmabuf_sync(w);
	case OP_SYNC:
		return op_sync(w);
	case OP_SEGMENTS:
		return op_segments(w);
	case OP_INFO:
		return op_info(w);
	case OP_CLOSE_BUF:
		i = pick_buf(w);
		if (i < 0)
			return RES_NA;
		trace(w, "buffer %llu", (unsigned long long)w->bufs[i].id);
		return close_buf(w, &w->bufs[i]);
	case OP_CLOSE_DMABUF:
		i = pick_dmabuf(w);
		if (i < 0)
			return RES_NA;
		trace(w, "buffer %llu", (unsigned long long)w->bufs[w->dmabufs[i].buf].id);
		return close_dmabuf(w, &w->dmabufs[i]);
	case OP_FUZZ_CTL:
		return op_fuzz(w, FD_CTL);
	case OP_FUZZ_BUF:
		return op_fuzz(w, FD_BUF);
	default:
		return op_fuzz(w, FD_DMABUF);
	}
}

static enum op pick_op(struct worker *w)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < NR_OPS; i++)
		total += ops[i].weight;
	r = rnd(w, total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	return i;
}

/* Close and unmap everything left, in a random order. */
static void cleanup(struct worker *w)
{
	for (;;) {
		int mi = pick_map(w);
		int di = pick_dmabuf(w);
		int bi = pick_buf(w);

		if (mi < 0 && di < 0 && bi < 0)
			break;
		switch (rnd(w, 3)) {
		case 0:
			if (mi >= 0)
				unmap_all(w, &w->maps[mi]);
			break;
		case 1:
			if (di >= 0)
				close_dmabuf(w, &w->dmabufs[di]);
			break;
		default:
			if (bi >= 0)
				close_buf(w, &w->bufs[bi]);
			break;
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!w->failed && !past_deadline()) {
		enum result res;

		w->op = pick_op(w);
		w->nops++;
		res = run_op(w, w->op);
		if (res == RES_OK)
			w->ok[w->op]++;
		else if (res == RES_ERR)
			w->err[w->op]++;
	}
	cleanup(w);
	return NULL;
}

static void print_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-s SEED] [-t SECONDS] [-j THREADS] [-v]\n",
		prog);
	exit(KSFT_FAIL);
}

static unsigned long long parse_num(const char *s, const char *prog)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		print_usage(prog);
	return v;
}

/* The value of the /proc/vmstat counter @name, or -1. */
static long long read_vmstat(const char *name)
{
	char key[64];
	long long value, ret = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &value) == 2)
		if (!strcmp(key, name))
			ret = value;
	fclose(f);
	return ret;
}

/* Pages on the per-cpu lists of every zone, or -1. */
static long long pcp_pages(void)
{
	long long sum = 0, count;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &count) == 1)
			sum += count;
	fclose(f);
	return sum;
}

struct mem_state {
	long long free, pcp, slab, cma;
};

static void mem_state(struct mem_state *m)
{
	m->free = read_vmstat("nr_free_pages");
	m->pcp = pcp_pages();
	m->slab = read_vmstat("nr_slab_reclaimable") + read_vmstat("nr_slab_unreclaimable");
	m->cma = read_vmstat("nr_free_cma");
}

/* Free pages, counting those the kernel keeps at hand as free. */
static long long mem_avail(const struct mem_state *m)
{
	return m->free + m->pcp + m->slab;
}

/*
 * From gdmabuf's debugfs list: the buffers of process @pid into *@mine
 * and the total into *@total; 0 or -1.
 */
static int debugfs_state(pid_t pid, int *mine, unsigned long long *total)
{
	char line[512], type[32], layout[32];
	unsigned long long id, size;
	unsigned int segs;
	int maps, owner;
	bool have_total = false;
	FILE *f;

	f = fopen(DEBUGFS_BUFFERS, "r");
	if (!f)
		return -1;
	*mine = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "total: %llu bytes", total) == 1)
			have_total = true;
		else if (sscanf(line, "%llu %llu %31s %31s %u %d %d", &id, &size,
				type, layout, &segs, &maps, &owner) == 7 &&
			 owner == pid)
			(*mine)++;
	}
	fclose(f);
	return have_total ? 0 : -1;
}

/* Open fds of this process, or -1. */
static int count_fds(void)
{
	struct dirent *e;
	int n = 0;
	DIR *dir = opendir("/proc/self/fd");

	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n - 1;	/* the directory's own */
}

/* Mappings of gdmabuf buffers or dma-bufs left in this process. */
static int count_buffer_maps(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "anon_inode:[gdmabuf]") || strstr(line, "/dmabuf:");
	fclose(f);
	return n;
}

/* Thread-private memory: the worker, its scratch pages, its stack. */
static struct worker *worker_create(int idx)
{
	const size_t arg_len = (ARG_SCRATCH + ps - 1) / ps * ps;
	const size_t seg_bytes = MAX_SEGS * sizeof(struct gdmabuf_segment_desc);
	const size_t seg_len = (seg_bytes + ps - 1) / ps * ps;
	const size_t wlen = (sizeof(struct worker) + ps - 1) / ps * ps;
	struct worker *w;
	char *s;

	w = mmap(NULL, wlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return NULL;
	/* arg | guard | segs | guard | read-only */
	w->scratch_len = arg_len + ps + seg_len + ps + ps;
	s = mmap(NULL, w->scratch_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return NULL;
	w->scratch = s;
	w->arg_end = (__u8 *)s + arg_len;
	w->none_page = w->arg_end;
	w->segs = (void *)(s + arg_len + ps + seg_len - seg_bytes);
	w->ro_page = s + arg_len + ps + seg_len + ps;
	if (mprotect(w->none_page, ps, PROT_NONE) ||
	    mprotect(s + arg_len + ps + seg_len, ps, PROT_NONE) ||
	    mprotect(w->ro_page, ps, PROT_READ))
		return NULL;
	w->stack_len = 256 << 10;
	w->stack = mmap(NULL, w->stack_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (w->stack == MAP_FAILED)
		return NULL;
	w->idx = idx;
	w->rng = seed ^ ((__u64)(idx + 1) * 0xd1b54a32d192ed03ULL);
	w->budget = LIVE_LIMIT / nthreads;
	return w;
}

static void worker_destroy(struct worker *w)
{
	munmap(w->stack, w->stack_len);
	munmap(w->scratch, w->scratch_len);
	munmap(w, (sizeof(*w) + ps - 1) / ps * ps);
}

int main(int argc, char **argv)
{
	unsigned long long total0, total1;
	unsigned long ok[NR_OPS] = {}, err[NR_OPS] = {};
	struct worker *workers[MAX_THREADS];
	struct mem_state mem0, mem1;
	int fds0, fds1, mine, maps1, opt, child_err;
	bool seeded = false, all_ops = true;
	pthread_attr_t attr;
	unsigned int i, j;
	pid_t child;

	while ((opt = getopt(argc, argv, "s:t:j:v")) != -1) {
		switch (opt) {
		case 's':
			seed = parse_num(optarg, argv[0]);
			seeded = true;
			break;
		case 't':
			seconds = parse_num(optarg, argv[0]);
			break;
		case 'j':
			nthreads = parse_num(optarg, argv[0]);
			if (!nthreads || nthreads > MAX_THREADS)
				print_usage(argv[0]);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (!seeded) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		seed = ((unsigned long long)now.tv_sec << 20) ^ now.tv_nsec ^
		       ((unsigned long long)getpid() << 40);
	}
	ps = page_size();

	ksft_print_header();
	ksft_print_msg("seed: %llu\n", seed);
	ksft_print_msg("replay: %s -s %llu -t %u -j %u\n", argv[0], seed,
		       seconds, nthreads);
	if (access(GDMABUF_DEV, F_OK))
		ksft_exit_skip(GDMABUF_DEV " not present (module not loaded?)\n");
	ksft_set_plan(5);

	if (debugfs_state(getpid(), &mine, &total0))
		ksft_exit_fail_msg("cannot read %s\n", DEBUGFS_BUFFERS);
	fds0 = count_fds();
	mem_state(&mem0);

	ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		ksft_exit_fail_msg("open " GDMABUF_DEV ": %s\n", strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;

	pthread_attr_init(&attr);
	for (i = 0; i < nthreads; i++) {
		workers[i] = worker_create(i);
		if (!workers[i])
			ksft_exit_fail_msg("worker memory: %s\n", strerror(errno));
		pthread_attr_setstack(&attr, workers[i]->stack, workers[i]->stack_len);
		errno = pthread_create(&workers[i]->thread, &attr, worker_main,
				       workers[i]);
		if (errno)
			ksft_exit_fail_msg("pthread_create: %s\n", strerror(errno));
	}
	pthread_attr_destroy(&attr);
	for (i = 0; i < nthreads; i++) {
		pthread_join(workers[i]->thread, NULL);
		for (j = 0; j < NR_OPS; j++) {
			ok[j] += workers[i]->ok[j];
			err[j] += workers[i]->err[j];
		}
		ksft_print_msg("thread %u: %lu ops%s\n", i, workers[i]->nops,
			       workers[i]->failed ? ", failed" : "");
		worker_destroy(workers[i]);
	}
	close(ctl);

	for (j = 0; j < NR_OPS; j++) {
		ksft_print_msg("%-13s %8lu ok %6lu documented errors\n",
			       ops[j].name, ok[j], err[j]);
		if (!ok[j]) {
			ksft_print_msg("%s never succeeded\n", ops[j].name);
			all_ops = false;
		}
	}
	ksft_test_result(!nr_failures, "stress\n");
	ksft_test_result(all_ops, "every_op_succeeded\n");

	if (debugfs_state(getpid(), &mine, &total1))
		ksft_exit_fail_msg("cannot read %s\n", DEBUGFS_BUFFERS);
	if (mine || total1 != total0)
		ksft_print_msg("debugfs: %d buffers of this process, total %llu bytes, was %llu\n",
			       mine, total1, total0);
	ksft_test_result(!mine && total1 == total0, "no_buffer_left\n");

	fds1 = count_fds();
	maps1 = count_buffer_maps();
	/* -1 with ECHILD: no child, running or zombie */
	child = waitpid(-1, NULL, WNOHANG);
	child_err = child < 0 ? errno : 0;
	if (fds1 != fds0 || maps1 || child_err != ECHILD)
		ksft_print_msg("%d fds, were %d; %d buffer mappings; waitpid: %d (%s)\n",
			       fds1, fds0, maps1, child, strerror(child_err));
	ksft_test_result(fds1 == fds0 && !maps1 && child_err == ECHILD,
			 "no_fd_mapping_or_child_left\n");

	mem_state(&mem1);
	ksft_print_msg("pages free %lld -> %lld, per-cpu %lld -> %lld, slab %lld -> %lld\n",
		       mem0.free, mem1.free, mem0.pcp, mem1.pcp, mem0.slab,
		       mem1.slab);
	ksft_print_msg("free cma %lld -> %lld; free, per-cpu and slab: %+lld, slack %d\n",
		       mem0.cma, mem1.cma, mem_avail(&mem1) - mem_avail(&mem0), FREE_PAGES_SLACK);
	ksft_test_result(mem0.free >= 0 && mem0.pcp >= 0 && mem1.pcp >= 0 &&
			 mem0.slab >= 0 && mem1.slab >= 0 &&
			 mem_avail(&mem1) + FREE_PAGES_SLACK >= mem_avail(&mem0),
			 "free_pages_restored\n");

	ksft_print_msg("seed: %llu\n", seed);
	ksft_finished();
}
