#!/usr/bin/env bash
# A trace that cannot be written is said at once, ends with its cause and
# makes vgpu-run exit 74; -o is locked against a second writer; data after
# the end record is a warning; strings the program supplied cannot forge
# report lines or reach the terminal raw.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/io_fixtures.sh"
cc_test "$T/open_many" "$VGPU_ROOT/tests/hostile/io_open_many.c" || { fail build open_many; exit 1; }
chmod 0755 "$T" "$T/open_many"

# 1. A full disk: a 1 MiB tmpfs, a program whose opens write ~4 MiB of
# events.  Its DONE comes after its last open, so the error line must come
# before it: said while the program runs, not at exit.
if is_root && mkdir -p "$T/small" && mount -t tmpfs -o size=1m tmpfs "$T/small" 2>/dev/null; then
	trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
	vgpu -o "$T/small/trace" -- "$T/open_many" 1000 4000 >"$T/out" 2>"$T/err"; rc=$?
	expect_rc "disk full: vgpu-run exits 74" "$rc" 74 "$(cat "$T/err")"
	said=$(grep -n "trace cannot be written" "$T/err" | head -n 1 | cut -d: -f1)
	done_at=$(grep -n '^DONE$' "$T/err" | cut -d: -f1)
	if [ -n "$said" ] && [ -n "$done_at" ] && [ "$said" -lt "$done_at" ] &&
	   [ "$(grep -c "trace cannot be written" "$T/err")" = 1 ]; then
		pass "disk full: one stderr line, while the program still runs"
	else
		fail "disk full: one stderr line, while the program still runs" "$(head -c 600 "$T/err")"
	fi
	check "disk full: the error line names the file and the cause" \
		grep -q "$T/small/trace: the trace cannot be written at byte [0-9]*: No space left on device" "$T/err"
	check "disk full: the program ran to its end (untraced)" grep -qx DONE "$T/err"
	timeout 60 "$BIN/vgpu-run" report "$T/small/trace" >"$T/rep" 2>"$T/rep.err"; rc=$?
	expect_rc "disk full: the trace is still readable (report exits 0)" "$rc" 0 "$(cat "$T/rep.err")"
	check "disk full: the report names the writer's failure" \
		grep -q "TRACE INCOMPLETE: .*the trace writer failed" "$T/rep"
	check "disk full: the report carries the cause" grep -q "No space left on device" "$T/rep"
	kept=$(sed -n 's/^started .*, \([0-9]*\) records, .*/\1/p' "$T/rep")
	if [ "${kept:-0}" -gt 100 ]; then pass "disk full: the records before the failure are kept ($kept)"
	else fail "disk full: the records before the failure are kept" "${kept:-none} records"; fi
	if grep -qi "killed" "$T/rep"; then fail "disk full: the report blames no kill" "$(grep -i killed "$T/rep")"
	else pass "disk full: the report blames no kill"; fi
	# The same through the interposer's rings: call records, not events.
	rm -f "$T/small/trace"
	ip=$VGPU_ROOT/tests/interpose
	if cc -shared -fPIC -O1 -o "$T/libcuda.so.1" "$ip/counting_driver.c" -Wl,-soname,libcuda.so.1 -lpthread &&
	   cc_test "$T/drv_client" "$ip/drv_client.c" -L"$T" -l:libcuda.so.1 -lpthread -Wl,-rpath,"$T"; then
		# The default rules serve the interposer libraries.
		timeout 60 "$BIN/vgpu-run" --backend "cuda=$T/libcuda.so.1" -o "$T/small/calls" -- "$T/drv_client" threads 4 200000 \
			>/dev/null 2>"$T/err"; rc=$?
		expect_rc "disk full under traced calls: vgpu-run exits 74" "$rc" 74 "$(cat "$T/err")"
		expect_eq "disk full under traced calls: the failure is said once" \
			"$(grep -c "trace cannot be written at byte [0-9]*: No space left on device" "$T/err")" 1
		timeout 60 "$BIN/vgpu-run" report "$T/small/calls" >"$T/rep" 2>&1
		check "disk full under traced calls: the report names the writer's failure" \
			grep -q "the trace writer failed at byte [0-9]*: No space left on device" "$T/rep"
	else
		fail "disk full under traced calls" "cannot build the counting driver"
	fi
	umount "$T/small"
else
	skip "disk full" "needs root and a tmpfs mount"
fi

# The same without root: a file size limit (SIGXFSZ ignored) makes the
# trace's writes fail with EFBIG past 1 MiB.
(ulimit -f 1024; trap '' XFSZ; vgpu -o "$T/fsize" -- "$T/open_many" 1000 4000) >/dev/null 2>"$T/err"; rc=$?
expect_rc "file size limit: vgpu-run exits 74" "$rc" 74 "$(cat "$T/err")"
check "file size limit: said once, naming the cause" \
	grep -q "the trace cannot be written at byte [0-9]*: File too large; the program goes on untraced" "$T/err"
