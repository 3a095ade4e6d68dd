/* Prints "code name" for every code our tables know (common/cuda_names.c),
 * and with "nvidia" the runtime's own cudaGetErrorName for codes 0..1000
 * and 10000, from whatever libcudart.so.13 the loader finds. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "cuda_names.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "nvidia")) {
		void *h = dlopen("libcudart.so.13", RTLD_NOW);
		const char *(*name)(int) = h ? (const char *(*)(int))dlsym(h, "cudaGetErrorName") : NULL;
		if (!name)
			return 1;
		for (int c = 0; c <= 10000; c++) {
			const char *n = name(c);
			if (c > 1000 && c != 10000)
				continue;
			if (n && strcmp(n, "cudaErrorUnknown") && strncmp(n, "unrecognized", 12))
				printf("%d %s\n", c, n);
		}
		return 0;
	}
	const char *kind = argc > 1 ? argv[1] : "";
	for (int c = 0; c <= 10000; c++) {
		const char *n = !strcmp(kind, "cu") ? cu_result_name(c)
			      : !strcmp(kind, "nvml") ? nvml_return_name(c)
			      : !strcmp(kind, "attr") ? cu_device_attribute_name(c)
			      : cudart_error_name(c);
		int back;
		if (!n)
			continue;
		if (cuda_code_by_name(n, &back) || back != c)
			printf("ROUNDTRIP %d %s\n", c, n);
		const char *msg = !strcmp(kind, "cu") ? cu_result_string(c)
				: !strcmp(kind, "nvml") ? nvml_return_string(c)
				: !strcmp(kind, "attr") ? "-" : cudart_error_string(c);
		if (!msg || !*msg)
			printf("NOMESSAGE %d %s\n", c, n);
		if (!strcmp(kind, "") && !strcmp(n, "cudaErrorUnknown"))
			continue;
		printf("%d %s\n", c, n);
	}
	return 0;
}
