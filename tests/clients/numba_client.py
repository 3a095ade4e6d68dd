"""numba-cuda against the configured devices: cuda.detect(), the device
list and attributes, to_device/copy_to_host round trips, device-to-device
copies, memory information, and an ordinal past the last device."""
import io
import contextlib

import numpy as np
from numba import cuda

from conform import (check, compare_views, devices_from_rules, exercised,
                     finish, nvml_view, same, step)


def view(n):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok = cuda.detect()
    check("numba: cuda.detect() finds the devices", bool(ok), out.getvalue()[-300:])
    text = out.getvalue()
    same("numba: cuda.detect() summary", "%d/%d devices are supported" % (n, n) in text, True)
    views = []
    for g in cuda.gpus:
        with g:
            d = cuda.get_current_device()
            name = d.name.decode() if isinstance(d.name, bytes) else d.name
            views.append({"name": name, "uuid": d.uuid, "cc": tuple(d.compute_capability),
                          "sms": d.MULTIPROCESSOR_COUNT,
                          "memory": cuda.current_context().get_memory_info().total})
            check("numba: cuda.detect() lists %s" % name, name in text)
    try:
        cuda.select_device(n)
        check("numba: select_device(%d) (past the last) fails" % n, False, "it succeeded")
    except Exception as e:  # noqa: BLE001 - numba raises its own CudaSupportError/CudaAPIError
        check("numba: select_device(%d) (past the last) fails" % n, True)
        print("     (%s: %s)" % (type(e).__name__, e))
    exercised("cuda.detect, device attributes")
    return views


def memory():
    with cuda.gpus[1]:
        ctx = cuda.current_context()
        free0 = ctx.get_memory_info().free
        a = np.arange(1 << 20, dtype=np.int32) * 7
        d = cuda.to_device(a)
        check("numba: free memory drops by the allocation", free0 - ctx.get_memory_info().free >= a.nbytes)
        check("numba: to_device -> copy_to_host byte-exact", np.array_equal(d.copy_to_host(), a))
        e = cuda.device_array_like(d)
        e.copy_to_device(d)
        check("numba: device -> device copy byte-exact", np.array_equal(e.copy_to_host(), a))
        del d, e
        exercised("to_device/device_array/copy_to_host, memory info")


def main():
    devs = devices_from_rules()
    views = {"numba": step("numba: device queries", view,
                           len(devs) if devs else len(cuda.gpus)) or []}
    step("numba: memory", memory)
    views["nvml"] = step("nvml: device queries", nvml_view) or []
    compare_views(devs, views)
    finish()


main()
