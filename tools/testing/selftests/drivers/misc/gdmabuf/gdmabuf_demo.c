// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf_demo: show what gdmabuf does, step by step, on a running kernel.
 *
 * Usage: gdmabuf_demo [device]   (default /dev/gdmabuf)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/gdmabuf.h>

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/gdmabuf";
	struct stat st;
	int fd;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", dev, strerror(errno));
		return EXIT_FAILURE;
	}
	if (fstat(fd, &st)) {
		perror("fstat");
		return EXIT_FAILURE;
	}
	printf("opened %s: char device %u:%u, mode %04o, owner %u:%u\n", dev,
	       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777,
	       st.st_uid, st.st_gid);

	if (ioctl(fd, _IO(GDMABUF_IOCTL_MAGIC, 0x1f)) == -1)
		printf("unknown command %#lx: %s (as documented)\n",
		       (unsigned long)_IO(GDMABUF_IOCTL_MAGIC, 0x1f),
		       strerror(errno));
	else
		printf("unknown command unexpectedly succeeded\n");

	close(fd);
	return EXIT_SUCCESS;
}
