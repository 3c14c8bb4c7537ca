"""Measure one (peer, workload, threads) point in this process; print one JSON line.

    python -m benchmarks.measure --peer kiln --workload resnet18 --threads 2
    python -m benchmarks.measure --peer kiln --workload gpt2 --threads 2 --precision bf16

Each point runs in its own process, so thread settings and JIT state never
leak between peers. Peers that need another environment (ONNX Runtime, IREE)
are run by ``benchmarks.peers.onnx_peers`` inside the peers' virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings


def time_calls(fn, min_seconds: float = 1.0, min_repeats: int = 10, warmup: int = 3) -> float:
    """Median latency of ``fn()`` in milliseconds (>= min_repeats calls, >= min_seconds total)."""
    for _ in range(warmup):
        fn()
    times, total = [], 0.0
    while len(times) < min_repeats or total < min_seconds:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        total += elapsed
        if len(times) > 2000:
            break
    return statistics.median(times) * 1e3


def measure(peer: str, workload: str, threads: int, precision: str = "f32") -> dict:
    """Compile (timed) and run (timed) ``workload`` with ``peer`` on ``threads`` threads;
    ``precision`` is kiln's (``kiln.compile(precision=...)``), f32 for every other peer."""
    if precision != "f32" and peer != "kiln":
        raise ValueError(f"precision {precision!r} is a kiln option, not {peer}'s")
    import torch

    from benchmarks.workloads import WORKLOADS

    torch.set_num_threads(threads)
    model, inputs = WORKLOADS[workload].make()
    start = time.perf_counter()
    if peer == "kiln":
        import kiln

        compiled = kiln.compile(model, *inputs, threads=threads, precision=precision)
        run = lambda: compiled(*inputs)  # noqa: E731
    elif peer == "eager":
        run = lambda: model(*inputs)  # noqa: E731
    elif peer in ("torch.compile", "torch.compile-max-autotune"):
        mode = "max-autotune" if peer.endswith("max-autotune") else None
        compiled = torch.compile(model, mode=mode)
        with torch.no_grad():
            compiled(*inputs)  # compilation happens on the first call
        run = lambda: compiled(*inputs)  # noqa: E731
    else:
        raise ValueError(f"unknown peer {peer}")
    with torch.no_grad():
        run()
        compile_s = time.perf_counter() - start
        latency = time_calls(run)
    return {
        "peer": peer,
        "workload": workload,
        "threads": threads,
        "latency_ms": latency,
        "compile_s": compile_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--precision", default="f32", choices=("f32", "bf16"), help="kiln only")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("KILN_NUM_THREADS", str(args.threads))
    print(json.dumps(measure(args.peer, args.workload, args.threads, args.precision)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
