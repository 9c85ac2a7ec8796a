// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf: generic, mmap-able DMA buffers for userspace.
 *
 * Userspace allocates a buffer on the root-only control device and gets a
 * buffer fd back (w/o error handling):
 *
 *     struct gdmabuf_alloc alloc = { .size = size, .fd_flags = O_RDWR };
 *     ctl = open("/dev/gdmabuf", O_RDWR);
 *     ioctl(ctl, GDMABUF_IOCTL_ALLOC, &alloc);
 *     p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, alloc.fd, 0);
 *
 * This file holds the module, its limits, the control device, gdmabuf's
 * own device (for buffers that name no device), the ioctl dispatch and
 * debugfs.
 */

#include <linux/capability.h>
#include <linux/cc_platform.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <kunit/visibility.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

static unsigned long max_buffer_size;
module_param(max_buffer_size, ulong, 0644);
MODULE_PARM_DESC(max_buffer_size,
		 "Largest buffer in bytes, 0 for half of RAM (default 0)");

static unsigned long max_total_size;
module_param(max_total_size, ulong, 0644);
MODULE_PARM_DESC(max_total_size,
		 "Most bytes in all buffers together, 0 for half of RAM (default 0)");

static unsigned int dma_bits = 64;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "DMA mask width of gdmabuf's own device, 24 to 64 (default 64)");

/* Protects gdmabuf_buffers, gdmabuf_total_size and gdmabuf_next_id. */
DEFINE_MUTEX(gdmabuf_lock);
LIST_HEAD(gdmabuf_buffers);
static u64 gdmabuf_total_size;
static u64 gdmabuf_next_id = 1;

static struct platform_device *gdmabuf_pdev;
static struct dentry *gdmabuf_debugfs;

static u64 gdmabuf_limit(unsigned long param)
{
	return param ? param : (u64)totalram_pages() << (PAGE_SHIFT - 1);
}

/* Reserve @size bytes of the total limit before allocating them. */
int gdmabuf_charge(u64 size)
{
	u64 total;

	guard(mutex)(&gdmabuf_lock);
	if (check_add_overflow(gdmabuf_total_size, size, &total) ||
	    total > gdmabuf_limit(max_total_size))
		return -ENOMEM;
	gdmabuf_total_size = total;
	return 0;
}

void gdmabuf_uncharge(u64 size)
{
	guard(mutex)(&gdmabuf_lock);
	gdmabuf_total_size -= size;
}

/* List a fully allocated buffer, giving it its id. */
void gdmabuf_list_add(struct gdmabuf_buffer *buf)
{
	guard(mutex)(&gdmabuf_lock);
	buf->id = gdmabuf_next_id++;
	list_add_tail(&buf->node, &gdmabuf_buffers);
}

void gdmabuf_list_del(struct gdmabuf_buffer *buf)
{
	guard(mutex)(&gdmabuf_lock);
	list_del(&buf->node);
}

/*
 * Look @cmd up in @descs, copy its struct in (zero-extending older, shorter
 * structs and refusing unknown non-zero tails of newer ones), run the
 * handler and copy back as much as the caller passed. A new fd is
 * installed only once that copy succeeded.
 */
long gdmabuf_ioctl_dispatch(const struct gdmabuf_ioctl_desc *descs,
			    size_t count, struct file *file,
			    unsigned int cmd, unsigned long arg)
{
	u64 kdata[GDMABUF_IOCTL_MAX_SIZE / sizeof(u64)];
	struct gdmabuf_ioctl_ctx ctx = { .new_fd = -1 };
	const struct gdmabuf_ioctl_desc *desc;
	void __user *uarg = (void __user *)arg;
	unsigned int usize, ksize;
	size_t nr = _IOC_NR(cmd);
	long ret;

	if (_IOC_TYPE(cmd) != GDMABUF_IOCTL_MAGIC || nr >= count)
		return -ENOTTY;
	desc = &descs[array_index_nospec(nr, count)];
	if (!desc->handler || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd))
		return -ENOTTY;

	usize = _IOC_SIZE(cmd);
	ksize = _IOC_SIZE(desc->cmd);
	if (usize < desc->min_size)
		return -EINVAL;

	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(kdata, ksize, uarg, usize);
		if (ret)
			return ret;
	} else {
		memset(kdata, 0, ksize);
	}

	ret = desc->handler(file, kdata, &ctx);
	if (ret < 0)
		return ret;

	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, kdata, min(usize, ksize))) {
		if (ctx.new_file) {
			put_unused_fd(ctx.new_fd);
			fput(ctx.new_file);
		}
		return -EFAULT;
	}
	if (ctx.new_file)
		fd_install(ctx.new_fd, ctx.new_file);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_ioctl_dispatch);

