#!/usr/bin/env bash
# The agent SIGKILLed while a container runs: the container's server is a
# process of its own, so the container's opens go on being served with
# no agent at all; an agent started again on the same socket hands a
# later `runc exec` to that server (into the same trace) and serves new
# containers.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
agent_prereqs
make_rootfs
mkdir -p "$ROOTFS/ctl" "$T/ctl"
dev='device name="Agent GPU" cc=8.9 memory=16GiB sms=60'

start_agent --rule "$dev" || { fail "agent starts" "$(cat "$T/agent.err")"; exit 1; }
first=$AGENT_PID
BUNDLE_JQ='.mounts += [{"destination": "/ctl", "type": "bind", "source": "'"$T/ctl"'", "options": ["rbind", "rw"]}]' \
	make_bundle keep /bin/sh -c 'while [ ! -e /ctl/go ]; do sleep 0.1; done; /bin/vgpu-devquery; echo done >/ctl/done; sleep 600'
container_up keep || { fail "container starts" "$(cat "$T/b/keep/err")"; exit 1; }

kill -KILL "$first"
wait "$first" 2>/dev/null
expect_eq "the agent is gone" "$(kill -0 "$first" 2>/dev/null && echo alive || echo gone)" gone

touch "$T/ctl/go"
# Hang guard only: ends as soon as the program is done.
for _ in $(seq 300); do [ -e "$T/ctl/done" ] && break; sleep 0.1; done
if grep -q "device 0: Agent GPU" "$T/b/keep/out"; then
	pass "opens after the agent's death are served"
else
	fail "opens after the agent's death are served" "$(cat "$T/b/keep/out" "$T/b/keep/err")"
fi
if grep -q "Function not implemented" "$T/b/keep/out" "$T/b/keep/err"; then
	fail "no ENOSYS in the container" "$(cat "$T/b/keep/err")"
else
	pass "no ENOSYS in the container"
fi

start_agent -v --rule "$dev" || { fail "a new agent starts on the same socket" "$(tail -n 3 "$T/agent.err")"; exit 1; }
pass "a new agent starts on the same socket"
out=$(rt exec keep /bin/vgpu-devquery 2>&1)
if [[ $out == *"device 0: Agent GPU"* ]]; then
	pass "runc exec after the restart is served"
else
	fail "runc exec after the restart is served" "$out"
fi
check "the new agent handed it to the running server" \
	grep -q "\[keep\] handed to its server (running)" "$T/agent.err"

make_bundle fresh /bin/vgpu-devquery
container_up fresh && wait_stopped fresh
if grep -q "device 0: Agent GPU" "$T/b/fresh/out"; then
	pass "a new container is served by the new agent"
else
	fail "a new container is served by the new agent" "$(cat "$T/b/fresh/err")"
fi

rt delete -f keep >/dev/null 2>&1
for _ in $(seq 100); do grep -q '\[keep\] the container' "$T/agent.err" && break; sleep 0.1; done
"$BIN/vgpu-run" report "$TR/keep.vgpu" >"$T/keep.txt" 2>&1
check "one complete trace across the restart" grep -q "trace complete (end record present)" "$T/keep.txt"
# Two processes ran it (a Go runtime's execve interrupted by its own
# SIGURG is notified, and recorded, again: processes are counted).
runs=$("$BIN/vgpu-run" report --format json "$TR/keep.vgpu" |
	jq '[.processes[] | select([.execs[]?.path] | index("/bin/vgpu-devquery"))] | length')
expect_eq "both runs of the program are in it" "$runs" 2
expect_eq "no second trace for the container" "$(ls "$TR" | grep -c '^keep\.')" 1
