"""Real models of the model tier against eager PyTorch, one fresh pinned process a point.

    python -m benchmarks.real_models                                  # the default set, 1 and 2 threads
    python -m benchmarks.real_models --models resnext50_32x4d --threads 2

Each point builds the model from ``test/e2e/models/zoo.py`` (weights from seed 0;
needs the ``models`` extra), compiles it with the compile cache off (so the compile
time is a cold one), and reports the better of two medians of 30 calls for kiln and
eager, interleaved, with the ratio (< 1: kiln faster).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.measure import time_calls

ROOT = Path(__file__).resolve().parent.parent
# Depthwise and grouped convolutions (MobileNetV2, ResNeXt, ShuffleNetV2, ConvNeXt's 7x7).
DEFAULT_MODELS = ("mobilenet_v2", "resnext50_32x4d", "shufflenet_v2_x1_0", "convnext_tiny")


def _median_of_30(fn) -> float:
    return time_calls(fn, min_seconds=0.0, min_repeats=30, warmup=5)


def point(name: str, threads: int) -> str:
    """One row, measured in this process."""
    sys.path.insert(0, str(ROOT / "test" / "e2e"))
    import torch
    from models.zoo import MODELS

    import kiln

    torch.set_num_threads(threads)
    model, inputs = MODELS[name].make()
    start = time.perf_counter()
    compiled = kiln.compile(model, *inputs, threads=threads, quiet=True)
    compile_s = time.perf_counter() - start
    with torch.no_grad():
        kiln_ms = min(_median_of_30(lambda: compiled(*inputs)) for _ in range(2))
        eager_ms = min(_median_of_30(lambda: model(*inputs)) for _ in range(2))
    return (
        f"| {name} | {threads} | {kiln_ms:.2f} | {eager_ms:.2f} | {kiln_ms / eager_ms:.2f} "
        f"| {compile_s:.1f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--point", nargs=2, metavar=("MODEL", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.point:
        print(point(args.point[0], int(args.point[1])))
        return 0
    print("| model | T | kiln ms | eager ms | kiln / eager | kiln compile s |")
    print("|---|---|---|---|---|---|")
    env = dict(os.environ, KILN_CACHE="0")
    for name in args.models:
        for threads in args.threads:
            cores = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:threads])
            command = ["taskset", "-c", cores, sys.executable, "-m", "benchmarks.real_models"]
            done = subprocess.run(
                [*command, "--point", name, str(threads)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
            print(rows[-1] if rows else f"| {name} | {threads} | failed: {done.stderr[-200:]!r} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
