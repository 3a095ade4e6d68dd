/* -o for services (trace_out.h).  The file is created through out_file.h's
 * rules; the directory stays open (dirfd) for the life of the run, so the
 * renames of a rotation and of %p happen beside the first file even if
 * the path's directories are renamed meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "out_file.h"
#include "rules.h"
#include "trace_out.h"

#define MAX_FILES_LIMIT 1000
#define MIN_SIZE (16u << 10)
/* zstd -1: about 20x on call records (bench/trace_compress.sh). */
#define ZSTD_LEVEL 1

/* Compression threads beside the drain: where cores are to spare, a
 * program that does nothing but traced calls (and so runs at its drain's
 * pace) does not wait for the compressor too.  A small machine
 * compresses in the drain itself. */
static int zstd_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 4)
		return 0;
	return n >= 16 ? 4 : (int)(n / 4);
}

static struct {
	bool compress;
	unsigned long long max_size;
	unsigned max_files;
	bool owner_set;
	uid_t owner_uid;
	gid_t owner_gid;
	const char *owner_name;
	/* the open series */
	int dirfd;
	char *dir;		/* the directory part as given ("." when none) */
	char *name;		/* the current file's name in dirfd */
	char *tmp;		/* %p pending: the hidden name it has until then */
	char *leaf_pattern;	/* %p pending: the -o name, unexpanded */
	time_t start;		/* %t */
	bool force;
	char path[PATH_MAX];
} out = { .max_files = 5, .dirfd = -1 };

static int bad(const char *name, const char *arg, const char *why)
{
	fprintf(stderr, "vgpu-run: --%s %s: %s\n", name, arg, why);
	return -1;
}

static int parse_owner(const char *arg)
{
	struct passwd *pw = getpwnam(arg);
	char *end;
	if (!pw) {
		errno = 0;
		unsigned long id = strtoul(arg, &end, 10);
		if (*arg && !*end && !errno)
			pw = getpwuid((uid_t)id);
	}
	if (!pw)
		return bad("trace-owner", arg, "no such user");
	out.owner_set = true;
	out.owner_uid = pw->pw_uid;
	out.owner_gid = pw->pw_gid;
	out.owner_name = arg;
	return 0;
}

int trace_out_option(const char *name, const char *arg)
{
	if (!strcmp(name, "compress")) {
		out.compress = true;
		return 0;
	}
	if (!strcmp(name, "max-size")) {
		if (rules_parse_size(arg, &out.max_size))
			return bad(name, arg, "expected a size in bytes, with "
				   "an optional K, M or G");
		if (out.max_size < MIN_SIZE)
			return bad(name, arg, "smaller than 16K");
		return 0;
	}
	if (!strcmp(name, "max-files")) {
		char *end;
		errno = 0;
		long n = strtol(arg, &end, 10);
		if (errno || end == arg || *end || n < 1 || n > MAX_FILES_LIMIT)
			return bad(name, arg, "expected a number from 1 to 1000");
		out.max_files = (unsigned)n;
		return 0;
	}
	if (!strcmp(name, "trace-owner"))
		return parse_owner(arg);
	return bad(name, arg, "unknown option");
}

int trace_out_check(const char *path)
{
	const char *lone = out.compress ? "--compress" : out.max_size ?
			   "--max-size" : out.owner_set ? "--trace-owner" : NULL;
	if (!path && lone) {
		fprintf(stderr, "vgpu-run: %s: needs -o FILE\n", lone);
		return -1;
	}
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* %t, %% expanded into buf; %p kept as is when keep_p, else filled from
 * pid.  Returns 0, or -1 after naming what is wrong. */
static int expand(const char *pattern, char *buf, size_t len, bool keep_p,
		  pid_t pid, time_t t)
{
	size_t n = 0;
	for (const char *p = pattern; *p; p++) {
		char piece[32] = { *p, 0 };
		if (*p == '%') {
			switch (p[1]) {
			case '%': strcpy(piece, "%"); break;
			case 't': snprintf(piece, sizeof(piece), "%lld", (long long)t); break;
			case 'p':
				if (keep_p)
					strcpy(piece, "%p");
				else
					snprintf(piece, sizeof(piece), "%d", (int)pid);
				break;
			default:
				fprintf(stderr, "vgpu-run: -o %s: %%%c is not a "
					"pattern (%%p: the program's pid, %%t: "
					"the start time, %%%%: a %%)\n", pattern,
					p[1] ? p[1] : ' ');
				return -1;
			}
			p++;
		}
		size_t k = strlen(piece);
		if (n + k >= len) {
			fprintf(stderr, "vgpu-run: -o %s: %s\n", pattern,
				strerror(ENAMETOOLONG));
			return -1;
		}
		memcpy(buf + n, piece, k + 1);
		n += k;
	}
	buf[n] = 0;
	return 0;
}

/* Whether %p appears (not as %%p) and only in the last component. */
static int find_pid(const char *pattern, bool *has)
{
	*has = false;
	const char *last = strrchr(pattern, '/');
	for (const char *p = pattern; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == 'p') {
			if (last && p < last) {
				fprintf(stderr, "vgpu-run: -o %s: %%p only in the "
					"file name, not in a directory\n", pattern);
				return -1;
			}
			*has = true;
		}
		if (p[1])
			p++;
	}
	return 0;
}

