#!/usr/bin/env bash
# `vgpu-run agent` with real runc containers: a busybox rootfs with no
# libcuda.so.1 in it gets the simulated GPU through the agent, each
# container is traced under its own id, `runc exec` is served into the
# same trace, runc refuses to start a container with no agent listening,
# 20 containers share one agent at once, and neither a flooding container nor
# malformed messages on the agent's socket disturb another's service.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
agent_prereqs
make_rootfs
dev='device name="Agent GPU" cc=8.9 memory=16GiB sms=60'

# The rootfs alone cannot load the driver: whatever the container gets
# comes from the agent.
out=$(timeout 20 chroot "$ROOTFS" /bin/vgpu-devquery 2>&1)
if [[ $out == *"libcuda.so.1"* && $out != *"Agent GPU"* ]]; then
	pass "without the agent the rootfs has no libcuda.so.1"
else
	fail "without the agent the rootfs has no libcuda.so.1" "$out"
fi

# No agent listening: the runtime refuses to start the container.
make_bundle noagent /bin/vgpu-devquery
if container_up noagent; then
	fail "runc refuses a container when no agent listens" "it started"
elif grep -q "failed to connect with seccomp agent" "$T/b/noagent/err"; then
	pass "runc refuses a container when no agent listens"
else
	fail "runc refuses a container when no agent listens" "$(cat "$T/b/noagent/err")"
fi
rt delete -f noagent >/dev/null 2>&1

start_agent --rule "$dev" || { fail "agent starts" "$(cat "$T/agent.err")"; exit 1; }

# One container: its program sees the rules' device, its trace is named
# by its id and holds its calls.
make_bundle one /bin/vgpu-devquery
container_up one && wait_stopped one
if grep -q "device 0: Agent GPU, compute 8.9" "$T/b/one/out"; then
	pass "the container's program gets the served device"
else
	fail "the container's program gets the served device" "$(cat "$T/b/one/out" "$T/b/one/err")"
fi
# A trace is complete only once its server closed it, when the
# container's last process is gone (bounded wait).
for _ in $(seq 100); do grep -q '\[one\] the container' "$T/agent.err" 2>/dev/null && break; sleep 0.1; done
"$BIN/vgpu-run" report "$TR/one.vgpu" >"$T/one.txt" 2>&1
expect_eq "the trace names the container" "$(grep '^command:' "$T/one.txt")" \
	"command: vgpu-run agent container one"
check "the trace is complete" grep -q "trace complete (end record present)" "$T/one.txt"
"$BIN/vgpu-run" report --format csv "$TR/one.vgpu" >"$T/one.csv"
n=$(awk -F, '$4 == "cuInit"' "$T/one.csv" | wc -l)
if [ "$n" -ge 1 ]; then pass "the trace has the container's cuInit"; else fail "the trace has the container's cuInit" "none"; fi
check "the trace has the served library" grep -q "libcuda.so.1: served" "$T/one.txt"

# `runc exec` into a running container: the new process's listener goes
# to the container's server, into the same trace.
make_bundle long /bin/sleep 600
container_up long
out=$(rt exec long /bin/vgpu-devquery 2>&1)
if [[ $out == *"device 0: Agent GPU"* ]]; then
	pass "runc exec into the container is served"
else
	fail "runc exec into the container is served" "$out"
fi
rt delete -f long >/dev/null 2>&1
for _ in $(seq 100); do grep -q '\[long\] the container' "$T/agent.err" && break; sleep 0.1; done
"$BIN/vgpu-run" report "$TR/long.vgpu" >"$T/long.txt" 2>&1
check "the exec'd program is in the container's trace" grep -q "exec /bin/vgpu-devquery" "$T/long.txt"
expect_eq "one trace for the container and its exec" "$(ls "$TR" | grep -c '^long\.')" 1

