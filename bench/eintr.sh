#!/usr/bin/env bash
# The EINTR window a seccomp notification leaves (README, "How the
# supervisor works"): opens under a 1 ms interval timer whose handler has
# no SA_RESTART, on the kernel alone and under vgpu-run, for a file let
# through and a library served.  Counts, not times.
set -u
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_EINTR_OPENS:-10000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/eintr_opens" "$root/bench/eintr_opens.c" || exit 1
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$tmp/handler.so" "$root/tests/supervisor/handler.c"
echo x >"$tmp/file"
echo "opens interrupted by a 1 ms SIGALRM without SA_RESTART ($N per path)"
printf '%-40s %s\n' "kernel alone (file, missing library)" \
	"$("$tmp/eintr_opens" "$N" "$tmp/file" /nonexistent/libcuda.so.1)"
printf '%-40s %s\n' "vgpu-run (file let through, library served)" \
	"$("$build/bin/vgpu-run" --no-default-rules --redirect "libcuda.so.1=$tmp/handler.so" \
		-- "$tmp/eintr_opens" "$N" "$tmp/file" /nonexistent/libcuda.so.1 2>/dev/null)"
