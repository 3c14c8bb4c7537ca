"""Recurrent layers unrolled vs as one loop body, paired in one process (UNROLLED_STEPS).

    .venv/bin/python -m benchmarks.recurrent_loops [--kind LSTM|GRU] [--size 256]
        [--layers 2] [--batch 4] [--steps 16 64 256] [--max-unrolled 64]

For each sequence length, compiles ``nn.<kind>(size, size, layers, bidirectional)``
on (T, batch, size) at 1 thread, without the compile cache, once with every step
unrolled (up to ``--max-unrolled`` steps: the unrolled compile grows with T) and
once as a loop, then times both and eager alternately (median of many calls each,
interleaved so that load on the machine hits all alike) and prints compile seconds,
run ms and the largest difference from eager.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

import kiln
from kiln.frontend import recurrent_decompositions


def _compiled(model, x, unrolled_steps: int):
    saved = recurrent_decompositions.UNROLLED_STEPS
    recurrent_decompositions.UNROLLED_STEPS = unrolled_steps
    try:
        start = time.perf_counter()
        compiled = kiln.compile(model, x, threads=1, quiet=True)
        return compiled, time.perf_counter() - start
    finally:
        recurrent_decompositions.UNROLLED_STEPS = saved


def paired(fns: dict, x, calls: int = 40) -> dict:
    """Median ms of each of ``fns`` on ``x``, called in turn."""
    times = {name: [] for name in fns}
    for _ in range(3):
        for fn in fns.values():
            fn(x)
    for _ in range(calls):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=("LSTM", "GRU"), default="LSTM")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--max-unrolled", type=int, default=64)
    args = parser.parse_args()
    os.environ["KILN_CACHE"] = "0"  # compile times from scratch
    torch.set_num_threads(1)
    layer = getattr(torch.nn, args.kind)
    for steps in args.steps:
        torch.manual_seed(0)
        model = layer(args.size, args.size, num_layers=args.layers, bidirectional=True).eval()
        x = torch.randn(steps, args.batch, args.size)
        fns, compile_s = {"eager": model}, {}
        if steps <= args.max_unrolled:
            fns["unrolled"], compile_s["unrolled"] = _compiled(model, x, 1 << 40)
        fns["loop"], compile_s["loop"] = _compiled(model, x, 0)
        with torch.no_grad():
            want = model(x)[0]
            errs = {k: (fns[k](x)[0] - want).abs().max().item() for k in compile_s}
            ms = paired(fns, x)
        cells = [
            f"{k} compile {compile_s[k]:.1f} s, {ms[k]:.2f} ms, err {errs[k]:.1e}" for k in errs
        ]
        print(f"T={steps}: " + "; ".join(cells) + f"; eager {ms['eager']:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
