#ifndef VGPU_ELFPATCH_CUDA_DEPS_H
#define VGPU_ELFPATCH_CUDA_DEPS_H

#include "elf_image.h"

/* Prints the file's CUDA driver, runtime, NVML and other CUDA library
 * dependencies and the CUDA symbols it imports, each with the library
 * it comes from. */
void print_cuda_deps(const struct elf_image *im, const char *prefix);

#endif
