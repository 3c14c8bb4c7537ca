"""Winograd's input and output transforms as separable pairs of small generics.

A 2-D transform ``P X Q^T`` of an alpha x alpha (or m x alpha) tile is applied as
two 1-D passes: first along the rows, then along the columns. Each pass is one
multi-result ``linalg.generic`` with one input per tap (alpha of them, each a
strided view) and one result per transform row (alpha or m), every map an identity,
channels innermost; the other pass's index is an iteration dimension. Against one
generic with alpha^2 inputs and alpha^2 results (the direct 2-D form), F(4,3)'s
input transform has 2 x 12 operands instead of 72 and 12 sums instead of 72 in
its IR (the output transform 2 x 10 operands instead of 52): every later pass
(tiling, bufferization, LLVM) pays per operand and per op. Each sum keeps only
the matrix's nonzeros (``combine``), and the row pass's sums are shared by the
tiles that overlap there. The price is a write and a read of the
intermediate (alpha / m times the input for the row pass), from cache when the
caller blocks tile rows.

Layouts (e = the batch matmul's position index, U's first dim):
- input:  V[b, a, n, th, tw, c] = sum_s BT[b, s] (sum_r BT[a, r] x[n, th*m + r, tw*m + s, c]);
  e = b * alpha + a, so U is transposed to match (``transposed_positions``);
- output: from M[b, a, n, th, tw, f] (the products in that order),
  Z[i, j, n, th, tw, f] = sum_a AT[i, a] (sum_b AT[j, b] M[b, a, ...]),
  one contiguous slice Z[i] per output row (``kiln-forward-slice-copies`` forwards them).
"""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.winograd_matrices import Winograd
from kiln.passes.common import affine_map, static_shape, tensor_type

from kiln.ir import arith, ir, linalg, tensor


def input_transform(x: ir.Value, w: Winograd, tiles: list[int]) -> ir.Value:
    """V[b, a, n, th, tw, c] = (BT d B)[a, b] for the tiles d of ``x`` ([N, TH*m+2, TW*m+2, C]).

    Rows: T[a, n, th, X, c] = sum_r BT[a, r] x[n, th*m + r, X, c] (alpha strided row views);
    columns: V[b, a, ...] = sum_s BT[b, s] T[a, n, th, tw*m + s, c] (alpha strided views of T).
    """
    n, th, tw, c = tiles
    m, alpha = w.m, w.alpha
    width = static_shape(x)[2]
    row_shape = [n, th, width, c]
    rows = [view(x, [0, r, 0, 0], row_shape, [1, m, 1, 1], row_shape) for r in range(alpha)]
    t = separable_pass(rows, w.BT)
    col_shape = [alpha, n, th, tw, c]
    strides = [1, 1, 1, m, 1]
    cols = [view(t, [0, 0, 0, s, 0], col_shape, strides, col_shape) for s in range(alpha)]
    return separable_pass(cols, w.BT)


def output_transform(mt: ir.Value, w: Winograd) -> ir.Value:
    """Z[i, j, n, th, tw, f] = (AT M A)[i, j] from the products M[b, a, n, th, tw, f].

    Columns: S[j, a, ...] = sum_b AT[j, b] M[b, a, ...] (alpha contiguous slices M[b]);
    rows: Z[i, j, ...] = sum_a AT[i, a] S[j, a, ...] (alpha strided views S[:, a]).
    """
    alpha, m = w.alpha, w.m
    rest = static_shape(mt)[2:]
    zeros, ones = [0] * len(rest), [1] * (len(rest) + 2)
    pieces = [
        view(mt, [b, 0, *zeros], [1, alpha, *rest], ones, [alpha, *rest]) for b in range(alpha)
    ]
    s = separable_pass(pieces, w.AT)
    cols = [view(s, [0, a, *zeros], [m, 1, *rest], ones, [m, *rest]) for a in range(alpha)]
    return separable_pass(cols, w.AT)


def transposed_positions(u: np.ndarray, alpha: int) -> np.ndarray:
    """U[a * alpha + b] reordered to U[b * alpha + a] (the input transform's e order)."""
    rest = u.shape[1:]
    return u.reshape(alpha, alpha, *rest).swapaxes(0, 1).reshape(alpha * alpha, *rest)


