/* mktrace: writes traces the way vgpu-run and the interposer do (through
 * the vt_writer API, same records), for report tests and benchmarks.
 *
 *   mktrace [options] OUT        OUT "-" is stdout (stream into a pipe)
 *     --scenario NAME   app | cuinit-fail | missing | crash | static-rt |
 *                       shared-launch (default app).  static-rt: a runtime
 *                       linked into the program (no libcudart.so served)
 *                       resolving its table, asking for export tables and
 *                       launching a kernel the simulator refuses with a
 *                       note; shared-launch: the same launch through
 *                       libcudart.so's __cudaLaunchKernel
 *     --calls N         cuCtxGetDevice calls per thread in the hot loop
 *                       (k/M suffixes; default 1000)
 *     --threads N       threads (default 2)
 *     --callsite FRAME  the hot loop's call site, "module+0xoffset"
 *     --hot-name NAME   the hot loop's function name (default cuCtxGetDevice)
 *     --no-end          stop without the end record (a killed writer)
 *     --no-thread-names  no VT_REC_THREAD records (an interposer that
 *                       never learnt its threads' names)
 *     --fail-at-end     after the hot loop, a cuMemAlloc_v2 on the last
 *                       thread fails with CUDA_ERROR_OUT_OF_MEMORY
 *     --syscall-at WHERE  where cuinit-fail's syscall event sits in the
 *                       file: before, inside (default) or after the call
 *                       records (rings are drained after events are written)
 *
 * Timestamps are ticks of a fake 3 GHz counter with a VT_REC_CLOCK record,
 * so the report's tick conversion is exercised; syscall events carry
 * CLOCK_MONOTONIC ns that fall inside the call they belong to. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

#define TPS 3000000000ull	/* fake tick rate */

enum { F_INIT, F_DRV_VER, F_DEV_GET, F_DEV_COUNT, F_CTX_GET_DEVICE,
       F_MEM_ALLOC, F_MEM_FREE, F_DEV_ATTR, F_GRAPH_LAUNCH, F_PROCADDR,
       F_EXPORT_TABLE, F_LAUNCH, F_NDRV };
static const char *drv_names[F_NDRV] = {
	"cuInit", "cuDriverGetVersion", "cuDeviceGet", "cuDeviceGetCount",
	"cuCtxGetDevice", "cuMemAlloc_v2", "cuMemFree_v2",
	"cuDeviceGetAttribute", "cuGraphLaunch", "cuGetProcAddress_v2",
	"cuGetExportTable", "cuLaunchKernel",
};
enum { R_GET_COUNT, R_MALLOC, R_FREE, R_LAUNCH, R_NRT };
static const char *const rt_names[R_NRT] = {
	"cudaGetDeviceCount", "cudaMalloc", "cudaFree", "__cudaLaunchKernel",
};

static struct vt_writer *w;
static uint64_t mono0;		/* CLOCK_MONOTONIC of tick 0 */
static uint64_t now_ticks;	/* advances as calls "take time" */
static const char *callsite_module;
static int no_thread_names;

static void die(const char *what)
{
	fprintf(stderr, "mktrace: %s\n", what);
	exit(1);
}

static void put(const void *rec)
{
	if (vt_write_record(w, rec))
		die("write failed");
}

static uint64_t tick_ns(uint64_t ticks)
{
	return mono0 + ticks / 3;	/* TPS = 3 ticks per ns */
}

static void event_at(uint64_t ts_ns, uint32_t kind, uint32_t pid, uint32_t tid,
		     int32_t result, uint64_t arg, unsigned nstr,
		     const char *const *strs)
{
	unsigned char buf[4096];
	struct vt_rec_event *e = (void *)buf;
	size_t n = sizeof(*e);
	memset(buf, 0, sizeof(buf));
	for (unsigned i = 0; i < nstr; i++) {
		size_t k = strlen(strs[i]) + 1;
		if (n + k > sizeof(buf) - 8)
			die("event too long");
		memcpy(buf + n, strs[i], k);
		n += k;
	}
	*e = (struct vt_rec_event){
		.h = { .type = VT_REC_EVENT, .size = VT_ALIGN8((uint32_t)n) },
		.ts_ns = ts_ns, .pid = pid, .tid = tid, .kind = kind,
		.result = result, .arg = arg, .nstr = nstr,
	};
	put(buf);
}

