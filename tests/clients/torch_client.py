"""PyTorch's CUDA build (make check-heavy): availability, the device list
and names against the configuration, memory through the caching
allocator, and a tensor that needs a kernel (torch.zeros fills with one):
on the sim the kernel cannot run, so the client checks that PyTorch got as
far as the launch and failed with CUDA's not-supported error, by name."""
import torch

from conform import check, devices_from_rules, exercised, finish, note, runtime_version, same, step


def devices(devs):
    check("torch.cuda.is_available()", torch.cuda.is_available())
    n = torch.cuda.device_count()
    same("torch.cuda.device_count()", n, len(devs) if devs else n)
    runtime_version(int(torch.version.cuda.replace(".", "")[:2]) * 1000
                    + int(torch.version.cuda.split(".")[1]) * 10)
    for i in range(n):
        p = torch.cuda.get_device_properties(i)
        if devs:
            same("torch: device %d name" % i, torch.cuda.get_device_name(i), devs[i]["name"])
            same("torch: device %d total memory" % i, p.total_memory, devs[i]["memory"])
            same("torch: device %d cc" % i, (p.major, p.minor), devs[i]["cc"])
            same("torch: device %d SMs" % i, p.multi_processor_count, devs[i]["sms"])
            same("torch: device %d uuid" % i, "GPU-" + str(p.uuid), devs[i]["uuid"])
    exercised("is_available, device_count, get_device_name/properties")


def memory():
    src = torch.arange(1 << 20, dtype=torch.int32)
    d = src.to("cuda")
    check("torch: host -> device -> host byte-exact", torch.equal(d.cpu(), src))
    check("torch: memory_allocated counts the tensor", torch.cuda.memory_allocated() >= src.nbytes)
    exercised("tensor .to('cuda')/.cpu(), memory_allocated")


def zeros():
    try:
        z = torch.zeros(4, device="cuda").cpu()
        same("torch.zeros(4, device='cuda').cpu()", z.tolist(), [0.0] * 4)
    except RuntimeError as e:
        check("torch.zeros: the fill kernel's launch is refused as not supported",
              "not supported" in str(e), str(e)[:300])
        note("torch.zeros needs a kernel's result: the sim runs no kernels")
    exercised("torch.zeros on cuda (a kernel)")


def main():
    devs = devices_from_rules()
    step("torch: devices", devices, devs)
    step("torch: memory", memory)
    step("torch: zeros", zeros)
    finish()


main()
