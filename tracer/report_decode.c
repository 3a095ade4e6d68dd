/* The decode table: argument names and types per function, loaded from
 * common/api_decode.txt (built in; format described at its top). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char builtin_table[] =
#include "api_decode.inc"
	;

enum { FAM_CUDA, FAM_CUDART, FAM_NVML, FAM_MAX };
static const char *const fam_names[FAM_MAX] = { "cuda", "cudart", "nvml" };

static struct dec_func *table[FAM_MAX];
static size_t ntable[FAM_MAX];
static char *table_text;	/* names point into it */
static bool loaded;

static const struct { const char *name; enum dec_type t; } type_names[] = {
	{ "int", DEC_INT }, { "uint", DEC_UINT }, { "size", DEC_SIZE },
	{ "ptr", DEC_PTR }, { "handle", DEC_HANDLE }, { "str", DEC_STR },
	{ "dev", DEC_DEV }, { "flags", DEC_FLAGS }, { "version", DEC_VERSION },
	{ "dim3", DEC_DIM3 }, { "CUresult", DEC_CURESULT },
	{ "cudaError_t", DEC_CUDAERROR }, { "nvmlReturn_t", DEC_NVMLRETURN },
	{ "CUdevice_attribute", DEC_CUATTR },
	{ "cudaMemcpyKind", DEC_MEMCPYKIND }, { "void", DEC_VOID },
	{ "status", DEC_STATUS },
};

static int type_by_name(const char *s, enum dec_type *t)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(type_names[i].name, s)) {
			*t = type_names[i].t;
			return 0;
		}
	return -1;
}

static int fam_by_name(const char *s)
{
	for (int i = 0; i < FAM_MAX; i++)
		if (!strcmp(fam_names[i], s))
			return i;
	return -1;
}

static const struct dec_func *find_in(int fam, const char *name)
{
	for (size_t i = 0; i < ntable[fam]; i++)
		if (!strcmp(table[fam][i].name, name))
			return &table[fam][i];
	return NULL;
}

/* One line, already split into NUL-terminated fields. */
static int parse_line(char **fld, unsigned nf, struct dec_func *d, int *fam,
		      char *err, size_t errlen)
{
	*fam = fam_by_name(fld[0]);
	if (*fam < 0) {
		snprintf(err, errlen, "unknown API '%s' (cuda, cudart, nvml)", fld[0]);
		return -1;
	}
	if (nf < 2) {
		snprintf(err, errlen, "no function name");
		return -1;
	}
	memset(d, 0, sizeof(*d));
	d->name = fld[1];
	d->ret = DEC_STATUS;
	unsigned i = 2, nout = 0;
	if (i < nf && fld[i][0] == '=') {
		if (type_by_name(fld[i] + 1, &d->ret)) {
			snprintf(err, errlen, "unknown return type '%s'", fld[i] + 1);
			return -1;
		}
		i++;
	}
	for (; i < nf; i++) {
		char *a = fld[i];
		struct dec_arg *arg = &d->args[d->nargs];
		if (d->nargs == DEC_MAX_ARGS) {
			snprintf(err, errlen, "more than %d arguments", DEC_MAX_ARGS);
			return -1;
		}
		bool out = a[0] == '>';
		if (out)
			a++;
		char *colon = strchr(a, ':');
		if (!colon || colon == a || !colon[1]) {
			snprintf(err, errlen, "argument '%s': expected NAME:TYPE", fld[i]);
			return -1;
		}
		*colon = 0;
		char *type = colon + 1, *slash = strchr(type, '/');
		if (out != (slash != NULL)) {
			snprintf(err, errlen, "argument '%s': an out-parameter is "
				 ">NAME:TYPE/WIDTH, an input NAME:TYPE", a);
			return -1;
		}
		if (slash) {
			*slash = 0;
			int w = atoi(slash + 1);
			if (w != 1 && w != 2 && w != 4 && w != 8) {
				snprintf(err, errlen, "argument '%s': width must be "
					 "1, 2, 4 or 8", a);
				return -1;
			}
			if (++nout > 4) {
				snprintf(err, errlen, "more than 4 out-parameters");
				return -1;
			}
			arg->out_width = (uint8_t)w;
		}
		if (type_by_name(type, &arg->type) || arg->type == DEC_VOID ||
		    arg->type == DEC_STATUS) {
			snprintf(err, errlen, "argument '%s': unknown type '%s'", a, type);
			return -1;
		}
		arg->name = a;
		d->nargs++;
	}
	if (find_in(*fam, d->name)) {
		snprintf(err, errlen, "%s listed twice", d->name);
		return -1;
	}
	return 0;
}

