/* Reading a cubin's .nv.info attribute records and the resource usage
 * (registers, stack, shared memory, launch bounds, architecture) that
 * ptxas recorded for each kernel. */
#ifndef VGPU_SIM_CUBIN_INFO_H
#define VGPU_SIM_CUBIN_INFO_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>

#include "driver.h"

/* One record: u8 format, u8 attribute, then for format EIFMT_SVAL a u16
 * size and that many bytes (val, len), else a u16 value (sval; for
 * EIFMT_SVAL records sval is the size). */
#define EIFMT_SVAL 4
struct nv_info_rec {
	unsigned fmt, attr, sval;
	const unsigned char *val;
	size_t len;
};
/* The record at *pos of an .nv.info section of len bytes, advancing *pos;
 * false at the end or at a truncated record. */
bool nv_info_next(const unsigned char *p, size_t len, size_t *pos,
		  struct nv_info_rec *r);

/* Fill the resource fields of the n kernels in k that e describes. */
void sim_cubin_resources(Elf *e, size_t shstrndx, struct sim_kernel *k, int n);

#endif