timeout 60 "$BIN/vgpu-run" report "$T/fsize" >"$T/rep" 2>&1
check "file size limit: the report names the writer's failure and its cause" \
	grep -q "the trace writer failed at byte [0-9]*: File too large" "$T/rep"

# 2. -o /dev/full: refused before the program runs.
out=$(vgpu -o /dev/full --force -- sh -c 'touch "$1"' sh "$T/ran" 2>&1); rc=$?
expect_rc "-o /dev/full: exit 2" "$rc" 2 "$out"
if [ ! -e "$T/ran" ] && [[ $out == *"/dev/full"*"No space left on device"* ]]; then
	pass "-o /dev/full: said before the program runs, which never starts"
else
	fail "-o /dev/full: said before the program runs, which never starts" "$out"
fi

# 3. A second writer of the same trace, even with --force, while the first
# runs (the first waits on a FIFO, no timing involved).
mkfifo "$T/gate"
vgpu -o "$T/locked" -- sh -c 'read x <"$1"; exit 0' sh "$T/gate" >"$T/first.out" 2>&1 &
first=$!
while ! grep -q . "$T/locked" 2>/dev/null; do
	kill -0 "$first" 2>/dev/null || break
	sleep 0.05
done
out=$(vgpu -o "$T/locked" --force -- /bin/true 2>&1); rc=$?
expect_rc "a second writer is refused even with --force (exit 2)" "$rc" 2 "$out"
if [[ $out == *"in use"* ]]; then pass "the refusal says the trace is in use"
else fail "the refusal says the trace is in use" "$out"; fi
echo go >"$T/gate"
wait "$first"; rc=$?
expect_rc "the first writer finishes normally" "$rc" 0 "$(cat "$T/first.out")"
timeout 60 "$BIN/vgpu-run" report "$T/locked" >"$T/rep" 2>&1
if grep -q "trace complete" "$T/rep" && grep -q "command: .*read x" "$T/rep"; then
	pass "the first writer's trace is whole"
else
	fail "the first writer's trace is whole" "$(head -5 "$T/rep")"
fi

# 4. Bytes after the end record.
cp "$T/locked" "$T/tail"
printf 'appended by someone else\n' >>"$T/tail"
timeout 60 "$BIN/vgpu-run" report "$T/tail" >"$T/rep" 2>"$T/rep.err"; rc=$?
expect_rc "data after END: report exits 0" "$rc" 0 "$(cat "$T/rep.err")"
check "data after END: a warning on stderr" grep -q "warning: .*data after the end record" "$T/rep.err"
check "data after END: the report says so" grep -q "warning: .*data after the end record" "$T/rep"

# 5. Strings the program chose: an argv with a newline that forges a
# passwd line and a report section, and a terminal escape.
forge=$'x\nroot::0:0::/root:/bin/sh\n== Diagnosis\n* all good'
esc=$'\e]0;owned\a\e[2J'
out=$(vgpu -v -o "$T/esc" -- sh -c 'exec /bin/true "$@"' sh "$forge" "$esc" 2>&1); rc=$?
expect_rc "escaping: the program runs" "$rc" 0 "$out"
if printf '%s' "$out" | grep -q $'\e'; then fail "-v lines carry no raw escape" "$(printf '%s' "$out" | od -c | head -5)"
else pass "-v lines carry no raw escape"; fi
if printf '%s\n' "$out" | grep -qx 'root::0:0::/root:/bin/sh'; then fail "-v lines: a newline in argv forges no line" "$out"
else pass "-v lines: a newline in argv forges no line"; fi
timeout 60 "$BIN/vgpu-run" report "$T/esc" >"$T/rep" 2>&1
if grep -qx 'root::0:0::/root:/bin/sh' "$T/rep" || [ "$(grep -c '^== Diagnosis' "$T/rep")" != 1 ] ||
   grep -q $'\e' "$T/rep"; then
	fail "text report: argv cannot forge lines or sections, no raw escape" "$(grep -n -a 'root::\|Diagnosis' "$T/rep")"
else
	pass "text report: argv cannot forge lines or sections, no raw escape"
fi
check "text report: the argv is shown escaped" grep -qF 'x\nroot::0:0::/root:/bin/sh\n== Diagnosis' "$T/rep"
timeout 60 "$BIN/vgpu-run" report --format json "$T/esc" >"$T/rep.json" 2>&1
if grep -q $'\e' "$T/rep.json" || grep -qx 'root::0:0::/root:/bin/sh' "$T/rep.json"; then
	fail "json report: escapes control characters" "$(grep -a -n 'root::' "$T/rep.json" | head -3)"
else
	pass "json report: escapes control characters"
fi
# --report writes the same text at exit.
out=$(vgpu --report "$T/esc.txt" -- sh -c 'exec /bin/true "$@"' sh "$forge" "$esc" 2>&1)
if grep -qx 'root::0:0::/root:/bin/sh' "$T/esc.txt" || grep -q $'\e' "$T/esc.txt"; then
	fail "--report: argv cannot forge lines" "$(grep -a -n 'root::' "$T/esc.txt")"
else
	pass "--report: argv cannot forge lines"
fi
