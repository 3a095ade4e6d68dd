#!/usr/bin/env bash
# The trace writer and streaming reader: round trip, cut and damaged files.
. "$(dirname "$0")/../lib.sh"
san=(); [ "$VGPU_SAN" = 1 ] && san=(-fsanitize=address,undefined)
cc_test "$T/trace_rw" "$VGPU_ROOT/tests/trace/trace_rw.c" "$VGPU_ROOT/common/trace_read.c" \
	"$VGPU_ROOT/common/trace_write.c" "${san[@]}" || { fail build "trace_rw"; exit 1; }
"$T/trace_rw" "$T"