/* Where vgpu-run is root, a missing directory is made for the service
 * user (--trace-owner) or refused by name: root would otherwise create a
 * path the service could not use, or write where nobody asked. */
static int ensure_dir(const char *path)
{
	if (geteuid() != 0)
		return 0;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	while (slash > dir && slash[-1] == '/')
		slash--;
	if (slash == dir)
		return 0;
	*slash = 0;
	struct stat st;
	if (!stat(dir, &st) || errno != ENOENT)
		return 0;
	if (!out.owner_set) {
		fprintf(stderr, "vgpu-run: %s: %s (as root, --trace-owner "
			"USER has %s made, mode 0750, for USER)\n", path,
			strerror(ENOENT), dir);
		return -1;
	}
	char err[1024];
	if (outf_make_dir(dir, out.owner_uid, out.owner_gid, err, sizeof(err)) &&
	    errno != EEXIST) {
		fprintf(stderr, "vgpu-run: -o %s: cannot create the directory "
			"for --trace-owner %s: %s\n", path, out.owner_name, err);
		return -1;
	}
	return 0;
}

/* --trace-owner: as root, each file of the trace is the service user's
 * (what it made itself, through its own descriptor: a fresh inode, never
 * a name someone could have swapped). */
static int give_to_owner(int fd)
{
	if (!out.owner_set || geteuid() != 0)
		return 0;
	return fchown(fd, out.owner_uid, out.owner_gid) ? -errno : 0;
}

/* name.K for the K-th older file of the series (K = 0: name itself). */
static void series_name(char *buf, size_t len, unsigned k)
{
	if (k)
		snprintf(buf, len, "%s.%u", out.name, k);
	else
		snprintf(buf, len, "%s", out.name);
}

/* The writer's next file: name -> name.1 -> ... -> name.(N-1), the
 * oldest replaced, and a fresh name. */
static int next_file(void *arg, unsigned part, int *fd)
{
	(void)arg;
	(void)part;
	char from[NAME_MAX + 16], to[NAME_MAX + 16];
	if (out.max_files == 1) {
		if (unlinkat(out.dirfd, out.name, 0) && errno != ENOENT)
			return -errno;
	}
	for (unsigned k = out.max_files - 1; k >= 1 && out.max_files > 1; k--) {
		series_name(from, sizeof(from), k - 1);
		series_name(to, sizeof(to), k);
		if (renameat(out.dirfd, from, out.dirfd, to) && errno != ENOENT)
			return -errno;
	}
	struct outf o;
	char err[1024];
	if (outf_open_at(&o, out.dirfd, out.name, OUTF_LOCK, err, sizeof(err)))
		return errno ? -errno : -EIO;
	int rc = give_to_owner(o.fd);
	if (!rc) {
		*fd = o.fd;
		o.fd = -1;
	}
	outf_close(&o);
	return rc;
}

static void set_path(const char *name)
{
	if (!strcmp(out.dir, "."))
		snprintf(out.path, sizeof(out.path), "%s", name);
	else
		snprintf(out.path, sizeof(out.path), "%s/%s", out.dir, name);
}

/* vgpu-run stopped before the program existed: no trace under a hidden
 * name stays behind. */
static void drop_unnamed(void)
{
	if (out.tmp && out.leaf_pattern)
		unlinkat(out.dirfd, out.tmp, 0);
}

