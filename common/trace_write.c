/* Buffered, append-only trace writer.  A write error is sticky: nothing
 * more is written, the owner is told once (vt_writer_on_error), and when
 * the trace is a regular file the writer cuts it back to a record boundary
 * it knows is whole and ends it with an error event and an END record
 * marked VT_END_LOST, so a reader names the cause instead of guessing.
 *
 * With a codec (compression) the boundaries a failure can cut back to are
 * the ends of the codec's frames, one every so many bytes in or out (the
 * codec says how many); the trailer then goes in a frame of its own.
 * With rotation (trace.h) the records that give later ones their meaning
 * are kept in memory (CONTEXT_MAX at most) and written again at the top
 * of every new file. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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
/* Records kept for the next file of a rotated series; past this a new
 * file lacks the newest thread names and call sites (said in its note). */
#define CONTEXT_MAX (16u << 20)

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
	/* compression */
	const struct vt_codec *codec;
	void *codec_st;
	int frame_open;		/* the codec holds records of an unended frame */
	uint64_t frame_in;	/* bytes handed to the current frame */
	uint64_t frame_off;	/* where it starts in the file */
	uint64_t frame_in_max, frame_out_max;
	/* rotation */
	uint64_t max_bytes;	/* 0: one file */
	int (*next)(void *arg, unsigned part, int *fd);
	void *next_arg;
	unsigned part;		/* files begun before this one */
	int rotating;
	uint64_t prev_records;	/* records of the file before this one */
	unsigned char *ctx;	/* kept records, in trace-file form */
	size_t ctx_len, ctx_cap;
	uint64_t ctx_records;
	int ctx_full;		/* some were not kept: CONTEXT_MAX */
	struct vt_rec_clock clock;	/* the newest: it replaces older ones */
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

/* Appends to the file: the codec's output, and plain records through
 * raw_write.  A failure is only passed back: the trailer that lost()
 * writes needs the codec, which is busy while it emits. */
static int codec_emit(struct vt_writer *w, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t k = write(w->fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		c += k;
		n -= (size_t)k;
		w->off += (uint64_t)k;
	}
	return 0;
}

/* The trailer of a compressed file, in a frame of its own at b (the end
 * of a frame, or 0: then the file header comes first). */
