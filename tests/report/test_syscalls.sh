#!/usr/bin/env bash
# --trace-syscalls on real runs: a driver whose cuInit fails after its
# open of /dev/nvidia-uvm failed.  The report attributes the failed open to
# cuInit and says so in the diagnosis.  As root, a private mount namespace
# gives the program device files of its own: a control device it can
# ioctl and mmap, and a unified-memory device its user may not open.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
here=$VGPU_ROOT/tests/report
cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$T/libcuda.so.1" \
	"$here/uvm_driver.c" -Wl,-soname,libcuda.so.1
cc_test "$T/drv_client" "$VGPU_ROOT/tests/interpose/drv_client.c" \
	-L"$T" -l:libcuda.so.1 -lpthread
traced() { "$BIN/vgpu-run" --trace-syscalls --backend cuda="$T/libcuda.so.1" "$@"; }

if [ -e /dev/nvidia-uvm ]; then
	skip "missing /dev/nvidia-uvm: ENOENT inside cuInit" "this host has /dev/nvidia-uvm"
else
	out=$(traced -o "$T/enoent.trace" -- "$T/drv_client" basic 2>"$T/err"); rc=$?
	expect_eq "the program runs and sees cuInit fail" "$rc:$out" \
		"0:cuInit 999 version 13000 (0) count 0 (3)"
	rep=$(report "$T/enoent.trace")
	check "diagnosis: cuInit failed after the open of /dev/nvidia-uvm failed (ENOENT)" \
		grep -qE '^\* cuInit returned CUDA_ERROR_UNKNOWN \(999\); inside it .*openat\("/dev/nvidia-uvm", O_RDWR\) failed with ENOENT' <<<"$rep"
	check "errors: the failing syscall is listed under the call" \
		grep -qF 'openat("/dev/nvidia-uvm", O_RDWR)' <<<"$(sed -n '/^== Errors/,/^== /p' <<<"$rep")"
	# Without --trace-syscalls the same run has no syscalls to attribute.
	"$BIN/vgpu-run" --backend cuda="$T/libcuda.so.1" -o "$T/plain.trace" \
		-- "$T/drv_client" basic >/dev/null 2>&1
	check "without --trace-syscalls the diagnosis names no syscall" \
		bash -c "! grep -qF 'inside it' <<<\"\$(\"$BIN/vgpu-run\" report \"$T/plain.trace\")\""
	check "the plain run still reports cuInit's failure" \
		grep -qF '* cuInit returned CUDA_ERROR_UNKNOWN (999)' <<<"$(report "$T/plain.trace")"
fi

name="mount namespace: ioctl and mmap on the control device, EACCES on nvidia-uvm"
if ! is_root; then skip "$name" "needs root (a private mount namespace over /dev)"; exit 0; fi
for tool in unshare setpriv python3; do
	command -v $tool >/dev/null || { skip "$name" "$tool not installed"; exit 0; }
done
chmod -R a+rX "$T"
chmod a+rwx "$T"
mkdir -p "$T/olddev"
nobody=$(id -u nobody)
# A tmpfs over /dev holds regular files named as the devices: the control
# device is /dev/zero bound over one, nvidia-uvm is mode 0600 root's.
unshare -m bash -c '
	set -e
	mount --make-rprivate /
	mount --bind /dev "$1/olddev"
	mount -t tmpfs -o mode=755 none /dev
	for f in null zero urandom nvidiactl; do touch /dev/$f; done
	for f in null zero urandom; do mount --bind "$1/olddev/$f" /dev/$f; done
	mount --bind "$1/olddev/zero" /dev/nvidiactl
	touch /dev/nvidia-uvm && chmod 600 /dev/nvidia-uvm
	"$2" --trace-syscalls --backend cuda="$1/libcuda.so.1" -o "$1/ns.trace" -- \
		setpriv --reuid="$3" --regid="$3" --clear-groups -- "$1/drv_client" basic
' _ "$T" "$BIN/vgpu-run" "$nobody" >"$T/ns.out" 2>"$T/ns.err"; rc=$?
expect_eq "namespace scenario: cuInit fails as nobody" "$rc:$(cat "$T/ns.out")" \
	"0:cuInit 999 version 13000 (0) count 0 (3)"
rep=$(report "$T/ns.trace")
expect_eq "diagnosis: the open of /dev/nvidia-uvm failed with EACCES" \
	"$(grep '^\* cuInit' <<<"$rep")" \
	'* cuInit returned CUDA_ERROR_UNKNOWN (999); inside it openat("/dev/nvidia-uvm", O_RDWR) failed with EACCES'
row() { awk -v n="$1" '$NF == n { print $1, $2, $3 }' <<<"$sys"; }
sys=$(sed -n '/^== Syscalls/,/^== /p' <<<"$rep")
expect_eq "syscalls: the ioctl on the control device, inside a call" "$(row ioctl)" "1 0 1"
expect_eq "syscalls: the mmap of the control device, inside a call" "$(row mmap)" "1 0 1"
expect_eq "syscalls: two opens of device files, one failed" "$(row openat)" "2 1 2"
# The chrome file is JSON: read the names back rather than grep escapes.
report --format chrome -o "$T/ns.json" "$T/ns.trace"
names=$(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["traceEvents"]:
    if e.get("cat") == "syscall":
        print(e["name"])' "$T/ns.json")
check "chrome: the ioctl is drawn with its fd, device and request" \
	grep -qE '^ioctl\([0-9]+</dev/nvidiactl>, 0xc020462a, 0x[0-9a-f]+\)$' <<<"$names"
check "chrome: the mmap is drawn with its length and device" \
	grep -qE '^mmap\(0, 4096, 0x1, 0x2, [0-9]+</dev/nvidiactl>, 0\)$' <<<"$names"
