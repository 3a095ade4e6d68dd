#!/usr/bin/env bash
# What a CUDA runtime's start-up leaves in a trace, written the way the
# interposer writes it (tests/report/mktrace.c): look-ups that find
# nothing are probes (not errors, not in the diagnosis) in every format;
# a runtime linked into the program is recognised by its look-ups;
# export-table ids are shown by name; the simulator's notes sit with
# their call; every status-returning function counts its errors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
build_mktrace || { fail mktrace "could not build"; exit 1; }
for s in static-rt shared-launch; do
	"$T/mktrace" --scenario $s --calls 10 --threads 1 "$T/$s.trace" || fail "mktrace $s"
done

out=$(report "$T/static-rt.trace")
sum=$(awk '/^== Per-API/{on=1;next} /^==/{on=0} on' <<<"$out")
expect_eq "summary: the resolver's not-found answers are not errors" \
	"$(awk '$10 == "cuGetProcAddress_v2" { print $3, $4, $11, $12 }' <<<"$sum")" "300 0 [200 probes]"
expect_eq "summary: a table the driver lacks is a probe, a NULL pointer an error" \
	"$(awk '$10 == "cuGetExportTable" { print $3, $4, $11, $12 }' <<<"$sum")" "3 1 [1 probe]"
check "header: failures exclude probes, which are counted apart" \
	grep -qzF $'10 dropped\n201 probes: ' <<<"$out"
expect_eq "header: two real failures" "$(grep -cE '^[0-9]+ calls, 2 failed,' <<<"$out")" 1
diag=$(sed -n '/^== Diagnosis/,$p' <<<"$out")
expect_eq "diagnosis: no probe in it (no failed look-up, no start-up bypass table)" \
	"$(grep -cE '^\* cuGetProcAddress|f8cff951' <<<"$diag")" 0
check "errors: only real failures are listed" \
	bash -c '! grep -qE "^cuGetProcAddress_v2\(" <<<"$0"' "$out"

check "diagnosis: a statically linked runtime, by its look-ups" \
	grep -qF '* the program carries a statically linked CUDA 13.0 runtime (nvcc'"'"'s default, -cudart static): libcudart.so was never requested, yet 300 driver functions were resolved through cuGetProcAddress_v2' <<<"$out"
check "diagnosis: not the driver-API-only finding" \
	bash -c '! grep -qF "does not link the CUDA runtime" <<<"$0"' "$out"
out_app=$(report "$T/shared-launch.trace")
check "a program with libcudart.so is not taken for a static runtime" \
	bash -c '! grep -qF "statically linked" <<<"$0"' "$out_app"

check "errors: the failed cuGetExportTable shows the table it asked for" \
	grep -qF 'cuGetExportTable(ppExportTable=NULL, pExportTableId=0x5500aa00, table=21318c60-9714-3248-8ca6-41ff7324c8f2 (tools context)) = CUDA_ERROR_INVALID_VALUE (1)' <<<"$out"
check "diagnosis: the table by id and name" \
	grep -qF '* cuGetExportTable for table 21318c60-9714-3248-8ca6-41ff7324c8f2 (tools context) returned CUDA_ERROR_INVALID_VALUE (1)' <<<"$out"
check "probes: each table asked, by id and name, found or not" \
	grep -qzF $'  f8cff951-2146-8b4e-b9e2-fb469e7c0dd9 (runtime start-up bypass): 1 request(s), not found\n  6bd5fb6c-5bf4-e74a-8987-d93912fd9df9 (runtime interface): 1 request(s), found\n' <<<"$out"

note='launch of _Z4fillPii: the simulated GPU runs no kernels'
check "errors: the simulator's note under the call it was written in" \
	grep -qzF $'= CUDA_ERROR_NOT_SUPPORTED (801)\n    1 time(s); first at +44.13us in pid 4242 tid 4242\n    simulator: '"$note" <<<"$out"
check "diagnosis: the failure says what the simulator said" \
	grep -qF "* cuLaunchKernel returned CUDA_ERROR_NOT_SUPPORTED (801); the simulator says: $note" <<<"$out"
check "simulator notes: with their call" \
	grep -qF "in cuLaunchKernel (pid 4242 tid 4242, first at +" <<<"$out"

# __cudaLaunchKernel (no =void in the decode table) returns a status.
sum=$(report --format summary "$T/shared-launch.trace")
expect_eq "summary: __cudaLaunchKernel's 801 is an error" \
	"$(awk '$NF == "__cudaLaunchKernel" { print $3, $4 }' <<<"$sum")" "1 1"
