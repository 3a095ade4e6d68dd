/* The supervisor's side of the interposer: which backend each API gets
 * (/.vgpu/backend/API), the trace rings (/.vgpu/ring) and the drain that
 * copies them into the trace file.
 *
 * Backends, per API (cuda, cudart12, cudart13, nvml; "cudart" sets both
 * runtimes), from `backend [API=]VALUE` rules, the last one winning:
 *   sim          LIBDIR/sim/<the real file name>
 *   passthrough  `real-lib API=PATH`, else the host's NVIDIA library
 *   PATH         a user's handler library; without API= it backs the APIs
 *                whose entry points it exports (cuInit: cuda;
 *                cudaGetDeviceCount or cudaMalloc: the runtime its SONAME
 *                names, else both; nvmlInit_v2: nvml)
 * No backend rule: passthrough when the host has an NVIDIA driver, else
 * sim (said once on stderr).  Every backend file is checked and held open
 * from start (held_file.c): each serve is a fresh open of that inode. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "elf_exports.h"
#include "elf_soname.h"
#include "supervisor.h"
#include "trace_ring.h"

enum { B_CUDA, B_CUDART12, B_CUDART13, B_NVML, B_MAX };
static const char *const keys[B_MAX] = { "cuda", "cudart12", "cudart13",
					 "nvml" };
static const char *const files[B_MAX] = { "libcuda.so.1", "libcudart.so.12",
					  "libcudart.so.13",
					  "libnvidia-ml.so.1" };
static char *backend_path[B_MAX];	/* resolved at start, NULL: none */
static const char *backend_why[B_MAX];
static const char *backend_origin[B_MAX];	/* the rule, or "default backend" */
static int backend_fd[B_MAX] = { -1, -1, -1, -1 };	/* held (O_PATH) */
static bool sim_by_default[B_MAX];	/* said on stderr at first use */

static struct vr_drain *drain;
static pthread_t drain_thread;
static volatile int drain_stop;
static bool drain_running;

/* The real library on this host.  The toolkit's stubs/libcuda.so is
 * not a driver and is never chosen here (only by --real-lib). */
static char *find_real(int api)
{
	static const char *const dirs[] = {
		"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
		"/usr/lib", "/var/lib/snapd/lib/gl", NULL,
	};
	char p[4096];
	for (const char *const *d = dirs; *d; d++) {
		snprintf(p, sizeof(p), "%s/%s", *d, files[api]);
		if (access(p, R_OK) == 0)
			return strdup(p);
	}
	glob_t g;
	snprintf(p, sizeof(p), "/usr/local/cuda*/lib64/%s", files[api]);
	char *res = NULL;
	if (glob(p, 0, NULL, &g) == 0 && g.gl_pathc) {
		for (size_t i = 0; i < g.gl_pathc && !res; i++)
			if (!strstr(g.gl_pathv[i], "/stubs/"))
				res = strdup(g.gl_pathv[i]);
	}
	globfree(&g);
	return res;
}

static bool api_matches(const char *key, int api)
{
	if (!strcmp(key, keys[api]))
		return true;
	return !strcmp(key, "cudart") && (api == B_CUDART12 || api == B_CUDART13);
}

static int known_key(const char *k)
{
	return !strcmp(k, "cudart") || !strcmp(k, "cuda") || !strcmp(k, "nvml") ||
	       !strcmp(k, "cudart12") || !strcmp(k, "cudart13");
}

static char *resolve(struct supervisor *s, int api, const char *value,
		     const char **why, const char **origin)
{
	char p[4096];
	if (!strcmp(value, "sim")) {
		*why = "sim";
		snprintf(p, sizeof(p), "%s/sim/%s", s->libdir, files[api]);
		return strdup(p);
	}
	if (!strcmp(value, "passthrough")) {
		*why = "passthrough";
		for (size_t i = s->rules.n; i-- > 0;) {
			const struct rule *r = &s->rules.v[i];
			if (r->kind != RULE_REAL_LIB)
				continue;
			for (unsigned k = 0; k < r->nkv; k++)
				if (api_matches(r->kv[k].key, api)) {
					*origin = r->origin;
					return strdup(r->kv[k].val);
				}
		}
		return find_real(api);
	}
	*why = "handler";
	return strdup(value);
}

