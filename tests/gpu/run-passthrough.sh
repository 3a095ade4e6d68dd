#!/usr/bin/env bash
# Passthrough on a real NVIDIA GPU (not part of `make check`: CI machines
# have no GPU).  Run from the repository root on a machine with the NVIDIA
# driver:   tests/gpu/run-passthrough.sh [OUTDIR]
# It builds vgpu-run if needed, then:
#   1. PyTorch (tests/gpu/matmul.py) with and without
#      `vgpu-run --backend passthrough -o TRACE`: checksums must be equal;
#      the median time per matmul iteration of both is compared.
#   2. tests/gpu/saxpy.cu built with nvcc -cudart shared and with the
#      static runtime, both under passthrough; the report of the static one
#      must say the runtime layer was not visible (driver calls only).
#   3. The PyTorch run again with --trace-export-tables.
# Prints PASS/FAIL lines and a summary; reports go to OUTDIR.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d /tmp/vgpu-gpu.XXXXXX)}
mkdir -p "$out"
passed=0 failed=0 skipped=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
finish() { echo "$passed passed, $failed failed, $skipped skipped"; [ $failed = 0 ]; exit $?; }

if ! ls /dev/nvidia0 >/dev/null 2>&1 && ! command -v nvidia-smi >/dev/null; then
	skip "gpu" "no NVIDIA device or driver on this machine"; finish
fi
nvidia-smi -L 2>/dev/null | tee "$out/gpu.txt"
[ -x "$root/build/bin/vgpu-run" ] || make -C "$root" -j"$(nproc)" >"$out/build.log" 2>&1 \
	|| { fail build "see $out/build.log"; finish; }
vr=$root/build/bin/vgpu-run

# 1. PyTorch
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
	python3 "$root/tests/gpu/matmul.py" 5 >"$out/torch-plain.txt" 2>&1
	"$vr" --backend passthrough -o "$out/torch.vgpu" --force -- \
		python3 "$root/tests/gpu/matmul.py" 5 >"$out/torch-vgpu.txt" 2>"$out/torch-vgpu.err"
	a=$(grep '^checksum' "$out/torch-plain.txt"); b=$(grep '^checksum' "$out/torch-vgpu.txt")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "pytorch checksums identical"; else fail "pytorch checksums identical" "[$a] vs [$b]"; fi
	"$vr" report "$out/torch.vgpu" >"$out/torch-report.txt" 2>&1
	"$vr" report --format json -o "$out/torch-report.json" "$out/torch.vgpu"
	grep -q 'libcuda.so.1' "$out/torch-report.txt" && pass "report lists the served driver" || fail "report lists the served driver" "see $out/torch-report.txt"
	python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
t = lambda f: json.loads(open(f"{out}/{f}").read().split("timing ", 1)[1].splitlines()[0])["median_s_per_iter"]
plain, traced = t("torch-plain.txt"), t("torch-vgpu.txt")
print(f"matmul: {plain*1e3:.3f} ms/iter plain, {traced*1e3:.3f} ms/iter under vgpu-run, overhead {100*(traced/plain-1):+.2f}%")
r = json.load(open(f"{out}/torch-report.json"))
calls = sum(f["calls"] for f in r["functions"] if f["api"] == "cuda")
errs = [(f["name"], f["errors"]) for f in r["functions"] if f["errors"]]
print(f"driver calls traced: {calls}; functions with errors: {errs}")
PY
	"$vr" --backend passthrough --trace-export-tables -o "$out/torch-et.vgpu" --force -- \
		python3 "$root/tests/gpu/matmul.py" 1 >"$out/torch-et.txt" 2>&1
	c=$(grep '^checksum' "$out/torch-et.txt")
	[ "$c" = "$a" ] && pass "pytorch with --trace-export-tables" || fail "pytorch with --trace-export-tables" "[$c]"
	"$vr" report "$out/torch-et.vgpu" >"$out/torch-et-report.txt" 2>&1
	grep -qE '^ *[0-9a-f]{8}-[0-9a-f]{4}.*\[[0-9]+\]' "$out/torch-et-report.txt" \
		&& pass "report lists export-table slots" || fail "report lists export-table slots" "see $out/torch-et-report.txt"
else
	skip "pytorch" "python3 with a CUDA-enabled torch is not installed"
fi

# 2. nvcc, shared and static runtime
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
if [ -x "$nvcc" ]; then
	"$nvcc" -o "$out/saxpy-shared" -cudart shared "$root/tests/gpu/saxpy.cu" && \
	"$nvcc" -o "$out/saxpy-static" "$root/tests/gpu/saxpy.cu" || fail nvcc "build failed"
	for kind in shared static; do
		plain=$("$out/saxpy-$kind" 2>&1)
		traced=$("$vr" --backend passthrough -o "$out/saxpy-$kind.vgpu" --force -- "$out/saxpy-$kind" 2>"$out/saxpy-$kind.err")
		[ "$plain" = "$traced" ] && [[ $plain == *cudaSuccess* ]] && pass "saxpy ($kind runtime)" || fail "saxpy ($kind runtime)" "[$plain] vs [$traced]"
		"$vr" report "$out/saxpy-$kind.vgpu" >"$out/saxpy-$kind-report.txt" 2>&1
	done
	grep -q 'cuGetProcAddress' "$out/saxpy-static-report.txt" && pass "static runtime: driver layer recorded" || fail "static runtime: driver layer recorded" "see report"
	grep -qi 'runtime.*not visible\|never requested' "$out/saxpy-static-report.txt" && pass "static runtime: report says the runtime layer was not visible" || fail "static runtime: runtime layer note" "see report"
else
	skip "nvcc" "no nvcc"
fi
finish
