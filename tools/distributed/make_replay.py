#!/usr/bin/env python3
"""Writes a replay input pair (init.safetensors, grads.safetensors) with tensors that a sharded replay splits across
ranks: python3 make_replay.py DIR [STEPS] [SEED]. Standard library only (the MPI tier of .ci/run uses it)."""
import json, os, random, struct, sys

def write(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        shape, values = tensors[name]
        blob = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

def main():
    out, steps, seed = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3, int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rng = random.Random(seed)
    shapes = {"scale": [], "a.bias": [13], "b.weight": [33, 20], "split.weight": [9000, 8], "split.bias": [50000],
              "c.bias": [16385], "d.weight": [130, 300]}
    values = lambda n: [rng.uniform(-1, 1) for _ in range(n)]
    size = lambda s: eval("*".join(map(str, s)) or "1")
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "init.safetensors"), {k: (s, values(size(s))) for k, s in shapes.items()})
    grads = {}
    for t in range(steps):
        for i, (k, s) in enumerate(sorted(shapes.items())):
            if (i + t) % 5 == 4: continue  # no gradient for this parameter at this step
            grads[f"{t}/{k}"] = (s, values(size(s)))
    write(os.path.join(out, "grads.safetensors"), grads)

main()
