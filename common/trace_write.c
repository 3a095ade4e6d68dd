/* Buffered, append-only trace writer.  A write error is sticky: nothing
 * more is written, the owner is told once (vt_writer_on_error), and when
 * the trace is a regular file the writer cuts it back to a record boundary
 * it knows is whole and ends it with an error event and an END record
 * marked VT_END_LOST, so a reader names the cause instead of guessing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

#define WBUF_SIZE (1u << 16)
/* The older fallback boundary is at least this far before the newer:
 * cutting back to it frees room for the trailer on a full disk. */
#define CHECKPOINT_GAP (1u << 16)

struct boundary {
	uint64_t off;		/* file offset of a record boundary */
	uint64_t records;	/* records before it */
};

struct vt_writer {
	int fd;
	uint64_t records;
	size_t used;
	int err;		/* first write error, sticky */
	int in_record;		/* between the parts of one record */
	int regular;		/* the fd is a regular file: it can be cut back */
	uint64_t off;		/* bytes the file holds */
	struct boundary safe;	/* the newest boundary known to be on file */
	struct boundary cp, cp_next;	/* older ones, CHECKPOINT_GAP apart */
	void (*on_error)(void *arg, int err, uint64_t at);
	void *on_error_arg;
	struct vt_file_header hdr;
	unsigned char buf[WBUF_SIZE];
};

uint64_t vt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pwrite_all(int fd, const void *p, size_t n, uint64_t at)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t k = pwrite(fd, c, n, (off_t)at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
		at += (uint64_t)k;
	}
	return 0;
}

/* Cuts the file back to b and writes the trailer there.  Returns 0 when
 * the trailer is on file. */
static int trailer_at(struct vt_writer *w, struct boundary b, int err)
{
	char msg[200];
	snprintf(msg, sizeof(msg), "the trace writer failed at byte %llu: %s; "
		 "records after byte %llu are lost", (unsigned long long)w->off,
		 strerror(-err), (unsigned long long)b.off);
	const char *strs[] = { msg };
	unsigned char rec[sizeof(struct vt_rec_event) + sizeof(msg) + 8 +
			  sizeof(struct vt_rec_end)];
	struct vt_rec_event e = {
		.h.type = VT_REC_EVENT,
		.ts_ns = vt_now_ns(),
		.pid = (uint32_t)getpid(),
		.kind = VT_EV_ERROR,
		.result = err,
		.nstr = 1,
	};
	size_t len = strlen(strs[0]) + 1;
	e.h.size = VT_ALIGN8((uint32_t)(sizeof(e) + len));
	memset(rec, 0, sizeof(rec));
	memcpy(rec, &e, sizeof(e));
	memcpy(rec + sizeof(e), strs[0], len);
	struct vt_rec_end end = {
		.h = { .type = VT_REC_END, .flags = VT_END_LOST,
		       .size = sizeof(end) },
		.ts_ns = e.ts_ns,
		.records = b.records + 1,
	};
	memcpy(rec + e.h.size, &end, sizeof(end));
	size_t n = e.h.size + sizeof(end);
	if (ftruncate(w->fd, (off_t)b.off))
		return -1;
	if (b.off == 0 && pwrite_all(w->fd, &w->hdr, sizeof(w->hdr), 0))
		return -1;
	return pwrite_all(w->fd, rec, n, b.off ? b.off : sizeof(w->hdr));
}

/* The first error: remember it, end the file where it can, tell once. */
static int lost(struct vt_writer *w, int err)
{
	if (w->err)
		return w->err;
	w->err = err;
	w->used = 0;
	if (w->regular) {
		struct boundary zero = { 0, 0 };
		if (trailer_at(w, w->safe, err) && trailer_at(w, w->cp, err))
			trailer_at(w, zero, err);
	}
	if (w->on_error)
		w->on_error(w->on_error_arg, -err, w->off);
	return err;
}

