"""PyTorch workload for the passthrough check: device properties, a 4096x4096
bf16 matmul repeated 100 times, a copy to host.  Prints checksums (which
must be identical with and without vgpu-run) and the time per iteration."""
import hashlib
import json
import sys
import time

import torch

def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    dev = torch.device("cuda:0")
    p = torch.cuda.get_device_properties(dev)
    print("device", p.name, p.total_memory, p.multi_processor_count,
          "%d.%d" % (p.major, p.minor))
    g = torch.Generator(device=dev).manual_seed(1234)
    a = torch.randn(4096, 4096, device=dev, dtype=torch.bfloat16, generator=g)
    b = torch.randn(4096, 4096, device=dev, dtype=torch.bfloat16, generator=g)
    per_iter = []
    c = None
    for _ in range(runs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        c = a
        for _ in range(100):
            c = torch.matmul(c, b) * (1.0 / 64)
        torch.cuda.synchronize()
        per_iter.append((time.perf_counter() - t0) / 100)
    host = c.float().cpu().numpy().tobytes()
    print("checksum", hashlib.sha256(host).hexdigest())
    per_iter.sort()
    print("timing", json.dumps({"median_s_per_iter": per_iter[len(per_iter) // 2],
                                "runs": runs}))

main()