expect_eq "summary: the registration hooks' results are still not" \
	"$(awk '$NF == "total" { print $4 }' <<<"$sum")" 2
check "diagnosis: the runtime's launch failure" \
	grep -qxF "* __cudaLaunchKernel returned cudaErrorNotSupported (801)" <<<"$out_app"
check "diagnosis: the note with the innermost call it was written in" \
	grep -qF "* cuLaunchKernel returned CUDA_ERROR_NOT_SUPPORTED (801); the simulator says: $note" <<<"$out_app"

# The machine formats agree.
csv=$(report --format csv "$T/static-rt.trace")
expect_eq "csv: the header names the outcome column" "$(head -1 <<<"$csv")" \
	"pid,tid,api,function,start_ns,dur_ns,depth,ret,ret_name,flags,args,outcome"
expect_eq "csv: outcomes counted" "$(tail -n +2 <<<"$csv" | awk -F, '{ print $NF }' | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" \
	"error=2 ok=117 probe=201 "
check "csv: the table id in the row of each cuGetExportTable" \
	grep -qF 'table=f8cff951-2146-8b4e-b9e2-fb469e7c0dd9 (runtime start-up bypass)",probe' <<<"$csv"
if command -v python3 >/dev/null; then
	report --format json -o "$T/r.json" "$T/static-rt.trace"
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["name"]: x for x in d["functions"]}
print(d["totals"]["errors"], d["totals"]["probes"],
      f["cuGetProcAddress_v2"]["errors"], f["cuGetProcAddress_v2"]["probes"])
print([(t["id"], t["name"], t["found"]) for t in d["export_tables"]])
print([(n["function"], n["count"]) for n in d["sim_notes"]], d["lookups"]["static_runtime"])
print(any(x.startswith("cuGetProcAddress") for x in d["diagnosis"]))' "$T/r.json")
	expect_eq "json: probes apart, tables, notes, static runtime" "$got" \
"2 201 0 200
[('f8cff951-2146-8b4e-b9e2-fb469e7c0dd9', 'runtime start-up bypass', 0), ('6bd5fb6c-5bf4-e74a-8987-d93912fd9df9', 'runtime interface', 1), ('21318c60-9714-3248-8ca6-41ff7324c8f2', 'tools context', 0)]
[('cuLaunchKernel', 1)] True
False"
	report --format chrome -o "$T/r.chrome" "$T/static-rt.trace"
	got=$(python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
print(sum(1 for e in ev if e.get("args", {}).get("probe")),
      [e["name"] for e in ev if e.get("cat") == "sim"])' "$T/r.chrome")
	expect_eq "chrome: probes marked, the note drawn on its thread" "$got" \
		"201 ['sim: $note']"
else
	skip "json and chrome formats" "python3 not installed"
fi

# A backend without cuGetExportTable: the request fails as not supported,
# an error (not a probe), and still names the table it was for.
cat >"$T/handler.c" <<'C'
int cuInit(unsigned flags) { (void)flags; return 0; }
C
cat >"$T/asks.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void)
{
	static const unsigned char cufft[16] = { 0x21, 0x31, 0x8c, 0x60, 0x97,
		0x14, 0x32, 0x48, 0x8c, 0xa6, 0x41, 0xff, 0x73, 0x24, 0xc8, 0xf2 };
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	int (*get)(const void **, const void *) = h ?
		(int (*)(const void **, const void *))dlsym(h, "cuGetExportTable") : NULL;
	const void *t = NULL;
	printf("%d\n", get ? get(&t, cufft) : -1);
	return 0;
}
C
cc_test "$T/handler.so" "$T/handler.c" -shared -fPIC && cc_test "$T/asks" "$T/asks.c" -ldl ||
	{ fail "export table on a bare backend" "cannot build"; exit 0; }
got=$(timeout 60 "$BIN/vgpu-run" --backend "$T/handler.so" -o "$T/bare.trace" -- "$T/asks" 2>/dev/null)
expect_eq "a backend without cuGetExportTable answers not supported" "$got" 801
check "diagnosis: the unsupported request names its table" \
	grep -qxF '* cuGetExportTable for table 21318c60-9714-3248-8ca6-41ff7324c8f2 (tools context) returned CUDA_ERROR_NOT_SUPPORTED (801)' <<<"$(report "$T/bare.trace")"
