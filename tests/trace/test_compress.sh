#!/usr/bin/env bash
# zstd-compressed traces: written by the drain, read by report through
# the same reader as plain ones (detected by content), damage reported.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/service_fixtures.sh"
command -v zstd >/dev/null || { skip compress "zstd(1) is not installed"; exit 0; }
n=50000

vrun -o "$T/a.vgpu.zst" -- "$T/client" threads 2 "$n" >/dev/null 2>"$T/err"; rc=$?
expect_eq "-o FILE.zst: the program's status" "$rc" 0
if is_zstd "$T/a.vgpu.zst"; then pass "-o FILE.zst: the file is zstd (by its magic)"
else fail "-o FILE.zst: the file is zstd (by its magic)" "$(head -c 16 "$T/a.vgpu.zst" | od -An -tx1)"; fi
expect_eq "-o FILE.zst: mode 0600" "$(stat -c %a "$T/a.vgpu.zst")" 600
zstd -q -dc "$T/a.vgpu.zst" >"$T/a.vgpu" 2>"$T/zerr" ||
	fail "the file decompresses with zstd(1)" "$(cat "$T/zerr")"
plain=$(stat -c %s "$T/a.vgpu") packed=$(stat -c %s "$T/a.vgpu.zst")
if [ "$packed" -gt 0 ] && [ $((plain / packed)) -ge 5 ]; then
	pass "compressed at least 5x ($plain -> $packed bytes)"
else fail "compressed at least 5x" "$plain -> $packed bytes"; fi

# The compressed file and its decompressed bytes give the same report
# (but for the name in the first line): the reader sees one stream.
unname() { sed -e '1s|^vgpu-run trace report: .*|NAME|' -e 's|^{\("schema".*"trace":{"path":\)"[^"]*"|\1"NAME"|'; }
for fmt in text json csv; do
	"$BIN/vgpu-run" report --format $fmt "$T/a.vgpu.zst" | unname >"$T/r.zst.$fmt"
	"$BIN/vgpu-run" report --format $fmt "$T/a.vgpu" | unname >"$T/r.plain.$fmt"
	if [ -s "$T/r.zst.$fmt" ] && cmp -s "$T/r.zst.$fmt" "$T/r.plain.$fmt"; then
		pass "report --format $fmt: compressed and plain identical"
	else
		fail "report --format $fmt: compressed and plain identical" \
			"$(diff "$T/r.zst.$fmt" "$T/r.plain.$fmt" | head -5)"
	fi
done
expect_eq "the compressed trace holds every call" "$(calls_in "$T/a.vgpu.zst")" $((2 * n))
check "the compressed trace is complete" grep -q "^trace complete" "$T/r.zst.text"

# The same run traced plain: the same calls, functions and counts (only
# times differ).
vrun -o "$T/b.vgpu" -- "$T/client" threads 2 "$n" >/dev/null 2>&1
summ() { "$BIN/vgpu-run" report --format summary "$1" | awk '{ print $3, $4, $NF }'; }
expect_eq "a plain run of the same program: the same calls and errors" \
	"$(summ "$T/a.vgpu.zst")" "$(summ "$T/b.vgpu")"

# --compress without the suffix; report finds it by content, any name.
vrun --compress -o "$T/c.trace" -- "$T/client" threads 1 1000 >/dev/null 2>&1
if is_zstd "$T/c.trace"; then pass "--compress: zstd without the .zst suffix"
else fail "--compress: zstd without the .zst suffix" "$(head -c 8 "$T/c.trace" | od -An -tx1)"; fi
expect_eq "--compress: report reads it by content" "$(calls_in "$T/c.trace")" 1000
# And a plain trace named .zst is still read as plain.
cp "$T/b.vgpu" "$T/plain-named.zst"
expect_eq "a plain trace named .zst is read as plain" "$(calls_in "$T/plain-named.zst")" $((2 * n))

# A compressed trace cut short (vgpu-run killed) reads up to the cut.
head -c $((packed / 2)) "$T/a.vgpu.zst" >"$T/cut.zst"
"$BIN/vgpu-run" report "$T/cut.zst" >"$T/rep" 2>&1; rc=$?
expect_eq "cut compressed trace: report exits 0" "$rc" 0
check "cut compressed trace: said incomplete" grep -q "^TRACE INCOMPLETE" "$T/rep"
got=$(calls_in "$T/cut.zst")
if [ "$got" -gt 0 ] && [ "$got" -lt $((2 * n)) ]; then pass "cut compressed trace: the calls before the cut ($got)"
else fail "cut compressed trace: the calls before the cut" "$got"; fi

