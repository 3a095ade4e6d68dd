#!/usr/bin/env bash
# PyTorch's CUDA build (make check-heavy: it downloads several GB into
# build/clients-venv-heavy): on the sim, and with its own libcudart.so.13
# (PyPI) through passthrough on the sim driver.  Under `make check` it
# says SKIP unless VGPU_HEAVY=1.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_run.sh"
here=$VGPU_ROOT/tests/clients
venv=$VGPU_ROOT/build/clients-venv-heavy
skip_both() {
	skip "python client torch (sim)" "$1"
	skip "python client torch (pass)" "$1"
	exit 0
}
[ "${VGPU_HEAVY:-0}" = 1 ] || skip_both "PyTorch is several GB: make check-heavy runs it"
[ -x "$BIN/vgpu-run" ] || skip_both "vgpu-run not built"
why=$("$here/venv.sh" "$VGPU_ROOT/build" heavy 2>"$T/venv.time") || skip_both "${why#reason: }"
[ -s "$T/venv.time" ] && echo "# $(cat "$T/venv.time")"
py_ver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cudart13=$venv/lib/python$py_ver/site-packages/nvidia/cu13/lib/libcudart.so.13
export VGPU_CLIENT_RULES=$here/two_devices.rules
sim=(--backend sim --rules "$VGPU_CLIENT_RULES")
client_run torch sim "$VGPU_BUILD/clients-results" -- "${sim[@]}" -- \
	"$venv/bin/python" torch_client.py
if [ -r "$cudart13" ]; then
	client_run torch pass "$VGPU_BUILD/clients-results" -- "${sim[@]}" \
		--backend cudart13=passthrough --real-lib "cudart13=$cudart13" -- \
		"$venv/bin/python" torch_client.py
else
	skip "python client torch (pass)" "no libcudart.so.13 in $venv"
fi