static void enter(uint32_t func, uint32_t tid, uint64_t a0, uint64_t a1,
		  uint64_t a2, uint64_t callsite)
{
	struct vt_rec_call_enter e = {
		.h = { .type = VT_REC_CALL_ENTER, .size = sizeof(e) },
		.func = func, .tid = tid, .ts = now_ticks,
		.args = { a0, a1, a2, 0x11, 0x22, 0x33 }, .callsite = callsite,
	};
	put(&e);
	now_ticks += 300;	/* 100 ns inside */
}

static void leave(uint32_t func, uint32_t tid, uint64_t ret, uint16_t flags,
		  unsigned nout, uint64_t o0, uint64_t o1)
{
	struct vt_rec_call_exit x = {
		.h = { .type = VT_REC_CALL_EXIT, .flags = flags, .size = sizeof(x) },
		.func = func, .tid = tid, .ts = now_ticks, .ret = ret,
		.nout = nout, .out = { o0, o1 },
	};
	put(&x);
	now_ticks += 60;
}

static void call(uint32_t func, uint32_t tid, uint64_t a0, uint64_t a1,
		 uint64_t ret, unsigned nout, uint64_t o0)
{
	enter(func, tid, a0, a1, 0, 0);
	leave(func, tid, ret, 0, nout, o0, 0);
}

#define DRV(i) VT_FUNC_ID(VT_API_CUDA, i)
#define RT(i) VT_FUNC_ID(VT_API_CUDART13, i)

static void thread_rec(uint32_t pid, uint32_t tid, const char *name)
{
	unsigned char buf[64] = { 0 };
	struct vt_rec_thread *t = (void *)buf;
	if (no_thread_names)
		return;
	size_t n = sizeof(*t) + strlen(name) + 1;
	*t = (struct vt_rec_thread){
		.h = { .type = VT_REC_THREAD, .size = VT_ALIGN8((uint32_t)n) },
		.pid = pid, .tid = tid,
	};
	memcpy(buf + sizeof(*t), name, strlen(name) + 1);
	put(buf);
}

static void callsite_rec(uint64_t id, uint32_t pid, const char *frame)
{
	unsigned char buf[4096] = { 0 };
	struct vt_rec_callsite *c = (void *)buf;
	size_t n = sizeof(*c) + strlen(frame) + 1;
	if (n > sizeof(buf))
		die("frame too long");
	*c = (struct vt_rec_callsite){
		.h = { .type = VT_REC_CALLSITE, .size = VT_ALIGN8((uint32_t)n) },
		.id = id, .pid = pid, .nframes = 1,
	};
	memcpy(buf + sizeof(*c), frame, strlen(frame) + 1);
	put(buf);
}

/* cuGetExportTable as the interposer records it: the table, then the id's
 * 16 bytes as two words (interpose/api_cuda.c), whatever it returned. */
static void export_table(uint32_t tid, const char *id, uint64_t ret,
			 uint64_t ptable)
{
	unsigned char b[16];
	uint64_t w[2];
	for (int i = 0, k = 0; i < 16; k += 2) {
		if (id[k] == '-')
			k++;
		if (sscanf(id + k, "%2hhx", &b[i++]) != 1)
			die("bad export-table id");
	}
	memcpy(w, b, 16);
	enter(DRV(F_EXPORT_TABLE), tid, ptable, 0x5500aa00, 0, 0);
	struct vt_rec_call_exit x = {
		.h = { .type = VT_REC_CALL_EXIT, .size = sizeof(x) },
		.func = DRV(F_EXPORT_TABLE), .tid = tid, .ts = now_ticks,
		.ret = ret, .nout = 3,
		.out = { ret ? 0 : 0x7f00aa000000ull, w[0], w[1] },
	};
	put(&x);
	now_ticks += 60;
}

