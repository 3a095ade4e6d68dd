#!/usr/bin/env bash
# NVIDIA's toolkit libraries start on the simulated GPU under vgpu-run:
# each small program here (tests/toolkit/*.c, declaring the few functions
# it calls) is linked against the toolkit's library and run as
#   timeout 60 vgpu-run --backend sim -o NAME.vgpu -- PROG
# It either passes, or fails with a named error that the trace report
# explains; it never hangs and never crashes.  The programs are linked
# as users link them, the library before libcuda (NEEDED order); the
# runtime one is built by nvcc.
. "$(dirname "$0")/../lib.sh"

CUDA=${CUDA_HOME:-/usr/local/cuda}
LIB=$CUDA/lib64
SRC=$VGPU_ROOT/tests/toolkit
if [ ! -e "$LIB/stubs/libcuda.so" ]; then
	skip toolkit "no CUDA toolkit at $CUDA (need $LIB/stubs/libcuda.so)"
	exit 0
fi
export VGPU_SIM_STATE=$T/sim-state
unset VGPU_RULES VGPU_SIM_DEBUG
printf 'sim launch=noop\n' >"$T/noop.rules"
printf 'device\ndevice\nsim launch=noop\n' >"$T/two.rules"
: >"$T/none.rules"

# build NAME LIBRARY: tests/toolkit/NAME.c linked with -lLIBRARY -lcuda.
build() {
	if [ ! -e "$LIB/lib$2.so" ]; then
		skip "$1" "no lib$2.so in $LIB"
		return 1
	fi
	cc_test "$T/$1" "$SRC/$1.c" -L"$LIB/stubs" -L"$LIB" -Wl,-rpath,"$LIB" \
		-Wl,--no-as-needed -l"$2" -lcuda || { fail "$1" "does not build"; return 1; }
}

# run TAG RULES PROG ARGS...: the program under vgpu-run on the sim, then
# the report of its trace.  Leaves $T/TAG.out (stdout and stderr),
# $T/TAG.report and the status in $rc.
run() {
	local tag=$1 rules=$2; shift 2
	timeout 60 "$BIN/vgpu-run" --backend sim --rules "$rules" -o "$T/$tag.vgpu" \
		-- "$@" >"$T/$tag.out" 2>&1
	rc=$?
	"$BIN/vgpu-run" report "$T/$tag.vgpu" >"$T/$tag.report" 2>&1 ||
		echo "(vgpu-run report exited $?)" >>"$T/$tag.report"
}

# Never a hang (timeout's 124) nor a death by signal (the report's
# process list says how each process ended); and a report.
sane() {
	if [ "$rc" = 124 ] || grep -q 'killed by' "$T/$1.report" ||
	   { [ "$rc" -gt 128 ] && ! grep -q ": exited $rc;" "$T/$1.report"; }; then
		fail "$1: no hang, no crash" "exit $rc"
		tail -n 5 "$T/$1.out" | sed 's/^/    /'
		return
	fi
	pass "$1: no hang, no crash (exit $rc)"
	if grep -q '^trace complete' "$T/$1.report"; then
		pass "$1: the report reads the whole trace"
	else
		fail "$1: the report reads the whole trace" "$(head -n 5 "$T/$1.report")"
	fi
}

# passes TAG LINE...: exit 0, each LINE printed by the program.
passes() {
	local tag=$1 line missing=; shift
	sane "$tag"
	for line in "$@"; do
		grep -qxF "$line" "$T/$tag.out" || missing="$missing [$line]"
	done
	if [ "$rc" = 0 ] && [ -z "$missing" ]; then
		pass "$tag: starts on the simulated GPU"
	else
		fail "$tag: starts on the simulated GPU" "exit $rc, missing:$missing"
		grep -v 'cuGetProcAddress' "$T/$tag.out" | tail -n 6 | sed 's/^/    /'
	fi
}

# -- libraries that initialise today --

if build cudnn cudnn; then
	run cudnn "$T/none.rules" "$T/cudnn"
	passes cudnn "cudnnCreate 0 CUDNN_STATUS_SUCCESS" "cudnnDestroy 0"
fi

if build curand curand; then
	run curand "$T/none.rules" "$T/curand"
	passes curand "curandCreateGenerator 0" "curandDestroyGenerator 0"
fi

