#!/usr/bin/env bash
# contrib/systemd/ollama-vgpu.conf: systemd accepts it on top of
# ollama's own unit, it keeps the rules the README gives (no --force,
# Restart=on-failure, KillMode left alone, the trace in LogsDirectory=),
# and its ExecStart line, run as root as systemd would with the server
# replaced by a stand-in, runs the server as the service user and leaves
# one trace per start, owned by that user.
. "$(dirname "$0")/../lib.sh"
DROPIN=$VGPU_ROOT/contrib/systemd/ollama-vgpu.conf
if [ ! -f "$DROPIN" ]; then fail systemd_dropin "missing $DROPIN"; exit 0; fi

# The value of KEY= in the drop-in's [Service] section (continuation
# lines joined); the last assignment wins, as in systemd.
unit_value() {
	sed -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*/ /;ba' -e '}' "$DROPIN" |
		sed -n "s/^$1=//p" | tail -n 1
}

# ---- systemd's own check, offline: a root with ollama's unit (as its
# install script writes it), stubs for the commands and systemd's units.
if ! command -v systemd-analyze >/dev/null && is_root; then
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq systemd >/dev/null 2>&1
fi
if command -v systemd-analyze >/dev/null; then
	R=$T/root
	mkdir -p "$R/etc/systemd/system/ollama.service.d" "$R/usr/lib/systemd" \
		"$R/usr/local/bin" "$R/usr/bin"
	cp -a /usr/lib/systemd/system "$R/usr/lib/systemd/" 2>/dev/null ||
		cp -a /lib/systemd/system "$R/usr/lib/systemd/"
	cat >"$R/etc/systemd/system/ollama.service" <<-'UNIT'
	[Unit]
	Description=Ollama Service
	After=network-online.target

	[Service]
	ExecStart=/usr/local/bin/ollama serve
	User=ollama
	Group=ollama
	Restart=always
	RestartSec=3
	Environment="PATH=/usr/local/bin:/usr/bin:/bin"

	[Install]
	WantedBy=default.target
	UNIT
	cp "$DROPIN" "$R/etc/systemd/system/ollama.service.d/vgpu.conf"
	for c in usr/local/bin/vgpu-run usr/local/bin/ollama usr/bin/setpriv; do
		printf '#!/bin/sh\n' >"$R/$c"; chmod 755 "$R/$c"
	done
	# Any line it prints is a finding (unknown keys only warn, rc 0).
	out=$(systemd-analyze verify --root="$R" ollama.service 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ -z "$out" ]; then pass systemd_analyze_verify
	else fail systemd_analyze_verify "rc $rc: $out"; fi
else
	skip systemd_analyze_verify "systemd-analyze not installed (needs root to install systemd)"
fi

# ---- what the README promises about the unit
exec_start=$(unit_value ExecStart)
user=$(unit_value User)
group=$(unit_value Group)
logs=$(unit_value LogsDirectory)
expect_eq systemd_restart_on_failure "$(unit_value Restart)" on-failure
expect_eq systemd_killmode_default "$(grep -c '^KillMode=' "$DROPIN")" 0
case " $exec_start " in
*" --force "*) fail systemd_no_force "ExecStart has --force: $exec_start" ;;
*) pass systemd_no_force ;;
esac
case $exec_start in
*" -o /var/log/$logs/"*) pass systemd_trace_in_logs_directory ;;
*) fail systemd_trace_in_logs_directory "-o is not under /var/log/$logs: $exec_start" ;;
esac
# systemd expands %X itself; vgpu-run's patterns must reach it as %%X.
bad=$(sed 's/%%//g' <<<"$exec_start" | grep -oE '%.' | sort -u | tr '\n' ' ')
expect_eq systemd_percent_escaped "$bad" ""
case $exec_start in
*"--trace-owner $user "*) pass systemd_trace_owner_is_user ;;
*) fail systemd_trace_owner_is_user "--trace-owner is not User=$user: $exec_start" ;;
esac

