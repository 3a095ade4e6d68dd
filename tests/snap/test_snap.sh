#!/usr/bin/env bash
# A strictly confined snap, started through Debian's real snapd and its
# set-uid snap-confine, as an unprivileged user, under vgpu-run: the app
# (the bundled device-query client, which dlopens libcuda.so.1 and the
# libcudart.so.13 it ships, as the Ollama snap does) gets the simulated
# GPU, and the trace shows the libraries served in the snap's mount
# namespace, the secure-execution step and every CUDA call.  Then the
# README's recipe, word for word, with a handler in /var/lib/snapd/lib/gl.
#
# Installs snapd, squashfs-tools and debootstrap when missing and purges
# them after; the base snap is built once into $VGPU_BUILD/snap-cache.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/host.sh"
name="snap through snap-confine"
is_root || { skip "$name" "needs root (installs snapd and runs it)"; exit 0; }
[ "$VGPU_SAN" = 1 ] && { skip "$name" "the ASan run checks vgpu-run itself in tests/supervisor; snapd is installed and purged once"; exit 0; }
command -v apt-get >/dev/null && command -v dpkg-query >/dev/null ||
	{ skip "$name" "no apt-get: Debian's snapd cannot be installed"; exit 0; }
[ -d /run/systemd/system ] &&
	{ skip "$name" "PID 1 is systemd: this test runs its own snapd where systemd does not"; exit 0; }
dpkg-query -W -f '${db:Status-Abbrev}' snapd 2>/dev/null | grep -q '^ii' &&
	{ skip "$name" "snapd is installed already: the test installs, runs and purges its own"; exit 0; }
pgrep -x snapd >/dev/null && { skip "$name" "a snapd runs already"; exit 0; }
command -v python3 >/dev/null || { skip "$name" "python3 (reads the JSON report) not installed"; exit 0; }

cache=$VGPU_BUILD/snap-cache
app=vgpu-devquery
# an unused uid for the user the app runs as
uid=64999
while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid - 1)); done
# Teardown runs to its end even when a signal comes in the middle, and
# reports on the test's stdout (fd 9) even when the signal came while a
# step's output went to a file.
exec 9>&1
trap 'trap "" INT TERM; { snap_host_teardown; check_teardown; } >&9 2>&1; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

check_teardown() {
	local left; left=$(snap_leftovers)
	expect_eq "teardown leaves no snapd, mount or loop device" "$left" ""
	local pkgs=() p
	for p in "${snap_purged_pkgs[@]}"; do
		dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' && pkgs+=("$p")
	done
	expect_eq "teardown purges the ${#snap_purged_pkgs[@]} packages it installed" "${pkgs[*]}" ""
}

# --- the snap host -------------------------------------------------------
# (not in $(...): the functions keep what they started and installed)
if ! snap_packages_install >"$T/apt.out"; then
	skip "$name" "cannot install Debian's snapd: $(tr '\n' ' ' <"$T/apt.out")"; exit 0
fi
phase "apt-get install (${#snap_new_pkgs[@]} packages)"
if ! out=$(snap_base_cached "$cache" 2>&1); then
	skip "$name" "cannot build the base snap (debootstrap needs a Debian mirror): $out"; exit 0
fi
phase "base snap (cached in $cache)"

# The app snap: the client, the runtime it ships (as Ollama ships its
# libcudart), and a command-chain that reports where the app runs.
mkdir -p "$T/app/meta" "$T/app/bin" "$T/app/lib"
cp "$BIN/vgpu-devquery" "$SNAP_HERE/probe-chain" "$T/app/bin/"
[ -f /usr/local/cuda/lib64/libcudart.so.13 ] && cp /usr/local/cuda/lib64/libcudart.so.13 "$T/app/lib/"
# what the client links besides the C library (the ASan runtime) ships
# too; in the ASan build, leak checking is off in the snap: LeakSanitizer
# needs ptrace, which the snap's seccomp profile refuses.
ldd "$BIN/vgpu-devquery" | awk '$2 == "=>" && $3 ~ /^\// && $1 !~ /^(libc|libm|libdl|libpthread|librt)\.so/ { print $3 }' |
	xargs -r cp -L -t "$T/app/lib/"
