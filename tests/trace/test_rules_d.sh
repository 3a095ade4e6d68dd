#!/usr/bin/env bash
# The site's rules directory (SYSCONFDIR/vgpu-run/rules.d; VGPU_RULES_DIR
# in tests): read after the shipped defaults, files in name order, the
# same checks as other rules files, and as root nothing others can write.
. "$(dirname "$0")/../lib.sh"
chmod 0755 "$T"
D=$T/rules.d
mkdir "$D" && chmod 0755 "$D"
echo A >"$T/a.txt"; echo B >"$T/b.txt"
printf '# first\nredirect marker.txt %s\n' "$T/a.txt" >"$D/10-a.rules"
printf 'redirect marker.txt %s\n' "$T/b.txt" >"$D/20-b.rules"
printf 'this is not a rule\n' >"$D/README"
printf 'not a rule either\n' >"$D/.hidden.rules"
chmod 0644 "$D"/*
served() { VGPU_RULES_DIR=$D timeout 60 "$BIN/vgpu-run" "$@" -- cat "$T/nowhere/marker.txt" 2>"$T/err"; }

expect_eq "rules.d: read by default (the first file in name order serves)" "$(served)" A
mv "$D/10-a.rules" "$D/30-a.rules"
expect_eq "rules.d: name order decides (20-b before 30-a)" "$(served)" B
expect_eq "rules.d: only NAME.rules files are read" "$(grep -c "not a rule" "$T/err")" 0
out=$(served --no-default-rules); rc=$?
if [ "$rc" != 0 ] && [ -z "$out" ]; then pass "--no-default-rules: rules.d not read"
else fail "--no-default-rules: rules.d not read" "exit $rc, served [$out]"; fi
expect_eq "rules.d: the user's --rule comes first" \
	"$(served --rule "redirect marker.txt $T/a.txt")" A
out=$(VGPU_RULES_DIR=$T/none timeout 60 "$BIN/vgpu-run" -- true 2>&1); rc=$?
expect_eq "rules.d: a missing directory is no error" "$rc:$out" "0:"

# A malformed line: FILE:LINE, exit 2, the program never runs.
printf 'redirect marker.txt %s\nfrobnicate now\n' "$T/b.txt" >"$D/25-bad.rules"
rm -f "$T/ran"
out=$(VGPU_RULES_DIR=$D timeout 60 "$BIN/vgpu-run" -- touch "$T/ran" 2>&1); rc=$?
if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [[ $out == *"$D/25-bad.rules:2:"* ]]; then
	pass "rules.d: a bad line is FILE:LINE, exit 2, before the program"
else fail "rules.d: a bad line is FILE:LINE, exit 2, before the program" "exit $rc: $out"; fi
rm "$D/25-bad.rules"
# Not a regular file, or too large: refused by name.
mkfifo "$D/40-fifo.rules"
rm -f "$T/ran"
out=$(VGPU_RULES_DIR=$D timeout 60 "$BIN/vgpu-run" -- touch "$T/ran" 2>&1); rc=$?
if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [[ $out == *"$D/40-fifo.rules: not a regular file"* ]]; then
	pass "rules.d: a FIFO is refused by name, without blocking"
else fail "rules.d: a FIFO is refused by name, without blocking" "exit $rc: $out"; fi
rm "$D/40-fifo.rules"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$D/50-big.rules"
rm -f "$T/ran"
out=$(VGPU_RULES_DIR=$D timeout 60 "$BIN/vgpu-run" -- touch "$T/ran" 2>&1); rc=$?
if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [[ $out == *"$D/50-big.rules: larger than"* ]]; then
	pass "rules.d: a file over 1 MiB is refused by name"
else fail "rules.d: a file over 1 MiB is refused by name" "exit $rc: $out"; fi
rm "$D/50-big.rules"

# As root: nothing another user could have written.
if is_root; then
	refused() { # NAME WHAT: vgpu-run refuses with WHAT, exit 2, program not run
		local out rc
		rm -f "$T/ran"
		out=$(VGPU_RULES_DIR=$D timeout 60 "$BIN/vgpu-run" -- touch "$T/ran" 2>&1); rc=$?
		if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [[ $out == *"$2"* ]]; then pass "$1"
		else fail "$1" "exit $rc: $out"; fi
	}
	chmod g+w "$D/20-b.rules"
	refused "as root: a group-writable file is refused (FILE:, exit 2)" "$D/20-b.rules: group-writable"
	chmod g-w,o+w "$D/20-b.rules"
	refused "as root: a world-writable file is refused" "$D/20-b.rules: world-writable"
	chmod o-w "$D/20-b.rules"
	chown 65534 "$D/20-b.rules"
	refused "as root: a file owned by another user is refused" "$D/20-b.rules: owned by uid 65534"
	chown 0 "$D/20-b.rules"
	chmod g+w "$D"
	refused "as root: a group-writable directory is refused" "$D: group-writable"
	chmod g-w "$D"
	expect_eq "as root: a clean directory is read again" "$(served)" B
else
	skip "rules.d as root" "needs root"
fi

# The shipped example parses, commented or not.
ex=$VGPU_ROOT/rules/ollama.rules
check "ollama.rules: the example is read as a rules file" \
	timeout 60 "$BIN/vgpu-run" --rules "$ex" -- true
sed 's/^#\(backend sim\|device \|inject \)/\1/' "$ex" >"$T/ollama-on.rules"
n=$(grep -cE '^(backend sim|device |inject )' "$T/ollama-on.rules")
if [ "$n" -ge 3 ] && timeout 60 "$BIN/vgpu-run" --rules "$T/ollama-on.rules" -- true 2>"$T/err"; then
	pass "ollama.rules: its example lines are valid rules ($n)"
else fail "ollama.rules: its example lines are valid rules" "$n lines; $(cat "$T/err")"; fi
