#!/usr/bin/env bash
# Bash completion (completion/): sourced into a bash without the
# bash-completion package, each function completes options read from the
# tool's --help, option values and the report subcommand.
. "$(dirname "$0")/../lib.sh"
# These tests read the tools' --help; a leak at that exit (reported by
# LeakSanitizer in the ASan tree, which then drops the buffered text)
# is for the tools' own tests to find.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
COMP=$VGPU_ROOT/completion

# complete_words FILE FUNC WORD...: COMPREPLY, one a line, for the last
# WORD being completed, in a fresh bash (nothing leaks between cases).
complete_words() {
	local file=$1 func=$2; shift 2
	bash --norc --noprofile -c '
		file=$1 func=$2; shift 2
		. "$file" || exit 1
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$func" || exit 1
		printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$func" "$@"
}

# has NAME WANT GOT: pass when WANT is one of GOT's lines
has() {
	if grep -qxF -- "$2" <<<"$3"; then pass "$1"; else
		fail "$1" "want [$2] among [$(tr '\n' ' ' <<<"$3")]"
	fi
}

got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" --ba)
expect_eq completion_run_backend "$got" "--backend"
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" --trace-)
has completion_run_trace_syscalls --trace-syscalls "$got"
has completion_run_trace_export --trace-export-tables "$got"
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" --backend s)
expect_eq completion_run_backend_value "$got" "sim"
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" --backend cudart=pa)
expect_eq completion_run_backend_api_value "$got" "cudart=passthrough"
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" rep)
expect_eq completion_run_report_word "$got" "report"
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" report --f)
expect_eq completion_report_format_opt "$got" "--format"
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" report --format j)
expect_eq completion_report_format_value "$got" "json"

mkdir -p "$T/dir" && touch "$T/dir/app.vgpu"
got=$(cd "$T/dir" && complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" -o ap)
expect_eq completion_run_output_file "$got" "app.vgpu"
# After "--" the words belong to the program: no vgpu-run option there.
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" -- --ba)
if grep -qx -- --backend <<<"$got"; then
	fail completion_run_after_dashdash "offered --backend to the program"
else pass completion_run_after_dashdash; fi

# Every option --help prints is offered for "-".
all=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" -)
opts=$("$BIN/vgpu-run" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
missing=""
for o in $opts; do
	grep -qxF -- "$o" <<<"$all" || missing="$missing $o"
done
[ -n "$opts" ] || missing="(no options in --help)"
expect_eq completion_run_all_options "${missing# }" ""

got=$(complete_words "$COMP/vgpu-elfpatch" _vgpu_elfpatch "$BIN/vgpu-elfpatch" --print-s)
expect_eq completion_elfpatch_option "$got" "--print-soname"
got=$(complete_words "$COMP/vgpu-elfpatch" _vgpu_elfpatch "$BIN/vgpu-elfpatch" --replace-)
expect_eq completion_elfpatch_replace "$got" "--replace-needed"
all=$(complete_words "$COMP/vgpu-elfpatch" _vgpu_elfpatch "$BIN/vgpu-elfpatch" --)
opts=$("$BIN/vgpu-elfpatch" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
missing=""
for o in $opts; do
	grep -qxF -- "$o" <<<"$all" || missing="$missing $o"
done
[ -n "$opts" ] || missing="(no options in --help)"
expect_eq completion_elfpatch_all_options "${missing# }" ""

# The files are registered for the commands' names, as bash-completion's
# lazy loader expects (it sources completions/NAME for command NAME).
for f in vgpu-run vgpu-elfpatch; do
	reg=$(bash --norc --noprofile -c '. "$1"; complete -p "$2"' _ "$COMP/$f" "$f" 2>&1)
	case $reg in
	"complete -F "*" $f") pass "completion_registered_$f" ;;
	*) fail "completion_registered_$f" "$reg" ;;
	esac
done

# File names with blanks stay one word.
touch "$T/dir/my trace.vgpu"
got=$(cd "$T/dir" && complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" report my)
expect_eq completion_report_file_with_blank "$got" "my trace.vgpu"
got=$(complete_words "$COMP/vgpu-run" _vgpu_run "$BIN/vgpu-run" --backend "nvml=$T/dir/my")
expect_eq completion_run_backend_api_path "$got" "nvml=$T/dir/my trace.vgpu"
