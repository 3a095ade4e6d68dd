/* libnvidia-ml.so.1 */
#include "interposer.h"

const struct vgpu_api vgpu_api = {
	.api = VT_API_NVML, .key = "nvml",
	.not_supported = 3,	/* NVML_ERROR_NOT_SUPPORTED */
};
