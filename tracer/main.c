/* vgpu-run: command line, rules, then the supervisor. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "install_dirs.h"
#include "out_file.h"
#include "report.h"
#include "supervisor.h"
#include "trace_out.h"
#include "vgpu_config.h"

/* The site's rules, read after the shipped ones: SYSCONFDIR as built,
 * never relative to the binary (a build tree reads the machine's). */
#define RULES_D VGPU_PKGSYSCONFDIR "/rules.d"

/* Exit status when the trace could not be written (EX_IOERR). */
#define EXIT_TRACE_LOST 74

__attribute__((weak)) int report_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vgpu-run: report mode is not part of this build\n");
	return 2;
}

/* An anonymous trace file for -c / --report without -o: O_TMPFILE where
 * the filesystem has it, else a name unlinked at once. */
static int open_tmp_trace(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/vgpu-trace.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgpu-run [OPTIONS] -- PROGRAM [ARGS...]\n"
"       vgpu-run report [--format text|json|chrome|csv|html|summary] [-o OUT] TRACE\n"
"\n"
"Runs PROGRAM with the CUDA driver, runtime and NVML libraries it opens\n"
"served from vGPU handlers, through set-uid steps and mount namespaces.\n"
"\n"
"  -o FILE                 write the binary trace to FILE (mode 0600); %%p in\n"
"                          its name: the program's pid, %%t: the start time\n"
"                          (seconds since 1970), %%%%: a %%\n"
"      --force             replace FILE if it exists\n"
"      --compress          compress the trace with zstd (also when FILE ends\n"
"                          in .zst); report reads either kind\n"
"      --max-size SIZE     rotate at SIZE bytes (K, M, G): FILE becomes\n"
"                          FILE.1 (.1 becomes .2...) and a new FILE begins\n"
"      --max-files N       keep N files of a rotated trace (default 5)\n"
"      --trace-owner USER  as root: the trace files are USER's, and a\n"
"                          missing directory of FILE is made 0750 for USER\n"
"  -v                      print supervisor decisions on stderr (-vv: every open)\n"
"  -c                      print a call summary on stderr at exit\n"
"      --report FILE       write the full text report to FILE at exit\n"
"      --rules FILE        read rules from FILE (repeatable; before the defaults)\n"
"      --rule 'LINE'       one rule line (repeatable)\n"
"      --redirect NAME=PATH  serve PATH when the program opens NAME (glob or\n"
"                          soname:NAME allowed)\n"
"      --backend [API=]VALUE  sim, passthrough or a handler library PATH\n"
"                          (PATH alone: the APIs whose entry points it exports)\n"
"      --real-lib [API=]PATH  the real NVIDIA library for passthrough\n"
"      --no-default-rules  do not read the shipped default.rules nor\n"
"                          " RULES_D "/*.rules\n"
"      --lossy             let trace rings drop records instead of waiting\n"
"      --trace-syscalls    record opens, ioctls, mmaps of /dev/nvidia*\n"
"      --trace-export-tables  wrap cuGetExportTable slots in traced thunks\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n"
"\n"
"Exit status: the program's (128+N when signal N killed it); 2 when\n"
"vgpu-run cannot start it (bad option or rule, the trace cannot be\n"
"created); 74 when the trace could not be written while the program ran\n"
"(disk full, write error: said on stderr when it happens; the program\n"
"goes on untraced).  -o FILE is locked while vgpu-run writes it: a second\n"
"vgpu-run is refused even with --force.\n");
}

/* Every refusal before the program starts: the line that said what is
 * wrong came first (as coreutils and strace do). */
static int refused(void)
{
	fprintf(stderr, "Try 'vgpu-run --help' for more information.\n");
	return 2;
}

/* An option that names a file: "" would only fail later, by a stranger
 * message (or, for a report, after the program ran). */
static int need_file_name(const char *prog, const char *opt,
			  const char *arg)
{
	if (*arg)
		return 0;
	fprintf(stderr, "%s: %s: empty file name\n", prog, opt);
	return -1;
}

int add_rule_text(struct ruleset *rs, const char *origin, const char *text)
{
	char err[512];
	if (rules_parse(rs, origin, text, err, sizeof(err))) {
		fprintf(stderr, "vgpu-run: %s\n", err);
		return -1;
	}
	return 0;
}

/* "API=VALUE" or "VALUE" -> a rule line for KEYWORD. */
int add_keyword_rule(struct ruleset *rs, const char *opt,
		     const char *keyword, const char *arg)
{
	char line[PATH_MAX + 64];
	const char *eq = strchr(arg, '=');
	if (eq && !strchr(arg, '/') ? 1 : (eq && eq < strchr(arg, '/')))
		snprintf(line, sizeof(line), "%s %.*s=\"%s\"", keyword,
			 (int)(eq - arg), arg, eq + 1);
	else if (!strcmp(keyword, "real-lib"))
		snprintf(line, sizeof(line), "real-lib cuda=\"%s\"", arg);
	else
		snprintf(line, sizeof(line), "%s \"%s\"", keyword, arg);
	return add_rule_text(rs, opt, line);
}

