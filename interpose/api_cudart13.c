/* libcudart.so.13 */
#include "interposer.h"

const struct vgpu_api vgpu_api = {
	.api = VT_API_CUDART13, .key = "cudart13",
	.not_supported = 801,	/* cudaErrorNotSupported */
};
