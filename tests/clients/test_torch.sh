#!/usr/bin/env bash
# PyTorch's CUDA build under vgpu-run --backend sim (make check-heavy: it
# downloads several GB into build/clients-venv-heavy).  Under `make check`
# it says SKIP unless VGPU_HEAVY=1.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/clients
rules=$here/two_devices.rules
name="python client torch (sim)"
[ "${VGPU_HEAVY:-0}" = 1 ] || { skip "$name" "PyTorch is several GB: make check-heavy runs it"; exit 0; }
[ -x "$BIN/vgpu-run" ] || { skip "$name" "vgpu-run not built"; exit 0; }
why=$("$here/venv.sh" "$VGPU_ROOT/build" heavy 2>"$T/venv.time") || { skip "$name" "${why#reason: }"; exit 0; }
[ -s "$T/venv.time" ] && echo "# $(cat "$T/venv.time")"
start=$(date +%s%N)
( cd "$here" && VGPU_CLIENT_RULES=$rules timeout 120 "$BIN/vgpu-run" --backend sim \
	--rules "$rules" -- "$VGPU_ROOT/build/clients-venv-heavy/bin/python" torch_client.py ) >"$T/out" 2>&1
rc=$?
echo "# torch client: exit $rc, $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -E '^(ok|NOTE|RUNTIME|EXERCISED) ' "$T/out" | sed 's/^/# /'
if [ "$rc" = 0 ] && ! grep -q '^FAIL ' "$T/out"; then
	pass "$name"
else
	fail "$name" "exit $rc"
	grep -E '^FAIL |Error' "$T/out" | head -n 12 | sed 's/^/    /'
fi
