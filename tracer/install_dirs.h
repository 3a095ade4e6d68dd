/* Where vgpu-run's own libraries and data are installed. */
#ifndef VGPU_INSTALL_DIRS_H
#define VGPU_INSTALL_DIRS_H

enum install_dir {
	INSTALL_PKGLIBDIR,	/* the interposer libraries, sim/ below */
	INSTALL_PKGDATADIR,	/* rules/default.rules */
};

/* The directory, malloc'd (NULL: out of memory).  Found beside our own
 * binary first, as the configured BINDIR is to it, so a moved install
 * tree works; then in the build tree's layout; else the configured
 * absolute path, named even when missing so the error says where. */
char *install_dir(enum install_dir which);

/* The path from directory FROM to directory TO, both absolute
 * ("/usr/bin", "/usr/lib/vgpu" -> "../lib/vgpu"); NULL when either is
 * relative or on no memory. */
char *relative_dir(const char *from, const char *to);

#endif