/* A launch the simulator refuses, its note written while it runs. */
static void refused_launch(uint32_t pid, uint32_t tid, bool via_runtime)
{
	const char *note[] = { "sim", "launch of _Z4fillPii: the simulated GPU runs no kernels" };
	if (via_runtime)
		enter(RT(R_LAUNCH), tid, 0x401000, 0x100000001ull, 1, 0);
	enter(DRV(F_LAUNCH), tid, 0x5600bb00, 1, 1, 0);
	event_at(tick_ns(now_ticks) + 5, VT_EV_NOTE, pid, tid, 0, 0, 2, note);
	now_ticks += 60;
	leave(DRV(F_LAUNCH), tid, 801, 0, 0, 0, 0);
	if (via_runtime)
		leave(RT(R_LAUNCH), tid, 801, 0, 0, 0, 0);
}

/* NVIDIA's runtime at start-up: every name it knows, at each version
 * it knows; 200 of the 300 are not in the driver. */
static void runtime_lookups(uint32_t tid)
{
	for (int i = 0; i < 300; i++) {
		enter(DRV(F_PROCADDR), tid, 0x5500c000 + 16 * (uint64_t)i,
		      0x7ffc0200, 2000 + 1000 * (uint64_t)(i % 12), 0);
		leave(DRV(F_PROCADDR), tid, i % 3 ? 500 : 0, 0, 2,
		      i % 3 ? 0 : 0x7f0000300000ull + (uint64_t)i, i % 3 ? 1 : 0);
	}
	export_table(tid, "f8cff951-2146-8b4e-b9e2-fb469e7c0dd9", 500, 0x7ffc0300);
	export_table(tid, "6bd5fb6c-5bf4-e74a-8987-d93912fd9df9", 0, 0x7ffc0300);
	/* A NULL table pointer: a real error, whatever the id. */
	export_table(tid, "21318c60-9714-3248-8ca6-41ff7324c8f2", 1, 0);
}

static uint64_t parse_count(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		v *= 1000;
	else if (*end == 'M')
		v *= 1000000;
	return v;
}

