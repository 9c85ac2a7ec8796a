// SPDX-License-Identifier: GPL-2.0
/*
 * gdmabuf_bench: what a gdmabuf buffer costs userspace, next to its peers:
 * anonymous memory with and without THP, udmabuf, and the DMA-BUF system
 * and CMA heaps.
 *
 * Each subject in turn gets one buffer of SIZE bytes, which is allocated,
 * mapped, touched once per 4 KiB page, written and read whole once, synced
 * (gdmabuf and dma-buf only) and freed before the next subject starts.
 * Per subject the table shows the time of each step, the page faults of the
 * first touch, the page-table memory (VmPTE) the mapping added, and the CPU
 * bandwidth of one write and one read pass through the mapping, taken
 * without syncs. Lower is better, except for bandwidth. The ratios below
 * the table divide gdmabuf cached scatter-gather by each peer: under 1 means
 * gdmabuf costs less.
 *
 * Usage: gdmabuf_bench [-s SIZE_MIB]   (default 256)
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
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
#define DEFAULT_SIZE_MIB	256UL
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
	printf("%-24s %9s %8s %10s %6s %5s %6s %6s %7s %7s %9s %7s %7s\n",
	       "subject", "alloc", "mmap", "1st touch", "faults", "PTE", "write",
	       "read", "sync", "sync", "sync", "DIO wr", "DIO rd");
	printf("%-24s %9s %8s %10s %6s %5s %6s %6s %7s %7s %9s %7s %7s\n", "",
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
	print_time(r->alloc_us, 9);
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
 * A cell "a/b = ratio", or "n/a" when a side is missing, padded to @width
 * (0 for the last cell of a line, which gets no trailing blanks).
 */
static void print_ratio(double a, double b, const char *fmt, int width)
{
	char cell[TEXT_LEN];
	int len;

	if (a < 0 || b < 0) {
		printf(" %-*s", width, "n/a");
		return;
	}
	len = snprintf(cell, sizeof(cell), fmt, a, b);
	if (b > 0)
		snprintf(cell + len, sizeof(cell) - len, " = %.3g", a / b);
	else
		snprintf(cell + len, sizeof(cell) - len, " = %s", a > 0 ? "inf" : "n/a");
	printf(" %-*s", width, cell);
}

static void print_ratios(const struct result *res)
{
	static const int peers[] = {
		S_HEAP_CMA, S_UDMABUF, S_HEAP_SYSTEM, S_ANON_THP, S_ANON_4K,
	};
	static const int cached[] = { S_GD_CONTIG, S_GD_SG };
	/* the layout mapped with PMDs, as the peers' best are */
	const struct result *gd = &res[S_GD_SG];
	const struct result *p;
	size_t i;

	printf("\n%s / peer (under 1: gdmabuf costs less):\n", gd->name);
	printf("%-24s %-26s %-26s %s\n", "peer", "faults", "PTE KiB",
	       "mmap + 1st touch us");
	for (i = 0; i < ARRAY_SIZE(peers); i++) {
		p = &res[peers[i]];
		printf("%-24s", p->name);
		if (!gd->ok || !p->ok) {
			printf(" %-26s %-26s %s\n", "n/a", "n/a", "n/a");
			continue;
		}
		print_ratio(gd->faults, p->faults, "%.0f/%.0f", 26);
		print_ratio(gd->pte_kib, p->pte_kib, "%.0f/%.0f", 26);
		print_ratio(gd->mmap_us + gd->touch_us,
			    p->mmap_us + p->touch_us, "%.0f/%.0f", 0);
		printf("\n");
	}

	printf("\nsync 4 KiB / sync all, us:\n");
	for (i = 0; i < ARRAY_SIZE(cached); i++) {
		p = &res[cached[i]];
		printf("%-24s", p->name);
		if (p->ok)
			print_ratio(p->sync_4k_us, p->sync_all_us, "%.1f/%.1f", 0);
		else
			printf(" n/a");
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
};

static void print_usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [-s SIZE_MIB]   (default %lu)\n", prog,
		DEFAULT_SIZE_MIB);
}

int main(int argc, char **argv)
{
	struct result res[NR_SUBJECTS] = {};
	struct loop_dev loop;
	unsigned long size_mib = DEFAULT_SIZE_MIB;
	struct sigaction sa = { .sa_handler = on_fault };
	struct utsname uts;
	double step, step_end;
	char *end;
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		switch (opt) {
		case 's':
			errno = 0;
			size_mib = strtoul(optarg, &end, 0);
			if (errno || *end || !size_mib || optarg[0] == '-' ||
			    size_mib > SIZE_MAX / MIB - 2) {
				fprintf(stderr, "bad size: %s\n", optarg);
				print_usage(stderr, argv[0]);
				return EXIT_FAILURE;
			}
			break;
		case 'h':
			print_usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			print_usage(stderr, argv[0]);
			return EXIT_FAILURE;
		}
	}
	if (optind != argc) {
		print_usage(stderr, argv[0]);
		return EXIT_FAILURE;
	}

	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL)) {
		perror("sigaction");
		return EXIT_FAILURE;
	}
	/* Let stdio set itself up before the first VmPTE is taken. */
	vm_pte_kib();
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("gdmabuf_bench: %lu MiB per subject, one subject at a time\n",
	       size_mib);
	step = clock_step_us();
	if (clock_coarse(step))
		printf("warning: CLOCK_MONOTONIC steps by %.0f us: shorter times are noise\n",
		       step);
	if (loop_dev_open(&loop, size_mib < ODIRECT_MAX_MIB ? size_mib * MIB : ODIRECT_MAX))
		printf("no O_DIRECT columns: loop device: %s\n", strerror(errno));
	printf("\n");
	print_header();
	for (i = 0; i < NR_SUBJECTS; i++) {
		run_subject(&subjects[i], size_mib * MIB, &loop, &res[i]);
		print_row(&res[i]);
	}
	loop_dev_close(&loop);

	for (i = 0; i < ARRAY_SIZE(footnotes); i++)
		printf("%s%s\n", i ? "" : "\n", footnotes[i]);
	for (i = 0; i < NR_SUBJECTS; i++)
		if (res[i].note[0])
			printf("note: %s: %s\n", res[i].name, res[i].note);

	print_ratios(res);

	if (uname(&uts)) {
		perror("uname");
		snprintf(uts.release, sizeof(uts.release), "?");
		snprintf(uts.machine, sizeof(uts.machine), "?");
	}
	step_end = clock_step_us();
	printf("\nsize %lu MiB, page size %ld B, kernel %s %s, ", size_mib,
	       sysconf(_SC_PAGESIZE), uts.release, uts.machine);
	printf("clock step %.3f us at start, %.3f at end\n", step, step_end);
	/* The kernel may switch to a coarse clocksource halfway, say in a VM. */
	if (!clock_coarse(step) && clock_coarse(step_end))
		printf("warning: the clock got coarse during the run: times are suspect\n");

	if (!res[S_ANON_THP].ok && !res[S_ANON_4K].ok) {
		fprintf(stderr, "not even anonymous memory works\n");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
