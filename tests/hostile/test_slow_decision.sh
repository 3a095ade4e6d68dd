#!/usr/bin/env bash
# A slow or hostile decision never blocks the notify loop for the rest of
# the tree.  One process of the tree names a file on a filesystem that
# never answers (a FUSE mount whose server reads requests and replies to
# none); deciding whether it is served means reading its SONAME, which
# waits for ever.  Another process's open must still be served at once,
# and vgpu-run must still end with the tree.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/hostile
if ! is_root; then skip slow_decision "needs root (mounts a FUSE filesystem)"; exit 0; fi
if [ ! -c /dev/fuse ]; then skip slow_decision "no /dev/fuse"; exit 0; fi
cc_test "$T/stall_fuse" "$here/stall_fuse.c" || { fail build_stall_fuse "cc failed"; exit 1; }
cc_test "$T/opener" "$here/opener.c" || { fail build_opener "cc failed"; exit 1; }
head -c 12345 /dev/zero >"$T/handler.so"
chmod 644 "$T/handler.so"
mkdir "$T/stall"
cleanup() { umount -l "$T/stall" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# The server runs inside the tree, as a hostile program's would: once it
# is gone the kernel fails what it left waiting, and vgpu-run can end.
# The stalled opener starts first; the second one must not wait for it.
script="$T/stall_opener_first.sh"
cat >"$script" <<EOS
"$T/stall_fuse" "$T/stall" >"$T/fuse.out" 2>&1 &
fuse=\$!
for i in \$(seq 50); do grep -q ready "$T/fuse.out" && break; sleep 0.1; done
grep -q ready "$T/fuse.out" || { kill \$fuse; exit 99; }
"$T/opener" "$T/stall/libstuck.so" >"$T/stuck.out" &
stuck=\$!
sleep 1
"$T/opener" /nonexistent/libcuda.so.1
kill -9 \$stuck \$fuse
EOS
out=$(timeout -k 5 30 "$BIN/vgpu-run" -o "$T/t.vgpu" \
	--redirect "soname:libcuda.so.1=$T/handler.so" \
	--redirect "libcuda.so.1=$T/handler.so" -- sh "$script" 2>"$T/err")
rc=$?
if [ $rc = 99 ]; then
	skip slow_decision "cannot mount FUSE here: $(head -n 1 "$T/fuse.out")"; exit 0
fi
expect_eq other_process_served_meanwhile "$out" "file 12345"
expect_eq vgpu_run_ends_with_the_tree "$rc" 0
check the_stalled_process_got_no_answer test ! -s "$T/stuck.out"
check trace_readable "$BIN/vgpu-run" report "$T/t.vgpu"
check trace_says_the_decision_was_stuck grep -q "decision stuck" \
	<("$BIN/vgpu-run" report "$T/t.vgpu")
