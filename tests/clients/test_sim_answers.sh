#!/usr/bin/env bash
# The sim answers the Python clients needed (see sim_answers.c), checked
# without PyPI: on the sim libraries directly and under vgpu-run.
. "$(dirname "$0")/../lib.sh"
sim=$VGPU_BUILD/lib/vgpu/sim
[ -r "$sim/libcuda.so.1" ] || { skip "sim answers" "$sim not built"; exit 0; }
cc_test "$T/answers" "$VGPU_ROOT/tests/clients/sim_answers.c" -ldl
want="capturing=0,0
host_attributes=0,0,-2
device_attributes=0,2,0
entry_point=500,null,1,last=500
vmm_entry_point=0,0,last=0,call=801
write_value=0,0xc0ffee
runtime_interface=0,slot12=0"
expect_eq "sim answers, libraries on their own" \
	"$(LD_LIBRARY_PATH=$sim timeout 30 "$T/answers" 2>&1)" "$want"
expect_eq "sim answers, under vgpu-run --backend sim" \
	"$(timeout 60 "$BIN/vgpu-run" --backend sim -- "$T/answers" 2>&1)" "$want"
