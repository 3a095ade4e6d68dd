# Report tests' helpers (sourced after lib.sh):
#   build_mktrace        -> $T/mktrace (the trace generator)
#   report ARGS...       vgpu-run report
build_mktrace() {
	cc_test "$T/mktrace" "$VGPU_ROOT/tests/report/mktrace.c" \
		"$VGPU_ROOT/common/trace_write.c"
}
report() { "$BIN/vgpu-run" report "$@"; }
