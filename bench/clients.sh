#!/usr/bin/env bash
# Start-up of the heavy Python clients to their first successful device
# query, with and without vgpu-run.  There is no GPU here, so "without" is
# the simulated GPU on its own (its libraries first on LD_LIBRARY_PATH, as
# a real driver would be found): the difference is what vgpu-run adds, the
# supervisor, the interposer and the served backend.  Best of 5 runs.
#   bench/clients.sh [BUILD]     (needs build/clients-venv: make check builds it)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
t=$(mktemp -d /tmp/vgpu-bench.XXXXXX); trap 'rm -rf "$t"' EXIT
venvs=$root/build
sim=$build/lib/vgpu/sim

# best wall seconds of each route, routes taken in turn N times so that
# the machine's load drifts over all of them alike
routes=() best=()
measure() {
	local rep i a b d
	for rep in $(seq "${N:-7}"); do
		for i in "${!routes[@]}"; do
			rm -f "$t/b.trc"
			a=$(date +%s.%N)
			eval "${routes[$i]}" >"$t/out" 2>&1 || { best[$i]=fail; cp "$t/out" "$t/fail.$i"; continue; }
			b=$(date +%s.%N)
			d=$(echo "$b - $a" | bc -l)
			[ "${best[$i]:-}" = fail ] && continue
			if [ -z "${best[$i]:-}" ] || [ "$(echo "$d < ${best[$i]}" | bc -l)" = 1 ]; then
				best[$i]=$d
			fi
		done
	done
}
row() {	# label seconds base
	if [ "$2" = fail ]; then printf '%-44s %9s\n' "$1" failed; return; fi
	printf '%-44s %9.3f %+9.3f %+8.1f%%\n' "$1" "$2" "$(echo "$2 - $3" | bc -l)" \
		"$(echo "($2 - $3) * 100 / $3" | bc -l)"
}
# PyTorch finds its own libcudart.so.13 by RPATH: preloading the sim's
# makes it the one every library binds to, as vgpu-run's serving does.
standalone() { LD_LIBRARY_PATH=$sim LD_PRELOAD=$sim/libcudart.so.13 "$@"; }
# vgpu-run without the interposer: the sim's libraries served by redirect,
# so the difference to the row below is the interposer's.
vrun_redirect() {
	"$build/bin/vgpu-run" --no-default-rules --redirect "libcuda.so.1=$sim/libcuda.so.1" \
		--redirect "libcudart.so.13=$sim/libcudart.so.13" \
		--redirect "libnvidia-ml.so.1=$sim/libnvidia-ml.so.1" -- "$@"
}
vrun() { "$build/bin/vgpu-run" --backend sim -- "$@"; }
vrun_trace() { "$build/bin/vgpu-run" --backend sim -o "$t/b.trc" -- "$@"; }

bench() {	# name python code
	local name=$1 py=$2 code=$3 q
	"$py" -c "import importlib.util, sys; sys.exit(not importlib.util.find_spec('$name'))" 2>/dev/null ||
		{ echo "$name: skipped, not installed in ${py%/bin/python} (make check; torch: make check-heavy)"; return; }
	echo "$name: $code   (best of ${N:-7})"
	printf '%-44s %9s %9s %9s\n' "route" "seconds" "added" "added"
	q=$(printf '%q %q %q' "$py" -c "$code")
	routes=("standalone $q" "vrun_redirect $q" "vrun $q" "vrun_trace $q"
		"$(printf '%q %q %q' "$py" -c "${code%%;*}")")
	best=()
	measure
	local base=${best[0]}
	if [ "$base" = fail ]; then
		# e.g. a library that links a runtime function the sim lacks,
		# which vgpu-run's interposer exports as a stub
		echo "  (the sim on its own cannot load it: $(grep -m1 -E 'Error|error' "$t/fail.0" | cut -c1-150);"
		echo "   the base is the import alone)"
		base=${best[4]}
	fi
	row "sim standalone (LD_LIBRARY_PATH)" "${best[0]}" "$base"
	row "vgpu-run, sim by --redirect (no interposer)" "${best[1]}" "$base"
	row "vgpu-run --backend sim" "${best[2]}" "$base"
	row "vgpu-run --backend sim -o trace" "${best[3]}" "$base"
	row "(import only, no CUDA call, for scale)" "${best[4]}" "$base"
	echo
}

bench cupy "$venvs/clients-venv/bin/python" 'import cupy; assert cupy.cuda.runtime.getDeviceCount() > 0'
bench torch "$venvs/clients-venv-heavy/bin/python" 'import torch; assert torch.cuda.is_available()'
