#!/usr/bin/env bash
# A malformed rule stops vgpu-run with FILE:LINE and status 2 before the
# program starts; served files are checked before anything runs.
. "$(dirname "$0")/../lib.sh"
vgpu() { "$BIN/vgpu-run" --no-default-rules "$@"; }
marker=$T/started
prog=(/bin/sh -c "touch $marker")

bad() { # NAME EXPECTED-MESSAGE ARGS...
	local name=$1 want=$2; shift 2
	rm -f "$marker"
	local out rc
	out=$(vgpu "$@" -- "${prog[@]}" 2>&1); rc=$?
	if [ $rc = 2 ] && [ ! -e "$marker" ] && [[ $out == "vgpu-run: $want"* ]]; then
		pass "$name"
	else
		fail "$name" "rc=$rc started=$([ -e "$marker" ] && echo yes || echo no) out=[$out] want prefix [vgpu-run: $want]"
	fi
}

printf '# ok\nredirect libcuda.so.1 /bin/true\n\nfrobnicate x\n' >"$T/a.rules"
bad "unknown directive names file and line" "$T/a.rules:4: unknown directive 'frobnicate'" --rules "$T/a.rules"
printf 'redirect "libcuda.so.1 /bin/true\n' >"$T/b.rules"
bad "unterminated quote" "$T/b.rules:1: unterminated quote" --rules "$T/b.rules"
printf 'redirect libcuda.so.1\n' >"$T/c.rules"
bad "missing redirect target" "$T/c.rules:1: redirect: expected redirect PATTERN PATH" --rules "$T/c.rules"
bad "relative redirect target" "--rule:1: redirect target 'x.so' must be an absolute path" --rule "redirect libcuda.so.1 x.so"
bad "device key type" "--rule:1: device: memory=lots: expected a size" --rule "device memory=lots"
bad "unknown device key" "--rule:1: device: unknown key 'colour'" --rule "device colour=red"
bad "unknown API" "--rule:1: unknown API 'opencl'" --rule "backend opencl=/x.so"
bad "bad --redirect" "--redirect libcuda.so.1: expected NAME=PATH" --redirect libcuda.so.1
bad "missing rules file" "$T/none.rules: No such file or directory" --rules "$T/none.rules"
bad "served file must exist" "--redirect:1: $T/missing.so: No such file or directory" --redirect "libcuda.so.1=$T/missing.so"

if is_root; then
	cp /bin/true "$T/ww.so"; chmod 0777 "$T/ww.so"
	bad "root refuses a world-writable handler" "--redirect:1: $T/ww.so: refusing to serve a group- or world-writable file as root" --redirect "libcuda.so.1=$T/ww.so"
	cp /bin/true "$T/other.so"; chmod 0755 "$T/other.so"; chown nobody "$T/other.so"
	bad "root refuses a handler owned by another user" "--redirect:1: $T/other.so: refusing to serve a file owned by uid" --redirect "libcuda.so.1=$T/other.so"
else
	skip "root refuses unsafe handlers" "needs root"
fi

# The shipped rules parse.
for f in "$VGPU_ROOT"/rules/*.rules; do
	check "shipped $(basename "$f") parses" "$BIN/vgpu-run" --no-default-rules --rules "$f" -- /bin/true
done
