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


def _floor_divide(a, b, rounding_mode=None):
    # torch-mlir lowers an integer floor division through f64 (floor(a / b)): int64
    # values past 2**53 came back rounded. Integer truncating division is exact;
    # floor is one less where the division is inexact and the signs differ (never
    # for a zero divisor: x // 0 stays 0, see kiln-guard-integer-division).
    if rounding_mode != "floor" or not _integers(a, b):
        return NotImplemented
    quotient = torch.div(a, b, rounding_mode="trunc")
    inexact = (quotient * b != a) & ((a < 0) != (b < 0)) & (b != 0)
    return quotient - inexact.to(quotient.dtype)


def _integers(*values) -> bool:
    """True when every value is an integer tensor or a Python int (not bool)."""
    for value in values:
        if isinstance(value, torch.Tensor):
            if value.dtype.is_floating_point or value.dtype.is_complex or value.dtype == torch.bool:
                return False
        elif not isinstance(value, int) or isinstance(value, bool):
            return False
    return True


# torch-mlir accumulates an 8-bit integer contraction in i32 and converts the result
# back without the original dtype its 8-bit conversion requires: a null value, and
# the process dies (SIGSEGV). The same sum in int32, wrapped to 8 bits at the end, is
# what PyTorch computes (integer sums wrap modulo 2**8 however wide the accumulator).
NARROW_INTEGERS = (torch.int8, torch.uint8)


def _widened(op):
    def contraction(a, b):
        if a.dtype not in NARROW_INTEGERS or b.dtype != a.dtype:
            return NotImplemented
        return op(a.to(torch.int32), b.to(torch.int32)).to(a.dtype)

    return contraction


def _threshold_backward(grad, x, threshold):
    # PyTorch's decomposition returns grad's dtype; eager promotes grad with x
    # (an int64 grad and a float32 input give float32).
    dtype = torch.result_type(grad, x)
    return torch.where(x <= threshold, 0, grad.to(dtype))


def _promoting(op):
    # clamp(int_tensor, min=-2.5) is float32 in eager; torch-mlir compares the
    # integers with float bounds (arith.cmpf on i64: "must be floating-point-like").
    # Converting the input to the promoted dtype first leaves a same-dtype clamp.
    def clamp(x, *bounds):
        dtype = x.dtype
        for bound in bounds:
            if bound is not None:
                dtype = torch.promote_types(dtype, torch.result_type(x, bound))
        if dtype == x.dtype:
            return NotImplemented
        return op(x.to(dtype), *(b.to(dtype) if isinstance(b, torch.Tensor) else b for b in bounds))

    return clamp


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


