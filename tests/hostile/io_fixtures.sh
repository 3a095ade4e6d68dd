# Shared by test_output_files.sh, test_trace_loss.sh, test_bounded_input.sh:
# the attacker's identity, a victim file whose bytes and mode must survive,
# and vgpu-run under a timeout (a hang fails fast).
nobody=$(id -u nobody 2>/dev/null || echo 65534)
nogroup=$(id -g nobody 2>/dev/null || echo 65534)
NB=(setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups --)

vgpu() { timeout 60 "$BIN/vgpu-run" --no-default-rules "$@"; }

# A root-owned file and a directory the attacker (nobody) can write.
make_victim() {
	VICTIM=$T/victim
	printf 'root:x:0:0:root:/root:/bin/bash\n' >"$VICTIM"
	chmod 0644 "$VICTIM"
	VICTIM_SUM=$(sha256sum <"$VICTIM")
	SHARED=$T/shared
	mkdir -p "$SHARED"
	chmod 0777 "$SHARED"
	chmod 0755 "$T"
}

# victim_intact NAME: the victim's bytes and mode are what make_victim left.
victim_intact() {
	local got mode
	got=$(sha256sum <"$VICTIM")
	mode=$(stat -c '%a %u' "$VICTIM")
	if [ "$got" = "$VICTIM_SUM" ] && [ "$mode" = "644 0" ]; then
		pass "$1"
	else
		fail "$1" "victim changed: mode [$mode], bytes [$(head -c 80 "$VICTIM" | od -c | head -2)]"
	fi
}

# expect_rc NAME GOT WANT OUTPUT: one result line, the output on failure.
expect_rc() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1" "exit $2, want $3"
		printf '%s\n' "$4" | tail -n 8 | sed 's/^/    /'
	fi
}
