// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for gdmabuf: the ioctl dispatcher and the control device.
 */

#include <kunit/test.h>
#include <linux/miscdevice.h>
#include <linux/mman.h>
#include <linux/uaccess.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

/* A command that grew once: v0 had in/out, v1 added @extra. */
struct gdmabuf_kunit_args_v0 {
	__u32 in;
	__u32 out;
};

struct gdmabuf_kunit_args {
	__u32 in;
	__u32 out;
	__u64 extra;
};

/* What a caller built against a newer header passes. */
struct gdmabuf_kunit_args_v2 {
	struct gdmabuf_kunit_args v1;
	__u64 newer;
};

#define GDMABUF_KUNIT_CMD	_IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args)

static struct gdmabuf_kunit_args gdmabuf_kunit_seen;

static long gdmabuf_kunit_handler(struct file *file, void *kdata)
{
	struct gdmabuf_kunit_args *args = kdata;

	gdmabuf_kunit_seen = *args;
	args->out = args->in + 1;
	return 0;
}

static const struct gdmabuf_ioctl_desc gdmabuf_kunit_descs[] = {
	[_IOC_NR(GDMABUF_KUNIT_CMD)] = {
		.cmd = GDMABUF_KUNIT_CMD,
		.min_size = sizeof(struct gdmabuf_kunit_args_v0),
		.handler = gdmabuf_kunit_handler,
	},
};

static_assert(sizeof(struct gdmabuf_kunit_args) <= GDMABUF_IOCTL_MAX_SIZE);

struct gdmabuf_dispatch_case {
	const char *desc;
	unsigned int cmd;
	bool newer_nonzero;
	long expected;
	/* bytes the handler copies back */
	unsigned int copied;
};

static const struct gdmabuf_dispatch_case gdmabuf_dispatch_cases[] = {
	{ "current size", GDMABUF_KUNIT_CMD, false, 0,
	  sizeof(struct gdmabuf_kunit_args) },
	{ "first version", _IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args_v0),
	  false, 0, sizeof(struct gdmabuf_kunit_args_v0) },
	{ "newer, zero tail", _IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args_v2),
	  false, 0, sizeof(struct gdmabuf_kunit_args) },
	{ "newer, non-zero tail", _IOWR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args_v2),
	  true, -E2BIG, 0 },
	{ "shorter than first version", _IOWR(GDMABUF_IOCTL_MAGIC, 1, __u32),
	  false, -EINVAL, 0 },
	{ "other magic", _IOWR('H', 1, struct gdmabuf_kunit_args), false, -ENOTTY, 0 },
	{ "unknown number", _IOWR(GDMABUF_IOCTL_MAGIC, 0, struct gdmabuf_kunit_args),
	  false, -ENOTTY, 0 },
	{ "number past the table", _IOWR(GDMABUF_IOCTL_MAGIC, 2, struct gdmabuf_kunit_args),
	  false, -ENOTTY, 0 },
	{ "read-only direction", _IOR(GDMABUF_IOCTL_MAGIC, 1, struct gdmabuf_kunit_args),
	  false, -ENOTTY, 0 },
	{ "no argument", _IO(GDMABUF_IOCTL_MAGIC, 1), false, -ENOTTY, 0 },
};

static void gdmabuf_dispatch_case_desc(const struct gdmabuf_dispatch_case *c,
				       char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gdmabuf_dispatch, gdmabuf_dispatch_cases,
		  gdmabuf_dispatch_case_desc);

/*
 * Success: the dispatcher returns the expected errno, the handler sees the
 * caller's input zero-extended, and exactly the bytes the caller passed (and
 * the kernel knows) are written back.
 */