/* fd flags a new buffer fd or dma-buf fd may have. */
bool gdmabuf_fd_flags_valid(u32 fd_flags)
{
	u32 accmode = fd_flags & O_ACCMODE;

	return !(fd_flags & ~(O_ACCMODE | O_CLOEXEC)) &&
	       (accmode == O_RDWR || accmode == O_RDONLY);
}

static long gdmabuf_ctl_ioctl_alloc(struct file *file, void *kdata,
				    struct gdmabuf_ioctl_ctx *ctx)
{
	struct gdmabuf_alloc *args = kdata;
	struct gdmabuf_buffer *buf;
	struct device *dev;
	struct file *bfile;
	u64 size;
	int fd;

	if (args->flags || args->reserved || args->reserved2 || args->fd ||
	    !gdmabuf_fd_flags_valid(args->fd_flags) ||
	    args->mem_type > GDMABUF_MEM_WRITE_COMBINE ||
	    args->layout > GDMABUF_LAYOUT_SCATTER_GATHER ||
	    (args->layout == GDMABUF_LAYOUT_SCATTER_GATHER &&
	     args->mem_type != GDMABUF_MEM_CACHED) ||
	    !args->size)
		return -EINVAL;
	size = PAGE_ALIGN(args->size);
	/* A size within a page of U64_MAX wraps; a 32-bit size_t truncates. */
	if (size < args->size || size != (size_t)size ||
	    size > gdmabuf_limit(max_buffer_size))
		return -E2BIG;
	/*
	 * In an encrypted guest, or with memory encryption on the host, the
	 * DMA API may hand out decrypted pages that a fault would map
	 * encrypted: only the DMA API's own mmap knows.
	 */
	if (args->mem_type == GDMABUF_MEM_CACHED &&
	    cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		return -EOPNOTSUPP;

	dev = gdmabuf_device_get(args->device_name_ptr, args->device_name_len);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	if (dev) {
		/* The driver cannot unbind before the buffer is listed. */
		device_lock(dev);
		buf = ERR_PTR(gdmabuf_device_usable(dev, args->mem_type));
		if (!IS_ERR(buf))
			buf = gdmabuf_buffer_create(dev, size, args->mem_type,
						    args->layout);
		device_unlock(dev);
		put_device(dev);
	} else {
		buf = gdmabuf_buffer_create(&gdmabuf_pdev->dev, size,
					    args->mem_type, args->layout);
	}
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	fd = get_unused_fd_flags(args->fd_flags & O_CLOEXEC);
	if (fd < 0) {
		gdmabuf_buffer_put(buf);
		return fd;
	}
	bfile = gdmabuf_buffer_file(buf, args->fd_flags);
	if (IS_ERR(bfile)) {
		put_unused_fd(fd);
		gdmabuf_buffer_put(buf);
		return PTR_ERR(bfile);
	}
	/* As file_ns_capable() of the new file, decided once, unaudited. */
	buf->dma_addr_visible = ns_capable_noaudit(&init_user_ns, CAP_SYS_RAWIO);
	args->size = size;
	args->fd = fd;
	ctx->new_file = bfile;
	ctx->new_fd = fd;
	return 0;
}

/* Commands of the control device, indexed by command number. */
static const struct gdmabuf_ioctl_desc gdmabuf_ctl_ioctls[] = {
	[_IOC_NR(GDMABUF_IOCTL_ALLOC)] = {
		.cmd = GDMABUF_IOCTL_ALLOC,
		.min_size = GDMABUF_ALLOC_SIZE_VER0,
		.handler = gdmabuf_ctl_ioctl_alloc,
	},
};

static_assert(sizeof(struct gdmabuf_alloc) <= GDMABUF_IOCTL_MAX_SIZE);
static_assert(offsetofend(struct gdmabuf_alloc, reserved) == GDMABUF_ALLOC_SIZE_VER0);

/* Every control-device ioctl goes through the dispatch table. */
static long gdmabuf_ctl_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	return gdmabuf_ioctl_dispatch(gdmabuf_ctl_ioctls,
				      ARRAY_SIZE(gdmabuf_ctl_ioctls),
				      file, cmd, arg);
}