static int serve_backend(struct supervisor *s, pid_t pid, const char *name,
			 const char **what)
{
	(void)s;
	(void)pid;
	const char *key = name + strlen("backend/");
	for (int a = 0; a < B_MAX; a++) {
		if (strcmp(key, keys[a]))
			continue;
		if (backend_fd[a] < 0)
			return -ENOENT;
		static bool said;
		if (sim_by_default[a] && !said) {
			/* Only a program that loads CUDA hears about it. */
			said = true;
			fprintf(stderr, "vgpu-run: no NVIDIA driver found on "
				"this host; using the simulated GPU "
				"(--backend sim)\n");
		}
		*what = backend_path[a];
		return held_file_reopen(backend_fd[a]);
	}
	return -ENOENT;
}

static void *drain_main(void *arg);

/* One ring set per interposer library a process loads (and again after
 * a fork), within the drain's budgets.  The set's geometry is ours; the
 * drain never reads it back from the memory the program shares. */
static int serve_ring(struct supervisor *s, pid_t pid, const char *name,
		      const char **what)
{
	(void)name;
	if (!s->trace || !drain)
		return -ENOENT;
	uint32_t tgid = (uint32_t)target_tgid(pid);
	trace_lock();
	int rc = vr_drain_admit(drain, tgid);
	trace_unlock();
	if (rc)
		return rc;
	struct vr_header *h;
	size_t len;
	uint32_t flags = (s->opt.lossy ? VR_LOSSY : 0) |
			 (s->opt.trace_export_tables ? VR_EXPORT_TABLES : 0);
	int fd = vr_create(flags, &h, &len);
	if (fd < 0)
		return fd;
	/* The drain frees the set once this process is gone. */
	int pidfd = tgid ? (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0) : -1;
	trace_lock();
	rc = vr_drain_add(drain, h, &VR_DEFAULT_GEOM, tgid, pidfd);
	trace_unlock();
	if (rc) {
		munmap(h, len);
		if (pidfd >= 0)
			close(pidfd);
		close(fd);
		return rc;
	}
	/* The drain thread starts here, after the program was forked: a
	 * fork while it held a lock (malloc's) could hang the child. */
	if (!drain_running) {
		if (pthread_create(&drain_thread, NULL, drain_main, s)) {
			close(fd);
			return -EAGAIN;
		}
		drain_running = true;
	}
	*what = "trace ring";
	return fd;
}

/* One drain pass under the trace lock; a write error is said once. */
static void drain_step(struct supervisor *s, bool all)
{
	trace_lock();
	long n = vr_drain_pass(drain, all);
	trace_unlock();
	if (n < 0)
		fprintf(stderr, "vgpu-run: %s: %s\n", s->opt.trace_path,
			strerror((int)-n));
}

static void *drain_main(void *arg)
{
	struct supervisor *s = arg;
	while (!drain_stop) {
		drain_step(s, false);
		vr_drain_nap(drain);
	}
	return NULL;
}

static bool host_has_driver(void)
{
	char *p = find_real(B_CUDA);
	free(p);
	return p != NULL;
}

/* The APIs a library backs: those whose entry points it defines (cuInit:
 * cuda; cudaGetDeviceCount or cudaMalloc: the runtime its SONAME names,
 * else both; nvmlInit_v2: nvml).  Returns a mask of 1 << B_*, or -1 with
 * a message naming ORIGIN and PATH in err. */
static int library_apis(struct supervisor *s, const char *origin,
			const char *path, char *err, size_t errlen)
{
	enum { N_CUINIT, N_COUNT, N_MALLOC, N_NVML, N_MAX };
	static const char *const names[N_MAX] = {
		"cuInit", "cudaGetDeviceCount", "cudaMalloc", "nvmlInit_v2",
	};
	bool found[N_MAX] = { false };
	char soname[128] = "";
	int held = held_file_open(origin, path, s->root, err, errlen);
	if (held < 0)
		return -1;
	int fd = held_file_reopen(held);
	held_file_close(held);
	int rc = fd < 0 ? -1 : elf_find_exports(fd, names, N_MAX, found);
	if (fd >= 0 && elf_read_soname(fd, soname, sizeof(soname)))
		soname[0] = 0;
	if (fd >= 0)
		close(fd);
	if (rc) {
		snprintf(err, errlen, "%s: %s: not a shared library (cannot "
			 "read its dynamic symbols)", origin, path);
		return -1;
	}
	int mask = 0;
	if (found[N_CUINIT])
		mask |= 1 << B_CUDA;
	if (found[N_COUNT] || found[N_MALLOC]) {
		if (!strcmp(soname, files[B_CUDART12]))
			mask |= 1 << B_CUDART12;
		else if (!strcmp(soname, files[B_CUDART13]))
			mask |= 1 << B_CUDART13;
		else
			mask |= 1 << B_CUDART12 | 1 << B_CUDART13;
	}
	if (found[N_NVML])
		mask |= 1 << B_NVML;
	return mask;
}

