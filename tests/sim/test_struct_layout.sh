#!/usr/bin/env bash
# Our cudaDeviceProp for CUDA 13 (common/cuda_types.h) against the
# toolkit's header: the same size, and every field at the same offset with
# the same size.  The field list is read from the toolkit's header, so a
# field we lack fails to compile and shows up as a failure.
. "$(dirname "$0")/../lib.sh"

CUDA=${CUDA_HOME:-/usr/local/cuda}
hdr=$CUDA/include/driver_types.h
if [ ! -e "$hdr" ]; then
	skip "cudaDeviceProp layout" "no $hdr"
	exit 0
fi
fields=$(awk '/^struct __device_builtin__ cudaDeviceProp/,/^};/' "$hdr" |
	sed -n 's/^ *[a-zA-Z_ ]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)\(\[[0-9]*\]\)*;.*/\1/p')
n=$(wc -w <<<"$fields")
if [ "$n" -lt 80 ]; then
	fail "cudaDeviceProp fields read from $hdr" "only $n"
	exit 0
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
gen "struct cudaDeviceProp13" '"cuda_types.h"' > "$T/ours.c"
${CC:-cc} -I"$CUDA/include" -o "$T/theirs" "$T/theirs.c" || { fail "layout program (toolkit)" "does not build"; exit 0; }
if ! ${CC:-cc} -I"$VGPU_ROOT/common" -o "$T/ours" "$T/ours.c" 2>"$T/err"; then
	fail "cudaDeviceProp13 has every toolkit field" "$(grep -m3 error "$T/err")"
	exit 0
fi
pass "cudaDeviceProp13 has all $n toolkit fields"
"$T/theirs" > "$T/theirs.txt"
"$T/ours" > "$T/ours.txt"
expect_eq "cudaDeviceProp13 size" "$(head -1 "$T/ours.txt")" "$(head -1 "$T/theirs.txt")"
d=$(diff "$T/theirs.txt" "$T/ours.txt" | grep '^[<>]' | head -5)
expect_eq "every field at the toolkit's offset and size" "$d" ""
# The CUDA 12 layout cannot be checked without a CUDA 12 toolkit; its
# size is the documented one.
v12=$(printf '#include "cuda_types.h"\n#include <stdio.h>\nint main(void){printf("%%zu\\n", sizeof(struct cudaDeviceProp12));}\n' |
	${CC:-cc} -I"$VGPU_ROOT/common" -x c -o "$T/s12" - && "$T/s12")
expect_eq "cudaDeviceProp12 size (CUDA 12 headers say 1032)" "$v12" 1032
