/* Driver API: CUDA graphs.  The simulator has no graphs: no graph can be
 * created (stream capture is refused too, see cu_capture.c), so every
 * graph call answers CUDA_ERROR_NOT_SUPPORTED with a note.  The names
 * exist because libraries resolve them at start-up (cuBLASLt refuses to
 * initialise when one is missing) and use them only on request. */
#include "driver.h"

static CUresult no_graphs(const char *fn)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	sim_note("%s: the simulator has no CUDA graphs "
		 "(graph creation and stream capture are not simulated): "
		 "CUDA_ERROR_NOT_SUPPORTED", fn);
	return CUDA_ERROR_NOT_SUPPORTED;
}

#define GRAPH_CALL(name, params)                        \
	SIM_API CUresult name params { return no_graphs(#name); }

typedef void *graph_t;		/* CUgraph, CUgraphExec, CUgraphNode */

GRAPH_CALL(cuGraphCreate, (graph_t *g, unsigned flags))
GRAPH_CALL(cuGraphDestroy, (graph_t g))
GRAPH_CALL(cuGraphGetNodes, (graph_t g, graph_t *nodes, size_t *n))
GRAPH_CALL(cuGraphNodeGetType, (graph_t node, int *type))
/* v1 and v2: (exec *, graph, CUgraphNode *errNode, char *log, size_t). */
GRAPH_CALL(cuGraphInstantiate, (graph_t *e, graph_t g, graph_t *err_node,
				char *log, size_t log_size))
GRAPH_CALL(cuGraphInstantiate_v2, (graph_t *e, graph_t g, graph_t *err_node,
				   char *log, size_t log_size))
GRAPH_CALL(cuGraphInstantiateWithFlags, (graph_t *e, graph_t g,
					 unsigned long long flags))
GRAPH_CALL(cuGraphInstantiateWithParams, (graph_t *e, graph_t g, void *params))
GRAPH_CALL(cuGraphInstantiateWithParams_ptsz, (graph_t *e, graph_t g,
					       void *params))
GRAPH_CALL(cuGraphLaunch, (graph_t e, CUstream s))
GRAPH_CALL(cuGraphLaunch_ptsz, (graph_t e, CUstream s))
GRAPH_CALL(cuGraphExecDestroy, (graph_t e))
/* v1 CUDA_KERNEL_NODE_PARAMS_v1; v2 (12.0) appends CUkernel and CUcontext. */
GRAPH_CALL(cuGraphKernelNodeGetParams, (graph_t node, void *params))
GRAPH_CALL(cuGraphKernelNodeGetParams_v2, (graph_t node, void *params))
GRAPH_CALL(cuGraphExecKernelNodeSetParams, (graph_t e, graph_t node,
					    const void *params))
GRAPH_CALL(cuGraphExecKernelNodeSetParams_v2, (graph_t e, graph_t node,
					       const void *params))
