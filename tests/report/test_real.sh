#!/usr/bin/env bash
# Report mode on traces of real runs under the supervisor: a set-uid-root
# launcher started by an unprivileged user, a program that never loads
# the CUDA runtime, and -c / --report without -o.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
vgpu() { "$BIN/vgpu-run" --no-default-rules "$@"; }

# A program that never loads the runtime.
cat >"$T/plain.c" <<'C'
#include <stdio.h>
int main(void) { puts("plain"); return 3; }
C
cc_test "$T/plain" "$T/plain.c"
out=$(vgpu -o "$T/plain.trace" -- "$T/plain" a b); rc=$?
expect_eq "plain program runs under vgpu-run" "$rc:$out" "3:plain"
out=$(report "$T/plain.trace")
check "diagnosis: the runtime was never requested" \
	grep -qF '* libcudart.so was never requested: the program does not link the CUDA runtime' <<<"$out"
check "processes: exec with argv and exit status" \
	grep -qzF "exited 3; 0 calls"$'\n'"  exec $T/plain"$'\n'"    argv: $T/plain a b" <<<"$out"
check "libraries: ordinary libraries are counted, not listed" \
	grep -qE '^[0-9]+ other librar(y|ies) loaded from the usual paths' <<<"$out"
report --format json -o "$T/plain.json" "$T/plain.trace"
check "json lists libc with the path the loader opened" grep -qE '"name":"libc\.so\.6","served":null,"rule":null,"requests":[0-9]+,"served_count":0,"tried":\["/' "$T/plain.json"

# A process tree: a script runs a command and a subshell that runs two
# more; each is listed under its parent.
cat >"$T/tree.sh" <<'SH'
#!/bin/bash
/bin/true
( /bin/echo sub; /bin/true )
exit 4
SH
chmod +x "$T/tree.sh"
vgpu -o "$T/tree.trace" -- "$T/tree.sh" >/dev/null; rc=$?
expect_eq "tree scenario keeps the script's status" "$rc" 4
out=$(report "$T/tree.trace")
root=$(sed -n 's/^pid \([0-9]*\): exited 4;.*/\1/p' <<<"$out")
expect_eq "processes: two children under the script" \
	"$(grep -cE "^  pid [0-9]+ \(child of $root\): " <<<"$out")" 2
sub=$(grep -B1 '^      exec /bin/echo$' <<<"$out" | sed -n 's/^    pid [0-9]* (child of \([0-9]*\)):.*/\1/p')
check "processes: the grandchild is indented under the subshell" \
	grep -qE "^  pid ${sub:-none} \(child of $root\): " <<<"$out"
if command -v python3 >/dev/null; then
	report --format json -o "$T/tree.json" "$T/tree.trace"
	got=$(python3 -c '
import json, sys
ps = {p["pid"]: p for p in json.load(open(sys.argv[1]))["processes"]}
def path(p):
    return [x["path"] for x in p["execs"]][-1]
echo = [p for p in ps.values() if path(p) == "/bin/echo"][0]
sub = ps[echo["ppid"]]
print(path(sub), path(ps[sub["ppid"]]).rsplit("/", 1)[-1])' "$T/tree.json")
	expect_eq "json: ppid links the grandchild to the subshell and the script" \
		"$got" "/bin/true tree.sh"
fi

# A program that looks for the runtime where there is none: every path
# the loader tried is listed, and the diagnosis says none exists.
cat >"$T/want_rt.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void) { void *h = dlopen("libcudart.so.12", RTLD_NOW); puts(h ? "found" : "missing"); return !h; }
C
cc_test "$T/want_rt" "$T/want_rt.c" -ldl
if [ "$("$T/want_rt")" = missing ]; then
	vgpu -o "$T/rt.trace" -- "$T/want_rt" >/dev/null
	out=$(report "$T/rt.trace")
	n=$(sed -n 's/^libcudart.so.12: not redirected and never found; \([0-9]*\) path(s) tried:$/\1/p' <<<"$out")
	check "libraries: every path tried for a runtime never found ($n)" test "${n:-0}" -ge 2
	check "diagnosis: the runtime was asked for and never found" \
		grep -qE "^\* libcudart\.so\.12 was asked for [0-9]+ time\(s\), no rule served it and none of the $n path\(s\) tried exists on this host$" <<<"$out"
else
	skip "libraries: runtime never found" "this host has a libcudart.so.12 on the loader's path"
fi

# -c prints the summary on stderr at exit; --report writes the text
# report; neither needs -o.
vgpu -c --report "$T/r.txt" -- "$T/plain" >"$T/out" 2>"$T/err"; rc=$?
expect_eq "-c keeps the program's status and output" "$rc:$(cat "$T/out")" "3:plain"
check "-c prints the per-API summary on stderr" grep -qE '^100\.00 .* total$' "$T/err"
check "--report writes the full text report" grep -qF "exec $T/plain" "$T/r.txt"
check "--report file has the diagnosis" grep -qF '== Diagnosis' "$T/r.txt"
expect_eq "--report file is private like the trace (0600)" "$(stat -c %a "$T/r.txt")" 600
fds=$(vgpu -c -- ls -l /proc/self/fd/ 2>/dev/null)
check "-c: the temporary trace does not leak into the program" bash -c "! grep -qE 'deleted|vgpu-trace' <<<'$fds'"
leftover=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'vgpu-trace.*' -newer "$T/plain" 2>/dev/null | wc -l)
expect_eq "-c leaves no temporary trace behind" "$leftover" 0

# The set-uid launcher (as snap-confine): secure execution strips LD_*.
name="diagnosis: LD_PRELOAD stripped by the set-uid step"
if ! is_root; then skip "$name" "needs root (a set-uid-root launcher)"; exit 0; fi
command -v setpriv >/dev/null || { skip "$name" "setpriv (util-linux) not installed"; exit 0; }
mkdir -p "$T/app" "$T/empty"
cc_test "$T/app/launcher" "$VGPU_ROOT/tests/supervisor/launcher.c"
cp "$T/plain" "$T/app/plain"
chown root:root "$T/app/launcher" && chmod 4755 "$T/app/launcher"
chmod -R a+rX "$T"
nobody=$(id -u nobody)
vgpu -o "$T/suid.trace" -- setpriv --reuid="$nobody" --regid="$nobody" \
	--clear-groups -- "$T/app/launcher" "$T/empty" -- "$T/app/plain" >/dev/null; rc=$?
expect_eq "launcher scenario runs" "$rc" 3
out=$(report "$T/suid.trace")
pid=$(grep -B3 "exec $T/app/launcher" <<<"$out" | awk '/^pid/ { sub(":", "", $2); print $2 }' | tail -1)
check "$name" grep -qF "* LD_PRELOAD was stripped by the set-uid step $T/app/launcher (pid $pid)" <<<"$out"
check "processes: the set-uid exec is marked" \
	grep -qF "set-uid owner uid 0: secure execution (LD_* variables stripped)" <<<"$out"
report --format json -o "$T/suid.json" "$T/suid.trace"
if command -v python3 >/dev/null; then
	got=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print([x["path"] for p in d["processes"] for x in p["execs"] if x["secure"]])' "$T/suid.json")
	expect_eq "json marks the secure execution" "$got" "['$T/app/launcher']"
fi
