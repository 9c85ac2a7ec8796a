// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf buffers for a real device: QEMU's edu PCI device, bound to
 * uio_pci_generic and driven from userspace through its BAR, copies data
 * out of and into buffers allocated for it by name. Checks what the
 * device sees (DMA segments, IOMMU translation), that the data arrives,
 * ALLOC's device name errors, and what removing the device does.
 *
 * Run as root in a QEMU guest started with -device edu,dma_mask=0xffffffff
 * and the gdmabuf module loaded; every test skips when there is no edu.
 * Behind an IOMMU (-M q35 -device intel-iommu, intel_iommu=on) the tests
 * also check that the IOMMU translates and confines edu's DMA.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/gdmabuf.h>
#include <linux/pci_regs.h>

#include "../../../kselftest_harness.h"
#include "gdmabuf_util.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_BUS		"/sys/bus/pci"
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_DRIVER	"uio_pci_generic"

/* BAR0 registers */
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_BAR_MIN		0x100

/*
 * edu's own buffer, at 0x40000 of its address space, is 4 KiB; QEMU 7.2
 * aborts when a transfer ends at its last byte, so only 2 KiB are used.
 */
#define EDU_WINDOW		0x40000
#define EDU_WINDOW_SIZE		0x800
/* A transfer takes 100 ms of virtual time; far longer means a hang. */
#define EDU_DMA_TIMEOUT_MS	20000

/* Binding uio_pci_generic takes about 35 s on pc with ACPI under TCG. */
#define EDU_TIMEOUT		180
#define EDU_UNPLUG_TIMEOUT	300

#define SZ_4K		0x1000UL
#define SZ_64K		0x10000UL
#define SZ_2M		0x200000UL

/* A scatter-gather buffer of several blocks: 1027 pages need >= 3. */
#define EDU_SG_SIZE	((4UL << 20) + 3 * SZ_4K)
#define EDU_SG_MIN_BLOCKS	3
#define EDU_CONTIG_SIZE	(33 * SZ_4K)

/* Bytes around a transfer's destination that must stay as they were. */
#define EDU_GUARD	64
#define BACKGROUND_SEED	0xb6000000U
#define PATTERN_SEED	0x5eed0000U

/* IOMMU fault reports are rate-limited: 10 lines per 5 s. */
#define FAULT_REPORT_INTERVAL_US	5500000LL
/* How long a fault report may take to reach the log. */
#define FAULT_REPORT_POLLS	50
#define FAULT_REPORT_POLL_US	100000

struct edu {
	char bdf[32];		/* "0000:00:03.0" */
	char name[48];		/* "pci/0000:00:03.0", for ALLOC */
	__u8 *bar;		/* BAR0, EDU_BAR_MIN bytes or more */
	size_t bar_size;
	__u64 dma_mask;		/* the kernel's mask for the device */
};

/* A buffer for edu, mapped, with its DMA segments. */
struct edu_buffer {
	int fd;
	__u8 *map;
	size_t size;
	struct gdmabuf_info info;
	struct gdmabuf_segment_desc *segs;
	__u32 nr;
};

/* One 64-bit register access that the compiler neither splits nor drops. */
static __u64 edu_readq(const struct edu *edu, unsigned int reg)
{
	return __atomic_load_n((__u64 *)(edu->bar + reg), __ATOMIC_RELAXED);
}

static void edu_writeq(const struct edu *edu, unsigned int reg, __u64 val)
{
	__atomic_store_n((__u64 *)(edu->bar + reg), val, __ATOMIC_RELAXED);
}

static __u32 edu_readl(const struct edu *edu, unsigned int reg)
{
	return __atomic_load_n((__u32 *)(edu->bar + reg), __ATOMIC_RELAXED);
}

static void edu_writel(const struct edu *edu, unsigned int reg, __u32 val)
{
	__atomic_store_n((__u32 *)(edu->bar + reg), val, __ATOMIC_RELAXED);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* @src into @dst of @len bytes, or "" when it does not fit. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = 0;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Write @text to the file at @path; 0 or the errno. */
static int write_text(const char *path, const char *text)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? -n : 0;
}

/* The file at @path into @buf without its newline; 0 or the errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return -n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Attribute @attr of PCI device @bdf into @buf; 0 or the errno. */
static int pci_attr(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	return read_text(path, buf, len);
}

static int pci_write_attr(const char *bdf, const char *attr, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	return write_text(path, text);
}

static bool pci_present(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	return !access(path, F_OK);
}

/* The first edu's address into @bdf: true, or false when there is none. */
static bool edu_find(char *bdf, size_t len)
{
	char vendor[16], device[16];
	struct dirent *entry;
	bool found = false;
	DIR *dir;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return false;
	while (!found && (entry = readdir(dir))) {
		if (entry->d_name[0] == '.' ||
		    pci_attr(entry->d_name, "vendor", vendor, sizeof(vendor)) ||
		    pci_attr(entry->d_name, "device", device, sizeof(device)))
			continue;
		found = strtoul(vendor, NULL, 16) == EDU_VENDOR &&
			strtoul(device, NULL, 16) == EDU_DEVICE;
		if (found)
			copy_str(bdf, len, entry->d_name);
	}
	closedir(dir);
	return found;
}

/* The name of the driver bound to @bdf into @drv, "" when none is. */
static void pci_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	slash = strrchr(target, '/');
	copy_str(drv, len, slash ? slash + 1 : target);
}

static int pci_unbind(const char *bdf)
{
	return pci_write_attr(bdf, "driver/unbind", bdf);
}

/* Bind @bdf to uio_pci_generic unless it is; uio_pci_generic enables it. */
static void edu_bind(struct __test_metadata *_metadata, const char *bdf)
{
	char drv[64];

	pci_driver(bdf, drv, sizeof(drv));
	if (!strcmp(drv, EDU_DRIVER))
		return;
	if (drv[0])
		ASSERT_EQ(0, pci_unbind(bdf)) {
			TH_LOG("unbinding %s from %s", bdf, drv);
		}
	ASSERT_EQ(0, pci_write_attr(bdf, "driver_override", EDU_DRIVER));
	ASSERT_EQ(0, write_text(PCI_BUS "/drivers_probe", bdf));
	pci_driver(bdf, drv, sizeof(drv));
	ASSERT_STREQ(EDU_DRIVER, drv) {
		TH_LOG("%s did not bind to " EDU_DRIVER, bdf);
	}
}

/* Set bus mastering, keeping memory decoding on: edu's DMA needs both. */
static void edu_set_master(struct __test_metadata *_metadata, const char *bdf)
{
	const __u16 bits = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	char path[PATH_MAX];
	__u16 cmd = 0;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(cmd), pread(fd, &cmd, sizeof(cmd), PCI_COMMAND));
	if ((cmd & bits) != bits) {
		cmd |= bits;
		EXPECT_EQ(sizeof(cmd), pwrite(fd, &cmd, sizeof(cmd), PCI_COMMAND));
		cmd = 0;
		EXPECT_EQ(sizeof(cmd), pread(fd, &cmd, sizeof(cmd), PCI_COMMAND));
	}
	close(fd);
	ASSERT_EQ(bits, cmd & bits) {
		TH_LOG("command register %#x", cmd);
	}
}

