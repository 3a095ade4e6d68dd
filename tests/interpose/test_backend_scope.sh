#!/usr/bin/env bash
# --backend PATH without API= backs only the APIs the library exports; the
# others keep the default backend.  A function the backend lacks returns a
# value of its type: a text from cudaGetErrorName and nvmlErrorString, NULL
# from a pointer function, the not-supported code from the others.
. "$(dirname "$0")/../lib.sh"
run=$BIN/vgpu-run
mkdir -p "$T/drv" "$T/rt12" "$T/none" "$T/stub"

# A driver-only handler: the first calls a program makes, nothing else.
cat >"$T/drv.c" <<'C'
int cuInit(unsigned flags) { (void)flags; return 0; }
int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
int cuDeviceGetCount(int *n) { *n = 1; return 0; }
C
cc -shared -fPIC -o "$T/drv/libcuda.so.1" "$T/drv.c" -Wl,-soname,libcuda.so.1
drv=$T/drv/libcuda.so.1

# A runtime client: an error's name and text, and a pointer function.
cat >"$T/rt.c" <<'C'
#include <stdio.h>
int cudaGetDeviceCount(int *n);
int cudaSetDevice(int device);
const char *cudaGetErrorName(int e);
const char *cudaGetErrorString(int e);
void **__cudaRegisterFatBinary(void *fatbin);
int main(void)
{
	int n = -1;
	int e1 = cudaGetDeviceCount(&n);
	int e2 = cudaSetDevice(99);
	printf("count %d %s\n", n, cudaGetErrorName(e1));
	printf("set 99: %s (%s)\n", cudaGetErrorName(e2), cudaGetErrorString(e2));
	if (n < 0)
		printf("fatbin handle %s\n", __cudaRegisterFatBinary(&n) ?
		       "set" : "null");
	return 0;
}
C
cat >"$T/nv.c" <<'C'
#include <stdio.h>
int nvmlInit_v2(void);
const char *nvmlErrorString(int result);
int main(void)
{
	int rc = nvmlInit_v2();
	printf("nvmlInit_v2 %d: %s\n", rc, nvmlErrorString(rc));
	return 0;
}
C
# A driver client: the driver hands an error's name and text back
# through a pointer, which a program prints without looking at the code.
cat >"$T/dn.c" <<'C'
#include <stdio.h>
int cuInit(unsigned flags);
int cuGetErrorName(int e, const char **s);
int cuGetErrorString(int e, const char **s);
int main(void)
{
	/* Garbage where the answer goes, as an uninitialized pointer. */
	const char *name = (const char *)0x321, *text = (const char *)0x321;
	int rc = cuInit(0);
	int rn = cuGetErrorName(rc, &name), rs = cuGetErrorString(rc, &text);
	printf("cuInit %d; %d %s; %d %s\n", rc, rn, name, rs, text);
	return 0;
}
C
# Linked against stand-ins removed afterwards: vgpu-run serves the
# interposer for the names.
cp "$LIBDIR/libvgpu-cudart13.so" "$T/stub/libcudart.so.13"
cp "$LIBDIR/libvgpu-nvml.so" "$T/stub/libnvidia-ml.so.1"
cp "$LIBDIR/libvgpu-cuda.so" "$T/stub/libcuda.so.1"
cc_test "$T/rt" "$T/rt.c" -L"$T/stub" -l:libcudart.so.13
cc_test "$T/nv" "$T/nv.c" -L"$T/stub" -l:libnvidia-ml.so.1
cc_test "$T/dn" "$T/dn.c" -L"$T/stub" -l:libcuda.so.1
rm -rf "$T/stub"
cc_test "$T/vt_dump" "$VGPU_ROOT/tests/tools/vt_dump.c" \
	"$VGPU_ROOT/common/trace_read.c"
