/* Writing and reading trace files (format: trace_format.h). */
#ifndef VGPU_TRACE_H
#define VGPU_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace_format.h"

/* ---- writer ---- */

struct vt_writer;

#define VT_OPEN_FORCE 0x1	/* replace an existing file instead of O_EXCL */

/* Create PATH (mode 0600, O_EXCL unless VT_OPEN_FORCE; never through a
 * symbolic link) and write the file header.  A regular file is locked
 * (flock) for the writer's life: EBUSY while another writer holds it.  On
 * failure returns NULL with errno set.  vgpu-run, which may write as root
 * into directories others share, opens its trace with out_file.h instead
 * and hands the fd to vt_writer_fdopen. */
struct vt_writer *vt_writer_open(const char *path, unsigned open_flags,
				 uint32_t file_flags);
/* Wrap an already open fd (tests, pipes). */
struct vt_writer *vt_writer_fdopen(int fd, uint32_t file_flags);

/* Append one complete record (h->size bytes at rec).  Returns 0 or -errno. */
int vt_write_record(struct vt_writer *w, const void *rec);
/* Append count whole records, n bytes in all, already in trace-file form. */
int vt_write_records(struct vt_writer *w, const void *p, size_t n,
		     uint64_t count);

/* Append an event with its strings; strs may contain NULL (written as ""). */
int vt_write_event(struct vt_writer *w, uint32_t kind, uint32_t pid,
		   uint32_t tid, int32_t result, uint64_t arg,
		   unsigned nstr, const char *const *strs);
/* The same, stamped with a time taken earlier (vt_now_ns's clock). */
int vt_write_event_at(struct vt_writer *w, uint64_t ts_ns, uint32_t kind,
		      uint32_t pid, uint32_t tid, int32_t result, uint64_t arg,
		      unsigned nstr, const char *const *strs);

/* Append a function-name table for api. */
int vt_write_func_table(struct vt_writer *w, uint32_t api,
			uint32_t first_index, uint32_t count,
			const char *const *names);

int vt_writer_flush(struct vt_writer *w);
uint64_t vt_writer_records(const struct vt_writer *w);
/* fn(arg, errno, byte offset) is called once, from the writing thread,
 * when the first write fails; from then on nothing more is written (the
 * file ends with an error event and a VT_END_LOST end record where it
 * could be cut back to a whole record). */
void vt_writer_on_error(struct vt_writer *w,
			void (*fn)(void *arg, int err, uint64_t at), void *arg);
/* 0, or the first write error as -errno. */
int vt_writer_error(const struct vt_writer *w);
/* Write VT_REC_END, flush and close.  Returns 0 or -errno (also when an
 * earlier write failed). */
int vt_writer_close(struct vt_writer *w);

uint64_t vt_now_ns(void);	/* CLOCK_MONOTONIC */

/* ---- compression and rotation (vgpu-run: trace_zstd.c, tracer/) ----
 *
 * A codec turns the record stream into what goes to the file.  The writer
 * hands it whole records (never part of one at a frame's end): mode says
 * whether to keep going, to make what it has decodable on file
 * (VT_CODEC_FLUSH) or to end a frame (VT_CODEC_END: the file then ends at
 * a point a reader can stop cleanly and a failed write can be cut back
 * to).  Output goes through emit(w, p, n), which returns 0 or -errno. */
enum vt_codec_mode { VT_CODEC_CONTINUE, VT_CODEC_FLUSH, VT_CODEC_END };
struct vt_codec {
	int (*compress)(void *st, struct vt_writer *w, const void *p, size_t n,
			enum vt_codec_mode mode,
			int (*emit)(struct vt_writer *w, const void *p, size_t n));
	void (*reset)(void *st);	/* drop a half-made frame */
	/* One whole frame of n bytes at p into dst (cap bytes), apart from
	 * the stream (which may be stuck after a failed write): its size,
	 * or 0. */
	size_t (*frame)(const void *p, size_t n, void *dst, size_t cap);
	void (*free)(void *st);
};
/* Before anything reaches the file (right after vt_writer_fdopen): every
 * byte from the file header on goes through codec.  The writer owns st.
 * A frame ends, at a record boundary, once frame_in_max bytes went in or
 * frame_out_max came out: what a failure loses at most, the ends far
 * enough apart not to cost ratio (or a multithreaded codec its
 * parallelism: an end waits for all its work). */
