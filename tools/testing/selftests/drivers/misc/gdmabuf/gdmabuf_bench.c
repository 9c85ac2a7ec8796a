// SPDX-License-Identifier: GPL-2.0
/*
 * gdmabuf_bench: what a gdmabuf buffer costs userspace, next to its peers:
 * anonymous memory with and without THP, udmabuf, and the DMA-BUF system
 * and CMA heaps, and how those costs grow with the size.
 *
 * For each size of the sweep (16 MiB, doubling, up to the top), each pass
 * gives each subject in turn one buffer of that size, which is allocated,
 * mapped, touched once per 4 KiB page, written and read whole once, synced
 * (gdmabuf and dma-buf only), written to and read from an O_DIRECT block
 * device, and freed before the next subject starts. Per size, the table
 * shows each subject's best pass: the time of each step, the page faults
 * of the first touch, the page-table memory (VmPTE) the mapping added, and
 * the CPU bandwidth of one write and one read pass through the mapping,
 * taken without syncs; then every pass's allocation and first-touch time,
 * flagging a first pass much slower than the others (the first CMA
 * allocation of a boot migrates what was there). A summary per GiB shows
 * how each cost grows, a chart the setup cost at the top size, and the
 * ratios divide each gdmabuf subject by the best peer of each column.
 * Lower is better, except for bandwidth.
 *
 * Usage: gdmabuf_bench [-s SIZE_MIB | -m MAX_MIB] [-p PASSES]
 *   -s: one size only; -m: the top of the sweep (default: the largest power
 *   of two at most a third of RAM); -p: passes per size (2 to 8, default 2)
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/gdmabuf.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

#include "gdmabuf_util.h"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

#define MIB			(1024UL * 1024)
/* The sweep starts here and doubles up to its top. */
#define SWEEP_MIN_MIB		16UL
#define MAX_SIZES		32
#define DEFAULT_PASSES		2
#define MAX_PASSES		8
/* A first pass this many times slower than the best other is flagged. */
#define FIRST_PASS_SLOWER	1.5
#define CHART_WIDTH		50
#define TOUCH_STRIDE		4096UL
/* Anonymous THP mappings are aligned to this, to get PMD-sized faults. */
#define HUGE_ALIGN		(2 * MIB)
#define SYNC_SMALL_REPS		16
/* O_DIRECT to and from a loop device on a memfd: at most this much. */
#define ODIRECT_MAX_MIB		64
#define ODIRECT_MAX		(ODIRECT_MAX_MIB * MIB)
#define WRITE_PATTERN		0x5a5a5a5a5a5a5a5aULL
#define HEAP_DIR		"/dev/dma_heap"
#define THP_ENABLED		"/sys/kernel/mm/transparent_hugepage/enabled"
/* Clock steps longer than this make the short times noise. */
#define CLOCK_STEP_OK_US	10.0
#define TEXT_LEN		160

/* Values of a sync time that is not a time. */
#define SYNC_NONE		-1.0
#define SYNC_FAILED		-2.0

enum kind {
	KIND_GDMABUF,
	KIND_ANON,
	KIND_UDMABUF,
	KIND_HEAP,
};

/* Subjects, in table order. */
enum {
	S_GD_CONTIG,
	S_GD_SG,
	S_GD_COHERENT,
	S_GD_WC,
	S_ANON_THP,
	S_ANON_4K,
	S_UDMABUF,
	S_HEAP_SYSTEM,
	S_HEAP_CMA,
	NR_SUBJECTS,
};

struct subject {
	const char *name;
	enum kind kind;
	__u32 mem_type;
	__u32 layout;
	bool thp;
	bool cma;
};

static const struct subject subjects[NR_SUBJECTS] = {
	[S_GD_CONTIG] = { "gdmabuf cached contig", KIND_GDMABUF,
			  GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS },
	[S_GD_SG] = { "gdmabuf cached sg", KIND_GDMABUF,
		      GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_SCATTER_GATHER },
	[S_GD_COHERENT] = { "gdmabuf coherent", KIND_GDMABUF,
			    GDMABUF_MEM_COHERENT, GDMABUF_LAYOUT_CONTIGUOUS },
	[S_GD_WC] = { "gdmabuf write-combine", KIND_GDMABUF,
		      GDMABUF_MEM_WRITE_COMBINE, GDMABUF_LAYOUT_CONTIGUOUS },
	[S_ANON_THP] = { "anon THP", KIND_ANON, .thp = true },
	[S_ANON_4K] = { "anon no-THP", KIND_ANON },
	[S_UDMABUF] = { "udmabuf", KIND_UDMABUF },
	[S_HEAP_SYSTEM] = { "heap system", KIND_HEAP },
	[S_HEAP_CMA] = { "heap cma", KIND_HEAP, .cma = true },
};

/* One subject's numbers; a time below zero was not measured. */
struct result {
	char name[TEXT_LEN];
	bool ok;
	char why[TEXT_LEN];
	char note[TEXT_LEN];
	double alloc_us;
	double mmap_us;
	double touch_us;
	long faults;
	long pte_kib;
	double write_mbs;
	double read_mbs;
	double sync_4k_us;
	double sync_1m_us;
	double sync_all_us;
	/* O_DIRECT MB/s from and into the mapping; 0 with the errno */
	double dio_write_mbs;
	double dio_read_mbs;
	int dio_errno;
};

