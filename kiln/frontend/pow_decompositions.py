"""Integer ``pow`` as exact integer arithmetic (torch-mlir lowers ``pow`` of floats only).

PyTorch computes an integer power by repeated squaring over the exponent's bits,
wrapping on overflow like every integer product; a negative exponent gives 1 for
a base of 1, +-1 for a base of -1 (by the exponent's parity) and 0 otherwise (a
negative Python-int exponent is an error in eager, and so at export).
"""

from __future__ import annotations

import torch


def _is_integer(value) -> bool:
    if isinstance(value, torch.Tensor):
        return not (
            value.dtype.is_floating_point or value.dtype.is_complex or value.dtype == torch.bool
        )
    return isinstance(value, int) and not isinstance(value, bool)


def _bits(dtype: torch.dtype) -> int:
    return torch.iinfo(dtype).bits


def _power_by_squaring(base: torch.Tensor, exponent) -> torch.Tensor:
    """base ** exponent for exponent >= 0 (an int or a tensor of base's dtype), wrapping.

    A tensor exponent is read bit by bit (all value bits: its sign bit is handled by
    the caller); a Python int unrolls only the bits it has."""
    result = torch.ones_like(base)
    square = base
    bits = exponent.bit_length() if isinstance(exponent, int) else _bits(base.dtype) - 1
    for i in range(bits):
        if isinstance(exponent, int):
            if exponent >> i & 1:
                result = result * square
        else:
            result = torch.where((exponent >> i) & 1 == 1, result * square, result)
        if i + 1 < bits:
            square = square * square
    return result


def _negative_power(base: torch.Tensor, exponent: torch.Tensor) -> torch.Tensor:
    """PyTorch's integer base ** exponent for exponent < 0: 1, +-1 or 0."""
    odd = (exponent & 1) == 1
    minus_one = torch.where(odd, -torch.ones_like(base), torch.ones_like(base))
    return torch.where(base == 1, 1, torch.where(base == -1, minus_one, 0)).to(base.dtype)


def _pow_tensor_tensor(base, exponent):
    if not (_is_integer(base) and _is_integer(exponent)):
        return NotImplemented
    dtype = torch.result_type(base, exponent)
    base, exponent = base.to(dtype), exponent.to(dtype)
    base, exponent = torch.broadcast_tensors(base, exponent)
    positive = _power_by_squaring(base, exponent)
    if dtype == torch.uint8:
        return positive
    return torch.where(exponent >= 0, positive, _negative_power(base, exponent))


def _pow_tensor_scalar(base, exponent):
    if not (_is_integer(base) and _is_integer(exponent)) or exponent < 0:
        return NotImplemented  # a negative int exponent already failed in eager
    return _power_by_squaring(base, exponent)


def _pow_scalar(base, exponent):
    if not (_is_integer(base) and _is_integer(exponent)):
        return NotImplemented
    dtype = torch.result_type(base, exponent)
    return _pow_tensor_tensor(torch.full_like(exponent, base, dtype=dtype), exponent)


POW_DECOMPOSITIONS = {
    torch.ops.aten.pow.Tensor_Tensor: _pow_tensor_tensor,
    torch.ops.aten.pow.Tensor_Scalar: _pow_tensor_scalar,
    torch.ops.aten.pow.Scalar: _pow_scalar,
}
