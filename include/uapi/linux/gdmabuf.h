/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gdmabuf: generic, mmap-able DMA buffers for userspace
 *
 * Userspace allocates buffers a device can DMA into on the control device
 * /dev/gdmabuf, maps them, syncs them and hands them to devices.
 */
#ifndef _UAPI_LINUX_GDMABUF_H
#define _UAPI_LINUX_GDMABUF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every gdmabuf ioctl takes one struct of fixed-width fields and encodes
 * that struct's size in the command number. Structs only ever grow at
 * the end, so a program built against an older or newer header keeps
 * working:
 *
 * - a struct shorter than the kernel's is zero-extended, and the kernel
 *   writes back only as many bytes as the caller passed;
 * - a struct longer than the kernel's is accepted when every byte the
 *   kernel does not know is zero.
 *
 * Every struct has a ``flags`` field checked against the flags the kernel
 * knows, and reserved fields that must be zero.
 *
 * Errors common to every ioctl:
 *
 * - ``ENOTTY``: the command is not a gdmabuf command, or not one this file
 *   answers, or its direction bits are wrong;
 * - ``EINVAL``: the struct is shorter than its first version, a flag is
 *   unknown, a reserved field is not zero, or a value is out of range;
 * - ``E2BIG``: the struct is longer than the kernel's and a byte the kernel
 *   does not know is not zero;
 * - ``EFAULT``: the struct cannot be read or written.
 */

/* Registered in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define GDMABUF_IOCTL_MAGIC	0xB9

#endif /* _UAPI_LINUX_GDMABUF_H */
