#!/usr/bin/env bash
# The SONAME oracle: a root vgpu-run reads the SONAME of files the
# program names.  It must read them with the program's credentials, so a
# program running as nobody learns nothing about a file in a directory
# closed to it: the open fails as it would without vgpu-run, and no
# handler is served for it.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/hostile
if ! is_root; then skip soname_oracle "needs root (a root vgpu-run, a program as nobody)"; exit 0; fi
command -v setpriv >/dev/null || { skip soname_oracle "no setpriv"; exit 0; }
cc_test "$T/opener" "$here/opener.c" || { fail build_opener "cc failed"; exit 1; }
head -c 4321 /dev/zero >"$T/handler.so"
chmod 644 "$T/handler.so"
echo 'int f(void){return 0;}' >"$T/f.c"
mkdir -m 0700 "$T/secret"
mkdir -m 0755 "$T/open"
cc -shared -fPIC -o "$T/secret/libx.so" "$T/f.c" -Wl,-soname,libcuda.so.1
cp "$T/secret/libx.so" "$T/open/libx.so"
chmod 0644 "$T/secret/libx.so" "$T/open/libx.so"
chmod 0711 "$T"
nb() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
run_nb() {
	timeout -k 5 30 "$BIN/vgpu-run" --redirect "soname:libcuda.so.1=$T/handler.so" \
		-- setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/opener" "$1" 2>"$T/err"
}

expect_eq kernel_refuses_nobody "$(nb "$T/opener" "$T/secret/libx.so")" "error EACCES"
expect_eq closed_file_not_served "$(run_nb "$T/secret/libx.so")" "error EACCES"
# The same SONAME where nobody may read it is served: the rule works.
expect_eq readable_file_served "$(run_nb "$T/open/libx.so")" "file 4321"
# Root itself still has its SONAMEs read.
got=$(timeout -k 5 30 "$BIN/vgpu-run" --redirect "soname:libcuda.so.1=$T/handler.so" \
	-- "$T/opener" "$T/secret/libx.so" 2>/dev/null)
expect_eq root_file_served_to_root "$got" "file 4321"
