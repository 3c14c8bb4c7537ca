"""Mixture-of-experts ops with data-dependent shapes, written with static ones.

A mixture-of-experts layer (Hugging Face's Mixtral, Qwen-MoE, OLMoE, ...)
counts the tokens routed to each expert with ``torch.histc`` and multiplies
the tokens, sorted by expert, by their expert's weights with a grouped
matmul: ``aten._grouped_mm`` or, where that kernel cannot be used,
transformers' ``grouped_mm_fallback`` custom op. Neither is known to
torch-mlir, and the fallback cannot be inlined: its Python body loops over
``offs.tolist()``, which no trace can follow. Both are written here with
static shapes: every row is multiplied by every expert's weights and the
row's own expert selected by a mask (E times the matmul work of a grouped
kernel, none of its data-dependent shapes).
"""

from __future__ import annotations

import torch


def _histc(x, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's parameter names
    # PyTorch's rule: equal-width bins over [min, max], or over the data's range when
    # min == max (then widened by 1 on each side if that range is empty too); values
    # outside are dropped, max falls in the last bin. Bin = floor((v - lo) * bins / (hi - lo)).
    if not x.dtype.is_floating_point:
        return NotImplemented  # PyTorch's histc refuses integers on CPU too
    values = x.reshape(-1)
    if min == max:
        lo, hi = values.min(), values.max()
        empty = lo == hi
        lo, hi = torch.where(empty, lo - 1, lo), torch.where(empty, hi + 1, hi)
    else:  # Python numbers: no tensor constants inside a decomposition
        lo, hi = min, max
    position = ((values - lo) * bins / (hi - lo)).floor().long().clamp(max=bins - 1)
    inside = (values >= lo) & (values <= hi)
    one_hot = (position.unsqueeze(1) == torch.arange(bins)) & inside.unsqueeze(1)
    return one_hot.sum(0).to(x.dtype)


def grouped_mm_rows(rows, weight, offs):
    """``rows`` (S, K) times ``weight`` (E, K, N), row s by expert e where
    offs[e-1] <= s < offs[e] (offs: cumulative row counts); rows past offs[-1] are 0."""
    experts = weight.shape[0]
    index = torch.arange(rows.shape[0], dtype=offs.dtype)
    expert_of = (index.unsqueeze(1) >= offs.unsqueeze(0)).sum(1)  # E for rows past the end
    out = rows.new_zeros((rows.shape[0], weight.shape[2]))
    for e in range(experts):
        # where, not a 0/1 product: another expert's inf or NaN must not leak in.
        out = torch.where((expert_of == e).unsqueeze(1), torch.mm(rows, weight[e]), out)
    return out


def _grouped_mm(rows, weight, offs=None, bias=None, out_dtype=None):
    # Only the 2-D x 3-D form with offsets (the MoE one) and no bias is written here.
    if offs is None or bias is not None or rows.dim() != 2 or weight.dim() != 3:
        return NotImplemented
    out = grouped_mm_rows(rows, weight, offs)
    return out if out_dtype is None else out.to(out_dtype)


def _transformers_fallback(rows, weight, offs):
    return grouped_mm_rows(rows, weight, offs)


def moe_decompositions() -> dict:
    """The table entries; transformers' op only where transformers registered it."""
    table = {
        torch.ops.aten.histc.default: _histc,
        torch.ops.aten._grouped_mm.default: _grouped_mm,
    }
    try:
        table[torch.ops.transformers.grouped_mm_fallback.default] = _transformers_fallback
    except (AttributeError, RuntimeError):  # transformers not imported: no such op
        pass
    return table
