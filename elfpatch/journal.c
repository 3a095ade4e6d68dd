#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "journal.h"
#include "out_file.h"

#define MAGIC "vgpu-elfpatch journal 1"
/* Far beyond any real journal (a range is under 1 MiB, an ELF has a few):
 * a bigger file is not ours. */
#define JOURNAL_MAX (64u << 20)


static int unhex(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int journal_load(const char *path, struct ranges *out, uint64_t *size,
		 char *err, size_t errlen)
{
	/* Not through a link, not a FIFO or a device: a journal someone
	 * else planted is refused, not read. */
	int fd = open_regular_bounded(path, JOURNAL_MAX, 1, err, errlen);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return err_set(err, errlen, "%s: %s", path, strerror(errno));
	}
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = -1;
	bool ended = false;
	unsigned char *a = NULL, *b = NULL;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		unsigned long long off, len, n;
		int pos = 0;
		if (lineno == 1) {
			if (strcmp(line, MAGIC))
				goto bad;
		} else if (ended) {
			goto bad;
		} else if (sscanf(line, "size %llu", &off) == 1) {
			*size = off;
		} else if (sscanf(line, "range %llu %llu %n", &off, &len, &pos) == 2 &&
			   pos && len && len < (1u << 20) &&
			   strlen(line + pos) == 4 * len + 1 && line[pos + 2 * len] == ' ') {
			a = realloc(a, len);
			b = realloc(b, len);
			if (!a || !b || unhex(line + pos, len, a) ||
			    unhex(line + pos + 2 * len + 1, len, b) ||
			    ranges_add(out, off, len, a, b, "journal"))
				goto bad;
		} else if (sscanf(line, "end %llu", &n) == 1 && n == out->n) {
			ended = true;
		} else {
			goto bad;
		}
	}
	if (!ended) {
		err_set(err, errlen, "%s: incomplete journal (no end line after line %d)",
		     path, lineno);
		goto out;
	}
	rc = 0;
	goto out;
bad:
	err_set(err, errlen, "%s:%d: not a valid journal line", path, lineno);
out:
	free(a);
	free(b);
	free(line);
	fclose(f);
	return rc;
}

int journal_write(const char *path, uint64_t size, const struct ranges *rs,
		  char *err, size_t errlen)
{
	/* A fresh 0600 file under a random name beside the journal, renamed
	 * over it once whole: a name planted beside it is never written
	 * through. */
	struct outf o;
	char why[512];
	if (outf_open(&o, path, OUTF_REPLACE | OUTF_ATOMIC, why, sizeof(why)))
		return err_set(err, errlen, "cannot write journal: %s", why);
	FILE *f = fdopen(o.fd, "w");
	if (!f) {
		outf_close(&o);
		return err_set(err, errlen, "journal %s: %s", path, strerror(errno));
	}
	o.fd = -1;
	fprintf(f, MAGIC "\nsize %llu\n", (unsigned long long)size);
	for (size_t i = 0; i < rs->n; i++) {
		fprintf(f, "range %llu %zu ", (unsigned long long)rs->r[i].off,
			rs->r[i].len);
		for (size_t j = 0; j < rs->r[i].len; j++)
			fprintf(f, "%02x", rs->r[i].old[j]);
		fputc(' ', f);
		for (size_t j = 0; j < rs->r[i].len; j++)
			fprintf(f, "%02x", rs->r[i].new_[j]);
		fputc('\n', f);
	}
	fprintf(f, "end %zu\n", rs->n);
	int bad = fflush(f) || ferror(f);
	o.fd = bad ? -1 : dup(fileno(f));
	bad |= fclose(f) || o.fd < 0;
	if (bad || outf_commit(&o, why, sizeof(why))) {
		int e = errno;
		outf_close(&o);
		return err_set(err, errlen, "cannot write journal %s: %s", path,
			    bad ? strerror(e) : why);
	}
	outf_close(&o);
	return 0;
}

struct span { uint64_t a, b; };

static int by_start(const void *x, const void *y)
{
	const struct span *p = x, *q = y;
	return p->a < q->a ? -1 : p->a > q->a;
}

int journal_merge(int fd, const struct ranges *prev, const struct ranges *cur,
		  struct ranges *out, char *err, size_t errlen)
{
	size_t n = prev->n + cur->n;
	struct span *s = calloc(n ? n : 1, sizeof(*s));
	if (!s)
		return err_set(err, errlen, "out of memory");
	for (size_t i = 0; i < prev->n; i++)
		s[i] = (struct span){ prev->r[i].off, prev->r[i].off + prev->r[i].len };
	for (size_t i = 0; i < cur->n; i++)
		s[prev->n + i] = (struct span){ cur->r[i].off,
						cur->r[i].off + cur->r[i].len };
	qsort(s, n, sizeof(*s), by_start);
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		uint64_t a = s[i].a, b = s[i].b;
		for (i++; i < n && s[i].a <= b; i++)
			if (s[i].b > b)
				b = s[i].b;
		size_t len = b - a;
		unsigned char *old = malloc(len), *new_ = malloc(len);
		if (!old || !new_ || pread(fd, old, len, (off_t)a) != (ssize_t)len) {
			rc = err_set(err, errlen, "cannot read back bytes at 0x%llx",
				  (unsigned long long)a);
		} else {
			memcpy(new_, old, len);
			for (size_t k = 0; k < prev->n; k++) {
				const struct range *r = &prev->r[k];
				if (r->off < a || r->off + r->len > b)
					continue;
				if (memcmp(old + (r->off - a), r->new_, r->len))
					rc = err_set(err, errlen, "the journal does not match "
						  "the file at byte 0x%llx (changed since?); "
						  "--undo or remove the journal first",
						  (unsigned long long)r->off);
				memcpy(old + (r->off - a), r->old, r->len);
			}
			for (size_t k = 0; k < cur->n; k++) {
				const struct range *r = &cur->r[k];
				if (r->off >= a && r->off + r->len <= b)
					memcpy(new_ + (r->off - a), r->new_, r->len);
			}
			if (!rc && ranges_add(out, a, len, old, new_, "journal"))
				rc = err_set(err, errlen, "out of memory");
		}
		free(old);
		free(new_);
	}
	free(s);
	return rc;
}

int journal_undo(int fd, const struct ranges *rs, char *err, size_t errlen)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct range *r = &rs->r[i];
		unsigned char *now = malloc(r->len);
		if (!now || pread(fd, now, r->len, (off_t)r->off) != (ssize_t)r->len) {
			free(now);
			return err_set(err, errlen, "cannot read bytes at 0x%llx",
				    (unsigned long long)r->off);
		}
		for (size_t j = 0; j < r->len; j++)
			if (now[j] != r->old[j] && now[j] != r->new_[j]) {
				free(now);
				return err_set(err, errlen, "byte 0x%llx is neither its "
					    "journaled old nor new value: the file "
					    "changed since; nothing restored",
					    (unsigned long long)(r->off + j));
			}
		free(now);
	}
	for (size_t i = 0; i < rs->n; i++)
		if (pwrite(fd, rs->r[i].old, rs->r[i].len, (off_t)rs->r[i].off) !=
		    (ssize_t)rs->r[i].len)
			return err_set(err, errlen, "write at 0x%llx failed: %s (run "
				    "--undo again)", (unsigned long long)rs->r[i].off,
				    strerror(errno));
	if (fsync(fd))
		return err_set(err, errlen, "fsync: %s", strerror(errno));
	return 0;
}
