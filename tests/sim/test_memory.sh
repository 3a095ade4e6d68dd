#!/usr/bin/env bash
# Allocate until out of memory, free, and the driver's and NVML's memory
# information agree with what was allocated at every step; another
# process's allocation shows in NVML, and disappears when it exits.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

printf 'device memory=1GiB\n' > "$T/rules"
export VGPU_RULES=$T/rules LD_LIBRARY_PATH=$SIMDIR
out=$("$SIM_CHECK" oom 300000000 2>&1)
rc=$?
expect_eq "oom run exit status" "$rc" 0
expect_eq "three 300 MB chunks fit in 1 GiB" "$(grep -c '^alloc [0-9]* held' <<<"$out")" 3
expect_eq "fourth allocation is out of memory" "$(grep -c '^alloc 3: out of memory' <<<"$out")" 1
expect_eq "every step consistent" "$(grep -c MISMATCH <<<"$out")" 0
expect_eq "all memory back after freeing" "$(grep '^freed' <<<"$out" | awk '{print $2, $3}')" \
	"held=0 free=1073741824"

# Another process holds 256 MiB until its stdin closes: NVML here sees
# it, with its pid.
mkfifo "$T/hold.in"
"$SIM_CHECK" hold $((256 << 20)) < "$T/hold.in" > "$T/hold.out" &
holder=$!
exec 3> "$T/hold.in"
for _ in $(seq 200); do
	grep -q '^held' "$T/hold.out" && break
	kill -0 "$holder" 2>/dev/null || break
	sleep 0.05
done
expect_eq "holder started" "$(cat "$T/hold.out")" "held $holder"
used=$("$SIM_CHECK" nvml-used)
expect_eq "NVML used is the other process's allocation" "$(sed -n 's/^used //p' <<<"$used")" $((256 << 20))
expect_eq "NVML lists that process" "$(sed -n 's/^process //p' <<<"$used")" "$holder $((256 << 20))"
exec 3>&-
wait "$holder"
used=$("$SIM_CHECK" nvml-used)
expect_eq "memory of an exited process is released" "$(sed -n 's/^used //p' <<<"$used")" 0
