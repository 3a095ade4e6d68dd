/* MD2 (RFC 1319) and HMAC-MD2 (RFC 2104 over MD2's 16-byte blocks): the
 * keyed hash NVIDIA's runtime uses to check its driver (export_tables.c). */
#ifndef VGPU_SIM_MD2_H
#define VGPU_SIM_MD2_H

#include <stddef.h>

struct md2 {
	unsigned char x[48];	/* state, block, state ^ block */
	unsigned char c[16];	/* checksum */
	unsigned char l;	/* last checksum byte */
	unsigned char n;	/* bytes in the current block */
};

void md2_init(struct md2 *m);
void md2_update(struct md2 *m, const void *data, size_t len);
void md2_final(struct md2 *m, unsigned char digest[16]);

/* HMAC-MD2 in two parts so callers can stream the message. */
void hmac_md2_init(struct md2 *m, const unsigned char key[16]);
void hmac_md2_final(struct md2 *m, const unsigned char key[16],
		    unsigned char digest[16]);

#endif
