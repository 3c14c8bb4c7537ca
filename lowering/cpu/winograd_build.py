"""Building the IR of one Winograd convolution (see ``winograd_conv.py``)."""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.tile_and_fuse import THREAD_BLOCKS_ATTR
from kiln.lowering.cpu.winograd_matrices import Winograd
from kiln.lowering.cpu.winograd_transforms import (
    input_transform,
    output_transform,
    transposed_positions,
)
from kiln.lowering.cpu.winograd_transforms_2d import input_transform_2d, output_transform_2d
from kiln.passes.common import (
    affine_map,
    collapse_to,
    defining_op,
    dense_constant,
    is_zero_constant,
    pad_high,
    single_result,
    split_dim,
    static_shape,
    tensor_type,
)

from kiln.ir import arith, bufferization, ir, linalg, scf, tensor


def build_winograd(
    op: ir.Operation, hwcf: np.ndarray, w: Winograd, blocks: int = 1, separable: bool = True
) -> ir.Value:
    """The value replacing ``op`` (a 3x3 stride-1 conv_2d_nhwc_hwcf), at the insertion point.

    ``separable``: the transforms as row and column passes (``winograd_transforms.py``),
    else as one 2-D generic each (``winograd_transforms_2d.py``).

    ``blocks`` > 1 (a divisor of the tile rows) computes the transforms and the
    batch matmul per block of tile rows inside one ``scf.forall``: each block's
    transformed tensors stay in cache between the three ops, and the threads
    share out whole blocks (one fork for the three ops).
    """
    x, init = op.operands[0], op.operands[2]
    n, out_h, out_w, f = static_shape(init)
    c = static_shape(x)[3]
    th, tw = -(-out_h // w.m), -(-out_w // w.m)
    tw = _blockable_width(n * th // blocks, tw)
    x = _extend(x, [n, th * w.m + 2, tw * w.m + 2, c])
    u = w.filter_transform(hwcf)
    if separable:
        # Its input transform's positions run e = b * alpha + a (winograd_transforms.py).
        u = transposed_positions(u, w.alpha)
    u = dense_constant(u.astype(np.float32), ir.F32Type.get())
    if blocks == 1:
        z = _tile_products(x, u, w, [n, th, tw, c], separable)
    else:
        z = _blocked_tile_products(x, u, w, [n, th, tw, c], blocks, separable)
    return _add_init(z, init, w, [n, th, tw, f])


def _tile_products(
    x: ir.Value, u: ir.Value, w: Winograd, tiles: list[int], separable: bool
) -> ir.Value:
    """Z[i, j, n, th, tw, f] = (AT ((G g G^T) * (BT d B)) A)[i, j] for the tiles d of ``x``
    (the transforms: ``winograd_transforms.py``, or ``winograd_transforms_2d.py``)."""
    n, th, tw, _ = tiles
    if not separable:
        v = input_transform_2d(x, w, tiles)
        products = _batch_matmul(collapse_to(v, [[0], [1, 2, 3], [4]]), u)
        m_tiles = split_dim(products, 1, [n, th, tw])
        return output_transform_2d(m_tiles, w, [n, th, tw, static_shape(u)[2]])
    v = input_transform(x, w, tiles)
    products = _batch_matmul(collapse_to(v, [[0, 1], [2, 3, 4], [5]]), u)
    return output_transform(split_dim(split_dim(products, 1, [n, th, tw]), 0, [w.alpha] * 2), w)


def _blocked_tile_products(
    x: ir.Value, u: ir.Value, w: Winograd, tiles: list[int], blocks: int, separable: bool
) -> ir.Value:
    """``_tile_products`` per block of ``th / blocks`` tile rows, in an ``scf.forall``."""
    n, th, tw, c = tiles
    m, f = w.m, static_shape(u)[2]
    rows = th // blocks
    index, dynamic = ir.IndexType.get(), ir.ShapedType.get_dynamic_stride_or_offset()
    full = tensor.empty([m, m, n, th, tw, f], ir.F32Type.get())
    forall = scf.ForallOp([0], [blocks], [1], [full])
    forall.attributes[THREAD_BLOCKS_ATTR] = ir.UnitAttr.get()
    with ir.InsertionPoint(forall.body):
        block = forall.induction_variables[0]
        first_row = arith.muli(block, arith.constant(index, rows))
        first_pixel = arith.muli(block, arith.constant(index, rows * m))
        rows_shape = [n, rows * m + 2, tw * m + 2, c]
        ty = tensor_type(rows_shape, ir.F32Type.get())
        xb = tensor.extract_slice(
            ty, x, [first_pixel], [], [], [0, dynamic, 0, 0], rows_shape, [1] * 4
        )
        zb = _tile_products(xb, u, w, [n, rows, tw, c], separable)
        with ir.InsertionPoint(forall.terminator().block):
            tensor.parallel_insert_slice(
                zb,
                forall.inner_iter_args[0],
                [first_row],
                [],
                [],
                [0, 0, 0, dynamic, 0, 0],
                [m, m, n, rows, tw, f],
                [1] * 6,
            )
    return forall.results[0]


def _blockable_width(rows: int, tw: int) -> int:
    """The fewest tile columns >= ``tw`` making the tile count a multiple of 4 or 6.

    The tile count is the batch matmul's M: the register blocks are 4 or 6 rows
    (``choose_blocking``), and a count that neither divides (7 x 7 tiles) would run
    one-row blocks, several times slower than a few extra tiles of zeros.
    """
    for width in range(tw, tw + 4):
        if rows * width % 4 == 0 or rows * width % 6 == 0:
            return width
    return tw


def _add_init(z: ir.Value, init: ir.Value, w: Winograd, tiles: list[int]) -> ir.Value:
    """Y[n, th*m + i, tw*m + j, f] = init + Z[i, j, n, th, tw, f].

    An elementwise generic on ``init`` reshaped to tiles, so the convolution's
    epilogue (BN, ReLU, residual) fuses into it and the result is a free reshape
    of the convolution's (cut to its size when the tiles overhang it).
    """
    n, th, tw, f = tiles
    m, f32 = w.m, ir.F32Type.get()
    shape = static_shape(init)
    padded = pad_high(init, [n, th * m, tw * m, f])
    init6 = split_dim(split_dim(padded, 2, [tw, m]), 1, [th, m])
    identity = ir.AffineMapAttr.get(affine_map(6, list(range(6))))
    # Z[i, j, n, th, tw, f] at the loops (n, th, i, tw, j, f).
    tiled = ir.AffineMapAttr.get(affine_map(6, [2, 4, 0, 1, 3, 5]))
    generic = linalg.GenericOp(
        [init6.type], [z], [init6], ir.ArrayAttr.get([tiled, identity]), _parallel(6)
    )
    block = generic.regions[0].blocks.append(f32, f32)
    with ir.InsertionPoint(block):
        linalg.YieldOp([arith.addf(block.arguments[1], block.arguments[0])])
    y = collapse_to(generic.results[0], [[0], [1, 2], [3, 4], [5]])
    return y if static_shape(y) == shape else _slice(y, shape)


def _batch_matmul(lhs: ir.Value, rhs: ir.Value) -> ir.Value:
    batch, rows, _ = static_shape(lhs)
    cols = static_shape(rhs)[2]
    f32 = ir.F32Type.get()
    empty = tensor.empty([batch, rows, cols], f32)
    zero = single_result(linalg.fill(arith.constant(f32, 0.0), outs=[empty]))
    return single_result(linalg.batch_matmul(lhs, rhs, outs=[zero]))


def _extend(x: ir.Value, shape: list[int]) -> ir.Value:
    """``x`` zero-extended at the high end to ``shape``; a zero padding is rebuilt larger."""
    old = static_shape(x)
    if old == shape:
        return x
    source, offsets = x, [0, 0, 0, 0]
    insert = defining_op(x)
    if insert is not None and insert.name == "tensor.insert_slice" and _zero_filled(insert):
        source = insert.operands[0]
        offsets = list(ir.DenseI64ArrayAttr(insert.attributes["static_offsets"]))
    if static_shape(source) is None or ir.ShapedType.get_dynamic_size() in offsets:
        source, offsets = x, [0, 0, 0, 0]
    f32 = ir.F32Type.get()
    # alloc_tensor, not tensor.empty: CSE must not merge the buffers of two convolutions.
    buffer = bufferization.AllocTensorOp(tensor_type(shape, f32), []).result
    filled = single_result(linalg.fill(arith.constant(f32, 0.0), outs=[buffer]))
    size = static_shape(source)
    return tensor.insert_slice(source, filled, [], [], [], offsets, size, [1] * 4)


def _zero_filled(insert: ir.Operation) -> bool:
    """True if the insert_slice's destination is a zero ``linalg.fill``."""
    fill = defining_op(insert.operands[1])
    return fill is not None and fill.name == "linalg.fill" and is_zero_constant(fill.operands[0])


def _slice(value: ir.Value, shape: list[int]) -> ir.Value:
    ty = tensor_type(shape, ir.F32Type.get())
    return tensor.extract_slice(ty, value, [], [], [], [0] * len(shape), shape, [1] * len(shape))


def _parallel(n: int) -> ir.ArrayAttr:
    return ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * n)
