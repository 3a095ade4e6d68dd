#!/usr/bin/env bash
# `make` on a machine without the -dev packages, as root: need-deps
# installs them and the same run builds, quietly, and names the next
# command; a second `make` rebuilds nothing.  Runs in a clean copy of the
# tree where pkg-config cannot find libseccomp until a stand-in apt-get
# has "installed" it, which is what a fresh machine's first make sees.
. "$(dirname "$0")/../lib.sh"
# A user's first make is not a sub-make: make check's own MAKELEVEL and
# jobserver would make it print "Entering directory" lines.
unset MAKELEVEL MAKEFLAGS MFLAGS
if [ "$VGPU_SAN" = 1 ]; then skip "make" "the ASan run checks the build tree only"; exit 0; fi
need() { command -v "$1" >/dev/null || { skip "make" "$1 not installed"; exit 0; }; }
need pkg-config
need git
real_pkg_config=$(command -v pkg-config)

src=$T/src
mkdir -p "$src"
(cd "$VGPU_ROOT" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp --parents -t "$src" 2>/dev/null)
rm -rf "$src/build"
[ -f "$src/Makefile" ] || { fail "make: copy the tree" "no Makefile in $src"; exit 0; }

# Stand-ins first on PATH: root, an apt-get that records its arguments
# and "installs", a pkg-config that finds no libseccomp before that.
fake=$T/fake
mkdir -p "$fake"
mark=$T/installed
cat >"$fake/id" <<'S'
#!/bin/sh
[ "$1" = -u ] && { echo 0; exit 0; }
exec /usr/bin/id "$@"
S
cat >"$fake/apt-get" <<S
#!/bin/sh
echo "\$*" >>"$T/apt-get.log"
touch "$mark"
S
cat >"$fake/pkg-config" <<S
#!/bin/sh
if [ ! -e "$mark" ]; then
	for a; do case \$a in libseccomp*) exit 1 ;; esac; done
fi
exec "$real_pkg_config" "\$@"
S
chmod +x "$fake"/*
export PATH=$fake:$PATH
if pkg-config --exists libseccomp; then
	fail "make: stand-in pkg-config" "still finds libseccomp"; exit 0
fi

(cd "$src" && timeout 900 make -j2) >"$T/first.log" 2>&1
rc=$?
if [ $rc = 0 ]; then pass "make: deps and build in one run"
else fail "make: deps and build in one run" "exit $rc: $(grep -m3 -E 'error|undefined' "$T/first.log")"; fi
if grep -q 'install .*libseccomp-dev' "$T/apt-get.log" 2>/dev/null; then
	pass "make: need-deps installed the -dev packages"
else
	fail "make: need-deps installed the -dev packages" "apt-get saw: $(cat "$T/apt-get.log" 2>/dev/null)"
fi
if readelf -dW "$src/build/bench/notify_bare" 2>/dev/null | grep -q 'NEEDED.*libseccomp'; then
	pass "make: notify_bare linked with libseccomp"
else
	fail "make: notify_bare linked with libseccomp" "missing or not linked"
fi
# Quiet: "  CC      file" lines, no compiler command lines.
loud=$(grep -E '(^| )(cc|gcc|clang) .*-(c|o) ' "$T/first.log" | head -n 3)
quiet=$(grep -cE '^  (CC|CC \[so\]|LD|AS|GEN|CP) +[^ ]+$' "$T/first.log")
if [ -z "$loud" ] && [ "$quiet" -gt 20 ]; then pass "make: quiet, $quiet short lines"
else fail "make: quiet" "$quiet short lines; command lines: $loud"; fi
if grep -q '^  LD      build/bin/vgpu-run$' "$T/first.log"; then pass "make: LD line names the binary"
else fail "make: LD line names the binary" "$(grep vgpu-run "$T/first.log" | head -n 3)"; fi
if tail -n 1 "$T/first.log" | grep -q 'Next: make demo'; then pass "make: next step last"
else fail "make: next step last" "$(tail -n 1 "$T/first.log")"; fi
if grep -q '^rm ' "$T/first.log"; then fail "make: no intermediate file deleted" "$(grep '^rm ' "$T/first.log")"
else pass "make: no intermediate file deleted"; fi

# A second make: nothing to rebuild, by make's own account and by output.
(cd "$src" && timeout 300 make -j2) >"$T/second.log" 2>&1
built=$(grep -E '^  (CC|LD|AS|GEN|CP)' "$T/second.log")
if [ -z "$built" ] && grep -q 'Nothing to be done' "$T/second.log"; then pass "make: second make rebuilds nothing"
else fail "make: second make rebuilds nothing" "$(head -n 5 "$T/second.log")"; fi
if (cd "$src" && timeout 300 make -q build-all); then pass "make -q: up to date"
else fail "make -q: up to date" "make -q build-all exited $?"; fi

# V=1: the commands themselves.
touch "$src/bench/openloop.c"
(cd "$src" && timeout 300 make V=1) >"$T/v1.log" 2>&1
if grep -qE ' -o build/bench/openloop bench/openloop.c' "$T/v1.log"; then pass "make V=1: shows commands"
else fail "make V=1: shows commands" "$(head -n 5 "$T/v1.log")"; fi