/* The APIs a handler library given without API= backs (said on stderr
 * when none or unreadable). */
static int exported_apis(struct supervisor *s, const struct rule *r,
			 const char *path)
{
	char err[PATH_MAX + 256];
	int mask = library_apis(s, r->origin, path, err, sizeof(err));
	if (mask < 0)
		fprintf(stderr, "vgpu-run: %s\n", err);
	else if (!mask)
		fprintf(stderr, "vgpu-run: %s: backend %s: exports none of "
			"cuInit, cudaGetDeviceCount, cudaMalloc, nvmlInit_v2 "
			"(say which API it serves: --backend cuda=PATH, "
			"cudart=, nvml=)\n", r->origin, path);
	return mask > 0 ? mask : -1;
}

static int key_mask(const char *key)
{
	int mask = 0;
	for (int a = 0; a < B_MAX; a++)
		if (api_matches(key, a))
			mask |= 1 << a;
	return mask;
}

/* real-lib API=PATH names the real library of that API whether or not a
 * passthrough backend uses it now: a file that is absent or exports none
 * of the API's entry points is a mistake to say before the program runs,
 * not a cuInit failure inside it. */
static int check_real_libs(struct supervisor *s)
{
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule *r = &s->rules.v[i];
		if (r->kind != RULE_REAL_LIB)
			continue;
		for (unsigned k = 0; k < r->nkv; k++) {
			char err[PATH_MAX + 256];
			const char *path = r->kv[k].val;
			int mask = library_apis(s, r->origin, path, err,
						sizeof(err));
			if (mask < 0) {
				fprintf(stderr, "vgpu-run: %s\n", err);
				return -1;
			}
			if (!(mask & key_mask(r->kv[k].key))) {
				fprintf(stderr, "vgpu-run: %s: real-lib %s=%s: "
					"not a %s library (it exports none of "
					"the API's entry points)\n", r->origin,
					r->kv[k].key, path, r->kv[k].key);
				return -1;
			}
		}
	}
	return 0;
}

/* inject FUNC: a function of one of our libraries (the rule's parser
 * checked its API prefix and error name; the export lists say whether
 * the interposer can ever see a call of that name). */
static int check_inject_names(struct supervisor *s)
{
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule *r = &s->rules.v[i];
		if (r->kind != RULE_INJECT || !r->nwords)
			continue;
		const char *name = r->words[0];
		bool found = false, readable = false;
		for (int a = 0; a < B_MAX && !found; a++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/libvgpu-%s.so",
				 s->libdir, keys[a]);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (!elf_find_exports(fd, &name, 1, &found))
				readable = true;
			close(fd);
		}
		/* Without our libraries to ask (a partial install), the
		 * name stays unchecked: the interposer is missing anyway. */
		if (!found && readable) {
			fprintf(stderr, "vgpu-run: %s: inject %s: no such "
				"function in the CUDA driver, runtime or NVML "
				"APIs that vgpu-run interposes\n", r->origin,
				name);
			return -1;
		}
	}
	return 0;
}

/* One line (-v): which backend answers each API. */
static void say_backends(void)
{
	char line[4 * (PATH_MAX + 32)] = "vgpu-run: backends:";
	size_t n = strlen(line);
	for (int a = 0; a < B_MAX && n < sizeof(line); a++) {
		const char *what = backend_fd[a] < 0 ? "none" :
				   !strcmp(backend_why[a], "sim") ? "sim" :
				   backend_path[a];
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s=%s%s",
				      a ? "," : "", keys[a], what,
				      backend_fd[a] >= 0 &&
				      !strcmp(backend_why[a], "passthrough") ?
				      " (passthrough)" : "");
	}
	fprintf(stderr, "%s\n", line);
}

