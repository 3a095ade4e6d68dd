/* Install directories: configured at build time (vgpu_config.h, written
 * by the Makefile), looked up relative to /proc/self/exe first. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install_dirs.h"
#include "vgpu_config.h"

static const struct {
	const char *configured;	/* absolute, from PKGLIBDIR=... */
	const char *tree;	/* below the build tree, beside its bin/ */
} dirs[] = {
	[INSTALL_PKGLIBDIR] = { VGPU_PKGLIBDIR, "../lib/vgpu" },
	[INSTALL_PKGDATADIR] = { VGPU_PKGDATADIR, "../share/vgpu-run" },
};

/* The next path component after *p: its length, *p moved past it. */
static size_t next_component(const char **p, const char **start)
{
	while (**p == '/')
		(*p)++;
	*start = *p;
	while (**p && **p != '/')
		(*p)++;
	return (size_t)(*p - *start);
}

char *relative_dir(const char *from, const char *to)
{
	if (from[0] != '/' || to[0] != '/')
		return NULL;
	const char *f = from, *t = to, *fs, *ts;
	size_t fl, tl;
	/* Drop the common leading components. */
	for (;;) {
		const char *f0 = f, *t0 = t;
		fl = next_component(&f, &fs);
		tl = next_component(&t, &ts);
		if (!fl || fl != tl || memcmp(fs, ts, fl)) {
			f = f0;
			t = t0;
			break;
		}
	}
	size_t ups = 0;
	for (const char *p = f; next_component(&p, &fs);)
		ups++;
	while (*t == '/')
		t++;
	size_t n = ups * 3 + strlen(t) + 2;
	char *rel = malloc(n), *w = rel;
	if (!rel)
		return NULL;
	for (size_t i = 0; i < ups; i++)
		w += sprintf(w, "../");
	sprintf(w, "%s", *t ? t : ".");
	/* "../../" with nothing after: drop the last slash. */
	size_t len = strlen(rel);
	if (len > 1 && rel[len - 1] == '/')
		rel[len - 1] = 0;
	return rel;
}

/* BIN/REL resolved, when it is a directory. */
static char *existing_dir(const char *bin, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	if (!rel || snprintf(path, sizeof(path), "%s/%s", bin, rel) >= (int)sizeof(path) ||
	    stat(path, &st) || !S_ISDIR(st.st_mode))
		return NULL;
	return realpath(path, NULL);
}

char *install_dir(enum install_dir which)
{
	const char *configured = dirs[which].configured;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		char *rel = relative_dir(VGPU_BINDIR, configured);
		char *found = existing_dir(exe, rel);
		free(rel);
		if (!found)
			found = existing_dir(exe, dirs[which].tree);
		if (found)
			return found;
	}
	return strdup(configured);
}
