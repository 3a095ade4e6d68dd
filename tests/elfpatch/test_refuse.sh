#!/usr/bin/env bash
# Every refusal leaves the file byte-identical and says why; a process
# killed after the journal (or mid-write) is recovered by --undo.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
EP=$BIN/vgpu-elfpatch
d=$T/bfd
if ! build_fixtures "$d" bfd >"$T/build.log" 2>&1; then
	skip "refusals" "cannot build fixtures with GNU ld: $(tail -n 1 "$T/build.log")"; exit 0
fi

# refuse NAME FILE WANT_MESSAGE EDIT-ARGS...
refuse() {
	local name=$1 f=$2 want=$3; shift 3
	cp "$f" "$T/before"
	local out rc
	out=$("$EP" "$@" "$f" 2>&1); rc=$?
	if [ $rc = 0 ]; then fail "$name" "accepted: $out"
	elif [[ $out != *"$want"* ]]; then fail "$name" "message [$out] lacks [$want]"
	elif ! cmp -s "$f" "$T/before"; then fail "$name" "file changed"
	elif [ "$1" != --undo ] && [ -e "$f.vgpu-elfpatch" ]; then fail "$name" "left a journal"
	else pass "$name"; fi
}

echo "not an elf file at all" >"$T/text"
refuse "non-ELF" "$T/text" "not an ELF file" --add-needed libc.so.6
head -c 300 "$d/prog" >"$T/trunc"
refuse "truncated ELF" "$T/trunc" "" --replace-needed libvgfa.so libvgfb.so
cp "$d/prog" "$T/c32"; printf '\001' | dd of="$T/c32" bs=1 seek=4 conv=notrunc 2>/dev/null
refuse "32-bit ELF" "$T/c32" "32-bit ELF (ELFCLASS32) is not supported" --add-needed libc.so.6
cp "$d/prog" "$T/be"; printf '\002' | dd of="$T/be" bs=1 seek=5 conv=notrunc 2>/dev/null
refuse "big-endian ELF" "$T/be" "big-endian ELF (ELFDATA2MSB) is not supported" --add-needed libc.so.6
# DT_STRSZ far beyond its segment: inconsistent.
cp "$d/prog" "$T/badstr"
off=$(readelf -dW "$d/prog" | awk '/Dynamic section at offset/{print $5}')
idx=$(readelf -dW "$d/prog" | awk '/^ 0x/{n++} /\(STRSZ\)/{print n-1; exit}')
printf '\377\377\377\177' | dd of="$T/badstr" bs=1 seek=$((off + idx * 16 + 8)) conv=notrunc 2>/dev/null
refuse "inconsistent ELF (DT_STRSZ)" "$T/badstr" "DT_STRTAB" --add-needed libc.so.6
if echo 'int main(void){return 0;}' | ${CC:-cc} -static -x c - -o "$T/static" 2>/dev/null; then
	refuse "static executable" "$T/static" "no dynamic section" --add-needed libc.so.6
else
	skip "static executable" "no static libc to link one"
fi
refuse "no room in .dynstr" "$d/prog" "bytes missing" \
	--add-needed libvgpu-a-name-that-appears-nowhere-in-the-file.so
if linker_available lld && build_fixtures "$T/lld" lld >/dev/null 2>&1; then
	# lld leaves no spare DT_NULL, and a library has no DT_DEBUG to give.
	refuse "no room in .dynamic (lld library)" "$T/lld/libvgfa.so" \
		"no room in .dynamic: 1 more 16-byte entry needed" --add-needed libvgfa.so
else
	skip "no room in .dynamic (lld library)" "ld.lld not installed"
fi
refuse "remove a library with version needs" "$d/prog" ".gnu.version_r needs" \
	--remove-needed libc.so.6
# A running program cannot be written (ETXTBSY), even by root.
cat >"$T/sleeper.c" <<'C'
#include <unistd.h>
int main(void) { pause(); return 0; }
C
cc_test "$T/sleeper" "$T/sleeper.c"
"$T/sleeper" & pid=$!
sleep 0.2
refuse "file it cannot write" "$T/sleeper" "cannot open for writing" --add-needed libc.so.6
kill $pid; wait $pid 2>/dev/null

# Killed after the journal is on disk, before any write: the file is the
# original, and --undo (which finds nothing changed) keeps it so.
# Killed after the first of several writes: --undo restores it.
for point in journal first-write; do
	cp "$d/prog" "$T/crash"
	VGPU_ELFPATCH_TEST_KILL_AT=$point "$EP" --replace-needed libvgfa.so libvgfb.so \
		--remove-needed libvgunused_long_name.so --add-needed libvgp2.so "$T/crash" >/dev/null 2>&1
	rc=$?
	expect_eq "killed at $point" "$rc" 137
	if [ $point = journal ]; then check "killed at journal: file untouched" cmp "$T/crash" "$d/prog"
	else
		if cmp -s "$T/crash" "$d/prog"; then fail "killed at first-write: partial" "no byte written"
		else pass "killed at first-write: partial"; fi
	fi
	check "killed at $point: journal kept" test -s "$T/crash.vgpu-elfpatch"
	"$EP" --undo "$T/crash" >/dev/null 2>&1
	check "killed at $point: undo restores byte-identical" cmp "$T/crash" "$d/prog"
done

# A journal that does not match the file is refused, not applied.
cp "$d/prog" "$T/j"
at=$("$EP" -v --replace-needed libvgfa.so libvgfb.so "$T/j" | awk '/^change /{print $2; exit}')
printf 'z' | dd of="$T/j" bs=1 seek=$((${at%+*})) conv=notrunc 2>/dev/null
refuse "undo against a changed file" "$T/j" "neither its journaled old nor new" --undo
echo "garbage" >"$T/j.vgpu-elfpatch"
refuse "undo with a corrupt journal" "$T/j" "j.vgpu-elfpatch:1: not a valid journal line" --undo

# --dry-run changes nothing and prints what it would.
cp "$d/prog" "$T/dry"
out=$("$EP" --dry-run --replace-needed libvgfa.so libvgfb.so "$T/dry")
if [[ $out == *"would change 1 bytes"* ]] && cmp -s "$T/dry" "$d/prog" && [ ! -e "$T/dry.vgpu-elfpatch" ]; then
	pass "dry-run"; else fail "dry-run" "$out"; fi
# --journal PATH and --no-journal.
"$EP" --journal "$T/jj" --replace-needed libvgfa.so libvgfb.so "$T/dry" >/dev/null
check "--journal PATH" test -s "$T/jj"
"$EP" --journal "$T/jj" --undo "$T/dry" >/dev/null
check "--journal PATH undo" cmp "$T/dry" "$d/prog"
"$EP" --no-journal --replace-needed libvgfa.so libvgfb.so "$T/dry" >/dev/null
if [ ! -e "$T/dry.vgpu-elfpatch" ] && [ "$("$EP" --print-needed "$T/dry" | head -n 1)" = libvgfb.so ]; then
	pass "--no-journal"; else fail "--no-journal" "journal written or edit missing"; fi
