/* Compressed fat binary entries (fatbin.c reads the container). */
#ifndef VGPU_SIM_FATBIN_DECOMPRESS_H
#define VGPU_SIM_FATBIN_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* Entry flags naming the payload's compression. */
#define FATBIN_FLAG_LZ4 0x2000u
#define FATBIN_FLAG_ZSTD 0x8000u
#define FATBIN_FLAG_COMPRESSION (FATBIN_FLAG_LZ4 | FATBIN_FLAG_ZSTD)

/* Largest decompressed entry accepted.  NVIDIA's own images stay far
 * below it (NCCL's largest cubin is about 128 MiB). */
#define FATBIN_MAX_DECOMPRESSED (1ULL << 30)

/* "zstd", "LZ4", or NULL for a flag combination the sim cannot decode. */
const char *fatbin_compression_name(uint64_t flags);

/* Decodes a compressed entry: csize bytes at payload (the caller has
 * checked they lie inside the image) into a new buffer of exactly usize
 * bytes plus a terminating zero, which the caller frees.  NULL with the
 * reason in err when the header's sizes are implausible or the data does
 * not decode to exactly usize bytes. */
unsigned char *fatbin_decompress(const unsigned char *payload, uint64_t csize,
				 uint64_t usize, uint64_t flags, char *err,
				 size_t errlen);

#endif