cat >"$T/app/meta/snap.yaml" <<YAML
name: $app
version: "1"
summary: CUDA device query
description: the device-query client of vgpu-run's tests
base: vgpu-bookworm
confinement: strict
grade: devel
apps:
  $app:
    command: bin/vgpu-devquery
    command-chain: [bin/probe-chain]
    plugs: [opengl]
    environment:
      LD_LIBRARY_PATH: \$SNAP/lib:/var/lib/snapd/lib/gl
      ASAN_OPTIONS: detect_leaks=0
YAML
check "app snap packed" timeout 60 snap pack "$T/app" "$T"
snap_snapd_stub "$T" || { fail "$name" "cannot pack the snapd stand-in"; exit 1; }

if ! snapd_start >"$T/start.out"; then fail "$name" "snapd does not start: $(cat "$T/start.out")"; exit 1; fi
phase "snapd started"
for s in "$T/snapd.snap restarts" "$cache/vgpu-bookworm.snap" "$T/${app}_1_"*.snap; do
	# shellcheck disable=SC2086
	snap_install $s >"$T/install.out" 2>&1 || { fail "$name" "snap install ${s%% *}: $(cat "$T/install.out")"; exit 1; }
done
check "snaps installed (snapd stand-in, base, $app strict)" \
	sh -c "snap list | grep -q '^vgpu-bookworm ' && snap info --verbose $app | grep -q 'confinement: *strict'"
phase "snaps installed"

# The user the app runs as, known only inside snaprun's mount namespace.
mkdir -p "$T/etc"
cp /etc/passwd /etc/group "$T/etc/"
echo "vgpu-snap:x:$uid:$uid:vgpu-run snap test:/home/vgpu-snap:/bin/sh" >>"$T/etc/passwd"
echo "vgpu-snap:x:$uid:" >>"$T/etc/group"
chmod -R a+rX "$T"
export VGPU_SNAP_ETC=$T/etc
# As the README has it: the app runs as a user, not as root.  LD_PRELOAD
# is set for snap run, to see who drops it.
as_user=(setpriv --reuid="$uid" --regid="$uid" --init-groups --reset-env --)
snaprun=("$SNAP_HERE/snaprun" -- "${as_user[@]}" env LD_PRELOAD=/lib/x86_64-linux-gnu/libc.so.6 snap run "$app")
host_mntns=$(readlink /proc/self/ns/mnt)

probe() { sed -n "s/^snap-probe: .*$1=\([^ ]*\).*/\1/p" <<<"$2" | head -n 1; }
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); $2" "$1"; }

# --- without vgpu-run ----------------------------------------------------
out=$(timeout 60 "${snaprun[@]}" 2>&1); rc=$?
if [ $rc != 0 ] && [[ $out == *"libcuda.so.1: cannot open shared object file"* ]]; then
	pass "without vgpu-run the snap's app finds no driver"
else
	fail "without vgpu-run the snap's app finds no driver" "rc=$rc: $out"
fi
expect_eq "LD_PRELOAD given to snap run does not reach the app" "$(probe LD_PRELOAD "$out")" unset
snap_filters=$(probe seccomp_filters "$out")
if [ "${snap_filters:-0}" -ge 1 ] 2>/dev/null; then pass "the app runs under the snap's seccomp filter ($snap_filters)"
else fail "the app runs under the snap's seccomp filter" "seccomp_filters=$snap_filters"; fi
phase "snap run without vgpu-run"

