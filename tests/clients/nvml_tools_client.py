"""The NVML tools people run: nvitop (its Python API and `nvitop --once`)
and `gpustat --json`, each as a child process of this one, so they run
under the same vgpu-run.  While they look, this process holds an
allocation on device 1 (0 on a one-GPU machine) through the driver: both tools must show it,
because every process sees the sim's memory accounting as on a GPU."""
import json
import os
import subprocess
import sys

from cuda.bindings import driver as drv

from conform import (check, compare_views, devices_from_rules, exercised,
                     finish, same, step)

BIN = os.path.dirname(sys.executable)
HELD = 256 << 20
# The sim accounts allocations only; a GPU adds its context's own memory.
SIM = "VGPU_CLIENT_RULES" in os.environ
DEV = 1  # the device that holds the allocation: the second where there is one


def used(what, got):
    if SIM:
        same(what, got, HELD)
    else:
        check(what, got >= HELD, "got %d, want at least %d" % (got, HELD))


def hold_memory():
    global DEV
    drv.cuInit(0)
    DEV = min(1, drv.cuDeviceGetCount()[1] - 1)
    _, dev = drv.cuDeviceGet(DEV)
    _, ctx = drv.cuDevicePrimaryCtxRetain(dev)
    drv.cuCtxSetCurrent(ctx)
    err, ptr = drv.cuMemAlloc(HELD)
    same("driver: cuMemAlloc 256 MiB on device %d" % DEV, err, drv.CUresult.CUDA_SUCCESS)
    return ptr


def run(*argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    check("%s exits 0" % " ".join(os.path.basename(a) for a in argv), p.returncode == 0,
          "exit %d: %s" % (p.returncode, p.stderr[-400:]))
    return p.stdout


def gpustat_view():
    out = json.loads(run(os.path.join(BIN, "gpustat"), "--json"))
    gpus = out["gpus"]
    views = [{"name": g["name"], "uuid": g["uuid"], "memory": g["memory.total"] << 20}
             for g in gpus]
    if len(gpus) > DEV:
        used("gpustat: memory.used of device %d shows the allocation" % DEV,
             gpus[DEV]["memory.used"] << 20)
        pids = [p["pid"] for p in gpus[DEV]["processes"]]
        check("gpustat: device %d lists this process" % DEV, os.getpid() in pids, "pids %s" % pids)
    exercised("gpustat --json")
    return views


def nvitop_view():
    from nvitop import Device
    views = []
    for d in Device.all():
        views.append({"name": d.name(), "uuid": d.uuid(), "memory": d.memory_total(),
                      "cc": d.cuda_compute_capability()})
    if len(views) > DEV:
        used("nvitop: memory_used of device %d" % DEV, Device(DEV).memory_used())
        check("nvitop: device %d processes include this one" % DEV,
              os.getpid() in Device(DEV).processes(), "got %s" % list(Device(DEV).processes()))
    exercised("nvitop Device API")
    return views


def nvitop_once(devs):
    text = run(os.path.join(BIN, "nvitop"), "--once")
    for i, d in enumerate(devs):
        short = d["name"].replace("NVIDIA ", "")
        check("nvitop --once shows device %d (%s)" % (i, short), short in text)
        gib = "%.2fGiB" % (d["memory"] / (1 << 30))
        check("nvitop --once shows device %d memory %s" % (i, gib), gib in text)
    exercised("nvitop --once")


def main():
    devs = devices_from_rules()
    ptr = step("driver: hold memory", hold_memory)
    views = {"gpustat": step("gpustat", gpustat_view) or [],
             "nvitop": step("nvitop: Device API", nvitop_view) or []}
    step("nvitop --once", nvitop_once, devs or views["nvitop"])
    if ptr is not None:
        drv.cuMemFree(ptr)
    compare_views(devs, views)
    finish()


main()
