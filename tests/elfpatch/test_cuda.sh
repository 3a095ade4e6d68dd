#!/usr/bin/env bash
# --cuda on a program linked against the toolkit's libcudart and the
# driver stub: the dependencies and each imported CUDA symbol with its
# library, compared with what readelf says.
. "$(dirname "$0")/../lib.sh"
EP=$BIN/vgpu-elfpatch
cuda=${CUDA_HOME:-/usr/local/cuda}
if [ ! -e "$cuda/lib64/stubs/libcuda.so" ] || [ ! -e "$cuda/lib64/libcudart.so" ]; then
	skip "cuda" "no CUDA toolkit at $cuda"; exit 0
fi
cat >"$T/p.c" <<'C'
int cuInit(unsigned);
int cudaGetDeviceCount(int *);
int main(void) { int n; cuInit(0); return cudaGetDeviceCount(&n); }
C
if ! ${CC:-cc} -o "$T/p" "$T/p.c" -L"$cuda/lib64/stubs" -L"$cuda/lib64" -lcuda -lcudart 2>"$T/log"; then
	skip "cuda" "cannot link against the toolkit: $(tail -n 1 "$T/log")"; exit 0
fi
out=$("$EP" --cuda "$T/p")
rt=$(readelf -dW "$T/p" | sed -n 's/.*\[\(libcudart[^]]*\)\].*/\1/p')
drv=$(readelf -dW "$T/p" | sed -n 's/.*\[\(libcuda\.so[^]]*\)\].*/\1/p')
check "cuda: driver dependency" grep -qx "needs $drv (CUDA driver)" <<<"$out"
check "cuda: runtime dependency" grep -qx "needs $rt (CUDA runtime)" <<<"$out"
check "cuda: cuInit from the driver" grep -q "^imports cuInit from $drv" <<<"$out"
check "cuda: cudaGetDeviceCount from the runtime" grep -q "^imports cudaGetDeviceCount from $rt" <<<"$out"
if grep -q ' printf\| main' <<<"$out"; then fail "cuda: only CUDA symbols" "$out"; else pass "cuda: only CUDA symbols"; fi
expect_eq "cuda: nothing on a plain program" "$("$EP" --cuda /bin/true 2>&1)" \
	"no CUDA, runtime or NVML dependencies"
