"""int8 register-block contractions as AVX512-VNNI dot products (used by ``kiln-vectorize``).

A tiled int8 block (``kiln-pack-contractions`` on a u8 x s8 -> i32 contraction,
``kiln.blocked = array<i64: mr, nr, 4>``) is a ``linalg.generic`` over the loops
(batch..., m1, n1, k4, m0, n0, kp), every loop but k4, m0, n0 and kp of extent 1 in
the tile. It is written here as vector code straight from the generic: per k4 step and
block row, A's four bytes are read as one 32-bit word and broadcast to 16 lanes; B's
panel row is read as nr / 16 ``vector<64xi8>`` (one zmm load each); each 16-column
slice of C takes one ``vpdpbusd`` (``kiln.vpdpbusd``):
c[n] += a[0] * b[n][0] + ... + a[3] * b[n][3], u8 times s8 summed in i32 (exact: four
products of at most 255 * 128 cannot overflow a lane, and the sum runs in i32).
C is read and written as mr x nr / 16 ``vector<16xi32>``, which the hoisting that
follows turns into loop-carried zmm accumulators, as bf16_dot's.

Upstream's x86 dialect has ``x86.avx.dot.i8`` / ``x86.avx10.dot.i8`` (``vpdpbssd``,
signed x signed: AVX-VNNI-INT8 / AVX10.2) but no op for AVX512-VNNI's ``vpdpbusd``,
so kiln has its own pure op, which ``kiln-lower-int8-dots`` turns into the intrinsic
call after bufferization. Vectorizing the
generic instead leaves its zero/sign extensions between the broadcasts and the multiply,
where upstream's reduction-to-contract patterns do not see a contraction.
"""

from __future__ import annotations

from kiln.dialects import VnniDotOp
from kiln.passes.common import collapse_to, indexing_maps, map_dims, static_shape

from kiln.ir import arith, ir, vector

LANES = 16  # i32 lanes of a zmm register, the accumulator of one vpdpbusd
QUAD = 4  # bytes per lane


def lower_int8_block(op: ir.Operation) -> bool:
    """Replace the tiled int8 block ``op`` by its ``vpdpbusd`` kernel (see module doc).
    False (``op`` unchanged, left to the vectorizer) when it is not a single block tile."""
    n_loops = indexing_maps(op)[0].n_dims
    k, m0, n0, kp = n_loops - 4, n_loops - 3, n_loops - 2, n_loops - 1
    a_dims, b_dims, c_dims = (map_dims(m) for m in indexing_maps(op))
    if any(static_shape(v) is None for v in op.operands):
        return False
    sizes = _loop_sizes(op, [a_dims, b_dims, c_dims])
    if (
        sizes[kp] != QUAD
        or sizes[n0] % LANES
        or any(size != 1 for d, size in sizes.items() if d not in (k, m0, n0, kp))
    ):
        return False
    steps, rows, chunks = sizes[k], sizes[m0], sizes[n0] // LANES
    a, b, c = op.operands
    with ir.InsertionPoint(op), op.location:
        rank = len(b_dims)
        panels = collapse_to(b, [*([d] for d in range(rank - 2)), [rank - 2, rank - 1]])
        acc = {
            (i, j): _read(c, c_dims, {m0: i, n0: j * LANES}, _vec(LANES, 32))
            for i in range(rows)
            for j in range(chunks)
        }
        for step in range(steps):
            row = [
                _read(panels, b_dims[:-1], {k: step, n0: j * LANES * QUAD}, _vec(64, 8))
                for j in range(chunks)
            ]
            for i in range(rows):
                word = _broadcast_word(_read(a, a_dims, {k: step, m0: i}, _vec(QUAD, 8)))
                for j in range(chunks):
                    acc[i, j] = _vpdpbusd(acc[i, j], word, row[j])
        dest = c
        for (i, j), value in acc.items():
            indices = _indices(c_dims, {m0: i, n0: j * LANES})
            dest = vector.transfer_write(
                dest.type, value, dest, indices, _minor(len(indices)), [True]
            )
    op.results[0].replace_all_uses_with(dest)
    op.erase()
    return True


def _vpdpbusd(acc: ir.Value, a: ir.Value, b: ir.Value) -> ir.Value:
    return VnniDotOp(acc, a, b, acc.type).results[0]


def _broadcast_word(quad: ir.Value) -> ir.Value:
    """Four bytes (vector<4xi8>) in all 16 lanes: one 32-bit broadcast (``vpbroadcastd``)."""
    word = vector.bitcast(_vec(1, 32), quad)
    return vector.bitcast(_vec(64, 8), vector.broadcast(_vec(LANES, 32), word))


def _read(src: ir.Value, dims: list[int], at: dict[int, int], ty: ir.VectorType) -> ir.Value:
    """A 1-D read of ``ty`` along ``src``'s last dim, at ``at[loop]`` on each dim indexed
    by that loop (0 elsewhere: every other loop has extent 1 in the tile)."""
    indices = _indices(dims, at)
    padding = arith.constant(ty.element_type, 0)
    return vector.transfer_read(ty, src, indices, _minor(len(indices)), padding, [True])


def _indices(dims: list[int], at: dict[int, int]) -> list[ir.Value]:
    return [arith.constant(ir.IndexType.get(), at.get(d, 0)) for d in dims]


def _minor(rank: int) -> ir.AffineMap:
    return ir.AffineMap.get_minor_identity(rank, 1)


def _vec(n: int, width: int) -> ir.VectorType:
    return ir.VectorType.get([n], ir.IntegerType.get_signless(width))


def _loop_sizes(op: ir.Operation, all_dims: list[list[int]]) -> dict[int, int]:
    sizes = {}
    for value, dims in zip(op.operands, all_dims, strict=True):
        for d, extent in zip(dims, static_shape(value), strict=True):
            sizes[d] = extent
    return sizes