# Damage inside the compressed data is a named error, not a crash.
cp "$T/a.vgpu.zst" "$T/bad.zst"
printf '\377\377\377\377\377\377\377\377' | dd of="$T/bad.zst" bs=1 seek=$((packed / 2)) conv=notrunc 2>/dev/null
timeout 60 "$BIN/vgpu-run" report "$T/bad.zst" >"$T/rep" 2>&1; rc=$?
if [ "$rc" -lt 128 ] && grep -qE "TRACE INCOMPLETE|read error|corrupt" "$T/rep"; then
	pass "damaged compressed trace: a named error (exit $rc)"
else fail "damaged compressed trace: a named error" "exit $rc: $(head -c 300 "$T/rep")"; fi

# A disk that fills: the compressed trace ends where it was whole, with
# its cause, as a plain one does.  (The ring memory of traced calls
# counts against a file size limit too: events fill it here.)
cc_test "$T/open_random" "$VGPU_ROOT/tests/hostile/io_open_many.c" || fail build open_random
chmod 0755 "$T/open_random"
# 4 MiB: past the frames a compressor with threads of its own writes.
(ulimit -f 4096; trap '' XFSZ; timeout 120 "$BIN/vgpu-run" --no-default-rules -o "$T/fsize.zst" -- "$T/open_random" 6000 2000 random) >/dev/null 2>"$T/err"; rc=$?
expect_eq "compressed, file size limit: vgpu-run exits 74" "$rc" 74
expect_eq "compressed, file size limit: said once" \
	"$(grep -c "trace cannot be written at byte [0-9]*: File too large" "$T/err")" 1
check "compressed, file size limit: the program ran to its end" grep -qx DONE "$T/err"
timeout 60 "$BIN/vgpu-run" report "$T/fsize.zst" >"$T/rep" 2>&1; rc=$?
expect_eq "compressed, file size limit: the trace is still readable" "$rc" 0
check "compressed, file size limit: the report names the failure and its cause" \
	grep -q "the trace writer failed at byte [0-9]*: File too large" "$T/rep"
kept=$(sed -n 's/^started .*, \([0-9]*\) records, .*/\1/p' "$T/rep")
if [ "${kept:-0}" -gt 100 ]; then pass "compressed, file size limit: the records before it are kept ($kept)"
else fail "compressed, file size limit: the records before it are kept" "${kept:-none}"; fi
if is_root && mkdir -p "$T/small" && mount -t tmpfs -o size=1m tmpfs "$T/small" 2>/dev/null; then
	trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
	vrun -o "$T/small/calls.zst" -- "$T/client" threads 4 1000000 >/dev/null 2>"$T/err"; rc=$?
	expect_eq "compressed, disk full: vgpu-run exits 74" "$rc" 74
	expect_eq "compressed, disk full: said once" \
		"$(grep -c "trace cannot be written at byte [0-9]*: No space left on device" "$T/err")" 1
	timeout 60 "$BIN/vgpu-run" report "$T/small/calls.zst" >"$T/rep" 2>&1; rc=$?
	expect_eq "compressed, disk full: report exits 0" "$rc" 0
	check "compressed, disk full: the report names the failure" \
		grep -q "the trace writer failed at byte [0-9]*: No space left on device" "$T/rep"
	umount "$T/small"
else
	skip "compressed, disk full" "needs root and a tmpfs mount"
fi

# Damage anywhere in a small compressed trace: report ends with a named
# status, never a crash or a hang (ASan builds check its memory too).
vrun -o "$T/small.zst" -- "$T/client" threads 1 2000 >/dev/null 2>&1
size=$(stat -c %s "$T/small.zst") crashed=""
for i in $(seq 1 40); do
	cp "$T/small.zst" "$T/m.zst"
	at=$(( (i * 7919) % size ))
	head -c 4 /dev/urandom | dd of="$T/m.zst" bs=1 seek="$at" conv=notrunc 2>/dev/null
	timeout 30 "$BIN/vgpu-run" report "$T/m.zst" >/dev/null 2>"$T/m.err"; rc=$?
	[ "$rc" -ge 124 ] && crashed="$crashed at=$at:rc=$rc"
done
expect_eq "40 damaged compressed traces: no crash, no hang" "$crashed" ""
