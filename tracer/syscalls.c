/* --trace-syscalls: what a CUDA call does to the GPU device files.  The
 * filter then also notifies ioctl, mmap and every openat; we record those
 * that touch /dev/nvidia*, and the report attributes each to the call in
 * progress on its thread (by tid and time).
 *
 * A notification shows a syscall before it runs, not its result.  For an
 * open of a device file that does not exist in the program's view, the
 * result is certain: we answer ENOENT ourselves and record it.  An open
 * the mode bits deny is recorded as EACCES but still runs in the kernel;
 * everything else runs as it would (CONTINUE) and is recorded with
 * result 0. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"

#define DEVICE_PREFIX "/dev/nvidia"

static bool is_device_path(const char *p)
{
	return !strncmp(p, DEVICE_PREFIX, strlen(DEVICE_PREFIX));
}

/* The file behind a target's fd, when it is a GPU device file. */
static bool device_fd(pid_t pid, int fd, char *path, size_t len)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	ssize_t n = readlink(link, path, len - 1);
	if (n <= 0)
		return false;
	path[n] = 0;
	return is_device_path(path);
}

static void record(struct supervisor *s, uint64_t ts, pid_t tid, long nr,
		   int32_t result, const char *text)
{
	const char *strs[] = { text };
	event_at(s, ts, VT_EV_SYSCALL, tid, result, (uint64_t)nr, 1, strs);
}

static const char *access_mode(int flags)
{
	switch (flags & O_ACCMODE) {
	case O_WRONLY: return "O_WRONLY";
	case O_RDWR: return "O_RDWR";
	default: return "O_RDONLY";
	}
}

/* Whether the thread may open the file with these flags, judged from its
 * fs ids, its groups and the mode bits, as the kernel would without ACLs
 * or capabilities other than root's.  The open itself still runs in the
 * kernel: this only names the result for the trace. */
static bool denied(pid_t tid, int fd, int oflags)
{
	struct stat st;
	if (fstat(fd, &st))
		return false;
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	long uid = -1, gid = -1;
	bool in_group = false;
	while (fgets(line, sizeof(line), f)) {
		long r, e, sv, fs;
		if (sscanf(line, "Uid: %ld %ld %ld %ld", &r, &e, &sv, &fs) == 4)
			uid = fs;
		else if (sscanf(line, "Gid: %ld %ld %ld %ld", &r, &e, &sv, &fs) == 4)
			gid = fs;
		else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;
			for (long g; (g = strtol(p, &end, 10)), end != p; p = end)
				in_group |= g == (long)st.st_gid;
		}
	}
	fclose(f);
	if (uid < 0 || uid == 0)
		return false;
	in_group |= gid == (long)st.st_gid;
	mode_t shift = uid == (long)st.st_uid ? 6 : in_group ? 3 : 0;
	mode_t need = 0;
	if ((oflags & O_ACCMODE) != O_WRONLY)
		need |= 4;
	if ((oflags & O_ACCMODE) != O_RDONLY)
		need |= 2;
	return ((st.st_mode >> shift) & need) != need;
}

int syscalls_open(struct supervisor *s, struct seccomp_notif *n, int dirfd,
		  const char *path, int oflags)
{
	if (!is_device_path(path))
		return 1;
	char text[4200];
	snprintf(text, sizeof(text), "openat(\"%s\", %s)", path,
		 access_mode(oflags));
	int fd = target_open(n->pid, dirfd, path, O_PATH);
	int32_t result = fd == -ENOENT ? -ENOENT : 0;
	if (fd >= 0) {
		if (denied(n->pid, fd, oflags))
			result = -EACCES;
		close(fd);
	}
	/* A missing file stays missing: answering ENOENT ourselves saves
	 * the kernel the walk and makes the recorded result exact. */
	struct seccomp_notif_resp r = { .id = n->id };
	if (result == -ENOENT)
		r.error = -ENOENT;
	else
		r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	uint64_t ts = vt_now_ns();
	ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
	record(s, ts, n->pid, SYS_openat, result, text);
	return 0;
}

void syscalls_other(struct supervisor *s, struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	char path[512], text[700];
	int fd = n->data.nr == SYS_mmap ? (int)a[4] : (int)a[0];
	/* Read the fd before the answer lets the thread close it. */
	bool device = fd >= 0 && device_fd(n->pid, fd, path, sizeof(path));
	struct seccomp_notif_resp r = {
		.id = n->id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE,
	};
	uint64_t ts = vt_now_ns();
	ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
	if (!device)
		return;
	if (n->data.nr == SYS_ioctl)
		snprintf(text, sizeof(text), "ioctl(%d<%s>, %#llx, %#llx)", fd,
			 path, (unsigned long long)a[1],
			 (unsigned long long)a[2]);
	else
		snprintf(text, sizeof(text), "mmap(%#llx, %llu, %#llx, %#llx, "
			 "%d<%s>, %#llx)", (unsigned long long)a[0],
			 (unsigned long long)a[1], (unsigned long long)a[2],
			 (unsigned long long)a[3], fd, path,
			 (unsigned long long)a[5]);
	record(s, ts, n->pid, (long)n->data.nr, 0, text);
}
