#!/usr/bin/env bash
# The toolkit's libcublasLt.so.13 (about 500 MB), copied: a replace-needed
# that fits changes only the bytes it reports, keeps the size, and the
# library still loads with dlopen (RTLD_NOW) through the new name.
. "$(dirname "$0")/../lib.sh"
EP=$BIN/vgpu-elfpatch
src=${VGPU_CUBLASLT:-/usr/local/cuda/lib64/libcublasLt.so.13}
if [ ! -f "$src" ]; then skip "libcublasLt" "$src not present"; exit 0; fi
need=$(( $(stat -c %s "$src") / 1024 + 65536 ))
avail=$(df -Pk "$T" | awk 'NR==2{print $4}')
if [ "$avail" -lt "$need" ]; then skip "libcublasLt" "needs ${need} KiB free in $T, have $avail"; exit 0; fi
librt=$(ldconfig -p | awk '/librt.so.1 .*x86-64/{print $NF; exit}')
if [ -z "$librt" ]; then skip "libcublasLt" "no librt.so.1 in the loader cache"; exit 0; fi

lib=$T/libcublasLt.so.13
cp "$src" "$lib"
ln -s "$librt" "$T/libvgrt.so"   # found through the library's RUNPATH $ORIGIN
cat >"$T/load.c" <<'C'
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
static int show(struct dl_phdr_info *i, size_t n, void *a)
{ (void)n; (void)a; if (strstr(i->dlpi_name, "libvgrt.so")) puts("libvgrt.so loaded"); return 0; }
int main(int argc, char **argv)
{
	(void)argc;
	if (!dlopen(argv[1], RTLD_NOW)) { printf("dlopen: %s\n", dlerror()); return 1; }
	dl_iterate_phdr(show, NULL);
	return 0;
}
C
cc_test "$T/load" "$T/load.c" -ldl
out=$("$EP" -v --replace-needed librt.so.1 libvgrt.so "$lib" 2>&1) || fail "libcublasLt: replace-needed" "$out"
expect_eq "libcublasLt: size unchanged" "$(stat -c %s "$lib")" "$(stat -c %s "$src")"
reported=$(echo "$out" | while read -r w r _; do
	[ "$w" = change ] || continue
	o=$((${r%+*})); n=${r#*+}
	for ((i = 0; i < n; i++)); do echo $((o + i + 1)); done
done | sort -n)
changed=$(cmp -l "$src" "$lib" | awk '{print $1}' | sort -n)
if [ -n "$changed" ] && [ "$changed" = "$reported" ]; then
	pass "libcublasLt: exactly the reported $(echo "$changed" | wc -l) bytes changed"
else
	fail "libcublasLt: changed bytes" "changed [$changed] reported [$reported]"
fi
expect_eq "libcublasLt: needed list" "$("$EP" --print-needed "$lib" | head -n 1)" libvgrt.so
expect_eq "libcublasLt: dlopen loads the new dependency" "$(LD_BIND_NOW=1 "$T/load" "$lib" 2>&1)" "libvgrt.so loaded"
"$EP" --undo "$lib" >/dev/null 2>&1
check "libcublasLt: undo byte-identical" cmp -s "$src" "$lib"
rm -f "$lib"
