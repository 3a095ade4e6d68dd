/* The baseline for vgpu-run's cost: the least a seccomp-notify supervisor
 * can do.  Same filter flags as vgpu-run, every open answered CONTINUE.
 *   notify_bare PROGRAM ARGS... */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, __u64)
#endif

static int install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 0);
	seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(open), 0);
	int mfd = memfd_create("bpf", 0);
	seccomp_export_bpf(ctx, mfd);
	seccomp_release(ctx);
	off_t len = lseek(mfd, 0, SEEK_END);
	struct sock_filter *f = malloc((size_t)len);
	if (pread(mfd, f, (size_t)len, 0) != len)
		return -1;
	struct sock_fprog prog = { (unsigned short)(len / 8), f };
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
	if (fd >= 0)
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL);
	return fd;
}

int main(int argc, char **argv)
{
	int sv[2];
	if (argc < 2 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = install();
		char c[CMSG_SPACE(sizeof(int))] = { 0 };
		int dummy = 0;
		struct iovec iov = { &dummy, sizeof(dummy) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = c, .msg_controllen = sizeof(c) };
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof(int));
		sendmsg(sv[1], &m, 0);
		close(fd);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	char c[CMSG_SPACE(sizeof(int))];
	int dummy;
	struct iovec iov = { &dummy, sizeof(dummy) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = c, .msg_controllen = sizeof(c) };
	if (recvmsg(sv[0], &m, 0) <= 0)
		return 1;
	int lfd;
	memcpy(&lfd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	for (;;) {
		struct pollfd p = { lfd, POLLIN, 0 };
		if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
			memset(&req, 0, sizeof(req));
			if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
				memset(&resp, 0, sizeof(resp));
				resp.id = req.id;
				resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
				ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			}
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}
