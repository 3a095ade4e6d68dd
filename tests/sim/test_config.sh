#!/usr/bin/env bash
# Where the simulator's configuration comes from (/.vgpu/config served by
# vgpu-run, else $VGPU_RULES, else one default device), and what a bad
# rule does: one line naming file and line, and no device.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

# $VGPU_RULES
printf '# two lines\ndevice name="From File" memory=3GiB\n' > "$T/rules"
out=$(VGPU_RULES=$T/rules "$BIN/vgpu-ollama-probe" "$SIMDIR" 2>&1)
expect_eq "device from \$VGPU_RULES" "$(value driver.0.name <<<"$out") $(value nvml.0.total <<<"$out")" \
	"From File $((3 << 30))"

# A bad rule: the message names the file and line; no device is made up.
printf 'device name=X\ndevice memory=lots\n' > "$T/bad"
out=$(VGPU_RULES=$T/bad "$BIN/vgpu-ollama-probe" "$SIMDIR" 2>&1)
rc=$?
msg=$(grep -m1 '^vgpu-sim:' <<<"$out")
case $msg in
"vgpu-sim: $T/bad:2: "*) pass "bad rule reported as FILE:LINE" ;;
*) fail "bad rule reported as FILE:LINE" "$msg" ;;
esac
expect_eq "bad rules leave no device (cuInit: CUDA_ERROR_NO_DEVICE)" \
	"$rc $(grep -c '^error=driver init 100' <<<"$out")" "1 1"
printf 'sim launch=maybe\n' > "$T/bad2"
out=$(VGPU_RULES=$T/bad2 "$BIN/vgpu-ollama-probe" "$SIMDIR" 2>&1)
expect_eq "bad sim rule" "$(grep -m1 '^vgpu-sim:' <<<"$out")" \
	"vgpu-sim: $T/bad2:1: sim launch=maybe: expected noop or unsupported"

if [ ! -x "$BIN/vgpu-run" ]; then skip "config through vgpu-run" "no $BIN/vgpu-run"; exit 0; fi
# Under vgpu-run the rules arrive as /.vgpu/config and win over the
# environment.
out=$(VGPU_RULES=$T/rules "$BIN/vgpu-run" --no-default-rules \
	--rule 'device name="Via Supervisor" cc=7.5 memory=2GiB' \
	--redirect "libcuda.so*=$SIMDIR/libcuda.so.1" \
	--redirect "libcudart.so.13*=$SIMDIR/libcudart.so.13" -- "$BIN/vgpu-devquery" 2>&1)
rc=$?
expect_eq "devquery under vgpu-run exits 0" "$rc" 0
expect_eq "driver sees the served config" \
	"$(grep -c 'driver API.*1 device' <<<"$out") $(grep -c 'device 0: Via Supervisor, compute 7.5, 2048 MiB' <<<"$out")" "1 2"

# Two processes under one vgpu-run share the accounting although each is
# served its own copy of the config: NVML in one sees the other's memory.
# (The default state file, named after the devices; a unique name keeps
# concurrent test runs apart.)
unset VGPU_SIM_STATE
uniq="Shared $$ $RANDOM"
cat > "$T/pair.sh" <<S
"$SIM_CHECK" hold $((128 << 20)) < "$T/pair.in" > "$T/pair.out" &
exec 3> "$T/pair.in"
for _ in \$(seq 200); do grep -q held "$T/pair.out" && break; sleep 0.05; done
"$SIM_CHECK" nvml-used | head -1
exec 3>&-
wait
S
mkfifo "$T/pair.in"
before=$(ls /dev/shm/vgpu-sim-* 2>/dev/null)
out=$("$BIN/vgpu-run" --no-default-rules --rule "device name=\"$uniq\" memory=1GiB" \
	--redirect "libcuda.so*=$SIMDIR/libcuda.so.1" \
	--redirect "libnvidia-ml.so*=$SIMDIR/libnvidia-ml.so.1" -- bash "$T/pair.sh" 2>&1)
expect_eq "accounting shared by processes under vgpu-run" "$out" "used $((128 << 20))"
# Remove the state file this test created, and only that one.
comm -13 <(echo "$before") <(ls /dev/shm/vgpu-sim-* 2>/dev/null) | xargs -r rm -f
