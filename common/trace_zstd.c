/* zstd for traces: the writer's codec (vt_writer_compress_zstd) and the
 * reader's decompressor, attached by trace_read.c when a file starts with
 * the zstd magic.  Kept apart from the writer and the reader so the
 * programs that never compress (the interposer libraries, the fuzzers)
 * do not link libzstd. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "trace.h"

/* ---- writer ---- */

/* Work handed to one compression thread at a time (zstd's smallest). */
#define MT_JOB_BYTES (512u << 10)

struct zw {
	ZSTD_CCtx *cctx;
	size_t cap;
	unsigned char out[];
};

static int zw_compress(void *st, struct vt_writer *w, const void *p, size_t n,
		       enum vt_codec_mode mode,
		       int (*emit)(struct vt_writer *w, const void *p, size_t n))
{
	struct zw *z = st;
	static const ZSTD_EndDirective dir[] = {
		[VT_CODEC_CONTINUE] = ZSTD_e_continue,
		[VT_CODEC_FLUSH] = ZSTD_e_flush,
		[VT_CODEC_END] = ZSTD_e_end,
	};
	ZSTD_inBuffer in = { p, n, 0 };
	for (;;) {
		ZSTD_outBuffer out = { z->out, z->cap, 0 };
		size_t left = ZSTD_compressStream2(z->cctx, &out, &in, dir[mode]);
		if (ZSTD_isError(left))
			return -EIO;
		if (out.pos) {
			int rc = emit(w, z->out, out.pos);
			if (rc)
				return rc;
		}
		if (mode == VT_CODEC_CONTINUE ? in.pos == in.size : !left)
			return 0;
	}
}

static void zw_reset(void *st)
{
	ZSTD_CCtx_reset(((struct zw *)st)->cctx, ZSTD_reset_session_only);
}

static size_t zw_frame(const void *p, size_t n, void *dst, size_t cap)
{
	size_t k = ZSTD_compress(dst, cap, p, n, 1);
	return ZSTD_isError(k) ? 0 : k;
}

static void zw_free(void *st)
{
	struct zw *z = st;
	ZSTD_freeCCtx(z->cctx);
	free(z);
}

static const struct vt_codec zstd_codec = {
	.compress = zw_compress,
	.reset = zw_reset,
	.frame = zw_frame,
	.free = zw_free,
};

int vt_writer_compress_zstd(struct vt_writer *w, int level, int workers)
{
	size_t cap = ZSTD_CStreamOutSize();
	struct zw *z = malloc(sizeof(*z) + cap);
	if (!z)
		return -ENOMEM;
	z->cap = cap;
	z->cctx = ZSTD_createCCtx();
	if (!z->cctx ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel,
						level)) ||
	    /* The checksum catches a damaged file where the records'
	     * own sizes might not. */
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1))) {
		zw_free(z);
		return -EINVAL;
	}
	/* A libzstd without threads refuses: it compresses in the drain. */
	if (workers > 0 &&
	    (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers,
						 workers)) ||
	     ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_jobSize,
						 MT_JOB_BYTES))))
		workers = 0;
	/* In the drain: a frame every 256 KiB of records.  With workers a
	 * frame's end waits for all of them, so frames are longer, bounded
	 * by what they wrote. */
	int rc = workers ? vt_writer_set_codec(w, &zstd_codec, z, 64u << 20,
					       1u << 20) :
			   vt_writer_set_codec(w, &zstd_codec, z, 256u << 10,
					       UINT64_MAX);
	if (rc)
		zw_free(z);
	return rc;
}

/* ---- reader ---- */

/* At least what trace_read.c reads before it knows the file is
 * compressed (its READ_BLOCK). */
#define IN_CAP (1u << 20)

struct zr {
	struct vt_decoder ops;
	ZSTD_DCtx *dctx;
	size_t in_pos, in_end;
	int in_eof;
	unsigned char in[IN_CAP];
};

/* Raw bytes from the file (or memory) into the input buffer. */
static int zr_refill(struct vt_reader *r, struct zr *z)
{
	if (z->in_pos == z->in_end)
		z->in_pos = z->in_end = 0;
	size_t room = IN_CAP - z->in_end;
	if (!room || z->in_eof)
		return 0;
	if (r->fd < 0) {
		size_t left = r->mem_len - r->mem_pos;
		size_t k = left < room ? left : room;
		memcpy(z->in + z->in_end, r->mem + r->mem_pos, k);
		r->mem_pos += k;
		z->in_end += k;
		z->in_eof = r->mem_pos == r->mem_len;
		return 0;
	}
	for (;;) {
		ssize_t k = read(r->fd, z->in + z->in_end, room);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		z->in_eof = k == 0;
		z->in_end += (size_t)k;
		return 0;
	}
}

/* Up to cap decompressed bytes; 0 at the end of the input. */
static long zr_read(struct vt_reader *r, void *dst, size_t cap)
{
	struct zr *z = (struct zr *)r->dec;
	ZSTD_outBuffer out = { dst, cap, 0 };
	while (out.pos == 0) {
		if (z->in_pos == z->in_end) {
			if (zr_refill(r, z))
				return -1;
			/* A file cut inside a frame (the writer was
			 * killed) ends with what was decoded. */
			if (z->in_pos == z->in_end)
				return 0;
		}
		ZSTD_inBuffer in = { z->in, z->in_end, z->in_pos };
		size_t rc = ZSTD_decompressStream(z->dctx, &out, &in);
		z->in_pos = in.pos;
		if (ZSTD_isError(rc)) {
			errno = EBADMSG;
			return -1;
		}
	}
	return (long)out.pos;
}

static void zr_free(struct vt_reader *r)
{
	struct zr *z = (struct zr *)r->dec;
	ZSTD_freeDCtx(z->dctx);
	free(z);
	r->dec = NULL;
}

int vt_zstd_reader_attach(struct vt_reader *r, const void *head, size_t n)
{
	struct zr *z = calloc(1, sizeof(*z));
	if (!z || n > IN_CAP || !(z->dctx = ZSTD_createDCtx())) {
		free(z);
		errno = ENOMEM;
		return -1;
	}
	z->ops.read = zr_read;
	z->ops.free = zr_free;
	memcpy(z->in, head, n);
	z->in_end = n;
	r->dec = &z->ops;
	return 0;
}
