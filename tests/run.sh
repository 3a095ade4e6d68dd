#!/usr/bin/env bash
# Runs every tests/**/test_*.sh against a build tree (and again against the
# ASan/UBSan tree when given), counts the PASS/FAIL/SKIP lines they print,
# and ends with "N passed, N failed, N skipped".  A script that exits
# non-zero without printing FAIL counts as one failure; one that runs past
# its time limit is killed and counts as one failure.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=build
build_asan=
only=
limit=${VGPU_TEST_TIMEOUT:-600}
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--build-asan) build_asan=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--build-asan DIR] [--only PATTERN]" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 skipped=0
failures=()
times=()
logdir=$(mktemp -d /tmp/vgpu-tests.XXXXXX)
export VGPU_LOGDIR=$logdir	# tests keep artifacts (screenshots) here
chmod 755 "$logdir"

run_tree() {
	local tree=$1 label=$2 script out rc name
	while IFS= read -r script; do
		rel=${script#"$root"/}
		if [ -n "$only" ] && [[ $rel != *$only* ]]; then continue; fi
		name=$label${rel%.sh}
		out=$logdir/$(echo "$name" | tr '/' '_').log
		printf '== %s\n' "$name"
		local t0=$SECONDS
		VGPU_ROOT=$root VGPU_BUILD=$root/$tree VGPU_SAN=$([ "$label" = "" ] && echo 0 || echo 1) \
			timeout -k 10 "$limit" bash "$script" >"$out" 2>&1 </dev/null
		rc=$?
		times+=("$((SECONDS - t0)) $name")
		local p f s
		p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
		grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed "s|^|  |"
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			echo "  FAIL $name: timed out after ${limit}s"; f=$((f + 1))
		elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "  FAIL $name: exited $rc"; f=$((f + 1))
		fi
		if [ "$f" != 0 ]; then
			failures+=("$name")
			echo "  --- last lines of $out:"; tail -n 25 "$out" | sed 's/^/  | /'
		fi
		passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	done < <(find "$root/tests" -name 'test_*.sh' | sort)
}

run_tree "$build" ""
if [ -n "$build_asan" ]; then
	run_tree "$build_asan" "asan:"
fi
# Where the time went: the slowest scripts, so the suite stays short.
printf '%s\n' "${times[@]}" | sort -rn | head -n 8 | awk '{ printf "slowest: %4ds %s\n", $1, $2 }'
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed scripts: ${failures[*]} (logs in $logdir)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
