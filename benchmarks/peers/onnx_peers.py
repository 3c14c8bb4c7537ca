"""Time an ONNX model with ONNX Runtime or IREE; runs in the peers' virtualenv (no torch, no kiln).

    python onnx_peers.py --runtime ort  --model m.onnx --inputs m.npz --threads 2
    python onnx_peers.py --runtime iree --model m.onnx --inputs m.npz --threads 2

Prints one JSON line: latency_ms (median) and compile_s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def time_calls(fn, min_seconds: float = 1.0, min_repeats: int = 10, warmup: int = 3) -> float:
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


def run_ort(model: str, feeds: dict, threads: int):
    import onnxruntime as ort

    start = time.perf_counter()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    session.run(None, feeds)
    return time.perf_counter() - start, lambda: session.run(None, feeds)


def run_iree(model: str, feeds: dict, threads: int):
    import iree.compiler as compiler
    import iree.runtime as rt

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        imported = os.path.join(tmp, "model.mlir")
        subprocess.run(
            [
                os.path.join(os.path.dirname(sys.executable), "iree-import-onnx"),
                model,
                "-o",
                imported,
            ],
            check=True,
            capture_output=True,
        )
        vmfb = compiler.compile_file(
            imported,
            target_backends=["llvm-cpu"],
            extra_args=["--iree-llvmcpu-target-cpu=host", "--iree-opt-level=O3"],
        )
    rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
    config = rt.Config("local-task")
    ctx = rt.SystemContext(config=config)
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
    module = ctx.modules.module
    fn = module["main_graph"]
    args = [np.ascontiguousarray(v) for v in feeds.values()]
    fn(*args)
    return time.perf_counter() - start, lambda: fn(*args)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runtime", choices=("ort", "iree"), required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    feeds = dict(np.load(args.inputs))
    runner = run_ort if args.runtime == "ort" else run_iree
    compile_s, call = runner(args.model, feeds, args.threads)
    print(json.dumps({"latency_ms": time_calls(call), "compile_s": compile_s}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
