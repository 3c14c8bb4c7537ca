"""bf16 register-block contractions as AVX512-BF16 dot products (used by ``kiln-vectorize``).

A vectorized bf16 block (``kiln-pack-contractions{precision=bf16}``) is a
``vector.contract`` of A [mr, k2, 2] and B [k2, nr, 2] (bf16) into C [mr, nr]
(f32), the pair dim kp innermost in both operands. Per k2 step and block row,
A's pair is broadcast as one 32-bit word to all 16 lanes, and each 16-column
slice of C takes one ``x86.avx512.dot`` (``vdpbf16ps``):
c[n] += a[0] * b[n][0] + a[1] * b[n][1], in f32.

Upstream's ``vector_contract_to_packed_type_dot_product`` patterns only take
contractions of a single row (1 x 16 blocks); a register block of mr rows and
nr / 16 vectors is unrolled here instead. Where the operands are plain
transfer_reads (the register block's tiles) the kernel reads memory itself:
B's panel row as nr / 16 ``vector<32xbf16>`` (one zmm load each), A's pair as
one 32-bit load (``vpbroadcastd`` from memory), and C as mr x nr / 16
``vector<16xf32>`` written back chunk by chunk, which the hoisting that
follows turns into loop-carried zmm accumulators. Slicing them out of the
n-D vectors instead made LLVM assemble B pair by pair (vmovd, vpermt2d):
3x slower.
"""

from __future__ import annotations

from kiln.passes.common import collapse_to, map_dims, static_shape

