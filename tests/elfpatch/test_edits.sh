#!/usr/bin/env bash
# Every edit on programs and libraries linked by GNU ld, lld and gold:
# the result runs under LD_BIND_NOW=1 and loads the new dependency, and
# --undo restores the file byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
EP=$BIN/vgpu-elfpatch

# run_prog DIR: the program's stdout+stderr, dependencies from DIR.
run_prog() { LD_BIND_NOW=1 LD_LIBRARY_PATH=$1 "$1/prog" 2>&1 | tr '\n' ' '; }

# edit_case NAME DIR FILE WANT_OUTPUT_PATTERN EDIT-ARGS...
edit_case() {
	local name=$1 d=$2 file=$3 want=$4; shift 4
	cp "$d/$file" "$d/$file.orig"
	if ! out=$("$EP" -v "$@" "$d/$file" 2>&1); then
		fail "$name" "edit failed: $out"; return
	fi
	local got
	got=$(run_prog "$d")
	if [[ $got == *$want* ]]; then pass "$name"; else
		fail "$name" "after $*: program said [$got], want [$want]"
	fi
	[ "$(stat -c %s "$d/$file")" = "$(stat -c %s "$d/$file.orig")" ] ||
		fail "$name: size" "file size changed"
	# Every changed byte is one the tool reported.
	local reported changed
	reported=$(echo "$out" | while read -r w r _; do
		[ "$w" = change ] || continue
		local o=$((${r%+*})) n=${r#*+} i
		for ((i = 0; i < n; i++)); do echo $((o + i + 1)); done
	done | sort -n)
	changed=$(cmp -l "$d/$file.orig" "$d/$file" | awk '{print $1}' | sort -n)
	expect_eq "$name: only reported bytes changed" "$changed" "$(comm -12 <(echo "$changed") <(echo "$reported"))"
	if "$EP" --undo "$d/$file" >/dev/null 2>&1 && cmp -s "$d/$file" "$d/$file.orig" &&
		[ ! -e "$d/$file.vgpu-elfpatch" ]; then
		pass "$name: undo"
	else
		fail "$name: undo" "not byte-identical after --undo"
	fi
	rm -f "$d/$file.orig"
}

for ld in bfd lld gold; do
	if ! linker_available $ld; then skip "$ld" "ld.$ld not installed"; continue; fi
	d=$T/$ld
	if ! build_fixtures "$d" $ld >"$T/$ld.log" 2>&1; then
		skip "$ld" "cannot link fixtures: $(tail -n 1 "$T/$ld.log")"; continue
	fi
	expect_eq "$ld: fixture runs" "$(run_prog "$d")" "vgfa ok "
	expect_eq "$ld: print-needed" "$("$EP" --print-needed "$d/prog" | tr '\n' ' ')" \
		"$(readelf -dW "$d/prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
	expect_eq "$ld: print-soname" "$("$EP" --print-soname "$d/libvgfa.so")" libvgfa.so
	expect_eq "$ld: print-interpreter" "$("$EP" --print-interpreter "$d/prog")" \
		"$(readelf -lW "$d/prog" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')"
	edit_case "$ld: replace-needed (overwrite)" "$d" prog "vgfb ok" \
		--replace-needed libvgfa.so libvgfb.so
	edit_case "$ld: add-needed (tail of a string)" "$d" prog "probe" \
		--add-needed libvgprobe.so
	if [ $ld = lld ]; then
		# lld leaves no spare DT_NULL: the executable's DT_DEBUG gives way.
		if [[ $out == *"recycled the DT_DEBUG slot"* ]]; then pass "lld: DT_DEBUG recycled"
		else fail "lld: DT_DEBUG recycled" "$out"; fi
	fi
	edit_case "$ld: remove-needed + add-needed (freed bytes)" "$d" prog "p2" \
		--remove-needed libvgunused_long_name.so --add-needed libvgp2.so
	# RUNPATH is the only way the program finds its libraries here.
	cp "$d/prog" "$d/prog.orig"
	if "$EP" --set-rpath '$ORIGIN' "$d/prog" >/dev/null 2>&1 &&
		[ "$(LD_BIND_NOW=1 "$d/prog" 2>&1 | tr '\n' ' ')" = "vgfa ok " ] &&
		[ "$("$EP" --print-rpath "$d/prog")" = '$ORIGIN' ] &&
		readelf -dW "$d/prog" | grep -q 'RUNPATH.*\[\$ORIGIN\]'; then
		pass "$ld: set-rpath"
	else
		fail "$ld: set-rpath" "$(readelf -dW "$d/prog" | grep -i path)"
	fi
	"$EP" --force-rpath --set-rpath '$ORIGIN' "$d/prog" >/dev/null 2>&1
	check "$ld: force-rpath writes DT_RPATH" bash -c "readelf -dW '$d/prog' | grep -q '(RPATH).*\[\\\$ORIGIN\]'"
	"$EP" --undo "$d/prog" >/dev/null 2>&1
	check "$ld: two edits, one undo" cmp "$d/prog" "$d/prog.orig"
	rm -f "$d/prog.orig"
	# SONAME: the program asks for libvgfa.so; a library renamed by
	# SONAME still loads (ld.so does not compare them).
	cp "$d/libvgfa.so" "$d/libvgfa.so.orig"
	# gold also names the base Verdef after the SONAME: it must follow.
	if "$EP" --set-soname libvgf.so "$d/libvgfa.so" >/dev/null 2>&1 &&
		[ "$("$EP" --print-soname "$d/libvgfa.so")" = libvgf.so ] &&
		{ ! readelf -V "$d/libvgfa.so" | grep -q 'Flags: BASE' ||
		  readelf -V "$d/libvgfa.so" | grep -q 'Flags: BASE.*Name: libvgf.so'; } &&
		[ "$("$EP" --print-soname "$d/libvgfa.so")" = libvgf.so ] &&
		[ "$(run_prog "$d")" = "vgfa ok " ] &&
		"$EP" --undo "$d/libvgfa.so" >/dev/null && cmp -s "$d/libvgfa.so" "$d/libvgfa.so.orig"; then
		pass "$ld: set-soname and undo"
	else
		fail "$ld: set-soname and undo" "$(readelf -dW "$d/libvgfa.so" | grep SONAME)"
	fi
	# Several edits and several files in one run.
	cp "$d/prog" "$d/prog2"
	if "$EP" --replace-needed libvgfa.so libvgfb.so --add-needed libvgprobe.so \
		"$d/prog" "$d/prog2" >/dev/null 2>&1 &&
		[[ "$(run_prog "$d")" == *probe* && "$(run_prog "$d")" == *vgfb*ok* ]] &&
		[[ "$(LD_BIND_NOW=1 LD_LIBRARY_PATH=$d "$d/prog2" 2>&1 | tr '\n' ' ')" == *probe*vgfb*ok* ||
		   "$(LD_BIND_NOW=1 LD_LIBRARY_PATH=$d "$d/prog2" 2>&1 | tr '\n' ' ')" == *vgfb*probe*ok* ]]; then
		pass "$ld: two edits on two files"
	else
		fail "$ld: two edits on two files" "$(run_prog "$d")"
	fi
	"$EP" --undo "$d/prog" "$d/prog2" >/dev/null 2>&1
	check "$ld: undo two files" cmp "$d/prog" "$d/prog2"
	out=$(LD_LIBRARY_PATH=$d "$EP" -v --verify --replace-needed libvgfa.so libvgfb.so "$d/prog" 2>&1)
	if [[ $out == *"loads it"* ]]; then pass "$ld: --verify"; else fail "$ld: --verify" "$out"; fi
	out=$(LD_LIBRARY_PATH=$d "$EP" --verify --replace-needed libvgfb.so libvgzz.so "$d/prog" 2>&1)
	if [[ $out == *"FAILED"* ]]; then pass "$ld: --verify reports a missing library"; else fail "$ld: --verify missing" "$out"; fi
	"$EP" --undo "$d/prog" >/dev/null 2>&1
	# As patchelf: a successful edit, undo or verify says nothing
	# without -v (and the edit did happen).
	out=$(LD_LIBRARY_PATH=$d "$EP" --verify --replace-needed libvgfa.so libvgfb.so "$d/prog" 2>&1)
	expect_eq "$ld: silent edit" "$out:$("$EP" --print-needed "$d/prog" | head -n 1)" ":libvgfb.so"
	out=$("$EP" --undo "$d/prog" 2>&1)
	expect_eq "$ld: silent undo" "$out:$("$EP" --print-needed "$d/prog" | head -n 1)" ":libvgfa.so"
	out=$("$EP" --undo "$d/prog" 2>&1)
	if [[ $out == *"no journal"* ]]; then pass "$ld: a failed undo still says why"
	else fail "$ld: a failed undo still says why" "$out"; fi
	# --verify FILE without a slash checks that file, not whatever ld.so
	# would find by that name on the library path (here a broken one).
	mkdir -p "$d/decoy"
	echo 'not ELF' >"$d/decoy/libvgfa.so"
	out=$(cd "$d" && LD_LIBRARY_PATH=$d/decoy "$EP" -v --verify --set-soname libvgf.so libvgfa.so 2>&1)
	if [[ $out == *"loads it"* ]]; then pass "$ld: --verify NAME is the file in ."
	else fail "$ld: --verify NAME is the file in ." "$out"; fi
	"$EP" --undo "$d/libvgfa.so" >/dev/null 2>&1
done
