/* Opens COUNT distinct long paths that do not exist, so that vgpu-run
 * writes one trace event of about LEN bytes for each, then says DONE on
 * stderr and exits 0: a program that fills a trace's disk.
 *   io_open_many COUNT LEN */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long count = atol(argv[1]), len = atol(argv[2]);
	char path[4096];
	if (len < 32 || len > (long)sizeof(path) - 64)
		return 2;
	size_t n = (size_t)snprintf(path, sizeof(path), "/nonexistent");
	while ((long)n < len) {
		path[n++] = '/';
		for (int i = 0; i < 200 && (long)n < len; i++)
			path[n++] = 'a';
	}
	for (long i = 0; i < count; i++) {
		snprintf(path + n, sizeof(path) - n, "/%ld.so", i);
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	fprintf(stderr, "DONE\n");
	return 0;
}
