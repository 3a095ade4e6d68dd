#!/usr/bin/env bash
# Compressed fat binary entries (nvcc -Xfatbin -compress-all): zstd
# ("default", "size") and LZ4 ("speed") entries decode and their kernels
# are found by name with their parameters, through cuModuleLoadData and
# cuLibraryLoadData alike.  A corrupt or truncated entry is refused with a
# note naming it, or skipped when another entry fits.  And cuBLAS, whose
# images are all compressed, initialises under vgpu-run and on the sim's
# libraries alone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

CUDA=${CUDA_HOME:-/usr/local/cuda}
NVCC=$CUDA/bin/nvcc
if [ ! -x "$NVCC" ]; then
	skip "compressed fat binaries" "no $NVCC"
	exit 0
fi
cc_test "$T/fatbin_load" "$VGPU_ROOT/tests/sim/fatbin_load.c" -ldl ||
	{ fail fatbin_load "cannot build tests/sim/fatbin_load.c"; exit 0; }
export LD_LIBRARY_PATH=$SIMDIR
load() { timeout 60 "$T/fatbin_load" "$@"; }

cat >"$T/k.cu" <<'EOF'
struct S { double a; char b; };
__global__ void addk(int n, double x, char c, float4 v, S s, int *p) { if (p) p[0] = n; }
static __global__ void hidden(int *p) { *p = 1; }
void use(int *p) { hidden<<<1, 1>>>(p); }
EOF
addk=_Z4addkidc6float41SPi
# int, double, char, float4, struct {double; char}, pointer: the
# parameters come from the cubin's .nv.info, so the cubin was decoded.
addk_params="param 0 offset 0 size 4
param 1 offset 8 size 8
param 2 offset 16 size 1
param 3 offset 32 size 16
param 4 offset 48 size 16
param 5 offset 64 size 8"
loaded() { printf 'module 0\nfunction 0\n%s%slibrary 0\nkernel 0' "$1" "${1:+$'\n'}"; }

# Little-endian fields of the image (fatbin.c has the layout).
rd() { od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' '; }
wr32() {
	local v=$3
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $((v >> 8 & 255)) \
		$((v >> 16 & 255)) $((v >> 24 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
wr64() { wr32 "$1" "$2" $(($3 & 0xffffffff)); wr32 "$1" $(($2 + 4)) $(($3 >> 32)); }
# entry FILE N: byte offset of entry N of the first container.
entry() {
	local e=$(( $(rd "$1" 6 2) ))
	for ((i = 0; i < $2; i++)); do
		e=$((e + $(rd "$1" $((e + 4)) 4) + $(rd "$1" $((e + 8)) 8)))
	done
	echo $e
}
# elf_entry FILE: the offset of the first ELF (kind 2) entry.
elf_entry() {
	local i e
	for i in 0 1 2; do
		e=$(entry "$1" $i)
		[ "$(rd "$1" "$e" 2)" = 2 ] && { echo "$e"; return; }
	done
}
codec() {	# the compression flag of the ELF entry
	local fl=$(rd "$1" $(($(elf_entry "$1") + 40)) 8)
	case $((fl & 0xa000)) in 0) echo none ;; $((0x8000))) echo zstd ;; $((0x2000))) echo LZ4 ;; *) echo "flags $fl" ;; esac
}

build() {	# build OUT [nvcc args]: a fat binary of k.cu
	local out=$1; shift
	"$NVCC" -fatbin -o "$out" "$T/k.cu" "$@" 2>"$T/nvcc.err" ||
		{ fail "nvcc $*" "$(cat "$T/nvcc.err")"; return 1; }
}
Z="-Xfatbin -compress-all -Xfatbin -compress-mode"
for m in none default size speed; do
	case $m in none) want=none ;; speed) want=LZ4 ;; *) want=zstd ;; esac
	build "$T/$m.fatbin" -arch=sm_90 $Z=$m || continue
	expect_eq "compress-mode=$m: nvcc wrote a $want entry" "$(codec "$T/$m.fatbin")" "$want"
	expect_eq "compress-mode=$m: kernel and parameters by name" \
		"$(load "$T/$m.fatbin" $addk 2>&1)" "$(loaded "$addk_params")"
	expect_eq "compress-mode=$m: a static kernel (local symbol) by name" \
		"$(load "$T/$m.fatbin" _Z6hiddenPi 2>&1)" "$(loaded 'param 0 offset 0 size 8')"
