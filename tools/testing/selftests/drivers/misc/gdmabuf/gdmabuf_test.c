// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the gdmabuf userspace API: the control device /dev/gdmabuf.
 *
 * Run as root with the gdmabuf module loaded; every test skips when the
 * device is absent.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/gdmabuf.h>

#include "../../../kselftest_harness.h"

#define GDMABUF_DEV	"/dev/gdmabuf"
/* An unprivileged identity: nobody/nogroup. */
#define UNPRIV_ID	65534

FIXTURE(ctl) {
	int fd;
};

FIXTURE_SETUP(ctl)
{
	self->fd = open(GDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GDMABUF_DEV " not present (module not loaded?)");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The node is a root-owned character device that only root can use. */
TEST_F(ctl, node_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	/* misc devices share major 10 */
	EXPECT_EQ(10, major(st.st_rdev));
}

/* Commands the control device does not know fail with ENOTTY. */
TEST_F(ctl, unknown_ioctl_enotty)
{
	const unsigned long cmds[] = {
		_IO(GDMABUF_IOCTL_MAGIC, 0x1f),
		_IOWR(GDMABUF_IOCTL_MAGIC, 0x1e, uint64_t),
		_IOR(GDMABUF_IOCTL_MAGIC, 0xff, uint32_t),
		_IOWR('H', 0x0, uint64_t),	/* the DMA-BUF heap magic */
		0,
	};
	uint64_t arg = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &arg));
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("cmd %#lx", cmds[i]);
		}
	}
}

/* The device has no read or write: it is a command channel. */
TEST_F(ctl, read_write_refused)
{
	char byte = 0;

	EXPECT_EQ(-1, read(self->fd, &byte, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, &byte, 1));
	EXPECT_EQ(EINVAL, errno);
}

/* A process without root's identity cannot open the device. */
TEST_F(ctl, unprivileged_open_refused)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) || setgid(UNPRIV_ID) || setuid(UNPRIV_ID))
			_exit(2);
		fd = open(GDMABUF_DEV, O_RDWR);
		if (fd >= 0)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 2: could not drop root; 3: opened; 4: wrong errno */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
