#!/usr/bin/env bash
# The node configuration the README shows is read by the tool that reads
# it, where Debian packages that tool: the containerd snippet must give
# containerd a "vgpu" runtime whose binary is the installed vgpu-runc.
. "$(dirname "$0")/../lib.sh"
name=containerd_snippet
[ "$VGPU_SAN" = 1 ] && { skip "$name" "no code of vgpu-run runs here"; exit 0; }
if ! command -v containerd >/dev/null; then
	is_root || { skip "$name" "containerd not installed (apt-get install containerd)"; exit 0; }
	timeout 300 apt-get install -y --no-install-recommends containerd >"$T/apt.log" 2>&1 ||
		{ skip "$name" "apt-get install containerd failed: $(tail -n 1 "$T/apt.log")"; exit 0; }
fi
# The snippet as printed: from its comment to the first blank line.
sed -n '/^    # containerd: /,/^$/p' "$VGPU_ROOT/README.md" | sed 's/^    //' >"$T/config.toml"
if ! grep -q BinaryName "$T/config.toml"; then
	fail "$name" "no containerd snippet found in README.md"; exit 0
fi
if containerd --config "$T/config.toml" config dump >"$T/dump" 2>"$T/err"; then
	pass "${name}_parses"
else
	fail "${name}_parses" "$(tail -n 3 "$T/err")"
fi
# The table must land where the CRI plugin looks for runtimes.
got=$(awk '/^ *\[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.vgpu.options\]/ { f = 1; next }
	f && /BinaryName/ { gsub(/[" ]/, "", $0); sub(/BinaryName=/, ""); print; exit }' "$T/dump")
bindir=$(sed -n 's/^BINDIR *?= *//p' "$VGPU_ROOT/Makefile" | sed 's/$(PREFIX)/\/usr\/local/')
expect_eq "${name}_runs_vgpu_runc" "$got" "$bindir/vgpu-runc"
