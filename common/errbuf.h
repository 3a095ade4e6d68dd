/* One-line error messages written into a caller's buffer: parsers report
 * "FILE:LINE: ..." or "FILE: byte N: ..." this way and return -1. */
#ifndef VGPU_ERRBUF_H
#define VGPU_ERRBUF_H

#include <stddef.h>

/* printf into err (always NUL-terminated); returns -1. */
int err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
