/* vgpu-elfpatch: inspect and patch DT_NEEDED, DT_SONAME and DT_RUNPATH in
 * place.  The file's size never changes; only the bytes of the edited
 * fields are written, after a journal of their old values is on disk. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cuda_deps.h"
#include "edit.h"
#include "journal.h"
#include "verify.h"
#include "vgpu_config.h"

enum op_kind { OP_PRINT_NEEDED, OP_PRINT_SONAME, OP_PRINT_RPATH,
	       OP_PRINT_INTERP, OP_CUDA, OP_REPLACE, OP_ADD, OP_REMOVE,
	       OP_SONAME, OP_RPATH };

struct op { enum op_kind kind; const char *a, *b; };

struct opts {
	struct op *ops;
	size_t nops;
	bool force_rpath, dry_run, undo, no_journal, verify, verbose;
	const char *journal;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgpu-elfpatch [OPTIONS] FILE...\n"
"\n"
"Inspects and edits the dynamic section of 64-bit little-endian ELF files\n"
"in place: the size never changes, only the edited fields are written,\n"
"and a journal of the old bytes is kept for --undo.\n"
"\n"
"  --print-needed          the DT_NEEDED libraries, one a line\n"
"  --print-soname          DT_SONAME\n"
"  --print-rpath           DT_RUNPATH, else DT_RPATH\n"
"  --print-interpreter     PT_INTERP\n"
"  --cuda                  CUDA, runtime and NVML dependencies and imports\n"
"  --replace-needed OLD NEW  rename a dependency (and its version needs)\n"
"  --add-needed NAME       add a dependency, first in the list\n"
"  --remove-needed NAME    drop a dependency\n"
"  --set-soname NAME       set DT_SONAME\n"
"  --set-rpath PATH        set DT_RUNPATH (DT_RPATH with --force-rpath)\n"
"  --force-rpath           write DT_RPATH instead of DT_RUNPATH\n"
"  --dry-run               print every byte range an edit would change\n"
"  --journal PATH          journal file (default FILE.vgpu-elfpatch)\n"
"  --no-journal            do not keep a journal\n"
"  --undo                  restore the bytes the journal recorded\n"
"  --verify                after an edit, ask ld.so to load the file\n"
"  -v, --verbose           say what an edit, --undo or --verify did (silent\n"
"                          on success otherwise, as patchelf)\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n");
}

static void errf(const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vgpu-elfpatch: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *journal_path(const struct opts *o, const char *path)
{
	char *j;
	if (o->journal)
		return strdup(o->journal);
	return asprintf(&j, "%s.vgpu-elfpatch", path) < 0 ? NULL : j;
}

/* Test hook (see README): die by SIGKILL at a named point of a write. */
static void maybe_stop(const char *point)
{
	const char *s = getenv("VGPU_ELFPATCH_TEST_KILL_AT");
	if (s && !strcmp(s, point))
		raise(SIGKILL);
}

static int undo_file(const struct opts *o, const char *path, const char *pfx)
{
	char err[512];
	char *jp = journal_path(o, path);
	struct ranges rs = { 0 };
	uint64_t size = 0;
	int rc = jp ? journal_load(jp, &rs, &size, err, sizeof(err)) : -1;
	if (rc) {
		if (rc == 1)
			errf(path, "no journal %s to undo", jp);
		else
			errf(path, "%s", err);
		free(jp);
		ranges_free(&rs);
		return 1;
	}
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	rc = 1;
	if (fd < 0)
		errf(path, "cannot open for writing: %s", strerror(errno));
	else if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		errf(path, "not a regular file");
	else if ((uint64_t)st.st_size != size)
		errf(path, "size %lld differs from the journal's %llu: not the "
		     "file it recorded", (long long)st.st_size,
		     (unsigned long long)size);
	else if (flock(fd, LOCK_EX | LOCK_NB))
		errf(path, "locked by another vgpu-elfpatch");
	else if (journal_undo(fd, &rs, err, sizeof(err)))
		errf(path, "%s", err);
	else
		rc = 0;
	if (!rc) {
		unlink(jp);
		if (o->verbose)
			printf("%srestored %zu bytes in %zu ranges from %s\n", pfx,
		       ranges_bytes(&rs), rs.n, jp);
	}
	if (fd >= 0)
		close(fd);
	free(jp);
	ranges_free(&rs);
	return rc;
}