/* What one subject holds while it is measured. */
struct buffer {
	int fd;
	int memfd;
	void *map;
	size_t map_len;
	size_t size;
	bool thp_disabled;
};

static sigjmp_buf fault_jmp;
static const char *phase;

/* Forces each access of a loop to happen, once and as written. */
static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

static void set_text(char *text, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, TEXT_LEN, fmt, ap);
	va_end(ap);
}

static double now_us(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail; a benchmark without it is no use. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
		perror("clock_gettime");
		exit(EXIT_FAILURE);
	}
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The smallest step CLOCK_MONOTONIC takes, in us; 0 if it stands still. */
static double clock_step_us(void)
{
	double step = 0, t0, t1;
	long spins;
	int i;

	/* From one change of the clock to the next, three times. */
	t0 = now_us();
	for (i = 0; i < 4; i++) {
		spins = 0;
		do {
			t1 = now_us();
		} while (t1 == t0 && ++spins < 100000000);
		if (t1 == t0)
			return 0;
		if (i && (!step || t1 - t0 < step))
			step = t1 - t0;
		t0 = t1;
	}
	return step;
}

static bool clock_coarse(double step_us)
{
	return !step_us || step_us > CLOCK_STEP_OK_US;
}

static long faults_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt + ru.ru_majflt;
}

/* VmPTE of this process in KiB, or -1. */
static long vm_pte_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &kib) == 1)
			break;
	if (fclose(f))
		return -1;
	return kib;
}

static void close_fd(int fd, const char *what)
{
	if (fd >= 0 && close(fd))
		fprintf(stderr, "close %s: %s\n", what, strerror(errno));
}

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* Open @path, or say in @r why not. */
static int open_dev(const char *path, struct result *r)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		set_text(r->why, "open %s: %s", path, strerror(errno));
	return fd;
}

static int alloc_gdmabuf(const struct subject *s, struct buffer *b,
			 struct result *r)
{
	double t0;
	int ctl;

	ctl = open_dev(GDMABUF_DEV, r);
	if (ctl < 0)
		return -1;
	t0 = now_us();
	b->fd = alloc_buffer(ctl, b->size, s->mem_type, s->layout,
			     O_RDWR | O_CLOEXEC);
	if (b->fd < 0)
		set_text(r->why, "GDMABUF_IOCTL_ALLOC: %s", strerror(errno));
	else
		r->alloc_us = now_us() - t0;
	close_fd(ctl, GDMABUF_DEV);
	return b->fd < 0 ? -1 : 0;
}

static int alloc_udmabuf(struct buffer *b, struct result *r)
{
	struct udmabuf_create args = {
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = b->size,
	};
	double t0;
	int dev;

	dev = open_dev("/dev/udmabuf", r);
	if (dev < 0)
		return -1;
	t0 = now_us();
	b->memfd = memfd_create("bench", MFD_ALLOW_SEALING);
	if (b->memfd < 0) {
		set_text(r->why, "memfd_create: %s", strerror(errno));
		goto out;
	}
	if (ftruncate(b->memfd, b->size)) {
		set_text(r->why, "ftruncate memfd: %s", strerror(errno));
		goto out;
	}
	if (fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		set_text(r->why, "F_ADD_SEALS: %s", strerror(errno));
		goto out;
	}
	args.memfd = b->memfd;
	b->fd = ioctl(dev, UDMABUF_CREATE, &args);
	if (b->fd < 0) {
		set_text(r->why, "UDMABUF_CREATE: %s", strerror(errno));
		goto out;
	}
	r->alloc_us = now_us() - t0;
out:
	close_fd(dev, "/dev/udmabuf");
	return b->fd < 0 ? -1 : 0;
}

/* The CMA heap: "reserved" if there is one, else any heap but "system". */
static int find_cma_heap(char *name, struct result *r)
{
	struct dirent *entry;
	bool found = false;
	DIR *dir;

	dir = opendir(HEAP_DIR);
	if (!dir) {
		set_text(r->why, "open %s: %s", HEAP_DIR, strerror(errno));
		return -1;
	}
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.' || !strcmp(entry->d_name, "system"))
			continue;
		if (!found || !strcmp(entry->d_name, "reserved"))
			set_text(name, "%s", entry->d_name);
		found = true;
	}
	if (closedir(dir))
		fprintf(stderr, "closedir %s: %s\n", HEAP_DIR, strerror(errno));
	if (!found) {
		set_text(r->why, "no heap but \"system\" in %s", HEAP_DIR);
		return -1;
	}
	return 0;
}

static int alloc_heap(const struct subject *s, struct buffer *b,
		      struct result *r)
{
	struct dma_heap_allocation_data args = {
		.len = b->size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char heap[TEXT_LEN] = "system";
	char path[2 * TEXT_LEN];
	double t0;
	int dev;

	if (s->cma) {
		if (find_cma_heap(heap, r))
			return -1;
		set_text(r->name, "%s (%s)", s->name, heap);
	}
	snprintf(path, sizeof(path), "%s/%s", HEAP_DIR, heap);
	dev = open_dev(path, r);
	if (dev < 0)
		return -1;
	t0 = now_us();
	if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &args)) {
		set_text(r->why, "DMA_HEAP_IOCTL_ALLOC: %s", strerror(errno));
		close_fd(dev, path);
		return -1;
	}
	r->alloc_us = now_us() - t0;
	close_fd(dev, path);
	b->fd = args.fd;
	return 0;
}

