#!/usr/bin/env bash
# common/cuda_names.c against the real thing: every cudaError_t name that
# NVIDIA's libcudart.so.13 gives for codes 0..1000 and 10000, and every
# CUresult and CUdevice_attribute in the toolkit's cuda.h, with the same
# number; each name maps back to its code and has a message.
. "$(dirname "$0")/../lib.sh"

cc_test "$T/names" "$VGPU_ROOT/tests/sim/names_dump.c" "$VGPU_ROOT/common/cuda_names.c" -ldl ||
	{ fail build names_dump; exit 0; }
for k in "" cu nvml attr; do
	bad=$("$T/names" $k | grep -E '^(ROUNDTRIP|NOMESSAGE)' | head -3)
	expect_eq "names of ${k:-cudart} codes map back and have messages" "$bad" ""
done
expect_eq "NVML codes known" "$("$T/names" nvml | wc -l)" 31

CUDA=${CUDA_HOME:-/usr/local/cuda}
if [ -e "$CUDA/lib64/libcudart.so.13" ]; then
	LD_LIBRARY_PATH=$CUDA/lib64 "$T/names" nvidia > "$T/nv.txt"
	"$T/names" > "$T/ours.txt"
	n=$(wc -l < "$T/nv.txt")
	missing=$(comm -23 <(sort "$T/nv.txt") <(sort "$T/ours.txt") | head -5 | tr '\n' ';')
	expect_eq "all $n cudaError_t names of NVIDIA's runtime, same numbers" "$missing" ""
else
	skip "NVIDIA runtime names" "no $CUDA/lib64/libcudart.so.13"
fi
if [ -e "$CUDA/include/cuda.h" ]; then
	awk '/^typedef enum cudaError_enum/,/} CUresult;/' "$CUDA/include/cuda.h" |
		sed -n 's/^ *\(CUDA_[A-Z_0-9]*\) *= *\([0-9]*\).*/\2 \1/p' | sort > "$T/cu_h.txt"
	"$T/names" cu | sort > "$T/cu_ours.txt"
	expect_eq "all $(wc -l < "$T/cu_h.txt") CUresult codes of cuda.h" \
		"$(comm -3 "$T/cu_h.txt" "$T/cu_ours.txt" | head -5 | tr '\n' ';')" ""
	awk '/^typedef enum CUdevice_attribute_enum/,/} CUdevice_attribute;/' "$CUDA/include/cuda.h" |
		sed -n 's/^ *\(CU_DEVICE_ATTRIBUTE_[A-Z_0-9]*\) *= *\([0-9]*\).*/\2 \1/p' | sort > "$T/attr_h.txt"
	missing=$(while read -r num name; do
		"$T/names" attr | grep -q "^$num " || echo "$num $name"
	done < "$T/attr_h.txt" | head -5 | tr '\n' ';')
	expect_eq "every CUdevice_attribute value of cuda.h has a name" "$missing" ""
else
	skip "cuda.h names" "no $CUDA/include/cuda.h"
fi
