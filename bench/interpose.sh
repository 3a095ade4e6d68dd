#!/usr/bin/env bash
# ns per call of the cheapest driver call (cuCtxGetDevice on the counting
# test driver): direct; through the interposer under vgpu-run with full
# tracing to a file; uftrace record; ltrace -c (fewer calls, scaled).
#   bench/interpose.sh [BUILD]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
t=$(mktemp -d /tmp/vgpu-bench.XXXXXX); trap 'rm -rf "$t"' EXIT
n=${N:-10000000}
cd "$t"	# -pg clients write gmon.out here
cc -shared -fPIC -O2 -o "$t/libcuda.so.1" "$root/tests/interpose/counting_driver.c" \
	-Wl,-soname,libcuda.so.1 -lpthread
cc -O2 -pg -o "$t/client" "$root/tests/interpose/drv_client.c" -L"$t" -l:libcuda.so.1 -lpthread
secs() { local a b; a=$(date +%s.%N); "$@" >/dev/null 2>&1; b=$(date +%s.%N); echo "$b - $a" | bc -l; }
direct=$(LD_LIBRARY_PATH=$t secs "$t/client" threads 1 "$n")
traced=$(secs "$build/bin/vgpu-run" --backend "cuda=$t/libcuda.so.1" -o "$t/b.trc" -- "$t/client" threads 1 "$n")
rec=$(stat -c %s "$t/b.trc")
printf '%-34s %12s %10s\n' "route" "ns/call" "x direct"
row() { printf '%-34s %12.1f %10.2f\n' "$1" "$(echo "$2 * 1000000000 / $3" | bc -l)" \
	"$(echo "($2 / $3) / ($direct / $n)" | bc -l)"; }
row "direct" "$direct" "$n"
row "vgpu-run, full trace" "$traced" "$n"
if command -v uftrace >/dev/null; then
	u=$(LD_LIBRARY_PATH=$t secs uftrace record -d "$t/uft" -P cuCtxGetDevice "$t/client" threads 1 "$n")
	row "uftrace record -P cuCtxGetDevice" "$u" "$n"
fi
if command -v ltrace >/dev/null; then
	m=$((n / 1000))
	l=$(LD_LIBRARY_PATH=$t secs ltrace -c -e cuCtxGetDevice -o /dev/null "$t/client" threads 1 "$m")
	row "ltrace -c (N/1000, scaled)" "$l" "$m"
fi
echo "trace file: $rec bytes for $n calls (startup included in every row)"