/* Whether THP is "always" on: then anon memory gets it without madvise(). */
static bool thp_always(void)
{
	char line[TEXT_LEN];
	bool always = false;
	FILE *f;

	f = fopen(THP_ENABLED, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))
		always = strstr(line, "[always]");
	if (fclose(f))
		return false;
	return always;
}

/*
 * Ask for THP, or for none. Without madvise() (CONFIG_ADVISE_SYSCALLS=n)
 * THP comes only from enabled=always, and PR_SET_THP_DISABLE keeps it off.
 */
static int advise_thp(const struct subject *s, struct buffer *b,
		      struct result *r)
{
	const char *advice = s->thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE";
	int err;

	if (!madvise(b->map, b->size, s->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return 0;
	err = errno;
	if (s->thp && thp_always()) {
		set_text(r->note, "madvise(%s): %s; THP is always on", advice,
			 strerror(err));
		return 0;
	}
	if (!s->thp && !prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		b->thp_disabled = true;
		set_text(r->note, "madvise(%s): %s; used PR_SET_THP_DISABLE",
			 advice, strerror(err));
		return 0;
	}
	set_text(r->why, "madvise(%s): %s%s", advice, strerror(err),
		 s->thp ? ", THP not always on" : "");
	return -1;
}

/*
 * Map anonymous memory. For THP, map 2 MiB more and trim to a 2 MiB
 * boundary, so that every fault can take a whole PMD. The time covers
 * mmap(), the trimming munmap()s and madvise() (or its stand-ins).
 */
static int map_anon(const struct subject *s, struct buffer *b,
		    struct result *r)
{
	size_t len = b->size + HUGE_ALIGN;
	size_t head, tail;
	double t0 = now_us();
	char *area;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		set_text(r->why, "mmap: %s", strerror(errno));
		return -1;
	}
	b->map = area;
	b->map_len = len;
	head = -(uintptr_t)area & (HUGE_ALIGN - 1);
	tail = len - head - b->size;
	if ((head && munmap(area, head)) ||
	    (tail && munmap(area + head + b->size, tail))) {
		set_text(r->why, "munmap: %s", strerror(errno));
		return -1;
	}
	b->map = area + head;
	b->map_len = b->size;
	if (advise_thp(s, b, r))
		return -1;
	r->mmap_us = now_us() - t0;
	return 0;
}

static int map_fd(struct buffer *b, struct result *r)
{
	double t0 = now_us();
	void *map;

	map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (map == MAP_FAILED) {
		set_text(r->why, "mmap: %s", strerror(errno));
		return -1;
	}
	r->mmap_us = now_us() - t0;
	b->map = map;
	b->map_len = b->size;
	return 0;
}

static double mb_per_s(size_t bytes, double us)
{
	return us > 0 ? bytes / us : 0;
}

/*
 * Touch, write and read the mapping. @pte is VmPTE before mmap(). Its own
 * function: none of its locals is needed after the siglongjmp() of a fault.
 */
static void access_mapping(struct buffer *b, long pte, struct result *r)
{
	__u64 *word = b->map;
	size_t n = b->size / sizeof(*word);
	__u8 *byte = b->map;
	long faults, after;
	__u64 sum = 0;
	double t0;
	size_t i;

	phase = "first touch";
	barrier();
	faults = faults_now();
	t0 = now_us();
	for (i = 0; i < b->size; i += TOUCH_STRIDE) {
		byte[i] = 1;
		barrier();
	}
	r->touch_us = now_us() - t0;
	after = faults_now();
	if (faults >= 0 && after >= 0)
		r->faults = after - faults;
	else
		set_text(r->note, "getrusage: %s", strerror(errno));
	after = vm_pte_kib();
	if (pte >= 0 && after >= 0)
		r->pte_kib = after - pte;

	phase = "write pass";
	barrier();
	t0 = now_us();
	for (i = 0; i < n; i++) {
		word[i] = WRITE_PATTERN;
		barrier();
	}
	r->write_mbs = mb_per_s(b->size, now_us() - t0);

	phase = "read pass";
	barrier();
	t0 = now_us();
	for (i = 0; i < n; i++) {
		sum += word[i];
		barrier();
	}
	r->read_mbs = mb_per_s(b->size, now_us() - t0);
	/* Checking the sum also keeps the compiler from dropping the loads. */
	if (sum != n * WRITE_PATTERN)
		set_text(r->note, "read pass: sum %#llx, wrote %#llx",
			 (unsigned long long)sum,
			 (unsigned long long)(n * WRITE_PATTERN));
}

/* access_mapping(), where a SIGBUS or SIGSEGV ends the subject. */
static int access_buffer(struct buffer *b, long pte, struct result *r)
{
	int sig;

	sig = sigsetjmp(fault_jmp, 1);
	if (sig) {
		set_text(r->why, "%s during %s", strsignal(sig), phase);
		return -1;
	}
	access_mapping(b, pte, r);
	return 0;
}

/* One START/END pair of GDMABUF_IOCTL_SYNC on [0, @len), in us. */
static double sync_gdmabuf(int fd, size_t len, struct result *r)
{
	struct gdmabuf_sync args = {
		.len = len,
		.flags = GDMABUF_SYNC_RW | GDMABUF_SYNC_START,
	};
	double t0 = now_us();

	if (ioctl(fd, GDMABUF_IOCTL_SYNC, &args))
		goto fail;
	args.flags = GDMABUF_SYNC_RW | GDMABUF_SYNC_END;
	if (ioctl(fd, GDMABUF_IOCTL_SYNC, &args))
		goto fail;
	return now_us() - t0;
fail:
	set_text(r->note, "GDMABUF_IOCTL_SYNC of %zu bytes: %s", len,
		 strerror(errno));
	return SYNC_FAILED;
}

static double sync_gdmabuf_mean(int fd, size_t len, struct result *r)
{
	double sum = 0, us;
	int i;

	for (i = 0; i < SYNC_SMALL_REPS; i++) {
		us = sync_gdmabuf(fd, len, r);
		if (us < 0)
			return us;
		sum += us;
	}
	return sum / SYNC_SMALL_REPS;
}

/* One START/END pair of DMA_BUF_IOCTL_SYNC on the whole dma-buf, in us. */
static double sync_dmabuf(int fd, struct result *r)
{
	struct dma_buf_sync args = {
		.flags = DMA_BUF_SYNC_RW | DMA_BUF_SYNC_START,
	};
	double t0 = now_us();

	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &args))
		goto fail;
	args.flags = DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END;
	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &args))
		goto fail;
	return now_us() - t0;
