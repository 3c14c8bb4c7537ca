"""Random-number ops as draws from one primitive: ``aten.uniform`` on a float64 tensor.

torch-mlir lowers ``aten.uniform`` (its own generator, float64 draws) and builds
the other random ops on it, but three of its conversions give values eager never
does:

- ``randint`` truncates ``low + (high - low) * u`` toward zero: a negative range
  never yields ``low`` and yields 0 twice as often (``randint(-5, 5)``: no -5), and
  with a float ``dtype`` it returns the fraction itself (``randint(3, dtype=float32)``
  gave 2.71...);
- ``rand``/``uniform_`` in float16 and bfloat16 round the float64 draw to nearest:
  values just below ``high`` become ``high`` (``torch.rand(n, dtype=bfloat16)``: 0.2%
  of the draws were exactly 1.0, outside ``[0, 1)``).

Here every draw is made in float64 and brought into its range: integers are
``floor`` of the draw (at most ``high - 1``), narrower floats are clamped to the
largest value of the dtype below ``high``. The ops torch-mlir does not know are
written the same way: ``randint_like``, ``normal`` with tensor mean or std,
``log_normal``, ``cauchy``, ``geometric`` and ``randperm`` (a sort of draws).
The generator differs from eager's: results are equal in distribution, not in
value, as with every random op kiln compiles.
"""

from __future__ import annotations

import math
import struct

import torch

aten = torch.ops.aten
F64 = torch.float64


def _draws(shape, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """float64 draws, uniform in [low, high)."""
    return aten.uniform.default(torch.empty(list(shape), dtype=F64), low, high)


def largest_below(value: float, dtype: torch.dtype) -> float:
    """The largest ``dtype`` number strictly below ``value`` (a finite float).

    float16 and float32 round ``value`` to nearest and step one unit down; bfloat16
    is the upper half of a float32: ``value`` is cut to it (toward zero) first.
    """
    if dtype in (torch.float16, torch.float32):
        fmt, bits = ("e", "H") if dtype == torch.float16 else ("f", "I")
        (word,) = struct.unpack(bits, struct.pack(fmt, value))
        rounded = struct.unpack(fmt, struct.pack(bits, word))[0]
        return rounded if rounded < value else _step_down(word, fmt, bits, rounded)
    if dtype == torch.bfloat16:
        (word,) = struct.unpack("I", struct.pack("f", value))
        word &= 0xFFFF0000
        cut = struct.unpack("f", struct.pack("I", word))[0]
        return cut if cut < value else _step_down(word, "f", "I", cut, step=1 << 16)
    return math.nextafter(value, -math.inf)


def _step_down(word: int, fmt: str, bits: str, rounded: float, step: int = 1) -> float:
    """The number one unit (``step`` in the bit pattern) below ``rounded``."""
    if rounded == 0:
        sign = 1 << (8 * struct.calcsize(bits) - 1)
        return struct.unpack(fmt, struct.pack(bits, sign | step))[0]
    word = word - step if rounded > 0 else word + step
    return struct.unpack(fmt, struct.pack(bits, word))[0]


def _uniform_as(shape, dtype: torch.dtype, low: float, high: float) -> torch.Tensor:
    draws = _draws(shape, low, high)
    if dtype == F64:
        return draws
    return torch.clamp_max(draws, largest_below(high, dtype)).to(dtype)


def _uniform(x, low=0.0, high=1.0, generator=None):
    if x.dtype == F64 or generator is not None:
        return NotImplemented
    return _uniform_as(x.shape, x.dtype, low, high)


def _rand(size, *, generator=None, dtype=None, layout=None, device=None, pin_memory=None):
    if generator is not None:
        return NotImplemented
    return _uniform_as(size, dtype or torch.get_default_dtype(), 0.0, 1.0)


def _rand_like(x, *, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    return _uniform_as(x.shape, dtype or x.dtype, 0.0, 1.0)


def _integers(shape, low: int, high: int, dtype: torch.dtype) -> torch.Tensor:
    """Integers uniform in [low, high): floor of a float64 draw, as ``dtype``."""
    values = torch.clamp_max(torch.floor(_draws(shape, low, high)), high - 1)
    return values.to(dtype)


def _randint(high, size, *, generator=None, dtype=None, **_):
    return _randint_low(0, high, size, generator=generator, dtype=dtype)


def _randint_low(low, high, size, *, generator=None, dtype=None, **_):
    if generator is not None:
        return NotImplemented
    return _integers(size, low, high, dtype or torch.int64)


def _randint_like(x, high, *, dtype=None, **_):
    return _randint_like_low(x, 0, high, dtype=dtype)


def _randint_like_low(x, low, high, *, dtype=None, **_):
    return _integers(x.shape, low, high, dtype or x.dtype)


def _normal(mean, std, *, generator=None):
    """normal(mean, std) with either (or both) a tensor: mean + std * N(0, 1)."""
    if generator is not None:
        return NotImplemented
    tensors = [v for v in (mean, std) if isinstance(v, torch.Tensor)]
    shape = torch.broadcast_shapes(*(t.shape for t in tensors))
    dtype = tensors[0].dtype
    return mean + std * torch.randn(shape, dtype=dtype)


def _log_normal(x, mean=1.0, std=2.0, generator=None):
    if generator is not None:
        return NotImplemented
    return torch.exp(mean + std * torch.randn(x.shape, dtype=F64)).to(x.dtype)


def _cauchy(x, median=0.0, sigma=1.0, generator=None):
    if generator is not None:
        return NotImplemented
    angle = math.pi * (_draws(x.shape) - 0.5)  # in [-pi/2, pi/2): tan is finite but -inf
    return (median + sigma * torch.tan(angle)).to(x.dtype)


def _geometric(x, p, generator=None):
    """Trials up to the first success: ceil(log(u) / log(1 - p)) for u in (0, 1]."""
    if generator is not None:
        return NotImplemented
    u = 1.0 - _draws(x.shape)
    trials = torch.ceil(torch.log(u) / math.log1p(-p))
    return torch.clamp_min(trials, 1.0).to(x.dtype)


def _randperm(n, *, generator=None, dtype=torch.int64, **_):
    if generator is not None:
        return NotImplemented
    return torch.argsort(_draws([n]), stable=True).to(dtype)


RANDOM_DECOMPOSITIONS = {
    aten.uniform.default: _uniform,
    aten.rand.default: _rand,
    aten.rand_like.default: _rand_like,
    aten.randint.default: _randint,
    aten.randint.low: _randint_low,
    aten.randint_like.default: _randint_like,
    aten.randint_like.low_dtype: _randint_like_low,
    aten.normal.Tensor_float: _normal,
    aten.normal.float_Tensor: _normal,
    aten.normal.Tensor_Tensor: _normal,
    aten.log_normal.default: _log_normal,
    aten.cauchy.default: _cauchy,
    aten.geometric.default: _geometric,
    aten.randperm.default: _randperm,
}