static int parse_table(char *text, const char *file, char *err, size_t errlen)
{
	unsigned lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *fld[DEC_MAX_ARGS + 4];
		unsigned nf = 0;
		for (char *tok = strtok(line, " \t\r"); tok;
		     tok = strtok(NULL, " \t\r")) {
			if (nf == sizeof(fld) / sizeof(fld[0])) {
				snprintf(err, errlen, "%s:%u: too many fields", file, lineno);
				return -1;
			}
			fld[nf++] = tok;
		}
		if (!nf)
			continue;
		struct dec_func d;
		int fam;
		char msg[256];
		if (parse_line(fld, nf, &d, &fam, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%u: %s", file, lineno, msg);
			return -1;
		}
		struct dec_func *nt = realloc(table[fam], (ntable[fam] + 1) * sizeof(d));
		if (!nt) {
			snprintf(err, errlen, "%s: out of memory", file);
			return -1;
		}
		table[fam] = nt;
		table[fam][ntable[fam]++] = d;
	}
	return 0;
}

static void unload(void)
{
	for (int i = 0; i < FAM_MAX; i++) {
		free(table[i]);
		table[i] = NULL;
		ntable[i] = 0;
	}
	free(table_text);
	table_text = NULL;
	loaded = false;
}

int dec_load(const char *file, char *err, size_t errlen)
{
	unload();
	if (file) {
		FILE *f = fopen(file, "re");
		if (!f) {
			snprintf(err, errlen, "%s: %s", file, strerror(errno));
			return -1;
		}
		size_t cap = 1 << 16, n = 0;
		table_text = rpt_calloc(1, cap + 1);
		size_t k;
		while ((k = fread(table_text + n, 1, cap - n, f)) > 0) {
			n += k;
			if (n == cap) {
				char *nt = realloc(table_text, 2 * cap + 1);
				if (!nt)
					abort();
				table_text = nt;
				cap *= 2;
			}
		}
		fclose(f);
		table_text[n] = 0;
	} else {
		table_text = rpt_strdup(builtin_table);
		file = "api_decode.txt";
	}
	if (parse_table(table_text, file, err, errlen)) {
		unload();
		return -1;
	}
	loaded = true;
	return 0;
}

const char *dec_family(uint32_t api)
{
	switch (api) {
	case VT_API_CUDA: return "cuda";
	case VT_API_CUDART12: case VT_API_CUDART13: return "cudart";
	case VT_API_NVML: return "nvml";
	default: return NULL;
	}
}

const struct dec_func *dec_find(uint32_t api, const char *name)
{
	const char *fam = dec_family(api);
	if (!fam || !name)
		return NULL;
	if (!loaded) {
		char err[256];
		if (dec_load(NULL, err, sizeof(err)))
			return NULL;
	}
	return find_in(fam_by_name(fam), name);
}

static enum dec_type status_type(uint32_t api)
{
	switch (api) {
	case VT_API_CUDA: return DEC_CURESULT;
	case VT_API_CUDART12: case VT_API_CUDART13: return DEC_CUDAERROR;
	case VT_API_NVML: return DEC_NVMLRETURN;
	default: return DEC_PTR;
	}
}

/* Appends v, decoded as t, at buf+n; returns the running count (see
 * rpt_put_str).  Called for every argument of every call of a trace. */
