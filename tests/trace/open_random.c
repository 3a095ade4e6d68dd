/* Opens COUNT paths that do not exist, each LEN bytes of random hex, so
 * vgpu-run writes one trace event of about LEN bytes for each that a
 * compressor cannot shrink much; then says DONE on stderr and exits 0.
 *   open_random COUNT LEN */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long count = atol(argv[1]), len = atol(argv[2]);
	char path[4096];
	if (len < 32 || len > (long)sizeof(path) - 64)
		return 2;
	for (long i = 0; i < count; i++) {
		unsigned char r[2048];
		size_t n = (size_t)snprintf(path, sizeof(path), "/nonexistent/");
		if (getrandom(r, (size_t)len / 2, 0) != len / 2)
			return 1;
		for (long k = 0; k < len / 2; k++) {
			/* a component at most 200 bytes long */
			if (k && k % 100 == 0)
				path[n++] = '/';
			n += (size_t)sprintf(path + n, "%02x", r[k]);
		}
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	fputs("DONE\n", stderr);
	return 0;
}