def _adaptive_max_pool2d(x, output_size):
    # torch-mlir lowers this op only for 4-D inputs whose sizes the output divides
    # (otherwise "'tensor.cast' op ... cast incompatible"). Adaptive windows are
    # [floor(i * n / out), ceil((i + 1) * n / out)) along each dimension.
    if x.dim() == 3:  # unbatched: (C, H, W)
        values, indices = _adaptive_max_pool2d(x.unsqueeze(0), output_size)
        return values.squeeze(0), indices.squeeze(0)
    (height, width), (out_h, out_w) = x.shape[-2:], output_size
    if height % out_h == 0 and width % out_w == 0:
        kernel = [height // out_h, width // out_w]
        return torch.ops.aten.max_pool2d_with_indices.default(x, kernel, kernel)
    return _adaptive_max_values(x, out_h, out_w), _adaptive_max_indices(x, out_h, out_w)


def _windows(size: int, out: int) -> list[tuple[int, int]]:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_max_values(x, out_h: int, out_w: int):
    # max over a rectangle is max over its rows of max over its columns: out_h + out_w
    # slices instead of out_h * out_w windows.
    rows = [x[..., a:b, :].amax(dim=-2, keepdim=True) for a, b in _windows(x.shape[-2], out_h)]
    x = torch.cat(rows, dim=-2)
    cols = [x[..., a:b].amax(dim=-1, keepdim=True) for a, b in _windows(x.shape[-1], out_w)]
    return torch.cat(cols, dim=-1)


def _adaptive_max_indices(x, out_h: int, out_w: int):
    # Flat h * W + w indices of each window's first maximum in row-major order, as
    # PyTorch picks it: first the best column of every row (torch.max keeps the first
    # of equal values), then the first row holding the best of those. Dead code (and
    # removed) unless the model uses the indices.
    width = x.shape[-1]
    best, cols = [], []
    for a, b in _windows(width, out_w):
        value, col = x[..., a:b].max(dim=-1, keepdim=True)
        best.append(value)
        cols.append(col + a)
    best, cols = torch.cat(best, dim=-1), torch.cat(cols, dim=-1)
    indices = []
    for a, b in _windows(x.shape[-2], out_h):
        _, row = best[..., a:b, :].max(dim=-2, keepdim=True)
        col = cols[..., a:b, :].gather(-2, row)
        indices.append((row + a) * width + col)
    return torch.cat(indices, dim=-2)


def _one_bool_index(x, indices) -> tuple[int, torch.Tensor] | None:
    """(position, mask) when the only index given is a boolean mask over dims of ``x``
    (``x[mask]``, ``x[:, mask]``), else None (other indexing keeps torch-mlir's lowering)."""
    given = [(i, index) for i, index in enumerate(indices) if index is not None]
    if len(given) != 1 or given[0][1].dtype not in (torch.bool, torch.uint8):
        return None
    position, mask = given[0]
    if mask.dim() == 0 or list(mask.shape) != list(x.shape[position : position + mask.dim()]):
        return None
    return position, mask.bool()


def _index_by_mask(x, indices):
    # torch-mlir lowers a boolean index as if it held integers (and runs out of
    # memory doing so): the masked dims are flattened and the selected positions,
    # torch.nonzero's, gathered, which torch-mlir lowers.
    found = _one_bool_index(x, indices)
    if found is None:
        return NotImplemented
    position, mask = found
    flat = x.flatten(position, position + mask.dim() - 1)
    return flat.index_select(position, mask.reshape(-1).nonzero().squeeze(1))


def _index_put_by_mask(x, indices, values, accumulate=False):
    # x[mask] = values as a select, never a scatter: torch-mlir scatters the mask's
    # nonzero positions with index tensors broadcast to max(count, 1) rows (an empty
    # mask writes one garbage position) and dynamic-shape updates.
    found = _one_bool_index(x, indices)
    if found is None:
        return NotImplemented
    position, mask = found
    trailing = x.dim() - position - mask.dim()
    values = values.to(x.dtype)
    # values broadcast to (count, *trailing dims): count_dim is their count dim.
    count_dim = values.dim() - trailing - 1
    if count_dim < 0:
        update = values  # broadcasts over the masked dims as it is
    elif _is_one(values.shape[count_dim]):
        shape = values.shape[:count_dim] + (1,) * mask.dim() + values.shape[count_dim + 1 :]
        update = values.reshape(shape)
    else:
        update = _rows_by_rank(values, count_dim, mask)
    where = mask.reshape(mask.shape + (1,) * trailing)
    return torch.where(where, x + update if accumulate else update, x)


def _is_one(size) -> bool:
    # A data-dependent size (y[mask]'s count) is never assumed to be 1: guarding on
    # it fails the trace; such values hold one row per True position.
    return isinstance(size, int) and size == 1


def _rows_by_rank(values, dim: int, mask):
    """values' rows along ``dim`` spread over the mask's shape: position p gets row
    rank(p), the number of True positions before it. A zero row is appended so that
    an empty mask (values without rows) still reads inside ``values``."""
    pad_shape = list(values.shape)
    pad_shape[dim] = 1
    padded = torch.cat([values, values.new_zeros(pad_shape)], dim=dim)
    rank = (mask.reshape(-1).long().cumsum(0) - 1).clamp(min=0)
    rows = padded.index_select(dim, rank)
    return rows.reshape(rows.shape[:dim] + mask.shape + rows.shape[dim + 1 :])


def _grouped_convolution(
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


# aten ops torch-mlir cannot lower (or lowers imprecisely, or too slowly traced),
# written with ops it handles well.
KILN_DECOMPOSITIONS = {
    torch.ops.aten._native_batch_norm_legit_no_training.default: _batch_norm_inference,
    torch.ops.aten.hypot.default: _hypot,
    torch.ops.aten.div.Tensor_mode: _floor_divide,
    torch.ops.aten.isfinite.default: _isfinite,
    torch.ops.aten.gelu.default: _gelu,
    torch.ops.aten.adaptive_max_pool2d.default: _adaptive_max_pool2d,
    torch.ops.aten.index.Tensor: _index_by_mask,
    torch.ops.aten.index_put.default: _index_put_by_mask,
    torch.ops.aten.convolution.default: _grouped_convolution,
    torch.ops.aten.mm.default: _widened(torch.ops.aten.mm.default),
    torch.ops.aten.bmm.default: _widened(torch.ops.aten.bmm.default),
    torch.ops.aten.threshold_backward.default: _threshold_backward,
    torch.ops.aten.clamp.default: _promoting(torch.ops.aten.clamp.default),
    torch.ops.aten.clamp.Tensor: _promoting(torch.ops.aten.clamp.Tensor),
    torch.ops.aten.clamp_min.default: _promoting(torch.ops.aten.clamp_min.default),
    torch.ops.aten.clamp_max.default: _promoting(torch.ops.aten.clamp_max.default),
}


def decomposition_table() -> dict:
    """torch-mlir's decomposition table with kiln's entries on top."""
    from torch_mlir.extras.fx_decomp_util import get_decomposition_table

    table = dict(get_decomposition_table())
    table.update(KILN_DECOMPOSITIONS)
    return table
