/* Compressed fat binary entries.  nvcc's -Xfatbin -compress-mode picks the
 * codec: "size" writes one zstd frame, flag 0x8000 (every entry of
 * CUDA 13's cuBLAS and NCCL images is one); "speed" writes one raw LZ4
 * block (no frame header), flag 0x2000.  The
 * entry header gives the compressed length (u32 at byte 16; the payload
 * size at byte 8 is that rounded up to 8) and the decompressed length
 * (u64 at byte 56).  Both are checked before anything is allocated: the
 * decoders never read past the compressed bytes nor write past the
 * decompressed length, and the result must be exactly that length. */
#include "fatbin_decompress.h"

#include <limits.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

/* One LZ4 sequence adds at most 255 bytes per input byte. */
#define LZ4_MAX_RATIO 255

const char *fatbin_compression_name(uint64_t flags)
{
	switch (flags & FATBIN_FLAG_COMPRESSION) {
	case FATBIN_FLAG_ZSTD: return "zstd";
	case FATBIN_FLAG_LZ4: return "LZ4";
	default: return NULL;
	}
}

static int zstd_decode(const unsigned char *src, size_t csize,
		       unsigned char *dst, size_t usize, char *err,
		       size_t errlen)
{
	size_t frame = ZSTD_findFrameCompressedSize(src, csize);
	if (ZSTD_isError(frame)) {
		snprintf(err, errlen, "zstd frame in %zu bytes: %s", csize,
			 ZSTD_getErrorName(frame));
		return -1;
	}
	unsigned long long content = ZSTD_getFrameContentSize(src, frame);
	if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != usize) {
		snprintf(err, errlen,
			 "zstd frame holds %llu bytes, the entry header says %zu",
			 content, usize);
		return -1;
	}
	size_t got = ZSTD_decompress(dst, usize, src, frame);
	if (ZSTD_isError(got)) {
		snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(got));
		return -1;
	}
	if (got != usize) {
		snprintf(err, errlen,
			 "zstd decoded %zu bytes, the entry header says %zu",
			 got, usize);
		return -1;
	}
	return 0;
}

static int lz4_decode(const unsigned char *src, size_t csize,
		      unsigned char *dst, size_t usize, char *err,
		      size_t errlen)
{
	/* The cap keeps both sizes within LZ4's int arguments. */
	int got = LZ4_decompress_safe((const char *)src, (char *)dst,
				      (int)csize, (int)usize);
	if (got < 0) {
		snprintf(err, errlen,
			 "LZ4 block of %zu bytes is corrupt or truncated",
			 csize);
		return -1;
	}
	if ((size_t)got != usize) {
		snprintf(err, errlen,
			 "LZ4 decoded %d bytes, the entry header says %zu", got,
			 usize);
		return -1;
	}
	return 0;
}

unsigned char *fatbin_decompress(const unsigned char *payload, uint64_t csize,
				 uint64_t usize, uint64_t flags, char *err,
				 size_t errlen)
{
	const char *codec = fatbin_compression_name(flags);
	if (!codec) {
		snprintf(err, errlen, "unknown compression (flags %#llx)",
			 (unsigned long long)flags);
		return NULL;
	}
	_Static_assert(FATBIN_MAX_DECOMPRESSED < INT_MAX,
		       "LZ4 takes int sizes");
	if (!csize || !usize || usize > FATBIN_MAX_DECOMPRESSED ||
	    csize > FATBIN_MAX_DECOMPRESSED) {
		snprintf(err, errlen,
			 "%s sizes out of range (%llu bytes to %llu; at most %llu)",
			 codec, (unsigned long long)csize,
			 (unsigned long long)usize,
			 (unsigned long long)FATBIN_MAX_DECOMPRESSED);
		return NULL;
	}
	if ((flags & FATBIN_FLAG_LZ4) && usize / LZ4_MAX_RATIO > csize + 1) {
		snprintf(err, errlen,
			 "LZ4 cannot expand %llu bytes to %llu",
			 (unsigned long long)csize, (unsigned long long)usize);
		return NULL;
	}
	unsigned char *out = malloc((size_t)usize + 1);
	if (!out) {
		snprintf(err, errlen, "out of memory for %llu bytes",
			 (unsigned long long)usize);
		return NULL;
	}
	int r = flags & FATBIN_FLAG_ZSTD
			? zstd_decode(payload, csize, out, usize, err, errlen)
			: lz4_decode(payload, csize, out, usize, err, errlen);
	if (r < 0) {
		free(out);
		return NULL;
	}
	out[usize] = 0;	/* PTX is parsed as text */
	return out;
}