int main(int argc, char **argv)
{
	const char *scenario = "app", *out = NULL;
	uint64_t calls = 1000;
	unsigned threads = 2;
	int no_end = 0, fail_at_end = 0;
	const char *syscall_at = "inside";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
			scenario = argv[++i];
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = parse_count(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--callsite") && i + 1 < argc)
			callsite_module = argv[++i];
		else if (!strcmp(argv[i], "--syscall-at") && i + 1 < argc)
			syscall_at = argv[++i];
		else if (!strcmp(argv[i], "--hot-name") && i + 1 < argc)
			drv_names[F_CTX_GET_DEVICE] = argv[++i];
		else if (!strcmp(argv[i], "--no-end"))
			no_end = 1;
		else if (!strcmp(argv[i], "--no-thread-names"))
			no_thread_names = 1;
		else if (!strcmp(argv[i], "--fail-at-end"))
			fail_at_end = 1;
		else if (argv[i][0] != '-' || !strcmp(argv[i], "-"))
			out = argv[i];
		else
			die("unknown option (see the comment at the top)");
	}
	if (!out || !threads)
		die("usage: mktrace [--scenario S] [--calls N] [--threads N] OUT");
	w = !strcmp(out, "-") ? vt_writer_fdopen(1, 0) : vt_writer_open(out, VT_OPEN_FORCE, 0);
	if (!w)
		die("cannot create the trace");
	mono0 = vt_now_ns();
	const uint32_t pid = 4242;
	const char *start[] = { "vgpu-run", "-o", out, "--", "./app" };
	event_at(mono0, VT_EV_START, 0, 0, 0, 5, 5, start);
	const char *spawn[] = { "./app" };
	event_at(mono0 + 10, VT_EV_SPAWN, pid, pid, 0, 0, 1, spawn);
	const char *exec[] = { "/opt/app/bin/app", "./app", "--model", "x" };
	event_at(mono0 + 20, VT_EV_EXEC, pid, pid, 0, 0, 4, exec);
	const char *served[] = { "libcuda.so.1", "/usr/lib/vgpu/libvgpu-cuda.so",
				 "default.rules:3" };
	event_at(mono0 + 30, VT_EV_OPEN_SERVED, pid, pid, 3, 0, 3, served);
	const char *served_rt[] = { "/opt/app/lib/libcudart.so.13",
				    "/usr/lib/vgpu/libvgpu-cudart13.so",
				    "default.rules:5" };
	bool static_rt = !strcmp(scenario, "static-rt");
	if (!static_rt)
		event_at(mono0 + 40, VT_EV_OPEN_SERVED, pid, pid, 4, 0, 3, served_rt);
	const char *tried1[] = { "/opt/app/lib/libnvidia-ml.so.1" };
	const char *tried2[] = { "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1" };
	event_at(mono0 + 50, VT_EV_OPEN_PASSED, pid, pid, 0, 0, 1, tried1);
	event_at(mono0 + 60, VT_EV_OPEN_PASSED, pid, pid, 0, 0, 1, tried2);

	struct vt_rec_clock clk = {
		.h = { .type = VT_REC_CLOCK, .size = sizeof(clk) },
		.ticks0 = 0, .mono0_ns = mono0, .ticks_per_sec = TPS,
	};
	put(&clk);
	if (vt_write_func_table(w, VT_API_CUDA, 0, F_NDRV, drv_names) ||
	    vt_write_func_table(w, VT_API_CUDART13, 0, R_NRT, rt_names))
		die("write failed");
	now_ticks = 3000;	/* 1 us after the start */
	const uint32_t main_tid = pid;
	thread_rec(pid, main_tid, "main");

	if (static_rt)
		runtime_lookups(main_tid);
	/* Start-up: the runtime's first call initialises the driver. */
	const char *sys_uvm[] = { "openat(AT_FDCWD, \"/dev/nvidia-uvm\", O_RDWR|O_CLOEXEC)" };
	bool fail_init = !strcmp(scenario, "cuinit-fail");
	/* Two enters (300 ticks each) from now: inside cuInit. */
	uint64_t sys_ns = tick_ns(now_ticks + 600 + 10);
	if (fail_init && !strcmp(syscall_at, "before"))
		event_at(sys_ns, VT_EV_SYSCALL, pid, main_tid, -13, 257, 1, sys_uvm);
	if (!static_rt)
		enter(RT(R_GET_COUNT), main_tid, 0x7ffc0000, 0, 0, 0);
	enter(DRV(F_INIT), main_tid, 0, 0, 0, 0);
	if (fail_init) {
		if (!strcmp(syscall_at, "inside"))
			event_at(sys_ns, VT_EV_SYSCALL, pid, main_tid, -13, 257, 1, sys_uvm);
		now_ticks += 30;
		leave(DRV(F_INIT), main_tid, 999, 0, 0, 0, 0);
		leave(RT(R_GET_COUNT), main_tid, 100, 0, 1, 0, 0);
		if (!strcmp(syscall_at, "after"))
			event_at(sys_ns, VT_EV_SYSCALL, pid, main_tid, -13, 257, 1, sys_uvm);
		/* A failing open outside any call: not attributed. */
		const char *sys_out[] = { "openat(AT_FDCWD, \"/dev/nvidia0\", O_RDWR)" };
		event_at(tick_ns(now_ticks + 5), VT_EV_SYSCALL, pid, main_tid, -2, 257, 1, sys_out);
		now_ticks += 30;
	} else {
		const char *sys[] = { "ioctl(3, 0xc020462a, 0x7ffc1000)" };
		event_at(tick_ns(now_ticks), VT_EV_SYSCALL, pid, main_tid, 0, 16, 1, sys);
		now_ticks += 30;
		leave(DRV(F_INIT), main_tid, 0, 0, 0, 0, 0);
		call(DRV(F_DEV_COUNT), main_tid, 0x7ffc0010, 0, 0, 1, 1);
		if (!static_rt)
			leave(RT(R_GET_COUNT), main_tid, 0, 0, 1, 1, 0);
	}
	if (static_rt || !strcmp(scenario, "shared-launch"))
		refused_launch(pid, main_tid, !static_rt);
	call(DRV(F_DRV_VER), main_tid, 0x7ffc0020, 0, 0, 1, 13000);
	call(DRV(F_DEV_ATTR), main_tid, 0x7ffc0030, 75, 0, 1, 8);
	if (!strcmp(scenario, "missing")) {
		enter(DRV(F_GRAPH_LAUNCH), main_tid, 0x5000, 0, 0, 0);
		leave(DRV(F_GRAPH_LAUNCH), main_tid, 801, VT_CALL_MISSING, 0, 0, 0);
	}
	/* cudaMalloc over cuMemAlloc_v2, with the pointer written. */
	if (!static_rt)
		enter(RT(R_MALLOC), main_tid, 0x7ffc0040, 1 << 20, 0, 0);
	enter(DRV(F_MEM_ALLOC), main_tid, 0x7ffc0048, 1 << 20, 0, 0);
	leave(DRV(F_MEM_ALLOC), main_tid, 0, 0, 1, 0x7f0000200000ull, 0);
	if (!static_rt)
		leave(RT(R_MALLOC), main_tid, 0, 0, 1, 0x7f0000200000ull, 0);

	/* The hot loop: threads interleaved the way drained rings arrive. */
	for (unsigned t = 1; t < threads; t++) {
		char name[24];
		snprintf(name, sizeof(name), "worker-%u", t);
		thread_rec(pid, pid + t, name);
	}
	uint64_t cs = 0;
	if (callsite_module) {
		callsite_rec(1, pid, callsite_module);
		cs = 1;
	}
	const uint64_t batch = 4096;	/* records per ring drain */
	for (uint64_t done = 0; done < calls; done += batch) {
		uint64_t n = calls - done < batch ? calls - done : batch;
		for (unsigned t = 0; t < threads; t++) {
			uint64_t saved = now_ticks;
			for (uint64_t i = 0; i < n; i++) {
				enter(DRV(F_CTX_GET_DEVICE), pid + t, 0x7ffc0100,
				      0, 0, cs);
				now_ticks += (i * 7919 % 97) * 30; /* 100 ns to 1 us */
				leave(DRV(F_CTX_GET_DEVICE), pid + t, 0, 0, 1, 0, 0);
			}
			if (t + 1 < threads)
				now_ticks = saved;	/* threads run in parallel */
		}
	}
	if (fail_at_end) {
		enter(DRV(F_MEM_ALLOC), pid + threads - 1, 0x7ffc0060, 80ull << 30, 0, 0);
		leave(DRV(F_MEM_ALLOC), pid + threads - 1, 2, 0, 0, 0, 0);
	}
	if (!strcmp(scenario, "crash")) {
		/* The process dies inside cuMemAlloc_v2: enter, no exit. */
		enter(DRV(F_MEM_ALLOC), main_tid, 0x7ffc0050, 64 << 20, 0, 0);
		const char *st[] = { "killed by Segmentation fault (core dumped)" };
		event_at(tick_ns(now_ticks) + 1000, VT_EV_EXIT, pid, pid, 0x80 | 11, 0, 1, st);
	} else if (static_rt) {
		call(DRV(F_MEM_FREE), main_tid, 0x7f0000200000ull, 0, 0, 0, 0);
		const char *st[] = { "exited 0" };
		event_at(tick_ns(now_ticks) + 1000, VT_EV_EXIT, pid, pid, 0, 0, 1, st);
	} else {
		call(RT(R_FREE), main_tid, 0x7f0000200000ull, 0, 0, 0, 0);
		const char *st[] = { "exited 0" };
		event_at(tick_ns(now_ticks) + 1000, VT_EV_EXIT, pid, pid, 0, 0, 1, st);
	}
	if (no_end) {
		if (vt_writer_flush(w))
			die("write failed");
		_exit(0);	/* as if killed: no end record */
	}
	if (vt_writer_close(w))
		die("close failed");
	return 0;
}
