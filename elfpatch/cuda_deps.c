/* --cuda: which CUDA pieces a file depends on.
 *
 * A symbol's library is known exactly when it is versioned (.gnu.version
 * points at a Vernaux whose Verneed names the file); otherwise it is the
 * DT_NEEDED library of the matching API, since ld.so binds it from
 * whichever library defines it first. */
#include <stdio.h>
#include <string.h>

#include "cuda_deps.h"

struct api { const char *lib_prefix, *what, *sym_prefix; };

static const struct api apis[] = {
	{ "libcuda.so", "CUDA driver", "cu" },
	{ "libcudart.so", "CUDA runtime", "cuda" },
	{ "libnvidia-ml.so", "NVML", "nvml" },
	{ "libcublasLt.so", "cuBLASLt", "cublasLt" },
	{ "libcublas.so", "cuBLAS", "cublas" },
	{ "libcufft.so", "cuFFT", "cufft" },
	{ "libcurand.so", "cuRAND", "curand" },
	{ "libcusparse.so", "cuSPARSE", "cusparse" },
	{ "libcusolver.so", "cuSOLVER", "cusolver" },
	{ "libcudnn.so", "cuDNN", "cudnn" },
	{ "libnvrtc.so", "NVRTC", "nvrtc" },
	{ "libnvJitLink.so", "nvJitLink", "nvJitLink" },
	{ "libnccl.so", "NCCL", "nccl" },
};
#define NAPIS (sizeof(apis) / sizeof(apis[0]))

/* The API a symbol belongs to: the longest prefix followed by an upper
 * case letter (cuInit, cudaMalloc, nvmlInit_v2) or a runtime-internal
 * __cuda name. */
static const struct api *api_of_symbol(const char *s)
{
	const struct api *best = NULL;
	if (!strncmp(s, "__cuda", 6))
		return &apis[1];
	for (size_t i = 0; i < NAPIS; i++) {
		size_t n = strlen(apis[i].sym_prefix);
		if (!strncmp(s, apis[i].sym_prefix, n) && s[n] >= 'A' && s[n] <= 'Z' &&
		    (!best || n > strlen(best->sym_prefix)))
			best = &apis[i];
	}
	return best;
}

static const struct api *api_of_lib(const char *lib)
{
	const char *base = strrchr(lib, '/');
	base = base ? base + 1 : lib;
	for (size_t i = 0; i < NAPIS; i++)
		if (!strncmp(base, apis[i].lib_prefix, strlen(apis[i].lib_prefix)))
			return &apis[i];
	return NULL;
}

/* vn_file of the Verneed whose Vernaux has vna_other == idx. */
static const char *version_file(const struct elf_image *im, uint16_t idx,
				const char **version)
{
	for (size_t i = 0; i < im->vn_count; i++) {
		uint64_t a = im->vn[i].aux_off;
		for (unsigned j = 0; j < im->vn[i].cnt; j++) {
			if (a > im->size || im->size - a < 16)
				return NULL;
			const unsigned char *p = im->raw + a;
			if ((le16(p + 6) & 0x7fff) == idx) {
				*version = elf_image_str(im, le32(p + 8));
				return elf_image_str(im, im->vn[i].file);
			}
			if (!le32(p + 12))
				break;
			a += le32(p + 12);
		}
	}
	return NULL;
}

void print_cuda_deps(const struct elf_image *im, const char *prefix)
{
	const char *needed[NAPIS] = { 0 };
	size_t nlibs = 0;
	for (size_t i = 0; i < im->dyn_live; i++) {
		if (im->dyn[i].d_tag != DT_NEEDED)
			continue;
		const char *s = elf_image_str(im, im->dyn[i].d_un.d_val);
		const struct api *a = s ? api_of_lib(s) : NULL;
		if (!a)
			continue;
		needed[a - apis] = s;
		nlibs++;
		printf("%sneeds %s (%s)\n", prefix, s, a->what);
	}
	size_t nsyms = 0;
	for (size_t i = 1; i < im->sym_count; i++) {
		const unsigned char *p = im->raw + im->sym_off + i * 24;
		if (le16(p + 6) != SHN_UNDEF)
			continue;
		const char *name = elf_image_str(im, le32(p));
		const struct api *a = name ? api_of_symbol(name) : NULL;
		if (!a)
			continue;
		const char *from = NULL, *version = NULL;
		if (im->versym_off)
			from = version_file(im, le16(im->raw + im->versym_off + 2 * i),
					    &version);
		if (from)
			printf("%simports %s from %s (version %s)\n", prefix, name,
			       from, version ? version : "?");
		else if (needed[a - apis])
			printf("%simports %s from %s\n", prefix, name, needed[a - apis]);
		else
			printf("%simports %s (%s; no DT_NEEDED provides it: loaded "
			       "by dlopen or another dependency)\n", prefix, name,
			       a->what);
		nsyms++;
	}
	if (!nlibs && !nsyms)
		printf("%sno CUDA, runtime or NVML dependencies\n", prefix);
}
