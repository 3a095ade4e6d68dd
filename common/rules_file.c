/* Reading a rules file: a regular file of bounded size, read without
 * waiting (a FIFO or a device named by --rules is refused, not read until
 * memory runs out or for ever). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out_file.h"
#include "rules.h"

int rules_parse_file(struct ruleset *rs, const char *path, char *err,
		     size_t errlen)
{
	int fd = open_regular_bounded(path, RULES_FILE_MAX, 0, err, errlen);
	if (fd < 0)
		return -1;
	/* One byte more than the cap: a file that grew since fstat. */
	char *text = malloc(RULES_FILE_MAX + 2);
	size_t len = 0;
	int rc = -1;
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len <= RULES_FILE_MAX) {
		ssize_t k = read(fd, text + len, RULES_FILE_MAX + 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(err, errlen, "%s: read error: %s", path,
				 strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (len > RULES_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path,
			 RULES_FILE_MAX);
		goto out;
	}
	text[len] = 0;
	size_t nul = strlen(text);
	if (nul != len) {
		unsigned line = 1;
		for (size_t i = 0; i < nul; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "%s:%u: NUL byte", path, line);
		goto out;
	}
	rc = rules_parse(rs, path, text, err, errlen);
out:
	free(text);
	close(fd);
	return rc;
}
