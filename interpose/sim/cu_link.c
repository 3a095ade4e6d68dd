/* Driver API: the JIT linker (cuLink*).  The simulator has no PTX
 * compiler or device linker, so it links nothing; the calls exist because
 * libraries resolve them at start-up (cuBLASLt refuses to initialise when
 * one is missing) and only link when a kernel must be built at run time. */
#include "driver.h"

static CUresult no_linker(const char *fn)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	sim_note("%s: the simulator has no JIT linker (PTX compiler and "
		 "device linker are not simulated): CUDA_ERROR_NOT_SUPPORTED", fn);
	return CUDA_ERROR_NOT_SUPPORTED;
}

/* Forms of one name share the argument list; _v2 (6.5) changed only how
 * options are handled. */
#define LINK_CALL(name, params)                         \
	SIM_API CUresult name params { return no_linker(#name); }

LINK_CALL(cuLinkCreate, (unsigned n, void *opts, void **vals, void **state))
LINK_CALL(cuLinkCreate_v2, (unsigned n, void *opts, void **vals, void **state))
LINK_CALL(cuLinkAddData, (void *state, int type, void *data, size_t size,
			  const char *name, unsigned n, void *opts, void **vals))
LINK_CALL(cuLinkAddData_v2, (void *state, int type, void *data, size_t size,
			     const char *name, unsigned n, void *opts,
			     void **vals))
LINK_CALL(cuLinkAddFile, (void *state, int type, const char *path, unsigned n,
			  void *opts, void **vals))
LINK_CALL(cuLinkAddFile_v2, (void *state, int type, const char *path,
			     unsigned n, void *opts, void **vals))
LINK_CALL(cuLinkComplete, (void *state, void **cubin, size_t *size))
LINK_CALL(cuLinkDestroy, (void *state))
