#!/usr/bin/env bash
# vgpu-elfpatch against patchelf on the same copy of libcublasLt.so.13:
# wall time (best of $RUNS) and peak RSS, with ratios patchelf / ours.
#   bench/elfpatch.sh BUILD_DIR
set -u
build=${1:-build}
EP=$(cd "$build" && pwd)/bin/vgpu-elfpatch
src=${VGPU_CUBLASLT:-/usr/local/cuda/lib64/libcublasLt.so.13}
RUNS=${RUNS:-3}
[ -x "$EP" ] || { echo "bench/elfpatch.sh: build $EP first" >&2; exit 1; }
[ -f "$src" ] || { echo "bench/elfpatch.sh: $src not present, nothing to measure"; exit 0; }
command -v patchelf >/dev/null || { echo "bench/elfpatch.sh: patchelf not installed"; exit 0; }
dir=$(mktemp -d /tmp/vgpu-bench-elfpatch.XXXXXX)
trap 'rm -rf "$dir"' EXIT
f=$dir/libcublasLt.so.13
pristine=$dir/pristine.so
cp "$src" "$pristine"

# Wall time and peak RSS of one command, measured by a tiny wrapper:
# clock_gettime around fork/exec/wait and getrusage(RUSAGE_CHILDREN).
# (/usr/bin/time's %e counts in 10 ms steps, coarser than what we measure,
# and a shell's date forks add more than the edit itself.)
cc -O2 -x c -o "$dir/run1" - <<'C' || exit 1
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t p = fork();
	if (!p) {
		freopen("/dev/null", "w", stdout);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%ld %ld %d\n", (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000,
	       ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128);
	return 0;
}
C

# measure TOOL ARGS...: "best_us its_kib"; the file is a fresh, synced
# copy before each run so neither tool pays for the other's dirty pages.
measure() {
	local best= rss= i us kib rc
	for ((i = 0; i < RUNS; i++)); do
		cp "$pristine" "$f"; rm -f "$f.vgpu-elfpatch"; sync
		read -r us kib rc < <("$dir/run1" "$@" 2>/dev/null)
		[ "$rc" = 0 ] || echo "bench/elfpatch.sh: $* exited $rc" >&2
		if [ -z "$best" ] || [ "$us" -lt "$best" ]; then best=$us; rss=$kib; fi
	done
	echo "$best $rss"
}

printf 'file: %s (%d bytes); best of %d runs\n' \
	"$src" "$(stat -c %s "$src")" "$RUNS"
printf '%-28s %12s %12s %8s %12s %12s %8s\n' operation "ours ms" "patchelf ms" ratio \
	"ours KiB" "patchelf KiB" ratio
row() {
	local name=$1 ours theirs; shift
	ours=$(measure "$EP" "$@" "$f")
	theirs=$(measure patchelf "$@" "$f")
	set -- $ours $theirs
	awk -v n="$name" -v a="$1" -v b="$3" -v c="$2" -v d="$4" 'BEGIN {
		printf "%-28s %12.2f %12.2f %7.0fx %12d %12d %7.1fx\n", n, a/1000, b/1000,
			(a > 0 ? b/a : 0), c, d, (c > 0 ? d/c : 0) }'
}
row --print-needed --print-needed
row "--replace-needed (fits)" --replace-needed librt.so.1 libvgrt.so
row "--add-needed (in .dynstr)" --add-needed libcublasLt.so.13
cp "$pristine" "$f"; patchelf --add-needed libcublasLt.so.13 "$f"
echo "patchelf grew the file by $(( $(stat -c %s "$f") - $(stat -c %s "$pristine") )) bytes; vgpu-elfpatch by 0"
