#!/usr/bin/env bash
# A container chooses its backend among the agent's own: a "vgpu.backend"
# annotation (a pod's, on Kubernetes) becomes listenerMetadata through
# agent-oci-config.jq, and the container's server uses it over the
# agent's default; a value naming a file is ignored and said.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
agent_prereqs
make_rootfs
dev='device name="Agent GPU" cc=8.9 memory=16GiB sms=60'
# The agent's default for the driver API: passthrough to a "driver" whose
# cuInit fails with 999, so only the simulated GPU can name "Agent GPU".
echo 'int cuInit(unsigned flags) { (void)flags; return 999; }' >"$T/empty.c"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$T/empty.so" "$T/empty.c"
start_agent --rule "$dev" --backend cuda=passthrough --real-lib cuda="$T/empty.so" ||
	{ fail "agent starts" "$(cat "$T/agent.err")"; exit 1; }

driver_line() { grep -A1 '^driver API' "$T/b/$1/out" | grep 'device 0:'; }

make_bundle plain /bin/vgpu-devquery
BUNDLE_JQ='.annotations["vgpu.backend"] = "sim"' make_bundle chosen /bin/vgpu-devquery
BUNDLE_JQ='.annotations["vgpu.backend"] = "'"$T/empty.so"'"' make_bundle named /bin/vgpu-devquery
expect_eq "the annotation becomes listenerMetadata" \
	"$(jq -r .linux.seccomp.listenerMetadata "$T/b/chosen/config.json")" "vgpu.backend=sim"
for id in plain chosen named; do container_up "$id" && wait_stopped "$id"; done

# Each ran, served: its cuInit reached the agent's passthrough driver,
# where without the agent the rootfs has no libcuda.so.1 at all.
for id in plain named; do
	check "$id: the program ran, served by the agent's default" \
		grep -q "cuInit failed (999)" "$T/b/$id/out" "$T/b/$id/err"
done
if driver_line plain | grep -q "Agent GPU"; then
	fail "without a choice the agent's backend answers" "$(driver_line plain)"
else
	pass "without a choice the agent's backend answers"
fi
if driver_line chosen | grep -q "Agent GPU"; then
	pass "vgpu.backend=sim chooses the simulated GPU"
else
	fail "vgpu.backend=sim chooses the simulated GPU" "$(cat "$T/b/chosen/out" "$T/b/chosen/err")"
fi
if driver_line named | grep -q "Agent GPU"; then
	fail "a backend naming a file is not taken" "$(driver_line named)"
else
	pass "a backend naming a file is not taken"
fi
check "the ignored choice is said" grep -q "\[named\] listenerMetadata: 'vgpu.backend=$T/empty.so' ignored" "$T/agent.err"
