#!/usr/bin/env bash
# The node recipe's files: the systemd units pass systemd-analyze, the
# agent takes the socket systemd passes (socket activation, through
# systemd-socket-activate), and the vgpu-runc wrapper that CRI-O and
# containerd are pointed at adds the agent to a bundle with no seccomp
# section and runs it with runc.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
agent_prereqs
units=$VGPU_ROOT/tracer/agent-units

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	cp "$units"/vgpu-agent.socket "$T/units/"
	# The shipped path is an install's; verify checks it exists.
	sed "s|/usr/local/bin/vgpu-run|$BIN/vgpu-run|" "$units/vgpu-agent.service" >"$T/units/vgpu-agent.service"
	check "systemd-analyze verify accepts the units" \
		systemd-analyze verify --man=no "$T/units/vgpu-agent.socket" "$T/units/vgpu-agent.service"
	check "the service keeps the servers on restart" grep -qx "KillMode=process" "$units/vgpu-agent.service"
else
	skip "systemd-analyze verify accepts the units" "systemd-analyze is not installed"
fi

make_rootfs
dev='device name="Agent GPU" cc=8.9 memory=16GiB sms=60'
if command -v systemd-socket-activate >/dev/null; then
	setsid systemd-socket-activate -l "$SOCK" "$BIN/vgpu-run" agent \
		--trace-dir "$TR" --state-dir "$T/state" --backend sim --rule "$dev" \
		2>>"$T/agent.err" &
	AGENT_PID=$!
	AGENT_GROUPS+=" $AGENT_PID"
	for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
	make_bundle act /bin/vgpu-devquery
	container_up act && wait_stopped act
	if grep -q "device 0: Agent GPU" "$T/b/act/out"; then
		pass "a socket-activated agent serves the container"
	else
		fail "a socket-activated agent serves the container" "$(cat "$T/b/act/err" "$T/agent.err")"
	fi
	check "the agent says it took the passed socket" grep -q "listening on the socket systemd passed" "$T/agent.err"
else
	skip "a socket-activated agent serves the container" "systemd-socket-activate is not installed"
	start_agent --rule "$dev"
fi

# vgpu-runc: a bundle without any seccomp section, as CRI-O or
# containerd would write it, run through the wrapper.
NO_AGENT=1 make_bundle wrapped /bin/vgpu-devquery
jq -e '.linux.seccomp == null' "$T/b/wrapped/config.json" >/dev/null ||
	fail "the bundle starts without seccomp" "it has one"
VGPU_AGENT_SOCKET=$SOCK timeout 30 "$units/vgpu-runc" --root "$RT_ROOT" run -d \
	--bundle "$T/b/wrapped" wrapped >"$T/b/wrapped/out" 2>"$T/b/wrapped/err" </dev/null
wait_stopped wrapped
if grep -q "device 0: Agent GPU" "$T/b/wrapped/out"; then
	pass "vgpu-runc runs the bundle served by the agent"
else
	fail "vgpu-runc runs the bundle served by the agent" "$(cat "$T/b/wrapped/err")"
fi
expect_eq "vgpu-runc set the listener path" \
	"$(jq -r .linux.seccomp.listenerPath "$T/b/wrapped/config.json")" "$SOCK"
# Other commands pass through untouched.
out=$(VGPU_AGENT_SOCKET=$SOCK timeout 30 "$units/vgpu-runc" --root "$RT_ROOT" state wrapped 2>&1)
expect_eq "vgpu-runc passes other commands to runc" "$(jq -r .id <<<"$out" 2>/dev/null)" wrapped
