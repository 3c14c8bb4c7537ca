"""Winograd's input and output transforms as one 2-D generic each (the direct form).

The input transform is one multi-result ``linalg.generic`` reading alpha^2 strided
views of the input (element (r, s) of every tile) and writing alpha^2 results (one
per tile position e = a * alpha + b); the output transform reads the alpha^2 product
slices M[e] and writes m^2 results Z[i, j]. Every map is an identity and channels
are innermost, so they vectorize along channels, and nothing but the results goes
through memory. Against the separable form (``winograd_transforms.py``) that costs
about 4x the IR (F(4,3): 72 operands against 2 x 12), which every later pass and
LLVM pay, but it runs 5-6% faster on ResNet-18 (the separable form writes and reads
its intermediate rows): ``kiln-winograd-conv`` picks the form per module.
"""

from __future__ import annotations

from kiln.lowering.cpu.winograd_matrices import Winograd
from kiln.lowering.cpu.winograd_transforms import combine
from kiln.passes.common import affine_map, split_dim, tensor_type

from kiln.ir import ir, linalg, tensor


def input_transform_2d(x: ir.Value, w: Winograd, tiles: list[int]) -> ir.Value:
    """V[e, n, th, tw, c] = (BT d B)[a, b] (e = a*alpha + b), d the tile at (th*m, tw*m).

    Each of the alpha^2 inputs is a strided view of ``x`` (element (r, s) of every
    tile), so all maps are identities and the op vectorizes along channels.
    """
    alpha, f32 = w.alpha, ir.F32Type.get()
    views = [_strided_view(x, r, s, w.m, tiles) for r in range(alpha) for s in range(alpha)]
    full = tensor.empty([alpha * alpha, *tiles], f32)
    outs = [_slice_at(full, e, tiles) for e in range(alpha * alpha)]
    identity = ir.AffineMapAttr.get(affine_map(4, [0, 1, 2, 3]))
    generic = linalg.GenericOp(
        [o.type for o in outs],
        views,
        outs,
        ir.ArrayAttr.get([identity] * (2 * alpha * alpha)),
        _parallel(4),
    )
    block = generic.regions[0].blocks.append(*([f32] * (2 * alpha * alpha)))
    with ir.InsertionPoint(block):
        d = [[block.arguments[r * alpha + s] for s in range(alpha)] for r in range(alpha)]
        t = [
            [combine(w.BT[a], [d[r][s] for r in range(alpha)]) for s in range(alpha)]
            for a in range(alpha)
        ]
        v = [combine(w.BT[b], t[a]) for a in range(alpha) for b in range(alpha)]
        linalg.YieldOp(v)
    result = full
    for e, piece in enumerate(generic.results):
        result = _insert_at(piece, result, e, tiles)
    return result


def output_transform_2d(mt: ir.Value, w: Winograd, tiles: list[int]) -> ir.Value:
    """Z[i, j, n, th, tw, f] = (AT M[:, :, n, th, tw, f] A)[i, j], one generic over (n, th, tw, f).

    Its alpha^2 inputs are the slices M[e] of the batch matmul's result and its
    m^2 results the slices Z[i, j] (contiguous: bufferization's copies of them into Z
    are forwarded by ``kiln-forward-slice-copies``), so every map is an identity and the
    op vectorizes along f, like the input transform. Separable sums: AT M (m x
    alpha rows), then (AT M) A, each term of AT's nonzeros only.
    """
    n, th, tw, f = tiles
    m, alpha, f32 = w.m, w.alpha, ir.F32Type.get()
    pieces = [_slice_at(mt, e, tiles) for e in range(alpha * alpha)]
    full = tensor.empty([m * m, n, th, tw, f], f32)
    outs = [_slice_at(full, k, tiles) for k in range(m * m)]
    identity = ir.AffineMapAttr.get(affine_map(4, [0, 1, 2, 3]))
    generic = linalg.GenericOp(
        [o.type for o in outs],
        pieces,
        outs,
        ir.ArrayAttr.get([identity] * (len(pieces) + len(outs))),
        _parallel(4),
    )
    block = generic.regions[0].blocks.append(*([f32] * (len(pieces) + len(outs))))
    with ir.InsertionPoint(block):
        mm = [[block.arguments[a * alpha + b] for b in range(alpha)] for a in range(alpha)]
        t = [
            [combine(w.AT[i], [mm[a][b] for a in range(alpha)]) for b in range(alpha)]
            for i in range(m)
        ]
        linalg.YieldOp([combine(w.AT[j], t[i]) for i in range(m) for j in range(m)])
    result = full
    for k, piece in enumerate(generic.results):
        result = _insert_at(piece, result, k, tiles)
    return split_dim(result, 0, [m, m])


def _strided_view(x: ir.Value, r: int, s: int, m: int, tiles: list[int]) -> ir.Value:
    """x[n, th*m + r, tw*m + s, c] as an [N, TH, TW, C] tensor."""
    ty = tensor_type(tiles, ir.F32Type.get())
    return tensor.extract_slice(ty, x, [], [], [], [0, r, s, 0], tiles, [1, m, m, 1])


def _slice_at(full: ir.Value, e: int, shape: list[int]) -> ir.Value:
    """full[e] (rank-reduced) of a [E, *shape] tensor."""
    ty = tensor_type(shape, ir.F32Type.get())
    rank = len(shape) + 1
    return tensor.extract_slice(
        ty, full, [], [], [], [e] + [0] * len(shape), [1, *shape], [1] * rank
    )


def _insert_at(piece: ir.Value, full: ir.Value, e: int, shape: list[int]) -> ir.Value:
    rank = len(shape) + 1
    return tensor.insert_slice(
        piece, full, [], [], [], [e] + [0] * len(shape), [1, *shape], [1] * rank
    )


def _parallel(n: int) -> ir.ArrayAttr:
    return ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * n)
