"""Timing and accuracy helpers shared by every peer's process (numpy only: no torch, no kiln).

The ONNX peers run in their own virtualenv (``.venv-peers``) without torch, so
what both sides need lives here: one timing loop, one error measure.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Repeats:
    """How long to time a point: ``warmup`` calls, then >= ``min_repeats`` calls and >= ``min_seconds``."""

    warmup: int = 3
    min_repeats: int = 10
    min_seconds: float = 1.0


FULL = Repeats()
QUICK = Repeats(warmup=1, min_repeats=3, min_seconds=0.0)  # checks a peer runs, not its speed
MAX_CALLS = 2000


def time_calls(fn: Callable[[], object], repeats: Repeats = FULL) -> float:
    """Median latency of ``fn()`` in milliseconds."""
    for _ in range(repeats.warmup):
        fn()
    times, total = [], 0.0
    while len(times) < repeats.min_repeats or total < repeats.min_seconds:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        total += elapsed
        if len(times) >= MAX_CALLS:
            break
    return statistics.median(times) * 1e3


def max_rel_error(outputs: Sequence[np.ndarray], references: Sequence[np.ndarray]) -> float:
    """max |y - ref| / max |ref| over all outputs (a normwise error: elements near zero
    do not blow it up, and it reads as "how many of ref's significant bits are wrong").

    Raises ValueError when the outputs do not match the references in count or shape:
    a peer that returns something else is a failure, not a large error.
    """
    if len(outputs) != len(references):
        raise ValueError(f"{len(outputs)} outputs, expected {len(references)}")
    worst = 0.0
    for out, ref in zip(outputs, references, strict=True):
        out, ref = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
        if out.shape != ref.shape:
            raise ValueError(f"output shape {out.shape}, expected {ref.shape}")
        if not np.isfinite(out).all():
            return float("inf")
        scale = float(np.abs(ref).max()) if ref.size else 0.0
        diff = float(np.abs(out - ref).max()) if ref.size else 0.0
        worst = max(worst, diff / scale if scale else diff)
    return worst


def error_summary(err: BaseException, limit: int = 300) -> str:
    """One line saying why a point failed: the exception's type and its first diagnostic
    (a line with "error:", as compilers print them), else its first line."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    diagnostics = [line for line in lines if "error:" in line.lower()]
    first = (diagnostics or lines or [""])[0]
    return f"{type(err).__name__}: {first}"[:limit]
