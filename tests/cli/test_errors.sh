#!/usr/bin/env bash
# Every mistake in options, rules, backends and file names is said before
# the program starts: exit 2, one line naming the option (or FILE:LINE)
# and what is wrong, then the Try line, as coreutils and strace do; the
# program never runs and no output file is left behind.
. "$(dirname "$0")/../lib.sh"
run=$BIN/vgpu-run
marker=$T/ran
try="Try 'vgpu-run --help' for more information."

# refused NAME FIRST-LINE ARGS...: vgpu-run ARGS -- (a program that would
# make $marker) exits 2 printing exactly FIRST-LINE and the Try line.
refused() {
	local name=$1 want=$2; shift 2
	rm -f "$marker"
	timeout 30 "$run" "$@" -- /bin/sh -c "touch '$marker'" >"$T/out" 2>"$T/err"
	local rc=$? ran=no
	[ -e "$marker" ] && ran=yes
	local got
	got=$(cat "$T/err")
	if [ "$rc" = 2 ] && [ "$ran" = no ] && [ "$got" = "vgpu-run: $want
$try" ]; then
		pass "$name"
	else
		fail "$name" "rc=$rc ran=$ran stderr=[$(head -c 600 "$T/err")] want [vgpu-run: $want]"
	fi
}

# Rules: names are checked against what the interposer knows.
refused inject_unknown_error_name \
	"--rule:1: inject cuMemAlloc_v2: error=NOPE: not a CUresult name (CUDA_ERROR_OUT_OF_MEMORY, ...) or a decimal number" \
	--rule 'inject cuMemAlloc_v2 error=NOPE'
refused inject_error_of_another_api \
	"--rule:1: inject cuMemAlloc_v2: error=cudaErrorMemoryAllocation: not a CUresult name (CUDA_ERROR_OUT_OF_MEMORY, ...) or a decimal number" \
	--rule 'inject cuMemAlloc_v2 error=cudaErrorMemoryAllocation'
refused inject_runtime_error_for_nvml \
	"--rule:1: inject nvmlInit_v2: error=cudaErrorUnknown: not a nvmlReturn_t name (NVML_ERROR_NOT_SUPPORTED, ...) or a decimal number" \
	--rule 'inject nvmlInit_v2 error=cudaErrorUnknown'
refused inject_unknown_function \
	"--rule:1: inject cuMemAloc_v2: no such function in the CUDA driver, runtime or NVML APIs that vgpu-run interposes" \
	--rule 'inject cuMemAloc_v2 error=CUDA_ERROR_OUT_OF_MEMORY'
refused inject_not_an_api_function \
	"--rule:1: inject: 'malloc' is not a CUDA driver (cu...), runtime (cuda...) or NVML (nvml...) function name" \
	--rule 'inject malloc error=2'
refused inject_without_error \
	"--rule:1: inject cuInit: error= is missing: write inject FUNC error=NAME [when=N] [every=N] (inject cuMemAlloc_v2 error=CUDA_ERROR_OUT_OF_MEMORY)" \
	--rule 'inject cuInit when=2'
refused redirect_says_what_a_rule_looks_like \
	"--rule:1: redirect: expected redirect PATTERN PATH (redirect libcuda.so.1 /opt/vgpu/libcuda.so.1), got 1 word" \
	--rule 'redirect libcuda.so.1'
printf '# fine\nbackend sim\ninject cuInit error=CUDA_ERROR_BOGUS\n' >"$T/bad.rules"
refused rules_file_names_file_and_line \
	"$T/bad.rules:3: inject cuInit: error=CUDA_ERROR_BOGUS: not a CUresult name (CUDA_ERROR_OUT_OF_MEMORY, ...) or a decimal number" \
	--rules "$T/bad.rules"
refused rules_directory "$T: is a directory" --rules "$T"

# Backends and real libraries: a misspelt name, a missing file.
refused backend_unknown_name \
	"--backend:1: unknown backend 'simm': sim, passthrough or the path of a handler library (with a '/': ./simm)" \
	--backend simm
refused backend_api_unknown_name \
	"--backend:1: unknown backend 'simm': sim, passthrough or the path of a handler library (with a '/': ./simm)" \
	--backend cuda=simm
refused backend_missing_file "--backend:1: $T/none/libcuda.so.1: No such file or directory" \
	--backend "cuda=$T/none/libcuda.so.1"
refused real_lib_missing_file "--real-lib:1: $T/none/libcuda.so.1: No such file or directory" \
	--real-lib "$T/none/libcuda.so.1"
echo 'int unrelated(void) { return 0; }' >"$T/x.c"
cc -shared -fPIC -o "$T/libx.so" "$T/x.c"
refused real_lib_of_another_api \
	"--real-lib:1: real-lib cuda=$T/libx.so: not a cuda library (it exports none of the API's entry points)" \
	--real-lib "cuda=$T/libx.so"

# Options.
refused unknown_option_two_lines "unrecognized option '--bogus'" --bogus
refused unknown_short_option "invalid option -- 'x'" -x
refused report_empty_name "--report: empty file name" --report ''
refused trace_empty_name "-o: empty file name" -o ''
# (As root the line says how to have the directory made.)
refused trace_in_missing_directory "$T/none/app.vgpu: No such file or directory$(is_root &&
	echo " (as root, --trace-owner USER has $T/none made, mode 0750, for USER)")" \
	-o "$T/none/app.vgpu"
rm -f "$marker"
timeout 30 "$run" >"$T/out" 2>"$T/err"
expect_eq no_program_given "$? $(cat "$T/err")" "2 vgpu-run: no program given: vgpu-run [OPTIONS] -- PROGRAM [ARGS...]
$try"

# A refusal found after the output paths were checked leaves no output
# behind: a second try with the mistake fixed is not told the trace exists.
refused bad_backend_with_outputs \
	"--backend:1: unknown backend 'simm': sim, passthrough or the path of a handler library (with a '/': ./simm)" \
	-o "$T/app.vgpu" --report "$T/app.txt" --backend simm
if [ -e "$T/app.vgpu" ] || [ -e "$T/app.txt" ]; then
	fail refusal_leaves_no_output "$(ls "$T"/app.*)"
else
	pass refusal_leaves_no_output
fi

# The rules still accepted: names of each API, numbers.
rm -f "$marker"
timeout 30 "$run" --backend sim \
	--rule 'inject cuMemAlloc_v2 error=CUDA_ERROR_OUT_OF_MEMORY when=1' \
	--rule 'inject cudaMalloc error=cudaErrorMemoryAllocation' \
	--rule 'inject nvmlInit_v2 error=NVML_ERROR_UNKNOWN' \
	--rule 'inject cuInit error=999' -- /bin/sh -c "touch '$marker'" 2>"$T/err"
expect_eq good_inject_rules_run "$? $([ -e "$marker" ] && echo ran) $(cat "$T/err")" "0 ran "
