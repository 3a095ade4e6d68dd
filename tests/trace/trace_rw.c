/* Round trip of the trace writer and reader, and what the reader says of
 * a cut or damaged file.   trace_rw DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

static int failures;
#define EXPECT(name, cond) do { \
	if (cond) printf("PASS %s\n", name); \
	else { printf("FAIL %s: %s\n", name, #cond); failures++; } } while (0)

static enum vt_read_status read_all(const char *path, unsigned *events,
				    char *lastmsg, size_t n, char *err)
{
	struct vt_reader r;
	*events = 0;
	if (vt_reader_open(&r, path)) {
		snprintf(err, 256, "%s", r.err);
		return VT_READ_CORRUPT;
	}
	const struct vt_rec_hdr *h;
	enum vt_read_status st;
	while ((st = vt_reader_next(&r, &h)) == VT_READ_OK)
		if (h->type == VT_REC_EVENT) {
			(*events)++;
			const char *s = vt_rec_string(h, sizeof(struct vt_rec_event), 1);
			snprintf(lastmsg, n, "%s", s ? s : "(none)");
		}
	snprintf(err, 256, "%s", r.err);
	vt_reader_close(&r);
	return st;
}

int main(int argc, char **argv)
{
	char path[4096], cut[4096], bad[4096], err[256], last[256];
	unsigned events;
	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/t.trace", argv[1]);
	struct vt_writer *w = vt_writer_open(path, 0, 0);
	EXPECT("writer opens a new file", w != NULL);
	EXPECT("writer refuses an existing file", vt_writer_open(path, 0, 0) == NULL);
	for (unsigned i = 0; i < 10000; i++) {
		char num[32];
		snprintf(num, sizeof(num), "n%u", i);
		const char *strs[] = { "/usr/lib/libcuda.so.1", num };
		vt_write_event(w, VT_EV_OPEN_PASSED, 1, 2, 0, i, 2, strs);
	}
	EXPECT("writer closes", vt_writer_close(w) == 0);
	enum vt_read_status st = read_all(path, &events, last, sizeof(last), err);
	EXPECT("every event read back, clean end", st == VT_READ_EOF && events == 10000);
	EXPECT("strings read back", !strcmp(last, "n9999"));

	/* Cut in the middle of a record: readable up to the cut. */
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)len);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		return 1;
	fclose(f);
	snprintf(cut, sizeof(cut), "%s/cut.trace", argv[1]);
	f = fopen(cut, "wb");
	fwrite(buf, 1, (size_t)len / 2 + 3, f);
	fclose(f);
	st = read_all(cut, &events, last, sizeof(last), err);
	EXPECT("a cut trace is truncated, not corrupt", st == VT_READ_TRUNCATED);
	EXPECT("a cut trace keeps its whole records", events > 4000 && events < 6000);
	EXPECT("the message names the byte offset", strstr(err, "byte ") != NULL);

	/* A record size that cannot be. */
	size_t off = sizeof(struct vt_file_header) + 4;
	uint32_t huge = 0xfffffff0;
	memcpy(buf + off, &huge, 4);
	snprintf(bad, sizeof(bad), "%s/bad.trace", argv[1]);
	f = fopen(bad, "wb");
	fwrite(buf, 1, (size_t)len, f);
	fclose(f);
	st = read_all(bad, &events, last, sizeof(last), err);
	char want[64];
	snprintf(want, sizeof(want), "byte %zu: corrupt record", sizeof(struct vt_file_header));
	EXPECT("a corrupt record is an error at its offset", st == VT_READ_CORRUPT && strstr(err, want));

	memcpy(buf, "NOTATRACE", 8);
	f = fopen(bad, "wb");
	fwrite(buf, 1, (size_t)len, f);
	fclose(f);
	st = read_all(bad, &events, last, sizeof(last), err);
	EXPECT("bad magic is refused at byte 0", st == VT_READ_CORRUPT && strstr(err, "byte 0: not a vgpu-run trace"));
	free(buf);
	return failures != 0;
}