# The README shows the same ExecStart.
readme=$(sed -n '/^### ollama.service (systemd drop-in)/,/^###* [^#]/p' "$VGPU_ROOT/README.md" |
	sed -e 's/^    //' -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*/ /;ba' -e '}' |
	sed -n 's/^ExecStart=\(..*\)/\1/p' | tail -n 1)
expect_eq systemd_readme_same_execstart "$readme" "$exec_start"

# ---- run the ExecStart line as systemd would (root: "+"), with the
# paths moved into the test's directory, the service user replaced by
# nobody and ollama by a stand-in that records who it runs as.
if ! is_root; then
	skip systemd_execstart "needs root: the line runs vgpu-run as root"
	exit 0
fi
if ! "$BIN/vgpu-run" --help 2>&1 | grep -q -- --trace-owner; then
	skip systemd_execstart "this vgpu-run has no --trace-owner (compressed, rotated traces not built in)"
	exit 0
fi
svc_user=nobody
svc_group=$(id -gn nobody)
# /var/log exists; LogsDirectory= (or --trace-owner) makes the rest.
mkdir -p "$T/out" "$T/log" && chmod 777 "$T/out"
cat >"$T/ollama" <<EOF2
#!/bin/sh
echo "\$\$ \$(id -u) \$(id -g) \$*" >>"$T/out/runs"
"$BIN/vgpu-devquery" >/dev/null 2>&1
exit 3
EOF2
chmod 755 "$T/ollama"

read -ra words <<<"${exec_start#+}"
cmd=()
for ((i = 0; i < ${#words[@]}; i++)); do
	w=${words[i]//%%/%}
	case $w in
	/usr/local/bin/vgpu-run) w=$BIN/vgpu-run ;;
	/usr/local/bin/ollama) w=$T/ollama ;;
	"/var/log/$logs/"*) w=$T/log/$logs/${w#/var/log/"$logs"/} ;;
	esac
	if [ $i -gt 0 ] && [ "${words[i - 1]}" = --regid ] && [ "$w" = "$group" ]; then
		w=$svc_group
	elif [ "$w" = "$user" ]; then
		w=$svc_user
	fi
	cmd+=("$w")
done

run_once() {
	timeout -k 5 60 "${cmd[@]}" </dev/null >"$T/out/stdout" 2>"$T/out/stderr"
}
run_once; rc=$?
expect_eq systemd_execstart_status "$rc" 3
if [ -s "$T/out/runs" ]; then
	read -r pid uid gid args <"$T/out/runs"
	expect_eq systemd_execstart_runs_as_user "$uid:$gid" "$(id -u nobody):$(id -g nobody)"
	expect_eq systemd_execstart_args "$args" serve
else
	fail systemd_execstart_runs_as_user "the stand-in never ran: $(cat "$T/out/stderr")"
	exit 0
fi
dir=$T/log/$logs
expect_eq systemd_logs_dir_owner "$(stat -c %U "$dir" 2>&1)" "$svc_user"
first=$(ls "$dir" 2>/dev/null | grep -- "-$pid\." | head -n 1)
if [ -n "$first" ]; then
	pass systemd_trace_named_by_pid
	expect_eq systemd_trace_owner "$(stat -c %U "$dir/$first")" "$svc_user"
	if timeout 60 "$BIN/vgpu-run" report "$dir/$first" 2>&1 | grep -q cuInit; then
		pass systemd_trace_readable
	else fail systemd_trace_readable "report of $first has no cuInit"; fi
else
	fail systemd_trace_named_by_pid "no trace with pid $pid in $dir: $(ls "$dir" 2>&1)"
fi

# A restart (Restart=on-failure after status 3) must not touch the trace
# of the run before it.
sum=$([ -n "$first" ] && md5sum <"$dir/$first")
run_once; rc=$?
expect_eq systemd_restart_status "$rc" 3
expect_eq systemd_restart_new_trace "$(ls "$dir" | wc -l)" 2
if [ -n "$first" ]; then
	expect_eq systemd_restart_keeps_old_trace "$(md5sum <"$dir/$first")" "$sum"
fi
