#!/usr/bin/env bash
# A served open keeps the kernel's semantics of the program's own path
# and flags: each case runs once on the kernel alone and once under
# vgpu-run with a rule that serves every libcuda/libcudart name, and the
# answers must be the same (or, for the opens serving exists for, the
# handler file, with the flags the program asked for).
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/hostile
cc_test "$T/opener" "$here/opener.c" || { fail build_opener "cc failed"; exit 1; }
head -c 12345 /dev/zero >"$T/handler.so"
chmod 644 "$T/handler.so"
want_served="file 12345"
mkdir -p "$T/w/libcudart.so.12" "$T/w/real" "$T/w/sub"
: >"$T/w/real/libcuda.so.1"
ln -s real/libcuda.so.1 "$T/w/libcuda.so.1"
ln -s real "$T/w/linkdir"

served() {
	(cd "$T/w/sub" && timeout -k 5 30 "$BIN/vgpu-run" \
		--redirect "libcuda*.so*=$T/handler.so" -- "$T/opener" "$@") 2>"$T/err"
}
native() { (cd "$T/w/sub" && "$T/opener" "$@"); }

same() {
	local name=$1; shift
	local n s
	n=$(native "$@"); s=$(served "$@")
	if [ -n "$n" ] && [ "$n" = "$s" ]; then pass "$name"; else
		fail "$name" "kernel says [$n], under vgpu-run [$s] $(head -c 300 "$T/err")"
	fi
}

# The opens serving exists for: a name the program's view lacks, and
# one it has.
expect_eq served_missing_library "$(served ../nothere/libcuda.so.1)" "$want_served"
expect_eq served_existing_library "$(served ../real/libcuda.so.1)" "$want_served"
expect_eq served_keeps_O_NONBLOCK "$(served -n ../nothere/libcuda.so.1)" "$want_served nonblock"
expect_eq served_without_O_NONBLOCK "$(served ../nothere/libcuda.so.1)" "$want_served"

# What the kernel refuses, or opens as something else, stays so.
same directory_named_like_a_library ../libcudart.so.12
same O_DIRECTORY_on_a_library_name -D ../real/libcuda.so.1
same O_DIRECTORY_on_a_missing_name -D ../nothere/libcuda.so.1
same O_NOFOLLOW_on_a_symlink -N ../libcuda.so.1
same RESOLVE_NO_SYMLINKS_through_a_linked_dir -R nosym ../linkdir/libcuda.so.1
same RESOLVE_BENEATH_escaping -R beneath ../real/libcuda.so.1
same ENOTDIR_component ../real/libcuda.so.1/libcuda.so.1
# openat2 without limits is served like open.
expect_eq openat2_plain_served "$(served -R none ../real/libcuda.so.1)" "$want_served"
