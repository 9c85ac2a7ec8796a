/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gdmabuf internal interfaces, shared by the driver's files and its KUnit
 * tests.
 */
#ifndef _GDMABUF_H
#define _GDMABUF_H

#include <linux/types.h>

struct file;
struct miscdevice;

/*
 * The dispatcher's buffer: every command's struct must fit, see the
 * static_assert() next to each table entry.
 */
#define GDMABUF_IOCTL_MAX_SIZE	128

/**
 * struct gdmabuf_ioctl_desc - one entry of an ioctl dispatch table, which is
 * indexed by command number
 * @cmd: the command as this kernel defines it; its size is the kernel's
 *	struct size
 * @min_size: size of the first version of the struct
 * @handler: called with the struct copied in (zero-extended); returns a
 *	negative errno or a non-negative value for the ioctl to return
 */
struct gdmabuf_ioctl_desc {
	unsigned int cmd;
	unsigned int min_size;
	long (*handler)(struct file *file, void *kdata);
};

#if IS_ENABLED(CONFIG_KUNIT)
long gdmabuf_ioctl_dispatch(const struct gdmabuf_ioctl_desc *descs,
			    size_t count, struct file *file,
			    unsigned int cmd, unsigned long arg);
extern struct miscdevice gdmabuf_misc;
#endif

#endif /* _GDMABUF_H */
