/* Which open is served, and from which file. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_soname.h"
#include "supervisor.h"

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Only names of shared objects are worth opening to read a SONAME. */
static bool looks_like_shared_object(const char *name)
{
	size_t n = strlen(name);
	return (n > 3 && !strcmp(name + n - 3, ".so")) || strstr(name, ".so.");
}

/* The loader probes many paths for one name; cache what we learned per
 * inode so each file is parsed once.  A thread the watchdog retired may
 * finish its read while the loop goes on: the lock is held for the
 * look-up and the store, never across the read of a file. */
struct soname_entry {
	dev_t dev;
	ino_t ino;
	char soname[128];	/* "" when the file has none */
};
static struct soname_entry soname_cache[256];
static pthread_mutex_t soname_lock = PTHREAD_MUTEX_INITIALIZER;

/* The file's SONAME into buf ("" when none, or not a readable file). */
static void soname_of(struct supervisor *s, pid_t pid, int dirfd,
		      const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	int fd = target_open(pid, dirfd, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	size_t slot = (st.st_ino * 31 + st.st_dev) % 256;
	struct soname_entry *e = &soname_cache[slot];
	pthread_mutex_lock(&soname_lock);
	bool hit = e->dev == st.st_dev && e->ino == st.st_ino;
	if (hit)
		snprintf(buf, len, "%s", e->soname);
	pthread_mutex_unlock(&soname_lock);
	if (hit) {
		close(fd);
		return;
	}
	char found[sizeof(e->soname)];
	int rc = elf_read_soname(fd, found, sizeof(found));
	close(fd);
	if (rc)
		found[0] = 0;
	if (rc == ELF_SONAME_BUDGET) {
		const char *strs[] = { "SONAME peek stopped at its byte budget",
				       path };
		event(s, VT_EV_ERROR, pid, -E2BIG, 0, 2, strs);
	}
	pthread_mutex_lock(&soname_lock);
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	memcpy(e->soname, found, sizeof(found));
	pthread_mutex_unlock(&soname_lock);
	snprintf(buf, len, "%s", found);
}

/* A name or glob rule's verdict, which needs nothing but the path. */
static bool matches_name(const struct rule *r, const char *path)
{
	const char *subject = strchr(r->pattern, '/') ? path : base_name(path);
	if (r->match == MATCH_NAME)
		return !strcmp(r->pattern, subject);
	if (r->match == MATCH_GLOB)
		return !fnmatch(r->pattern, subject, 0);
	return false;
}

bool decide_may_serve(const struct supervisor *s, const char *path)
{
	bool peekable = looks_like_shared_object(base_name(path));
	for (size_t i = 0; i < s->nserved; i++) {
		const struct rule *r = s->served[i].rule;
		if (r->match == MATCH_SONAME ? peekable : matches_name(r, path))
			return true;
	}
	return false;
}

const struct served_file *decide_open(struct supervisor *s, pid_t pid,
				      int dirfd, const char *path)
{
	char soname[128];
	bool soname_done = false;
	for (size_t i = 0; i < s->nserved; i++) {
		const struct rule *r = s->served[i].rule;
		if (r->match != MATCH_SONAME) {
			if (matches_name(r, path))
				return &s->served[i];
			continue;
		}
		if (!soname_done) {
			soname_done = true;
			soname[0] = 0;
			if (looks_like_shared_object(base_name(path)))
				soname_of(s, pid, dirfd, path, soname,
					  sizeof(soname));
		}
		if (soname[0] && !strcmp(r->pattern, soname))
			return &s->served[i];
	}
	return NULL;
}

int served_files_open(struct supervisor *s, char *err, size_t errlen)
{
	size_t n = 0;
	for (size_t i = 0; i < s->rules.n; i++)
		n += s->rules.v[i].kind == RULE_REDIRECT;
	s->served = calloc(n ? n : 1, sizeof(*s->served));
	if (!s->served) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule *r = &s->rules.v[i];
		if (r->kind != RULE_REDIRECT)
			continue;
		struct served_file *f = &s->served[s->nserved];
		f->rule = r;
		if (!strncmp(r->target, "@lib/", 5)) {
			size_t len = strlen(s->libdir) + strlen(r->target);
			f->path = malloc(len);
			if (f->path)
				snprintf(f->path, len, "%s/%s", s->libdir,
					 r->target + 5);
		} else {
			f->path = strdup(r->target);
		}
		if (!f->path) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		f->opath_fd = held_file_open(r->origin, f->path, s->root,
					      err, errlen);
		if (f->opath_fd < 0)
			return -1;
		s->nserved++;
	}
	return 0;
}
