#!/usr/bin/env bash
# debian/: dpkg-buildpackage turns a copy of the tree into a .deb that
# lintian finds no error in, that carries the binaries, libraries, rules,
# man pages and completion, and that installs with its dependencies into
# a fresh Debian root (debootstrap --variant=minbase), where the
# installed /usr/bin/vgpu-run serves the simulated GPU to a CUDA client.
# The root is cached in $VGPU_BUILD/deb-root-cache.tar: the first run
# downloads it (about a minute), later ones unpack it in seconds.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fresh_root.sh"

if [ "$VGPU_SAN" = 1 ]; then
	skip deb "the package builds its own tree from source; a sanitizer build adds nothing here"
	exit 0
fi
if ! is_root; then
	skip deb "needs root (build dependencies, debootstrap, chroot)"
	exit 0
fi

# Tools this test needs that a build machine may lack.
missing=""
for t in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian \
	debootstrap:debootstrap unshare:util-linux; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t#*:}"
done
if [ -n "$missing" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq $missing >"$T/apt.log" 2>&1 ||
		{ skip deb "could not install$missing: $(tail -n 1 "$T/apt.log")"; exit 0; }
fi
phase tools

# ---- build the package from a copy of the tree (build outputs excluded)
version=$(dpkg-parsechangelog -l "$VGPU_ROOT/debian/changelog" -SVersion)
if [ -f "$VGPU_ROOT/VERSION" ]; then
	expect_eq deb_version_is_VERSION "$version" "$(tr -d ' \n' <"$VGPU_ROOT/VERSION")"
fi
src=$T/src/vgpu-run-$version
copy_source "$src"
if ! (cd "$src" && timeout 600 dpkg-buildpackage -us -uc -b -j2) >"$T/build.log" 2>&1; then
	fail deb_build "dpkg-buildpackage failed"; tail -n 30 "$T/build.log" | sed 's/^/    /'
	exit 0
fi
deb=$(ls "$T"/src/vgpu-run_"$version"_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then fail deb_build "no .deb in $T/src"; exit 0; fi
pass deb_build
phase build

# ---- contents
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
# Fixed paths where Debian fixes them; the private libraries and rules by
# name, wherever LIBDIR and DATADIR put them.
missing=""
for f in /usr/bin/vgpu-run /usr/bin/vgpu-elfpatch \
	/usr/share/man/man1/vgpu-run.1.gz /usr/share/man/man1/vgpu-elfpatch.1.gz \
	/usr/share/man/man5/vgpu-run.rules.5.gz \
	/usr/share/bash-completion/completions/vgpu-run \
	/usr/share/bash-completion/completions/vgpu-elfpatch \
	/usr/share/doc/vgpu-run/copyright \
	'*/libvgpu-cuda.so' '*/libvgpu-cudart12.so' '*/libvgpu-cudart13.so' \
	'*/libvgpu-nvml.so' '*/sim/libcuda.so.1' '*/sim/libnvidia-ml.so.1' \
	'*/rules/default.rules'; do
	found=0
	while IFS= read -r c; do
		# shellcheck disable=SC2053  # $f is a glob on purpose
		[[ $c == $f ]] && { found=1; break; }
	done <<<"$contents"
	[ "$found" = 1 ] || missing="$missing $f"
done
expect_eq deb_contents "${missing# }" ""
# The private libraries carry libcuda.so.1's and the others' SONAMEs: the
# package must not claim to provide them to other packages.
mkdir -p "$T/ctl" && dpkg-deb -e "$deb" "$T/ctl"
expect_eq deb_no_shlibs_claims "$(cat "$T/ctl/shlibs" 2>/dev/null)" ""
deps=$(dpkg-deb -f "$deb" Depends)
case $deps in
*libseccomp2*) pass deb_depends_computed ;;
*) fail deb_depends_computed "Depends: $deps" ;;
esac

