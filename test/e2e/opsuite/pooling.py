"""Pooling: max and avg 1d/2d with stride, padding, dilation, ceil_mode; adaptive avg/max."""

from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F

from .registry import EXACT, F32_SUM, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("pooling", XFAIL)


def image(*shape):
    return lambda t: (t.randn(*shape),)


SIGNAL, IMAGE = image(2, 3, 11), image(2, 3, 9, 10)

# name -> (module factory, input, tolerance)
POOLS = {
    "max_pool1d_k2": (lambda: nn.MaxPool1d(2), SIGNAL, EXACT),
    "max_pool1d_k3_s2_p1": (lambda: nn.MaxPool1d(3, stride=2, padding=1), SIGNAL, EXACT),
    "max_pool1d_dilation": (lambda: nn.MaxPool1d(3, stride=1, dilation=2), SIGNAL, EXACT),
    "max_pool1d_ceil": (lambda: nn.MaxPool1d(3, stride=2, ceil_mode=True), image(1, 2, 10), EXACT),
    "avg_pool1d_k2": (lambda: nn.AvgPool1d(2), SIGNAL, F32_SUM),
    "avg_pool1d_k3_s2_p1": (lambda: nn.AvgPool1d(3, stride=2, padding=1), SIGNAL, F32_SUM),
    "avg_pool1d_exclude_pad": (
        lambda: nn.AvgPool1d(3, 2, 1, count_include_pad=False),
        SIGNAL,
        F32_SUM,
    ),
    "max_pool2d_k2": (lambda: nn.MaxPool2d(2), IMAGE, EXACT),
    "max_pool2d_k3_s2_p1": (lambda: nn.MaxPool2d(3, stride=2, padding=1), IMAGE, EXACT),
    "max_pool2d_k3_s1": (lambda: nn.MaxPool2d(3, stride=1), IMAGE, EXACT),
    "max_pool2d_rect": (lambda: nn.MaxPool2d((2, 3), stride=(1, 2)), IMAGE, EXACT),
    "max_pool2d_dilation": (lambda: nn.MaxPool2d(2, stride=1, dilation=2), IMAGE, EXACT),
    "max_pool2d_ceil": (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), IMAGE, EXACT),
    "max_pool2d_indices": (lambda: nn.MaxPool2d(2, return_indices=True), image(1, 2, 6, 6), EXACT),
    "avg_pool2d_k2": (lambda: nn.AvgPool2d(2), IMAGE, F32_SUM),
    "avg_pool2d_k3_s2_p1": (lambda: nn.AvgPool2d(3, stride=2, padding=1), IMAGE, F32_SUM),
    "avg_pool2d_exclude_pad": (
        lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        IMAGE,
        F32_SUM,
    ),
    "avg_pool2d_ceil": (lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True), IMAGE, F32_SUM),
    "avg_pool2d_divisor": (lambda: nn.AvgPool2d(2, divisor_override=3), IMAGE, F32_SUM),
    "avg_pool2d_rect": (lambda: nn.AvgPool2d((3, 2), stride=(2, 1)), IMAGE, F32_SUM),
    "adaptive_avg_pool1d_1": (lambda: nn.AdaptiveAvgPool1d(1), SIGNAL, F32_SUM),
    "adaptive_avg_pool1d_uneven": (lambda: nn.AdaptiveAvgPool1d(4), SIGNAL, F32_SUM),
    "adaptive_max_pool1d": (lambda: nn.AdaptiveMaxPool1d(3), image(2, 3, 12), EXACT),
    "adaptive_avg_pool2d_1": (lambda: nn.AdaptiveAvgPool2d(1), IMAGE, F32_SUM),
    "adaptive_avg_pool2d_divisible": (lambda: nn.AdaptiveAvgPool2d((3, 5)), IMAGE, F32_SUM),
    "adaptive_avg_pool2d_uneven": (lambda: nn.AdaptiveAvgPool2d((4, 3)), IMAGE, F32_SUM),
    "adaptive_max_pool2d_1": (lambda: nn.AdaptiveMaxPool2d(1), IMAGE, EXACT),
    "adaptive_max_pool2d_uneven": (lambda: nn.AdaptiveMaxPool2d((4, 3)), IMAGE, EXACT),
}

for name, (module, inputs, tol) in POOLS.items():
    case(name, module, inputs, tol=tol)

case("global_max_by_amax", fn(lambda x: x.amax((2, 3))), IMAGE, tol=EXACT)
case("max_pool2d_then_relu", fn(lambda x: F.relu(F.max_pool2d(x, 2))), IMAGE, tol=EXACT)
case("lp_pool2d", lambda: nn.LPPool2d(2, 2), IMAGE, tol=F32_SUM)
case("max_pool3d", lambda: nn.MaxPool3d(2), image(1, 2, 4, 4, 4), tol=EXACT)
case("avg_pool3d", lambda: nn.AvgPool3d(2), image(1, 2, 4, 4, 4), tol=F32_SUM)

# Unbatched inputs ((C, L), (C, H, W), (C, D, H, W)): PyTorch pools them as a batch of
# one; torch-mlir's lowerings assumed the batch dim (an invalid linalg.pooling_nchw_sum,
# an unlowered max_pool2d).
UNBATCHED = {
    "max_pool1d_unbatched": (lambda: nn.MaxPool1d(3, stride=2), image(3, 11), EXACT),
    "avg_pool1d_unbatched": (lambda: nn.AvgPool1d(3), image(3, 11), F32_SUM),
    "max_pool2d_unbatched": (lambda: nn.MaxPool2d(3, 2, padding=1), image(3, 9, 10), EXACT),
    "avg_pool2d_unbatched": (lambda: nn.AvgPool2d([6, 8], stride=2), image(4, 20, 20), F32_SUM),
    "avg_pool2d_unbatched_exclude_pad": (
        lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        image(3, 9, 10),
        F32_SUM,
    ),
    "adaptive_avg_pool2d_unbatched": (lambda: nn.AdaptiveAvgPool2d(3), image(3, 9, 10), F32_SUM),
    "max_pool2d_unbatched_indices": (
        lambda: nn.MaxPool2d(2, return_indices=True),
        image(3, 8, 8),
        EXACT,
    ),
    "max_pool3d_unbatched": (lambda: nn.MaxPool3d(2), image(2, 4, 4, 4), EXACT),
    "avg_pool3d_unbatched": (lambda: nn.AvgPool3d(2), image(2, 4, 4, 4), F32_SUM),
}
for name, (make, inputs, tol) in UNBATCHED.items():
    case(name, make, inputs, tol=tol)
