"""Normalizations: layer_norm, batch_norm (eval), group_norm, instance_norm, rms_norm."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import F32_SUM, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("normalization", XFAIL)


def with_random_affine(module: nn.Module) -> nn.Module:
    """Random weight/bias (and running stats), so no parameter is an identity."""
    with torch.no_grad():
        for name in ("weight", "bias"):
            param = getattr(module, name, None)
            if param is not None:
                param.copy_(torch.randn_like(param) * 0.5 + (1.0 if name == "weight" else 0.0))
        if getattr(module, "running_mean", None) is not None:
            module.running_mean.copy_(torch.randn_like(module.running_mean))
            module.running_var.copy_(torch.rand_like(module.running_var) + 0.5)
    return module


def randn(*shape):
    return lambda t: (t.randn(*shape),)


# --- layer_norm ------------------------------------------------------------------------

case("layer_norm_last", lambda: with_random_affine(nn.LayerNorm(8)), randn(3, 5, 8), tol=F32_SUM)
case(
    "layer_norm_last_two",
    lambda: with_random_affine(nn.LayerNorm((5, 8))),
    randn(3, 5, 8),
    tol=F32_SUM,
)
case(
    "layer_norm_no_affine",
    lambda: nn.LayerNorm(8, elementwise_affine=False),
    randn(4, 8),
    tol=F32_SUM,
)
case(
    "layer_norm_no_bias",
    lambda: with_random_affine(nn.LayerNorm(12, bias=False)),
    randn(2, 3, 12),
    tol=F32_SUM,
)
case(
    "layer_norm_odd_width", lambda: with_random_affine(nn.LayerNorm(37)), randn(5, 37), tol=F32_SUM
)
case(
    "layer_norm_functional_eps",
    fn(lambda x, w, b: F.layer_norm(x, (6,), w, b, eps=1e-3)),
    lambda t: (t.randn(4, 6), t.randn(6), t.randn(6)),
    tol=F32_SUM,
)

case("layer_norm_width_67", lambda: with_random_affine(nn.LayerNorm(67)), randn(3, 67), tol=F32_SUM)
case("center_rows_131", fn(lambda x: x - x.mean(-1, keepdim=True)), randn(3, 131), tol=F32_SUM)

# --- batch_norm in eval mode (running statistics) --------------------------------------

case("batch_norm_1d_nc", lambda: with_random_affine(nn.BatchNorm1d(6)), randn(4, 6), tol=F32_SUM)
case(
    "batch_norm_1d_ncl", lambda: with_random_affine(nn.BatchNorm1d(6)), randn(2, 6, 9), tol=F32_SUM
)
case("batch_norm_2d", lambda: with_random_affine(nn.BatchNorm2d(5)), randn(2, 5, 4, 6), tol=F32_SUM)
case(
    "batch_norm_2d_no_affine",
    lambda: with_random_affine(nn.BatchNorm2d(3, affine=False)),
    randn(2, 3, 5, 5),
    tol=F32_SUM,
)
case(
    "batch_norm_3d",
    lambda: with_random_affine(nn.BatchNorm3d(3)),
    randn(1, 3, 2, 4, 4),
    tol=F32_SUM,
)

# --- group_norm and instance_norm ------------------------------------------------------

case(
    "group_norm_2_groups",
    lambda: with_random_affine(nn.GroupNorm(2, 6)),
    randn(2, 6, 4, 5),
    tol=F32_SUM,
)
case(
    "group_norm_1_group",
    lambda: with_random_affine(nn.GroupNorm(1, 4)),
    randn(2, 4, 3, 3),
    tol=F32_SUM,
)
case(
    "group_norm_per_channel",
    lambda: with_random_affine(nn.GroupNorm(4, 4)),
    randn(2, 4, 3, 3),
    tol=F32_SUM,
)
case(
    "group_norm_3d_input",
    lambda: with_random_affine(nn.GroupNorm(3, 6)),
    randn(2, 6, 10),
    tol=F32_SUM,
)
case(
    "group_norm_no_affine", lambda: nn.GroupNorm(2, 4, affine=False), randn(2, 4, 5, 5), tol=F32_SUM
)
case("instance_norm_1d", lambda: nn.InstanceNorm1d(4), randn(2, 4, 9), tol=F32_SUM)
case("instance_norm_2d", lambda: nn.InstanceNorm2d(3), randn(2, 3, 5, 6), tol=F32_SUM)
case(
    "instance_norm_2d_affine",
    lambda: with_random_affine(nn.InstanceNorm2d(3, affine=True)),
    randn(2, 3, 5, 6),
    tol=F32_SUM,
)

# --- others ---------------------------------------------------------------------------

case("rms_norm", lambda: with_random_affine(nn.RMSNorm(8)), randn(3, 4, 8), tol=F32_SUM)
case(
    "rms_norm_by_hand",
    fn(lambda x: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)),
    randn(3, 6),
    tol=F32_SUM,
)
case("normalize_l2", fn(lambda x: F.normalize(x, dim=-1)), randn(4, 10), tol=F32_SUM)
case("local_response_norm", lambda: nn.LocalResponseNorm(3), randn(1, 6, 4, 4), tol=F32_SUM)