/* The backend file of each API, checked and held from start.  A default
 * choice whose file is absent leaves the API without a backend (its
 * calls answer "not supported"); anything else refused stops vgpu-run. */
static int hold_backend(struct supervisor *s, int a, bool chosen,
			const char *origin)
{
	char err[PATH_MAX + 256];
	int fd = held_file_open(origin, backend_path[a], s->root, err,
				sizeof(err));
	if (fd >= 0) {
		backend_fd[a] = fd;
		return 0;
	}
	if (fd == -ENOENT && !chosen)
		return 0;
	fprintf(stderr, "vgpu-run: %s\n", err);
	return -1;
}

int interposer_check(struct supervisor *s)
{
	if (check_real_libs(s) || check_inject_names(s))
		return -1;
	const char *value[B_MAX] = { 0 }, *origin[B_MAX] = { 0 };
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule *r = &s->rules.v[i];
		if (r->kind != RULE_BACKEND)
			continue;
		for (unsigned w = 0; w < r->nwords; w++) {
			const char *v = r->words[w];
			int mask = (1 << B_MAX) - 1;
			if (strcmp(v, "sim") && strcmp(v, "passthrough")) {
				mask = exported_apis(s, r, v);
				if (mask < 0)
					return -1;
			}
			for (int a = 0; a < B_MAX; a++)
				if (mask & (1 << a)) {
					value[a] = v;
					origin[a] = r->origin;
				}
		}
		for (unsigned k = 0; k < r->nkv; k++) {
			if (!known_key(r->kv[k].key)) {
				fprintf(stderr, "vgpu-run: %s: backend: unknown "
					"API '%s' (cuda, cudart, cudart12, "
					"cudart13, nvml)\n", r->origin,
					r->kv[k].key);
				return -1;
			}
			for (int a = 0; a < B_MAX; a++)
				if (api_matches(r->kv[k].key, a)) {
					value[a] = r->kv[k].val;
					origin[a] = r->origin;
				}
		}
	}
	int driver = -1;		/* looked up once, when needed */
	for (int a = 0; a < B_MAX; a++) {
		bool chosen = value[a] != NULL;
		if (!chosen) {
			if (driver < 0)
				driver = host_has_driver();
			value[a] = driver ? "passthrough" : "sim";
			origin[a] = "default backend";
			sim_by_default[a] = !driver;
		}
		backend_path[a] = resolve(s, a, value[a], &backend_why[a],
					  &origin[a]);
		if (!backend_path[a] && !chosen) {
			/* A driver but no runtime of that major version on
			 * the host: the simulated one answers. */
			value[a] = "sim";
			sim_by_default[a] = true;
			backend_path[a] = resolve(s, a, value[a],
						  &backend_why[a], &origin[a]);
		} else if (!backend_path[a]) {
			fprintf(stderr, "vgpu-run: no real %s found for "
				"passthrough (give --real-lib %s=PATH)\n",
				files[a], keys[a]);
		}
		if (backend_path[a] && hold_backend(s, a, chosen, origin[a]))
			return -1;
		backend_origin[a] = origin[a];
	}
	return 0;
}

int interposer_init(struct supervisor *s)
{
	for (int a = 0; a < B_MAX && s->trace; a++) {
		if (backend_fd[a] < 0)
			continue;
		/* The report lists these with the interposer's routes. */
		char line[PATH_MAX + 128];
		snprintf(line, sizeof(line), "%s API: backend %s (%s, %s)",
			 keys[a], backend_path[a], backend_why[a],
			 backend_origin[a]);
		const char *route[] = { "route", line };
		event(s, VT_EV_NOTE, 0, 0, 0, 2, route);
	}
	if (s->opt.verbose > 0)
		say_backends();
	reserved_register("backend/", true, serve_backend);
	reserved_register("ring", false, serve_ring);
	if (!s->trace)
		return 0;
	drain = vr_drain_new(s->trace);
	if (!drain) {
		fprintf(stderr, "vgpu-run: cannot start the trace drain\n");
		return -1;
	}
	return 0;
}

/* After the tree is gone: whatever the rings still hold, the enter
 * records of calls that never returned included. */
void interposer_finish(struct supervisor *s)
{
	if (!drain)
		return;
	drain_stop = 1;
	if (drain_running)
		pthread_join(drain_thread, NULL);
	drain_running = false;
	drain_step(s, true);
	vr_drain_free(drain);
	drain = NULL;
}
