#!/usr/bin/env bash
# Builds the trace-ring drain fuzz target (clang -fsanitize=fuzzer,address
# over common/trace_ring.c: a producer that writes anything into its ring
# set) and runs it for about 10 s (VGPU_FUZZ_TIME) from seeds that
# fuzz_drain.c writes when built with -DFUZZ_SEEDS.  Any crash, leak,
# sanitizer report or malformed trace fails the test.
. "$(dirname "$0")/../lib.sh"
secs=${VGPU_FUZZ_TIME:-10}
name="trace ring drain fuzzing (libFuzzer, $secs s)"
command -v clang >/dev/null || { skip "$name" "clang not installed"; exit 0; }
src=(tests/trace/fuzz_drain.c common/trace_ring.c common/trace_read.c common/trace_write.c)
if ! (cd "$VGPU_ROOT" && clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-unused-parameter -fsanitize=fuzzer,address,undefined \
	-Icommon -o "$T/fuzz_drain" "${src[@]}") >"$T/build.log" 2>&1; then
	if grep -q 'fuzzer' "$T/build.log" && ! clang -fsanitize=fuzzer -x c /dev/null -o /dev/null 2>/dev/null; then
		skip "$name" "this clang has no libFuzzer runtime"; exit 0
	fi
	fail "drain fuzz target builds" "$(tail -5 "$T/build.log")"; exit 1
fi
pass "drain fuzz target builds"
mkdir -p "$T/corpus"
(cd "$VGPU_ROOT" && cc_test "$T/seeds" tests/trace/fuzz_drain.c -DFUZZ_SEEDS) &&
	"$T/seeds" "$T/corpus" || { fail "drain fuzz seeds" "could not write them"; exit 1; }
expect_eq "drain fuzz seeds written" "$(ls "$T/corpus" | sort | tr '\n' ' ')" "calls drops wrap "

if "$T/fuzz_drain" -max_total_time="$secs" -max_len=8192 -timeout=5 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$T/" "$T/corpus" >"$T/fuzz.log" 2>&1; then
	runs=$(sed -n "s/^stat::number_of_executed_units: *//p" "$T/fuzz.log")
	pass "$name: $runs inputs, no crash"
else
	fail "$name" "$(grep -m3 -E 'ERROR|SUMMARY|panic|deadly' "$T/fuzz.log")"
	tail -30 "$T/fuzz.log"
fi
