#!/usr/bin/env bash
# `make install` lays out a tree that works like the build tree.
. "$(dirname "$0")/../lib.sh"
if [ "$VGPU_SAN" = 1 ]; then skip "make install" "the ASan run checks the build tree only"; exit 0; fi
make -s -C "$VGPU_ROOT" BUILD="$VGPU_BUILD" install PREFIX=/opt/vgpu DESTDIR="$T/root" >"$T/log" 2>&1 \
	|| { fail "make install" "$(tail -n 5 "$T/log")"; exit 0; }
check "binary installed" test -x "$T/root/opt/vgpu/bin/vgpu-run"
check "default rules installed" test -f "$T/root/opt/vgpu/share/vgpu-run/rules/default.rules"
out=$("$T/root/opt/vgpu/bin/vgpu-run" -- /bin/sh -c 'echo ran; exit 5' 2>&1); rc=$?
expect_eq "installed binary runs a program" "$rc:$out" "5:ran"
