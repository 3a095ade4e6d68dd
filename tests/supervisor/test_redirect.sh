#!/usr/bin/env bash
# A program whose DT_NEEDED libcuda.so.1 is on no library path is served
# the handler named by --redirect; the trace records the decision.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
build_fixtures || { fail fixtures "could not build"; exit 1; }

out=$("$T/client" 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out == *libcuda.so.1* ]]; then
	pass "without vgpu-run the library is missing"
else
	fail "without vgpu-run the library is missing" "rc=$rc out=$out"
fi

out=$(vgpu -o "$T/trace" --redirect "libcuda.so.1=$T/handler.so" -- "$T/client" 2>&1); rc=$?
expect_eq "served through DT_NEEDED" "$rc:$out" "0:cuInit=0 mark=handler"

"$T/vt_dump" "$T/trace" >"$T/dump" 2>&1
served=$(awk -F'\t' '$2 == "served" { print $7 "|" $8 "|" $9 }' "$T/dump" | head -n 1)
if [[ $served == */libcuda.so.1\|$T/handler.so\|--redirect:1 ]]; then
	pass "trace records the served open and its rule"
else
	fail "trace records the served open and its rule" "got [$served]"
	cat "$T/dump"
fi
check "trace ends cleanly" grep -q $'^end\tOK' "$T/dump"
check "trace records the exec with argv" grep -qP "^event\texec\t.*\t$T/client\t$T/client\$" "$T/dump"
mode=$(stat -c %a "$T/trace")
expect_eq "trace file is private" "$mode" 600

out=$(vgpu -o "$T/trace" -- /bin/true 2>&1); rc=$?
if [ $rc = 2 ] && [[ $out == *"$T/trace"*exists*--force* ]]; then
	pass "existing trace is not overwritten"
else
	fail "existing trace is not overwritten" "rc=$rc out=$out"
fi
check "--force replaces it" vgpu --force -o "$T/trace" -- /bin/true

# Verbose mode prints the decisions.
out=$(vgpu -v --redirect "libcuda.so.1=$T/handler.so" -- "$T/client" 2>&1 >/dev/null)
if [[ $out == *"served "*libcuda.so.1" <- $T/handler.so by --redirect:1"* ]]; then
	pass "-v prints the decision"
else
	fail "-v prints the decision" "$out"
fi

# The reserved prefix serves only what it knows.
cat >"$T/rd.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		char buf[4096] = "";
		if (fd >= 0) { ssize_t n = read(fd, buf, sizeof(buf) - 1); buf[n > 0 ? n : 0] = 0; }
		printf("%s %s %s\n", argv[i], fd >= 0 ? "ok" : strerror(errno),
		       strstr(buf, "backend") ? "has-backend" : "-");
	}
	return 0;
}
C
cc_test "$T/rd" "$T/rd.c"
out=$(vgpu --backend "$T/handler.so" -- "$T/rd" /.vgpu/config /.vgpu/../etc/passwd /.vgpu/nothing 2>&1)
expect_eq "reserved prefix" "$out" "/.vgpu/config ok has-backend
/.vgpu/../etc/passwd No such file or directory -
/.vgpu/nothing No such file or directory -"
