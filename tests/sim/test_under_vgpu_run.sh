#!/usr/bin/env bash
# The whole path: vgpu-run serves the interposer for the files Ollama's
# discovery globs and dlopens by absolute path (here empty placeholders,
# which could never load on their own), the interposer calls the sim, and
# the client sees the device from the rules.  A fault-injection rule
# reaches the client and is marked in the trace.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

mkdir -p "$T/lib"
: >"$T/lib/libcuda.so.550.54.15"
: >"$T/lib/libcudart.so.12.4.127"
: >"$T/lib/libnvidia-ml.so.1"
dev='device name="Served GPU" uuid=GPU-11111111-2222-3333-4444-555555555555 cc=8.9 memory=16GiB sms=60'

out=$("$BIN/vgpu-ollama-probe" "$T/lib" 2>&1)
if [[ $(value driver.count <<<"$out") != 1 ]]; then
	pass "without vgpu-run the placeholders do not load"
else
	fail "without vgpu-run the placeholders do not load" "$out"
fi

out=$("$BIN/vgpu-run" --backend sim --rule "$dev" -o "$T/t" -- "$BIN/vgpu-ollama-probe" "$T/lib" 2>"$T/err"); rc=$?
expect_eq "probe under vgpu-run exits 0" "$rc" 0
for api in driver runtime; do
	expect_eq "$api sees the served device" \
		"$(value $api.count <<<"$out") $(value $api.0.name <<<"$out") $(value $api.0.cc <<<"$out")" \
		"1 Served GPU 8.9"
done
expect_eq "nvml total by UUID" "$(value nvml.0.total <<<"$out")" $((16 << 30))
"$BIN/vgpu-run" report --format csv "$T/t" >"$T/csv"
for fn in cuInit cuDeviceGetUuid cuCtxCreate_v3 cuMemGetInfo_v2 cudaGetDeviceProperties nvmlDeviceGetMemoryInfo; do
	n=$(awk -F, -v f="$fn" '$4 == f' "$T/csv" | wc -l)
	if [ "$n" -ge 1 ]; then pass "trace has $fn"; else fail "trace has $fn" "not in the report"; fi
done

# Fault injection on the sim backend: the 1st cuMemAlloc_v2 fails.
out=$("$BIN/vgpu-run" --backend sim -o "$T/inj" \
	--rule 'inject cuMemAlloc_v2 error=CUDA_ERROR_OUT_OF_MEMORY when=1' -- "$BIN/vgpu-devquery" 2>&1)
if [[ $out == *"out of memory"* ]]; then
	pass "injected failure reaches the client"
else
	fail "injected failure reaches the client" "$out"
fi
"$BIN/vgpu-run" report --format csv "$T/inj" >"$T/icsv"
row=$(awk -F, '$4 == "cuMemAlloc_v2" { print $8 "," $10; exit }' "$T/icsv")
expect_eq "the trace marks it injected (ret 2, flag 1)" "$row" "2,1"
