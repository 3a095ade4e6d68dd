#!/usr/bin/env bash
# vgpu-run SIGKILLed while its program makes traced calls (lossless
# rings): the program goes on, lossy, with its drops counted in its ring,
# instead of waiting for ring space for ever; opens it makes afterwards
# fail with ENOSYS (the kernel's answer once the listener is gone, see
# README).  As root the program runs as nobody under a root vgpu-run.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/hostile
cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$T/libcuda.so.1" \
	"$VGPU_ROOT/tests/interpose/counting_driver.c" -Wl,-soname,libcuda.so.1 -lpthread
cc_test "$T/client" "$here/dead_drain_client.c" -L"$T" -l:libcuda.so.1 ||
	{ fail build dead_drain_client; exit 1; }
as=()
is_root && as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
touch "$T/out"
chmod 666 "$T/out"

# More calls than one ring holds (2 MiB of records at ~130 bytes a call).
"$BIN/vgpu-run" --backend cuda="$T/libcuda.so.1" -o "$T/dead.trc" -- \
	"${as[@]}" "$T/client" "$T/go" 200000 >"$T/out" 2>"$T/err" &
sup=$!
# Hang guards only: each loop ends as soon as its line is there.
for _ in $(seq 600); do grep -q '^ready' "$T/out" && break; sleep 0.1; done
read -r _ pid traced < <(grep '^ready' "$T/out")
expect_eq "the program's calls are traced" "${traced:-no ready line}" traced
kill -KILL "$sup"
wait "$sup"
expect_eq "vgpu-run died of SIGKILL" "$?" 137
touch "$T/go"
for _ in $(seq 600); do grep -q '^open after' "$T/out" && break; sleep 0.1; done
if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null && ! grep -q '^open after' "$T/out"; then
	kill -KILL "$pid"
	fail "the program goes on without its vgpu-run" "still waiting for ring space after 60 s"
else
	pass "the program goes on without its vgpu-run"
fi
expect_eq "it went lossy and counted its drops in the ring" \
	"$(grep '^calls' "$T/out")" "calls 200000 dropped some lossy 1"
expect_eq "a later open fails with ENOSYS" "$(grep '^open after' "$T/out")" \
	"open after: Function not implemented"
