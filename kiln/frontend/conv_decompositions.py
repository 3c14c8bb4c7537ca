"""Convolutions rewritten as the 2-D convolutions kiln schedules.

kiln's CPU schedules (NHWC layout, packed filters, register blocks, Winograd) are
built for 2-D convolutions. torch-mlir lowers a 1-D or 3-D convolution to a named
linalg op no kiln pass rewrites, which then runs as plain loops: Whisper's two 1-D
convolutions were 75% of its encoder's time. Here every convolution that is not
2-D becomes 2-D ones (same arithmetic, summed in another order for 3-D), and the
grouped ones torch-mlir cannot lower become ones it can.
"""

from __future__ import annotations

import torch


def convolution(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """``aten.convolution`` as 2-D convolutions: 1-D ones with a unit height, 3-D ones
    as a sum over depth taps; 2-D ones are left as they are, except grouped
    transposed ones (see ``_grouped_transposed``, which also turns 3-D transposed
    ones into forward ones)."""
    spatial = weight.dim() - 2
    # aten.convolution takes one value for every spatial dim as a 1-element list
    # (conv3d(stride=(1,)), padding="valid"); the rewrites below index each dim.
    stride, padding, dilation, output_padding = (
        _per_dim(values, spatial) for values in (stride, padding, dilation, output_padding)
    )
    if spatial == 1:
        return _as_2d(
            x, weight, bias, stride, padding, dilation, transposed, output_padding, groups
        )
    if spatial == 3 and not transposed:
        return _conv3d_by_depth_taps(x, weight, bias, stride, padding, dilation, groups)
    if transposed and (groups > 1 or spatial == 3):
        # Then a forward convolution (a 3-D one, by depth taps in turn).
        return _grouped_transposed(
            x, weight, bias, stride, padding, dilation, output_padding, groups
        )
    return NotImplemented


def _per_dim(values, spatial: int) -> list:
    """``values`` with one entry per spatial dim: a single entry stands for all of them."""
    values = list(values)
    return values * spatial if len(values) == 1 else values


def _as_2d(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    # (N, C, L) as (N, C, 1, L) and a (F, C, K) filter as (F, C, 1, K): the 2-D
    # convolution over a unit height computes the same sums.
    out = torch.ops.aten.convolution.default(
        x.unsqueeze(2),
        weight.unsqueeze(2),
        bias,
        [1, *stride],
        [0, *padding],
        [1, *dilation],
        transposed,
        [0, *output_padding],
        groups,
    )
    return out.squeeze(2)


def _grouped_transposed(x, weight, bias, stride, padding, dilation, output_padding, groups):
    # torch-mlir lowers a transposed convolution with groups > 1 to an invalid
    # tensor.collapse_shape (rank 5 vs 4). The same convolution as a forward grouped
    # one, which kiln schedules like any other: the input with stride - 1 zeros between
    # its pixels, padded by dilation * (k - 1) - padding (plus output_padding at the
    # end), convolved at stride 1 with each group's filter transposed (in <-> out
    # channels) and flipped in space.
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


def _conv3d_by_depth_taps(x, weight, bias, stride, padding, dilation, groups):
    # A 3-D convolution (torch-mlir cannot lower a grouped one; kiln would run the
    # others as loops) is the sum over the depth taps kd of 2-D convolutions, each over
    # the input's depth slices that tap reads (kd * dilation + i * stride), with the
    # output depths folded into the batch.
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


def conv_tbc(x, weight, bias, pad=0):
    """``aten.conv_tbc``: a 1-D convolution over time-batch-channel data.

    x is (T, B, C), weight (K, C, F), bias (F,); the result is (T', B, F) with
    T' = T + 2 pad - K + 1. torch-mlir's own lowering returns it as (T', F, B) in a
    (T', B, F) type, which its verifier rejects.
    """
    out = torch.nn.functional.conv1d(x.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)
