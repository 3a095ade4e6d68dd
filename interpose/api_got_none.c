/* Libraries without the GOT route (runtime, NVML): nothing to do. */
#include "interposer.h"

void vgpu_got_init(void)
{
}