/* Map BAR0 and see the device answer. */
static void edu_map_bar(struct __test_metadata *_metadata, struct edu *edu)
{
	char path[PATH_MAX];
	struct stat st;
	__u32 probe = 0x1234abcd;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", edu->bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_LE(EDU_BAR_MIN, st.st_size);
	edu->bar_size = st.st_size;
	edu->bar = mmap(NULL, edu->bar_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, edu->bar);
	/* the identification register: version 1.0, "ed" */
	ASSERT_EQ(0xed, edu_readl(edu, EDU_REG_ID) & 0xff);
	edu_writel(edu, EDU_REG_LIVENESS, probe);
	ASSERT_EQ(~probe, edu_readl(edu, EDU_REG_LIVENESS));
}

static void edu_unmap_bar(struct edu *edu)
{
	if (edu->bar && edu->bar != MAP_FAILED)
		munmap(edu->bar, edu->bar_size);
	edu->bar = NULL;
}

/* Bind edu @bdf, let it master the bus, map its BAR, learn its mask. */
static void edu_open(struct __test_metadata *_metadata, struct edu *edu,
		     const char *bdf)
{
	char bits[16];

	snprintf(edu->bdf, sizeof(edu->bdf), "%s", bdf);
	snprintf(edu->name, sizeof(edu->name), "pci/%s", bdf);
	edu_bind(_metadata, bdf);
	edu_set_master(_metadata, bdf);
	edu_map_bar(_metadata, edu);
	ASSERT_EQ(0, pci_attr(bdf, "dma_mask_bits", bits, sizeof(bits)));
	edu->dma_mask = strtoull(bits, NULL, 10) >= 64 ? UINT64_MAX :
			(1ULL << strtoull(bits, NULL, 10)) - 1;
}

/* One transfer of edu's; 0, or -errno when it cannot start or end. */
static int edu_dma(const struct edu *edu, __u64 src, __u64 dst, __u64 count,
		   bool to_ram)
{
	long long start;

	if (edu_readq(edu, EDU_REG_DMA_CMD) & EDU_DMA_START)
		return -EBUSY;
	edu_writeq(edu, EDU_REG_DMA_SRC, src);
	edu_writeq(edu, EDU_REG_DMA_DST, dst);
	edu_writeq(edu, EDU_REG_DMA_COUNT, count);
	edu_writeq(edu, EDU_REG_DMA_CMD,
		   EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	start = now_us();
	while (edu_readq(edu, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (now_us() - start > EDU_DMA_TIMEOUT_MS * 1000LL)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

/* edu's window holds [@win, @win + @len): never its last byte (QEMU 7.2). */
static bool edu_window_ok(__u64 win, __u64 len)
{
	return len && win >= EDU_WINDOW &&
	       win + len <= EDU_WINDOW + EDU_WINDOW_SIZE;
}

/*
 * One transfer between edu's window at @win and RAM at device address
 * @addr, failing the test when edu does not finish it.
 */
static void edu_dma_one(struct __test_metadata *_metadata,
			const struct edu *edu, __u64 addr, __u64 win,
			__u64 len, bool to_ram)
{
	int ret;

	ASSERT_TRUE(edu_window_ok(win, len)) {
		TH_LOG("%#llx bytes at window %#llx", len, win);
	}
	ret = edu_dma(edu, to_ram ? win : addr, to_ram ? addr : win, len,
		      to_ram);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s DMA of %#llx bytes at %#llx: %s",
		       to_ram ? "edu-to-RAM" : "RAM-to-edu", len, addr,
		       strerror(-ret));
	}
}

/*
 * Device address of byte @off of @buf, and into @chunk how many bytes of
 * @len from there its DMA segment holds; 0 bytes past the segments.
 */
static __u64 segment_span(const struct edu_buffer *buf, __u64 off, __u64 len,
			  __u64 *chunk)
{
	__u32 i;

	for (i = 0; i < buf->nr; off -= buf->segs[i].len, i++) {
		if (off < buf->segs[i].len) {
			*chunk = buf->segs[i].len - off;
			if (*chunk > len)
				*chunk = len;
			return buf->segs[i].dma_addr + off;
		}
	}
	*chunk = 0;
	return 0;
}

/*
 * Copy @len bytes between byte @off of @buf and edu's window at @win, in
 * one transfer per DMA segment the range touches; how many transfers.
 */
static unsigned int edu_copy(struct __test_metadata *_metadata,
			     const struct edu *edu,
			     const struct edu_buffer *buf, __u64 off,
			     __u64 win, __u64 len, bool to_ram)
{
	unsigned int transfers = 0;
	__u64 addr, chunk;

	while (len) {
		addr = segment_span(buf, off, len, &chunk);
		ASSERT_NE(0, chunk) {
			TH_LOG("offset %#llx is past the DMA segments", off);
		}
		edu_dma_one(_metadata, edu, addr, win, chunk, to_ram);
		off += chunk;
		win += chunk;
		len -= chunk;
		transfers++;
	}
	return transfers;
}

/*
 * What byte @off of the pattern with @seed holds, mostly not zero: per
 * byte, unlike fill_pattern()'s words, for unaligned offsets and lengths.
 */
static __u8 pattern_byte(__u64 off, __u32 seed)
{
	__u64 x = (off + seed) * 0x9e3779b97f4a7c15ULL;

	return x >> 56;
}

static void fill_bytes(__u8 *map, __u64 off, __u64 len, __u32 seed)
{
	__u64 i;

	for (i = 0; i < len; i++)
		map[off + i] = pattern_byte(off + i, seed);
}

/*
 * The first of @len bytes at @map + @off that is not the pattern with
 * @seed as it was at offset @src, or -1.
 */
static long long bytes_mismatch(const __u8 *map, __u64 off, __u64 src,
				__u64 len, __u32 seed)
{
	__u64 i;

	for (i = 0; i < len; i++)
		if (map[off + i] != pattern_byte(src + i, seed))
			return i;
	return -1;
}

/* Allocate for @name (NULL: gdmabuf's own device); 0 or the errno. */
static int alloc_named(int ctl, const char *name, __u64 size, __u32 mem_type,
		       __u32 layout, int *fd)
{
	struct gdmabuf_alloc args = {
		.size = size,
		.mem_type = mem_type,
		.layout = layout,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (name) {
		args.device_name_ptr = (uintptr_t)name;
		args.device_name_len = strlen(name) + 1;
	}
	if (ioctl(ctl, GDMABUF_IOCTL_ALLOC, &args))
		return errno;
	*fd = args.fd;
	return 0;
}

/* ALLOC of a page for the @len bytes at @name; 0 or the errno. */
static int alloc_name_errno(int ctl, const void *name, __u32 len)
{
	struct gdmabuf_alloc args = {
		.size = SZ_4K,
		.fd_flags = O_RDWR | O_CLOEXEC,
		.device_name_ptr = (uintptr_t)name,
		.device_name_len = len,
	};

	return alloc_errno(ctl, args);
}

/* A mapped buffer for edu, with INFO and its segments. */
static void edu_buffer_alloc(struct __test_metadata *_metadata, int ctl,
			     const struct edu *edu, struct edu_buffer *buf,
			     __u64 size, __u32 mem_type, __u32 layout)
{
	int ret;

	buf->fd = -1;
	buf->map = MAP_FAILED;
	buf->segs = NULL;
	buf->size = size;
	ret = alloc_named(ctl, edu->name, size, mem_type, layout, &buf->fd);
	ASSERT_EQ(0, ret) {
		TH_LOG("ALLOC of %#llx bytes for %s: %s", size, edu->name,
		       strerror(ret));
	}
	ASSERT_EQ(0, get_info(buf->fd, &buf->info));
	buf->segs = get_segments(buf->fd, &buf->nr);
	ASSERT_NE(NULL, buf->segs);
	buf->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			buf->fd, 0);
	ASSERT_NE(MAP_FAILED, buf->map);
}

static void edu_buffer_free(struct edu_buffer *buf)
{
	if (buf->map && buf->map != MAP_FAILED)
		munmap(buf->map, buf->size);
	buf->map = MAP_FAILED;
	free(buf->segs);
	buf->segs = NULL;
	if (buf->fd >= 0)
		close(buf->fd);
	buf->fd = -1;
}

static void sync_or_fail(struct __test_metadata *_metadata,
			 const struct edu_buffer *buf, __u64 off, __u64 len,
			 __u32 flags)
{
	ASSERT_EQ(0, sync_errno(buf->fd, off, len, flags)) {
		TH_LOG("SYNC %#x of %#llx bytes at %#llx", flags, len, off);
	}
}

/* Fill all of @buf with the background and hand it to the device. */
static void fill_background(struct __test_metadata *_metadata,
			    const struct edu_buffer *buf)
{
	fill_bytes(buf->map, 0, buf->size, BACKGROUND_SEED);
	sync_or_fail(_metadata, buf, 0, buf->size,
		     GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END);
}

/*
 * The CPU writes @len bytes with @seed at @a, edu copies them into its
 * window at @win and out to @b; then the CPU sees exactly them at @b and
 * the background around. Restores the background at @a and @b.
 */
static void check_round_trip(struct __test_metadata *_metadata,
			     const struct edu *edu,
			     const struct edu_buffer *buf, __u64 a, __u64 b,
			     __u64 len, __u64 win, __u32 seed)
{
	__u64 lo = b > EDU_GUARD ? b - EDU_GUARD : 0;
	__u64 hi = b + len + EDU_GUARD < buf->size ? b + len + EDU_GUARD :
		   buf->size;
	unsigned int in, out;
	long long bad;

	ASSERT_LE(a + len, buf->size);
	ASSERT_LE(b + len, buf->size);
	fill_bytes(buf->map, a, len, seed);
	sync_or_fail(_metadata, buf, a, len,
		     GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END);
	in = edu_copy(_metadata, edu, buf, a, win, len, false);
	out = edu_copy(_metadata, edu, buf, b, win, len, true);
	sync_or_fail(_metadata, buf, lo, hi - lo,
		     GDMABUF_SYNC_READ | GDMABUF_SYNC_START);

	bad = bytes_mismatch(buf->map, b, a, len, seed);
	EXPECT_EQ(-1, bad) {
		TH_LOG("%#llx bytes %#llx to %#llx, %u + %u DMAs: byte %#llx %#x, not %#x",
		       len, a, b, in, out, bad, buf->map[b + bad],
		       pattern_byte(a + bad, seed));
	}
	bad = bytes_mismatch(buf->map, lo, lo, b - lo, BACKGROUND_SEED);
	EXPECT_EQ(-1, bad) {
		TH_LOG("byte %#llx before the copy to %#llx changed", lo + bad, b);
	}
	bad = bytes_mismatch(buf->map, b + len, b + len, hi - b - len,
			     BACKGROUND_SEED);
	EXPECT_EQ(-1, bad) {
		TH_LOG("byte %#llx after the copy to %#llx changed",
		       b + len + bad, b);
	}
	fill_bytes(buf->map, a, len, BACKGROUND_SEED);
	fill_bytes(buf->map, b, len, BACKGROUND_SEED);
	sync_or_fail(_metadata, buf, a, len,
		     GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END);
	sync_or_fail(_metadata, buf, b, len,
		     GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END);
}

/*
 * Whether @bdf is behind an IOMMU: 1 with its domain type in @type, 0
 * when it has no IOMMU group.
 */
static int edu_iommu(const char *bdf, char *type, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	if (access(path, F_OK))
		return 0;
	if (pci_attr(bdf, "iommu_group/type", type, len))
		snprintf(type, len, "unknown");
	return 1;
}

/* A mapping that DMA-API debugging recorded. */
struct dma_api_entry {
	__u64 phys;
	__u64 dma;
	__u64 len;
};

/*
 * Every mapping of the device named @dev that DMA-API debugging lists,
 * in a new array of *@nr; NULL when the list cannot be read. Reading it
 * walks every entry the kernel has: read it once, search the copy.
 */
static struct dma_api_entry *dma_api_mappings(const char *dev, size_t *nr)
{
	struct dma_api_entry *entries = NULL, *grown;
	unsigned long long p, d, l;
	char line[512], name[64];
	size_t room = 0;
	FILE *f;

	*nr = 0;
	f = fopen(DMA_API_DUMP, "r");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %63s %*s idx %*d P=%llx D=%llx L=%llx",
			   name, &p, &d, &l) != 4 || strcmp(name, dev))
			continue;
		if (*nr == room) {
			room = room ? 2 * room : 64;
			grown = realloc(entries, room * sizeof(*entries));
			if (!grown)
				break;
			entries = grown;
		}
		entries[(*nr)++] = (struct dma_api_entry){ p, d, l };
	}
	fclose(f);
	return entries ?: calloc(1, sizeof(*entries));
}

