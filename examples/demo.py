"""kiln's main job on a bundled example: compile a real PyTorch model, check it, time it.

    python examples/demo.py                 # ResNet-18, 1x3x224x224
    python examples/demo.py --model gpt2    # any of: mlp cnn resnet18 encoder gpt2

Prints the compile time, the largest difference from eager PyTorch (and fails
if it exceeds the model's tolerance), and median latencies of kiln and eager
PyTorch at 1 and 2 threads.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import torch

import kiln
from kiln.zoo import ZOO


def median_ms(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds, after warm-up calls."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18", choices=sorted(ZOO))
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)

    entry = ZOO[args.model]
    model, inputs = entry.make()
    print(f"kiln demo: {entry.description}")
    with torch.no_grad():
        reference = model(*inputs)
    rows = []
    for threads in (1, 2):
        start = time.perf_counter()
        compiled = kiln.compile(model, *inputs, threads=threads)
        compile_s = time.perf_counter() - start
        out = compiled(*inputs)
        err = (out - reference).abs().max().item()
        torch.testing.assert_close(out, reference, rtol=entry.rtol, atol=entry.atol)
        torch.set_num_threads(threads)
        with torch.no_grad():
            eager = median_ms(lambda: model(*inputs), args.repeats)
        ours = median_ms(lambda c=compiled: c(*inputs), args.repeats)
        rows.append((threads, compile_s, err, ours, eager))
    print(
        f"{'threads':>7} {'compile s':>9} {'max |err|':>10} {'kiln ms':>9} {'eager ms':>9} {'speedup':>8}"
    )
    for threads, compile_s, err, ours, eager in rows:
        print(
            f"{threads:>7} {compile_s:>9.2f} {err:>10.2e} {ours:>9.3f} {eager:>9.3f} {eager / ours:>7.2f}x"
        )
    print(f"matches PyTorch within rtol={entry.rtol}, atol={entry.atol}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
