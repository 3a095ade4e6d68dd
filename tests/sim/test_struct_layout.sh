#!/usr/bin/env bash
# Our cudaDeviceProp layouts (common/cuda_types.h) against the headers:
# CUDA 13's against the toolkit's, CUDA 12's against the CUDA 12 headers
# of PyPI's nvidia-cuda-runtime-cu12 when that is under the build
# directory (tests/sim/test_abi_versions.sh fetches it).  The same size,
# and every field at the same offset with the same size.  The field list
# is read from the header, so a field we lack fails to compile and shows
# up as a failure.
. "$(dirname "$0")/../lib.sh"

# check_layout WHAT INCLUDE_DIR OUR_STRUCT
check_layout() {
	local what=$1 inc=$2 ours=$3 hdr=$2/driver_types.h
	if [ ! -e "$hdr" ]; then
		skip "$what layout" "no $hdr"
		return
	fi
	local fields n
	fields=$(awk '/^struct __device_builtin__ cudaDeviceProp/,/^};/' "$hdr" |
		sed -n 's/^ *[a-zA-Z_ ]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)\(\[[0-9]*\]\)*;.*/\1/p')
	n=$(wc -w <<<"$fields")
	if [ "$n" -lt 80 ]; then
		fail "$what fields read from $hdr" "only $n"
		return
	fi
	gen() {	# gen STRUCT INCLUDE -> a C program printing "field offset size"
		echo "#include <stddef.h>"
		echo "#include <stdio.h>"
		echo "#include $2"
		echo "#define F(f) printf(\"%s %zu %zu\\n\", #f, offsetof($1, f), sizeof(((($1 *)0))->f));"
		echo "int main(void) {"
		echo "printf(\"sizeof %zu\\n\", sizeof($1));"
		for f in $fields; do echo "F($f)"; done
		echo "return 0; }"
	}
	gen "struct cudaDeviceProp" "<cuda_runtime_api.h>" > "$T/theirs.c"
	gen "struct $ours" '"cuda_types.h"' > "$T/ours.c"
	${CC:-cc} -I"$inc" -o "$T/theirs" "$T/theirs.c" || { fail "$what layout program (header)" "does not build"; return; }
	if ! ${CC:-cc} -I"$VGPU_ROOT/common" -o "$T/ours" "$T/ours.c" 2>"$T/err"; then
		fail "$ours has every $what field" "$(grep -m3 error "$T/err")"
		return
	fi
	pass "$ours has all $n $what fields"
	"$T/theirs" > "$T/theirs.txt"
	"$T/ours" > "$T/ours.txt"
	expect_eq "$ours size" "$(head -1 "$T/ours.txt")" "$(head -1 "$T/theirs.txt")"
	local d
	d=$(diff "$T/theirs.txt" "$T/ours.txt" | grep '^[<>]' | head -5)
	expect_eq "$ours: every field at the $what header's offset and size" "$d" ""
}

CUDA=${CUDA_HOME:-/usr/local/cuda}
check_layout "CUDA 13" "$CUDA/include" cudaDeviceProp13

rt12=${VGPU_CUDART12:-$(find "$VGPU_BUILD" -maxdepth 8 -path '*nvidia/cuda_runtime/lib/libcudart.so.12' 2>/dev/null | head -n 1)}
if [ -n "$rt12" ]; then
	check_layout "CUDA 12" "$(dirname "$(dirname "$rt12")")/include" cudaDeviceProp12
else
	# Without CUDA 12 headers, the documented size.
	v12=$(printf '#include "cuda_types.h"\n#include <stdio.h>\nint main(void){printf("%%zu\\n", sizeof(struct cudaDeviceProp12));}\n' |
		${CC:-cc} -I"$VGPU_ROOT/common" -x c -o "$T/s12" - && "$T/s12")
	expect_eq "cudaDeviceProp12 size (CUDA 12 headers say 1032)" "$v12" 1032
fi