/* The mapping of @entries at device address @dma, or NULL. */
static const struct dma_api_entry *
dma_api_at(const struct dma_api_entry *entries, size_t nr, __u64 dma)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (entries[i].dma == dma)
			return &entries[i];
	return NULL;
}

/* Whether a mapping of @entries overlaps [@start, @start + @len). */
static bool dma_api_overlaps(const struct dma_api_entry *entries, size_t nr,
			     __u64 start, __u64 len)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (entries[i].dma < start + len &&
		    start < entries[i].dma + entries[i].len)
			return true;
	return false;
}

/*
 * Whether [@start, @start + @len) overlaps a reserved region of @bdf's
 * IOMMU group (the MSI window on x86, which a write would hit): 1 or 0.
 */
static int iommu_reserved_overlaps(const char *bdf, __u64 start, __u64 len)
{
	unsigned long long lo, hi;
	char path[PATH_MAX], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group/reserved_regions",
		 bdf);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%llx %llx", &lo, &hi) == 2 &&
			lo < start + len && start <= hi;
	fclose(f);
	return found;
}

/*
 * A device address of @len bytes outside @buf that nothing maps for edu:
 * just past its end, or else just before its start. 0 when neither is.
 */
static __u64 edu_unmapped_addr(const struct edu *edu,
			       const struct edu_buffer *buf, __u64 len)
{
	const __u64 start = buf->segs[0].dma_addr;
	__u64 cand[2] = { start + buf->size, (start & ~(SZ_4K - 1)) - SZ_4K };
	struct dma_api_entry *maps;
	__u64 found = 0;
	unsigned int i;
	size_t nr;

	maps = dma_api_mappings(edu->bdf, &nr);
	if (!maps)
		return 0;
	for (i = 0; !found && i < 2; i++) {
		if (!cand[i] || cand[i] + len - 1 > edu->dma_mask ||
		    cand[i] + len < cand[i])
			continue;
		if (!dma_api_overlaps(maps, nr, cand[i], len) &&
		    !iommu_reserved_overlaps(edu->bdf, cand[i], len))
			found = cand[i];
	}
	free(maps);
	return found;
}

