"""The target table: every code generation target kiln has, and the host CPU it runs on.

``kiln.compile``, ``kiln-opt`` and ``kiln-compile`` all look targets up here.
Each target lives in ``lowering/<name>/pipeline.py``: a frozen, validated
options class (``CpuTarget``, ``CudaTarget``) and a function building its
pipeline. The table names them as strings, so looking a target up imports
only that target's code. A target option that the target does not have is an
error naming the options it does have, never silently dropped.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: host_features() serves kiln.load, which imports no MLIR
    from kiln.pipeline import Pipeline


# LLVM -O2. -O3 adds nothing kiln's code can use (its register kernels are already
# unrolled in MLIR) but a higher full-unroll threshold, which fully unrolled the
# small CNN's conv loops at 2 threads: JIT 4.3 s at -O3 vs 0.4 s at -O2, the same
# latency (ResNet-18, GPT-2, encoder, matmul, MLP: within noise as well).
DEFAULT_OPT_LEVEL = 2


@dataclass(frozen=True)
class TargetEntry:
    """One row of the table: where a target's options and pipeline live."""

    name: str
    module: str  # defines the options class and the pipeline function
    options_class: str
    pipeline_function: str
    summary: str
    # Whether the compiled code may loop on the host around its kernels (scf.while):
    # the frontend then emits recurrent layers as one loop body, else it unrolls them.
    host_loops: bool = True

    def options_type(self) -> type:
        """The target's frozen options dataclass (imports the target's module)."""
        return getattr(importlib.import_module(self.module), self.options_class)

    def option_names(self) -> list[str]:
        """The target's options as spelled on the command line (dashes)."""
        return [f.name.replace("_", "-") for f in dataclasses.fields(self.options_type())]

    def make_options(self, base=None, **options):
        """The target's options: ``base`` (or the defaults) with ``options`` replaced.

        Raises ValueError for an option the target does not have, naming its options,
        and for a value the options class rejects.
        """
        cls = self.options_type()
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            bad = ", ".join(name.replace("_", "-") for name in unknown)
            raise ValueError(
                f"target '{self.name}' has no option {bad} "
                f"(its options: {', '.join(self.option_names())})"
            )
        return dataclasses.replace(base if base is not None else cls(), **options)

    def pipeline(self, options=None, **kwargs) -> Pipeline:
        """The target's pipeline for ``options`` (default: the options class's defaults)."""
        build = getattr(importlib.import_module(self.module), self.pipeline_function)
        return build(options if options is not None else self.make_options(), **kwargs)


TARGETS: dict[str, TargetEntry] = {
    "cpu": TargetEntry(
        "cpu",
        "kiln.lowering.cpu.pipeline",
        "CpuTarget",
        "cpu_pipeline",
        "x86-64 / AArch64 CPUs: JIT in process (ExecutionEngine), OpenMP threads",
    ),
    "cuda": TargetEntry(
        "cuda",
        "kiln.lowering.cuda.pipeline",
        "CudaTarget",
        "cuda_pipeline",
        "NVIDIA GPUs: NVVM -> LLVM IR -> PTX -> cubin, launched through the CUDA driver",
        host_loops=False,  # its launch plan replays kernels: no host control flow
    ),
}


def target_entry(name: str) -> TargetEntry:
    """The table entry for ``name``; ValueError naming the targets for an unknown one."""
    if name not in TARGETS:
        raise ValueError(f"unknown target '{name}' (kiln targets: {', '.join(TARGETS)})")
    return TARGETS[name]


@lru_cache(maxsize=1)
def host_features() -> frozenset[str]:
    """The host CPU's feature flags (from /proc/cpuinfo; empty if unknown)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


@lru_cache(maxsize=1)
def host_cpu_model() -> str:
    """The host CPU's vendor, family and model (from /proc/cpuinfo; "" if unknown): with
    ``host_features``, what LLVM's host CPU name (the libraries' tuning) is detected from."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("vendor_id", "cpu family", "model", "CPU implementer", "CPU part"):
                    fields.setdefault(key, value.strip())
                elif not line.strip():
                    break  # the first processor is enough
    except OSError:
        pass
    return " ".join(f"{k}={v}" for k, v in sorted(fields.items()))


def host_target(threads: int | None = None, precision: str = "f32"):
    """The CPU kiln runs on (a ``CpuTarget``): AVX-512 -> 16 lanes, AVX2 -> 8, otherwise 4;
    its AVX512-BF16 and AVX512-VNNI flags; contractions at ``precision`` (ValueError where it lacks them)."""
    threads = default_threads() if threads is None else threads
    return TARGETS["cpu"].make_options(
        vector_width=host_vector_width(),
        threads=threads,
        avx512_bf16="avx512_bf16" in host_features(),
        avx512_vnni="avx512_vnni" in host_features() and host_vector_width() == 16,
        precision=precision,
    )


def features_host_lacks(target) -> list[str]:
    """The CPU features code built for ``target`` (a ``CpuTarget``) executes that this host
    lacks: AVX512-BF16 dot products where contractions run in bf16, AVX512-VNNI where int8
    contractions are on. Wider vectors than the host's are not listed: LLVM splits them."""
    flags = host_features()
    missing = []
    if target.precision == "bf16" and "avx512_bf16" not in flags:
        missing.append("avx512_bf16 (precision 'bf16': vdpbf16ps)")
    if target.avx512_vnni and "avx512_vnni" not in flags:
        missing.append("avx512_vnni (int8 contractions: vpdpbusd)")
    return missing


def host_vector_width() -> int:
    """The host's f32 lanes: AVX-512 -> 16, AVX2 -> 8, otherwise 4 (imports no MLIR)."""
    flags = host_features()
    if "avx512f" in flags:
        return 16
    if "avx2" in flags:
        return 8
    return 4


def default_threads() -> int:
    """KILN_NUM_THREADS, else the CPUs this process may use."""
    env = os.environ.get("KILN_NUM_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"KILN_NUM_THREADS must be an integer, got '{env}'") from None
    return max(1, len(os.sched_getaffinity(0)))
