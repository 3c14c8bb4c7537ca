"""Recognizing contractions (matmul-like ops) and choosing their register blocking."""

from __future__ import annotations

from dataclasses import dataclass

from kiln.passes.common import body_op_names, indexing_maps, iterator_types, map_dims, static_shape

from kiln.ir import ir

CONTRACTION_OPS = ("linalg.matmul", "linalg.batch_matmul", "linalg.generic")
NAMED_CONTRACTIONS = (
    "linalg.matmul",
    "linalg.batch_matmul",
    "linalg.batch_reduce_matmul",
    "linalg.contract",
)
# array<i64: mr, nr> (f32), array<i64: mr, nr, 2> (bf16 pairs) or array<i64: mr, nr, 4>
# (int8 quads)
BLOCKED_ATTR = "kiln.blocked"


def blocked_k_pack(op: ir.Operation) -> int:
    """How many k values a lane of a blocked contraction reduces per step: 1 for f32
    (loops batch..., m1, n1, k, m0, n0), 2 for bf16 pairs, 4 for int8 quads (then a
    last loop kp)."""
    block = ir.DenseI64ArrayAttr(op.attributes[BLOCKED_ATTR])
    return block[2] if len(block) > 2 else 1


@dataclass(frozen=True)
class Contraction:
    """C[batch, m, n] += A[.., m, .., k] * B[.., k, .., n] with one reduction loop k.

    ``m``/``n`` are the loops blocked into registers; every other output loop
    is a *batch* loop, which A or B may lack (a convolution's image index is
    in B and C only). ``a_dims``/``b_dims``/``c_dims`` are the loops read by
    each operand, in the operand's own dimension order.
    """

    n_loops: int
    batch: tuple[int, ...]
    m: int
    n: int
    k: int
    a_dims: tuple[int, ...]
    b_dims: tuple[int, ...]
    c_dims: tuple[int, ...]
    loop_sizes: tuple[int, ...]

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(M, N, K)."""
        return self.loop_sizes[self.m], self.loop_sizes[self.n], self.loop_sizes[self.k]


def analyze_contraction(op: ir.Operation) -> Contraction | None:
    """The contraction structure of ``op``, or None if it is not a plain f32 contraction
    or a u8 x s8 -> i32 one (``is_int8_contraction``)."""
    if op.name not in CONTRACTION_OPS or len(op.results) != 1 or BLOCKED_ATTR in op.attributes:
        return None
    int8 = is_int8_contraction(op)
    if op.name == "linalg.generic" and not int8:
        if body_op_names(op) != ["arith.mulf", "arith.addf", "linalg.yield"]:
            return None
        if not _is_multiply_accumulate(op):
            return None
    if "indexing_maps" not in op.attributes or len(op.operands) != 3:
        return None
    shapes = [static_shape(v) for v in op.operands]
    if any(s is None for s in shapes):
        return None
    floats = all(isinstance(ir.ShapedType(v.type).element_type, ir.F32Type) for v in op.operands)
    if not (floats or int8):
        return None  # mixed precision (f16 x f16 -> f32) keeps the generic path
    maps = indexing_maps(op)
    dims = [map_dims(m) for m in maps]
    if any(d is None or len(set(d)) != len(d) for d in dims):
        return None
    n_loops = maps[0].n_dims
    a, b, c = (set(d) for d in dims)
    ks = sorted((a & b) - c)
    m_candidates = [d for d in dims[0] if d in c and d not in b]
    n_candidates = [d for d in dims[1] if d in c and d not in a]
    if len(ks) != 1 or not m_candidates or not n_candidates or len(a | b | c) != n_loops:
        return None
    if not c <= (a | b) or (a | b) - c != set(ks):
        return None
    kinds = iterator_types(op) if op.name == "linalg.generic" else None
    if kinds is not None and (
        kinds[ks[0]] != "reduction" or any(kinds[d] != "parallel" for d in c)
    ):
        return None
    loop_sizes = [0] * n_loops
    for operand_dims, shape in zip(dims, shapes, strict=True):
        for d, size in zip(operand_dims, shape, strict=True):
            loop_sizes[d] = size
    # The block's n is B's innermost candidate (contiguous panel rows); its m
    # is A's innermost candidate. Every other output loop is a batch loop. A unit
    # loop is no candidate while a longer one is: Funnel's relative attention
    # (A: heads x 128 x 1 x 1 x 64) ran 1-row blocks over 128 batched rows.
    m, n = _innermost_long(m_candidates, loop_sizes), _innermost_long(n_candidates, loop_sizes)
    batch = [d for d in dims[2] if d not in (m, n)]
    return Contraction(
        n_loops,
        tuple(batch),
        m,
        n,
        ks[0],
        tuple(dims[0]),
        tuple(dims[1]),
        tuple(dims[2]),
        tuple(loop_sizes),
    )


def _innermost_long(candidates: list[int], loop_sizes: list[int]) -> int:
    """The innermost of ``candidates`` longer than 1, or the innermost if none is."""
    long = [d for d in candidates if loop_sizes[d] > 1]
    return (long or candidates)[-1]


def is_contraction_like(op: ir.Operation) -> bool:
    """Named matmul-class ops, and generics with a reduction and a multiply-add body,
    whatever their shapes and element types (what elementwise fusion must not touch)."""
    if op.name in NAMED_CONTRACTIONS:
        return True
    if op.name != "linalg.generic" or "reduction" not in iterator_types(op):
        return False
    # Operands extended first (bf16 blocks: extf, extf, mulf, addf; int8 ones: extui,
    # extsi, muli, addi) are still one.
    extensions = ("arith.extf", "arith.extui", "arith.extsi")
    names = [name for name in body_op_names(op) if name not in extensions]
    return (
        len(names) == 3
        and names[0] in ("arith.mulf", "arith.muli")
        and names[1] in ("arith.addf", "arith.addi")
    )


INT8_BODY = ["arith.extui", "arith.extsi", "arith.muli", "arith.addi", "linalg.yield"]


def is_int8_contraction(op: ir.Operation) -> bool:
    """A ``linalg.generic`` accumulating zext(A) * sext(B) (i8 x i8) into i32: the u8 x s8
    products of ``vpdpbusd`` (``kiln-int8-contractions`` writes them)."""
    if op.name != "linalg.generic" or len(op.operands) != 3:
        return False
    widths = []
    for v in op.operands:
        elt = ir.ShapedType(v.type).element_type
        widths.append(ir.IntegerType(elt).width if isinstance(elt, ir.IntegerType) else None)
    if widths != [8, 8, 32] or body_op_names(op) != INT8_BODY:
        return False
    args = list(op.regions[0].blocks[0].arguments)
    extui, extsi, mul, add, yield_ = list(op.regions[0].blocks[0].operations)
    return (
        extui.operands[0] == args[0]
        and extsi.operands[0] == args[1]
        and set(mul.operands) == {extui.results[0], extsi.results[0]}
        and set(add.operands) == {mul.results[0], args[2]}
        and list(yield_.operands) == [add.results[0]]
    )


def _is_multiply_accumulate(op: ir.Operation) -> bool:
    block = op.regions[0].blocks[0]
    args = list(block.arguments)
    mul, add, yield_ = list(block.operations)
    mul_ins = {mul.operands[0], mul.operands[1]}
    return (
        mul_ins == {args[0], args[1]}
        and set(add.operands) == {mul.results[0], args[2]}
        and list(yield_.operands) == [add.results[0]]
    )


@dataclass(frozen=True)
class Blocking:
    """Register block mr x nr and the padded M and N it needs."""

    mr: int
    nr: int
    n_padded: int
    m_padded: int


# Preference orders for the rows of a register block, by vectors per block row.
# With 16 vector registers: mr * vectors accumulators + vectors loads + 1 broadcast.
# Four vectors need 32 registers (AVX-512): at most 6 x 4 + 4 + 1 = 29.
MR_CHOICES = {4: (6, 4, 5, 3, 2, 1), 2: (4, 6, 5, 3, 2, 1), 1: (8, 6, 4, 7, 5, 3, 2, 1)}
# Fewer rows than this reuse each loaded B vector too little: M is padded instead.
MIN_ROWS = 3
# An N no multiple of two vectors still takes two-vector blocks when padding it that far
# costs at most this much more work than padding to one vector (see choose_blocking).
WIDE_PADDING = 1.07


def choose_blocking(m: int, n: int, vector_width: int = 8, registers: int = 16) -> Blocking:
    """Register blocking for an M x N output on a target with ``vector_width`` f32 lanes
    and ``registers`` vector registers.

    The block is two vectors wide when N allows (more FMAs per loaded A value),
    four with 32 registers (bf16 dot products: fewer loads per dot, measured
    ~8% faster on a 1024^3 matmul than two), else one vector wide with N
    padded up to a multiple of the vector width. An N over two vectors that
    two-vector blocks would pad by at most ``WIDE_PADDING`` times the one-vector
    padding is padded to two vectors: one broadcast feeds two FMAs, not one
    (unless M is under ``MIN_ROWS``: a GEMV reads each B value once, whatever
    the block).
    Paired at one thread on an AVX2 host (8 lanes): attention's q k^T over 197
    tokens (N 197 -> 208) 0.311 -> 0.268 ms, Linear(256, 200) on 197 rows
    0.310 -> 0.264 ms, Linear(384, 1000) 2.38 -> 1.96 ms.

    The rows: the first of ``MR_CHOICES`` dividing M with at least ``MIN_ROWS``
    rows (or all of M); if none does, M is padded up to a multiple of the first
    choice. A one- or two-row block loads a B vector per one or two FMAs: a ViT's
    197 rows (prime) ran its linears at half the speed of 192 rows; padded to 200,
    at the speed of 192.
    """
    two = 2 * vector_width
    if registers >= 32 and n % (4 * vector_width) == 0:
        nr = 4 * vector_width
    elif n % two == 0 or (
        n > two
        and m >= MIN_ROWS  # a row or two (a classifier head) reads B once: least padding
        and _round_up(n, two) <= WIDE_PADDING * _round_up(n, vector_width)
    ):
        nr = two
    else:
        nr = vector_width
    n_padded = _round_up(n, nr)
    choices = MR_CHOICES[nr // vector_width]
    for mr in choices:
        if m % mr == 0 and (mr >= MIN_ROWS or mr == m):
            return Blocking(mr, nr, n_padded, m)
    mr = choices[0]
    return Blocking(mr, nr, n_padded, _round_up(m, mr))


def _round_up(size: int, multiple: int) -> int:
    return -(-size // multiple) * multiple
