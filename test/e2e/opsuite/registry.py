"""The op suite's registry, in the shape of torch-mlir's e2e suite.

A case is a small ``nn.Module`` (built under a fixed seed), a function that
makes its seeded inputs, the tolerances kiln must meet against eager
PyTorch, a category, and, when kiln cannot pass it yet, ``xfail``: the
exact failure, as ``harness.failure_summary`` words it (``causes.py``). A
case that crashes the process today is ``isolate``d: it runs in a child
process. Each case module (``elementwise.py``, ``conv.py``, ...) lists its
expected failures in an ``XFAIL`` dict and registers its cases on import
through ``registrar``; ``all_cases()`` imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn

CASE_MODULES = (
    "elementwise",
    "logic",
    "broadcasting",
    "reductions",
    "softmax",
    "normalization",
    "matmul",
    "conv",
    "pooling",
    "indexing",
    "shapes",
    "scans",
    "attention",
    "casts",
    "integers",
    "precisions",
)


@dataclass(frozen=True)
class Tolerance:
    """``rtol``/``atol`` for ``torch.testing.assert_close``."""

    rtol: float
    atol: float


# Named tolerances, so a case states which kind of result it checks.
EXACT = Tolerance(0.0, 0.0)  # integers, bools, data movement, min/max/abs/...
F32 = Tolerance(1e-6, 1e-6)  # one or two correctly rounded f32 operations
F32_MATH = Tolerance(1e-5, 1e-6)  # libm or kiln's polynomial exp/tanh/erf (1e-7 rel, 6e-7 abs)
F32_SUM = Tolerance(1e-5, 1e-5)  # reductions and contractions: kiln reassociates sums
F16 = Tolerance(1e-3, 1e-3)
F64 = Tolerance(1e-10, 1e-12)
BF16 = Tolerance(1.6e-2, 1e-2)


class Inputs:
    """Seeded input factories, like torch-mlir's ``TestUtils`` (``t.randn(3, 4)``)."""

    def __init__(self, seed: int = 0):
        self.generator = torch.Generator().manual_seed(seed)

    def randn(self, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Standard normal values."""
        return torch.randn(shape, generator=self.generator).to(dtype)

    def rand(
        self, *shape: int, low: float = 0.0, high: float = 1.0, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """Uniform values in [low, high)."""
        return (low + (high - low) * torch.rand(shape, generator=self.generator)).to(dtype)

    def randint(
        self, *shape: int, low: int = 0, high: int = 10, dtype: torch.dtype = torch.int64
    ) -> torch.Tensor:
        """Uniform integers in [low, high)."""
        return torch.randint(low, high, shape, generator=self.generator, dtype=dtype)

    def bools(self, *shape: int) -> torch.Tensor:
        """A random bool mask."""
        return torch.rand(shape, generator=self.generator) < 0.5


class Fn(nn.Module):
    """A module whose forward is a plain function of its inputs."""

    def __init__(self, fn: Callable):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def fn(f: Callable) -> Callable[[], nn.Module]:
    """A module factory for the function ``f``: ``register("exp", fn(torch.exp), ...)``."""
    return lambda: Fn(f)


@dataclass(frozen=True)
class Case:
    """One op-suite case (see the module docstring)."""

    name: str
    category: str
    module: Callable[[], nn.Module]
    inputs: Callable[[Inputs], tuple]
    rtol: float
    atol: float
    equal_nan: bool = False
    xfail: str | None = None
    isolate: bool = False

    def build(self, seed: int = 0) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
        """The module (weights from a fixed seed, eval mode) and its seeded inputs."""
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            model = self.module().eval()
        inputs = self.inputs(Inputs(seed))
        return model, inputs if isinstance(inputs, tuple) else (inputs,)


REGISTRY: dict[str, Case] = {}
XFAILS: dict[str, str] = {}  # every category's XFAIL entries, to catch misspelled names


def register(
    name: str,
    module: Callable[[], nn.Module],
    inputs: Callable[[Inputs], tuple],
    *,
    category: str,
    tol: Tolerance,
    equal_nan: bool = False,
    xfail: str | None = None,
    isolate: bool = False,
) -> Case:
    """Adds a case; ``module`` is a factory (a class, a lambda, or ``fn(f)``)."""
    if name in REGISTRY:
        raise ValueError(f"op suite: case '{name}' is registered twice")
    case = Case(name, category, module, inputs, tol.rtol, tol.atol, equal_nan, xfail, isolate)
    REGISTRY[name] = case
    return case


def registrar(category: str, xfails: dict[str, str]) -> Callable[..., Case]:
    """``register`` for one category, taking each case's xfail reason from ``xfails``."""
    XFAILS.update(xfails)

    def case(name: str, module, inputs, **options) -> Case:
        return register(name, module, inputs, category=category, xfail=xfails.get(name), **options)

    return case


def all_cases() -> list[Case]:
    """Every registered case, in registration order (category by category)."""
    for module in CASE_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    unknown = sorted(set(XFAILS) - set(REGISTRY))
    if unknown:
        raise ValueError(f"op suite: XFAIL entries for unknown cases: {', '.join(unknown)}")
    return list(REGISTRY.values())