# An annotation named "id" is not the container's id.
BUNDLE_JQ='.annotations = {"id": "spoofed"}' make_bundle real /bin/vgpu-devquery
container_up real && wait_stopped real
for _ in $(seq 100); do [ -e "$TR/real.vgpu" ] && break; sleep 0.1; done
if [ -e "$TR/real.vgpu" ] && [ ! -e "$TR/spoofed.vgpu" ]; then
	pass "an annotation cannot rename the container's trace"
else
	fail "an annotation cannot rename the container's trace" "$(ls "$TR")"
fi

# Malformed messages on the agent's socket: each is refused by its own
# process, and the agent goes on serving.
python3 - "$SOCK" <<'PY' 2>"$T/py.err"
import socket, sys, os
def send(data, fds=()):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    if fds:
        socket.send_fds(s, [data], list(fds))
    else:
        s.sendall(data)
    return s
keep = []
keep.append(send(b"not json at all"))
keep.append(send(b'{"state":{"id":"nofd","status":"creating"}}'))
null = os.open("/dev/null", os.O_RDONLY)
keep.append(send(b'{"state":{"id":"../../etc/x","status":"creating"}}', [null]))
keep.append(send(b'{"state":{"id":"notlistener","status":"creating"}}', [null]))
keep.append(send(b'{"state":' * 1000))
keep.append(send(b""))          # connects and says nothing
PY
make_bundle after /bin/vgpu-devquery
container_up after && wait_stopped after
if grep -q "device 0: Agent GPU" "$T/b/after/out"; then
	pass "served after malformed messages"
else
	fail "served after malformed messages" "$(cat "$T/b/after/err")"
fi
for why in "not a JSON object" "no seccomp listener came with it" \
	   "a container id that cannot name a file" "nested too deep"; do
	if grep -q "refused a runtime's message: $why" "$T/agent.err"; then
		pass "refused: $why"
	else
		fail "refused: $why" "$(grep refused "$T/agent.err")"
	fi
done
if ls "$T" | grep -q '^etc$' || [ -e "$T/etc" ] || ls "$TR" | grep -q '\.\.'; then
	fail "no file made from a bad id" "$(ls "$T" "$TR")"
else
	pass "no file made from a bad id"
fi

# Many containers at once against one agent.
N=20
for i in $(seq $N); do make_bundle "many$i" /bin/vgpu-devquery; done
ups=()
for i in $(seq $N); do container_up "many$i" & ups+=($!); done
wait "${ups[@]}"
ok=0
for i in $(seq $N); do
	wait_stopped "many$i"
	grep -q "device 0: Agent GPU" "$T/b/many$i/out" && ok=$((ok + 1))
done
expect_eq "$N containers at once are all served" "$ok" $N
for _ in $(seq 100); do [ "$(grep -c '\[many[0-9]*\] the container' "$T/agent.err")" -ge $N ] && break; sleep 0.1; done
named=0
for i in $(seq $N); do
	"$BIN/vgpu-run" report "$TR/many$i.vgpu" 2>/dev/null |
		grep -qx "command: vgpu-run agent container many$i" && named=$((named + 1))
done
expect_eq "each of them has its own trace" "$named" $N

# A container that floods its server with opens and execs does not stop
# another's from being served.
make_bundle flood /bin/sh -c 'while :; do cat /no/such/file 2>/dev/null; ls /no 2>/dev/null; done'
container_up flood
for i in 1 2 3; do
	make_bundle "victim$i" /bin/vgpu-devquery
	container_up "victim$i" && wait_stopped "victim$i"
done
ok=0
for i in 1 2 3; do grep -q "device 0: Agent GPU" "$T/b/victim$i/out" && ok=$((ok + 1)); done
expect_eq "served beside a flooding container" "$ok" 3
expect_eq "the flooding container still runs" "$(rt_status flood)" running
rt delete -f flood >/dev/null 2>&1

# The agent ends on SIGTERM and leaves no socket behind.
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
if [ -e "$SOCK" ]; then fail "the agent removes its socket on SIGTERM" "still there"; else pass "the agent removes its socket on SIGTERM"; fi
