#!/usr/bin/env bash
# make bench: every bench/<area>.sh in turn, each printing its own table.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "### $(basename "$b" .sh)"
	bash "$b" "$build" || echo "($(basename "$b") failed: $?)"
	echo
done
