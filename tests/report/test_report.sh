#!/usr/bin/env bash
# Report mode on traces written the way the interposer writes them
# (tests/report/mktrace.c): each diagnosis, decoding, the machine formats
# agreeing with the text, truncated and corrupt traces.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
build_mktrace || { fail mktrace "could not build"; exit 1; }
for s in app cuinit-fail missing crash; do
	"$T/mktrace" --scenario $s --calls 3000 --threads 3 "$T/$s.trace" || fail "mktrace $s"
done

# cuInit failing after a failed open: the syscall is attributed to it.
out=$(report "$T/cuinit-fail.trace")
want='cuInit returned CUDA_ERROR_UNKNOWN (999); inside it openat(AT_FDCWD, "/dev/nvidia-uvm", O_RDWR|O_CLOEXEC) failed with EACCES'
check "diagnosis: cuInit failed after a failed open" grep -qF "* $want" <<<"$out"
check "errors: the failing syscall is listed inside cuInit" \
	grep -qF 'inside: openat(AT_FDCWD, "/dev/nvidia-uvm", O_RDWR|O_CLOEXEC) = -1 EACCES' <<<"$out"
check "errors: a failed call shows its out-parameter's address" grep -qF 'cudaGetDeviceCount(count=0x7ffc0000) = cudaErrorNoDevice (100)' <<<"$out"
check "decoding: out-parameter values written" grep -qF '"dptr=&0x7f0000200000, bytesize=1048576 (1 MiB)"' <<<"$(report --format csv "$T/app.trace")"
check "decoding: attributes by name" grep -qF 'attrib=CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR (75)' <<<"$(report --format csv "$T/app.trace")"

# Attribution does not depend on where the event sits in the file: rings
# are drained after the supervisor wrote its events, or before.
for at in before after; do
	"$T/mktrace" --scenario cuinit-fail --syscall-at $at --calls 100 "$T/at-$at.trace"
	check "syscall written $at its call's records is attributed to cuInit" \
		grep -qF "* $want" <<<"$(report "$T/at-$at.trace")"
done
got=$(report "$T/cuinit-fail.trace" | awk '/^== Syscalls/ { on = 1 } on && $NF == "openat" { print $1, $2, $3 } on && /outside any traced call/ { print $1 }')
expect_eq "syscalls: counted, failed, inside calls, outside calls" "$got" "2 2 1
1"

out=$(report "$T/missing.trace")
check "diagnosis: the backend lacks functions" \
	grep -qF '* the backend lacks these functions, which the program called: cuGraphLaunch' <<<"$out"

out=$(report "$T/crash.trace")
check "diagnosis: a call that never returned, and why" \
	grep -qF '* cuMemAlloc_v2 (pid 4242, tid 4242) never returned: the process was killed by SIGSEGV (core dumped) inside it' <<<"$out"
check "decoding: sizes" grep -qF 'bytesize=67108864 (64 MiB)' <<<"$out"

# Counts: 3 threads x 3000 hot calls + 9 start-up calls + cudaFree.
out=$(report --format summary --sort calls "$T/app.trace")
got=$(awk '$NF == "cuCtxGetDevice" { print $3 }' <<<"$out")
expect_eq "summary counts every call" "$got" 9000
got=$(awk '$NF == "total" { print $3 }' <<<"$out")
expect_eq "summary total" "$got" 9008
first=$(sed -n 3p <<<"$out" | awk '{ print $NF }')
expect_eq "summary sorts by calls" "$first" cuCtxGetDevice

# JSON and Chrome parse and agree with the text report's counts.
if command -v python3 >/dev/null; then
	report --format json -o "$T/r.json" "$T/cuinit-fail.trace"
	report --format chrome -o "$T/r.chrome.json" "$T/cuinit-fail.trace"
	report --format text "$T/cuinit-fail.trace" >"$T/r.txt"
	text_counts=$(awk '/^== Per-API/{on=1;next} /^==/{on=0} on && $1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $3, $4 }' "$T/r.txt" | sort)
	json_counts=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["schema"]=="vgpu-run-report" and d["version"]==1
