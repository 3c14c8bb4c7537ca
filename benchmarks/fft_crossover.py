"""Dense DFT matmul vs the four-step form, paired in one process (complex_dft's thresholds).

    .venv/bin/python -m benchmarks.fft_crossover [--rows 128] [--n 32 64 ...] [--kind c2c|r2c|real]

For each length, compiles ``fft`` (c2c: a complex input; real: a real input) or
``rfft`` (r2c: a real input) of ``[rows, n]`` twice, once forced dense and once forced factorized, then
times the two alternately (median of many calls each, interleaved so that load
on the machine hits both alike) and prints dense ms, four-step ms and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import kiln
from kiln.frontend import complex_dft


def _fft(x):
    return torch.fft.fft(x)


def _rfft(x):
    return torch.fft.rfft(x)


def _compiled(fn, x, factor_from: int):
    names = ("FACTOR_C2C_FROM", "FACTOR_REAL_FROM", "FACTOR_R2C_FROM")
    saved = [getattr(complex_dft, name) for name in names]
    for name in names:
        setattr(complex_dft, name, factor_from)
    try:
        start = time.perf_counter()
        compiled = kiln.compile(fn, x, threads=1)
        return compiled, time.perf_counter() - start
    finally:
        for name, value in zip(names, saved, strict=True):
            setattr(complex_dft, name, value)


def paired(a, b, x, calls: int = 60) -> tuple[float, float]:
    """Median ms of ``a(x)`` and ``b(x)``, called alternately."""
    times = ([], [])
    for _ in range(3):
        a(x), b(x)
    for _ in range(calls):
        for fn, out in zip((a, b), times, strict=True):
            start = time.perf_counter()
            fn(x)
            out.append(time.perf_counter() - start)
    return tuple(statistics.median(t) * 1e3 for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--kind", choices=("c2c", "r2c", "real"), default="c2c")
    parser.add_argument("--n", type=int, nargs="+", default=[32, 48, 64, 96, 128, 256, 768])
    args = parser.parse_args()
    for n in args.n:
        if args.kind == "c2c":
            x = torch.randn(args.rows, n, dtype=torch.complex64)
            fn = _fft
        else:
            x = torch.randn(args.rows, n)
            fn = _rfft if args.kind == "r2c" else _fft
        dense, dense_s = _compiled(fn, x, 1 << 40)
        fast, fast_s = _compiled(fn, x, 0)
        err = (fast(x) - fn(x)).abs().max().item() / fn(x).abs().max().item()
        d, f = paired(dense, fast, x)
        print(
            f"{args.kind} n={n:5d} rows={args.rows}: dense {d:.3f} ms, four-step {f:.3f} ms, "
            f"x{d / f:.2f}; compile {dense_s:.1f}/{fast_s:.1f} s; rel err {err:.1e}",
            flush=True,
        )


if __name__ == "__main__":
    main()
