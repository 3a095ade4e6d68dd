/* Reading a rules file: a regular file of bounded size, read without
 * waiting (a FIFO or a device named by --rules is refused, not read until
 * memory runs out or for ever).  And the rules directory, whose files
 * root reads by default: each one must be root's (or the invoking
 * user's) and writable by no one else, like the directory. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out_file.h"
#include "rules.h"

/* What root reads by default must be no one else's to change. */
static int check_owner(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (geteuid() != 0)
		return 0;
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != getuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not root: refused "
			 "(vgpu-run runs as root)", path, (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: %s-writable: refused (vgpu-run runs "
			 "as root; chmod go-w it)", path,
			 st.st_mode & S_IWOTH ? "world" : "group");
		return -1;
	}
	return 0;
}

static int parse_open_file(struct ruleset *rs, const char *path, int fd,
			   char *err, size_t errlen);

int rules_parse_file(struct ruleset *rs, const char *path, char *err,
		     size_t errlen)
{
	int fd = open_regular_bounded(path, RULES_FILE_MAX, 0, err, errlen);
	if (fd < 0)
		return -1;
	return parse_open_file(rs, path, fd, err, errlen);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rules_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 6 && !strcmp(name + n - 6, ".rules");
}

static int parse_dir_entry(struct ruleset *rs, const char *dir,
			   const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "%s/%s: %s", dir, name,
			 strerror(ENAMETOOLONG));
		return -1;
	}
	int fd = open_regular_bounded(path, RULES_FILE_MAX, 0, err, errlen);
	if (fd < 0)
		return -1;
	if (check_owner(fd, path, err, errlen)) {
		close(fd);
		return -1;
	}
	return parse_open_file(rs, path, fd, err, errlen);
}

int rules_parse_dir(struct ruleset *rs, const char *dir, char *err,
		    size_t errlen)
{
	*err = 0;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = check_owner(dirfd(d), dir, err, errlen);
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		if (!is_rules_name(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **p = realloc(names, cap * sizeof(*names));
			if (!p) {
				rc = -1;
				break;
			}
			names = p;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc && !*err)
		snprintf(err, errlen, "%s: out of memory", dir);
	if (!rc)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = parse_dir_entry(rs, dir, names[i], err, errlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Reads and parses fd (path names it in messages); closes fd. */
static int parse_open_file(struct ruleset *rs, const char *path, int fd,
			   char *err, size_t errlen)
{
	/* One byte more than the cap: a file that grew since fstat. */
	char *text = malloc(RULES_FILE_MAX + 2);
	size_t len = 0;
	int rc = -1;
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len <= RULES_FILE_MAX) {
		ssize_t k = read(fd, text + len, RULES_FILE_MAX + 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(err, errlen, "%s: read error: %s", path,
				 strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (len > RULES_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path,
			 RULES_FILE_MAX);
		goto out;
	}
	text[len] = 0;
	size_t nul = strlen(text);
	if (nul != len) {
		unsigned line = 1;
		for (size_t i = 0; i < nul; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "%s:%u: NUL byte", path, line);
		goto out;
	}
	rc = rules_parse(rs, path, text, err, errlen);
out:
	free(text);
	close(fd);
	return rc;
}
