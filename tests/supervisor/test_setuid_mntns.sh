#!/usr/bin/env bash
# The program is started as an unprivileged user through a set-uid-root
# launcher that strips LD_PRELOAD and hides the handler's directory and the
# build tree under tmpfs in a private mount namespace: still served.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
name="served through set-uid launcher and private mount namespace"
if ! is_root; then skip "$name" "needs root (a set-uid-root launcher and a root supervisor)"; exit 0; fi
command -v setpriv >/dev/null || { skip "$name" "setpriv (util-linux) not installed"; exit 0; }
build_fixtures || { fail fixtures "could not build"; exit 1; }

mkdir -p "$T/handlers" "$T/app"
mv "$T/handler.so" "$T/handlers/libhandler.so"
mv "$T/client" "$T/app/client"
cc_test "$T/app/launcher" "$VGPU_ROOT/tests/supervisor/launcher.c"
chown root:root "$T/app/launcher" && chmod 4755 "$T/app/launcher"
chmod -R a+rX "$T"
nobody=$(id -u nobody)
drop=(setpriv --reuid="$nobody" --regid="$nobody" --clear-groups --)

# LD_PRELOAD alone cannot do it: the launcher's secure execution drops it.
out=$(LD_PRELOAD="$T/handlers/libhandler.so" "${drop[@]}" "$T/app/launcher" "$T/handlers" -- "$T/app/client" 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out == *"libcuda.so.1"* ]]; then
	pass "LD_PRELOAD does not survive the launcher"
else
	fail "LD_PRELOAD does not survive the launcher" "rc=$rc out=$out"
fi

out=$(vgpu -o "$T/trace" --redirect "libcuda.so.1=$T/handlers/libhandler.so" -- \
	"${drop[@]}" "$T/app/launcher" "$T/handlers" "$VGPU_BUILD" -- \
	"$T/app/client" "$T/handlers/libhandler.so" "$VGPU_BUILD/bin/vgpu-run" 2>&1); rc=$?
expect_eq "$name" "$rc:$out" "0:hidden $T/handlers/libhandler.so
hidden $VGPU_BUILD/bin/vgpu-run
cuInit=0 mark=handler"

"$T/vt_dump" "$T/trace" >"$T/dump"
check "trace records the secure execution of the launcher" \
	grep -qP "^event\tsecure-exec\t.*\t$T/app/launcher\t" "$T/dump"
uid=$(awk -F'\t' '$2 == "exec" && $7 ~ /client$/ { print $5 }' "$T/dump")
expect_eq "trace records the exec of the program" "$uid" "$(stat -c %u "$T/app/client")"