/* Whether a kernel log message reports an IOMMU fault. */
static bool iommu_fault_message(const char *msg)
{
	if (!strncmp(msg, "DMAR: ", 6))
		return strstr(msg, "fault");
	return strstr(msg, "arm-smmu-v3") && strstr(msg, "event");
}

/*
 * Read one /dev/kmsg record: its time in us into @ts, its message into
 * @msg ("" when it cannot be parsed). 0, or the errno (EAGAIN at the end).
 */
static int kmsg_read(int fd, long long *ts, char *msg, size_t len)
{
	unsigned long long usec;
	const char *text;
	char rec[8192];
	ssize_t n;

	do {
		n = read(fd, rec, sizeof(rec) - 1);
	} while (n < 0 && errno == EPIPE);
	if (n < 0)
		return errno;
	rec[n] = '\0';
	text = strchr(rec, ';');
	*ts = -1;
	msg[0] = '\0';
	if (!text || sscanf(rec, "%*u,%*u,%llu", &usec) != 1)
		return 0;
	*ts = usec;
	snprintf(msg, len, "%s", text + 1);
	msg[strcspn(msg, "\n")] = '\0';
	return 0;
}

/*
 * Let the kernel's IOMMU fault reports leave their rate limit: wait until
 * FAULT_REPORT_INTERVAL_US has passed, on the log's clock, since the last
 * one. The mark written tells the log reader that faults come next.
 */