static int codec_trailer(struct vt_writer *w, struct boundary b,
			 const void *rec, size_t n)
{
	unsigned char in[sizeof(w->hdr) + 512], out[1024];
	size_t len = 0;
	if (b.off == 0) {
		memcpy(in, &w->hdr, sizeof(w->hdr));
		len = sizeof(w->hdr);
	}
	if (n > sizeof(in) - len)
		return -1;
	memcpy(in + len, rec, n);
	size_t k = w->codec->frame(in, len + n, out, sizeof(out));
	return k ? pwrite_all(w->fd, out, k, b.off) : -1;
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
	if (w->codec)
		return codec_trailer(w, b, rec, n);
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

static int raw_write(struct vt_writer *w, const void *p, size_t n)
{
	int rc = codec_emit(w, p, n);
	return rc ? lost(w, rc) : 0;
}

static int codec_run(struct vt_writer *w, const void *p, size_t n,
		     enum vt_codec_mode mode)
{
	int rc = w->codec->compress(w->codec_st, w, p, n, mode, codec_emit);
	if (rc && !w->err)
		lost(w, rc);
	if (!w->err) {
		w->frame_in += n;
		w->frame_open = mode != VT_CODEC_END;
	}
	return w->err;
}

static int write_all(struct vt_writer *w, const void *p, size_t n)
{
	if (w->codec)
		return codec_run(w, p, n, VT_CODEC_CONTINUE);
	return raw_write(w, p, n);
}

static void end_frame(struct vt_writer *w)
{
	if (w->codec && !w->err && w->frame_open) {
		codec_run(w, NULL, 0, VT_CODEC_END);
		w->frame_in = 0;
		w->frame_off = w->off;
	}
}

/* Everything handed over so far is on file and ends a record. */
static void mark_safe(struct vt_writer *w)
{
	if (w->err || w->used || w->in_record)
		return;
	if (w->codec && (w->frame_in >= w->frame_in_max ||
			 w->off - w->frame_off >= w->frame_out_max))
		end_frame(w);
	if (w->frame_open)
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
	if (flush_buf(w) || !w->codec || !w->frame_open)
		return w->err;
	return codec_run(w, NULL, 0, VT_CODEC_FLUSH);
}

int vt_writer_set_codec(struct vt_writer *w, const struct vt_codec *codec,
			void *st, uint64_t frame_in_max, uint64_t frame_out_max)
{
	if (w->off || w->codec)
		return -EBUSY;
	w->codec = codec;
	w->codec_st = st;
	w->frame_in_max = frame_in_max;
	w->frame_out_max = frame_out_max;
	return 0;
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

/* ---- rotation ---- */

/* Whether a later file of the series needs rec to make sense of its own
 * records (names, clock, threads, call sites) or of its run (argv). */
static bool keep_for_next(const struct vt_rec_hdr *h)
{
	if (h->type == VT_REC_EVENT && h->size >= sizeof(struct vt_rec_event)) {
		uint32_t kind = ((const struct vt_rec_event *)h)->kind;
		return kind == VT_EV_START || kind == VT_EV_SPAWN;
	}
	return h->type == VT_REC_FUNC_TABLE || h->type == VT_REC_THREAD ||
	       h->type == VT_REC_CALLSITE;
}

/* Room for n more kept bytes, or NULL (then the file says so). */
static unsigned char *ctx_room(struct vt_writer *w, size_t n)
{
	if (w->ctx_len + n > w->ctx_cap) {
		size_t cap = w->ctx_cap ? 2 * w->ctx_cap : 1u << 16;
		while (cap < w->ctx_len + n)
			cap *= 2;
		unsigned char *p = cap <= CONTEXT_MAX ? realloc(w->ctx, cap) : NULL;
		if (!p) {
			w->ctx_full = 1;
			return NULL;
		}
		w->ctx = p;
		w->ctx_cap = cap;
	}
	w->ctx_records++;
	w->ctx_len += n;
	return w->ctx + w->ctx_len - n;
}

/* Keeps what later files need from n bytes of whole records. */
static void keep_records(struct vt_writer *w, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n >= sizeof(struct vt_rec_hdr)) {
		const struct vt_rec_hdr *h = (const void *)c;
		if (h->size < sizeof(*h) || h->size > n)
			return;
		if (h->type == VT_REC_CLOCK && h->size == sizeof(w->clock)) {
			memcpy(&w->clock, h, sizeof(w->clock));
		} else if (keep_for_next(h)) {
			unsigned char *dst = ctx_room(w, h->size);
			if (dst)
				memcpy(dst, h, h->size);
		}
		c += h->size;
		n -= h->size;
	}
}

static void series_note(struct vt_writer *w)
{
	char what[256];
	if (w->part)
		snprintf(what, sizeof(what), "part %u of a rotated series; "
			 "part %u before it held %llu records%s",
			 w->part + 1, w->part, (unsigned long long)w->prev_records,
			 w->ctx_full ? "; some thread names and call sites of "
			 "earlier parts are not repeated here" : "");
	else
		snprintf(what, sizeof(what), "part 1 of a rotated series, "
			 "the first");
	const char *strs[] = { "trace-series", what };
	vt_write_event(w, VT_EV_NOTE, (uint32_t)getpid(), 0, 0, w->part + 1,
		       2, strs);
}

static int write_end(struct vt_writer *w);

/* Ends this file and begins the next (see vt_writer_set_rotate). */
static void rotate(struct vt_writer *w)
{
	w->rotating = 1;
	write_end(w);
	flush_buf(w);
	end_frame(w);
	if (w->err)
		goto out;
	if (close(w->fd)) {
		w->fd = -1;
		w->regular = 0;
		lost(w, -errno);
		goto out;
	}
	w->fd = -1;
	int fd = -1;
	int rc = w->next(w->next_arg, w->part + 1, &fd);
	if (rc) {
		w->regular = 0;
		lost(w, rc);
		goto out;
	}
	struct stat st;
	w->fd = fd;
	w->regular = !fstat(fd, &st) && S_ISREG(st.st_mode);
	w->part++;
	w->prev_records = w->records;
	w->records = 0;
	w->off = 0;
	w->safe = w->cp = w->cp_next = (struct boundary){ 0, 0 };
	w->frame_in = w->frame_off = 0;
	if (w->codec)
		w->codec->reset(w->codec_st);
	/* The first file's header: every part keeps the run's time origin
	 * (records drained after the switch were made before it), so the
	 * times of two parts compare. */
	put(w, &w->hdr, sizeof(w->hdr));
	if (w->ctx_len)
		put(w, w->ctx, w->ctx_len);
	w->records += w->ctx_records;
	if (w->clock.h.type == VT_REC_CLOCK) {
		put(w, &w->clock, sizeof(w->clock));
		w->records++;
	}
	series_note(w);
out:
	w->rotating = 0;
}

/* At a record boundary: a full file makes way for the next. */
static void maybe_rotate(struct vt_writer *w)
{
	if (w->max_bytes && !w->rotating && !w->err && !w->in_record &&
	    w->off + (w->codec ? 0 : w->used) >= w->max_bytes)
		rotate(w);
}

void vt_writer_set_rotate(struct vt_writer *w, uint64_t max_bytes,
			  int (*next)(void *arg, unsigned part, int *fd),
			  void *arg)
{
	w->max_bytes = max_bytes;
	w->next = next;
	w->next_arg = arg;
	if (max_bytes)
		series_note(w);
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
	if (!rc && w->max_bytes)
		keep_records(w, rec, h->size);
	mark_safe(w);
	maybe_rotate(w);
	return rc;
}

/* Bytes of the whole records at p (n bytes in all) that fit before the
 * file reaches its size limit (at least one record), and how many. */
static size_t fit_before_limit(struct vt_writer *w, const unsigned char *p,
			       size_t n, uint64_t *count)
{
	uint64_t have = w->off + w->used;
	size_t at = 0;
	*count = 0;
	while (at + sizeof(struct vt_rec_hdr) <= n) {
		const struct vt_rec_hdr *h = (const void *)(p + at);
		if (h->size < sizeof(*h) || h->size > n - at ||
		    (*count && have + at + h->size > w->max_bytes))
			break;
		at += h->size;
		++*count;
	}
	return at;
}

int vt_write_records(struct vt_writer *w, const void *p, size_t n,
		     uint64_t count)
{
	/* A plain series keeps to its size: a run that would pass the limit
	 * is written in two, the file changing between them.  (What a run
	 * compresses to is known only once written.) */
	if (w->max_bytes && !w->codec && !w->rotating && !w->err &&
	    w->off + w->used + n > w->max_bytes) {
		uint64_t k;
		size_t first = fit_before_limit(w, p, n, &k);
		if (first && first < n && k <= count) {
			int rc = vt_write_records(w, p, first, k);
			if (rc)
				return rc;
			return vt_write_records(w, (const unsigned char *)p + first,
						n - first, count - k);
		}
	}
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
	if (!rc && w->max_bytes)
		keep_records(w, p, n);
	mark_safe(w);
	maybe_rotate(w);
	return rc;
}

/* A record of put_with_strings, kept whole for the next file. */
static void keep_parts(struct vt_writer *w, const struct vt_rec_hdr *fixed,
		       size_t fixed_len, unsigned nstr, const char *const *strs)
{
	unsigned char *dst = ctx_room(w, fixed->size);
	if (!dst)
		return;
	memset(dst, 0, fixed->size);
	memcpy(dst, fixed, fixed_len);
	size_t at = fixed_len;
	for (unsigned i = 0; i < nstr; i++) {
		const char *s = strs[i] ? strs[i] : "";
		size_t len = strlen(s) + 1;
		memcpy(dst + at, s, len);
		at += len;
	}
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
	if (!rc && w->max_bytes && keep_for_next(fixed))
		keep_parts(w, fixed, fixed_len, nstr, strs);
	mark_safe(w);
	maybe_rotate(w);
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

static int write_end(struct vt_writer *w)
{
	struct vt_rec_end e = {
		.h = { .type = VT_REC_END, .size = sizeof(e) },
		.ts_ns = vt_now_ns(),
		.records = w->records,
	};
	/* After an error the trailer, if any, is already written. */
	if (w->err)
		return w->err;
	int rc = put(w, &e, sizeof(e));
	if (!rc)
		w->records++;
	return rc;
}

int vt_writer_close(struct vt_writer *w)
{
	if (!w)
		return 0;
	write_end(w);
	flush_buf(w);
	end_frame(w);
	int rc = w->err;
	if (w->fd >= 0 && close(w->fd) && !rc) {
		w->regular = 0;	/* the fd is gone: nothing to cut back */
		rc = lost(w, -errno);
	}
	if (w->codec)
		w->codec->free(w->codec_st);
	free(w->ctx);
	free(w);
	return rc;
}
