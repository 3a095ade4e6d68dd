/* Streaming trace reader: memory bounded by the largest record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

static int check_header(struct vt_reader *r, const char *name)
{
	struct vt_file_header h;
	memset(&h, 0, sizeof(h));
	size_t n = fread(&h, 1, sizeof(h), r->f);
	if (n < offsetof(struct vt_file_header, header_size) + 4 ||
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
	if (n < sizeof(h)) {
		snprintf(r->err, sizeof(r->err),
			 "%s: byte %zu: file ends inside the header", name, n);
		return -1;
	}
	/* A newer writer's longer header: skip what we do not know. */
	for (uint32_t skip = h.header_size - sizeof(h); skip; skip--)
		if (fgetc(r->f) == EOF) {
			snprintf(r->err, sizeof(r->err),
				 "%s: file ends inside the header", name);
			return -1;
		}
	r->hdr = h;
	r->offset = h.header_size;
	return 0;
}

static int reader_init(struct vt_reader *r, FILE *f, const char *name)
{
	r->f = f;
	/* Records are small (~80 bytes): a large stdio buffer turns millions
	 * of them into few read(2) calls.  One thread reads a reader, so the
	 * per-call stdio lock is dropped too (fread_unlocked below). */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	r->cap = 4096;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		snprintf(r->err, sizeof(r->err), "%s: out of memory", name);
		vt_reader_close(r);
		return -1;
	}
	if (check_header(r, name)) {
		/* A failed open owns nothing: callers need not close it. */
		vt_reader_close(r);
		return -1;
	}
	return 0;
}

int vt_reader_open(struct vt_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	FILE *f = fopen(path, "rbe");
	if (!f) {
		snprintf(r->err, sizeof(r->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	return reader_init(r, f, path);
}

int vt_reader_open_mem(struct vt_reader *r, const void *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	FILE *f = fmemopen((void *)data, len ? len : 1, "rb");
	if (!f) {
		snprintf(r->err, sizeof(r->err), "<memory>: %s", strerror(errno));
		return -1;
	}
	if (!len)
		fgetc(f);	/* fmemopen refuses size 0: consume the one byte */
	return reader_init(r, f, "<memory>");
}

enum vt_read_status vt_reader_next(struct vt_reader *r,
				   const struct vt_rec_hdr **rec)
{
	struct vt_rec_hdr h;
	*rec = NULL;
	if (r->seen_end)
		return VT_READ_EOF;
	size_t n = fread_unlocked(&h, 1, sizeof(h), r->f);
	if (n == 0) {
		if (ferror(r->f)) {
			snprintf(r->err, sizeof(r->err),
				 "byte %llu: read error",
				 (unsigned long long)r->offset);
			return VT_READ_IOERR;
		}
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: trace ends without an end record "
			 "(the writer was stopped)",
			 (unsigned long long)r->offset);
		return VT_READ_TRUNCATED;
	}
	if (n < sizeof(h)) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: trace ends inside a record header",
			 (unsigned long long)r->offset);
		return VT_READ_TRUNCATED;
	}
	if (h.type == 0 || h.size < sizeof(h) || (h.size & 7) ||
	    h.size > VT_REC_MAX) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: corrupt record (type %u, size %u)",
			 (unsigned long long)r->offset, h.type, h.size);
		return VT_READ_CORRUPT;
	}
	if (h.size > r->cap) {
		size_t cap = r->cap;
		while (cap < h.size)
			cap *= 2;
		unsigned char *nb = realloc(r->buf, cap);
		if (!nb) {
			snprintf(r->err, sizeof(r->err),
				 "byte %llu: out of memory",
				 (unsigned long long)r->offset);
			return VT_READ_IOERR;
		}
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf, &h, sizeof(h));
	size_t body = h.size - sizeof(h);
	if (fread_unlocked(r->buf + sizeof(h), 1, body, r->f) != body) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: trace ends inside a %u-byte record",
			 (unsigned long long)r->offset, h.size);
		return VT_READ_TRUNCATED;
	}
	r->offset += h.size;
	r->records++;
	if (h.type == VT_REC_END)
		r->seen_end = 1;
	*rec = (const struct vt_rec_hdr *)r->buf;
	return VT_READ_OK;
}

void vt_reader_close(struct vt_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	r->f = NULL;
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
