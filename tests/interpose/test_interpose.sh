#!/usr/bin/env bash
# The interposer end to end under vgpu-run: NVIDIA's runtime against a
# counting driver (count for count), a crash inside the backend, 16
# threads of calls without loss, fault injection, standalone mode.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/interpose
run=$BIN/vgpu-run
cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$T/libcuda.so.1" \
	"$here/counting_driver.c" -Wl,-soname,libcuda.so.1 -lpthread
cc_test "$T/trace_calls" "$here/trace_calls.c" "$VGPU_ROOT/common/trace_read.c" \
	"$VGPU_ROOT/common/trace_write.c"
# The client links against a driver named libcuda.so.1 it will never see:
# vgpu-run serves the interposer for it.
cc_test "$T/drv_client" "$here/drv_client.c" -L"$T" -l:libcuda.so.1 -lpthread
drv="--backend cuda=$T/libcuda.so.1"
counts() { "$T/trace_calls" "$1" | grep -v '^TOTAL' | sort; }

# 1. NVIDIA's libcudart.so.13 driving the counting driver.
rt=/usr/local/cuda/lib64/libcudart.so.13
if [ -r "$rt" ]; then
	cc_test "$T/rt_client" "$here/rt_client.c" -L"$(dirname "$rt")" \
		-l:libcudart.so.13 -Wl,-rpath,"$(dirname "$rt")"
	want=$(COUNT_FILE=$T/direct.cnt LD_LIBRARY_PATH=$T "$T/rt_client")
	got=$(COUNT_FILE=$T/traced.cnt "$run" $drv --backend cudart13=passthrough \
		--real-lib cudart13="$rt" -o "$T/rt.trc" -- "$T/rt_client" 2>"$T/rt.err")
	expect_eq cudart13_output_unchanged "$got" "$want"
	expect_eq cudart13_driver_counts_same_with_and_without \
		"$(sort "$T/traced.cnt")" "$(sort "$T/direct.cnt")"
	expect_eq cudart13_trace_counts_equal_driver_counts \
		"$(counts "$T/rt.trc" | grep '^cu[A-Z]')" "$(sort "$T/traced.cnt")"
	n=$(awk '$1 == "cuGetProcAddress_v2" {print $2}' "$T/traced.cnt")
	if [ "${n:-0}" -ge 300 ]; then pass cudart13_procaddress_lookups_$n; else
		fail cudart13_procaddress_lookups "only ${n:-0}"; fi
	check cudart13_runtime_calls_traced grep -q '^cudaGetDeviceCount 1$' \
		<("$T/trace_calls" "$T/rt.trc")
else
	skip cudart13_counting_driver "no $rt (CUDA 13 toolkit not installed)"
fi

# 2. A crash inside the backend's cuMemAlloc_v2: the enter record stays.
CRASH_IN_ALLOC=1 "$run" $drv -o "$T/crash.trc" -- "$T/drv_client" alloc \
	>/dev/null 2>&1
rc=$?
expect_eq crash_exit_status "$rc" 139
check crash_enter_recorded_never_returned grep -q '^UNFINISHED cuMemAlloc_v2 1$' \
	<("$T/trace_calls" "$T/crash.trc")

# 3. 16 threads x N calls: every call record is there.
calls=1000000
[ "$VGPU_SAN" = 1 ] && calls=100000
"$run" $drv -o "$T/threads.trc" -- "$T/drv_client" threads 16 $calls >/dev/null 2>&1
expect_eq threads_16x${calls}_lossless \
	"$("$T/trace_calls" "$T/threads.trc" | awk '$1 == "cuCtxGetDevice" {print $2}')" \
	"$((16 * calls))"

# 4. Fault injection: the third cuMemAlloc_v2 fails with error 2.
out=$("$run" $drv --rule 'inject cuMemAlloc_v2 error=2 when=3' \
	-o "$T/inj.trc" -- "$T/drv_client" alloc 2>/dev/null | tr '\n' ' ')
expect_eq inject_when_3 "$out" \
	"alloc 1 -> 0 alloc 2 -> 0 alloc 3 -> 2 alloc 4 -> 0 alloc 5 -> 0 "
check inject_marked_in_trace grep -q '^INJECTED cuMemAlloc_v2 1$' \
	<("$T/trace_calls" "$T/inj.trc")
out=$("$run" $drv --rule 'inject cuMemAlloc_v2 error=2 every=2' \
	-- "$T/drv_client" alloc 2>/dev/null | grep -c -- '-> 2')
expect_eq inject_every_2 "$out" 2

# 4b. Out values from the decode table (common/api_decode.txt), read after
# the call; an exit record ends after the values it has.
"$run" $drv -o "$T/out.trc" -- "$T/drv_client" basic >/dev/null 2>&1
ex=$("$T/trace_calls" -x "$T/out.trc" | grep '^EXIT ')
check out_value_count_recorded grep -qx 'EXIT cuDeviceGetCount size=48 out=1' <<<"$ex"
check out_value_version_recorded grep -qx 'EXIT cuDriverGetVersion size=48 out=13000' <<<"$ex"
check exit_without_out_values_is_40_bytes grep -qx 'EXIT cuInit size=40 out=' <<<"$ex"
check report_shows_out_value grep -qF '"count=&1"' \
	<("$run" report --format csv "$T/out.trc")
