#!/usr/bin/env bash
# Traces for services: --max-size rotation (every file readable alone, the
# counts adding up), %p/%t/%% in -o, and --trace-owner's directory.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/service_fixtures.sh"
n=30000

# 1. Every file of the series kept: the calls of the parts add up to the
# run's.  A call open across a switch has its entry in one part (never
# returned there) and its exit in the next (a call there too): counted
# twice, once as unfinished.
mkdir "$T/all"
vrun -o "$T/all/app.vgpu" --max-size 64K --max-files 1000 -- "$T/client" threads 1 "$n" >/dev/null 2>"$T/err"; rc=$?
expect_eq "rotation: the program's status" "$rc" 0
files=$(ls "$T/all" | wc -l)
if [ "$files" -gt 10 ]; then pass "rotation: $files files of at most 64K"
else fail "rotation: many files of at most 64K" "$(ls -l "$T/all")"; fi
big=$(find "$T/all" -type f -size +$((64 + 1))k | head -3)
expect_eq "rotation: no file past the size by more than a record" "$big" ""
bad_mode=$(find "$T/all" -type f ! -perm 0600 | head -3)
expect_eq "rotation: every file mode 0600" "$bad_mode" ""
total=0 unfinished=0 incomplete=""
for f in "$T/all"/app.vgpu*; do
	"$BIN/vgpu-run" report "$f" >"$T/rep" 2>&1 || incomplete="$incomplete $f(exit)"
	grep -q "^trace complete" "$T/rep" || incomplete="$incomplete $f"
	total=$((total + $(calls_in "$f")))
	unfinished=$((unfinished + $(unfinished_in "$f")))
done
expect_eq "rotation: every file readable on its own and complete" "$incomplete" ""
expect_eq "rotation: the calls of all files add up to the run's" "$((total - unfinished))" "$n"
if [ "$unfinished" -le "$files" ]; then pass "rotation: at most one call per switch left open ($unfinished)"
else fail "rotation: at most one call per switch left open" "$unfinished open calls in $files files"; fi
# Each part says which it is and what came before; the names go from the
# newest (app.vgpu) back.
last=$((files - 1))
expect_eq "rotation: app.vgpu is the last part" \
	"$("$BIN/vgpu-run" report "$T/all/app.vgpu" | sed -n 's/^series: part \([0-9]*\) .*/\1/p')" "$files"
expect_eq "rotation: app.vgpu.$last is the first part" \
	"$("$BIN/vgpu-run" report "$T/all/app.vgpu.$last" | sed -n 's/^series: \(part [0-9]*\) of.*, the first$/\1/p')" "part 1"
check "rotation: app.vgpu.1 names the part before it" \
	grep -q "^series: part $((files - 1)) of a rotated series; part $((files - 2)) before it held [0-9]* records" \
	<("$BIN/vgpu-run" report "$T/all/app.vgpu.1")
# A later part still knows its function names and its program.
check "rotation: a later part names its functions" \
	grep -q cuCtxGetDevice <("$BIN/vgpu-run" report --format summary "$T/all/app.vgpu.1")
check "rotation: a later part has the command line" \
	grep -q "^command: .*--max-size 64K" <("$BIN/vgpu-run" report "$T/all/app.vgpu.1")

# 2. --max-files bounds the series; the default keeps 5.
mkdir "$T/three" "$T/five"
vrun -o "$T/three/app.vgpu" --max-size 64K --max-files 3 -- "$T/client" threads 1 "$n" >/dev/null 2>&1
expect_eq "--max-files 3: app.vgpu, .1 and .2 only" "$(ls "$T/three" | tr '\n' ' ')" "app.vgpu app.vgpu.1 app.vgpu.2 "
vrun -o "$T/five/app.vgpu" --max-size 64K -- "$T/client" threads 1 "$n" >/dev/null 2>&1
expect_eq "--max-files default: five files" "$(ls "$T/five" | wc -l)" 5