for f in d["functions"]: print(f["name"], f["calls"], f["errors"])' "$T/r.json" | sort)
	expect_eq "json per-function counts equal the text report's" "$json_counts" "$text_counts"
	chrome_counts=$(python3 -c '
import json,sys,collections
d=json.load(open(sys.argv[1]))
c=collections.Counter(e["name"] for e in d["traceEvents"] if e["ph"]=="X")
for k,v in c.items(): print(k, v)' "$T/r.chrome.json" | sort)
	expect_eq "chrome call events equal the text report's counts" \
		"$chrome_counts" "$(awk '{ print $1, $2 }' <<<"$text_counts")"
	# Runtime over driver: cuInit lies inside cudaGetDeviceCount on one track.
	nest=$(python3 -c '
import json,sys
ev=[e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"]=="X"]
o=[e for e in ev if e["name"]=="cudaGetDeviceCount"][0]
i=[e for e in ev if e["name"]=="cuInit"][0]
print(o["tid"]==i["tid"] and o["ts"]<=i["ts"] and i["ts"]+i["dur"]<=o["ts"]+o["dur"])' "$T/r.chrome.json")
	expect_eq "chrome nests the driver call inside the runtime call" "$nest" True
	jq_like=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print(d["errors"][0]["syscalls"][0]["result"], d["trace"]["end"])' "$T/r.json")
	expect_eq "json carries the syscall inside the error" "$jq_like" "-13 complete"
else
	skip "json and chrome agree with text" "python3 not installed"
fi

report --format csv -o "$T/r.csv" "$T/app.trace"
expect_eq "csv has one row per call" "$(($(wc -l <"$T/r.csv") - 1))" 9008
# A function name from the trace that would break a row is quoted.
"$T/mktrace" --calls 3 --threads 1 --hot-name 'cu,Odd"Name' "$T/odd.trace"
check "csv quotes a name with a comma and a quote" \
	grep -qF ',cuda,"cu,Odd""Name",' <<<"$(report --format csv "$T/odd.trace")"

# A truncated trace (writer killed mid-record) still gives a report that
# says where it ends.
size=$(stat -c %s "$T/app.trace")
cp "$T/app.trace" "$T/cut.trace"
truncate -s $((size / 2 + 3)) "$T/cut.trace"
out=$(report "$T/cut.trace" 2>"$T/err"); rc=$?
expect_eq "truncated trace: still reported (exit 0)" "$rc" 0
check "truncated trace: the report says where it ends" \
	grep -qE '^TRACE INCOMPLETE: byte [0-9]+: trace ends inside a' <<<"$out"
"$T/mktrace" --no-end --calls 100 "$T/noend.trace"
out=$(report "$T/noend.trace" 2>/dev/null)
check "trace without end record: reported as cut short" \
	grep -qF 'trace ends without an end record' <<<"$out"

# A corrupt record: one-line error with the byte offset, earlier records kept.
cp "$T/noend.trace" "$T/bad.trace"
off=$(stat -c %s "$T/bad.trace")
printf '\x07\x00\x00\x00\x03\x00\x00\x00' >>"$T/bad.trace"
out=$(report "$T/bad.trace" 2>"$T/err"); rc=$?
expect_eq "corrupt trace: exit status 1" "$rc" 1
check "corrupt trace: error names the file and byte offset" \
	grep -qxF "vgpu-run report: $T/bad.trace: byte $off: corrupt record (type 7, size 3)" "$T/err"
check "corrupt trace: the records before it are reported" grep -q 'cuInit' <<<"$out"
out=$(printf 'NOTATRACE_______________________________' >"$T/junk"; report "$T/junk" 2>&1); rc=$?
expect_eq "not a trace: one-line error, exit 2" "$rc:$out" "2:vgpu-run report: $T/junk: byte 0: not a vgpu-run trace (bad magic)"

# The decode table: the shipped one loads; a malformed one says FILE:LINE.
check "api_decode.txt loads" report --decode-table "$VGPU_ROOT/common/api_decode.txt" "$T/app.trace"
printf 'cuda cuInit flags:flags\ncuda cuMemAlloc_v2 >dptr:ptr bytesize:size\n' >"$T/bad.txt"
out=$(report --decode-table "$T/bad.txt" "$T/app.trace" 2>&1); rc=$?
expect_eq "malformed decode table: FILE:LINE error" "$rc:$out" \
	"2:vgpu-run report: $T/bad.txt:2: argument 'dptr': an out-parameter is >NAME:TYPE/WIDTH, an input NAME:TYPE"

# Call sites resolve to the nearest symbol with libelf.
cat >"$T/prog.c" <<'C'
int caller_of_cuda(int x) { return x * 3 + 1; }
int main(int c, char **v) { (void)v; return caller_of_cuda(c); }
C
cc -O0 -g -o "$T/prog" "$T/prog.c"
addr=$(nm "$T/prog" | awk '$3 == "caller_of_cuda" { print $1 }')
"$T/mktrace" --calls 10 --callsite "$T/prog+0x$(printf '%x' $((16#$addr + 5)))" "$T/cs.trace"
out=$(report "$T/cs.trace")
check "call site resolved to its symbol" grep -qF "(caller_of_cuda+0x5)" <<<"$out"

# Percentiles from the histogram are within 3% of the exact ones, computed
# here from every call's duration in the csv.
exact=$(awk -F, '$4 == "cuCtxGetDevice" { print $6 }' "$T/r.csv" | sort -n |
	awk '{ v[NR] = $1 } END { i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999); print v[i50], v[i99] }')
approx=$(report --format summary "$T/app.trace" | awk '$NF == "cuCtxGetDevice" { gsub("ns", "", $6); gsub("ns", "", $7); print $6, $7 }')
check "p50 and p99 within 3% of exact ($approx vs $exact)" awk -v a="$approx" -v e="$exact" 'BEGIN {
	split(a, x, " "); split(e, y, " ");
	exit !(x[1] >= y[1] * 0.97 && x[1] <= y[1] * 1.03 && x[2] >= y[2] * 0.97 && x[2] <= y[2] * 1.03) }'
