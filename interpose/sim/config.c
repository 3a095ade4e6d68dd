/* The simulated devices, from rules text: `device` and `sim` lines (other
 * kinds are for the supervisor and the interposer and are ignored here).
 *
 *   device name="NVIDIA H100 80GB HBM3" uuid=GPU-... cc=9.0 memory=80GiB
 *          sms=132 clock=1980 memclock=2619 buswidth=5120 pci=0000:01:00.0
 *          driver=580.65.06 cuda=13000
 *   sim launch=noop
 *
 * clock and memclock are in MHz; cuda is cuDriverGetVersion's number. */
#include "sim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"

/* The config the supervisor serves through its reserved prefix. */
#define SERVED_CONFIG "/.vgpu/config"

static const struct sim_device h100 = {
	.name = "NVIDIA H100 80GB HBM3",
	.cc_major = 9, .cc_minor = 0,
	.memory = 80ULL << 30,
	.sms = 132,
	.clock_khz = 1980000, .memclock_khz = 2619000, .buswidth = 5120,
	.pci_domain = 0, .pci_bus = 1, .pci_dev = 0,
	.pci_device_id = 0x2330,
	.driver = "580.65.06",
	.cuda_version = 13000,
};

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* A stable UUID for a device the rules did not give one: a hash of its
 * name and index, marked as a version-4 (random) UUID. */
static void default_uuid(struct sim_device *d, int index)
{
	uint64_t h1 = fnv1a(d->name, strlen(d->name), 0xcbf29ce484222325ULL);
	h1 = fnv1a(&index, sizeof(index), h1);
	uint64_t h2 = fnv1a(&h1, sizeof(h1), 0x84222325cbf29ce4ULL);
	memcpy(d->uuid, &h1, 8);
	memcpy(d->uuid + 8, &h2, 8);
	d->uuid[6] = (unsigned char)((d->uuid[6] & 0x0f) | 0x40);
	d->uuid[8] = (unsigned char)((d->uuid[8] & 0x3f) | 0x80);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", prefix and dashes optional. */
static int parse_uuid(const char *s, unsigned char out[16])
{
	if (strncmp(s, "GPU-", 4) == 0)
		s += 4;
	int n = 0;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		int hi = hexval(s[0]), lo = s[1] ? hexval(s[1]) : -1;
		if (hi < 0 || lo < 0 || n == 16)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s++;
	}
	return n == 16 ? 0 : -1;
}

/* "0000:01:00.0" or "01:00.0"; the function must be 0. */
static int parse_pci(const char *s, struct sim_device *d)
{
	unsigned dom = 0, bus, dev, fn;
	char tail;
	if (sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return -1;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn != 0)
		return -1;
	d->pci_domain = dom;
	d->pci_bus = bus;
	d->pci_dev = dev;
	return 0;
}

static int parse_cc(const char *s, struct sim_device *d)
{
	int maj, min;
	char tail;
	if (sscanf(s, "%d.%d%c", &maj, &min, &tail) != 2 || maj < 1 ||
	    maj > 99 || min < 0 || min > 9)
		return -1;
	d->cc_major = maj;
	d->cc_minor = min;
	return 0;
}

static int device_from_rule(const struct rule *r, struct sim_device *d,
			    int index, char *err, size_t errlen)
{
	*d = h100;
	d->pci_bus = (unsigned)index + 1;
	bool have_uuid = false;
	for (unsigned i = 0; i < r->nkv; i++) {
		const char *k = r->kv[i].key, *v = r->kv[i].val;
		unsigned long long n = strtoull(v, NULL, 10);
		int bad = 0;
		if (!strcmp(k, "name")) {
			if (strlen(v) >= sizeof(d->name))
				bad = 1;
			else
				strcpy(d->name, v);
		} else if (!strcmp(k, "uuid")) {
			bad = parse_uuid(v, d->uuid);
			have_uuid = true;
		} else if (!strcmp(k, "cc")) {
			bad = parse_cc(v, d);
		} else if (!strcmp(k, "memory")) {
			bad = rules_parse_size(v, &d->memory) || d->memory == 0;
		} else if (!strcmp(k, "sms")) {
			bad = n == 0 || n > 4096;
			d->sms = (int)n;
		} else if (!strcmp(k, "clock")) {
			bad = n == 0 || n > 100000;
			d->clock_khz = (int)n * 1000;
		} else if (!strcmp(k, "memclock")) {
			bad = n == 0 || n > 100000;
			d->memclock_khz = (int)n * 1000;
		} else if (!strcmp(k, "buswidth")) {
			bad = n == 0 || n > 65536;
			d->buswidth = (int)n;
		} else if (!strcmp(k, "pci")) {
			bad = parse_pci(v, d);
		} else if (!strcmp(k, "driver")) {
			if (strlen(v) >= sizeof(d->driver))
				bad = 1;
			else
				strcpy(d->driver, v);
		} else if (!strcmp(k, "cuda")) {
			bad = n < 1000 || n > 99000;
			d->cuda_version = (int)n;
		}
		/* "index" orders devices; handled by the caller. */
		if (bad) {
			snprintf(err, errlen, "%s: bad device %s=%s", r->origin,
				 k, v);
			return -1;
		}
	}
	if (!have_uuid)
		default_uuid(d, index);
	return 0;
}

