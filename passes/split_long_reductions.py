"""kiln-split-long-reductions: long float sums add up in blocks, then add the blocks' sums.

A sum accumulated in one running value (per vector lane) loses about ``n * 2^-24`` of its
value in the worst case after ``n`` terms; PyTorch's CPU reductions sum in a cascade whose
error grows like ``log n``. A float sum-like ``linalg.generic`` (its body yields
``addf(f(inputs), out)``) whose reduced extent is over ``threshold`` is split along one
reduction loop ``r`` into partial sums over blocks of at most ``block`` elements, and a
second reduction over the partials (itself split again when still long):

    %s = linalg.generic {[reduction]} ins(%x : tensor<4000000xf32>) outs(%init : tensor<f32>)
    ->  %p = generic {[parallel, reduction]} ins(expand_shape %x : tensor<1250x3200xf32>)
                       outs(zeros : tensor<1250xf32>)
        %t = generic {[reduction]} ins(%p) outs(zeros : tensor<f32>)
        %s = generic {[]} ins(%init, %t) outs(...) { %init + %t }

Partial sums of f16/bf16 terms accumulate in f32, as PyTorch's do (a 4096-term block of
ones is not even representable exactly in f16), and the result is rounded once at the end.
When ``r``'s extent has no divisor of a useful block size, the last ``extent % b`` indices
form a remainder block of their own (exact: nothing padded, nothing read twice).

Pre: linalg on tensors, elementwise producers already fused (their work moves into the
partial sums), contractions already blocked (``kiln.blocked``: those keep their kernels; an
unblocked multiply-add such as a long dot product or a sum of squares is split like any sum).
Dynamic shapes, integer sums, max/min and bodies reading ``linalg.index`` are untouched.
Post: no float sum-like generic reduces more than ``threshold`` elements into one value.
"""

from __future__ import annotations

import math

from kiln.passes.common import (
    broadcast_dims,
    build_generic,
    indexing_maps,
    iterator_types,
    split_dim,
    static_shape,
    tensor_type,
)
from kiln.passes.contraction_analysis import BLOCKED_ATTR
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, linalg, rewrite, tensor

FLOATS = (ir.F16Type, ir.BF16Type, ir.F32Type, ir.F64Type)


@register
class SplitLongReductions(KilnPass):
    """Split float sums over more than ``threshold`` elements into blocks of ``block``."""

    name = "kiln-split-long-reductions"

    threshold: int = 4096
    block: int = 4096

    def validate(self) -> None:
        if self.block < 2:
            raise ValueError(f"{self.name}: block must be >= 2, got {self.block}")
        if self.threshold < self.block:
            raise ValueError(
                f"{self.name}: threshold ({self.threshold}) must be >= block ({self.block}): "
                "a partial sum must not be split again"
            )

    def run(self, module: ir.Operation) -> None:
        def pattern(op, rewriter) -> bool:
            return _split(op, rewriter, self.threshold, self.block)

        patterns = rewrite.RewritePatternSet(module.context)
        patterns.add("linalg.generic", pattern)
        rewrite.apply_patterns_and_fold_greedily(module, patterns.freeze())


def _split(op, rewriter, threshold: int, block: int) -> bool:
    """The rewrite in the module docstring (returns False when it rewrote ``op``)."""
    op = op.operation
    sum_like = _sum_like(op)
    if sum_like is None or BLOCKED_ATTR in op.attributes:
        return True
    sizes = _loop_sizes(op)
    kinds = iterator_types(op)
    if sizes is None:
        return True
    reduced = [d for d, kind in enumerate(kinds) if kind == "reduction"]
    if math.prod(sizes[d] for d in reduced) <= threshold:
        return True
    r, b = _choose_split(sizes, reduced, block)
    with rewriter.ip, op.location:
        result = _build(op, sum_like, sizes, kinds, r, b)
    rewriter.replace_op(op, [result])
    return False


def _sum_like(op: ir.Operation) -> ir.Operation | None:
    """The combining ``arith.addf`` when ``op`` is a one-result float sum (``addf(term, out)``
    yielded, ``out`` read nowhere else, a body of region-free ops without ``linalg.index``)."""
    if op.name != "linalg.generic" or len(op.results) != 1 or len(op.regions[0].blocks) != 1:
        return None
    if not isinstance(ir.ShapedType(op.results[0].type).element_type, FLOATS):
        return None
    body = op.regions[0].blocks[0]
    ops = [inner.operation for inner in body.operations]
    if any(inner.regions or inner.name == "linalg.index" for inner in ops):
        return None
    out = body.arguments[len(body.arguments) - 1]
    combiner = ops[-1].operands[0].owner
    if (
        not isinstance(combiner, ir.OpView | ir.Operation)
        or combiner.operation.name != "arith.addf"
    ):
        return None
    combiner = combiner.operation
    if out not in list(combiner.operands) or len(list(out.uses)) != 1:
        return None
    if combiner.operands[0] == combiner.operands[1]:
        return None
    return combiner


def _loop_sizes(op: ir.Operation) -> list[int] | None:
    """Each loop's extent, read from the static operand shapes (None if any is unknown)."""
    n = len(iterator_types(op))
    sizes: list[int | None] = [None] * n
    for value, amap in zip(op.operands, indexing_maps(op), strict=True):
        shape, dims = static_shape(value), broadcast_dims(amap)
        if shape is None or dims is None:
            return None
        for extent, d in zip(shape, dims, strict=True):
            if d >= 0:
                sizes[d] = extent
    return None if None in sizes else sizes


