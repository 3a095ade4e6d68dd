#!/usr/bin/env bash
# Inputs vgpu-run and vgpu-elfpatch read are bounded: a rules file must be a
# regular file of at most 1 MiB (no device read until memory runs out, no
# FIFO waited on for ever); numbers in rules are decimal; elfpatch refuses
# what is not a regular file in one line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/io_fixtures.sh"

# Memory is capped so that a reader of /dev/zero fails here instead of
# taking the machine with it (not under ASan, whose shadow memory alone
# is larger than any such cap).
asan=$VGPU_SAN
grep -qa __asan_init "$BIN/vgpu-run" && asan=1
bounded() {
	if [ "$asan" = 1 ]; then timeout 20 "$@"
	else (ulimit -v 4000000; timeout 20 "$@"); fi
}

out=$(bounded "$BIN/vgpu-run" --no-default-rules --rules /dev/zero -- /bin/true 2>&1); rc=$?
expect_rc "--rules /dev/zero: refused (exit 2)" "$rc" 2 "$out"
if [[ $out == "vgpu-run: /dev/zero: not a regular file
Try 'vgpu-run --help' for more information." ]]; then pass "--rules /dev/zero: one line naming the file"
else fail "--rules /dev/zero: one line naming the file" "$out"; fi

mkfifo "$T/fifo"
out=$(bounded "$BIN/vgpu-run" --no-default-rules --rules "$T/fifo" -- /bin/true 2>&1); rc=$?
expect_rc "--rules FIFO: refused at once (exit 2, no wait for a writer)" "$rc" 2 "$out"
if [[ $out == *"$T/fifo: not a regular file"* ]]; then pass "--rules FIFO: the error names the file"
else fail "--rules FIFO: the error names the file" "$out"; fi

{ echo 'backend sim'; head -c $((1024 * 1024)) /dev/zero | tr '\0' '#'; echo; } >"$T/big.rules"
out=$(bounded "$BIN/vgpu-run" --no-default-rules --rules "$T/big.rules" -- /bin/true 2>&1); rc=$?
expect_rc "--rules over 1 MiB: refused (exit 2)" "$rc" 2 "$out"
if [[ $out == *"$T/big.rules: larger than 1048576 bytes"* ]]; then pass "--rules over 1 MiB: the error names the file and the cap"
else fail "--rules over 1 MiB: the error names the file and the cap" "$out"; fi
printf 'backend sim\n# a comment\n' >"$T/ok.rules"
check "--rules: a small regular file still works" \
	bounded "$BIN/vgpu-run" --no-default-rules --rules "$T/ok.rules" -- /bin/true

# Numbers: decimal, a leading zero refused with FILE:LINE.
out=$(bounded "$BIN/vgpu-run" --no-default-rules --rule 'device clock=010' -- /bin/true 2>&1); rc=$?
expect_rc "clock=010: refused (exit 2)" "$rc" 2 "$out"
if [[ $out == *"--rule:1: device: clock=010: expected a decimal integer"* ]]; then pass "clock=010: FILE:LINE and why"
else fail "clock=010: FILE:LINE and why" "$out"; fi
printf '# inject\nbackend sim\ninject cuInit when=0x10\n' >"$T/hex.rules"
out=$(bounded "$BIN/vgpu-run" --no-default-rules --rules "$T/hex.rules" -- /bin/true 2>&1); rc=$?
if [ "$rc" = 2 ] && [[ $out == *"$T/hex.rules:3: inject: when=0x10"* ]]; then pass "when=0x10: refused at FILE:3"
else fail "when=0x10: refused at FILE:3" "rc=$rc $out"; fi
out=$(bounded "$BIN/vgpu-run" --no-default-rules --rule 'inject cuInit error=010' -- /bin/true 2>&1); rc=$?
if [ "$rc" = 2 ] && [[ $out == *"error=010"* ]]; then pass "error=010: a number for a name is decimal too"
else fail "error=010: a number for a name is decimal too" "rc=$rc $out"; fi
check "clock=10 and memory=8GiB are accepted" \
	bounded "$BIN/vgpu-run" --no-default-rules --rule 'device clock=10 memory=8GiB sms=0' -- /bin/true
check "clock=1410 is accepted with the simulated backend" \
	bounded "$BIN/vgpu-run" --no-default-rules --backend sim --rule 'device clock=1410' -- /bin/true

# vgpu-elfpatch on a FIFO and a device: one line, no wait.
out=$(bounded "$BIN/vgpu-elfpatch" --print-needed "$T/fifo" 2>&1); rc=$?
expect_rc "elfpatch --print-needed FIFO: refused at once (exit 1)" "$rc" 1 "$out"
expect_eq "elfpatch --print-needed FIFO: one line" "$out" "vgpu-elfpatch: $T/fifo: not a regular file"
out=$(bounded "$BIN/vgpu-elfpatch" --set-soname x "$T/fifo" 2>&1); rc=$?
expect_eq "elfpatch editing a FIFO: refused at once" "$rc:$out" "1:vgpu-elfpatch: $T/fifo: not a regular file"
out=$(bounded "$BIN/vgpu-elfpatch" --print-needed /dev/zero 2>&1); rc=$?
expect_eq "elfpatch --print-needed /dev/zero: refused" "$rc:$out" "1:vgpu-elfpatch: /dev/zero: not a regular file"
# A journal that is a FIFO is refused too, not waited on.
printf 'int f(void) { return 1; }\n' >"$T/lib.c"
if cc -shared -fPIC -Wl,-soname,libx.so.1 -o "$T/lib.so" "$T/lib.c" 2>/dev/null; then
	mkfifo "$T/lib.so.vgpu-elfpatch"
	out=$(bounded "$BIN/vgpu-elfpatch" --undo "$T/lib.so" 2>&1); rc=$?
	if [ "$rc" = 1 ] && [[ $out == *"not a regular file"* ]]; then pass "elfpatch: a FIFO journal is refused at once"
	else fail "elfpatch: a FIFO journal is refused at once" "rc=$rc $out"; fi
else
	skip "elfpatch FIFO journal" "cannot build a shared object with cc"
fi
