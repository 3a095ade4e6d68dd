/* The rules language: one directive a line, `#` starts a comment,
 * words separated by blanks, "double quotes" keep blanks in a word.
 *
 *   redirect PATTERN PATH      serve PATH when a program opens PATTERN
 *   backend [API=]VALUE ...    sim | passthrough | PATH, per API or for all
 *   real-lib API=PATH          the real NVIDIA library for passthrough
 *   device KEY=VALUE ...       a simulated device
 *   sim KEY=VALUE ...          simulator behaviour
 *   inject FUNC KEY=VALUE ...  fault injection
 *
 * rules/README.md is the reference.  Parsing checks every word, so a bad
 * rule is reported as FILE:LINE: message before anything runs. */
#ifndef VGPU_RULES_H
#define VGPU_RULES_H

#include <stddef.h>

enum rule_kind {
	RULE_REDIRECT,
	RULE_BACKEND,
	RULE_REAL_LIB,
	RULE_DEVICE,
	RULE_SIM,
	RULE_INJECT,
	RULE_KIND_MAX
};

enum rule_match {
	MATCH_NAME,	/* exact basename (or whole path when it has a '/') */
	MATCH_GLOB,	/* fnmatch on the basename (or whole path) */
	MATCH_SONAME,	/* the ELF SONAME of the file asked for */
};

struct rule_kv {
	char *key;
	char *val;
};

struct rule {
	enum rule_kind kind;
	char *origin;		/* "FILE:LINE", for messages and the trace */
	char **words;		/* positional words after the keyword */
	unsigned nwords;
	struct rule_kv *kv;	/* KEY=VALUE words, in order */
	unsigned nkv;
	/* RULE_REDIRECT */
	enum rule_match match;
	const char *pattern;	/* without its "soname:" prefix */
	const char *target;
};

struct ruleset {
	struct rule *v;
	size_t n, cap;
};

/* Parse TEXT (NUL-terminated) named NAME into rs, appending.  On error
 * returns -1 and writes "NAME:LINE: message" into err. */
int rules_parse(struct ruleset *rs, const char *name, const char *text,
		char *err, size_t errlen);
/* Read and parse a file (rules_file.c): it must be a regular file of at
 * most RULES_FILE_MAX bytes; errors name FILE or FILE:LINE. */
#define RULES_FILE_MAX (1u << 20)
int rules_parse_file(struct ruleset *rs, const char *path, char *err,
		     size_t errlen);
/* Every NAME.rules file of DIR, in byte order of their names; none when
 * DIR does not exist.  Where vgpu-run is root, DIR and each file must be
 * root's (or the invoking user's) and neither group- nor world-writable.
 * Errors name DIR, FILE or FILE:LINE. */
int rules_parse_dir(struct ruleset *rs, const char *dir, char *err,
		    size_t errlen);
void rules_free(struct ruleset *rs);

const char *rule_get(const struct rule *r, const char *key);
const char *rule_kind_name(enum rule_kind k);

/* "80GiB", "512M", "1048576" -> bytes; -1 when malformed. */
int rules_parse_size(const char *s, unsigned long long *out);

#endif
