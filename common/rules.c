#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_names.h"
#include "rules.h"

enum val_type { V_STR, V_INT, V_SIZE, V_NAME };

struct key_spec {
	const char *key;
	enum val_type type;
};

struct kind_spec {
	const char *keyword;
	const char *form;		/* what a line looks like, for messages */
	unsigned min_words, max_words;	/* positional words */
	int any_key;			/* backend/real-lib: API=... keys */
	const struct key_spec *keys;	/* NULL-terminated, when !any_key */
};

static const struct key_spec device_keys[] = {
	{ "name", V_STR }, { "uuid", V_STR }, { "cc", V_STR },
	{ "memory", V_SIZE }, { "sms", V_INT }, { "clock", V_INT },
	{ "memclock", V_INT }, { "buswidth", V_INT }, { "pci", V_STR },
	{ "driver", V_STR }, { "cuda", V_INT }, { "index", V_INT },
	{ NULL, 0 },
};
static const struct key_spec sim_keys[] = {
	{ "launch", V_NAME }, { NULL, 0 },
};
static const struct key_spec inject_keys[] = {
	{ "error", V_NAME }, { "when", V_INT }, { "every", V_INT },
	{ NULL, 0 },
};

static const struct kind_spec kinds[RULE_KIND_MAX] = {
	[RULE_REDIRECT] = { "redirect", "redirect PATTERN PATH (redirect "
			    "libcuda.so.1 /opt/vgpu/libcuda.so.1)", 2, 2, 0,
			    (const struct key_spec[]){ { NULL, 0 } } },
	[RULE_BACKEND] = { "backend", "backend [API=]VALUE (backend sim, "
			   "backend cuda=/opt/vgpu/libcuda.so.1)", 0, 1, 1, NULL },
	[RULE_REAL_LIB] = { "real-lib", "real-lib API=PATH (real-lib "
			    "cuda=/usr/lib/x86_64-linux-gnu/libcuda.so.1)",
			    0, 0, 1, NULL },
	[RULE_DEVICE] = { "device", "device KEY=VALUE ... (device "
			  "memory=80GiB)", 0, 0, 0, device_keys },
	[RULE_SIM] = { "sim", "sim KEY=VALUE (sim launch=noop)", 0, 0, 0,
		       sim_keys },
	[RULE_INJECT] = { "inject", "inject FUNC error=NAME [when=N] [every=N] "
			  "(inject cuMemAlloc_v2 error=CUDA_ERROR_OUT_OF_MEMORY)",
			  1, 1, 0, inject_keys },
};

static const char *const apis[] = { "cuda", "cudart", "cudart12", "cudart13",
				    "nvml", NULL };

const char *rule_kind_name(enum rule_kind k)
{
	return k < RULE_KIND_MAX ? kinds[k].keyword : "?";
}

static int fail(char *err, size_t errlen, const char *name, unsigned line,
		const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s:%u: ", name, line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Numbers in rules are decimal: no sign, no 0x, and no leading zero
 * (010 would read as 8 to a C-minded eye and as 10 to others: refused). */
static int parse_decimal(const char *s, unsigned long long *out, char **end)
{
	if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit((unsigned char)s[1])))
		return -1;
	errno = 0;
	*out = strtoull(s, end, 10);
	return errno ? -1 : 0;
}

int rules_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	if (parse_decimal(s, &v, &end))
		return -1;
	static const struct { const char *sfx; unsigned shift; } units[] = {
		{ "", 0 }, { "K", 10 }, { "KiB", 10 }, { "M", 20 },
		{ "MiB", 20 }, { "G", 30 }, { "GiB", 30 }, { "T", 40 },
		{ "TiB", 40 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].sfx)) {
			if (units[i].shift && v > (~0ull >> units[i].shift))
				return -1;
			*out = v << units[i].shift;
			return 0;
		}
	return -1;
}

static int check_value(enum val_type t, const char *v)
{
	unsigned long long n;
	char *end;
	switch (t) {
	case V_STR:
		return 0;
	case V_INT:
		return parse_decimal(v, &n, &end) || *end ? -1 : 0;
	case V_SIZE:
		return rules_parse_size(v, &n);
	case V_NAME:
		/* A number given for a name (error=2) is decimal too. */
		if (!*v || (isdigit((unsigned char)*v) &&
			    (parse_decimal(v, &n, &end) || *end)))
			return -1;
		for (const char *p = v; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
				return -1;
		return 0;
	}
	return -1;
}

static const char *type_word(enum val_type t)
{
	switch (t) {
	case V_INT: return "a decimal integer without leading zeros";
	case V_SIZE: return "a size such as 80GiB (decimal, no leading zeros)";
	case V_NAME: return "a name or decimal number";
	default: return "a string";
	}
}

/* Split one line into words; returns the count or -1 on an open quote.
 * Words are written, unquoted, into buf. */
static int split(const char *line, char **words, int max, char *buf)
{
	int n = 0;
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return -2;
		words[n++] = buf;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r') {
			if (*p == '"') {
				const char *q = strchr(p + 1, '"');
				if (!q)
					return -1;
				memcpy(buf, p + 1, (size_t)(q - p - 1));
				buf += q - p - 1;
				p = q + 1;
			} else {
				*buf++ = *p++;
			}
		}
		*buf++ = 0;
	}
}

