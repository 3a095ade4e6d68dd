# Report tests' helpers (sourced after lib.sh):
#   build_mktrace        -> $T/mktrace (the trace generator)
#   report ARGS...       vgpu-run report
#   has_code_names       whether this build links common/cuda_names.c
build_mktrace() {
	cc_test "$T/mktrace" "$VGPU_ROOT/tests/report/mktrace.c" \
		"$VGPU_ROOT/common/trace_write.c"
}
report() { "$BIN/vgpu-run" report "$@"; }
has_code_names() { nm "$BIN/vgpu-run" 2>/dev/null | grep -q ' T cu_result_name$'; }