fail:
	set_text(r->note, "DMA_BUF_IOCTL_SYNC: %s", strerror(errno));
	return SYNC_FAILED;
}

static void measure_syncs(const struct subject *s, struct buffer *b,
			  struct result *r)
{
	/* One untimed pair first: the first call pays for cold caches. */
	switch (s->kind) {
	case KIND_GDMABUF:
		sync_gdmabuf(b->fd, 4096, r);
		r->sync_4k_us = sync_gdmabuf_mean(b->fd, 4096, r);
		r->sync_1m_us = sync_gdmabuf_mean(b->fd, MIB, r);
		r->sync_all_us = sync_gdmabuf(b->fd, b->size, r);
		break;
	case KIND_UDMABUF:
	case KIND_HEAP:
		sync_dmabuf(b->fd, r);
		r->sync_all_us = sync_dmabuf(b->fd, r);
		break;
	case KIND_ANON:
		break;
	}
}

/* Allocate, map, measure and free one subject. */
/*
 * O_DIRECT write of the mapping to @loop, then read back into it: the data
 * path of a capture buffer to disk, without a copy through the page cache.
 */
static void measure_odirect(struct buffer *b, const struct loop_dev *loop,
			    struct result *r)
{
	size_t len = b->size < ODIRECT_MAX ? b->size : ODIRECT_MAX;
	ssize_t done;
	double t0;

	if (loop->fd < 0)
		return;
	t0 = now_us();
	done = pwrite(loop->fd, b->map, len, 0);
	if (done != (ssize_t)len)
		goto fail;
	r->dio_write_mbs = mb_per_s(len, now_us() - t0);
	t0 = now_us();
	done = pread(loop->fd, b->map, len, 0);
	if (done != (ssize_t)len)
		goto fail;
	r->dio_read_mbs = mb_per_s(len, now_us() - t0);
	return;
fail:
	r->dio_errno = done < 0 ? errno : EIO;
}

static void run_subject(const struct subject *s, size_t size,
			const struct loop_dev *loop, struct result *r)
{
	struct buffer b = { .fd = -1, .memfd = -1, .map = MAP_FAILED,
			    .size = size };
	long pte;
	int ret;

	set_text(r->name, "%s", s->name);
	r->alloc_us = -1;
	r->faults = -1;
	r->pte_kib = -1;
	r->sync_4k_us = SYNC_NONE;
	r->sync_1m_us = SYNC_NONE;
	r->sync_all_us = SYNC_NONE;

	switch (s->kind) {
	case KIND_GDMABUF:
		ret = alloc_gdmabuf(s, &b, r);
		break;
	case KIND_UDMABUF:
		ret = alloc_udmabuf(&b, r);
		break;
	case KIND_HEAP:
		ret = alloc_heap(s, &b, r);
		break;
	default:
		ret = 0;
		break;
	}
	if (ret)
		goto out;

	pte = vm_pte_kib();
	ret = s->kind == KIND_ANON ? map_anon(s, &b, r) : map_fd(&b, r);
	if (ret || access_buffer(&b, pte, r))
		goto out;
	measure_syncs(s, &b, r);
	measure_odirect(&b, loop, r);
	r->ok = true;
out:
	if (b.map != MAP_FAILED && munmap(b.map, b.map_len))
		fprintf(stderr, "%s: munmap: %s\n", r->name, strerror(errno));
	close_fd(b.fd, r->name);
	close_fd(b.memfd, "memfd");
	if (b.thp_disabled && prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0))
		fprintf(stderr, "PR_SET_THP_DISABLE 0: %s\n", strerror(errno));
}

/* Every pass of every subject at every size, and each one's best. */
static struct result passes[MAX_SIZES][NR_SUBJECTS][MAX_PASSES];
static struct result best[MAX_SIZES][NR_SUBJECTS];

