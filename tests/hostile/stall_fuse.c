/* A filesystem that never answers: mounts itself at DIR, answers the
 * kernel's INIT and the root's attributes, and leaves every other request
 * (the look-up of any name inside) waiting until it is killed.  A path
 * under DIR is what a hostile program names to stall whoever opens it.
 *   stall_fuse DIR      (root; prints "ready" once mounted) */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static void reply(int fd, uint64_t unique, const void *body, size_t len)
{
	char buf[512];
	struct fuse_out_header h = {
		.len = (uint32_t)(sizeof(h) + len), .unique = unique,
	};
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), body, len);
	if (write(fd, buf, h.len) < 0)
		perror("stall_fuse: write");
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("stall_fuse: /dev/fuse");
		return 1;
	}
	char opts[128];
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("stall", argv[1], "fuse.stall", MS_NOSUID | MS_NODEV, opts)) {
		perror("stall_fuse: mount");
		return 1;
	}
	static char buf[FUSE_MIN_READ_BUFFER + (1 << 17)];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			break;
		const struct fuse_in_header *in = (const void *)buf;
		if (in->opcode == FUSE_INIT) {
			const struct fuse_init_in *ii = (const void *)(in + 1);
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = ii->max_readahead,
				.max_write = 4096,
			};
			reply(fd, in->unique, &o, sizeof(o));
			printf("ready\n");
			fflush(stdout);
		} else if (in->opcode == FUSE_GETATTR && in->nodeid == FUSE_ROOT_ID) {
			struct fuse_attr_out o = { .attr = {
				.ino = FUSE_ROOT_ID, .mode = S_IFDIR | 0755,
				.nlink = 2 } };
			reply(fd, in->unique, &o, sizeof(o));
		} else if (in->opcode == FUSE_DESTROY) {
			break;
		}
		/* Anything else: never answered. */
	}
	return 0;
}