# --- the reference: the same client on the host ---------------------------
ref=$(timeout 60 "$BIN/vgpu-run" -o "$T/host.vgpu" --backend sim -- "$BIN/vgpu-devquery" 2>&1)
timeout 60 "$BIN/vgpu-run" report --format json "$T/host.vgpu" >"$T/host.json"
device_lines() { grep -E '^  device [0-9]+:|API: version' <<<"$1"; }
# expect_device NAME RC OUTPUT: the app exited 0 and saw what the host saw
expect_device() {
	if [ "$2" = 0 ] && [ -n "$(device_lines "$3")" ] && [ "$(device_lines "$3")" = "$(device_lines "$ref")" ]; then
		pass "$1"
	else
		fail "$1" "exit $2, output:"; tail -n 15 <<<"$3" | sed 's/^/    /'
	fi
}
n=$(json "$T/host.json" 'print(sum(f["calls"] for f in d["functions"]))' 2>/dev/null)
if [ -n "$(device_lines "$ref")" ] && [ "${n:-0}" -gt 0 ]; then
	pass "reference: the client on the host sees the simulated device ($n calls)"
else
	fail "reference: the client on the host sees the simulated device" "$ref"; exit 1
fi

# The README's lines, with this build's and this test's paths; the handler
# is the simulator's libcuda.so.1.  The rules serve the libraries that the
# interposer, the simulator and the handler need and the base lacks.
install -D -m 0755 "$LIBDIR/sim/libcuda.so.1" /var/lib/snapd/lib/gl/vgpu/libcuda.so.1
ldd "$LIBDIR"/*.so "$LIBDIR"/sim/* /var/lib/snapd/lib/gl/vgpu/libcuda.so.1 |
    awk '$2 == "=>" && $3 ~ /^\// && $1 !~ /^(libc|libm|libdl|libpthread|librt)\.so/ { print "redirect " $1 " " $3 }' |
    sort -u | install -D -m 0644 /dev/stdin "$T/etc/vgpu-run/snap-deps.rules"

# --- under vgpu-run, the simulated GPU ------------------------------------
out=$(timeout 120 "$BIN/vgpu-run" -o "$T/snap.vgpu" --backend sim --rules "$T/etc/vgpu-run/snap-deps.rules" -- "${snaprun[@]}" 2>&1); rc=$?
phase "snap run under vgpu-run"
expect_device "the snap's app prints the simulated device" "$rc" "$out"
expect_eq "the app runs on the base snap's root" "$(probe rootfs "$out")" squashfs
expect_eq "the app runs as the unprivileged user" "$(probe uid "$out")" "$uid"
expect_eq "the app runs under the snap's seccomp filters and vgpu-run's" \
	"$(probe seccomp_filters "$out")" "$((snap_filters + 1))"
m=$(probe mntns "$out")
if [ -n "$m" ] && [ "$m" != "$host_mntns" ]; then pass "the app runs in the snap's own mount namespace"
else fail "the app runs in the snap's own mount namespace" "app $m, host $host_mntns"; fi

timeout 60 "$BIN/vgpu-run" report "$T/snap.vgpu" >"$T/snap.report" 2>&1
timeout 60 "$BIN/vgpu-run" report --format json "$T/snap.vgpu" >"$T/snap.json" 2>&1
# One process: snap run, then set-uid snap-confine, then the app.
execs=$(json "$T/snap.json" '
for p in d["processes"]:
    if p["calls"]:
        print(" ".join(e["path"].rsplit("/", 1)[-1] + ("(secure)" if e["secure"] else "") for e in p["execs"]))')
if [[ $execs == *"snap snap-confine(secure) snap-exec probe-chain vgpu-devquery" ]]; then
	pass "trace: the app's process went through snap-confine's secure execution"
else
	fail "trace: the app's process went through snap-confine's secure execution" "$execs"
fi
check "report: LD_PRELOAD stripped by snap-confine" grep -q 'LD_PRELOAD was stripped by the set-uid step /usr/lib/snapd/snap-confine' "$T/snap.report"
# root running a set-uid-root file gets no secure execution (snaprun's mounts)
check "report: no secure execution for root's own set-uid mount" \
	sh -c "! grep -q 'set-uid step /usr/bin/mount' '$T/snap.report'"
rev=$(snap list "$app" | awk 'NR == 2 { print $3 }')
for lib in libcuda.so.1 libcudart.so.13; do
	got=$(json "$T/snap.json" "
for l in d['libraries']:
    if l['name'] == '$lib' and l['served']:
        print(l['served'].rsplit('/', 1)[-1], *l['tried'])")
	want=$(basename "$(awk -v n="$lib" '$1 == "redirect" && $2 ~ /^soname:/ && substr($2, 8) == n { print $3 }' \
		"$VGPU_BUILD/share/vgpu-run/rules/default.rules")")
	expect_eq "trace: $lib served inside the snap (asked at its path in the snap)" "$got" \
		"${want#@lib/} /snap/$app/$rev/lib/$lib"
done
# calls JSON [API]: "function count" lines of a report, of one API or all
calls() {
	json "$1" "print('\\n'.join(sorted('%s %d' % (f['name'], f['calls']) for f in d['functions'] if '${2:-}' in ('', f['api']))))"
}
expect_eq "trace: every CUDA call, as in the same client outside the snap" "$(calls "$T/snap.json")" "$(calls "$T/host.json")"

# --- without the interposer's libraries served ------------------------------
out=$(timeout 120 "$BIN/vgpu-run" -o "$T/nodeps.vgpu" --backend sim -- "${snaprun[@]}" 2>&1); rc=$?
need=$(ldd "$LIBDIR/libvgpu-cuda.so" | awk '$2 == "=>" && $1 !~ /^libc\.so/ { print $1; exit }')
if [ $rc != 0 ] && [[ $out == *"$need: cannot open shared object file"* ]]; then
	pass "without its libraries served the interposer cannot load in the snap ($need)"
else
	fail "without its libraries served the interposer cannot load in the snap ($need)" "rc=$rc: $out"
fi
phase "snap run, interposer libraries not served"

# --- the README's recipe: the handler in /var/lib/snapd/lib/gl --------------
out=$(timeout 120 "$BIN/vgpu-run" -o "$T/readme.vgpu" --rules "$T/etc/vgpu-run/snap-deps.rules" \
     --redirect 'libcuda.so*=/var/lib/snapd/lib/gl/vgpu/libcuda.so.1' \
     -- "$SNAP_HERE/snaprun" -- setpriv --reuid="$uid" --regid="$uid" --init-groups --reset-env -- \
     snap run "$app" 2>&1); rc=$?
phase "README recipe"
expect_device "README recipe: the app prints the handler's device" "$rc" "$out"
timeout 60 "$BIN/vgpu-run" report "$T/readme.vgpu" >"$T/readme.report" 2>&1
timeout 60 "$BIN/vgpu-run" report --format json "$T/readme.vgpu" >"$T/readme.json" 2>&1
check "README recipe: libcuda.so.1 served from /var/lib/snapd/lib/gl/vgpu" \
	grep -q '^libcuda.so.1: served /var/lib/snapd/lib/gl/vgpu/libcuda.so.1 by rule --redirect' "$T/readme.report"
# The handler served in place of libcuda.so.1 answers the driver calls
# itself: only the runtime's pass through the interposer.
expect_eq "README recipe: the runtime's calls traced" "$(calls "$T/readme.json" cudart13)" "$(calls "$T/host.json" cudart13)"

# The same handler as the interposer's backend: every call traced.
out=$(timeout 120 "$BIN/vgpu-run" -o "$T/backend.vgpu" --rules "$T/etc/vgpu-run/snap-deps.rules" \
     --backend cuda=/var/lib/snapd/lib/gl/vgpu/libcuda.so.1 \
     -- "$SNAP_HERE/snaprun" -- setpriv --reuid="$uid" --regid="$uid" --init-groups --reset-env -- \
     snap run "$app" 2>&1); rc=$?
phase "handler as the backend"
expect_device "handler as backend: the app prints the handler's device" "$rc" "$out"
timeout 60 "$BIN/vgpu-run" report --format json "$T/backend.vgpu" >"$T/backend.json" 2>&1
expect_eq "handler as backend: every CUDA call traced" "$(calls "$T/backend.json")" "$(calls "$T/host.json")"
