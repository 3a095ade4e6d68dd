/* The CUDA driver's private export tables (cuGetExportTable), by id: one
 * list of names for the simulator's notes and the report. */
#ifndef VGPU_EXPORT_TABLE_IDS_H
#define VGPU_EXPORT_TABLE_IDS_H

/* The table's name, or NULL for an id nobody here has seen asked for. */
const char *export_table_name(const unsigned char id[16]);

#endif
