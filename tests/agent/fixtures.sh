# Sourced by tests/agent/test_*.sh after lib.sh: real OCI containers
# (runc from Debian) whose seccomp listener goes to `vgpu-run agent`.
#   agent_prereqs              skip the whole script (exit 0) when impossible
#   make_rootfs                $ROOTFS: busybox, vgpu-devquery and the
#                              libraries it and the served files need (no
#                              libcuda.so.1 anywhere in it); skips the
#                              script when runc cannot run a container
#   make_bundle ID [ARGS...]   $T/b/ID: config.json running ARGS, its
#                              listenerPath $SOCK
#   start_agent [OPTIONS]      $AGENT_PID, listening on $SOCK, traces in $TR
#   rt ARGS...                 runc under timeout, with our state root
#   container_up ID            create+start, detached
# The trap deletes every container, then stops agents and servers.

RT_ROOT=$T/runc-root
SOCK=$T/agent.sock
TR=$T/traces
ROOTFS=$T/rootfs
AGENT_PID=
AGENT_GROUPS=
RT_TIMEOUT=30

# apt_install PKG: installed under timeout, the package lists refreshed
# once when the first try fails (a fresh machine has none).
apt_install() {
	timeout 300 apt-get install -y "$1" >"$T/apt.log" 2>&1 && return 0
	timeout 300 apt-get update >>"$T/apt.log" 2>&1
	timeout 300 apt-get install -y "$1" >>"$T/apt.log" 2>&1
}

agent_prereqs() {
	if ! is_root; then
		skip "tests/agent" "needs root (runc creates namespaces and cgroups)"
		exit 0
	fi
	if ! command -v runc >/dev/null; then
		apt_install runc ||
			{ skip "tests/agent" "runc not installed and apt-get install runc failed: $(tail -n 1 "$T/apt.log")"; exit 0; }
	fi
	if ! command -v busybox >/dev/null || ! busybox --list >/dev/null 2>&1; then
		apt_install busybox-static ||
			{ skip "tests/agent" "busybox-static not installed and apt-get failed"; exit 0; }
	fi
	if ! command -v jq >/dev/null && ! apt_install jq; then
		skip "tests/agent" "jq is needed to write config.json and apt-get install jq failed"
		exit 0
	fi
}

# The libraries a list of ELF files loads, with their loader.
lib_closure() {
	ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u
}

make_rootfs() {
	mkdir -p "$ROOTFS"/{bin,lib/x86_64-linux-gnu,lib64,etc,proc,sys,dev,tmp}
	cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
	for a in sh cat ls sleep echo grep; do ln -sf busybox "$ROOTFS/bin/$a"; done
	cp "$BIN/vgpu-devquery" "$ROOTFS/bin/"
	local f
	for f in $(lib_closure "$BIN/vgpu-devquery" "$LIBDIR"/*.so "$LIBDIR"/sim/*); do
		case $f in
		*/ld-linux*) cp -L "$f" "$ROOTFS/lib64/" ;;
		*) cp -L "$f" "$ROOTFS/lib/x86_64-linux-gnu/" ;;
		esac
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$ROOTFS/etc/passwd"
	echo 'root:x:0:' >"$ROOTFS/etc/group"
	# A host where runc cannot run any container (no cgroups, a
	# sandbox without namespaces) skips rather than fails.
	NO_AGENT=1 make_bundle probe /bin/echo probe
	if ! rt run --bundle "$T/b/probe" probe </dev/null >"$T/probe.out" 2>&1; then
		skip "tests/agent" "runc cannot run a container here: $(tail -n 1 "$T/probe.out")"
		exit 0
	fi
	rt delete -f probe >/dev/null 2>&1
}

# make_bundle ID ARGS...: a bundle whose opens and execs go to $SOCK,
# made by the shipped tracer/agent-oci-config.jq; $BUNDLE_JQ, when set,
# is one more jq filter applied to the config before it; with NO_AGENT=1
# the bundle has no seccomp section at all.
make_bundle() {
	local id=$1; shift
	local b=$T/b/$id
	mkdir -p "$b"
	(cd "$b" && runc spec)
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	jq --argjson args "$args" --arg root "$ROOTFS" '
		.process.terminal = false | .process.args = $args |
		.root = { path: $root, readonly: true }' \
		"$b/config.json" | jq "${BUNDLE_JQ:-.}" |
		if [ "${NO_AGENT:-0}" = 1 ]; then jq 'del(.linux.seccomp)'; else
		jq --arg socket "$SOCK" \
			-f "$VGPU_ROOT/tracer/agent-oci-config.jq"; fi >"$b/config.new" &&
		mv "$b/config.new" "$b/config.json"
}

rt() {
	timeout "$RT_TIMEOUT" runc --root "$RT_ROOT" "$@"
}

# Detached, with its output in $T/b/ID/out.
container_up() {
	local id=$1 b=$T/b/$1
	rt run -d --bundle "$b" "$id" >"$b/out" 2>"$b/err" </dev/null
}

# Each agent leads a process group of its own, which its containers'
# servers share: the trap ends them by that group id.
start_agent() {
	setsid "$BIN/vgpu-run" agent --socket "$SOCK" --trace-dir "$TR" \
		--state-dir "$T/state" --backend sim "$@" 2>>"$T/agent.err" &
	AGENT_PID=$!
	AGENT_GROUPS+=" $AGENT_PID"
	# Hang guard only: ends as soon as the socket is there.
	for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
	return 1
}

# The container's state as runc says it.
rt_status() {
	rt state "$1" 2>/dev/null | jq -r .status
}

# Waits (bounded) until the container's program has exited.
wait_stopped() {
	for _ in $(seq 300); do
		[ "$(rt_status "$1")" = stopped ] && return 0
		sleep 0.1
	done
	return 1
}

agent_cleanup() {
	# A sanitizer's report in any server (ASan build) fails the script.
	if grep -q "Sanitizer" "$T/agent.err" 2>/dev/null; then
		fail "no sanitizer report from the agent" "$(grep -m 3 -A 5 Sanitizer "$T/agent.err")"
	fi
	local id
	for id in $(timeout 30 runc --root "$RT_ROOT" list -q 2>/dev/null); do
		timeout 30 runc --root "$RT_ROOT" delete -f "$id" >/dev/null 2>&1
	done
	# Servers end with their containers; any left (a failed test) go.
	local g
	for g in $AGENT_GROUPS; do kill -KILL -- "-$g" 2>/dev/null; done
	rm -rf "$T"
}
trap agent_cleanup EXIT