done

# An image with one entry, the sm_90 cubin, to damage.
sass_only="-gencode arch=compute_90,code=sm_90"
build "$T/z.fatbin" $sass_only $Z=size && build "$T/l.fatbin" $sass_only $Z=speed || exit 0
ez=$(elf_entry "$T/z.fatbin") el=$(elf_entry "$T/l.fatbin")
refused() {	# refused NAME FILE WHY-PATTERN
	local out err
	out=$(load "$2" $addk 2>"$T/err"); err=$(cat "$T/err")
	expect_eq "$1: refused as an invalid image" "$out" "$(printf 'module 200\nlibrary 200')"
	if [[ $err == "vgpu-sim: module image rejected: fat binary entry 0 (ELF sm_90, $3"* ]]; then
		pass "$1: the note names the entry and why"
	else
		fail "$1: the note names the entry and why" "$err"
	fi
}
damage() { cp "$1" "$T/bad"; shift; "$@"; }
# Payload bytes past the zstd frame header overwritten.
damage "$T/z.fatbin" dd if=/dev/zero of="$T/bad" bs=1 seek=$((ez + 64 + 40)) count=64 conv=notrunc status=none
refused "corrupt zstd entry" "$T/bad" "zstd): zstd: "
damage "$T/z.fatbin" wr32 "$T/bad" $((ez + 16)) $(( $(rd "$T/z.fatbin" $((ez + 16)) 4) / 2 ))
refused "truncated zstd entry" "$T/bad" "zstd): zstd frame in"
damage "$T/z.fatbin" wr64 "$T/bad" $((ez + 56)) $((1 << 40))
refused "zstd entry claiming 1 TiB" "$T/bad" "zstd): zstd sizes out of range"
damage "$T/z.fatbin" wr32 "$T/bad" $((ez + 16)) $(( $(rd "$T/z.fatbin" $((ez + 8)) 8) + 8 ))
refused "compressed size past the payload" "$T/bad" "zstd): compressed size"
damage "$T/l.fatbin" wr32 "$T/bad" $((el + 16)) $(( $(rd "$T/l.fatbin" $((el + 16)) 4) / 2 ))
refused "truncated LZ4 entry" "$T/bad" "LZ4): LZ4 block"
damage "$T/l.fatbin" wr64 "$T/bad" $((el + 56)) $(( $(rd "$T/l.fatbin" $((el + 56)) 8) + 1 ))
refused "LZ4 entry one byte short of its header's size" "$T/bad" "LZ4): LZ4"

# Two entries for sm_90 (PTX and cubin): a damaged one is skipped.
cp "$T/size.fatbin" "$T/two"
e=$(elf_entry "$T/two")
dd if=/dev/zero of="$T/two" bs=1 seek=$((e + $(rd "$T/two" $((e + 4)) 4) + 40)) count=64 conv=notrunc status=none
out=$(load "$T/two" $addk 2>"$T/err")
expect_eq "damaged cubin beside PTX: the kernel is found in the PTX" "$out" "$(loaded '')"
if grep -q "^vgpu-sim: module image loaded without fat binary entry [0-9] (ELF sm_90, zstd): zstd: " "$T/err"; then
	pass "damaged cubin beside PTX: the note says which entry was skipped"
else
	fail "damaged cubin beside PTX: the note says which entry was skipped" "$(cat "$T/err")"
fi

# Code for sm_90 only on a cc 8.0 device: a module is refused, a library
# is kept (a lazily loading driver refuses its kernels only).
printf 'device cc=8.0\n' >"$T/ampere"
expect_eq "compressed sm_90 image on a cc 8.0 device" \
	"$(VGPU_RULES=$T/ampere load "$T/z.fatbin" $addk 2>/dev/null)" \
	"$(printf 'module 209\nlibrary 0\nkernel 209')"

# cuBLAS: every image compressed; cublasCreate loads them all.
if [ ! -e "$CUDA/lib64/libcublas.so.13" ] || [ ! -e "$CUDA/lib64/libcudart.so.13" ]; then
	skip "cuBLAS under vgpu-run" "no $CUDA/lib64/libcublas.so.13 or libcudart.so.13"
	exit 0
