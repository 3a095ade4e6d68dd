"""A runtime client as Ollama's GPU discovery and other ctypes users write
one: NVIDIA's libcudart.so.MAJOR opened by path or name (argv[1]), with
the driver (libcuda.so.1) and NVML (nvidia-ml-py) beside it.  Under
--backend sim the runtime is the sim's; under --backend cudart=passthrough
it is NVIDIA's own, running on the sim driver."""
import ctypes
import sys

from conform import (check, compare_views, devices_from_rules, exercised,
                     finish, nvml_view, runtime_version, same, step, uuid_str)

LIB = sys.argv[1]
MAJOR = int(LIB.rsplit(".so.", 1)[1])
rt = ctypes.CDLL(LIB)
cu = ctypes.CDLL("libcuda.so.1")
c_int, c_size, byref = ctypes.c_int, ctypes.c_size_t, ctypes.byref
vp = ctypes.c_void_p

# cudaDeviceProp, both majors: char name[256]; cudaUUID_t uuid; char
# luid[8]; unsigned luidDeviceNodeMask; size_t totalGlobalMem; ...  The
# rest is read through attributes, whose numbers every version shares.
PROP_NAME, PROP_UUID, PROP_TOTALMEM = 0, 256, 288
ATTR_SMS, ATTR_CC_MAJOR, ATTR_CC_MINOR = 16, 75, 76
# The header maps cudaGetDeviceProperties to the _v2 entry in CUDA 12;
# the unversioned CUDA 12 name keeps the CUDA 11 layout.  CUDA 13 has one.
GETPROPS = "cudaGetDeviceProperties_v2" if MAJOR == 12 else "cudaGetDeviceProperties"
cudaSuccess, cudaErrorInvalidValue, cudaErrorInvalidDevice = 0, 1, 101
H2D, D2H, D2D = 1, 2, 3


def rt_err_name(code):
    f = rt.cudaGetErrorName
    f.restype = ctypes.c_char_p
    return f(code).decode()


def runtime_view(n):
    v = c_int()
    rt.cudaRuntimeGetVersion(byref(v))
    runtime_version(v.value)
    count = c_int()
    if not same("runtime: cudaGetDeviceCount", rt.cudaGetDeviceCount(byref(count)), cudaSuccess):
        return None  # the runtime did not start: nothing further to ask it
    views = []
    for i in range(count.value):
        buf = ctypes.create_string_buffer(4096)
        same("runtime: %s(%d)" % (GETPROPS, i), getattr(rt, GETPROPS)(buf, i), cudaSuccess)
        raw = buf.raw
        a = {k: c_int() for k in (ATTR_SMS, ATTR_CC_MAJOR, ATTR_CC_MINOR)}
        for k, v in a.items():
            rt.cudaDeviceGetAttribute(byref(v), k, i)
        views.append({
            "name": raw[PROP_NAME:PROP_NAME + 256].split(b"\0")[0].decode(),
            "uuid": uuid_str(raw[PROP_UUID:PROP_UUID + 16]),
            "memory": int.from_bytes(raw[PROP_TOTALMEM:PROP_TOTALMEM + 8], "little"),
            "cc": (a[ATTR_CC_MAJOR].value, a[ATTR_CC_MINOR].value),
            "sms": a[ATTR_SMS].value,
        })
    err = rt.cudaSetDevice(n)
    same("runtime: cudaSetDevice(%d) (past the last)" % n, rt_err_name(err), "cudaErrorInvalidDevice")
    rt.cudaGetLastError()
    exercised("runtime device queries")
    return views


