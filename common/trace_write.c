/* Buffered, append-only trace writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

#define WBUF_SIZE (1u << 16)

struct vt_writer {
	int fd;
	uint64_t records;
	size_t used;
	int err;		/* first write error, sticky */
	unsigned char buf[WBUF_SIZE];
};

uint64_t vt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

int vt_writer_flush(struct vt_writer *w)
{
	if (!w->err && w->used)
		w->err = write_all(w->fd, w->buf, w->used);
	w->used = 0;
	return w->err;
}

static int put(struct vt_writer *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	if (n > WBUF_SIZE - w->used) {
		if (vt_writer_flush(w))
			return w->err;
		if (n > WBUF_SIZE)
			return w->err = write_all(w->fd, p, n);
	}
	memcpy(w->buf + w->used, p, n);
	w->used += n;
	return 0;
}

struct vt_writer *vt_writer_fdopen(int fd, uint32_t file_flags)
{
	struct vt_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = fd;
	struct vt_file_header h = {
		.version = VT_VERSION,
		.header_size = sizeof(h),
		.monotonic_ns = vt_now_ns(),
		.writer_pid = (uint32_t)getpid(),
		.flags = file_flags,
	};
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	h.realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	memcpy(h.magic, VT_MAGIC, VT_MAGIC_LEN);
	put(w, &h, sizeof(h));
	return w;
}

struct vt_writer *vt_writer_open(const char *path, unsigned open_flags,
				 uint32_t file_flags)
{
	int oflags = O_WRONLY | O_CREAT | O_CLOEXEC |
		     ((open_flags & VT_OPEN_FORCE) ? O_TRUNC : O_EXCL);
	int fd = open(path, oflags, 0600);
	if (fd < 0)
		return NULL;
	struct vt_writer *w = vt_writer_fdopen(fd, file_flags);
	if (!w) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return w;
}

int vt_write_record(struct vt_writer *w, const void *rec)
{
	const struct vt_rec_hdr *h = rec;
	int rc = put(w, rec, h->size);
	if (!rc)
		w->records++;
	return rc;
}

int vt_write_records(struct vt_writer *w, const void *p, size_t n,
		     uint64_t count)
{
	int rc;
	/* A long run goes to the file from where it is, not through the
	 * buffer: one copy fewer for the bulk of a trace. */
	if (n >= WBUF_SIZE / 4) {
		if (vt_writer_flush(w))
			return w->err;
		rc = w->err = write_all(w->fd, p, n);
	} else {
		rc = put(w, p, n);
	}
	if (!rc)
		w->records += count;
	return rc;
}

/* Fixed part, then strings, then padding: assembled in the buffer
 * directly so no record is built twice. */
static int put_with_strings(struct vt_writer *w, struct vt_rec_hdr *fixed,
			    size_t fixed_len, unsigned nstr,
			    const char *const *strs)
{
	static const char zeros[8];
	size_t total = fixed_len;
	for (unsigned i = 0; i < nstr; i++)
		total += strlen(strs[i] ? strs[i] : "") + 1;
	if (total > VT_REC_MAX)
		return -E2BIG;
	fixed->size = VT_ALIGN8((uint32_t)total);
	int rc = put(w, fixed, fixed_len);
	for (unsigned i = 0; !rc && i < nstr; i++) {
		const char *s = strs[i] ? strs[i] : "";
		rc = put(w, s, strlen(s) + 1);
	}
	if (!rc)
		rc = put(w, zeros, fixed->size - total);
	if (!rc)
		w->records++;
	return rc;
}

int vt_write_event(struct vt_writer *w, uint32_t kind, uint32_t pid,
		   uint32_t tid, int32_t result, uint64_t arg,
		   unsigned nstr, const char *const *strs)
{
	return vt_write_event_at(w, vt_now_ns(), kind, pid, tid, result, arg,
				 nstr, strs);
}

int vt_write_event_at(struct vt_writer *w, uint64_t ts_ns, uint32_t kind,
		      uint32_t pid, uint32_t tid, int32_t result, uint64_t arg,
		      unsigned nstr, const char *const *strs)
{
	struct vt_rec_event e = {
		.h.type = VT_REC_EVENT,
		.ts_ns = ts_ns,
		.pid = pid,
		.tid = tid,
		.kind = kind,
		.result = result,
		.arg = arg,
		.nstr = nstr,
	};
	return put_with_strings(w, &e.h, sizeof(e), nstr, strs);
}

int vt_write_func_table(struct vt_writer *w, uint32_t api,
			uint32_t first_index, uint32_t count,
			const char *const *names)
{
	struct vt_rec_func_table t = {
		.h.type = VT_REC_FUNC_TABLE,
		.api = api,
		.first_index = first_index,
		.count = count,
	};
	return put_with_strings(w, &t.h, sizeof(t), count, names);
}

uint64_t vt_writer_records(const struct vt_writer *w)
{
	return w->records;
}

int vt_writer_close(struct vt_writer *w)
{
	if (!w)
		return 0;
	struct vt_rec_end e = {
		.h = { .type = VT_REC_END, .size = sizeof(e) },
		.ts_ns = vt_now_ns(),
		.records = w->records,
	};
	vt_write_record(w, &e);
	int rc = vt_writer_flush(w);
	if (close(w->fd) && !rc)
		rc = -errno;
	free(w);
	return rc;
}
