/* The vgpu-run trace file format: one definition for every writer
 * (supervisor, interposer drain) and every reader (report mode, fuzzer).
 *
 * A trace is a fixed file header followed by a stream of records.  Every
 * record starts with struct vt_rec_hdr whose size covers the whole record
 * and is a multiple of 8, so a reader can skip types it does not know and
 * newer writers can append fields to a record without breaking older
 * readers (a reader uses min(size, sizeof its struct)).  The stream is
 * append-only; a clean close writes VT_REC_END, so a trace without it was
 * cut short (the program or vgpu-run died) and is still readable up to the
 * last whole record.
 *
 * All integers are little-endian (the only byte order we run on).
 */
#ifndef VGPU_TRACE_FORMAT_H
#define VGPU_TRACE_FORMAT_H

#include <stdint.h>

#define VT_MAGIC "VGPUTRC\0"
#define VT_MAGIC_LEN 8
#define VT_VERSION 1
#define VT_REC_MAX (1u << 20) /* no record is larger: bounds reader memory */

struct vt_file_header {
	char magic[VT_MAGIC_LEN];
	uint32_t version;
	uint32_t header_size;	/* sizeof(struct vt_file_header) of the writer */
	uint64_t realtime_ns;	/* CLOCK_REALTIME when the trace was created */
	uint64_t monotonic_ns;	/* CLOCK_MONOTONIC at the same instant */
	uint32_t writer_pid;
	uint32_t flags;		/* VT_FILE_* */
};

#define VT_FILE_LOSSY 0x1	/* rings were allowed to drop (see VT_REC_DROPS) */

enum vt_rec_type {
	VT_REC_FUNC_TABLE = 1,	/* names of call-record function ids */
	VT_REC_CLOCK = 2,	/* how call timestamps map to CLOCK_MONOTONIC */
	VT_REC_EVENT = 3,	/* a supervisor decision or observation */
	VT_REC_THREAD = 4,	/* a thread seen by the interposer */
	VT_REC_CALL_ENTER = 5,	/* an API call began */
	VT_REC_CALL_EXIT = 6,	/* an API call returned */
	VT_REC_CALLSITE = 7,	/* the stack of a call site, first use only */
	VT_REC_DROPS = 8,	/* records lost by a lossy ring */
	VT_REC_END = 9,		/* clean end of trace */
	VT_REC_TYPE_MAX
};

struct vt_rec_hdr {
	uint16_t type;		/* enum vt_rec_type */
	uint16_t flags;		/* type-specific */
	uint32_t size;		/* whole record, header included, multiple of 8 */
};

/* Function ids are (api << 16) | index.  The table for an api is written
 * once per trace, before the first call record that uses it, by whoever
 * writes call records. */
enum vt_api {
	VT_API_NONE = 0,
	VT_API_CUDA = 1,	/* driver: libcuda.so.1 */
	VT_API_CUDART12 = 2,	/* runtime: libcudart.so.12 */
	VT_API_CUDART13 = 3,	/* runtime: libcudart.so.13 */
	VT_API_NVML = 4,	/* libnvidia-ml.so.1 */
	VT_API_EXPORT_TABLE = 5, /* cuGetExportTable slots (opt-in) */
	VT_API_MAX
};

#define VT_FUNC_ID(api, index) (((uint32_t)(api) << 16) | (uint32_t)(index))
#define VT_FUNC_API(id) ((id) >> 16)
#define VT_FUNC_INDEX(id) ((id) & 0xffffu)

/* VT_REC_FUNC_TABLE: followed by `count` NUL-terminated names, in index
 * order starting at first_index, padded with NULs to a multiple of 8. */
struct vt_rec_func_table {
	struct vt_rec_hdr h;
	uint32_t api;
	uint32_t first_index;
	uint32_t count;
	uint32_t pad;
};

/* VT_REC_CLOCK: call timestamps are ticks; monotonic_ns = mono0 +
 * (ticks - ticks0) * 1e9 / ticks_per_sec.  A later clock record replaces
 * an earlier one (the same origin, measured over a longer time: a long run
 * does not drift away from the supervisor's CLOCK_MONOTONIC events).  A
 * trace without a clock record uses CLOCK_MONOTONIC nanoseconds for
 * ticks. */
struct vt_rec_clock {
	struct vt_rec_hdr h;
	uint64_t ticks0;
	uint64_t mono0_ns;
	uint64_t ticks_per_sec;
};

/* VT_REC_EVENT: followed by `nstr` NUL-terminated strings whose meaning
 * depends on kind (listed beside each kind), padded to a multiple of 8. */
