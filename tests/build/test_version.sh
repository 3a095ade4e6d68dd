#!/usr/bin/env bash
# --version and -V print the version in VERSION, the one place it is kept.
. "$(dirname "$0")/../lib.sh"
want=$(cat "$VGPU_ROOT/VERSION")
[ -n "$want" ] || { fail "version" "VERSION is empty"; exit 0; }
for tool in vgpu-run vgpu-elfpatch; do
	for opt in --version -V; do
		out=$(timeout 10 "$BIN/$tool" $opt 2>&1); rc=$?
		expect_eq "$tool $opt" "$rc:$out" "0:$tool $want"
	done
done
# The usage of each names the option.
for tool in vgpu-run vgpu-elfpatch; do
	if timeout 10 "$BIN/$tool" --help | grep -q -- '-V, --version'; then pass "$tool --help lists -V"
	else fail "$tool --help lists -V" "not in its usage"; fi
done