from kiln.ir import arith, ir, vector, x86

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
    with rewriter.ip, op.location:
        a_pair = _lhs_pairs(op.operands[0], lhs_perm, m, k2)
        b_panel = _rhs_panels(op.operands[1], rhs_perm, k2, n)
        acc_io = _accumulator_io(op)
        chunks = [(i, j) for i in range(m) for j in range(n // LANES)]
        if acc_io is not None:
            # One vector<16xf32> per accumulator chunk, read and written as such: once
            # hoisted out of the k loop, each is a loop-carried zmm of its own.
            sums = {c: _read(acc_io[0], _LANE_F32(), _acc_offsets(acc_io[0], *c)) for c in chunks}
        else:
            acc = vector.shape_cast(ir.VectorType.get([m, n], ir.F32Type.get()), op.operands[2])
            rows = {i: vector.extract(acc, [], [i]) for i in range(m)}
            sums = {(i, j): _slice(rows[i], _LANE_F32(), j * LANES) for i, j in chunks}
        for k in range(k2):
            panels = [b_panel(k, j) for j in range(n // LANES)]
            for i in range(m):
                a = _broadcast_pair(a_pair(i, k))
                for j, b in enumerate(panels):
                    sums[i, j] = x86.avx512_dot(sums[i, j], a, b)
        if acc_io is not None:
            read, write = acc_io
            dest = write.base
            for c in chunks:
                indices = _offset_indices(read, _acc_offsets(read, *c))
                dest = vector.transfer_write(
                    dest.type, sums[c], dest, indices, _minor(len(indices)), [True]
                )
            rewriter.replace_op(write, [dest])
            rewriter.erase_op(op)
            return False
        result = acc
        for (i, j), s in sums.items():
            result = vector.insert_strided_slice(s, result, [i, j * LANES], [1])
        result = vector.shape_cast(op.results[0].type, result)
    rewriter.replace_op(op, [result])
    return False


def _broadcast_pair(pair: ir.Value) -> ir.Value:
    """A bf16 pair (vector<2xbf16>) in all 16 lanes: one 32-bit broadcast."""
    i32 = ir.IntegerType.get_signless(32)
    word = vector.bitcast(ir.VectorType.get([1], i32), pair)
    return vector.bitcast(_LANE_BF16(), vector.broadcast(ir.VectorType.get([LANES], i32), word))


def _accumulator_io(op):
    """(read, write) when C is a plain transfer_read of a tensor and the contraction's only
    user writes it back to the same tensor and indices (the register block's update)."""
    read = _plain_read(op.operands[2])
    users = list(op.results[0].uses)
    if read is None or len(users) != 1:
        return None
    write = users[0].owner
    if write.name != "vector.transfer_write" or write.mask is not None:
        return None
    same_place = write.base == read.base and list(write.indices) == list(read.indices)
    if not same_place or write.permutation_map != read.permutation_map:
        return None
    return (read, write) if all(ir.BoolAttr(b).value for b in write.in_bounds) else None


def _acc_offsets(read, i: int, j: int) -> list[int]:
    """Offsets of chunk (row i, lanes 16 j..) in C's read: [i, 16 j], or [16 j] without m."""
    rank = ir.VectorType(read.result.type).rank
    return [i, j * LANES] if rank == 2 else [j * LANES]


def _LANE_F32() -> ir.VectorType:  # noqa: N802 - a type constant, built in a context
    return ir.VectorType.get([LANES], ir.F32Type.get())


def _LANE_BF16() -> ir.VectorType:  # noqa: N802 - a type constant, built in a context
    return ir.VectorType.get([LANES * PAIR], ir.BF16Type.get())


def _lhs_pairs(value: ir.Value, perm: list[int], m: int, k2: int):
    """(i, k) -> A's pair of row i at step k (vector<2xbf16>).

    Read straight from memory (one 32-bit load, which LLVM folds into the
    broadcast: ``vpbroadcastd mem``) when A comes from a plain transfer_read;
    else extracted from the vector.
    """
    read = _plain_read(value)
    if read is not None and perm == sorted(perm):
        rank = len(perm)
        pair_ty = ir.VectorType.get([PAIR], ir.BF16Type.get())

        def from_memory(i: int, k: int) -> ir.Value:
            offsets = ([i] if rank == 3 or (rank == 2 and k2 == 1) else []) + (
                [k] if rank == 3 or (rank == 2 and m == 1) else []
            )
            return _read(read, pair_ty, [*offsets, 0])

        if rank == 3 or m == 1 or k2 == 1:
            return from_memory
    lhs = _reshaped(value, perm, [m, k2, PAIR])
    return lambda i, k: vector.extract(lhs, [], [i, k])


def _rhs_panels(value: ir.Value, perm: list[int], k2: int, n: int):
    """(k, j) -> B's panel row k, lanes 16 j .. 16 j + 15 (vector<32xbf16>: 16 pairs).

    When B comes from a plain transfer_read of a tensor whose last two dims
    are exactly the panel row (nr x 2, contiguous), each of these is one
    ``vector<32xbf16>`` read of the row-collapsed tensor: a single zmm load.
    Else they are sliced out of the vector, which LLVM assembles element pair
    by element pair (the 2-element inner vectors of an n-D vector).
    """
    read = _plain_read(value)
    if read is not None and perm == sorted(perm) and _panel_rows(read, n):
        src = read.base
        rank = len(static_shape(src))
        flat = collapse_to(src, [*([d] for d in range(rank - 2)), [rank - 2, rank - 1]])
        has_k2 = len(perm) == 3

        def from_memory(k: int, j: int) -> ir.Value:
            indices = list(read.indices[: rank - 2])
            if has_k2:
                indices[-1] = _plus(indices[-1], k)
            column = arith.constant(ir.IndexType.get(), j * LANES * PAIR)
            return _transfer_read(_LANE_BF16(), flat, [*indices, column], read.padding)

        return from_memory
    rhs = _reshaped(value, perm, [k2, n, PAIR])

    def from_vector(k: int, j: int) -> ir.Value:
        row = vector.shape_cast(
            ir.VectorType.get([n * PAIR], ir.BF16Type.get()), vector.extract(rhs, [], [k])
        )
        return _slice(row, _LANE_BF16(), j * LANES * PAIR)

    return from_vector


def _plain_read(value: ir.Value):
    """The ``vector.transfer_read`` of a static tensor producing ``value``: unmasked, in
    bounds, its vector the source's trailing dims (minor identity), else None."""
    if not isinstance(value.owner, ir.OpView) or value.owner.name != "vector.transfer_read":
        return None
    read = value.owner
    if read.mask is not None or not isinstance(read.base.type, ir.RankedTensorType):
        return None
    if static_shape(read.base) is None or not all(ir.BoolAttr(b).value for b in read.in_bounds):
        return None
    vec_rank = ir.VectorType(value.type).rank
    src_rank = len(static_shape(read.base))
    minor = ir.AffineMap.get_minor_identity(src_rank, vec_rank)
    return read if read.permutation_map.value == minor else None


def _panel_rows(read, n: int) -> bool:
    """Whether the read's last two dims are whole rows of its source (n x 2, at 0, 0)."""
    shape = static_shape(read.base)
    return shape[-2:] == [n, PAIR] and all(_is_zero(i) for i in list(read.indices)[-2:])


def _is_zero(value: ir.Value) -> bool:
    owner = value.owner
    if not isinstance(owner, ir.OpView) or owner.name != "arith.constant":
        return False
    return ir.IntegerAttr(owner.attributes["value"]).value == 0


def _read(read, ty: ir.VectorType, offsets: list[int]) -> ir.Value:
    """A 1-D read of ``ty`` from ``read``'s source at its indices plus ``offsets`` (one per
    vector dim of ``read``, the last one the read's own)."""
    return _transfer_read(ty, read.base, _offset_indices(read, offsets), read.padding)


def _offset_indices(read, offsets: list[int]) -> list[ir.Value]:
    """``read``'s indices plus ``offsets`` on its vector dims (the trailing ones)."""
    indices = list(read.indices)
    lead = len(indices) - len(offsets)
    for d, off in enumerate(offsets):
        indices[lead + d] = _plus(indices[lead + d], off)
    return indices


def _minor(rank: int) -> ir.AffineMap:
    return ir.AffineMap.get_minor_identity(rank, 1)


def _transfer_read(ty: ir.VectorType, src: ir.Value, indices, padding: ir.Value) -> ir.Value:
    return vector.transfer_read(ty, src, indices, _minor(len(indices)), padding, [True])


def _plus(index: ir.Value, offset: int) -> ir.Value:
    if offset == 0:
        return index
    return arith.addi(index, arith.constant(ir.IndexType.get(), offset))


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
