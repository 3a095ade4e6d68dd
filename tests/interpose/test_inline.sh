#!/usr/bin/env bash
# The inline route: a program opens a "real driver" by a path no rule
# catches and keeps pointers to its functions before the interposer loads;
# calls through those pointers still reach the chosen handler and are
# traced.  The real driver is assembly, so its prologues are known: one
# reads RIP-relative data in the bytes the entry jump displaces, one
# branches back into them and must be refused.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/interpose
run=$BIN/vgpu-run
mkdir -p "$T/real" "$T/sa"
cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$T/libcuda.so.1" \
	"$here/counting_driver.c" -Wl,-soname,libcuda.so.1 -lpthread
real=$T/real/libnvreal.so.1
cc -shared -o "$real" "$here/real_driver_x86_64.S" -Wl,-soname,libnvreal.so.1
cc_test "$T/client" "$here/inline_client.c" -ldl
cc_test "$T/trace_calls" "$here/trace_calls.c" "$VGPU_ROOT/common/trace_read.c" \
	"$VGPU_ROOT/common/trace_write.c"
calls() { "$T/trace_calls" -n "$1" | grep -v '^TOTAL' | grep -v '^NOTE cu\|^NOTE nvml' | sort; }

# 1. The handler is another library: old pointers reach it (the counting
# driver answers version 13000, the real one would say 13042).
got=$("$run" --backend cuda="$T/libcuda.so.1" -o "$T/other.trc" -- \
	"$T/client" "$real" 2>"$T/other.err")
expect_eq inline_old_pointer_reaches_handler "$got" \
	"cuInit 0 version 13000 (0) count 3 (0)"
c=$(calls "$T/other.trc")
check inline_cuInit_traced grep -q '^cuInit 1$' <<<"$c"
check inline_version_traced grep -q '^cuDriverGetVersion 1$' <<<"$c"
check inline_route_in_trace grep -q "^NOTE route $real: inline, 2 function(s) hooked, 1 refused$" <<<"$c"
check inline_refusal_says_why grep -q \
	"^NOTE inline-refused $real: cuDeviceGetCount: relative branch into the patched bytes$" <<<"$c"
expect_eq inline_refused_function_untraced "$(grep -c '^cuDeviceGetCount' <<<"$c")" 0
check backend_route_none grep -q '^NOTE route .*: none, loaded by us as the backend$' <<<"$c"

# 2. The handler is that very library (it was loaded before us): the
# thunk must run the original code through the trampoline, whose first
# instruction is the relocated RIP-relative load.
want=$(cd "$T" && "$T/client" "$real" 2>&1)	# fails: no libcuda.so.1 at all
got=$("$run" --backend cuda="$real" -o "$T/self.trc" -- "$T/client" "$real" 2>"$T/self.err")
expect_eq inline_trampoline_rip_relative_result "$got" \
	"cuInit 0 version 13042 (0) count 3 (0)"
c=$(calls "$T/self.trc")
check inline_self_cuInit_traced grep -q '^cuInit 1$' <<<"$c"
check inline_self_version_traced grep -q '^cuDriverGetVersion 1$' <<<"$c"
case $want in "setup failed"*) pass inline_needs_the_interposer ;;
	*) fail inline_needs_the_interposer "ran without one: $want" ;; esac

# 3. Standalone: the interposer found on LD_LIBRARY_PATH, VGPU_* env.
cp "$LIBDIR/libvgpu-cuda.so" "$T/sa/libcuda.so.1"
got=$(VGPU_BACKEND_CUDA=$T/libcuda.so.1 VGPU_TRACE=$T/sa.trc \
	LD_LIBRARY_PATH=$T/sa "$T/client" "$real" 2>&1)
expect_eq inline_standalone_output "$got" "cuInit 0 version 13000 (0) count 3 (0)"
check inline_standalone_traced grep -q '^cuInit 1$' <(calls "$T/sa.trc")

# 4. The report lists each library's route and each refusal, once.
rep=$("$BIN/vgpu-run" report "$T/other.trc")
routes=$(sed -n '/^Interposer routes:$/,/^$/p' <<<"$rep")
check report_names_inline_route grep -qxF "  $real: inline, 2 function(s) hooked, 1 refused" <<<"$routes"
check report_names_refusal grep -qxF \
	"  inline hook refused: $real: cuDeviceGetCount: relative branch into the patched bytes" <<<"$routes"
"$BIN/vgpu-run" report --format json -o "$T/other.json" "$T/other.trc"
if command -v python3 >/dev/null; then
	expect_eq json_routes_match_text "$(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["routes"]: print("  " + r)' "$T/other.json")" \
		"$(grep '^  ' <<<"$routes")"
else
	skip json_routes_match_text "python3 not installed"
fi
