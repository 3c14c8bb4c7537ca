"""The bf16 operands of a register-block contraction (``kiln-pack-contractions{precision=bf16}``).

AVX512-BF16's ``vdpbf16ps`` multiplies *pairs* of bf16 values and adds both
products to one f32 lane. So the reduction loop k is split into (k2, kp) with
kp = 2, and:
- A is converted to bf16 once per contraction (round to nearest even), laid
  out [batch..., M, K2, 2]: each k2 step of a block row reads one 32-bit pair,
  which the kernel broadcasts;
- B becomes bf16 panels [batch..., N/nr, K2, nr, 2]: each lane of a k2 step
  holds its column's pair. A constant B (weights) is rounded and packed here,
  with numpy; a runtime B is converted and packed by a ``linalg.generic``.
An odd K is padded with a zero row/column (zero products add nothing).
"""

from __future__ import annotations

import numpy as np
from kiln.passes.common import (
    affine_map,
    constant_array,
    pad_high,
    split_dim,
    static_shape,
)
from kiln.passes.contraction_analysis import Blocking, Contraction

from kiln.ir import arith, ir, linalg, tensor

K_PACK = 2  # bf16 values per 32-bit lane of vdpbf16ps
# A conversion's vector tile (the standalone schedule's, when set): one panel row of
# nr pairs at a time, [2, nr] read and interleaved, instead of 2-element vectors.
VECTOR_TILE_ATTR = "kiln.vector_tile"


def round_to_bf16(array: np.ndarray) -> np.ndarray:
    """The bf16 bit patterns (uint16) nearest to ``array`` (f32), ties to even, as
    ``arith.truncf`` and ``vcvtneps2bf16`` round; NaNs stay (quiet) NaNs."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(array, dtype=np.float32))
    quiet = ((bits >> 16) | 0x40).astype(np.uint16)
    return np.where(nan, quiet, rounded)


def bf16_constant(bits: np.ndarray) -> ir.Value:
    """An ``arith.constant`` of bf16 elements with the bit patterns ``bits`` (uint16)."""
    bits = np.ascontiguousarray(bits, dtype=np.uint16)
    attr = ir.DenseElementsAttr.get(bits, type=ir.BF16Type.get(), shape=list(bits.shape))
    return arith.ConstantOp(attr.type, attr).result


def bf16_lhs(a: ir.Value, c: Contraction, blk: Blocking) -> tuple[ir.Value, list[int]]:
    """A in bf16, [a-batch..., M/mr, mr, K2, 2], and the contraction loop of each of its
    dims before the splits (a-batch..., m, k): what ``remap`` expands to block loops."""
    K = c.sizes[2]
    a = pad_dim(a, c.a_dims.index(c.k), K + K % 2)
    order = [d for d in c.a_dims if d not in (c.m, c.k)] + [c.m, c.k]
    converted = to_bf16(a, [c.a_dims.index(d) for d in order])
    rank = len(order)
    split = split_dim(converted, rank - 1, [(K + K % 2) // K_PACK, K_PACK])
    return split_dim(split, rank - 2, [c.sizes[0] // blk.mr, blk.mr]), order


def bf16_rhs(b: ir.Value, c: Contraction, blk: Blocking, panel_loops: list[int]):
    """B as bf16 panels [b-batch..., n1, K2, nr, 2] and their indexing map (``panel_loops``
    are the block loops n1, k2, n0, kp; batch loops are numbered by ``c.batch``)."""
    b_batch = [d for d in c.b_dims if d in c.batch]
    panel_map = [c.batch.index(d) for d in b_batch] + list(panel_loops)
    _, N, K = c.sizes
    k_even, n_blocks = K + K % 2, blk.n_padded // blk.nr
    array = constant_array(b)
    if array is not None:
        bkn = np.transpose(array, [c.b_dims.index(d) for d in (*b_batch, c.k, c.n)])
        pad = [(0, 0)] * len(b_batch) + [(0, k_even - K), (0, blk.n_padded - N)]
        bkn = np.pad(bkn, pad).reshape(*bkn.shape[:-2], k_even // 2, 2, n_blocks, blk.nr)
        panels = np.moveaxis(bkn, [-4, -3, -2, -1], [-3, -1, -4, -2])  # [.., n1, K2, nr, 2]
        return bf16_constant(round_to_bf16(panels)), panel_map
    # Free reshapes split k and n; one generic converts and transposes into panels.
    b = pad_dim(pad_dim(b, c.b_dims.index(c.k), k_even), c.b_dims.index(c.n), blk.n_padded)
    labels = []
    for d in c.b_dims:
        labels += {c.k: ["k2", "kp"], c.n: ["n1", "n0"]}.get(d, [d])
    for d in sorted((c.k, c.n), key=c.b_dims.index, reverse=True):
        factors = [k_even // 2, 2] if d == c.k else [n_blocks, blk.nr]
        b = split_dim(b, c.b_dims.index(d), factors)
    target = [*b_batch, "n1", "k2", "n0", "kp"]
    packed = to_bf16(b, [labels.index(t) for t in target])
    tile = [1] * (len(b_batch) + 2) + [blk.nr, K_PACK]
    packed.owner.attributes[VECTOR_TILE_ATTR] = ir.DenseI64ArrayAttr.get(tile)
    return packed, panel_map


def to_bf16(value: ir.Value, perm: list[int]) -> ir.Value:
    """``value`` (f32) rounded to bf16 by a ``linalg.generic`` whose result dim j is
    ``value``'s dim ``perm[j]``."""
    shape = static_shape(value)
    bf16 = ir.BF16Type.get()
    empty = tensor.empty([shape[p] for p in perm], bf16)
    rank = len(shape)
    maps = [affine_map(rank, [perm.index(i) for i in range(rank)]), affine_map(rank, range(rank))]
    generic = linalg.GenericOp(
        [empty.type],
        [value],
        [empty],
        ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps]),
        ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * rank),
    )
    block = generic.regions[0].blocks.append(ir.F32Type.get(), bf16)
    with ir.InsertionPoint(block):
        linalg.YieldOp([arith.truncf(bf16, block.arguments[0])])
    return generic.result


def pad_dim(value: ir.Value, dim: int, size: int) -> ir.Value:
    """``value`` (f32) padded with zeros at the end of ``dim`` up to ``size``."""
    shape = static_shape(value)
    shape[dim] = size
    return pad_high(value, shape)
