#!/usr/bin/env bash
# Modules from real nvcc output: kernels and their parameter sizes read
# from a fat binary, a cubin and PTX; an nvcc-built program's launch
# through our runtime (registration entry points) and through NVIDIA's
# runtime on our driver: CUDA_ERROR_NOT_SUPPORTED, or success with
# `sim launch=noop`.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

CUDA=${CUDA_HOME:-/usr/local/cuda}
NVCC=$CUDA/bin/nvcc
if [ ! -x "$NVCC" ]; then
	skip "modules from nvcc" "no $NVCC"
	exit 0
fi
src=$VGPU_ROOT/tests/sim
"$NVCC" -arch=sm_90 -fatbin -o "$T/k.fatbin" "$src/kernels.cu" &&
"$NVCC" -arch=sm_90 -cubin -o "$T/k.cubin" "$src/kernels.cu" &&
"$NVCC" -arch=sm_90 -ptx -o "$T/k.ptx" "$src/kernels.cu" ||
	{ fail nvcc "cannot compile kernels.cu"; exit 0; }
# int, double, char, float4, struct {double; char}, pointer
want="param 0 offset 0 size 4
param 1 offset 8 size 8
param 2 offset 16 size 1
param 3 offset 32 size 16
param 4 offset 48 size 16
param 5 offset 64 size 8"
export LD_LIBRARY_PATH=$SIMDIR
mangled=_Z4addkidc6float41SPi
expect_eq "fat binary: parameter sizes from .nv.info" "$("$SIM_CHECK" params "$T/k.fatbin" $mangled 2>&1)" "$want"
expect_eq "cubin: parameter sizes from .nv.info" "$("$SIM_CHECK" params "$T/k.cubin" $mangled 2>&1)" "$want"
expect_eq "cubin: a kernel without parameters" "$("$SIM_CHECK" params "$T/k.cubin" _Z4nonev 2>&1)" ""
expect_eq "PTX: the kernel is found" "$("$SIM_CHECK" params "$T/k.ptx" _Z4nonev 2>&1)" ""
expect_eq "unknown kernel" "$("$SIM_CHECK" params "$T/k.fatbin" nosuch 2>&1)" "function 500"
printf 'device cc=8.0\n' > "$T/ampere"
expect_eq "sm_90 code on a cc 8.0 device" "$(VGPU_RULES=$T/ampere "$SIM_CHECK" params "$T/k.fatbin" $mangled 2>/dev/null)" "load 209"

"$NVCC" -arch=sm_90 -cudart shared -o "$T/app" "$src/app.cu" || { fail nvcc "cannot build app.cu"; exit 0; }
unsupported="malloc cudaSuccess
launch cudaErrorNotSupported
after cudaSuccess
sync cudaSuccess
symbol cudaSuccess cudaSuccess 1 4"
expect_eq "nvcc program on our runtime: launch not supported" "$("$T/app" 2>/dev/null)" "$unsupported"
note=$("$T/app" 2>&1 >/dev/null)
expect_eq "the launch says why" "$note" \
	"vgpu-sim: launch of _Z4fillPii: the simulated GPU runs no kernels (the rule \`sim launch=noop\` makes launches succeed)"
printf 'sim launch=noop\n' > "$T/noop"
expect_eq "nvcc program on our runtime, launch=noop" "$(VGPU_RULES=$T/noop "$T/app" 2>&1)" \
	"${unsupported/launch cudaErrorNotSupported/launch cudaSuccess}"
mkdir "$T/drv" && ln -s "$SIMDIR/libcuda.so.1" "$T/drv/"
expect_eq "nvcc program on NVIDIA's runtime and our driver" \
	"$(LD_LIBRARY_PATH=$T/drv "$T/app" 2>/dev/null)" "$unsupported"
