#!/usr/bin/env bash
# Backend and real-lib files under a root vgpu-run: a group/world-writable
# or foreign-owned file is refused before the program starts, with one
# line naming it; the file served is the one checked at start, so a
# program (as nobody) that replaces it on disk does not choose what the
# next process of the tree loads.
. "$(dirname "$0")/../lib.sh"
run=$BIN/vgpu-run
if ! is_root; then
	skip backend_files "needs root (the checks apply to a root vgpu-run)"
	exit 0
fi
need_nobody=$(id -u nobody 2>/dev/null)
if [ -z "$need_nobody" ] || ! command -v setpriv >/dev/null; then
	skip backend_files "needs the nobody user and setpriv"
	exit 0
fi
NB=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# Two drivers that differ in the version they report.
mkdir -p "$T/bk"
for v in 1 2; do
	cat >"$T/drv$v.c" <<C
int cuInit(unsigned flags) { (void)flags; return 0; }
int cuDriverGetVersion(int *v) { *v = $v; return 0; }
C
	cc -shared -fPIC -o "$T/drv$v.so" "$T/drv$v.c" -Wl,-soname,libcuda.so.1
done
# Loads libcuda.so.1 and prints the version its backend reports.
cat >"$T/load.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	int (*ver)(int *) = h ? (int (*)(int *))dlsym(h, "cuDriverGetVersion") : NULL;
	int v = -1;
	int rc = ver ? ver(&v) : -1;
	printf("version %d (%d)\n", v, rc);
	return 0;
}
C
cc_test "$T/load" "$T/load.c" -ldl

# refused NAME FILE ARGS...: vgpu-run ARGS refuses FILE before the program
# runs (exit 2, one line on stderr naming FILE then the Try line, no marker
# written).
refused() {
	local name=$1 file=$2; shift 2
	rm -f "$T/ran"
	timeout 30 "$run" "$@" -- sh -c "touch $T/ran" >"$T/out" 2>"$T/err"
	local rc=$?
	expect_eq "${name}_exit_status" "$rc" 2
	if [ -e "$T/ran" ]; then
		fail "${name}_program_not_started" "the program ran"
	else
		pass "${name}_program_not_started"
	fi
	if [ "$(wc -l <"$T/err")" = 2 ] && head -n 1 "$T/err" | grep -qF "$file: refusing" &&
	   [ "$(tail -n 1 "$T/err")" = "Try 'vgpu-run --help' for more information." ]; then
		pass "${name}_one_line_naming_the_file"
	else
		fail "${name}_one_line_naming_the_file" "$(head -c 400 "$T/err")"
	fi
}

cp "$T/drv1.so" "$T/bk/ww.so" && chmod 0666 "$T/bk/ww.so"
refused world_writable_backend "$T/bk/ww.so" --backend "cuda=$T/bk/ww.so"
refused world_writable_backend_scoped_by_exports "$T/bk/ww.so" --backend "$T/bk/ww.so"
cp "$T/drv1.so" "$T/bk/gw.so" && chmod 0664 "$T/bk/gw.so"
refused group_writable_backend "$T/bk/gw.so" --backend "cuda=$T/bk/gw.so"
cp "$T/drv1.so" "$T/bk/nb.so" && chmod 0644 "$T/bk/nb.so" && chown nobody "$T/bk/nb.so"
refused nobody_owned_backend "$T/bk/nb.so" --backend "cuda=$T/bk/nb.so"
refused nobody_owned_real_lib "$T/bk/nb.so" --backend cuda=passthrough \
	--real-lib "cuda=$T/bk/nb.so"
refused world_writable_real_lib "$T/bk/ww.so" --backend cuda=passthrough \
	--real-lib "cuda=$T/bk/ww.so"

# A root-owned 0644 backend in a directory nobody may write: the tree,
# as nobody, renames another library over it between two processes (the
# copy is named so that no redirect rule serves the interposer for it).
mkdir -p "$T/open" && chmod 0777 "$T/open"
cp "$T/drv1.so" "$T/open/libcuda.so.1" && chmod 0644 "$T/open/libcuda.so.1"
cp "$T/drv2.so" "$T/open/new.bin" && chmod 0644 "$T/open/new.bin"
out=$(timeout 60 "$run" --backend "cuda=$T/open/libcuda.so.1" -- "${NB[@]}" sh -c \
	"'$T/load'; cp '$T/open/new.bin' '$T/open/swap.bin' &&
	 mv -f '$T/open/swap.bin' '$T/open/libcuda.so.1' && echo replaced; '$T/load'" 2>&1)
rc=$?
expect_eq replaced_backend_tree_exit_status "$rc" 0
expect_eq replaced_backend_next_process_gets_the_checked_file "$out" \
	"version 1 (0)
replaced
version 1 (0)"
