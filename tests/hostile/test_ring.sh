#!/usr/bin/env bash
# A program that attacks vgpu-run through its own trace ring set (shared
# memory it can write at will): vgpu-run keeps running with the program's
# exit status, serves the processes that come after, keeps their calls in
# the trace, and says in the trace which set it dropped and why.  As root
# the attacker runs as nobody under a root vgpu-run.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/hostile
cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$T/libcuda.so.1" \
	"$VGPU_ROOT/tests/interpose/counting_driver.c" -Wl,-soname,libcuda.so.1 -lpthread
cc_test "$T/drv_client" "$VGPU_ROOT/tests/interpose/drv_client.c" -L"$T" \
	-l:libcuda.so.1 -lpthread
cc_test "$T/trace_calls" "$VGPU_ROOT/tests/interpose/trace_calls.c" \
	"$VGPU_ROOT/common/trace_read.c" "$VGPU_ROOT/common/trace_write.c"
cc_test "$T/vt_dump" "$VGPU_ROOT/tests/tools/vt_dump.c" \
	"$VGPU_ROOT/common/trace_read.c" "$VGPU_ROOT/common/trace_write.c"
cc_test "$T/ring_attack" "$here/ring_attack.c" || { fail build ring_attack; exit 1; }
cc_test "$T/maxrss" "$VGPU_ROOT/tests/report/maxrss.c"
as=()
if is_root; then
	as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	who="as nobody under root"
else
	who="as the invoking user (not root)"
fi
echo "# attacker runs $who"

# attack MODE [ARGS]: the attacker, then a well-behaved client in the same
# tree.  Sets $rc, $out and $T/MODE.trc.
attack() {
	local mode=$1
	out=$(timeout -k 5 60 "$BIN/vgpu-run" --backend cuda="$T/libcuda.so.1" \
		-o "$T/$mode.trc" -- sh -c '"$@"; "$0" threads 1 1000' \
		"$T/drv_client" "${as[@]}" "$T/ring_attack" "$@" 2>"$T/$mode.err")
	rc=$?
}
# served_after MODE: the client that ran after the attacker was served
# and every one of its calls is in the trace.
served_after() {
	local mode=$1 n
	n=$("$T/trace_calls" "$T/$mode.trc" 2>/dev/null |
		awk '$1 == "cuCtxGetDevice" {print $2}')
	expect_eq "$mode: vgpu-run exits with the program's status" "$rc" 0
	expect_eq "$mode: the next process's 1000 calls are all in the trace" \
		"${n:-none}" 1000
}
dropped_event() {
	local mode=$1 why=$2
	if "$T/vt_dump" "$T/$mode.trc" | grep -q "^event	error	.*trace rings of pid [0-9]* dropped: $why"; then
		pass "$mode: the trace says the set was dropped ($why)"
	else
		fail "$mode: the trace says the set was dropped" \
			"no '$why' event; $(grep -c . "$T/$mode.err") stderr lines: $(head -c 300 "$T/$mode.err")"
	fi
}

attack geometry
served_after geometry

attack truncate
served_after truncate
expect_eq "truncate: the memfd's size is sealed" "$(head -1 <<<"$out")" \
	"truncate: Operation not permitted"

attack pad
served_after pad
dropped_event pad "a ring head out of bounds"

attack names
served_after names
dropped_event names "a function name without an end"

attack forge
served_after forge
dropped_event forge "an event that is not a note"
if "$T/vt_dump" "$T/forge.trc" | grep -q $'^event\tserved.*forged'; then
	fail "forge: no forged supervisor event in the trace" "it is there"
else
	pass "forge: no forged supervisor event in the trace"
fi
expect_eq "forge: the trace ends where vgpu-run ended it" \
	"$("$T/vt_dump" "$T/forge.trc" | tail -1 | cut -f1-2)" "end	OK"

attack flood 200
served_after flood
expect_eq "flood: one process gets its budget of ring sets" "$(head -1 <<<"$out")" \
	"flood: 16 of 200 served, then Too many open files"
if "$T/vt_dump" "$T/flood.trc" | grep -q $'^event\terror\t.*more than 16 trace ring sets'; then
	pass "flood: the trace says the budget was exceeded"
else
	fail "flood: the trace says the budget was exceeded" "no event"
fi

# Processes that come and go, one ring set each: more of them than the
# drain holds at once (1024) are all served, because the sets of those that
# are gone are freed, and vgpu-run does not grow with their number (each
# set it kept would cost it half a MiB).
n=1100
out=$(timeout -k 5 120 "$T/maxrss" "$BIN/vgpu-run" --backend cuda="$T/libcuda.so.1" \
	-o "$T/churn.trc" -- sh -c 'i=0; while [ $i -lt '$n' ]; do "$@"; i=$((i + 1)); done' \
	sh "${as[@]}" "$T/ring_attack" flood 1 2>"$T/churn.err")
expect_eq "churn: vgpu-run exits with the program's status" "$?" 0
expect_eq "churn: $n processes one after another each get their ring set" \
	"$(grep -c '^flood: 1 of 1 served' <<<"$out")" "$n"
kib=$(awk '/^maxrss/ { print $2 }' "$T/churn.err")
if [ -n "$kib" ] && [ "$kib" -lt $((256 * 1024)) ]; then
	pass "churn: vgpu-run stays small ($kib KiB)"
else
	fail "churn: vgpu-run stays small" "peak ${kib:-?} KiB"
fi
