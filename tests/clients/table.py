"""Writes the client-conformance table into README.md between
<!-- clients-table:begin --> and <!-- clients-table:end -->, from the
result files test_python_clients.sh left (one per client and variant) and
the versions pip installed.

    python3 tests/clients/table.py RESULTS_DIR VENV README [GPU_RESULTS_DIR]

A real-GPU column is filled from GPU_RESULTS_DIR/NAME.gpu.txt (same
format, written by the suite on a machine with a GPU) when such a file
exists; else it says the GPU run was not made."""
import glob
import os
import re
import subprocess
import sys

BEGIN, END = "<!-- clients-table:begin -->", "<!-- clients-table:end -->"

# Client -> the PyPI packages its version cell names, and why a client has
# no passthrough run (it never opens libcudart.so).
CLIENTS = [
    ("cuda-bindings", ["cuda-bindings", "nvidia-ml-py"],
     "no libcudart.so: NVIDIA's runtime is linked in, the sim column runs it"),
    ("nvitop+gpustat", ["nvitop", "gpustat", "nvidia-ml-py"], "no runtime: NVML and driver"),
    ("cupy", ["cupy-cuda13x"], "no libcudart.so: NVIDIA's runtime is linked in, the sim column runs it"),
    ("numba-cuda", ["numba-cuda", "numba"], "no runtime: driver API only"),
    ("cudart12", ["nvidia-cuda-runtime-cu12"], None),
    ("cudart13", [], None),
    ("cudart13-pypi", ["nvidia-cuda-runtime"], None),
    ("torch", ["torch"], None),
]


def read(path):
    r = {"exercised": "", "note": [], "fail": []}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("=")
        if k in ("note", "fail"):
            r[k].append(v)
        else:
            r[k] = v
    return r


def versions(venv):
    out = subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "list",
                          "--format=freeze", "--disable-pip-version-check"],
                         capture_output=True, text=True).stdout
    return dict(line.split("==", 1) for line in out.split() if "==" in line)


def cell(r):
    if r is None:
        return "not run"
    if r.get("rc") == "0" and r["failed"] == "0":
        return "pass (%s checks)" % r["ok"]
    first = r["fail"][0] if r["fail"] else "exit %s" % r.get("rc")
    first = re.sub(r"<\w+\.(\w+): -?\d+>", r"\1", first)  # enum reprs -> names
    rc = int(r.get("rc", 0))
    if rc > 128 and rc != 124:
        first += " (killed by signal %d)" % (rc - 128)
    if r.get("said"):
        first += "; it said: " + r["said"].strip()
    return "**FAIL** %s of %d: %s" % (r["failed"], int(r["ok"]) + int(r["failed"]),
                                       first.replace("|", "\\|")[:240])


def main():
    results, venv, readme = sys.argv[1:4]
    gpu_dir = sys.argv[4] if len(sys.argv) > 4 else None
    got = {os.path.basename(p)[:-4]: read(p) for p in glob.glob(os.path.join(results, "*.txt"))}
    vers = versions(venv + "-heavy") if os.path.isdir(venv + "-heavy") else {}
    vers.update(versions(venv))
    rows = ["| client | version | exercised | sim | NVIDIA runtime on the sim driver "
            "(`--backend cudart=passthrough`) | real GPU |",
            "|---|---|---|---|---|---|"]
    for name, pkgs, no_pass in CLIENTS:
        sim = got.get(name + ".sim")
        if sim is None:
            continue
        ver = ", ".join("%s %s" % (p, vers[p]) for p in pkgs if p in vers) or "CUDA toolkit"
        # NVIDIA's runtime version: the passthrough run's when there is one
        # (the sim run of a shared runtime is the sim's).
        nv = got.get(name + ".pass") or sim
        if nv.get("runtime"):
            ver += "; NVIDIA runtime %s" % nv["runtime"]
        what = sim["exercised"]
        if sim["note"]:
            what += "; " + "; ".join(sim["note"])
        passthrough = cell(got.get(name + ".pass")) if no_pass is None else "— (%s)" % no_pass
        gpu_file = gpu_dir and os.path.join(gpu_dir, name + ".gpu.txt")
        gpu = got.get(name + ".gpu") or (read(gpu_file) if gpu_file and os.path.exists(gpu_file)
                                         else None)
        gpu = cell(gpu) if gpu else "not run: no GPU on this machine"
        rows.append("| %s | %s | %s | %s | %s | %s |" % (name, ver, what, cell(sim), passthrough, gpu))
    table = "\n".join(rows)
    text = open(readme).read()
    if BEGIN not in text or END not in text:
        sys.exit("table.py: %s lacks the %s ... %s markers" % (readme, BEGIN, END))
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    open(readme, "w").write(head + BEGIN + "\n" + table + "\n" + END + tail)
    print("table.py: %d client(s) written to %s" % (len(rows) - 2, readme))


main()
