/* Small formatting helpers shared by the report writers. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report.h"

char *rpt_strdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

void *rpt_calloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		abort();
	return p;
}

/* Length of the UTF-8 sequence at p, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
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

void rpt_json_str(FILE *f, const char *s)
{
	fputc_unlocked('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		/* The common case first: a run of plain characters. */
		size_t run = 0;
		while (p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
		       p[run] != '\\' && p[run] != '<')
			run++;
		if (run) {
			fwrite_unlocked(p, 1, run, f);
			p += run - 1;
			continue;
		}
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		/* '<' escaped so a string can never close an HTML <script>. */
		case '<': fputs("\\u003c", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else if (*p >= 0x80) {
				/* Valid UTF-8 passes through; a stray byte
				 * (paths need not be UTF-8) becomes U+00XX so
				 * the JSON stays valid. */
				size_t k = utf8_len(p);
				if (k) {
					fwrite_unlocked(p, 1, k, f);
					p += k - 1;
				} else {
					fprintf(f, "\\u%04x", *p);
				}
			}
			else
				fputc_unlocked(*p, f);
		}
	}
	fputc_unlocked('"', f);
}

void rpt_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < 10000000000ull)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

void rpt_fmt_status(int32_t st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by SIG%s%s", sigabbrev_np(WTERMSIG(st)) ?
			 sigabbrev_np(WTERMSIG(st)) : "?",
			 WCOREDUMP(st) ? " (core dumped)" : "");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exited %d", WEXITSTATUS(st));
	else
		snprintf(buf, len, "status 0x%x", (unsigned)st);
}