if build nvrtc nvrtc; then
	launch='cuLaunchKernel(f, 4, 1, 1, 256, 1, 1, 0, NULL, params, NULL)'
	run nvrtc "$T/noop.rules" "$T/nvrtc"
	passes nvrtc "cuModuleGetFunction(&f, mod, \"scale\") 0" "$launch 0"
	n=$(awk '$NF == "cuLaunchKernel" {print $3 "/" $4}' "$T/nvrtc.report")
	expect_eq "nvrtc: the report counts one launch, no error" "$n" "1/0"
	# Without the rule the launch is refused, by name, with the sim's note.
	run nvrtc-run "$T/none.rules" "$T/nvrtc"
	sane nvrtc-run
	if grep -qxF "$launch 801" "$T/nvrtc-run.out" &&
	   grep -q 'runs no kernels' "$T/nvrtc-run.out" "$T/nvrtc-run.report"; then
		pass "nvrtc-run: a launch without launch=noop is CUDA_ERROR_NOT_SUPPORTED, explained"
	else
		fail "nvrtc-run: a launch without launch=noop is CUDA_ERROR_NOT_SUPPORTED, explained" \
			"exit $rc: $(tail -n 2 "$T/nvrtc-run.out")"
	fi

	# The occupancy calculator: answers consistent with the device's and
	# the kernel's attributes (nvrtc.c checks them), on two devices
	# whose SMs differ.
	run occupancy "$T/noop.rules" "$T/nvrtc" occupancy
	passes occupancy "cuOccupancyMaxPotentialBlockSize(&grid, &block, f, NULL, 0, 0) 0"
	printf 'device cc=8.6 sms=84\nsim launch=noop\n' >"$T/ga102.rules"
	run occupancy-86 "$T/ga102.rules" "$T/nvrtc" occupancy
	# 1536 threads per SM on compute capability 8.6: two blocks of 768.
	passes occupancy-86 "potential block 768 grid 168"
fi

# -- libraries whose start-up needed new pieces of the sim --

if build cufft cufft; then
	run cufft "$T/none.rules" "$T/cufft"
	passes cufft "cufftPlan1d 0" "cufftDestroy 0"
fi

if build cupti cupti; then
	# CUPTI subscribes to the driver's callbacks, which the sim does not
	# have: a named failure, explained where the trace's notes go.
	run cupti "$T/none.rules" "$T/cupti"
	sane cupti
	expect_eq "cupti: cuptiSubscribe fails with CUPTI_ERROR_UNKNOWN" \
		"$(grep '^cuptiSubscribe ' "$T/cupti.out")" "cuptiSubscribe 999 CUPTI_ERROR_UNKNOWN"
	if grep -q 'cuGetExportTable 2c8e0ad8-0710-ab4e-90dd-54719fe5f74b (tools callbacks): CUDA_ERROR_NOT_FOUND, .*CUPTI' \
		"$T/cupti.out" "$T/cupti.report"; then
		pass "cupti: the refused table is named, with what it costs"
	else
		fail "cupti: the refused table is named, with what it costs" "no note"
	fi
	# An unknown table is a probe, not an error; the one line that
	# explains this failure is the simulator's note on that call.
	if grep -q '^\* the simulator says in cuGetExportTable: .*2c8e0ad8-0710-ab4e-90dd-54719fe5f74b (tools callbacks)' "$T/cupti.report"; then
		pass "cupti: the report's diagnosis names the failed cuGetExportTable"
	else
		fail "cupti: the report's diagnosis names the failed cuGetExportTable" \
			"$(sed -n '/== Diagnosis/,/^$/p' "$T/cupti.report")"
	fi
fi

# -- libraries whose kernels come as compressed fat binaries --

# alone TAG PROG LINE...: PROG on the sim's libraries without vgpu-run
# (LD_LIBRARY_PATH), where every driver entry point the library resolves
# with dlsym must be the sim driver's own: exit 0, each LINE printed.
alone() {
	local tag=$1 prog=$2 line missing=; shift 2
	LD_LIBRARY_PATH=$LIBDIR/sim timeout 60 "$prog" >"$T/$tag.alone" 2>&1
	rc=$?
	for line in "$@"; do
		grep -qxF "$line" "$T/$tag.alone" || missing="$missing [$line]"
	done
	if [ "$rc" = 0 ] && [ -z "$missing" ]; then
		pass "$tag: starts on the sim driver alone"
	else
		fail "$tag: starts on the sim driver alone" "exit $rc, missing:$missing"
		tail -n 4 "$T/$tag.alone" | sed 's/^/    /'
	fi
}