int rule_option(struct supervisor *s, const char *prog, int c,
		const char *arg)
{
	char err[512];
	switch (c) {
	case OPT_NO_DEFAULT:
		s->opt.no_default_rules = true;
		return 1;
	case OPT_LOSSY:
		s->opt.lossy = true;
		return 1;
	case OPT_RULES:
		if (need_file_name(prog, "--rules", arg))
			return -1;
		if (rules_parse_file(&s->rules, arg, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", prog, err);
			return -1;
		}
		return 1;
	case OPT_RULE:
		return add_rule_text(&s->rules, "--rule", arg) ? -1 : 1;
	case OPT_BACKEND:
		return add_keyword_rule(&s->rules, "--backend", "backend",
					arg) ? -1 : 1;
	case OPT_REAL_LIB:
		return add_keyword_rule(&s->rules, "--real-lib", "real-lib",
					arg) ? -1 : 1;
	}
	return 0;
}

enum {
	OPT_FORCE = 256, OPT_REPORT, OPT_REDIRECT, OPT_TRACE_SYSCALLS, OPT_TRACE_EXPORT, OPT_VERSION, OPT_TRACE_OUT,
};

static const struct option longopts[] = {
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "report", required_argument, NULL, OPT_REPORT },
	RULE_LONGOPTS,
	{ "redirect", required_argument, NULL, OPT_REDIRECT },
	{ "trace-syscalls", no_argument, NULL, OPT_TRACE_SYSCALLS },
	{ "trace-export-tables", no_argument, NULL, OPT_TRACE_EXPORT },
	{ "compress", no_argument, NULL, OPT_TRACE_OUT },
	{ "max-size", required_argument, NULL, OPT_TRACE_OUT },
	{ "max-files", required_argument, NULL, OPT_TRACE_OUT },
	{ "trace-owner", required_argument, NULL, OPT_TRACE_OUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Said once, when the first trace write fails. */
static void trace_lost(void *arg, int err, uint64_t at)
{
	const struct supervisor *s = arg;
	fprintf(stderr, "vgpu-run: %s: the trace cannot be written at byte "
		"%llu: %s%s\n", s->opt.trace_path, (unsigned long long)at,
		strerror(err), s->child ? "; the program goes on untraced" : "");
}

/* -o FILE: created, locked and held from here to the end; the report at
 * exit reads it back through our own descriptor (*readback), never by a
 * name the program could have replaced meanwhile. */
static struct vt_writer *open_trace(struct supervisor *s, int *readback)
{
	return trace_out_open(&s->opt.trace_path, s->opt.force, s->opt.lossy,
			      readback);
}

static int parse_args(struct supervisor *s, int argc, char **argv)
{
	int c, at;
	/* getopt's own messages start with argv[0]: ours, not the path we
	 * were run by. */
	char *self = argv[0];
	argv[0] = "vgpu-run";
	while ((c = getopt_long(argc, argv, "+o:vchV", longopts, &at)) != -1) {
		switch (c) {
		case OPT_TRACE_OUT:
			if (trace_out_option(longopts[at].name, optarg))
				return -1;
			break;
		case 'o':
			if (need_file_name("vgpu-run", "-o", optarg))
				return -1;
			s->opt.trace_path = optarg;
			break;
		case 'v': s->opt.verbose++; break;
		case 'c': s->opt.summary = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V':
		case OPT_VERSION: printf("vgpu-run %s\n", VGPU_VERSION); exit(0);
		case OPT_FORCE: s->opt.force = true; break;
		case OPT_REPORT:
			if (need_file_name("vgpu-run", "--report", optarg))
				return -1;
			s->opt.report_path = optarg;
			break;
		case OPT_TRACE_SYSCALLS: s->opt.trace_syscalls = true; break;
		case OPT_TRACE_EXPORT: s->opt.trace_export_tables = true; break;
		case OPT_REDIRECT: {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1]) {
				fprintf(stderr, "vgpu-run: --redirect %s: "
					"expected NAME=PATH\n", optarg);
				return -1;
			}
			char line[PATH_MAX + 64];
			snprintf(line, sizeof(line), "redirect \"%.*s\" \"%s\"",
				 (int)(eq - optarg), optarg, eq + 1);
			if (add_rule_text(&s->rules, "--redirect", line))
				return -1;
			break;
		}
		default:
			/* getopt said which option, or the rule option did */
			if (rule_option(s, "vgpu-run", c, optarg) != 1)
				return -1;
		}
	}
	argv[0] = self;
	if (optind >= argc) {
		fprintf(stderr, "vgpu-run: no program given: vgpu-run "
			"[OPTIONS] -- PROGRAM [ARGS...]\n");
		return -1;
	}
	s->opt.argv = argv + optind;
	return trace_out_check(s->opt.trace_path);
}

