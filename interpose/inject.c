/* Fault injection: `inject FUNC error=NAME|NUMBER [when=N] [every=K]`.
 * when=N alone fails call N only; every=K alone fails calls K, 2K, ...;
 * both fail N, N+K, N+2K, ...; neither fails every call.  Calls count per
 * rule, through every thunk of that name (exported or handed out by
 * cuGetProcAddress). */
#include <stdlib.h>
#include <string.h>

#include "cuda_names.h"
#include "interposer.h"
#include "rules.h"

struct vgpu_inject {
	char *func;
	uint64_t code;
	uint64_t when, every;
	atomic_uint_fast64_t calls;
};

#define MAX_RULES 64
static struct vgpu_inject rules[MAX_RULES];
static unsigned nrules;

/* Until common/cuda_names.c is part of the build, numbers only. */
__attribute__((weak)) int cuda_code_by_name(const char *name, int *code);

static bool parse_num(const char *s, uint64_t *v)
{
	char *end;
	if (!s || !*s)
		return false;
	*v = strtoull(s, &end, 0);
	return !*end;
}

void vgpu_inject_load(const char *text)
{
	if (!text)
		return;
	struct ruleset rs = { 0 };
	char err[256];
	if (rules_parse(&rs, "config", text, err, sizeof(err))) {
		vgpu_log("vgpu: %s", err);
		return;
	}
	for (size_t i = 0; i < rs.n && nrules < MAX_RULES; i++) {
		const struct rule *r = &rs.v[i];
		if (r->kind != RULE_INJECT || !r->nwords)
			continue;
		struct vgpu_inject *in = &rules[nrules];
		const char *e = rule_get(r, "error");
		int code;
		if (e && cuda_code_by_name && cuda_code_by_name(e, &code) == 0)
			in->code = (uint64_t)(int64_t)code;
		else if (!parse_num(e, &in->code)) {
			vgpu_log("vgpu: %s: inject %s: unknown error '%s'",
				 r->origin, r->words[0], e ? e : "");
			continue;
		}
		if ((rule_get(r, "when") && !parse_num(rule_get(r, "when"), &in->when)) ||
		    (rule_get(r, "every") && !parse_num(rule_get(r, "every"), &in->every))) {
			vgpu_log("vgpu: %s: inject %s: bad when/every", r->origin,
				 r->words[0]);
			continue;
		}
		in->func = strdup(r->words[0]);
		if (in->func)
			nrules++;
	}
	rules_free(&rs);
}

struct vgpu_inject *vgpu_inject_for(const char *name)
{
	for (unsigned i = 0; i < nrules; i++)
		if (!strcmp(rules[i].func, name))
			return &rules[i];
	return NULL;
}

bool vgpu_inject_fires(struct vgpu_inject *in, uint64_t *code)
{
	uint64_t n = atomic_fetch_add(&in->calls, 1) + 1;
	bool fire;
	if (in->when && in->every)
		fire = n >= in->when && (n - in->when) % in->every == 0;
	else if (in->when)
		fire = n == in->when;
	else if (in->every)
		fire = n % in->every == 0;
	else
		fire = true;
	if (fire)
		*code = in->code;
	return fire;
}
