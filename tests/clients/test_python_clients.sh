#!/usr/bin/env bash
# Real Python CUDA clients from PyPI under vgpu-run: NVIDIA's cuda-bindings,
# nvidia-ml-py with nvitop and gpustat, CuPy, numba-cuda, and NVIDIA's own
# libcudart.so.12 (PyPI), .13 (toolkit) and .13 (PyPI, a newer minor)
# behind a ctypes client.  Each
# runs on two simulated devices that differ in every value
# (two_devices.rules) and checks what it sees against that file; the
# runtimes that are shared libraries run again as NVIDIA's real ones on the
# sim driver (--backend cudart=passthrough).  One PASS/FAIL line per client
# and variant, the client's failed checks below it; results and what each
# run exercised go to $VGPU_BUILD/clients-results/ for `make clients-table`
# (client_run.sh).
#
# The ASan pass runs them again: its vgpu-run (ASan) supervises the largest
# real programs of the suite there (thousands of opens, child processes,
# threads), which no other test gives it; its interposers are UBSan-only,
# so the added cost is the runs themselves, about a quarter of a minute.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_run.sh"
here=$VGPU_ROOT/tests/clients
rules=$here/two_devices.rules
venv=${VGPU_CLIENTS_VENV:-$VGPU_ROOT/build/clients-venv}
py=$venv/bin/python
results=$VGPU_BUILD/clients-results
cudart12=$venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12
cudart13=/usr/local/cuda/lib64/libcudart.so.13

# name|client args|variant (sim or pass)
runs=(
	"cuda-bindings|cuda_bindings_client.py|sim"
	"nvitop+gpustat|nvml_tools_client.py|sim"
	"cupy|cupy_client.py|sim"
	"numba-cuda|numba_client.py|sim"
	"cudart12|cudart_client.py CUDART12|sim"
	"cudart12|cudart_client.py CUDART12|pass"
	"cudart13|cudart_client.py CUDART13|sim"
	"cudart13|cudart_client.py CUDART13|pass"
	"cudart13-pypi|cudart_client.py PYPI13|sim"
	"cudart13-pypi|cudart_client.py PYPI13|pass"
)

# On a machine with an NVIDIA GPU the clients run once more on it
# (--backend passthrough, compared across APIs only): the table's GPU column.
if nvidia-smi -L >/dev/null 2>&1; then
	for r in "${runs[@]}"; do
		[[ $r == *"|sim" ]] && runs+=("${r%|sim}|gpu")
	done
fi

skip_all() {
	local r
	for r in "${runs[@]}"; do
		IFS='|' read -r name _ variant <<<"$r"
		skip "python client $name ($variant)" "$1"
	done
	skip "cupy kernel: load -> get function -> launch in the trace" "$1"
	exit 0
}

need() { [ -x "$1" ] || skip_all "$1 not built"; }
need "$BIN/vgpu-run"
why=$("$here/venv.sh" "$(dirname "$venv")" 2>"$T/venv.time") || skip_all "${why#reason: }"
[ -s "$T/venv.time" ] && echo "# $(cat "$T/venv.time")"
# The toolkit's runtime is optional; the PyPI one comes with the venv.
[ -r "$cudart13" ] || cudart13=
py_ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cudart12=${cudart12/python3.11/python$py_ver}
pypi13=$venv/lib/python$py_ver/site-packages/nvidia/cu13/lib/libcudart.so.13

for r in "${runs[@]}"; do
	IFS='|' read -r name args variant <<<"$r"
	label="python client $name ($variant)"
	args=${args/CUDART12/$cudart12}
	args=${args/PYPI13/$pypi13}
	real13=$cudart13
	[ "$name" = cudart13-pypi ] && real13=$pypi13
	if [[ $args == *CUDART13* ]]; then
		[ -n "$cudart13" ] || { skip "$label" "no CUDA 13 toolkit at /usr/local/cuda"; continue; }
		args=${args/CUDART13/$cudart13}
	fi
	backend=(--backend sim --rules "$rules")
	export VGPU_CLIENT_RULES=$rules
	case $variant in
	pass) backend+=(--backend cudart=passthrough --real-lib "cudart12=$cudart12"
		${real13:+--real-lib "cudart13=$real13"}) ;;
	gpu) backend=(--backend passthrough); unset VGPU_CLIENT_RULES ;;
	esac
	# shellcheck disable=SC2086  # args is the client and its one argument
	client_run "$name" "$variant" "$results" -- "${backend[@]}" -- "$py" $args
done

# CuPy's arithmetic needs a kernel's result: on the sim the trace must show
# CuPy getting as far as the launch, in order, each step on the previous
# one's handle: module loaded, function found in it, launch refused.
tr=$T/cupy.sim.vgpu
if [ -s "$tr" ]; then
	"$BIN/vgpu-run" report --format csv "$tr" >"$T/cupy.csv" 2>"$T/cupy.err"
	seq=$(python3 - "$T/cupy.csv" <<'PY'
import csv, re, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]))
        if r["function"] in ("cuModuleLoadData", "cuModuleGetFunction", "cuLaunchKernel")]
arg = lambda r, k: (re.search(r"\b%s=&?(0x[0-9a-f]+)" % k, r["args"]) or [None, None])[1]
load = next((r for r in rows if r["function"] == "cuModuleLoadData"), None)
fn = load and next((r for r in rows if r["function"] == "cuModuleGetFunction"
                    and arg(r, "hmod") == arg(load, "module")), None)
launch = fn and next((r for r in rows if r["function"] == "cuLaunchKernel"
                      and arg(r, "f") == arg(fn, "hfunc")), None)
print(" -> ".join("%s=%s" % (r["function"], r["ret"]) for r in (load, fn, launch) if r))
PY
)
	expect_eq "cupy kernel: load -> get function -> launch in the trace" "$seq" \
		"cuModuleLoadData=0 -> cuModuleGetFunction=0 -> cuLaunchKernel=801"
else
	skip "cupy kernel: load -> get function -> launch in the trace" "no trace of the CuPy run"
fi
