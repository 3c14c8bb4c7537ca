"""The aten decompositions kiln applies before torch-mlir imports a program."""

from __future__ import annotations

import math

import torch


def _hypot(a, b):
    return torch.sqrt(a * a + b * b)


def _isfinite(x):
    # Not (x == x) & ...: torch-mlir folds x == x to true, even for NaN.
    return x.abs() < float("inf")


def _gelu(x, approximate="none"):
    # torch-mlir's own tanh-GELU lowering rounds sqrt(2/pi) to 0.797724 (2e-4 off).
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + torch.tanh(inner))
    return 0.5 * x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


def _batch_norm_inference(inputs, weight, bias, running_mean, running_var, momentum, eps):
    # PyTorch's own decomposition traces some 15 ops per norm (copies of the
    # statistics, reshapes of each): 0.6 s of ResNet-18's compile. Same math.
    low_precision = inputs.dtype in (torch.float16, torch.bfloat16)
    x = inputs.float() if low_precision else inputs
    shape = [1, -1] + [1] * (inputs.dim() - 2)
    invstd = 1 / torch.sqrt(running_var.to(x.dtype) + eps)
    out = (x - running_mean.to(x.dtype).view(shape)) * invstd.view(shape)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    empty = inputs.new_zeros((0,))
    return out.to(inputs.dtype), empty, empty


# aten ops torch-mlir cannot lower (or lowers imprecisely, or too slowly traced),
# written with ops it handles well.
KILN_DECOMPOSITIONS = {
    torch.ops.aten._native_batch_norm_legit_no_training.default: _batch_norm_inference,
    torch.ops.aten.hypot.default: _hypot,
    torch.ops.aten.isfinite.default: _isfinite,
    torch.ops.aten.gelu.default: _gelu,
}


def decomposition_table() -> dict:
    """torch-mlir's decomposition table with kiln's entries on top."""
    from torch_mlir.extras.fx_decomp_util import get_decomposition_table

    table = dict(get_decomposition_table())
    table.update(KILN_DECOMPOSITIONS)
    return table