int sim_config_parse(struct sim_config *c, const char *name, const char *text,
		     char *err, size_t errlen)
{
	struct ruleset rs = { 0 };
	memset(c, 0, sizeof(*c));
	if (rules_parse(&rs, name, text, err, errlen) < 0) {
		rules_free(&rs);
		return -1;
	}
	int rc = 0, have_device_rule = 0;
	for (size_t i = 0; i < rs.n && rc == 0; i++) {
		const struct rule *r = &rs.v[i];
		if (r->kind == RULE_SIM) {
			const char *l = rule_get(r, "launch");
			if (l && !strcmp(l, "noop")) {
				c->launch_noop = true;
			} else if (l && strcmp(l, "unsupported")) {
				snprintf(err, errlen,
					 "%s: sim launch=%s: expected noop or unsupported",
					 r->origin, l);
				rc = -1;
			}
		} else if (r->kind == RULE_DEVICE) {
			have_device_rule = 1;
			if (c->ndev == SIM_MAX_DEVICES) {
				snprintf(err, errlen, "%s: more than %d devices",
					 r->origin, SIM_MAX_DEVICES);
				rc = -1;
				break;
			}
			const char *ix = rule_get(r, "index");
			int slot = ix ? atoi(ix) : c->ndev;
			if (slot != c->ndev) {
				snprintf(err, errlen,
					 "%s: index=%s but this is device %d",
					 r->origin, ix, c->ndev);
				rc = -1;
				break;
			}
			rc = device_from_rule(r, &c->dev[c->ndev], c->ndev, err,
					      errlen);
			c->ndev++;
		}
	}
	rules_free(&rs);
	if (rc == 0 && !have_device_rule) {
		c->dev[0] = h100;
		default_uuid(&c->dev[0], 0);
		c->ndev = 1;
	}
	/* The devices, not the text: vgpu-run serves each process a config
	 * with its own header comment, and they must share one state file. */
	c->hash = fnv1a(c->dev, sizeof(c->dev[0]) * (size_t)c->ndev,
			0xcbf29ce484222325ULL);
	snprintf(c->source, sizeof(c->source), "%s", name);
	return rc;
}

static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				break;
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[len] = 0;
			return buf;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

static struct sim_config config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

static void config_load(void)
{
	const char *name = SERVED_CONFIG;
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (name = getenv("VGPU_RULES")) && *name)
		fd = open(name, O_RDONLY | O_CLOEXEC);
	char *text = NULL;
	if (fd >= 0) {
		text = read_all(fd);
		close(fd);
		if (!text)
			fprintf(stderr, "vgpu-sim: %s: cannot read: %s\n", name,
				strerror(errno));
	} else if (name) {
		fprintf(stderr, "vgpu-sim: %s: %s\n", name, strerror(errno));
	}
	if (!text) {
		/* Missing or unreadable rules: the default device, as if the
		 * rules were empty. */
		name = "(default)";
		text = strdup("");
		if (!text)
			return;
	}
	char err[512];
	if (sim_config_parse(&config, name, text, err, sizeof(err)) < 0) {
		fprintf(stderr, "vgpu-sim: %s\n", err);
		config.ndev = 0;
	}
	free(text);
}

const struct sim_config *sim_config(void)
{
	pthread_once(&config_once, config_load);
	return &config;
}

void sim_uuid_string(const unsigned char u[16], char *buf, size_t len)
{
	snprintf(buf, len,
		 "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

void sim_pci_string(const struct sim_device *d, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.0", d->pci_domain, d->pci_bus,
		 d->pci_dev);
}

typedef int (*trace_note_fn)(const char *);

#define NOTE_MAX_OBJECTS 256

struct loaded {
	char *names[NOTE_MAX_OBJECTS];
	unsigned n;
};

static int collect_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct loaded *l = arg;
	if (info->dlpi_name && info->dlpi_name[0] && l->n < NOTE_MAX_OBJECTS)
		l->names[l->n++] = strdup(info->dlpi_name);
	return 0;
}

/* The interposer's vgpu_trace_note.  A program that dlopens libcuda.so.1
 * without RTLD_GLOBAL (NVIDIA's static runtime does) keeps it out of the
 * global scope, so each loaded object is asked by handle too (after the
 * walk: dlopen inside dl_iterate_phdr's callback would take the loader's
 * locks in the other order). */
static trace_note_fn find_trace_note(void)
{
	trace_note_fn fn = (trace_note_fn)dlsym(RTLD_DEFAULT, "vgpu_trace_note");
	if (fn)
		return fn;
	struct loaded l = { .n = 0 };
	dl_iterate_phdr(collect_object, &l);
	for (unsigned i = 0; i < l.n; i++) {
		void *h = l.names[i] && !fn ?
			  dlopen(l.names[i], RTLD_LAZY | RTLD_NOLOAD) : NULL;
		if (h) {
			fn = (trace_note_fn)dlsym(h, "vgpu_trace_note");
			dlclose(h);	/* NOLOAD: it stays loaded */
		}
		free(l.names[i]);
	}
	return fn;
}

void sim_note(const char *fmt, ...)
{
	static trace_note_fn hook;
	static int looked;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
		/* Resolved lazily: the interposer may load after us. */
		hook = find_trace_note();
		__atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
	}
	/* 0: not tracing; then stderr, as without an interposer. */
	if (hook && hook(msg))
		return;
	/* Without a trace, each distinct note once: a program that launches
	 * a million kernels should not print a million lines. */
	static uint64_t seen[32];
	static unsigned nseen;
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	uint64_t h = fnv1a(msg, strlen(msg), 0xcbf29ce484222325ULL);
	bool fresh = true;
	pthread_mutex_lock(&mu);
	for (unsigned i = 0; i < nseen; i++)
		fresh &= seen[i] != h;
	if (fresh && nseen < 32)
		seen[nseen++] = h;
	pthread_mutex_unlock(&mu);
	if (fresh)
		fprintf(stderr, "vgpu-sim: %s\n", msg);
}
