"""NVIDIA's cuda-bindings (cuda.bindings.driver/runtime/nvrtc) and
nvidia-ml-py against the configured devices: the same devices through
driver, runtime and NVML; memory round trips; the errors of bad input.
cuda.bindings.runtime carries NVIDIA's runtime statically, so its runtime
checks run NVIDIA's own cudart code on the driver vgpu-run serves."""
import ctypes

from cuda.bindings import driver as drv
from cuda.bindings import runtime as rt

from conform import (check, compare_views, devices_from_rules, exercised,
                     finish, note, nvml_view, runtime_version, same, step,
                     uuid_str)

OK = drv.CUresult.CUDA_SUCCESS
A = drv.CUdevice_attribute


def driver_view(n):
    same("driver: cuInit", drv.cuInit(0)[0], OK)
    err, count = drv.cuDeviceGetCount()
    same("driver: cuDeviceGetCount", err, OK)
    views = []
    for i in range(count):
        _, dev = drv.cuDeviceGet(i)
        _, name = drv.cuDeviceGetName(256, dev)
        _, uuid = drv.cuDeviceGetUuid(dev)
        _, mem = drv.cuDeviceTotalMem(dev)
        attr = lambda a: drv.cuDeviceGetAttribute(a, dev)[1]
        views.append({
            "name": name.split(b"\0")[0].decode(),
            "uuid": uuid_str(uuid.bytes),
            "memory": mem,
            "cc": (attr(A.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                   attr(A.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)),
            "sms": attr(A.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        })
    same("driver: cuDeviceGet(%d) (past the last)" % n, drv.cuDeviceGet(n)[0],
         drv.CUresult.CUDA_ERROR_INVALID_DEVICE)
    exercised("driver device queries")
    return views


def driver_memory():
    _, dev = drv.cuDeviceGet(0)
    err, ctx = drv.cuDevicePrimaryCtxRetain(dev)
    same("driver: cuDevicePrimaryCtxRetain", err, OK)
    drv.cuCtxSetCurrent(ctx)
    _, free0, total = drv.cuMemGetInfo()
    size = 4 << 20  # whole 2 MiB pages: the drop is exact
    err, a = drv.cuMemAlloc(size)
    same("driver: cuMemAlloc 4 MiB", err, OK)
    _, free1, _ = drv.cuMemGetInfo()
    same("driver: free memory drops by the allocation", free0 - free1, size)
    _, b = drv.cuMemAlloc(size)
    src = bytes((i * 7 + 3) & 0xFF for i in range(size))
    back = bytearray(size)
    same("driver: cuMemcpyHtoD", drv.cuMemcpyHtoD(a, src, size)[0], OK)
    same("driver: cuMemcpyDtoD", drv.cuMemcpyDtoD(b, a, size)[0], OK)
    same("driver: cuMemcpyDtoH", drv.cuMemcpyDtoH(back, b, size)[0], OK)
    check("driver: host->device->device->host byte-exact", bytes(back) == src)
    same("driver: cuMemsetD8", drv.cuMemsetD8(b, 0x5A, size)[0], OK)
    drv.cuMemcpyDtoH(back, b, size)
    check("driver: cuMemsetD8 wrote every byte", back == b"\x5a" * size)
    drv.cuMemFree(b)
    same("driver: cuMemFree", drv.cuMemFree(a)[0], OK)
    same("driver: cuMemFree of a freed pointer", drv.cuMemFree(a)[0],
         drv.CUresult.CUDA_ERROR_INVALID_VALUE)
    same("driver: free memory back after cuMemFree", drv.cuMemGetInfo()[1], free0)
    exercised("cuMemAlloc/Memcpy HtoD DtoD DtoH/MemsetD8/Free, cuMemGetInfo")
    return ctx


def driver_module():
    # PTX for the oldest target the sim accepts: every device loads it.
    ptx = (b".version 8.0\n.target sm_50\n.address_size 64\n"
           b".visible .entry scale(.param .u64 p)\n{\n\tret;\n}\n\0")
    err, mod = drv.cuModuleLoadData(ptx)
    same("driver: cuModuleLoadData (PTX)", err, OK)
    same("driver: cuModuleGetFunction of a kernel", drv.cuModuleGetFunction(mod, b"scale")[0], OK)
    same("driver: cuModuleGetFunction of an unknown symbol",
         drv.cuModuleGetFunction(mod, b"no_such_kernel")[0], drv.CUresult.CUDA_ERROR_NOT_FOUND)
    same("driver: cuGetProcAddress of an unknown name",
         drv.cuGetProcAddress(b"cuNoSuchFunction", 12000, 0)[0], drv.CUresult.CUDA_ERROR_NOT_FOUND)
    drv.cuModuleUnload(mod)
    exercised("cuModuleLoadData/GetFunction, cuGetProcAddress")


def nvrtc_compile():
    """NVRTC is NVIDIA's own compiler library (no GPU needed); its PTX must
    load on the sim as any PTX does."""
    try:
        from cuda.bindings import nvrtc
        err, prog = nvrtc.nvrtcCreateProgram(
            b'extern "C" __global__ void add1(int *p) { p[threadIdx.x] += 1; }',
            b"add1.cu", 0, [], [])
    except Exception as e:  # noqa: BLE001
        note("nvrtc not checked: %s" % e)
        return
    if err != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        note("nvrtc not checked: nvrtcCreateProgram %s" % err)
        return
    err, = nvrtc.nvrtcCompileProgram(prog, 1, [b"--gpu-architecture=compute_80"])
    same("nvrtc: nvrtcCompileProgram", err, nvrtc.nvrtcResult.NVRTC_SUCCESS)
    _, size = nvrtc.nvrtcGetPTXSize(prog)
    ptx = b" " * size
    nvrtc.nvrtcGetPTX(prog, ptx)
    err, mod = drv.cuModuleLoadData(ptx)
    same("driver: cuModuleLoadData of NVRTC's PTX", err, OK)
    same("driver: cuModuleGetFunction of NVRTC's kernel",
         drv.cuModuleGetFunction(mod, b"add1")[0], OK)
    note("the kernel's result is not checked: the simulated GPU runs no kernels")
    exercised("NVRTC compile -> cuModuleLoadData")


def runtime_view(n):
    runtime_version(rt.cudaRuntimeGetVersion()[1])
    err, count = rt.cudaGetDeviceCount()
    if not same("runtime: cudaGetDeviceCount", err, rt.cudaError_t.cudaSuccess):
        return None  # NVIDIA's runtime did not start: nothing further to ask it
    views = []
    for i in range(count):
        err, p = rt.cudaGetDeviceProperties(i)
        same("runtime: cudaGetDeviceProperties(%d)" % i, err, rt.cudaError_t.cudaSuccess)
        views.append({
            "name": p.name.split(b"\0")[0].decode(),
            "uuid": uuid_str(p.uuid.bytes),
            "memory": p.totalGlobalMem,
            "cc": (p.major, p.minor),
            "sms": p.multiProcessorCount,
        })
    same("runtime: cudaSetDevice(%d) (past the last)" % n, rt.cudaSetDevice(n)[0],
         rt.cudaError_t.cudaErrorInvalidDevice)
    rt.cudaGetLastError()
    exercised("runtime device queries")
    return views


def runtime_memory():
    E = rt.cudaError_t
    K = rt.cudaMemcpyKind
    same("runtime: cudaSetDevice(1)", rt.cudaSetDevice(1)[0], E.cudaSuccess)
    _, free0, _ = rt.cudaMemGetInfo()
    size = 6 << 20
    err, a = rt.cudaMalloc(size)
    same("runtime: cudaMalloc 6 MiB", err, E.cudaSuccess)
    same("runtime: free memory drops by the allocation", free0 - rt.cudaMemGetInfo()[1], size)
    _, b = rt.cudaMalloc(size)
    src = (ctypes.c_ubyte * size)(*((i * 13 + 1) & 0xFF for i in range(size)))
    back = (ctypes.c_ubyte * size)()
    hsrc, hback = ctypes.addressof(src), ctypes.addressof(back)
    same("runtime: cudaMemcpy H2D", rt.cudaMemcpy(a, hsrc, size, K.cudaMemcpyHostToDevice)[0], E.cudaSuccess)
    same("runtime: cudaMemcpy D2D", rt.cudaMemcpy(b, a, size, K.cudaMemcpyDeviceToDevice)[0], E.cudaSuccess)
    same("runtime: cudaMemcpy D2H", rt.cudaMemcpy(hback, b, size, K.cudaMemcpyDeviceToHost)[0], E.cudaSuccess)
    check("runtime: host->device->device->host byte-exact", bytes(back) == bytes(src))
    same("runtime: cudaMemset", rt.cudaMemset(b, 0xC3, size)[0], E.cudaSuccess)
    rt.cudaMemcpy(hback, b, size, K.cudaMemcpyDeviceToHost)
    check("runtime: cudaMemset wrote every byte", bytes(back) == b"\xc3" * size)
    rt.cudaFree(b)
    same("runtime: cudaFree", rt.cudaFree(a)[0], E.cudaSuccess)
    same("runtime: cudaFree of a freed pointer", rt.cudaFree(a)[0], E.cudaErrorInvalidValue)
    rt.cudaGetLastError()
    same("runtime: free memory back after cudaFree", rt.cudaMemGetInfo()[1], free0)
    exercised("cudaMalloc/Memcpy/Memset/Free, cudaMemGetInfo")


def main():
    devs = devices_from_rules()
    drv.cuInit(0)
    n = len(devs) if devs else drv.cuDeviceGetCount()[1]
    views = {"driver": step("driver: device queries", driver_view, n) or []}
    step("driver: memory", driver_memory)
    step("driver: modules", driver_module)
    step("nvrtc", nvrtc_compile)
    views["runtime"] = step("runtime: device queries", runtime_view, n)
    if views["runtime"] is None:
        del views["runtime"]
    else:
        step("runtime: memory", runtime_memory)
    views["nvml"] = step("nvml: device queries", nvml_view) or []
    compare_views(devs, views)
    finish()


main()