static int print_op(const struct op *op, const struct elf_image *im,
		    const char *path, const char *pfx)
{
	const char *s = NULL;
	switch (op->kind) {
	case OP_PRINT_NEEDED:
		for (size_t i = 0; i < im->dyn_live; i++)
			if (im->dyn[i].d_tag == DT_NEEDED)
				printf("%s%s\n", pfx, elf_image_str(im, im->dyn[i].d_un.d_val));
		return 0;
	case OP_PRINT_SONAME:
	case OP_PRINT_RPATH:
		for (size_t i = 0; i < im->dyn_live; i++) {
			int64_t t = im->dyn[i].d_tag;
			if ((op->kind == OP_PRINT_SONAME && t == DT_SONAME) ||
			    (op->kind == OP_PRINT_RPATH && t == DT_RUNPATH) ||
			    (op->kind == OP_PRINT_RPATH && t == DT_RPATH && !s))
				s = elf_image_str(im, im->dyn[i].d_un.d_val);
		}
		if (!s && op->kind == OP_PRINT_SONAME) {
			errf(path, "no DT_SONAME");
			return 1;
		}
		printf("%s%s\n", pfx, s ? s : "");
		return 0;
	case OP_PRINT_INTERP:
		if (!im->interp) {
			errf(path, "no PT_INTERP (not a dynamically linked executable)");
			return 1;
		}
		printf("%s%s\n", pfx, im->interp);
		return 0;
	case OP_CUDA:
		print_cuda_deps(im, pfx);
		return 0;
	default:
		return 0;
	}
}

static int apply_op(struct edit *ed, const struct op *op, const struct opts *o,
		    char *err, size_t errlen)
{
	switch (op->kind) {
	case OP_REPLACE: return edit_replace_needed(ed, op->a, op->b, err, errlen);
	case OP_ADD: return edit_add_needed(ed, op->a, err, errlen);
	case OP_REMOVE: return edit_remove_needed(ed, op->a, err, errlen);
	case OP_SONAME: return edit_set_soname(ed, op->a, err, errlen);
	case OP_RPATH: return edit_set_rpath(ed, op->a, o->force_rpath, err, errlen);
	default: return 0;
	}
}

/* Journal, write, read back.  The file is unchanged unless this returns
 * 0 or a journal names what to restore. */
