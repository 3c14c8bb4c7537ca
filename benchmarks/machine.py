"""This machine's limits, measured: single-core FMA peak and memory bandwidth.

The measurements live in ``kiln.debug.machine`` (compile reports draw their
roofline against them); this script prints them.
"""

from __future__ import annotations

from kiln.debug.machine import fma_peak_gflops, memory_bandwidth_gbs

__all__ = ["fma_peak_gflops", "memory_bandwidth_gbs"]

if __name__ == "__main__":
    from kiln.targets import host_target

    lanes = host_target().vector_width
    print(f"FMA peak (1 core, {lanes} lanes): {fma_peak_gflops(lanes):.1f} GFLOP/s")
    print(f"FMA peak (1 core, 8 lanes): {fma_peak_gflops(8):.1f} GFLOP/s")
    print(
        f"copy bandwidth: {memory_bandwidth_gbs():.1f} GB/s (1 thread), "
        f"{memory_bandwidth_gbs(threads=2):.1f} GB/s (2 threads)"
    )
