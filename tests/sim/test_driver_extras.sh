#!/usr/bin/env bash
# Driver entry points beyond the everyday API that libraries resolve at
# start-up (cuBLASLt refuses to initialise without them): each answers on
# the sim driver as CUDA documents it, on two simulated devices; what the
# sim cannot do (linker, graphs, capture, stream memory operations) is
# CUDA_ERROR_NOT_SUPPORTED with a note that names what is missing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

cc_test "$T/driver_extras" "$VGPU_ROOT/tests/sim/driver_extras.c" -ldl ||
	{ fail driver_extras "cannot build tests/sim/driver_extras.c"; exit 0; }
printf 'device\ndevice\n' >"$T/two.rules"
LD_LIBRARY_PATH=$SIMDIR VGPU_RULES=$T/two.rules timeout 60 "$T/driver_extras" \
	>"$T/out" 2>"$T/err"
expect_eq "driver_extras runs" "$?" 0

# line WHAT EXPECTED: the program's line for WHAT is WHAT EXPECTED.
line() { expect_eq "$1" "$(grep -F -m1 "$1 " "$T/out")" "$1 $2"; }
line "cuKernelGetLibrary(kernel)" "0 its library"
line "cuKernelGetLibrary(module function)" 400
line "cuKernelGetLibrary(NULL out)" 1
line "cuPointerGetAttributes(allocation)" "0 type 2 device 0 range cuMemGetAddressRange's"
line "cuPointerGetAttributes(host stack)" "0 type 0 device -2 start (nil) size 0"
line "cuPointerGetAttributes(unknown attribute)" 1
line "cuStreamGetCtx(stream of device 0, device 1 current)" "0 device 0"
line "cuStreamGetCtx(NULL stream)" "0 device 1"
line "cuStreamGetCtx_v2" "0 device 0 green (nil)"
line "cuDeviceCanAccessPeer(0, 1)" "0 0"
line "cuCtxEnablePeerAccess(device 1)" "217"	# CUDA_ERROR_PEER_ACCESS_UNSUPPORTED
line "cuCtxEnablePeerAccess(own device)" "101"
line "cuCtxEnablePeerAccess(flags 1)" "1"
line "cuCtxDisablePeerAccess(device 1)" "705"	# CUDA_ERROR_PEER_ACCESS_NOT_ENABLED
line "cuDeviceGetP2PAttribute(ACCESS_SUPPORTED, 0, 1)" "0 0"
line "cuDeviceGetP2PAttribute(ACCESS_SUPPORTED, 0, 0)" "101"
line "cuMemPrefetchAsync" 1
line "cuMemPrefetchAsync_v2" 1
line "CAN_USE_STREAM_MEM_OPS" "0 cuStreamWaitValue32 801 cuStreamBatchMemOp 801"
line "cuCtxGetLimit(CIG_ENABLED)" "0 0"
line "cuCtxGetLimit(SHMEM_SIZE)" "0 the opt-in shared memory per block"
line "cuLinkCreate_v2" 801
line "cuGraphCreate" 801
line "cuStreamBeginCapture_v2" 801
line "cuStreamIsCapturing" "0 0"
line "cuStreamEndCapture" 401	# CUDA_ERROR_ILLEGAL_STATE: the stream is not capturing

# Each refusal says what the simulator lacks.
for note in "cuLinkCreate_v2: the simulator has no JIT linker" \
	"cuGraphCreate: the simulator has no CUDA graphs" \
	"cuStreamBeginCapture_v2: the simulator has no CUDA graphs, so streams cannot be captured" \
	"cuStreamWaitValue32: the simulated device has no stream memory operations"; do
	if grep -qF "vgpu-sim: $note" "$T/err"; then
		pass "note: ${note%%:*}"
	else
		fail "note: ${note%%:*}" "$(head -n 3 "$T/err")"
	fi
done
