#!/usr/bin/env bash
# A real run through the interposer on the simulated GPU: every runtime
# call that reaches the driver encloses the driver calls it made in the
# report's timing, although runtime and driver records travel in different
# rings and reach the trace out of time order (the streamed depth column
# may miss such an enclosing call: see tracer/README-report.md).
. "$(dirname "$0")/../lib.sh"
client=$BIN/vgpu-devquery
[ -x "$client" ] || { fail "layers" "$client not built"; exit 1; }
"$BIN/vgpu-run" --backend sim -o "$T/t" -- "$client" >/dev/null 2>&1 \
	|| { fail "devquery under vgpu-run" "exit $?"; exit 0; }
"$BIN/vgpu-run" report --format csv "$T/t" >"$T/csv" || { fail "csv report" "exit $?"; exit 0; }
# cudaMemcpy(HtoD) -> cuMemcpyHtoD_v2, cudaMemcpy(DtoH) -> cuMemcpyDtoH_v2,
# cudaMemGetInfo -> cuMemGetInfo_v2: pair each driver call with the
# runtime call that contains it in time.
result=$(awk -F, '
	NR == 1 { next }
	{ api[NR] = $3; fn[NR] = $4; st[NR] = $5; du[NR] = $6; dp[NR] = $7; n = NR }
	END {
		bad = 0; seen = 0
		for (i = 2; i <= n; i++) {
			if (api[i] != "cuda" || fn[i] !~ /^cu(MemcpyHtoD|MemcpyDtoH|MemGetInfo)/) continue
			outer = 0
			for (j = 2; j <= n; j++)
				if (api[j] ~ /^cudart/ && st[j] <= st[i] && st[j] + du[j] >= st[i] + du[i]) outer = j
			if (!outer) { print "no runtime call encloses " fn[i]; bad++; continue }
			seen++
		}
		print "checked " seen " bad " bad
	}' "$T/csv")
case $result in
	*"checked 4 bad 0") pass "runtime calls enclose their driver calls" ;;
	*) fail "runtime calls enclose their driver calls" "$result" ;;
esac
zero=$(awk -F, 'NR > 1 && $3 ~ /^cudart/ && $4 ~ /cudaMemcpy|cudaMalloc/ && $6 == 0' "$T/csv")
expect_eq "no runtime call of zero duration" "$zero" ""
