#!/usr/bin/env bash
# contrib/docker/Dockerfile, read without a Docker engine: every
# COPY --from names a stage of the file, the build stage builds and
# installs vgpu-run, and the runtime stage's apt-get line lists exactly
# the packages whose libraries the installed binaries and libraries link
# (each DT_NEEDED resolved by ldd, its file owned per dpkg -S).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/dockerfile.sh"
DF=$VGPU_ROOT/contrib/docker/Dockerfile

instructions() { df_instructions "$DF"; }

# ---- stages and COPY --from
stages=() bad="" n=0
while read -r ins rest; do
	case ${ins^^} in
	FROM)
		n=$((n + 1))
		name=$(sed -nE 's/.*[[:space:]][Aa][Ss][[:space:]]+([^[:space:]]+).*/\1/p' <<<"$rest")
		[ -n "$name" ] && stages+=("$name") ;;
	COPY)
		from=$(grep -oE -- '--from=[^[:space:]]+' <<<"$rest")
		from=${from#--from=}
		if [ -n "$from" ] && ! printf '%s\n' "${stages[@]}" | grep -qxF -- "$from"; then
			bad="$bad $from"
		fi ;;
	esac
done < <(instructions)
expect_eq dockerfile_two_stages "$n" 2
expect_eq dockerfile_copy_from_known_stage "${bad# }" ""

# The build stage: from Debian, the Makefile's own dependency list, a
# build and an install into a directory the runtime stage copies.
build_stage=$(instructions | awk 'toupper($1)=="FROM"{n++} n==1')
case $build_stage in
*"FROM debian:"*) pass dockerfile_build_from_debian ;;
*) fail dockerfile_build_from_debian "build stage is not FROM debian:" ;;
esac
for want in "make deps" "make -j" "make install DESTDIR="; do
	if grep -qF -- "$want" <<<"$build_stage"; then pass "dockerfile_build_runs_${want// /_}"
	else fail "dockerfile_build_runs_${want// /_}" "no '$want' in the build stage"; fi
done

# ---- the runtime stage's packages
runtime_stage=$(instructions | awk 'toupper($1)=="FROM"{n++} n==2')
listed=$(grep -oE 'apt-get install[^&;|]*' <<<"$runtime_stage" |
	sed 's/^apt-get install//' | tr ' ' '\n' | grep -v '^-' | grep -v '^$' | sort -u)
if [ -z "$listed" ]; then
	fail dockerfile_runtime_packages "no apt-get install in the runtime stage"
	exit 0
fi

# The README's container recipe lists the same runtime packages.
readme=$(sed -n '/^### A container image/,/^###* [^#]/p' "$VGPU_ROOT/README.md" |
	sed -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*/ /;ba' -e '}' |
	grep -oE 'apt-get install[^&;|]*' | sed 's/^apt-get install//' |
	tr ' ' '\n' | grep -v '^-' | grep -v '^$' | sort -u)
expect_eq dockerfile_readme_same_packages "$(tr "\n" " " <<<"$readme")" "$(tr "\n" " " <<<"$listed")"

if [ "$VGPU_SAN" = 1 ]; then
	skip dockerfile_runtime_packages "a sanitizer build links its runtimes; the image builds without"
	exit 0
fi
need_pkgs() { command -v dpkg >/dev/null && command -v ldd >/dev/null && command -v readelf >/dev/null; }
if ! need_pkgs; then
	skip dockerfile_runtime_packages "needs dpkg, ldd and readelf"
	exit 0
fi
build_rel=${VGPU_BUILD#"$VGPU_ROOT"/}
if ! out=$(make -s -C "$VGPU_ROOT" BUILD="$build_rel" install \
		DESTDIR="$T/inst" PREFIX=/usr/local 2>&1); then
	fail dockerfile_runtime_packages "make install failed: $(tail -n 5 <<<"$out")"
	exit 0
fi

# owner FILE: the package that installed FILE (/lib and /usr/lib are the
# same directory on merged-/usr systems; dpkg knows one of the names).
owner() {
	local f=$1 p
	for c in "$f" "$(readlink -f "$f")" "/usr$f" "${f#/usr}"; do
		p=$(dpkg -S "$c" 2>/dev/null | head -n 1) && [ -n "$p" ] &&
			{ echo "${p%%:*}"; return 0; }
	done
	return 1
}

pkgs="" unresolved=""
while IFS= read -r -d '' f; do
	head -c 4 "$f" | grep -q 'ELF' || continue
	links=$(ldd "$f" 2>/dev/null)
	for need in $(readelf -d "$f" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p'); do
		# served from the installed tree itself ($ORIGIN)
		[ -n "$(find "$T/inst" -name "$need" -print -quit)" ] && continue
		path=$(awk -v n="$need" '$1 == n && $2 == "=>" {print $3}
			$1 ~ "/" n "$" {print $1}' <<<"$links" | head -n 1)
		if [ -z "$path" ] || [ "$path" = "not" ]; then
			unresolved="$unresolved ${f#"$T/inst"}:$need"; continue
		fi
		p=$(owner "$path") || { unresolved="$unresolved $path"; continue; }
		pkgs="$pkgs $p"
	done
done < <(find "$T/inst" -type f -print0)
expect_eq dockerfile_needed_all_resolved "${unresolved# }" ""
linked=$(tr ' ' '\n' <<<"$pkgs" | grep -v '^$' | sort -u)
missing=$(comm -13 <(echo "$listed") <(echo "$linked") | tr '\n' ' ')
extra=$(comm -23 <(echo "$listed") <(echo "$linked") | tr '\n' ' ')
if [ -z "$missing$extra" ]; then
	pass dockerfile_runtime_packages
else
	fail dockerfile_runtime_packages "missing: [${missing% }] not linked: [${extra% }] (linked: $(echo $linked))"
fi

