# Builds the supervisor tests' fixtures into $T (sourced after lib.sh):
#   $T/handler.so        SONAME libcuda.so.1, mark "handler"
#   $T/stub/libcuda.so.1 link-time stand-in, then removed from view
#   $T/client            DT_NEEDED libcuda.so.1, found on no library path
#   $T/client_dlopen     dlopens its argument
#   $T/vt_dump           trace event dumper
build_fixtures() {
	local d=$VGPU_ROOT/tests/supervisor
	mkdir -p "$T/stub"
	cc -shared -fPIC -Wl,-soname,libcuda.so.1 -DMARK='"handler"' \
		-o "$T/handler.so" "$d/handler.c" || return 1
	cc -shared -fPIC -Wl,-soname,libcuda.so.1 -DMARK='"stub"' \
		-o "$T/stub/libcuda.so.1" "$d/handler.c" || return 1
	cc_test "$T/client" "$d/client_needed.c" -L"$T/stub" -l:libcuda.so.1 || return 1
	rm -rf "$T/stub"
	cc_test "$T/client_dlopen" "$d/client_dlopen.c" -ldl || return 1
	cc_test "$T/vt_dump" "$VGPU_ROOT/tests/tools/vt_dump.c" \
		"$VGPU_ROOT/common/trace_read.c" || return 1
}
vgpu() { "$BIN/vgpu-run" --no-default-rules "$@"; }
