/* The OCI runtime's message to a seccomp agent:
 *   {"ociVersion":..., "fds":["seccompFd"], "pid":N, "metadata":"...",
 *    "state":{"id":..., "status":..., "pid":N, "bundle":...,
 *             "annotations":{...}}}
 * Annotations and metadata are written by whoever wrote the container's
 * config (on Kubernetes, a pod's owner), so a key is taken only at its
 * own place: an annotation named "id" is skipped with the rest.  The
 * walker is bounded in depth and never reads past len. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define MAX_DEPTH 32

enum { OK = 0, MORE = 1, BAD = -1 };

struct walk {
	const char *p, *end;
	const char *why;
};

static int bad(struct walk *w, const char *why)
{
	w->why = why;
	return BAD;
}

static void blank(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' ||
				 *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

/* A string at w->p (its opening quote), into out when out is given.  An
 * escape other than a plain one, or a string longer than out, leaves
 * *clean false: such a value is never used. */
static int string(struct walk *w, char *out, size_t outlen, bool *clean)
{
	size_t n = 0;
	if (clean)
		*clean = true;
	w->p++;
	while (w->p < w->end) {
		char c = *w->p++;
		if (c == '"') {
			if (out)
				out[n] = 0;
			return OK;
		}
		if ((unsigned char)c < 0x20)
			return bad(w, "a control character in a string");
		if (c == '\\') {
			if (w->p >= w->end)
				return MORE;
			char e = *w->p++;
			const char *plain = strchr("\"\\/", e);
			if (e == 'u') {
				if (w->end - w->p < 4)
					return MORE;
				for (int i = 0; i < 4; i++)
					if (!isxdigit((unsigned char)w->p[i]))
						return bad(w, "a bad \\u escape");
				w->p += 4;
			} else if (!plain && !strchr("bfnrt", e)) {
				return bad(w, "a bad escape");
			}
			if (!plain) {
				if (clean)
					*clean = false;
				continue;
			}
			c = e;
		}
		if (out && n + 1 < outlen)
			out[n++] = c;
		else if (clean)
			*clean = false;
	}
	return MORE;
}

static int value(struct walk *w, int depth);

/* An object or array at w->p; each member's value goes to member (or is
 * skipped when member is NULL). */
static int members(struct walk *w, int depth, bool object,
		   int (*member)(struct walk *w, const char *key, int depth,
				 void *ctx),
		   void *ctx)
{
	if (depth > MAX_DEPTH)
		return bad(w, "nested too deep");
	char close = object ? '}' : ']';
	w->p++;
	blank(w);
	if (w->p < w->end && *w->p == close) {
		w->p++;
		return OK;
	}
	for (;;) {
		char key[32] = "";
		blank(w);
		if (w->p >= w->end)
			return MORE;
		if (object) {
			if (*w->p != '"')
				return bad(w, "a key that is not a string");
			bool clean;
			int r = string(w, key, sizeof(key), &clean);
			if (r)
				return r;
			if (!clean)
				key[0] = 0;
			blank(w);
			if (w->p >= w->end)
				return MORE;
			if (*w->p++ != ':')
				return bad(w, "no ':' after a key");
			blank(w);
		}
		int r = member && object ? member(w, key, depth + 1, ctx) :
					   value(w, depth + 1);
		if (r)
			return r;
		blank(w);
		if (w->p >= w->end)
			return MORE;
		char c = *w->p++;
		if (c == close)
			return OK;
		if (c != ',')
			return bad(w, "no ',' between members");
	}
}

static int value(struct walk *w, int depth)
{
	blank(w);
	if (w->p >= w->end)
		return MORE;
	char c = *w->p;
	if (c == '{' || c == '[')
		return members(w, depth, c == '{', NULL, NULL);
	if (c == '"')
		return string(w, NULL, 0, NULL);
	/* A number, true, false or null: its characters, up to a delimiter. */
	const char *start = w->p;
	while (w->p < w->end && strchr("0123456789+-.eEtrufalsn", *w->p))
		w->p++;
	if (w->p == w->end)
		return MORE;
	return w->p == start ? bad(w, "not a JSON value") : OK;
}

/* A string member into out; anything else, or an unclean string, is
 * refused (these are the values the agent acts on). */
static int take_string(struct walk *w, char *out, size_t outlen,
		       const char *what)
{
	if (w->p >= w->end)
		return MORE;
	if (*w->p != '"')
		return bad(w, what);
	bool clean;
	int r = string(w, out, outlen, &clean);
	if (r == OK && !clean)
		return bad(w, what);
	return r;
}

static int take_long(struct walk *w, long *out)
{
	const char *start = w->p;
	int r = value(w, 0);
	if (r)
		return r;
	char num[24];
	size_t n = (size_t)(w->p - start);
	if (n >= sizeof(num))
		return OK;
	memcpy(num, start, n);
	num[n] = 0;
	char *e;
	long v = strtol(num, &e, 10);
	if (*e == 0)
		*out = v;
	return OK;
}

static int state_member(struct walk *w, const char *key, int depth, void *ctx)
{
	struct oci_state *st = ctx;
	if (!strcmp(key, "id"))
		return take_string(w, st->id, sizeof(st->id),
				   "state.id is not a short plain string");
	if (!strcmp(key, "status"))
		return take_string(w, st->status, sizeof(st->status),
				   "state.status is not a short plain string");
	return value(w, depth);
}

static int top_member(struct walk *w, const char *key, int depth, void *ctx)
{
	struct oci_state *st = ctx;
	if (!strcmp(key, "state")) {
		if (w->p >= w->end)
			return MORE;
		if (*w->p != '{')
			return bad(w, "state is not an object");
		return members(w, depth, true, state_member, st);
	}
	if (!strcmp(key, "metadata")) {
		/* Only a choice of the container's: one that is not a short
		 * plain string is dropped, the container served as any. */
		if (w->p >= w->end)
			return MORE;
		if (*w->p != '"')
			return value(w, depth);
		bool clean;
		int r = string(w, st->metadata, sizeof(st->metadata), &clean);
		if (r == OK && !clean)
			st->metadata[0] = 0;
		return r;
	}
	if (!strcmp(key, "pid"))
		return take_long(w, &st->pid);
	return value(w, depth);
}

int oci_state_parse(const char *buf, size_t len, struct oci_state *st,
		    const char **why)
{
	memset(st, 0, sizeof(*st));
	st->pid = -1;
	struct walk w = { buf, buf + len, NULL };
	blank(&w);
	if (w.p >= w.end)
		return MORE;
	if (*w.p != '{') {
		*why = "not a JSON object";
		return BAD;
	}
	int r = members(&w, 0, true, top_member, st);
	if (r == BAD) {
		*why = w.why;
		return BAD;
	}
	if (r == MORE)
		return MORE;
	if (!st->id[0]) {
		*why = "no state.id";
		return BAD;
	}
	return OK;
}

bool oci_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (!n || n > OCI_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr("_.+-", id[i]))
			return false;
	return true;
}
