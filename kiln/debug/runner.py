"""Running a lowered module on buffers, and comparing two runs' answers.

Every level of kiln's IR is run the same way: lowered to LLVM with kiln's
calling convention (static shapes: one pointer per buffer, inputs first, then
the results as out-params) and called once on numpy arrays, which it reads
and writes in place. bfloat16 buffers are uint16 arrays of the bits (kiln
has no uint16 at function boundaries). No torch import: ``kiln-bisect
--check`` starts as fast as ``kiln-opt``.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kiln.errors import KilnError
from kiln.ir import ir
from kiln.runtime.jit import JitModule, set_num_threads
from kiln.runtime.signature import TensorSpec

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-4


def run_entry(module: ir.Module, name: str, buffers: Sequence[np.ndarray], threads: int = 1):
    """JIT-compiles an LLVM-level ``module`` and calls ``name`` on ``buffers`` (in place).

    Pre: static shapes and the bare-pointer convention (what kiln's pipelines and
    the reference lowering produce for them); C-contiguous arrays.
    """
    jit = JitModule(module)
    fn = jit.packed_function(name)
    values = (ctypes.c_void_p * len(buffers))(*[b.ctypes.data for b in buffers])
    size = ctypes.sizeof(ctypes.c_void_p)
    base = ctypes.addressof(values)
    packed = (ctypes.c_void_p * len(buffers))(*[base + i * size for i in range(len(buffers))])
    set_num_threads(threads)
    fn(packed)


def zeros_like_spec(spec: TensorSpec) -> np.ndarray:
    """A zero-filled array of ``spec`` (outputs: no garbage where a bug writes nothing)."""
    return np.zeros(_static(spec), dtype=spec.numpy_dtype)


def random_like_spec(spec: TensorSpec, rng: np.random.Generator) -> np.ndarray:
    """Seeded sample data of ``spec``: normal floats, 0/1 integers (valid indices for any
    gather) and booleans."""
    shape = _static(spec)
    if spec.dtype == "bfloat16":
        bits = rng.standard_normal(shape, dtype=np.float32).view(np.uint32) >> 16
        return bits.astype(np.uint16)
    dtype = np.dtype(spec.numpy_dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(0, 2, shape).astype(dtype)


def _static(spec: TensorSpec) -> tuple[int, ...]:
    if spec.dynamic:
        raise KilnError(f"kiln.debug: bisection needs static shapes, got {spec}")
    return tuple(spec.shape)


def as_float64(array: np.ndarray) -> np.ndarray:
    """The values of ``array`` as float64 (uint16 arrays hold bfloat16 bits)."""
    if array.dtype == np.uint16:
        return (array.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return array.astype(np.float64)


@dataclass(frozen=True)
class Mismatch:
    """Where two answers differ most: output index, element index and both values."""

    output: int
    index: tuple[int, ...]
    actual: float
    expected: float
    max_error: float
    bad_elements: int

    def __str__(self) -> str:
        at = ", ".join(map(str, self.index))
        return (
            f"output {self.output}: {self.bad_elements} element(s) differ; "
            f"at [{at}] got {self.actual:.6g}, expected {self.expected:.6g}"
        )


def max_error(actual: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> float:
    """The largest absolute difference over all outputs (NaN against NaN counts 0,
    NaN against a number inf)."""
    worst = 0.0
    for a, e in zip(actual, expected, strict=True):
        if a.size:
            worst = max(worst, float(_differences(as_float64(a), as_float64(e)).max()))
    return worst


def _differences(a: np.ndarray, e: np.ndarray) -> np.ndarray:
    diff = np.abs(a.reshape(e.shape) - e)
    diff[np.isnan(a.reshape(e.shape)) & np.isnan(e)] = 0.0
    return np.nan_to_num(diff, nan=np.inf)


def compare(
    actual: Sequence[np.ndarray],
    expected: Sequence[np.ndarray],
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Mismatch | None:
    """The first output that differs beyond ``atol + rtol * |expected|`` (NaN equals NaN),
    or None when all agree. Values are compared as float64."""
    if len(actual) != len(expected):
        raise KilnError(f"kiln.debug: {len(actual)} outputs against {len(expected)} expected")
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        a64, e64 = as_float64(a).reshape(e.shape), as_float64(e)
        close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            continue
        diff = np.where(close, 0.0, _differences(a64, e64))
        flat = int(diff.argmax())
        return Mismatch(
            i,
            tuple(int(x) for x in np.unravel_index(flat, e.shape)),
            float(a64.flat[flat]),
            float(e64.flat[flat]),
            float(diff.max()),
            int((~close).sum()),
        )
    return None
