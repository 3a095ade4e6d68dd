/* The CUDA driver's private export tables (cuGetExportTable), by id: one
 * list of names for the simulator's notes and the report. */
#ifndef VGPU_EXPORT_TABLE_IDS_H
#define VGPU_EXPORT_TABLE_IDS_H

/* An id as its 16 bytes, written as the 8-4-4-4-12 form's hex pairs. */
#define UUID(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)              \
	{ 0x##a, 0x##b, 0x##c, 0x##d, 0x##e, 0x##f, 0x##g, 0x##h, 0x##i,     \
	  0x##j, 0x##k, 0x##l, 0x##m, 0x##n, 0x##o, 0x##p }

/* The table's name, or NULL for an id nobody here has seen asked for. */
const char *export_table_name(const unsigned char id[16]);

#endif
