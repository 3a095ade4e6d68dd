#!/usr/bin/env bash
# The trace-ring drain against rings written by hand: renumbering, pads,
# batching, a trace that cannot be written, the clock record.
. "$(dirname "$0")/../lib.sh"
san=(); [ "$VGPU_SAN" = 1 ] && san=(-fsanitize=address,undefined)
cc_test "$T/ring_drain" "$VGPU_ROOT/tests/trace/ring_drain.c" \
	"$VGPU_ROOT/common/trace_ring.c" "$VGPU_ROOT/common/trace_read.c" \
	"$VGPU_ROOT/common/trace_write.c" "${san[@]}" || { fail build "ring_drain"; exit 1; }
"$T/ring_drain" "$T"
