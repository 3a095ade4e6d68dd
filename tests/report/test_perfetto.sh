#!/usr/bin/env bash
# Timelines for Perfetto: the Chrome trace-event JSON names every thread
# and process (metadata events, also for threads the trace never named)
# and gives arguments as key/value pairs; `--format perfetto` writes
# Perfetto's protobuf trace, decoded here with Debian's protoc and
# python3-protobuf against our declaration of the fields it uses.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
build_mktrace || { fail mktrace "could not build"; exit 1; }
"$T/mktrace" --scenario cuinit-fail --calls 300 --threads 3 --fail-at-end "$T/named.trace"
"$T/mktrace" --calls 200 --threads 3 --no-thread-names "$T/unnamed.trace"
# "calls API FUNCTION N" lines from the summary: what every format must show.
summary_calls() {
	report --format summary "$1" | awk '$NF != "total" && $3 ~ /^[0-9]+$/ { print "calls", $(NF-1), $NF, $3 }' | sort
}

if ! command -v python3 >/dev/null; then
	skip "chrome metadata and arguments" "python3 not installed"
else
	for t in named unnamed; do
		report --format chrome -o "$T/$t.json" "$T/$t.trace"
		got=$(python3 - "$T/$t.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
tids = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "X"}
named = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
procs = {e["pid"]: e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "process_name"}
print("threads without thread_name", len(tids - set(named)))
print("processes without process_name", len({p for p, _ in tids} - set(procs)))
print("thread names", " ".join(sorted(named.values())))
print("process names", " ".join(sorted(procs.values())))
ctx = [e for e in ev if e["ph"] == "X" and e["name"] == "cuCtxGetDevice"][0]
print("cuCtxGetDevice args", json.dumps(ctx["args"], sort_keys=True))
for e in ev:
    if e["ph"] == "X" and "result" in e["args"]:
        print("result", e["name"], e["args"]["result"])
PY
)
		case $t in
		named) want_threads="main worker-1 worker-2" ;;
		*) want_threads="app thread 4243 thread 4244" ;;
		esac
		expect_eq "chrome ($t threads): every thread has a thread_name" \
			"$(sed -n 's/^threads without thread_name //p' <<<"$got")" 0
		expect_eq "chrome ($t threads): every process has a process_name" \
			"$(sed -n 's/^processes without process_name //p' <<<"$got")" 0
		expect_eq "chrome ($t threads): thread names" \
			"$(sed -n 's/^thread names //p' <<<"$got")" "$want_threads"
		want="app (pid 4242)"
		[ $t = unnamed ] && want="$want unknown process"	# worker threads' pid unknown
		expect_eq "chrome ($t threads): process named after its program" \
			"$(sed -n 's/^process names //p' <<<"$got")" "$want"
	done
	expect_eq "chrome: arguments as key/value pairs" \
		"$(sed -n 's/^cuCtxGetDevice args //p' <<<"$got")" '{"device": "&0"}'
	report --format chrome -o "$T/named.json" "$T/named.trace"
	results=$(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["traceEvents"]:
    if e["ph"] == "X" and "result" in e["args"]:
        print(e["name"], e["args"]["result"])' "$T/named.json" | sort)
	expect_eq "chrome: results shown where the call did not simply succeed" "$results" \
"cuInit CUDA_ERROR_UNKNOWN (999)
cuMemAlloc_v2 CUDA_ERROR_OUT_OF_MEMORY (2)
cudaGetDeviceCount cudaErrorNoDevice (100)"
fi

name="perfetto protobuf"
report --format perfetto -o "$T/named.pftrace" "$T/named.trace"
report --format perfetto -o "$T/unnamed.pftrace" "$T/unnamed.trace"
if ! command -v protoc >/dev/null; then
	skip "$name" "protoc not installed (apt-get install protobuf-compiler)"; exit 0
fi
check "$name: protoc --decode_raw reads the whole file" \
	bash -c "protoc --decode_raw <'$T/named.pftrace' >'$T/raw.txt' && grep -q '60 {' '$T/raw.txt'"
if ! /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null; then
	skip "$name decoded" "python3-protobuf not installed (apt-get install python3-protobuf)"; exit 0
fi
mkdir -p "$T/gen"
protoc -I "$VGPU_ROOT/tests/report" --python_out="$T/gen" "$VGPU_ROOT/tests/report/perfetto_subset.proto"
for t in named unnamed; do
	out=$(/usr/bin/python3 "$VGPU_ROOT/tests/report/perfetto_check.py" "$T/gen" "$T/$t.pftrace" 2>&1)
	fact() { sed -n "s/^$1: //p" <<<"$out"; }
	if [ -z "$(fact packets)" ]; then fail "$name ($t): decoded" "$out"; continue; fi
	calls=$(report --format summary "$T/$t.trace" | awk '$NF == "total" { print $3 }')
	expect_eq "$name ($t): every field known and consistent" "$(fact 'unknown or inconsistent fields')" 0
	expect_eq "$name ($t): one slice per call" "$(fact 'slices begun')" "$calls"
	expect_eq "$name ($t): every slice ended" "$(fact 'slices ended')" "$calls"
	expect_eq "$name ($t): slices balanced on every track" "$(fact 'tracks with unbalanced slices')" 0
	expect_eq "$name ($t): one track per thread" "$(fact 'thread tracks')" 3
	expect_eq "$name ($t): every thread track named" "$(fact 'thread tracks without a name')" 0
	expect_eq "$name ($t): thread tracks under their process" "$(fact 'thread tracks without their process track')" 0
	want=4242=app
	[ $t = unnamed ] && want="0=unknown process $want"	# worker threads' pid unknown
	expect_eq "$name ($t): process named after its program" "$(fact 'process names')" "$want"
	expect_eq "$name ($t): calls per function as the summary counts them" \
		"$(sed -n 's/^calls: /calls /p' <<<"$out" | sort)" "$(summary_calls "$T/$t.trace")"
done
expect_eq "$name: the failures with their arguments and results" \
	"$(sed -n 's/^failed: //p' <<<"$(/usr/bin/python3 "$VGPU_ROOT/tests/report/perfetto_check.py" "$T/gen" "$T/named.pftrace")" | sort)" \
"cuInit(flags=0x0) = CUDA_ERROR_UNKNOWN (999)
cuMemAlloc_v2(dptr=0x7ffc0060, bytesize=85899345920 (81920 MiB)) = CUDA_ERROR_OUT_OF_MEMORY (2)
cudaGetDeviceCount(count=0x7ffc0000) = cudaErrorNoDevice (100)"
if command -v trace_processor >/dev/null || command -v trace_processor_shell >/dev/null; then
	tp=$(command -v trace_processor || command -v trace_processor_shell)
	n=$(echo "select count(*) from slice where category in ('cuda','cudart13');" |
		"$tp" -q /dev/stdin "$T/named.pftrace" 2>/dev/null | tail -1 | tr -dc 0-9)
	expect_eq "$name: trace_processor counts the slices" "$n" \
		"$(report --format summary "$T/named.trace" | awk '$NF == "total" { print $3 }')"
else
	skip "$name in trace_processor" "trace_processor not installed (not packaged by Debian)"
fi
