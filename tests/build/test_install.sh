#!/usr/bin/env bash
# Install directories: a multiarch-style DESTDIR install whose vgpu-run
# serves the sim from the configured LIBDIR; a default install that works
# moved as a whole (relative lookup) and from a lone copy of the binary
# (the compiled-in absolute directory); CPPFLAGS and LDFLAGS reach every
# compile and link.
. "$(dirname "$0")/../lib.sh"
if [ "$VGPU_SAN" = 1 ]; then skip "install" "the ASan run checks the build tree only"; exit 0; fi
export VGPU_SIM_STATE=$T/sim-state

# run_devquery NAME VGPU_RUN DEVQUERY WANT_LIBDIR: the client on the sim,
# and the interposer served from WANT_LIBDIR.
run_devquery() {
	local name=$1 run=$2 client=$3 want=$4 out rc
	out=$(timeout 60 "$run" -v --backend sim -- "$client" 2>&1); rc=$?
	if [ $rc = 0 ] && [[ $out == *"device 0: "* ]] &&
		[[ $out == *"<- $want/libvgpu-cuda.so by $want"* || $out == *"<- $want/libvgpu-cuda.so "* ]]; then
		pass "$name"
	else
		fail "$name" "exit $rc: $(grep -m2 -E 'served|vgpu-run:' <<<"$out")"
	fi
}

# 1. Debian-like: PREFIX=/usr, a multiarch LIBDIR, into DESTDIR, with
#    distribution flags.  Nothing lands where the old fixed layout put it.
root=$T/root
ma=/usr/lib/x86_64-linux-gnu
mark=-DVGPU_CPPFLAGS_REACHED
if ! make -C "$VGPU_ROOT" -j2 V=1 BUILD="$T/b1" PREFIX=/usr LIBDIR=$ma SYSCONFDIR=/etc \
	CPPFLAGS="$mark" LDFLAGS=-Wl,--build-id=none DESTDIR="$root" install >"$T/b1.log" 2>&1; then
	fail "install: multiarch" "$(grep -m3 -iE 'error|\*\*\*' "$T/b1.log")"; exit 0
fi
for f in usr/bin/vgpu-run usr/bin/vgpu-elfpatch ${ma#/}/vgpu/libvgpu-cuda.so \
	${ma#/}/vgpu/sim/libcuda.so.1 ${ma#/}/vgpu/sim/libcudart.so.13 \
	usr/libexec/vgpu-run/vgpu-devquery usr/share/vgpu-run/rules/default.rules; do
	[ -e "$root/$f" ] || fail "install: multiarch layout" "missing /$f"
done
if [ -e "$root/usr/lib/vgpu" ] || [ -e "$root/usr/local" ]; then
	fail "install: multiarch layout" "$(cd "$root" && find . -maxdepth 3 -type d | tr '\n' ' ')"
else
	pass "install: multiarch layout"
fi
run_devquery "install: DESTDIR vgpu-run serves from LIBDIR" "$root/usr/bin/vgpu-run" \
	"$root/usr/libexec/vgpu-run/vgpu-devquery" "$root$ma/vgpu"
if strings "$root/usr/bin/vgpu-run" | grep -qx "$ma/vgpu"; then pass "install: LIBDIR compiled in"
else fail "install: LIBDIR compiled in" "no $ma/vgpu string in vgpu-run"; fi

# Every compile and link took the flags (V=1 shows the commands), and
# no installed ELF file carries the build-id note that LDFLAGS turned off.
cc_lines=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$T/b1.log" | grep -E '^(cc|gcc|clang) ')
missing_cpp=$(grep -E ' -c ' <<<"$cc_lines" | grep -v -- "$mark" | head -n 2)
missing_ld=$(grep -v -E ' -c ' <<<"$cc_lines" | grep -v -- '--build-id=none' | head -n 2)
if [ -n "$cc_lines" ] && [ -z "$missing_cpp" ]; then pass "CPPFLAGS on every compile"
else fail "CPPFLAGS on every compile" "${missing_cpp:-no compiler lines}"; fi
if [ -z "$missing_ld" ]; then pass "LDFLAGS on every link"
else fail "LDFLAGS on every link" "$missing_ld"; fi
noted=$(find "$root" -type f | while read -r f; do
	readelf -n "$f" 2>/dev/null | grep -q NT_GNU_BUILD_ID && echo "${f#"$root"}"; done)
if [ -z "$noted" ] && [ -n "$(find "$root" -name '*.so*')" ]; then pass "LDFLAGS in the installed files"
else fail "LDFLAGS in the installed files" "build-id in: $noted"; fi

# 2. The default layout under a PREFIX: works in place, as a lone copy of
#    the binary (the compiled-in directories), and moved as a tree.
p1=$T/p1
if ! make -C "$VGPU_ROOT" -j2 BUILD="$T/b2" PREFIX="$p1" install >"$T/b2.log" 2>&1; then
	fail "install: PREFIX" "$(grep -m3 -iE 'error|\*\*\*' "$T/b2.log")"; exit 0
fi
client=$p1/libexec/vgpu-run/vgpu-devquery
run_devquery "install: PREFIX" "$p1/bin/vgpu-run" "$client" "$p1/lib/vgpu"
mkdir -p "$T/lone"
cp "$p1/bin/vgpu-run" "$T/lone/vgpu-run"
cp "$client" "$T/lone/devquery"
run_devquery "install: a lone copy finds the configured LIBDIR" "$T/lone/vgpu-run" \
	"$T/lone/devquery" "$p1/lib/vgpu"
mv "$p1" "$T/p2"
run_devquery "install: the tree moved elsewhere (relocatable)" "$T/p2/bin/vgpu-run" \
	"$T/p2/libexec/vgpu-run/vgpu-devquery" "$T/p2/lib/vgpu"
# The lone copy has lost its directory now: a named reason, exit 2.
out=$(timeout 60 "$T/lone/vgpu-run" --backend sim -- "$T/lone/devquery" 2>&1); rc=$?
if [ $rc = 2 ] && [[ $out == *"$p1/lib/vgpu"* ]]; then pass "install: a missing LIBDIR is named"
else fail "install: a missing LIBDIR is named" "exit $rc: $(head -n 2 <<<"$out")"; fi
