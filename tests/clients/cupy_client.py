"""CuPy (cupy-cuda13x, NVIDIA's runtime linked statically) against the
configured devices: count and properties, cupy.cuda.runtime copies and
memsets, cupy.zeros/asarray/asnumpy round trips, the errors of bad input.
Element-wise arithmetic needs a kernel's result, which the sim cannot
produce: the client checks that CuPy got as far as the launch (NVRTC
compile, module load, launch answered CUDA_ERROR_NOT_SUPPORTED); the test
script checks the same sequence in the trace."""
import numpy as np

import cupy
from cupy.cuda import runtime as rt

# cudaError_t/CUresult numbers (the same for these; cupy names few of them).
CUDA_ERROR_INVALID_VALUE, CUDA_ERROR_INVALID_DEVICE, CUDA_ERROR_NOT_SUPPORTED = 1, 101, 801

from conform import (check, compare_views, devices_from_rules, exercised,
                     finish, note, nvml_view, runtime_version, same, step,
                     uuid_str)


def runtime_view(n):
    runtime_version(rt.runtimeGetVersion())
    views = []
    for i in range(rt.getDeviceCount()):
        p = rt.getDeviceProperties(i)
        views.append({"name": p["name"].decode(), "uuid": uuid_str(p["uuid"]),
                      "memory": p["totalGlobalMem"], "cc": (p["major"], p["minor"]),
                      "sms": p["multiProcessorCount"]})
    try:
        rt.setDevice(n)
        check("cupy: setDevice(%d) (past the last) fails" % n, False, "it succeeded")
    except rt.CUDARuntimeError as e:
        same("cupy: setDevice(%d) (past the last) fails" % n, e.status, CUDA_ERROR_INVALID_DEVICE)
    exercised("device count/properties")
    return views


def runtime_memory():
    rt.setDevice(1)
    free0 = rt.memGetInfo()[0]
    size = 4 << 20  # whole 2 MiB pages: the drop is exact
    a = rt.malloc(size)
    same("cupy: free memory drops by the allocation", free0 - rt.memGetInfo()[0], size)
    b = rt.malloc(size)
    src = (np.arange(size, dtype=np.uint32) * 2654435761 >> 7).astype(np.uint8)
    back = np.empty_like(src)
    rt.memcpy(a, src.ctypes.data, size, rt.memcpyHostToDevice)
    rt.memcpy(b, a, size, rt.memcpyDeviceToDevice)
    rt.memcpy(back.ctypes.data, b, size, rt.memcpyDeviceToHost)
    check("cupy: runtime memcpy host->device->device->host byte-exact", np.array_equal(src, back))
    rt.memset(b, 0x77, size)
    rt.memcpy(back.ctypes.data, b, size, rt.memcpyDeviceToHost)
    check("cupy: runtime memset wrote every byte", bool((back == 0x77).all()))
    rt.free(b)
    rt.free(a)
    try:
        rt.free(a)
        check("cupy: free of a freed pointer fails", False, "it succeeded")
    except rt.CUDARuntimeError as e:
        same("cupy: free of a freed pointer fails", e.status, CUDA_ERROR_INVALID_VALUE)
    same("cupy: free memory back after free", rt.memGetInfo()[0], free0)
    exercised("runtime malloc/memcpy/memset/free, memGetInfo")


def arrays():
    with cupy.cuda.Device(1):
        z = cupy.zeros((64, 1024), dtype=np.float32)
        check("cupy: zeros -> asnumpy", bool((cupy.asnumpy(z) == 0).all()))
        host = np.random.default_rng(7).standard_normal((300, 70))
        d = cupy.asarray(host)
        same("cupy: array device", d.device.id, 1)
        check("cupy: asarray -> asnumpy byte-exact", cupy.asnumpy(d).tobytes() == host.tobytes())
        e = cupy.empty_like(d)  # ndarray.copy() is a kernel; this is a memcpy
        e.data.copy_from_device(d.data, d.nbytes)
        check("cupy: device copy -> asnumpy byte-exact", cupy.asnumpy(e).tobytes() == host.tobytes())
        exercised("zeros/asarray/copy/asnumpy")
        try:
            got = cupy.asnumpy(d + 1)
            check("cupy: element-wise kernel result (a GPU)", np.array_equal(got, host + 1))
        except cupy.cuda.driver.CUDADriverError as err:
            same("cupy: element-wise kernel compiled, loaded, launch refused by the sim",
                 err.status, CUDA_ERROR_NOT_SUPPORTED)
            note("a kernel's result needs a GPU: the sim runs no kernels")
        exercised("kernel up to launch (NVRTC, module load)")


def main():
    devs = devices_from_rules()
    views = {"cupy runtime": step("cupy: device queries", runtime_view,
                                  len(devs) if devs else rt.getDeviceCount()) or []}
    step("cupy: runtime memory", runtime_memory)
    step("cupy: arrays", arrays)
    views["nvml"] = step("nvml: device queries", nvml_view) or []
    compare_views(devs, views)
    finish()


main()
