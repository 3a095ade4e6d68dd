#!/usr/bin/env bash
# tracer/agent-oci-config.jq adds the agent's notify rules to a bundle
# and keeps the container's own seccomp profile: runc runs the result, the
# container is served, and the profile's own rules still hold.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
agent_prereqs
make_rootfs
filter=$VGPU_ROOT/tracer/agent-oci-config.jq

# What the filter keeps, moves and leaves alone (no runtime needed).
cat >"$T/profile.json" <<'EOF'
{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO",
 "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [
  {"names": ["read", "openat", "execve"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["open"], "action": "SCMP_ACT_ALLOW",
   "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
  {"names": ["uname"], "action": "SCMP_ACT_ERRNO"}]}}}
EOF
jq --arg socket /run/vgpu-agent.sock -f "$filter" "$T/profile.json" >"$T/out.json"
expect_eq "allowed opens and execs are moved to the notify rule" \
	"$(jq -c '.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_NOTIFY") | .names' "$T/out.json")" \
	'["openat","execve"]'
expect_eq "the allow rule keeps the rest" \
	"$(jq -c '.linux.seccomp.syscalls[0]' "$T/out.json")" \
	'{"names":["read"],"action":"SCMP_ACT_ALLOW"}'
expect_eq "a conditional allow and a deny rule are kept as they were" \
	"$(jq -c '[.linux.seccomp.syscalls[1,2].names[]]' "$T/out.json")" '["open","uname"]'
expect_eq "syscalls the default denies are not notified" \
	"$(jq -c '[.linux.seccomp.syscalls[].names[]] | map(select(. == "openat2" or . == "execveat"))' "$T/out.json")" '[]'
expect_eq "the listener path is set" "$(jq -r .linux.seccomp.listenerPath "$T/out.json")" /run/vgpu-agent.sock
expect_eq "the default action is kept" "$(jq -r .linux.seccomp.defaultAction "$T/out.json")" SCMP_ACT_ERRNO

# runc runs the result: a container with its own deny rule is served and
# still refused what its profile refuses.
start_agent || { fail "agent starts" "$(cat "$T/agent.err")"; exit 1; }
BUNDLE_JQ='.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
	syscalls: [{names: ["openat", "read"], action: "SCMP_ACT_ALLOW"},
		   {names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}' \
	make_bundle own /bin/sh -c 'mkdir /dev/x || echo mkdir-refused; /bin/vgpu-devquery'
container_up own && wait_stopped own
check "runc accepts the config" grep -q "driver API" "$T/b/own/out"
check "the container is served" grep -q "device 0: " "$T/b/own/out"
check "the container's own deny rule holds" grep -q "mkdir-refused" "$T/b/own/out"
# The same container without its deny rule may make the directory: the
# refusal above is the profile's.
BUNDLE_JQ='.' make_bundle plain /bin/sh -c 'mkdir /dev/x && echo mkdir-made'
container_up plain && wait_stopped plain
check "without that rule the same mkdir works" grep -q "mkdir-made" "$T/b/plain/out"
