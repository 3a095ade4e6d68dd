# Sourced by the Python client tests (after tests/lib.sh): runs one client
# under vgpu-run and records its result.
#   client_run NAME VARIANT RESULTS_DIR -- VGPU_RUN_ARGS... -- PROGRAM ARGS...
# The client's own lines (conform.py) decide: PASS when it exits 0 with
# every check held.  RESULTS_DIR/NAME.VARIANT.txt keeps what
# `make clients-table` shows: result, checks, time, what it exercised.
# VGPU_CLIENT_RULES, when set, names the devices the client must see.
client_run() {
	local name=$1 variant=$2 results=$3 label out start rc ms nok nfail why
	shift 4
	local vargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vargs+=("$1"); shift; done
	shift
	label="python client $name ($variant)"
	out=$T/$name.$variant.out
	start=$(date +%s%N)
	( cd "$VGPU_ROOT/tests/clients" && timeout 120 "$BIN/vgpu-run" "${vargs[@]}" \
		-o "$T/$name.$variant.vgpu" -- "$@" ) >"$out" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	nok=$(grep -c '^ok ' "$out")
	nfail=$(grep -c '^FAIL ' "$out")
	mkdir -p "$results"
	{
		echo "client=$name"
		echo "variant=$variant"
		echo "rc=$rc"
		echo "ok=$nok"
		echo "failed=$nfail"
		echo "ms=$ms"
		sed -n 's/^EXERCISED /exercised=/p; s/^RUNTIME /runtime=/p' "$out"
		grep '^NOTE ' "$out" | sed 's/^NOTE /note=/' | sort -u
		grep '^FAIL ' "$out" | sed 's/^FAIL /fail=/'
		# what the sim or the program said about it, for a failure's cell
		grep -m1 -oE '^vgpu-sim: .*|Error [0-9]+: [^(.]*|CUDA error: [^(.]*' "$out" | sed 's/^/said=/'
	} >"$results/$name.$variant.txt"
	echo "# $label: $nok checks held, $nfail failed, exit $rc, ${ms} ms"
	if [ "$rc" = 0 ] && [ "$nfail" = 0 ] && [ "$nok" -gt 0 ]; then
		pass "$label"
	else
		why="exit $rc"
		[ "$rc" = 124 ] && why="timed out after 120 s"
		[ "$rc" -gt 128 ] && [ "$rc" != 124 ] && why="killed by signal $((rc - 128))"
		fail "$label" "$why, $nfail of $((nok + nfail)) checks failed"
		grep -E '^FAIL |Error|error' "$out" | head -n 12 | sed 's/^/    /'
	fi
}