static int write_edit(const struct opts *o, int fd, const char *path,
		      uint64_t size, const struct ranges *rs)
{
	char err[512];
	char *jp = journal_path(o, path);
	struct ranges prev = { 0 }, merged = { 0 };
	uint64_t psize = 0;
	int rc = 1;
	if (!jp)
		goto out;
	int have = journal_load(jp, &prev, &psize, err, sizeof(err));
	if (have < 0) {
		errf(path, "%s", err);
		goto out;
	}
	if (have == 0 && o->no_journal) {
		errf(path, "a journal of an earlier edit exists (%s): --undo it or "
		     "remove it before editing without one", jp);
		goto out;
	}
	if (have == 0 && psize != size) {
		errf(path, "journal %s is for a file of %llu bytes, not this one",
		     jp, (unsigned long long)psize);
		goto out;
	}
	if (!o->no_journal) {
		/* prev is empty when there was no journal: then this only
		 * copies rs. */
		if (journal_merge(fd, &prev, rs, &merged, err, sizeof(err))) {
			errf(path, "%s", err);
			goto out;
		}
		if (journal_write(jp, size, &merged, err, sizeof(err))) {
			errf(path, "%s; file unchanged", err);
			goto out;
		}
	}
	maybe_stop("journal");
	for (size_t i = 0; i < rs->n; i++) {
		const struct range *r = &rs->r[i];
		if (pwrite(fd, r->new_, r->len, (off_t)r->off) != (ssize_t)r->len) {
			errf(path, "write at 0x%llx failed: %s; restore with --undo",
			     (unsigned long long)r->off, strerror(errno));
			goto out;
		}
		if (i == 0)
			maybe_stop("first-write");
	}
	if (fsync(fd)) {
		errf(path, "fsync: %s; restore with --undo", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(jp);
	ranges_free(&prev);
	ranges_free(&merged);
	return rc;
}

/* Re-reads the file from disk and compares it with the plan. */
static int reread_check(int fd, const char *path, const char *want)
{
	char err[512];
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	struct elf_image im;
	int rc = 1;
	if (!e || elf_image_open(&im, e, err, sizeof(err))) {
		errf(path, "re-read after writing failed: %s; restore with --undo",
		     e ? err : elf_errmsg(-1));
	} else {
		char *got = view_of_image(&im);
		if (got && !strcmp(got, want))
			rc = 0;
		else
			errf(path, "re-read after writing differs from the plan; "
			     "restore with --undo");
		free(got);
	}
	if (e) {
		elf_image_close(&im);
		elf_end(e);
	}
	return rc;
}

static int process(const struct opts *o, const char *path, const char *pfx)
{
	if (o->undo)
		return undo_file(o, path, pfx);
	bool edits = false;
	for (size_t i = 0; i < o->nops; i++)
		edits |= o->ops[i].kind >= OP_REPLACE;
	bool writing = edits && !o->dry_run;
	/* O_NONBLOCK: a FIFO is refused below instead of waited on. */
	int fd = open(path, (writing ? O_RDWR : O_RDONLY) | O_NONBLOCK |
		      O_CLOEXEC);
	if (fd < 0) {
		errf(path, "cannot open%s: %s", writing ? " for writing" : "",
		     strerror(errno));
		return 1;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		errf(path, "not a regular file");
		close(fd);
		return 1;
	}
	if (writing && flock(fd, LOCK_EX | LOCK_NB)) {
		errf(path, "locked by another vgpu-elfpatch");
		close(fd);
		return 1;
	}
	char err[512];
	int rc = 0;
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	struct elf_image im;
	memset(&im, 0, sizeof(im));
	struct edit ed;
	memset(&ed, 0, sizeof(ed));
	struct ranges rs = { 0 };
	char *want = NULL;
	if (!e || elf_kind(e) != ELF_K_ELF) {
		errf(path, "not an ELF file");
		rc = 1;
		goto out;
	}
	if (elf_image_open(&im, e, err, sizeof(err))) {
		errf(path, "%s", err);
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < o->nops; i++)
		rc |= print_op(&o->ops[i], &im, path, pfx);
	if (!edits)
		goto out;
	if (edit_init(&ed, &im)) {
		errf(path, "out of memory or unreadable version structures");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < o->nops; i++)
		if (apply_op(&ed, &o->ops[i], o, err, sizeof(err))) {
			errf(path, "%s; file unchanged", err);
			rc = 1;
			goto out;
		}
	if (edit_finish(&ed, &rs, err, sizeof(err))) {
		errf(path, "%s; file unchanged", err);
		rc = 1;
		goto out;
	}
	/* --dry-run is asked for this text; a real edit says it with -v. */
	bool say = o->verbose || o->dry_run;
	for (size_t i = 0; say && i < ed.nnotes; i++)
		printf("%s%s\n", pfx, ed.notes[i]);
	if (!rs.n && !say)
		goto out;
	if (o->dry_run || !rs.n) {
		ranges_print(stdout, pfx, &rs);
		printf("%s%s %zu bytes in %zu ranges\n", pfx,
		       rs.n ? "would change" : "nothing to change:", ranges_bytes(&rs),
		       rs.n);
		goto out;
	}
	want = view_of_edit(&ed);
	if (!want) {
		rc = 1;
		goto out;
	}
	if (write_edit(o, fd, path, (uint64_t)st.st_size, &rs) ||
	    reread_check(fd, path, want)) {
		rc = 1;
		goto out;
	}
	if (o->verbose) {
		ranges_print(stdout, pfx, &rs);
		printf("%schanged %zu bytes in %zu ranges\n", pfx,
		       ranges_bytes(&rs), rs.n);
	}
	if (o->verify) {
		const char *interp = im.interp;
		/* Libraries have none: use the one this program runs under. */
		static char self[4096];
		if (!interp) {
			int sfd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
			Elf *se = sfd >= 0 ? elf_begin(sfd, ELF_C_READ_MMAP, NULL) : NULL;
			struct elf_image sim;
			if (se && !elf_image_open(&sim, se, err, sizeof(err)) && sim.interp)
				snprintf(self, sizeof(self), "%s", sim.interp);
			if (se) {
				elf_image_close(&sim);
				elf_end(se);
			}
			if (sfd >= 0)
				close(sfd);
			interp = self;
		}
		/* im.interp points into the old mapping, which the write may
		 * have changed: PT_INTERP is never edited, so it still holds. */
		if (!*interp || verify_with_loader(path, interp, pfx, o->verbose))
			rc = 1;
	}
out:
	free(want);
	ranges_free(&rs);
	edit_free(&ed);
	elf_image_close(&im);
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_PN = 256, O_PS, O_PR, O_PI, O_CU, O_RN, O_AN, O_XN, O_SS, O_SR,
	       O_FR, O_DRY, O_J, O_NJ, O_UNDO, O_VER, O_VERSION };
	static const struct option lo[] = {
		{ "print-needed", no_argument, 0, O_PN },
		{ "print-soname", no_argument, 0, O_PS },
		{ "print-rpath", no_argument, 0, O_PR },
		{ "print-interpreter", no_argument, 0, O_PI },
		{ "cuda", no_argument, 0, O_CU },
		{ "replace-needed", required_argument, 0, O_RN },
		{ "add-needed", required_argument, 0, O_AN },
		{ "remove-needed", required_argument, 0, O_XN },
		{ "set-soname", required_argument, 0, O_SS },
		{ "set-rpath", required_argument, 0, O_SR },
		{ "force-rpath", no_argument, 0, O_FR },
		{ "dry-run", no_argument, 0, O_DRY },
		{ "journal", required_argument, 0, O_J },
		{ "no-journal", no_argument, 0, O_NJ },
		{ "undo", no_argument, 0, O_UNDO },
		{ "verify", no_argument, 0, O_VER },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, O_VERSION },
		{ 0, 0, 0, 0 },
	};
	struct opts o = { 0 };
	o.ops = calloc((size_t)argc, sizeof(*o.ops));
	if (!o.ops)
		return 2;
	int c;
	while ((c = getopt_long(argc, argv, "hvV", lo, NULL)) != -1) {
		struct op *op = &o.ops[o.nops];
		switch (c) {
		case O_PN: op->kind = OP_PRINT_NEEDED; o.nops++; break;
		case O_PS: op->kind = OP_PRINT_SONAME; o.nops++; break;
		case O_PR: op->kind = OP_PRINT_RPATH; o.nops++; break;
		case O_PI: op->kind = OP_PRINT_INTERP; o.nops++; break;
		case O_CU: op->kind = OP_CUDA; o.nops++; break;
		case O_RN:
			if (optind >= argc) {
				fprintf(stderr, "vgpu-elfpatch: --replace-needed needs OLD NEW\n");
				return 2;
			}
			*op = (struct op){ OP_REPLACE, optarg, argv[optind++] };
			o.nops++;
			break;
		case O_AN: *op = (struct op){ OP_ADD, optarg, 0 }; o.nops++; break;
		case O_XN: *op = (struct op){ OP_REMOVE, optarg, 0 }; o.nops++; break;
		case O_SS: *op = (struct op){ OP_SONAME, optarg, 0 }; o.nops++; break;
		case O_SR: *op = (struct op){ OP_RPATH, optarg, 0 }; o.nops++; break;
		case O_FR: o.force_rpath = true; break;
		case O_DRY: o.dry_run = true; break;
		case O_J: o.journal = optarg; break;
		case O_NJ: o.no_journal = true; break;
		case O_UNDO: o.undo = true; break;
		case O_VER: o.verify = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); free(o.ops); return 0;
		case 'V':
		case O_VERSION:
			printf("vgpu-elfpatch %s\n", VGPU_VERSION);
			free(o.ops);
			return 0;
		default: usage(stderr); free(o.ops); return 2;
		}
	}
	if (optind >= argc || (!o.nops && !o.undo)) {
		usage(stderr);
		return 2;
	}
	if (o.journal && argc - optind > 1) {
		fprintf(stderr, "vgpu-elfpatch: --journal names one file's journal; "
			"give one FILE\n");
		return 2;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "vgpu-elfpatch: libelf is too old\n");
		return 2;
	}
	int rc = 0;
	bool many = argc - optind > 1;
	for (int i = optind; i < argc; i++) {
		char *pfx = NULL;
		if (many && asprintf(&pfx, "%s: ", argv[i]) < 0)
			return 2;
		rc |= process(&o, argv[i], pfx ? pfx : "");
		free(pfx);
	}
	free(o.ops);
	return rc;
}
