#!/usr/bin/env bash
# common/abi_versions.txt, the table of versioned entry points, against
# what the simulator exports and answers (canary-filled buffers: no byte
# past the name's own struct), against cuGetProcAddress, against the
# toolkit headers' #defines and NVIDIA's libcudart.so.12 from PyPI; and a
# client that does what Ollama's discovery does (dlsym the unversioned
# cudaGetDeviceProperties, pass the 728-byte CUDA 11 struct) under
# vgpu-run --backend sim.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

TABLE=$VGPU_ROOT/common/abi_versions.txt
EXPORTS=$VGPU_ROOT/interpose/exports
CUDA=${CUDA_HOME:-/usr/local/cuda}
declare -A SIMLIB=([cuda]=libcuda.so.1 [cudart12]=libcudart.so.12
	[cudart13]=libcudart.so.13 [nvml]=libnvidia-ml.so.1)

# One line per form: LIB NAME SINCE SIM BYTES GROUP; one per group: LIB GROUP H12 H13.
awk '!/^#/ && NF { n = split($3, f, ","); for (i = 1; i <= n; i++) {
	split(f[i], p, ":"); print $1, p[1], p[2], p[3], p[4], $2 } }' "$TABLE" > "$T/forms"
awk '!/^#/ && NF { print $1, $2, $4, $5 }' "$TABLE" > "$T/groups"