static void kmsg_pace_faults(struct __test_metadata *_metadata,
			     const char *what)
{
	long long ts, last = -1, now = -1;
	char mark[256], rec[260], msg[1024];
	int fd, ret;

	fd = open("/dev/kmsg", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(mark, sizeof(mark),
		 "gdmabuf_edu_test[%d]: %s: IOMMU faults expected", getpid(),
		 what);
	snprintf(rec, sizeof(rec), "<6>%s\n", mark);
	ASSERT_EQ(strlen(rec), write(fd, rec, strlen(rec)));
	while (!(ret = kmsg_read(fd, &ts, msg, sizeof(msg)))) {
		if (iommu_fault_message(msg))
			last = ts;
		else if (!strcmp(msg, mark))
			now = ts;
	}
	close(fd);
	ASSERT_EQ(EAGAIN, ret);
	ASSERT_LE(0, now) {
		TH_LOG("the mark written to /dev/kmsg did not come back");
	}
	if (last >= 0 && now - last < FAULT_REPORT_INTERVAL_US)
		usleep(FAULT_REPORT_INTERVAL_US - (now - last));
}

/* /dev/kmsg from its end: the records logged from now on. */
static int kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Whether a fault report of @edu's DMA at a page of [@addr, @addr + @len)
 * arrives at @fd: on x86 "DMAR: [DMA Write NO_PASID] Request device
 * [00:03.0] fault addr 0x...", on arm64 the SMMU's event. The last
 * matching message into @seen.
 */
static bool kmsg_iommu_fault(int fd, const struct edu *edu, __u64 addr,
			     __u64 len, char *seen, size_t seen_len)
{
	unsigned int domain, bus, slot, fn;
	unsigned long long fault;
	char msg[1024], dev[16];
	const char *at;
	long long ts;
	int polls, ret;

	if (sscanf(edu->bdf, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4)
		return false;
	snprintf(dev, sizeof(dev), "[%02x:%02x.%x]", bus, slot, fn);
	for (polls = 0; polls < FAULT_REPORT_POLLS; polls++) {
		while (!(ret = kmsg_read(fd, &ts, msg, sizeof(msg)))) {
			if (!iommu_fault_message(msg))
				continue;
			snprintf(seen, seen_len, "%s", msg);
			if (strstr(msg, "arm-smmu-v3"))
				return true;
			at = strstr(msg, "fault addr ");
			if (strstr(msg, dev) && at &&
			    sscanf(at, "fault addr %llx", &fault) == 1 &&
			    fault >> 12 >= addr >> 12 &&
			    fault >> 12 <= (addr + len - 1) >> 12)
				return true;
		}
		usleep(FAULT_REPORT_POLL_US);
	}
	return false;
}

/*
 * Behind an IOMMU, edu's DMA outside @buf is stopped: its write to RAM
 * there goes nowhere and its read from there gives zeros (what QEMU
 * returns for a failed translation) instead of what the window held, and
 * the kernel reports the faults.
 */
static void check_dma_outside_stopped(struct __test_metadata *_metadata,
				      const struct edu *edu,
				      const struct edu_buffer *buf)
{
	const __u64 len = EDU_WINDOW_SIZE, b = buf->size - len;
	char seen[1024] = "";
	ssize_t nonzero;
	__u64 outside;
	int kmsg;

	outside = edu_unmapped_addr(edu, buf, len);
	ASSERT_NE(0, outside) {
		TH_LOG("no unmapped device address next to %#llx + %#zx",
		       buf->segs[0].dma_addr, buf->size);
	}
	fill_background(_metadata, buf);
	fill_bytes(buf->map, 0, len, PATTERN_SEED);
	sync_or_fail(_metadata, buf, 0, len,
		     GDMABUF_SYNC_WRITE | GDMABUF_SYNC_END);
	/* the window holds the pattern */
	edu_copy(_metadata, edu, buf, 0, EDU_WINDOW, len, false);

	kmsg_pace_faults(_metadata, edu->bdf);
	kmsg = kmsg_open_end();
	ASSERT_LE(0, kmsg);
	edu_dma_one(_metadata, edu, outside, EDU_WINDOW, len, true);
	edu_dma_one(_metadata, edu, outside, EDU_WINDOW, len, false);
	edu_copy(_metadata, edu, buf, b, EDU_WINDOW, len, true);
	sync_or_fail(_metadata, buf, b, len,
		     GDMABUF_SYNC_READ | GDMABUF_SYNC_START);
	nonzero = first_nonzero(buf->map + b, len);
	EXPECT_EQ(-1, nonzero) {
		TH_LOG("DMA at %#llx, buffer at %#llx: window byte %zd is %#x",
		       outside, buf->segs[0].dma_addr, nonzero,
		       buf->map[b + nonzero]);
	}
	EXPECT_TRUE(kmsg_iommu_fault(kmsg, edu, outside, len, seen,
				     sizeof(seen))) {
		TH_LOG("no IOMMU fault report of %s at %#llx in /dev/kmsg; last fault line: \"%s\"",
		       edu->bdf, outside, seen);
	}
	close(kmsg);
}

FIXTURE(edu) {
	int ctl;
	struct edu edu;
	struct edu_buffer buf;
};

FIXTURE_VARIANT(edu) {
	__u32 mem_type;
	__u32 layout;
	size_t size;
	/* offset of a block boundary of an SG buffer, or of a page */
	size_t boundary;
};

FIXTURE_VARIANT_ADD(edu, cached_contiguous) {
	.mem_type = GDMABUF_MEM_CACHED,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.size = EDU_CONTIG_SIZE,
	.boundary = SZ_64K,
};

FIXTURE_VARIANT_ADD(edu, cached_scatter_gather) {
	.mem_type = GDMABUF_MEM_CACHED,
	.layout = GDMABUF_LAYOUT_SCATTER_GATHER,
	.size = EDU_SG_SIZE,
	.boundary = SZ_2M,
};

FIXTURE_VARIANT_ADD(edu, coherent) {
	.mem_type = GDMABUF_MEM_COHERENT,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.size = EDU_CONTIG_SIZE,
	.boundary = SZ_64K,
};

FIXTURE_VARIANT_ADD(edu, write_combine) {
	.mem_type = GDMABUF_MEM_WRITE_COMBINE,
	.layout = GDMABUF_LAYOUT_CONTIGUOUS,
	.size = EDU_CONTIG_SIZE,
	.boundary = SZ_64K,
};

/* gdmabuf and an edu, bound, mastering and mapped; SKIP without either. */
static bool edu_attach(struct __test_metadata *_metadata, int *ctl,
		       struct edu *edu)
{
	char bdf[32];

	*ctl = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (*ctl < 0 && errno == ENOENT)
		return false;
	ASSERT_LE(0, *ctl);
	if (!edu_find(bdf, sizeof(bdf)))
		return false;
	edu_open(_metadata, edu, bdf);
	return true;
}

FIXTURE_SETUP(edu)
{
	self->buf.fd = -1;
	if (!edu_attach(_metadata, &self->ctl, &self->edu))
		SKIP(return, "no " GDMABUF_DEV " or no edu device (1234:11e8)");
	edu_buffer_alloc(_metadata, self->ctl, &self->edu, &self->buf,
			 variant->size, variant->mem_type, variant->layout);
}

FIXTURE_TEARDOWN(edu)
{
	edu_buffer_free(&self->buf);
	edu_unmap_bar(&self->edu);
	if (self->ctl >= 0)
		close(self->ctl);
}

/*
 * The device sees the buffer as INFO and SEGMENTS say: segments covering
 * it, within edu's DMA mask; one segment when contiguous; an SG buffer
 * of several blocks, each DMA segment joining one or more of them.
 */
TEST_F_TIMEOUT(edu, info_segments, EDU_TIMEOUT)
{
	const struct gdmabuf_info *info = &self->buf.info;
	__u64 total = 0;
	__u32 i;

	EXPECT_EQ(variant->size, info->size);
	EXPECT_EQ(variant->mem_type, info->mem_type);
	EXPECT_EQ(variant->layout, info->layout);
	EXPECT_FALSE(info->attrs & GDMABUF_ATTR_DETACHED);
	ASSERT_TRUE(info->attrs & GDMABUF_ATTR_DMA_ADDR_VISIBLE);
	EXPECT_EQ(info->nr_segments, self->buf.nr);
	for (i = 0; i < self->buf.nr; i++) {
		const struct gdmabuf_segment_desc *seg = &self->buf.segs[i];

		EXPECT_NE(0, seg->len);
		EXPECT_LE(seg->dma_addr + seg->len - 1, self->edu.dma_mask) {
			TH_LOG("segment %u: %#llx bytes at %#llx, mask %#llx",
			       i, seg->len, seg->dma_addr, self->edu.dma_mask);
		}
		total += seg->len;
	}
	EXPECT_EQ(variant->size, total);
	if (variant->layout == GDMABUF_LAYOUT_CONTIGUOUS) {
		EXPECT_EQ(1, info->nr_blocks);
		ASSERT_EQ(1, self->buf.nr);
		EXPECT_TRUE(info->attrs & GDMABUF_ATTR_DMA_CONTIGUOUS);
		EXPECT_EQ(self->buf.segs[0].dma_addr, info->dma_addr);
		return;
	}
	EXPECT_LE(EDU_SG_MIN_BLOCKS, info->nr_blocks);
	EXPECT_GE(info->nr_blocks, self->buf.nr);
	EXPECT_EQ(self->buf.nr == 1,
		  !!(info->attrs & GDMABUF_ATTR_DMA_CONTIGUOUS));
	EXPECT_EQ(self->buf.nr == 1 ? self->buf.segs[0].dma_addr : 0,
		  info->dma_addr);
}

/*
 * The mappings of edu in @maps that make up DMA segment @i of @buf (one
 * or more: adjacent ones are one segment): each at its physical address
 * without an IOMMU, elsewhere behind one.
 */
static void check_segment_mappings(struct __test_metadata *_metadata,
				   const struct dma_api_entry *maps, size_t nr,
				   const struct edu_buffer *buf, __u32 i,
				   bool iommu)
{
	__u64 addr = buf->segs[i].dma_addr, end = addr + buf->segs[i].len;
	const struct dma_api_entry *map;

	while (addr < end) {
		map = dma_api_at(maps, nr, addr);
		ASSERT_NE(NULL, map) {
			TH_LOG("segment %u: no mapping at %#llx", i, addr);
		}
		if (iommu) {
			EXPECT_NE(addr, map->phys) {
				TH_LOG("segment %u: IOVA %#llx is physical", i,
				       addr);
			}
		} else {
			EXPECT_EQ(addr, map->phys) {
				TH_LOG("segment %u", i);
			}
		}
		addr += map->len;
	}
	EXPECT_EQ(end, addr);
}

/*
 * Without an IOMMU every DMA segment's address is the physical address
 * of its memory, as DMA-API debugging recorded the mapping for edu.
 * Behind one (a DMA domain) the address is an IOVA, not the physical
 * one, an SG buffer of several blocks is one DMA segment at INFO's
 * dma_addr, and the IOMMU stops edu's DMA outside the buffer.
 */
TEST_F_TIMEOUT(edu, dma_addresses, EDU_TIMEOUT)
{
	const struct gdmabuf_info *info = &self->buf.info;
	struct dma_api_entry *maps;
	char type[32];
	bool iommu;
	size_t nr;
	__u32 i;

	maps = dma_api_mappings(self->edu.bdf, &nr);
	ASSERT_NE(NULL, maps) {
		TH_LOG("no DMA-API debugging (" DMA_API_DUMP ")");
	}
	iommu = edu_iommu(self->edu.bdf, type, sizeof(type));
	for (i = 0; i < self->buf.nr; i++)
		check_segment_mappings(_metadata, maps, nr, &self->buf, i,
				       iommu);
	free(maps);
	if (!iommu)
		return;

	EXPECT_TRUE(!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ")) {
		TH_LOG("%s's IOMMU domain is %s", self->edu.bdf, type);
	}
	if (variant->layout == GDMABUF_LAYOUT_SCATTER_GATHER) {
		EXPECT_LT(1, info->nr_blocks);
		EXPECT_EQ(1, self->buf.nr);
		EXPECT_TRUE(info->attrs & GDMABUF_ATTR_DMA_CONTIGUOUS);
		EXPECT_EQ(self->buf.segs[0].dma_addr, info->dma_addr);
	}
	check_dma_outside_stopped(_metadata, &self->edu, &self->buf);
}

/*
 * edu copies what the CPU wrote at one offset to another, through its
 * window: exactly, and nothing around. Unaligned offsets and lengths,
 * the first and last bytes, and ranges across a block boundary of an SG
 * buffer (2 MiB, 4 MiB), in one transfer where a DMA segment spans it.
 */
TEST_F_TIMEOUT(edu, round_trip, EDU_TIMEOUT)
{
	const __u64 size = variant->size, bnd = variant->boundary;
	const struct {
		__u64 a, b, len;
	} cases[] = {
		{ 0, size - EDU_WINDOW_SIZE, EDU_WINDOW_SIZE },
		{ bnd - 1001, bnd + SZ_4K + 3, 2000 },
		{ SZ_4K + 7, bnd - 1023, 2047 },
		{ bnd - 2, 65, 5 },
		{ size - 3 * SZ_4K - 700, bnd + 2 * SZ_4K, 1500 },
	};
	unsigned int i;
	__u64 win;

	fill_background(_metadata, &self->buf);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		win = EDU_WINDOW +
		      (i * 0x123) % (EDU_WINDOW_SIZE - cases[i].len + 1);
		check_round_trip(_metadata, &self->edu, &self->buf, cases[i].a,
				 cases[i].b, cases[i].len, win,
				 PATTERN_SEED + i);
	}
}

FIXTURE(edu_name) {
	int ctl;
	struct edu edu;
};

FIXTURE_SETUP(edu_name)
{
	if (!edu_attach(_metadata, &self->ctl, &self->edu))
		SKIP(return, "no " GDMABUF_DEV " or no edu device (1234:11e8)");
}

FIXTURE_TEARDOWN(edu_name)
{
	edu_unmap_bar(&self->edu);
	if (self->ctl >= 0)
		close(self->ctl);
}

/* A well-formed name of edu allocates, for the 48-byte struct. */
TEST_F_TIMEOUT(edu_name, name_allocates, EDU_TIMEOUT)
{
	EXPECT_EQ(0, alloc_name_errno(self->ctl, self->edu.name,
				      strlen(self->edu.name) + 1));
}

/*
 * Names without a '/', with an empty bus or device part, or with a '/'
 * in the device part, which no device name has: EINVAL.
 */
TEST_F_TIMEOUT(edu_name, name_format_einval, EDU_TIMEOUT)
{
	char no_slash[64], no_bus[64], two[64];
	const char * const names[] = {
		no_slash, no_bus, two, "pci/", "/", "",
	};
	unsigned int i;

	snprintf(no_slash, sizeof(no_slash), "pci%s", self->edu.bdf);
	snprintf(no_bus, sizeof(no_bus), "/%s", self->edu.bdf);
	snprintf(two, sizeof(two), "%s/0", self->edu.name);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_EQ(EINVAL, alloc_name_errno(self->ctl, names[i],
						   strlen(names[i]) + 1)) {
			TH_LOG("name \"%s\"", names[i]);
		}
	}
}

