"""kiln-bf16-conv-blocks: bf16 convolution tiles as register-block dot-product contractions.

The convolution schedule (``schedules/conv.py``) leaves each register tile of
a convolution whose input is bf16 (``kiln-bf16-convs``) as a 1-D convolution
with one filter tap: an mr x ku input tile times a ku x nr filter tile, ku an
even number of input channels. This pass rewrites each such tile into the
bf16 block contraction ``kiln-pack-contractions{precision=bf16}`` makes for
matmuls, which ``kiln-vectorize`` lowers to ``vdpbf16ps`` (``bf16_dot``):

    conv_1d_nwc_wcf {strides = s} ins(%x : 1 x W x ku bf16, %w : 1 x ku x nr f32)
      ->
    generic (m, n, k2, kp) ins(%a : mr x ku/2 x 2 bf16, %p : ku/2 x nr x 2 bf16)
      {kiln.blocked = [mr, nr, 2]}

- A: every s-th pixel of the input tile (a strided slice), its channels
  split into pairs (a free reshape of NHWC);
- B: the f32 HWCF filter constant, rounded to bf16 (to nearest even) and
  packed once, at compile time, as ``P[kh][kw][F/nr][C/2][nr][2]``
  (``P[kh, kw, b, c2, j, t] = W[kh, kw, 2 c2 + t, b nr + j]``): each k2 step
  of a tile reads one contiguous row of nr pairs, all of a tile ku/2 rows.

A tile whose filter is not a slice of such a constant, or whose channel or
output-channel offset is not provably even or a multiple of nr, is left alone.

Pre: the ``tiled`` stage (tensors), before ``kiln-pack-conv-filters``.
Post: no ``linalg.conv_1d_nwc_wcf`` with a bf16 input reads a packable
constant filter; the rewritten filters are read only in packed bf16 form.
"""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.bf16_operands import K_PACK, bf16_constant, round_to_bf16
from kiln.lowering.cpu.pack_conv_filters import block_index, multiple_of, slice_offsets
from kiln.lowering.cpu.schedules.contraction import VECTORIZE_ATTR
from kiln.passes.common import (
    affine_map,
    collapse_to,
    collect_ops,
    constant_array,
    defining_op,
    split_dim,
    static_shape,
    users,
)
from kiln.passes.contraction_analysis import BLOCKED_ATTR
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, linalg, tensor

DYNAMIC = ir.ShapedType.get_dynamic_size()


@register
class Bf16ConvBlocks(KilnPass):
    """Rewrite bf16-input 1-D convolution tiles into bf16 dot-product block contractions."""

    name = "kiln-bf16-conv-blocks"

    def run(self, module: ir.Operation) -> None:
        packed: dict[tuple[ir.Value, int], ir.Value] = {}  # (filter constant, nr) -> P
        dead: list[ir.Operation] = []
        for op in collect_ops(module, ["linalg.conv_1d_nwc_wcf"]):
            tap = _filter_tap(op)
            if tap is None:
                continue
            const, terms, chain = tap
            with ir.InsertionPoint(op), op.location:
                _rewrite(op, const, terms, packed)
            dead.extend(op.operation for op in chain)
        # The f32 filter slices, innermost first, then the f32 filters themselves.
        filters = [const.owner.operation for const, _ in packed]
        for op in dict.fromkeys([*dead, *filters]):
            if not users(op.results[0]):
                op.erase()


def _filter_tap(op: ir.Operation):
    """(f32 HWCF constant, the [kh, kw, c, f] offsets of each slice between, the slices)
    of a tile with a bf16 input and an even number of input channels, else None."""
    x, w, out = op.operands[0], op.operands[1], op.operands[2]
    if not isinstance(ir.ShapedType(x.type).element_type, ir.BF16Type):
        return None
    shapes = [static_shape(v) for v in (x, w, out)]
    if None in shapes or shapes[1][0] != 1 or shapes[1][1] % K_PACK:
        return None
    found = filter_slices(w)
    if found is None:
        return None
    value, terms, chain = found
    array = constant_array(value)
    if array is None or array.dtype != np.float32 or array.ndim != 4 or not chain:
        return None
    nr = shapes[1][2]
    if array.shape[3] % nr:
        return None
    if not all(multiple_of(t[3], nr) and multiple_of(t[2], K_PACK) for t in terms):
        return None
    return value, terms, chain