# A failing call's out-parameter holds nothing the trace should claim.
"$run" $drv -o "$T/outfail.trc" -- "$T/drv_client" devget 1 >/dev/null 2>&1
check no_out_value_from_a_failing_call grep -qx 'EXIT cuDeviceGet size=40 out=' \
	<("$T/trace_calls" -x "$T/outfail.trc")

# 5. Standalone: a copy named libcuda.so.1 on LD_LIBRARY_PATH, no vgpu-run.
mkdir -p "$T/sa"
cp "$LIBDIR/libvgpu-cuda.so" "$T/sa/libcuda.so.1"
got=$(VGPU_BACKEND_CUDA=$T/libcuda.so.1 VGPU_TRACE=$T/sa.trc \
	LD_LIBRARY_PATH=$T/sa "$T/drv_client" basic 2>&1)
expect_eq standalone_output "$got" "cuInit 0 version 13000 (0) count 1 (0)"
expect_eq standalone_trace "$(counts "$T/sa.trc" | tr '\n' ' ')" \
	"cuDeviceGetCount 1 cuDriverGetVersion 1 cuInit 1 "

# 6. A backend without the function: not supported, marked, no crash.
got=$("$run" --backend cuda=$T/libcuda.so.1 --rule 'inject cuInit error=999' \
	-- "$T/drv_client" basic 2>/dev/null)
expect_eq inject_by_number "$got" "cuInit 999 version 13000 (0) count 1 (0)"

# 7. GOT route: a driver under a name no rule catches, opened by absolute
# path with RTLD_DEEPBIND; cuInit looked up through its handle still
# reaches the thunk.
mkdir -p "$T/real"
cc -shared -fPIC -O1 -o "$T/real/libnvcuda.so.1" "$here/counting_driver.c" \
	-Wl,-soname,libnvcuda.so.1 -lpthread
got=$("$run" $drv -o "$T/got.trc" -- "$T/drv_client" deepbind "$T/real/libnvcuda.so.1" 2>&1)
expect_eq got_route_dlsym_returns_thunk "$got" "same as linked cuInit: yes, returns 0"
check got_route_call_traced grep -q '^cuInit 1$' <("$T/trace_calls" "$T/got.trc")

# 8. --trace-export-tables: NVIDIA's runtime on the sim driver fetches
# cuGetExportTable through cuGetProcAddress; the slots it calls become
# "UUID[slot]" calls, except in the two tables the runtime's integrity
# check hashes by address, and the program sees what it sees without.
if [ -r "$rt" ]; then
	simrt() { "$run" --backend sim --backend cudart13=passthrough \
		--real-lib cudart13="$rt" "$@" -- "$T/rt_client" 2>/dev/null; }
	want=$(simrt)
	got=$(simrt --trace-export-tables -o "$T/et.trc")
	expect_eq export_tables_output_unchanged "$got" "$want"
	check export_tables_runtime_sees_the_device grep -qF 'devices 1 (cudaSuccess)' <<<"$got"
	slots=$("$T/trace_calls" "$T/et.trc" | grep -E '^[0-9a-f]{8}-[0-9a-f-]{27}\[[0-9]+\] [0-9]+$')
	check export_tables_tool_hooks_slots_traced \
		grep -qE '^a094798c-2e74-2e74-93f2-0800200c0a66\[[0-9]+\] ' <<<"$slots"
	expect_eq export_tables_integrity_bound_tables_unwrapped \
		"$(grep -cE '^(6bd5fb6c|d4082055)-' <<<"$slots")" 0
	simrt -o "$T/noet.trc" >/dev/null
	expect_eq export_tables_not_wrapped_without_the_flag \
		"$("$T/trace_calls" "$T/noet.trc" | grep -cE '^[0-9a-f]{8}-.*\[[0-9]+\] ')" 0
	check export_tables_fetched_through_cuGetProcAddress_recorded \
		grep -qE '^cuGetExportTable [0-9]+$' <("$T/trace_calls" "$T/noet.trc")
	# The runtime reaches the driver through cuGetProcAddress: the thunks
	# it gets record out values too, 8 bytes for the _v2 the resolver
	# chose (the sim's 80 GiB do not fit in 4).
	ex=$("$T/trace_calls" -x "$T/noet.trc")
	check out_values_through_procaddress grep -qx \
		'EXIT cuDeviceGetCount size=48 out=1' <<<"$ex"
	check out_value_8_bytes_of_the_v2_variant grep -qx \
		'EXIT cuDeviceTotalMem_v2 size=48 out=85899345920' <<<"$ex"
else
	skip export_tables_wrapped "no $rt (CUDA 13 toolkit not installed)"
fi