/* A bus gdmabuf does not know, or no such device on the bus: ENODEV. */
TEST_F_TIMEOUT(edu_name, name_no_device_enodev, EDU_TIMEOUT)
{
	static const char * const names[] = { "nosuchbus/x", "pci/0000:ff:1f.7" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_EQ(ENODEV, alloc_name_errno(self->ctl, names[i],
						   strlen(names[i]) + 1)) {
			TH_LOG("name \"%s\"", names[i]);
		}
	}
}

/*
 * The length counts the NUL, which ends the name and comes nowhere
 * before: a name without it, or with one inside, is EINVAL.
 */
TEST_F_TIMEOUT(edu_name, name_nul_einval, EDU_TIMEOUT)
{
	char name[64];
	size_t len = strlen(self->edu.name);

	EXPECT_EQ(EINVAL, alloc_name_errno(self->ctl, self->edu.name, len));
	memcpy(name, self->edu.name, len);
	memcpy(name + len, "\0x", 3);
	EXPECT_EQ(EINVAL, alloc_name_errno(self->ctl, name, len + 3));
}

/*
 * GDMABUF_DEVICE_NAME_MAX bytes with the NUL are the longest name: a
 * well-formed one of no device is ENODEV, one byte more ENAMETOOLONG.
 */
TEST_F_TIMEOUT(edu_name, name_too_long, EDU_TIMEOUT)
{
	char name[GDMABUF_DEVICE_NAME_MAX + 1];

	memset(name, 'a', sizeof(name));
	memcpy(name, "pci/", 4);
	name[GDMABUF_DEVICE_NAME_MAX - 1] = '\0';
	EXPECT_EQ(ENODEV, alloc_name_errno(self->ctl, name,
					   GDMABUF_DEVICE_NAME_MAX));
	name[GDMABUF_DEVICE_NAME_MAX - 1] = 'a';
	name[GDMABUF_DEVICE_NAME_MAX] = '\0';
	EXPECT_EQ(ENAMETOOLONG, alloc_name_errno(self->ctl, name,
						 GDMABUF_DEVICE_NAME_MAX + 1));
}

/* A pointer without a length, or a length without a pointer: EINVAL. */
TEST_F_TIMEOUT(edu_name, name_ptr_len_mismatch_einval, EDU_TIMEOUT)
{
	EXPECT_EQ(EINVAL, alloc_name_errno(self->ctl, self->edu.name, 0));
	EXPECT_EQ(EINVAL, alloc_name_errno(self->ctl, NULL,
					   strlen(self->edu.name) + 1));
}

/*
 * The name is read as long as its length says, and no further: a name
 * that ends where readable memory ends allocates; one byte more, or a
 * pointer to nothing, is EFAULT.
 */
