#!/usr/bin/python3
"""PyTorch's side of `momentum bench --torch`: a long-lived child process driven over a pipe.

Run with /usr/bin/python3 (Debian's python3-torch). It first prints one JSON line,
  {"torch": "1.13.0", "threads": 2}
or {"error": "..."} (and exits 1) when torch cannot be imported. Then it answers one JSON request per line of stdin
with one JSON line on stdout:
  {"op": "setup", "case": "adam", "count": 1, "length": 67108864}  -> {"ok": true}
      builds `count` tensors of `length` elements (seeded) and the case's optimizer twice, with the for-loop
      (foreach=False) and the foreach (foreach=True) implementation, and warms both up;
  {"op": "step", "steps": 1}  -> {"ms": 12.3, "for-loop": 14.1, "foreach": 12.3}
      times `steps` steps of each implementation; ms per step, "ms" the faster one;
  {"op": "free"} -> {"ok": true};  {"op": "quit"} -> exits.
A failing request answers {"error": "..."}. The cases mirror src/Momentum.Cli/Commands/BenchCommand.cs: sgd,
sgd_momentum, adam, adamw, chain (clip_grad_norm_ + AdamW + warmup-cosine LambdaLR), adam_many and adam_tiny (Adam
over many tensors). torch 1.13 has no fused CPU kernels.
"""
import argparse
import json
import math
import sys
import time


def emit(obj):
    print(json.dumps(obj), flush=True)


def warmup_cosine(warmup, total):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1 + math.cos(math.pi * progress))
    return f


def builders(torch):
    adam = lambda p, f: torch.optim.Adam(p, lr=1e-3, foreach=f)
    adamw = lambda p, f: torch.optim.AdamW(p, lr=1e-3, weight_decay=1e-2, foreach=f)
    # name -> (optimizer builder, clip_grad_norm_ first, warmup-cosine schedule after)
    return {
        "sgd": (lambda p, f: torch.optim.SGD(p, lr=1e-3, foreach=f), False, False),
        "sgd_momentum": (lambda p, f: torch.optim.SGD(p, lr=1e-3, momentum=0.9, foreach=f), False, False),
        "adam": (adam, False, False),
        "adamw": (adamw, False, False),
        "chain": (adamw, True, True),
        "adam_many": (adam, False, False),
        "adam_tiny": (adam, False, False),
    }


class Case:
    def __init__(self, torch, name, count, length):
        build, clip, sched = builders(torch)[name]
        gen = torch.Generator().manual_seed(42)
        self.torch = torch
        self.impls = []
        for foreach in (False, True):
            params = []
            for _ in range(count):
                p = torch.nn.Parameter(torch.rand(length, generator=gen) - 0.5)
                p.grad = (torch.rand(length, generator=gen) - 0.5) * 1e-2
                params.append(p)
            opt = build(params, foreach)
            scheduler = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(100, 10_000)) if sched else None
            self.impls.append(("foreach" if foreach else "for-loop", self.stepper(params, opt, clip, scheduler)))
        with torch.no_grad():
            for _ in range(3):
                for _, step in self.impls:
                    step()

    def stepper(self, params, opt, clip, scheduler):
        torch = self.torch

        def step():
            if clip:
                torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            if scheduler is not None:
                scheduler.step()
        return step

    def time(self, steps):
        reply = {}
        with self.torch.no_grad():
            for name, step in self.impls:
                start = time.perf_counter()
                for _ in range(steps):
                    step()
                reply[name] = (time.perf_counter() - start) * 1e3 / steps
        reply["ms"] = min(reply.values())
        return reply


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:  # one clear line instead of a traceback
        emit({"error": f"PyTorch is not installed for {sys.executable} ({e}); install python3-torch or pass --python"})
        return 1
    torch.set_num_threads(args.threads)
    emit({"torch": torch.__version__, "threads": torch.get_num_threads()})
    case = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            op = request["op"]
            if op == "quit":
                return 0
            if op == "setup":
                case = None
                case = Case(torch, request["case"], request["count"], request["length"])
                emit({"ok": True})
            elif op == "step":
                emit(case.time(request.get("steps", 1)))
            elif op == "free":
                case = None
                emit({"ok": True})
            else:
                emit({"error": f"unknown op {op!r}"})
        except Exception as e:  # reported to the caller, which stops with one line
            emit({"error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