# Build-Depends are the Makefile's build packages (build-essential is
# implied for every Debian build and may not be listed).
apt_pkgs=$(make -s -C "$VGPU_ROOT" -pq 2>/dev/null | sed -nE 's/^APT_PKGS :?= //p' | head -n 1 |
	tr ' ' '\n' | grep -v -e '^build-essential$' -e '^$' | sort -u | tr '\n' ' ')
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$VGPU_ROOT/debian/control" |
	sed -e 's/^Build-Depends://' -e '/^[A-Z]/d' | tr ',' '\n' |
	sed -e 's/([^)]*)//g' -e 's/[[:space:]]//g' | grep -v -e '^debhelper-compat$' -e '^$' |
	sort -u | tr '\n' ' ')
expect_eq deb_build_depends_match_makefile "$bdeps" "$apt_pkgs"

# ---- lintian: no errors (warnings are printed for the log)
lint=$(cd "$T/src" && lintian --no-tag-display-limit "$deb" 2>&1)
printf '%s\n' "$lint" | grep -E '^[WI]: ' | sed 's/^/# lintian /'
errors=$(printf '%s\n' "$lint" | grep -E '^E: ')
expect_eq deb_lintian_no_errors "$errors" ""
phase lintian

# ---- a fresh root, cached
root=$T/root
if ! fresh_root "$root"; then
	skip deb_install "$root_error"
	exit 0
fi

cp "$deb" "$root/tmp/"
# dpkg -i, then apt brings in what the Depends name and a minimal root
# lacks.
in_root "$root" dpkg -i "/tmp/${deb##*/}" >"$T/dpkg.log" 2>&1
fix_deps() {
	in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq \
		--no-install-recommends >"$T/install.log" 2>&1
}
if ! fix_deps; then
	in_root "$root" apt-get update -qq >/dev/null 2>&1	# the cached lists went stale
	fix_deps
fi
if in_root "$root" dpkg-query -W -f '${Status}' vgpu-run 2>/dev/null | grep -q 'install ok installed'; then
	pass deb_install
else
	if net_failure "$T/install.log"; then
		skip deb_install "the Debian archive is out of reach: $(grep -m1 -E 'Failed|resolv|connect' "$T/install.log")"
	else
		fail deb_install "not installed: $(tail -n 5 "$T/install.log")"
	fi
	exit 0
fi
phase install

# ---- run from the installed paths: a CUDA client (built with the
# package, not part of it) on the simulated GPU, traced, then reported.
install -m 0755 "$src/debian/build/bin/vgpu-devquery" "$root/usr/local/bin/vgpu-devquery"
out=$(in_root "$root" timeout 60 /usr/bin/vgpu-run --backend sim -o /tmp/devquery.vgpu \
	-- vgpu-devquery 2>&1)
rc=$?
expect_eq deb_run_sim_status "$rc" 0
case $out in
*"driver API: version"*"device 0:"*"runtime API: version"*) pass deb_run_sim_devices ;;
*) fail deb_run_sim_devices "$(head -n 5 <<<"$out")" ;;
esac
rep=$(in_root "$root" timeout 60 /usr/bin/vgpu-run report /tmp/devquery.vgpu 2>&1)
served=$(sed -nE 's/^libcuda\.so\.1: served ([^ ]+) by rule .*/\1/p' <<<"$rep" | head -n 1)
owner=$([ -n "$served" ] && in_root "$root" dpkg -S "$(in_root "$root" readlink -f "$served")" 2>&1)
case $owner in
"vgpu-run: "*/libvgpu-cuda.so) pass deb_report_served_installed_lib ;;
*) fail deb_report_served_installed_lib "libcuda.so.1 served from [$served]: $owner" ;;
esac
case $rep in
*cuInit*) pass deb_report_calls ;;
*) fail deb_report_calls "no cuInit in the report" ;;
esac
got=$(in_root "$root" /usr/bin/vgpu-run --version 2>&1)
case $got in
*"$version"*) pass deb_version ;;
*) fail deb_version "vgpu-run --version: $got, package $version" ;;
esac
check deb_elfpatch_runs in_root "$root" /usr/bin/vgpu-elfpatch --print-needed /usr/bin/vgpu-run
phase run