struct vt_rec_event {
	struct vt_rec_hdr h;
	uint64_t ts_ns;		/* CLOCK_MONOTONIC */
	uint32_t pid;		/* thread group id, 0 when unknown */
	uint32_t tid;
	uint32_t kind;		/* enum vt_event_kind */
	int32_t result;		/* kind-specific: exit status, -errno, fd */
	uint64_t arg;		/* kind-specific number */
	uint32_t nstr;
	uint32_t pad;
};

enum vt_event_kind {
	VT_EV_START = 1,	/* vgpu-run started; arg = flags; strs: argv of vgpu-run */
	VT_EV_SPAWN = 2,	/* the program was forked; pid; strs: none */
	VT_EV_EXEC = 3,		/* execve/execveat asked; arg = setuid/setgid mode bits
				 * of the file (0 when none), result = owner uid;
				 * strs: path, argv[0..] */
	VT_EV_SECURE_EXEC = 4,	/* a set-uid/set-gid exec whose privileges apply;
				 * strs: path, what it strips (LD_PRELOAD...) */
	VT_EV_OPEN_SERVED = 5,	/* an open was answered with an injected fd;
				 * result = fd in the target; strs: path asked,
				 * file served, rule ("FILE:LINE") */
	VT_EV_OPEN_PASSED = 6,	/* an open was let through; strs: path asked */
	VT_EV_RESERVED = 7,	/* a /.vgpu/ request; result = fd or -errno;
				 * strs: name asked, what was served */
	VT_EV_EXIT = 8,		/* a process ended; result = wait status */
	VT_EV_SIGNAL = 9,	/* vgpu-run forwarded signal `arg` to pid */
	VT_EV_ERROR = 10,	/* something failed; result = -errno; strs: message */
	VT_EV_SYSCALL = 11,	/* a traced syscall; arg = nr, result = return value;
				 * strs: decoded arguments */
	VT_EV_NOTE = 12,	/* informational line; strs: key, value */
	VT_EV_KIND_MAX
};

/* VT_REC_THREAD: first record of a thread; followed by its name (NUL,
 * padded). */
struct vt_rec_thread {
	struct vt_rec_hdr h;
	uint32_t pid;
	uint32_t tid;
};

/* VT_REC_CALL_ENTER.  args are the six integer argument registers as the
 * caller left them; decoding happens in report mode. */
struct vt_rec_call_enter {
	struct vt_rec_hdr h;
	uint32_t func;		/* VT_FUNC_ID */
	uint32_t tid;
	uint64_t ts;		/* ticks, see VT_REC_CLOCK */
	uint64_t args[6];
	uint64_t callsite;	/* id of a VT_REC_CALLSITE, 0 when none */
};

/* VT_REC_CALL_EXIT.  h.flags carries VT_CALL_*; out[] holds the values the
 * function wrote through its out-parameters (nout of them, in the order of
 * the decode table).  The record ends after the nout values it has: its
 * size is offsetof(out) + 8 * nout. */
struct vt_rec_call_exit {
	struct vt_rec_hdr h;
	uint32_t func;
	uint32_t tid;
	uint64_t ts;
	uint64_t ret;
	uint32_t nout;
	uint32_t pad;
	uint64_t out[4];
};

#define VT_CALL_INJECTED 0x1	/* the return value was a fault-injection rule's */
#define VT_CALL_MISSING 0x2	/* the backend lacks the function */
#define VT_CALL_NESTED 0x4	/* made while another traced call was running */

/* VT_REC_CALLSITE: followed by nframes NUL-terminated "module+0xoffset"
 * strings, padded. */
struct vt_rec_callsite {
	struct vt_rec_hdr h;
	uint64_t id;
	uint32_t pid;
	uint32_t nframes;
};

/* VT_REC_DROPS */
struct vt_rec_drops {
	struct vt_rec_hdr h;
	uint32_t pid;
	uint32_t tid;
	uint64_t dropped;
};

/* VT_REC_END.  h.flags VT_END_LOST: the writer failed (disk full, a
 * write error) and wrote this trailer where it could, after an event of
 * kind VT_EV_ERROR that says why; records after it are lost. */
#define VT_END_LOST 0x1
struct vt_rec_end {
	struct vt_rec_hdr h;
	uint64_t ts_ns;
	uint64_t records;	/* records written before this one */
};

#define VT_ALIGN8(n) (((n) + 7u) & ~(uint32_t)7u)

#endif
