"""kiln-int8-conv-blocks: int8 convolution tiles as ``vpdpbusd`` register-block contractions.

The convolution schedule (``schedules/conv.py``) tiles kiln's int8 convolution
(``int8_conv.py``, from ``kiln-int8-convs``) like the named one, down to register
tiles with one filter tap: mr output pixels of a row x nr output channels x ku input
channels (ku a multiple of 4). This pass rewrites each tile into the int8 block
contraction ``kiln-vectorize`` writes as ``vpdpbusd`` kernels (``int8_dot``):

    int8_conv ins(%x : 1x1xWxku i8, %w : 1x1xkuxnr i8) outs(%c : 1x1xmrxnr i32)
      ->
    generic (k4, m0, n0, kp) ins(%a : mr x ku/4 x 4 i8, %p : ku/4 x nr x 4 i8)
      outs(mr x nr i32) {kiln.blocked = [mr, nr, 4]}

- A: every s-th pixel of the input tile (a strided slice), its channels split into
  quads (a free reshape of NHWC): each k4 step of a row reads one 32-bit word;
- B: the s8 HWCF filter constant packed once, at compile time, as
  ``P[kh][kw][F/nr][C/4][nr][4]`` (``P[kh, kw, b, c4, j, t] = W[kh, kw, 4 c4 + t,
  b nr + j]``): each k4 step reads one contiguous row of nr quads.

A tile whose filter is not a slice of such a constant, or whose channel or
output-channel offset is not provably a multiple of 4 or of nr, is left alone (it
then runs as scalar loops: slow, but the same answer).

Pre: the ``tiled`` stage (tensors).
Post: int8 convolution tiles over packable constant filters are ``kiln.blocked``
int8 contractions marked for vectorization; their filters are read only packed.
"""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.bf16_conv_blocks import extract_tile, filter_slices, sum_offsets
from kiln.lowering.cpu.int8_conv import QUAD, int8_conv_window
from kiln.lowering.cpu.pack_conv_filters import block_index, multiple_of
from kiln.lowering.cpu.schedules.contraction import VECTORIZE_ATTR
from kiln.passes.common import (
    affine_map,
    collapse_to,
    collect_ops,
    constant_array,
    dense_constant,
    split_dim,
    static_shape,
    users,
)
from kiln.passes.contraction_analysis import BLOCKED_ATTR
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, linalg

LANES = 16  # i32 lanes of one vpdpbusd accumulator


@register
class Int8ConvBlocks(KilnPass):
    """Rewrite int8 convolution register tiles into ``vpdpbusd`` block contractions."""

    name = "kiln-int8-conv-blocks"

    def run(self, module: ir.Operation) -> None:
        packed: dict[tuple[ir.Value, int], ir.Value] = {}  # (filter constant, nr) -> P
        dead: list[ir.Operation] = []
        for op in collect_ops(module, ["linalg.generic"]):
            window = int8_conv_window(op)
            tap = _filter_tap(op) if window is not None else None
            if tap is None:
                continue
            const, terms, chain = tap
            with ir.InsertionPoint(op), op.location:
                _rewrite(op, window.strides[1], const, terms, packed)
            dead.extend(s.operation for s in chain)
        # The filter slices, innermost first, then the unpacked filters themselves.
        filters = [const.owner.operation for const, _ in packed]
        for op in dict.fromkeys([*dead, *filters]):
            if not users(op.results[0]):
                op.erase()


def _filter_tap(op: ir.Operation):
    """(s8 HWCF constant, the [kh, kw, c, f] offsets of each slice between, the slices)
    of a register tile (one tap, one output row, channels in quads), else None."""
    w, out = op.operands[1], op.operands[2]
    kh, kw, ku, nr = static_shape(w)
    n, oh, _, f = static_shape(out)
    if (kh, kw, n, oh) != (1, 1, 1, 1) or ku % QUAD or nr % LANES or f != nr:
        return None
    found = filter_slices(w)
    if found is None:
        return None
    value, terms, chain = found
    array = constant_array(value)
    if array is None or array.dtype != np.int8 or array.ndim != 4:
        return None
    if array.shape[3] % nr or array.shape[2] % QUAD:
        return None
    if not all(multiple_of(t[3], nr) and multiple_of(t[2], QUAD) for t in terms):
        return None
    return value, terms, chain


def _rewrite(op: ir.Operation, stride: int, const: ir.Value, terms: list, packed: dict) -> None:
    x, w, out = op.operands
    ku, nr = static_shape(w)[2:]
    mr = static_shape(out)[2]
    if (const, nr) not in packed:
        packed[const, nr] = _packed_filter(const, nr)
    kh, kw, c, f = (sum_offsets([t[d] for t in terms]) for d in range(4))
    quad = arith.constant(ir.IndexType.get(), QUAD) if not isinstance(c, int) else None
    c4 = c // QUAD if quad is None else arith.divui(c, quad)
    b = extract_tile(
        packed[const, nr],
        [kh, kw, block_index(0, f, nr), c4, 0, 0],
        [1, 1, 1, ku // QUAD, nr, QUAD],
        [ku // QUAD, nr, QUAD],
    )
    rows = extract_tile(x, [0, 0, 0, 0], [1, 1, mr, ku], [mr, ku], strides=[1, 1, stride, 1])
    a = split_dim(rows, 1, [ku // QUAD, QUAD])
    result = _block_contraction(a, b, collapse_to(out, [[0, 1, 2], [3]]), mr, nr)
    op.results[0].replace_all_uses_with(split_dim(result, 0, [1, 1, mr]))
    op.erase()


def _packed_filter(const: ir.Value, nr: int) -> ir.Value:
    """``P[kh][kw][F/nr][C/4][nr][4]`` (s8) from the HWCF filter ``const``."""
    weights = constant_array(const)
    kh, kw, c, f = weights.shape
    split = weights.reshape(kh, kw, c // QUAD, QUAD, f // nr, nr)
    panels = np.ascontiguousarray(split.transpose(0, 1, 4, 2, 5, 3))
    with ir.InsertionPoint(const.owner), const.owner.location:
        return dense_constant(panels, ir.IntegerType.get_signless(8))


def _block_contraction(a: ir.Value, b: ir.Value, c: ir.Value, mr: int, nr: int) -> ir.Value:
    """C[m, n] += sum_{k4, kp} zext(A[m, k4, kp]) * sext(B[k4, n, kp]), loops (k4, m, n, kp)
    as ``int8_dot`` reads them."""
    maps = [affine_map(4, dims) for dims in ([1, 0, 3], [0, 2, 3], [1, 2])]
    kinds = ["reduction", "parallel", "parallel", "reduction"]
    generic = linalg.GenericOp(
        [c.type],
        [a, b],
        [c],
        ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps]),
        ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{t}>") for t in kinds]),
    )
    i8, i32 = ir.IntegerType.get_signless(8), ir.IntegerType.get_signless(32)
    block = generic.regions[0].blocks.append(i8, i8, i32)
    with ir.InsertionPoint(block):
        x, y = arith.extui(i32, block.arguments[0]), arith.extsi(i32, block.arguments[1])
        linalg.YieldOp([arith.addi(block.arguments[2], arith.muli(x, y))])
    generic.operation.attributes[BLOCKED_ATTR] = ir.DenseI64ArrayAttr.get([mr, nr, QUAD])
    generic.operation.attributes[VECTORIZE_ATTR] = ir.UnitAttr.get()
    return generic.result