static const struct file_operations gdmabuf_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gdmabuf_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

VISIBLE_IF_KUNIT struct miscdevice gdmabuf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gdmabuf",
	.fops = &gdmabuf_ctl_fops,
	/* Buffers pin memory and expose DMA: root only unless udev says so. */
	.mode = 0600,
};
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_misc);

/* The device of buffers that name none; it lives as long as the module. */
struct device *gdmabuf_own_device(void)
{
	return &gdmabuf_pdev->dev;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_own_device);

/* debugfs "buffers": every buffer, then the totals. */
static int gdmabuf_debugfs_buffers_show(struct seq_file *m, void *unused)
{
	guard(mutex)(&gdmabuf_lock);
	seq_printf(m, "%-8s %14s %-14s %-15s %8s %8s %7s %-16s %-24s %s\n",
		   "id", "size", "type", "layout", "segments", "mappings", "pid",
		   "comm", "device", "state");
	gdmabuf_debugfs_show(m);
	seq_printf(m, "total: %llu bytes of %llu allowed, largest buffer %llu\n",
		   gdmabuf_total_size, gdmabuf_limit(max_total_size),
		   gdmabuf_limit(max_buffer_size));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gdmabuf_debugfs_buffers);

static int __init gdmabuf_init(void)
{
	struct platform_device_info pdevinfo = {
		.name = "gdmabuf",
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(clamp(dma_bits, 24U, 64U)),
	};
	int ret;

	if (dma_bits < 24 || dma_bits > 64)
		return -EINVAL;

	/* The device buffers that name none are allocated and mapped for. */
	gdmabuf_pdev = platform_device_register_full(&pdevinfo);
	if (IS_ERR(gdmabuf_pdev))
		return PTR_ERR(gdmabuf_pdev);
	/* Its scatter-gather blocks are mapped whole, one entry each. */
	dma_set_max_seg_size(&gdmabuf_pdev->dev, UINT_MAX);

	ret = gdmabuf_device_init();
	if (ret)
		goto unregister_pdev;

	gdmabuf_debugfs = debugfs_create_dir("gdmabuf", NULL);
	debugfs_create_file("buffers", 0400, gdmabuf_debugfs, NULL,
			    &gdmabuf_debugfs_buffers_fops);

	ret = misc_register(&gdmabuf_misc);
	if (ret)
		goto remove_debugfs;
	return 0;

remove_debugfs:
	debugfs_remove_recursive(gdmabuf_debugfs);
	gdmabuf_device_exit();
unregister_pdev:
	platform_device_unregister(gdmabuf_pdev);
	return ret;
}
module_init(gdmabuf_init);

static void __exit gdmabuf_exit(void)
{
	misc_deregister(&gdmabuf_misc);
	debugfs_remove_recursive(gdmabuf_debugfs);
	gdmabuf_device_exit();
	gdmabuf_buffers_exit();
	platform_device_unregister(gdmabuf_pdev);
}
module_exit(gdmabuf_exit);

MODULE_DESCRIPTION("Generic mmap-able DMA buffers for userspace");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