static size_t put_value(enum dec_type t, uint64_t v, char *buf, size_t len,
			size_t n)
{
	const char *name;
	char tmp[64];
	switch (t) {
	case DEC_INT: case DEC_DEV:
		return rpt_put_i64(buf, len, n, (int)(uint32_t)v);
	case DEC_UINT:
		return rpt_put_u64(buf, len, n, (unsigned)v);
	case DEC_SIZE:
		n = rpt_put_u64(buf, len, n, v);
		if (v >= (1ull << 20) && !(v & ((1ull << 20) - 1))) {
			n = rpt_put_str(buf, len, n, " (");
			n = rpt_put_u64(buf, len, n, v >> 20);
			n = rpt_put_str(buf, len, n, " MiB)");
		}
		return n;
	case DEC_VERSION:
		snprintf(tmp, sizeof(tmp), "%d (%d.%d)", (int)v, (int)v / 1000,
			 (int)(v % 1000) / 10);
		return rpt_put_str(buf, len, n, tmp);
	case DEC_FLAGS:
		return rpt_put_hex(buf, len, n, v);
	case DEC_CURESULT: case DEC_CUDAERROR: case DEC_NVMLRETURN:
	case DEC_CUATTR: case DEC_MEMCPYKIND:
		name = rpt_code_name(t, (int)v);
		if (!name)
			return rpt_put_i64(buf, len, n, (int)v);
		n = rpt_put_str(buf, len, n, name);
		n = rpt_put_str(buf, len, n, " (");
		n = rpt_put_i64(buf, len, n, (int)v);
		return rpt_put_str(buf, len, n, ")");
	case DEC_PTR: case DEC_HANDLE: case DEC_STR: default:
		return v ? rpt_put_hex(buf, len, n, v) :
			   rpt_put_str(buf, len, n, "NULL");
	}
}

static void format_value(enum dec_type t, uint64_t v, char *buf, size_t len)
{
	if (len)
		buf[0] = 0;
	put_value(t, v, buf, len, 0);
}

void dec_format_args(const struct dec_func *d, const uint64_t args[6],
		     const uint64_t *out, unsigned nout, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	if (!d) {
		for (unsigned i = 0; i < 6 && n < len; i++) {
			if (i)
				n = rpt_put_str(buf, len, n, ", ");
			n = rpt_put_hex(buf, len, n, args[i]);
		}
		return;
	}
	unsigned reg = 0, k = 0;
	for (unsigned i = 0; i < d->nargs && n < len; i++) {
		const struct dec_arg *a = &d->args[i];
		if (i)
			n = rpt_put_str(buf, len, n, ", ");
		n = rpt_put_str(buf, len, n, a->name);
		if (reg >= 6) {
			n = rpt_put_str(buf, len, n, "=?");
			continue;
		}
		n = rpt_put_str(buf, len, n, "=");
		if (a->type == DEC_DIM3) {
			char val[128];
			uint64_t lo = args[reg], hi = reg + 1 < 6 ? args[reg + 1] : 0;
			snprintf(val, sizeof(val), "(%u,%u,%u)", (unsigned)lo,
				 (unsigned)(lo >> 32), (unsigned)hi);
			n = rpt_put_str(buf, len, n, val);
			reg += 2;
		} else if (a->out_width) {
			if (k < nout && out) {
				uint64_t x = out[k];
				if (a->out_width < 8)
					x &= (1ull << (8 * a->out_width)) - 1;
				n = rpt_put_str(buf, len, n, "&");
				n = put_value(a->type, x, buf, len, n);
			} else {
				n = put_value(DEC_PTR, args[reg], buf, len, n);
			}
			k++;
			reg++;
		} else {
			n = put_value(a->type, args[reg++], buf, len, n);
		}
	}
	if (n >= len && len > 4)
		strcpy(buf + len - 4, "...");
}

void dec_format_ret(uint32_t api, const struct dec_func *d, uint64_t ret,
		    char *buf, size_t len)
{
	enum dec_type t = d ? d->ret : (dec_family(api) ? DEC_STATUS : DEC_PTR);
	if (t == DEC_STATUS)
		t = status_type(api);
	if (t == DEC_VOID)
		snprintf(buf, len, "void");
	else
		format_value(t, ret, buf, len);
}

bool dec_is_error(uint32_t api, const struct dec_func *d, uint64_t ret)
{
	if (!dec_family(api))
		return false;
	if (d && d->ret != DEC_STATUS)
		return false;
	/* Status codes are 32-bit enums; the upper register half is junk. */
	return (uint32_t)ret != 0;
}
