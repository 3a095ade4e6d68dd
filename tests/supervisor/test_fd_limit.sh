#!/usr/bin/env bash
# vgpu-run holds descriptors for the whole tree (ring sets, kept thread
# handles), so it lifts its own soft RLIMIT_NOFILE to the hard limit; the
# program keeps the soft limit it was started with.
. "$(dirname "$0")/../lib.sh"
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -le 1024 ]; then
	skip fd_limit "hard RLIMIT_NOFILE is $hard: nothing to lift"; exit 0
fi
out=$(ulimit -Sn 1024 && timeout -k 5 30 "$BIN/vgpu-run" --no-default-rules -- \
	sh -c 'ulimit -Sn; awk "/Max open files/ { print \$4 }" /proc/$PPID/limits' 2>"$T/err")
expect_eq program_keeps_its_soft_limit "$(echo "$out" | sed -n 1p)" 1024
expect_eq vgpu_run_lifts_its_own "$(echo "$out" | sed -n 2p)" "$hard"
