# Sourced by test_snap.sh: a snap host made from Debian's snapd on a
# machine whose PID 1 is not systemd, and taken apart again.
#   snap_packages_install / snap_packages_remove   apt, only what was missing
#   snapd_start / snapd_stop                       snapd by hand
#   snap_base_cached DIR                           the base snap, built once
#   snap_host_teardown                             everything, whatever happened
SNAP_PKGS=(snapd squashfs-tools debootstrap)
SNAP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
snapd_pid=
snap_new_pkgs=()
snap_kept_pkgs=()
snap_purged_pkgs=()

# phase NAME: prints how long the phase that ends now took.
phase_ns=$(date +%s%N)
phase() {
	local now; now=$(date +%s%N)
	printf 'time %-28s %6.1f s\n' "$1" "$(( (now - phase_ns) / 1000000 ))e-3"
	phase_ns=$now
}

# Installs SNAP_PKGS; remembers the packages this apt-get added (its "NEW
# packages", dependencies too; not whatever else the machine installed
# meanwhile) so that teardown removes those.  Prints apt's last lines on
# failure.
snap_packages_install() {
	local out rc
	out=$(DEBIAN_FRONTEND=noninteractive timeout 300 apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends "${SNAP_PKGS[@]}" 2>&1)
	rc=$?
	mapfile -t snap_new_pkgs < <(sed -n '/^The following NEW packages will be installed:/,/^[^ ]/{/^ /p}' <<<"$out" |
		tr ' ' '\n' | sed '/^$/d')
	[ $rc = 0 ] || { printf '%s\n' "$out" | tail -n 3; return 1; }
}

# What `apt-get purge ARGS` would take away, one package a line.
purge_set() { apt-get -s purge "$@" 2>/dev/null | awk '$1 == "Purg" || $1 == "Remv" { print $2 }'; }

