"""This machine's limits, measured: FMA peak, memory bandwidth, and the cycle counter's rate.

The FMA peak is measured with kiln's own toolchain: an MLIR function of
independent ``vector.fma`` chains (enough accumulators to cover FMA latency)
JIT-compiled, timed over many iterations. Bandwidth is a large tensor copy
(read + write, the STREAM "copy" kernel). The cycle counter
(``llvm.readcyclecounter``, which ``kiln-profile-regions`` reads) is timed
against the wall clock, to turn counted cycles into seconds.

Compile reports draw their roofline against these figures; measuring takes a
second or two, so ``measure_machine`` keeps them in ``$XDG_CACHE_HOME/kiln``.
"""

from __future__ import annotations

import ctypes
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

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

CYCLES_KERNEL = """
llvm.func @kiln_cycles(%out: !llvm.ptr) {
  %c = llvm.call_intrinsic "llvm.readcyclecounter"() : () -> i64
  llvm.store %c, %out : i64, !llvm.ptr
  llvm.return
}
"""

TO_LLVM = [
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


def fma_peak_gflops(
    lanes: int = 8, accumulators: int = 12, iters: int = 20_000_000, repeats: int = 3
) -> float:
    """Single-thread f32 FMA peak in GFLOP/s (2 flops per lane per FMA), the best of
    ``repeats`` timed runs."""
    ctx = new_context()
    module = parse_module(_fma_module(accumulators, lanes), ctx)
    build_pass_manager(TO_LLVM, ctx).run(module.operation)
    jit = JitModule(module)
    fn = jit.packed_function("fma_peak")
    out = np.zeros((accumulators, lanes), np.float32)
    ptr = ctypes.c_void_p(out.ctypes.data)
    n = ctypes.c_int64(iters)
    args = (ctypes.c_void_p * 2)(ctypes.addressof(ptr), ctypes.addressof(n))
    fn(args)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(args)
        times.append(time.perf_counter() - start)
    flops = 2.0 * lanes * accumulators * iters
    return flops / min(times) / 1e9


# (lanes, accumulators): 96 f32 values in flight, in 12 or 6 registers. 12 vectors of 16
# lanes would need 24 ymm registers where the JIT targets AVX2 only, and spill.
PEAK_SHAPES = ((4, 12), (8, 12), (16, 6))


def core_peak_gflops() -> float:
    """One core's f32 FMA peak: the best over vector widths (what the core can do,
    whichever width kiln's code uses)."""
    return max(
        fma_peak_gflops(lanes, accumulators, iters=2_000_000, repeats=7)
        for lanes, accumulators in PEAK_SHAPES
    )


def memory_bandwidth_gbs(megabytes: int = 256, threads: int = 1, repeats: int = 7) -> float:
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
        for _ in range(repeats):
            start = time.perf_counter()
            dst.copy_(src)
            times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 2 * src.numel() * 4 / statistics.median(times) / 1e9


def cycle_counter_hz(interval: float = 0.05) -> float:
    """Ticks per second of ``llvm.readcyclecounter`` (x86: the constant-rate TSC)."""
    module = parse_module(CYCLES_KERNEL, new_context())
    jit = JitModule(module)
    fn = jit.packed_function("kiln_cycles")
    value = ctypes.c_int64()
    slot = ctypes.c_void_p(ctypes.addressof(value))
    args = (ctypes.c_void_p * 1)(ctypes.addressof(slot))

    def read() -> tuple[int, float]:
        fn(args)
        return value.value, time.perf_counter()

    c0, t0 = read()
    time.sleep(interval)
    c1, t1 = read()
    return (c1 - c0) / (t1 - t0)


@dataclass(frozen=True)
class Machine:
    """The roofline's roofs for ``threads`` threads, and the cycle counter's rate."""

    cpu: str
    threads: int
    peak_gflops: float  # f32 FMA peak of all ``threads`` cores
    bandwidth_gbs: float  # copy bandwidth at ``threads`` threads
    cycles_hz: float
    measured: str = ""  # when (local time), for the report

    @property
    def ridge(self) -> float:
        """Arithmetic intensity (FLOP/byte) where the two roofs meet."""
        return self.peak_gflops / self.bandwidth_gbs


def measure_machine(threads: int, cache: bool = True) -> Machine:
    """The machine's figures for ``threads`` threads (cached, see ``cache_path``)."""
    cpu = _cpu_name()
    key = f"{cpu}|{threads}"
    path = cache_path()
    known = _read_cache(path) if cache else {}
    if key in known:
        try:
            return Machine(**known[key])
        except TypeError:  # written by another version of kiln: measure again
            pass
    machine = Machine(
        cpu=cpu,
        threads=threads,
        peak_gflops=threads * core_peak_gflops(),
        bandwidth_gbs=memory_bandwidth_gbs(megabytes=128, threads=threads, repeats=5),
        cycles_hz=cycle_counter_hz(),
        measured=time.strftime("%Y-%m-%d %H:%M"),
    )
    if cache:
        known[key] = asdict(machine)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(known, indent=1))
        except OSError:
            pass  # a read-only home: measure again next time
    return machine


def cache_path() -> Path:
    """Where measured figures are kept: ``$XDG_CACHE_HOME/kiln/machine.json``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kiln" / "machine.json"


def _read_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown cpu"
