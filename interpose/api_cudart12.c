/* libcudart.so.12 */
#include "interposer.h"

const struct vgpu_api vgpu_api = {
	.api = VT_API_CUDART12, .key = "cudart12",
	.not_supported = 801,	/* cudaErrorNotSupported */
};
