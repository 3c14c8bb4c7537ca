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
from kiln.lowering.cpu.winograd_transforms import combine, slice_at, sums_into_slices, view
from kiln.passes.common import split_dim

from kiln.ir import ir


def input_transform_2d(x: ir.Value, w: Winograd, tiles: list[int]) -> ir.Value:
    """V[e, n, th, tw, c] = (BT d B)[a, b] (e = a*alpha + b), d the tile at (th*m, tw*m).

    Each of the alpha^2 inputs is a strided view of ``x`` (element (r, s) of every
    tile), so all maps are identities and the op vectorizes along channels.
    """
    alpha = w.alpha
    # Element (r, s) of every tile: x[n, th*m + r, tw*m + s, c] as an [N, TH, TW, C] tensor.
    strides = [1, w.m, w.m, 1]
    views = [
        view(x, [0, r, s, 0], tiles, strides, tiles) for r in range(alpha) for s in range(alpha)
    ]

    def sums(args):
        d = [[args[r * alpha + s] for s in range(alpha)] for r in range(alpha)]
        t = [
            [combine(w.BT[a], [d[r][s] for r in range(alpha)]) for s in range(alpha)]
            for a in range(alpha)
        ]
        return [combine(w.BT[b], t[a]) for a in range(alpha) for b in range(alpha)]

    return sums_into_slices(views, alpha * alpha, sums)


def output_transform_2d(mt: ir.Value, w: Winograd, tiles: list[int]) -> ir.Value:
    """Z[i, j, n, th, tw, f] = (AT M[:, :, n, th, tw, f] A)[i, j], one generic over (n, th, tw, f).

    Its alpha^2 inputs are the slices M[e] of the batch matmul's result and its
    m^2 results the slices Z[i, j] (contiguous: bufferization's copies of them into Z
    are forwarded by ``kiln-forward-slice-copies``), so every map is an identity and the
    op vectorizes along f, like the input transform. Separable sums: AT M (m x
    alpha rows), then (AT M) A, each term of AT's nonzeros only.
    """
    m, alpha = w.m, w.alpha
    pieces = [slice_at(mt, e, tiles) for e in range(alpha * alpha)]

    def sums(args):
        mm = [[args[a * alpha + b] for b in range(alpha)] for a in range(alpha)]
        t = [
            [combine(w.AT[i], [mm[a][b] for a in range(alpha)]) for b in range(alpha)]
            for i in range(m)
        ]
        return [combine(w.AT[j], t[i]) for i in range(m) for j in range(m)]

    return split_dim(sums_into_slices(pieces, m * m, sums), 0, [m, m])
