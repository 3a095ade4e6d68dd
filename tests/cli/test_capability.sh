#!/usr/bin/env bash
# Root without CAP_SYS_ADMIN (a container, a service that dropped it): the
# seccomp filter costs no_new_privs, and the warning says what is missing
# and how to grant it, not "run as root" to someone who is root.
. "$(dirname "$0")/../lib.sh"
run=$BIN/vgpu-run
if ! is_root || ! command -v setpriv >/dev/null; then
	skip capability_warning "needs root and setpriv (drops CAP_SYS_ADMIN)"
	exit 0
fi
marker=$T/ran
timeout 30 setpriv --bounding-set -sys_admin -- "$run" --backend sim -- \
	/bin/sh -c "touch '$marker'" 2>"$T/err"
rc=$?
expect_eq no_cap_program_runs "$rc $([ -e "$marker" ] && echo ran)" "0 ran"
warn=$(grep '^vgpu-run: warning:' "$T/err")
expect_eq no_cap_one_warning_line "$(grep -c . <<<"$warn")" 1
check no_cap_warning_names_what_is_missing grep -qF \
	"running as root without CAP_SYS_ADMIN" <<<"$warn"
check no_cap_warning_says_how_to_grant_it grep -qF \
	"grant CAP_SYS_ADMIN (docker/podman run --cap-add SYS_ADMIN" <<<"$warn"
check no_cap_warning_offers_no_new_privs grep -qF "or accept no_new_privs" <<<"$warn"
if grep -qi "as root" <<<"${warn//as root without/}"; then
	fail no_cap_warning_does_not_say_run_as_root "$warn"
else
	pass no_cap_warning_does_not_say_run_as_root
fi

# no_new_privs set before vgpu-run (NoNewPrivileges=, docker
# --security-opt no-new-privileges): vgpu-run takes nothing away, so it
# says nothing.
rm -f "$marker"
timeout 30 setpriv --no-new-privs --bounding-set -sys_admin -- "$run" \
	--backend sim -- /bin/sh -c "touch '$marker'" 2>"$T/err"
rc=$?
expect_eq nnp_already_set_program_runs "$rc $([ -e "$marker" ] && echo ran)" "0 ran"
expect_eq nnp_already_set_no_warning "$(cat "$T/err")" ""

# As an ordinary user the advice is root or the capability.
if id -u nobody >/dev/null 2>&1; then
	timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		"$run" --backend sim -- /bin/true 2>"$T/err"
	check user_warning_says_root_or_capability grep -qF \
		"run vgpu-run as root (sudo vgpu-run ...) or with CAP_SYS_ADMIN" "$T/err"
else
	skip user_warning_says_root_or_capability "no nobody user"
fi
