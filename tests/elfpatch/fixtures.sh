# Sourced by the elfpatch tests: builds small programs and libraries with
# one linker into a directory.
#   build_fixtures DIR LINKER   (LINKER: bfd, lld or gold; returns 1 when
#                                the linker cannot build them)
# DIR then holds:
#   prog            needs libvgfa.so, libvgtail_libvgprobe.so and
#                   libvgunused_long_name.so; RUNPATH/RPATH is a long
#                   dummy; prints "ok" after calling fa()
#   libvgfa.so / libvgfb.so   define fa(); constructors print "vgfa"/"vgfb"
#   libvgprobe.so / libvgp2.so  constructors print "probe"/"p2"
#   libvgtail_libvgprobe.so, libvgunused_long_name.so  empty
linker_available() {
	local ld=$1
	case $ld in
	bfd) command -v ld.bfd >/dev/null ;;
	lld) command -v ld.lld >/dev/null ;;
	gold) command -v ld.gold >/dev/null ;;
	esac
}

build_fixtures() {
	local d=$1 ld=$2 cc=${CC:-cc}
	mkdir -p "$d"
	cat >"$d/fa.c" <<'C'
#include <stdio.h>
__attribute__((constructor)) static void hello(void) { fprintf(stderr, "%s\n", NAME); }
int fa(void) { return 42; }
C
	cat >"$d/probe.c" <<'C'
#include <stdio.h>
__attribute__((constructor)) static void hello(void) { fprintf(stderr, "%s\n", NAME); }
C
	cat >"$d/prog.c" <<'C'
#include <stdio.h>
int fa(void);
int main(void) { printf(fa() == 42 ? "ok\n" : "bad\n"); return 0; }
C
	echo 'int vg_empty;' >"$d/empty.c"
	local f="-fuse-ld=$ld -shared -fPIC"
	$cc $f -DNAME='"vgfa"' -Wl,-soname,libvgfa.so -o "$d/libvgfa.so" "$d/fa.c" &&
	$cc $f -DNAME='"vgfb"' -Wl,-soname,libvgfb.so -o "$d/libvgfb.so" "$d/fa.c" &&
	$cc $f -DNAME='"probe"' -o "$d/libvgprobe.so" "$d/probe.c" &&
	$cc $f -DNAME='"p2"' -o "$d/libvgp2.so" "$d/probe.c" &&
	$cc $f -o "$d/libvgtail_libvgprobe.so" "$d/empty.c" &&
	$cc $f -o "$d/libvgunused_long_name.so" "$d/empty.c" &&
	$cc -fuse-ld="$ld" -o "$d/prog" "$d/prog.c" -L"$d" -Wl,--no-as-needed \
		-lvgfa -l:libvgtail_libvgprobe.so -l:libvgunused_long_name.so \
		-Wl,-rpath,/nonexistent/vgpu-elfpatch-test-placeholder-dir
}