# 3. Compressed parts: each a zstd file, readable alone.
mkdir "$T/z"
vrun -o "$T/z/app.vgpu.zst" --max-size 16K --max-files 1000 -- "$T/client" threads 1 200000 >/dev/null 2>&1
zfiles=$(ls "$T/z" | wc -l) bad=""
for f in "$T/z"/*; do
	is_zstd "$f" || bad="$bad $f(not zstd)"
	"$BIN/vgpu-run" report "$f" 2>/dev/null | grep -q "^trace complete" || bad="$bad $f"
done
if [ "$zfiles" -gt 1 ] && [ -z "$bad" ]; then pass "compressed rotation: $zfiles zstd files, each complete"
else fail "compressed rotation: zstd files, each complete" "$zfiles files;$bad"; fi

# 4. Bad values are refused before the program runs.
for args in "--max-size 10x" "--max-size 1K" "--max-files 0" "--max-files x"; do
	out=$(vrun -o "$T/never.vgpu" $args -- touch "$T/ran" 2>&1); rc=$?
	if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [[ $out == *"${args%% *}"* ]]; then pass "$args: exit 2 naming the option"
	else fail "$args: exit 2 naming the option" "exit $rc: $out"; fi
done
out=$(vrun --max-size 1M -- true 2>&1); rc=$?
if [ "$rc" = 2 ] && [[ $out == *"--max-size: needs -o FILE"* ]]; then pass "--max-size without -o: refused"
else fail "--max-size without -o: refused" "exit $rc: $out"; fi

# 5. %p (the program's first process), %t (start time), %% in -o.
mkdir "$T/pat"
before=$(date +%s)
vrun -o "$T/pat/run-%t-%p.vgpu" -- sh -c 'echo $$ >"$1"' sh "$T/pid" >/dev/null 2>&1
after=$(date +%s)
pid=$(cat "$T/pid" 2>/dev/null)
got=$(ls -A "$T/pat")
t=$(echo "$got" | sed -n 's/^run-\([0-9]*\)-[0-9]*\.vgpu$/\1/p')
expect_eq "%p: the program's pid in the name (and no other file)" "$got" "run-$t-$pid.vgpu"
if [ -n "$t" ] && [ "$t" -ge "$before" ] && [ "$t" -le "$after" ]; then pass "%t: the start time ($t)"
else fail "%t: the start time" "[$t] not in [$before, $after]"; fi
check "%p: the trace is readable under its final name" "$BIN/vgpu-run" report "$T/pat/run-$t-$pid.vgpu"
# A restart never replaces the first trace.
vrun -o "$T/pat/run-%t-%p.vgpu" -- true >/dev/null 2>&1
expect_eq "%p: a second run writes a second file" "$(ls -A "$T/pat" | wc -l)" 2
vrun -o "$T/pat/100%%-%p.vgpu" -- true >/dev/null 2>&1
expect_eq "%%: a literal %" "$(ls "$T/pat" | grep -c '^100%-[0-9]*\.vgpu$')" 1
out=$(vrun -o "$T/pat/%x.vgpu" -- touch "$T/ran" 2>&1); rc=$?
if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [[ $out == *"%x is not a pattern"* ]]; then pass "%x: refused before the program runs"
else fail "%x: refused before the program runs" "exit $rc: $out"; fi
out=$(vrun -o "$T/pat/%p/x.vgpu" -- touch "$T/ran" 2>&1); rc=$?
if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [[ $out == *"%p only in the file name"* ]]; then pass "%p in a directory: refused"
else fail "%p in a directory: refused" "exit $rc: $out"; fi

# 6. As root, a missing directory: refused, or made for --trace-owner.
if is_root; then
	nobody=$(id -u nobody 2>/dev/null || echo 65534)
	nogroup=$(id -g nobody 2>/dev/null || echo 65534)
	out=$(vrun -o "$T/svc/app.vgpu" -- touch "$T/ran" 2>&1); rc=$?
	if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [ ! -e "$T/svc" ] && [[ $out == *"$T/svc/app.vgpu: No such file or directory (as root, --trace-owner USER has $T/svc made"* ]]; then
		pass "as root, a missing directory without --trace-owner: refused, not made"
	else fail "as root, a missing directory without --trace-owner: refused, not made" "exit $rc: $out"; fi
	vrun -o "$T/svc/app-%p.vgpu" --trace-owner nobody -- true >/dev/null 2>"$T/err"; rc=$?
	expect_eq "--trace-owner: the program runs" "$rc" 0
	expect_eq "--trace-owner: the directory is made 0750 for the user" \
		"$(stat -c '%a %u %g' "$T/svc" 2>&1)" "750 $nobody $nogroup"
	expect_eq "--trace-owner: the trace in it is the user's, 0600" \
		"$(stat -c '%a %u %g' "$T"/svc/app-*.vgpu 2>&1)" "600 $nobody $nogroup"
	mkdir "$T/svc2" && chmod 0755 "$T/svc2"
	vrun -o "$T/svc2/app.vgpu" --max-size 16K --trace-owner nobody -- "$T/client" threads 1 2000 >/dev/null 2>&1
	expect_eq "--trace-owner: every rotated file is the user's" \
		"$(find "$T/svc2" -type f ! -user "$nobody" | head -3)$(ls "$T/svc2" | wc -l)" 5
	mkdir "$T/theirs" && chown 1:1 "$T/theirs" && chmod 0755 "$T/theirs"
	vrun -o "$T/theirs/app.vgpu" --trace-owner nobody -- true >/dev/null 2>&1
	expect_eq "--trace-owner: an existing directory is left as it is" "$(stat -c '%a %u %g' "$T/theirs")" "755 1 1"
	out=$(vrun -o "$T/no/such/app.vgpu" --trace-owner nobody -- touch "$T/ran" 2>&1); rc=$?
	if [ "$rc" = 2 ] && [ ! -e "$T/ran" ] && [ ! -e "$T/no" ]; then pass "--trace-owner: only the last directory is made"
	else fail "--trace-owner: only the last directory is made" "exit $rc: $out"; fi
	out=$(vrun -o "$T/x/app.vgpu" --trace-owner no-such-user-x -- true 2>&1); rc=$?
	if [ "$rc" = 2 ] && [[ $out == *"--trace-owner no-such-user-x: no such user"* ]]; then pass "--trace-owner: an unknown user is refused"
	else fail "--trace-owner: an unknown user is refused" "exit $rc: $out"; fi
else
	skip "--trace-owner" "needs root"
fi
