# Adds vgpu-run agent's notify rules to an OCI bundle's config.json,
# keeping the container's own seccomp profile:
#   jq --arg socket /run/vgpu-agent.sock -f agent-oci-config.jq config.json
# (optional: --arg metadata 'vgpu.backend=sim'; without it, a
# "vgpu.backend" annotation, e.g. a pod's, becomes that metadata).
#
# The opens and execs the agent decides are notified.  A profile that
# already allows one of them unconditionally has it moved from its allow
# rule to the notify rule (the agent lets through what it does not
# serve, so nothing allowed before is refused).  A syscall the profile
# denies, or allows only under argument conditions, keeps its rules and
# is not notified: the agent never widens what a profile allows.  With no
# profile, one that allows everything else is made.
(.annotations["vgpu.backend"] // null) as $annotated |
def ours: ["open", "openat", "openat2", "execve", "execveat"];
def allows_all($r): $r.action == "SCMP_ACT_ALLOW" and (($r.args // []) | length) == 0;

.linux.seccomp |= (
	(. // { defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] }) as $p
	| ($p.syscalls // []) as $rules
	| [ ours[] as $n
	    | ([ $rules[] | select((.names // []) | index($n)) ]) as $mine
	    | select(
		if ($mine | length) == 0 then $p.defaultAction == "SCMP_ACT_ALLOW"
		else ($mine | all(allows_all(.))) end)
	    | $n ] as $notify
	| $p
	| .listenerPath = $socket
	| (if $ARGS.named.metadata then .listenerMetadata = $ARGS.named.metadata
	   elif $annotated then .listenerMetadata = "vgpu.backend=\($annotated)"
	   else . end)
	| .syscalls = ([ $rules[]
			 | if allows_all(.) then .names -= $notify else . end
			 | select((.names // []) | length > 0) ]
		       + (if ($notify | length) > 0
			  then [{ names: $notify, action: "SCMP_ACT_NOTIFY" }]
			  else [] end))
)
