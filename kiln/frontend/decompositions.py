"""The aten decompositions kiln applies before torch-mlir imports a program."""

from __future__ import annotations

import math

import torch

from kiln.frontend.conv_decompositions import conv_tbc, convolution
from kiln.frontend.moe_decompositions import moe_decompositions
from kiln.frontend.pool_decompositions import POOL_DECOMPOSITIONS
from kiln.frontend.pow_decompositions import POW_DECOMPOSITIONS
from kiln.frontend.random_decompositions import RANDOM_DECOMPOSITIONS
from kiln.frontend.recurrent_decompositions import RECURRENT_DECOMPOSITIONS


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
    # Every op called here is traced (fake tensors, a graph node, a stack trace):
    # no-op conversions are skipped and the two unused statistics are one
    # ``empty`` (``new_zeros`` traced three nodes), which the export drops.
    low_precision = inputs.dtype in (torch.float16, torch.bfloat16)
    x = inputs.float() if low_precision else inputs
    shape = [1, -1] + [1] * (inputs.dim() - 2)
    invstd = 1 / torch.sqrt(_as_dtype(running_var, x.dtype) + eps)
    out = (x - _as_dtype(running_mean, x.dtype).view(shape)) * invstd.view(shape)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    empty = torch.empty((0,), dtype=inputs.dtype, device=inputs.device)
    return _as_dtype(out, inputs.dtype), empty, empty


def _as_dtype(t, dtype):
    """``t.to(dtype)``, not called when ``t`` has that dtype (it returns ``t`` itself then)."""
    return t if t.dtype == dtype else t.to(dtype)


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


def _constant_pad_nd(x, pad, value=0):
    # A negative pad crops (F.pad(x, [-1, -1]); PyTorch's own col2im decomposition, which
    # F.fold uses, ends with one). torch-mlir lowers it to a tensor.pad with negative
    # amounts, which bufferizes into a subview at offset -1 (outside the buffer). Crops
    # become slices; only the non-negative amounts stay a pad.
    if all(amount >= 0 for amount in pad):
        return NotImplemented
    for i in range(len(pad) // 2):
        dim = x.dim() - 1 - i
        begin, end = -min(pad[2 * i], 0), -min(pad[2 * i + 1], 0)
        x = x.narrow(dim, begin, x.shape[dim] - begin - end)
    return torch.constant_pad_nd(x, [max(amount, 0) for amount in pad], value)


def _stable_sort(x, *, stable=None, dim=-1, descending=False):
    # torch-mlir knows aten.sort only without ``stable``; its sort (tm_tensor.sort, a
    # bubble sort whose comparator is <= or >=) never swaps equal neighbours: stable.
    return torch.ops.aten.sort.default(x, dim, descending)


def _topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 (aten's argument name)
    # torch-mlir lowers only sorted=True ("no lowering to linalg" otherwise: DeepSeek-V3's
    # router). sorted=False leaves the order of the k results unspecified; sorted is one.
    if sorted:
        return NotImplemented
    return torch.ops.aten.topk.default(x, k, dim, largest, True)


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
    torch.ops.aten.convolution.default: convolution,
    torch.ops.aten.conv_tbc.default: conv_tbc,
    torch.ops.aten.constant_pad_nd.default: _constant_pad_nd,
    torch.ops.aten.topk.default: _topk,
    torch.ops.aten.mm.default: _widened(torch.ops.aten.mm.default),
    torch.ops.aten.bmm.default: _widened(torch.ops.aten.bmm.default),
    torch.ops.aten.threshold_backward.default: _threshold_backward,
    torch.ops.aten.clamp.default: _promoting(torch.ops.aten.clamp.default),
    torch.ops.aten.clamp.Tensor: _promoting(torch.ops.aten.clamp.Tensor),
    torch.ops.aten.clamp_min.default: _promoting(torch.ops.aten.clamp_min.default),
    torch.ops.aten.clamp_max.default: _promoting(torch.ops.aten.clamp_max.default),
    torch.ops.aten.sort.stable: _stable_sort,
    **RECURRENT_DECOMPOSITIONS,
    **POOL_DECOMPOSITIONS,
    **POW_DECOMPOSITIONS,
    **RANDOM_DECOMPOSITIONS,
}


def decomposition_table() -> dict:
    """torch-mlir's decomposition table with kiln's entries on top."""
    from torch_mlir.extras.fx_decomp_util import get_decomposition_table

    table = dict(get_decomposition_table())
    table.update(KILN_DECOMPOSITIONS)
    table.update(moe_decompositions())  # at call time: custom ops registered since import
    return table