static int write_all(struct vt_writer *w, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t k = write(w->fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return lost(w, k < 0 ? -errno : -EIO);
		c += k;
		n -= (size_t)k;
		w->off += (uint64_t)k;
	}
	return 0;
}

/* Everything handed over so far is on file and ends a record. */
static void mark_safe(struct vt_writer *w)
{
	if (w->err || w->used || w->in_record)
		return;
	w->safe = (struct boundary){ w->off, w->records };
	if (w->safe.off - w->cp_next.off >= CHECKPOINT_GAP) {
		w->cp = w->cp_next;
		w->cp_next = w->safe;
	}
}

static int flush_buf(struct vt_writer *w)
{
	if (!w->err && w->used) {
		int rc = write_all(w, w->buf, w->used);
		w->used = 0;
		if (!rc)
			mark_safe(w);
	}
	w->used = 0;
	return w->err;
}

int vt_writer_flush(struct vt_writer *w)
{
	return flush_buf(w);
}

void vt_writer_on_error(struct vt_writer *w,
			void (*fn)(void *arg, int err, uint64_t at), void *arg)
{
	w->on_error = fn;
	w->on_error_arg = arg;
}

int vt_writer_error(const struct vt_writer *w)
{
	return w->err;
}

static int put(struct vt_writer *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	if (n > WBUF_SIZE - w->used) {
		if (flush_buf(w))
			return w->err;
		if (n > WBUF_SIZE)
			return write_all(w, p, n);
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
	struct stat st;
	w->regular = !fstat(fd, &st) && S_ISREG(st.st_mode);
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
	w->hdr = h;
	put(w, &h, sizeof(h));
	return w;
}

struct vt_writer *vt_writer_open(const char *path, unsigned open_flags,
				 uint32_t file_flags)
{
	/* Truncated only once locked: a second writer must not wipe the
	 * trace of one that is still running. */
	int oflags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		     ((open_flags & VT_OPEN_FORCE) ? 0 : O_EXCL);
	int fd = open(path, oflags, 0600);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) || (S_ISREG(st.st_mode) &&
	    (flock(fd, LOCK_EX | LOCK_NB) || ftruncate(fd, 0)))) {
		int e = errno == EWOULDBLOCK ? EBUSY : errno;
		close(fd);
		errno = e;
		return NULL;
	}
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
	mark_safe(w);
	return rc;
}

int vt_write_records(struct vt_writer *w, const void *p, size_t n,
		     uint64_t count)
{
	int rc;
	/* A long run goes to the file from where it is, not through the
	 * buffer: one copy fewer for the bulk of a trace. */
	if (n >= WBUF_SIZE / 4) {
		if (flush_buf(w))
			return w->err;
		rc = write_all(w, p, n);
	} else {
		rc = put(w, p, n);
	}
	if (!rc)
		w->records += count;
	mark_safe(w);
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
	/* Flushed before the record, not inside it: the file then ends at
	 * a boundary a failed write can cut back to. */
	if (fixed->size <= WBUF_SIZE && fixed->size > WBUF_SIZE - w->used &&
	    flush_buf(w))
		return w->err;
	int rc = put(w, fixed, fixed_len);
	w->in_record = 1;
	for (unsigned i = 0; !rc && i < nstr; i++) {
		const char *s = strs[i] ? strs[i] : "";
		rc = put(w, s, strlen(s) + 1);
	}
	if (!rc)
		rc = put(w, zeros, fixed->size - total);
	w->in_record = 0;
	if (!rc)
		w->records++;
	mark_safe(w);
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
	/* After an error the trailer, if any, is already written. */
	if (!w->err)
		vt_write_record(w, &e);
	int rc = flush_buf(w);
	if (close(w->fd) && !rc) {
		w->regular = 0;	/* the fd is gone: nothing to cut back */
		rc = lost(w, -errno);
	}
	free(w);
	return rc;
}