static double min_time(double a, double b)
{
	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

static long min_count(long a, long b)
{
	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

static double max_rate(double a, double b)
{
	return a > b ? a : b;
}

/*
 * The best of @n passes, column by column: the shortest time, the fewest
 * faults, the highest bandwidth. Unavailable only if no pass worked.
 */
static void best_of(const struct result *pass, int n, struct result *b)
{
	const struct result *p;
	int i, ok = 0;

	*b = pass[0];
	for (i = 0; i < n; i++) {
		p = &pass[i];
		if (!p->ok)
			continue;
		if (!ok++) {
			*b = *p;
			continue;
		}
		b->alloc_us = min_time(b->alloc_us, p->alloc_us);
		b->mmap_us = min_time(b->mmap_us, p->mmap_us);
		b->touch_us = min_time(b->touch_us, p->touch_us);
		b->faults = min_count(b->faults, p->faults);
		b->pte_kib = min_count(b->pte_kib, p->pte_kib);
		b->write_mbs = max_rate(b->write_mbs, p->write_mbs);
		b->read_mbs = max_rate(b->read_mbs, p->read_mbs);
		b->sync_4k_us = min_time(b->sync_4k_us, p->sync_4k_us);
		b->sync_1m_us = min_time(b->sync_1m_us, p->sync_1m_us);
		b->sync_all_us = min_time(b->sync_all_us, p->sync_all_us);
		b->dio_write_mbs = max_rate(b->dio_write_mbs, p->dio_write_mbs);
		b->dio_read_mbs = max_rate(b->dio_read_mbs, p->dio_read_mbs);
		if (!p->dio_errno)
			b->dio_errno = 0;
		if (!b->note[0] && p->note[0])
			set_text(b->note, "%s", p->note);
	}
	for (i = 0; ok && i < n; i++)
		if (!pass[i].ok) {
			set_text(b->note, "pass %d: %s", i + 1, pass[i].why);
			break;
		}
}

/* Allocation, mmap() and first touch: what a buffer costs before use. */
static double setup_us(const struct result *r)
{
	return (r->alloc_us > 0 ? r->alloc_us : 0) + r->mmap_us + r->touch_us;
}

static void print_time(double us, int width)
{
	if (us == SYNC_FAILED)
		printf(" %*s", width, "fail");
	else if (us < 0)
		printf(" %*s", width, "-");
	else
		printf(" %*.1f", width, us);
}

static void print_long(long v, int width)
{
	if (v < 0)
		printf(" %*s", width, "?");
	else
		printf(" %*ld", width, v);
}

static void print_header(void)
{
	printf("%-24s %10s %8s %10s %6s %5s %6s %6s %7s %7s %9s %7s %7s\n",
	       "subject", "alloc", "mmap", "1st touch", "faults", "PTE", "write",
	       "read", "sync", "sync", "sync", "DIO wr", "DIO rd");
	printf("%-24s %10s %8s %10s %6s %5s %6s %6s %7s %7s %9s %7s %7s\n", "",
	       "us", "us", "us", "", "KiB", "MB/s", "MB/s", "4K us", "1M us",
	       "all us", "MB/s", "MB/s");
}

static void print_row(const struct result *r)
{
	printf("%-24s", r->name);
	if (!r->ok) {
		printf(" unavailable: %s\n", r->why);
		return;
	}
	print_time(r->alloc_us, 10);
	print_time(r->mmap_us, 8);
	print_time(r->touch_us, 10);
	print_long(r->faults, 6);
	print_long(r->pte_kib, 5);
	printf(" %6.0f %6.0f", r->write_mbs, r->read_mbs);
	print_time(r->sync_4k_us, 7);
	print_time(r->sync_1m_us, 7);
	print_time(r->sync_all_us, 9);
	if (r->dio_errno == EFAULT)
		printf(" %7s %7s", "EFAULT", "EFAULT");
	else if (r->dio_errno)
		printf(" %7s %7s", "fail", "fail");
	else if (r->dio_write_mbs > 0)
		printf(" %7.0f %7.0f", r->dio_write_mbs, r->dio_read_mbs);
	else
		printf(" %7s %7s", "-", "-");
	printf("\n");
}

/*
 * Each pass's allocation and first-touch times, and whether the first
 * pass was much slower than the best of the others at either.
 */
static void print_passes(struct result pass[][MAX_PASSES], int npasses)
{
	const struct result *p;
	double other_alloc, other_touch;
	int i, k;

	printf("\npasses: alloc us, then 1st touch us, of pass 1 to %d\n",
	       npasses);
	for (i = 0; i < NR_SUBJECTS; i++) {
		for (k = 0; k < npasses && !pass[i][k].ok; k++)
			;
		if (k == npasses)
			continue;
		printf("%-24s", pass[i][0].name);
		other_alloc = -1;
		other_touch = -1;
		for (k = 0; k < npasses; k++) {
			p = &pass[i][k];
			print_time(p->ok ? p->alloc_us : -1, 10);
			if (k && p->ok) {
				other_alloc = min_time(other_alloc, p->alloc_us);
				other_touch = min_time(other_touch, p->touch_us);
			}
		}
		printf("  |");
		for (k = 0; k < npasses; k++)
			print_time(pass[i][k].ok ? pass[i][k].touch_us : -1, 10);
		p = &pass[i][0];
		if (p->ok && other_alloc > 0 &&
		    p->alloc_us > FIRST_PASS_SLOWER * other_alloc)
			printf("  first pass: alloc %.1fx", p->alloc_us / other_alloc);
		if (p->ok && other_touch > 0 &&
		    p->touch_us > FIRST_PASS_SLOWER * other_touch)
			printf("  first pass: touch %.1fx", p->touch_us / other_touch);
		printf("\n");
	}
}

/* A value of a subject at a size, for the summary; below 0 if none. */
typedef double (*metric_fn)(const struct result *r);

static double metric_alloc(const struct result *r)
{
	return r->alloc_us;
}

static double metric_setup(const struct result *r)
{
	return setup_us(r);
}

static double metric_faults(const struct result *r)
{
	return r->faults;
}

static double metric_pte(const struct result *r)
{
	return r->pte_kib;
}

static double metric_sync_all(const struct result *r)
{
	return r->sync_all_us;
}

static double metric_write(const struct result *r)
{
	return r->write_mbs;
}

static double metric_read(const struct result *r)
{
	return r->read_mbs;
}

static double metric_sync_4k(const struct result *r)
{
	return r->sync_4k_us;
}

static double metric_dio_write(const struct result *r)
{
	return r->dio_errno ? -1 : r->dio_write_mbs;
}

static double metric_dio_read(const struct result *r)
{
	return r->dio_errno ? -1 : r->dio_read_mbs;
}

static const struct {
	const char *title;
	metric_fn value;
	double scale;	/* per GiB value = value * 1024 / MiB / scale */
} growth[] = {
	{ "alloc, ms per GiB", metric_alloc, 1000 },
	{ "alloc + mmap + 1st touch, ms per GiB", metric_setup, 1000 },
	{ "1st touch faults per GiB", metric_faults, 1 },
	{ "PTE KiB per GiB", metric_pte, 1 },
	{ "sync all, us per GiB", metric_sync_all, 1 },
};

/* @m of subject @i at size @k, per GiB; below 0 if not measured. */
static double growth_value(size_t m, int i, int k, unsigned long size_mib)
{
	const struct result *r = &best[k][i];
	double v = r->ok ? growth[m].value(r) : -1;

	return v < 0 ? v : v * 1024 / size_mib / growth[m].scale;
}

static void print_growth(const unsigned long *size_mib, int nsizes)
{
	double v;
	size_t m;
	int i, k;

	printf("\nper GiB of buffer, at each size: %s\n",
	       "where a line keeps its number, the cost grows linearly");
	for (m = 0; m < ARRAY_SIZE(growth); m++) {
		printf("\n%s\n%-24s", growth[m].title, "size MiB");
		for (k = 0; k < nsizes; k++)
			printf(" %8lu", size_mib[k]);
		printf("\n");
		for (i = 0; i < NR_SUBJECTS; i++) {
			/* no line for what a subject does not have */
			for (k = 0; k < nsizes; k++)
				if (growth_value(m, i, k, size_mib[k]) >= 0)
					break;
			if (k == nsizes)
				continue;
			printf("%-24s", best[nsizes - 1][i].name);
			for (k = 0; k < nsizes; k++) {
				v = growth_value(m, i, k, size_mib[k]);
				if (v < 0)
					printf(" %8s", "-");
				else
					printf(" %8.*f", growth[m].scale > 1 ? 1 : 0, v);
			}
			printf("\n");
		}
	}
}

/* Setup cost per GiB at size @k, one bar per subject. */
static void print_chart(int k, unsigned long size_mib)
{
	double v, top = 0;
	int i, n;

	for (i = 0; i < NR_SUBJECTS; i++)
		if (best[k][i].ok && setup_us(&best[k][i]) > top)
			top = setup_us(&best[k][i]);
	if (top <= 0)
		return;
	printf("\nalloc + mmap + 1st touch at %lu MiB, ms per GiB (# = %.0f ms)\n",
	       size_mib, top * 1024 / size_mib / 1000 / CHART_WIDTH);
	for (i = 0; i < NR_SUBJECTS; i++) {
		printf("%-24s ", best[k][i].name);
		if (!best[k][i].ok) {
			printf("unavailable\n");
			continue;
		}
		v = setup_us(&best[k][i]);
		n = (int)(v / top * CHART_WIDTH + 0.5);
		printf("%-*.*s %8.1f\n", CHART_WIDTH, n ? n : 1,
		       "##################################################",
		       v * 1024 / size_mib / 1000);
	}
}

static bool subject_is_gdmabuf(int i)
{
	return subjects[i].kind == KIND_GDMABUF;
}

/* The width of a gdmabuf cell of the ratio table; the last gets none. */
static int ratio_width(int i)
{
	return i == S_GD_WC ? 0 : 22;
}

static const struct ratio_col {
	const char *title;
	metric_fn value;
	metric_fn peer_value;
	bool higher_better;
} ratio_cols[] = {
	{ "alloc us", metric_alloc, metric_alloc, false },
	{ "alloc+mmap+touch us", metric_setup, metric_setup, false },
	{ "1st touch faults", metric_faults, metric_faults, false },
	{ "PTE KiB", metric_pte, metric_pte, false },
	{ "write MB/s", metric_write, metric_write, true },
	{ "read MB/s", metric_read, metric_read, true },
	/* a peer syncs the whole buffer, also to sync 4 KiB of it */
	{ "sync 4K us (peer: all)", metric_sync_4k, metric_sync_all, false },
	{ "sync all us", metric_sync_all, metric_sync_all, false },
	{ "DIO write MB/s", metric_dio_write, metric_dio_write, true },
	{ "DIO read MB/s", metric_dio_read, metric_dio_read, true },
};

/* A value of @col, or below 0: a bandwidth of 0 was not measured. */
static double ratio_value(const struct ratio_col *col, metric_fn value,
			  const struct result *r)
{
	double v = r->ok ? value(r) : -1;

	return col->higher_better && v <= 0 ? -1 : v;
}

/* The peer with the best value of @col in @row, or -1. */
static int best_peer(const struct ratio_col *col, const struct result *row,
		     double *best_value)
{
	int i, at = -1;
	double v;

	for (i = 0; i < NR_SUBJECTS; i++) {
		if (subject_is_gdmabuf(i))
			continue;
		v = ratio_value(col, col->peer_value, &row[i]);
		if (v < 0)
			continue;
		if (at < 0 || (col->higher_better ? v > *best_value : v < *best_value)) {
			*best_value = v;
			at = i;
		}
	}
	return at;
}

/* Per column, each gdmabuf subject against the best peer of that column. */
static void print_ratios(int k, unsigned long size_mib)
{
	const struct ratio_col *col;
	const struct result *row = best[k];
	char cell[2 * TEXT_LEN];
	double peer = 0, v, r;
	size_t c;
	int i, at;

	printf("\nat %lu MiB, gdmabuf (ratio to the best peer of the column; %s\n",
	       size_mib, "MB/s: best peer / gdmabuf): under 1, gdmabuf is better");
	printf("%-24s %-30s", "column", "best peer");
	for (i = 0; i < NR_SUBJECTS; i++)
		if (subject_is_gdmabuf(i))
			printf(" %-*s", ratio_width(i),
			       row[i].name + strlen("gdmabuf "));
	printf("\n");
	for (c = 0; c < ARRAY_SIZE(ratio_cols); c++) {
		col = &ratio_cols[c];
		printf("%-24s", col->title);
		at = best_peer(col, row, &peer);
		if (at < 0) {
			printf(" none\n");
			continue;
		}
		snprintf(cell, sizeof(cell), "%s %.6g", row[at].name, peer);
		printf(" %-30s", cell);
		for (i = 0; i < NR_SUBJECTS; i++) {
			if (!subject_is_gdmabuf(i))
				continue;
			v = ratio_value(col, col->value, &row[i]);
			if (v < 0) {
				printf(" %-*s", ratio_width(i), "n/a");
				continue;
			}
			if (col->higher_better)
				r = peer / v;
			else
				r = peer > 0 ? v / peer : (v > 0 ? INFINITY : 1);
			snprintf(cell, sizeof(cell), "%.6g (%.3g)", v, r);
			printf(" %-*s", ratio_width(i), cell);
		}
		printf("\n");
	}
}

static const char * const footnotes[] = {
	"alloc: the allocation call(s); \"-\" for anon: its first touch allocates.",
	"mmap: anon: mmap() with 2 MiB slack, munmap() of the slack, madvise().",
	"1st touch: one byte written per 4 KiB page; faults: minor + major in it.",
	"PTE: VmPTE growth from before mmap() to after the touch, all levels.",
	"write, read: one pass of 64-bit stores, then loads, no sync; MB: 1e6 B.",
	"sync: gdmabuf: GDMABUF_IOCTL_SYNC RW START + END, 4K and 1M: mean of "
	__stringify(SYNC_SMALL_REPS) ";",
	"      udmabuf, heaps: DMA_BUF_IOCTL_SYNC RW START + END on the whole buffer.",
	"DIO: one pwrite() of the mapping (at most " __stringify(ODIRECT_MAX_MIB)
	" MiB) to an O_DIRECT loop device on a memfd, then one pread() back;",
	"     EFAULT: the kernel cannot pin the mapping's pages (a PFN mapping).",
	"Each cell: the best of the passes (shortest time, fewest faults, highest MB/s).",
};

static void print_usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [-s SIZE_MIB | -m MAX_MIB] [-p PASSES]\n"
		"  -s: one size only; -m: top of the sweep from %lu MiB (default: a third of RAM);\n"
		"  -p: passes per size, %d to %d (default %d)\n",
		prog, SWEEP_MIN_MIB, DEFAULT_PASSES, MAX_PASSES, DEFAULT_PASSES);
}

