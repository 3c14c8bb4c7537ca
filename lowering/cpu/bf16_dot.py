"""bf16 register-block contractions as AVX512-BF16 dot products (used by ``kiln-vectorize``).

A vectorized bf16 block (``kiln-pack-contractions{precision=bf16}``) is a
``vector.contract`` of A [mr, k2, 2] and B [k2, nr, 2] (bf16) into C [mr, nr]
(f32), the pair dim kp innermost in both operands. Per k2 step and block row,
A's pair is broadcast as one 32-bit word to all 16 lanes, and each 16-column
slice of C takes one ``x86.avx512.dot`` (``vdpbf16ps``):
c[n] += a[0] * b[n][0] + a[1] * b[n][1], in f32.

Upstream's ``vector_contract_to_packed_type_dot_product`` patterns only take
contractions of a single row (1 x 16 blocks); a register block of mr rows and
nr / 16 vectors is unrolled here instead, so its mr x nr / 16 accumulators
stay in registers across the k loop.
"""

from __future__ import annotations

from kiln.passes.common import map_dims

from kiln.ir import ir, vector, x86

LANES = 16  # f32 lanes of a zmm register, the accumulator of one vdpbf16ps
PAIR = 2


def lower_bf16_contract(op, rewriter) -> bool:
    """``vector.contract`` (bf16 x bf16 -> f32, pairs innermost) -> ``x86.avx512.dot``s.

    Returns True when ``op`` does not match (the rewrite driver's convention).
    """
    form = _block_form(op)
    if form is None:
        return True
    lhs_perm, rhs_perm, m, k2, n = form
    f32, bf16, i32 = ir.F32Type.get(), ir.BF16Type.get(), ir.IntegerType.get_signless(32)
    with rewriter.ip, op.location:
        lhs = _reshaped(op.operands[0], lhs_perm, [m, k2, PAIR])
        rhs = _reshaped(op.operands[1], rhs_perm, [k2, n, PAIR])
        acc = vector.shape_cast(ir.VectorType.get([m, n], f32), op.operands[2])
        lane_f32 = ir.VectorType.get([LANES], f32)
        lane_bf16 = ir.VectorType.get([LANES * PAIR], bf16)
        sums = [
            [_slice(vector.extract(acc, [], [i]), lane_f32, j * LANES) for j in range(n // LANES)]
            for i in range(m)
        ]
        for k in range(k2):
            row = vector.shape_cast(
                ir.VectorType.get([n * PAIR], bf16), vector.extract(rhs, [], [k])
            )
            panels = [_slice(row, lane_bf16, j * LANES * PAIR) for j in range(n // LANES)]
            for i in range(m):
                word = vector.bitcast(ir.VectorType.get([1], i32), vector.extract(lhs, [], [i, k]))
                pairs = vector.broadcast(ir.VectorType.get([LANES], i32), word)
                a = vector.bitcast(lane_bf16, pairs)
                sums[i] = [x86.avx512_dot(s, a, b) for s, b in zip(sums[i], panels, strict=True)]
        result = acc
        for i, row_sums in enumerate(sums):
            for j, s in enumerate(row_sums):
                result = vector.insert_strided_slice(s, result, [i, j * LANES], [1])
        result = vector.shape_cast(op.results[0].type, result)
    rewriter.replace_op(op, [result])
    return False


def _block_form(op):
    """(lhs permutation, rhs permutation, M, K2, N) of a bf16 block contraction, else None.

    The loops are (m?, n) parallel and (k2?, kp) reduction, kp of size 2 the last
    dim of both operands; m or k2 may be missing (unit dims already dropped).
    """
    types = [ir.VectorType(v.type) for v in op.operands[:2]]
    if not all(isinstance(t.element_type, ir.BF16Type) for t in types):
        return None
    if not isinstance(op.operands[2].type, ir.VectorType):
        return None
    if not isinstance(ir.VectorType(op.operands[2].type).element_type, ir.F32Type):
        return None
    if "<add>" not in str(op.attributes["kind"]):
        return None
    maps = [ir.AffineMapAttr(a).value for a in op.attributes["indexing_maps"]]
    lhs_dims, rhs_dims, acc_dims = (map_dims(m) for m in maps)
    if None in (lhs_dims, rhs_dims, acc_dims):
        return None
    kp = lhs_dims[-1]
    if rhs_dims[-1] != kp or kp in acc_dims or len(acc_dims) not in (1, 2):
        return None
    sizes = _loop_sizes(maps, [types[0], types[1], ir.VectorType(op.operands[2].type)])
    n = acc_dims[-1]
    if sizes[kp] != PAIR or n not in rhs_dims or n in lhs_dims or sizes[n] % LANES:
        return None
    m = acc_dims[0] if len(acc_dims) == 2 else None
    if m is not None and (m not in lhs_dims or m in rhs_dims):
        return None
    k2s = [d for d in lhs_dims if d in rhs_dims and d != kp]
    if len(k2s) > 1 or sorted(lhs_dims) != sorted(d for d in (m, *k2s, kp) if d is not None):
        return None
    if sorted(rhs_dims) != sorted([*k2s, n, kp]):
        return None
    k2 = k2s[0] if k2s else None
    lhs_order = [lhs_dims.index(d) for d in (m, k2, kp) if d is not None]
    rhs_order = [rhs_dims.index(d) for d in (k2, n, kp) if d is not None]
    size = lambda d: 1 if d is None else sizes[d]  # noqa: E731
    return lhs_order, rhs_order, size(m), size(k2), sizes[n]


def _loop_sizes(maps, types) -> dict[int, int]:
    sizes = {}
    for amap, ty in zip(maps, types, strict=True):
        for d, extent in zip(map_dims(amap), ty.shape, strict=True):
            sizes[d] = extent
    return sizes


def _reshaped(value: ir.Value, perm: list[int], shape: list[int]) -> ir.Value:
    """``value`` transposed by ``perm`` (when not the identity), then cast to ``shape``."""
    ty = ir.VectorType(value.type)
    if perm != sorted(perm):
        permuted = [ty.shape[p] for p in perm]
        value = vector.transpose(ir.VectorType.get(permuted, ty.element_type), value, perm)
    return vector.shape_cast(ir.VectorType.get(shape, ty.element_type), value)


def _slice(value: ir.Value, ty: ir.VectorType, offset: int) -> ir.Value:
    """The 1-D slice of ``value`` of type ``ty`` starting at ``offset``."""
    if ir.VectorType(value.type).shape == ty.shape:
        return value
    return vector.extract_strided_slice(ty, value, [offset], [ty.shape[0]], [1])
