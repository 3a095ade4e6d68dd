#!/usr/bin/env bash
# Call sites: the first call from each return address records its stack,
# later ones carry the same id, and the text report names the caller.
. "$(dirname "$0")/../lib.sh"
here=$VGPU_ROOT/tests/interpose
cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$T/libcuda.so.1" \
	"$here/counting_driver.c" -Wl,-soname,libcuda.so.1 -lpthread
cc_test "$T/client" "$here/callsite_client.c" -L"$T" -l:libcuda.so.1
"$BIN/vgpu-run" --backend cuda="$T/libcuda.so.1" -o "$T/cs.trc" -- "$T/client" \
	2>"$T/err"
expect_eq client_status $? 0
"$BIN/vgpu-run" report "$T/cs.trc" >"$T/report.txt" 2>&1
sites=$(sed -n '/^== Call sites/,/^==/p' "$T/report.txt")
# The first frame of each site is the caller: start_driver calls cuInit
# once, ask_version calls cuDriverGetVersion five times from one site.
check callsite_names_start_driver grep -A1 -q 'call(s), first cuInit ' <<<"$sites"
expect_eq callsite_cuInit_caller \
	"$(grep -A1 'first cuInit ' <<<"$sites" | sed -n 2p | grep -o '(start_driver+0x[0-9a-f]*)' | cut -d+ -f1)" \
	"(start_driver"
expect_eq callsite_loop_one_site_five_calls \
	"$(grep -c '5 call(s), first cuDriverGetVersion ' <<<"$sites")" 1
expect_eq callsite_loop_caller \
	"$(grep -A1 'first cuDriverGetVersion ' <<<"$sites" | sed -n 2p | grep -o '(ask_version+0x[0-9a-f]*)' | cut -d+ -f1)" \
	"(ask_version"
check callsite_stack_reaches_main grep -q '(main+0x' <<<"$sites"
