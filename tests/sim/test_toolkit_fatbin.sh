#!/usr/bin/env bash
# A fat binary nvcc did not make for us: the .nv_fatbin section of a CUDA
# toolkit library.  Its first uncompressed cubin's container loads as a
# module, and every kernel binutils' readelf lists in that cubin is found
# by cuModuleGetFunction with its parameters.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

CUDA=${CUDA_HOME:-/usr/local/cuda}
lib=
for l in libcurand.so.10 libcufft.so.12 libcusparse.so.12; do
	if [ -e "$CUDA/lib64/$l" ] && objdump -h "$CUDA/lib64/$l" 2>/dev/null | grep -q nv_fatbin; then
		lib=$CUDA/lib64/$l; break
	fi
done
if [ -z "$lib" ]; then
	skip "toolkit fat binary" "no toolkit library with a .nv_fatbin section under $CUDA/lib64"
	exit 0
fi
objcopy -O binary --only-section=.nv_fatbin "$lib" "$T/section" 2>/dev/null ||
	{ skip "toolkit fat binary" "objcopy cannot extract .nv_fatbin from $lib"; exit 0; }
arch=$("$SIM_CHECK" split "$T/section" "$T/x" | sed -n 's/^arch //p')
if [ -z "$arch" ]; then
	skip "toolkit fat binary" "no uncompressed cubin in $lib"
	exit 0
fi
# A device of the cubin's own compute capability.
printf 'device cc=%d.%d\n' $((arch / 10)) $((arch % 10)) > "$T/rules"
export VGPU_RULES=$T/rules LD_LIBRARY_PATH=$SIMDIR
kernels=$(readelf -sW "$T/x.cubin" 2>/dev/null | awk '$4=="FUNC" && $5=="GLOBAL" {print $8}' | head -20)
n=$(wc -w <<<"$kernels")
if [ "$n" = 0 ]; then
	skip "toolkit fat binary" "readelf lists no kernels in the first cubin of $lib"
	exit 0
fi
missing=
for k in $kernels; do
	out=$("$SIM_CHECK" params "$T/x.fatbin" "$k" 2>&1)
	case $out in load*|function*) missing="$missing $k:$out" ;; esac
done
expect_eq "all $n kernels of $(basename "$lib") (sm_$arch) found in its fat binary" "$missing" ""
