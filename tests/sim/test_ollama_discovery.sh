#!/usr/bin/env bash
# Ollama's discovery (driver by absolute path, runtime with the CUDA 12
# struct, NVML by UUID) sees exactly the configured device on every path.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

cat > "$T/rules" <<'R'
device name="Test GPU 7" uuid=GPU-0badc0de-1234-5678-9abc-def012345678 cc=8.6 memory=24GiB sms=84 pci=0000:41:00.0 cuda=12080
R
export VGPU_RULES=$T/rules
out=$("$BIN/vgpu-ollama-probe" "$SIMDIR" 2>&1)
rc=$?
expect_eq "ollama probe exit status" "$rc" 0
for api in driver runtime; do
	expect_eq "$api sees one device" "$(value $api.count <<<"$out")" 1
	expect_eq "$api name" "$(value $api.0.name <<<"$out")" "Test GPU 7"
	expect_eq "$api uuid" "$(value $api.0.uuid <<<"$out")" \
		GPU-0badc0de-1234-5678-9abc-def012345678
	expect_eq "$api compute capability" "$(value $api.0.cc <<<"$out")" 8.6
	expect_eq "$api total memory" "$(value $api.0.total <<<"$out")" $((24 << 30))
done
expect_eq "runtime SMs" "$(value runtime.0.sms <<<"$out")" 84
expect_eq "runtime PCI id" "$(value runtime.0.pci <<<"$out")" 0000:41:00.0
expect_eq "driver version from the rule" "$(value driver.version <<<"$out")" 12080
expect_eq "nvml total by UUID" "$(value nvml.0.total <<<"$out")" $((24 << 30))
expect_eq "nvml used" "$(value nvml.0.used <<<"$out")" 0

# The default (no rules at all) is one H100-class device.
unset VGPU_RULES
out=$("$BIN/vgpu-ollama-probe" "$SIMDIR" 2>&1)
expect_eq "default device" "$(value driver.0.name <<<"$out") $(value runtime.0.cc <<<"$out")" \
	"NVIDIA H100 80GB HBM3 9.0"
