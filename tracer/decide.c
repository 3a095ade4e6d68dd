/* Which open is served, and from which file. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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
 * inode so each file is parsed once. */
struct soname_entry {
	dev_t dev;
	ino_t ino;
	char soname[128];	/* "" when the file has none */
};
static struct soname_entry soname_cache[256];

static const char *soname_of(pid_t pid, int dirfd, const char *path)
{
	int fd = target_open(pid, dirfd, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat st;
	const char *res = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		size_t slot = (st.st_ino * 31 + st.st_dev) % 256;
		struct soname_entry *e = &soname_cache[slot];
		if (e->dev != st.st_dev || e->ino != st.st_ino) {
			e->dev = st.st_dev;
			e->ino = st.st_ino;
			if (elf_read_soname(fd, e->soname, sizeof(e->soname)))
				e->soname[0] = 0;
		}
		res = e->soname[0] ? e->soname : NULL;
	}
	close(fd);
	return res;
}

static bool matches(const struct rule *r, pid_t pid, int dirfd,
		    const char *path, const char **soname, bool *soname_done)
{
	const char *subject = strchr(r->pattern, '/') ? path : base_name(path);
	switch (r->match) {
	case MATCH_NAME:
		return !strcmp(r->pattern, subject);
	case MATCH_GLOB:
		return !fnmatch(r->pattern, subject, 0);
	case MATCH_SONAME:
		if (!*soname_done) {
			*soname_done = true;
			if (looks_like_shared_object(base_name(path)))
				*soname = soname_of(pid, dirfd, path);
		}
		return *soname && !strcmp(r->pattern, *soname);
	}
	return false;
}

const struct served_file *decide_open(struct supervisor *s, pid_t pid,
				      int dirfd, const char *path)
{
	const char *soname = NULL;
	bool soname_done = false;
	for (size_t i = 0; i < s->nserved; i++)
		if (matches(s->served[i].rule, pid, dirfd, path, &soname,
			    &soname_done))
			return &s->served[i];
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