fi
cat >"$T/blas.c" <<'EOF'
#include <stdio.h>
typedef struct cublasContext *cublasHandle_t;
int cublasCreate_v2(cublasHandle_t *h);
int cublasGetVersion_v2(cublasHandle_t h, int *v);
int cublasGetProperty(int type, int *v);	/* 0 major, 1 minor, 2 patch */
int cublasDestroy_v2(cublasHandle_t h);
int main(void)
{
	cublasHandle_t h;
	int v = 0, ma = 0, mi = 0, pa = 0, r;
	if ((r = cublasCreate_v2(&h)))
		return printf("cublasCreate %d\n", r), 1;
	if ((r = cublasGetVersion_v2(h, &v)))
		return printf("cublasGetVersion %d\n", r), 1;
	if ((r = cublasDestroy_v2(h)))
		return printf("cublasDestroy %d\n", r), 1;
	cublasGetProperty(0, &ma);
	cublasGetProperty(1, &mi);
	cublasGetProperty(2, &pa);
	printf("%s\n", v == ma * 10000 + mi * 100 + pa && ma == 13 ? "ok" : "version mismatch");
	return 0;
}
EOF
# Linked the usual way (-lcublas -lcudart).
cc_test "$T/blas" "$T/blas.c" -L"$CUDA/lib64" -Wl,-rpath,"$CUDA/lib64" \
	-Wl,--no-as-needed -l:libcublas.so.13 -lcudart ||
	{ fail "cuBLAS program" "cannot build"; exit 0; }
out=$(timeout 120 "$BIN/vgpu-run" --backend sim -o "$T/blas.trace" -- "$T/blas" 2>"$T/err"); rc=$?
"$BIN/vgpu-run" report --format csv "$T/blas.trace" >"$T/blas.csv" 2>/dev/null
loads=$(awk -F, '$4 == "cuLibraryLoadData"' "$T/blas.csv" | wc -l)
failed=$(awk -F, '$4 == "cuLibraryLoadData" && $8 != 0' "$T/blas.csv" | wc -l)
if [ "$loads" -gt 0 ] && [ "$failed" = 0 ] && ! grep -q "module image rejected" "$T/err"; then
	pass "cublasCreate: all $loads compressed images load"
else
	fail "cublasCreate: all compressed images load" \
		"$failed of $loads cuLibraryLoadData failed; $(grep -m1 'module image' "$T/err")"
fi
# Past its images, cuBLASLt resolves these driver entry points with
# dlsym and gives up (CUBLAS_STATUS_INTERNAL_ERROR) when one is absent.
# Under vgpu-run the interposer exports them all; the sim driver must too,
# or a program that loads it directly fails.
needs="cuKernelGetAttribute cuKernelSetAttribute cuKernelGetLibrary
cuOccupancyAvailableDynamicSMemPerBlock cuOccupancyMaxActiveClusters
cuLinkCreate_v2 cuLinkAddData_v2 cuLinkComplete cuLinkDestroy
cuStreamWaitValue32 cuStreamBatchMemOp cuStreamGetCaptureInfo_v2
cuStreamGetCtx cuStreamBeginCapture_v2 cuStreamEndCapture
cuStreamIsCapturing cuThreadExchangeStreamCaptureMode
cuGraphKernelNodeGetParams cuGraphExecKernelNodeSetParams
cuGraphExecDestroy cuGraphLaunch cuGraphDestroy cuGraphInstantiate
cuGraphGetNodes cuGraphNodeGetType cuMemPrefetchAsync
cuPointerGetAttributes cuCtxDisablePeerAccess cuCtxEnablePeerAccess"
nm -D --defined-only "$SIMDIR/libcuda.so.1" | awk '{ print $3 }' >"$T/sim.syms"
missing=$(for n in $needs; do grep -qx "$n" "$T/sim.syms" || printf '%s ' "$n"; done)
expect_eq "the sim driver exports every entry point cuBLASLt resolves" "${missing% }" ""
expect_eq "cublasCreate/GetVersion/Destroy under vgpu-run --backend sim" "$rc $out" "0 ok"
[ "$rc" = 0 ] || sed 's/^/    /' "$T/err" | tail -5
# The same program on the sim's libraries alone (LD_LIBRARY_PATH), where
# nothing but the sim driver answers cuBLASLt's look-ups.
out=$(timeout 120 "$T/blas" 2>"$T/err.alone"); rc=$?
expect_eq "cublasCreate/GetVersion/Destroy on the sim driver alone" "$rc $out" "0 ok"
[ "$rc" = 0 ] || sed 's/^/    /' "$T/err.alone" | tail -5
