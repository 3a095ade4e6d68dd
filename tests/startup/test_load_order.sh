#!/usr/bin/env bash
# Interposer start-up in every load order.  A program NEEDs the driver,
# both runtimes and NVML in each of the 24 orders (the interposer
# libraries carry the real SONAMEs, so linking against them writes the
# real names), with a library whose constructor dlopens the driver and a
# runtime placed first, last or not at all; then NVIDIA's own libcudart and
# cuBLAS in the orders that deadlocked before.  Each run must start, see
# the same device count through every API and exit 0, in bounded time.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/startup
run=$BIN/vgpu-run
limit=${VGPU_STARTUP_LIMIT:-30}

cc -shared -fPIC -O1 -Wall -Wextra -Werror -DCTOR_RUNTIME='"libcudart.so.13"' \
	-o "$T/libctor.so" "$here/ctor_lib.c" -Wl,-soname,libctor.so -ldl
declare -A lib=([cuda]=libvgpu-cuda.so [rt12]=libvgpu-cudart12.so
	[rt13]=libvgpu-cudart13.so [nvml]=libvgpu-nvml.so)

# build NAME ITEM... : the count program NEEDing the items in that order.
build() {
	local out=$1 args=() it; shift
	for it in "$@"; do
		if [ "$it" = ctor ]; then args+=("$T/libctor.so")
		else args+=("$LIBDIR/${lib[$it]}"); fi
	done
	cc -O1 -o "$out" "$here/count_main.c" -Wl,--no-as-needed "${args[@]}" \
		-Wl,-rpath,"$T" -ldl
}

# Each API must report the same positive count as the driver.
consistent() {
	local line=$1 drv
	drv=$(sed -n 's/.*driver=0:\([0-9]*\) .*/\1/p' <<<"$line")
	[ -n "$drv" ] && [ "$drv" -gt 0 ] &&
		grep -q "runtime=0:$drv nvml=0:$drv" <<<"$line" &&
		{ ! grep -q ctor= <<<"$line" || grep -q "ctor=0:0:$drv" <<<"$line"; }
}

perms() {
	local prefix=$1; shift
	if [ $# -eq 0 ]; then echo "$prefix"; return; fi
	local i items=("$@")
	for i in "${!items[@]}"; do
		perms "$prefix ${items[$i]}" "${items[@]:0:$i}" "${items[@]:$((i + 1))}"
	done
}

bad=() n=0
while read -r -a order; do
	for ctor in none first last; do
		case $ctor in
		none) items=("${order[@]}") ;;
		first) items=(ctor "${order[@]}") ;;
		last) items=("${order[@]}" ctor) ;;
		esac
		name=$(IFS=-; echo "${items[*]}")
		build "$T/p" "${items[@]}"
		out=$(timeout -k 5 "$limit" "$run" --backend sim -- "$T/p" 2>"$T/err")
		rc=$?
		n=$((n + 1))
		if [ $rc != 0 ] || ! consistent "$out"; then
			bad+=("$name (exit $rc: $out $(tail -n 2 "$T/err" | tr '\n' ' '))")
		fi
	done
done < <(perms "" cuda rt12 rt13 nvml)
expect_eq load_orders_tried "$n" 72
if [ ${#bad[@]} = 0 ]; then pass every_load_order_starts; else
	fail every_load_order_starts "${#bad[@]} of $n orders: ${bad[0]}"
	printf '    %s\n' "${bad[@]:0:8}"
fi

# NVIDIA's runtime and libraries linked before the driver: the orders that
# hung in the interposer's start-up.
cuda=/usr/local/cuda/lib64
if [ ! -e "$cuda/libcudart.so.13" ]; then
	skip nvidia_load_orders "no CUDA toolkit at $cuda"
	exit 0
fi
echo 'int main(void){return 0;}' >"$T/empty.c"
for spec in "cudart cuda" "cudart cublasLt" "cublas cudart" "cuda cudart" \
	    "cudart cublas cuda nvidia-ml"; do
	libs=() name=
	for l in $spec; do
		# No NVML in the toolkit: its name comes from our library.
		if [ "$l" = nvidia-ml ]; then libs+=("$LIBDIR/libvgpu-nvml.so")
		else libs+=("-l$l"); fi
		name+=${name:+-}$l
	done
	if ! cc -o "$T/e" "$T/empty.c" -L"$cuda" -L"$cuda/stubs" -Wl,-rpath,"$cuda" \
		-Wl,--no-as-needed "${libs[@]}" 2>"$T/ld.err"; then
		skip "nvidia_order_$name" "cannot link: $(head -n 1 "$T/ld.err")"
		continue
	fi
	timeout -k 5 "$limit" "$run" --backend sim -- "$T/e" >"$T/out" 2>&1
	expect_eq "nvidia_order_${name}_exits_0" "$?" 0
done
# The same with NVIDIA's runtime as the runtime's backend: it then loads
# the driver from inside the interposer's start-up.
cc -o "$T/e" "$T/empty.c" -L"$cuda" -L"$cuda/stubs" -Wl,-rpath,"$cuda" \
	-Wl,--no-as-needed -lcudart -lcublas -lcuda
timeout -k 5 "$limit" "$run" --backend sim --backend cudart13=passthrough \
	--real-lib cudart13="$cuda/libcudart.so.13" -- "$T/e" >"$T/out" 2>&1
expect_eq nvidia_runtime_passthrough_starts "$?" 0
