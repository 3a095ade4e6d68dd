/* What a loaded module says about itself, read from its mapped dynamic
 * segment: no dlopen, dlsym or dladdr, which take the loader's lock (a
 * thread inside dlopen may be waiting on ours) and may run a module's
 * constructors before the loader would (dlopen of a module still being
 * loaded initialises it on the spot). */
#ifndef VGPU_LOADED_MODULE_H
#define VGPU_LOADED_MODULE_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interposer.h"

/* Note type of the marker every interposer library carries (owner
 * "vgpu"): the libraries leave each other alone. */
#define VGPU_NOTE_INTERPOSER 0x76677075u

HIDDEN bool vgpu_module_is_interposer(const struct dl_phdr_info *info);

/* The module's dynamic section in memory (NULL when it has none), and the
 * address an entry of it holds. */
HIDDEN const ElfW(Dyn) *vgpu_module_dynamic(const struct dl_phdr_info *info);
HIDDEN uintptr_t vgpu_dyn_addr(uintptr_t base, uintptr_t v);

/* Calls fn for each function the module defines under its default (or
 * only) version; stops early when fn returns false. */
typedef bool (*vgpu_symbol_fn)(const char *name, void *addr, size_t size,
			       void *arg);
HIDDEN void vgpu_module_functions(const struct dl_phdr_info *info,
				  vgpu_symbol_fn fn, void *arg);

#endif