int vt_writer_set_codec(struct vt_writer *w, const struct vt_codec *codec,
			void *st, uint64_t frame_in_max, uint64_t frame_out_max);
/* zstd at level (trace_zstd.c), compressing in `workers` threads of its
 * own (0: in the caller's, the drain's); 0 or -errno. */
int vt_writer_compress_zstd(struct vt_writer *w, int level, int workers);

/* Rotation: once the file holds max_bytes (as written, compressed or
 * not), at the next record boundary the writer ends it (END record) and
 * asks next(arg, part, &fd) for the file that follows (part counts the
 * files of the series, the first being 0); next returns 0 or -errno and
 * owns naming and renaming.  The new file begins with its own header,
 * then the records that give later ones their meaning (function tables,
 * the clock, threads, call sites, the start and spawn events), then a
 * note event "trace-series" saying which part it is and what came
 * before.  A plain file ends at most one record past max_bytes; a
 * compressed one may pass it by what the compressor still held.  A
 * failure of next ends the trace like a write error. */
void vt_writer_set_rotate(struct vt_writer *w, uint64_t max_bytes,
			  int (*next)(void *arg, unsigned part, int *fd),
			  void *arg);


/* ---- reader ---- */

enum vt_read_status {
	VT_READ_OK = 0,		/* *rec points at a record */
	VT_READ_EOF = 1,	/* clean end: a VT_REC_END was seen (err
				 * warns when data follows it) */
	VT_READ_TRUNCATED = 2,	/* the stream stops mid-record or without END,
				 * or its writer said records were lost */
	VT_READ_CORRUPT = 3,	/* bytes that cannot be a record */
	VT_READ_IOERR = 4,
};

struct vt_reader;
/* What turns a compressed file into the record stream (trace_zstd.c). */
struct vt_decoder {
	/* Up to cap bytes of the stream; 0 at its end, -1 with errno. */
	long (*read)(struct vt_reader *r, void *dst, size_t cap);
	void (*free)(struct vt_reader *r);
};

struct vt_reader {
	int fd;			/* -1: reading mem */
	struct vt_decoder *dec;	/* a compressed file; NULL: plain */
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	struct vt_file_header hdr;
	uint64_t offset;	/* byte offset of the next record */
	uint64_t records;
	unsigned char *buf;	/* the window: [pos, end) not yet handed out */
	size_t cap, pos, end;
	int at_eof;
	int seen_end;
	int lost;		/* the END record says the writer failed */
	char err[256];		/* set on TRUNCATED/CORRUPT/IOERR; a warning
				 * at EOF when data follows the END record */
};

/* Open and check the file header.  Returns 0, or -1 with r->err set to a
 * one-line message naming the file and byte offset. */
int vt_reader_open(struct vt_reader *r, const char *path);
/* Same over an in-memory buffer (fuzzing). */
int vt_reader_open_mem(struct vt_reader *r, const void *data, size_t len);
/* A file that begins with the zstd magic is read through this, given
 * the raw bytes read so far (at most 1 MiB).  Only vgpu-run links it
 * (trace_zstd.c); elsewhere such a file is refused by name. */
int vt_zstd_reader_attach(struct vt_reader *r, const void *head, size_t n)
	__attribute__((weak));
/* Next record; the pointer is valid until the next call. */
enum vt_read_status vt_reader_next(struct vt_reader *r,
				   const struct vt_rec_hdr **rec);
void vt_reader_close(struct vt_reader *r);

/* Strings that follow a fixed record part: returns the i-th NUL-terminated
 * string starting at byte `start` of rec, or NULL when absent/unterminated. */
const char *vt_rec_string(const struct vt_rec_hdr *rec, size_t start,
			  unsigned i);

const char *vt_event_kind_name(uint32_t kind);
const char *vt_api_name(uint32_t api);

#endif
