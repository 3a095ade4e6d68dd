#!/usr/bin/env bash
# vgpu-run's exit status is the program's, a signal death is 128+N, and
# SIGTERM sent to vgpu-run reaches the program.
. "$(dirname "$0")/../lib.sh"
vgpu() { "$BIN/vgpu-run" --no-default-rules "$@"; }

for code in 0 1 42; do
	vgpu -- /bin/sh -c "exit $code"; expect_eq "exit status $code" $? $code
done
vgpu -- /bin/sh -c 'kill -SEGV $$'; expect_eq "death by SIGSEGV gives 139" $? 139
vgpu -- /nonexistent/program 2>/dev/null; expect_eq "a missing program gives 127" $? 127

# The whole tree is waited for: a grandchild that outlives its parent.
out=$(vgpu -- /bin/sh -c '(sleep 0.3; echo late >'"$T/late"') & exit 3'); rc=$?
expect_eq "waits for orphaned descendants" "$rc:$(cat "$T/late" 2>/dev/null)" "3:late"

mkfifo "$T/ready"
"$BIN/vgpu-run" --no-default-rules -- /bin/sh -c 'trap "echo got-term; exit 77" TERM; echo ready >'"$T/ready"'; while :; do sleep 0.05; done' >"$T/out" &
vpid=$!
read -r _ <"$T/ready"
kill -TERM $vpid
wait $vpid; rc=$?
expect_eq "SIGTERM is forwarded" "$rc:$(cat "$T/out")" "77:got-term"