# Purges what snap_packages_install added, except a package that something
# installed since depends on: apt would take that along (another user's
# tools), so it stays, named in snap_kept_pkgs.
snap_packages_remove() {
	local p ours
	[ ${#snap_new_pkgs[@]} -gt 0 ] || return 0
	ours=$(printf '%s\n' "${snap_new_pkgs[@]}")
	if purge_set "${snap_new_pkgs[@]}" | grep -qvxF "$ours"; then
		for p in "${snap_new_pkgs[@]}"; do
			purge_set "$p" | grep -qvxF "$ours" || continue
			snap_kept_pkgs+=("$p")
			echo "left installed: $p (installed by this test, needed by what was installed since)"
		done
		mapfile -t snap_new_pkgs < <(grep -vxF "$(printf '%s\n' "${snap_kept_pkgs[@]}")" <<<"$ours")
	fi
	if [ ${#snap_new_pkgs[@]} -gt 0 ] && ! purge_set "${snap_new_pkgs[@]}" | grep -qvxF "$ours"; then
		snap_purged_pkgs=("${snap_new_pkgs[@]}")
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get -o DPkg::Lock::Timeout=120 purge -y "${snap_new_pkgs[@]}" >"$T/apt-purge.log" 2>&1 ||
			{ echo "apt-get purge failed:"; tail -n 5 "$T/apt-purge.log"; }
	elif [ ${#snap_new_pkgs[@]} -gt 0 ]; then
		echo "not purged (would take other packages along): ${snap_new_pkgs[*]}"
		snap_kept_pkgs+=("${snap_new_pkgs[@]}")
	fi
	snap_new_pkgs=()
}

# snapd waits for socket activation and leaves after 5 s idle unless told
# to stand by; systemctl and udevadm on its PATH are the stand-ins of bin/.
snapd_start() {
	PATH=$SNAP_HERE/bin:/usr/sbin:/usr/bin:/sbin:/bin SNAPD_STANDBY_WAIT=1h \
		VGPU_SNAP_SYSTEMCTL_LOG=$T/systemctl.log \
		setsid /usr/lib/snapd/snapd >>"$T/snapd.log" 2>&1 </dev/null &
	snapd_pid=$!
	local i
	for i in $(seq 100); do
		# installs are refused until snapd has seeded itself (from nothing)
		timeout 5 snap version >/dev/null 2>&1 &&
			timeout 60 snap wait system seed.loaded && return 0
		kill -0 "$snapd_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "snapd did not answer; its log:"; tail -n 5 "$T/snapd.log"
	return 1
}

# waits up to $1 seconds for our snapd to leave on its own
snapd_wait_exit() {
	local i
	for i in $(seq $(($1 * 10))); do
		kill -0 "$snapd_pid" 2>/dev/null || { wait "$snapd_pid" 2>/dev/null; snapd_pid=; return 0; }
		sleep 0.1
	done
	return 1
}

snapd_stop() {
	[ -n "$snapd_pid" ] || return 0
	kill -TERM "$snapd_pid" 2>/dev/null
	snapd_wait_exit 20 || { kill -KILL "$snapd_pid" 2>/dev/null; snapd_wait_exit 5; }
}

# snap_install FILE [restarts]: installs a local snap file.  Installing the
# snap of type snapd makes snapd leave on purpose, to be restarted from it
# ("restarts"): the change goes on when it is started again.
snap_install() {
	local id
	id=$(timeout 60 snap install --dangerous --no-wait "$1") || return 1
	if [ "${2:-}" = restarts ]; then
		snapd_wait_exit 30 || { echo "snapd did not restart itself after installing $1"; return 1; }
		snapd_start || return 1
	fi
	timeout 120 snap watch "$id" >/dev/null
}

# snap_base_cached DIR: DIR/vgpu-bookworm.snap, a Debian bookworm minbase
# with the mount points snap-confine binds the host's directories onto,
# built with debootstrap the first time.
snap_base_cached() {
	local dir=$1 root=$1/rootfs
	[ -s "$dir/vgpu-bookworm.snap" ] && return 0
	rm -rf "$root" && mkdir -p "$dir" || return 1
	timeout 600 debootstrap --variant=minbase bookworm "$root" >"$dir/debootstrap.log" 2>&1 ||
		{ tail -n 3 "$dir/debootstrap.log"; return 1; }
	rm -rf "${root:?}"/dev/* "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	mkdir -p "$root"/{snap,var/snap,var/lib/snapd,usr/lib/snapd,lib/modules,lib/firmware,var/lib/extrausers,meta}
	cat >"$root/meta/snap.yaml" <<-'YAML'
	name: vgpu-bookworm
	version: "12"
	type: base
	summary: Debian bookworm minbase
	description: Debian bookworm minbase, a base snap for vgpu-run's tests
	YAML
	timeout 300 snap pack "$root" "$dir" >/dev/null &&
		mv "$dir"/vgpu-bookworm_12_*.snap "$dir/vgpu-bookworm.snap" && rm -rf "$root"
}

# snap_snapd_stub DIR: an empty snap of type snapd.  snapd 2.57 installs the
# snapd snap from the store before any snap whose base is not core; a local
# one satisfies it.
snap_snapd_stub() {
	mkdir -p "$1/snapd/meta" "$1/snapd/usr/lib/snapd" &&
	cp /usr/lib/snapd/info "$1/snapd/usr/lib/snapd/info" &&
	printf 'name: snapd\nversion: "0"\ntype: snapd\nsummary: stand-in\ndescription: empty stand-in for the store snapd snap\n' \
		>"$1/snapd/meta/snap.yaml" &&
	timeout 60 snap pack "$1/snapd" "$1" >/dev/null && mv "$1"/snapd_0_*.snap "$1/snapd.snap"
}

# What is left of snaps on the host: mounts, loop devices, processes.
snap_leftovers() {
	awk '$5 ~ "^/(snap|var/snap|var/lib/snapd|run/snapd)(/|$)" { print "mount " $5 }' /proc/self/mountinfo
	losetup -n -O NAME,BACK-FILE 2>/dev/null | awk '$2 ~ "^/var/lib/snapd/" { print "loop " $1 " " $2 }'
	[ -n "$snapd_pid" ] && kill -0 "$snapd_pid" 2>/dev/null && echo "snapd pid $snapd_pid"
	pgrep -x snapd | sed 's/^/snapd pid /'
}

# Takes the snap host apart: snapd stopped, snap mounts and their loop
# devices gone, snapd's unit files and state removed, packages the test
# installed purged.  Safe to run at any point of the set-up.
snap_host_teardown() {
	local t0=$SECONDS m
	snapd_stop
	for m in $(awk '$5 ~ "^/(snap|var/snap|var/lib/snapd|run/snapd)(/|$)" { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -d "$m" 2>/dev/null || umount -l "$m"
	done
	losetup -n -O NAME,BACK-FILE 2>/dev/null | awk '$2 ~ "^/var/lib/snapd/" { print $1 }' | xargs -r -n1 losetup -d
	rm -f /etc/systemd/system/snap-*.mount /etc/systemd/system/*.wants/snap-*.mount
	rm -rf /var/lib/snapd/lib/gl/vgpu
	if [ ${#snap_new_pkgs[@]} -gt 0 ]; then
		local t1=$SECONDS
		snap_packages_remove
		echo "apt-get purge took $((SECONDS - t1)) s"
		rm -rf /snap /var/snap /var/lib/snapd /var/cache/snapd /run/snapd
	fi
	echo "teardown took $((SECONDS - t0)) s"
}
