/* The undo journal: every changed range's old and new bytes, written and
 * fsynced (then renamed into place) before the first byte of the file
 * changes.  Text, one range a line:
 *
 *   vgpu-elfpatch journal 1
 *   size FILESIZE
 *   range OFFSET LEN OLDHEX NEWHEX
 *   end NRANGES
 */
#ifndef VGPU_ELFPATCH_JOURNAL_H
#define VGPU_ELFPATCH_JOURNAL_H

#include <stdint.h>

#include "ranges.h"

/* 0 loaded, 1 no journal at path, -1 bad journal (err says which line). */
int journal_load(const char *path, struct ranges *out, uint64_t *size,
		 char *err, size_t errlen);
int journal_write(const char *path, uint64_t size, const struct ranges *rs,
		  char *err, size_t errlen);
/* Folds a new edit into an earlier journal so that undo still restores
 * the original: old bytes from prev where it has them, new bytes from
 * cur.  fd is the file, in the state prev left it. */
int journal_merge(int fd, const struct ranges *prev, const struct ranges *cur,
		  struct ranges *out, char *err, size_t errlen);
/* Restores the old bytes of every range, after checking that each byte
 * is still either its old or its new value (a crash may leave some of
 * each).  fsyncs the file. */
int journal_undo(int fd, const struct ranges *rs, char *err, size_t errlen);

#endif
