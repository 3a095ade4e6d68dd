#!/usr/bin/env bash
# Builds the trace-reader fuzz target (clang -fsanitize=fuzzer,address over
# common/trace_read.c and the report code) and runs it for about 10 s
# (VGPU_FUZZ_TIME; `make fuzz FUZZ_TIME=600` for a long run) from a copy
# of the corpus in tests/report/corpus/.  Any crash, leak or sanitizer
# report fails the test.
. "$(dirname "$0")/../lib.sh"
secs=${VGPU_FUZZ_TIME:-10}
name="trace reader fuzzing (libFuzzer, $secs s)"
command -v clang >/dev/null || { skip "$name" "clang not installed"; exit 0; }
[ -f "$VGPU_BUILD/gen/api_decode.inc" ] || { fail "$name" "build first ($VGPU_BUILD/gen/api_decode.inc missing)"; exit 1; }
src=(tests/report/fuzz_trace.c common/trace_read.c common/trace_write.c)
for f in "$VGPU_ROOT"/tracer/report_*.c; do
	[ "$(basename "$f")" = report_main.c ] || src+=("${f#"$VGPU_ROOT"/}")
done
src+=(common/cuda_names.c common/text_escape.c common/export_table_ids.c)
if ! (cd "$VGPU_ROOT" && clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-unused-parameter -fsanitize=fuzzer,address,undefined \
	-Icommon -Itracer -I"$VGPU_BUILD/gen" -o "$T/fuzz_trace" "${src[@]}" -lelf) >"$T/build.log" 2>&1; then
	if grep -q 'fuzzer' "$T/build.log" && ! clang -fsanitize=fuzzer -x c /dev/null -o /dev/null 2>/dev/null; then
		skip "$name" "this clang has no libFuzzer runtime"; exit 0
	fi
	fail "fuzz target builds" "$(tail -5 "$T/build.log")"; exit 1
fi
pass "fuzz target builds"
mkdir -p "$T/corpus"
cp "$VGPU_ROOT"/tests/report/corpus/* "$T/corpus/"

if "$T/fuzz_trace" -max_total_time="$secs" -max_len=8192 -timeout=5 -rss_limit_mb=1024 \
	-print_final_stats=1 "$T/corpus" >"$T/fuzz.log" 2>&1; then
	runs=$(sed -n "s/^stat::number_of_executed_units: *//p" "$T/fuzz.log")
	pass "$name: $runs inputs, no crash"
else
	fail "$name" "$(grep -m3 -E 'ERROR|SUMMARY|panic' "$T/fuzz.log")"
	tail -30 "$T/fuzz.log"
fi
