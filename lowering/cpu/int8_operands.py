"""The int8 operands of a register-block contraction (``kiln-pack-contractions`` on the
u8 x s8 -> i32 contractions of ``kiln-int8-contractions``).

AVX512-VNNI's ``vpdpbusd`` multiplies *groups of four* bytes (u8 of A by s8 of B) and
adds the four products to one i32 lane. So the reduction loop k is split into
(k4, kp) with kp = 4, and:
- A (u8, written by its producer) is read through free reshapes [batch..., M/mr, mr,
  K4, 4]: each k4 step of a block row reads one 32-bit word, which the kernel
  broadcasts;
- B (an s8 constant: quantized weights) becomes panels [batch..., N/nr, K4, nr, 4] at
  compile time, with numpy: each lane of a k4 step holds its column's four bytes.
K is padded to a multiple of 4 with zeros (zero products add nothing).
"""

from __future__ import annotations

import numpy as np
from kiln.passes.common import constant_array, dense_constant, pad_high, split_dim, static_shape
from kiln.passes.contraction_analysis import Blocking, Contraction
from kiln.passes.registry import PassFailure

from kiln.ir import ir, linalg, tensor

K_QUAD = 4  # bytes per 32-bit lane of vpdpbusd


def int8_lhs(a: ir.Value, c: Contraction, blk: Blocking, op) -> tuple[ir.Value, list[int]]:
    """A, [a-batch..., M/mr, mr, K4, 4], and the contraction loop of each of its dims
    before the splits (a-batch..., m, k): what ``remap`` expands to block loops."""
    M, _, K = c.sizes
    k_padded = -(-K // K_QUAD) * K_QUAD
    order = [d for d in c.a_dims if d not in (c.m, c.k)] + [c.m, c.k]
    if order != list(c.a_dims):
        perm = [c.a_dims.index(d) for d in order]
        shape = static_shape(a)
        empty = tensor.empty([shape[p] for p in perm], ir.IntegerType.get_signless(8))
        a = _single(linalg.transpose(a, outs=[empty], permutation=perm))
    shape = static_shape(a)
    a = pad_high(a, [*shape[:-1], k_padded])
    rank = len(order)
    split = split_dim(a, rank - 1, [k_padded // K_QUAD, K_QUAD])
    return split_dim(split, rank - 2, [M // blk.mr, blk.mr]), order


def int8_rhs(b: ir.Value, c: Contraction, blk: Blocking, panel_loops: list[int], op):
    """B as s8 panels [b-batch..., n1, K4, nr, 4] and their indexing map (``panel_loops``
    are the block loops n1, k4, n0, kp; batch loops are numbered by ``c.batch``)."""
    array = constant_array(b)
    if array is None:
        raise PassFailure(
            [(op.location, "an int8 contraction needs a constant B (quantized weights)")]
        )
    b_batch = [d for d in c.b_dims if d in c.batch]
    panel_map = [c.batch.index(d) for d in b_batch] + list(panel_loops)
    _, N, K = c.sizes
    k_padded = -(-K // K_QUAD) * K_QUAD
    bkn = np.transpose(array, [c.b_dims.index(d) for d in (*b_batch, c.k, c.n)])
    pad = [(0, 0)] * len(b_batch) + [(0, k_padded - K), (0, blk.n_padded - N)]
    quads = np.pad(bkn, pad).reshape(
        *bkn.shape[:-2], k_padded // K_QUAD, K_QUAD, blk.n_padded // blk.nr, blk.nr
    )
    panels = np.moveaxis(quads, [-4, -3, -2, -1], [-3, -1, -4, -2])  # [.., n1, K4, nr, 4]
    return dense_constant(np.ascontiguousarray(panels), ir.IntegerType.get_signless(8)), panel_map


def _single(built) -> ir.Value:
    return built if isinstance(built, ir.Value) else built.results[0]
