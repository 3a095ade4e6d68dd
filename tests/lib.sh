# Sourced by every tests/**/test_*.sh.  Gives:
#   $VGPU_ROOT $VGPU_BUILD $BIN $LIBDIR $T (a private temp dir, removed at exit)
#   pass NAME / fail NAME WHY / skip NAME WHY   (one result line each)
#   check NAME CMD...        pass when CMD succeeds, else fail with its output
#   expect_eq NAME GOT WANT  pass when equal, else fail showing both
#   need_root NAME / need_cmd NAME CMD   skip the caller's test when missing
#   cc_test OUT SRC [ARGS]   compile a test program with the project flags
set -u
: "${VGPU_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${VGPU_BUILD:=$VGPU_ROOT/build}"
: "${VGPU_SAN:=0}"
BIN=$VGPU_BUILD/bin
LIBDIR=$VGPU_BUILD/lib/vgpu
T=$(mktemp -d /tmp/vgpu-t.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; }
skip() { echo "SKIP $1: $2"; }

check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then pass "$name"; else
		fail "$name" "command failed: $*"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1" "got [$2], want [$3]"
	fi
}

is_root() { [ "$(id -u)" = 0 ]; }

# cc_test OUT SRC [more cc args]: builds a helper program for a test.
cc_test() {
	local out=$1 src=$2; shift 2
	${CC:-cc} -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
		-I"$VGPU_ROOT/common" -o "$out" "$src" "$@"
}
