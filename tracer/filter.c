/* The seccomp filter: built with libseccomp, loaded with seccomp(2)
 * because libseccomp 2.5 has no attribute for WAIT_KILLABLE_RECV. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"

static int build(scmp_filter_ctx ctx, bool trace_syscalls)
{
	int rc = 0;
	if (trace_syscalls) {
		/* Device files are opened read-write: every open is wanted. */
		rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(open), 0);
		rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 0);
		rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ioctl), 0);
		rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mmap), 0);
	} else {
		rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(open), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, NOT_A_LOAD, 0));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, NOT_A_LOAD, 0));
	}
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat2), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0);
	/* Rare calls that change what the supervisor keeps about a thread
	 * (thread_handle.c): its root, its groups. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(chroot), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(pivot_root), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(setns), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(unshare), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(setgroups), 0);
	return rc;
}

/* Export the BPF program libseccomp built, to load it ourselves. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("vgpu-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (seccomp_export_bpf(ctx, fd)) {
		close(fd);
		return -1;
	}
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % (off_t)sizeof(struct sock_filter)) {
		close(fd);
		return -1;
	}
	struct sock_filter *f = malloc((size_t)len);
	if (!f || pread(fd, f, (size_t)len, 0) != len) {
		free(f);
		close(fd);
		return -1;
	}
	close(fd);
	prog->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
	prog->filter = f;
	return 0;
}

static int load(struct sock_fprog *prog, unsigned long flags)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
}

int filter_install(bool trace_syscalls, bool *nnp)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -1;
	/* 32-bit programs in the tree run unfiltered instead of dying. */
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	struct sock_fprog prog;
	if (build(ctx, trace_syscalls) || export_prog(ctx, &prog)) {
		seccomp_release(ctx);
		errno = EINVAL;
		return -1;
	}
	seccomp_release(ctx);

	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	*nnp = false;
	int fd = load(&prog, flags);
	if (fd < 0 && errno == EINVAL) {
		/* Before 5.19: no killable wait; signals restart the call. */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = load(&prog, flags);
	}
	if (fd < 0 && errno == EACCES) {
		/* Without CAP_SYS_ADMIN the kernel demands no_new_privs. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) {
			*nnp = true;
			fd = load(&prog, flags);
		}
	}
	int e = errno;
	free(prog.filter);
	errno = e;
	return fd;
}

void filter_tune_listener(int listener)
{
	/* 6.6+: hand the CPU straight to the waiting side.  Done by the
	 * supervisor: under --trace-syscalls the filtered child's own ioctl
	 * would wait for an answer nobody is there to give yet. */
	uint64_t sync = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, sync);
}
