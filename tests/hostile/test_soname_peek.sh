#!/usr/bin/env bash
# Hostile ELF files against the SONAME peek (every open of a *.so name
# under a soname: rule) and the report's call-site reader: sparse files a
# few KiB on disk whose headers claim 1 GiB of section headers or 65534
# program headers.  vgpu-run reads a fixed budget of each, keeps serving
# the rest of the tree, says in the trace when a peek ran out of budget,
# and stays small; so does `vgpu-run report` over a trace whose frames
# name such a file.  As root the opener runs as nobody under root.
. "$(dirname "$0")/../lib.sh"
. "$VGPU_ROOT/tests/supervisor/fixtures.sh"
here=$VGPU_ROOT/tests/hostile
build_fixtures || { fail fixtures "could not build"; exit 1; }
cc_test "$T/sparse_elf" "$here/sparse_elf.c" || { fail build sparse_elf; exit 1; }
cc_test "$T/maxrss" "$VGPU_ROOT/tests/report/maxrss.c"
mkdir -p "$T/other" "$T/evil"
chmod 755 "$T/other" "$T/evil"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -DMARK='"renamed-real"' \
	-o "$T/other/libnvcuda-renamed.so" "$VGPU_ROOT/tests/supervisor/handler.c"
cc -shared -fPIC -Wl,-soname,libevil.so.1 -DMARK='"evil"' \
	-o "$T/evil.src.so" "$VGPU_ROOT/tests/supervisor/handler.c"
gib=$((1 << 30))
"$T/sparse_elf" "$T/evil.src.so" "$T/evil/libsections.so" sections $gib &&
	"$T/sparse_elf" "$T/evil.src.so" "$T/evil/libphdrs.so" phdrs $gib ||
	{ fail "hostile files" "sparse_elf failed"; exit 1; }
as=()
is_root && as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# A bound on memory, not on time: the old peek grew by what the header
# claimed (GiBs), a bounded one by nothing worth counting.
limit_kib=$((256 * 1024))
rss() { awk '/^maxrss/ { print $2 }' "$1"; }
under_limit() {
	local name=$1 kib=$2
	if [ -n "$kib" ] && [ "$kib" -lt "$limit_kib" ]; then pass "$name ($kib KiB)"
	else fail "$name" "peak ${kib:-?} KiB, limit $limit_kib KiB"; fi
}

out=$(timeout -k 5 120 "$T/maxrss" "$BIN/vgpu-run" --no-default-rules \
	--rule "redirect soname:libcuda.so.1 $T/handler.so" -o "$T/peek.trc" -- \
	sh -c '"$@" "$0"/libsections.so; "$@" "$0"/libphdrs.so; '"'$T/client_dlopen'"' '"'$T/other/libnvcuda-renamed.so'" \
	"$T/evil" "${as[@]}" "$T/client_dlopen" 2>"$T/peek.err")
rc=$?
expect_eq "vgpu-run exits with the program's status" "$rc" 0
expect_eq "the next process is served by SONAME" "$(tail -1 <<<"$out")" "mark=handler"
under_limit "vgpu-run stays small after peeking at 1 GiB headers" "$(rss "$T/peek.err")"
if "$T/vt_dump" "$T/peek.trc" | grep -q $'^event\terror\t.*SONAME peek stopped at its byte budget\t'"$T/evil/libphdrs.so"; then
	pass "the trace says which peek ran out of budget"
else
	fail "the trace says which peek ran out of budget" "no event for $T/evil/libphdrs.so"
fi

# A trace whose frames name a module that was replaced by a hostile file
# after the run: the report stays small and leaves those frames as they are.
cc -shared -fPIC -O1 -o "$T/libcuda.so.1" "$VGPU_ROOT/tests/interpose/counting_driver.c" \
	-Wl,-soname,libcuda.so.1 -lpthread
cc_test "$T/cs_client" "$VGPU_ROOT/tests/interpose/callsite_client.c" -L"$T" -l:libcuda.so.1
timeout -k 5 60 "$BIN/vgpu-run" --backend cuda="$T/libcuda.so.1" -o "$T/cs.trc" -- \
	"$T/cs_client" >/dev/null 2>&1
"$BIN/vgpu-run" report "$T/cs.trc" >"$T/before.txt" 2>&1
check "the report names the caller while the module is real" grep -q '(main+0x' "$T/before.txt"
"$T/sparse_elf" "$T/cs_client" "$T/cs_client.evil" sections $gib &&
	mv "$T/cs_client.evil" "$T/cs_client"
timeout -k 5 120 "$T/maxrss" "$BIN/vgpu-run" report "$T/cs.trc" >"$T/after.txt" 2>"$T/report.err"
expect_eq "the report over a hostile module succeeds" "$?" 0
under_limit "the report stays small" "$(rss "$T/report.err")"
if grep -q "$T/cs_client+0x" "$T/after.txt" && ! grep -q '(main+0x' "$T/after.txt"; then
	pass "its frames stay unsymbolized"
else
	fail "its frames stay unsymbolized" "$(grep -m2 "cs_client" "$T/after.txt")"
fi
