"""Contractions: mm, bmm, matmul with batch broadcast, linear, einsum, addmm/baddbmm."""

from __future__ import annotations

import functools

import torch
import torch.nn as nn

from .registry import EXACT, F32_SUM, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("matmul", XFAIL)


def operands(*shapes):
    return lambda t: tuple(t.randn(*s) for s in shapes)


# --- mm: shapes, including sizes that are not multiples of the vector width -----------

MM_SHAPES = {
    "square_8": (8, 8, 8),
    "square_16": (16, 16, 16),
    "odd_7x13x5": (7, 13, 5),
    "tall_33x3x9": (33, 3, 9),
    "wide_2x17x31": (2, 17, 31),
    "row_1x9x12": (1, 9, 12),
    "column_10x6x1": (10, 6, 1),
    "inner_1": (5, 1, 6),
    "one_1x1x1": (1, 1, 1),
    "prime_11x23x19": (11, 23, 19),
    "k_long_4x130x6": (4, 130, 6),
    # N past one register block and not a multiple of it: a partial last tile,
    # vectorized with masks after bufferization.
    "n_partial_64x100x100": (64, 100, 100),
}

for name, (m, k, n) in MM_SHAPES.items():
    case(f"mm_{name}", fn(torch.mm), operands((m, k), (k, n)), tol=F32_SUM)

case("mm_lhs_transposed", fn(lambda a, b: a.t() @ b), operands((9, 6), (9, 5)), tol=F32_SUM)
case("mm_rhs_transposed", fn(lambda a, b: a @ b.t()), operands((6, 9), (5, 9)), tol=F32_SUM)
case("mm_both_transposed", fn(lambda a, b: a.t() @ b.t()), operands((9, 6), (5, 9)), tol=F32_SUM)
case("mm_self_gram", fn(lambda a: a @ a.t()), operands((7, 10)), tol=F32_SUM)
case("mm_constant_weight", lambda: ConstantRhs(), operands((6, 12)), tol=F32_SUM)
case("mv", fn(torch.mv), operands((7, 9), (9,)), tol=F32_SUM)
case("vec_mat", fn(torch.matmul), operands((9,), (9, 5)), tol=F32_SUM)
case("dot", fn(torch.dot), operands((17,), (17,)), tol=F32_SUM)
case("outer", fn(torch.outer), operands((5,), (7,)), tol=F32_SUM)

# --- batched -----------------------------------------------------------------------------

case("bmm", fn(torch.bmm), operands((3, 5, 7), (3, 7, 4)), tol=F32_SUM)
case("bmm_odd", fn(torch.bmm), operands((2, 9, 13), (2, 13, 3)), tol=F32_SUM)
case(
    "bmm_rhs_transposed",
    fn(lambda a, b: torch.bmm(a, b.transpose(1, 2))),
    operands((2, 5, 6), (2, 4, 6)),
    tol=F32_SUM,
)
case("matmul_3d_2d", fn(torch.matmul), operands((2, 5, 7), (7, 3)), tol=F32_SUM)
case("matmul_2d_3d", fn(torch.matmul), operands((5, 7), (2, 7, 3)), tol=F32_SUM)
case("matmul_batch_broadcast", fn(torch.matmul), operands((1, 5, 6), (3, 6, 4)), tol=F32_SUM)
case("matmul_4d", fn(torch.matmul), operands((2, 3, 4, 5), (2, 3, 5, 6)), tol=F32_SUM)
case("matmul_4d_broadcast", fn(torch.matmul), operands((2, 1, 4, 5), (1, 3, 5, 6)), tol=F32_SUM)
case("matmul_3d_vector", fn(torch.matmul), operands((2, 4, 5), (5,)), tol=F32_SUM)

# --- linear ------------------------------------------------------------------------------

case("linear", lambda: nn.Linear(12, 7), operands((4, 12)), tol=F32_SUM)
case("linear_no_bias", lambda: nn.Linear(9, 5, bias=False), operands((3, 9)), tol=F32_SUM)
case("linear_3d_input", lambda: nn.Linear(8, 6), operands((2, 3, 8)), tol=F32_SUM)
case("linear_1d_input", lambda: nn.Linear(10, 3), operands((10,)), tol=F32_SUM)
case("linear_odd", lambda: nn.Linear(33, 17), operands((5, 33)), tol=F32_SUM)
case(
    "linear_weight_input",
    fn(torch.nn.functional.linear),
    operands((4, 6), (5, 6), (5,)),
    tol=F32_SUM,
)
case(
    "linear_relu_linear",
    lambda: nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 4)),
    operands((3, 10)),
    tol=F32_SUM,
)

# --- einsum ------------------------------------------------------------------------------

EINSUMS = {
    "ij_jk": ("ij,jk->ik", ((4, 6), (6, 5))),
    "bij_bjk": ("bij,bjk->bik", ((2, 3, 5), (2, 5, 4))),
    "attention_scores": ("bhqd,bhkd->bhqk", ((1, 2, 4, 8), (1, 2, 6, 8))),
    "transpose": ("ij->ji", ((3, 5),)),
    "inner": ("i,i->", ((11,), (11,))),
    "rowwise_dot": ("ij,ij->i", ((4, 7), (4, 7))),
    "outer": ("i,j->ij", ((3,), (5,))),
    "contract_two_dims": ("ijk,jkl->il", ((2, 3, 4), (3, 4, 5))),
    "trace": ("ii->", ((5, 5),)),
    "batch_sum": ("bij->bj", ((2, 3, 4),)),
}

for name, (equation, shapes) in EINSUMS.items():
    case(
        f"einsum_{name}",
        fn(functools.partial(torch.einsum, equation)),
        operands(*shapes),
        tol=F32_SUM,
    )

# --- fused forms -------------------------------------------------------------------------

case(
    "addmm",
    fn(lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0)),
    operands((4, 5), (4, 6), (6, 5)),
    tol=F32_SUM,
)
case("addmm_row_bias", fn(torch.addmm), operands((5,), (4, 6), (6, 5)), tol=F32_SUM)
case("baddbmm", fn(torch.baddbmm), operands((2, 3, 4), (2, 3, 5), (2, 5, 4)), tol=F32_SUM)
case(
    "matmul_scale_add",
    fn(lambda a, b, c: (a @ b) * 0.125 + c),
    operands((4, 8), (8, 4), (4, 4)),
    tol=F32_SUM,
)


def int8_operands(lhs_dtype, m, k, n):
    """u8 or s8 A (the full byte range: a sign-extended u8 would differ) and s8 B."""
    low = 0 if lhs_dtype == torch.uint8 else -128
    return lambda t: (
        t.randint(m, k, low=low, high=low + 256, dtype=lhs_dtype),
        t.randint(k, n, low=-128, high=128, dtype=torch.int8),
    )


# torch._int_mm of two activations: a u8 x s8 one has the int8 contraction's form but no
# constant B to pack (it failed in kiln-pack-contractions).
case("int_mm_s8", fn(torch._int_mm), int8_operands(torch.int8, 3, 4, 3), tol=EXACT)
case("int_mm_u8_s8", fn(torch._int_mm), int8_operands(torch.uint8, 3, 4, 3), tol=EXACT)
case("int_mm_u8_s8_large", fn(torch._int_mm), int8_operands(torch.uint8, 32, 40, 48), tol=EXACT)


class ConstantRhs(nn.Module):
    """x @ W with W a constant buffer (folded and packed at compile time)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.randn(12, 10))

    def forward(self, x):
        return x @ self.w
