#!/usr/bin/env bash
# Driver and runtime calls return what CUDA documents: order of checks
# (not initialized, no context, bad ordinal), copies and memsets through
# streams, events, stale handles, the runtime's last-error state, and the
# versioned NVML memory struct.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

out=$(LD_LIBRARY_PATH=$SIMDIR "$SIM_CHECK" api 2>&1)
rc=$?
expect_eq "api run exit status" "$rc" 0
while read -r what want; do
	got=$(grep -m1 "^$what " <<<"$out" | awk '{print $NF}')
	expect_eq "$what" "$got" "$want"
done <<'W'
before-init CUDA_ERROR_NOT_INITIALIZED
no-context CUDA_ERROR_INVALID_CONTEXT
bad-ordinal CUDA_ERROR_INVALID_DEVICE
bad-attribute CUDA_ERROR_INVALID_VALUE
current-is-created 1
memset-then-copies intact
copy-past-end CUDA_ERROR_INVALID_VALUE
elapsed-unrecorded CUDA_ERROR_INVALID_HANDLE
elapsed-non-negative 1
double-free CUDA_ERROR_INVALID_VALUE
destroyed-stream CUDA_ERROR_INVALID_HANDLE
destroyed-context CUDA_ERROR_INVALID_CONTEXT
peek-again cudaErrorInvalidDevice
get-after-reset cudaSuccess
cudaMalloc-too-big cudaErrorMemoryAllocation
nvml-memory-v2 0
nvml-memory-v2-bad-version 25
W
