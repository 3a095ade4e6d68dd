#!/usr/bin/env bash
# Builds the libFuzzer target for the ELF reader and edit planner and runs
# it for a few seconds over the corpus kept beside this script.
. "$(dirname "$0")/../lib.sh"
if ! command -v clang >/dev/null; then skip "fuzz" "clang not installed"; exit 0; fi
if ! pkg-config --exists libelf; then skip "fuzz" "libelf-dev not installed"; exit 0; fi
src=$VGPU_ROOT/elfpatch
if ! clang -std=gnu11 -O1 -g -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-I"$src" -o "$T/fuzz" "$src/fuzz_reader.c" "$src/elf_image.c" "$src/edit.c" \
	"$src/ranges.c" "$src/verify.c" -I"$VGPU_ROOT/common" "$VGPU_ROOT/common/errbuf.c" $(pkg-config --libs libelf) >"$T/build.log" 2>&1; then
	if grep -q 'libclang_rt.fuzzer\|fsanitize=fuzzer' "$T/build.log"; then
		skip "fuzz" "clang has no libFuzzer runtime"; exit 0
	fi
	fail "fuzz: build" "$(tail -n 5 "$T/build.log")"; exit 0
fi
pass "fuzz: build"
mkdir -p "$T/work"
# Run over a scratch copy so new inputs never land in the repository.
if "$T/fuzz" -max_total_time=${VGPU_FUZZ_SECONDS:-10} -max_len=16384 \
	-timeout=10 -rss_limit_mb=1024 -artifact_prefix="$T/" \
	"$T/work" "$VGPU_ROOT/tests/elfpatch/corpus" >"$T/fuzz.log" 2>&1; then
	pass "fuzz: $(grep -o 'Done [0-9]* runs' "$T/fuzz.log" | head -n 1) without a crash"
else
	fail "fuzz: run" "$(grep -E 'ERROR|SUMMARY|==' "$T/fuzz.log" | head -n 5)"
	cp "$T"/crash-* /tmp/ 2>/dev/null && echo "crashing input copied to /tmp"
fi
