#!/usr/bin/env bash
# The man pages under man/: each renders without a single groff or man
# warning (what lintian runs on a package), has a NAME section whatis can
# read, and names every option the tools' --help prints, so a new option
# cannot ship undocumented.
. "$(dirname "$0")/../lib.sh"
# These tests read the tools' --help; a leak at that exit (reported by
# LeakSanitizer in the ASan tree, which then drops the buffered text)
# is for the tools' own tests to find.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
MAN=$VGPU_ROOT/man
pages=(vgpu-run.1 vgpu-elfpatch.1 vgpu-run.rules.5)

for p in "${pages[@]}"; do
	f=$MAN/$p
	if [ ! -f "$f" ]; then fail "man_$p" "missing $f"; continue; fi
	if command -v groff >/dev/null; then
		w=$(groff -man -ww -z "$f" 2>&1)
		expect_eq "man_groff_warnings_$p" "$w" ""
	else
		skip "man_groff_warnings_$p" "groff not installed"
	fi
	if command -v man >/dev/null; then
		# lintian's own invocation (checks/documentation/manual.pm)
		w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
		expect_eq "man_warnings_$p" "$w" ""
	else
		skip "man_warnings_$p" "man not installed"
	fi
	if command -v lexgrog >/dev/null; then
		name=${p%.[0-9]}
		out=$(lexgrog "$f" 2>&1)
		case $out in
		*"\"$name - "*) pass "man_whatis_$p" ;;
		*) fail "man_whatis_$p" "lexgrog: $out" ;;
		esac
	else
		skip "man_whatis_$p" "lexgrog (man-db) not installed"
	fi
done

# Plain text of a page: no hyphenation, one long line per paragraph, so an
# option is never split across lines.
render() {
	groff -man -Tascii -rLL=2000n -rHY=0 -P-cbou "$1" 2>/dev/null
}

# Every -x and --long-option token a help text prints.
help_options() {
	grep -oE '(^|[^A-Za-z0-9-])(--[a-z][a-z0-9-]*|-[A-Za-z])([^A-Za-z0-9-]|$)' |
		grep -oE -- '--?[A-Za-z][A-Za-z0-9-]*' | sort -u
}

# options_documented NAME PAGE HELPTEXT
options_documented() {
	local name=$1 page=$2 help=$3 text opt missing="" n=0
	text=$(render "$MAN/$page")
	if [ -z "$text" ]; then fail "$name" "$page renders to nothing"; return; fi
	while IFS= read -r opt; do
		[ -n "$opt" ] || continue
		n=$((n + 1))
		grep -qE -- "(^|[^A-Za-z0-9-])$opt([^A-Za-z0-9-]|$)" <<<"$text" ||
			missing="$missing $opt"
	done < <(help_options <<<"$help")
	if [ "$n" = 0 ]; then fail "$name" "no options found in --help"
	elif [ -n "$missing" ]; then fail "$name" "$page lacks:$missing"
	else pass "$name"; fi
}

if ! command -v groff >/dev/null; then
	skip man_options "groff not installed"
	exit 0
fi
if run_help=$("$BIN/vgpu-run" --help 2>&1) &&
   report_help=$("$BIN/vgpu-run" report --help 2>&1); then
	options_documented man_options_vgpu_run vgpu-run.1 "$run_help"
	options_documented man_options_vgpu_run_report vgpu-run.1 "$report_help"
else
	fail man_options_vgpu_run "vgpu-run --help failed: $run_help"
fi
if ep_help=$("$BIN/vgpu-elfpatch" --help 2>&1); then
	options_documented man_options_vgpu_elfpatch vgpu-elfpatch.1 "$ep_help"
else
	fail man_options_vgpu_elfpatch "vgpu-elfpatch --help failed: $ep_help"
fi

# The page's version of the rules language: every directive the shipped
# rules use is described in vgpu-run.rules(5).
text=$(render "$MAN/vgpu-run.rules.5")
missing=""
for d in $(grep -hoE '^[a-z-]+' "$VGPU_ROOT"/rules/*.rules | sort -u); do
	grep -qE "^ +$d( |$)" <<<"$text" || missing="$missing $d"
done
expect_eq man_rules_directives "${missing# }" ""
