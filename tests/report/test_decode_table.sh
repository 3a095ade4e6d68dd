#!/usr/bin/env bash
# common/api_decode.txt names real functions: every driver entry is
# exported by the toolkit's libcuda.so stub and every runtime entry by its
# libcudart.so.13 (lines marked "libcudart.so.12 only" excepted), so a typo
# or a made-up name fails here.  NVML has no stub in the toolkit: checked
# when a libnvidia-ml.so.1 is installed.
. "$(dirname "$0")/../lib.sh"
table=$VGPU_ROOT/common/api_decode.txt
cuda=${CUDA_HOME:-/usr/local/cuda}
check_family() {	# family lib [exclude-pattern]
	local fam=$1 lib=$2 skip_re=${3:-^$}
	local name="api_decode.txt: every $fam function is exported by $(basename "$lib")"
	if [ ! -e "$lib" ]; then skip "$name" "$lib not installed"; return; fi
	nm -D --defined-only "$lib" | awk '{ sub(/@.*/, "", $3); print $3 }' | sort -u >"$T/exports"
	grep -vE "$skip_re" "$table" | awk -v f="$fam" '$1 == f { print $2 }' | sort -u >"$T/listed"
	local missing
	missing=$(comm -23 "$T/listed" "$T/exports" | tr '\n' ' ')
	local n; n=$(wc -l <"$T/listed")
	if [ -z "$missing" ] && [ "$n" -gt 10 ]; then pass "$name ($n)"; else fail "$name" "not exported: $missing"; fi
}
check_family cuda "$cuda/lib64/stubs/libcuda.so"
check_family cudart "$(ls "$cuda"/lib64/libcudart.so.13* 2>/dev/null | head -1)" 'libcudart\.so\.12 only'
nvml=$(ldconfig -p 2>/dev/null | awk '/libnvidia-ml\.so\.1 / { print $NF; exit }')
if [ -n "$nvml" ]; then check_family nvml "$nvml"
else skip "api_decode.txt: every nvml function is exported" "no libnvidia-ml.so.1 on this host (the toolkit has no NVML stub)"; fi
# The table parses: report mode loads it with no error.
"$BIN/vgpu-run" --no-default-rules -o "$T/t.trace" -- /bin/true
check "api_decode.txt parses" "$BIN/vgpu-run" report --decode-table "$table" "$T/t.trace"
