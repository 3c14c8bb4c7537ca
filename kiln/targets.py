"""Compilation targets: what kiln knows about the machine it generates code for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class CpuTarget:
    """A CPU: vector width in f32 lanes and the threads to use."""

    name: str = "host"
    vector_width: int = 8  # f32 lanes: 4 (NEON/SSE), 8 (AVX2), 16 (AVX-512)
    threads: int = 1

    def with_threads(self, threads: int) -> CpuTarget:
        """The same target with another thread count."""
        return CpuTarget(self.name, self.vector_width, threads)


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


def host_target(threads: int | None = None) -> CpuTarget:
    """The machine kiln runs on: AVX-512 -> 16 lanes, AVX2 -> 8, otherwise 4."""
    flags = host_features()
    if "avx512f" in flags:
        width = 16
    elif "avx2" in flags:
        width = 8
    else:
        width = 4
    return CpuTarget("host", width, threads or default_threads())


def default_threads() -> int:
    """KILN_NUM_THREADS, else the CPUs this process may use."""
    env = os.environ.get("KILN_NUM_THREADS")
    if env:
        return max(1, int(env))
    return max(1, len(os.sched_getaffinity(0)))