def driver_view():
    same("driver: cuInit", cu.cuInit(0), 0)
    count = c_int()
    cu.cuDeviceGetCount(byref(count))
    views = []
    for i in range(count.value):
        name = ctypes.create_string_buffer(256)
        uuid = ctypes.create_string_buffer(16)
        mem = c_size()
        cu.cuDeviceGetName(name, 256, i)
        cu.cuDeviceGetUuid(uuid, i)
        cu.cuDeviceTotalMem_v2(byref(mem), i)
        a = {k: c_int() for k in (ATTR_SMS, ATTR_CC_MAJOR, ATTR_CC_MINOR)}
        for k, v in a.items():
            cu.cuDeviceGetAttribute(byref(v), k, i)
        views.append({"name": name.value.decode(), "uuid": uuid_str(uuid.raw),
                      "memory": mem.value, "sms": a[ATTR_SMS].value,
                      "cc": (a[ATTR_CC_MAJOR].value, a[ATTR_CC_MINOR].value)})
    exercised("driver device queries")
    return views


def runtime_memory():
    same("runtime: cudaSetDevice(1)", rt.cudaSetDevice(1), cudaSuccess)
    free0, total = c_size(), c_size()
    rt.cudaMemGetInfo(byref(free0), byref(total))
    size = 6 << 20  # whole 2 MiB pages: the drop is exact
    a, b = vp(), vp()
    same("runtime: cudaMalloc 6 MiB", rt.cudaMalloc(byref(a), c_size(size)), cudaSuccess)
    free1 = c_size()
    rt.cudaMemGetInfo(byref(free1), byref(total))
    same("runtime: free memory drops by the allocation", free0.value - free1.value, size)
    rt.cudaMalloc(byref(b), c_size(size))
    src = ctypes.create_string_buffer(bytes((i * 31 + 7) & 0xFF for i in range(size)), size)
    back = ctypes.create_string_buffer(size)
    cpy = rt.cudaMemcpy
    cpy.argtypes = [vp, vp, c_size, c_int]
    same("runtime: cudaMemcpy H2D", cpy(a, ctypes.addressof(src), size, H2D), cudaSuccess)
    same("runtime: cudaMemcpy D2D", cpy(b, a, size, D2D), cudaSuccess)
    same("runtime: cudaMemcpy D2H", cpy(ctypes.addressof(back), b, size, D2H), cudaSuccess)
    check("runtime: host->device->device->host byte-exact", back.raw == src.raw)
    rt.cudaMemset.argtypes = [vp, c_int, c_size]
    same("runtime: cudaMemset", rt.cudaMemset(b, 0x3C, size), cudaSuccess)
    cpy(ctypes.addressof(back), b, size, D2H)
    check("runtime: cudaMemset wrote every byte", back.raw == b"\x3c" * size)
    rt.cudaFree.argtypes = [vp]
    rt.cudaFree(b)
    same("runtime: cudaFree", rt.cudaFree(a), cudaSuccess)
    same("runtime: cudaFree of a freed pointer", rt_err_name(rt.cudaFree(a)), "cudaErrorInvalidValue")
    rt.cudaGetLastError()
    rt.cudaMemGetInfo(byref(free1), byref(total))
    same("runtime: free memory back after cudaFree", free1.value, free0.value)
    fn, status = vp(), c_int()
    err = rt.cudaGetDriverEntryPointByVersion(b"cuNoSuchFunction", byref(fn), 12000,
                                              ctypes.c_ulonglong(0), byref(status))
    # NVIDIA's runtime on a driver that says CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND.
    same("runtime: driver entry point of an unknown name",
         (rt_err_name(err), fn.value, status.value), ("cudaErrorSymbolNotFound", None, 1))
    rt.cudaGetLastError()
    exercised("cudaMalloc/Memcpy/Memset/Free, cudaMemGetInfo, cudaGetDriverEntryPointByVersion")


def main():
    devs = devices_from_rules()
    views = {"driver": step("driver: device queries", driver_view) or []}
    n = len(devs) if devs else len(views["driver"])
    views["runtime %d" % MAJOR] = step("runtime: device queries", runtime_view, n)
    if views["runtime %d" % MAJOR] is None:
        del views["runtime %d" % MAJOR]
    else:
        step("runtime: memory", runtime_memory)
    views["nvml"] = step("nvml: device queries", nvml_view) or []
    compare_views(devs, views)
    finish()


main()
