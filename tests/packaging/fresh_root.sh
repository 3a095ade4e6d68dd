# Sourced by the packaging tests (after tests/lib.sh).  Gives:
#   phase NAME               "# phase NAME: N s" since the last phase
#   fresh_root DIR           a minimal Debian root of the host's release in
#                            DIR (debootstrap --variant=minbase, cached in
#                            $VGPU_BUILD/deb-root-cache.tar); returns 1 with
#                            the reason in $root_error when it cannot
#   in_root DIR CMD...       CMD chrooted in DIR with /proc and /dev
#   copy_source DIR          the tree as git would commit it, into DIR

phase_start=$(date +%s)
phase() {
	local now; now=$(date +%s)
	echo "# phase $1: $((now - phase_start)) s"
	phase_start=$now
}

root_error=""
fresh_root() {
	local root=$1 suite cache=$VGPU_BUILD/deb-root-cache.tar
	suite=$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-bookworm}")
	mkdir -p "$root"
	if [ -s "$cache" ]; then
		tar -C "$root" -xf "$cache" || { root_error="cannot unpack $cache"; return 1; }
		cp /etc/resolv.conf "$root/etc/resolv.conf"
		phase unpack_root
		return 0
	fi
	if ! command -v debootstrap >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
			install -y -qq debootstrap >/dev/null 2>&1
	fi
	if ! timeout 900 debootstrap --variant=minbase "$suite" "$root" \
			http://deb.debian.org/debian >"$T/debootstrap.log" 2>&1; then
		root_error="debootstrap $suite failed: $(tail -n 1 "$T/debootstrap.log")"
		return 1
	fi
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	if ! chroot "$root" apt-get update -qq >"$T/apt-update.log" 2>&1; then
		root_error="apt-get update in the new root failed: $(tail -n 1 "$T/apt-update.log")"
		return 1
	fi
	tar -C "$root" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	phase debootstrap
}

# In a private mount namespace: /proc and /dev for the chroot vanish with
# it, so nothing stays mounted under $T when it is removed.
in_root() {
	unshare --mount --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --bind /dev "$r/dev" &&
		exec chroot "$r" "$@"' _ "$@"
}

# What git would commit (tracked and new files, not ignored ones), so a
# file the build needs but .gitignore hides fails here too.
copy_source() {
	mkdir -p "$1"
	if git -C "$VGPU_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$VGPU_ROOT" && git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -C "$1" -xf -
	else
		tar -C "$VGPU_ROOT" --exclude=./build --exclude='./build-*' \
			--exclude=./debian/build --exclude=./debian/vgpu-run \
			--exclude=./debian/.debhelper -cf - . | tar -C "$1" -xf -
	fi
}

# net_failure LOG: LOG shows apt could not reach the archive (a test then
# skips: no network is not a packaging fault).
net_failure() {
	grep -qE 'Failed to fetch|Could not resolve|Temporary failure resolving|Unable to connect' "$1"
}
