# Shared by tests/sim/test_*.sh: builds sim_check and isolates the
# simulator's cross-process accounting in the test's temp dir.
SIMDIR=$LIBDIR/sim
export VGPU_SIM_STATE=$T/sim-state
unset VGPU_RULES VGPU_SIM_DEBUG
if [ ! -e "$SIMDIR/libcuda.so.1" ]; then
	skip sim "no $SIMDIR/libcuda.so.1 (build first)"
	exit 0
fi
SIM_CHECK=$T/sim_check
cc_test "$SIM_CHECK" "$VGPU_ROOT/tests/sim/sim_check.c" -ldl || {
	fail sim_check "cannot build tests/sim/sim_check.c"
	exit 1
}
# value KEY < key=value lines
value() { sed -n "s/^$1=//p"; }
