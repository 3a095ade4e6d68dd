#!/usr/bin/env bash
# vgpu-run keeps a thread's root and groups between its opens (opening
# them afresh for every served open cost more than the rest of it).  A
# program that changes them between two opens must get, for the second,
# what its new root and groups give: the kernel's answer where that is a
# directory or a refusal, never the served file a stale copy would pick.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/hostile
if ! is_root; then skip changed_thread "needs root (chroot, setgroups)"; exit 0; fi
cc_test "$T/opener" "$here/opener.c" || { fail build_opener "cc failed"; exit 1; }
head -c 4321 /dev/zero >"$T/handler.so"
chmod 644 "$T/handler.so"
served="file 4321"

# A root where the served name is a directory.
mkdir -p "$T/jail/jailed/libcuda.so.1"
native=$("$T/opener" /jailed/libcuda.so.1 "+chroot=$T/jail" /jailed/libcuda.so.1)
expect_eq chroot_native "$native" "$(printf 'error ENOENT\ndir')"
got=$(timeout -k 5 30 "$BIN/vgpu-run" --redirect "libcuda.so.1=$T/handler.so" -- \
	"$T/opener" /jailed/libcuda.so.1 "+chroot=$T/jail" /jailed/libcuda.so.1 2>"$T/err")
expect_eq chroot_second_open_sees_new_root "$got" "$(printf '%s\ndir' "$served")"

# A SONAME read through a group the thread then leaves.
echo 'int f(void){return 0;}' >"$T/f.c"
mkdir -m 0750 "$T/g"
chgrp 12345 "$T/g"
cc -shared -fPIC -o "$T/g/libx.so" "$T/f.c" -Wl,-soname,libcuda.so.1
chmod 0644 "$T/g/libx.so"
chmod 0711 "$T"
size=$(stat -c %s "$T/g/libx.so")
steps=(+as=65534:12345 "$T/g/libx.so" +as=65534:- "$T/g/libx.so")
native=$("$T/opener" "${steps[@]}")
expect_eq groups_native "$native" "$(printf 'file %s\nerror EACCES' "$size")"
got=$(timeout -k 5 30 "$BIN/vgpu-run" --redirect "soname:libcuda.so.1=$T/handler.so" -- \
	"$T/opener" "${steps[@]}" 2>"$T/err")
expect_eq groups_second_open_without_the_group "$got" "$(printf '%s\nerror EACCES' "$served")"