/* After the options: where @lib/ points, the shipped rules, every
 * served file and backend checked and held.  Returns 0, or -1 (said on
 * stderr). */
int supervisor_load(struct supervisor *s)
{
	const char *env_libdir = getenv("VGPU_LIBDIR");
	s->libdir = env_libdir ? strdup(env_libdir) : install_dir(INSTALL_PKGLIBDIR);
	if (!s->opt.no_default_rules) {
		char path[PATH_MAX], err[512];
		const char *env_rules = getenv("VGPU_DEFAULT_RULES");
		snprintf(path, sizeof(path), "%s",
			 env_rules ? env_rules : "");
		if (!env_rules) {
			char *data = install_dir(INSTALL_PKGDATADIR);
			snprintf(path, sizeof(path), "%s/rules/default.rules",
				 data ? data : "");
			free(data);
		}
		if (access(path, R_OK) == 0 &&
		    rules_parse_file(&s->rules, path, err, sizeof(err))) {
			fprintf(stderr, "vgpu-run: %s\n", err);
			return -1;
		}
		/* The site's own rules, after the shipped ones. */
		const char *env_dir = getenv("VGPU_RULES_DIR");
		if (rules_parse_dir(&s->rules, env_dir ? env_dir : RULES_D,
				    err, sizeof(err))) {
			fprintf(stderr, "vgpu-run: %s\n", err);
			return -1;
		}
	}
	char err[1024];
	if (!s->libdir || served_files_open(s, err, sizeof(err))) {
		fprintf(stderr, "vgpu-run: %s\n", s->libdir ? err : "out of memory");
		return -1;
	}
	if (interposer_check(s))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "agent"))
		return agent_main(argc - 1, argv + 1);

	static struct supervisor s = { .listener = -1 };
	s.root = geteuid() == 0;
	if (parse_args(&s, argc, argv))
		return refused();
	if (supervisor_load(&s))
		return refused();
	/* The report file is made now, before the program runs: at exit its
	 * name may be the program's (a link it planted), our descriptor not. */
	FILE *report = NULL;
	if (s.opt.report_path && !(report = rpt_create_output(s.opt.report_path)))
		return refused();
	/* -c and --report read a trace when the program ends; without -o
	 * that trace is an unlinked temporary file, read back through
	 * /proc/self/fd. */
	char tmp_trace[64] = "";
	if (!s.opt.trace_path && (s.opt.summary || s.opt.report_path)) {
		int fd = open_tmp_trace();
		if (fd < 0) {
			fprintf(stderr, "vgpu-run: temporary trace: %s\n", strerror(errno));
			return 2;
		}
		snprintf(tmp_trace, sizeof(tmp_trace), "/proc/self/fd/%d", fd);
		/* The writer closes its own copy; fd stays open for reading
		 * back.  Neither reaches the program (close-on-exec). */
		int wfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		s.trace = wfd >= 0 ? vt_writer_fdopen(wfd, s.opt.lossy ? VT_FILE_LOSSY : 0) : NULL;
		s.opt.trace_path = tmp_trace;
		if (!s.trace) {
			fprintf(stderr, "vgpu-run: temporary trace: %s\n", strerror(errno));
			return 2;
		}
	} else if (s.opt.trace_path) {
		int rfd = -1;
		if (!(s.trace = open_trace(&s, &rfd)))
			return refused();
		if (rfd >= 0)
			snprintf(tmp_trace, sizeof(tmp_trace), "/proc/self/fd/%d", rfd);
	}
	if (s.trace) {
		vt_writer_on_error(s.trace, trace_lost, &s);
		event(&s, VT_EV_START, 0, 0, 0, (unsigned)argc,
		      (const char *const *)argv);
		/* A trace that cannot take its first record (-o /dev/full, a
		 * full disk) stops us before the program runs. */
		if (vt_writer_flush(s.trace))
			return refused();
	}
	reserved_builtin_init();
	if (interposer_init(&s))
		return refused();
	if (spawn_program(&s))
		return 1;
	trace_out_started(s.child, &s.opt.trace_path);
	/* Threads start after the fork: a fork while one held a lock
	 * (malloc's, the sanitizer's) could hang the child before exec. */
	fdpool_init(s.served, s.nserved);
	int status = notify_loop(&s);
	interposer_finish(&s);
	events_close();
	/* Any write error, the last flush's included, was said by
	 * trace_lost when it happened. */
	bool lost = s.trace && vt_writer_close(s.trace);
	if (s.opt.summary || report)
		report_at_exit(*tmp_trace ? tmp_trace : s.opt.trace_path,
			       s.opt.trace_path, s.opt.summary, report,
			       s.opt.report_path);
	if (lost) {
		fprintf(stderr, "vgpu-run: the trace %s is incomplete (see above); "
			"exiting %d instead of the program's %d\n",
			s.opt.trace_path, EXIT_TRACE_LOST, status);
		return EXIT_TRACE_LOST;
	}
	return status;
}
