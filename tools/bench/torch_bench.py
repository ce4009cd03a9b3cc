#!/usr/bin/python3
"""Times PyTorch's CPU optimizer steps on the same cases as `momentum bench --torch`.

Run with /usr/bin/python3 (the interpreter with torch). Prints one JSON object per line:
  {"torch": "1.13.0", "threads": 2}
  {"case": "adam", "impl": "foreach", "median_ms": 123.4}
or {"error": "..."} if torch cannot be imported. Cases and sizes mirror src/Momentum.Cli/Commands/BenchCommand.cs:
sgd, sgd_momentum, adam, adamw, chain (clip_grad_norm_ + AdamW + warmup-cosine LambdaLR), adam_one (one tensor of
small_count * small_length) and adam_many (small_count tensors of small_length). Each is run with the for-loop
(foreach=False) and the foreach (foreach=True) implementation; torch 1.13 has no fused CPU kernels.
"""
import argparse
import json
import math
import statistics
import sys
import time


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64 * 1024 * 1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--small-count", type=int, default=10_000)
    ap.add_argument("--small-length", type=int, default=1_000)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:  # a clear message instead of a traceback
        emit({"error": f"PyTorch is not installed for {sys.executable} ({e}); install torch or pass --python"})
        return 0
    torch.set_num_threads(args.threads)
    emit({"torch": torch.__version__, "threads": torch.get_num_threads()})

    def make(count, length):
        gen = torch.Generator().manual_seed(42)
        params = []
        for _ in range(count):
            p = torch.nn.Parameter(torch.rand(length, generator=gen) - 0.5)
            p.grad = (torch.rand(length, generator=gen) - 0.5) * 1e-2
            params.append(p)
        return params

    def warmup_cosine(peak_factor, warmup, total):
        def f(step):
            if step < warmup:
                return peak_factor * (step + 1) / warmup
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
            return peak_factor * 0.5 * (1 + math.cos(math.pi * progress))
        return f

    def run(case, count, length, build, clip=False, sched=False):
        for foreach in (False, True):
            params = make(count, length)
            opt = build(params, foreach)
            scheduler = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(1.0, 100, 10_000)) if sched else None

            def step():
                if clip:
                    torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                if scheduler is not None:
                    scheduler.step()

            with torch.no_grad():
                for _ in range(args.warmup):
                    step()
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    step()
                    times.append((time.perf_counter() - start) * 1e3)
            emit({"case": case, "impl": "foreach" if foreach else "for-loop", "median_ms": statistics.median(times)})
            del opt, params

    n = args.size
    run("sgd", 1, n, lambda p, f: torch.optim.SGD(p, lr=1e-3, foreach=f))
    run("sgd_momentum", 1, n, lambda p, f: torch.optim.SGD(p, lr=1e-3, momentum=0.9, foreach=f))
    run("adam", 1, n, lambda p, f: torch.optim.Adam(p, lr=1e-3, foreach=f))
    run("adamw", 1, n, lambda p, f: torch.optim.AdamW(p, lr=1e-3, weight_decay=1e-2, foreach=f))
    run("chain", 1, n, lambda p, f: torch.optim.AdamW(p, lr=1e-3, weight_decay=1e-2, foreach=f), clip=True, sched=True)
    total = args.small_count * args.small_length
    run("adam_one", 1, total, lambda p, f: torch.optim.Adam(p, lr=1e-3, foreach=f))
    run("adam_many", args.small_count, args.small_length, lambda p, f: torch.optim.Adam(p, lr=1e-3, foreach=f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
