#!/usr/bin/env bash
# What compressing the trace costs the traced program: the cheapest driver
# call (cuCtxGetDevice on the counting test driver) N times after a
# warm-up of 100,000, traced to a plain file, to a zstd file (-o
# FILE.zst: the drain compresses), and to a zstd series (--max-size).  A
# lossless program runs at its drain's pace once its ring is full, so its
# ns per call is what the drain (and its compressor) lets it do.  Best of
# 3 runs per row; before each run the last trace is removed and dirty
# pages synced.  Then bursts of 4,000 calls 10 ms apart (the median
# burst): what a call costs the program while the drain keeps up.  Where
# 4 or more CPUs are online zstd compresses in threads of its own, else in
# the drain.
#   bench/trace_compress.sh [BUILD]        (N=calls, default 10,000,000)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
t=$(mktemp -d /tmp/vgpu-bench.XXXXXX); trap 'rm -rf "$t"' EXIT
n=${N:-10000000}
warm=100000
cc -shared -fPIC -O2 -o "$t/libcuda.so.1" "$root/tests/interpose/counting_driver.c" \
	-Wl,-soname,libcuda.so.1 -lpthread
cc -O2 -o "$t/client" "$root/tests/interpose/drv_client.c" -L"$t" -l:libcuda.so.1 -lpthread
fresh() { rm -rf "$t/out"; mkdir "$t/out"; sync; }
# best ns/call the client printed, of 3 runs; $best_bytes: the trace's
# bytes (all files of a series) in that run, $best_calls: its calls
run_best() {
	local name=$1 v; shift
	local mode=(timed "$n"); [ -n "${BURST:-}" ] && mode=(burst 4000)
	best="" best_bytes=0 best_calls=0
	for _ in 1 2 3; do
		fresh
		v=$(timeout 600 "$build/bin/vgpu-run" --backend "cuda=$t/libcuda.so.1" \
			-o "$t/out/$name" "$@" -- "$t/client" "${mode[@]}" 2>/dev/null |
			awk '/^ns\/call/ { print $2 }')
		[ -n "$v" ] || continue
		if [ -z "$best" ] || [ "$(echo "$v < $best" | bc -l)" = 1 ]; then
			best=$v
			best_bytes=$(cat "$t/out"/* | wc -c)
			best_calls=0
			# A call open across a switch of files is in both:
			# once as never returned.
			for f in "$t/out"/*; do
				c=$("$build/bin/vgpu-run" report "$f" | sed -n \
					's/^\([0-9]*\) calls, [0-9]* failed, \([0-9]*\) .*/\1 - \2/p')
				best_calls=$((best_calls + ${c:-0}))
			done
		fi
	done
}
row() {
	local label=$1; shift
	run_best "$@"
	[ -n "$best" ] || { printf '%-30s (failed)\n' "$label"; return; }
	[ -n "${base:-}" ] || base=$best
	printf '%-30s %9.1f %7.1f%% %12d %10.1f %10.1f %8s\n' "$label" "$best" \
		"$(echo "($best - $base) * 100 / $base" | bc -l)" "$best_bytes" \
		"$(echo "$best_bytes / ($n + $warm)" | bc -l)" \
		"$(echo "2000 / $best" | bc -l)" \
		"$([ "$best_calls" = $((n + warm)) ] && echo all || echo "$best_calls")"
}
echo "CPUs online: $(nproc); $n calls after $warm warm-up calls:"
printf '%-30s %9s %8s %12s %10s %10s %8s\n' "trace" "ns/call" "slower" "bytes" "bytes/call" "M rec/s" "calls"
base=""
row "plain (-o app.vgpu)" app.vgpu
row "zstd (-o app.vgpu.zst)" app.vgpu.zst
row "zstd, --max-size 8M (series)" app.vgpu.zst --max-size 8M --max-files 1000
echo "'slower': the program's ns per call against the plain trace's; 'calls':"
echo "every call in the trace (all), else how many; M rec/s: two records a call"
echo "at the program's pace, which in this loop is the drain's."
echo
echo "Bursts of 4000 calls (median burst; 50 bursts after $warm warm-up calls):"
printf '%-30s %9s %8s\n' "trace" "ns/call" "slower"
burst_row() {
	local label=$1; shift
	BURST=1 run_best "$@"
	[ -n "$best" ] || { printf '%-30s (failed)\n' "$label"; return; }
	[ -n "${bbase:-}" ] || bbase=$best
	printf '%-30s %9.1f %7.1f%%\n' "$label" "$best" "$(echo "($best - $bbase) * 100 / $bbase" | bc -l)"
}
bbase=""
burst_row "plain" app.vgpu
burst_row "zstd" app.vgpu.zst