if build cublas cublas; then
	run cublas "$T/none.rules" "$T/cublas"
	passes cublas "cublasCreate 0" "cublasDestroy 0"
	grep -q '^cublasGetVersion 0 [1-9]' "$T/cublas.out" &&
		pass "cublas: cublasGetVersion" || fail "cublas: cublasGetVersion" "$(grep cublasGetVersion "$T/cublas.out")"
	alone cublas "$T/cublas" "cublasCreate 0" "cublasDestroy 0"
fi

if build cublaslt cublasLt; then
	run cublaslt "$T/none.rules" "$T/cublaslt"
	passes cublaslt "cublasLtCreate 0" "cublasLtDestroy 0"
	alone cublaslt "$T/cublaslt" "cublasLtCreate 0" "cublasLtDestroy 0"
fi

if build nccl nccl; then
	run nccl-1 "$T/none.rules" "$T/nccl" 1
	passes nccl-1 "ncclCommInitAll 1 0 no error" "ncclCommDestroy 0"
	run nccl-2 "$T/two.rules" "$T/nccl" 2
	passes nccl-2 "ncclCommInitAll 2 0 no error" "ncclCommDestroy 0"
fi

# -- the runtime's kernel attributes (llama.cpp's ggml asks them) --

if [ ! -x "$CUDA/bin/nvcc" ]; then
	skip funcattr "no nvcc in $CUDA/bin"
elif ! "$CUDA/bin/nvcc" -arch=sm_90 --cudart shared -Xptxas -v -o "$T/funcattr" \
	"$SRC/funcattr.cu" >"$T/nvcc.log" 2>&1; then
	fail funcattr "nvcc: $(tail -n 3 "$T/nvcc.log")"
else
	# As llama.cpp's ggml-cuda meets it: linked straight to the sim's
	# runtime, without vgpu-run.
	out=$(LD_LIBRARY_PATH=$LIBDIR/sim timeout 60 "$T/funcattr" 2>&1)
	expect_eq "funcattr: on the sim's runtime alone" "$(tail -n 1 <<<"$out")" \
		"cudaFuncGetAttributes(not a kernel) cudaErrorInvalidDeviceFunction"
	run funcattr "$T/none.rules" "$T/funcattr"
	passes funcattr "cudaFuncGetAttributes(not a kernel) cudaErrorInvalidDeviceFunction"
	# The runtime's attributes are the driver's: the default device is
	# compute capability 9.0.
	grep -q '^cudaFuncGetAttributes 0 maxThreadsPerBlock [1-9][0-9]* numRegs [1-9][0-9]* binaryVersion 90 ' \
		"$T/funcattr.out" && pass "funcattr: attributes of the kernel" ||
		fail "funcattr: attributes of the kernel" "$(grep -m1 '^cudaFuncGetAttributes' "$T/funcattr.out")"
	# Registers, static shared memory and stack frame are the cubin's:
	# what ptxas reported when it built the kernel (-Xptxas -v).
	ptxas() {	# ptxas MANGLED: "registers R smem S stack F"
		awk -v k="'$1'" '
			/Compiling entry function/ { on = index($0, k) > 0 }
			on && /bytes stack frame/ { f = $1 }
			on && /Used [0-9]+ registers/ {
				for (i = 1; i <= NF; i++) {
					if ($(i + 1) == "registers,") r = $i
					if ($(i + 1) == "bytes" && $(i + 2) == "smem") s = $i
				}
				printf "registers %d smem %d stack %d", r, s, f; exit
			}' "$T/nvcc.log"
	}
	expect_eq "funcattr: a kernel's registers, shared memory and stack are ptxas's" \
		"$(sed -n 's/^resources heavy 0 \(.*\) maxThreadsPerBlock .*/\1/p' "$T/funcattr.out")" \
		"$(ptxas _Z5heavyPfi)"
	expect_eq "funcattr: __cluster_dims__(2, 1, 1) is the required cluster, to be set" \
		"$(grep '^clusters ' "$T/funcattr.out" | tr '\n' ';')" \
		"clusters clustered 0 must be set 1 required 2 1 1;clusters bounded 0 must be set 0 required 0 0 0;"
	expect_eq "funcattr: __launch_bounds__(256) limits maxThreadsPerBlock" \
		"$(grep '^resources bounded ' "$T/funcattr.out")" \
		"resources bounded 0 $(ptxas _Z7boundedPf) maxThreadsPerBlock 256"
fi
