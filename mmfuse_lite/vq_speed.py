"""Forward + backward speed and peak memory: mmfuse_lite's VectorQuantizer vs vector-quantize-pytorch.

Both quantisers get the same dim, codebook size, input and loss (commitment weight 0.25,
plain straight-through estimator, no rotation trick). Two settings: codebook trained
by gradient, then by EMA (decay 0.99). The two implementations alternate in one process,
so drifts in machine load hit both; the median over rounds is reported.

    python benchmarks/vq_speed.py                 # CPU, and CUDA too when present
    python benchmarks/vq_speed.py --quick         # a smoke test (used by the unit tests)

The code lives in the package (``mmfuse_lite.vq_speed``) so that chapter 4 can run it
on Colab too; ``benchmarks/vq_speed.py`` is the command-line entry point.

ratio = library time / package time: above 1.0 the package quantiser is faster.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

from .nn import VectorQuantizer


def make_pair(setting: str, dim: int, codes: int):
    """(package, library) quantisers with equivalent settings and the same initial codebook."""
    from vector_quantize_pytorch import VectorQuantize

    ema = setting == "ema"
    ours = VectorQuantizer(codes, dim, beta=0.25, ema_decay=0.99 if ema else None)
    lib = VectorQuantize(dim=dim, codebook_size=codes, commitment_weight=0.25, rotation_trick=False,
                         decay=0.99, ema_update=ema, learnable_codebook=not ema, threshold_ema_dead_code=0)
    with torch.no_grad():
        lib._codebook.embed.copy_(ours.codebook.weight[None])
        lib._codebook.embed_avg.copy_(ours.codebook.weight[None])
    return ours, lib


def step_fn(quantizer, x, is_ours: bool):
    def step():
        if is_ours:
            out = quantizer(x)
            q, loss = out.quantized, out.loss
        else:
            q, _, loss = quantizer(x)
        (q.pow(2).mean() + loss).backward()   # a stand-in decoder loss plus the VQ loss
        x.grad = None
        for p in quantizer.parameters():
            p.grad = None
    return step


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_pair(setting, device, dim, codes, batch, tokens, rounds, iters):
    ours, lib = (m.to(device).train() for m in make_pair(setting, dim, codes))
    x = torch.randn(batch, tokens, dim, device=device, requires_grad=True)
    steps = {"package": step_fn(ours, x, True), "library": step_fn(lib, x, False)}
    for f in steps.values():       # warm-up (k-means, allocator, kernels)
        for _ in range(3):
            f()
    times = {k: [] for k in steps}
    for _ in range(rounds):        # alternate, so both see the same machine load
        for name, f in steps.items():
            sync(device)
            t = time.perf_counter()
            for _ in range(iters):
                f()
            sync(device)
            times[name].append((time.perf_counter() - t) / iters)
    return {k: statistics.median(v) for k, v in times.items()}


def peak_memory(setting, device, dim, codes, batch, tokens, which):
    """Peak memory in MiB allocated during one step: the CUDA allocator's peak, or on CPU the
    running total of the profiler's allocation and free events."""
    ours, lib = (m.to(device).train() for m in make_pair(setting, dim, codes))
    x = torch.randn(batch, tokens, dim, device=device, requires_grad=True)
    f = step_fn(ours if which == "package" else lib, x, which == "package")
    f()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        f()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        f()
    now = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        now += event.self_cpu_memory_usage
        peak = max(peak, now)
    return peak / 2**20


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--codes", type=int, default=512)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--tokens", type=int, default=256, help="vectors per example (a 16x16 code map)")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one round: checks that it runs")
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args(argv)
    if a.quick:
        a.dim, a.codes, a.batch, a.tokens, a.rounds, a.iters = 8, 64, 4, 16, 1, 2
    from importlib.metadata import PackageNotFoundError, version
    try:
        version("vector_quantize_pytorch")
    except PackageNotFoundError:
        raise SystemExit("this benchmark needs vector-quantize-pytorch: pip install vector-quantize-pytorch==1.32.0")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"vector-quantize-pytorch {version('vector_quantize_pytorch')}, torch {torch.__version__}, "
          f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} CPU threads"
          + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""))
    print(f"input ({a.batch}, {a.tokens}, {a.dim}), {a.codes} codes; median of {a.rounds} rounds x {a.iters} steps")
    print(f"{'device':6s} {'codebook':8s} {'package ms':>10s} {'library ms':>10s} {'ratio':>6s} "
          f"{'package MiB':>11s} {'library MiB':>11s}")
    results = []
    for device in devices:
        for setting in ("gradient", "ema"):
            t = time_pair(setting, device, a.dim, a.codes, a.batch, a.tokens, a.rounds, a.iters)
            mem = {w: peak_memory(setting, device, a.dim, a.codes, a.batch, a.tokens, w) for w in t}
            r = dict(device=device, codebook=setting, package_ms=1000 * t["package"], library_ms=1000 * t["library"],
                     ratio=t["library"] / t["package"], package_mib=mem["package"], library_mib=mem["library"])
            results.append(r)
            print(f"{device:6s} {setting:8s} {r['package_ms']:10.2f} {r['library_ms']:10.2f} {r['ratio']:6.2f} "
                  f"{r['package_mib']:11.1f} {r['library_mib']:11.1f}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


