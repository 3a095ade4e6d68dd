#!/usr/bin/env bash
# Two configured devices: driver, runtime and NVML enumerate them in the
# same order with the same UUID, PCI id, memory, name and capability.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

cat > "$T/rules" <<'R'
device name="Sim A100" cc=8.0 memory=40GiB sms=108 pci=0000:07:00.0
device name="Sim L4" cc=8.9 memory=24GiB sms=58 pci=0000:82:00.0
R
export VGPU_RULES=$T/rules
out=$(LD_LIBRARY_PATH=$SIMDIR "$SIM_CHECK" enum 2>&1) || fail "enumerate" "$out"
for api in driver runtime nvml; do
	expect_eq "$api count" "$(grep -c "^$api " <<<"$out")" 2
done
d=$(sed -n 's/^driver //p' <<<"$out")
expect_eq "runtime lists what the driver lists" "$(sed -n 's/^runtime //p' <<<"$out")" "$d"
expect_eq "NVML lists what the driver lists" "$(sed -n 's/^nvml //p' <<<"$out")" "$d"
expect_eq "device 1 as configured" "$(sed -n 's/^driver 1 [0-9a-f]* //p' <<<"$out")" \
	"0000:82:00.0 $((24 << 30)) Sim L4 8.9"
u0=$(awk '$1=="driver" && $2==0 {print $3}' <<<"$out")
u1=$(awk '$1=="driver" && $2==1 {print $3}' <<<"$out")
if [ -n "$u0" ] && [ "$u0" != "$u1" ]; then pass "distinct UUIDs"; else fail "distinct UUIDs" "$u0 $u1"; fi