static int is_api(const char *s)
{
	for (int i = 0; apis[i]; i++)
		if (!strcmp(s, apis[i]))
			return 1;
	return 0;
}

/* A backend is one of the two names or a file: a word without a '/' that
 * is neither (--backend simm) is a misspelt name, not a library. */
static int check_backend(const char *v, const char *name, unsigned line,
			 char *err, size_t errlen)
{
	if (!strcmp(v, "sim") || !strcmp(v, "passthrough") || strchr(v, '/'))
		return 0;
	return fail(err, errlen, name, line, "unknown backend '%s': sim, "
		    "passthrough or the path of a handler library (with a "
		    "'/': ./%s)", v, v);
}

/* The API a function belongs to, by its name; codes are the API's own
 * (a runtime name given for a driver function would inject a different
 * error than the one named). */
static const struct {
	const char *func_prefix, *code_prefix, *type, *example;
} code_families[] = {
	{ "nvml", "NVML_", "nvmlReturn_t", "NVML_ERROR_NOT_SUPPORTED" },
	{ "cuda", "cuda", "cudaError_t", "cudaErrorMemoryAllocation" },
	{ "__cuda", "cuda", "cudaError_t", "cudaErrorMemoryAllocation" },
	{ "cu", "CUDA_", "CUresult", "CUDA_ERROR_OUT_OF_MEMORY" },
};

