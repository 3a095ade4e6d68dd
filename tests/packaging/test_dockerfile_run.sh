#!/usr/bin/env bash
# contrib/docker/Dockerfile carried out without a Docker engine: each
# stage in a fresh Debian root (tests/packaging/fresh_root.sh), its RUN
# lines run there by /bin/sh -c as docker does, COPY and WORKDIR done by
# hand.  This is a fresh machine's `make deps && make` as the README
# promises it, and the runtime stage's packages are enough: the image's
# ENTRYPOINT serves the simulated GPU to a CUDA client.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fresh_root.sh"
. "$(dirname "$0")/dockerfile.sh"
DF=$VGPU_ROOT/contrib/docker/Dockerfile

if [ "$VGPU_SAN" = 1 ]; then
	skip dockerfile_run "the image builds its own tree from source; a sanitizer build adds nothing here"
	exit 0
fi
if ! is_root; then
	skip dockerfile_run "needs root (chroot)"
	exit 0
fi
copy_source "$T/context"

n=0 wd=/ entry=() cmd=()
declare -A stage_root
# JSON exec form ["a", "b"] -> words (no commas or quotes inside words)
exec_form() { sed -e 's/^[[:space:]]*\[//' -e 's/\][[:space:]]*$//' -e 's/"//g' <<<"$1" | tr ',' '\n' | sed 's/^ *//;s/ *$//'; }

while read -r ins rest; do
	case ${ins^^} in
	FROM)
		n=$((n + 1)); root=$T/stage$n; wd=/
		case $rest in
		debian:bookworm*) ;;
		*) skip dockerfile_run "stage $n is FROM $rest; only debian:bookworm roots are made here"; exit 0 ;;
		esac
		if ! fresh_root "$root"; then skip dockerfile_run "$root_error"; exit 0; fi
		name=$(sed -nE 's/.*[[:space:]][Aa][Ss][[:space:]]+([^[:space:]]+).*/\1/p' <<<"$rest")
		[ -n "$name" ] && stage_root[$name]=$root ;;
	WORKDIR)
		wd=$rest; mkdir -p "$root$wd" ;;
	COPY)
		read -ra a <<<"$rest"
		if [[ ${a[0]} == --from=* ]]; then
			from=${stage_root[${a[0]#--from=}]:-}
			if [ -z "$from" ]; then fail dockerfile_run "COPY from an unknown stage: $rest"; exit 0; fi
			mkdir -p "$root${a[2]}" && cp -a "$from${a[1]}/." "$root${a[2]}/"
		elif [ "${a[0]}" = . ]; then
			dst=${a[1]}; [[ $dst == /* ]] || dst=$wd/$dst
			mkdir -p "$root$dst" && cp -a "$T/context/." "$root$dst/"
		else
			fail dockerfile_run "COPY form not handled here: $rest"; exit 0
		fi ;;
	RUN)
		if ! in_root "$root" /bin/sh -c "cd '$wd' && $rest" >"$T/run.log" 2>&1; then
			if net_failure "$T/run.log"; then
				skip dockerfile_run "the Debian archive is out of reach: $(grep -m1 -E 'Failed|resolv|connect' "$T/run.log")"
			else
				fail dockerfile_run "stage $n: RUN $rest"; tail -n 20 "$T/run.log" | sed 's/^/    /'
			fi
			exit 0
		fi
		phase "stage${n}_run" ;;
	ENTRYPOINT) mapfile -t entry < <(exec_form "$rest") ;;
	CMD) mapfile -t cmd < <(exec_form "$rest") ;;
	*) fail dockerfile_run "instruction not handled here: $ins"; exit 0 ;;
	esac
done < <(df_instructions "$DF")
pass dockerfile_run_stages

# The image as `docker run IMAGE` starts it, then with a client: the
# build stage's vgpu-devquery (built with the tree, not in the image).
check dockerfile_run_default_cmd in_root "$root" timeout 60 "${entry[@]}" "${cmd[@]}"
client=${stage_root[vgpu-run-build]:-$T/stage1}/src/build/bin/vgpu-devquery
if [ -x "$client" ]; then
	install -m 0755 "$client" "$root/tmp/vgpu-devquery"
	out=$(in_root "$root" timeout 60 "${entry[@]}" --backend sim -- /tmp/vgpu-devquery 2>&1)
	rc=$?
	expect_eq dockerfile_run_sim_status "$rc" 0
	case $out in
	*"driver API: version"*"device 0:"*) pass dockerfile_run_sim_devices ;;
	*) fail dockerfile_run_sim_devices "$(head -n 5 <<<"$out")" ;;
	esac
else
	fail dockerfile_run_sim_status "no vgpu-devquery in the build stage at $client"
fi
phase run