TEST_F_TIMEOUT(edu_name, name_unreadable_efault, EDU_TIMEOUT)
{
	const size_t len = strlen(self->edu.name) + 1;
	char *guarded;
	void *none;

	guarded = guarded_copy(self->edu.name, len);
	ASSERT_NE(NULL, guarded);
	EXPECT_EQ(0, alloc_name_errno(self->ctl, guarded, len));
	guarded_free(guarded);

	guarded = guarded_copy(self->edu.name, len - 1);
	ASSERT_NE(NULL, guarded);
	EXPECT_EQ(EFAULT, alloc_name_errno(self->ctl, guarded, len));
	guarded_free(guarded);

	none = mmap(NULL, SZ_4K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	EXPECT_EQ(EFAULT, alloc_name_errno(self->ctl, none, len));
	munmap(none, SZ_4K);
}

/* reserved2 must be zero, also for gdmabuf's own device: EINVAL. */
TEST_F_TIMEOUT(edu_name, reserved2_einval, EDU_TIMEOUT)
{
	struct gdmabuf_alloc args = {
		.size = SZ_4K,
		.fd_flags = O_RDWR | O_CLOEXEC,
		.device_name_ptr = (uintptr_t)self->edu.name,
		.device_name_len = strlen(self->edu.name) + 1,
		.reserved2 = 1,
	};

	EXPECT_EQ(EINVAL, alloc_errno(self->ctl, args));
	args.device_name_ptr = 0;
	args.device_name_len = 0;
	EXPECT_EQ(EINVAL, alloc_errno(self->ctl, args));
}

/*
 * Naming a device needs CAP_SYS_RAWIO, checked after the name's format:
 * without it a good name is EPERM, a bad one still EINVAL, and the own
 * device still allocates.
 */
TEST_F_TIMEOUT(edu_name, name_needs_rawio_eperm, EDU_TIMEOUT)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const size_t len = strlen(self->edu.name) + 1;
		int fd;

		if (drop_rawio() || has_rawio())
			_exit(2);
		if (alloc_name_errno(self->ctl, self->edu.name, len) != EPERM)
			_exit(3);
		if (alloc_name_errno(self->ctl, "pci", 4) != EINVAL)
			_exit(4);
		fd = alloc_buffer(self->ctl, SZ_4K, GDMABUF_MEM_CACHED,
				  GDMABUF_LAYOUT_CONTIGUOUS, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(5);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/*
	 * 2: could not drop CAP_SYS_RAWIO; 3: edu's name not EPERM; 4: a
	 * bad name not EINVAL; 5: no buffer for the own device
	 */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Whether the line @line of debugfs or fdinfo has the word @word. */
static bool has_word(const char *line, const char *word)
{
	const size_t len = strlen(word);
	const char *at = line;

	while ((at = strstr(at, word))) {
		if ((at == line || isspace((unsigned char)at[-1])) &&
		    (!at[len] || isspace((unsigned char)at[len])))
			return true;
		at += len;
	}
	return false;
}

/*
 * debugfs's line of the buffer with @id and fdinfo of its @fd name its
 * device @dev and its state: "attached" or "detached".
 */
static void check_listed(struct __test_metadata *_metadata, __u64 id, int fd,
			 const char *dev, const char *state)
{
	char line[512], value[128];

	ASSERT_EQ(1, debugfs_buffer_line(id, line, sizeof(line)));
	line[strcspn(line, "\n")] = '\0';
	EXPECT_TRUE(has_word(line, dev)) {
		TH_LOG("debugfs: \"%s\", not %s", line, dev);
	}
	EXPECT_TRUE(has_word(line, state)) {
		TH_LOG("debugfs: \"%s\", not %s", line, state);
	}
	ASSERT_EQ(0, fdinfo_string(fd, "gdmabuf-device", value, sizeof(value)));
	EXPECT_STREQ(dev, value);
	ASSERT_EQ(0, fdinfo_string(fd, "gdmabuf-state", value, sizeof(value)));
	EXPECT_STREQ(state, value);
}

/*
 * The first, 32-byte version of ALLOC's struct still allocates, for
 * gdmabuf's own device, which debugfs and fdinfo call "platform/gdmabuf";
 * a buffer for edu is listed with edu's name.
 */
TEST_F_TIMEOUT(edu_name, alloc_struct_ver0_own_device, EDU_TIMEOUT)
{
	struct gdmabuf_alloc args = {
		.size = SZ_4K,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	struct gdmabuf_info info;
	int fd, ret;

	ASSERT_EQ(0, ioctl_errno(self->ctl,
				 cmd_sized(GDMABUF_IOCTL_ALLOC,
					   GDMABUF_ALLOC_SIZE_VER0), &args));
	ASSERT_EQ(0, get_info(args.fd, &info));
	EXPECT_FALSE(info.attrs & GDMABUF_ATTR_DETACHED);
	check_listed(_metadata, info.id, args.fd, "platform/gdmabuf",
		     "attached");
	close(args.fd);

	ret = alloc_named(self->ctl, self->edu.name, SZ_4K, GDMABUF_MEM_CACHED,
			  GDMABUF_LAYOUT_CONTIGUOUS, &fd);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, get_info(fd, &info));
	check_listed(_metadata, info.id, fd, self->edu.name, "attached");
	close(fd);
}

/*
 * INFO's first version, 56 bytes, is answered in 56 bytes; the 64-byte
 * one adds the blocks the CPU maps.
 */
TEST_F_TIMEOUT(edu_name, info_struct_sizes, EDU_TIMEOUT)
{
	struct gdmabuf_info info, *guarded;
	int fd, ret;

	ret = alloc_named(self->ctl, self->edu.name, EDU_SG_SIZE,
			  GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_SCATTER_GATHER, &fd);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, get_info(fd, &info));
	EXPECT_LE(EDU_SG_MIN_BLOCKS, info.nr_blocks);
	EXPECT_EQ(0, info.reserved2);

	memset(&info, 0, sizeof(info));
	guarded = guarded_copy(&info, GDMABUF_INFO_SIZE_VER0);
	ASSERT_NE(NULL, guarded);
	EXPECT_EQ(0, ioctl_errno(fd, cmd_sized(GDMABUF_IOCTL_INFO,
					       GDMABUF_INFO_SIZE_VER0),
				 guarded));
	EXPECT_TRUE(guarded_canary_intact(guarded));
	ASSERT_EQ(0, get_info(fd, &info));
	EXPECT_EQ(0, memcmp(&info, guarded, GDMABUF_INFO_SIZE_VER0));
	guarded_free(guarded);
	close(fd);
}

/*
 * Tests that take edu away: removed and rescanned, then unbound. They
 * run last and leave edu without a driver, as it was at boot.
 */
FIXTURE(edu_unplug) {
	int ctl;
	struct edu edu;
};

FIXTURE_SETUP(edu_unplug)
{
	if (!edu_attach(_metadata, &self->ctl, &self->edu))
		SKIP(return, "no " GDMABUF_DEV " or no edu device (1234:11e8)");
}

FIXTURE_TEARDOWN(edu_unplug)
{
	edu_unmap_bar(&self->edu);
	/* a test that removed edu and failed brings it back */
	if (self->edu.bdf[0] && !pci_present(self->edu.bdf))
		write_text(PCI_BUS "/rescan", "1");
	if (self->ctl >= 0)
		close(self->ctl);
}

/* The signal that kills a child reading or writing @addr, or 0. */
static int access_signal(__u8 *addr, bool write)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		/* no core dump of the mapping */
		prctl(PR_SET_DUMPABLE, 0);
		if (write)
			__atomic_store_n(addr, 1, __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n(addr, __ATOMIC_RELAXED);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

struct removed_buffer {
	__u32 mem_type;
	__u32 layout;
	size_t size;
	struct edu_buffer buf;
	int dmabuf;
	__u8 *dmabuf_map;
};

/*
 * Removing edu detaches its buffers: INFO says so, with no DMA address
 * or segment left; SYNC, SEGMENTS, EXPORT and mmap() are ENODEV. Cached
 * memory stays mapped, through the buffer fd and a dma-buf, and keeps
 * its data; the device's own memory (coherent, write-combine, which is
 * never exported) is revoked and gives SIGBUS. After a rescan edu is
 * back, without a driver (ENXIO) until one binds, and works.
 */
TEST_F_TIMEOUT(edu_unplug, remove_detaches, EDU_UNPLUG_TIMEOUT)
{
	struct removed_buffer rbs[] = {
		{ GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_SCATTER_GATHER, EDU_SG_SIZE },
		{ GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS, EDU_CONTIG_SIZE },
		{ GDMABUF_MEM_COHERENT, GDMABUF_LAYOUT_CONTIGUOUS, EDU_CONTIG_SIZE },
		{ GDMABUF_MEM_WRITE_COMBINE, GDMABUF_LAYOUT_CONTIGUOUS,
		  EDU_CONTIG_SIZE },
	};
	struct gdmabuf_segments segs_args = {};
	struct edu_buffer again = { .fd = -1 };
	struct gdmabuf_info info;
	char bdf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rbs); i++) {
		struct removed_buffer *rb = &rbs[i];

		rb->dmabuf = -1;
		rb->dmabuf_map = MAP_FAILED;
		edu_buffer_alloc(_metadata, self->ctl, &self->edu, &rb->buf,
				 rb->size, rb->mem_type, rb->layout);
		fill_bytes(rb->buf.map, 0, rb->size, PATTERN_SEED + i);
		check_listed(_metadata, rb->buf.info.id, rb->buf.fd,
			     self->edu.name, "attached");
		if (rb->mem_type != GDMABUF_MEM_CACHED) {
			/* 6.12 could not take the memory from an importer */
			EXPECT_EQ(EOPNOTSUPP,
				  export_errno(rb->buf.fd, export_args(O_RDWR)));
			continue;
		}
		rb->dmabuf = export_buffer(rb->buf.fd, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, rb->dmabuf);
		rb->dmabuf_map = mmap(NULL, rb->size, PROT_READ | PROT_WRITE,
				      MAP_SHARED, rb->dmabuf, 0);
		ASSERT_NE(MAP_FAILED, rb->dmabuf_map);
	}

	edu_unmap_bar(&self->edu);
	ASSERT_EQ(0, pci_write_attr(self->edu.bdf, "remove", "1"));
	ASSERT_FALSE(pci_present(self->edu.bdf));

	for (i = 0; i < ARRAY_SIZE(rbs); i++) {
		struct removed_buffer *rb = &rbs[i];
		const int fd = rb->buf.fd;

		ASSERT_EQ(0, get_info(fd, &info));
		EXPECT_TRUE(info.attrs & GDMABUF_ATTR_DETACHED) {
			TH_LOG("buffer %u: attrs %#x", i, info.attrs);
		}
		EXPECT_EQ(0, info.dma_addr);
		EXPECT_EQ(0, info.nr_segments);
		EXPECT_EQ(rb->size, info.size);
		EXPECT_EQ(rb->buf.info.nr_blocks, info.nr_blocks);
		EXPECT_EQ(ENODEV, sync_errno(fd, 0, rb->size, GDMABUF_SYNC_RW |
					     GDMABUF_SYNC_END)) {
			TH_LOG("buffer %u", i);
		}
		EXPECT_EQ(ENODEV, ioctl_errno(fd, GDMABUF_IOCTL_SEGMENTS,
					      &segs_args)) {
			TH_LOG("buffer %u", i);
		}
		/* never exportable, detached or not */
		EXPECT_EQ(rb->mem_type == GDMABUF_MEM_CACHED ? ENODEV : EOPNOTSUPP,
			  export_errno(fd, export_args(O_RDWR))) {
			TH_LOG("buffer %u", i);
		}
		EXPECT_EQ(ENODEV, mmap_errno(fd, rb->size, PROT_READ,
					     MAP_SHARED, 0)) {
			TH_LOG("buffer %u", i);
		}
		check_listed(_metadata, rb->buf.info.id, fd, self->edu.name,
			     "detached");

		if (rb->mem_type != GDMABUF_MEM_CACHED) {
			EXPECT_EQ(SIGBUS, access_signal(rb->buf.map, false)) {
				TH_LOG("reading buffer %u", i);
			}
			EXPECT_EQ(SIGBUS, access_signal(rb->buf.map + rb->size - 1,
							true)) {
				TH_LOG("writing buffer %u", i);
			}
			continue;
		}
		EXPECT_EQ(-1, bytes_mismatch(rb->buf.map, 0, 0, rb->size,
					     PATTERN_SEED + i)) {
			TH_LOG("buffer %u's data after the removal", i);
		}
		fill_bytes(rb->buf.map, 0, rb->size, BACKGROUND_SEED + i);
		EXPECT_EQ(-1, bytes_mismatch(rb->dmabuf_map, 0, 0, rb->size,
					     BACKGROUND_SEED + i)) {
			TH_LOG("buffer %u's dma-buf mapping", i);
		}
		fill_bytes(rb->dmabuf_map, 0, rb->size, PATTERN_SEED + i);
		EXPECT_EQ(-1, bytes_mismatch(rb->buf.map, 0, 0, rb->size,
					     PATTERN_SEED + i)) {
			TH_LOG("buffer %u written through its dma-buf", i);
		}
	}

	for (i = 0; i < ARRAY_SIZE(rbs); i++) {
		if (rbs[i].dmabuf_map != MAP_FAILED)
			munmap(rbs[i].dmabuf_map, rbs[i].size);
		if (rbs[i].dmabuf >= 0)
			close(rbs[i].dmabuf);
		edu_buffer_free(&rbs[i].buf);
	}

	ASSERT_EQ(0, write_text(PCI_BUS "/rescan", "1"));
	ASSERT_TRUE(edu_find(bdf, sizeof(bdf)));
	ASSERT_STREQ(self->edu.bdf, bdf);
	/* a new device, without a driver: no DMA settings yet */
	EXPECT_EQ(ENXIO, alloc_name_errno(self->ctl, self->edu.name,
					  strlen(self->edu.name) + 1));
	edu_open(_metadata, &self->edu, bdf);
	edu_buffer_alloc(_metadata, self->ctl, &self->edu, &again, EDU_SG_SIZE,
			 GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_SCATTER_GATHER);
	fill_background(_metadata, &again);
	check_round_trip(_metadata, &self->edu, &again, SZ_2M - 1000, 64,
			 EDU_WINDOW_SIZE, EDU_WINDOW, PATTERN_SEED);
	edu_buffer_free(&again);
}

