#!/usr/bin/env bash
# make demo: the bundled device-query client (driver and runtime API) on
# the simulated GPU, under vgpu-run.  Usage: tests/demo.sh BUILD_DIR
#
# With the interposer built, vgpu-run serves it and picks the sim as the
# backend, and -c prints the call summary.  Without it, vgpu-run serves
# the sim libraries directly by redirect rules and -v shows what it
# served.
set -u
build=$(cd "${1:-build}" && pwd) || exit 2
run=$build/bin/vgpu-run
client=$build/bin/vgpu-devquery
sim=$build/lib/vgpu/sim
for f in "$run" "$client" "$sim/libcuda.so.1" "$sim/libcudart.so.13"; do
	[ -e "$f" ] || { echo "demo: missing $f (run make first)" >&2; exit 1; }
done
# A private accounting file: the demo's numbers are its own.
export VGPU_SIM_STATE=${TMPDIR:-/tmp}/vgpu-demo-state.$$
trap 'rm -f "$VGPU_SIM_STATE"' EXIT

if [ -e "$build/lib/vgpu/libvgpu-cuda.so" ]; then
	echo "== vgpu-run --backend sim -c -- vgpu-devquery"
	"$run" --backend sim -c -- "$client"
else
	echo "== vgpu-run -v --redirect libcuda.so*=sim/libcuda.so.1 --redirect libcudart.so.13*=sim/libcudart.so.13 -- vgpu-devquery"
	echo "   (the interposer is not built: the sim libraries are served directly, without call tracing)"
	"$run" -v --redirect "libcuda.so*=$sim/libcuda.so.1" \
		--redirect "libcudart.so.13*=$sim/libcudart.so.13" \
		--redirect "libnvidia-ml.so*=$sim/libnvidia-ml.so.1" -- "$client"
fi
status=$?
echo "== client exit status $status"
exit $status
