/* Streaming trace reader: memory bounded by the largest record.  The file
 * is read in large blocks into one window; a record is handed out where it
 * lies in the window (records and the header are multiples of 8 bytes, so
 * it stays aligned), and only a record cut by the window's end is moved. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

#define WINDOW (2u * VT_REC_MAX)	/* a whole record always fits */
#define READ_BLOCK (1u << 20)

/* Make at least want bytes available at r->pos (fewer at the end of the
 * input).  Returns the bytes available, or -1 on a read error. */
static long fill(struct vt_reader *r, size_t want)
{
	size_t have = r->end - r->pos;
	if (have >= want || r->at_eof)
		return (long)have;
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, have);
		r->pos = 0;
		r->end = have;
	}
	while (r->end < want && !r->at_eof) {
		size_t room = r->cap - r->end;
		size_t ask = room < READ_BLOCK ? room : READ_BLOCK;
		if (r->fd < 0 && !r->dec) {
			size_t left = r->mem_len - r->mem_pos;
			size_t k = left < ask ? left : ask;
			if (k)
				memcpy(r->buf + r->end, r->mem + r->mem_pos, k);
			r->mem_pos += k;
			r->end += k;
			r->at_eof = r->mem_pos == r->mem_len;
			continue;
		}
		ssize_t k = r->dec ? r->dec->read(r, r->buf + r->end, ask) :
				     read(r->fd, r->buf + r->end, ask);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (k == 0)
			r->at_eof = 1;
		r->end += (size_t)k;
	}
	return (long)(r->end - r->pos);
}

static int check_header(struct vt_reader *r, const char *name)
{
	struct vt_file_header h;
	memset(&h, 0, sizeof(h));
	long n = fill(r, sizeof(h));
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "%s: byte 0: read error: %s",
			 name, strerror(errno));
		return -1;
	}
	memcpy(&h, r->buf, (size_t)n < sizeof(h) ? (size_t)n : sizeof(h));
	if ((size_t)n < offsetof(struct vt_file_header, header_size) + 4 ||
	    memcmp(h.magic, VT_MAGIC, VT_MAGIC_LEN)) {
		snprintf(r->err, sizeof(r->err),
			 "%s: byte 0: not a vgpu-run trace (bad magic)", name);
		return -1;
	}
	if (h.version != VT_VERSION) {
		snprintf(r->err, sizeof(r->err),
			 "%s: byte 8: trace version %u, this reader knows %u",
			 name, h.version, VT_VERSION);
		return -1;
	}
	if (h.header_size < sizeof(h) || h.header_size > 4096 ||
	    (h.header_size & 7)) {
		snprintf(r->err, sizeof(r->err),
			 "%s: byte 12: bad header size %u", name, h.header_size);
		return -1;
	}
	if ((size_t)n < sizeof(h)) {
		snprintf(r->err, sizeof(r->err),
			 "%s: byte %ld: file ends inside the header", name, n);
		return -1;
	}
	/* A newer writer's longer header: skip what we do not know. */
	n = fill(r, h.header_size);
	if (n < (long)h.header_size) {
		snprintf(r->err, sizeof(r->err),
			 "%s: file ends inside the header", name);
		return -1;
	}
	r->pos += h.header_size;
	r->hdr = h;
	r->offset = h.header_size;
	return 0;
}

/* A compressed file is read through its decoder from here on; the raw
 * bytes already in the window are the decoder's first input.  Detected by
 * the content, not the name: a trace renamed or read back through a
 * descriptor is the same trace. */
static int detect_compressed(struct vt_reader *r, const char *name)
{
	static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	long n = fill(r, sizeof(zstd_magic));
	if (n < (long)sizeof(zstd_magic) ||
	    memcmp(r->buf + r->pos, zstd_magic, sizeof(zstd_magic)))
		return 0;
	if (!vt_zstd_reader_attach) {
		snprintf(r->err, sizeof(r->err), "%s: byte 0: a zstd-compressed "
			 "trace, and this program reads plain ones only "
			 "(use vgpu-run report, or zstd -d)", name);
		return -1;
	}
	/* Memory input had a window of its own size: the stream needs
	 * the full one. */
	unsigned char *big = r->fd < 0 ? realloc(r->buf, WINDOW) : r->buf;
	if (big)
		r->buf = big;
	if (!big || vt_zstd_reader_attach(r, r->buf + r->pos, r->end - r->pos)) {
		snprintf(r->err, sizeof(r->err), "%s: out of memory", name);
		return -1;
	}
	r->cap = WINDOW;
	r->pos = r->end = 0;
	r->at_eof = 0;
	return 0;
}

static int reader_init(struct vt_reader *r, const char *name)
{
	/* Input in memory fits whole (it is a fuzzer's, and small). */
	r->cap = r->fd < 0 ? r->mem_len + 8 : WINDOW;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		snprintf(r->err, sizeof(r->err), "%s: out of memory", name);
		vt_reader_close(r);
		return -1;
	}
	if (detect_compressed(r, name) || check_header(r, name)) {
		/* A failed open owns nothing: callers need not close it. */
		vt_reader_close(r);
		return -1;
	}
	return 0;
}

