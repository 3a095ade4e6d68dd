/* MD2 as RFC 1319 defines it. */
#include "md2.h"

#include <string.h>

/* RFC 1319's permutation of 0..255 built from the digits of pi. */
static const unsigned char S[256] = {
	41, 46, 67, 201, 162, 216, 124, 1, 61, 54, 84, 161, 236, 240, 6, 19,
	98, 167, 5, 243, 192, 199, 115, 140, 152, 147, 43, 217, 188, 76, 130,
	202, 30, 155, 87, 60, 253, 212, 224, 22, 103, 66, 111, 24, 138, 23,
	229, 18, 190, 78, 196, 214, 218, 158, 222, 73, 160, 251, 245, 142, 187,
	47, 238, 122, 169, 104, 121, 145, 21, 178, 7, 63, 148, 194, 16, 137,
	11, 34, 95, 33, 128, 127, 93, 154, 90, 144, 50, 39, 53, 62, 204, 231,
	191, 247, 151, 3, 255, 25, 48, 179, 72, 165, 181, 209, 215, 94, 146,
	42, 172, 86, 170, 198, 79, 184, 56, 210, 150, 164, 125, 182, 118, 252,
	107, 226, 156, 116, 4, 241, 69, 157, 112, 89, 100, 113, 135, 32, 134,
	91, 207, 101, 230, 45, 168, 2, 27, 96, 37, 173, 174, 176, 185, 246, 28,
	70, 97, 105, 52, 64, 126, 15, 85, 71, 163, 35, 221, 81, 175, 58, 195,
	92, 249, 206, 186, 197, 234, 38, 44, 83, 13, 110, 133, 40, 132, 9, 211,
	223, 205, 244, 65, 129, 77, 82, 106, 220, 55, 200, 108, 193, 171, 250,
	36, 225, 123, 8, 12, 189, 177, 74, 120, 136, 149, 139, 227, 99, 232,
	109, 233, 203, 213, 254, 59, 0, 29, 57, 242, 239, 183, 14, 102, 88, 208,
	228, 166, 119, 114, 248, 235, 117, 75, 10, 49, 68, 80, 180, 143, 237,
	31, 26, 219, 153, 141, 51, 159, 17, 131, 20,
};

void md2_init(struct md2 *m)
{
	memset(m, 0, sizeof(*m));
}

/* The block sits in x[16..31]; mix it into the state and checksum. */
static void block(struct md2 *m)
{
	for (int j = 0; j < 16; j++) {
		m->c[j] ^= S[m->x[16 + j] ^ m->l];
		m->l = m->c[j];
		m->x[32 + j] = m->x[16 + j] ^ m->x[j];
	}
	unsigned t = 0;
	for (int j = 0; j < 18; j++) {
		for (int k = 0; k < 48; k++)
			t = m->x[k] ^= S[t];
		t = (t + (unsigned)j) & 0xff;
	}
}

void md2_update(struct md2 *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len--) {
		m->x[16 + m->n++] = *p++;
		if (m->n == 16) {
			block(m);
			m->n = 0;
		}
	}
}

void md2_final(struct md2 *m, unsigned char digest[16])
{
	unsigned char pad[16], sum[16];
	unsigned char k = (unsigned char)(16 - m->n);
	memset(pad, k, k);
	md2_update(m, pad, k);
	memcpy(sum, m->c, 16);
	md2_update(m, sum, 16);
	memcpy(digest, m->x, 16);
}

static void keyed(struct md2 *m, const unsigned char key[16], unsigned char x)
{
	unsigned char k[16];
	for (int i = 0; i < 16; i++)
		k[i] = key[i] ^ x;
	md2_init(m);
	md2_update(m, k, 16);
}

void hmac_md2_init(struct md2 *m, const unsigned char key[16])
{
	keyed(m, key, 0x36);
}

void hmac_md2_final(struct md2 *m, const unsigned char key[16],
		    unsigned char digest[16])
{
	unsigned char inner[16];
	md2_final(m, inner);
	keyed(m, key, 0x5c);
	md2_update(m, inner, 16);
	md2_final(m, digest);
}
