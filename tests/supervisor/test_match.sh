#!/usr/bin/env bash
# Matching by glob on an absolute versioned path that does not exist, and
# by the SONAME of a file under another name.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
build_fixtures || { fail fixtures "could not build"; exit 1; }

missing=/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15
out=$(vgpu --redirect "libcuda.so.*=$T/handler.so" -- "$T/client_dlopen" "$missing" 2>&1)
expect_eq "glob matches a versioned absolute path" "$out" "mark=handler"

out=$(vgpu --redirect "libcuda.so=$T/handler.so" -- "$T/client_dlopen" "$missing" 2>&1)
expect_eq "an exact name does not match another name" "$out" \
	"dlopen failed: $missing: cannot open shared object file: No such file or directory"

mkdir -p "$T/other"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -DMARK='"renamed-real"' \
	-o "$T/other/libnvcuda-renamed.so" "$VGPU_ROOT/tests/supervisor/handler.c"
out=$("$T/client_dlopen" "$T/other/libnvcuda-renamed.so")
expect_eq "the renamed file works on its own" "$out" "mark=renamed-real"
out=$(vgpu --rule "redirect soname:libcuda.so.1 $T/handler.so" -- "$T/client_dlopen" "$T/other/libnvcuda-renamed.so" 2>&1)
expect_eq "SONAME matches a file under another name" "$out" "mark=handler"

cc -shared -fPIC -Wl,-soname,libother.so.1 -DMARK='"other"' \
	-o "$T/other/libother.so" "$VGPU_ROOT/tests/supervisor/handler.c"
out=$(vgpu --rule "redirect soname:libcuda.so.1 $T/handler.so" -- "$T/client_dlopen" "$T/other/libother.so" 2>&1)
expect_eq "another SONAME is let through" "$out" "mark=other"

# Rules from a file, first match wins, user rules before later ones.
cat >"$T/r.rules" <<R
# comment line
redirect libcuda.so.1   "$T/handler.so"   # trailing comment
redirect libcuda.so*    "$T/other/libother.so"
R
out=$(vgpu --rules "$T/r.rules" -- "$T/client" 2>&1)
expect_eq "first matching rule serves" "$out" "cuInit=0 mark=handler"
