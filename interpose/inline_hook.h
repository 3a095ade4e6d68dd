/* The inline route (inline_hook.c), used by the GOT route's walk. */
#ifndef VGPU_INLINE_HOOK_H
#define VGPU_INLINE_HOOK_H

#include <link.h>

#include "interposer.h"

/* Hooks the driver entry points a library defines (nothing when it
 * defines no cuInit); notes the route and each refusal through `note`.
 * Returns the number hooked; the caller keeps a hooked library loaded.
 * Takes no lock of the loader's and loads nothing. */
HIDDEN unsigned vgpu_inline_module(const struct dl_phdr_info *info,
				   void (*note)(const char *key, const char *value));

#endif
