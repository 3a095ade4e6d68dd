/* Names of the export-table ids that NVIDIA's runtime and libraries are
 * seen to ask the driver for; what each holds is in interpose/sim/README.md. */
#include <stddef.h>
#include <string.h>

#include "export_table_ids.h"


static const struct {
	unsigned char id[16];
	const char *name;
} known[] = {
	{ UUID(f8, cf, f9, 51, 21, 46, 8b, 4e, b9, e2, fb, 46, 9e, 7c, 0d, d9),
	  "runtime start-up bypass" },
	{ UUID(6b, d5, fb, 6c, 5b, f4, e7, 4a, 89, 87, d9, 39, 12, fd, 9d, f9),
	  "runtime interface" },
	{ UUID(a0, 94, 79, 8c, 2e, 74, 2e, 74, 93, f2, 08, 00, 20, 0c, 0a, 66),
	  "tool callback hooks" },
	{ UUID(42, d8, 5a, 81, 23, f6, cb, 47, 82, 98, f6, e7, 8a, 3a, ec, dc),
	  "tools TLS" },
	{ UUID(c6, 93, 33, 6e, 11, 21, df, 11, a8, c3, 68, f3, 55, d8, 95, 93),
	  "per-context storage" },
	{ UUID(d4, 08, 20, 55, bd, e6, 70, 4b, 8d, 34, ba, 12, 3c, 66, e1, f2),
	  "runtime integrity check" },
	{ UUID(26, 3e, 88, 60, 7c, d2, 61, 43, 92, f6, bb, d5, 00, 6d, fa, 7e),
	  "context checks" },
	{ UUID(21, 31, 8c, 60, 97, 14, 32, 48, 8c, a6, 41, ff, 73, 24, c8, f2),
	  "tools context" },
	{ UUID(6e, 16, 3f, be, b9, 58, 44, 4d, 83, 5c, e1, 82, af, f1, 99, 1e),
	  "tools module" },
	{ UUID(da, 91, 51, d3, 3a, e6, cc, 41, a5, c0, 4f, 26, d5, 33, e3, 28),
	  "NVRTC probe" },
	{ UUID(2c, 8e, 0a, d8, 07, 10, ab, 4e, 90, dd, 54, 71, 9f, e5, f7, 4b),
	  "tools callbacks" },
};

const char *export_table_name(const unsigned char id[16])
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!memcmp(known[i].id, id, 16))
			return known[i].name;
	return NULL;
}
