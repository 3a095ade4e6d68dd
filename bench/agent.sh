#!/usr/bin/env bash
# Cost per open, side by side: no seccomp (on the host, and in a runc
# container without a listener), the wrapper (vgpu-run -- PROGRAM) and
# the agent (a runc container whose listener went to `vgpu-run agent`),
# each letting an open through and serving one by fd injection.  Every
# vgpu-run row writes a trace, as the agent does.  Median of 3 runs of
# N opens.  Needs root and runc (installed when missing, else skipped).
set -u
build=$(cd "${1:-build}" && pwd)
VGPU_BUILD=$build
. "$(dirname "$0")/../tests/lib.sh"
. "$VGPU_ROOT/tests/agent/fixtures.sh"
agent_prereqs
N=${BENCH_OPENS:-20000}
loop=$build/bench/openloop
make_rootfs
cp "$loop" "$ROOTFS/bin/openloop"
echo x >"$ROOTFS/file"
echo x >"$T/file"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$T/handler.so" "$VGPU_ROOT/tests/supervisor/handler.c"
serve="redirect libcuda.so.1 $T/handler.so"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# CMD... -> median of the ns per open its openloop printed.
per_open() {
	for _ in 1 2 3; do "$@" 2>/dev/null | tail -n 1; done | median
}
# ID PATH -> the same, in a fresh container each run.
in_container() {
	local id=$1 path=$2 i
	for i in 1 2 3; do
		make_bundle "$id$i" /bin/openloop "$path" "$N"
		container_up "$id$i" && wait_stopped "$id$i"
		tail -n 1 "$T/b/$id$i/out"
		rt delete -f "$id$i" >/dev/null 2>&1
	done | median
}

host=$(per_open "$loop" "$T/file" "$N")
NO_AGENT=1
nosec=$(in_container nosec /file)
unset NO_AGENT
wpass=$(per_open "$BIN/vgpu-run" --no-default-rules -o "$T/w1" --force -- "$loop" "$T/file" "$N")
wserve=$(per_open "$BIN/vgpu-run" --no-default-rules --rule "$serve" -o "$T/w2" --force -- "$loop" /nonexistent/libcuda.so.1 "$N")
start_agent --no-default-rules --rule "$serve" >/dev/null ||
	{ echo "agent did not start: $(cat "$T/agent.err")"; exit 1; }
apass=$(in_container apass /file)
aserve=$(in_container aserve /nonexistent/libcuda.so.1)

echo "open+close, $N per run, median of 3 (ns per open)"
printf '%-44s %10s\n' "where" "ns/open"
printf '%-44s %10s\n' "host, no seccomp" "$host" \
	"runc container, no seccomp" "$nosec" \
	"wrapper: vgpu-run -- PROGRAM, let through" "$wpass" \
	"wrapper: vgpu-run -- PROGRAM, served" "$wserve" \
	"agent: runc container, let through" "$apass" \
	"agent: runc container, served" "$aserve"
