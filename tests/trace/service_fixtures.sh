# Shared by the tests of traces for services: a driver that counts calls,
# a client that makes them, and vgpu-run under a timeout.
ip=$VGPU_ROOT/tests/interpose
chmod 0755 "$T"
cc -shared -fPIC -O1 -o "$T/libcuda.so.1" "$ip/counting_driver.c" -Wl,-soname,libcuda.so.1 -lpthread &&
	cc_test "$T/client" "$ip/drv_client.c" -L"$T" -l:libcuda.so.1 -lpthread -Wl,-rpath,"$T" ||
	{ fail build "counting driver and client"; exit 1; }
chmod 0755 "$T/libcuda.so.1" "$T/client"

vrun() { timeout 120 "$BIN/vgpu-run" --backend "cuda=$T/libcuda.so.1" "$@"; }

# calls_in FILE: the cuCtxGetDevice calls report counts in FILE.
calls_in() {
	"$BIN/vgpu-run" report --format summary "$1" 2>/dev/null |
		awk '$NF == "cuCtxGetDevice" { print $3; found=1 } END { if (!found) print 0 }'
}

# unfinished_in FILE: calls whose exit is not in FILE ("never returned").
unfinished_in() {
	"$BIN/vgpu-run" report "$1" 2>/dev/null |
		sed -n 's/^[0-9]* calls, [0-9]* failed, \([0-9]*\) .*/\1/p'
}

is_zstd() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')" = 28b52ffd ]; }
