#!/usr/bin/env bash
# The same agent with crun (Debian's, installed when missing): a
# container is served, `crun exec` (which sends pid 0) is served into the
# container's trace, and crun refuses to start with no agent listening.
# crun 1.8 refuses hybrid cgroup hierarchies, so on such a host each call
# runs in a private mount namespace without the cgroup2 mount.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
agent_prereqs
if ! command -v crun >/dev/null; then
	apt_install crun ||
		{ skip "tests/agent/crun" "crun not installed and apt-get install crun failed: $(tail -n 1 "$T/apt.log")"; exit 0; }
fi
hybrid=0
mountpoint -q /sys/fs/cgroup/unified 2>/dev/null && hybrid=1
# crun ARGS... under timeout, with our state root.
cr() {
	local cmd="crun --root '$T/crun-root'"
	local a
	for a in "$@"; do cmd+=" '$a'"; done
	if [ $hybrid = 1 ]; then
		timeout "$RT_TIMEOUT" unshare -m sh -c "umount /sys/fs/cgroup/unified && exec $cmd"
	else
		timeout "$RT_TIMEOUT" sh -c "exec $cmd"
	fi
}
crun_cleanup() {
	local id
	for id in one long; do cr delete -f "$id" >/dev/null 2>&1; done
	agent_cleanup
}
trap crun_cleanup EXIT
make_rootfs
dev='device name="Agent GPU" cc=8.9 memory=16GiB sms=60'

make_bundle noagent /bin/vgpu-devquery
if cr run --bundle "$T/b/noagent" noagent </dev/null >"$T/noagent.out" 2>&1; then
	fail "crun refuses a container when no agent listens" "it ran"
elif grep -q "open seccomp receiver" "$T/noagent.out"; then
	pass "crun refuses a container when no agent listens"
else
	fail "crun refuses a container when no agent listens" "$(cat "$T/noagent.out")"
fi
cr delete -f noagent >/dev/null 2>&1

start_agent --rule "$dev" || { fail "agent starts" "$(cat "$T/agent.err")"; exit 1; }
make_bundle one /bin/vgpu-devquery
cr run --bundle "$T/b/one" one </dev/null >"$T/one.out" 2>&1
if grep -q "device 0: Agent GPU" "$T/one.out"; then
	pass "crun: the container's program gets the served device"
else
	fail "crun: the container's program gets the served device" "$(cat "$T/one.out")"
fi
cr delete -f one >/dev/null 2>&1

make_bundle long /bin/sleep 600
cr run -d --bundle "$T/b/long" long </dev/null >/dev/null 2>&1
out=$(cr exec long /bin/vgpu-devquery </dev/null 2>&1)
if [[ $out == *"device 0: Agent GPU"* ]]; then
	pass "crun exec into the container is served"
else
	fail "crun exec into the container is served" "$out"
fi
cr delete -f long >/dev/null 2>&1
for _ in $(seq 100); do grep -q '\[long\] the container' "$T/agent.err" && break; sleep 0.1; done
"$BIN/vgpu-run" report "$TR/long.vgpu" >"$T/long.txt" 2>&1
check "crun exec's program is in the container's trace" grep -q "exec /bin/vgpu-devquery" "$T/long.txt"
expect_eq "one trace for the container and its exec" "$(ls "$TR" | grep -c '^long\.')" 1
