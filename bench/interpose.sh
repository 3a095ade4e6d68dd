#!/usr/bin/env bash
# ns per call of the cheapest driver call (cuCtxGetDevice on the counting
# test driver), side by side: direct; through the interposer under vgpu-run
# with full tracing to a file; uftrace record; ltrace -c (fewer calls,
# scaled).  Best of 5 runs per row; before each run the last run's output
# is removed and dirty pages are synced, so no row pays for another's
# truncation or writeback.
#   bench/interpose.sh [BUILD]
#
# Table 1: whole runs of N calls, start-up included.
# Table 2: the client's own loop (no start-up): N calls after a warm-up
#          (steady state: vgpu-run's rate is the drain's), and bursts of
#          4,000 calls into a trace ring the drain has emptied (what a call
#          costs the program while the ring has room).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
t=$(mktemp -d /tmp/vgpu-bench.XXXXXX); trap 'rm -rf "$t"' EXIT
n=${N:-10000000}
cd "$t"	# -pg clients write gmon.out here
cc -shared -fPIC -O2 -o "$t/libcuda.so.1" "$root/tests/interpose/counting_driver.c" \
	-Wl,-soname,libcuda.so.1 -lpthread
cc -O2 -pg -o "$t/client" "$root/tests/interpose/drv_client.c" -L"$t" -l:libcuda.so.1 -lpthread
vrun() { "$build/bin/vgpu-run" --backend "cuda=$t/libcuda.so.1" -o "$t/b.trc" -- "$@"; }
direct() { LD_LIBRARY_PATH=$t "$@"; }
uft() { LD_LIBRARY_PATH=$t uftrace record -d "$t/uft" -P cuCtxGetDevice "$@"; }
ltr() { LD_LIBRARY_PATH=$t ltrace -c -e cuCtxGetDevice -o /dev/null "$@"; }
fresh() { rm -rf "$t/b.trc" "$t/uft" "$t/uft.old"; sync; }
# best wall seconds of 5 runs
secs() {
	local best="" a b d
	for _ in 1 2 3 4 5; do
		fresh
		a=$(date +%s.%N); "$@" >/dev/null 2>&1; b=$(date +%s.%N)
		d=$(echo "$b - $a" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$d < $best" | bc -l)" = 1 ]; then best=$d; fi
	done
	echo "$best"
}
# best ns/call the client itself printed, of 5 runs
inner() {
	local best="" v
	for _ in 1 2 3 4 5; do
		fresh
		v=$("$@" 2>/dev/null | awk '/^ns\/call/ { print $2 }')
		[ -n "$v" ] || continue
		if [ -z "$best" ] || [ "$(echo "$v < $best" | bc -l)" = 1 ]; then best=$v; fi
	done
	echo "${best:-nan}"
}
have() { command -v "$1" >/dev/null; }
# cuCtxGetDevice calls in the last vgpu-run trace, by its own report
traced_calls() {
	"$build/bin/vgpu-run" report --format summary "$t/b.trc" |
		awk '$NF == "cuCtxGetDevice" { print $3 }'
}

echo "Whole runs of $n calls (start-up included):"
printf '%-34s %12s %10s %10s\n' "route" "ns/call" "added" "x direct"
direct_s=$(secs direct "$t/client" threads 1 "$n")
row() {
	local per d
	per=$(echo "$2 * 1000000000 / $3" | bc -l)
	d=$(echo "$direct_s * 1000000000 / $n" | bc -l)
	printf '%-34s %12.1f %10.1f %10.2f\n' "$1" "$per" "$(echo "$per - $d" | bc -l)" \
		"$(echo "$per / $d" | bc -l)"
}
row "direct" "$direct_s" "$n"
row "vgpu-run, full trace" "$(secs vrun "$t/client" threads 1 "$n")" "$n"
calls=$(traced_calls)
bytes=$(stat -c %s "$t/b.trc")
have uftrace && row "uftrace record -P cuCtxGetDevice" "$(secs uft "$t/client" threads 1 "$n")" "$n"
if have ltrace; then
	m=$((n / 1000))
	row "ltrace -c (N/1000, scaled)" "$(secs ltr "$t/client" threads 1 "$m")" "$m"
fi
echo "trace: $bytes bytes, ${calls:-0} cuCtxGetDevice calls of $n"

echo
echo "Inside the client's loop (no start-up):"
printf '%-34s %12s %10s\n' "route" "ns/call" "added"
d1=$(inner direct "$t/client" timed "$n")
row2() { printf '%-34s %12.1f %10.1f\n' "$1" "$2" "$(echo "$2 - $3" | bc -l)"; }
row2 "direct, $n calls" "$d1" "$d1"
v1=$(inner vrun "$t/client" timed "$n")
row2 "vgpu-run, $n calls" "$v1" "$d1"
calls=$(traced_calls)
have uftrace && row2 "uftrace record, $n calls" "$(inner uft "$t/client" timed "$n")" "$d1"
d2=$(inner direct "$t/client" burst 4000)
row2 "direct, bursts of 4000" "$d2" "$d2"
row2 "vgpu-run, bursts of 4000" "$(inner vrun "$t/client" burst 4000)" "$d2"
have uftrace && row2 "uftrace record, bursts of 4000" "$(inner uft "$t/client" burst 4000)" "$d2"
# Two records a call; in the steady state the loop runs at the drain's pace.
echo "drained without loss: ${calls:-0} of $((n + 100000)) calls (100,000 warm-up)" \
	"in the trace, $(echo "2000 / $v1" | bc -l | xargs printf '%.1f') M records/s"