int vt_reader_open(struct vt_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(r->err, sizeof(r->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	return reader_init(r, path);
}

int vt_reader_open_mem(struct vt_reader *r, const void *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->mem = data;
	r->mem_len = len;
	return reader_init(r, "<memory>");
}

/* What follows an END record: nothing, or the reason the trace is not
 * whole (the writer failed; bytes after the end). */
static enum vt_read_status after_end(struct vt_reader *r)
{
	if (r->lost) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: the trace writer failed (disk full or a "
			 "write error, see its error event): later records are "
			 "lost", (unsigned long long)r->offset);
		return VT_READ_TRUNCATED;
	}
	if (r->seen_end == 1) {
		r->seen_end = 2;
		long n = fill(r, 1);
		if (n > 0)
			snprintf(r->err, sizeof(r->err),
				 "byte %llu: data after the end record, ignored "
				 "(a second writer, or a damaged file)",
				 (unsigned long long)r->offset);
	}
	return VT_READ_EOF;
}

enum vt_read_status vt_reader_next(struct vt_reader *r,
				   const struct vt_rec_hdr **rec)
{
	struct vt_rec_hdr h;
	*rec = NULL;
	if (r->seen_end)
		return after_end(r);
	long n = fill(r, sizeof(h));
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "byte %llu: read error: %s",
			 (unsigned long long)r->offset, strerror(errno));
		return VT_READ_IOERR;
	}
	if (n == 0) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: trace ends without an end record "
			 "(the writer was stopped)",
			 (unsigned long long)r->offset);
		return VT_READ_TRUNCATED;
	}
	if ((size_t)n < sizeof(h)) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: trace ends inside a record header",
			 (unsigned long long)r->offset);
		return VT_READ_TRUNCATED;
	}
	memcpy(&h, r->buf + r->pos, sizeof(h));
	if (h.type == 0 || h.size < sizeof(h) || (h.size & 7) ||
	    h.size > VT_REC_MAX) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: corrupt record (type %u, size %u)",
			 (unsigned long long)r->offset, h.type, h.size);
		return VT_READ_CORRUPT;
	}
	n = fill(r, h.size);
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "byte %llu: read error: %s",
			 (unsigned long long)r->offset, strerror(errno));
		return VT_READ_IOERR;
	}
	if ((size_t)n < h.size) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: trace ends inside a %u-byte record",
			 (unsigned long long)r->offset, h.size);
		return VT_READ_TRUNCATED;
	}
	*rec = (const struct vt_rec_hdr *)(r->buf + r->pos);
	r->pos += h.size;
	r->offset += h.size;
	r->records++;
	if (h.type == VT_REC_END) {
		r->seen_end = 1;
		r->lost = (h.flags & VT_END_LOST) != 0;
	}
	return VT_READ_OK;
}

void vt_reader_close(struct vt_reader *r)
{
	if (r->dec)
		r->dec->free(r);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	r->fd = -1;
	r->buf = NULL;
}

const char *vt_rec_string(const struct vt_rec_hdr *rec, size_t start,
			  unsigned i)
{
	const char *p = (const char *)rec + start;
	const char *end = (const char *)rec + rec->size;
	if (start > rec->size)
		return NULL;
	for (;;) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		if (!nul)
			return NULL;
		if (i-- == 0)
			return p;
		p = nul + 1;
		if (p >= end)
			return NULL;
	}
}

const char *vt_event_kind_name(uint32_t kind)
{
	static const char *const names[VT_EV_KIND_MAX] = {
		[VT_EV_START] = "start",
		[VT_EV_SPAWN] = "spawn",
		[VT_EV_EXEC] = "exec",
		[VT_EV_SECURE_EXEC] = "secure-exec",
		[VT_EV_OPEN_SERVED] = "served",
		[VT_EV_OPEN_PASSED] = "passed",
		[VT_EV_RESERVED] = "reserved",
		[VT_EV_EXIT] = "exit",
		[VT_EV_SIGNAL] = "signal",
		[VT_EV_ERROR] = "error",
		[VT_EV_SYSCALL] = "syscall",
		[VT_EV_NOTE] = "note",
	};
	return kind < VT_EV_KIND_MAX && names[kind] ? names[kind] : "unknown";
}

const char *vt_api_name(uint32_t api)
{
	static const char *const names[VT_API_MAX] = {
		[VT_API_NONE] = "none",
		[VT_API_CUDA] = "cuda",
		[VT_API_CUDART12] = "cudart12",
		[VT_API_CUDART13] = "cudart13",
		[VT_API_NVML] = "nvml",
		[VT_API_EXPORT_TABLE] = "export-table",
	};
	return api < VT_API_MAX && names[api] ? names[api] : "unknown";
}
