/* Escaping program-supplied strings for text output (text_escape.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_escape.h"

size_t text_utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 :
		   p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	if (p[0] >= 0xf5 || p[0] < 0xc2)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three-byte forms and surrogates are not valid. */
	if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
		return 0;
	if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* Bytes of s[0..] that stand for themselves: 0 means escape s[0]. */
static size_t plain_len(const unsigned char *p)
{
	if (*p >= 0x20 && *p < 0x7f && *p != '\\')
		return 1;
	if (*p < 0x80)
		return 0;
	size_t n = text_utf8_len(p);
	/* C1 controls (U+0080..U+009F, C2 80..C2 9F) act on terminals. */
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	return n;
}

bool text_needs_escape(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = plain_len(p);
		if (!n)
			return true;
		p += n;
	}
	return false;
}

static size_t escape_of(unsigned char c, char out[5])
{
	switch (c) {
	case '\n': memcpy(out, "\\n", 3); return 2;
	case '\t': memcpy(out, "\\t", 3); return 2;
	case '\r': memcpy(out, "\\r", 3); return 2;
	case 0x1b: memcpy(out, "\\e", 3); return 2;
	case '\\': memcpy(out, "\\\\", 3); return 2;
	default: snprintf(out, 5, "\\x%02x", c); return 4;
	}
}

char *text_escape(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	if (!len)
		return buf;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = plain_len(p);
		char esc[5];
		const char *src = (const char *)p;
		size_t k = n;
		if (!n) {
			k = escape_of(*p, esc);
			src = esc;
			n = 1;
		}
		if (o + k >= len)
			break;
		memcpy(buf + o, src, k);
		o += k;
		p += n;
	}
	buf[o] = 0;
	return buf;
}

char *text_escape_dup(const char *s)
{
	/* An escape is at most 4 bytes for each byte it replaces. */
	size_t len = 4 * strlen(s) + 1;
	char *buf = malloc(len);
	return buf ? text_escape(buf, len, s) : NULL;
}
