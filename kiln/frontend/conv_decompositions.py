"""Decompositions of the grouped convolutions torch-mlir cannot lower, into ones it can."""

from __future__ import annotations

import torch


def grouped_convolution(
    x, weight, bias, stride, padding, dilation, transposed, output_padding, groups
):
    # Grouped convolutions torch-mlir cannot lower; the others are left to it.
    # torch-mlir lowers a transposed convolution with groups > 1 to an invalid
    # tensor.collapse_shape (rank 5 vs 4). The same convolution as a forward grouped
    # one, which kiln schedules like any other: the input with stride - 1 zeros between
    # its pixels, padded by dilation * (k - 1) - padding (plus output_padding at the
    # end), convolved at stride 1 with each group's filter transposed (in <-> out
    # channels) and flipped in space.
    if groups == 1:
        return NotImplemented
    if not transposed:
        if weight.dim() != 5:
            return NotImplemented
        return _grouped_conv3d(x, weight, bias, stride, padding, dilation, groups)
    spatial = weight.dim() - 2
    kernel = weight.shape[2:]
    z = _spread(x, list(stride))
    pads = []  # constant_pad_nd's order: last dimension first, (begin, end) each
    for d in reversed(range(spatial)):
        edge = dilation[d] * (kernel[d] - 1) - padding[d]
        pads += [edge, edge + output_padding[d]]
    z = torch.constant_pad_nd(z, pads, 0.0)  # negative pads crop
    c_in, c_out_group = weight.shape[0], weight.shape[1]
    w = weight.reshape(groups, c_in // groups, c_out_group, *kernel).transpose(1, 2)
    w = w.reshape(groups * c_out_group, c_in // groups, *kernel).flip(list(range(2, 2 + spatial)))
    ones = [1] * spatial
    return torch.ops.aten.convolution.default(
        z, w, bias, ones, [0] * spatial, list(dilation), False, [0] * spatial, groups
    )


def _grouped_conv3d(x, weight, bias, stride, padding, dilation, groups):
    # torch-mlir cannot lower a grouped 3-D convolution. It is the sum over the depth
    # taps kd of grouped 2-D convolutions, each over the input's depth slices that tap
    # reads (kd * dilation + i * stride), with the output depths folded into the batch.
    batch, channels, depth = x.shape[:3]
    x = torch.constant_pad_nd(x, [0, 0, 0, 0, padding[0], padding[0]], 0.0)
    out_depth = (depth + 2 * padding[0] - dilation[0] * (weight.shape[2] - 1) - 1) // stride[0] + 1
    total = None
    for kd in range(weight.shape[2]):
        start = kd * dilation[0]
        taps = x[:, :, start : start + (out_depth - 1) * stride[0] + 1 : stride[0]]
        planes = taps.transpose(1, 2).reshape(batch * out_depth, channels, *x.shape[3:])
        part = torch.ops.aten.convolution.default(
            planes,
            weight[:, :, kd],
            None,
            stride[1:],
            padding[1:],
            dilation[1:],
            False,
            [0, 0],
            groups,
        )
        total = part if total is None else total + part
    out = total.reshape(batch, out_depth, *total.shape[1:]).transpose(1, 2)
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1, 1)
    return out


def _spread(x, stride: list[int]):
    """``x`` with ``s - 1`` zeros between neighbouring elements of each spatial dim."""
    if all(s == 1 for s in stride):
        return x
    batch, channels, *sizes = x.shape
    spatial = len(sizes)
    # (N, C, d0, 1, d1, 1, ...) padded to (N, C, d0, s0, d1, s1, ...): x at offset 0.
    expanded = x.reshape(batch, channels, *[v for size in sizes for v in (size, 1)])
    pads = []
    for s in reversed(stride):
        pads += [0, s - 1, 0, 0]
    spread = torch.constant_pad_nd(expanded, pads, 0.0)
    spread = spread.reshape(
        batch, channels, *[size * s for size, s in zip(sizes, stride, strict=True)]
    )
    for d in range(spatial):
        spread = spread.narrow(2 + d, 0, (sizes[d] - 1) * stride[d] + 1)
    return spread
