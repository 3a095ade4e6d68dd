#include "export_tables.h"

#include <stddef.h>

const void *sim_export_table(const CUuuid *id)
{
	return NULL;
}