/* A size in MiB from @arg, or 0 if it is not one. */
static unsigned long parse_mib(const char *arg)
{
	unsigned long mib;
	char *end;

	errno = 0;
	mib = strtoul(arg, &end, 0);
	if (errno || *end || arg[0] == '-' || mib > SIZE_MAX / MIB - 2)
		return 0;
	return mib;
}

/* The largest power of two of MiB at most a third of RAM, or 0. */
static unsigned long default_top_mib(void)
{
	unsigned long mib = SWEEP_MIN_MIB;
	struct sysinfo si;
	double ram_mib;

	if (sysinfo(&si))
		return 0;
	ram_mib = (double)si.totalram * si.mem_unit / MIB;
	while (mib * 2 * 3 <= ram_mib)
		mib *= 2;
	return mib;
}

/* The sizes to run: @one alone, or the sweep up to @top. */
static int sweep_sizes(unsigned long one, unsigned long top,
		       unsigned long *size_mib)
{
	unsigned long mib;
	int n = 0;

	if (one) {
		size_mib[n++] = one;
		return n;
	}
	for (mib = SWEEP_MIN_MIB; mib < top && n < MAX_SIZES - 1; mib *= 2)
		size_mib[n++] = mib;
	size_mib[n++] = top;
	return n;
}

