"""Pooling of unbatched inputs, as the same pooling over a batch of one.

PyTorch pools a (C, H, W) input as it pools (1, C, H, W) (likewise (C, L) for 1-D
pools, which it runs as 2-D ones over (C, 1, L), and (C, D, H, W) for 3-D ones).
torch-mlir's lowerings assume the batch dim: avg_pool2d built an invalid
``linalg.pooling_nchw_sum`` (rank 3 against NCHW) and max_pool2d was left unlowered.
Here an unbatched pool gets its batch of one, and loses it again in the result.
"""

from __future__ import annotations

import torch

aten = torch.ops.aten


def _batched(op, spatial: int):
    """``op`` (whose first argument is the input) run on a batch of one when the input
    has ``spatial`` + 1 dims; NotImplemented (torch-mlir's own lowering) otherwise."""

    def pool(x, *args, **kwargs):
        if x.dim() != spatial + 1:
            return NotImplemented
        out = op(x.unsqueeze(0), *args, **kwargs)
        if isinstance(out, tuple):  # max pools with indices: (values, indices)
            return tuple(t.squeeze(0) for t in out)
        return out.squeeze(0)

    return pool


# max_pool2d and max_pool3d are not here: torch-mlir's table writes them as the
# ``_with_indices`` ops, which are.
POOL_OPS = {
    aten.avg_pool2d.default: 2,
    aten.max_pool2d_with_indices.default: 2,
    aten.avg_pool3d.default: 3,
    aten.max_pool3d_with_indices.default: 3,
}

POOL_DECOMPOSITIONS = {op: _batched(op, spatial) for op, spatial in POOL_OPS.items()}
