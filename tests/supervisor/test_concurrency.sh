#!/usr/bin/env bash
# 32 threads and 8 child processes opening redirected and ordinary files
# at once, and an opener hammered with SIGURG: every open answered right.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
build_fixtures || { fail fixtures "could not build"; exit 1; }
cc_test "$T/stress" "$VGPU_ROOT/tests/supervisor/stress.c" -pthread
cc_test "$T/sigurg" "$VGPU_ROOT/tests/supervisor/sigurg.c" -pthread
ino=$(stat -c %i "$T/handler.so")
echo data >"$T/ordinary"
iters=200; [ "$VGPU_SAN" = 1 ] && iters=50

out=$(vgpu --redirect "libcuda.so.1=$T/handler.so" -- \
	"$T/stress" /nonexistent/libcuda.so.1 "$ino" "$T/ordinary" 32 8 $iters 2>&1); rc=$?
expect_eq "32 threads and 8 processes" "$rc:$out" "0:errors=0 failed_children=0"

out=$(vgpu --redirect "libcuda.so.1=$T/handler.so" -- \
	"$T/sigurg" /nonexistent/libcuda.so.1 "$ino" "$T/ordinary" 4000 2>&1); rc=$?
expect_eq "opens under a SIGURG storm" "$rc:$out" "0:errors=0 signalled=yes"