def filter_slices(w: ir.Value):
    """(the 4-D tensor ``w`` is sliced from, the [kh, kw, c, f] offsets of each unit-stride
    static slice between, the slices), innermost first; None for any other slice."""
    terms, chain, value = [], [], w
    while (producer := defining_op(value)) is not None and producer.name == "tensor.extract_slice":
        strides = list(ir.DenseI64ArrayAttr(producer.attributes["static_strides"]))
        sizes = list(ir.DenseI64ArrayAttr(producer.attributes["static_sizes"]))
        if any(s != 1 for s in strides) or DYNAMIC in sizes:
            return None
        if len(sizes) != 4 or len(static_shape(producer.operands[0])) != 4:
            return None
        terms.append(slice_offsets(producer))
        chain.append(producer)
        value = producer.operands[0]
    return value, terms, chain


def sum_offsets(values: list):
    """The sum of offsets that are ints or index Values (at the insertion point)."""
    ints = sum(v for v in values if isinstance(v, int))
    dynamic = [v for v in values if not isinstance(v, int)]
    if not dynamic:
        return ints
    total = dynamic[0]
    for v in dynamic[1:]:
        total = arith.addi(total, v)
    if ints:
        total = arith.addi(total, arith.constant(ir.IndexType.get(), ints))
    return total


def _rewrite(op: ir.Operation, const: ir.Value, terms: list, packed: dict) -> None:
    x, w, out = op.operands[0], op.operands[1], op.operands[2]
    _, ku, nr = static_shape(w)
    mr = static_shape(out)[1]
    stride = list(ir.DenseIntElementsAttr(op.attributes["strides"]))[0]
    key = (const, nr)
    if key not in packed:
        packed[key] = _packed_filter(const, nr)
    kh, kw, c, f = (sum_offsets([t[d] for t in terms]) for d in range(4))
    pair = lambda: arith.constant(ir.IndexType.get(), K_PACK)  # noqa: E731
    c2 = c // K_PACK if isinstance(c, int) else arith.divui(c, pair())
    b = extract_tile(
        packed[key],
        [kh, kw, block_index(0, f, nr), c2, 0, 0],
        [1, 1, 1, ku // K_PACK, nr, K_PACK],
        [ku // K_PACK, nr, K_PACK],
    )
    rows = extract_tile(x, [0, 0, 0], [1, mr, ku], [mr, ku], strides=[1, stride, 1])
    a = split_dim(rows, 1, [ku // K_PACK, K_PACK])
    c_tile = collapse_to(out, [[0, 1], [2]])
    result = _block_contraction(a, b, c_tile, mr, nr)
    op.results[0].replace_all_uses_with(split_dim(result, 0, [1, mr]))
    op.erase()


def _packed_filter(const: ir.Value, nr: int) -> ir.Value:
    """``P[kh][kw][F/nr][C/2][nr][2]`` in bf16 from the f32 HWCF filter ``const``."""
    weights = constant_array(const)
    kh, kw, c, f = weights.shape
    split = weights.reshape(kh, kw, c // K_PACK, K_PACK, f // nr, nr)
    panels = np.ascontiguousarray(split.transpose(0, 1, 4, 2, 5, 3))
    with ir.InsertionPoint(const.owner), const.owner.location:
        return bf16_constant(round_to_bf16(panels))


def extract_tile(value: ir.Value, offsets: list, sizes: list[int], shape: list[int], strides=None):
    """An ``extract_slice`` of ``value`` of result ``shape`` (``sizes`` less unit dims)."""
    strides = strides or [1] * len(sizes)
    static = [o if isinstance(o, int) else DYNAMIC for o in offsets]
    dynamic = [o for o in offsets if not isinstance(o, int)]
    elt = ir.ShapedType(value.type).element_type
    result = ir.RankedTensorType.get(shape, elt)
    return tensor.extract_slice(result, value, dynamic, [], [], static, sizes, strides)


def _block_contraction(a: ir.Value, b: ir.Value, c: ir.Value, mr: int, nr: int) -> ir.Value:
    """C[m, n] += sum_{k2, kp} A[m, k2, kp] * B[k2, n, kp] on bf16 operands, in f32."""
    maps = [affine_map(4, dims) for dims in ([0, 2, 3], [2, 1, 3], [0, 1])]
    kinds = ["parallel", "parallel", "reduction", "reduction"]
    generic = linalg.GenericOp(
        [c.type],
        [a, b],
        [c],
        ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps]),
        ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{t}>") for t in kinds]),
    )
    bf16, f32 = ir.BF16Type.get(), ir.F32Type.get()
    block = generic.regions[0].blocks.append(bf16, bf16, f32)
    with ir.InsertionPoint(block):
        x, y = (arith.extf(f32, v) for v in block.arguments[:2])
        linalg.YieldOp([arith.addf(block.arguments[2], arith.mulf(x, y))])
    generic.operation.attributes[BLOCKED_ATTR] = ir.DenseI64ArrayAttr.get([mr, nr, K_PACK])
    generic.operation.attributes[VECTORIZE_ATTR] = ir.UnitAttr.get()
    return generic.result
