"""This machine's limits, measured: single-core FMA peak and memory bandwidth.

The FMA peak is measured with kiln's own toolchain: an MLIR function of
independent ``vector.fma`` chains (enough accumulators to cover FMA latency)
JIT-compiled at -O3, timed over many iterations. Bandwidth is a large
tensor copy (read + write) — the STREAM "copy" kernel — at 1 and 2 threads.
"""

from __future__ import annotations

import ctypes
import statistics
import time

import numpy as np

from kiln.ir import new_context, parse_module
from kiln.pipeline import build_pass_manager
from kiln.runtime.jit import JitModule

FMA_KERNEL = """
func.func @fma_peak(%out: memref<{acc}x{lanes}xf32>, %iters: index) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %x = arith.constant dense<1.0000001> : vector<{lanes}xf32>
  %y = arith.constant dense<0.9999999> : vector<{lanes}xf32>
  %init = arith.constant dense<0.0> : vector<{acc}x{lanes}xf32>
  %r = scf.for %i = %c0 to %iters step %c1 iter_args(%a = %init) -> vector<{acc}x{lanes}xf32> {{
{body}
    scf.yield %a{last} : vector<{acc}x{lanes}xf32>
  }}
  vector.transfer_write %r, %out[%c0, %c0] : vector<{acc}x{lanes}xf32>, memref<{acc}x{lanes}xf32>
  return
}}
"""


def _fma_module(acc: int, lanes: int) -> str:
    lines, prev = [], "%a"
    for j in range(acc):
        lines.append(
            f"    %e{j} = vector.extract {prev if j == 0 else '%a'}[{j}] : "
            f"vector<{lanes}xf32> from vector<{acc}x{lanes}xf32>"
        )
        lines.append(f"    %f{j} = vector.fma %e{j}, %x, %y : vector<{lanes}xf32>")
    cur = "%a"
    for j in range(acc):
        lines.append(
            f"    %a{j} = vector.insert %f{j}, {cur} [{j}] : vector<{lanes}xf32> into vector<{acc}x{lanes}xf32>"
        )
        cur = f"%a{j}"
    return FMA_KERNEL.format(acc=acc, lanes=lanes, body="\n".join(lines), last=acc - 1)


def fma_peak_gflops(lanes: int = 8, accumulators: int = 12, iters: int = 20_000_000) -> float:
    """Single-thread f32 FMA peak in GFLOP/s (2 flops per lane per FMA)."""
    ctx = new_context()
    module = parse_module(_fma_module(accumulators, lanes), ctx)
    passes = [
        "convert-vector-to-scf{full-unroll=true}",
        "convert-scf-to-cf",
        "convert-vector-to-llvm",
        "finalize-memref-to-llvm",
        "convert-arith-to-llvm",
        "convert-index-to-llvm",
        "convert-func-to-llvm{use-bare-ptr-memref-call-conv=true}",
        "convert-cf-to-llvm",
        "reconcile-unrealized-casts",
    ]
    build_pass_manager(passes, ctx).run(module.operation)
    jit = JitModule(module)
    fn = jit.packed_function("fma_peak")
    out = np.zeros((accumulators, lanes), np.float32)
    ptr = ctypes.c_void_p(out.ctypes.data)
    n = ctypes.c_int64(iters)
    args = (ctypes.c_void_p * 2)(ctypes.addressof(ptr), ctypes.addressof(n))
    fn(args)  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fn(args)
        times.append(time.perf_counter() - start)
    flops = 2.0 * lanes * accumulators * iters
    return flops / min(times) / 1e9


def memory_bandwidth_gbs(megabytes: int = 256, threads: int = 1) -> float:
    """Copy bandwidth (bytes read + written per second) with ``threads`` threads, GB/s.

    Uses torch's multithreaded ``copy_`` (numpy copies on one thread only).
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        n = megabytes * (1 << 20) // 4
        src = torch.ones(n)
        dst = torch.empty_like(src)
        dst.copy_(src)
        times = []
        for _ in range(7):
            start = time.perf_counter()
            dst.copy_(src)
            times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 2 * src.numel() * 4 / statistics.median(times) / 1e9


if __name__ == "__main__":
    from kiln.targets import host_target

    lanes = host_target().vector_width
    print(f"FMA peak (1 core, {lanes} lanes): {fma_peak_gflops(lanes):.1f} GFLOP/s")
    print(f"FMA peak (1 core, 8 lanes): {fma_peak_gflops(8):.1f} GFLOP/s")
    print(
        f"copy bandwidth: {memory_bandwidth_gbs():.1f} GB/s (1 thread), "
        f"{memory_bandwidth_gbs(threads=2):.1f} GB/s (2 threads)"
    )
