/* Small formatting helpers shared by the report writers. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report.h"
#include "text_escape.h"

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

size_t rpt_put_mem_cut(char *buf, size_t len, size_t n, const char *s,
		       size_t k)
{
	if (n < len) {
		size_t room = len - n - 1;
		memcpy(buf + n, s, k < room ? k : room);
		buf[n + (k < room ? k : room)] = 0;
	}
	return n + k;
}

/* Digits of v, right-aligned ending at end; returns their start. */
static char *digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

size_t rpt_put_u64(char *buf, size_t len, size_t n, uint64_t v)
{
	char t[24], *e = t + sizeof(t), *b = digits(e, v);
	return rpt_put_mem(buf, len, n, b, (size_t)(e - b));
}

size_t rpt_put_i64(char *buf, size_t len, size_t n, int64_t v)
{
	char t[24], *e = t + sizeof(t);
	char *b = digits(e, v < 0 ? -(uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--b = '-';
	return rpt_put_mem(buf, len, n, b, (size_t)(e - b));
}

size_t rpt_put_hex(char *buf, size_t len, size_t n, uint64_t v)
{
	char t[24], *e = t + sizeof(t), *b = e;
	do
		*--b = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	*--b = 'x';
	*--b = '0';
	return rpt_put_mem(buf, len, n, b, (size_t)(e - b));
}

size_t rpt_put_us(char *buf, size_t len, size_t n, uint64_t ns)
{
	char t[32], *e = t + sizeof(t);
	unsigned frac = (unsigned)(ns % 1000);
	e[-1] = (char)('0' + frac % 10);
	e[-2] = (char)('0' + frac / 10 % 10);
	e[-3] = (char)('0' + frac / 100);
	e[-4] = '.';
	char *b = digits(e - 4, ns / 1000);
	return rpt_put_mem(buf, len, n, b, (size_t)(e - b));
}

size_t rpt_put_csv(char *buf, size_t len, size_t n, const char *s)
{
	/* Quoting keeps a newline inside its field; escaping keeps control
	 * characters off the terminal of whoever looks at the file. */
	char *esc = text_needs_escape(s) ? text_escape_dup(s) : NULL;
	if (esc)
		s = esc;
	n = rpt_put_char(buf, len, n, '"');
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		n = rpt_put_mem(buf, len, n, s, (size_t)(q - s) + 1);
		n = rpt_put_char(buf, len, n, '"');
	}
	n = rpt_put_str(buf, len, n, s);
	free(esc);
	return rpt_put_char(buf, len, n, '"');
}

size_t rpt_put_json(char *buf, size_t len, size_t n, const char *s)
{
	char u[8];
	n = rpt_put_char(buf, len, n, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		/* The common case first: a run of plain characters. */
		size_t run = 0;
		while (p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
		       p[run] != '\\' && p[run] != '<')
			run++;
		if (run) {
			n = rpt_put_mem(buf, len, n, (const char *)p, run);
			p += run - 1;
			continue;
		}
		switch (*p) {
		case '"': n = rpt_put_str(buf, len, n, "\\\""); break;
		case '\\': n = rpt_put_str(buf, len, n, "\\\\"); break;
		case '\n': n = rpt_put_str(buf, len, n, "\\n"); break;
		case '\t': n = rpt_put_str(buf, len, n, "\\t"); break;
		case '\r': n = rpt_put_str(buf, len, n, "\\r"); break;
		/* '<' escaped so a string can never close an HTML <script>. */
		case '<': n = rpt_put_str(buf, len, n, "\\u003c"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(u, sizeof(u), "\\u%04x", *p);
				n = rpt_put_str(buf, len, n, u);
			} else {
				/* Valid UTF-8 passes through; a stray byte
				 * (paths need not be UTF-8) becomes U+00XX so
				 * the JSON stays valid. */
				size_t k = text_utf8_len(p);
				if (k) {
					n = rpt_put_mem(buf, len, n, (const char *)p, k);
					p += k - 1;
				} else {
					snprintf(u, sizeof(u), "\\u%04x", *p);
					n = rpt_put_str(buf, len, n, u);
				}
			}
		}
	}
	return rpt_put_char(buf, len, n, '"');
}

void rpt_write_built(FILE *f, size_t (*build)(char *, size_t, const void *),
		     const void *arg)
{
	char small[4096];
	size_t need = build(small, sizeof(small), arg);
	if (need < sizeof(small)) {
		fwrite_unlocked(small, 1, need, f);
		return;
	}
	char *big = rpt_calloc(need + 1, 1);
	build(big, need + 1, arg);
	fwrite_unlocked(big, 1, need, f);
	free(big);
}

static size_t put_json_arg(char *buf, size_t len, const void *s)
{
	return rpt_put_json(buf, len, 0, s);
}

void rpt_json_str(FILE *f, const char *s)
{
	rpt_write_built(f, put_json_arg, s);
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
