#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verify.h"

extern char **environ;

static void digest(uint64_t off, void *arg)
{
	struct { const struct elf_image *im; uint64_t h; } *d = arg;
	const char *s = elf_image_str(d->im, off);
	for (; s && *s; s++)
		d->h = (d->h ^ (unsigned char)*s) * 0x100000001b3ull;
	d->h = (d->h ^ 0xff) * 0x100000001b3ull;
}

static uint64_t static_digest(const struct elf_image *im)
{
	struct { const struct elf_image *im; uint64_t h; } d = { im, 0xcbf29ce484222325ull };
	elf_image_each_static_ref(im, digest, &d);
	return d.h;
}

typedef const char *(*str_fn)(const void *ctx, uint64_t off);

static char *view(const GElf_Dyn *dyn, size_t n, const uint32_t *vn, size_t nvn,
		  const uint32_t *base, uint64_t dig, str_fn str, const void *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (dyn_tag_is_string(dyn[i].d_tag)) {
			const char *s = str(ctx, dyn[i].d_un.d_val);
			fprintf(f, "%llx \"%s\"\n", (unsigned long long)dyn[i].d_tag,
				s ? s : "(bad)");
		} else {
			fprintf(f, "%llx %llx\n", (unsigned long long)dyn[i].d_tag,
				(unsigned long long)dyn[i].d_un.d_val);
		}
	}
	for (size_t i = 0; i < nvn; i++) {
		const char *s = str(ctx, vn[i]);
		fprintf(f, "vn_file \"%s\"\n", s ? s : "(bad)");
	}
	if (base) {
		const char *s = str(ctx, *base);
		fprintf(f, "verdef base \"%s\"\n", s ? s : "(bad)");
	}
	fprintf(f, "refs %016llx\n", (unsigned long long)dig);
	fclose(f);
	return buf;
}

static const char *image_str(const void *ctx, uint64_t off)
{
	return elf_image_str(ctx, off);
}

static const char *edit_str_fn(const void *ctx, uint64_t off)
{
	return edit_str(ctx, off);
}

char *view_of_image(const struct elf_image *im)
{
	uint32_t *vn = calloc(im->vn_count + 1, sizeof(*vn));
	if (!vn)
		return NULL;
	for (size_t i = 0; i < im->vn_count; i++)
		vn[i] = im->vn[i].file;
	char *v = view(im->dyn, im->dyn_live, vn, im->vn_count,
		       im->base_name_at ? &im->base_name : NULL, static_digest(im),
		       image_str, im);
	free(vn);
	return v;
}

char *view_of_edit(const struct edit *ed)
{
	return view(ed->dyn, ed->n, ed->vn_file, ed->im->vn_count,
		    ed->im->base_name_at ? &ed->base_name : NULL,
		    static_digest(ed->im), edit_str_fn, ed);
}

int verify_with_loader(const char *path, const char *interp, const char *prefix,
		       bool verbose)
{
	int pipefd[2];
	if (pipe(pipefd))
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	/* ldd -r: list what loads and report every symbol that binds to
	 * nothing, without running the program. */
	size_t ne = 0;
	while (environ[ne])
		ne++;
	char **env = calloc(ne + 4, sizeof(*env));
	if (!env)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "LD_TRACE_LOADED_OBJECTS=", 24) &&
		    strncmp(environ[i], "LD_WARN=", 8) &&
		    strncmp(environ[i], "LD_BIND_NOW=", 12))
			env[k++] = environ[i];
	env[k++] = "LD_TRACE_LOADED_OBJECTS=1";
	env[k++] = "LD_WARN=yes";
	env[k++] = "LD_BIND_NOW=1";
	/* ld.so searches the library path for a name without a slash: the
	 * file named here is the one to check. */
	char *file = NULL;
	if (asprintf(&file, "%s%s", strchr(path, '/') ? "" : "./", path) < 0) {
		free(env);
		return -1;
	}
	char *argv[] = { (char *)interp, file, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, interp, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	free(file);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		fprintf(stderr, "%scannot run %s: %s\n", prefix, interp, strerror(rc));
		return -1;
	}
	char *said = NULL;
	size_t said_len = 0;
	FILE *out = open_memstream(&said, &said_len);
	FILE *f = fdopen(pipefd[0], "r");
	char line[4096];
	int bad = !out || !f;
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "not found") || strstr(line, "undefined symbol"))
			bad = 1;
		if (out)
			fprintf(out, "%sld.so: %s", prefix, line);
	}
	if (f)
		fclose(f);
	else
		close(pipefd[0]);
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		bad = 1;
	if (out) {
		fprintf(out, "%sld.so %s\n", prefix,
			bad ? "FAILED to load it" : "loads it and all its dependencies");
		fclose(out);
		if (bad || verbose)
			fputs(said, bad ? stderr : stdout);
	}
	free(said);
	return bad ? -1 : 0;
}