static void gdmabuf_ioctl_dispatch_sizes(struct kunit *test)
{
	const struct gdmabuf_dispatch_case *c = test->param_value;
	struct gdmabuf_kunit_args_v2 user_in = {
		.v1 = { .in = 41, .out = 0xdead, .extra = 0 },
		.newer = c->newer_nonzero ? 1 : 0,
	};
	struct gdmabuf_kunit_args_v2 user_out;
	unsigned long uaddr;
	long ret;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_NE_MSG(test, uaddr, 0, "no user memory for the test");
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uaddr, &user_in,
					   sizeof(user_in)), 0);

	memset(&gdmabuf_kunit_seen, 0xff, sizeof(gdmabuf_kunit_seen));
	ret = gdmabuf_ioctl_dispatch(gdmabuf_kunit_descs,
				     ARRAY_SIZE(gdmabuf_kunit_descs), NULL,
				     c->cmd, uaddr);
	KUNIT_EXPECT_EQ(test, ret, c->expected);

	KUNIT_ASSERT_EQ(test, copy_from_user(&user_out, (void __user *)uaddr,
					     sizeof(user_out)), 0);
	if (c->expected) {
		KUNIT_EXPECT_MEMEQ(test, &user_out, &user_in, sizeof(user_in));
		return;
	}

	KUNIT_EXPECT_EQ(test, gdmabuf_kunit_seen.in, 41);
	KUNIT_EXPECT_EQ(test, gdmabuf_kunit_seen.extra, 0);
	KUNIT_EXPECT_EQ(test, user_out.v1.out, 42);
	/* Nothing past what was copied back changed. */
	KUNIT_EXPECT_MEMEQ(test, (u8 *)&user_out + c->copied,
			   (u8 *)&user_in + c->copied, sizeof(user_in) - c->copied);
}

/* Success: a NULL or unmapped argument pointer gives -EFAULT, not a crash. */
static void gdmabuf_ioctl_dispatch_bad_pointer(struct kunit *test)
{
	unsigned long uaddr;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_NE(test, uaddr, 0);

	KUNIT_EXPECT_EQ(test, gdmabuf_ioctl_dispatch(gdmabuf_kunit_descs,
						     ARRAY_SIZE(gdmabuf_kunit_descs),
						     NULL, GDMABUF_KUNIT_CMD, 0),
			-EFAULT);
	/* Readable but not writable: the copy back fails. */
	KUNIT_EXPECT_EQ(test, gdmabuf_ioctl_dispatch(gdmabuf_kunit_descs,
						     ARRAY_SIZE(gdmabuf_kunit_descs),
						     NULL, GDMABUF_KUNIT_CMD, uaddr),
			-EFAULT);
}

/* Success: /dev/gdmabuf is registered, root-only, under its own name. */
static void gdmabuf_misc_registered(struct kunit *test)
{
	KUNIT_EXPECT_NE(test, gdmabuf_misc.minor, MISC_DYNAMIC_MINOR);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, gdmabuf_misc.this_device);
	KUNIT_EXPECT_STREQ(test, gdmabuf_misc.name, "gdmabuf");
	KUNIT_EXPECT_EQ(test, gdmabuf_misc.mode, 0600);
}

static const unsigned int gdmabuf_ctl_unknown_cmds[] = {
	_IO(GDMABUF_IOCTL_MAGIC, 0),
	_IOWR(GDMABUF_IOCTL_MAGIC, 0x1f, __u64),
	_IOR(GDMABUF_IOCTL_MAGIC, 0xff, __u32),
	_IOWR('H', 0, __u64),
	0,
};

/* Success: the control device answers every command it lacks with -ENOTTY. */
static void gdmabuf_ctl_ioctl_unknown(struct kunit *test)
{
	const struct file_operations *fops = gdmabuf_misc.fops;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, fops->unlocked_ioctl);
	for (i = 0; i < ARRAY_SIZE(gdmabuf_ctl_unknown_cmds); i++)
		KUNIT_EXPECT_EQ_MSG(test, fops->unlocked_ioctl(NULL,
							       gdmabuf_ctl_unknown_cmds[i], 0),
				    -ENOTTY, "cmd %#x", gdmabuf_ctl_unknown_cmds[i]);
}

static struct kunit_case gdmabuf_ioctl_cases[] = {
	KUNIT_CASE_PARAM(gdmabuf_ioctl_dispatch_sizes, gdmabuf_dispatch_gen_params),
	KUNIT_CASE(gdmabuf_ioctl_dispatch_bad_pointer),
	KUNIT_CASE(gdmabuf_misc_registered),
	KUNIT_CASE(gdmabuf_ctl_ioctl_unknown),
	{}
};

static struct kunit_suite gdmabuf_ioctl_suite = {
	.name = "gdmabuf_ioctl",
	.test_cases = gdmabuf_ioctl_cases,
};

kunit_test_suite(gdmabuf_ioctl_suite);

MODULE_DESCRIPTION("KUnit tests for gdmabuf");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
