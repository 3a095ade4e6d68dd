/* The backend: a library exporting the real API names, opened through
 * the reserved path /.vgpu/backend/KEY (the supervisor serves whichever
 * file the rules chose, across mount namespaces), or standalone from
 * VGPU_BACKEND_KEY / VGPU_BACKEND. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

void *vgpu_backend;
char *vgpu_config_text;
static uintptr_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	uintptr_t me = (uintptr_t)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + p->p_vaddr;
		if (me >= lo && me < lo + p->p_memsz) {
			/* The whole object: from its first to last segment. */
			self_lo = UINTPTR_MAX;
			self_hi = 0;
			for (int k = 0; k < info->dlpi_phnum; k++) {
				const ElfW(Phdr) *q = &info->dlpi_phdr[k];
				if (q->p_type != PT_LOAD)
					continue;
				uintptr_t a = info->dlpi_addr + q->p_vaddr;
				if (a < self_lo)
					self_lo = a;
				if (a + q->p_memsz > self_hi)
					self_hi = a + q->p_memsz;
			}
			return 1;
		}
	}
	return 0;
}

bool vgpu_is_ours(const void *p)
{
	return (uintptr_t)p >= self_lo && (uintptr_t)p < self_hi;
}

static char *read_all(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (cap - len < 2) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				return NULL;
			}
			buf = b;
		}
	}
	if (buf)
		buf[len] = 0;
	return buf;
}

void *vgpu_backend_sym(const char *name)
{
	if (!vgpu_backend)
		return NULL;
	void *p = dlsym(vgpu_backend, name);
	/* A handler that lists libcuda.so.1 as DT_NEEDED finds us again
	 * through its dependencies: that is not its own function. */
	return p && !vgpu_is_ours(p) ? p : NULL;
}

/* Names of functions handed out at run time share the static indices;
 * the others are the driver's, which all return a status. */
static unsigned ret_kind(uint32_t func)
{
	return func < vgpu_nstatic ? vgpu_static_rets[func] : VGPU_RET_CODE;
}

uint64_t vgpu_missing_value(uint32_t func)
{
	unsigned kind = ret_kind(func);
	if (kind == VGPU_RET_ZERO)
		return 0;
	if (kind == VGPU_RET_TEXT)
		return (uint64_t)(uintptr_t)vgpu_static_ret_texts[func];
	return (uint64_t)(int64_t)vgpu_api.not_supported;
}

void vgpu_missing_outs(uint32_t func, const uint64_t *regs)
{
	unsigned reg = func < vgpu_nstatic ? vgpu_static_text_outs[func] : 0;
	/* NULL asks the real function for an error, which the not-supported
	 * code already is. */
	if (reg && regs[reg - 1])
		*(const char **)(uintptr_t)regs[reg - 1] =
			vgpu_static_ret_texts[func];
}

void *vgpu_missing_stub(uint32_t func)
{
	unsigned kind = ret_kind(func);
	if (kind == VGPU_RET_ZERO)
		return vgpu_fake_ret;
	if (kind == VGPU_RET_TEXT)
		return vgpu_missing_text_ret;
	return vgpu_missing_ret;
}

/* RTLD_DEEPBIND keeps a backend's calls to its own exports inside it.
 * AddressSanitizer's runtime aborts a process that asks for it (the
 * library would bypass its interceptors), so in a program built with it
 * the backend binds through the global scope instead: its calls to its own
 * exports then pass through our thunks and are traced as nested calls. */
static int backend_dlopen_flags(void)
{
	int flags = RTLD_NOW | RTLD_LOCAL;
	if (!dlsym(RTLD_DEFAULT, "__asan_init"))
		flags |= RTLD_DEEPBIND;
	return flags;
}

static void *open_backend(const char *path)
{
	void *h = dlopen(path, backend_dlopen_flags());
	if (!h)
		vgpu_log("vgpu: %s backend %s: %s", vgpu_api.key, path,
			 dlerror());
	return h;
}

static void load_standalone(void)
{
	char var[64];
	snprintf(var, sizeof(var), "VGPU_BACKEND_%s", vgpu_api.key);
	for (char *c = var; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	const char *path = getenv(var);
	if (!path && (vgpu_api.api == VT_API_CUDART12 ||
		      vgpu_api.api == VT_API_CUDART13))
		path = getenv("VGPU_BACKEND_CUDART");
	if (!path)
		path = getenv("VGPU_BACKEND");
	const char *rules = getenv("VGPU_RULES");
	if (rules) {
		int fd = open(rules, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			vgpu_config_text = read_all(fd);
			close(fd);
		} else {
			vgpu_log("vgpu: VGPU_RULES=%s: %s", rules,
				 strerror(errno));
		}
	}
	if (!path) {
		vgpu_log("vgpu: no %s backend: set %s (or VGPU_BACKEND) to a "
			 "handler library, or run under vgpu-run",
			 vgpu_api.key, var);
		return;
	}
	vgpu_backend = open_backend(path);
}

void vgpu_backend_load(void)
{
	dl_iterate_phdr(find_self, (void *)&vgpu_backend_load);
	int fd = open("/.vgpu/config", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		load_standalone();
	} else {
		vgpu_config_text = read_all(fd);
		close(fd);
		char path[64];
		snprintf(path, sizeof(path), "/.vgpu/backend/%s", vgpu_api.key);
		vgpu_backend = open_backend(path);
	}
	for (unsigned i = 0; i < vgpu_nstatic; i++)
		vgpu_slots[i].target = vgpu_backend_sym(vgpu_static_names[i]);
	for (const struct vgpu_special *s = vgpu_api.specials; s && s->name; s++) {
		int i = vgpu_static_index(s->name);
		if (i >= 0)
			vgpu_slots[i].target = s->fn;
	}
}