# ---- the table itself ----
bad=$(awk '!/^#/ && NF && NF < 6' "$TABLE"; awk '
	$1 !~ /^(cuda|cudart12|cudart13|nvml)$/ || $3 !~ /^([0-9]+|-)$/ ||
	$4 !~ /^(yes|unsup|no)$/ || $5 !~ /^([0-9]+|-)$/ || index($2, $6) != 1' "$T/forms")
expect_eq "every table line and form is well formed" "$bad" ""
expect_eq "no name listed twice" "$(awk '{ print $1, $2 }' "$T/forms" | sort | uniq -d)" ""
ngroups=$(wc -l < "$T/groups")
if [ "$ngroups" -ge 100 ]; then pass "table has $ngroups groups, $(wc -l < "$T/forms") names"; else
	fail "table size" "only $ngroups groups"; fi

# ---- every versioned export of the interposer is in the table ----
missing=""
for lib in cuda cudart12 cudart13 nvml; do
	while read -r n; do
		b=${n%_v[0-9]*}
		for x in "$n" "$b"; do
			[ "$x" = "$b" ] && ! grep -qx "$b" "$EXPORTS/$lib.txt" && continue
			grep -q "^$lib $x " "$T/forms" || missing+=" $lib:$x"
		done
	done < <(grep -E '_v[0-9]+$' "$EXPORTS/$lib.txt")
done
expect_eq "every _vN name the interposer exports, and its plain name, is in the table" "$missing" ""

# ---- the simulator exports what the table says, and no other pair ----
wrong=""
for lib in cuda cudart12 cudart13 nvml; do
	nm -D --defined-only "$SIMDIR/${SIMLIB[$lib]}" | awk '{ sub(/@.*/, "", $3); print $3 }' |
		sort -u > "$T/sim.$lib"
	while read -r l name since sim bytes group; do
		[ "$l" = "$lib" ] || continue
		if grep -qx "$name" "$T/sim.$lib"; then
			[ "$sim" = no ] && wrong+=" $name(exported,table:no)"
		else
			[ "$sim" = no ] || wrong+=" $name(absent,table:$sim)"
		fi
	done < "$T/forms"
	while read -r n; do
		grep -q "^$lib $n " "$T/forms" || wrong+=" $lib:$n(not in table)"
	done < <(grep -E '_v[0-9]+$' "$T/sim.$lib" | sed 's/_v[0-9]*$//' | sort -u |
		while read -r b; do grep -E "^$b(_v[0-9]+)?$" "$T/sim.$lib"; done)
done
expect_eq "the sim exports exactly the names the table marks yes or unsup" "$wrong" ""

# ---- each name answers with its own layout (canaries) ----
PROBE=$T/abi_probe
cc_test "$PROBE" "$VGPU_ROOT/tests/sim/abi_probe.c" -ldl || { fail build abi_probe; exit 1; }
timeout 60 "$PROBE" "$SIMDIR" > "$T/probe" 2>&1
expect_eq "abi_probe runs" "$?" 0
nprobed=0
bad=""
while read -r lib name since sim bytes group; do
	[ "$sim" = no ] || [ "$bytes" = - ] && continue
	line=$(grep "^$lib $name " "$T/probe")
	if [ -z "$line" ]; then bad+=" $lib:$name(no probe)"; continue; fi
	read -r _ _ rc reach <<<"$line"
	nprobed=$((nprobed + 1))
	if [ "$sim" = yes ]; then
		{ [ "$rc" = 0 ] && [ "$reach" -le "$bytes" ]; } ||
			bad+=" $lib:$name(rc $rc, $reach bytes written, table $bytes)"
	else	# unsup: the not-supported error, nothing written
		{ [ "$rc" = 801 ] && [ "$reach" = 0 ]; } ||
			bad+=" $lib:$name(rc $rc, $reach bytes written, want 801 and none)"
	fi
done < "$T/forms"
expect_eq "every probed name writes within its own version's size ($nprobed names)" "$bad" ""
[ -z "$bad" ] || sed 's/^/    /' "$T/probe"
stray=$(while read -r lib name _; do grep -q "^$lib $name " "$T/forms" || echo "$lib:$name"; done < "$T/probe")
expect_eq "every probe is of a table name" "$stray" ""
expect_eq "libcudart.so.12 cudaGetDeviceProperties fills the CUDA 11 struct exactly" \
	"$(awk '$1 == "cudart12" && $2 == "cudaGetDeviceProperties" { print $4 }' "$T/probe")" 728

# ---- under vgpu-run, the forms the sim lacks answer not-supported ----
# (the interposer's stub, which reads no argument: zero arguments are safe)
declare -A NOTSUP=([cuda]=801 [cudart12]=801 [cudart13]=801 [nvml]=3)
bad=""
nstub=0
for lib in cuda cudart12 cudart13 nvml; do
	# A name the interposer does not export either is simply absent
	# (dlsym finds nothing): safe, and not a call to make.
	awk -v l="$lib" '$1 == l && $4 != "yes" { print $2 }' "$T/forms" |
		grep -xFf "$EXPORTS/$lib.txt" > "$T/stub.in"
	timeout 60 "$BIN/vgpu-run" --backend sim -o "$T/stub.$lib" -- \
		"$PROBE" --stub "${SIMLIB[$lib]}" < "$T/stub.in" > "$T/stub.out" 2>&1
	nstub=$((nstub + $(wc -l < "$T/stub.in")))
	bad+=$(while read -r n; do
		grep -qx "$n ${NOTSUP[$lib]}" "$T/stub.out" ||
			echo -n " $lib:$n($(grep -m1 "^$n " "$T/stub.out" || echo 'no answer'))"
	done < "$T/stub.in")
done
expect_eq "through the interposer every form the sim lacks or refuses answers not-supported ($nstub names)" "$bad" ""

# ---- cuGetProcAddress(group, since) gives each form's own symbol ----
awk '$1 == "cuda" && $4 != "no" && $3 != "-" { print $6, $2, $3 }' "$T/forms" > "$T/proc.in"
timeout 30 "$PROBE" --proc "$SIMDIR" < "$T/proc.in" > "$T/proc.out" 2>&1
expect_eq "cuGetProcAddress_v2 maps each group and version to its form ($(wc -l < "$T/proc.in") forms)" \
	"$(grep -v ' ok$' "$T/proc.out")" ""

# ---- the toolkit headers' #defines ----
# "NAME TARGET" for each header #define of a cu* name to another one
# (per-thread wrappers removed; a name defined to itself is no mapping).
defines() {
	sed -n 's/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}\(cu[A-Za-z0-9_]*\)[[:space:]]\{1,\}\(__CUDA[A-Z_]*(\)\{0,1\}\(cu[A-Za-z0-9_]*\))\{0,1\}[[:space:]]*$/\1 \3/p' "$1" |
		awk '$1 != $2' | sort -u
}
# table_defines LIB COLUMN: "GROUP TARGET" where the table names one.
table_defines() {
	awk -v l="$1" -v c="$2" '$1 == l && $c != "=" && $c != "n/a" { print $2, $c }' "$T/groups" | sort -u
}
check_header() {	# check_header WHAT HEADER LIB COLUMN
	if [ ! -e "$2" ]; then skip "$1 #defines" "no $2"; return; fi
	defines "$2" > "$T/h"
	table_defines "$3" "$4" > "$T/m"
	# Only defines of a group in the table or to a versioned name count:
	# the header has other aliases (per-thread forms) that are no ABI pair.
	awk -v l="$3" '$1 == l { print $2 }' "$T/groups" | sort -u > "$T/g"
	awk 'NR == FNR { g[$1] = 1; next } ($1 in g) || $2 ~ /_v[0-9]+$/' "$T/g" "$T/h" > "$T/hv"
	expect_eq "$1: the table's column equals the header's #defines ($(wc -l < "$T/hv"))" \
		"$(diff "$T/hv" "$T/m" | grep '^[<>]' | tr '\n' ' ')" ""
}
# NVIDIA's libcudart.so.12 and its CUDA 12 headers: PyPI's
# nvidia-cuda-runtime-cu12, wherever it was installed under the build
# directory, else fetched once into it (VGPU_NO_PYPI=1: never).
find_rt12() { find "$VGPU_BUILD" -maxdepth 8 -path '*nvidia/cuda_runtime/lib/libcudart.so.12' 2>/dev/null | head -n 1; }
RT12=${VGPU_CUDART12:-$(find_rt12)}
if [ -z "$RT12" ] && [ "${VGPU_NO_PYPI:-0}" != 1 ]; then
	dl=$VGPU_BUILD/abi-dl
	{ timeout 300 python3 -m venv "$VGPU_BUILD/abi-venv" &&
	  timeout 300 "$VGPU_BUILD/abi-venv/bin/pip" download -q --no-deps -d "$dl" \
		nvidia-cuda-runtime-cu12==12.9.79 &&
	  python3 -m zipfile -e "$dl"/nvidia_cuda_runtime_cu12-*.whl "$dl"; } > "$T/pip.log" 2>&1 ||
		echo "    (fetching nvidia-cuda-runtime-cu12 failed: $(tail -n 1 "$T/pip.log"))"
	RT12=$(find_rt12)
fi
INC12=${RT12:+$(dirname "$(dirname "$RT12")")/include}
check_header "CUDA 13 cuda.h" "$CUDA/include/cuda.h" cuda 4
check_header "CUDA 13 cuda_runtime_api.h" "$CUDA/include/cuda_runtime_api.h" cudart13 4
if [ -n "$RT12" ]; then
	check_header "CUDA 12 cuda.h" "$INC12/cuda.h" cuda 3
	check_header "CUDA 12 cuda_runtime_api.h" "$INC12/cuda_runtime_api.h" cudart12 3
else
	skip "CUDA 12 headers" "no nvidia-cuda-runtime-cu12 under $VGPU_BUILD and none fetched"
fi

# ---- NVIDIA's libcudart.so.12: symbol versions and what it writes ----
if [ -z "$RT12" ]; then
	skip "NVIDIA libcudart.so.12" "no nvidia-cuda-runtime-cu12 under $VGPU_BUILD and none fetched"
else
	elfsyms() { readelf --dyn-syms -W "$1" | awk '$7 != "UND" && $4 == "FUNC" { print $8 }'; }
	elfsyms "$RT12" > "$T/nv12"
	miss=$(sed 's/@.*//' "$T/nv12" | sed -E 's/_(ptsz|ptds)$//' | grep -E '_v[0-9]+$' | sort -u |
		while read -r n; do grep -q "^cudart12 $n " "$T/forms" || echo "$n"; done)
	expect_eq "every _vN export of NVIDIA's libcudart.so.12 is in the table" "$miss" ""
	nodes=$(awk '$1 == "cudart12" { print $2 }' "$T/forms" | while read -r n; do
		v=$(grep -m1 "^$n@" "$T/nv12") || continue
		[ "${v#*@}" = "@libcudart.so.12" ] || echo "$v"; done)
	expect_eq "NVIDIA exports the table's names at node libcudart.so.12" "$nodes" ""
	elfsyms "$SIMDIR/libcudart.so.12" > "$T/sim12"
	nodes=$(awk '$1 == "cudart12" && $4 != "no" { print $2 }' "$T/forms" | while read -r n; do
		v=$(grep -m1 "^$n@" "$T/sim12")
		[ "${v#*@}" = "@libcudart.so.12" ] || echo "$n:${v:-absent}"; done)
	expect_eq "the sim exports them at the same node" "$nodes" ""
	gone=$(awk '$1 == "cudart12" { print $2 }' "$T/forms" | while read -r n; do
		grep -q "^$n@" "$T/nv12" || echo "$n"; done | tr '\n' ' ')
	echo "    (table names $RT12 does not export: ${gone:-none})"

	# NVIDIA's runtime on the sim driver writes the same bytes, as many.
	mkdir -p "$T/drv" && ln -sf "$SIMDIR/libcuda.so.1" "$T/drv/libcuda.so.1"
	nv=$(LD_LIBRARY_PATH=$T/drv timeout 60 "$PROBE" --props "$RT12" "$T/nv.bin" 2>&1)
	ours=$(timeout 60 "$PROBE" --props "$SIMDIR/libcudart.so.12" "$T/sim.bin" 2>&1)
	expect_eq "NVIDIA's cudaGetDeviceProperties writes as many bytes as the table says" \
		"$(awk '$2 == "cudaGetDeviceProperties" { print $3, $4 }' <<<"$nv")" "0 728"
	reach=$(awk '$2 == "cudaGetDeviceProperties_v2" { print $4 }' <<<"$nv")
	if [ -n "$reach" ] && [ "$reach" -gt 728 ] && [ "$reach" -le 1032 ]; then
		pass "NVIDIA's _v2 writes the bigger CUDA 12 struct ($reach of 1032 bytes)"
	else
		fail "NVIDIA's _v2 writes the bigger CUDA 12 struct" "$nv"
	fi
	if cmp -s -n 728 "$T/nv.bin" "$T/sim.bin" && [ -n "$ours" ]; then
		pass "the sim's CUDA 11 struct is byte for byte NVIDIA's on the same driver"
	else
		fail "the sim's CUDA 11 struct is byte for byte NVIDIA's" "$(cmp -l -n 728 "$T/nv.bin" "$T/sim.bin" | head -3 | tr '\n' ' ')"
	fi
fi

# ---- NVIDIA's runtimes ask the driver for each form by its version ----
# Every (group, version) they pass to cuGetProcAddress_v2 must be the
# version that introduced one of the group's forms in the table (the
# per-thread-stream requests, flag 1, ask for 7.0's _ptds/_ptsz forms).
mkdir -p "$T/drv" && ln -sf "$SIMDIR/libcuda.so.1" "$T/drv/libcuda.so.1"
for rt in "$CUDA/lib64/libcudart.so.13" ${RT12:+"$RT12"}; do
	if [ ! -e "$rt" ]; then skip "versions NVIDIA's runtime asks for" "no $rt"; continue; fi
	VGPU_SIM_DEBUG=1 LD_LIBRARY_PATH=$T/drv timeout 60 "$PROBE" --props "$rt" "$T/rt.bin" 2>&1 |
		sed -n 's/^vgpu-sim: cuGetProcAddress \([A-Za-z0-9_]*\) v\([0-9]*\) flags 0 .*/\1 \2/p' | sort -u > "$T/asked"
	bad=$(while read -r name v; do
		grep -q "^cuda $name " "$T/groups" || continue
		awk -v g="$name" -v v="$v" '$1 == "cuda" && $6 == g && $3 == v { f = 1 } END { exit !f }' "$T/forms" ||
			echo -n " $name@$v"
	done < "$T/asked")
	asked=$(awk 'NR == FNR { if ($1 == "cuda") g[$2] = 1; next } ($1 in g)' "$T/groups" "$T/asked" | wc -l)
	if [ "$asked" -ge 50 ]; then
		expect_eq "$(basename "$rt"): each of its $asked versioned requests is a form's version in the table" "$bad" ""
	else
		fail "$(basename "$rt") asks for versioned groups" "only $asked requests seen"
	fi
done

# ---- Ollama's discovery: dlsym by name, the old struct on the stack ----
CLIENT=$T/old_props_client
cc_test "$CLIENT" "$VGPU_ROOT/tests/sim/old_props_client.c" -ldl || { fail build old_props_client; exit 1; }
mkdir -p "$T/ollama/cuda_v12" && : > "$T/ollama/cuda_v12/libcudart.so.12"
dev='device name="Old Struct GPU" cc=8.6 memory=24GiB sms=84'
want="rc=0 name=Old Struct GPU total=$((24 << 30)) cc=8.6 canary=intact"
n=0
for how in "$T/ollama/cuda_v12/libcudart.so.12" libcudart.so.12; do
	n=$((n + 1))
	out=$(timeout 60 "$BIN/vgpu-run" --backend sim --rule "$dev" -o "$T/trace$n" -- "$CLIENT" "$how" 2>&1)
	rc=$?
	expect_eq "dlopen($how), dlsym(cudaGetDeviceProperties), 728-byte struct under vgpu-run: exit" "$rc" 0
	expect_eq "  ... fills it and nothing past it" "$(grep '^rc=' <<<"$out")" "$want"
done
