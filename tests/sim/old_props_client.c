/* GPU discovery as Ollama's does it: dlopen a libcudart.so.12, dlsym the
 * unversioned cudaGetDeviceProperties and hand it its own copy of the
 * CUDA 11 struct (728 bytes) on the stack.  Canary bytes right after the
 * struct show an answer in a bigger layout before it can smash the
 * frame.  Prints "name=... total=... cc=M.m canary=intact|overwritten"
 * and exits 0 only when the struct was filled and the canary is intact.
 *
 *   old_props_client [LIBCUDART]     default "libcudart.so.12" */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The fields discovery reads, at their CUDA 11 offsets; the rest is
 * padding of the right size. */
struct old_prop {
	char name[256];
	unsigned char uuid[16];
	unsigned char pad1[16];
	size_t totalGlobalMem;
	unsigned char pad2[64];
	int major;
	int minor;
	unsigned char rest[728 - 368];
};
_Static_assert(sizeof(struct old_prop) == 728, "the CUDA 11 cudaDeviceProp");
_Static_assert(offsetof(struct old_prop, totalGlobalMem) == 288, "offset");
_Static_assert(offsetof(struct old_prop, major) == 360, "offset");

#define CANARY 0x5a

struct frame {
	struct old_prop prop;
	unsigned char canary[512];
};

int main(int argc, char **argv)
{
	const char *lib = argc > 1 ? argv[1] : "libcudart.so.12";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "old_props_client: %s\n", dlerror());
		return 2;
	}
	int (*get)(void *, int) = (int (*)(void *, int))dlsym(h, "cudaGetDeviceProperties");
	if (!get) {
		fprintf(stderr, "old_props_client: no cudaGetDeviceProperties\n");
		return 2;
	}
	struct frame f;
	memset(&f, CANARY, sizeof(f));
	int rc = get(&f.prop, 0);
	size_t reach = 0;
	for (size_t i = 0; i < sizeof(f.canary); i++)
		if (f.canary[i] != CANARY)
			reach = i + 1;
	f.prop.name[sizeof(f.prop.name) - 1] = 0;
	printf("rc=%d name=%s total=%zu cc=%d.%d canary=%s", rc, f.prop.name,
	       f.prop.totalGlobalMem, f.prop.major, f.prop.minor,
	       reach ? "overwritten" : "intact");
	if (reach)
		printf(" (%zu bytes past the struct)", reach);
	printf("\n");
	return rc || reach ? 1 : 0;
}