struct vt_writer *trace_out_open(const char **path, bool force, bool lossy,
				 int *readback)
{
	bool has_pid;
	char expanded[PATH_MAX];
	out.start = time(NULL);
	if (find_pid(*path, &has_pid) ||
	    expand(*path, expanded, sizeof(expanded), true, 0, out.start) ||
	    ensure_dir(expanded))
		return NULL;
	out.force = force;
	struct outf o;
	char err[1024];
	unsigned flags = OUTF_LOCK | (force ? OUTF_REPLACE | OUTF_SPECIAL : 0) |
			 (has_pid ? OUTF_ATOMIC : 0);
	if (outf_open(&o, expanded, flags, err, sizeof(err))) {
		fprintf(stderr, "vgpu-run: %s%s\n", err, errno == EEXIST ?
			" (use --force to replace it)" : "");
		return NULL;
	}
	if (out.max_size && o.special) {
		fprintf(stderr, "vgpu-run: -o %s: --max-size needs a regular "
			"file (this is a FIFO or a device)\n", expanded);
		outf_close(&o);
		return NULL;
	}
	int orc = o.special ? 0 : give_to_owner(o.fd);
	if (orc) {
		fprintf(stderr, "vgpu-run: -o %s: --trace-owner %s: %s\n",
			expanded, out.owner_name, strerror(-orc));
		outf_close(&o);
		return NULL;
	}
	char *slash = strrchr(expanded, '/');
	out.dir = slash == expanded ? strdup("/") : slash ?
		  strndup(expanded, (size_t)(slash - expanded)) : strdup(".");
	out.name = strdup(o.name);
	const char *leaf = strrchr(*path, '/');
	out.leaf_pattern = has_pid ? strdup(leaf ? leaf + 1 : *path) : NULL;
	/* Taken from o: until the pid is known the file has this hidden
	 * name, so a %p name never stands for another process's trace. */
	out.tmp = has_pid ? o.tmp : NULL;
	if (has_pid)
		o.tmp = NULL;
	out.dirfd = fcntl(o.dirfd, F_DUPFD_CLOEXEC, 0);
	if (!out.dir || !out.name || out.dirfd < 0 ||
	    (has_pid && (!out.leaf_pattern || !out.tmp))) {
		fprintf(stderr, "vgpu-run: %s: %s\n", expanded, strerror(errno ? errno : ENOMEM));
		outf_close(&o);
		return NULL;
	}
	if (has_pid)
		atexit(drop_unnamed);
	set_path(has_pid ? out.tmp : out.name);
	*path = out.path;
	*readback = o.special ? -1 : fcntl(o.fd, F_DUPFD_CLOEXEC, 0);
	struct vt_writer *w = vt_writer_fdopen(o.fd, lossy ? VT_FILE_LOSSY : 0);
	int rc = w ? 0 : -errno;
	if (w)
		o.fd = -1;
	outf_close(&o);
	if (!rc && (out.compress || ends_with(expanded, ".zst")))
		rc = vt_writer_compress_zstd(w, ZSTD_LEVEL, zstd_workers());
	if (rc) {
		fprintf(stderr, "vgpu-run: %s: %s\n", expanded, strerror(-rc));
		vt_writer_close(w);
		return NULL;
	}
	if (out.max_size)
		vt_writer_set_rotate(w, out.max_size, next_file, NULL);
	return w;
}

void trace_out_started(pid_t pid, const char **path)
{
	if (!out.leaf_pattern)
		return;
	char name[PATH_MAX];
	if (expand(out.leaf_pattern, name, sizeof(name), false, pid, out.start))
		return;
	if (renameat2(out.dirfd, out.tmp, out.dirfd, name,
		      out.force ? 0 : RENAME_NOREPLACE)) {
		/* The program runs already: the trace goes on under the
		 * name it has. */
		fprintf(stderr, "vgpu-run: warning: %s/%s: %s; the trace is "
			"written to %s instead\n", out.dir, name,
			strerror(errno), out.path);
		free(out.name);
		out.name = out.tmp;
	} else {
		free(out.name);
		out.name = strdup(name);
		free(out.tmp);
		if (!out.name)
			out.name = strdup(".");
		set_path(out.name);
	}
	out.tmp = NULL;
	free(out.leaf_pattern);
	out.leaf_pattern = NULL;
	*path = out.path;
}
