#!/usr/bin/env bash
# `vgpu-run agent` refuses, before it listens, what it cannot run with:
# each refusal is exit 2 and one line naming the problem.
. "$(dirname "$0")/../lib.sh"

# refused NAME PATTERN ARGS...: exit 2, PATTERN on stderr, no socket left.
refused() {
	local name=$1 pattern=$2; shift 2
	local err rc
	err=$(timeout 10 "$BIN/vgpu-run" agent "$@" 2>&1 </dev/null); rc=$?
	if [ $rc = 2 ] && grep -q -- "$pattern" <<<"$err"; then
		pass "$name"
	else
		fail "$name" "exit $rc: $err"
	fi
}

refused "no socket given" "--socket PATH is needed" --trace-dir "$T/tr"
refused "an unknown option" "unrecognized option '--bogus'" --bogus
refused "an unknown option says where to look" "Try 'vgpu-run agent --help'" --bogus
refused "a program is not an agent's" "unexpected argument 'prog'" --socket "$T/s" prog
mkdir -m 777 "$T/open"
refused "a trace directory others may write" "must be ours and writable by no one else" \
	--socket "$T/s1" --trace-dir "$T/open" --backend sim
refused "a bad backend" "backend" --socket "$T/s2" --backend cuda=/no/such/lib.so
long=$T/$(printf 'x%.0s' $(seq 120))
refused "a socket name too long" "too long for a unix socket name" --socket "$long" --backend sim
[ -e "$T/s1" ] || [ -e "$T/s2" ] && fail "no socket is left by a refusal" "$(ls "$T")" ||
	pass "no socket is left by a refusal"

# A second agent on a socket a live one listens on is refused; the first
# goes on.
setsid "$BIN/vgpu-run" agent --socket "$T/live" --backend sim 2>"$T/first.err" &
first=$!
for _ in $(seq 100); do [ -S "$T/live" ] && break; sleep 0.1; done
refused "a second agent on a live socket" "another agent listens there" --socket "$T/live" --backend sim
expect_eq "the first agent still runs" "$(kill -0 "$first" 2>/dev/null && echo yes)" yes
kill -TERM "$first"
wait "$first"
expect_eq "SIGTERM ends the agent with status 0" "$?" 0
if [ -e "$T/live" ]; then fail "it removes its socket" "still there"; else pass "it removes its socket"; fi
