#!/usr/bin/env bash
# A program linked against the toolkit's libcudart.so.13:
#  - with NVIDIA's runtime on the simulated driver (NVIDIA's runtime looks
#    up its entry points with cuGetProcAddress_v2 and needs the private
#    cuGetExportTable tables, including its driver integrity check, whose
#    expected answer changes from run to run: so several runs);
#  - served our libcudart.so.13 instead (ABI compatibility).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

CUDA=${CUDA_HOME:-/usr/local/cuda}
if [ ! -e "$CUDA/lib64/libcudart.so.13" ] || [ ! -e "$CUDA/include/cuda_runtime_api.h" ]; then
	skip "NVIDIA runtime" "no CUDA 13 toolkit at $CUDA"
	exit 0
fi
${CC:-cc} -O1 -I"$CUDA/include" -o "$T/nv_client" "$VGPU_ROOT/tests/sim/nv_client.c" \
	-L"$CUDA/lib64" -lcudart -Wl,-rpath,"$CUDA/lib64" || { fail build "nv_client"; exit 1; }

printf 'device name="Sim RTX" cc=8.9 memory=16GiB sms=76 pci=0000:03:00.0 cuda=13000\n' > "$T/rules"
export VGPU_RULES=$T/rules
want="count 1 cudaSuccess
device 0 Sim RTX 8.9 17179869184 76 2097152
driver 13000"

# Only our driver in the search path: NVIDIA's runtime stays NVIDIA's.
mkdir "$T/drv" && ln -s "$SIMDIR/libcuda.so.1" "$T/drv/libcuda.so.1"
ok=0
for i in 1 2 3 4 5 6 7 8; do
	got=$(LD_LIBRARY_PATH=$T/drv "$T/nv_client" 2>&1)
	[ "$got" = "$want" ] && ok=$((ok + 1))
done
expect_eq "NVIDIA libcudart.so.13 on the simulated driver, 8 runs" "$ok" 8
[ "$ok" = 8 ] || printf '%s\n' "$got" | sed 's/^/    /'
loaded=$(LD_LIBRARY_PATH=$T/drv LD_DEBUG=files "$T/nv_client" 2>&1 |
	grep "calling init: .*/libcudart.so.13" | grep -vc "$SIMDIR")
expect_eq "it was NVIDIA's runtime that ran" "$loaded" 1
tables=$(VGPU_SIM_DEBUG=1 LD_LIBRARY_PATH=$T/drv "$T/nv_client" 2>&1 | grep -c 'cuGetExportTable .* -> table')
if [ "$tables" -ge 5 ]; then pass "export tables answered ($tables)"; else fail "export tables answered" "$tables"; fi
lookups=$(VGPU_SIM_DEBUG=1 LD_LIBRARY_PATH=$T/drv "$T/nv_client" 2>&1 | grep -c 'cuGetProcAddress ')
if [ "$lookups" -ge 300 ]; then pass "entry points looked up ($lookups)"; else fail "entry points looked up" "$lookups"; fi

# Our whole sim directory first: the same binary is served our runtime.
got=$(LD_LIBRARY_PATH=$SIMDIR "$T/nv_client" 2>&1)
expect_eq "toolkit-linked program on our libcudart.so.13" "$got" "$want"
ours=$(LD_LIBRARY_PATH=$SIMDIR LD_DEBUG=files "$T/nv_client" 2>&1 |
	grep -c "calling init: $SIMDIR/libcudart.so.13")
expect_eq "it was our runtime that ran" "$ours" 1
