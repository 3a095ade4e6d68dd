/* Opens COUNT distinct long paths that do not exist, so that vgpu-run
 * writes one trace event of about LEN bytes for each, then says DONE on
 * stderr and exits 0: a program that fills a trace's disk.
 *   io_open_many COUNT LEN [random]
 * With "random" every path is LEN bytes of random hex, which a
 * compressor cannot shrink much (a compressed trace's disk fills too). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* "/nonexistent" then LEN bytes of hex in components of 200. */
static bool random_path(char *path, long len)
{
	unsigned char r[2048];
	size_t n = (size_t)snprintf(path, 64, "/nonexistent/");
	if (getrandom(r, (size_t)len / 2, 0) != len / 2)
		return false;
	for (long k = 0; k < len / 2; k++) {
		if (k && k % 100 == 0)
			path[n++] = '/';
		n += (size_t)sprintf(path + n, "%02x", r[k]);
	}
	return true;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 4 && !strcmp(argv[3], "random")))
		return 2;
	bool rnd = argc == 4;
	long count = atol(argv[1]), len = atol(argv[2]);
	char path[4096];
	if (len < 32 || len > (long)sizeof(path) - 64)
		return 2;
	size_t n = (size_t)snprintf(path, sizeof(path), "/nonexistent");
	while (!rnd && (long)n < len) {
		path[n++] = '/';
		for (int i = 0; i < 200 && (long)n < len; i++)
			path[n++] = 'a';
	}
	for (long i = 0; i < count; i++) {
		if (rnd ? !random_path(path, len) :
			  snprintf(path + n, sizeof(path) - n, "/%ld.so", i) < 0)
			return 1;
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	fprintf(stderr, "DONE\n");
	return 0;
}