# The backend of API $2 in trace $1, from the route note that the report
# shows: "API API: backend PATH (WHY, RULE)".
note() { "$T/vt_dump" "$1" | awk -F'\t' -v k="$2 API: backend " '
	$1 == "event" && $2 == "note" && $7 == "route" && index($8, k) == 1 {
		v = substr($8, length(k) + 1); sub(/ \([^()]*\)$/, "", v); print v }'; }

# 1. The driver-only library as --backend PATH: the driver is the handler,
# the runtime the default, and the program's printf of an error's name
# does not crash.
out=$(timeout 30 "$run" -v -o "$T/scope.trc" --backend "$drv" -- "$T/rt" \
	2>"$T/scope.err")
rc=$?
expect_eq driver_only_backend_program_exit_status "$rc" 0
# The sim's runtime says cudaErrorInvalidDevice; NVIDIA's (passthrough on
# a host with a driver) may fail earlier on this bare driver: either way a
# runtime's own error name, not a stub's text.
check runtime_error_named_by_the_default_runtime \
	grep -qxE 'set 99: cudaError[A-Za-z]+ \(.*\)' <<<"$out"
expect_eq trace_driver_backend_is_the_handler "$(note "$T/scope.trc" cuda)" "$drv"
rtb=$(note "$T/scope.trc" cudart13)
if [ -n "$rtb" ] && [ "$rtb" != "$drv" ]; then
	pass trace_runtime_backend_is_the_default
else
	fail trace_runtime_backend_is_the_default "cudart13 backend [$rtb]"
fi
check report_names_the_driver_backend grep -qxF \
	"  cuda API: backend $drv (handler, --backend:1)" <("$run" report "$T/scope.trc")
check verbose_line_names_each_api_backend grep -qE \
	"^vgpu-run: backends: cuda=$drv, cudart12=[^,]+, cudart13=[^,]+, nvml=" \
	"$T/scope.err"
if grep -qE "(cudart1[23]|nvml)=$drv" "$T/scope.err"; then
	fail verbose_line_handler_backs_only_the_driver "$(grep backends: "$T/scope.err")"
else
	pass verbose_line_handler_backs_only_the_driver
fi

# 2. The runtime put on that library on purpose: every runtime call is
# missing, and each returns a value of its type.
out=$(timeout 30 "$run" -o "$T/stub.trc" --backend "cudart13=$drv" -- "$T/rt" 2>&1)
rc=$?
expect_eq missing_runtime_program_exit_status "$rc" 0
check missing_error_name_is_a_text grep -qx \
	'set 99: cudaGetErrorName: not provided by the vgpu-run backend (cudaGetErrorString: not provided by the vgpu-run backend)' \
	<<<"$out"
check missing_pointer_function_returns_null grep -qx 'fatbin handle null' <<<"$out"
check missing_calls_marked_in_trace grep -q 'cudaGetErrorName.*missing in backend' \
	<("$run" report "$T/stub.trc")
out=$(timeout 30 "$run" --backend "nvml=$drv" -- "$T/nv" 2>&1)
rc=$?
expect_eq missing_nvml_program_exit_status "$rc" 0
check missing_nvml_code_and_text grep -qx \
	'nvmlInit_v2 3: nvmlErrorString: not provided by the vgpu-run backend' <<<"$out"

# The driver handler lacks cuGetErrorName and cuGetErrorString: both
# still hand back a text through their pointer (the not-supported code
# returned), never leave the caller's garbage to be printed.
out=$(timeout 30 "$run" --backend "$drv" -- "$T/dn" 2>&1)
rc=$?
expect_eq missing_driver_text_program_exit_status "$rc" 0
check missing_driver_error_name_written_through_pointer grep -qx \
	'cuInit 0; 801 cuGetErrorName: not provided by the vgpu-run backend; 801 cuGetErrorString: not provided by the vgpu-run backend' \
	<<<"$out"

# 3. A runtime handler named libcudart.so.12 backs that runtime only.
cat >"$T/rt12.c" <<'C'
int cudaGetDeviceCount(int *n) { *n = 3; return 0; }
C
cc -shared -fPIC -o "$T/rt12/librt.so" "$T/rt12.c" -Wl,-soname,libcudart.so.12
timeout 30 "$run" -v --backend "$T/rt12/librt.so" -- true 2>"$T/rt12.err"
line=$(grep '^vgpu-run: backends:' "$T/rt12.err")
if [[ $line == *"cudart12=$T/rt12/librt.so,"* && $line != *"cudart13=$T/rt12"* &&
      $line != *"cuda=$T/rt12"* ]]; then
	pass soname_scopes_a_runtime_handler
else
	fail soname_scopes_a_runtime_handler "[$line]"
fi

# 4. A library that backs no API is refused before the program starts.
echo 'int unrelated(void) { return 0; }' >"$T/none.c"
cc -shared -fPIC -o "$T/none/libx.so" "$T/none.c"
out=$(timeout 30 "$run" --backend "$T/none/libx.so" -- sh -c 'echo ran' 2>&1)
rc=$?
expect_eq no_api_backend_refused_status "$rc" 2
check no_api_backend_error_names_the_file grep -qx \
	"vgpu-run: --backend:1: backend $T/none/libx.so: exports none of .*" <<<"$out"
