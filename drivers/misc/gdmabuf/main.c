// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf: generic, mmap-able DMA buffers for userspace.
 *
 * This file holds the module and the control device /dev/gdmabuf, which is
 * root-only, and the table-driven ioctl dispatch shared by every gdmabuf
 * file. Commands are described in include/uapi/linux/gdmabuf.h.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

/*
 * Look @cmd up in @descs, copy its struct in (zero-extending older, shorter
 * structs and refusing unknown non-zero tails of newer ones), run the
 * handler and copy back as much as the caller passed.
 */
VISIBLE_IF_KUNIT long gdmabuf_ioctl_dispatch(const struct gdmabuf_ioctl_desc *descs,
					     size_t count, struct file *file,
					     unsigned int cmd, unsigned long arg)
{
	u64 kdata[GDMABUF_IOCTL_MAX_SIZE / sizeof(u64)];
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

	ret = desc->handler(file, kdata);
	if (ret < 0)
		return ret;

	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, kdata, min(usize, ksize)))
		return -EFAULT;

	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_ioctl_dispatch);

/* Commands of the control device, indexed by command number. */
static const struct gdmabuf_ioctl_desc gdmabuf_ctl_ioctls[] = {
};

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

static int __init gdmabuf_init(void)
{
	return misc_register(&gdmabuf_misc);
}
module_init(gdmabuf_init);

static void __exit gdmabuf_exit(void)
{
	misc_deregister(&gdmabuf_misc);
}
module_exit(gdmabuf_exit);

MODULE_DESCRIPTION("Generic mmap-able DMA buffers for userspace");
MODULE_LICENSE("GPL");
