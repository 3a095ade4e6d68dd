/* cuGetExportTable: the private tables NVIDIA's runtime asks the driver
 * for, by UUID.  See export_tables.c for which ones the simulator answers
 * and why. */
#ifndef VGPU_SIM_EXPORT_TABLES_H
#define VGPU_SIM_EXPORT_TABLES_H

#include "cuda_types.h"

/* The table for id, or NULL when the simulator has none. */
const void *sim_export_table(const CUuuid *id);
/* What the table is ("tools context"), answered or not; NULL if unknown. */
const char *sim_export_table_name(const CUuuid *id);

#endif
