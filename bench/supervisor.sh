#!/usr/bin/env bash
# Cost per intercepted open, side by side: a bare seccomp-notify round
# trip, vgpu-run letting opens through, vgpu-run serving every open by fd
# injection (with and without a trace file), and strace both ways.  Then
# start-up cost on /bin/true.  Each row is the median of 5 runs.
set -u
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_OPENS:-20000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$tmp/handler.so" "$root/tests/supervisor/handler.c"
echo x >"$tmp/file"
loop=$build/bench/openloop
vr=("$build/bin/vgpu-run" --no-default-rules)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# CMD... -> median ns per open+close over 5 runs, wall clock (what the
# program waits) and CPU (user+system of every process and thread the
# command ran, vgpu-run's included).  On a small VM the two part: a
# supervisor that takes longer lets the program's CPU go idle, and
# waking an idle virtual CPU costs more than the work that idled it.
cpu_log=$tmp/cpu
per_open() {
	local TIMEFORMAT='%3U %3S'
	: >"$cpu_log"
	for _ in 1 2 3 4 5; do
		{ time "$@" 2>/dev/null | tail -n 1 >>"$tmp/wall"; } 2>>"$cpu_log"
	done
	median <"$tmp/wall"; rm -f "$tmp/wall"
}
cpu_per_open() { # the CPU of the last per_open, ns per open
	awk -v n="$N" '{ print int(($1 + $2) * 1e9 / n) }' "$cpu_log" | median
}
wall_ms() { # CMD... -> median wall ms over 20 runs
	for _ in $(seq 20); do
		local a b
		a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N)
		echo $(((b - a) / 1000))
	done | median | awk '{ printf "%.2f", $1 / 1000 }'
}

measure() { # VAR CMD...: VAR=wall ns/open, VAR_cpu=CPU ns/open
	local var=$1; shift
	printf -v "$var" '%s' "$(per_open "$@")"
	printf -v "${var}_cpu" '%s' "$(cpu_per_open)"
}
measure bare "$loop" "$tmp/file" "$N"
measure rt "$build/bench/notify_bare" "$loop" "$tmp/file" "$N"
measure rtfd "$build/bench/notify_bare" --addfd "$tmp/handler.so" "$loop" /nonexistent/libcuda.so.1 "$N"
measure pass "${vr[@]}" -- "$loop" "$tmp/file" "$N"
measure serve "${vr[@]}" --redirect "libcuda.so.1=$tmp/handler.so" -- "$loop" /nonexistent/libcuda.so.1 "$N"
measure servet "${vr[@]}" --force -o "$tmp/trace" --redirect "libcuda.so.1=$tmp/handler.so" -- "$loop" /nonexistent/libcuda.so.1 "$N"
have_strace=0; command -v strace >/dev/null && have_strace=1
if [ $have_strace = 1 ]; then
	measure st strace -f -e trace=openat -o /dev/null "$loop" "$tmp/file" "$N"
	measure stb strace -f --seccomp-bpf -e trace=openat -o /dev/null "$loop" "$tmp/file" "$N"
fi

echo "open+close, $N per run, median of 5 (ns per open; 'added' is over a plain open)"
echo "'vs bare' compares with the bare supervisor doing the same kind of answer;"
echo "'CPU' is every process's and thread's user+system time per open"
printf '%-44s %9s %9s %9s %9s\n' "mode" "ns/open" "added" "vs bare" "CPU ns"
row() { # LABEL VAR [BARE_VAR]
	local w=${!2} c; c=${2}_cpu; c=${!c}; local b=${!3:-$rt}
	printf '%-44s %9d %9d %8.2fx %9d\n' "$1" "$w" $((w - bare)) "$(echo "$w / $b" | bc -l)" "$c"
}
row "plain open (no supervisor)" bare
row "bare notify supervisor: CONTINUE" rt
row "bare notify supervisor: ADDFD+SEND" rtfd rtfd
row "vgpu-run, open let through" pass
row "vgpu-run, open served by fd injection" serve rtfd
row "vgpu-run, served, with -o trace" servet rtfd
if [ $have_strace = 1 ]; then
	row "strace -f -e trace=openat" st
	row "strace -f --seccomp-bpf -e trace=openat" stb
	echo
	printf 'strace adds %.1fx, strace --seccomp-bpf %.1fx the time vgpu-run adds to a served open\n' \
		"$(echo "($st - $bare) / ($serve - $bare)" | bc -l)" \
		"$(echo "($stb - $bare) / ($serve - $bare)" | bc -l)"
else
	echo "(strace not installed: its rows are missing)"
fi
echo
echo "start-up on /bin/true, median wall ms of 20 runs"
printf '%-44s %9s\n' "/bin/true" "$(wall_ms /bin/true)"
printf '%-44s %9s\n' "notify_bare /bin/true" "$(wall_ms "$build/bench/notify_bare" /bin/true)"
printf '%-44s %9s\n' "vgpu-run /bin/true" "$(wall_ms "${vr[@]}" -- /bin/true)"
printf '%-44s %9s\n' "vgpu-run (default rules) /bin/true" "$(wall_ms "$build/bin/vgpu-run" -- /bin/true)"
[ $have_strace = 1 ] && printf '%-44s %9s\n' "strace -f /bin/true" "$(wall_ms strace -f -o /dev/null /bin/true)"
exit 0