def separable_pass(ins: list[ir.Value], coeffs: np.ndarray) -> ir.Value:
    """R[k, ...] = sum_t coeffs[k, t] ins[t][...] as one multi-result generic.

    ``ins`` share one shape; the result [len(coeffs), *shape] is built from one
    contiguous slice per row k (its results inserted there).
    """
    return sums_into_slices(ins, len(coeffs), lambda args: [combine(row, args) for row in coeffs])


def sums_into_slices(ins: list[ir.Value], count: int, sums) -> ir.Value:
    """R[k, ...] = sums(ins[...])[k]: one multi-result generic over the shape ``ins``
    share, every map an identity (it vectorizes along the innermost dim, channels),
    writing its ``count`` results into contiguous slices R[k] of one tensor.

    ``sums`` builds the body: it takes the block's input arguments and returns the
    ``count`` values to yield.
    """
    shape = static_shape(ins[0])
    f32 = ir.F32Type.get()
    full = tensor.empty([count, *shape], f32)
    outs = [slice_at(full, k, shape) for k in range(count)]
    identity = ir.AffineMapAttr.get(affine_map(len(shape), list(range(len(shape)))))
    parallel = ir.Attribute.parse("#linalg.iterator_type<parallel>")
    generic = linalg.GenericOp(
        [o.type for o in outs],
        ins,
        outs,
        ir.ArrayAttr.get([identity] * (len(ins) + len(outs))),
        ir.ArrayAttr.get([parallel] * len(shape)),
    )
    block = generic.regions[0].blocks.append(*([f32] * (len(ins) + len(outs))))
    with ir.InsertionPoint(block):
        linalg.YieldOp(sums(list(block.arguments)[: len(ins)]))
    result = full
    for k, piece in enumerate(generic.results):
        result = insert_at(piece, result, k, shape)
    return result


def combine(coeffs: np.ndarray, values: list[ir.Value]) -> ir.Value:
    """sum_k coeffs[k] * values[k] with no op for a zero coefficient and none for +-1."""
    f32 = ir.F32Type.get()
    # Positive terms first: -a + b is emitted as b - a, not negf(a) + b.
    terms = sorted(
        ((c, v) for c, v in zip(coeffs, values, strict=True) if c != 0), key=lambda t: t[0] < 0
    )
    acc = None
    for coeff, value in terms:
        if acc is None:
            if coeff == 1:
                acc = value
            elif coeff == -1:
                acc = arith.negf(value)
            else:
                acc = arith.mulf(arith.constant(f32, float(coeff)), value)
        elif coeff == 1:
            acc = arith.addf(acc, value)
        elif coeff == -1:
            acc = arith.subf(acc, value)
        else:
            acc = arith.addf(acc, arith.mulf(arith.constant(f32, float(coeff)), value))
    return acc


def view(
    source: ir.Value, offsets: list[int], sizes: list[int], strides: list[int], shape: list[int]
) -> ir.Value:
    """``tensor.extract_slice`` of ``source`` as a ``shape`` tensor (unit ``sizes`` dropped)."""
    ty = tensor_type(shape, ir.F32Type.get())
    return tensor.extract_slice(ty, source, [], [], [], offsets, sizes, strides)


def slice_at(full: ir.Value, k: int, shape: list[int]) -> ir.Value:
    """full[k] (rank-reduced) of a [K, *shape] tensor."""
    ty = tensor_type(shape, ir.F32Type.get())
    rank = len(shape) + 1
    return tensor.extract_slice(
        ty, full, [], [], [], [k] + [0] * len(shape), [1, *shape], [1] * rank
    )


def insert_at(piece: ir.Value, full: ir.Value, k: int, shape: list[int]) -> ir.Value:
    """``full`` with ``piece`` as full[k] (of a [K, *shape] tensor)."""
    rank = len(shape) + 1
    return tensor.insert_slice(
        piece, full, [], [], [], [k] + [0] * len(shape), [1, *shape], [1] * rank
    )
