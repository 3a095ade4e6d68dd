#!/usr/bin/env bash
# Files a root vgpu-run (and vgpu-elfpatch) writes, attacked by a program
# running as nobody that can write the directory they go to: a planted
# symbolic link (leaf or directory), a hard link, a file of its own.
# Nothing outside may change; what vgpu-run creates is a fresh 0600 file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/io_fixtures.sh"
if ! is_root; then skip "output files" "needs root (a root vgpu-run attacked by nobody)"; exit 0; fi
command -v setpriv >/dev/null || { skip "output files" "setpriv (util-linux) not installed"; exit 0; }
make_victim

# 1. --report: the program swaps the report's name for a link to the
# victim while it runs; root writes the report at exit.
out=$(vgpu --report "$SHARED/report" -- "${NB[@]}" sh -c \
	'rm -f "$1"; ln -s "$2" "$1"' sh "$SHARED/report" "$VICTIM" 2>&1); rc=$?
expect_rc "--report: vgpu-run exits with the program's status" "$rc" 0 "$out"
victim_intact "--report: a link planted at the report's name is not written through"
if [ -L "$SHARED/report" ]; then pass "--report: the planted link is left alone"
else fail "--report: the planted link is left alone" "$(ls -l "$SHARED")"; fi

# The report file exists from the start, private.
out=$(vgpu --report "$SHARED/r2" -- sh -c 'stat -c "%a %u" "$1"' sh "$SHARED/r2" 2>&1); rc=$?
expect_eq "--report: created 0600 before the program runs" "$rc:$(printf '%s' "$out" | head -n 1)" "0:600 0"

# 2. -o FILE --force after a traced program planted a link at FILE (a
# service restarted with the same command line).
out=$(vgpu -o "$SHARED/trace" --force -- "${NB[@]}" sh -c \
	'rm -f "$1"; ln -s "$2" "$1"' sh "$SHARED/trace" "$VICTIM" 2>&1); rc=$?
expect_rc "-o: the run that plants the link exits 0" "$rc" 0 "$out"
out=$(vgpu -o "$SHARED/trace" --force -- /bin/true 2>&1); rc=$?
expect_rc "-o --force: refuses a link at FILE (exit 2)" "$rc" 2 "$out"
if [[ $out == *"$SHARED/trace"*"symbolic link"* ]]; then pass "-o --force: the refusal names the file and the link"
else fail "-o --force: the refusal names the file and the link" "$out"; fi
victim_intact "-o --force: the victim behind the link is untouched"

# 3. -o FILE --force over a hard link to a file nobody owns: replaced, not
# written through (nobody would read the trace through its own name), and
# the new trace is root's, 0600.
"${NB[@]}" sh -c 'printf mine >"$1/own" && chmod 0644 "$1/own" && ln "$1/own" "$1/hard"' sh "$SHARED"
out=$(vgpu -o "$SHARED/hard" --force -- /bin/true 2>&1); rc=$?
expect_rc "-o --force over a hard link: exit 0" "$rc" 0 "$out"
expect_eq "-o --force over a hard link: the other name keeps its bytes" "$(cat "$SHARED/own")" mine
expect_eq "-o --force: the trace is a new root file, 0600" "$(stat -c '%a %u %h' "$SHARED/hard")" "600 0 1"

# An existing 0644 file of the caller's own becomes 0600 too.
printf old >"$T/mine.trace"; chmod 0644 "$T/mine.trace"
vgpu -o "$T/mine.trace" --force -- /bin/true >/dev/null 2>&1
expect_eq "-o --force: an existing 0644 trace is replaced by a 0600 one" "$(stat -c %a "$T/mine.trace")" 600

# 4. A link in a directory component: the attacker's directory name now
# points at a root directory holding a file of the same name.
mkdir -p "$T/etc"; cp "$VICTIM" "$T/etc/passwd"; chmod 0644 "$T/etc/passwd"
sum_before=$(sha256sum <"$T/etc/passwd")
"${NB[@]}" ln -s "$T/etc" "$SHARED/sub"
out=$(vgpu -o "$SHARED/sub/passwd" --force -- /bin/true 2>&1); rc=$?
expect_rc "-o through a directory link others can write: refused (exit 2)" "$rc" 2 "$out"
expect_eq "-o through a directory link: the file behind it is untouched" \
	"$(sha256sum <"$T/etc/passwd") $(stat -c %a "$T/etc/passwd")" "$sum_before 644"
# A link in a directory only root can write is followed as before.
ln -s "$T" "$T/self"
check "-o through a link in a private directory still works" \
	vgpu -o "$T/self/via-link.trace" -- /bin/true

# 5. report -o OUT where OUT is the attacker's link.
"${NB[@]}" ln -s "$VICTIM" "$SHARED/out.txt"
out=$(timeout 60 "$BIN/vgpu-run" report -o "$SHARED/out.txt" "$T/mine.trace" 2>&1); rc=$?
expect_rc "report -o onto a planted link: refused (exit 2)" "$rc" 2 "$out"
victim_intact "report -o: the victim behind the link is untouched"
timeout 60 "$BIN/vgpu-run" report -o "$SHARED/new.txt" "$T/mine.trace" >/dev/null 2>&1
expect_eq "report -o: a new report is 0600" "$(stat -c %a "$SHARED/new.txt")" 600

# 6. vgpu-elfpatch: nobody plants the journal's old temporary name and the
# journal's own name as links to the victim.
printf 'int f(void) { return 1; }\n' >"$T/lib.c"
if cc -shared -fPIC -Wl,-soname,libx.so.1 -o "$SHARED/lib.so" "$T/lib.c" 2>/dev/null; then
	"${NB[@]}" ln -s "$VICTIM" "$SHARED/lib.so.vgpu-elfpatch.tmp"
	out=$(timeout 60 "$BIN/vgpu-elfpatch" --set-soname liby.so.1 "$SHARED/lib.so" 2>&1); rc=$?
	expect_rc "elfpatch: edits with a link planted at FILE.vgpu-elfpatch.tmp" "$rc" 0 "$out"
	victim_intact "elfpatch: the journal is not written through the planted link"
	expect_eq "elfpatch: the journal is a root file, 0600" \
		"$(stat -c '%a %u' "$SHARED/lib.so.vgpu-elfpatch" 2>&1)" "600 0"
	check "elfpatch: --undo restores from that journal" \
		timeout 60 "$BIN/vgpu-elfpatch" --undo "$SHARED/lib.so"
	"${NB[@]}" ln -s "$VICTIM" "$SHARED/lib.so.vgpu-elfpatch"
	out=$(timeout 60 "$BIN/vgpu-elfpatch" --set-soname libz.so.1 "$SHARED/lib.so" 2>&1); rc=$?
	if [ "$rc" = 1 ] && [[ $out == *"symbolic link"* ]]; then pass "elfpatch: a link planted at the journal's name is refused"
	else fail "elfpatch: a link planted at the journal's name is refused" "rc=$rc $out"; fi
	victim_intact "elfpatch: the victim behind the journal link is untouched"
else
	skip "elfpatch journal" "cannot build a shared object with cc"
fi