int main(int argc, char **argv)
{
	unsigned long size_mib[MAX_SIZES], one_mib = 0, top_mib = 0;
	struct sigaction sa = { .sa_handler = on_fault };
	int i, k, pass, nsizes, npasses = DEFAULT_PASSES;
	double step, step_end, t_start;
	struct loop_dev loop;
	struct utsname uts;
	size_t dio_len;
	bool anon_ok = false;
	int opt;

	while ((opt = getopt(argc, argv, "s:m:p:h")) != -1) {
		switch (opt) {
		case 's':
			one_mib = parse_mib(optarg);
			if (!one_mib)
				goto bad_arg;
			break;
		case 'm':
			top_mib = parse_mib(optarg);
			if (!top_mib)
				goto bad_arg;
			break;
		case 'p':
			npasses = (int)parse_mib(optarg);
			if (npasses < DEFAULT_PASSES || npasses > MAX_PASSES)
				goto bad_arg;
			break;
		case 'h':
			print_usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			print_usage(stderr, argv[0]);
			return EXIT_FAILURE;
		}
	}
	if (optind != argc || (one_mib && top_mib)) {
		print_usage(stderr, argv[0]);
		return EXIT_FAILURE;
	}
	if (!one_mib && !top_mib)
		top_mib = default_top_mib();
	if (!one_mib && top_mib < SWEEP_MIN_MIB) {
		fprintf(stderr, "the sweep needs a top of at least %lu MiB\n",
			SWEEP_MIN_MIB);
		return EXIT_FAILURE;
	}
	nsizes = sweep_sizes(one_mib, top_mib, size_mib);

	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL)) {
		perror("sigaction");
		return EXIT_FAILURE;
	}
	/* Let stdio set itself up before the first VmPTE is taken. */
	vm_pte_kib();
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("gdmabuf_bench: %lu to %lu MiB, %d passes per size, one subject at a time\n",
	       size_mib[0], size_mib[nsizes - 1], npasses);
	step = clock_step_us();
	if (clock_coarse(step))
		printf("warning: CLOCK_MONOTONIC steps by %.0f us: shorter times are noise\n",
		       step);
	dio_len = size_mib[nsizes - 1] * MIB;
	if (dio_len > ODIRECT_MAX)
		dio_len = ODIRECT_MAX;
	if (loop_dev_open(&loop, dio_len))
		printf("no O_DIRECT columns: loop device: %s\n", strerror(errno));

	t_start = now_us();
	for (k = 0; k < nsizes; k++) {
		for (pass = 0; pass < npasses; pass++)
			for (i = 0; i < NR_SUBJECTS; i++)
				run_subject(&subjects[i], size_mib[k] * MIB, &loop,
					    &passes[k][i][pass]);
		printf("\n== %lu MiB, best of %d passes ==\n", size_mib[k],
		       npasses);
		print_header();
		for (i = 0; i < NR_SUBJECTS; i++) {
			best_of(passes[k][i], npasses, &best[k][i]);
			print_row(&best[k][i]);
		}
		for (i = 0; i < NR_SUBJECTS; i++)
			if (best[k][i].note[0])
				printf("note: %s: %s\n", best[k][i].name,
				       best[k][i].note);
		print_passes(passes[k], npasses);
		anon_ok |= best[k][S_ANON_THP].ok || best[k][S_ANON_4K].ok;
	}
	loop_dev_close(&loop);

	for (i = 0; i < (int)ARRAY_SIZE(footnotes); i++)
		printf("%s%s\n", i ? "" : "\n", footnotes[i]);
	if (nsizes > 1)
		print_growth(size_mib, nsizes);
	print_chart(nsizes - 1, size_mib[nsizes - 1]);
	print_ratios(nsizes - 1, size_mib[nsizes - 1]);

	if (uname(&uts)) {
		perror("uname");
		snprintf(uts.release, sizeof(uts.release), "?");
		snprintf(uts.machine, sizeof(uts.machine), "?");
	}
	step_end = clock_step_us();
	printf("\nsizes %lu to %lu MiB, %d passes, %.0f s, page size %ld B, kernel %s %s, ",
	       size_mib[0], size_mib[nsizes - 1], npasses,
	       (now_us() - t_start) / 1e6, sysconf(_SC_PAGESIZE), uts.release,
	       uts.machine);
	printf("clock step %.3f us at start, %.3f at end\n", step, step_end);
	/* The kernel may switch to a coarse clocksource halfway, say in a VM. */
	if (!clock_coarse(step) && clock_coarse(step_end))
		printf("warning: the clock got coarse during the run: times are suspect\n");

	if (!anon_ok) {
		fprintf(stderr, "not even anonymous memory works\n");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;

bad_arg:
	fprintf(stderr, "bad argument: -%c %s\n", opt, optarg);
	print_usage(stderr, argv[0]);
	return EXIT_FAILURE;
}