/*
 * Unbinding edu's driver detaches its buffers too, as removal does; and
 * a device without a driver has no DMA settings yet: ENXIO. Leaves edu
 * without a driver.
 */
TEST_F_TIMEOUT(edu_unplug, unbind_detaches, EDU_UNPLUG_TIMEOUT)
{
	struct edu_buffer cached, coherent;
	struct gdmabuf_info info;
	char drv[64];

	edu_buffer_alloc(_metadata, self->ctl, &self->edu, &cached, SZ_4K,
			 GDMABUF_MEM_CACHED, GDMABUF_LAYOUT_CONTIGUOUS);
	edu_buffer_alloc(_metadata, self->ctl, &self->edu, &coherent, SZ_4K,
			 GDMABUF_MEM_COHERENT, GDMABUF_LAYOUT_CONTIGUOUS);
	fill_bytes(cached.map, 0, SZ_4K, PATTERN_SEED);
	edu_unmap_bar(&self->edu);
	ASSERT_EQ(0, pci_unbind(self->edu.bdf));
	pci_driver(self->edu.bdf, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	/* the next probe may pick any driver again */
	EXPECT_EQ(0, pci_write_attr(self->edu.bdf, "driver_override", "\n"));

	EXPECT_EQ(ENXIO, alloc_name_errno(self->ctl, self->edu.name,
					  strlen(self->edu.name) + 1));
	ASSERT_EQ(0, get_info(cached.fd, &info));
	EXPECT_TRUE(info.attrs & GDMABUF_ATTR_DETACHED) {
		TH_LOG("attrs %#x after unbinding", info.attrs);
	}
	EXPECT_EQ(0, info.nr_segments);
	EXPECT_EQ(ENODEV, sync_errno(cached.fd, 0, SZ_4K, GDMABUF_SYNC_WRITE |
				     GDMABUF_SYNC_END));
	EXPECT_EQ(-1, bytes_mismatch(cached.map, 0, 0, SZ_4K, PATTERN_SEED));
	check_listed(_metadata, info.id, cached.fd, self->edu.name,
		     "detached");
	ASSERT_EQ(0, get_info(coherent.fd, &info));
	EXPECT_TRUE(info.attrs & GDMABUF_ATTR_DETACHED);
	EXPECT_EQ(SIGBUS, access_signal(coherent.map, false));
	edu_buffer_free(&cached);
	edu_buffer_free(&coherent);
}

TEST_HARNESS_MAIN
