"""What every Python conformance client shares: the devices the sim was
configured with (read from the same rules file vgpu-run was given), one
line per check, and the closing summary the test scripts and
`make clients-table` read.

A client calls check()/same() for each behaviour, note() for what it could
not check and why, and finish() last: exit status 0 only when every check
held.  Output lines:
    ok   WHAT
    FAIL WHAT: got ..., want ...
    NOTE WHAT
    EXERCISED a, b, c        (what the run touched, for the table)
"""
import os
import shlex
import sys
import traceback

_failed = []
_exercised = []


def devices_from_rules(path=None):
    """The `device` lines of the rules file in $VGPU_CLIENT_RULES, as dicts
    with name, uuid (GPU-xxxxxxxx-xxxx-...), memory (bytes), cc (major,
    minor) and sms: what every API must report.  None without the variable
    (a real GPU): the APIs are then compared with each other only."""
    path = path or os.environ.get("VGPU_CLIENT_RULES")
    if not path:
        return None
    units = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    devs = []
    with open(path) as f:
        for line in f:
            words = shlex.split(line, comments=True)
            if not words or words[0] != "device":
                continue
            kv = dict(w.split("=", 1) for w in words[1:])
            mem = kv["memory"].lower().rstrip("b").rstrip("i")
            num = mem.rstrip("kmgt")
            hexu = kv["uuid"][4:].replace("-", "").lower()
            devs.append({
                "name": kv["name"],
                "uuid": "GPU-%s-%s-%s-%s-%s" % (hexu[:8], hexu[8:12], hexu[12:16],
                                                hexu[16:20], hexu[20:]),
                "memory": int(num) * units[mem[len(num):]],
                "cc": tuple(int(x) for x in kv["cc"].split(".")),
                "sms": int(kv["sms"]),
            })
    return devs


def uuid_str(raw16):
    """16 raw UUID bytes -> NVML's GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx."""
    h = bytes(raw16).hex()
    return "GPU-%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def exercised(*what):
    _exercised.extend(w for w in what if w not in _exercised)


def check(what, cond, detail=""):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL %s%s" % (what, ": " + detail if detail else ""))
        _failed.append(what)
    sys.stdout.flush()
    return cond


def same(what, got, want):
    return check(what, got == want, "got %r, want %r" % (got, want))


def runtime_version(version):
    """The CUDA runtime the client runs (cudaRuntimeGetVersion), for the
    table: a runtime linked into the client is otherwise invisible."""
    print("RUNTIME %d.%d" % (version // 1000, version % 1000 // 10))


def note(what):
    print("NOTE " + what)
    sys.stdout.flush()


def step(what, fn, *args):
    """Runs fn(*args); an exception is a failed check named WHAT, so one
    broken API does not hide the checks of the others."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - any exception is the client failing
        check(what, False, "%s: %s" % (type(e).__name__, e))
        traceback.print_exc(limit=4)
        return None


def compare_views(devs, views):
    """views: {api: [per-device dict]}; each must equal the configuration
    in every key it reports (a view may leave out what its API lacks).
    Without a configuration the first view with every key is the one the
    others must equal."""
    if devs is None:
        devs = max(views.values(), key=lambda v: (len(v[0]) if v else 0, len(v)))
    for api, seen in views.items():
        same("%s: device count" % api, len(seen), len(devs))
        for i, (got, want) in enumerate(zip(seen, devs)):
            for key in got:
                same("%s: device %d %s" % (api, i, key), got[key], want[key])


def finish():
    print("EXERCISED " + ", ".join(_exercised))
    if _failed:
        print("%d check(s) failed: %s" % (len(_failed), "; ".join(_failed)))
        sys.exit(1)
    sys.exit(0)


def nvml_view():
    """Every device as NVML (nvidia-ml-py) reports it; also checks NVML's
    answer to an index past the last device."""
    import pynvml
    pynvml.nvmlInit()
    views = []
    n = pynvml.nvmlDeviceGetCount()
    for i in range(n):
        h = pynvml.nvmlDeviceGetHandleByIndex(i)
        name = pynvml.nvmlDeviceGetName(h)
        uuid = pynvml.nvmlDeviceGetUUID(h)
        views.append({
            "name": name.decode() if isinstance(name, bytes) else name,
            "uuid": uuid.decode() if isinstance(uuid, bytes) else uuid,
            "memory": pynvml.nvmlDeviceGetMemoryInfo(h).total,
            "cc": tuple(pynvml.nvmlDeviceGetCudaComputeCapability(h)),
        })
    try:
        pynvml.nvmlDeviceGetHandleByIndex(n)
        check("nvml: handle of index %d fails" % n, False, "it succeeded")
    except pynvml.NVMLError as e:
        same("nvml: handle of index %d fails" % n, e.value,
             pynvml.NVML_ERROR_INVALID_ARGUMENT)
    pynvml.nvmlShutdown()
    exercised("NVML device queries")
    return views
