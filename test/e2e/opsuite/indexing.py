"""Indexing and slicing: slices, select, flip, gather, scatter, index_select, embedding,
masked_fill, index_put, and friends, with int64 index tensors and bool masks.

Negative slice steps (``x[::-1]``) are not a case: PyTorch itself rejects them
("step must be greater than zero"); ``torch.flip`` is the way, and is covered.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .causes import illegal_op
from .registry import EXACT, F32, F32_SUM, fn, registrar

XFAIL = {
    "embedding_bag_mean": illegal_op("embedding_bag.padding_idx"),
}

case = registrar("indexing", XFAIL)


def matrix(t):
    return (t.randn(6, 8),)


def cube(t):
    return (t.randn(3, 5, 7),)


def permutation(t, rows: int, cols: int) -> torch.Tensor:
    """Each row a permutation of range(cols): scatter indices without duplicates."""
    return t.rand(rows, cols).argsort(dim=1)


# --- slicing and select --------------------------------------------------------------------

SLICES = {
    "rows": lambda x: x[1:4],
    "columns_step2": lambda x: x[:, ::2],
    "offset_step3": lambda x: x[1:, 1::3],
    "negative_start": lambda x: x[-2:],
    "negative_stop": lambda x: x[:, :-3],
    "ellipsis": lambda x: x[..., 2:5],
    "select_row": lambda x: x[2],
    "select_column": lambda x: x[:, -1],
    "none_index": lambda x: x[None, :, None],
    "narrow": lambda x: x.narrow(1, 2, 4),
    "slice_then_add": lambda x: x[:, :4] + x[:, 4:],
    "strided_then_mul": lambda x: x[::2, 1::2] * 2.0,
}

for name, f in SLICES.items():
    case(
        f"slice_{name}",
        fn(f),
        matrix,
        tol=EXACT if "add" not in name and "mul" not in name else F32,
    )

case("slice_3d_middle", fn(lambda x: x[:, 1:4, ::3]), cube, tol=EXACT)
case("select_3d", fn(lambda x: x[:, 2, :]), cube, tol=EXACT)
case("flip_dim0", fn(lambda x: torch.flip(x, (0,))), matrix, tol=EXACT)
case("flip_two_dims", fn(lambda x: torch.flip(x, (0, 2))), cube, tol=EXACT)
case("roll", fn(lambda x: torch.roll(x, 2, 1)), matrix, tol=EXACT)
case("roll_two_dims", fn(lambda x: torch.roll(x, (1, -2), (0, 1))), matrix, tol=EXACT)
case("tril", fn(torch.tril), matrix, tol=EXACT)
case("triu_offset", fn(lambda x: torch.triu(x, 1)), matrix, tol=EXACT)
case("diagonal", fn(lambda x: torch.diagonal(x)), matrix, tol=EXACT)
case("diag_embed", fn(torch.diag_embed), lambda t: (t.randn(2, 4),), tol=EXACT)

# --- integer index tensors ------------------------------------------------------------------

case(
    "index_tensor_rows",
    fn(lambda x, i: x[i]),
    lambda t: (t.randn(6, 8), t.randint(4, high=6)),
    tol=EXACT,
)
case(
    "index_tensor_columns",
    fn(lambda x, i: x[:, i]),
    lambda t: (t.randn(6, 8), t.randint(5, high=8)),
    tol=EXACT,
)
case(
    "index_tensor_pairs",
    fn(lambda x, i, j: x[i, j]),
    lambda t: (t.randn(6, 8), t.randint(5, high=6), t.randint(5, high=8)),
    tol=EXACT,
)
case(
    "index_tensor_2d",
    fn(lambda x, i: x[i]),
    lambda t: (t.randn(6, 8), t.randint(2, 3, high=6)),
    tol=EXACT,
)
case(
    "index_tensor_negative",
    fn(lambda x, i: x[i]),
    lambda t: (t.randn(6, 8), t.randint(4, low=-6, high=6)),
    tol=EXACT,
)
case(
    "index_select_dim0",
    fn(lambda x, i: torch.index_select(x, 0, i)),
    lambda t: (t.randn(6, 8), t.randint(4, high=6)),
    tol=EXACT,
)
case(
    "index_select_dim1",
    fn(lambda x, i: torch.index_select(x, 1, i)),
    lambda t: (t.randn(6, 8), t.randint(5, high=8)),
    tol=EXACT,
)
case(
    "index_select_3d",
    fn(lambda x, i: x.index_select(2, i)),
    lambda t: (t.randn(3, 5, 7), t.randint(3, high=7)),
    tol=EXACT,
)
case(
    "gather_dim0",
    fn(lambda x, i: torch.gather(x, 0, i)),
    lambda t: (t.randn(6, 8), t.randint(3, 8, high=6)),
    tol=EXACT,
)
case(
    "gather_dim1",
    fn(lambda x, i: torch.gather(x, 1, i)),
    lambda t: (t.randn(6, 8), t.randint(6, 3, high=8)),
    tol=EXACT,
)
case(
    "gather_3d",
    fn(lambda x, i: torch.gather(x, 2, i)),
    lambda t: (t.randn(3, 5, 7), t.randint(3, 5, 2, high=7)),
    tol=EXACT,
)
case(
    "take_along_dim",
    fn(lambda x, i: torch.take_along_dim(x, i, 1)),
    lambda t: (t.randn(4, 6), t.randint(4, 2, high=6)),
    tol=EXACT,
)
case("gather_argmax", fn(lambda x: x.gather(1, x.argmax(1, keepdim=True))), matrix, tol=EXACT)

# --- scatter and index_put ------------------------------------------------------------------

case(
    "scatter_src",
    fn(lambda x, i, s: torch.scatter(x, 1, i, s)),
    lambda t: (t.randn(4, 6), permutation(t, 4, 6)[:, :3], t.randn(4, 3)),
    tol=EXACT,
)
case(
    "scatter_value",
    fn(lambda x, i: torch.scatter(x, 1, i, 0.5)),
    lambda t: (t.randn(4, 6), permutation(t, 4, 6)[:, :2]),
    tol=EXACT,
)
case(
    "scatter_dim0",
    fn(lambda x, i, s: x.scatter(0, i, s)),
    lambda t: (t.randn(6, 4), permutation(t, 4, 6)[:, :2].t().contiguous(), t.randn(2, 4)),
    tol=EXACT,
)
case(
    "scatter_add",
    fn(lambda x, i, s: torch.scatter_add(x, 1, i, s)),
    lambda t: (t.randn(4, 6), t.randint(4, 5, high=6), t.randn(4, 5)),
    tol=F32_SUM,
)
case(
    "scatter_reduce_amax",
    fn(lambda x, i, s: x.scatter_reduce(1, i, s, "amax")),
    lambda t: (t.randn(4, 6), t.randint(4, 5, high=6), t.randn(4, 5)),
    tol=EXACT,
)
case(
    "index_put",
    fn(lambda x, i, v: x.index_put((i,), v)),
    lambda t: (t.randn(6, 4), torch.tensor([4, 0, 2]), t.randn(3, 4)),
    tol=EXACT,
)
case(
    "index_put_accumulate",
    fn(lambda x, i, v: x.index_put((i,), v, accumulate=True)),
    lambda t: (t.randn(6, 4), t.randint(5, high=6), t.randn(5, 4)),
    tol=F32_SUM,
)
case(
    "setitem_slice",
    fn(lambda x, v: torch.cat([x[:2], v, x[3:]])),
    lambda t: (t.randn(5, 4), t.randn(1, 4)),
    tol=EXACT,
)
case(
    "slice_scatter",
    fn(lambda x, v: torch.slice_scatter(x, v, dim=1, start=1, end=7, step=2)),
    lambda t: (t.randn(4, 8), t.randn(4, 3)),
    tol=EXACT,
)
case(
    "select_scatter",
    fn(lambda x, v: torch.select_scatter(x, v, 0, 2)),
    lambda t: (t.randn(4, 5), t.randn(5)),
    tol=EXACT,
)
case(
    "index_add",
    fn(lambda x, i, s: x.index_add(0, i, s)),
    lambda t: (t.randn(5, 3), t.randint(4, high=5), t.randn(4, 3)),
    tol=F32_SUM,
)

# --- embedding ------------------------------------------------------------------------------

case("embedding", lambda: nn.Embedding(10, 6), lambda t: (t.randint(2, 5, high=10),), tol=EXACT)
case("embedding_1d", lambda: nn.Embedding(7, 4), lambda t: (t.randint(9, high=7),), tol=EXACT)
case(
    "embedding_padding_idx",
    lambda: nn.Embedding(8, 3, padding_idx=0),
    lambda t: (t.randint(3, 4, high=8),),
    tol=EXACT,
)
case(
    "embedding_functional",
    fn(torch.nn.functional.embedding),
    lambda t: (t.randint(3, 4, high=5), t.randn(5, 6)),
    tol=EXACT,
)
case(
    "embedding_int32_ids",
    lambda: nn.Embedding(10, 4),
    lambda t: (t.randint(2, 3, high=10, dtype=torch.int32),),
    tol=EXACT,
)
case(
    "embedding_bag_mean",
    lambda: nn.EmbeddingBag(10, 4, mode="mean"),
    lambda t: (t.randint(3, 4, high=10),),
    tol=F32_SUM,
)

# --- masks ------------------------------------------------------------------------------------

case(
    "masked_fill",
    fn(lambda x, m: x.masked_fill(m, -1.0)),
    lambda t: (t.randn(4, 6), t.bools(4, 6)),
    tol=EXACT,
)
case(
    "masked_fill_broadcast",
    fn(lambda x, m: x.masked_fill(m, 0.0)),
    lambda t: (t.randn(3, 4, 6), t.bools(4, 1)),
    tol=EXACT,
)
case(
    "masked_fill_neg_inf",
    fn(lambda x, m: x.masked_fill(m, float("-inf"))),
    lambda t: (t.randn(4, 6), t.bools(4, 6)),
    tol=EXACT,
)
case("masked_fill_from_compare", fn(lambda x: x.masked_fill(x < 0, 0.0)), matrix, tol=EXACT)
case(
    "masked_fill_int",
    fn(lambda x, m: x.masked_fill(m, 7)),
    lambda t: (t.randint(4, 6, high=5), t.bools(4, 6)),
    tol=EXACT,
)
case("mask_multiply", fn(lambda x, m: x * m), lambda t: (t.randn(4, 6), t.bools(4, 6)), tol=EXACT)

# --- selection by value ------------------------------------------------------------------------

case("topk_values", fn(lambda x: torch.topk(x, 3).values), matrix, tol=EXACT)
case("topk_both", fn(lambda x: tuple(torch.topk(x, 2, dim=0))), matrix, tol=EXACT)
case("sort_values", fn(lambda x: torch.sort(x, dim=1).values), matrix, tol=EXACT)
case(
    "sort_descending_both",
    fn(lambda x: tuple(torch.sort(x, dim=-1, descending=True))),
    matrix,
    tol=EXACT,
)
case("argsort", fn(lambda x: torch.argsort(x, dim=1)), matrix, tol=EXACT)
