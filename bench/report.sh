#!/usr/bin/env bash
# Report-mode throughput and peak memory on a 16M-record trace (8M calls,
# enter+exit), side by side with reading the same file with cat (the I/O
# floor) and with uftrace's own report and chrome dump of 8M recorded
# calls (16M entry/exit records) when uftrace is installed; peak memory at
# 1M records shows whether it grows with the trace.  Goal: >= 10 M
# records/s, memory independent of trace length.  Each row: the best time
# of 3 runs (this machine's CPUs do not run alike), the highest peak RSS.
#   bench/report.sh [BUILD_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
vgpu=$build/bin/vgpu-run
tmp=$(mktemp -d /tmp/vgpu-bench-report.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -std=gnu11 -O2 -D_GNU_SOURCE -I"$root/common" -o "$tmp/mktrace" \
	"$root/tests/report/mktrace.c" "$root/common/trace_write.c"
cc -std=gnu11 -O2 -D_GNU_SOURCE -o "$tmp/maxrss" "$root/tests/report/maxrss.c"
"$tmp/mktrace" --calls 2000000 --threads 4 "$tmp/big.trace"	# 16M records
"$tmp/mktrace" --calls 125000 --threads 4 "$tmp/small.trace"	# 1M records
records=$("$vgpu" report --format json "$tmp/big.trace" | sed -n 's/.*"records":\([0-9]*\).*/\1/p' | head -1)
small_records=$("$vgpu" report --format json "$tmp/small.trace" | sed -n 's/.*"records":\([0-9]*\).*/\1/p' | head -1)
cat "$tmp/big.trace" >/dev/null	# warm the page cache for every row alike

now() { date +%s%N; }
measure() {	# label trace cmd... -> "seconds rss", best time of 3 runs
	local t0 t1 us best="" rss=0 r
	for _ in 1 2 3; do
		t0=$(now)
		"$tmp/maxrss" "$@" >/dev/null 2>"$tmp/rss"
		t1=$(now)
		us=$(( (t1 - t0) / 1000 ))
		r=$(awk '/^maxrss/ { print $2 }' "$tmp/rss")
		if [ -z "$best" ] || [ "$us" -lt "$best" ]; then best=$us; fi
		if [ "${r:-0}" -gt "$rss" ]; then rss=$r; fi
	done
	echo "$best $rss"
}

printf '%-34s %10s %9s %10s %9s %14s %13s\n' mode records seconds "M rec/s" "vs cat" "peak RSS 16M" "peak RSS 1M"
read -r cat_us cat_rss < <(measure cat "$tmp/big.trace")
row() {	# label us rss small_rss
	local label=$1 us=$2 rss=$3 srss=$4
	awk -v l="$label" -v n="$records" -v us="$us" -v c="$cat_us" -v r="$rss" -v s="$srss" 'BEGIN {
		printf "%-34s %10d %9.3f %10.1f %8.1fx %11d KiB %10s KiB\n", l, n, us / 1e6, n / us, us / c, r, s }'
}
row "cat (read floor)" "$cat_us" "$cat_rss" "-"
for fmt in summary text json csv chrome perfetto html; do
	read -r us rss < <(measure "$vgpu" report --format $fmt -o /dev/null "$tmp/big.trace")
	read -r _ srss < <(measure "$vgpu" report --format $fmt -o /dev/null "$tmp/small.trace")
	row "vgpu-run report --format $fmt" "$us" "$rss" "$srss"
done
if command -v uftrace >/dev/null; then
	cat >"$tmp/loop.c" <<'C'
#include <stdlib.h>
__attribute__((noinline)) int leaf(int x) { __asm__ volatile(""); return x + 1; }
int main(int c, char **v) { int n = atoi(v[1]), s = 0; (void)c; for (int i = 0; i < n; i++) s = leaf(s); return s != n; }
C
	cc -O1 -pg -o "$tmp/loop" "$tmp/loop.c"
	uftrace record --no-libcall -d "$tmp/uft" "$tmp/loop" 8000000 >/dev/null 2>&1
	uftrace record --no-libcall -d "$tmp/uft-small" "$tmp/loop" 500000 >/dev/null 2>&1
	read -r us rss < <(measure uftrace report -d "$tmp/uft")
	read -r _ srss < <(measure uftrace report -d "$tmp/uft-small")
	row "uftrace report (8M calls)" "$us" "$rss" "$srss"
	read -r us rss < <(measure uftrace dump --chrome -d "$tmp/uft")
	read -r _ srss < <(measure uftrace dump --chrome -d "$tmp/uft-small")
	row "uftrace dump --chrome (8M calls)" "$us" "$rss" "$srss"
fi
echo "($records records in $(stat -c %s "$tmp/big.trace") bytes; small trace $small_records records)"
# What a timeline costs on disk, and whether the HTML page of the big
# trace (most calls aggregated into time buckets) stays light to load.
for fmt in chrome perfetto html; do
	"$vgpu" report --format $fmt -o "$tmp/out.$fmt" "$tmp/big.trace"
	printf '%-8s output: %6.1f MB for %s records (%.1f bytes per call)\n' $fmt \
		"$(awk -v b="$(stat -c %s "$tmp/out.$fmt")" 'BEGIN { print b / 1e6 }')" "$records" \
		"$(awk -v b="$(stat -c %s "$tmp/out.$fmt")" -v n="$records" 'BEGIN { print 2 * b / n }')"
done
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ]; then
	t0=$(now)
	HOME=$tmp timeout 300 "$browser" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/chrome" --virtual-time-budget=30000 --dump-dom \
		"file://$tmp/out.html" >"$tmp/dom.html" 2>/dev/null
	t1=$(now)
	printf 'html page of the %s-record trace: headless Chromium loaded and drew it in %.2f s (%s)\n' \
		"$records" "$(awk -v us=$(( (t1 - t0) / 1000 )) 'BEGIN { print us / 1e6 }')" \
		"$(grep -q 'data-rendered="1"' "$tmp/dom.html" && echo "script finished" || echo "SCRIPT DID NOT FINISH")"
fi
