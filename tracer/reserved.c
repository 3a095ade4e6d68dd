/* The reserved prefix /.vgpu/: what the in-process interposer may ask
 * the supervisor for.  Only names in this table are served; anything else,
 * and any name with a "..", gets ENOENT. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "supervisor.h"

struct reserved_entry {
	const char *name;
	bool is_prefix;
	reserved_fn fn;
};

static struct reserved_entry table[32];
static size_t ntable;

void reserved_register(const char *name, bool is_prefix, reserved_fn fn)
{
	if (ntable < sizeof(table) / sizeof(table[0]))
		table[ntable++] = (struct reserved_entry){ name, is_prefix, fn };
}

int reserved_serve(struct supervisor *s, pid_t pid, const char *name,
		   const char **what)
{
	*what = "";
	if (strstr(name, ".."))
		return -ENOENT;
	for (size_t i = 0; i < ntable; i++) {
		const struct reserved_entry *e = &table[i];
		size_t n = strlen(e->name);
		if (e->is_prefix ? !strncmp(name, e->name, n)
				 : !strcmp(name, e->name))
			return e->fn(s, pid, name, what);
	}
	return -ENOENT;
}

/* A sealed memfd holding text: what a process may read but not change. */
int reserved_memfd_text(const char *label, const char *text, size_t len)
{
	int fd = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		off += (size_t)n;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
			       F_SEAL_SEAL);
	/* A fresh description per serve: the reader's offset is its own. */
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int rfd = open(p, O_RDONLY | O_CLOEXEC);
	int e = errno;
	close(fd);
	return rfd < 0 ? -e : rfd;
}

/* config: the rules that matter inside the program (backend, devices,
 * simulator, fault injection), in the rules language, one per line. */
static int serve_config(struct supervisor *s, pid_t pid, const char *name,
			const char **what)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return -ENOMEM;
	fprintf(m, "# served by vgpu-run %d for pid %d\n", getpid(), pid);
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule *r = &s->rules.v[i];
		if (r->kind == RULE_REDIRECT)
			continue;
		fprintf(m, "%s", rule_kind_name(r->kind));
		for (unsigned w = 0; w < r->nwords; w++)
			fprintf(m, " \"%s\"", r->words[w]);
		for (unsigned k = 0; k < r->nkv; k++)
			fprintf(m, " %s=\"%s\"", r->kv[k].key, r->kv[k].val);
		fprintf(m, "  # %s\n", r->origin);
	}
	if (fclose(m))
		return -ENOMEM;
	int fd = reserved_memfd_text("vgpu-config", text, len);
	free(text);
	*what = "config";
	return fd;
}

void reserved_builtin_init(void)
{
	reserved_register("config", false, serve_config);
}
