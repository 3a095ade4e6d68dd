#!/usr/bin/env bash
# A 16M-call trace is reported in one streaming pass with memory that does
# not depend on its length: the peak RSS of the report of 16M calls is
# compared with that of 1M calls.  The trace flows through a pipe, so no
# multi-GB file is written.  Under ASan (VGPU_SAN=1) the lengths are
# scaled down 8x (2M vs 125k calls): the comparison is the same.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
build_mktrace || { fail mktrace "could not build"; exit 1; }
cc_test "$T/maxrss" "$VGPU_ROOT/tests/report/maxrss.c"
scaled=
if [ "$VGPU_SAN" = 1 ]; then small=125000 big=2000000 scaled=" (scaled down 8x under ASan)"; else small=1000000 big=16000000; fi
threads=4

run() {	# calls-per-thread format -> prints "rss total-calls"
	local per=$(($1 / threads)) out=$T/out.$2
	[ "$2" = summary ] || out=/dev/null	# gigabytes of timeline: not kept
	"$T/mktrace" --calls $per --threads $threads - |
		"$T/maxrss" "$BIN/vgpu-run" report --format "$2" -o "$out" /dev/stdin 2>"$T/rss.err"
	local rc=$?
	[ $rc = 0 ] || { echo "report failed ($rc): $(cat "$T/rss.err")" >&2; return 1; }
	awk '/^maxrss/ { print $2 }' "$T/rss.err"
}

for fmt in summary chrome; do
	r_small=$(run $small $fmt) || { fail "stream $fmt" "small run failed"; continue; }
	r_big=$(run $big $fmt) || { fail "stream $fmt" "big run failed"; continue; }
	calls=$(awk '$NF == "cuCtxGetDevice" { print $3 }' "$T/out.summary" 2>/dev/null)
	# Bounded: 16x the calls may not cost more than 2 MiB more peak memory.
	if [ "$r_big" -le $((r_small + 2048)) ]; then
		pass "report --format $fmt of $big calls$scaled: peak RSS ${r_big} KiB vs ${r_small} KiB for $small"
	else
		fail "report --format $fmt memory is bounded" "peak RSS ${r_big} KiB for $big calls vs ${r_small} KiB for $small"
	fi
	if [ $fmt = summary ]; then
		expect_eq "every one of the $big calls is counted" "$calls" "$big"
	fi
done