static int check_inject(const struct rule *r, const char *name,
			unsigned line, char *err, size_t errlen)
{
	const char *func = r->words[0];
	size_t f = 0, nf = sizeof(code_families) / sizeof(code_families[0]);
	while (f < nf && strncmp(func, code_families[f].func_prefix,
				 strlen(code_families[f].func_prefix)))
		f++;
	for (const char *p = func; f < nf && *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			f = nf;
	if (f == nf)
		return fail(err, errlen, name, line, "inject: '%s' is not a "
			    "CUDA driver (cu...), runtime (cuda...) or NVML "
			    "(nvml...) function name", func);
	const char *e = rule_get(r, "error");
	if (!e)
		return fail(err, errlen, name, line, "inject %s: error= is "
			    "missing: write %s", func, kinds[RULE_INJECT].form);
	int code;
	if (isdigit((unsigned char)*e))
		return 0;	/* a decimal number, checked as V_NAME */
	if (strncmp(e, code_families[f].code_prefix,
		    strlen(code_families[f].code_prefix)) ||
	    cuda_code_by_name(e, &code))
		return fail(err, errlen, name, line, "inject %s: error=%s: "
			    "not a %s name (%s, ...) or a decimal number",
			    func, e, code_families[f].type,
			    code_families[f].example);
	return 0;
}

static int finish_rule(struct rule *r, const struct kind_spec *ks,
		       const char *name, unsigned line, char *err,
		       size_t errlen)
{
	if (r->nwords < ks->min_words || r->nwords > ks->max_words)
		return fail(err, errlen, name, line,
			    "%s: expected %s, got %u word%s%s", ks->keyword,
			    ks->form, r->nwords, r->nwords == 1 ? "" : "s",
			    r->kind == RULE_REDIRECT ? "" : " before KEY=VALUE");
	for (unsigned i = 0; i < r->nkv; i++) {
		const struct rule_kv *kv = &r->kv[i];
		if (ks->any_key) {
			if (!is_api(kv->key))
				return fail(err, errlen, name, line,
					    "unknown API '%s' (cuda, cudart, "
					    "cudart12, cudart13, nvml)", kv->key);
			if (!*kv->val)
				return fail(err, errlen, name, line,
					    "empty value for %s", kv->key);
			if (r->kind == RULE_BACKEND &&
			    check_backend(kv->val, name, line, err, errlen))
				return -1;
			continue;
		}
		const struct key_spec *k = ks->keys;
		while (k->key && strcmp(k->key, kv->key))
			k++;
		if (!k->key)
			return fail(err, errlen, name, line,
				    "%s: unknown key '%s'", ks->keyword, kv->key);
		if (check_value(k->type, kv->val))
			return fail(err, errlen, name, line,
				    "%s: %s=%s: expected %s", ks->keyword,
				    kv->key, kv->val, type_word(k->type));
	}
	if (r->kind == RULE_BACKEND && r->nwords + r->nkv == 0)
		return fail(err, errlen, name, line,
			    "backend needs a value: write %s", ks->form);
	if (r->kind == RULE_BACKEND && r->nwords &&
	    check_backend(r->words[0], name, line, err, errlen))
		return -1;
	if (r->kind == RULE_INJECT &&
	    check_inject(r, name, line, err, errlen))
		return -1;
	if (r->kind == RULE_REAL_LIB && r->nkv == 0)
		return fail(err, errlen, name, line,
			    "real-lib needs API=PATH: write %s", ks->form);
	if (r->kind == RULE_REDIRECT) {
		const char *pat = r->words[0];
		if (!strncmp(pat, "soname:", 7)) {
			r->match = MATCH_SONAME;
			pat += 7;
		} else {
			r->match = strpbrk(pat, "*?[") ? MATCH_GLOB : MATCH_NAME;
		}
		if (!*pat)
			return fail(err, errlen, name, line, "empty pattern");
		r->pattern = pat;
		r->target = r->words[1];
		if (r->target[0] != '/' && strncmp(r->target, "@lib/", 5))
			return fail(err, errlen, name, line,
				    "redirect target '%s' must be an absolute "
				    "path or @lib/NAME", r->target);
	}
	return 0;
}

static void rule_free(struct rule *r)
{
	for (unsigned i = 0; i < r->nwords; i++)
		free(r->words[i]);
	for (unsigned i = 0; i < r->nkv; i++) {
		free(r->kv[i].key);
		free(r->kv[i].val);
	}
	free(r->words);
	free(r->kv);
	free(r->origin);
}

static int parse_line(struct ruleset *rs, const char *name, unsigned lineno,
		      const char *line, char *err, size_t errlen)
{
	enum { MAXW = 64 };
	char *w[MAXW];
	char *buf = malloc(strlen(line) + 1);
	if (!buf)
		return fail(err, errlen, name, lineno, "out of memory");
	int n = split(line, w, MAXW, buf);
	if (n < 0) {
		free(buf);
		return fail(err, errlen, name, lineno, n == -1 ?
			    "unterminated quote" : "too many words");
	}
	if (n == 0) {
		free(buf);
		return 0;
	}
	int kind = -1;
	for (int k = 0; k < RULE_KIND_MAX; k++)
		if (!strcmp(w[0], kinds[k].keyword))
			kind = k;
	if (kind < 0) {
		fail(err, errlen, name, lineno,
		     "unknown directive '%s' (redirect, backend, real-lib, "
		     "device, sim, inject)", w[0]);
		free(buf);
		return -1;
	}
	struct rule r = { .kind = (enum rule_kind)kind };
	r.words = calloc((size_t)n, sizeof(char *));
	r.kv = calloc((size_t)n, sizeof(struct rule_kv));
	size_t olen = strlen(name) + 16;
	r.origin = malloc(olen);
	int rc = -1;
	if (!r.words || !r.kv || !r.origin) {
		fail(err, errlen, name, lineno, "out of memory");
		goto out;
	}
	snprintf(r.origin, olen, "%s:%u", name, lineno);
	for (int i = 1; i < n; i++) {
		/* A redirect's words are paths, which may contain '='. */
		char *eq = kind == RULE_REDIRECT ? NULL : strchr(w[i], '=');
		if (eq && eq != w[i]) {
			r.kv[r.nkv].key = strndup(w[i], (size_t)(eq - w[i]));
			r.kv[r.nkv].val = strdup(eq + 1);
			if (!r.kv[r.nkv].key || !r.kv[r.nkv].val) {
				r.nkv++;
				fail(err, errlen, name, lineno, "out of memory");
				goto out;
			}
			r.nkv++;
		} else {
			if (r.nkv) {
				fail(err, errlen, name, lineno,
				     "'%s': positional word after KEY=VALUE", w[i]);
				goto out;
			}
			r.words[r.nwords] = strdup(w[i]);
			if (!r.words[r.nwords]) {
				fail(err, errlen, name, lineno, "out of memory");
				goto out;
			}
			r.nwords++;
		}
	}
	if (finish_rule(&r, &kinds[kind], name, lineno, err, errlen))
		goto out;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct rule *nv = realloc(rs->v, cap * sizeof(*nv));
		if (!nv) {
			fail(err, errlen, name, lineno, "out of memory");
			goto out;
		}
		rs->v = nv;
		rs->cap = cap;
	}
	rs->v[rs->n++] = r;
	rc = 0;
out:
	if (rc)
		rule_free(&r);
	free(buf);
	return rc;
}

int rules_parse(struct ruleset *rs, const char *name, const char *text,
		char *err, size_t errlen)
{
	unsigned lineno = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (memchr(p, 0, len))
			return fail(err, errlen, name, lineno, "NUL byte");
		char *line = strndup(p, len);
		if (!line)
			return fail(err, errlen, name, lineno, "out of memory");
		int rc = parse_line(rs, name, lineno, line, err, errlen);
		free(line);
		if (rc)
			return -1;
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

void rules_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

const char *rule_get(const struct rule *r, const char *key)
{
	const char *v = NULL;
	for (unsigned i = 0; i < r->nkv; i++)
		if (!strcmp(r->kv[i].key, key))
			v = r->kv[i].val;
	return v;
}
