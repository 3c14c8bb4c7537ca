"""kiln-pack-contractions: put matmul-like ops in register-block form, pre-packing weights.

A contraction C[b, m, n] += A[b, m, k] * B[b, k, n] becomes a
``linalg.generic`` over loops (b..., m1, n1, k, m0, n0), where (m0, n0) is an
mr x nr register block:
- A is read through a free reshape (m -> m1, m0), in whatever layout it has;
- B becomes panels Bp[b..., n1, k, n0]: each k step of a block reads nr
  contiguous floats. A constant B (weights) is packed here, with numpy, at
  compile time; a small runtime B whose n dimension is innermost is only
  reshaped; any other runtime B is packed by a ``linalg.transpose`` at run
  time;
- C is written through a free reshape (m -> m1, m0; n -> n1, n0); N is padded
  up to a multiple of nr when needed and sliced back; so is M (and A with it)
  when no register block of at least ``MIN_ROWS`` rows divides it
  (``choose_blocking``);
- K is padded with zeros (in A and B both) up to a multiple of ``K_STEP`` when
  no unrolled step of the micro-kernel divides it (``inner_step``: a prime K
  such as a ViT's 197 tokens in attention's probabilities x values): a k step
  of one became a multiply and an add on a gathered column of A, not FMAs
  (1x3x197x197 @ 197x64 at one thread: 0.347 ms, 44 GFLOP/s; padded to 200,
  0.211 ms, 72 GFLOP/s). Zero times zero adds exactly nothing.
The new op carries ``kiln.blocked = array<i64: mr, nr>``.

With ``precision=bf16`` (AVX512-BF16 targets) the operands are bf16 and k is
split into (k2, kp) pairs for ``vdpbf16ps`` (``bf16_operands``): loops
(b..., m1, n1, k2, m0, n0, kp), products extended to f32 and accumulated in
f32, ``kiln.blocked = array<i64: mr, nr, 2>``. C stays f32.

The u8 x s8 -> i32 contractions of ``kiln-int8-contractions`` (whatever the
precision) split k into (k4, kp) quads for ``vpdpbusd`` (``int8_operands``):
``kiln.blocked = array<i64: mr, nr, 4>``, products of zext(A) and sext(B)
accumulated in i32. C stays i32.

Pre: linalg-on-tensors, static shapes; contractions are linalg.matmul,
linalg.batch_matmul or multiply-accumulate generics over f32 (or i8 x i8 -> i32).
Post: every such contraction is a ``kiln.blocked`` generic, except a u8 x s8 one whose B
is no constant (left a generic); its result is reshaped back, so users see the original
type.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from kiln.lowering.cpu.bf16_operands import K_PACK, bf16_lhs, bf16_rhs, pad_dim
from kiln.lowering.cpu.int8_operands import K_QUAD, int8_lhs, int8_rhs
from kiln.lowering.cpu.schedules.contraction import inner_step
from kiln.passes.common import (
    affine_map,
    collapse_to,
    collect_ops,
    constant_array,
    dense_constant,
    split_dim,
    static_shape,
)
from kiln.passes.contraction_analysis import (
    BLOCKED_ATTR,
    CONTRACTION_OPS,
    Blocking,
    Contraction,
    analyze_contraction,
    choose_blocking,
    is_int8_contraction,
)
from kiln.passes.padded_slices import leading_slice
from kiln.passes.registry import KilnPass, PassFailure, register

from kiln.ir import arith, ir, linalg, tensor

# A runtime B is packed into panels when this many mr-row blocks read it and it
# has at least this many elements; smaller ones are read in place.
RUNTIME_PACK_MIN_BLOCKS = 8
RUNTIME_PACK_MIN_ELEMENTS = 1 << 16
PRECISIONS = ("f32", "bf16")
# A K that no unrolled k step divides is padded to a multiple of this (see the docstring).
K_STEP = 8


@register
class PackContractions(KilnPass):
    """Rewrite contractions into mr x nr register-block form with packed right-hand sides."""

    name = "kiln-pack-contractions"
    vector_width: int = 8
    precision: str = "f32"  # bf16: bf16 operands, f32 accumulation (vdpbf16ps)

    def validate(self) -> None:
        if self.vector_width not in (4, 8, 16):
            raise ValueError(
                f"kiln-pack-contractions: vector-width must be 4, 8 or 16, got {self.vector_width}"
            )
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"kiln-pack-contractions: precision must be one of {', '.join(PRECISIONS)}, "
                f"got '{self.precision}'"
            )
        if self.precision == "bf16" and self.vector_width != 16:
            raise ValueError(
                "kiln-pack-contractions: precision=bf16 needs vector-width=16 "
                f"(AVX512-BF16 dot products), got {self.vector_width}"
            )

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, CONTRACTION_OPS):
            info = analyze_contraction(op)
            if info is None:
                continue
            m, n, _ = info.sizes
            k_pack = K_PACK if self.precision == "bf16" else 1
            if is_int8_contraction(op):
                if constant_array(op.operands[1]) is None:
                    # vpdpbusd panels are packed from quantized weights at compile time;
                    # a runtime B (torch._int_mm of two activations) keeps the generic path.
                    continue
                if self.vector_width != 16:
                    raise PassFailure(
                        [(op.location, "int8 contractions need vector-width=16 (AVX512-VNNI)")]
                    )
                k_pack = K_QUAD
            # bf16 and int8 run on AVX-512 (32 zmm registers): wider blocks fit.
            registers = 32 if k_pack > 1 else 16
            blocking = choose_blocking(m, n, self.vector_width, registers)
            with ir.InsertionPoint(op), op.location:
                result = _rewrite(op, info, blocking, k_pack)
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _rewrite(op: ir.Operation, c: Contraction, blk: Blocking, k_pack: int) -> ir.Value:
    """The blocked generic replacing ``op``; ``k_pack`` = 2 for bf16 pairs, 4 for int8 quads
    (loop kp last)."""
    f32 = ir.F32Type.get()
    acc_type = ir.ShapedType(op.results[0].type).element_type
    nb = len(c.batch)
    m1, n1, k, m0, n0, kp = nb, nb + 1, nb + 2, nb + 3, nb + 4, nb + 5
    new_loops = {d: [i] for i, d in enumerate(c.batch)}
    new_loops.update({c.m: [m1, m0], c.n: [n1, n0], c.k: [k] if k_pack == 1 else [k, kp]})
    M, N, K = c.sizes
    rows = M
    a_in, init_in = op.operands[0], op.operands[2]
    if blk.m_padded != M:
        # Zero rows of A give rows of C that are sliced off below.
        a_in = pad_dim(a_in, c.a_dims.index(c.m), blk.m_padded)
        init_in = pad_dim(init_in, c.c_dims.index(c.m), blk.m_padded)
        c = _resized(c, c.m, blk.m_padded)
        M = blk.m_padded
    k_padded = padded_reduction(K) if k_pack == 1 else K
    if k_padded != K:
        a_in = pad_dim(a_in, c.a_dims.index(c.k), k_padded)  # B is padded in _pack_rhs
        c = _resized(c, c.k, k_padded)

    def remap(dims):
        return [nd for d in dims for nd in new_loops[d]]

    if k_pack == 1:
        a = split_dim(a_in, c.a_dims.index(c.m), [M // blk.mr, blk.mr])
        a_map = remap(c.a_dims)
        b, b_map = _pack_rhs(op.operands[1], c, blk, [n1, k, n0])
    elif k_pack == K_QUAD:
        a, a_dims = int8_lhs(a_in, c, blk, op)
        a_map = remap(a_dims)
        b, b_map = int8_rhs(op.operands[1], c, blk, [n1, k, n0, kp], op)
    else:
        a, a_dims = bf16_lhs(a_in, c, blk)
        a_map = remap(a_dims)
        b, b_map = bf16_rhs(op.operands[1], c, blk, [n1, k, n0, kp])
    init = pad_dim(init_in, c.c_dims.index(c.n), blk.n_padded)
    c_pos_m, c_pos_n = c.c_dims.index(c.m), c.c_dims.index(c.n)
    for pos, factors in sorted(
        [(c_pos_m, [M // blk.mr, blk.mr]), (c_pos_n, [blk.n_padded // blk.nr, blk.nr])],
        reverse=True,
    ):
        init = split_dim(init, pos, factors)
    c_map = remap(c.c_dims)

    n_loops = nb + 5 + (k_pack > 1)
    kinds = ["parallel"] * n_loops
    kinds[k] = "reduction"
    if k_pack > 1:
        kinds[kp] = "reduction"
    generic = linalg.GenericOp(
        [init.type],
        [a, b],
        [init],
        ir.ArrayAttr.get(
            [ir.AffineMapAttr.get(affine_map(n_loops, d)) for d in (a_map, b_map, c_map)]
        ),
        ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{t}>") for t in kinds]),
    )
    operand = {1: f32, K_PACK: ir.BF16Type.get()}.get(k_pack, ir.IntegerType.get_signless(8))
    block = generic.regions[0].blocks.append(operand, operand, acc_type)
    with ir.InsertionPoint(block):
        x, y = block.arguments[0], block.arguments[1]
        if k_pack == K_QUAD:  # u8 x s8 products summed in i32: vpdpbusd's semantics
            x, y = arith.extui(acc_type, x), arith.extsi(acc_type, y)
            linalg.YieldOp([arith.addi(block.arguments[2], arith.muli(x, y))])
        else:
            if k_pack > 1:  # bf16 products are exact in f32: the dot product's own semantics
                x, y = arith.extf(f32, x), arith.extf(f32, y)
            linalg.YieldOp([arith.addf(block.arguments[2], arith.mulf(x, y))])
    block_attr = [blk.mr, blk.nr] + ([k_pack] if k_pack > 1 else [])
    generic.operation.attributes[BLOCKED_ATTR] = ir.DenseI64ArrayAttr.get(block_attr)

    groups, pos = [], 0
    for d in c.c_dims:
        width = len(new_loops[d])
        groups.append(list(range(pos, pos + width)))
        pos += width
    result = collapse_to(generic.result, groups)
    shape = static_shape(result)
    shape[c_pos_m], shape[c_pos_n] = rows, N
    return leading_slice(result, shape)


def _resized(c: Contraction, loop: int, size: int) -> Contraction:
    """``c`` with loop ``loop`` of extent ``size`` (padded)."""
    sizes = list(c.loop_sizes)
    sizes[loop] = size
    return dataclasses.replace(c, loop_sizes=tuple(sizes))


def padded_reduction(k: int) -> int:
    """K, or K rounded up to a multiple of ``K_STEP`` when no unrolled k step divides it."""
    if k > K_STEP and inner_step(k) == 1:
        return -(-k // K_STEP) * K_STEP
    return k


def _pack_rhs(b: ir.Value, c: Contraction, blk: Blocking, panel_loops: list[int]):
    """B as panels [b-batch..., n1, k, n0] (constant or transposed) or reshaped in place.

    b-batch are the batch loops B has, in B's order; their loop numbers are
    their positions in ``c.batch``. B's k extent is padded with zeros up to
    ``c``'s K (``padded_reduction``).
    """
    n1, k, n0 = panel_loops
    b_batch = [d for d in c.b_dims if d in c.batch]
    panel_map = [c.batch.index(d) for d in b_batch] + [n1, k, n0]
    array = constant_array(b)
    _, N, K = c.sizes
    n_blocks = blk.n_padded // blk.nr
    if array is not None:
        order = [c.b_dims.index(d) for d in (*b_batch, c.k, c.n)]
        bkn = np.transpose(array, order)
        if bkn.shape[-2] != K:
            widths = [(0, 0)] * (bkn.ndim - 2) + [(0, K - bkn.shape[-2]), (0, 0)]
            bkn = np.pad(bkn, widths)
        return dense_constant(_panels(bkn, n_blocks, blk.nr), ir.F32Type.get()), panel_map
    pos_n, pos_k = c.b_dims.index(c.n), c.b_dims.index(c.k)
    if static_shape(b)[pos_k] != K:
        b = pad_dim(b, pos_k, K)
    padded = pad_dim(b, pos_n, blk.n_padded)
    split = split_dim(padded, pos_n, [n_blocks, blk.nr])
    new_loops = {d: [c.batch.index(d)] for d in b_batch}
    new_loops.update({c.n: [n1, n0], c.k: [k]})
    split_map = [nd for d in c.b_dims for nd in new_loops[d]]
    M = c.sizes[0]
    reused = (
        M // blk.mr
    ) >= RUNTIME_PACK_MIN_BLOCKS and K * blk.n_padded >= RUNTIME_PACK_MIN_ELEMENTS
    if c.b_dims[-1] == c.n and not reused:
        return split, split_map
    # n is not innermost, or B is large and read by many row blocks (rows of
    # a large B are a cache-set-conflicting stride apart): pack at run time.
    perm = [split_map.index(d) for d in panel_map]
    shape = static_shape(split)
    out_shape = [shape[p] for p in perm]
    empty = tensor.empty(out_shape, ir.F32Type.get())
    packed = linalg.transpose(split, outs=[empty], permutation=perm)
    return (packed if isinstance(packed, ir.Value) else packed.results[0]), panel_map


def _panels(bkn: np.ndarray, n_blocks: int, nr: int) -> np.ndarray:
    """``bkn`` [b-batch..., K, N] as zero-padded panels [b-batch..., n1, K, nr], copied once
    (weights run to hundreds of MB: padding, then moving axes, copied them twice)."""
    *batch, K, N = bkn.shape
    panels = np.zeros((*batch, n_blocks, K, nr), np.float32)
    by_k = np.moveaxis(panels, -3, -2)  # [b-batch..., K, n1, nr], a view
    full = N // nr
    by_k[..., :full, :] = bkn[..., : full * nr].reshape(*batch, K, full, nr)
    if N % nr:
        by_k[..., full, : N % nr] = bkn[..., full * nr :]
    return panels
