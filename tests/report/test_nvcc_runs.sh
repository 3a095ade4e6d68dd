#!/usr/bin/env bash
# Reports of nvcc-built programs on the simulator, the runs a new user
# makes first: NVIDIA's runtime linked into the program (nvcc's default)
# resolves its whole table through cuGetProcAddress_v2 and asks for export
# tables, which the report counts as probes and uses to recognise that
# runtime; the simulator's note on the launch it refuses reaches the
# trace, also from a libcuda.so.1 the runtime opened RTLD_LOCAL.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
CUDA=${CUDA_HOME:-/usr/local/cuda}
NVCC=$CUDA/bin/nvcc
if [ ! -x "$NVCC" ]; then skip "reports of nvcc programs" "no $NVCC"; exit 0; fi
cat >"$T/dq.cu" <<'CU'
#include <cstdio>
#include <cuda_runtime.h>
__global__ void fill(int *p) { p[0] = 1; }
int main() {
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	cudaDeviceProp prop;
	for (int i = 0; i < n; i++)
		cudaGetDeviceProperties(&prop, i);
	int *d;
	cudaMalloc(&d, 4);
	fill<<<1, 1>>>(d);
	printf("count %d %d launch %d\n", n, (int)e, (int)cudaGetLastError());
	cudaFree(d);
	return 0;
}
CU
"$NVCC" -arch=sm_90 -o "$T/static" "$T/dq.cu" &&
"$NVCC" -arch=sm_90 -cudart shared -Xlinker -rpath,"$CUDA/lib64" -o "$T/shared" "$T/dq.cu" ||
	{ fail nvcc "cannot build the program"; exit 0; }
run() {	# name: runs $T/name under the simulator into $T/name.trace
	timeout 60 "$BIN/vgpu-run" --backend sim -o "$T/$1.trace" -- "$T/$1" \
		>"$T/$1.out" 2>"$T/$1.err"
}
note='launch of _Z4fillPi: the simulated GPU runs no kernels'

run static; rc=$?
expect_eq "static runtime: runs on the simulator" "$rc:$(cat "$T/static.out")" "0:count 1 0 launch 801"
out=$(report "$T/static.trace")
read -r calls errors probes <<<"$(awk '$10 == "cuGetProcAddress_v2" { print $3, $4, $11 }' <<<"$out" | tr -d '[')"
check "static runtime: hundreds of look-ups, the not-found ones probes ($calls, $probes), no errors" \
	test "${calls:-0}" -ge 200 -a "${probes:-0}" -ge 100 -a "${errors:-1}" = 0
expect_eq "static runtime: the only failure is the launch" \
	"$(sed -n 's/^[0-9]* calls, \([0-9]*\) failed.*/\1/p' <<<"$out")" 1
diag=$(sed -n '/^== Diagnosis/,/^== Call sites/p' <<<"$out")
expect_eq "static runtime: no look-up in the diagnosis" \
	"$(grep -cE '^\* cuGetProcAddress|^\* cuGetExportTable' <<<"$diag")" 0
check "static runtime: recognised" grep -qE '^\* the program carries a statically linked CUDA [0-9]+\.[0-9] runtime' <<<"$diag"
check "static runtime: not called driver-API-only" \
	bash -c '! grep -qF "does not link the CUDA runtime" <<<"$0"' "$diag"
check "static runtime: export tables by id and name" \
	grep -qF '  6bd5fb6c-5bf4-e74a-8987-d93912fd9df9 (runtime interface): 1 request(s), found' <<<"$out"
check "static runtime: the simulator's note is with the launch" \
	grep -qF "* cuLaunchKernel returned CUDA_ERROR_NOT_SUPPORTED (801); the simulator says: $note" <<<"$diag"
check "static runtime: the note went into the trace, not to stderr" \
	bash -c '! grep -qF "vgpu-sim:" "$0"' "$T/static.err"

run shared; rc=$?
expect_eq "shared runtime: runs on the simulator" "$rc:$(cat "$T/shared.out")" "0:count 1 0 launch 801"
out=$(report "$T/shared.trace")
expect_eq "shared runtime: __cudaLaunchKernel's failure is counted" \
	"$(awk '$NF == "__cudaLaunchKernel" { print $3, $4 }' <<<"$out")" "1 1"
check "shared runtime: the simulator's note in the trace" \
	grep -qE "^in (__cudaLaunchKernel|cuLaunchKernel) \(pid [0-9]+ tid [0-9]+, .*\): $note" <<<"$out"
check "shared runtime: not taken for a static runtime" \
	bash -c '! grep -qF "statically linked" <<<"$0"' "$out"

# Not tracing: the note is said on stderr, as without vgpu-run.
timeout 60 "$BIN/vgpu-run" --backend sim -- "$T/static" >/dev/null 2>"$T/plain.err"
check "without a trace the note goes to stderr" grep -qF "vgpu-sim: $note" "$T/plain.err"