def _choose_split(sizes: list[int], reduced: list[int], block: int) -> tuple[int, int]:
    """The reduction loop ``r`` to split and its inner extent ``b``: ``r`` is the outermost
    reduction loop whose inner reduction loops hold at most ``block`` elements, ``b`` the
    divisor of its extent that fills a block best (a multiple of 64 preferred: whole vector
    tiles), or ``block // inner`` with a remainder when no divisor reaches a quarter block."""
    for r in reduced:
        inner = math.prod(sizes[d] for d in reduced if d > r)
        if sizes[r] > 1 and inner <= block:
            break
    cap = block // inner
    divisors = [b for b in range(max(1, cap // 4), cap + 1) if sizes[r] % b == 0]
    if divisors:
        return r, max(divisors, key=lambda b: (math.gcd(b, 64), b))
    return r, cap


def _build(op, combiner, sizes, kinds, r: int, b: int) -> ir.Value:
    """Partial sums, their sum, and the original init added (and rounded) once."""
    init = op.operands[len(op.operands) - 1]
    inputs = list(op.operands)[: len(op.operands) - 1]
    maps = indexing_maps(op)
    elt = ir.ShapedType(init.type).element_type
    acc = ir.F32Type.get() if isinstance(elt, ir.F16Type | ir.BF16Type) else elt
    out_shape = static_shape(init)
    o, tail = divmod(sizes[r], b)

    # Loop r becomes (r: the block, parallel; r + 1: within the block, a reduction).
    def shift(d: int) -> list[int]:
        return [d] if d < r else [r, r + 1] if d == r else [d + 1]

    n = len(kinds) + 1
    main_inputs, main_maps, tail_inputs = [], [], []
    for value, amap in zip(inputs, maps, strict=False):
        dims = broadcast_dims(amap)
        new_dims = [e for d in dims for e in (shift(d) if d >= 0 else [-1])]
        main_maps.append(_map(n, new_dims))
        if r not in dims:
            main_inputs.append(value)
            tail_inputs.append(value)
            continue
        j = dims.index(r)
        main_inputs.append(split_dim(_slice(value, j, 0, o * b), j, [o, b]))
        tail_inputs.append(_slice(value, j, o * b, tail))
    out_dims = [r] + [e for d in broadcast_dims(maps[-1]) for e in (shift(d) if d >= 0 else [-1])]
    main_kinds = kinds[:r] + ["parallel", "reduction"] + kinds[r + 1 :]
    partials = _partial_sum(
        op, combiner, main_inputs, [*main_maps, _map(n, out_dims)], main_kinds, [o, *out_shape], acc
    )
    rank = len(out_shape)
    total = build_generic(
        [partials],
        _zeros(out_shape, acc),
        [_map(rank + 1, list(range(rank + 1))), _map(rank + 1, list(range(1, rank + 1)))],
        ["reduction"] + ["parallel"] * rank,
        lambda args: arith.addf(args[0], args[1]),
    )
    terms = [total]
    if tail:
        terms.append(_partial_sum(op, combiner, tail_inputs, maps, kinds, out_shape, acc))
    identity = _map(rank, list(range(rank)))

    def finish(args):
        value = args[0] if acc == elt else arith.extf(acc, args[0])
        for term in args[1 : 1 + len(terms)]:
            value = arith.addf(value, term)
        return value if acc == elt else arith.truncf(elt, value)

    empty = tensor.empty(out_shape, elt)
    return build_generic(
        [init, *terms], empty, [identity] * (len(terms) + 2), ["parallel"] * rank, finish
    )


def _partial_sum(op, combiner, inputs, maps, kinds, shape, acc) -> ir.Value:
    """``op``'s terms (its body, cloned) summed in ``acc`` into zeros of ``shape``."""
    old = op.regions[0].blocks[0]

    def body(args):
        mapping = dict(zip(list(old.arguments), args, strict=True))
        for inner in list(old.operations)[:-1]:
            inner = inner.operation
            if inner == combiner:
                continue
            clone = inner.clone()
            for i, operand in enumerate(clone.operands):
                if operand in mapping:
                    clone.operands[i] = mapping[operand]
            for before, after in zip(inner.results, clone.results, strict=True):
                mapping[before] = after
        out = old.arguments[len(old.arguments) - 1]
        term = next(v for v in combiner.operands if v != out)
        term = mapping.get(term, term)  # a value from outside the body stays itself
        if term.type != acc:
            term = arith.extf(acc, term)
        return arith.addf(term, args[-1])

    return build_generic(inputs, _zeros(shape, acc), maps, kinds, body)


def _zeros(shape, elt) -> ir.Value:
    """A tensor of ``shape`` filled with 0 (the sum's neutral element)."""
    zero = arith.constant(elt, 0.0)
    return linalg.fill(zero, outs=[tensor.empty(list(shape), elt)])


def _map(n: int, dims: list[int]) -> ir.AffineMap:
    """``(d0..dn-1) -> (...)`` with ``d`` per entry of ``dims``, constant 0 for -1."""
    exprs = [ir.AffineConstantExpr.get(0) if d < 0 else ir.AffineDimExpr.get(d) for d in dims]
    return ir.AffineMap.get(n, 0, exprs)


def _slice(value: ir.Value, dim: int, start: int, length: int) -> ir.Value:
    """``value[..., start : start + length, ...]`` along ``dim`` (itself when that is all)."""
    shape = static_shape(value)
    if start == 0 and length == shape[dim]:
        return value
    sizes = shape[:dim] + [length] + shape[dim + 1 :]
    offsets = [0] * len(shape)
    offsets[dim] = start
    result = tensor_type(sizes, ir.ShapedType(value.type).element_type)
    return tensor.extract_slice(result, value, [], [], [], offsets, sizes, [1] * len(shape))
